"""One case per catalogued delegate: the variables it is given and what must hold after.

Each check reads the delegate's outputs and, where the delegate changes something, the
center's own state through its port. The suite (test_catalogue.py) also requires every
output ModelOp 3.5 lists for the delegate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.catalogue_world import METRICS, World
from modelop_mlc.tickets import TicketContext, TicketKind
from modelop_mlc.tickets.local import LocalTickets

Variables = Callable[[World], dict[str, Any]]
Check = Callable[[World, dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    """How to run one delegate and what it must have done."""

    variables: Variables
    check: Check
    inputs: Callable[[World], str] | None = None
    progress: Callable[[World], None] | None = None


def ids(records: list[dict[str, Any]]) -> list[str]:
    """The ids of records, in order."""
    return [r["id"] for r in records]


def _job(status: str = "COMPLETE", result: Any = None) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["job"] = world.job(status, result)
        return {"JOB_ID": world.made["job"]["id"]}

    return make


def _deployed(extra: dict[str, Any], runtime: str = "batch-dev") -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["deployed"] = world.deployed(runtime=runtime)
        return dict(extra)

    return make


def _audited(world: World) -> dict[str, Any]:
    world.center.patch_stored_model(world.model["id"], {"useCaseIds": ["uc-1"]})
    records = world.center.find_audit_records(world.model["id"])
    world.made["audit"] = next(
        r for r in records if any(c.get("path") == "/useCaseIds" for c in r.changes)
    )
    return {"STORED_MODEL_ID": world.model["id"]}


def _check_audit_listed(world: World, out: dict[str, Any]) -> None:
    assert world.made["audit"].id in ids(out["AUDIT_RECORDS"])


def _patch_audit(world: World) -> dict[str, Any]:
    _audited(world)
    return {"AUDIT_RECORD_ID": world.made["audit"].id, "PATCH": {"metaData": {"note": "ok"}}}


def _check_audit_patched(world: World, out: dict[str, Any]) -> None:
    assert out["AUDIT_RECORD"]["metaData"] == {"note": "ok"}
    held = {r.id: r for r in world.center.find_audit_records(world.model["id"])}
    assert held[world.made["audit"].id].meta_data == {"note": "ok"}


def _changed_model(world: World) -> dict[str, Any]:
    model = dict(world.model)
    model["modelMetaData"] = {**model["modelMetaData"], "description": "v2"}
    return {"STORED_MODEL": model}


def _check_model_updated(world: World, out: dict[str, Any]) -> None:
    assert out["STORED_MODEL"]["modelMetaData"]["description"] == "v2"
    model = world.center.get_stored_model(world.model["id"])
    assert model.model_meta_data.description == "v2"


def _check_model_patched(world: World, out: dict[str, Any]) -> None:
    assert out["STORED_MODEL"]["useCaseIds"] == ["uc-7"]
    assert world.center.get_stored_model(world.model["id"]).to_variable()["useCaseIds"] == ["uc-7"]


def _changed_snapshot(world: World) -> dict[str, Any]:
    return {"DEPLOYABLE_MODEL": {**world.snapshot, "custom": {"reviewed": True}}}


def _check_snapshot_updated(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYABLE_MODEL"]["custom"] == {"reviewed": True}
    assert world.current().custom == {"reviewed": True}


def _check_snapshot_made(world: World, out: dict[str, Any]) -> None:
    made = out["DEPLOYABLE_MODEL"]
    assert made["tags"] == ["jira"]
    assert world.center.get_deployable_model(made["id"]).stored_model.id == world.model["id"]


def _associated(extra: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.associate_monitor()
        return dict(extra)

    return make


def _check_association_made(world: World, out: dict[str, Any]) -> None:
    made = out["MODEL_ASSOCIATION"]
    assert (made["associationRole"], made["associatedModel"]["id"]) == (
        "DATA_DRIFT_MODEL",
        world.monitor["id"],
    )
    (held,) = world.current().associated_models
    assert held.associated_model is not None
    assert held.associated_model.id == world.monitor["id"]


def _check_monitors(world: World, out: dict[str, Any]) -> None:
    assert (out["ADDED_MONITOR_NAMES"], out["FAILED_TO_ADD_MONITOR_NAMES"]) == (
        [world.name("drift-monitor")],
        ["no-such-monitor"],
    )
    (held,) = world.current().associated_models
    assert held.association_role == "DATA_DRIFT_MODEL"


def _check_asset(field: str, filename: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        assert out[field]["filename"] == filename

    return check


def _check_assets(field: str, filenames: list[str]) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        assert [a["filename"] for a in out[field]] == filenames

    return check


def _download(world: World) -> dict[str, Any]:
    return {"URL": world.download_url("export.csv", "a,b\n1,2\n"), "ASSET_ROLE": "TEST_DATA"}


def _check_downloaded(world: World, out: dict[str, Any]) -> None:
    asset = out["FILE_ASSET"]
    assert (asset["filename"], asset["fileContent"], asset["fileFormat"]) == (
        "export.csv",
        "a,b\n1,2\n",
        "CSV",
    )
    assert asset["assetRole"] == "TEST_DATA"


def _external_file(world: World) -> dict[str, Any]:
    if world.kind == "local":
        return {"ASSET": {"filename": "notes.txt", "fileContent": "hello"}}
    return {"ASSET": {"assetType": "EXTERNAL_FILE", "fileUrl": "s3://b/notes.txt"}}


def _check_external_file(world: World, out: dict[str, Any]) -> None:
    asset = out["EXTERNAL_FILE_ASSET"]
    assert asset["assetType"] == "EXTERNAL_FILE"
    if world.kind == "local":
        assert Path(asset["fileUrl"].removeprefix("file://")).read_text() == "hello"
    else:
        assert asset["fileUrl"] == "s3://b/notes.txt"


def _with_additional_assets(world: World) -> dict[str, Any]:
    world.made["deployed"] = world.deployed()
    world.center.patch_deployed_model(
        world.made["deployed"]["id"],
        {"additionalAssets": [{"filename": "baseline.csv", "assetRole": "BASELINE_DATA"}]},
    )
    return {"DEPLOYED_MODEL_ID": world.made["deployed"]["id"]}


def _check_job_created(world: World, out: dict[str, Any]) -> None:
    job = world.center.get_job(out["JOB_ID"])
    assert (out["JOB"]["id"], job.job_type, job.engine_name) == (
        job.id,
        "MODEL_BATCH_TEST_JOB",
        "batch-dev",
    )
    assert job.snapshot.id == world.snapshot["id"]


def _check_job_status(status: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        assert (out["JOB"]["id"], out["JOB"]["jobStatus"]) == (world.made["job"]["id"], status)

    return check


def _waiting_job(world: World) -> dict[str, Any]:
    world.made["job"] = world.job("RUNNING")
    return {"JOB_ID": world.made["job"]["id"], "POLL_INTERVAL": 30}


def _job_completes(world: World) -> None:
    world.set_job(world.made["job"]["id"], {"jobStatus": "COMPLETE"})


def _parse_job(world: World) -> dict[str, Any]:
    world.made["job"] = world.job("COMPLETE", [METRICS])
    return {"MODEL_BATCH_JOB": {"id": world.made["job"]["id"]}}


def _check_parsed(world: World, out: dict[str, Any]) -> None:
    assert out["MODEL_TEST_RESULT"]["testResults"] == METRICS
    assert out["MODEL_TEST_RESULTS"] == [out["MODEL_TEST_RESULT"]]


def _check_result_stored(world: World, out: dict[str, Any]) -> None:
    stored = world.center.find_test_results(world.snapshot["id"])
    assert ids([r.to_variable() for r in stored]) == [out["MODEL_TEST_RESULT"]["id"]]
    assert stored[0].test_results == METRICS


def _two_jobs(extra: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["done"] = world.job("COMPLETE")
        world.made["failed"] = world.job("ERROR")
        return {"DEPLOYABLE_MODEL_ID": world.snapshot["id"], **extra}

    return make


def _check_jobs(world: World, out: dict[str, Any]) -> None:
    assert ids(out["JOBS"]) == [world.made["done"]["id"]]


def _check_most_recent_job(world: World, out: dict[str, Any]) -> None:
    assert out["JOB"]["id"] == world.made["failed"]["id"]


def _changed_job(world: World) -> dict[str, Any]:
    job = world.job()
    world.made["job"] = job
    return {"JOB": {**job, "jobParameters": {"threshold": 0.7}}}


def _check_job_field(path: str, value: Any) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        held = world.center.get_job(world.made["job"]["id"]).to_variable()
        for variables in (out["JOB"], held):
            found: Any = variables
            for part in path.split("."):
                found = found[part]
            assert found == value

    return check


def _json_result(world: World) -> dict[str, Any]:
    return {"JSON": json.dumps([METRICS]), "DEPLOYABLE_MODEL_ID": world.snapshot["id"]}


def _stored_result(extra: dict[str, Any] | None = None, metrics: Any = None) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["result"] = world.result(metrics)
        return {"MODEL_TEST_RESULT": world.made["result"], **(extra or {})}

    return make


def _check_result_field(field: str, value: Any) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        assert out["MODEL_TEST_RESULT"][field] == value
        held = world.center.get_test_result(world.made["result"]["id"])
        assert held.to_variable()[field] == value

    return check


def _changed_result(world: World) -> dict[str, Any]:
    world.made["result"] = world.result()
    return {"MODEL_TEST_RESULT": {**world.made["result"], "testResults": {"auc": 0.9}}}


def _two_results(world: World) -> dict[str, Any]:
    world.made["first"] = world.result({"auc": 0.8})
    world.made["second"] = world.result({"auc": 0.9})
    return {"DEPLOYABLE_MODEL_ID": world.snapshot["id"]}


def _check_results_read(world: World, out: dict[str, Any]) -> None:
    assert out["MODEL_TEST_RESULT"]["id"] == world.made["second"]["id"]
    assert out["MODEL_TEST_RESULT_IDS"] == [world.made["second"]["id"], world.made["first"]["id"]]


def _check_judged(world: World, out: dict[str, Any]) -> None:
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (True, True)
    held = world.center.get_test_result(world.made["result"]["id"])
    assert held.test_result_passed is True


def _check_notifications_from_dmn(world: World, out: dict[str, Any]) -> None:
    messages = sorted(n["message"] for n in out["NOTIFICATIONS"])
    assert any(m.startswith("Performance: AUC") for m in messages)
    assert all(n["type"] == "TEST" and n["severity"] == "ERROR" for n in out["NOTIFICATIONS"])
    held = {n.id for n in world.center.find_notifications(type="TEST")}
    assert set(ids(out["NOTIFICATIONS"])) <= held


def _check_notifiers(world: World, out: dict[str, Any]) -> None:
    assert any(row.get("passes") is False for row in out["NOTIFIERS"])


def _check_runtime_tags(world: World, out: dict[str, Any]) -> None:
    assert out["RUNTIME"]["tags"] == ["credit-risk", "gpu"]
    assert world.center.get_runtime("batch-dev").tags == ["credit-risk", "gpu"]


def _changed_runtime(world: World) -> dict[str, Any]:
    runtime = world.center.get_runtime("batch-dev").to_variable()
    return {"RUNTIME": {**runtime, "tags": ["credit-risk", "gpu"]}}


def _check_deployed(world: World, out: dict[str, Any]) -> None:
    made = world.deployment(out["DEPLOYED_MODEL"]["id"])
    assert (made.deployable_model.id, made.target.name, made.kind) == (
        world.snapshot["id"],
        "batch-dev",
        "BATCH",
    )


def _check_deployed_list(world: World, out: dict[str, Any]) -> None:
    assert ids(out["DEPLOYED_MODELS"]) == [world.made["deployed"]["id"]]


def _check_deployed_one(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL"]["id"] == world.made["deployed"]["id"]


def _check_deployed_state(state: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        assert out["DEPLOYED_MODEL"]["deployedState"] == state
        assert world.deployment(world.made["deployed"]["id"]).deployed_state == state

    return check


def _undeployed(extra: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["deployed"] = world.deployed()
        world.center.patch_deployed_model(
            world.made["deployed"]["id"], {"deployedState": "UNDEPLOYED"}
        )
        return dict(extra)

    return make


def _deployed_then_associated(world: World) -> dict[str, Any]:
    world.made["deployed"] = world.deployed()
    world.associate_monitor()
    return {"STATE": "DEPLOYED", "ASSOCIATION_ROLE": "DATA_DRIFT_MODEL"}


def _check_drift_deployments(world: World, out: dict[str, Any]) -> None:
    (found,) = out["DEPLOYED_MODELS"]
    assert found["id"] == world.made["deployed"]["id"]
    (association,) = found["deployableModel"]["associatedModels"]
    assert association["associatedModel"]["id"] == world.monitor["id"]


def _refresh(world: World) -> dict[str, Any]:
    world.made["deployed"] = world.deployed()
    world.center.patch_deployable_model(world.snapshot["id"], {"tags": ["refreshed"]})
    return {"DEPLOYABLE_MODEL_ID": world.snapshot["id"]}


def _check_refreshed(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL_IDS"] == [world.made["deployed"]["id"]]
    deployed = world.deployment(world.made["deployed"]["id"])
    assert deployed.deployable_model.tags == ["refreshed"]


def _prod_and_dev(world: World) -> dict[str, Any]:
    world.made["prod"] = world.deployed(runtime="online-prod")
    world.made["dev"] = world.deployed("newest", "batch-dev")
    return {}


def _check_prod_ids(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL_AND_DEPLOYABLE_MODEL_IDS"] == [
        {"deployedModelId": world.made["prod"]["id"], "deployableModelId": world.snapshot["id"]}
    ]


def _check_schedules(world: World, out: dict[str, Any]) -> None:
    crons = [s["cronExpression"] for s in out["DEPLOYED_MODEL"]["schedules"]]
    assert crons == ["0 0 2 * * ?", "0 30 1 * * ?"]
    assert len(world.deployment(world.made["deployed"]["id"]).schedules) == 2


def _deployed_vars(extra: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["deployed"] = world.deployed()
        return {"DEPLOYED_MODEL": world.made["deployed"], **extra}

    return make


def _check_expiration(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL"]["expirationDate"].startswith("2026-04-01")


def _check_created_deployment(world: World, out: dict[str, Any]) -> None:
    if world.kind == "rest":  # sent with ModelOp's name for the runtime
        assert "engine" in world.fake.documents("deployedModels")[-1]
    made = world.deployment(out["DEPLOYED_MODEL"]["id"])
    assert (made.target.name, made.kind, made.deployable_model.id) == (
        "online-prod",
        "ONLINE",
        world.snapshot["id"],
    )


def _notification(kind: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        note = world.center.get_notification(out["NOTIFICATION"]["id"])
        assert (note.type, note.severity, note.message) == (kind, "WARNING", "hello")
        assert note.model_id == world.snapshot["id"]

    return check


def _note(world: World) -> dict[str, Any]:
    made = world.center.create_notification(
        "job failed", type="JOB", severity="ERROR", model_id=world.snapshot["id"]
    )
    world.made["note"] = made.to_variable()
    world.center.create_notification("all good", type="JOB", severity="INFO")
    return {"NOTIFICATION_ID": made.id}


def _check_note_read(world: World, out: dict[str, Any]) -> None:
    assert out["NOTIFICATION"]["id"] == world.made["note"]["id"]


def _check_notes_listed(world: World, out: dict[str, Any]) -> None:
    assert ids(out["NOTIFICATIONS"]) == [world.made["note"]["id"]]


def _check_note_patched(world: World, out: dict[str, Any]) -> None:
    assert out["NOTIFICATION"]["open"] is False
    held = world.center.get_notification(world.made["note"]["id"]).to_variable()
    assert held["open"] is False


def _check_connector(world: World, out: dict[str, Any]) -> None:
    assert out["statusCode"] == 200
    names = [r["name"] for r in out["response"]["_embedded"]["runtimes"]]
    # The fake serves the REST world's center; the local world's fake is empty.
    assert names == (["batch-dev", "online-prod"] if world.kind == "rest" else [])


def _connector_inputs(world: World) -> str:
    return (
        f'<camunda:inputParameter name="url">{world.fake.url}/model-manage/api/runtimes'
        '</camunda:inputParameter><camunda:inputParameter name="headers"><camunda:map>'
        '<camunda:entry key="Authorization">Bearer static-token</camunda:entry>'
        "</camunda:map></camunda:inputParameter>"
    )


def _check_scan(world: World, out: dict[str, Any]) -> None:
    assert out["SECURITY_SCAN"]["passed"] is False
    assert any(f["test_id"] == "B602" for f in out["SECURITY_SCAN"]["findings"])


def _ticket(kind: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        board = world.manager.tickets.local
        assert isinstance(board, LocalTickets)
        ticket = board.get(out["NEW_NOTIFICATION"]["key"])
        assert (ticket.kind, out["NEW_NOTIFICATION"]["system"]) == (kind, "local")
        assert "hello" in board.description(ticket.key)

    return check


def _open_ticket(world: World) -> dict[str, Any]:
    board = world.manager.tickets.local
    assert isinstance(board, LocalTickets)
    ticket = board.create(
        TicketKind.NOTIFICATION, TicketContext(message="hi"), idempotency_key="case"
    )
    world.made["ticket"] = ticket.key
    return {"TICKET_KEY": ticket.key, "STATUSES": ticket.status}


def _check_ticket_status(world: World, out: dict[str, Any]) -> None:
    assert out["TICKET"]["key"] == world.made["ticket"]
