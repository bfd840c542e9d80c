"""The ModelOp records read ModelOp's own JSON and write it back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from corpus_support import load, names, record_class
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    AssociationRole,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    JobStatus,
    JobType,
    ModelBatchJob,
    ModelTestResult,
    Runtime,
    Schedule,
    Stage,
    StoredModel,
)


def test_the_corpus_has_a_file_for_every_record() -> None:
    """Every record kind the corpus maps to has at least one file."""
    prefixes = {record_class(name) for name in names()}
    assert len(prefixes) == 9
    assert len(names()) >= 16


@pytest.mark.parametrize("name", names())
def test_a_corpus_file_round_trips_through_its_record(name: str) -> None:
    """Parse, then dump: the same JSON, with every unknown field and explicit null kept."""
    data = load(name)
    record = record_class(name).from_variable(data)
    assert record.to_variable() == data


@pytest.mark.parametrize("name", names())
def test_a_dumped_record_reads_back_to_the_same_record(name: str) -> None:
    """Dump, then parse again: nothing drifts on a second trip."""
    cls = record_class(name)
    once = cls.from_variable(load(name)).to_variable()
    assert cls.from_variable(once).to_variable() == once


def test_modelop_asset_roles_and_types_are_known_names() -> None:
    """README_FILE, MODEL_SCHEMA, TEST_RESULT_COMPARATOR, FILE ... become enum members."""
    model = StoredModel.from_variable(load("stored_model_with_all_asset_roles"))
    roles = [a.asset_role for a in model.model_assets]
    for role in (
        "MODEL_TEST_SOURCE",
        "README_FILE",
        "MODEL_METADATA",
        "MODEL_SCHEMA",
        "REQUIRED_LIBRARIES",
        "REQUIRED_ASSETS",
        "MODEL_DOCUMENTATION",
        "COMPARATOR_DATA",
        "TEST_RESULT_COMPARATOR",
    ):
        assert isinstance(roles[[str(r) for r in roles].index(role)], AssetRole)
    types = {a.asset_type for a in model.model_assets}
    assert {AssetType.FILE, AssetType.SOURCE_CODE, AssetType.EXTERNAL_FILE} <= types


def test_an_unknown_role_and_type_are_kept_as_strings() -> None:
    """A role or asset type we do not know stays the string it was, and compares equal."""
    model = StoredModel.from_variable(load("stored_model_with_all_asset_roles"))
    odd = model.model_assets[-1]
    assert (odd.asset_role, odd.asset_type) == ("FAIRNESS_QUERY", "SQL_STATEMENT")
    assert not isinstance(odd.asset_role, AssetRole)
    assert odd.to_variable()["sqlStatement"] == "select * from loans"


def test_unknown_job_type_status_stage_and_state_are_kept() -> None:
    """Open enumerations everywhere: job type and status, stage, deployed state, role."""
    job = ModelBatchJob.from_variable(
        {"jobType": "MODEL_BATCH_SPARK_JOB", "jobStatus": "PAUSED", "model": {"id": "s"}}
    )
    assert (job.job_type, job.job_status, job.finished) == (
        "MODEL_BATCH_SPARK_JOB",
        "PAUSED",
        False,
    )
    deployed = DeployedModel.from_variable({"deployedState": "SUSPENDED"})
    assert deployed.deployed_state == "SUSPENDED"
    assert Runtime.from_variable(load("runtime_modelop_engine")).stage == "QA"
    snapshot = DeployableModel.from_variable(load("snapshot_with_drift_association"))
    assert snapshot.associated_models[1].association_role == "BIAS_MONITOR"


def test_known_names_become_members_so_their_helpers_work() -> None:
    """A known status is a JobStatus member: `finished` and comparisons work."""
    job = ModelBatchJob.from_variable(load("job_monitor_completed"))
    assert job.job_status is JobStatus.COMPLETE
    assert job.finished
    assert job.job_type == JobType.MODEL_BATCH_TEST_JOB == "MODEL_BATCH_TEST_JOB"


def test_a_job_reads_its_snapshot_from_model_or_deployable_model() -> None:
    """ModelOp's `model` and LocalCenter's `deployableModel` both give the job's snapshot."""
    modelop = ModelBatchJob.from_variable(load("job_monitor_completed"))
    local = ModelBatchJob.from_variable(load("job_local_shape"))
    assert modelop.snapshot.stored_model.model_meta_data.name == "Loan Portfolio Monitor"
    assert local.snapshot.id == "snap-2b"
    assert "deployableModel" not in modelop.to_variable()
    assert "model" not in local.to_variable()


def test_target_engine_is_a_name_or_a_runtime_object() -> None:
    """`engine_name` reads a runtime object's name, or the plain name."""
    assert ModelBatchJob.from_variable(load("job_monitor_completed")).engine_name == (
        "engine-monitoring-2"
    )
    assert ModelBatchJob.from_variable(load("job_drift_test_to_create")).engine_name == (
        "spark-runtime-east"
    )
    assert ModelBatchJob.from_variable(load("job_local_shape")).engine_name == "batch-dev"


def test_a_job_without_a_snapshot_is_refused_naming_both_fields() -> None:
    """A job needs its snapshot; the error names `model` and `deployableModel`."""
    with pytest.raises(ValidationError, match="under `model` or `deployableModel`"):
        ModelBatchJob.from_variable({"jobType": "MODEL_BATCH_JOB"})


