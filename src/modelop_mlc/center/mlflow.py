"""`MlflowCenter`: the ModelOp Center port over an MLflow tracking server and model registry.

The shipped MLC processes and ModelOp's delegates run unchanged on an MLflow registry:

```python
from modelop_mlc import LifecycleManager
from modelop_mlc.center import DeploymentTarget, MlflowCenter

center = MlflowCenter(
    "http://mlflow.internal:5000",
    targets=[DeploymentTarget(name="online-prod", stage="PROD", endpoints=({"type": "REST"},))],
)
manager = LifecycleManager.open("mlc.db", center=center)
```

Registered models are stored models, versions are snapshots, deployment targets are runtimes
and a deployment moves the target's alias (`production` for PROD). Jobs load the version with
`mlflow.pyfunc` in a child process and record their outcome in MLflow runs. New versions, tags
and aliases start processes, by webhook or by polling (see `_mlflow_events`). The mapping is in
`_mlflow_records` and docs/mlflow.md.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from modelop_mlc.center._filters import deployed_model_matches, snapshot_matches
from modelop_mlc.center._mlflow_catalogue import Catalogue
from modelop_mlc.center._mlflow_client import MlflowApi, flat_tags
from modelop_mlc.center._mlflow_deploy import Deployments
from modelop_mlc.center._mlflow_events import EventFeed
from modelop_mlc.center._mlflow_jobs import JobStore, MlflowJobs
from modelop_mlc.center._mlflow_notes import NotificationBook
from modelop_mlc.center._mlflow_records import (
    CUSTOM,
    DeploymentTarget,
    snapshot_id,
    split_snapshot_id,
    user_tags,
)
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock, SystemClock
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeployedModel,
    JobType,
    ModelBatchJob,
    ModelMetaData,
    ModelTestResult,
    Notification,
    Runtime,
    Stage,
    StoredModel,
)
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["DeploymentTarget", "MlflowCenter"]

log = logging.getLogger("modelop_mlc.center")
SIGNAL_PREFIX = "com.modelop.mlc.definitions.Signals_"
_LABELLED_DATA = frozenset({AssetRole.TRAINING_DATA, AssetRole.TEST_DATA})
_DEFAULT_REQUIREMENTS = ("mlflow", "pandas", "numpy")
_MLFLOW_SCHEMES = ("runs:/", "models:/", "mlflow-artifacts:/")
CenterEvents = Callable[[str, dict[str, Any]], Any]
_NO_ASSOCIATIONS = "an MLflow model version holds no associated (monitor) models"
_ONE_VERSION = "an MLflow deployment is the target's alias on one version"


class MlflowCenter:
    """ModelOp Center on MLflow: the registry is the catalogue, runs hold jobs and results.

    Args:
        tracking_uri: The MLflow tracking server (`http://host:5000`).
        registry_uri: The model registry, when it is not the tracking server.
        targets: The deployment targets (runtimes) processes deploy to.
        scope: An MLflow filter on registered-model names (`name LIKE 'credit-%'`): only
            those models are listed, polled and started processes for. None: every model.
        experiment: The MLflow experiment for job, test-result and model-logging runs.
        webhook_secret: The secret MLflow signs webhook deliveries with (`register_webhook`);
            None refuses webhooks (polling still works).
        poll_interval: Seconds between registry polls made by `run_pending_jobs` (the
            manager's `run_due()`); 0 polls on every call, None never.
        job_timeout: Seconds a job's child process may run.
        job_memory_bytes: Its address-space limit (None: no limit).
        python: The interpreter that runs jobs (default: this one).
        data_roots: Directories `file://` assets may be read from.
        store: Where the job queue and event log live; the manager passes its own database
            (`bind`), so set it only to use the center without a manager.
        clock: The clock; the manager passes its own.
        on_event: Receives (signal name, variables); the manager passes its own.

    Raises:
        ConfigurationError: If MLflow is not installed or two targets share a name or alias.
    """

    refused_delegates: ClassVar[Mapping[str, str]] = {
        "AddMonitorsOnSnapshot": _NO_ASSOCIATIONS,
        "CreateDeployableModelAssociation": _NO_ASSOCIATIONS,
        "FindDeployableModelAssociatedModels": _NO_ASSOCIATIONS,
        "GetAllDeployableModelsWithAssociatedModelRole": _NO_ASSOCIATIONS,
        "GetDeployedModelsWithStateAndDeployableAssociatedRole": _NO_ASSOCIATIONS,
        "FindDeployedModelAdditionalAssets": f"{_ONE_VERSION}, with no additional assets",
        "RefreshDeployedModelsByDeployableModel": (
            f"{_ONE_VERSION}; deploy the new version with DeployModel, which moves the alias"
        ),
    }
    """ModelOp delegates a manager on this center refuses at deploy, and why (docs/mlflow.md)."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        registry_uri: str | None = None,
        targets: Sequence[DeploymentTarget] = (),
        scope: str | None = None,
        experiment: str = "mlc",
        webhook_secret: str | None = None,
        poll_interval: float | None = 30.0,
        job_timeout: float = 300.0,
        job_memory_bytes: int | None = 2 * 1024**3,
        python: str | None = None,
        data_roots: Sequence[str | Path] = (),
        store: JobStore | None = None,
        clock: Clock | None = None,
        on_event: CenterEvents | None = None,
    ) -> None:
        """Create the center (no request is made until it is used)."""
        self.api = MlflowApi(tracking_uri, registry_uri, scope=scope)
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.webhook_secret = webhook_secret
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.job_memory_bytes = job_memory_bytes
        self.python = python
        self.data_roots = [Path(p).resolve() for p in data_roots]
        self.catalogue = Catalogue(self.api, experiment)
        self.deployments = Deployments(self.api, self.catalogue, self._snapshot_of)
        for target in targets:
            self.deployments.add(target)
        self.clock: Clock = clock or SystemClock()
        self.on_event = on_event
        self._store = store
        self._jobs: MlflowJobs | None = None
        self._events: EventFeed | None = None
        self._last_poll: Any = None
        self._stored_memo: dict[str, StoredModel] | None = None

    def bind(self, store: JobStore, clock: Clock, *, on_event: CenterEvents) -> None:
        """Use the manager's database, clock and signal broadcast (the manager calls this)."""
        self._store = store
        self.clock = clock
        self.on_event = on_event
        self._jobs = None
        self._events = None

    def __repr__(self) -> str:
        """Describe the center."""
        return f"MlflowCenter({self.tracking_uri!r})"

    # ------------------------------------------------------------------ wiring

    @property
    def store(self) -> JobStore:
        """The database holding the job queue and the event log."""
        if self._store is None:
            raise ConfigurationError(
                "MlflowCenter has no database for its jobs and events: pass it to "
                "LifecycleManager(center=...) or give it store="
            )
        return self._store

    @property
    def jobs(self) -> MlflowJobs:
        """The job runner."""
        if self._jobs is None:
            self._jobs = MlflowJobs(
                self.api,
                self.store,
                self.clock,
                experiment=self.experiment,
                read_asset=self.read_asset,
                emit=self._emit,
                timeout=self.job_timeout,
                memory_bytes=self.job_memory_bytes,
                python=self.python,
            )
        return self._jobs

    @property
    def notes(self) -> NotificationBook:
        """The notifications."""
        return NotificationBook(self.store, self.clock)

    @property
    def events(self) -> EventFeed:
        """The registry event feed."""
        if self._events is None:
            self._events = EventFeed(
                self.api,
                self.store,
                self.clock,
                fire=self._fire,
                own_alias=self.deployments.own_alias,
                secret=self.webhook_secret,
            )
        return self._events

    def _emit(self, event: str, variables: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(SIGNAL_PREFIX + event, variables)

    def _fire(self, name: str, version: str, event: dict[str, Any], found: Any) -> None:
        if found is None:
            found = self.api.call(
                f"read model version {name}/{version}",
                self.api.client.get_model_version,
                name,
                version,
            )
        stored = self._stored_memo.get(name) if self._stored_memo is not None else None
        if stored is None:
            stored = self.get_stored_model(name)
            if self._stored_memo is not None:
                self._stored_memo[name] = stored
        snapshot = self._snapshot_of(found, stored)
        self._emit(
            "deployable_model_changed",
            {"DEPLOYABLE_MODEL": snapshot.to_variable(), "MLFLOW_EVENT": event},
        )

    def _snapshot_of(self, found: Any, stored: StoredModel | None = None) -> DeployableModel:
        trained = self.jobs.trained_model(
            str(found.name), str(found.version), flat_tags(found.tags)
        )
        return self.catalogue.snapshot(found, stored=stored, trained=trained)

    def _poll(self) -> int:
        """Poll once; the stored models read for its events are read once per poll."""
        self._last_poll = self.clock.now()
        self._stored_memo = {}
        try:
            return self.events.poll()
        finally:
            self._stored_memo = None

    # ------------------------------------------------------------------ stored models

    def get_stored_model(self, model_id: str) -> StoredModel:
        """Return the registered model called `model_id` as a stored model."""
        return self.catalogue.stored(self.catalogue.registered(model_id))

    def find_stored_models(self, *, name: str | None = None) -> list[StoredModel]:
        """List registered models, newest first (optionally by exact name)."""
        if name is not None:
            try:
                return [self.get_stored_model(name)]
            except ModelOpNotFoundError:
                return []
        found = sorted(
            self.api.registered_models(), key=lambda r: r.creation_timestamp or 0, reverse=True
        )
        return [self.catalogue.stored(r) for r in found]

    def log_model(
        self,
        name: str,
        *,
        source: str | Path,
        type: str = "PYTHON3",  # noqa: A002 - ModelOp's field name
        tags: Sequence[str] = (),
        group: str | None = None,
        description: str | None = None,
        assets: Sequence[Asset] = (),
        requirements: Sequence[str] = _DEFAULT_REQUIREMENTS,
        **metadata: Any,
    ) -> StoredModel:
        """Register `name` with a ModelOp source (smart comments) as an MLflow pyfunc model.

        The source is logged in a run as a `python_function` model anyone with MLflow can load;
        embedded assets are logged beside it (`test_data/test.csv`, `dmn/comparator.dmn`, ...).
        No version is made: `create_deployable_model` makes one, as LocalCenter's
        `register_model` does.

        Raises:
            ModelSourceError: If the source's smart comments are unusable.
            IntegrationError: If MLflow fails.
        """
        path = Path(source) if isinstance(source, Path) or "\n" not in str(source) else None
        code = (
            path.read_text(encoding="utf-8") if path is not None and path.is_file() else str(source)
        )
        meta = ModelMetaData(
            name=name, type=type, tags=list(tags), group=group, description=description, **metadata
        )
        return self.catalogue.log_model(
            name,
            code,
            meta,
            assets,
            requirements=requirements,
            filename=path.name if path is not None and path.is_file() else "model.py",
        )

    register_model = log_model

    def add_asset(
        self, stored_model_id: str, asset: Asset, *, replace_role: bool = False
    ) -> StoredModel:
        """Give a registered model a new asset (new versions get it).

        New labelled data (TRAINING_DATA or TEST_DATA) emits `Signals_model_data_changed`
        with `STORED_MODEL`, `STORED_MODEL_ID` and `ASSET`, as LocalCenter does.
        """
        added = self.catalogue.add_asset(stored_model_id, asset, replace_role=replace_role)
        updated = self.get_stored_model(stored_model_id)
        if asset.asset_role in _LABELLED_DATA:
            self._emit(
                "model_data_changed",
                {
                    "STORED_MODEL": updated.to_variable(),
                    "STORED_MODEL_ID": updated.id,
                    "ASSET": added.to_variable(),
                },
            )
        return updated

    # ------------------------------------------------------------------ snapshots

    def get_deployable_model(self, deployable_model_id: str) -> DeployableModel:
        """Return the model version `<name>/<version>` as a snapshot."""
        return self._snapshot_of(self.catalogue.version(deployable_model_id))

    def create_deployable_model(
        self,
        stored_model_id: str,
        *,
        tags: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> DeployableModel:
        """Register a new version from the model's current source and assets.

        The version's tags are `tags` (value `true`); it starts the processes for a new
        version at once (`Signals_deployable_model_changed`), and the event feed knows it, so
        no poll or webhook starts them again. A repeated `idempotency_key` returns the
        version made the first time.
        """
        stored = self.get_stored_model(stored_model_id)
        version_tags = dict.fromkeys(tags, "true")
        version_tags.update(
            {CUSTOM + k: v if isinstance(v, str) else _json(v) for k, v in (custom or {}).items()}
        )
        found = self.catalogue.create_version(
            stored, tags=version_tags, idempotency_key=idempotency_key
        )
        snapshot = self._snapshot_of(found)
        log.info("MLflow version %s of %s", snapshot.id, stored_model_id)
        name, version = str(found.name), str(found.version)
        made = flat_tags(found.tags)
        state = [f"tag:{snapshot.id}:{k}={made[k]}" for k in user_tags(made)]
        self.events.event(
            f"created:{snapshot_id(name, version)}", name, version, {"kind": "created"}, *state
        )
        return snapshot

    snapshot = create_deployable_model

    def patch_deployable_model(
        self, deployable_model_id: str, patch: Mapping[str, Any]
    ) -> DeployableModel:
        """Change a version's tags (`tags`), custom fields (`custom`) or trained model.

        Raises:
            IntegrationError: For fields a model version cannot change in MLflow.
        """
        found = self.catalogue.version(deployable_model_id)
        name, version = str(found.name), str(found.version)
        client = self.api.client
        unknown = sorted(set(patch) - {"tags", "custom", "trainedModel", "id"})
        if unknown:
            raise IntegrationError(
                f"an MLflow model version cannot change {', '.join(unknown)}; only tags, "
                "custom and trainedModel can be patched",
                service="mlflow",
            )
        current = flat_tags(found.tags)
        if "tags" in patch:
            wanted = [str(t) for t in patch["tags"] or []]
            for key in user_tags(current):
                if key not in wanted:
                    self.api.call(
                        "untag version", client.delete_model_version_tag, name, version, key
                    )
            added = [t for t in wanted if t not in current]
            for key in added:
                self.api.call(
                    "tag version", client.set_model_version_tag, name, version, key, "true"
                )
            # Our own change, not a person's: record it so no process starts for it.
            self.events.record([f"tag:{name}/{version}:{k}=true" for k in added])
        for key, value in dict(patch.get("custom") or {}).items():
            text = value if isinstance(value, str) else _json(value)
            self.api.call(
                "tag version", client.set_model_version_tag, name, version, CUSTOM + key, text
            )
        if "trainedModel" in patch and patch["trainedModel"] is not None:
            self.jobs.store_trained_model(name, version, dict(patch["trainedModel"]))
        return self.get_deployable_model(deployable_model_id)

    def find_deployable_models(
        self, *, tag: str | None = None, stored_model_id: str | None = None
    ) -> list[DeployableModel]:
        """List versions (newest first) with a tag (theirs or their model's) and/or of a model."""
        query = f"name = '{_quote(stored_model_id)}'" if stored_model_id else ""
        versions = sorted(
            self.api.versions(query), key=lambda v: v.creation_timestamp or 0, reverse=True
        )
        stored: dict[str, StoredModel] = {}
        found = []
        for version in versions:
            if version.name not in stored:
                stored[version.name] = self.get_stored_model(version.name)
            snapshot = self._snapshot_of(version, stored[version.name])
            if snapshot_matches(snapshot, tag=tag, stored_model_id=stored_model_id):
                found.append(snapshot)
        return found

    # ------------------------------------------------------------------ assets

    def read_asset(self, asset: Asset) -> str:
        """Return an asset's text: embedded, an MLflow artifact, or a file under the data roots."""
        if asset.text is not None:
            return asset.text
        url = asset.file_url
        if not url:
            raise IntegrationError(
                f"asset '{asset.name or asset.id}' has no content and no URL", service="mlflow"
            )
        if url.startswith(("file://", "/")):
            path = Path(url.removeprefix("file://")).resolve()
            if not any(path == root or root in path.parents for root in self.data_roots):
                raise IntegrationError(
                    f"external file '{url}' is outside the allowed data roots; pass "
                    "data_roots= to MlflowCenter to allow a directory",
                    service="mlflow",
                )
            try:
                return path.read_text(encoding="utf-8")
            except OSError as err:
                raise IntegrationError(
                    f"cannot read asset '{url}': {err}", service="mlflow"
                ) from err
        if not url.startswith(_MLFLOW_SCHEMES):
            # Any other scheme would make MLflow fetch whatever URL a variable names.
            raise IntegrationError(
                f"asset URL '{url}' is not in MLflow: MlflowCenter reads runs:/, models:/ and "
                "mlflow-artifacts:/ URIs, and files under data_roots",
                service="mlflow",
            )
        return self.api.read_text(url)

    def create_external_file_asset(
        self, *, filename: str, file_format: str, role: str = "UNKNOWN", file_url: str | None = None
    ) -> Asset:
        """Create an output asset (a job's run stores what is written to it)."""
        return Asset(
            id=str(uuid.uuid4()),
            name=filename,
            filename=filename,
            file_format=file_format,
            asset_role=AssetRole(role) if role in AssetRole.__members__ else AssetRole.UNKNOWN,
            asset_type=AssetType.EXTERNAL_FILE if file_url else AssetType.ASSET_FILE,
            file_url=file_url,
        )

    def external_file_for(self, asset: Asset, *, file_url: str | None = None) -> Asset:
        """Return `asset` as an EXTERNAL_FILE: its URL, or its content stored in an MLflow run.

        Raises:
            IntegrationError: If it has neither content nor a URL, or MLflow fails.
        """
        url = file_url or asset.file_url
        if url is None:
            url = self.catalogue.store_file(asset, self.read_asset(asset))
        return asset.model_copy(update={"asset_type": AssetType.EXTERNAL_FILE, "file_url": url})

    # ------------------------------------------------------------------ runtimes

    def register_runtime(
        self,
        name: str,
        *,
        tags: Sequence[str] = (),
        stage: Stage | str | None = None,
        endpoints: Sequence[Mapping[str, Any]] = (),
        alias: str | None = None,
        supported_model_types: Sequence[str] = (),
    ) -> Runtime:
        """Add a deployment target (as the `targets=` argument does)."""
        del supported_model_types  # every target runs what MLflow can load
        target = DeploymentTarget(
            name=name,
            stage=Stage(stage) if stage else None,
            tags=tuple(tags),
            endpoints=tuple(dict(e) for e in endpoints),
            alias=alias,
        )
        self.deployments.add(target)
        return target.runtime()

    def list_runtimes(self, *, tag: str | None = None) -> list[Runtime]:
        """List the deployment targets as runtimes (optionally with a tag)."""
        return [r for r in self.deployments.runtimes() if tag is None or tag in r.tags]

    def get_runtime(self, name: str) -> Runtime:
        """Return a deployment target as a runtime."""
        return self.deployments.runtime(name)

    def stop_engine(self, name: str) -> str:
        """Mark a target stopped (MLflow runs nothing itself); its next deployment restarts it."""
        return self.deployments.stop(name)

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
        """Queue a job on a version; `run_pending_jobs()` (the manager's `run_due()`) runs it."""
        return self.jobs.create(
            deployable_model,
            job_type,
            inputs=inputs,
            outputs=outputs,
            runtime=runtime,
            parameters=parameters,
            idempotency_key=idempotency_key,
        )

    def get_job(self, job_id: str) -> ModelBatchJob:
        """Return a job."""
        return self.jobs.get(job_id)

    def find_jobs(
        self,
        *,
        deployable_model_id: str | None = None,
        statuses: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[ModelBatchJob]:
        """List jobs (newest first) of a version and/or with one of `statuses` and `types`."""
        return [
            j
            for j in self.jobs.all()
            if (deployable_model_id is None or j.snapshot.id == deployable_model_id)
            and (not statuses or str(j.job_status) in statuses)
            and (not types or str(j.job_type) in types)
        ]

    def run_job(self, job_id: str) -> ModelBatchJob:
        """Run one job now; a job that ended or that another host runs is returned as it is."""
        ran = self.jobs.run(job_id)
        return ran if ran is not None else self.jobs.get(job_id)

    def run_pending_jobs(self, limit: int | None = None) -> int:
        """Poll the registry when due, then run queued jobs; return events plus jobs.

        The manager's `run_due()` and worker call this. While MLflow cannot be reached it
        logs a warning and does nothing: queued jobs stay queued for the next round.
        """
        done = 0
        now = self.clock.now()
        if self.poll_interval is not None and (
            self._last_poll is None
            or now - self._last_poll >= timedelta(seconds=self.poll_interval)
        ):
            try:
                done += self._poll()
            except IntegrationError as err:
                # MLflow is down: the next round polls again, and nothing seen is lost.
                log.warning("polling MLflow failed, will retry: %s", err)
        if limit is None or done < limit:
            try:
                done += self.jobs.run_pending(None if limit is None else limit - done)
            except IntegrationError as err:
                log.warning("MLflow jobs wait for the server: %s", err)
        return done

    # ------------------------------------------------------------------ events

    def poll_events(self) -> int:
        """Poll the registry now; return how many events started processes."""
        return self._poll()

    def baseline_events(self) -> int:
        """Take the registry as it is now as already seen (when first attaching to it)."""
        return self.events.baseline()

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Verify an MLflow webhook delivery and start what it announces; return how many.

        Raises:
            WebhookRejectedError: If the signature, timestamp or body is wrong.
        """
        return self.start_from_webhook(self.verify_webhook(body, headers))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Check a delivery's signature and timestamp (no request to MLflow); return its JSON.

        Raises:
            WebhookRejectedError: If the signature, timestamp or body is wrong.
        """
        return self.events.verify(body, headers)

    def start_from_webhook(self, payload: Mapping[str, Any]) -> int:
        """Start what a verified delivery announces, once per event; return how many."""
        return self.events.handle(payload)

    def supports_webhooks(self) -> bool:
        """Whether the MLflow server has registry webhooks (MLflow 3.3 and later)."""
        return self.events.supports_webhooks()

    def register_webhook(self, url: str, *, name: str = "mlc") -> str:
        """Create (or update) the MLflow webhook that calls `url`; return its id.

        Raises:
            ConfigurationError: Without a `webhook_secret`.
            IntegrationError: If the server refuses (it has no webhooks, or the URL).
        """
        return self.events.register(url, name=name)

    # ------------------------------------------------------------------ deployments

    def deploy_model(
        self,
        deployable_model: DeployableModel,
        runtime: Runtime,
        *,
        idempotency_key: str | None = None,
    ) -> DeployedModel:
        """Move the target's alias to the version and tag it; the earlier version is undeployed."""
        del idempotency_key  # deploying a version twice is the same deployment
        return self.deployments.deploy(deployable_model, runtime.name, self.clock.now())

    def get_deployed_model(self, deployed_model_id: str) -> DeployedModel:
        """Return a deployment (`<name>/<version>@<target>`)."""
        return self.deployments.get(deployed_model_id)

    def find_deployed_models(
        self,
        *,
        tag: str | None = None,
        stage: str | None = None,
        state: str | None = None,
        stored_model_id: str | None = None,
        deployable_model_id: str | None = None,
    ) -> list[DeployedModel]:
        """List deployments (newest first) matching every given filter."""
        names = split_snapshot_id(deployable_model_id) if deployable_model_id else None
        model = names[0] if names else stored_model_id
        return [
            d
            for d in self.deployments.find(model)
            if deployed_model_matches(
                d,
                tag=tag,
                stage=stage,
                state=state,
                stored_model_id=stored_model_id,
                deployable_model_id=deployable_model_id,
            )
        ]

    def patch_deployed_model(
        self, deployed_model_id: str, patch: Mapping[str, Any]
    ) -> DeployedModel:
        """Change a deployment's schedules, expiration date or state (version tags)."""
        return self.deployments.patch(deployed_model_id, patch)

    # ------------------------------------------------------------------ test results

    def create_test_result(
        self,
        deployable_model_id: str,
        results: Mapping[str, Any],
        *,
        job_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ModelTestResult:
        """Record a test result in a run linked to the version; tag the version `not judged`."""
        snapshot = self.get_deployable_model(deployable_model_id)
        return self.jobs.create_result(
            snapshot, results, job_id=job_id, idempotency_key=idempotency_key
        )

    def patch_test_result(self, result_id: str, patch: Mapping[str, Any]) -> ModelTestResult:
        """Change a test result; the version's `mlc.test_result` tag follows its verdict."""
        return self.jobs.patch_result(result_id, patch)

    def get_test_result(self, result_id: str) -> ModelTestResult:
        """Return a test result (read back from its run)."""
        return self.jobs.get_result(result_id)

    def find_test_results(self, deployable_model_id: str) -> list[ModelTestResult]:
        """List a version's test results, newest first."""
        return self.jobs.find_results(deployable_model_id)

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
        """Record a notification in the manager's database (MLflow has no notifications)."""
        note = Notification(
            type=type,
            severity=severity,
            message=message,
            model_id=model_id,
            process_instance_id=process_instance_id,
            assignment=dict(assignment) if assignment else None,
        )
        return self.notes.create(note, idempotency_key)

    def notifications(self) -> list[Notification]:
        """List notifications, newest first."""
        return self.notes.all()

    def get_notification(self, notification_id: str) -> Notification:
        """Return a notification."""
        return self.notes.get(notification_id)

    def find_notifications(
        self,
        *,
        type: str | None = None,  # noqa: A002 - ModelOp's field name
        severity: str | None = None,
        model_id: str | None = None,
    ) -> list[Notification]:
        """List notifications (newest first) matching every given filter."""
        return self.notes.find(type=type, severity=severity, model_id=model_id)

    def patch_notification(self, notification_id: str, patch: Mapping[str, Any]) -> Notification:
        """Merge `patch` into a notification."""
        return self.notes.patch(notification_id, patch)

    def link_ticket(self, deployable_model_id: str, kind: str, key: str) -> None:
        """Tag a version with a ticket opened about it (`mlc.ticket.<kind>`)."""
        names = split_snapshot_id(deployable_model_id)
        if names is None:
            return
        self.api.call(
            f"tag model version {deployable_model_id}",
            self.api.client.set_model_version_tag,
            *names,
            f"mlc.ticket.{kind}",
            key,
        )


def _json(value: Any) -> str:
    import json  # noqa: PLC0415 - only custom fields that are not text need it

    return json.dumps(value)


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
