"""Cyclic garbage collection paused while a large diagram is parsed.

Parsing builds hundreds of thousands of long-lived objects (lxml elements, task specs and the
maps between them) and frees almost none. Python's collector, triggered by allocations, walks
the older generations again and again as they grow, which makes parsing grow faster than the
diagram: 60,000 elements validated in 7.6 s with it and 4.4 s without it
(benchmarks/bench_validation.py). Nothing a parse makes is garbage until it ends, so the
collector is paused for its duration and resumes afterwards; pauses nest across threads, and a
host that disabled collection itself keeps it disabled.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause cyclic garbage collection inside the block (reference counting goes on)."""
    global _depth, _resume  # noqa: PLW0603 - one process-wide collector, one count of pauses
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
