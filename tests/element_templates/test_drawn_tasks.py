"""Tasks drawn with the templates deploy and run unchanged: each delegate, refusal and signal.

Each test builds the XML Camunda Modeler writes when the template is applied (its bindings
with their default values, `camunda:modelerTemplate` and its version), deploys it on a
manager whose center is LocalCenter, and runs it with the catalogue suite's setup data.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from handlers.catalogue_world import World
from handlers.test_catalogue import CASES, _without_none
from modelop_mlc import DiagramError
from modelop_mlc.element_templates import shipped
from modelop_mlc.element_templates._events import SIGNALS
from modelop_mlc.element_templates._xml import element_xml
from modelop_mlc.handlers._base import CATALOGUE, REFUSED

TEMPLATES = {t["id"]: t for t in shipped()}
DELEGATES = sorted(
    t["id"]
    for t in TEMPLATES.values()
    if t["id"].startswith("modelop_mlc.delegate.")
    and t["id"].rsplit(".", 1)[1] not in {r.name for r in REFUSED}
)
REQUIRED = sorted(
    (spec.name, name)
    for spec in CATALOGUE
    for name in spec.required
    if spec.name != "http-connector"
)
_COUNTER = itertools.count()


def run_task(world: World, task: str, variables: dict[str, Any], progress: Any = None) -> Any:
    """Deploy a one-task process around `task` (with a FAILURE boundary) and run it to its end."""
    pid = f"drawn_{next(_COUNTER)}"
    xml = process(
        '<bpmn:startEvent id="start"/>' + task + '<bpmn:endEvent id="end"/>'
        '<bpmn:boundaryEvent id="failed" attachedToRef="task">'
        '<bpmn:errorEventDefinition errorRef="F" camunda:errorMessageVariable="ERROR_MESSAGE"/>'
        '</bpmn:boundaryEvent><bpmn:endEvent id="failed_end"/>'
        + chain("start", "task", "end")
        + flow("ef", "failed", "failed_end"),
        pid=pid,
        extra='<bpmn:error id="F" errorCode="FAILURE"/>',
    )
    world.manager.deploy(xml)
    instance = world.manager.start(pid, variables)
    for _ in range(20):
        if world.manager.instance(instance.id).status != "running":
            break
        world.manager.run_due()
        if progress is not None and world.manager.instance(instance.id).status == "running":
            progress()
            progress = None
        world.clock.advance(timedelta(seconds=31))
    final = world.manager.instance(instance.id)
    assert final.status == "completed", world.manager.incidents(instance_id=instance.id)
    return final


@pytest.mark.parametrize("template_id", DELEGATES)
def test_a_task_drawn_with_the_template_runs_its_delegate(world: World, template_id: str) -> None:
    """With the template's defaults, the delegate reads the process variables and writes its outputs."""
    template = TEMPLATES[template_id]
    name = template_id.rsplit(".", 1)[1]
    case = CASES[name]
    variables = _without_none(case.variables(world), world)
    task = element_xml(template, "task", name=template["name"])
    step = case.progress
    final = run_task(world, task, variables, (lambda: step(world)) if step else None)
    assert "ERROR_MESSAGE" not in final.variables, final.variables["ERROR_MESSAGE"]
    spec = next(s for s in CATALOGUE if name in (s.name, *s.aliases))
    for output in spec.outputs:
        assert output in final.variables, f"{name} did not write {output}"
    case.check(world, dict(final.variables))


@pytest.mark.parametrize(("delegate", "required"), REQUIRED)
def test_emptying_a_required_field_fails_the_task_with_failure(
    world: World, delegate: str, required: str
) -> None:
    """A required input left empty (null) takes the FAILURE boundary, naming what is missing."""
    template = TEMPLATES[f"modelop_mlc.delegate.{delegate}"]
    variables = _without_none(CASES[delegate].variables(world), world)
    task = element_xml(template, "task", inputs={required: None})
    final = run_task(world, task, variables)
    assert "ERROR_MESSAGE" in final.variables
    assert required in final.variables["ERROR_MESSAGE"], final.variables["ERROR_MESSAGE"]


