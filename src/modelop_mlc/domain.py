"""ModelOp Center's domain: models, snapshots, assets, runtimes, jobs, deployments.

The records mirror ModelOp's names and JSON shapes (camelCase fields), so a diagram written for
ModelOp Center reads them unchanged: `${DEPLOYABLE_MODEL.storedModel.modelMetaData.type}`.
In process variables they are plain JSON dicts: use `record.to_variable()` and
`Record.from_variable(value)`.

ModelOp's own JSON round-trips: a record read with `from_variable` writes back exactly the
JSON it was read from. Fields the records do not model are kept under their own names,
enumerations are open (an asset role, job type or state we do not know is kept as its
string; the enums below list the names we know), missing fields stay missing, and dates are
written back as they came. So a job whose snapshot is under `model` (ModelOp's name) or
`deployableModel`, with `targetEngine` a runtime object or a name, reads and writes as is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from modelop_mlc._records import Moment, Record, open_enum, open_value

__all__ = [
    "NOT_JUDGED",
    "Asset",
    "AssetRole",
    "AssetType",
    "AssociationRole",
    "AssociationType",
    "AuditRecord",
    "DeployableModel",
    "DeployedModel",
    "DeployedState",
    "DeploymentType",
    "JobStatus",
    "JobType",
    "ModelAssociation",
    "ModelBatchJob",
    "ModelMetaData",
    "ModelTestResult",
    "Notification",
    "Runtime",
    "Schedule",
    "SnapshotMetaData",
    "Stage",
    "StoredModel",
    "open_value",
]


NOT_JUDGED = "Not judged"
"""How ModelTestResultEval's `TEST_RESULT_MESSAGE` starts when a model has no comparator DMN."""


class AssetRole(StrEnum):
    """What an asset is for (ModelOp's `assetRole`; other names are kept as strings)."""

    MODEL_SOURCE = "MODEL_SOURCE"
    MODEL_TEST_SOURCE = "MODEL_TEST_SOURCE"
    TRAINING_DATA = "TRAINING_DATA"
    TEST_DATA = "TEST_DATA"
    BASELINE_DATA = "BASELINE_DATA"
    COMPARATOR_DATA = "COMPARATOR_DATA"
    SCORING_DATA = "SCORING_DATA"
    SCORING_OUTPUT = "SCORING_OUTPUT"
    WEIGHTS_FILE = "WEIGHTS_FILE"
    MODEL_BINARY = "MODEL_BINARY"
    DMN = "DMN"
    TEST_RESULT_COMPARATOR = "TEST_RESULT_COMPARATOR"
    DASHBOARD_RESULT_COMPARATOR = "DASHBOARD_RESULT_COMPARATOR"
    DOCUMENTATION = "DOCUMENTATION"
    MODEL_DOCUMENTATION = "MODEL_DOCUMENTATION"
    README_FILE = "README_FILE"
    MODEL_SCHEMA = "MODEL_SCHEMA"
    MODEL_METADATA = "MODEL_METADATA"
    REQUIRED_LIBRARIES = "REQUIRED_LIBRARIES"
    REQUIRED_ASSETS = "REQUIRED_ASSETS"
    UNKNOWN = "UNKNOWN"


class AssetType(StrEnum):
    """Where an asset's content lives (ModelOp's `assetType`)."""

    ASSET_FILE = "ASSET_FILE"  # content embedded in ModelOp Center
    FILE = "FILE"  # a file kept by ModelOp Center (base64 `fileContent`, `fileContentString`)
    EXTERNAL_FILE = "EXTERNAL_FILE"  # a URL (s3, hdfs, http, file)
    SOURCE_CODE = "SOURCE_CODE"  # source kept as text in `sourceCode`


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
        return self in _FINISHED


_FINISHED = frozenset({JobStatus.COMPLETE, JobStatus.ERROR, JobStatus.CANCELLED})


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


class DeployedState(StrEnum):
    """Where a deployment is in its life."""

    DEPLOYED = "DEPLOYED"
    UNDEPLOYED = "UNDEPLOYED"
    RETIRED = "RETIRED"


