"""Every ModelOp delegate in the catalogue, run by a manager whose center is RestCenter.

The center is FakeModelOpCenter on 127.0.0.1; the delegates, the manager and the HTTP client
are the real ones. Also: an MLC end to end, outages longer than the in-call retries, and
revoked credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bpmn_xml import chain, flow, process
from center.rest_support import (
    API,
    START,
    Sleeper,
    calls,
    rest_center,
    run_delegate,
)
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.domain import DeployableModel, JobType
from modelop_mlc.handlers import delegate_names
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter
from modelop_mlc.tickets.local import LocalTickets

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "models" / "credit_model"
DOCS = ROOT / "docs" / "modelop-center.md"
STATIC_TOKEN = "static-token-for-the-http-connector"
METRICS = {"auc": 0.85, "f1_score": 0.7, "pprev_disparity": 1.0, "min_ks_p_value": 0.5}
RISKY = "import subprocess\n\n# modelop.score\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="sleeper")
def _sleeper(clock: ManualClock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=clock.now, token_ttl=3600, tokens=[STATIC_TOKEN]) as fake:
        yield fake


@pytest.fixture(name="center")
def _center(fake: FakeModelOpCenter, clock: ManualClock, sleeper: Sleeper) -> Iterator[RestCenter]:
    with rest_center(fake, clock, sleeper) as center:
        yield center


@pytest.fixture(name="manager")
def _manager(tmp_path: Path, clock: ManualClock, center: RestCenter) -> Iterator[LifecycleManager]:
    config = ManagerConfig(
        secrets={"MOC_AUTH": SecretStr(f"Bearer {STATIC_TOKEN}")},
        secret_hosts={"MOC_AUTH": ["127.0.0.1"]},
    )
    manager = LifecycleManager.open(tmp_path / "m.db", clock=clock, center=center, config=config)
    yield manager
    manager.close()


@dataclass
class World:
    """What the center holds before a delegate runs, and handles on the test's parts."""

    fake: FakeModelOpCenter
    center: RestCenter
    manager: LifecycleManager
    clock: ManualClock
    model: dict[str, Any]
    snapshot: dict[str, Any]
    newest: dict[str, Any]
    made: dict[str, Any] = field(default_factory=dict)

    def job(self, status: str = "CREATED", result: Any = None) -> dict[str, Any]:
        """A test job of the snapshot on the fake, moved to `status`."""
        snapshot = DeployableModel.from_variable(self.snapshot)
        job = self.center.create_batch_job(
            snapshot,
            JobType.MODEL_BATCH_TEST_JOB,
            inputs=snapshot.deployable_model_assets[1:2],
            runtime="batch-dev",
        )
        if status != "CREATED":
            self.fake.set_job_status(job.id, status, result=result)
        return self.center.get_job(job.id).to_variable()

    def deployed(self) -> dict[str, Any]:
        """The snapshot deployed to batch-dev, with a schedule and an expiration date."""
        snapshot = DeployableModel.from_variable(self.snapshot)
        deployed = self.center.deploy_model(snapshot, self.center.get_runtime("batch-dev"))
        return self.center.patch_deployed_model(
            deployed.id,
            {
                "schedules": [{"cronExpression": "0 0 2 * * ?"}],
                "expirationDate": (START + timedelta(days=10)).isoformat(),
            },
        ).to_variable()


@pytest.fixture(name="world")
def _world(
    fake: FakeModelOpCenter, center: RestCenter, manager: LifecycleManager, clock: ManualClock
) -> World:
    fake.add_runtime("batch-dev", tags=["credit-risk"], stage="DEV")
    fake.add_runtime(
        "online-prod",
        tags=["credit-risk"],
        stage="PROD",
        endpoints=[{"type": "REST", "url": "http://scoring/credit"}],
    )
    source_url = fake.add_external_file("credit/model.py", RISKY)
    model = fake.add_stored_model(
        "credit",
        tags=["credit-risk"],
        assets=[
            {
                "name": "model source",
                "filename": "model.py",
                "assetRole": "MODEL_SOURCE",
                "fileUrl": source_url,
            },
            {
                "name": "test.csv",
                "filename": "test.csv",
                "assetRole": "TEST_DATA",
                "fileFormat": "CSV",
                "fileContent": "x,label\n1,0\n",
            },
            {
                "name": "comparator.dmn",
                "filename": "comparator.dmn",
                "assetRole": "DMN",
                "fileContent": (EXAMPLE / "comparator.dmn").read_text(),
            },
        ],
    )
    snapshot = fake.add_snapshot(model["id"], tags=["run_test"])
    clock.advance(timedelta(seconds=1))
    newest = fake.add_snapshot(model["id"], tags=["run_test"])
    clock.advance(timedelta(seconds=1))
    return World(fake, center, manager, clock, model, snapshot, newest)


