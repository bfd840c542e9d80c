"""ModelOp 3.5's delegate catalogue runs against LocalCenter and against RestCenter over HTTP.

Every catalogued delegate (and alias) has a case; each runs in a one-task process on a
manager whose center is LocalCenter, and on one whose center is RestCenter talking to
FakeModelOpCenter. The delegates ModelOp lists that need another system are refused at
deploy, naming the delegate and what to register.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, process
from center.rest_support import run_delegate
from handlers.catalogue_cases import (
    Case,
    _associated,
    _audited,
    _changed_job,
    _changed_model,
    _changed_result,
    _changed_runtime,
    _changed_snapshot,
    _check_asset,
    _check_assets,
    _check_association_made,
    _check_audit_listed,
    _check_audit_patched,
    _check_connector,
    _check_created_deployment,
    _check_deployed,
    _check_deployed_list,
    _check_deployed_one,
    _check_deployed_state,
    _check_downloaded,
    _check_drift_deployments,
    _check_expiration,
    _check_external_file,
    _check_job_created,
    _check_job_field,
    _check_job_status,
    _check_jobs,
    _check_judged,
    _check_model_patched,
    _check_model_updated,
    _check_monitors,
    _check_most_recent_job,
    _check_note_patched,
    _check_note_read,
    _check_notes_listed,
    _check_notifications_from_dmn,
    _check_notifiers,
    _check_parsed,
    _check_prod_ids,
    _check_refreshed,
    _check_result_field,
    _check_result_stored,
    _check_results_read,
    _check_runtime_tags,
    _check_scan,
    _check_schedules,
    _check_snapshot_made,
    _check_snapshot_updated,
    _check_ticket_status,
    _connector_inputs,
    _deployed,
    _deployed_then_associated,
    _deployed_vars,
    _download,
    _external_file,
    _job,
    _job_completes,
    _json_result,
    _note,
    _notification,
    _open_ticket,
    _parse_job,
    _patch_audit,
    _prod_and_dev,
    _refresh,
    _stored_result,
    _ticket,
    _two_jobs,
    _two_results,
    _undeployed,
    _waiting_job,
    _with_additional_assets,
    ids,
)
from handlers.catalogue_world import FAILING, METRICS, World
from mlflow_support import require_mlflow
from modelop_mlc import DiagramError, LifecycleManager
from modelop_mlc.center import MlflowCenter
from modelop_mlc.handlers import delegate_names
from modelop_mlc.handlers._base import CATALOGUE, REFUSED, center_refusal
from modelop_mlc.handlers._modelop35 import MODELOP_35


def _eq(path: str, expected: Any) -> Any:
    def check(world: World, out: dict[str, Any]) -> None:
        found: Any = out
        for part in path.split("."):
            found = found[int(part)] if isinstance(found, list) else found[part]
        value = expected(world) if callable(expected) else expected
        assert found == value, (path, found, value)

    return check


def _all(*checks: Any) -> Any:
    """A check made of several."""

    def check(world: World, out: dict[str, Any]) -> None:
        for each in checks:
            each(world, out)

    return check


def _held(read: Any, path: str, expected: Any) -> Any:
    """Check the center's record (`read(world)`, as JSON) rather than the outputs."""

    def check(world: World, out: dict[str, Any]) -> None:
        _eq(path, expected)(world, read(world))

    return check


def _named(field: str, names: list[str]) -> Any:
    """Check the `name` of each record in an output list."""

    def check(world: World, out: dict[str, Any]) -> None:
        assert [r["name"] for r in out[field]] == names

    return check


def _snap(world: World) -> dict[str, Any]:
    return {"DEPLOYABLE_MODEL": world.snapshot}


def _champion_and_challenger(world: World) -> dict[str, Any]:
    world.center.create_test_result(world.snapshot["id"], {"auc": 0.80, "rmse": 0.3})
    world.center.create_test_result(world.newest["id"], {"auc": 0.85, "rmse": 0.2})
    return {"CHAMPION": world.snapshot["id"], "CHALLENGER": world.newest}


_SNAPSHOT_MADE = Case(
    lambda w: {"STORED_MODEL": {"id": w.model["id"]}, "TAGS": "jira"}, _check_snapshot_made
)
_CONNECTOR = Case(lambda w: {}, _check_connector, _connector_inputs)

