"""Drive a started instance of a corpus diagram to its end, as a user of the engine would.

Every round completes the open user tasks (form fields get a value of their type), sends the
signals and messages the instance waits for, and moves the clock a day so timers and jobs run.
The instance ends, stops with one of our errors naming an element (a precise refusal), or
waits for something no placeholder can give it (a condition on data it never gets).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lxml import etree

from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc._engine.xml import BPMN_NS
from modelop_mlc.errors import CorrelationError, MlcError

__all__ = ["Drive", "drive", "event_names"]

_B = "{" + BPMN_NS + "}"
_ROUNDS = 40
_FORM_VALUES: dict[str, Any] = {
    "boolean": True,
    "long": 1,
    "integer": 1,
    "double": 1.5,
    "date": "2024-01-01T00:00:00Z",
    "string": "placeholder",
}


@dataclass(frozen=True)
class Drive:
    """How driving one instance ended: `ended`, `refused` (our error) or `waiting`."""

    outcome: str
    detail: str


def event_names(root: Any) -> dict[str, tuple[str, str]]:
    """Map each catching element id to (`signal` | `message`, the name it waits for)."""
    names = {
        kind: {n.get("id"): n.get("name") or n.get("id") for n in root.iter(f"{_B}{kind}")}
        for kind in ("signal", "message")
    }
    found: dict[str, tuple[str, str]] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or node.get("id") is None:
            continue
        if node.tag == f"{_B}receiveTask" and node.get("messageRef"):
            found[node.get("id")] = ("message", names["message"].get(node.get("messageRef"), ""))
        for kind in ("signal", "message"):
            definition = node.find(f"{_B}{kind}EventDefinition")
            if definition is not None and node.tag != f"{_B}startEvent":
                ref = definition.get(f"{kind}Ref") or ""
                found[node.get("id")] = (kind, names[kind].get(ref) or ref)
    for gateway in root.iter(f"{_B}eventBasedGateway"):
        for flow in gateway.getparent().findall(f"{_B}sequenceFlow"):
            target = flow.get("targetRef")
            if flow.get("sourceRef") == gateway.get("id") and target in found:
                found.setdefault(gateway.get("id"), found[target])
    return found


def _form_values(task: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in task.form_fields:
        if field.type == "enum" and field.values:
            values[field.id] = field.values[0][0]
        elif field.default_value is None:
            values[field.id] = _FORM_VALUES.get(field.type, "placeholder")
    return values


def drive(manager: LifecycleManager, clock: ManualClock, instance_id: str, path: Any) -> Drive:
    """Drive the instance until it ends, is refused, or waits for what no round gives it."""
    events = event_names(etree.parse(str(path)).getroot())
    for _ in range(_ROUNDS):
        instance = manager.instance(instance_id)
        if instance.status == "completed":
            return Drive("ended", "completed")
        if instance.status == "incident":
            incident = manager.incidents(instance_id=instance_id)[0]
            return Drive("refused", f"incident at {incident.activity_id}: {incident.message}")
        try:
            progressed = _round(manager, clock, instance, events)
        except MlcError as err:
            where = getattr(err, "activity_id", None)
            return Drive("refused", f"[{where}] {type(err).__name__}: {str(err).splitlines()[0]}")
        if not progressed:
            waiting = ",".join(instance.waiting_at) or instance.status
            return Drive("waiting", f"waiting at {waiting}")
    return Drive("waiting", f"still running after {_ROUNDS} rounds")


def _round(
    manager: LifecycleManager,
    clock: ManualClock,
    instance: Any,
    events: dict[str, tuple[str, str]],
) -> bool:
    tasks = manager.tasks(instance_id=instance.id)
    if tasks:
        manager.complete_task(tasks[0].id, _form_values(tasks[0]))
        return True
    for activity in instance.waiting_at:
        kind, name = events.get(activity, ("", ""))
        if kind == "signal" and name:
            if manager.signal(name).delivered:
                return True
        elif kind == "message" and name:
            try:
                manager.message_all(name)
            except CorrelationError:
                continue
            return True
    before = manager.instance(instance.id)
    clock.advance(timedelta(days=1))
    ran = manager.run_due()
    after = manager.instance(instance.id)
    return bool(ran) or after.waiting_at != before.waiting_at or after.status != before.status
