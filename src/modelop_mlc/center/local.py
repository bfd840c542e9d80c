"""`LocalCenter`: the embedded ModelOp Center.

It keeps its catalogue in the manager's database and really runs models (their Python
source, in a child process, on CSV or JSON-lines data). The class is built in layers:
`_local_catalogue.py` (documents, stored models, snapshots, assets, runtimes),
`_local_jobs.py` (batch jobs), then this module (deployments, test results, notifications).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from modelop_mlc.center._filters import deployed_model_matches
from modelop_mlc.center._local_catalogue import SIGNAL_PREFIX, CenterEvents, DocumentStore
from modelop_mlc.center._local_jobs import _LocalJobs
from modelop_mlc.domain import (
    DeployableModel,
    DeployedModel,
    DeploymentType,
    ModelTestResult,
    Notification,
    Runtime,
    StoredModel,
)
from modelop_mlc.errors import ConfigurationError

__all__ = ["SIGNAL_PREFIX", "CenterEvents", "DocumentStore", "LocalCenter"]


class LocalCenter(_LocalJobs):
    """The embedded ModelOp Center.

    Args:
        store: Where documents live (the manager passes its own store).
        clock: The manager's clock.
        on_event: Called with (signal name, variables) when a snapshot is created or a job
            changes state; the manager broadcasts it as a signal.
        data_roots: Directories external `file://` assets may be read from and written to.
            Nothing outside them is touched; none means external files are refused.
        job_timeout: Seconds a job's model code may run.
        python: The interpreter that runs model code (default: this one).
        inline_limit: Bytes of source code or a small model file (README, requirements,
            schema, comparator DMN) an asset record keeps in itself, as ModelOp does; larger
            ones, and every data file, are kept by the center and the record carries a
            reference (`contentHash`) that `read_asset` reads.
    """

    # ------------------------------------------------------------------ deployments

    def deploy_model(
        self,
        deployable_model: DeployableModel,
        runtime: Runtime,
        *,
        idempotency_key: str | None = None,
    ) -> DeployedModel:
        """Deploy a snapshot; earlier deployments of the model on that runtime are replaced."""
        deployed_id, earlier = self._id_for("deployedModel", DeployedModel, idempotency_key)
        if earlier is not None:
            return earlier
        for previous in self.find_deployed_models(
            stored_model_id=deployable_model.stored_model.id, state="DEPLOYED"
        ):
            if previous.target.name == runtime.name:
                self.patch_deployed_model(previous.id, {"deployedState": "UNDEPLOYED"})
        running = runtime.model_copy(update={"engine_state": "RUNNING"})
        self._put("runtime", running, running.name)
        deployed = DeployedModel(
            id=deployed_id,
            deployable_model=deployable_model,
            runtime=running,
            engine=running,  # ModelOp's name for it, which ModelOp's diagrams read
            deployment_type=DeploymentType.BATCH if running.batch else DeploymentType.ONLINE,
            created_date=self.clock.now(),
        )
        self._put("deployedModel", deployed, deployed.id)
        return deployed

    def create_deployed_model(
        self, deployed: DeployedModel, *, idempotency_key: str | None = None
    ) -> DeployedModel:
        """Record a deployment as given (a new id, nothing undeployed, no runtime change)."""
        deployed_id, earlier = self._id_for("deployedModel", DeployedModel, idempotency_key)
        if earlier is not None:
            return earlier
        update: dict[str, Any] = {"id": deployed_id}
        if deployed.created_date is None:
            update["created_date"] = self.clock.now()
        record = deployed.model_copy(update=update)
        self._put("deployedModel", record, deployed_id)
        return record

    def get_deployed_model(self, deployed_model_id: str) -> DeployedModel:
        """Return a deployed model."""
        return self._get("deployedModel", DeployedModel, deployed_model_id, "deployed model")

    def find_deployed_models(
        self,
        *,
        tag: str | None = None,
        stage: str | None = None,
        state: str | None = None,
        stored_model_id: str | None = None,
        deployable_model_id: str | None = None,
    ) -> list[DeployedModel]:
        """List deployed models (newest first) matching every given filter."""
        filters = {
            "tag": tag,
            "stage": stage,
            "state": state,
            "stored_model_id": stored_model_id,
            "deployable_model_id": deployable_model_id,
        }
        return [
            d
            for d in self._all("deployedModel", DeployedModel)
            if deployed_model_matches(d, **filters)
        ]

    def patch_deployed_model(
        self, deployed_model_id: str, patch: Mapping[str, Any]
    ) -> DeployedModel:
        """Merge `patch` (camelCase names) into a deployed model."""
        current = self.get_deployed_model(deployed_model_id).to_variable()
        updated = DeployedModel.from_variable({**current, **dict(patch)})
        self._put("deployedModel", updated, updated.id)
        return updated

    # ------------------------------------------------------------------ test results

    def create_test_result(
        self,
        deployable_model_id: str,
        results: Mapping[str, Any],
        *,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ModelTestResult:
        """Store a test job's metrics with the snapshot."""
        result_id, earlier = self._id_for("testResult", ModelTestResult, idempotency_key)
        if earlier is not None:
            return earlier
        snapshot = self.get_deployable_model(deployable_model_id)
        result = ModelTestResult(
            id=result_id,
            deployable_model_id=snapshot.id,
            stored_model_id=snapshot.stored_model.id,
            job_id=job_id,
            test_results=dict(results),
            created_date=self.clock.now(),
        )
        self._put("testResult", result, result.id)
        return result

    def get_test_result(self, result_id: str) -> ModelTestResult:
        """Return a test result."""
        return self._get("testResult", ModelTestResult, result_id, "test result")

    def update_test_result(self, result: ModelTestResult) -> ModelTestResult:
        """Replace a test result with `result` (same id)."""
        self.get_test_result(result.id)
        self._put("testResult", result, result.id)
        return result

    def patch_test_result(self, result_id: str, patch: Mapping[str, Any]) -> ModelTestResult:
        """Merge `patch` into a test result."""
        current = self._get("testResult", ModelTestResult, result_id, "test result")
        updated = ModelTestResult.from_variable({**current.to_variable(), **dict(patch)})
        self._put("testResult", updated, updated.id)
        return updated

    def find_test_results(self, deployable_model_id: str) -> list[ModelTestResult]:
        """List a snapshot's test results, newest first."""
        return [
            r
            for r in self._all("testResult", ModelTestResult)
            if r.snapshot_id == deployable_model_id
        ]

    # ------------------------------------------------------------------ notifications

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
        """Record a notification."""
        notification_id, earlier = self._id_for("notification", Notification, idempotency_key)
        if earlier is not None:
            return earlier
        notification = Notification(
            id=notification_id,
            type=type,
            severity=severity,
            message=message,
            model_id=model_id,
            process_instance_id=process_instance_id,
            assignment=dict(assignment) if assignment else None,
            created_date=self.clock.now(),
        )
        self._put("notification", notification, notification.id)
        return notification

    def notifications(self) -> list[Notification]:
        """List notifications, newest first."""
        return self._all("notification", Notification)

    def get_notification(self, notification_id: str) -> Notification:
        """Return a notification."""
        return self._get("notification", Notification, notification_id, "notification")

    def find_notifications(
        self,
        *,
        type: str | None = None,  # noqa: A002 - ModelOp's field name
        severity: str | None = None,
        model_id: str | None = None,
    ) -> list[Notification]:
        """List notifications, newest first, matching every given filter."""
        return [
            n
            for n in self.notifications()
            if (type is None or n.type == type)
            and (severity is None or n.severity == severity)
            and (model_id is None or n.model_id == model_id)
        ]

    def patch_notification(self, notification_id: str, patch: Mapping[str, Any]) -> Notification:
        """Merge `patch` into a notification (e.g. close it, raise its severity)."""
        current = self.get_notification(notification_id).to_variable()
        updated = Notification.from_variable({**current, **dict(patch), "id": notification_id})
        self._put("notification", updated, notification_id)
        return updated

    def __iter__(self) -> Iterator[StoredModel]:
        """Iterate over stored models."""
        return iter(self.find_stored_models())

    def __repr__(self) -> str:
        """Describe the center."""
        return "LocalCenter()"


def require_local(center: Any) -> LocalCenter:
    """Return `center` if it is a LocalCenter.

    Raises:
        ConfigurationError: Otherwise.
    """
    if not isinstance(center, LocalCenter):
        raise ConfigurationError("this needs the embedded LocalCenter")
    return center