CASES: dict[str, Case] = {
    # stored models and audit records
    "GetStoredModelById": Case(
        lambda w: {"ID": w.model["id"]}, _eq("STORED_MODEL.id", lambda w: w.model["id"])
    ),
    "GetStoredModels": Case(
        lambda w: {"TAG": "credit-risk"}, _eq("STORED_MODELS.0.id", lambda w: w.model["id"])
    ),
    "GetStoredModelsByName": Case(
        lambda w: {"NAME": w.name("credit")}, _eq("STORED_MODELS.0.id", lambda w: w.model["id"])
    ),
    "GetStoredModelsByQuery": Case(
        lambda w: {"QUERY": {"modelMetaData.tags": "credit-risk"}},
        _eq("STORED_MODEL_IDS", lambda w: [w.model["id"]]),
    ),
    "UpdateStoredModel": Case(_changed_model, _check_model_updated),
    "PatchStoredModel": Case(
        lambda w: {"STORED_MODEL_ID": w.model["id"], "PATCH": {"useCaseIds": ["uc-7"]}},
        _check_model_patched,
    ),
    "FindStoredModelAssets": Case(
        lambda w: {"STORED_MODEL_ID": w.model["id"], "ASSET_ROLE": "TEST_RESULT_COMPARATOR"},
        _check_assets("ASSETS", ["comparator.dmn"]),
    ),
    "FindAllAuditRecordsForStoredModel": Case(_audited, _check_audit_listed),
    "PatchAuditRecord": Case(_patch_audit, _check_audit_patched),
    # snapshots and associations
    "GetDeployableModelById": Case(
        lambda w: {"ID": w.snapshot["id"]},
        _eq("DEPLOYABLE_MODEL.id", lambda w: w.snapshot["id"]),
    ),
    "GetAllDeployableModels": Case(
        lambda w: {"TAG": "run_test"},
        _eq(
            "DEPLOYABLE_MODELS",
            lambda w: [w.current("newest").to_variable(), w.current().to_variable()],
        ),
    ),
    "GetDeployableModelsByQuery": Case(
        lambda w: {"QUERY": {"tags": "run_test"}},
        _eq("DEPLOYABLE_MODEL_IDS", lambda w: [w.newest["id"], w.snapshot["id"]]),
    ),
    "GetDeployableModelsByTagAndCreatedAfter": Case(
        lambda w: {"TAG": "run_test", "CREATED_AFTER": w.snapshot["createdDate"]},
        _eq("DEPLOYABLE_MODELS", lambda w: [w.current("newest").to_variable()]),
    ),
    "GetAllDeployableModelsWithAssociatedModelRole": Case(
        _associated({"ASSOCIATION_ROLE": "DATA_DRIFT_MODEL"}),
        _eq("DEPLOYABLE_MODELS", lambda w: [w.current().to_variable()]),
    ),
    "GetMostRecentDeployableModelByTag": Case(
        lambda w: {"TAG": "run_test"}, _eq("DEPLOYABLE_MODEL.id", lambda w: w.newest["id"])
    ),
    "GetMostRecentDeployableModelByStoredModel": Case(
        lambda w: {"STORED_MODEL_ID": w.model["id"]},
        _eq("DEPLOYABLE_MODEL.id", lambda w: w.newest["id"]),
    ),
    "GetMostRecentDeployableModelIdByStoredModel": Case(
        lambda w: {"STORED_MODEL": w.model}, _eq("DEPLOYABLE_MODEL_ID", lambda w: w.newest["id"])
    ),
    "GetLatestDashboardSnapshot": Case(
        lambda w: {}, _eq("DEPLOYABLE_MODEL.id", lambda w: w.dashboard["id"])
    ),
    "SnapshotModel": _SNAPSHOT_MADE,
    "CreateDeployableModel": _SNAPSHOT_MADE,
    "UpdateDeployableModel": Case(_changed_snapshot, _check_snapshot_updated),
    "PatchDeployableModel": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "PATCH": {"tags": ["approved"]}},
        _all(
            _eq("DEPLOYABLE_MODEL.tags", ["approved"]),
            _held(lambda w: w.current().to_variable(), "tags", ["approved"]),
        ),
    ),
    "FindDeployableModelAssociatedModels": Case(
        _associated({"DEPLOYABLE_MODEL_ID": None}),
        _eq("ASSOCIATED_MODELS.0.associatedModel.id", lambda w: w.monitor["id"]),
    ),
    "CreateDeployableModelAssociation": Case(
        lambda w: {
            "DEPLOYABLE_MODEL": w.snapshot,
            "ASSOCIATED_MODEL_ID": w.monitor["id"],
            "ASSOCIATION_ROLE": "DATA_DRIFT_MODEL",
        },
        _check_association_made,
    ),
    "AddMonitorsOnSnapshot": Case(
        lambda w: {
            "DEPLOYABLE_MODEL": w.snapshot,
            "MONITORS": f"{w.name('drift-monitor')}, no-such-monitor",
        },
        _check_monitors,
    ),
    "GetDeployedModelSummariesSnapshotIds": Case(
        _deployed({}), _eq("DEPLOYABLE_MODEL_IDS", lambda w: [w.snapshot["id"]])
    ),
    # assets
    "FindDeployableModelAssets": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ASSET_ROLE": "TEST_DATA"},
        _check_assets("ASSETS", ["test.csv"]),
    ),
    "GetFileAssets": Case(_snap, _check_assets("FILE_ASSETS", ["test.csv"])),
    "GetLatestFileAsset": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ASSET_ROLE": "COMPARATOR_DATA"},
        _check_asset("FILE_ASSET", "recent.csv"),
    ),
    "CreateEmptyExternalFileAsset": Case(
        lambda w: {"FILE_NAME": "scores.csv"},
        _all(_eq("FILE_ASSET.fileFormat", "CSV"), _eq("FILE_ASSET.assetRole", "SCORING_OUTPUT")),
    ),
    "CaptureDownloadToAsset": Case(_download, _check_downloaded),
    "GetExternalFileForMocAsset": Case(_external_file, _check_external_file),
    "GetModelRequiredAssets": Case(
        _snap,
        _all(
            _check_assets("INPUT_ASSETS", ["test.csv"]),
            _check_assets("ADDITIONAL_ASSETS", ["recent.csv"]),
        ),
    ),
    "AddReferenceModelAssets": Case(
        lambda w: {"REFERENCE_MODEL": w.newest["id"], "ASSET_ROLES": "TEST_DATA"},
        _check_assets("ADDITIONAL_ASSETS", ["test.csv"]),
    ),
    "FindDeployedModelAdditionalAssets": Case(
        _with_additional_assets, _check_assets("ASSETS", ["baseline.csv"])
    ),
    # jobs and test results
    "CreateModelBatchJob": Case(
        lambda w: {
            "DEPLOYABLE_MODEL": w.snapshot,
            "JOB_TYPE": "MODEL_BATCH_TEST_JOB",
            "ENGINE_INSTANCE": "batch-dev",
        },
        _check_job_created,
    ),
    "GetJob": Case(_job(), _check_job_status("COMPLETE")),
    "WaitForJob": Case(_waiting_job, _check_job_status("COMPLETE"), progress=_job_completes),
    "jobs": Case(_waiting_job, _check_job_status("COMPLETE"), progress=_job_completes),
    "ParseModelTestResultFromBatchJob": Case(_parse_job, _check_parsed),
    "CreateModelTestResult": Case(
        lambda w: {
            "MODEL_TEST_RESULT": {"deployableModelId": w.snapshot["id"], "testResults": METRICS}
        },
        _check_result_stored,
    ),
    "GetJobs": Case(_two_jobs({"JOB_STATUSES": "COMPLETE"}), _check_jobs),
    "GetMostRecentJobByJobStatusesAndJobTypesForDeployableModel": Case(
        _two_jobs({"JOB_STATUSES": ["COMPLETE", "ERROR"], "JOB_TYPES": "MODEL_BATCH_TEST_JOB"}),
        _check_most_recent_job,
    ),
    "UpdateJob": Case(_changed_job, _check_job_field("jobParameters.threshold", 0.7)),
    "PatchJob": Case(
        lambda w: {**_job()(w), "PATCH": {"jobParameters": {"threshold": 0.9}}},
        _check_job_field("jobParameters.threshold", 0.9),
    ),
    "UpdateTargetEngineForJob": Case(
        lambda w: {**_job()(w), "ENGINE_INSTANCE": "online-prod"},
        _check_job_field("targetEngine.name", "online-prod"),
    ),
    "AssignBatchJobToAvailableRuntime": Case(
        _job(), _check_job_field("targetEngine.name", "batch-dev")
    ),
    "CreateModelTestResultFromJson": Case(_json_result, _check_result_stored),
    "UpdateModelTestResult": Case(
        _changed_result, _check_result_field("testResults", {"auc": 0.9})
    ),
    "PatchModelTestResult": Case(
        _stored_result({"PATCH": {"testResultMessage": "reviewed"}}),
        _check_result_field("testResultMessage", "reviewed"),
    ),
    "GetModelTestResult": Case(_two_results, _check_results_read),
    "ModelTestResultEval": Case(_stored_result({"DEPLOYABLE_MODEL": None}), _check_judged),
    "DmnToNotification": Case(
        _stored_result({"DEPLOYABLE_MODEL": None}, FAILING), _check_notifications_from_dmn
    ),
    "DmnToNotifier": Case(_stored_result({"DEPLOYABLE_MODEL": None}, FAILING), _check_notifiers),
    "CompareChampionChallenger": Case(_champion_and_challenger, _eq("CHALLENGER_WINS", True)),
    # runtimes
    "GetRuntimesByTag": Case(
        lambda w: {"TAG": "credit-risk"},
        _named("RUNTIMES", ["batch-dev", "online-prod"]),
    ),
    "GetCompatibleEngine": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "MODEL_STAGE": "PROD"},
        _all(_named("ONLINE_RUNTIMES", ["online-prod"]), _eq("BATCH_RUNTIMES", [])),
    ),
    "StopEngine": Case(
        lambda w: {"ENGINE_INSTANCE": "batch-dev"},
        _all(
            _eq("ENGINE_STATE", "STOPPED"),
            _held(
                lambda w: w.center.get_runtime("batch-dev").to_variable(), "engineState", "STOPPED"
            ),
        ),
    ),
    "GetRuntimeByName": Case(
        lambda w: {"ENGINE_INSTANCE": "online-prod"}, _eq("RUNTIME.name", "online-prod")
    ),
    "UpdateRuntime": Case(_changed_runtime, _check_runtime_tags),
    "PatchEngine": Case(
        lambda w: {"ENGINE_INSTANCE": "batch-dev", "PATCH": {"tags": ["credit-risk", "gpu"]}},
        _check_runtime_tags,
    ),
    # deployments
    "DeployModel": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ENGINE_INSTANCE": "batch-dev"},
        _check_deployed,
    ),
    "GetDeployedModels": Case(_deployed({"TAG": "credit-risk"}), _check_deployed_list),
    "FindMostRecentBatchDeployedModels": Case(
        _deployed({"TAG": "credit-risk", "MODEL_STAGE": "DEV"}), _check_deployed_list
    ),
    "GetMostRecentDeployedModelByTag": Case(_deployed({"TAG": "credit-risk"}), _check_deployed_one),
    "AddDeployedModelSchedules": Case(
        _deployed_vars({"SCHEDULES": [{"cronExpression": "0 30 1 * * ?"}]}), _check_schedules
    ),
    "SetDeployedModelExpiration": Case(
        _deployed_vars({"EXPIRATION_DATE": "2026-04-01T00:00:00+00:00"}), _check_expiration
    ),
    "FindAllDeployedModelsExpiring": Case(_deployed({"DAYS": 30}), _check_deployed_list),
    "CreateDeployedModel": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ENGINE_INSTANCE": "online-prod"},
        _check_created_deployment,
    ),
    "PatchDeployedModel": Case(
        lambda w: {
            **_deployed({})(w),
            "DEPLOYED_MODEL_ID": w.made["deployed"]["id"],
            "PATCH": {"deployedState": "RETIRED"},
        },
        _check_deployed_state("RETIRED"),
    ),
    "UpdateDeployedStateForDeployableModel": Case(
        lambda w: {**_deployed({})(w), "DEPLOYABLE_MODEL": w.snapshot, "STATE": "UNDEPLOYED"},
        _check_deployed_state("UNDEPLOYED"),
    ),
    "GetLatestDeployedModelByTag": Case(_undeployed({"TAG": "credit-risk"}), _check_deployed_one),
    "GetMostRecentDeployedModelForDeployableModelByState": Case(
        lambda w: {
            **_deployed({})(w),
            "DEPLOYABLE_MODEL_ID": w.snapshot["id"],
            "STATE": "DEPLOYED",
        },
        _check_deployed_one,
    ),
    "GetDeployedModelsByRuntimeNameAndState": Case(
        _deployed({"ENGINE_INSTANCE": "batch-dev", "STATE": "DEPLOYED"}), _check_deployed_list
    ),
    "GetDeployedModelsWithStateAndDeployableAssociatedRole": Case(
        _deployed_then_associated, _check_drift_deployments
    ),
    "FindAllDeployedModelsExpiringByDeployableModel": Case(
        lambda w: {**_deployed({})(w), "DEPLOYABLE_MODEL": w.snapshot, "DAYS": 30},
        _check_deployed_list,
    ),
    "RefreshDeployedModelsByDeployableModel": Case(_refresh, _check_refreshed),
    "GetDeployedModelAndDeployableModelIdsInProd": Case(_prod_and_dev, _check_prod_ids),
    # notifications
    "GetNotificationById": Case(_note, _check_note_read),
    "GetAllNotificationsByTypeAndSeverity": Case(
        lambda w: {**_note(w), "TYPE": "job", "SEVERITY": "ERROR"}, _check_notes_listed
    ),
    "PatchNotification": Case(
        lambda w: {**_note(w), "PATCH": {"open": False}}, _check_note_patched
    ),
    # no center
    "http-connector": _CONNECTOR,
    "HttpRequest": _CONNECTOR,
    "httpConnector": _CONNECTOR,
    "RunSecurityScan": Case(_snap, _check_scan),
    "WaitForTicketStatus": Case(_open_ticket, _check_ticket_status),
}
for _name, _kind in {
    "CreateNotification": "PROCESS",
    "CreateProcessNotification": "PROCESS",
    "CreateJobNotification": "JOB",
    "CreateModelNotification": "MODEL",
    "CreateModelTestNotification": "TEST",
    "CreateModelReviewNotification": "MODEL_REVIEW",
    "CreateModelApprovalNotification": "MODEL_APPROVAL",
    "CreateModelChangeNotification": "MODEL_CHANGE",
    "CreateModelRiskNotification": "MODEL_RISK",
    "CreateRuntimeNotification": "RUNTIME",
}.items():
    CASES[_name] = Case(
        lambda w: {
            "DEPLOYABLE_MODEL": w.snapshot,
            "NOTIFICATION_MESSAGE": "hello",
            "NOTIFICATION_SEVERITY": "warning",
        },
        _notification(_kind),
    )
