"""The one SpiffWorkflow boundary: its exceptions become ours, our bugs stay bugs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import SpiffWorkflow
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.util.task import TaskState

from bpmn_xml import chain, process
from modelop_mlc._engine.boundary import SPIFF_EXCEPTIONS, spiff_errors
from modelop_mlc.errors import ProcessError, ScriptError

# Every exception class SpiffWorkflow 3.2.0 defines. An upgrade that adds, removes or moves
# one fails here: decide whether `SPIFF_EXCEPTIONS` must change, then update this list.
SPIFF_3_2_EXCEPTIONS = {
    "SpiffWorkflow.bpmn.exceptions.WorkflowDataException",
    "SpiffWorkflow.bpmn.exceptions.WorkflowTaskException",
    "SpiffWorkflow.bpmn.parser.ValidationException.ValidationException",
    "SpiffWorkflow.bpmn.serializer.exceptions.VersionMigrationError",
    "SpiffWorkflow.exceptions.SpiffWorkflowException",
    "SpiffWorkflow.exceptions.TaskNotFoundException",
    "SpiffWorkflow.exceptions.WorkflowException",
    "SpiffWorkflow.serializer.exceptions.MissingSpecError",
    "SpiffWorkflow.serializer.exceptions.TaskNotSupportedError",
    "SpiffWorkflow.serializer.exceptions.TaskSpecNotSupportedError",
    "SpiffWorkflow.serializer.prettyxml.XMLParserExcetion",
    "SpiffWorkflow.util.weakmethod.DeadMethodCalled",
}


def _spiff_exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(SpiffWorkflow.__path__, "SpiffWorkflow."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue  # SpiffWorkflow.serializer.dotv needs gvgen, an optional extra
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__.startswith("SpiffWorkflow.")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_spiff_defines_the_exception_classes_the_boundary_was_written_for() -> None:
    """The list of SpiffWorkflow's exception classes is the one `SPIFF_EXCEPTIONS` covers."""
    classes = _spiff_exception_classes()
    assert set(classes) == SPIFF_3_2_EXCEPTIONS
    uncovered = [name for name, cls in classes.items() if not issubclass(cls, SPIFF_EXCEPTIONS)]
    assert uncovered == []


def _ready_task() -> object:
    xml = process(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="approve" name="Approve"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "approve", "end")
    )
    parser = BpmnParser()
    parser.add_bpmn_str(xml.encode(), "review.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("p"))
    workflow.do_engine_steps()
    (task,) = workflow.get_tasks(state=TaskState.READY)
    return task


def test_a_spiff_error_becomes_a_process_error_with_element_line_and_trace() -> None:
    """A SpiffWorkflow task error keeps the element, the line and the task trace."""
    failure = WorkflowTaskException(
        "bad script", task=_ready_task(), exception=SyntaxError("x"), line_number=3
    )
    with pytest.raises(ProcessError) as caught, spiff_errors("instance-1"):
        raise failure
    error = caught.value
    assert (error.instance_id, error.activity_id, error.line) == ("instance-1", "approve", 3)
    assert error.task_trace == ("Approve (review.bpmn)",)
    assert "the engine failed at 'approve': bad script" in str(error)
    assert error.__cause__ is failure


def test_our_own_error_inside_a_spiff_error_comes_out_as_itself() -> None:
    """An `MlcError` SpiffWorkflow wrapped (its `__cause__`) is raised unchanged."""
    ours = ScriptError("x is not defined", activity_id="approve")
    failure = WorkflowTaskException("wrapped", task=_ready_task())
    failure.__cause__ = ours
    with pytest.raises(ScriptError) as caught, spiff_errors("instance-1"):
        raise failure
    assert caught.value is ours


@pytest.mark.parametrize("bug", [KeyError("state"), AttributeError("spec"), TypeError("args")])
def test_a_builtin_error_from_our_code_surfaces_as_the_bug_it_is(bug: Exception) -> None:
    """`KeyError`, `AttributeError` or `TypeError` pass the boundary unchanged."""
    with pytest.raises(type(bug)) as caught, spiff_errors("instance-1"):
        raise bug
    assert caught.value is bug
