"""Each use of SpiffWorkflow's private parser API: still there, and doing its job."""

from __future__ import annotations

import inspect

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc._engine._spiff_private import PRIVATE_API

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'

# Where SpiffWorkflow calls each private member we override: an override nobody calls any
# more would silently stop working.
CALLERS = {
    "_add_multiinstance_task": (TaskParser.parse_node, "self._add_multiinstance_task("),
    "_add_loop_task": (TaskParser.parse_node, "self._add_loop_task("),
    "_copy_task_attrs": (TaskParser._add_loop_task, "self._copy_task_attrs("),
    "_index_process_nodes": (ProcessParser.__init__, "self._index_process_nodes()"),
    "_parse": (ProcessParser.get_spec, "self._parse()"),
    "_add_data_stores": (BpmnParser.add_bpmn_xml, "self._add_data_stores(bpmn)"),
    "_add_processes": (BpmnParser.add_bpmn_xml, "self._add_processes(bpmn, filename)"),
}


@pytest.mark.parametrize(
    ("owner", "name", "signature"),
    PRIVATE_API,
    ids=[f"{o.__name__}.{n}" for o, n, _ in PRIVATE_API],
)
def test_each_private_member_still_exists_with_its_signature(
    owner: type, name: str, signature: str
) -> None:
    """Every private SpiffWorkflow member we use exists with the signature we rely on."""
    assert str(inspect.signature(getattr(owner, name))) == signature


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_spiff_still_calls_each_overridden_member(name: str) -> None:
    """SpiffWorkflow's own code still calls each private member we override."""
    caller, call = CALLERS[name]
    assert call in inspect.getsource(caller)


def test_multi_instance_reads_camunda_collection(manager: LifecycleManager) -> None:
    """`_add_multiinstance_task`: `camunda:collection` runs the activity once per element."""
    seen: list[str] = []
    manager.register_delegate("Each", lambda ctx: seen.append(ctx.variables["model"]))
    xml = process(
        START + '<bpmn:serviceTask id="each" camunda:class="Each">'
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
        'camunda:collection="${models}" camunda:elementVariable="model"/></bpmn:serviceTask>'
        + END
        + chain("start", "each", "end")
    )
    manager.deploy(xml)
    assert manager.start("p", {"models": ["a", "b"]}).status == "completed"
    assert seen == ["a", "b"]


def test_standard_loop_repeats_until_its_maximum(manager: LifecycleManager) -> None:
    """`_add_loop_task`: a standard loop runs its activity `loopMaximum` times."""
    xml = process(
        START + '<bpmn:task id="again"><bpmn:standardLoopCharacteristics loopMaximum="3"/>'
        "</bpmn:task>" + END + chain("start", "again", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    ends = [h for h in manager.history(instance.id, limit=None) if h.kind == "activity_end"]
    assert instance.status == "completed"
    # Three iterations, then the loop activity itself ends.
    assert [h.activity_id for h in ends].count("again") == 3 + 1


def test_an_error_start_event_waits_for_its_error(manager: LifecycleManager) -> None:
    """`_create_task`: an error event sub-process does not start with its process."""
    xml = process(
        START
        + '<bpmn:userTask id="work"/>'
        + END
        + chain("start", "work", "end")
        + '<bpmn:subProcess id="on_error" triggeredByEvent="true">'
        '<bpmn:startEvent id="caught"><bpmn:errorEventDefinition/></bpmn:startEvent>'
        '<bpmn:endEvent id="handled"/>' + chain("caught", "handled") + "</bpmn:subProcess>"
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("work",)
    entered = {h.activity_id for h in manager.history(instance.id, limit=None)}
    assert "caught" not in entered


def test_a_form_field_with_its_task_id_does_not_hijack_the_task(
    manager: LifecycleManager,
) -> None:
    """`_index_process_nodes`: a `camunda:formField` sharing its task's id is not a node."""
    xml = process(
        START + '<bpmn:userTask id="approval"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="approval" type="boolean"/></camunda:formData>'
        "</bpmn:extensionElements></bpmn:userTask>" + END + chain("start", "approval", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    (task,) = manager.tasks(instance_id=instance.id)
    assert (task.activity_id, [f.id for f in task.form_fields]) == ("approval", ["approval"])


def test_data_objects_and_io_specifications_are_ignored(manager: LifecycleManager) -> None:
    """`_parse`: a process's data object and ioSpecification neither fail nor block a task."""
    xml = process(
        '<bpmn:ioSpecification id="io"><bpmn:dataInput id="input"/><bpmn:inputSet id="ins">'
        "<bpmn:dataInputRefs>input</bpmn:dataInputRefs></bpmn:inputSet>"
        '<bpmn:outputSet id="outs"/></bpmn:ioSpecification>'
        '<bpmn:dataObject id="report"/>'
        + START
        + '<bpmn:task id="work"/>'
        + END
        + chain("start", "work", "end")
    )
    manager.deploy(xml)
    assert manager.start("p").status == "completed"


def test_data_stores_are_ignored(manager: LifecycleManager) -> None:
    """`_add_data_stores`: a file declaring a data store deploys (Camunda ignores them)."""
    xml = process(START + END + chain("start", "end"), extra='<bpmn:dataStore id="db" name="db"/>')
    manager.deploy(xml)
    assert manager.start("p").status == "completed"


def test_a_non_executable_process_is_neither_parsed_nor_a_dependency(
    manager: LifecycleManager,
) -> None:
    """`_add_processes`: another pool's process calling an undeployed one deploys anyway."""
    other = (
        '<bpmn:process id="partner" isExecutable="false"><bpmn:startEvent id="s2"/>'
        '<bpmn:callActivity id="call" calledElement="nowhere"/>'
        '<bpmn:sequenceFlow id="s2_call" sourceRef="s2" targetRef="call"/></bpmn:process>'
    )
    manager.deploy(process(START + END + chain("start", "end"), extra=other))
    assert [d.key for d in manager.definitions()] == ["p"]
