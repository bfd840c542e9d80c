"""A data-drift MLC written the way ModelOp's own drift MLC is, on LocalCenter, end to end.

The diagram (ours, in the style of ModelOp's published CronTriggeredDriftTest) finds the
deployments whose snapshot has a DATA_DRIFT_MODEL association, fetches each drift monitor's
snapshot with `GetDeployableModelById` and ModelOp's `ID` input, runs it as a metrics job,
waits on the external `jobs` topic, stores the result against the base model and judges it
with the base model's TEST_RESULT_COMPARATOR, which ModelOp keeps on
`storedModel.modelAssets`. Its scripts are Python where ModelOp's are Groovy. The three
defects of issue 13 would each end this run wrong: the monitor's JSON refused, the
comparator missed (drift reported as passed), the base model's code run instead of the
monitor's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from credit_support import EXAMPLE
from modelop_mlc import LifecycleManager
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import Asset, AssetRole, DeployableModel, ModelAssociation

_M = "com.modelop.mlc.delegate.modelop"
MONITOR = (
    "import csv\n\n"
    "# modelop.metrics\n"
    "def metrics(df):\n"
    '    if float(df["income"].mean()) > 10000:\n'
    '        raise ValueError("income out of range")\n'
    '    shift = float(df["income"].mean()) > 100\n'
    '    yield {"auc": 0.9, "f1_score": 0.8, "pprev_disparity": 1.0,\n'
    '           "min_ks_p_value": 0.001 if shift else 0.5}\n'
)
BASE = "# modelop.score\ndef score(df):\n    yield from df.to_dict('records')\n"
EXTRACT = (
    "DRIFT_MODEL = [a for a in BASE_MODEL['associatedModels']"
    " if a['associationRole'] == 'DATA_DRIFT_MODEL'][0]\n"
    "assets = BASE_MODEL['storedModel']['modelAssets']\n"
    "FILE_ASSET = [a for a in assets if a['assetRole'] == 'COMPARATOR_DATA'][0]\n"
    "found = [a for a in assets if a['assetRole'] == 'TEST_RESULT_COMPARATOR']\n"
    "TEST_RESULT_COMPARATOR = found[0] if found else None\n"
)
RELINK = "MODEL_TEST_RESULT['deployedModel'] = {'deployableModel': BASE_MODEL}\n"
ADD_COMPARATOR = (
    "EVAL_MODEL = DEPLOYABLE_MODEL\n"
    "if TEST_RESULT_COMPARATOR is not None:\n"
    "    EVAL_MODEL['storedModel']['modelAssets'].append(TEST_RESULT_COMPARATOR)\n"
)


def _script(task_id: str, name: str, code: str) -> str:
    return (
        f'<bpmn:scriptTask id="{task_id}" name="{name}" scriptFormat="python">'
        f"<bpmn:script>{code.replace('&', '&amp;').replace('<', '&lt;')}</bpmn:script>"
        "</bpmn:scriptTask>"
    )


def _input(name: str, value: str) -> str:
    return f'<camunda:inputParameter name="{name}">{value}</camunda:inputParameter>'


def _task(task_id: str, delegate: str, *inputs: str, output: str = "") -> str:
    io = "".join(inputs) + output
    body = (
        f"<bpmn:extensionElements><camunda:inputOutput>{io}</camunda:inputOutput>"
        "</bpmn:extensionElements>"
        if io
        else ""
    )
    return f'<bpmn:serviceTask id="{task_id}" camunda:class="{_M}.{delegate}">{body}</bpmn:serviceTask>'


PER_MODEL = (
    '<bpmn:subProcess id="per_model">'
    '<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
    'camunda:collection="${BASE_MODELS}" camunda:elementVariable="BASE_MODEL"/>'
    '<bpmn:startEvent id="m_start"/>'
    + _script("extract", "Extract Drift Model", EXTRACT)
    + _task(
        "get_drift", "GetDeployableModelById", _input("ID", "${DRIFT_MODEL.associatedModel.id}")
    )
    + _task(
        "run_job",
        "CreateModelBatchJob",
        _input("INPUT_FILE", "${FILE_ASSET}"),
        _input("JOB_TYPE", "MODEL_BATCH_TEST_JOB"),
        output='<camunda:outputParameter name="TEST_JOB">${JOB}</camunda:outputParameter>',
    )
    + '<bpmn:serviceTask id="wait" name="Wait for Test" camunda:type="external" '
    'camunda:topic="jobs"/>'
    '<bpmn:exclusiveGateway id="complete" default="job_error"/>'
    + _task("parse", "ParseModelTestResultFromBatchJob", _input("MODEL_BATCH_JOB", "${JOB}"))
    + _script("relink", "Replace model id with original model", RELINK)
    + _task("store", "CreateModelTestResult")
    + _script("add_comparator", "Add the comparator", ADD_COMPARATOR)
    + _task(
        "judge",
        "ModelTestResultEval",
        _input("DEPLOYABLE_MODEL", "${EVAL_MODEL}"),
        _input("MODEL_TEST_RESULT", "${MODEL_TEST_RESULT}"),
    )
    + '<bpmn:exclusiveGateway id="passed" default="failed"/>'
    + _task(
        "notify",
        "CreateModelTestNotification",
        _input("NOTIFICATION_MESSAGE", "Drift test of ${BASE_MODEL.id}: ${TEST_RESULT_MESSAGE}"),
        _input("NOTIFICATION_SEVERITY", "ERROR"),
    )
    + '<bpmn:endEvent id="m_end"/><bpmn:endEvent id="m_job_failed">'
    '<bpmn:errorEventDefinition errorRef="job_failed"/></bpmn:endEvent>'
    + chain("m_start", "extract", "get_drift", "run_job", "wait", "complete")
    + flow("job_ok", "complete", "parse", '${JOB.jobStatus == "COMPLETE"}')
    + flow("job_error", "complete", "m_job_failed")
    + chain("parse", "relink", "store", "add_comparator", "judge", "passed")
    + flow("ok", "passed", "m_end", "${TEST_RESULT}")
    + flow("failed", "passed", "notify")
    + chain("notify", "m_end")
    + "</bpmn:subProcess>"
)
DRIFT_MLC = process(
    '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="drift"/>'
    "</bpmn:startEvent>"
    + _task(
        "find",
        "GetDeployedModelsWithStateAndDeployableAssociatedRole",
        _input("ASSOCIATION_ROLE", "DATA_DRIFT_MODEL"),
        _input("STATE", "DEPLOYED"),
    )
    + _script(
        "bases", "Log Drift Models", "BASE_MODELS = [d['deployableModel'] for d in DEPLOYED_MODELS]"
    )
    + PER_MODEL
    + '<bpmn:boundaryEvent id="job_failed_caught" attachedToRef="per_model">'
    '<bpmn:errorEventDefinition errorRef="job_failed"/></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="end"/><bpmn:endEvent id="failed_end"/>'
    + chain("start", "find", "bases", "per_model", "end")
    + flow("to_failed", "job_failed_caught", "failed_end"),
    "drift_mlc",
    extra=(
        '<bpmn:signal id="drift" name="com.modelop.mlc.definitions.Signals_MODEL_DATA_DRIFT_TEST"/>'
        '<bpmn:error id="job_failed" errorCode="JOB_FAILED"/>'
    ),
)
SIGNAL = "com.modelop.mlc.definitions.Signals_MODEL_DATA_DRIFT_TEST"


def _csv(name: str, role: AssetRole, income: int) -> Asset:
    rows = "".join(f"{income + i},{i % 2}\n" for i in range(20))
    return Asset(
        name=name,
        filename=name,
        asset_role=role,
        file_format="CSV",
        file_content="income,label\n" + rows,
    )


def _world(manager: LifecycleManager, *, comparator: bool, income: int) -> DeployableModel:
    """A base model deployed to production with a drift monitor associated, as in ModelOp."""
    center = manager.center
    assert isinstance(center, LocalCenter)
    center.register_runtime("prod", tags=["loans"], stage="PROD")
    assets = [_csv("recent.csv", AssetRole.COMPARATOR_DATA, income)]
    if comparator:
        assets.append(
            Asset(
                filename="thresholds.dmn",
                asset_role=AssetRole.TEST_RESULT_COMPARATOR,
                file_content=(EXAMPLE / "comparator.dmn").read_text(),
            )
        )
    base_model = center.register_model("loans", source=BASE, tags=["loans"], assets=assets)
    monitor_model = center.register_model("drift-monitor", source=MONITOR)
    monitor = center.create_deployable_model(monitor_model.id)
    base = center.create_deployable_model(base_model.id)
    association = ModelAssociation(
        association_role="DATA_DRIFT_MODEL",
        association_type="DEPLOYABLE_MODEL_ASSOCIATION",
        associated_model=DeployableModel(id=monitor.id),
    )
    base = center.patch_deployable_model(base.id, {"associatedModels": [association.to_variable()]})
    center.deploy_model(base, center.get_runtime("prod"))
    return base


def _run(manager: LifecycleManager) -> Any:
    manager.deploy(DRIFT_MLC)
    (started,) = manager.signal(SIGNAL).started
    for _ in range(10):
        if manager.instance(started).status != "running":
            break
        manager.run_due()
        manager.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    return manager.instance(started)


@pytest.fixture(name="manager")
def _manager(mlc_manager: LifecycleManager) -> LifecycleManager:
    return mlc_manager


def test_drift_is_judged_with_the_comparator_on_the_stored_model(manager: LifecycleManager) -> None:
    """Drifted data fails the base model's comparator; the result is stored against the base."""
    base = _world(manager, comparator=True, income=500)
    final = _run(manager)
    assert final.status == "completed", manager.incidents(instance_id=final.id)
    center = manager.center
    assert isinstance(center, LocalCenter)
    (result,) = center.find_test_results(base.id)
    assert result.test_result_passed is False
    assert "Data drift detected" in (result.test_result_message or "")
    (note,) = center.find_notifications(type="TEST")
    assert note.message.startswith(f"Drift test of {base.id}:")
    (job,) = center.list_jobs()
    assert job.snapshot.stored_model.model_meta_data.name == "drift-monitor"