for _system in ("Jira", "ServiceNow"):
    for _suffix, _ticket_kind in {
        "ModelApproval": "model_approval",
        "ModelReview": "model_review",
        "ModelDocumentReview": "model_review",
        "TestReview": "test_review",
        "JobNotification": "job_failure",
        "ModelNotification": "notification",
        "StoredModelNotification": "notification",
        "SimpleNotification": "notification",
    }.items():
        CASES[f"Create{_system}{_suffix}"] = Case(
            lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "NOTIFICATION_MESSAGE": "hello"},
            _ticket(_ticket_kind),
        )


def _without_none(variables: dict[str, Any], world: World) -> dict[str, Any]:
    """Cases write `None` for 'the snapshot's id' or 'the snapshot' where that is all."""
    filled = dict(variables)
    for name, value in variables.items():
        if value is None and name == "DEPLOYABLE_MODEL_ID":
            filled[name] = world.snapshot["id"]
        elif value is None and name == "DEPLOYABLE_MODEL":
            filled[name] = world.snapshot
    return filled


def test_every_catalogued_delegate_has_a_case() -> None:
    """The cases cover every name and alias in the catalogue, and no other."""
    assert (
        sorted(set(delegate_names()) - set(CASES)),
        sorted(set(CASES) - set(delegate_names())),
    ) == ([], [])


