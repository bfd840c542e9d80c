"""The one place SpiffWorkflow's exceptions become ours (like httpx's `map_httpcore_exceptions`).

Every call into SpiffWorkflow that runs a diagram goes through `spiff_errors()`. It maps
SpiffWorkflow's own exception classes (`SPIFF_EXCEPTIONS`) to `ProcessError`, keeping the
element, the script line and SpiffWorkflow's task trace (the call-activity path to the task).
Our own errors pass through unchanged, and so does every other exception: a `KeyError` or
`TypeError` raised by our code is a bug, and must surface as one rather than as "the engine
failed at X".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.serializer.exceptions import (
    MissingSpecError,
    TaskNotSupportedError,
    TaskSpecNotSupportedError,
)
from SpiffWorkflow.util.weakmethod import DeadMethodCalled

from modelop_mlc.errors import MlcError, ProcessError

__all__ = ["SPIFF_EXCEPTIONS", "engine_error", "spiff_errors"]

SPIFF_EXCEPTIONS: tuple[type[Exception], ...] = (
    SpiffWorkflowException,
    DeadMethodCalled,
    MissingSpecError,
    TaskNotSupportedError,
    TaskSpecNotSupportedError,
)
"""SpiffWorkflow's own exception classes (its serializer's derive from `ValueError`)."""


@contextmanager
def spiff_errors(instance_id: str | None) -> Iterator[None]:
    """Run a block that calls SpiffWorkflow; turn its exceptions into `ProcessError`.

    Raises:
        ProcessError: For a SpiffWorkflow exception, naming the element, the line and the
            task trace; or the `MlcError` our own code raised inside SpiffWorkflow's call.
    """
    try:
        yield
    except SPIFF_EXCEPTIONS as err:
        raise engine_error(err, instance_id) from err


def engine_error(err: Exception, instance_id: str | None) -> MlcError:
    """Our error for a SpiffWorkflow exception, keeping where it happened.

    SpiffWorkflow wraps what a script or our spec code raised (`__cause__`); when that is one
    of our errors, it is the answer itself.
    """
    if isinstance(err.__cause__, MlcError):
        return err.__cause__
    task = getattr(err, "task", None)
    spec = getattr(err, "task_spec", None) or (task.task_spec if task is not None else None)
    activity = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    text = getattr(err, "error", None) or str(err) or type(err).__name__
    return ProcessError(
        f"the engine failed at '{activity}': {text}",
        instance_id=instance_id,
        activity_id=activity,
        line=getattr(err, "line_number", None),
        task_trace=_trace(err),
    )


def _trace(err: Any) -> tuple[str, ...]:
    if isinstance(err, WorkflowTaskException):
        return tuple(str(step) for step in getattr(err, "task_trace", ()))
    return ()
