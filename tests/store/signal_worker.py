"""A host process for the outbox fault tests: signals, and may be SIGKILLed mid-delivery.

    python signal_worker.py URL ROUND CRASH_AT
    python signal_worker.py URL throw TASK_ID   # complete a task; die right after its commit

The first form sends `go{ROUND}` with the idempotency key `round{ROUND}` (the caller's own id for the
event), then runs due work. On SQLite, CRASH_AT > 0 SIGKILLs the process as the CRASH_AT-th SQL
statement from then on is about to run; on PostgreSQL the test kills it after a random delay.
Each round's clock is an hour after the previous round's.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from modelop_mlc import LifecycleManager, ManualClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def catcher(round_number: int) -> str:
    """Round ROUND's receivers: they wait for `go{ROUND}` twice, so a second delivery shows."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="catch{round_number}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="first"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="second"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/>
    <bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="end"/>
  </bpmn:process>
  <bpmn:signal id="s" name="go{round_number}"/>
</bpmn:definitions>
"""


def throw_and_die(url: str, task_id: str) -> int:
    """Complete a task whose process throws a signal; SIGKILL this host as the step commits.

    Nothing of the signal's delivery has happened then: only the thrower's step is saved.
    """
    manager = LifecycleManager.open(url, clock=ManualClock(T0))

    committed = False

    def die_after_commit(statement: str) -> None:
        # The callback runs before each statement: die at the one after the first COMMIT.
        nonlocal committed
        if committed:
            os.kill(os.getpid(), signal.SIGKILL)
        committed = statement.strip().upper() == "COMMIT"

    print("ready", flush=True)
    manager.store.reader().conn.set_trace_callback(die_after_commit)
    manager.complete_task(task_id)
    return 3  # not reached: the commit above kills this process


def main() -> int:
    """Signal (maybe crashing); exit 0 when done."""
    if sys.argv[2] == "throw":
        return throw_and_die(sys.argv[1], sys.argv[3])
    url, round_text, crash_text = sys.argv[1:4]
    round_number = int(round_text)
    manager = LifecycleManager.open(url, clock=ManualClock(T0 + timedelta(hours=round_number)))
    crash_at = int(crash_text)
    if crash_at:
        executed = 0

        def maybe_crash(_statement: str) -> None:
            nonlocal executed
            executed += 1
            if executed == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)

        manager.store.reader().conn.set_trace_callback(maybe_crash)
    print("ready", flush=True)
    manager.signal(f"go{round_number}", idempotency_key=f"round{round_number}")
    while manager.run_due():
        pass
    manager.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