def test_no_drift_passes_and_notifies_nobody(manager: LifecycleManager) -> None:
    """Undrifted data passes the comparator: no notification."""
    base = _world(manager, comparator=True, income=10)
    final = _run(manager)
    assert final.status == "completed", manager.incidents(instance_id=final.id)
    center = manager.center
    assert isinstance(center, LocalCenter)
    (result,) = center.find_test_results(base.id)
    assert result.test_result_passed is True
    assert center.find_notifications(type="TEST") == []


def test_without_a_comparator_the_result_is_not_judged_and_not_passed(
    manager: LifecycleManager,
) -> None:
    """No TEST_RESULT_COMPARATOR: not judged, so the MLC takes the failing branch and says so."""
    base = _world(manager, comparator=False, income=10)
    final = _run(manager)
    assert final.status == "completed", manager.incidents(instance_id=final.id)
    center = manager.center
    assert isinstance(center, LocalCenter)
    (result,) = center.find_test_results(base.id)
    assert result.test_result_passed is None
    (note,) = center.find_notifications(type="TEST")
    assert "Not judged: the model has no comparator DMN" in note.message


def test_a_failed_monitor_job_takes_the_error_boundary(manager: LifecycleManager) -> None:
    """The monitor's job ends ERROR: the sub-process's error end is caught on its boundary."""
    base = _world(manager, comparator=True, income=50000)
    final = _run(manager)
    assert final.status == "completed", manager.incidents(instance_id=final.id)
    visited = {h.activity_id for h in manager.history(final.id) if h.kind == "activity_end"}
    assert {"m_job_failed", "failed_end"} <= visited
    center = manager.center
    assert isinstance(center, LocalCenter)
    assert center.find_test_results(base.id) == []
    (job,) = center.list_jobs()
    assert "income out of range" in (job.message or "")