# -- the cases: inputs, and what must be true afterwards --------------------------------------

Variables = Callable[[World], dict[str, Any]]
Check = Callable[[World, dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    """How to run one delegate and what it must have done.

    `calls` are "METHOD /path" prefixes the delegate must have sent to the center (none
    listed: it must send nothing). `inputs` are camunda:inputParameter elements.
    """

    variables: Variables
    check: Check
    calls: tuple[str, ...] = ()
    inputs: Callable[[World], str] | None = None
    progress: Callable[[World], None] | None = None


def _snapshot_vars(world: World) -> dict[str, Any]:
    return {"DEPLOYABLE_MODEL": world.snapshot}


def _check_stored(world: World, out: dict[str, Any]) -> None:
    assert out["STORED_MODEL"]["modelMetaData"]["name"] == "credit"


def _check_snapshot(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYABLE_MODEL"]["id"] == world.snapshot["id"]
    assert out["STORED_MODEL"]["id"] == world.model["id"]


def _check_newest(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYABLE_MODEL"]["id"] == world.newest["id"]


def _check_snapshot_made(world: World, out: dict[str, Any]) -> None:
    made = out["DEPLOYABLE_MODEL"]
    assert made["tags"] == ["jira"]
    assert made["version"] == 3
    assert made["custom"]["mlcIdempotencyKey"]
    assert [s["id"] for s in world.fake.snapshots][-1] == made["id"]


def _check_patched(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYABLE_MODEL"]["tags"] == ["approved"]
    assert world.fake.snapshots[0]["tags"] == ["approved"]


def _check_assets(world: World, out: dict[str, Any]) -> None:
    assert [a["filename"] for a in out["ASSETS"]] == ["comparator.dmn"]


def _check_file_assets(world: World, out: dict[str, Any]) -> None:
    assert out["FILE_ASSET"]["filename"] == "test.csv"
    assert len(out["FILE_ASSETS"]) == 1


def _check_output_asset(world: World, out: dict[str, Any]) -> None:
    assert (out["FILE_ASSET"]["fileFormat"], out["FILE_ASSET"]["assetRole"]) == (
        "JSON",
        "SCORING_OUTPUT",
    )


def _check_job_created(world: World, out: dict[str, Any]) -> None:
    (job,) = world.fake.jobs
    assert out["JOB"]["jobStatus"] == "CREATED"
    assert out["JOB_ID"] == job["id"]
    assert job["model"]["id"] == world.snapshot["id"]
    assert job["targetEngine"] == {"name": "batch-dev"}
    assert [a["filename"] for a in job["inputData"]] == ["test.csv"]


def _job_id(world: World) -> dict[str, Any]:
    world.made["job"] = world.job("COMPLETE", result=[METRICS])
    return {"JOB_ID": world.made["job"]["id"]}


def _check_job_read(world: World, out: dict[str, Any]) -> None:
    assert out["JOB"]["id"] == world.made["job"]["id"]
    assert out["JOB"]["jobStatus"] == "COMPLETE"


def _waiting_job(world: World) -> dict[str, Any]:
    world.made["job"] = world.job()
    return {"JOB_ID": world.made["job"]["id"], "POLL_INTERVAL": 30}


def _job_completes(world: World) -> None:
    world.fake.set_job_status(world.made["job"]["id"], "COMPLETE", result=METRICS)


def _check_waited(world: World, out: dict[str, Any]) -> None:
    assert out["JOB"]["jobStatus"] == "COMPLETE"
    assert out["JOB"]["result"] == METRICS
    assert len(calls(world.fake, "GET", f"/jobs/{world.made['job']['id']}")) >= 2


def _job_by_id(world: World) -> dict[str, Any]:
    world.made["job"] = world.job("COMPLETE", result=[METRICS])
    return {"MODEL_BATCH_JOB": {"id": world.made["job"]["id"]}}


def _check_parsed(world: World, out: dict[str, Any]) -> None:
    result = out["MODEL_TEST_RESULT"]
    assert result["testResults"] == METRICS
    assert result["jobId"] == world.made["job"]["id"]


def _parsed_result(world: World) -> dict[str, Any]:
    return {
        "MODEL_TEST_RESULT": {
            "deployableModelId": world.snapshot["id"],
            "jobId": "j-1",
            "testResults": METRICS,
        }
    }


def _check_result_stored(world: World, out: dict[str, Any]) -> None:
    (stored,) = world.fake.test_results
    assert out["MODEL_TEST_RESULT"]["id"] == stored["id"]
    assert stored["testResults"] == METRICS
    assert stored["custom"]["mlcIdempotencyKey"]


def _stored_result(world: World) -> dict[str, Any]:
    stored = world.center.create_test_result(world.snapshot["id"], METRICS)
    return {"MODEL_TEST_RESULT": stored.to_variable(), "DEPLOYABLE_MODEL": world.snapshot}


def _check_judged(world: World, out: dict[str, Any]) -> None:
    assert out["TEST_RESULT"] is True, out["TEST_RESULT_MESSAGE"]
    assert world.fake.test_results[0]["testResultPassed"] is True


def _champion_and_challenger(world: World) -> dict[str, Any]:
    world.center.create_test_result(world.snapshot["id"], {"auc": 0.80, "rmse": 0.3})
    world.center.create_test_result(world.newest["id"], {"auc": 0.85, "rmse": 0.2})
    return {"CHAMPION": world.snapshot["id"], "CHALLENGER": world.newest}


def _check_compared(world: World, out: dict[str, Any]) -> None:
    assert out["CHALLENGER_WINS"] is True
    assert {r["metric"]: r["winner"] for r in out["COMPARISON"]["metrics"]} == {
        "auc": "challenger",
        "rmse": "challenger",
    }


def _check_runtimes(world: World, out: dict[str, Any]) -> None:
    assert [r["name"] for r in out["RUNTIMES"]] == ["batch-dev", "online-prod"]


def _check_compatible(world: World, out: dict[str, Any]) -> None:
    assert [r["name"] for r in out["ONLINE_RUNTIMES"]] == ["online-prod"]
    assert out["BATCH_RUNTIMES"] == []


def _check_stopped(world: World, out: dict[str, Any]) -> None:
    assert out["ENGINE_STATE"] == "STOPPED"
    assert world.fake.runtimes[0]["engineState"] == "STOPPED"


def _check_deployed(world: World, out: dict[str, Any]) -> None:
    (deployment,) = world.fake.deployments
    assert out["DEPLOYED_MODEL"]["id"] == deployment["id"]
    assert out["DEPLOYED_MODEL"]["deploymentType"] == "BATCH"
    assert deployment["custom"]["mlcIdempotencyKey"]


def _with_deployment(variables: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["deployed"] = world.deployed()
        return dict(variables)

    return make


def _check_deployed_list(world: World, out: dict[str, Any]) -> None:
    assert [d["id"] for d in out["DEPLOYED_MODELS"]] == [world.made["deployed"]["id"]]
    assert out["DEPLOYED_MODEL"]["id"] == world.made["deployed"]["id"]


def _check_most_recent(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL"]["id"] == world.made["deployed"]["id"]


def _check_expiring(world: World, out: dict[str, Any]) -> None:
    assert [d["id"] for d in out["DEPLOYED_MODELS"]] == [world.made["deployed"]["id"]]


def _deployed_vars(extra: dict[str, Any]) -> Variables:
    def make(world: World) -> dict[str, Any]:
        world.made["deployed"] = world.deployed()
        return {"DEPLOYED_MODEL": world.made["deployed"], **extra}

    return make


def _check_schedules(world: World, out: dict[str, Any]) -> None:
    crons = [s["cronExpression"] for s in out["DEPLOYED_MODEL"]["schedules"]]
    assert crons == ["0 0 2 * * ?", "0 30 1 * * ?"]
    assert len(world.fake.deployments[0]["schedules"]) == 2


def _check_expiration(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL"]["expirationDate"].startswith("2026-04-01")
    assert world.fake.deployments[0]["expirationDate"].startswith("2026-04-01")


def _check_undeployed(world: World, out: dict[str, Any]) -> None:
    assert out["DEPLOYED_MODEL"]["deployedState"] == "UNDEPLOYED"
    assert world.fake.deployments[0]["deployedState"] == "UNDEPLOYED"


def _connector_inputs(world: World) -> str:
    return (
        f'<camunda:inputParameter name="url">{world.fake.url}{API}/runtimes</camunda:inputParameter>'
        '<camunda:inputParameter name="headers"><camunda:map>'
        '<camunda:entry key="Authorization">secret:MOC_AUTH</camunda:entry>'
        "</camunda:map></camunda:inputParameter>"
    )


def _check_connector(world: World, out: dict[str, Any]) -> None:
    assert out["statusCode"] == 200
    names = [r["name"] for r in out["response"]["_embedded"]["runtimes"]]
    assert names == ["batch-dev", "online-prod"]
    assert STATIC_TOKEN not in str(out)


def _notification(kind: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        note = world.fake.notifications[-1]
        assert out["NOTIFICATION"]["id"] == note["id"]
        assert (note["type"], note["severity"], note["message"]) == (kind, "WARNING", "hello")
        assert note["modelId"] == world.snapshot["id"]
        assert note["processInstanceId"]
        assert note["custom"]["mlcIdempotencyKey"]

    return check


def _check_scan(world: World, out: dict[str, Any]) -> None:
    scan = out["SECURITY_SCAN"]
    assert scan["passed"] is False
    assert any(f["test_id"] == "B602" for f in scan["findings"])
    (fetch,) = [r for r in world.fake.requests if r.path == "/files/credit/model.py"]
    assert fetch.header("Authorization") == "Bearer ***"


def _ticket(kind: str) -> Check:
    def check(world: World, out: dict[str, Any]) -> None:
        note = out["NEW_NOTIFICATION"]
        board = world.manager.tickets.local
        assert isinstance(board, LocalTickets)
        ticket = board.get(note["key"])
        assert (note["system"], note["kind"], ticket.status) == ("local", kind, note["status"])
        assert "credit" in ticket.summary + board.description(note["key"])

    return check


def _open_ticket(world: World) -> dict[str, Any]:
    opened = run_delegate(
        world.manager,
        "CreateJiraSimpleNotification",
        {"DEPLOYABLE_MODEL": world.snapshot, "MESSAGE": "hello"},
    )
    world.made["ticket"] = opened["NEW_NOTIFICATION"]
    world.fake.clear_requests()
    return {
        "NEW_NOTIFICATION": opened["NEW_NOTIFICATION"],
        "STATUSES": opened["NEW_NOTIFICATION"]["status"],
    }


def _check_ticket_status(world: World, out: dict[str, Any]) -> None:
    assert out["TICKET_STATUS"] == world.made["ticket"]["status"]
    assert out["TICKET"]["key"] == world.made["ticket"]["key"]


_SNAPSHOT_MADE = Case(
    lambda w: {"STORED_MODEL": {"id": w.model["id"]}, "TAGS": "jira"},
    _check_snapshot_made,
    ("GET /model-manage/api/deployableModels", "POST /model-manage/api/deployableModels"),
)
_CONNECTOR = Case(
    lambda w: {}, _check_connector, ("GET /model-manage/api/runtimes",), _connector_inputs
)

CASES: dict[str, Case] = {
    "GetStoredModelById": Case(
        lambda w: {"STORED_MODEL_ID": w.model["id"]},
        _check_stored,
        ("GET /model-manage/api/storedModels/",),
    ),
    "GetDeployableModelById": Case(
        lambda w: {"MODEL_ID": w.snapshot["id"]},
        _check_snapshot,
        ("GET /model-manage/api/deployableModels/",),
    ),
    "GetMostRecentDeployableModelByTag": Case(
        lambda w: {"TAG": "run_test"}, _check_newest, ("GET /model-manage/api/deployableModels",)
    ),
    "SnapshotModel": _SNAPSHOT_MADE,
    "CreateDeployableModel": _SNAPSHOT_MADE,
    "PatchDeployableModel": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "PATCH": {"tags": ["approved"]}},
        _check_patched,
        ("PATCH /model-manage/api/deployableModels/",),
    ),
    "FindDeployableModelAssets": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ASSET_ROLE": "DMN"}, _check_assets
    ),
    "GetFileAssets": Case(_snapshot_vars, _check_file_assets),
    "CreateEmptyExternalFileAsset": Case(
        lambda w: {"FILE_NAME": "scores.json"}, _check_output_asset
    ),
    "CreateModelBatchJob": Case(
        lambda w: {
            "DEPLOYABLE_MODEL": w.snapshot,
            "JOB_TYPE": "MODEL_BATCH_TEST_JOB",
            "ENGINE_INSTANCE": "batch-dev",
        },
        _check_job_created,
        ("GET /model-manage/api/jobs", "POST /model-manage/api/jobs"),
    ),
    "GetJob": Case(_job_id, _check_job_read, ("GET /model-manage/api/jobs/",)),
    "WaitForJob": Case(
        _waiting_job, _check_waited, ("GET /model-manage/api/jobs/",), progress=_job_completes
    ),
    "ParseModelTestResultFromBatchJob": Case(
        _job_by_id, _check_parsed, ("GET /model-manage/api/jobs/",)
    ),
    "CreateModelTestResult": Case(
        _parsed_result,
        _check_result_stored,
        ("GET /model-manage/api/deployableModels/", "POST /model-manage/api/modelTestResults"),
    ),
    "ModelTestResultEval": Case(
        _stored_result, _check_judged, ("PATCH /model-manage/api/modelTestResults/",)
    ),
    "CompareChampionChallenger": Case(
        _champion_and_challenger, _check_compared, ("GET /model-manage/api/modelTestResults",)
    ),
    "GetRuntimesByTag": Case(
        lambda w: {"TAG": "credit-risk"}, _check_runtimes, ("GET /model-manage/api/runtimes",)
    ),
    "GetCompatibleEngine": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "MODEL_STAGE": "PROD"},
        _check_compatible,
        ("GET /model-manage/api/runtimes",),
    ),
    "StopEngine": Case(
        lambda w: {"ENGINE_INSTANCE": "batch-dev"},
        _check_stopped,
        ("GET /model-manage/api/runtimes", "PATCH /model-manage/api/runtimes/"),
    ),
    "DeployModel": Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "ENGINE_INSTANCE": "batch-dev"},
        _check_deployed,
        ("PATCH /model-manage/api/runtimes/", "POST /model-manage/api/deployedModels"),
    ),
    "GetDeployedModels": Case(
        _with_deployment({"TAG": "credit-risk"}),
        _check_deployed_list,
        ("GET /model-manage/api/deployedModels",),
    ),
    "FindMostRecentBatchDeployedModels": Case(
        _with_deployment({"TAG": "credit-risk", "MODEL_STAGE": "DEV"}),
        _check_deployed_list,
        ("GET /model-manage/api/deployedModels",),
    ),
    "GetMostRecentDeployedModelByTag": Case(
        _with_deployment({"TAG": "credit-risk"}),
        _check_most_recent,
        ("GET /model-manage/api/deployedModels",),
    ),
    "AddDeployedModelSchedules": Case(
        _deployed_vars({"SCHEDULES": [{"cronExpression": "0 30 1 * * ?"}]}),
        _check_schedules,
        ("PATCH /model-manage/api/deployedModels/",),
    ),
    "SetDeployedModelExpiration": Case(
        _deployed_vars({"EXPIRATION_DATE": "2026-04-01T00:00:00+00:00"}),
        _check_expiration,
        ("PATCH /model-manage/api/deployedModels/",),
    ),
    "PatchDeployedModel": Case(
        _deployed_vars({"PATCH": {"deployedState": "UNDEPLOYED"}}),
        _check_undeployed,
        ("PATCH /model-manage/api/deployedModels/",),
    ),
    "FindAllDeployedModelsExpiring": Case(
        _with_deployment({"DAYS": 30}),
        _check_expiring,
        ("GET /model-manage/api/deployedModels",),
    ),
    "http-connector": _CONNECTOR,
    "HttpRequest": _CONNECTOR,
    "httpConnector": _CONNECTOR,
    "RunSecurityScan": Case(_snapshot_vars, _check_scan, ("GET /files/credit/model.py",)),
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
}.items():
    CASES[_name] = Case(
        lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "MESSAGE": "hello", "SEVERITY": "warning"},
        _notification(_kind),
        ("GET /model-manage/api/notifications", "POST /model-manage/api/notifications"),
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
            lambda w: {"DEPLOYABLE_MODEL": w.snapshot, "MESSAGE": "hello"}, _ticket(_ticket_kind)
        )


def test_every_case_names_a_catalogued_delegate() -> None:
    """The cases name catalogued delegates only (tests/handlers/test_catalogue.py covers all)."""
    assert sorted(set(CASES) - set(delegate_names())) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_delegate_runs_against_rest_center(world: World, name: str) -> None:
    """The delegate reads its inputs, calls the center over REST and writes its outputs."""
    case = CASES[name]
    variables = case.variables(world)
    inputs = case.inputs(world) if case.inputs is not None else ""
    world.fake.clear_requests()
    step = case.progress

    def progress() -> None:
        if step is not None:
            step(world)

    out = run_delegate(
        world.manager, name, variables, inputs=inputs, progress=progress if step else None
    )
    case.check(world, out)
    sent = [f"{r.method} {r.path}" for r in world.fake.requests if r.path != "/gocli/token"]
    for expected in case.calls:
        assert any(s.startswith(expected) for s in sent), (expected, sent)
    if not case.calls:
        assert sent == []
    assert world.fake.errors == []


# -- an MLC end to end, and failures --------------------------------------------------------

MLC = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="get" camunda:class='
    '"com.modelop.mlc.delegate.modelop.GetDeployableModelById"/>'
    '<bpmn:serviceTask id="job" camunda:class="com.modelop.mlc.delegate.modelop.CreateModelBatchJob"/>'
    '<bpmn:serviceTask id="wait" camunda:class="com.modelop.mlc.delegate.modelop.WaitForJob"/>'
    '<bpmn:serviceTask id="parse" camunda:class='
    '"com.modelop.mlc.delegate.modelop.ParseModelTestResultFromBatchJob"/>'
    '<bpmn:serviceTask id="engine" camunda:class='
    '"com.modelop.mlc.delegate.modelop.GetCompatibleEngine"/>'
    '<bpmn:serviceTask id="deploy" camunda:class="com.modelop.mlc.delegate.modelop.DeployModel"/>'
    '<bpmn:endEvent id="end"/>'
    '<bpmn:boundaryEvent id="failed" attachedToRef="get">'
    '<bpmn:errorEventDefinition errorRef="F" camunda:errorMessageVariable="ERROR_MESSAGE"/>'
    '</bpmn:boundaryEvent><bpmn:userTask id="fix"/>'
    + chain("start", "get", "job", "wait", "parse", "engine", "deploy", "end")
    + flow("to_fix", "failed", "fix"),
    pid="rest_mlc",
    extra='<bpmn:error id="F" errorCode="FAILURE"/>',
)


