"""Running delegates with a time limit: a hung delegate is cut off, never waited for forever.

Python cannot kill a thread, so "cut off" means: the delegate runs on a helper thread, the
caller waits at most the configured time, then stops waiting and treats the call as failed
(the job becomes an incident and its lease is released). The helper thread is abandoned: if
the delegate ever returns, its result is discarded. Whatever it did meanwhile is guarded by
the call's idempotency key, which a retry uses again, so a late side effect is not repeated.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from modelop_mlc.errors import MlcError

__all__ = ["Cutoff", "DelegateTimeoutError"]

T = TypeVar("T")

# A helper thread nobody gave work for this long ends (request threads come and go).
_IDLE_SECONDS = 30.0


class DelegateTimeoutError(MlcError):
    """A delegate did not return within its time limit and was cut off."""


class _Call:
    __slots__ = ("done", "error", "function", "result")

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _Helper:
    """A daemon thread that runs one caller thread's calls, one at a time."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.alive = True
        threading.Thread(target=self._loop, name="mlc-delegate", daemon=True).start()

    def submit(self, call: _Call) -> bool:
        """Queue a call; False if this helper has ended."""
        with self.lock:
            if self.alive:
                self.calls.put(call)
            return self.alive

    def _loop(self) -> None:
        while True:
            try:
                call = self.calls.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with self.lock:
                    if self.calls.empty():
                        self.alive = False
                        return
                continue
            try:
                call.result = call.function()
            except BaseException as err:  # noqa: BLE001 - handed to the waiting caller
                call.error = err
            call.done.set()


class Cutoff(threading.local):
    """Runs calls on a helper thread per calling thread, waiting at most a time limit."""

    def __init__(self) -> None:
        """No helper yet: each calling thread starts its own on first use."""
        self.helper: _Helper | None = None

    def run(self, function: Callable[[], T], timeout: float | None, *, what: str) -> T:
        """Run `function` on this thread's helper; wait at most `timeout` seconds.

        With `timeout` None it runs on the calling thread, unbounded.

        Raises:
            DelegateTimeoutError: If it has not returned by then (the helper is abandoned).
            BaseException: Whatever `function` raised.
        """
        if timeout is None:
            return function()
        # The helper runs it in the caller's context: context variables (the step's
        # expression limits, a host's request context) stay what the caller set.
        context = contextvars.copy_context()
        call = _Call(lambda: context.run(function))
        if self.helper is None or not self.helper.submit(call):
            self.helper = _Helper()
            self.helper.submit(call)
        if not call.done.wait(timeout):
            self.helper = None  # stuck: this thread's next call gets a new helper
            raise DelegateTimeoutError(
                f"{what} did not return within {timeout:g} s and was cut off; its result, if "
                "it ever returns, is discarded. Find out why it hangs (or raise "
                "ManagerConfig.delegate_timeout_seconds), then retry the incident"
            )
        if call.error is not None:
            raise call.error
        result: T = call.result
        return result
