"""The worker loop: claim due timers and jobs, run them, wait for more.

Run one loop per host (or several per host) against one PostgreSQL database: they share the
due work through leases (see `_jobs`). The loop survives errors, including a lost database
connection: it logs, waits a little and carries on; the store reconnects on the next use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelop_mlc.manager._manager import LifecycleManager

__all__ = ["run_worker"]

log = logging.getLogger("modelop_mlc.worker")

# After an error the loop waits this long (at most), then up to twice as long after each
# further error in a row: long enough not to spin while a database restarts.
_ERROR_WAIT_MAX = 5.0


def run_worker(
    manager: LifecycleManager,
    stop_event: threading.Event | None,
    *,
    poll_interval: float,
    batch: int,
    on_progress: Callable[[int, int], object] | None = None,
) -> int:
    """Run until `stop_event` is set (forever without one); return how many items ran.

    `on_progress(ran, total)` is called after each round that ran something (`mlc run` shows
    it); an exception it raises is logged, never stops the worker.

    On stopping, the item in progress finishes and the leases of claimed items not started
    yet are given back, so other workers take them over at once instead of after the lease.
    """
    stop = stop_event or threading.Event()
    total = 0
    errors_in_a_row = 0
    log.info("worker %s started on %s", manager.worker_id, manager.store.url)
    try:
        while not stop.is_set():
            try:
                ran = _run_once(manager, stop, batch)
            except Exception as err:  # a worker must outlive any one failure
                errors_in_a_row += 1
                wait = min(poll_interval * 2 ** (errors_in_a_row - 1), _ERROR_WAIT_MAX)
                log.warning(
                    "worker %s: %s: %s; retrying in %.1f s",
                    manager.worker_id,
                    type(err).__name__,
                    err,
                    wait,
                    exc_info=errors_in_a_row == 1,
                )
                stop.wait(wait)
                continue
            errors_in_a_row = 0
            total += ran
            if ran and on_progress is not None:
                _report(on_progress, ran, total)
            if ran == 0:
                # An Event wait, not a sleep: setting the event stops the worker at once.
                stop.wait(poll_interval)
    finally:
        given_back = manager.jobs.release_held()
        if given_back:
            log.info("worker %s gave back %s leases", manager.worker_id, given_back)
        # The loop's thread may be about to end; don't leave its connection open.
        manager.store.close_thread_connection()
    log.info("worker %s stopped after %s items", manager.worker_id, total)
    return total


def _report(on_progress: Callable[[int, int], object], ran: int, total: int) -> None:
    try:
        on_progress(ran, total)
    except Exception:  # a display must not stop the work
        log.exception("worker progress callback failed")


def _run_once(manager: LifecycleManager, stop: threading.Event, batch: int) -> int:
    """Run up to `batch` due timers and jobs, then queued LocalCenter jobs."""
    ran = manager.jobs.run_due(batch, stop=stop)
    run_center_jobs = getattr(manager.center, "run_pending_jobs", None)
    if run_center_jobs is not None and ran < batch and not stop.is_set():
        ran += int(run_center_jobs(batch - ran))
    return ran
