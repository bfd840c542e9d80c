"""Worker processes timed from one "go" until the work is done (bench_workers, bench_fleet)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence


def race_workers(
    commands: Sequence[list[str]], done: Callable[[], bool], *, poll: float
) -> tuple[float, list[str]]:
    """Start a process per command, wait until each prints "ready", write "go" to all, and
    time until `done()` holds (checked every `poll` seconds); then stop them with SIGTERM.

    Returns the seconds from "go" to done and each process's standard output.
    """
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for command in commands
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    pause = threading.Event()
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    while not done():
        pause.wait(poll)
    elapsed = time.perf_counter() - started
    outputs = []
    for process in processes:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=120)
        outputs.append(out)
    return elapsed, outputs
