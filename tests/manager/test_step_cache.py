"""The restored-workflow cache: reused only at the instance's revision, never half-run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock, MlcError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
# Waits at "a"; then counts, and a gateway reads `limit`, which may be missing.
COUNTING = process(
    START + '<bpmn:userTask id="a"/>'
    '<bpmn:scriptTask id="count" scriptFormat="groovy">'
    "<bpmn:script>execution.setVariable('counter', counter + 1)</bpmn:script>"
    "</bpmn:scriptTask>"
    '<bpmn:exclusiveGateway id="gw" default="to_low"/>'
    '<bpmn:userTask id="b"/>'
    '<bpmn:endEvent id="low"/>'
    + END
    + chain("start", "a", "count", "gw")
    # A JUEL condition on a variable that may be missing fails the step.
    + flow("to_b", "gw", "b", "${limit > 1}")
    + flow("to_low", "gw", "low")
    + chain("b", "end"),
    pid="counting",
)


def _cache(manager: LifecycleManager) -> Any:
    return manager._runtime.cache


def _complete(manager: LifecycleManager, instance_id: str, variables: Any = None) -> Any:
    (task,) = manager.tasks(instance_id=instance_id)
    return manager.complete_task(task.id, variables)


def test_the_next_step_reuses_the_workflow_its_last_step_committed(
    manager: LifecycleManager,
) -> None:
    """After a start, completing its task runs on the kept workflow instead of a restore."""
    manager.deploy(COUNTING)
    instance = manager.start("counting", {"counter": 0, "limit": 5})
    before = _cache(manager).hits
    _complete(manager, instance.id)
    assert _cache(manager).hits == before + 1
    assert manager.variables(instance.id)["counter"] == 1
    assert manager.instance(instance.id).waiting_at == ("b",)


def test_a_write_by_another_host_makes_the_kept_workflow_stale(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Another host's step bumps the revision: this host restores what that host saved."""
    here = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    there = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    try:
        here.deploy(COUNTING)
        instance = here.start("counting", {"counter": 0})
        there.set_variables(instance.id, {"counter": 10, "limit": 5})
        misses = _cache(here).misses
        _complete(here, instance.id)
        assert _cache(here).misses == misses + 1
        assert here.variables(instance.id)["counter"] == 11
        assert there.variables(instance.id)["counter"] == 11
    finally:
        here.close()
        there.close()


def test_a_failed_step_leaves_no_half_run_workflow_behind(manager: LifecycleManager) -> None:
    """A step that fails after its script ran is not kept: the next step starts from what
    was saved, so the count is not applied twice."""
    manager.deploy(COUNTING)
    instance = manager.start("counting", {"counter": 0})
    with pytest.raises(MlcError, match="limit"):
        _complete(manager, instance.id)
    assert manager.variables(instance.id)["counter"] == 0
    manager.set_variables(instance.id, {"limit": 5})
    assert manager.variables(instance.id)["counter"] == 0
    _complete(manager, instance.id)
    assert manager.variables(instance.id)["counter"] == 1
    assert manager.instance(instance.id).waiting_at == ("b",)


def test_kept_workflows_hold_json_values_as_a_restored_one_would(
    manager: LifecycleManager,
) -> None:
    """Values a delegate returned as a tuple or with int keys come back as JSON gives them
    at the next step, kept workflow or not."""
    seen: list[Any] = []
    manager.register_delegate("Make", lambda _ctx: {"pair": (1, 2), "table": {1: "one"}})
    manager.register_delegate("Look", lambda ctx: seen.append(ctx.variables["pair"]) or None)
    manager.register_delegate("Keys", lambda ctx: seen.append(ctx.variables["table"]) or None)
    manager.deploy(
        process(
            START + '<bpmn:serviceTask id="make" camunda:class="Make"/><bpmn:userTask id="a"/>'
            '<bpmn:serviceTask id="look" camunda:class="Look"/>'
            '<bpmn:serviceTask id="keys" camunda:class="Keys"/>'
            + END
            + chain("start", "make", "a", "look", "keys", "end"),
            pid="json_values",
        )
    )
    instance = manager.start("json_values")
    hits = _cache(manager).hits
    _complete(manager, instance.id)
    assert _cache(manager).hits == hits + 1
    assert seen == [[1, 2], {"1": "one"}]


def test_records_handed_out_share_nothing_with_kept_workflows(
    manager: LifecycleManager,
) -> None:
    """Changing a returned instance's nested variables changes nothing the next step saves."""
    manager.deploy(COUNTING)
    instance = manager.start("counting", {"counter": 0, "limit": 5, "model": {"tags": ["a"]}})
    returned = manager.set_variables(instance.id, {"note": "x"})
    returned.variables["model"]["tags"].append("changed by the host")
    manager.set_variables(instance.id, {"note": "y"})
    assert manager.variables(instance.id)["model"] == {"tags": ["a"]}


def test_the_cache_is_bounded(tmp_path: Path, clock: ManualClock) -> None:
    """No more workflows are kept than `workflow_cache_size`."""
    config = ManagerConfig(workflow_cache_size=2)
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock, config=config) as manager:
        manager.deploy(COUNTING)
        for _ in range(5):
            manager.start("counting", {"counter": 0})
        assert len(_cache(manager)) == 2


def test_without_a_cache_every_step_restores(tmp_path: Path, clock: ManualClock) -> None:
    """`workflow_cache_size=0` keeps nothing and runs the same."""
    config = ManagerConfig(workflow_cache_size=0)
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock, config=config) as manager:
        manager.deploy(COUNTING)
        instance = manager.start("counting", {"counter": 0, "limit": 5})
        _complete(manager, instance.id)
        assert _cache(manager).hits == 0
        assert len(_cache(manager)) == 0
        assert manager.variables(instance.id)["counter"] == 1
