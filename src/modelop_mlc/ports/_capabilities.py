"""What a ModelOp Center may offer beyond the `ModelOpCenter` port, one small protocol each.

ModelOp's delegate list goes further than the port every center must implement: delegates
edit stored models and jobs in place, read notifications and audit records, create
deployment records. A center says it can by implementing the matching protocol;
`LocalCenter` and `RestCenter` implement them all. A delegate checks with `isinstance` and,
on a center without the capability, stops with a `ConfigurationError` that names it (an
incident an operator must look at, never a silent skip).

| Protocol | Used by |
|---|---|
| `RecordEditing` | Update*/Patch* of stored models, snapshots, jobs, runtimes, test results |
| `CatalogueQueries` | GetJobs, GetModelTestResult, PatchDeployedModel, ... |
| `DeploymentRecords` | CreateDeployedModel |
| `NotificationInbox` | GetNotificationById, GetAllNotificationsByTypeAndSeverity, ... |
| `AuditTrail` | FindAllAuditRecordsForStoredModel, PatchAuditRecord |
| `ExternalFiles` | GetExternalFileForMocAsset |

One more is for the manager rather than delegates: a center that queues work of its own
(`LocalCenter` runs its batch jobs that way) implements `PendingJobs`, and
`manager.run_due()` and the worker run that queue after the due timers and jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from modelop_mlc.domain import (
    Asset,
    AuditRecord,
    DeployableModel,
    DeployedModel,
    ModelBatchJob,
    ModelTestResult,
    Notification,
    Runtime,
    StoredModel,
)

__all__ = [
    "CAPABILITIES",
    "AuditTrail",
    "CatalogueQueries",
    "DeploymentRecords",
    "ExternalFiles",
    "NotificationInbox",
    "PendingJobs",
    "RecordEditing",
]


@runtime_checkable
class RecordEditing(Protocol):
    """Change records in place: a patch merges top-level fields, an update replaces them."""

    def patch_stored_model(self, model_id: str, patch: Mapping[str, Any]) -> StoredModel:
        """Merge `patch` (camelCase names) into a stored model."""
        ...

    def update_stored_model(self, model: StoredModel) -> StoredModel:
        """Replace a stored model with `model` (same id)."""
        ...

    def update_deployable_model(self, snapshot: DeployableModel) -> DeployableModel:
        """Replace a snapshot with `snapshot` (same id)."""
        ...

    def patch_job(self, job_id: str, patch: Mapping[str, Any]) -> ModelBatchJob:
        """Merge `patch` into a job."""
        ...

    def update_job(self, job: ModelBatchJob) -> ModelBatchJob:
        """Replace a job with `job` (same id)."""
        ...

    def patch_runtime(self, name: str, patch: Mapping[str, Any]) -> Runtime:
        """Merge `patch` into the runtime called `name`."""
        ...

    def update_runtime(self, runtime: Runtime) -> Runtime:
        """Replace the runtime of the same name with `runtime`."""
        ...

    def update_test_result(self, result: ModelTestResult) -> ModelTestResult:
        """Replace a test result with `result` (same id)."""
        ...


@runtime_checkable
class CatalogueQueries(Protocol):
    """Read jobs, deployments and test results by id or filter (newest first)."""

    def find_jobs(
        self,
        *,
        deployable_model_id: str | None = None,
        statuses: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[ModelBatchJob]:
        """List jobs of a snapshot and/or with one of `statuses` and one of `types`."""
        ...

    def get_deployed_model(self, deployed_model_id: str) -> DeployedModel:
        """Return a deployed model."""
        ...

    def get_test_result(self, result_id: str) -> ModelTestResult:
        """Return a test result."""
        ...


@runtime_checkable
class DeploymentRecords(Protocol):
    """Record a deployment made elsewhere, without undeploying anything."""

    def create_deployed_model(
        self, deployed: DeployedModel, *, idempotency_key: str | None = None
    ) -> DeployedModel:
        """Store `deployed` (its id is assigned) and return it."""
        ...


@runtime_checkable
class NotificationInbox(Protocol):
    """Read and change notifications."""

    def get_notification(self, notification_id: str) -> Notification:
        """Return a notification."""
        ...

    def find_notifications(
        self,
        *,
        type: str | None = None,  # noqa: A002 - ModelOp's field name
        severity: str | None = None,
        model_id: str | None = None,
    ) -> list[Notification]:
        """List notifications (newest first) matching every given filter."""
        ...

    def patch_notification(self, notification_id: str, patch: Mapping[str, Any]) -> Notification:
        """Merge `patch` into a notification."""
        ...


@runtime_checkable
class AuditTrail(Protocol):
    """Read and annotate the audit records kept for stored models."""

    def find_audit_records(self, stored_model_id: str) -> list[AuditRecord]:
        """List a stored model's audit records, newest first."""
        ...

    def patch_audit_record(self, record_id: str, patch: Mapping[str, Any]) -> AuditRecord:
        """Merge `patch` into an audit record."""
        ...


@runtime_checkable
class ExternalFiles(Protocol):
    """Turn an asset into an external file a runtime can fetch."""

    def external_file_for(self, asset: Asset, *, file_url: str | None = None) -> Asset:
        """Return `asset` as an EXTERNAL_FILE (writing its content to `file_url` if needed)."""
        ...


@runtime_checkable
class PendingJobs(Protocol):
    """Run work the center queued itself (the manager's worker calls it each round)."""

    def run_pending_jobs(self, limit: int | None = None) -> int:
        """Run up to `limit` (None: all) queued jobs; return how many ran."""
        ...


CAPABILITIES: tuple[type[Any], ...] = (
    RecordEditing,
    CatalogueQueries,
    DeploymentRecords,
    NotificationInbox,
    AuditTrail,
    ExternalFiles,
)
"""Every optional capability delegates use, in the order the docs list them."""