class AssociationRole(StrEnum):
    """Why a snapshot is associated with another (ModelOp's `associationRole`)."""

    DATA_DRIFT_MODEL = "DATA_DRIFT_MODEL"
    CONCEPT_DRIFT_MODEL = "CONCEPT_DRIFT_MODEL"
    METRICS_MODEL = "METRICS_MODEL"


class AssociationType(StrEnum):
    """What an association points at (ModelOp's `associationType`)."""

    DEPLOYABLE_MODEL_ASSOCIATION = "DEPLOYABLE_MODEL_ASSOCIATION"
    STORED_MODEL_ASSOCIATION = "STORED_MODEL_ASSOCIATION"


RoleName = Annotated[AssetRole | str, open_enum(AssetRole)]
AssetTypeName = Annotated[AssetType | str, open_enum(AssetType)]
JobTypeName = Annotated[JobType | str, open_enum(JobType)]
JobStatusName = Annotated[JobStatus | str, open_enum(JobStatus)]
StageName = Annotated[Stage | str, open_enum(Stage)]
DeploymentTypeName = Annotated[DeploymentType | str, open_enum(DeploymentType)]
DeployedStateName = Annotated[DeployedState | str, open_enum(DeployedState)]
AssociationRoleName = Annotated[AssociationRole | str, open_enum(AssociationRole)]
AssociationTypeName = Annotated[AssociationType | str, open_enum(AssociationType)]


class ModelMetaData(Record):
    """A stored model's metadata."""

    name: str = Field("", description="The model name.")
    description: str | None = Field(None, description="What the model does.")
    type: str = Field("PYTHON3", description="PYTHON, PYTHON3, R, PYSPARK, ... .")
    tags: list[str] = Field(default_factory=list, description="Service and stage tags.")
    group: str | None = Field(None, description="Group or business unit.")
    model_framework: str | None = Field(None, description="e.g. scikit-learn.")
    model_methodology: str | None = Field(None, description="e.g. classification.")
    model_stage: str | None = Field(None, description="e.g. Onboarding, PROD.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Free-form metadata.")


class Asset(Record):
    """A model asset: source code, data, DMN, weights; embedded content or an external file.

    ModelOp keeps content in one of three places: `sourceCode` (SOURCE_CODE assets),
    `fileContentString` (the text of a FILE asset, next to its base64 `fileContent`) or, in
    this library's own records, `fileContent` as text. `text` reads the first one present.
    A centre may keep the content itself and give the record a reference instead: no
    content field, `contentHash` naming what it keeps (`is_reference`); read it with the
    centre's `read_asset`.
    """

    id: str | None = Field(None, description="The asset id (ModelOp also uses assetId).")
    asset_id: str | None = Field(None, description="ModelOp's asset id.")
    name: str | None = Field(None, description="Display name.")
    filename: str | None = Field(None, description="The file name.")
    asset_type: AssetTypeName = Field(AssetType.ASSET_FILE, description="Where it lives.")
    asset_role: RoleName = Field(AssetRole.UNKNOWN, description="What the asset is for.")
    file_format: str | None = Field(None, description="CSV or JSON for data.")
    file_url: str | None = Field(None, description="The location of an external file.")
    file_content: str | None = Field(None, description="Embedded content.")
    file_content_string: Any = Field(None, description="ModelOp's text of a FILE asset.")
    source_code: str | None = Field(None, description="The text of a SOURCE_CODE asset.")
    source_code_file_path: str | None = Field(None, description="Its path in the repository.")
    file_size: int | None = Field(None, description="Size in bytes.")
    primary_model_source: bool | None = Field(
        None, description="The main source among several MODEL_SOURCE assets."
    )
    repository_info: dict[str, Any] | None = Field(None, description="Storage details.")
    content_hash: dict[str, Any] | None = Field(
        None,
        description="ModelOp's `{hashType, hexString}` of the content; with no content in the "
        "record, the reference to what the centre keeps.",
    )
    created_date: Moment | None = Field(None, description="When it was added.")

    @property
    def key(self) -> str | None:
        """The asset's id, whichever of `id` and `assetId` holds it."""
        return self.id or self.asset_id

    @property
    def label(self) -> str:
        """A name for messages: file name, source path, name or id."""
        return (
            self.filename or self.source_code_file_path or self.name or self.key or "unnamed asset"
        )

    @property
    def text(self) -> str | None:
        """The embedded content as text, or None when it lives elsewhere."""
        if self.source_code is not None:
            return self.source_code
        if isinstance(self.file_content_string, str):
            return self.file_content_string
        return self.file_content

    @property
    def content_digest(self) -> str | None:
        """The SHA-256 hex digest of `contentHash`, when it names one."""
        found = self.content_hash or {}
        digest = found.get("hexString")
        kind = str(found.get("hashType", "SHA-256")).upper().replace("_", "-")
        return digest.lower() if isinstance(digest, str) and kind == "SHA-256" else None

    @property
    def is_reference(self) -> bool:
        """Whether the record carries a reference to content the centre keeps, not the content."""
        return self.text is None and self.content_hash is not None and not self.file_url

    def names(self) -> tuple[str, ...]:
        """Every file name the asset carries (for matching by extension)."""
        return tuple(n for n in (self.filename, self.source_code_file_path, self.name) if n)


