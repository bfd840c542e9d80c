"""A host process for the concurrency test: completes tasks and signals shared instances.

python race_worker.py DB setup 0     # deploy and start the instances
python race_worker.py DB race SEED   # race the other process; print a JSON report
"""

from __future__ import annotations

import json
import random
import sys

from modelop_mlc import LifecycleManager, TaskNotFoundError, TaskNotOpenError

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="race" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="work"/>
    <bpmn:boundaryEvent id="bump" attachedToRef="work" cancelActivity="false">
      <bpmn:signalEventDefinition signalRef="sig"/>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="count_bump" scriptFormat="python"><bpmn:script>bumps = bumps + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="bumped"/>
    <bpmn:scriptTask id="count_done" scriptFormat="python"><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="count_done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="count_done" targetRef="work"/>
    <bpmn:sequenceFlow id="f4" sourceRef="bump" targetRef="count_bump"/>
    <bpmn:sequenceFlow id="f5" sourceRef="count_bump" targetRef="bumped"/>
  </bpmn:process>
  <bpmn:signal id="sig" name="bump"/>
</bpmn:definitions>
"""
ROUNDS = 150


def main() -> int:
    """Set up or race; print a JSON report as the last line."""
    db, mode, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    manager = LifecycleManager.open(db)
    if mode == "setup":
        manager.deploy(("race.bpmn", DIAGRAM))
        for _ in range(3):
            manager.start("race", {"done": 0, "bumps": 0})
        return 0
    rng = random.Random(seed)
    report = {"completed": 0, "delivered": 0, "lost_races": 0, "unexpected": []}
    for _ in range(ROUNDS):
        if rng.random() < 0.7:
            tasks = manager.tasks()
            if not tasks:
                continue
            task = rng.choice(tasks)
            try:
                manager.complete_task(task.id)
                report["completed"] += 1
            except (TaskNotFoundError, TaskNotOpenError):
                report["lost_races"] += 1  # the other process completed it first
            except Exception as err:
                report["unexpected"].append(f"{type(err).__name__}: {err}")
        else:
            try:
                report["delivered"] += len(manager.signal("bump").delivered)
            except Exception as err:
                report["unexpected"].append(f"{type(err).__name__}: {err}")
    manager.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
