"""SpiffWorkflow's log records, built only when emitted: pinned to the SpiffWorkflow we run on."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc._engine.workflow import SPIFF_SOURCES

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
STEPS = process(
    START + '<bpmn:scriptTask id="count" scriptFormat="groovy"><bpmn:script>n = 1</bpmn:script>'
    "</bpmn:scriptTask>"
    '<bpmn:userTask id="review"/>' + END + chain("start", "count", "review", "end"),
    pid="steps",
)
SPIFF_LOGGERS = ("spiff.task", "spiff.workflow")


def _member(path: str) -> Any:
    """`SpiffWorkflow.task.Task._set_state` -> that function."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise LookupError(path)


def test_the_pinned_spiffworkflow_is_installed() -> None:
    """The copies in `_engine/workflow.py` were made from SpiffWorkflow 3.2.0."""
    assert version("SpiffWorkflow") == "3.2.0"


@pytest.mark.parametrize("path", sorted(SPIFF_SOURCES))
def test_each_replaced_spiffworkflow_member_is_unchanged(path: str) -> None:
    """Each SpiffWorkflow member `MlcTask` and the workflow classes replace is as copied."""
    source = inspect.getsource(_member(path))
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == SPIFF_SOURCES[path]


@contextmanager
def _spiff_logging(level: int) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in SPIFF_LOGGERS]
    for logger, _ in saved:
        logger.setLevel(level)
        logger.addHandler(handler)
    try:
        yield records
    finally:
        for logger, old in saved:
            logger.removeHandler(handler)
            logger.setLevel(old)


@contextmanager
def _calls_to(name: str) -> Iterator[list[str]]:
    """Count calls of Python functions called `name` (a profiler hook, not a patch)."""
    calls: list[str] = []

    def hook(frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code.co_name == name:
            calls.append(frame.f_code.co_filename)

    sys.setprofile(hook)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_no_log_extras_are_built_while_spiffworkflow_does_not_log(
    manager: LifecycleManager,
) -> None:
    """With SpiffWorkflow's loggers off, a start and a task completion build no log extras."""
    manager.deploy(STEPS)
    with _spiff_logging(logging.WARNING) as records, _calls_to("collect_log_extras") as calls:
        instance = manager.start("steps")
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id)
    assert manager.instance(instance.id).status == "completed"
    assert records == []
    assert calls == []


def test_spiffworkflow_records_keep_their_extras_when_logged(manager: LifecycleManager) -> None:
    """With SpiffWorkflow's loggers on, state changes and the workflow's start and end are
    logged with the extras SpiffWorkflow gives them."""
    manager.deploy(STEPS)
    with _spiff_logging(logging.DEBUG) as records:
        instance = manager.start("steps")
        (task,) = manager.tasks(instance_id=instance.id)
        manager.complete_task(task.id)
    messages = [r.getMessage() for r in records]
    assert "Initialized workflow" in messages
    assert "Workflow completed" in messages
    assert "State changed to COMPLETED" in messages
    changed = next(r for r in records if r.getMessage() == "State changed to READY")
    for key in ("workflow_spec", "task_spec", "task_id", "task_type", "state", "elapsed"):
        assert hasattr(changed, key)
    assert changed.workflow_spec == "steps"
    assert changed.state == "READY"
    initialized = next(r for r in records if r.getMessage() == "Initialized workflow")
    assert initialized.workflow_spec == "steps"
    assert initialized.completed is False