class StoredModel(Record):
    """A business model: metadata and its current assets."""

    id: str = Field("", description="The stored model id.")
    model_meta_data: ModelMetaData = Field(
        default_factory=ModelMetaData, alias="modelMetaData", description="Metadata."
    )
    model_assets: list[Asset] = Field(default_factory=list, description="Current assets.")
    created_date: Moment | None = Field(None, description="When it was registered.")
    last_modified_date: Moment | None = Field(None, description="When it last changed.")


class SnapshotMetaData(Record):
    """A snapshot's own metadata (ModelOp's `metaData`: its name, tags and custom fields)."""

    name: str | None = Field(None, description="The snapshot's name.")
    description: str | None = Field(None, description="What changed.")
    tags: list[str] = Field(default_factory=list, description="The snapshot's tags.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")


class DeployableModel(Record):
    """A snapshot of a stored model: an immutable point-in-time copy, the unit of deployment."""

    id: str = Field("", description="The snapshot (deployable model) id, ModelOp's MODEL_ID.")
    stored_model: StoredModel = Field(
        default_factory=StoredModel, description="The stored model as it was."
    )
    version: int = Field(1, description="Snapshot number within the stored model.")
    tags: list[str] = Field(default_factory=list, description="e.g. run_test, jira, a service tag.")
    meta_data: SnapshotMetaData | None = Field(None, description="ModelOp's snapshot metadata.")
    deployable_model_assets: list[Asset] = Field(
        default_factory=list, description="The assets of the snapshot."
    )
    associated_models: list[ModelAssociation] = Field(
        default_factory=list, description="Monitors and other snapshots associated with it."
    )
    trained_model: dict[str, Any] | None = Field(None, description="Training output, if any.")
    created_date: Moment | None = Field(None, description="When the snapshot was made.")
    custom: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")

    def assets_with_role(self, role: AssetRole | str) -> list[Asset]:
        """Return the snapshot's assets with `role` (its own, then its stored model's)."""
        return [a for a in self.all_assets if a.asset_role == role]

    @property
    def all_tags(self) -> list[str]:
        """The tags of the snapshot, its metadata and its stored model, each once."""
        found = [*self.tags, *(self.meta_data.tags if self.meta_data else ())]
        found += self.stored_model.model_meta_data.tags
        return list(dict.fromkeys(found))

    @property
    def all_assets(self) -> list[Asset]:
        """The snapshot's assets, then its stored model's (ModelOp keeps some only there).

        An asset of the stored model with the id of one of the snapshot's is its copy and is
        left out.
        """
        own = list(self.deployable_model_assets)
        seen = {a.key for a in own if a.key}
        return own + [a for a in self.stored_model.model_assets if not a.key or a.key not in seen]