def test_renamed_outputs_go_where_the_user_said(world: World) -> None:
    """Editing an output field writes that variable instead of ModelOp's name."""
    template = TEMPLATES["modelop_mlc.delegate.GetRuntimesByTag"]
    task = element_xml(template, "task", outputs={"RUNTIMES": "CANDIDATES"})
    final = run_task(world, task, {"TAG": "credit-risk"})
    assert [r["name"] for r in final.variables["CANDIDATES"]] == ["batch-dev", "online-prod"]
    assert "RUNTIMES" not in final.variables


def test_a_literal_typed_into_a_field_wins_over_the_variable(world: World) -> None:
    """A value typed into the field is what the delegate reads."""
    template = TEMPLATES["modelop_mlc.delegate.GetRuntimesByTag"]
    task = element_xml(template, "task", inputs={"TAG": "no-such-tag"})
    final = run_task(world, task, {"TAG": "credit-risk"})
    assert final.variables["RUNTIMES"] == []


def test_a_map_field_takes_a_groovy_map(world: World) -> None:
    """PATCH is typed as a Groovy map and reaches the delegate as a map."""
    template = TEMPLATES["modelop_mlc.delegate.PatchDeployableModel"]
    task = element_xml(template, "task", inputs={"PATCH": '[tags: ["approved"]]'})
    final = run_task(world, task, {"DEPLOYABLE_MODEL": world.snapshot})
    assert final.variables["DEPLOYABLE_MODEL"]["tags"] == ["approved"]


def test_the_http_connector_drawn_with_its_template_calls_the_url(world: World) -> None:
    """The connector scope holds the request; the response lands in the output variables."""
    template = TEMPLATES["modelop_mlc.connector.http"]
    task = element_xml(
        template,
        "task",
        inputs={
            "url": f"{world.fake.url}/model-manage/api/runtimes",
            "headers": '["Authorization": "Bearer static-token"]',
        },
        outputs={"response": "RUNTIMES_PAGE"},
    )
    final = run_task(world, task, {})
    assert final.variables["statusCode"] == 200
    assert "_embedded" in final.variables["RUNTIMES_PAGE"]


def test_the_connector_without_a_url_fails_with_failure(world: World) -> None:
    """Its one required field empty, the call fails with FAILURE naming url."""
    task = element_xml(TEMPLATES["modelop_mlc.connector.http"], "task")
    final = run_task(world, task, {})
    assert "url" in final.variables["ERROR_MESSAGE"]


@pytest.mark.parametrize("refusal", REFUSED, ids=lambda r: r.name)
def test_a_refused_delegate_drawn_with_its_template_is_refused_then_runs_when_registered(
    world: World, refusal: Any
) -> None:
    """Deploy names the delegate and what to register; registered, its outputs are mapped."""
    task = element_xml(TEMPLATES[f"modelop_mlc.delegate.{refusal.name}"], "task")
    with pytest.raises(DiagramError) as caught:
        run_task(world, task, {})
    assert f'@manager.delegate("{refusal.name}")' in caught.value.problems[0].message
    world.manager.register_delegate(
        refusal.name, lambda ctx: {name: f"made {name}" for name in refusal.outputs}
    )
    final = run_task(world, task, {})
    assert all(final.variables[name] == f"made {name}" for name in refusal.outputs)


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.event)
def test_a_start_event_drawn_with_a_signal_template_starts_on_that_signal(
    world: World, signal: Any
) -> None:
    """With the signal chosen in the Signal group, sending it starts the process with its variables."""
    template = TEMPLATES[f"modelop_mlc.signal.{signal.event}"]
    assert template["metadata"]["signal"] == signal.name
    start = element_xml(
        template, "start", tag="bpmn:startEvent", body='<bpmn:signalEventDefinition signalRef="S"/>'
    )
    pid = f"signalled_{signal.event.lower()}"
    world.manager.deploy(
        process(
            start + '<bpmn:endEvent id="end"/>' + chain("start", "end"),
            pid=pid,
            extra=f'<bpmn:signal id="S" name="{signal.name}"/>',
        )
    )
    variables = {name: f"value of {name}" for name in signal.variables}
    started = world.manager.signal(signal.name, variables).started
    (instance,) = [
        world.manager.instance(i) for i in started if world.manager.instance(i).key == pid
    ]
    assert {k: instance.variables[k] for k in variables} == variables
