"""Run Python script tasks in a sandbox: a static guard plus a limited worker subprocess.

A script passes through three layers:

1. A static guard (`check_script`, also run at deployment) refuses imports, names and
   attributes starting with `_`, attribute stores, class definitions, `global`, `with`,
   async code, escape attributes such as `gi_frame` and `format`, and calls to `eval`,
   `open`, `getattr`, `type` and similar builtins.
2. In the worker every attribute load goes through a runtime check that opens only public
   attributes of plain values (str, numbers, lists, dicts, sets, dates, `Decimal`, the
   provided `math` and `json` namespaces and the `execution` object); the builtins hold only
   safe functions.
3. The worker is a separate Python process with a minimal environment, an address-space
   limit and a CPU-time limit per script; the host adds a wall-clock limit while it waits.

Scripts see process variables as globals. Every top-level name a script assigns or changes
comes back as a variable (functions and lambdas are left out), and `del name` of a variable
reports it as deleted. Results travel as JSON: `datetime` and `date` values come back as ISO
8601 strings, `timedelta` as an ISO 8601 duration (`"P1DT2H"`), `Decimal` as `float`, tuples
as lists; anything else that is not JSON is an error naming the variable.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from modelop_mlc._engine import _sandbox_worker
from modelop_mlc.errors import BpmnError, ConfigurationError, ScriptError

__all__ = [
    "SandboxLimits",
    "ScriptProblem",
    "ScriptResult",
    "ScriptSandbox",
    "check_script",
]

_WORKER_MODULE = "modelop_mlc._engine._sandbox_worker"
# Starting an interpreter is not the script's time, so it gets its own, generous deadline.
_STARTUP_SECONDS = 30.0
_READ_CHUNK = 65536
_CPU_SIGNALS = frozenset({signal.SIGPROF, signal.SIGXCPU})


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for each script run.

    Attributes:
        cpu_seconds: CPU time one script may use before the worker is stopped.
        memory_bytes: Address space a script may use on top of the worker interpreter's
            own footprint; allocations beyond it fail with a memory error.
        wall_seconds: Real time the host waits for one script's reply.
        max_output_bytes: Budget for what a script prints (longer output is truncated) and,
            separately, for the JSON size of the variables it changes.
    """

    cpu_seconds: float = 2.0
    memory_bytes: int = 256 * 1024 * 1024
    wall_seconds: float = 5.0
    max_output_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        """Refuse limits that could never let a script run."""
        for name in ("cpu_seconds", "memory_bytes", "wall_seconds", "max_output_bytes"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"SandboxLimits.{name} must be positive")


@dataclass(frozen=True)
class ScriptProblem:
    """One reason the static guard refuses a script.

    Attributes:
        message: What is not allowed, and what to use instead when there is an alternative.
        line: The 1-based line in the script, when known.
    """

    message: str
    line: int | None

    def __str__(self) -> str:
        """Render as `line N: message`."""
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class ScriptResult:
    """What a script run produced.

    Attributes:
        variables: Variables the script created or changed, as JSON values.
        deleted: Input variables the script deleted (`del name` or
            `execution.removeVariable`).
        printed: One entry per `print` call, truncated to `SandboxLimits.max_output_bytes`.
        value: The value of the script's last statement when that is an expression (as in
            Camunda's Groovy and JavaScript tasks, for `camunda:resultVariable`), else `None`.
    """

    variables: dict[str, Any]
    deleted: frozenset[str]
    printed: list[str]
    value: Any = None


def check_script(source: str) -> list[ScriptProblem]:
    """Check a script against the sandbox's static rules without running it.

    Deployment uses this to reject a diagram whose script tasks could never run.

    Args:
        source: Python source of a script task.

    Returns:
        Every problem found, ordered by line; an empty list means the script may run.
    """
    return list(_problems(source))


@lru_cache(maxsize=512)
def _problems(source: str) -> tuple[ScriptProblem, ...]:
    return tuple(ScriptProblem(msg, line) for line, msg in _sandbox_worker.find_problems(source))


def _refusal(problems: Sequence[ScriptProblem]) -> str:
    return "Script refused by the sandbox: " + "; ".join(str(p) for p in problems)


@dataclass(frozen=True)
class _Where:
    """Which instance and activity a script runs for, to label its errors."""

    instance_id: str | None
    activity_id: str | None

    def error(self, message: str) -> ScriptError:
        return ScriptError(message, instance_id=self.instance_id, activity_id=self.activity_id)


class _WorkerTimeoutError(Exception):
    pass


class _WorkerDiedError(Exception):
    def __init__(self, returncode: int) -> None:
        super().__init__(returncode)
        self.returncode = returncode


class _ReplyTooLargeError(Exception):
    pass


def _terminate(process: subprocess.Popen[bytes]) -> int:
    """Kill a worker (if it still runs), reap it and close its pipes; return its status."""
    # Killing an exited-but-unreaped process is harmless and keeps its original status.
    process.kill()
    returncode = process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    return returncode