class ModelAssociation(Record):
    """A snapshot associated with another: a drift monitor, a metrics model, ..."""

    id: str | None = Field(None, description="The association id.")
    association_role: AssociationRoleName = Field(
        AssociationRole.DATA_DRIFT_MODEL, description="Why they are associated."
    )
    association_type: AssociationTypeName | None = Field(
        None, description="DEPLOYABLE_MODEL_ASSOCIATION or STORED_MODEL_ASSOCIATION."
    )
    associated_model: DeployableModel | None = Field(None, description="The associated snapshot.")
    association_assets: list[Asset] = Field(
        default_factory=list, description="Assets that belong to the association."
    )


class Runtime(Record):
    """A place models run: batch runtimes have no endpoints, online runtimes do."""

    id: str | None = Field(None, description="The runtime id.")
    name: str = Field("", description="The runtime (engine) name.")
    tags: list[str] = Field(default_factory=list, description="Service tags.")
    stage: StageName | None = Field(None, description="DEV, SIT, UAT or PROD.")
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


class Schedule(Record):
    """A recurring job of a deployed model."""

    id: str | None = Field(None, description="The schedule id.")
    cron_expression: str = Field("", description="When it runs (Quartz or 5-field cron).")
    job_type: JobTypeName = Field(JobType.MODEL_BATCH_JOB, description="The job it creates.")
    input_file: Asset | None = Field(None, description="Input data.")
    output_file: Asset | None = Field(None, description="Output location.")
    enabled: bool = Field(default=True, description="Whether it fires.")


class DeployedModel(Record):
    """A snapshot deployed to a runtime.

    ModelOp names the runtime `engine`; this library's LocalCenter names it `runtime`.
    Either is read and written back as it came; `target` is whichever is set.
    """

    id: str = Field("", description="The deployed model id.")
    deployable_model: DeployableModel = Field(
        default_factory=DeployableModel, description="What was deployed."
    )
    runtime: Runtime | None = Field(None, description="Where it runs.")
    engine: Runtime | None = Field(None, description="Where it runs (ModelOp's name).")
    deployment_type: DeploymentTypeName | None = Field(None, description="BATCH or ONLINE.")
    deployed_state: DeployedStateName = Field(
        DeployedState.DEPLOYED, description="DEPLOYED, UNDEPLOYED, RETIRED."
    )
    schedules: list[Schedule] = Field(default_factory=list, description="Recurring jobs.")
    additional_assets: list[Asset] = Field(
        default_factory=list, description="Assets deployed with the model."
    )
    expiration_date: Moment | None = Field(None, description="When approval expires.")
    created_date: Moment | None = Field(None, description="When it was deployed.")

    @property
    def target(self) -> Runtime:
        """The runtime it is deployed to (an empty record when the JSON names none)."""
        return self.runtime or self.engine or Runtime()

    @property
    def kind(self) -> DeploymentType | str:
        """BATCH or ONLINE: as recorded, else by the runtime's endpoints."""
        if self.deployment_type is not None:
            return self.deployment_type
        return DeploymentType.BATCH if self.target.batch else DeploymentType.ONLINE


