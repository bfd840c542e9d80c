"""ModelOp Center's domain: models, snapshots, assets, runtimes, jobs, deployments.

The records mirror ModelOp's names and JSON shapes (camelCase fields), so a diagram written for
ModelOp Center reads them unchanged: `${DEPLOYABLE_MODEL.storedModel.modelMetaData.type}`.
In process variables they are plain JSON dicts: use `record.to_variable()` and
`Record.from_variable(value)`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "Asset",
    "AssetRole",
    "AssetType",
    "DeployableModel",
    "DeployedModel",
    "DeploymentType",
    "JobStatus",
    "JobType",
    "ModelBatchJob",
    "ModelMetaData",
    "ModelTestResult",
    "Notification",
    "Runtime",
    "Schedule",
    "Stage",
    "StoredModel",
]


class AssetRole(StrEnum):
    """What an asset is for (ModelOp's `assetRole`)."""

    MODEL_SOURCE = "MODEL_SOURCE"
    TRAINING_DATA = "TRAINING_DATA"
    TEST_DATA = "TEST_DATA"
    BASELINE_DATA = "BASELINE_DATA"
    COMPARATOR_DATA = "COMPARATOR_DATA"
    SCORING_DATA = "SCORING_DATA"
    SCORING_OUTPUT = "SCORING_OUTPUT"
    WEIGHTS_FILE = "WEIGHTS_FILE"
    MODEL_BINARY = "MODEL_BINARY"
    DMN = "DMN"
    DOCUMENTATION = "DOCUMENTATION"
    UNKNOWN = "UNKNOWN"


class AssetType(StrEnum):
    """Where an asset's content lives (ModelOp's `assetType`)."""

    ASSET_FILE = "ASSET_FILE"  # content embedded in ModelOp Center
    EXTERNAL_FILE = "EXTERNAL_FILE"  # a URL (s3, hdfs, http, file)
    SOURCE_CODE = "SOURCE_CODE"


class JobType(StrEnum):
    """Batch job kinds."""

    MODEL_BATCH_JOB = "MODEL_BATCH_JOB"
    MODEL_BATCH_TEST_JOB = "MODEL_BATCH_TEST_JOB"
    MODEL_BATCH_TRAINING_JOB = "MODEL_BATCH_TRAINING_JOB"


class JobStatus(StrEnum):
    """Batch job states."""

    CREATED = "CREATED"
    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in {JobStatus.COMPLETE, JobStatus.ERROR, JobStatus.CANCELLED}


class Stage(StrEnum):
    """Runtime environments (ModelOp's environment/stage tags)."""

    DEV = "DEV"
    SIT = "SIT"
    UAT = "UAT"
    PROD = "PROD"


class DeploymentType(StrEnum):
    """How a model is deployed: batch runtimes have no endpoints, online ones do."""

    BATCH = "BATCH"
    ONLINE = "ONLINE"


class _Record(BaseModel):
    """Base: camelCase aliases, unknown fields kept, JSON round trips."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_variable(self) -> dict[str, Any]:
        """Return the record as a process-variable value (a JSON dict, ModelOp's names)."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)

    @classmethod
    def from_variable(cls, value: Any) -> Self:
        """Read a record from a process-variable value (a dict with ModelOp's names)."""
        return cls.model_validate(value)


class ModelMetaData(_Record):
    """A stored model's metadata."""

    name: str = Field(description="The model name.")
    description: str | None = Field(None, description="What the model does.")
    type: str = Field("PYTHON3", description="PYTHON, PYTHON3, R, PYSPARK, ... .")
    tags: list[str] = Field(default_factory=list, description="Service and stage tags.")
    group: str | None = Field(None, description="Group or business unit.")
    model_framework: str | None = Field(None, description="e.g. scikit-learn.")
    model_methodology: str | None = Field(None, description="e.g. classification.")
    model_stage: str | None = Field(None, description="e.g. Onboarding, PROD.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Free-form metadata.")


class Asset(_Record):
    """A model asset: source code, data, DMN, weights; embedded content or an external file."""

    id: str | None = Field(None, description="The asset id.")
    name: str | None = Field(None, description="Display name.")
    filename: str | None = Field(None, description="The file name.")
    asset_type: AssetType = Field(AssetType.ASSET_FILE, description="Embedded or external.")
    asset_role: AssetRole = Field(AssetRole.UNKNOWN, description="What the asset is for.")
    file_format: str | None = Field(None, description="CSV or JSON for data.")
    file_url: str | None = Field(None, description="The location of an external file.")
    file_content: str | None = Field(None, description="Embedded content (text).")
    file_size: int | None = Field(None, description="Size in bytes.")
    repository_info: dict[str, Any] | None = Field(None, description="Storage details.")


class StoredModel(_Record):
    """A business model: metadata and its current assets."""

    id: str = Field(description="The stored model id.")
    model_meta_data: ModelMetaData = Field(alias="modelMetaData", description="Metadata.")
    model_assets: list[Asset] = Field(default_factory=list, description="Current assets.")
    created_date: datetime | None = Field(None, description="When it was registered.")
    last_modified_date: datetime | None = Field(None, description="When it last changed.")


class DeployableModel(_Record):
    """A snapshot of a stored model: an immutable point-in-time copy, the unit of deployment."""

    id: str = Field(description="The snapshot (deployable model) id, ModelOp's MODEL_ID.")
    stored_model: StoredModel = Field(description="The stored model as it was.")
    version: int = Field(1, description="Snapshot number within the stored model.")
    tags: list[str] = Field(default_factory=list, description="e.g. run_test, jira, a service tag.")
    deployable_model_assets: list[Asset] = Field(
        default_factory=list, description="The assets of the snapshot."
    )
    trained_model: dict[str, Any] | None = Field(None, description="Training output, if any.")
    created_date: datetime | None = Field(None, description="When the snapshot was made.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")

    def assets_with_role(self, role: AssetRole | str) -> list[Asset]:
        """Return the snapshot's assets with `role`."""
        return [a for a in self.deployable_model_assets if a.asset_role == role]


class Runtime(_Record):
    """A place models run: batch runtimes have no endpoints, online runtimes do."""

    id: str | None = Field(None, description="The runtime id.")
    name: str = Field(description="The runtime (engine) name.")
    tags: list[str] = Field(default_factory=list, description="Service tags.")
    stage: Stage | None = Field(None, description="DEV, SIT, UAT or PROD.")
    endpoints: list[dict[str, Any]] = Field(
        default_factory=list, description="REST/stream endpoints; none means a batch runtime."
    )
    supported_model_types: list[str] = Field(
        default_factory=lambda: ["PYTHON3", "PYTHON"], description="Model types it can run."
    )
    engine_state: str = Field("RUNNING", description="RUNNING or STOPPED.")

    @property
    def batch(self) -> bool:
        """Whether this is a batch runtime (no endpoints)."""
        return not self.endpoints


class Schedule(_Record):
    """A recurring job of a deployed model."""

    id: str | None = Field(None, description="The schedule id.")
    cron_expression: str = Field(description="When it runs (Quartz or 5-field cron).")
    job_type: JobType = Field(JobType.MODEL_BATCH_JOB, description="The job it creates.")
    input_file: Asset | None = Field(None, description="Input data.")
    output_file: Asset | None = Field(None, description="Output location.")
    enabled: bool = Field(default=True, description="Whether it fires.")


class DeployedModel(_Record):
    """A snapshot deployed to a runtime."""

    id: str = Field(description="The deployed model id.")
    deployable_model: DeployableModel = Field(description="What was deployed.")
    runtime: Runtime = Field(description="Where it runs.")
    deployment_type: DeploymentType = Field(description="BATCH or ONLINE.")
    deployed_state: str = Field("DEPLOYED", description="DEPLOYED, UNDEPLOYED, RETIRED.")
    schedules: list[Schedule] = Field(default_factory=list, description="Recurring jobs.")
    expiration_date: datetime | None = Field(None, description="When approval expires.")
    created_date: datetime | None = Field(None, description="When it was deployed.")


class ModelBatchJob(_Record):
    """A batch job: scoring, metrics (test) or training, run on a runtime."""

    id: str = Field(description="The job id.")
    job_type: JobType = Field(description="What kind of job.")
    job_status: JobStatus = Field(JobStatus.CREATED, description="Where it is.")
    deployable_model: DeployableModel = Field(description="The snapshot it runs.")
    target_engine: str | None = Field(None, description="The runtime name.")
    input_data: list[Asset] = Field(default_factory=list, description="Input assets.")
    output_data: list[Asset] = Field(default_factory=list, description="Output assets.")
    job_parameters: dict[str, Any] = Field(default_factory=dict, description="Parameters.")
    result: Any = Field(None, description="The function's output (metrics, training result).")
    message: str | None = Field(None, description="Why it failed, when it did.")
    created_date: datetime | None = Field(None, description="When it was created.")
    started_date: datetime | None = Field(None, description="When it started.")
    ended_date: datetime | None = Field(None, description="When it ended.")


class ModelTestResult(_Record):
    """Metrics of a test job, kept with the snapshot they judge."""

    id: str = Field(description="The test result id.")
    deployable_model_id: str = Field(description="The snapshot tested.")
    stored_model_id: str | None = Field(None, description="Its stored model.")
    job_id: str | None = Field(None, description="The job that produced it.")
    test_results: dict[str, Any] = Field(default_factory=dict, description="The metrics.")
    test_result_passed: bool | None = Field(None, description="The DMN's verdict, if judged.")
    test_result_message: str | None = Field(None, description="Why it failed, if it did.")
    created_date: datetime | None = Field(None, description="When.")


class Notification(_Record):
    """A message for people: what happened to a model, a job, a test or a process."""

    id: str = Field(description="The notification id.")
    type: str = Field("PROCESS", description="JOB, MODEL, TEST, PROCESS, ... .")
    severity: str = Field("INFO", description="INFO, WARNING or ERROR.")
    message: str = Field(description="What happened.")
    model_id: str | None = Field(None, description="The snapshot or stored model concerned.")
    process_instance_id: str | None = Field(None, description="The MLC instance.")
    assignment: dict[str, Any] | None = Field(None, description="Ticket details, if any.")
    created_date: datetime | None = Field(None, description="When.")
