"""The work loop: claim due timers and jobs, run them, then the centre's queued jobs.

`run_due()` runs rounds until nothing is due; a worker runs them until it is stopped. Run one
worker per host (or several per host) against one PostgreSQL database: they share the due
work through leases (see `_jobs`). A worker survives errors, including a lost database
connection: it logs, waits a little and carries on; the store reconnects on the next use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from modelop_mlc.manager._jobs import JobExecutor
from modelop_mlc.store import SqlStore

__all__ = ["Worker"]

log = logging.getLogger("modelop_mlc.worker")

# After an error the loop waits this long (at most), then up to twice as long after each
# further error in a row: long enough not to spin while a database restarts.
_ERROR_WAIT_MAX = 5.0

CenterJobs = Callable[[int | None], int]
"""Runs up to n (None: all) jobs queued in the centre; returns how many ran."""


class Worker:
    """Runs due work for one manager: rounds of timers and jobs, then centre jobs."""

    def __init__(
        self, jobs: JobExecutor, store: SqlStore, worker_id: str, center_jobs: CenterJobs | None
    ) -> None:
        """Run `jobs`, then `center_jobs` (if the centre queues jobs of its own)."""
        self._jobs = jobs
        self._store = store
        self._worker_id = worker_id
        self._center_jobs = center_jobs

    def run_round(self, limit: int | None, stop: threading.Event | None = None) -> int:
        """Run up to `limit` due timers and jobs, then queued centre jobs; return how many."""
        ran = self._jobs.run_due(limit, stop=stop)
        stopped = stop is not None and stop.is_set()
        if self._center_jobs is not None and (limit is None or ran < limit) and not stopped:
            ran += int(self._center_jobs(None if limit is None else limit - ran))
        return ran

    def run_due(self, limit: int | None = None) -> int:
        """Run rounds until nothing is due (or `limit` items ran); return how many ran."""
        done = 0
        while limit is None or done < limit:
            ran = self.run_round(None if limit is None else limit - done)
            if ran == 0:
                break
            done += ran
        return done

    def run(
        self,
        stop_event: threading.Event | None,
        *,
        poll_interval: float,
        batch: int,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> int:
        """Run until `stop_event` is set (forever without one); return how many items ran.

        `on_progress(ran, total)` is called after each round that ran something (`mlc run`
        shows it); an exception it raises is logged, never stops the worker.

        On stopping, the item in progress finishes and the leases of claimed items not
        started yet are given back, so other workers take them over at once instead of after
        the lease.
        """
        stop = stop_event or threading.Event()
        total = 0
        errors_in_a_row = 0
        log.info("worker %s started on %s", self._worker_id, self._store.url)
        try:
            while not stop.is_set():
                try:
                    ran = self.run_round(batch, stop)
                except Exception as err:  # a worker must outlive any one failure
                    errors_in_a_row += 1
                    wait = min(poll_interval * 2 ** (errors_in_a_row - 1), _ERROR_WAIT_MAX)
                    log.warning(
                        "worker %s: %s: %s; retrying in %.1f s",
                        self._worker_id,
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
            given_back = self._jobs.release_held()
            if given_back:
                log.info("worker %s gave back %s leases", self._worker_id, given_back)
            # The loop's thread may be about to end; don't leave its connection open.
            self._store.close_thread_connection()
        log.info("worker %s stopped after %s items", self._worker_id, total)
        return total


def _report(on_progress: Callable[[int, int], object], ran: int, total: int) -> None:
    try:
        on_progress(ran, total)
    except Exception:  # a display must not stop the work
        log.exception("worker progress callback failed")