@pytest.fixture(name="mlc")
def _mlc(manager: LifecycleManager, world: World) -> LifecycleManager:
    manager.deploy(MLC)
    return manager


def test_an_mlc_tests_and_deploys_through_rest_center(
    mlc: LifecycleManager, world: World, clock: ManualClock
) -> None:
    """Snapshot, test job, wait, parse, engine choice and deployment all go over REST."""
    instance = mlc.start("rest_mlc", {"MODEL_ID": world.snapshot["id"]})
    mlc.run_due()
    (job,) = world.fake.jobs
    assert job["jobType"] == "MODEL_BATCH_TEST_JOB"
    assert job["jobParameters"]["mlcIdempotencyKey"].startswith(instance.id)
    assert mlc.instance(instance.id).waiting_at == ("wait",)
    world.fake.set_job_status(job["id"], "COMPLETE", result=METRICS)
    clock.advance(timedelta(seconds=31))
    mlc.run_due()
    final = mlc.instance(instance.id)
    assert final.status == "completed", mlc.incidents(instance_id=instance.id)
    deployed = final.variables["DEPLOYED_MODEL"]
    assert (deployed["deployableModel"]["id"], deployed["engine"]["name"]) == (
        world.snapshot["id"],
        "batch-dev",
    )
    assert final.variables["MODEL_TEST_RESULT"]["testResults"] == METRICS
    assert [d["id"] for d in world.fake.deployments] == [deployed["id"]]