def test_a_job_to_create_has_no_ids_and_keeps_none() -> None:
    """ModelOp's job body has no ids; the records neither need nor invent them."""
    data = load("job_drift_test_to_create")
    job = ModelBatchJob.from_variable(data)
    assert (job.id, job.snapshot.id, job.snapshot.stored_model.id) == ("", "", "")
    assert "id" not in job.to_variable()["model"]


def test_associations_carry_role_type_and_the_associated_snapshot() -> None:
    """`associatedModels` entries: role, type, the associated snapshot and its assets."""
    snapshot = DeployableModel.from_variable(load("snapshot_with_drift_association"))
    drift = snapshot.associated_models[0]
    assert drift.association_role is AssociationRole.DATA_DRIFT_MODEL
    assert drift.association_type == "DEPLOYABLE_MODEL_ASSOCIATION"
    assert drift.associated_model is not None
    assert drift.associated_model.stored_model.model_meta_data.name == "Loan Drift Monitor"
    assert drift.association_assets[0].asset_role is AssetRole.COMPARATOR_DATA
    assert snapshot.associated_models[1].associated_model is None


def test_an_association_with_only_an_id_stays_only_an_id() -> None:
    """An un-hydrated associated model writes back without a storedModel (ModelOp checks it)."""
    snapshot = DeployableModel.from_variable(load("snapshot_association_not_hydrated"))
    written = snapshot.to_variable()["associatedModels"][0]["associatedModel"]
    assert written == {"id": "0f4e9b21-8c7d-4a6b-b5e3-2d1c0b9a8f7e"}


def test_snapshot_tags_include_its_metadata_and_stored_model_tags() -> None:
    """ModelOp keeps a snapshot's tags in `metaData.tags`; `all_tags` sees them."""
    snapshot = DeployableModel.from_variable(load("snapshot_with_drift_association"))
    assert snapshot.all_tags == ["loan-default", "PROD"]


def test_asset_text_comes_from_source_code_file_content_string_or_file_content() -> None:
    """ModelOp's text lives in `sourceCode` or `fileContentString`; ours in `fileContent`."""
    model = StoredModel.from_variable(load("stored_model_with_all_asset_roles"))
    by_name = {a.name: a for a in model.model_assets}
    assert by_name["model.py"].text is not None
    assert by_name["model.py"].text.startswith("# modelop.score")
    assert by_name["README.md"].text == "# Loan Default\n"
    assert by_name["training.csv"].text is None
    assert Asset(file_content="a,b\n").text == "a,b\n"
    assert by_name["model.py"].key == "11111111-aaaa-4bbb-8ccc-000000000001"


def test_a_deployment_reads_its_runtime_from_runtime_or_engine() -> None:
    """ModelOp's `engine` and LocalCenter's `runtime` both give `target`; kind follows."""
    modelop = DeployedModel.from_variable(load("deployed_model_modelop_engine"))
    local = DeployedModel.from_variable(load("deployed_model_local_shape"))
    assert (modelop.target.name, modelop.kind) == ("engine-prod-1", DeploymentType.BATCH)
    assert (local.target.name, local.kind) == ("online-prod", DeploymentType.ONLINE)
    assert DeployedModel.from_variable({"engine": {"name": "x", "endpoints": [{}]}}).kind == (
        DeploymentType.ONLINE
    )


def test_a_test_result_finds_its_snapshot_through_the_deployed_model() -> None:
    """ModelOp links a result to its snapshot via `deployedModel`; `snapshot_id` reads it."""
    modelop = ModelTestResult.from_variable(load("test_result_drift_monitor"))
    local = ModelTestResult.from_variable(load("test_result_local_shape"))
    assert modelop.snapshot_id == "3c9a7e51-0d2b-4f6a-8e1c-5b4a3f2e1d0c"
    assert local.snapshot_id == "snap-2b"


def test_dates_are_written_back_as_they_came() -> None:
    """Milliseconds and `Z` survive; epoch numbers stay numbers; the value is a datetime."""
    job = ModelBatchJob.from_variable(load("job_monitor_completed"))
    assert job.created_date == datetime(2026, 1, 5, 6, 10, 2, 117000, tzinfo=UTC)
    assert job.to_variable()["createdDate"] == "2026-01-05T06:10:02.117Z"
    stamped = Asset.from_variable({"createdDate": 1767593404210})
    assert stamped.to_variable() == {"createdDate": 1767593404210}


def test_records_built_in_code_write_their_defaults() -> None:
    """A record made in code shows every field with a value, so variables stay complete."""
    runtime = Runtime(name="batch-dev", stage=Stage.DEV)
    assert runtime.to_variable() == {
        "name": "batch-dev",
        "tags": [],
        "stage": "DEV",
        "endpoints": [],
        "supportedModelTypes": ["PYTHON3", "PYTHON"],
        "engineState": "RUNNING",
    }
    assert Schedule(cron_expression="0 0 6 * * ?").to_variable()["jobType"] == "MODEL_BATCH_JOB"


def test_a_copy_with_changes_writes_the_changed_fields() -> None:
    """`model_copy(update=...)` of a record read from JSON writes the new fields too."""
    job = ModelBatchJob.from_variable(load("job_drift_test_to_create"))
    moved = job.model_copy(update={"id": "j-1", "job_status": JobStatus.RUNNING})
    written: dict[str, Any] = moved.to_variable()
    assert (written["id"], written["jobStatus"]) == ("j-1", "RUNNING")
    assert "message" not in written