class _Worker:
    """One worker subprocess and the line-oriented pipe protocol to it."""

    def __init__(self, memory_bytes: int, env: dict[str, str]) -> None:
        command = [sys.executable, "-P", "-s", "-B", "-m", _WORKER_MODULE, str(memory_bytes)]
        self.process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=os.path.abspath(os.sep),  # noqa: PTH100 - the root directory, portably
            start_new_session=True,
        )
        # A sandbox dropped without close() must not leave the process behind.
        self._finalizer = weakref.finalize(self, _terminate, self.process)
        assert self.process.stdout is not None
        self._fd = self.process.stdout.fileno()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._buffer = bytearray()
        self._returncode: int | None = None

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.process.poll() is None

    def send(self, payload: bytes) -> None:
        """Write one request line (raises `OSError` if the worker has gone)."""
        assert self.process.stdin is not None
        self.process.stdin.write(payload)
        self.process.stdin.flush()

    def receive(self, deadline: float, max_bytes: int) -> bytes:
        """Read one reply line, waiting at most until the monotonic `deadline`."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > max_bytes:
                raise _ReplyTooLargeError
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerTimeoutError
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self._fd, _READ_CHUNK)
            if not chunk:
                raise _WorkerDiedError(self.stop())
            self._buffer += chunk

    def stop(self) -> int:
        """Kill and reap the process (once); return its exit status."""
        if self._returncode is None:
            self._selector.close()
            self._finalizer.detach()
            self._returncode = _terminate(self.process)
        return self._returncode


class ScriptSandbox:
    """Run Python script tasks in a reusable, resource-limited worker process.

    The worker starts on the first `run` and serves later scripts too, so a script costs a
    pipe round trip rather than a process start. A worker that breaks a limit or dies is
    replaced on the next run. `run` is thread-safe: runs are serialised on one worker.

    Use it as a context manager, or call `close`, to stop the worker.

    Args:
        limits: Resource limits for each script; the defaults when omitted.
    """

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        """Create the sandbox; the worker starts on first use."""
        self._limits = limits or SandboxLimits()
        self._lock = threading.Lock()
        self._worker: _Worker | None = None

    @property
    def limits(self) -> SandboxLimits:
        """The limits applied to each script."""
        return self._limits

    @staticmethod
    def worker_environment() -> dict[str, str]:
        """Return the environment the worker process gets.

        Only `PATH` and a `PYTHONPATH` that finds `modelop_mlc` are passed, so secrets in
        the host's environment never reach the process that runs scripts.

        Returns:
            The complete environment of the worker.
        """
        package_root = str(Path(__file__).resolve().parents[2])
        paths = [package_root]
        for entry in sys.path:
            if entry and entry not in paths and Path(entry).exists():
                paths.append(entry)
        return {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": os.pathsep.join(paths)}

    def run(
        self,
        source: str,
        variables: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> ScriptResult:
        """Run a script against process variables.

        Args:
            source: Python source of the script task.
            variables: The process variables (JSON values), visible to the script as
                globals. Names starting with `_` are not passed in.
            context: Read-only values for the `execution` object, under the names of its
                getters: `processInstanceId`, `processBusinessKey`, `currentActivityId` and
                `activityInstanceId`. The first and third also label errors.

        Returns:
            The variables the script created or changed, those it deleted, and its output.

        Raises:
            BpmnError: The script raised `BpmnError(code, message)` to take an error
                boundary event.
            ScriptError: The guard refused the script (the message lists each problem
                with its line), the script raised (the message names the exception and the
                line), a result is not JSON (the message names the variable), or the
                script broke its CPU, memory or wall-clock limit.
        """
        ctx = dict(context or {})
        where = _Where(
            _optional_str(ctx.get("processInstanceId")), _optional_str(ctx.get("currentActivityId"))
        )
        problems = _problems(source)
        if problems:
            raise where.error(_refusal(problems))
        payload = self._request(source, variables, ctx, where)
        with self._lock:
            reply = self._exchange(payload, where)
        return self._result(reply, where)

    def close(self) -> None:
        """Stop the worker process; a later `run` starts a new one."""
        with self._lock:
            self._discard()

    def __enter__(self) -> Self:
        """Return the sandbox itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the worker process."""
        self.close()

    # ------------------------------------------------------------------ internals

    def _request(
        self,
        source: str,
        variables: Mapping[str, Any],
        context: dict[str, Any],
        where: _Where,
    ) -> bytes:
        passed = {name: value for name, value in variables.items() if not name.startswith("_")}
        for name, value in passed.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise where.error(
                    f"Variable '{name}' cannot be passed to the script: {err}"
                ) from err
        request = {
            "source": source,
            "variables": passed,
            "context": context,
            "cpu_seconds": self._limits.cpu_seconds,
            "max_output_bytes": self._limits.max_output_bytes,
        }
        # Context values are labels; anything odd is passed on as its text.
        return json.dumps(request, allow_nan=False, default=str).encode("ascii") + b"\n"

    def _exchange(self, payload: bytes, where: _Where) -> Any:
        limits = self._limits
        worker = self._send(payload, where)
        deadline = time.monotonic() + limits.wall_seconds
        # Printed output may be escaped up to 12 bytes per character in the reply.
        max_reply = 13 * limits.max_output_bytes + (1 << 20)
        try:
            line = worker.receive(deadline, max_reply)
        except _WorkerTimeoutError:
            self._discard()
            raise where.error(
                f"Script exceeded the {limits.wall_seconds} s wall-clock limit and was stopped"
            ) from None
        except _WorkerDiedError as died:
            self._worker = None
            raise where.error(self._death_message(died.returncode)) from None
        except _ReplyTooLargeError:
            self._discard()
            raise where.error("The script worker sent an oversized reply") from None
        try:
            reply = json.loads(line)
        except ValueError as err:
            self._discard()
            raise where.error("The script worker sent a malformed reply") from err
        if not isinstance(reply, dict):
            self._discard()
            raise where.error("The script worker sent a malformed reply")
        if reply.get("recycle"):
            self._discard()
        return reply

    def _send(self, payload: bytes, where: _Where) -> _Worker:
        # A worker that died while idle never saw a script, so one retry on a fresh worker
        # is safe; a second failure means workers cannot run here at all.
        for attempt in range(2):
            worker = self._ensure_worker(where)
            try:
                worker.send(payload)
            except OSError as err:
                self._discard()
                if attempt:
                    raise where.error(f"Could not reach the script worker: {err}") from err
            else:
                return worker
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _ensure_worker(self, where: _Where) -> _Worker:
        if self._worker is not None and self._worker.alive():
            return self._worker
        self._discard()
        try:
            worker = _Worker(self._limits.memory_bytes, self.worker_environment())
        except OSError as err:
            raise where.error(f"Could not start the script worker: {err}") from err
        try:
            line = worker.receive(time.monotonic() + _STARTUP_SECONDS, 1 << 16)
            ready = json.loads(line)
        except (_WorkerTimeoutError, _WorkerDiedError, _ReplyTooLargeError, ValueError) as err:
            worker.stop()
            raise where.error(
                f"Could not start the script worker ({type(err).__name__.lstrip('_')}); "
                f"check that `{sys.executable} -m {_WORKER_MODULE}` runs"
            ) from err
        if not isinstance(ready, dict) or ready.get("ready") is not True:
            worker.stop()
            detail = ready.get("message") if isinstance(ready, dict) else None
            raise where.error(f"The script worker could not apply its limits: {detail}")
        self._worker = worker
        return worker

    def _discard(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def _death_message(self, returncode: int) -> str:
        if -returncode in _CPU_SIGNALS:
            return f"Script stopped after {self._limits.cpu_seconds} s of CPU time"
        if returncode < 0:
            try:
                name = signal.Signals(-returncode).name
            except ValueError:  # a real-time signal has no name
                name = f"signal {-returncode}"
            return f"The script worker was killed by {name} while running the script"
        return f"The script worker exited with status {returncode} while running the script"

    def _result(self, reply: dict[str, Any], where: _Where) -> ScriptResult:
        if reply.get("ok") is True:
            variables = reply.get("variables")
            deleted = reply.get("deleted")
            printed = reply.get("printed")
            if (
                isinstance(variables, dict)
                and isinstance(deleted, list)
                and isinstance(printed, list)
            ):
                return ScriptResult(
                    variables=variables,
                    deleted=frozenset(str(name) for name in deleted),
                    printed=[str(text) for text in printed],
                    value=reply.get("value"),
                )
            raise where.error("The script worker sent a malformed reply")
        kind = reply.get("kind")
        line = reply.get("line")
        at = f" at line {line}" if isinstance(line, int) else ""
        message = str(reply.get("message"))
        if kind == "refused":
            problems = [
                ScriptProblem(str(p[1]), p[0] if isinstance(p[0], int) else None)
                for p in reply.get("problems") or []
                if isinstance(p, list) and len(p) == 2  # noqa: PLR2004 - [line, message]
            ]
            raise where.error(_refusal(problems))
        if kind == "memory":
            mib = self._limits.memory_bytes / (1024 * 1024)
            raise where.error(f"Script exceeded the {mib:g} MiB memory limit{at}")
        if kind == "runtime":
            raise where.error(f"Script failed{at}: {message}")
        if kind == "bpmn_error":
            raise BpmnError(str(reply.get("code")), str(reply.get("error") or ""))
        if kind == "result":
            raise where.error(f"Script result cannot be stored: {message}")
        raise where.error(f"Script could not run: {message}")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
