"""Shortcuts a step takes for speed (issue 21) give the answers the long way gives."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager
from modelop_mlc._engine.conditions import has_conditions
from modelop_mlc._engine.workflow import TaskId

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
REVIEW = process(
    START + '<bpmn:userTask id="review"/>' + END + chain("start", "review", "end"), pid="plain"
)
CONDITIONAL = process(
    START
    + '<bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition>'
    + "<bpmn:condition>${x &gt; 1}</bpmn:condition></bpmn:conditionalEventDefinition>"
    + "</bpmn:intermediateCatchEvent>"
    + END
    + chain("start", "wait", "end"),
    pid="conditional",
)


def test_task_id_is_equal_to_and_hashes_like_its_uuid() -> None:
    """A TaskId and the UUID of the same value find each other in dicts and print alike."""
    task_id = TaskId()
    plain = uuid.UUID(str(task_id))
    assert task_id == plain
    assert hash(task_id) == hash(plain)
    assert {plain: "found"}[task_id] == "found"
    assert {task_id: "found"}[plain] == "found"
    assert str(task_id) == str(plain)
    assert repr(task_id) == repr(plain)
    assert task_id.version == 4


def test_task_id_from_any_uuid_text_prints_the_canonical_form() -> None:
    """Text that UUID accepts in another form still prints as `UUID.__str__` writes it."""
    plain = uuid.uuid4()
    for text in (str(plain), str(plain).upper(), "{" + str(plain) + "}", plain.hex):
        assert str(TaskId(text)) == str(plain)
        assert TaskId(text) == plain


def test_restored_tasks_have_their_stored_ids(manager: LifecycleManager) -> None:
    """Tasks of a restored instance carry TaskIds whose text is the id stored in the state."""
    manager.deploy(REVIEW)
    instance = manager.start("plain")
    (task,) = manager.tasks(instance_id=instance.id)
    row = manager.store.get_instance(instance.id)
    assert row is not None
    stored = {entry["i"] for entry in row.state["top"]["tasks"]}
    workflow = manager._runtime.restore(row).workflow
    assert {str(t.id) for t in workflow.tasks.values()} == stored
    assert all(isinstance(t.id, TaskId) for t in workflow.tasks.values())
    assert task.id in stored
    manager.complete_task(task.id)
    assert manager.instance(instance.id).status == "completed"


def test_has_conditions_kept_per_spec_and_sub_process_specs(manager: LifecycleManager) -> None:
    """The kept answer is recomputed when the same process runs with other sub-process specs."""
    manager.deploy(REVIEW)
    manager.deploy(CONDITIONAL)
    plain = manager._repository.specs(manager._repository.latest("plain").id)
    conditional = manager._repository.specs(manager._repository.latest("conditional").id)
    alone = SimpleNamespace(spec=plain.spec, subprocess_specs={})
    with_conditional = SimpleNamespace(spec=plain.spec, subprocess_specs={"c": conditional.spec})
    assert has_conditions(alone) is False
    assert has_conditions(alone) is False
    assert has_conditions(with_conditional) is True
    assert has_conditions(alone) is False
    assert has_conditions(SimpleNamespace(spec=conditional.spec, subprocess_specs={})) is True
