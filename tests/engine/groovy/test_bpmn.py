"""Groovy in diagrams: ModelOp-style MLC processes deploy unchanged and run to their ends.

The two diagrams below are written for these tests in the style of ModelOp's published MLC
diagrams (a model-refresh process and a cron-triggered drift test): Groovy script tasks,
`camunda:script` parameters returning maps and lists, Groovy conditions, a `BpmnError` caught
by an error boundary, SDK objects built with setters, and script tasks without a format.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bpmn_xml import HEADER, chain
from modelop_mlc import LifecycleManager, validate
from modelop_mlc.errors import ExpressionError

REFRESH = (
    HEADER
    + """<bpmn:process id="model_refresh" name="Model Refresh" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:scriptTask id="set_stored_model" name="Set stored model" scriptFormat="groovy">
    <bpmn:script>execution.setVariable("STORED_MODEL", DEPLOYABLE_MODEL.storedModel);</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:scriptTask id="choose_tag" name="Choose tag" scriptFormat="groovy">
    <bpmn:script><![CDATA[if (STORED_MODEL.modelMetaData.name == "Consumer_Credit") {
execution.setVariable("TAG", "loan-prod");
} else {
execution.setVariable("TAG", "application-prod");
}]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:exclusiveGateway id="by_type" default="to_other"/>
  <bpmn:sequenceFlow id="to_python" sourceRef="by_type" targetRef="prepare_test">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><![CDATA[${STORED_MODEL.modelMetaData.type.toString() == "PYTHON" || STORED_MODEL.modelMetaData.type.toString() == "PYTHON3"}]]></bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="to_other" sourceRef="by_type" targetRef="other_model"/>
  <bpmn:scriptTask id="prepare_test" name="Prepare test files" scriptFormat="groovy">
    <bpmn:script><![CDATA[def inputFile = new com.modelop.sdk.dataobjects.v2.assets.FileAsset();
        inputFile.setFilename("test_data.csv");
        inputFile.setName("Test Input Data");
        inputFile.setFileFormat(com.modelop.sdk.dataobjects.v2.assets.FileAsset.FileFormat.CSV);
        inputFile.setFileContent("a,b\\r\\n1,2\\r\\n".getBytes());
        inputFile.setFileSize(inputFile.getFileContent().size());
        execution.setVariable("INPUT_FILE", inputFile);
        def outputFile = new com.modelop.sdk.dataobjects.v2.assets.FileAsset();
        outputFile.setFilename("test_out.json");
        outputFile.setFileFormat(com.modelop.sdk.dataobjects.v2.assets.FileAsset.FileFormat.JSON);
        execution.setVariable("OUTPUT_FILE", outputFile);
        execution.setVariable("JOB_TYPE", "MODEL_BATCH_TEST_JOB");]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:task id="other_model" name="Other model types"/>
  <bpmn:serviceTask id="find_runtimes" name="Find runtimes" camunda:class="com.example.mlc.delegate.FindRuntimes">
    <bpmn:extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="TAG_FILTER">
        <camunda:script scriptFormat="groovy"><![CDATA[def config = [tag: TAG, states: "RUNNING,DEPLOYED"];
return config;]]></camunda:script>
      </camunda:inputParameter>
    </camunda:inputOutput></bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:scriptTask id="pick_runtime" name="Pick runtime" scriptFormat="groovy">
    <bpmn:script>execution.setVariable("RUNTIME", RUNTIMES[0]);
execution.setVariable("ENGINE_INSTANCE", RUNTIME.name);</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:userTask id="review" name="Review" camunda:candidateGroups="python_approvers"/>
  <bpmn:exclusiveGateway id="approved" default="rejected"/>
  <bpmn:sequenceFlow id="accepted" sourceRef="approved" targetRef="note">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="groovy" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">reviewResult.equalsIgnoreCase("approved")</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="rejected" sourceRef="approved" targetRef="end_rejected"/>
  <bpmn:scriptTask id="note" name="Note" camunda:resultVariable="NOTE">
    <bpmn:script>Approved ${STORED_MODEL.modelMetaData.name} for ${ENGINE_INSTANCE}</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:endEvent id="end_ok"/>
  <bpmn:endEvent id="end_rejected"/>
"""
    + chain("start", "set_stored_model", "choose_tag", "by_type")
    + chain("prepare_test", "find_runtimes", "pick_runtime", "review", "approved")
    + chain("other_model", "find_runtimes")
    + chain("note", "end_ok")
    + "\n</bpmn:process>\n</bpmn:definitions>\n"
)

DRIFT = (
    HEADER
    + """<bpmn:process id="drift_test" name="Drift Test" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:serviceTask id="resolve" name="Resolve model" camunda:class="com.example.mlc.delegate.Lookup">
    <bpmn:extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="ID">
        <camunda:script scriptFormat="groovy"><![CDATA[import java.util.UUID;

def uuid;

try{
    uuid = UUID.fromString(MODEL_ID);
} catch (Exception e) {
    uuid = null;
}

return uuid;]]></camunda:script>
      </camunda:inputParameter>
      <camunda:outputParameter name="BASE_MODELS">
        <camunda:script scriptFormat="groovy"><![CDATA[if(execution.getVariable("FOUND") != null) {
    return [FOUND];
}
return [];]]></camunda:script>
      </camunda:outputParameter>
      <camunda:outputParameter name="ID_SEEN">${ID_SEEN}</camunda:outputParameter>
    </camunda:inputOutput></bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:scriptTask id="log_models" name="Log models" scriptFormat="groovy">
    <bpmn:script><![CDATA[def logger = org.slf4j.LoggerFactory.getLogger("DriftTest.bpmn");
execution.setVariable("LOG", logger);
if (execution.hasVariable("BASE_MODELS")) {
    execution.getVariable("LOG").info("Found " + BASE_MODELS.size() + " models\\n");
}
def ids = []
for (model in BASE_MODELS) {
    ids.add(model.id);
}
execution.setVariable("MODEL_IDS", ids);
execution.setVariable("BASE_MODEL", BASE_MODELS[0]);]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:scriptTask id="find_drift" name="Find drift model" scriptFormat="groovy">
    <bpmn:script><![CDATA[import com.modelop.sdk.dataobjects.v2.model.*;
import com.modelop.sdk.dataobjects.v2.assets.*;

def DRIFT_MODEL = BASE_MODEL.associatedModels.find {it.associationRole == ModelAssociation.AssociationRole.DATA_DRIFT_MODEL};

if(DRIFT_MODEL == null){
    throw new org.camunda.bpm.engine.delegate.BpmnError("MISSING_ASSOCIATED_MODEL");
}

execution.setVariable("DRIFT_MODEL", DRIFT_MODEL);]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:boundaryEvent id="no_drift_model" attachedToRef="find_drift">
    <bpmn:errorEventDefinition errorRef="missing_model"/>
  </bpmn:boundaryEvent>
  <bpmn:scriptTask id="log_missing" name="Log missing model">
    <bpmn:script>org.slf4j.LoggerFactory.getLogger("DriftTest.bpmn").error("Associated Model Not Found for Drift Test:
Model - ${BASE_MODEL.storedModel.modelMetaData.name} (ID: ${BASE_MODEL.id.toString()})")</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:endEvent id="end_missing"/>
  <bpmn:scriptTask id="add_training" name="Add training data" scriptFormat="groovy">
    <bpmn:script><![CDATA[import com.modelop.sdk.dataobjects.v2.assets.*;

def missingTrainingData = false;
def trainingData = BASE_MODEL.storedModel.modelAssets.find{it.assetRole == Asset.AssetRole.TRAINING_DATA};

if (DRIFT_MODEL.associatedModel == null || DRIFT_MODEL.associatedModel.storedModel == null) {
    missingTrainingData = true;
} else {
    DRIFT_MODEL.associatedModel.storedModel.modelAssets.add(trainingData);
}
if (trainingData == null) {
    missingTrainingData = true;
}
def comparator = BASE_MODEL.storedModel.modelAssets.find { it.assetRole.name() == "TEST_RESULT_COMPARATOR" };
execution.setVariable("TEST_RESULT_COMPARATOR", comparator);
execution.setVariable("DEPLOYABLE_MODEL", DRIFT_MODEL.associatedModel);
execution.setVariable("MISSING_TRAINING_DATA", missingTrainingData);]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:exclusiveGateway id="has_training" default="to_job"/>
  <bpmn:sequenceFlow id="to_missing_training" sourceRef="has_training" targetRef="end_no_training">
    <bpmn:conditionExpression>${MISSING_TRAINING_DATA}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="to_job" sourceRef="has_training" targetRef="prepare_job"/>
  <bpmn:endEvent id="end_no_training"/>
  <bpmn:scriptTask id="prepare_job" name="Prepare job" scriptFormat="groovy">
    <bpmn:script><![CDATA[def outputFile = new com.modelop.sdk.dataobjects.v2.assets.FileAsset();
outputFile.setFilename("drift_analysis.json");
outputFile.setName("drift_analysis.json");
outputFile.setFileFormat(com.modelop.sdk.dataobjects.v2.assets.FileAsset.FileFormat.JSON);
execution.setVariable("OUTPUT_FILE", outputFile);
execution.setVariable("MODEL_TEST_RESULT", new com.modelop.sdk.dataobjects.v2.ModelTestResult());
println "prepared ${DEPLOYABLE_MODEL.id}"]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:serviceTask id="run_job" name="Run drift job" camunda:class="com.example.mlc.delegate.RunJob"/>
  <bpmn:exclusiveGateway id="job_done" default="job_failed"/>
  <bpmn:sequenceFlow id="job_complete" sourceRef="job_done" targetRef="record_result">
    <bpmn:conditionExpression>${JOB.jobStatus.toString() == "COMPLETE"}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="job_failed" sourceRef="job_done" targetRef="log_failed"/>
  <bpmn:scriptTask id="log_failed" name="Log failure">
    <bpmn:script>org.slf4j.LoggerFactory.getLogger("DriftTest.bpmn").error("Model Failed to Execute Tests for Model - ${BASE_MODEL.storedModel.modelMetaData.name}")</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:endEvent id="end_job_error"/>
  <bpmn:scriptTask id="record_result" name="Record result" scriptFormat="groovy">
    <bpmn:script><![CDATA[def deployedModel = new com.modelop.sdk.dataobjects.v2.model.DeployedModel();
deployedModel.setDeployableModel(DEPLOYABLE_MODEL);
deployedModel.setEngine(JOB.engine);
MODEL_TEST_RESULT.setDeployedModel(deployedModel);
MODEL_TEST_RESULT.testResults = JOB.result;
DRIFT_MODEL.associatedModel = execution.getVariable("DEPLOYABLE_MODEL");
org.slf4j.LoggerFactory.getLogger("DriftTest.bpmn").info("Drift test successful for model " + execution.getVariable("BASE_MODEL").getId() + ", model-name: " + execution.getVariable("BASE_MODEL").storedModel.modelMetaData.name);]]></bpmn:script>
  </bpmn:scriptTask>
  <bpmn:exclusiveGateway id="judged" default="to_end_ok"/>
  <bpmn:sequenceFlow id="to_review" sourceRef="judged" targetRef="end_review">
    <bpmn:conditionExpression language="groovy"><![CDATA[MODEL_TEST_RESULT.testResults.values().any { it < 0.05 }]]></bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="to_end_ok" sourceRef="judged" targetRef="end_ok"/>
  <bpmn:endEvent id="end_review"/>
  <bpmn:endEvent id="end_ok"/>
"""
    + chain("start", "resolve", "log_models", "find_drift", "add_training", "has_training")
    + chain("no_drift_model", "log_missing", "end_missing")
    + chain("prepare_job", "run_job", "job_done")
    + chain("log_failed", "end_job_error")
    + chain("record_result", "judged")
    + """
</bpmn:process>
<bpmn:error id="missing_model" name="Missing model" errorCode="MISSING_ASSOCIATED_MODEL"/>
</bpmn:definitions>
"""
)

MODEL_ID = "5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10"


def _snapshot(*, drift: bool = True, training: bool = True) -> dict[str, Any]:
    assets = [
        {"name": "cmp.dmn", "assetRole": "TEST_RESULT_COMPARATOR", "assetType": "ASSET_FILE"},
        {"name": "readme.md", "assetRole": "README_FILE"},
    ]
    if training:
        assets.insert(0, {"name": "train.csv", "assetRole": "TRAINING_DATA", "fileFormat": "CSV"})
    drift_model = {
        "id": "drift-1",
        "storedModel": {"id": "s2", "modelMetaData": {"name": "drift monitor"}, "modelAssets": []},
    }
    associations = (
        [{"associationRole": "DATA_DRIFT_MODEL", "associatedModel": drift_model}] if drift else []
    )
    return {
        "id": MODEL_ID,
        "storedModel": {
            "id": "s1",
            "modelMetaData": {"name": "credit", "type": "PYTHON3"},
            "modelAssets": assets,
        },
        "associatedModels": associations,
    }


@pytest.fixture(name="refresh")
def _refresh(manager: LifecycleManager) -> LifecycleManager:
    manager.register_delegate(
        "FindRuntimes",
        lambda ctx: {
            "RUNTIMES": [{"name": f"engine-{ctx.inputs['TAG_FILTER']['tag']}"}],
            "FILTER_SEEN": ctx.inputs["TAG_FILTER"],
        },
    )
    manager.deploy(REFRESH)
    return manager


@pytest.mark.parametrize(
    ("meta_type", "tag"), [("PYTHON3", "loan-prod"), ("R", "application-prod")]
)
def test_refresh_diagram_runs_to_its_end(
    refresh: LifecycleManager, meta_type: str, tag: str
) -> None:
    """The model-refresh diagram: Groovy scripts, a map-returning parameter, a Groovy condition."""
    name = "Consumer_Credit" if tag == "loan-prod" else "Other"
    model = {"id": "m1", "storedModel": {"modelMetaData": {"name": name, "type": meta_type}}}
    instance = refresh.start("model_refresh", {"DEPLOYABLE_MODEL": model})
    assert instance.waiting_at == ("review",)
    [task] = refresh.tasks(candidate_group="python_approvers")
    done = refresh.complete_task(task.id, {"reviewResult": "APPROVED"})
    assert done.status == "completed"
    variables = refresh.variables(instance.id)
    assert variables["STORED_MODEL"] == model["storedModel"]
    assert variables["TAG"] == tag
    assert variables["FILTER_SEEN"] == {"tag": tag, "states": "RUNNING,DEPLOYED"}
    assert variables["ENGINE_INSTANCE"] == f"engine-{tag}"
    assert variables["NOTE"] == f"Approved {name} for engine-{tag}"
    if meta_type == "PYTHON3":
        assert variables["INPUT_FILE"] == {
            "assetType": "ASSET_FILE",
            "filename": "test_data.csv",
            "name": "Test Input Data",
            "fileFormat": "CSV",
            "fileContent": "a,b\r\n1,2\r\n",
            "fileSize": 10,
        }
        assert variables["OUTPUT_FILE"]["fileFormat"] == "JSON"
    else:
        assert "INPUT_FILE" not in variables


def test_refresh_rejection_takes_the_default_flow(refresh: LifecycleManager) -> None:
    """The Groovy condition gives false for a rejection, so the default flow ends the run."""
    model = {"id": "m1", "storedModel": {"modelMetaData": {"name": "x", "type": "R"}}}
    instance = refresh.start("model_refresh", {"DEPLOYABLE_MODEL": model})
    [task] = refresh.tasks(instance_id=instance.id)
    assert refresh.complete_task(task.id, {"reviewResult": "REJECTED"}).status == "completed"
    assert "NOTE" not in refresh.variables(instance.id)


@pytest.fixture(name="drift")
def _drift(manager: LifecycleManager) -> LifecycleManager:
    def lookup(ctx: Any) -> dict[str, Any]:
        found = ctx.variables["SNAPSHOT"] if ctx.inputs.get("ID") else None
        return {"FOUND": found, "ID_SEEN": ctx.inputs.get("ID")}

    def run_job(ctx: Any) -> dict[str, Any]:
        status = ctx.variables["JOB_OUTCOME"]
        return {
            "JOB": {
                "id": "job-1",
                "jobStatus": status,
                "engine": {"name": "engine-a"},
                "result": {"ks_p_value": ctx.variables["P_VALUE"]},
            }
        }

    manager.register_delegate("Lookup", lookup)
    manager.register_delegate("RunJob", run_job)
    manager.deploy(DRIFT)
    return manager


def _start_drift(
    manager: LifecycleManager, snapshot: dict[str, Any], *, status: str = "COMPLETE", p: float = 0.5
) -> tuple[str, dict[str, Any]]:
    instance = manager.start(
        "drift_test",
        {"MODEL_ID": MODEL_ID, "SNAPSHOT": snapshot, "JOB_OUTCOME": status, "P_VALUE": p},
    )
    assert instance.status == "completed"
    return instance.id, manager.variables(instance.id)


def _ended_at(manager: LifecycleManager, instance_id: str) -> list[str]:
    return [
        e.activity_id or ""
        for e in manager.history(instance_id, limit=None)
        if e.kind == "activity_end" and (e.activity_id or "").startswith("end_")
    ]


def test_drift_diagram_happy_path(
    drift: LifecycleManager, caplog: pytest.LogCaptureFixture
) -> None:
    """The drift diagram end to end: UUID parameter, closures over assets, in-place updates."""
    caplog.set_level(logging.INFO, logger="modelop_mlc.script")
    instance_id, variables = _start_drift(drift, _snapshot())
    assert _ended_at(drift, instance_id) == ["end_ok"]
    assert variables["ID_SEEN"] == MODEL_ID
    assert variables["MODEL_IDS"] == [MODEL_ID]
    assert variables["LOG"] == {"@slf4jLogger": "DriftTest.bpmn"}
    drift_model = variables["DRIFT_MODEL"]
    assert drift_model["associationRole"] == "DATA_DRIFT_MODEL"
    added = drift_model["associatedModel"]["storedModel"]["modelAssets"]
    assert added == [{"name": "train.csv", "assetRole": "TRAINING_DATA", "fileFormat": "CSV"}]
    assert variables["TEST_RESULT_COMPARATOR"]["name"] == "cmp.dmn"
    result = variables["MODEL_TEST_RESULT"]
    assert result["deployedModel"]["engine"] == {"name": "engine-a"}
    assert result["deployedModel"]["deployableModel"]["id"] == "drift-1"
    assert result["testResults"] == {"ks_p_value": 0.5}
    assert variables["OUTPUT_FILE"]["filename"] == "drift_analysis.json"
    messages = [r.getMessage() for r in caplog.records]
    assert "Found 1 models\n" in messages
    assert "prepared drift-1" in messages
    assert f"Drift test successful for model {MODEL_ID}, model-name: credit" in messages


def test_drift_diagram_flags_drifted_data_by_groovy_condition(drift: LifecycleManager) -> None:
    """A p-value under 0.05 takes the Groovy-conditioned flow to review."""
    instance_id, _ = _start_drift(drift, _snapshot(), p=0.001)
    assert _ended_at(drift, instance_id) == ["end_review"]


def test_drift_diagram_bpmn_error_path(drift: LifecycleManager) -> None:
    """Without a drift association the script throws BpmnError, caught by the boundary event."""
    instance_id, variables = _start_drift(drift, _snapshot(drift=False))
    assert _ended_at(drift, instance_id) == ["end_missing"]
    assert "DRIFT_MODEL" not in variables
    errors = [e for e in drift.history(instance_id, limit=None) if e.kind == "error_thrown"]
    assert [e.detail.get("code") for e in errors] == ["MISSING_ASSOCIATED_MODEL"]


def test_drift_diagram_missing_training_data_path(drift: LifecycleManager) -> None:
    """Without training data the JUEL condition on MISSING_TRAINING_DATA ends the run early."""
    instance_id, variables = _start_drift(drift, _snapshot(training=False))
    assert _ended_at(drift, instance_id) == ["end_no_training"]
    assert variables["MISSING_TRAINING_DATA"] is True


def test_drift_diagram_job_error_path(drift: LifecycleManager) -> None:
    """A failed job takes the default flow to the JUEL logging task and the error end."""
    instance_id, variables = _start_drift(drift, _snapshot(), status="ERROR")
    assert _ended_at(drift, instance_id) == ["end_job_error"]
    assert "deployedModel" not in variables["MODEL_TEST_RESULT"]


def test_drift_diagram_with_a_bad_model_id(drift: LifecycleManager) -> None:
    """A MODEL_ID that is not a UUID takes the catch; no model is found, so the run fails clearly."""
    with pytest.raises(ExpressionError) as info:
        drift.start(
            "drift_test",
            {"MODEL_ID": "nope", "SNAPSHOT": _snapshot(), "JOB_OUTCOME": "COMPLETE", "P_VALUE": 1},
        )
    assert info.value.activity_id == "find_drift"
    assert "Cannot get property 'associatedModels' on null object" in str(info.value)


def test_drift_diagram_validates_without_problems() -> None:
    """Both diagrams deploy unchanged: `validate` finds no problem in either."""
    assert not validate(DRIFT).problems
    assert not validate(REFRESH).problems
