"""The `ModelOpCenter` port: what ModelOp's delegates ask of a ModelOp Center."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from modelop_mlc.domain import (
    Asset,
    DeployableModel,
    DeployedModel,
    JobType,
    ModelBatchJob,
    ModelTestResult,
    Notification,
    Runtime,
    StoredModel,
)
from modelop_mlc.errors import NotFoundError

__all__ = ["ModelOpCenter", "ModelOpNotFoundError"]


class ModelOpNotFoundError(NotFoundError):
    """A ModelOp object (model, snapshot, job, runtime, ...) does not exist."""

    def __init__(self, kind: str, object_id: str) -> None:
        """Create the error for one object."""
        self.kind = kind
        self.object_id = object_id
        super().__init__(f"no {kind} with id '{object_id}' in ModelOp Center")


@runtime_checkable
class ModelOpCenter(Protocol):
    """A ModelOp Center: `LocalCenter` (embedded, in the manager's database) or `RestCenter`.

    Lists are newest first. Methods raise `ModelOpNotFoundError` for unknown ids and
    `modelop_mlc.errors.IntegrationError` when a remote center fails. Methods that create
    something take an `idempotency_key`: a repeated key returns what the first call created.
    """

    # stored models
    def get_stored_model(self, model_id: str) -> StoredModel:
        """Return a stored model."""
        ...

    def find_stored_models(self, *, name: str | None = None) -> list[StoredModel]:
        """List stored models (optionally by exact name)."""
        ...

    # snapshots
    def get_deployable_model(self, deployable_model_id: str) -> DeployableModel:
        """Return a snapshot."""
        ...

    def create_deployable_model(
        self,
        stored_model_id: str,
        *,
        tags: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> DeployableModel:
        """Snapshot a stored model (its current metadata and assets)."""
        ...

    def patch_deployable_model(
        self, deployable_model_id: str, patch: Mapping[str, Any]
    ) -> DeployableModel:
        """Change fields of a snapshot (camelCase names, shallow merge)."""
        ...

    def find_deployable_models(
        self, *, tag: str | None = None, stored_model_id: str | None = None
    ) -> list[DeployableModel]:
        """List snapshots with a tag (on the snapshot or its model) and/or of one model."""
        ...

    # assets
    def read_asset(self, asset: Asset) -> str:
        """Return an asset's content as text (embedded, or fetched from its URL)."""
        ...

    def create_external_file_asset(
        self, *, filename: str, file_format: str, role: str = "UNKNOWN", file_url: str | None = None
    ) -> Asset:
        """Create an (empty) output asset a job can write to."""
        ...

    # runtimes
    def list_runtimes(self, *, tag: str | None = None) -> list[Runtime]:
        """List runtimes (optionally with a tag)."""
        ...

    def get_runtime(self, name: str) -> Runtime:
        """Return a runtime by name."""
        ...

    def stop_engine(self, name: str) -> str:
        """Stop a runtime's engine; return its new state."""
        ...

    # jobs
    def create_batch_job(
        self,
        deployable_model: DeployableModel,
        job_type: JobType | str,
        *,
        inputs: Sequence[Asset],
        outputs: Sequence[Asset] = (),
        runtime: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ModelBatchJob:
        """Create a batch job (training, metrics or scoring) on a runtime."""
        ...

    def get_job(self, job_id: str) -> ModelBatchJob:
        """Return a job."""
        ...

    # deployments
    def deploy_model(
        self,
        deployable_model: DeployableModel,
        runtime: Runtime,
        *,
        idempotency_key: str | None = None,
    ) -> DeployedModel:
        """Deploy a snapshot to a runtime (batch when the runtime has no endpoints)."""
        ...

    def find_deployed_models(
        self,
        *,
        tag: str | None = None,
        stage: str | None = None,
        state: str | None = None,
        stored_model_id: str | None = None,
        deployable_model_id: str | None = None,
    ) -> list[DeployedModel]:
        """List deployed models matching every given filter."""
        ...

    def patch_deployed_model(
        self, deployed_model_id: str, patch: Mapping[str, Any]
    ) -> DeployedModel:
        """Change fields of a deployed model (schedules, expiration date, state)."""
        ...

    # test results and notifications
    def create_test_result(
        self,
        deployable_model_id: str,
        results: Mapping[str, Any],
        *,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ModelTestResult:
        """Store a test job's metrics with the snapshot."""
        ...

    def patch_test_result(self, result_id: str, patch: Mapping[str, Any]) -> ModelTestResult:
        """Change fields of a test result (e.g. the DMN's verdict)."""
        ...

    def find_test_results(self, deployable_model_id: str) -> list[ModelTestResult]:
        """List a snapshot's test results."""
        ...

    def create_notification(
        self,
        message: str,
        *,
        type: str = "PROCESS",  # noqa: A002
        severity: str = "INFO",
        model_id: str | None = None,
        process_instance_id: str | None = None,
        assignment: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Notification:
        """Record a notification for people."""
        ...