SPECS = {n: spec for spec in CATALOGUE for n in (spec.name, *spec.aliases)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_delegate_runs_and_writes_its_outputs(world: World, name: str) -> None:
    """On each center the delegate runs, writes ModelOp's outputs and acts, or is refused.

    A delegate needing a capability the center lacks (MlflowCenter has no RecordEditing,
    DeploymentRecords or AuditTrail), or one the center names as beyond its records
    (`MlflowCenter.refused_delegates`), is refused at deploy, saying why.
    """
    reason = center_refusal(SPECS[name], world.center)
    if reason is not None:
        assert world.kind == "mlflow", reason
        with pytest.raises(DiagramError) as caught:
            run_delegate(world.manager, name, {})
        (problem,) = caught.value.problems
        assert problem.element_id == "task"
        assert f"ModelOp's delegate {SPECS[name].name} " in problem.message
        assert "MlflowCenter" in problem.message
        assert f'@manager.delegate("{SPECS[name].name}")' in problem.message
        return
    case = CASES[name]
    variables = _without_none(case.variables(world), world)
    inputs = case.inputs(world) if case.inputs is not None else ""
    step = case.progress
    out = run_delegate(
        world.manager,
        name,
        variables,
        inputs=inputs,
        progress=(lambda: step(world)) if step is not None else None,
    )
    for output in MODELOP_35.get(name, ()):
        assert output in out, f"{name} did not write {output}"
    case.check(world, out)
    assert world.fake.errors == []


def test_modelop_35s_list_is_covered_run_or_refused() -> None:
    """Each of ModelOp 3.5's 116 delegates is catalogued with its outputs, or refused."""
    specs = {n: s for s in CATALOGUE for n in (s.name, *s.aliases)}
    refused = {r.name for r in REFUSED}
    assert len(MODELOP_35) == 116
    for name, outputs in MODELOP_35.items():
        assert (name in specs) != (name in refused), name
        declared = (
            specs[name].outputs
            if name in specs
            else next(r.outputs for r in REFUSED if r.name == name)
        )
        assert set(outputs) <= set(declared), (name, outputs, declared)


REFUSED_NAMES = sorted(r.name for r in REFUSED)


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_a_delegate_needing_another_system_is_refused_at_deploy(world: World, name: str) -> None:
    """Deploying a diagram that names it fails, naming it and what to register instead."""
    xml = process(
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:serviceTask id="task" camunda:class="com.modelop.mlc.delegate.modelop.{name}"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "task", "end"),
        pid="refused",
    )
    with pytest.raises(DiagramError) as caught:
        world.manager.deploy(xml)
    (problem,) = caught.value.problems
    assert problem.element_id == "task"
    assert f"ModelOp's delegate {name} needs" in problem.message
    assert f'@manager.delegate("{name}")' in problem.message


