"""`RestCenter`: the `ModelOpCenter` port against a ModelOp Center's model-manage REST API.

Every call goes to `{base_url}/model-manage/api/...` with `Authorization: Bearer <token>`.
The token is given, or exchanged for a user's password (or client credentials) at
`POST {base_url}/gocli/token` and renewed when it expires (per the injected clock) or is
refused with 401. Transient failures are retried with back-off (see `_rest_transport`), and
creates carry their idempotency key so that no retry makes a second object. Resources and
shapes are those of ModelOp's Spring Data REST services (HAL JSON); docs/modelop-center.md
lists the endpoints, the query parameters used and the idempotency scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc.center._filters import deployed_model_matches
from modelop_mlc.center._rest_base import IDEMPOTENCY_FIELD, _with_key
from modelop_mlc.center._rest_catalogue import _RestCatalogue
from modelop_mlc.domain import (
    Asset,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    JobType,
    ModelBatchJob,
    ModelTestResult,
    Notification,
    Runtime,
)

__all__ = ["IDEMPOTENCY_FIELD", "RestCenter"]


class RestCenter(_RestCatalogue):
    """A remote ModelOp Center, reached over its REST API with `requests`.

    Args:
        base_url: The center's gateway, e.g. `https://moc.example.com` (no credentials in it).
        username: The user exchanged at `/gocli/token` with `password` (ModelOp's own form
            fields `username` and `password`).
        password: Its password.
        client_id: Instead of a user, an OAuth2 client exchanged at `/gocli/token` with
            `client_secret` (`grant_type=client_credentials`).
        client_secret: Its secret.
        token: A bearer token to use as is; with credentials too, it is used first and
            replaced by an exchanged one when refused.
        session: A `requests.Session` of yours (proxies, TLS settings); by default one is
            created and closed by `close()`.
        timeout: Seconds to wait for a connection and for each read of one request.
        max_attempts: Requests one call may send when it fails transiently (a timeout, a
            dropped connection, 408, 425, 429, 5xx). The re-send with a fresh token after a
            401 is extra, once.
        backoff: Seconds to wait before the second attempt, doubled before each next one.
        max_wait: The longest single wait. A `Retry-After` asking for more is not waited out:
            the call fails at once with a retryable error and the engine retries the step.
        clock: Decides when an exchanged token has expired and reads `Retry-After` dates;
            `SystemClock()` by default.
        sleep: Waits a number of seconds between attempts (`time.sleep` by default). Tests
            pass a function that advances their `ManualClock`.

    Raises:
        ConfigurationError: If the URL is not http(s) or carries credentials, credentials are
            missing or given by halves, or a number is out of range.
    """

    # ------------------------------------------------------------------ jobs

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
        """Create a batch job for a runtime to run (`POST jobs`).

        The body has ModelOp's job shape: the snapshot as `model`, the runtime as
        `targetEngine: {"name": ...}`. With `idempotency_key`, a job of the snapshot whose
        `jobParameters.mlcIdempotencyKey` holds the key is returned instead of creating a
        second one.

        Raises:
            IntegrationError: If a call fails (400 for an unknown snapshot).
        """
        body: dict[str, Any] = {
            "jobType": str(job_type),
            "jobStatus": "CREATED",
            "model": deployable_model.to_variable(),
            "inputData": [a.to_variable() for a in inputs],
            "outputData": [a.to_variable() for a in outputs],
            "jobParameters": _with_key(parameters, idempotency_key),
        }
        if runtime is not None:
            body["targetEngine"] = {"name": runtime}

        def earlier() -> ModelBatchJob | None:
            jobs = self._many(
                ModelBatchJob, "jobs", {"deployableModelId": deployable_model.id}, newest_first=True
            )
            return self._marked(jobs, idempotency_key, lambda j: j.job_parameters)

        return self._create(ModelBatchJob, "jobs", body, idempotency_key, earlier)

    def get_job(self, job_id: str) -> ModelBatchJob:
        """Return a job (`GET jobs/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such job.
            IntegrationError: If the call fails.
        """
        return self._one(ModelBatchJob, "jobs", "job", job_id)

    def find_jobs(
        self,
        *,
        deployable_model_id: str | None = None,
        statuses: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[ModelBatchJob]:
        """List jobs, newest first (`GET jobs?deployableModelId=&jobStatus=&jobType=`).

        One status or type goes to the center as a filter; several are applied here.

        Raises:
            IntegrationError: If the call fails.
        """
        params = {
            "deployableModelId": deployable_model_id,
            "jobStatus": statuses[0] if len(statuses) == 1 else None,
            "jobType": types[0] if len(types) == 1 else None,
        }
        return [
            j
            for j in self._many(ModelBatchJob, "jobs", params, newest_first=True)
            if (deployable_model_id is None or j.snapshot.id == deployable_model_id)
            and (not statuses or j.job_status in statuses)
            and (not types or j.job_type in types)
        ]

    def patch_job(self, job_id: str, patch: Mapping[str, Any]) -> ModelBatchJob:
        """Change top-level fields of a job (`PATCH jobs/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such job.
            IntegrationError: If the call fails.
        """
        return self._patch(ModelBatchJob, "jobs", "job", job_id, patch)

    def update_job(self, job: ModelBatchJob) -> ModelBatchJob:
        """Replace a job (`PUT jobs/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such job.
            IntegrationError: If the call fails.
        """
        return self._replace(ModelBatchJob, "jobs", "job", job.id, job.to_variable())

    # ------------------------------------------------------------------ deployments

    def deploy_model(
        self,
        deployable_model: DeployableModel,
        runtime: Runtime,
        *,
        idempotency_key: str | None = None,
    ) -> DeployedModel:
        """Deploy a snapshot to a runtime (`POST deployedModels`).

        The deployment is batch when the runtime has no endpoints, else online. As in
        `LocalCenter`, the model's earlier deployments on that runtime are undeployed and the
        runtime's engine is set RUNNING first.

        With `idempotency_key`, the snapshot's deployment whose `custom.mlcIdempotencyKey`
        holds the key is returned instead of deploying again.

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If a call fails.
        """
        key = idempotency_key

        def earlier() -> DeployedModel | None:
            return self._marked(
                self.find_deployed_models(deployable_model_id=deployable_model.id), key
            )

        if key is not None:
            found = earlier()
            if found is not None:
                return found
        for previous in self.find_deployed_models(
            stored_model_id=deployable_model.stored_model.id, state="DEPLOYED"
        ):
            if previous.target.name == runtime.name:
                self.patch_deployed_model(previous.id, {"deployedState": "UNDEPLOYED"})
        running = self._set_engine_state(runtime, "RUNNING")
        body: dict[str, Any] = {
            "deployableModel": deployable_model.to_variable(),
            # ModelOp names the runtime `engine`; `runtime` is this library's name, which
            # LocalCenter writes and diagrams written for it read.
            "engine": running.to_variable(),
            "runtime": running.to_variable(),
            "deploymentType": (
                DeploymentType.BATCH if running.batch else DeploymentType.ONLINE
            ).value,
            "deployedState": "DEPLOYED",
        }
        if key is not None:
            body["custom"] = _with_key(None, key)
        return self._create(DeployedModel, "deployedModels", body, key, earlier, looked_up=True)

    def create_deployed_model(
        self, deployed: DeployedModel, *, idempotency_key: str | None = None
    ) -> DeployedModel:
        """Record a deployment as given (`POST deployedModels`); nothing is undeployed.

        A `runtime` is sent as ModelOp's `engine` too.

        With `idempotency_key`, the snapshot's deployment holding the key in
        `custom.mlcIdempotencyKey` is returned instead of a second one.

        Raises:
            IntegrationError: If a call fails.
        """
        key = idempotency_key
        snapshot_id = deployed.deployable_model.id

        def earlier() -> DeployedModel | None:
            return self._marked(self.find_deployed_models(deployable_model_id=snapshot_id), key)

        body = {k: v for k, v in deployed.to_variable().items() if k != "id"}
        if "runtime" in body and "engine" not in body:
            body["engine"] = body["runtime"]  # ModelOp's name for the runtime
        if key is not None:
            body["custom"] = _with_key(body.get("custom"), key)
        return self._create(DeployedModel, "deployedModels", body, key, earlier)

    def get_deployed_model(self, deployed_model_id: str) -> DeployedModel:
        """Return a deployed model (`GET deployedModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such deployed model.
            IntegrationError: If the call fails.
        """
        return self._one(DeployedModel, "deployedModels", "deployed model", deployed_model_id)

    def find_deployed_models(
        self,
        *,
        tag: str | None = None,
        stage: str | None = None,
        state: str | None = None,
        stored_model_id: str | None = None,
        deployable_model_id: str | None = None,
    ) -> list[DeployedModel]:
        """List deployed models, newest first, matching every given filter.

        `GET deployedModels?tag=&stage=&deployedState=&storedModelId=&deployableModelId=`;
        the tag may be on the snapshot, its stored model or the runtime.

        Raises:
            IntegrationError: If the call fails.
        """
        params = {
            "tag": tag,
            "stage": stage,
            "deployedState": state,
            "storedModelId": stored_model_id,
            "deployableModelId": deployable_model_id,
        }
        filters = {
            "tag": tag,
            "stage": stage,
            "state": state,
            "stored_model_id": stored_model_id,
            "deployable_model_id": deployable_model_id,
        }
        return [
            d
            for d in self._many(DeployedModel, "deployedModels", params, newest_first=True)
            if deployed_model_matches(d, **filters)
        ]

    def patch_deployed_model(
        self, deployed_model_id: str, patch: Mapping[str, Any]
    ) -> DeployedModel:
        """Change top-level fields of a deployed model (`PATCH deployedModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such deployed model.
            IntegrationError: If the call fails.
        """
        return self._patch(
            DeployedModel, "deployedModels", "deployed model", deployed_model_id, patch
        )

    # ------------------------------------------------------------------ test results

    def create_test_result(
        self,
        deployable_model_id: str,
        results: Mapping[str, Any],
        *,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ModelTestResult:
        """Store a test job's metrics with the snapshot (`POST modelTestResults`).

        Raises:
            ModelOpNotFoundError: If the center has no such snapshot.
            IntegrationError: If a call fails.
        """
        key = idempotency_key

        def earlier() -> ModelTestResult | None:
            return self._marked(self.find_test_results(deployable_model_id), key)

        if key is not None:
            found = earlier()
            if found is not None:
                return found
        snapshot = self.get_deployable_model(deployable_model_id)
        body: dict[str, Any] = {
            "deployableModelId": snapshot.id,
            "storedModelId": snapshot.stored_model.id,
            "testResults": dict(results),
        }
        if job_id is not None:
            body["jobId"] = job_id
        if key is not None:
            body["custom"] = _with_key(None, key)
        return self._create(ModelTestResult, "modelTestResults", body, key, earlier, looked_up=True)

    def get_test_result(self, result_id: str) -> ModelTestResult:
        """Return a test result (`GET modelTestResults/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such test result.
            IntegrationError: If the call fails.
        """
        return self._one(ModelTestResult, "modelTestResults", "test result", result_id)

    def update_test_result(self, result: ModelTestResult) -> ModelTestResult:
        """Replace a test result (`PUT modelTestResults/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such test result.
            IntegrationError: If the call fails.
        """
        return self._replace(
            ModelTestResult, "modelTestResults", "test result", result.id, result.to_variable()
        )

    def patch_test_result(self, result_id: str, patch: Mapping[str, Any]) -> ModelTestResult:
        """Change fields of a test result, e.g. the DMN's verdict (`PATCH modelTestResults/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such test result.
            IntegrationError: If the call fails.
        """
        return self._patch(ModelTestResult, "modelTestResults", "test result", result_id, patch)

    def find_test_results(self, deployable_model_id: str) -> list[ModelTestResult]:
        """List a snapshot's test results, newest first (`GET modelTestResults?deployableModelId=`).

        Raises:
            IntegrationError: If the call fails.
        """
        found = self._many(
            ModelTestResult,
            "modelTestResults",
            {"deployableModelId": deployable_model_id},
            newest_first=True,
        )
        return [r for r in found if r.snapshot_id == deployable_model_id]

    # ------------------------------------------------------------------ notifications

    def create_notification(
        self,
        message: str,
        *,
        type: str = "PROCESS",  # noqa: A002 - ModelOp's field name
        severity: str = "INFO",
        model_id: str | None = None,
        process_instance_id: str | None = None,
        assignment: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Notification:
        """Record a notification for people (`POST notifications`).

        With `idempotency_key` and a process instance or model id to look under, a
        notification holding the key in `custom.mlcIdempotencyKey` is returned instead of a
        second one; without either id only the `Idempotency-Key` header is sent.

        Raises:
            IntegrationError: If a call fails.
        """
        scope = (
            {"processInstanceId": process_instance_id}
            if process_instance_id
            else {"modelId": model_id}
        )
        searchable = bool(process_instance_id or model_id)

        def earlier() -> Notification | None:
            if not searchable:
                return None
            found = self._many(Notification, "notifications", scope, newest_first=True)
            return self._marked(found, idempotency_key)

        optional = {
            "modelId": model_id,
            "processInstanceId": process_instance_id,
            "assignment": dict(assignment) if assignment else None,
        }
        body: dict[str, Any] = {
            "message": message,
            "type": type,
            "severity": severity,
            **{k: v for k, v in optional.items() if v is not None},
        }
        if idempotency_key is not None:
            body["custom"] = _with_key(None, idempotency_key)
        return self._create(
            Notification, "notifications", body, idempotency_key, earlier, searchable=searchable
        )

    def get_notification(self, notification_id: str) -> Notification:
        """Return a notification (`GET notifications/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such notification.
            IntegrationError: If the call fails.
        """
        return self._one(Notification, "notifications", "notification", notification_id)

    def find_notifications(
        self,
        *,
        type: str | None = None,  # noqa: A002 - ModelOp's field name
        severity: str | None = None,
        model_id: str | None = None,
    ) -> list[Notification]:
        """List notifications, newest first (`GET notifications?type=&severity=&modelId=`).

        Raises:
            IntegrationError: If the call fails.
        """
        found = self._many(
            Notification,
            "notifications",
            {"type": type, "severity": severity, "modelId": model_id},
            newest_first=True,
        )
        return [
            n
            for n in found
            if (type is None or n.type == type)
            and (severity is None or n.severity == severity)
            and (model_id is None or n.model_id == model_id)
        ]

    def patch_notification(self, notification_id: str, patch: Mapping[str, Any]) -> Notification:
        """Change top-level fields of a notification (`PATCH notifications/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such notification.
            IntegrationError: If the call fails.
        """
        return self._patch(Notification, "notifications", "notification", notification_id, patch)
