"""The worker loop: claim due timers and jobs, run them, wait for more."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelop_mlc.manager._manager import LifecycleManager

__all__ = ["run_worker"]

log = logging.getLogger("modelop_mlc.worker")


def run_worker(manager: LifecycleManager, stop_event: threading.Event | None, *,
               poll_interval: float, batch: int) -> int:
    """Run until `stop_event` is set (forever without one); return how many items ran."""
    stop = stop_event or threading.Event()
    total = 0
    while not stop.is_set():
        ran = manager.run_due(limit=batch)
        total += ran
        if ran == 0:
            # An Event wait, not a sleep: setting the event stops the worker at once.
            stop.wait(poll_interval)
    log.info("worker %s stopped after %s items", manager.worker_id, total)
    return total