def test_an_unknown_snapshot_takes_the_failure_boundary(
    mlc: LifecycleManager, world: World
) -> None:
    """A 404 from the center becomes BpmnError FAILURE, caught by the error boundary."""
    instance = mlc.start("rest_mlc", {"MODEL_ID": "no-such-snapshot"})
    current = mlc.instance(instance.id)
    assert current.waiting_at == ("fix",)
    assert "no snapshot with id 'no-such-snapshot'" in current.variables["ERROR_MESSAGE"]
    assert world.fake.jobs == []


def test_a_lost_answer_is_recovered_within_the_step(
    mlc: LifecycleManager, world: World, sleeper: Sleeper
) -> None:
    """The job is made, the answer lost; the call's next attempt finds it: no failed step."""
    instance = mlc.start("rest_mlc", {"MODEL_ID": world.snapshot["id"]})
    world.fake.drop_next(path_prefix=API + "/jobs", method="POST", commit_first=True)
    mlc.run_due()
    assert mlc.instance(instance.id).waiting_at == ("wait",)
    assert len(world.fake.jobs) == 1
    assert [h for h in mlc.history(instance.id, limit=None) if h.kind == "job_failed"] == []
    assert sleeper.waits == [0.5]


def test_an_outage_longer_than_the_call_is_retried_by_the_engine(
    mlc: LifecycleManager, world: World, clock: ManualClock, sleeper: Sleeper
) -> None:
    """When every attempt of the call fails, the step fails and the engine retries it later."""
    instance = mlc.start("rest_mlc", {"MODEL_ID": world.snapshot["id"]})
    world.fake.fail_next(503, times=3, path_prefix=API + "/jobs", method="POST")
    mlc.run_due()
    (failure,) = [h for h in mlc.history(instance.id, limit=None) if h.kind == "job_failed"]
    assert "failed with 503" in str(failure.detail)
    assert "gave up after 3 attempts" in str(failure.detail)
    assert sleeper.waits == [0.5, 1.0]
    assert world.fake.jobs == []
    clock.advance(timedelta(minutes=5))  # the default retry cycle, R3/PT5M
    mlc.run_due()
    assert mlc.instance(instance.id).waiting_at == ("wait",)
    assert len(world.fake.jobs) == 1
    assert len(calls(world.fake, "POST", "/jobs")) == 4


def test_revoked_credentials_end_in_an_incident_naming_modelop_without_secrets(
    mlc: LifecycleManager, world: World, clock: ManualClock
) -> None:
    """Tokens and password revoked: retried as a job, then an incident; no secret anywhere."""
    instance = mlc.start("rest_mlc", {"MODEL_ID": world.snapshot["id"]})
    tokens = world.fake.issued_tokens
    world.fake.revoke()
    world.fake.revoke("mlc-password")
    for _ in range(5):
        mlc.run_due()
        clock.advance(timedelta(minutes=5))
    (incident,) = mlc.incidents(instance_id=instance.id)
    assert mlc.instance(instance.id).status == "incident"
    assert "ModelOp Center" in incident.message
    assert "token exchange POST /gocli/token for user 'mlc-user' failed with 401" in (
        incident.message
    )
    assert "check username and password" in incident.message
    everything = " ".join(
        [incident.message, str(mlc.instance(instance.id).variables)]
        + [str(h.detail) for h in mlc.history(instance.id, limit=None)]
    )
    for secret in [*tokens, "mlc-password"]:
        assert secret not in everything
    assert world.fake.jobs == []