def test_registering_a_refused_delegate_lifts_the_refusal(world: World) -> None:
    """Your own CreateJenkinsJob deploys and runs; its outputs are yours."""
    manager: LifecycleManager = world.manager
    manager.register_delegate("CreateJenkinsJob", lambda ctx: {"JOB": {"id": "jenkins-1"}})
    out = run_delegate(manager, "CreateJenkinsJob", {})
    assert out["JOB"] == {"id": "jenkins-1"}


def test_get_deployable_model_by_id_prefers_modelops_id_input(world: World) -> None:
    """`ID` (what ModelOp's drift MLC passes) wins over a `MODEL_ID` variable."""
    out = run_delegate(
        world.manager,
        "GetDeployableModelById",
        {"MODEL_ID": world.snapshot["id"]},
        inputs=f'<camunda:inputParameter name="ID">{world.monitor["id"]}</camunda:inputParameter>',
    )
    assert out["DEPLOYABLE_MODEL"]["id"] == world.monitor["id"]
    fallback = run_delegate(
        world.manager, "GetDeployableModelById", {"MODEL_ID": world.newest["id"]}
    )
    assert fallback["DEPLOYABLE_MODEL"]["id"] == world.newest["id"]


def test_query_results_are_ids_in_the_centers_order(world: World) -> None:
    """A query matching nothing gives an empty list, not an error."""
    out = run_delegate(
        world.manager, "GetStoredModelsByQuery", {"QUERY": {"modelMetaData.type": "R"}}
    )
    assert out["STORED_MODEL_IDS"] == []
    listed = run_delegate(world.manager, "GetStoredModels", {})
    assert world.model["id"] in ids(listed["STORED_MODELS"])
    assert json.dumps(listed)


def test_your_own_delegate_lifts_a_capability_refusal(tmp_path: Path) -> None:
    """On MlflowCenter PatchJob is refused at deploy; registering your own PatchJob deploys."""
    require_mlflow()
    xml = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="task" camunda:class="com.modelop.mlc.delegate.modelop.PatchJob"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "task", "end"),
        pid="patch_job",
    )
    center = MlflowCenter("http://127.0.0.1:9")  # deploying asks nothing of MLflow
    manager = LifecycleManager.open(tmp_path / "m.db", center=center)
    try:
        with pytest.raises(DiagramError, match="offers RecordEditing, which MlflowCenter"):
            manager.deploy(xml)
        manager.register_delegate("PatchJob", lambda ctx: {"JOB": {"id": "j1"}})
        (definition,) = manager.deploy(xml).definitions
        assert definition.key == "patch_job"
    finally:
        manager.close()