class ModelBatchJob(Record):
    """A batch job: scoring, metrics (test) or training, run on a runtime.

    ModelOp's job JSON carries the snapshot under `model` and the runtime in `targetEngine`
    as an object; this library's LocalCenter writes `deployableModel` and the runtime's
    name. Both shapes are read and written back as they came: use `snapshot` and
    `engine_name`.
    """

    id: str = Field("", description="The job id.")
    job_type: JobTypeName = Field(JobType.MODEL_BATCH_JOB, description="What kind of job.")
    job_status: JobStatusName = Field(JobStatus.CREATED, description="Where it is.")
    deployable_model: DeployableModel | None = Field(None, description="The snapshot it runs.")
    snapshot_model: DeployableModel | None = Field(
        None, alias="model", description="The snapshot it runs (ModelOp's name)."
    )
    target_engine: str | Runtime | None = Field(None, description="The runtime, or its name.")
    input_data: list[Asset] = Field(default_factory=list, description="Input assets.")
    output_data: list[Asset] = Field(default_factory=list, description="Output assets.")
    job_parameters: dict[str, Any] = Field(default_factory=dict, description="Parameters.")
    result: Any = Field(None, description="The function's output (metrics, training result).")
    message: str | None = Field(None, description="Why it failed, when it did.")
    created_date: Moment | None = Field(None, description="When it was created.")
    started_date: Moment | None = Field(None, description="When it started.")
    ended_date: Moment | None = Field(None, description="When it ended.")

    @model_validator(mode="after")
    def _has_a_snapshot(self) -> ModelBatchJob:
        if self.deployable_model is None and self.snapshot_model is None:
            raise ValueError("a job needs its snapshot, under `model` or `deployableModel`")
        return self

    @property
    def snapshot(self) -> DeployableModel:
        """The snapshot the job runs, whichever field holds it."""
        # The validator guarantees one of them; the empty record only satisfies the types.
        return self.deployable_model or self.snapshot_model or DeployableModel()

    @property
    def engine_name(self) -> str | None:
        """The name of the runtime the job is for, if any."""
        if isinstance(self.target_engine, Runtime):
            return self.target_engine.name or None
        return self.target_engine

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more (a status we do not know counts as not)."""
        return self.job_status in _FINISHED


class ModelTestResult(Record):
    """Metrics of a test job, kept with the snapshot they judge."""

    id: str = Field("", description="The test result id.")
    deployable_model_id: str = Field("", description="The snapshot tested.")
    stored_model_id: str | None = Field(None, description="Its stored model.")
    job_id: str | None = Field(None, description="The job that produced it.")
    test_results: dict[str, Any] = Field(default_factory=dict, description="The metrics.")
    deployed_model: DeployedModel | None = Field(
        None, description="Where the tested snapshot ran (ModelOp's link to the snapshot)."
    )
    test_result_passed: bool | None = Field(None, description="The DMN's verdict, if judged.")
    test_result_message: str | None = Field(None, description="Why it failed, if it did.")
    created_date: Moment | None = Field(None, description="When.")

    @property
    def snapshot_id(self) -> str:
        """The tested snapshot's id: `deployableModelId`, else the deployed model's snapshot."""
        if self.deployable_model_id:
            return self.deployable_model_id
        return self.deployed_model.deployable_model.id if self.deployed_model else ""


class Notification(Record):
    """A message for people: what happened to a model, a job, a test or a process."""

    id: str = Field("", description="The notification id.")
    type: str = Field("PROCESS", description="JOB, MODEL, TEST, PROCESS, ... .")
    severity: str = Field("INFO", description="INFO, WARNING or ERROR.")
    message: str = Field("", description="What happened.")
    model_id: str | None = Field(None, description="The snapshot or stored model concerned.")
    process_instance_id: str | None = Field(None, description="The MLC instance.")
    assignment: dict[str, Any] | None = Field(None, description="Ticket details, if any.")
    created_date: Moment | None = Field(None, description="When.")


class AuditRecord(Record):
    """A change to a model (or another object) that ModelOp keeps for auditors."""

    id: str = Field("", description="The audit record id.")
    entity_type: str | None = Field(None, description="StoredModel, DeployableModel, ... .")
    entity_id: str | None = Field(None, description="The object that changed.")
    stored_model_id: str | None = Field(None, description="The stored model concerned.")
    action: str | None = Field(None, description="What happened: CREATED, UPDATED, ... .")
    changes: list[dict[str, Any]] = Field(
        default_factory=list, description="What changed: `path` and values."
    )
    meta_data: dict[str, Any] = Field(
        default_factory=dict, description="Context, e.g. the model's `modelStage`."
    )
    created_by: str | None = Field(None, description="Who made the change.")
    created_date: Moment | None = Field(None, description="When.")


DeployableModel.model_rebuild()
ModelAssociation.model_rebuild()


def is_finished(status: JobStatus | str) -> bool:
    """Whether a job status is final (COMPLETE, ERROR, CANCELLED)."""
    return status in _FINISHED
