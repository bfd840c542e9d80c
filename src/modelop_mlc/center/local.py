"""`LocalCenter`: the embedded ModelOp Center.

It keeps its catalogue in the manager's database and really runs models (their Python
source, in a child process, on CSV or JSON-lines data).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from modelop_mlc.center._filters import deployed_model_matches, snapshot_matches
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._runner import FunctionRole, InputData, render_output, run_model_function
from modelop_mlc.clock import Clock
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    JobStatus,
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

__all__ = ["SIGNAL_PREFIX", "CenterEvents", "DocumentStore", "LocalCenter"]

log = logging.getLogger("modelop_mlc.center")
SIGNAL_PREFIX = "com.modelop.mlc.definitions.Signals_"
R = TypeVar("R", bound=Any)

_ROLE_FOR_JOB: dict[str, FunctionRole] = {
    JobType.MODEL_BATCH_TRAINING_JOB: FunctionRole.TRAIN,
    JobType.MODEL_BATCH_TEST_JOB: FunctionRole.METRICS,
    JobType.MODEL_BATCH_JOB: FunctionRole.SCORE,
}
_LABELLED_DATA = frozenset({AssetRole.TRAINING_DATA, AssetRole.TEST_DATA})


class _DocumentTx(Protocol):
    def put_document(self, kind: str, doc_id: str, doc: Any, at: str) -> None: ...

    def replace_document(
        self, kind: str, doc_id: str, expected: Any, doc: Any, at: str
    ) -> bool: ...


class DocumentStore(Protocol):
    """Where LocalCenter keeps its documents (the manager's `SqlStore` is one)."""

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read a document."""
        ...

    def list_documents(self, kind: str) -> list[Any]:
        """Read every document of a kind, oldest first."""
        ...

    def transaction(self) -> AbstractContextManager[_DocumentTx]:
        """Open a write transaction."""
        ...


CenterEvents = Callable[[str, dict[str, Any]], Any]


class LocalCenter:
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
    """

    def __init__(
        self,
        store: DocumentStore,
        clock: Clock,
        *,
        on_event: CenterEvents | None = None,
        data_roots: Sequence[str | Path] = (),
        job_timeout: float = 300.0,
        python: str | None = None,
    ) -> None:
        """Create the center over `store`."""
        self.store = store
        self.clock = clock
        self.on_event = on_event
        self.data_roots = [Path(p).resolve() for p in data_roots]
        self.job_timeout = job_timeout
        self.python = python

    # ------------------------------------------------------------------ documents

    def _put(self, kind: str, record: Any, doc_id: str) -> None:
        with self.store.transaction() as tx:
            tx.put_document(kind, doc_id, record.to_variable(), self._now())

    def _get(self, kind: str, cls: type[R], doc_id: str, label: str) -> R:
        doc = self.store.get_document(kind, doc_id)
        if doc is None:
            raise ModelOpNotFoundError(label, doc_id)
        return cls.from_variable(doc)  # type: ignore[no-any-return]

    def _all(self, kind: str, cls: type[R]) -> list[R]:
        docs = self.store.list_documents(kind)
        return [cls.from_variable(d) for d in reversed(docs)]

    def _id_for(self, kind: str, cls: type[R], key: str | None) -> tuple[str, R | None]:
        """A new id, or (for a repeated idempotency key) the id and the object made before."""
        if key is None:
            return str(uuid.uuid4()), None
        doc_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlc:{kind}:{key}"))
        doc = self.store.get_document(kind, doc_id)
        return doc_id, (cls.from_variable(doc) if doc is not None else None)

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="microseconds")

    def _emit(self, event: str, variables: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(SIGNAL_PREFIX + event, variables)

    # ------------------------------------------------------------------ stored models

    def register_model(
        self,
        name: str,
        *,
        source: str | Path | None = None,
        type: str = "PYTHON3",  # noqa: A002 - ModelOp's field name
        tags: Sequence[str] = (),
        group: str | None = None,
        description: str | None = None,
        assets: Sequence[Asset] = (),
        **metadata: Any,
    ) -> StoredModel:
        """Register a stored model with its source (a path or the code itself) and assets."""
        model_assets = list(assets)
        if source is not None:
            path = _as_path(source)
            code = path.read_text() if path is not None else str(source)
            model_assets.insert(
                0,
                Asset(
                    id=str(uuid.uuid4()),
                    name="model source",
                    asset_role=AssetRole.MODEL_SOURCE,
                    filename=path.name if path is not None else "model.py",
                    file_content=code,
                    file_size=len(code.encode()),
                ),
            )
        model = StoredModel(
            id=str(uuid.uuid4()),
            model_meta_data=ModelMetaData(
                name=name,
                type=type,
                tags=list(tags),
                group=group,
                description=description,
                **metadata,
            ),
            model_assets=[
                a if a.id else a.model_copy(update={"id": str(uuid.uuid4())}) for a in model_assets
            ],
            created_date=self.clock.now(),
            last_modified_date=self.clock.now(),
        )
        self._put("storedModel", model, model.id)
        return model

    def add_asset(
        self, stored_model_id: str, asset: Asset, *, replace_role: bool = False
    ) -> StoredModel:
        """Add an asset to a stored model (optionally replacing assets with the same role).

        New labelled data (a TRAINING_DATA or TEST_DATA asset) emits
        `Signals_model_data_changed` with `STORED_MODEL`, `STORED_MODEL_ID` and `ASSET`.
        """
        model = self.get_stored_model(stored_model_id)
        if not asset.id:
            asset = asset.model_copy(update={"id": str(uuid.uuid4())})
        if asset.file_content is not None and asset.file_size is None:
            asset = asset.model_copy(update={"file_size": len(asset.file_content.encode())})
        kept = [
            a for a in model.model_assets if not (replace_role and a.asset_role == asset.asset_role)
        ]
        updated = model.model_copy(
            update={"model_assets": [*kept, asset], "last_modified_date": self.clock.now()}
        )
        self._put("storedModel", updated, updated.id)
        if asset.asset_role in _LABELLED_DATA:
            self._emit(
                "model_data_changed",
                {
                    "STORED_MODEL": updated.to_variable(),
                    "STORED_MODEL_ID": updated.id,
                    "ASSET": asset.to_variable(),
                },
            )
        return updated

    def get_stored_model(self, model_id: str) -> StoredModel:
        """Return a stored model."""
        return self._get("storedModel", StoredModel, model_id, "stored model")

    def find_stored_models(self, *, name: str | None = None) -> list[StoredModel]:
        """List stored models, newest first (optionally by exact name)."""
        models = self._all("storedModel", StoredModel)
        return [m for m in models if name is None or m.model_meta_data.name == name]

    # ------------------------------------------------------------------ snapshots

    def create_deployable_model(
        self,
        stored_model_id: str,
        *,
        tags: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> DeployableModel:
        """Snapshot a stored model; emits `Signals_deployable_model_changed`.

        A repeated `idempotency_key` returns the snapshot made the first time.
        """
        snapshot_id, earlier = self._id_for("deployableModel", DeployableModel, idempotency_key)
        if earlier is not None:
            return earlier
        model = self.get_stored_model(stored_model_id)
        existing = self.find_deployable_models(stored_model_id=stored_model_id)
        snapshot = DeployableModel(
            id=snapshot_id,
            stored_model=model,
            version=len(existing) + 1,
            tags=list(tags),
            deployable_model_assets=list(model.model_assets),
            created_date=self.clock.now(),
            custom=dict(custom or {}),
        )
        self._put("deployableModel", snapshot, snapshot.id)
        log.info("snapshot %s v%s of %s", snapshot.id, snapshot.version, model.model_meta_data.name)
        self._emit("deployable_model_changed", {"DEPLOYABLE_MODEL": snapshot.to_variable()})
        return snapshot

    snapshot = create_deployable_model

    def get_deployable_model(self, deployable_model_id: str) -> DeployableModel:
        """Return a snapshot."""
        return self._get("deployableModel", DeployableModel, deployable_model_id, "snapshot")

    def patch_deployable_model(
        self, deployable_model_id: str, patch: Mapping[str, Any]
    ) -> DeployableModel:
        """Merge `patch` (camelCase names) into a snapshot."""
        current = self.get_deployable_model(deployable_model_id).to_variable()
        updated = DeployableModel.from_variable({**current, **dict(patch)})
        self._put("deployableModel", updated, updated.id)
        return updated

    def find_deployable_models(
        self, *, tag: str | None = None, stored_model_id: str | None = None
    ) -> list[DeployableModel]:
        """List snapshots (newest first) with a tag and/or of one stored model."""
        return [
            s
            for s in self._all("deployableModel", DeployableModel)
            if snapshot_matches(s, tag=tag, stored_model_id=stored_model_id)
        ]

    # ------------------------------------------------------------------ assets

    def _external_path(self, url: str) -> Path:
        raw = url.removeprefix("file://")
        path = Path(raw).resolve()
        if not any(path == root or root in path.parents for root in self.data_roots):
            allowed = ", ".join(map(str, self.data_roots)) or "none configured"
            raise IntegrationError(
                f"external file '{url}' is outside the allowed data roots ({allowed}); pass "
                "data_roots= to LocalCenter to allow a directory",
                service="local-center",
            )
        return path

    def read_asset(self, asset: Asset) -> str:
        """Return an asset's text: embedded content, or a file under the data roots."""
        if asset.text is not None:
            return asset.text
        if asset.file_url:
            path = self._external_path(asset.file_url)
            try:
                return path.read_text()
            except OSError as err:
                raise IntegrationError(
                    f"cannot read asset '{asset.file_url}': {err.strerror}", service="local-center"
                ) from err
        raise IntegrationError(
            f"asset '{asset.name or asset.id}' has no content and no URL", service="local-center"
        )

    def _write_asset(self, asset: Asset, content: str) -> Asset:
        if asset.asset_type == AssetType.EXTERNAL_FILE and asset.file_url:
            path = self._external_path(asset.file_url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            return asset.model_copy(update={"file_size": len(content.encode())})
        return asset.model_copy(
            update={"file_content": content, "file_size": len(content.encode())}
        )

    def create_external_file_asset(
        self, *, filename: str, file_format: str, role: str = "UNKNOWN", file_url: str | None = None
    ) -> Asset:
        """Create an output asset (embedded unless a URL under the data roots is given)."""
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

    def register_runtime(
        self,
        name: str,
        *,
        tags: Sequence[str] = (),
        stage: Stage | str | None = None,
        endpoints: Sequence[Mapping[str, Any]] = (),
        supported_model_types: Sequence[str] = ("PYTHON3", "PYTHON"),
    ) -> Runtime:
        """Register a runtime (no endpoints: a batch runtime)."""
        runtime = Runtime(
            id=str(uuid.uuid4()),
            name=name,
            tags=list(tags),
            stage=Stage(stage) if stage else None,
            endpoints=[dict(e) for e in endpoints],
            supported_model_types=list(supported_model_types),
        )
        self._put("runtime", runtime, name)
        return runtime

    def list_runtimes(self, *, tag: str | None = None) -> list[Runtime]:
        """List runtimes, optionally with a tag."""
        runtimes = list(reversed(self._all("runtime", Runtime)))
        return [r for r in runtimes if tag is None or tag in r.tags]

    def get_runtime(self, name: str) -> Runtime:
        """Return a runtime by name."""
        return self._get("runtime", Runtime, name, "runtime")

    def stop_engine(self, name: str) -> str:
        """Mark a runtime's engine stopped (it restarts on the next deployment)."""
        runtime = self.get_runtime(name).model_copy(update={"engine_state": "STOPPED"})
        self._put("runtime", runtime, name)
        return runtime.engine_state

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
        """Queue a job; `run_pending_jobs()` (called by `manager.run_due()`) runs it.

        A repeated `idempotency_key` returns the job queued the first time.
        """
        job_id, earlier = self._id_for("job", ModelBatchJob, idempotency_key)
        if earlier is not None:
            return earlier
        job = ModelBatchJob(
            id=job_id,
            job_type=job_type,
            deployable_model=deployable_model,
            target_engine=runtime,
            input_data=list(inputs),
            output_data=list(outputs),
            job_parameters=dict(parameters or {}),
            created_date=self.clock.now(),
        )
        self._put("job", job, job.id)
        log.info("job %s (%s) created for snapshot %s", job.id, job_type, deployable_model.id)
        return job

    def get_job(self, job_id: str) -> ModelBatchJob:
        """Return a job."""
        return self._get("job", ModelBatchJob, job_id, "job")

    def list_jobs(self, *, status: JobStatus | None = None) -> list[ModelBatchJob]:
        """List jobs, newest first."""
        return [
            j for j in self._all("job", ModelBatchJob) if status is None or j.job_status == status
        ]

    def run_pending_jobs(self, limit: int | None = None) -> int:
        """Run queued jobs (oldest first) to completion; return how many ran.

        Several hosts may call this on one database: each job is claimed by one of them
        (compare-and-swap on its document). A job left RUNNING by a host that died is run
        again once it has been running for twice the job timeout.
        """
        queued = [j for j in reversed(self.list_jobs()) if self._claimable(j)]
        ran = 0
        for job in queued:
            if limit is not None and ran >= limit:
                break
            claimed = self._claim(job.id)
            if claimed is not None:
                self._finish(claimed)
                ran += 1
        return ran

    def run_job(self, job_id: str) -> ModelBatchJob:
        """Run one job's model code now and record the outcome; emits the status change.

        A job that has ended, or that another host is running, is returned as it is.
        """
        claimed = self._claim(job_id)
        return self.get_job(job_id) if claimed is None else self._finish(claimed)

    def _claimable(self, job: ModelBatchJob) -> bool:
        if job.job_status == JobStatus.CREATED:
            return True
        if job.job_status != JobStatus.RUNNING or job.started_date is None:
            return False
        return self.clock.now() - job.started_date > timedelta(seconds=2 * self.job_timeout)

    def _claim(self, job_id: str) -> ModelBatchJob | None:
        """Mark a job RUNNING if nobody else has; return it, or None when someone has."""
        doc = self.store.get_document("job", job_id)
        if doc is None:
            raise ModelOpNotFoundError("job", job_id)
        job = ModelBatchJob.from_variable(doc)
        if not self._claimable(job):
            return None
        running = job.model_copy(
            update={"job_status": JobStatus.RUNNING, "started_date": self.clock.now()}
        )
        with self.store.transaction() as tx:
            if not tx.replace_document("job", job_id, doc, running.to_variable(), self._now()):
                return None
        return running

    def _finish(self, job: ModelBatchJob) -> ModelBatchJob:
        outcome = self._execute(job)
        self._put("job", outcome, outcome.id)
        if (
            outcome.job_type == JobType.MODEL_BATCH_TRAINING_JOB
            and outcome.job_status == JobStatus.COMPLETE
            and isinstance(outcome.result, dict)
        ):
            self.patch_deployable_model(outcome.snapshot.id, {"trainedModel": outcome.result})
        log.info(
            "job %s ended %s%s",
            outcome.id,
            outcome.job_status,
            f": {outcome.message}" if outcome.message else "",
        )
        self._emit("job_status_changed", {"JOB": outcome.to_variable()})
        return outcome

    def _execute(self, job: ModelBatchJob) -> ModelBatchJob:
        def failed(message: str) -> ModelBatchJob:
            return job.model_copy(
                update={
                    "job_status": JobStatus.ERROR,
                    "message": message,
                    "ended_date": self.clock.now(),
                }
            )

        role = _ROLE_FOR_JOB.get(job.job_type)
        if role is None:
            known = ", ".join(_ROLE_FOR_JOB)
            return failed(f"LocalCenter runs {known} jobs, not {job.job_type}")
        snapshot = self.get_deployable_model(job.snapshot.id)
        # ModelOp marks the main file among several sources `primaryModelSource`.
        sources = sorted(
            snapshot.assets_with_role(AssetRole.MODEL_SOURCE),
            key=lambda a: not a.primary_model_source,
        )
        if not sources:
            return failed("the snapshot has no MODEL_SOURCE asset")
        try:
            source = self.read_asset(sources[0])
            inputs = [
                InputData(
                    self.read_asset(a),
                    (a.file_format or "CSV").upper(),
                    a.filename or a.name or "input",
                )
                for a in job.input_data
            ]
        except IntegrationError as err:
            return failed(str(err))
        run = run_model_function(
            source,
            role,
            inputs,
            job={
                "id": job.id,
                "jobType": str(job.job_type),
                "jobParameters": job.job_parameters,
                "trainedModel": snapshot.trained_model,
            },
            timeout_seconds=self.job_timeout,
            python=self.python,
        )
        if run.status != "COMPLETE":
            return failed(run.reason or "the model failed")
        outputs = list(job.output_data)
        if run.records is not None and outputs:
            try:
                outputs[0] = self._write_asset(
                    outputs[0], render_output(run.records, outputs[0].file_format or "JSON")
                )
            except IntegrationError as err:
                return failed(str(err))
        result = run.result if run.records is None else {"records": len(run.records)}
        return job.model_copy(
            update={
                "job_status": JobStatus.COMPLETE,
                "result": result,
                "output_data": outputs,
                "ended_date": self.clock.now(),
            }
        )

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
            deployment_type=DeploymentType.BATCH if running.batch else DeploymentType.ONLINE,
            created_date=self.clock.now(),
        )
        self._put("deployedModel", deployed, deployed.id)
        return deployed

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

    def __iter__(self) -> Iterator[StoredModel]:
        """Iterate over stored models."""
        return iter(self.find_stored_models())

    def __repr__(self) -> str:
        """Describe the center."""
        return "LocalCenter()"


def _as_path(source: str | Path) -> Path | None:
    """`source` as an existing file, or None when it is the code itself."""
    if isinstance(source, Path):
        return source
    if "\n" not in source and len(source) < 4096 and Path(source).is_file():  # noqa: PLR2004
        return Path(source)
    return None


def require_local(center: Any) -> LocalCenter:
    """Return `center` if it is a LocalCenter.

    Raises:
        ConfigurationError: Otherwise.
    """
    if not isinstance(center, LocalCenter):
        raise ConfigurationError("this needs the embedded LocalCenter")
    return center
