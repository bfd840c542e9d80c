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

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, SecretStr, ValidationError

from modelop_mlc.center._filters import deployed_model_matches, snapshot_matches
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._rest_transport import (
    SERVICE,
    Credentials,
    Transport,
    unprocessed_only,
)
from modelop_mlc.clock import Clock, SystemClock, ensure_utc
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    JobType,
    ModelBatchJob,
    ModelTestResult,
    Notification,
    Runtime,
    StoredModel,
)
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["IDEMPOTENCY_FIELD", "RestCenter"]

IDEMPOTENCY_FIELD = "mlcIdempotencyKey"
"""The field (in `custom`, or a job's `jobParameters`) that holds a creation's idempotency key."""

R = TypeVar("R", bound=BaseModel)
_PAGE_SIZE = 100
_MAX_PAGES = 1000  # a guard against a server whose paging never ends
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HAL_CONTROLS = frozenset({"_links", "_templates"})


class RestCenter:
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

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: SecretStr | str | None = None,
        client_id: str | None = None,
        client_secret: SecretStr | str | None = None,
        token: SecretStr | str | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff: float = 0.5,
        max_wait: float = 10.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Create the center; nothing is sent until the first call."""
        self._http = Transport(
            base_url,
            credentials=_credentials(username, password, client_id, client_secret),
            token=_secret(token),
            session=session,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_wait=max_wait,
            clock=clock or SystemClock(),
            sleep=sleep,
        )
        self.base_url = self._http.base_url

    def close(self) -> None:
        """Close the HTTP session if the center created it."""
        self._http.close()

    def __enter__(self) -> Self:
        """Use the center as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the center."""
        self.close()

    def __repr__(self) -> str:
        """Describe the center by its URL only (never its credentials)."""
        return f"RestCenter({self.base_url!r})"

    # ------------------------------------------------------------------ plumbing

    def _one(self, cls: type[R], path: str, kind: str, object_id: str) -> R:
        if not object_id:
            raise ModelOpNotFoundError(kind, object_id)
        data = self._http.call("GET", f"{path}/{_segment(object_id)}", missing=(kind, object_id))
        return _record(cls, data, f"GET {path}/{{id}}")

    def _many(
        self, cls: type[R], path: str, params: Mapping[str, str | None], *, newest_first: bool
    ) -> list[R]:
        query: dict[str, str | int] = {k: v for k, v in params.items() if v is not None}
        query["size"] = _PAGE_SIZE
        if newest_first:
            query["sort"] = "createdDate,desc"
        found: list[R] = []
        for number in range(_MAX_PAGES):
            query["page"] = number
            body = self._http.call("GET", path, params=query)
            found.extend(_record(cls, item, f"GET {path}") for item in _embedded(body))
            page = body.get("page") if isinstance(body, Mapping) else None
            if not isinstance(page, Mapping) or number + 1 >= int(page.get("totalPages") or 0):
                break
        if newest_first:
            # Sorted here as well, in case a center ignores `sort`; the sort is stable, so the
            # server's order (newest first) decides between equal dates.
            found.sort(
                key=lambda r: ensure_utc(getattr(r, "created_date", None) or _EPOCH), reverse=True
            )
        return found

    def _create(
        self,
        cls: type[R],
        path: str,
        body: Mapping[str, Any],
        idempotency_key: str | None,
        earlier: Callable[[], R | None],
        *,
        looked_up: bool = False,
        searchable: bool = True,
    ) -> R:
        """POST `body`, retrying transient failures without ever creating twice.

        With a key, each attempt first looks for the object the key marks (`earlier`; the
        first attempt skips it when the caller has just `looked_up`), so a POST whose answer
        was lost is found rather than repeated. Without a key (or with one that cannot be
        `searchable`), a POST is sent again only when the center cannot have acted on it
        (429, 503, no connection).
        """
        attempts = 0

        def attempt() -> R:
            nonlocal attempts
            attempts += 1
            if idempotency_key is not None and (attempts > 1 or not looked_up):
                found = earlier()
                if found is not None:
                    return found
            data = self._http.call(
                "POST", path, body=body, idempotency_key=idempotency_key, once=True
            )
            return _record(cls, data, f"POST {path}")

        if idempotency_key is None or not searchable:
            return self._http.retrying(attempt, resend=unprocessed_only)
        return self._http.retrying(attempt)

    def _patch(
        self, cls: type[R], path: str, kind: str, object_id: str, patch: Mapping[str, Any]
    ) -> R:
        if not object_id:
            raise ModelOpNotFoundError(kind, object_id)
        data = self._http.call(
            "PATCH", f"{path}/{_segment(object_id)}", body=dict(patch), missing=(kind, object_id)
        )
        return _record(cls, data, f"PATCH {path}/{{id}}")

    # ------------------------------------------------------------------ stored models

    def get_stored_model(self, model_id: str) -> StoredModel:
        """Return a stored model (`GET storedModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such model.
            IntegrationError: If the call fails.
        """
        return self._one(StoredModel, "storedModels", "stored model", model_id)

    def find_stored_models(self, *, name: str | None = None) -> list[StoredModel]:
        """List stored models, newest first, optionally by exact name (`GET storedModels`).

        Raises:
            IntegrationError: If the call fails.
        """
        models = self._many(StoredModel, "storedModels", {"name": name}, newest_first=True)
        return [m for m in models if name is None or m.model_meta_data.name == name]

    # ------------------------------------------------------------------ snapshots

    def get_deployable_model(self, deployable_model_id: str) -> DeployableModel:
        """Return a snapshot (`GET deployableModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such snapshot.
            IntegrationError: If the call fails.
        """
        return self._one(DeployableModel, "deployableModels", "snapshot", deployable_model_id)

    def create_deployable_model(
        self,
        stored_model_id: str,
        *,
        tags: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> DeployableModel:
        """Snapshot a stored model's current metadata and assets (`POST deployableModels`).

        With `idempotency_key`, a snapshot of the model whose `custom.mlcIdempotencyKey`
        holds the key is returned instead of making a second one.

        Raises:
            ModelOpNotFoundError: If the center has no such stored model.
            IntegrationError: If a call fails.
        """
        key = idempotency_key
        if key is not None:
            # Looked up before the model is read, so a repeated step needs no other call.
            found = self._marked(self.find_deployable_models(stored_model_id=stored_model_id), key)
            if found is not None:
                return found
        model = self.get_stored_model(stored_model_id)
        body = {
            "storedModel": model.to_variable(),
            "deployableModelAssets": [a.to_variable() for a in model.model_assets],
            "tags": list(tags),
            "custom": _with_key(custom, key),
        }
        return self._create(
            DeployableModel,
            "deployableModels",
            body,
            key,
            lambda: self._marked(self.find_deployable_models(stored_model_id=stored_model_id), key),
            looked_up=True,
        )

    def patch_deployable_model(
        self, deployable_model_id: str, patch: Mapping[str, Any]
    ) -> DeployableModel:
        """Change top-level fields of a snapshot (`PATCH deployableModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such snapshot.
            IntegrationError: If the call fails.
        """
        return self._patch(
            DeployableModel, "deployableModels", "snapshot", deployable_model_id, patch
        )

    def find_deployable_models(
        self, *, tag: str | None = None, stored_model_id: str | None = None
    ) -> list[DeployableModel]:
        """List snapshots, newest first, with a tag and/or of one stored model.

        The tag may be on the snapshot or on its stored model
        (`GET deployableModels?tag=&storedModelId=`).

        Raises:
            IntegrationError: If the call fails.
        """
        found = self._many(
            DeployableModel,
            "deployableModels",
            {"tag": tag, "storedModelId": stored_model_id},
            newest_first=True,
        )
        return [s for s in found if snapshot_matches(s, tag=tag, stored_model_id=stored_model_id)]

    # ------------------------------------------------------------------ assets

    def read_asset(self, asset: Asset) -> str:
        """Return an asset's text: its embedded content, or a file on the center's own host.

        Raises:
            IntegrationError: If the asset has no content, lives outside the center (S3,
                HDFS, another host), or cannot be fetched.
        """
        if asset.text is not None:
            return asset.text
        url = asset.file_url
        label = asset.name or asset.filename or asset.id or "unnamed"
        if not url:
            raise IntegrationError(f"asset '{label}' has no content and no URL", service=SERVICE)
        if not self._http.same_origin(url):
            raise IntegrationError(
                f"asset '{label}' lives at {url}, outside ModelOp Center at {self.base_url}; "
                "RestCenter reads embedded assets and files on the center's host only, so "
                "external storage is not reachable from here. Let a job on a ModelOp runtime "
                "read it, or embed the content in the asset",
                service=SERVICE,
            )
        try:
            return self._http.fetch_text(url, ("asset file", url))
        except ModelOpNotFoundError as err:
            raise IntegrationError(
                f"asset '{label}': ModelOp Center has no file at {url} (404)",
                service=SERVICE,
                status_code=404,
            ) from err

    def create_external_file_asset(
        self,
        *,
        filename: str,
        file_format: str,
        role: str = "UNKNOWN",
        file_url: str | None = None,
    ) -> Asset:
        """Describe an output asset a job can write to (no call: it travels with the job).

        Embedded unless `file_url` is given, as with `LocalCenter`.
        """
        return Asset(
            id=str(uuid.uuid4()),
            name=filename,
            filename=filename,
            file_format=file_format,
            asset_role=AssetRole(role) if role in AssetRole.__members__ else AssetRole.UNKNOWN,
            asset_type=AssetType.EXTERNAL_FILE if file_url else AssetType.ASSET_FILE,
            file_url=file_url,
        )

    # ------------------------------------------------------------------ runtimes

    def list_runtimes(self, *, tag: str | None = None) -> list[Runtime]:
        """List runtimes in the center's order, optionally with a tag (`GET runtimes?tag=`).

        Raises:
            IntegrationError: If the call fails.
        """
        runtimes = self._many(Runtime, "runtimes", {"tag": tag}, newest_first=False)
        return [r for r in runtimes if tag is None or tag in r.tags]

    def get_runtime(self, name: str) -> Runtime:
        """Return a runtime by name (`GET runtimes?name=`).

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If the call fails.
        """
        found = [
            r
            for r in self._many(Runtime, "runtimes", {"name": name}, newest_first=False)
            if r.name == name
        ]
        if not found:
            raise ModelOpNotFoundError("runtime", name)
        return found[0]

    def _set_engine_state(self, runtime: Runtime, state: str) -> Runtime:
        server = runtime if runtime.id else self.get_runtime(runtime.name)
        if not server.id:
            raise IntegrationError(
                f"ModelOp Center returned runtime '{runtime.name}' without an id; cannot "
                "change its engine state",
                service=SERVICE,
            )
        return self._patch(Runtime, "runtimes", "runtime", server.id, {"engineState": state})

    def stop_engine(self, name: str) -> str:
        """Stop a runtime's engine (`PATCH runtimes/{id}` to `STOPPED`); return its new state.

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If a call fails.
        """
        return self._set_engine_state(self.get_runtime(name), "STOPPED").engine_state

    # ------------------------------------------------------------------ jobs

    def create_batch_job(
        self,
        deployable_model: DeployableModel,
        job_type: JobType,
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
            "jobType": job_type.value,
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
            "runtime": running.to_variable(),
            "deploymentType": (
                DeploymentType.BATCH if running.batch else DeploymentType.ONLINE
            ).value,
            "deployedState": "DEPLOYED",
        }
        if key is not None:
            body["custom"] = _with_key(None, key)
        return self._create(DeployedModel, "deployedModels", body, key, earlier, looked_up=True)

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

    # ------------------------------------------------------------------ idempotency

    @staticmethod
    def _marked(
        candidates: Sequence[R],
        key: str | None,
        holder: Callable[[R], Any] = lambda r: getattr(r, "custom", None),
    ) -> R | None:
        """The newest of `candidates` whose key holder (`custom` by default) carries `key`."""
        if key is None:
            return None
        for candidate in candidates:
            fields = holder(candidate)
            if isinstance(fields, Mapping) and fields.get(IDEMPOTENCY_FIELD) == key:
                return candidate
        return None


def _secret(value: SecretStr | str | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


def _credentials(
    username: str | None,
    password: SecretStr | str | None,
    client_id: str | None,
    client_secret: SecretStr | str | None,
) -> Credentials | None:
    """The credentials to exchange, checked: one complete pair at most."""
    if (username is None) != (password is None):
        raise ConfigurationError("RestCenter needs both username and password, or neither")
    if (client_id is None) != (client_secret is None):
        raise ConfigurationError("RestCenter needs both client_id and client_secret, or neither")
    if username is not None and client_id is not None:
        raise ConfigurationError(
            "RestCenter takes username and password or client_id and client_secret, not both"
        )
    if username is not None:
        return Credentials("password", username, _secret(password) or SecretStr(""))
    if client_id is not None:
        return Credentials("client", client_id, _secret(client_secret) or SecretStr(""))
    return None


def _segment(object_id: str) -> str:
    return quote(object_id, safe="")


def _with_key(fields: Mapping[str, Any] | None, key: str | None) -> dict[str, Any]:
    merged = dict(fields or {})
    if key is not None:
        merged[IDEMPOTENCY_FIELD] = key
    return merged


def _strip_links(value: Any) -> Any:
    """Drop HAL's `_links` and `_templates` from a document, at every depth."""
    if isinstance(value, Mapping):
        return {k: _strip_links(v) for k, v in value.items() if k not in _HAL_CONTROLS}
    if isinstance(value, list):
        return [_strip_links(v) for v in value]
    return value


def _embedded(body: Any) -> list[Any]:
    """The items of a HAL collection, whatever relation names the center uses."""
    embedded = body.get("_embedded") if isinstance(body, Mapping) else None
    if not isinstance(embedded, Mapping):
        return []
    return [item for items in embedded.values() if isinstance(items, list) for item in items]


def _record(cls: type[R], data: Any, call: str) -> R:
    """Read one of our records from the center's JSON (kept as ModelOp wrote it)."""
    try:
        return cls.from_variable(_strip_links(data))  # type: ignore[attr-defined,no-any-return]
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in err.errors()[:5]
        )
        raise IntegrationError(
            f"ModelOp Center answered {call} with JSON that is not a {cls.__name__}: {problems}",
            service=SERVICE,
        ) from err
