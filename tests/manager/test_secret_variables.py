"""History records secret-named variables as `***` (issue 25, item 10)."""

from __future__ import annotations

from pathlib import Path

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.config import is_secret_name

WAIT = process(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="w"/><bpmn:endEvent id="end"/>'
    + chain("start", "w", "end"),
    pid="p",
)


def test_history_masks_secret_names_and_keeps_other_values(manager: LifecycleManager) -> None:
    """JIRA_PASSWORD and apiToken are `***` in history; MODEL_NAME keeps its value."""
    manager.deploy(WAIT)
    values = {"JIRA_PASSWORD": "JiraPassw0rd-1", "apiToken": "tok-99", "MODEL_NAME": "credit"}
    instance = manager.start("p", values)
    (task,) = manager.tasks(instance_id=instance.id)
    manager.complete_task(task.id, {"SN_CLIENT_SECRET": "sn-secret-5"})
    history = manager.history(instance.id)
    recorded = [h.detail["values"] for h in history if h.kind == "variable_update"]
    assert recorded[0] == {"JIRA_PASSWORD": "***", "MODEL_NAME": "credit", "apiToken": "***"}
    assert recorded[1] == {"SN_CLIENT_SECRET": "***"}
    for secret in ("JiraPassw0rd-1", "tok-99", "sn-secret-5"):
        assert secret not in repr(history)


def test_the_patterns_are_configurable(tmp_path: Path) -> None:
    """`secret_variables=("*PIN*",)` masks PIN_CODE and no longer masks a password."""
    config = ManagerConfig(secret_variables=("*PIN*",))
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.deploy(WAIT)
        instance = manager.start("p", {"PIN_CODE": "1234", "PASSWORD": "visible"})
        (update,) = [h for h in manager.history(instance.id) if h.kind == "variable_update"]
    assert update.detail["values"] == {"PASSWORD": "visible", "PIN_CODE": "***"}


def test_secret_names_match_whatever_the_case() -> None:
    """The default patterns catch the usual spellings and nothing else."""
    assert all(map(is_secret_name, ["password", "JIRA_PASSWORD", "x_token", "ClientSecret"]))
    assert not any(map(is_secret_name, ["MODEL_NAME", "count", "PASS"]))
