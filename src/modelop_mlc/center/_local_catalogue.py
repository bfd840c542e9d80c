"""The catalogue half of `LocalCenter`: documents, stored models, snapshots, assets, runtimes.

`LocalCenter` (in `local.py`) is built in layers, each in its own module: this one, then
jobs (`_local_jobs.py`), then deployments, test results and notifications (`local.py`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from modelop_mlc.center._asset_files import (
    DEFAULT_INLINE_LIMIT,
    content_fields,
    digest_of,
    is_embedded_kind,
    referencing,
    refill,
)
from modelop_mlc.center._filters import snapshot_matches
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    AuditRecord,
    DeployableModel,
    JobStatus,
    ModelBatchJob,
    ModelMetaData,
    Runtime,
    Stage,
    StoredModel,
    open_value,
)
from modelop_mlc.errors import IntegrationError

__all__ = ["SIGNAL_PREFIX", "CenterEvents", "DocumentStore", "R", "log"]

log = logging.getLogger("modelop_mlc.center")
SIGNAL_PREFIX = "com.modelop.mlc.definitions.Signals_"
R = TypeVar("R", bound=Any)

_LABELLED_DATA = frozenset({AssetRole.TRAINING_DATA, AssetRole.TEST_DATA})
_FILES = "assetFile"  # the document kind asset contents are kept under, by SHA-256
_QUEUED = frozenset({JobStatus.CREATED, JobStatus.RUNNING})


class _DocumentTx(Protocol):
    def put_document(
        self, kind: str, doc_id: str, doc: Any, at: str, *, pending: bool = False
    ) -> None: ...

    def replace_document(
        self, kind: str, doc_id: str, expected: Any, doc: Any, at: str, *, pending: bool = False
    ) -> bool: ...


class DocumentStore(Protocol):
    """Where LocalCenter keeps its documents (the manager's `SqlStore` is one)."""

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read a document."""
        ...

    def list_documents(self, kind: str, *, pending_only: bool = False) -> list[Any]:
        """Read every document of a kind (only those put as pending, if asked), oldest first."""
        ...

    def transaction(self) -> AbstractContextManager[_DocumentTx]:
        """Open a write transaction."""
        ...


CenterEvents = Callable[[str, dict[str, Any]], Any]


class _LocalCatalogue:
    """Documents, stored models, snapshots, assets and runtimes of `LocalCenter`."""

    def __init__(
        self,
        store: DocumentStore,
        clock: Clock,
        *,
        on_event: CenterEvents | None = None,
        data_roots: Sequence[str | Path] = (),
        job_timeout: float = 300.0,
        python: str | None = None,
        inline_limit: int = DEFAULT_INLINE_LIMIT,
    ) -> None:
        """Create the center over `store`."""
        self.store = store
        self.clock = clock
        self.on_event = on_event
        self.data_roots = [Path(p).resolve() for p in data_roots]
        self.job_timeout = job_timeout
        self.python = python
        self.inline_limit = inline_limit

    # ------------------------------------------------------------------ documents

    def _put(self, kind: str, record: Any, doc_id: str) -> None:
        # A job still to run is marked pending, so the queue is read from an index instead
        # of from every job there ever was.
        pending = isinstance(record, ModelBatchJob) and record.job_status in _QUEUED
        with self.store.transaction() as tx:
            tx.put_document(kind, doc_id, record.to_variable(), self._now(), pending=pending)

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

    # ------------------------------------------------------------------ asset contents

    def _keep(self, assets: Sequence[Asset], stored: Sequence[Asset] = ()) -> list[Asset]:
        """`assets` as the catalogue records them: contents kept aside, references in place.

        An asset that lost its content (an id, no content, no reference) gets the one of
        the stored asset with that id, so writing a record back never erases a file.
        """
        kept: list[Asset] = []
        files: dict[str, dict[str, Any]] = {}
        for asset in refill(assets, stored):
            text = asset.text
            size = None if text is None else len(text.encode())
            if (
                text is None
                or size is None
                or (is_embedded_kind(asset) and size <= self.inline_limit)
            ):
                kept.append(asset)
                continue
            digest = digest_of(text)
            # The fields as they came (a FILE's base64 next to its text), so nothing is lost.
            files[digest] = {"content": text, "fields": content_fields(asset)}
            kept.append(referencing(asset, digest, size))
        new = {d: f for d, f in files.items() if self.store.get_document(_FILES, d) is None}
        if new:
            with self.store.transaction() as tx:
                for digest, doc in new.items():
                    tx.put_document(_FILES, digest, doc, self._now())
        return kept

    def _kept_snapshot(
        self, snapshot: DeployableModel, stored: DeployableModel | None = None
    ) -> DeployableModel:
        model = _with_assets(
            snapshot.stored_model,
            "model_assets",
            self._keep(
                snapshot.stored_model.model_assets,
                stored.stored_model.model_assets if stored else (),
            ),
        )
        own = self._keep(
            snapshot.deployable_model_assets, stored.deployable_model_assets if stored else ()
        )
        return _with_assets(
            _with_assets(snapshot, "stored_model", model), "deployable_model_assets", own
        )

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
            model_assets=self._keep(
                [
                    a if a.id else a.model_copy(update={"id": str(uuid.uuid4())})
                    for a in model_assets
                ]
            ),
            created_date=self.clock.now(),
            last_modified_date=self.clock.now(),
        )
        self._put("storedModel", model, model.id)
        self._audit(model, "CREATED", [])
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
        asset = self._keep([asset])[0]
        kept = [
            a for a in model.model_assets if not (replace_role and a.asset_role == asset.asset_role)
        ]
        updated = model.model_copy(
            update={"model_assets": [*kept, asset], "last_modified_date": self.clock.now()}
        )
        self._put("storedModel", updated, updated.id)
        self._audit(updated, "UPDATED", [{"path": "/modelAssets", "newValue": asset.label}])
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

    def patch_stored_model(self, model_id: str, patch: Mapping[str, Any]) -> StoredModel:
        """Merge `patch` (camelCase names) into a stored model; recorded in its audit trail."""
        before = self.get_stored_model(model_id)
        current = before.to_variable()
        updated = StoredModel.from_variable({**current, **dict(patch), "id": model_id})
        if "modelAssets" in patch:
            updated = _with_assets(
                updated, "model_assets", self._keep(updated.model_assets, before.model_assets)
            )
        self._put("storedModel", updated, model_id)
        self._audit(updated, "UPDATED", _changes(current, updated.to_variable()))
        return updated

    def update_stored_model(self, model: StoredModel) -> StoredModel:
        """Replace a stored model with `model` (same id); recorded in its audit trail."""
        before = self.get_stored_model(model.id)
        current = before.to_variable()
        model = _with_assets(
            model, "model_assets", self._keep(model.model_assets, before.model_assets)
        )
        self._put("storedModel", model, model.id)
        self._audit(model, "UPDATED", _changes(current, model.to_variable()))
        return model

    # ------------------------------------------------------------------ audit trail

    def _audit(self, model: StoredModel, action: str, changes: list[dict[str, Any]]) -> None:
        record = AuditRecord(
            id=str(uuid.uuid4()),
            entity_type="StoredModel",
            entity_id=model.id,
            stored_model_id=model.id,
            action=action,
            changes=changes,
            meta_data=(
                {"modelStage": model.model_meta_data.model_stage}
                if model.model_meta_data.model_stage
                else {}
            ),
            created_date=self.clock.now(),
        )
        self._put("auditRecord", record, record.id)

    def find_audit_records(self, stored_model_id: str) -> list[AuditRecord]:
        """List a stored model's audit records, newest first (one per registration or change)."""
        return [
            r for r in self._all("auditRecord", AuditRecord) if r.stored_model_id == stored_model_id
        ]

    def patch_audit_record(self, record_id: str, patch: Mapping[str, Any]) -> AuditRecord:
        """Merge `patch` into an audit record (e.g. a comment in its `metaData`)."""
        current = self._get("auditRecord", AuditRecord, record_id, "audit record")
        updated = AuditRecord.from_variable({**current.to_variable(), **dict(patch)})
        self._put("auditRecord", updated, record_id)
        return updated

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
        model = _with_assets(model, "model_assets", self._keep(model.model_assets))
        snapshot = DeployableModel(
            id=snapshot_id,
            stored_model=model,
            version=len(existing) + 1,
            tags=list(tags),
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
        before = self.get_deployable_model(deployable_model_id)
        updated = DeployableModel.from_variable({**before.to_variable(), **dict(patch)})
        if {"storedModel", "deployableModelAssets"} & set(patch):
            updated = self._kept_snapshot(updated, before)
        self._put("deployableModel", updated, updated.id)
        return updated

    def update_deployable_model(self, snapshot: DeployableModel) -> DeployableModel:
        """Replace a snapshot with `snapshot` (same id)."""
        snapshot = self._kept_snapshot(snapshot, self.get_deployable_model(snapshot.id))
        self._put("deployableModel", snapshot, snapshot.id)
        return snapshot

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
        """Return an asset's text: embedded, kept by the center, or a file under the data roots.

        An asset that names no content at all is looked up by its id among the stored
        models' assets (a record that lost its content).

        Raises:
            IntegrationError: If the content cannot be found or read.
        """
        if asset.text is not None:
            return asset.text
        digest = asset.content_digest
        if digest is not None:
            doc = self.store.get_document(_FILES, digest)
            if doc is not None:
                return str(doc["content"])
            if not asset.file_url:
                raise IntegrationError(
                    f"asset '{asset.label}' refers to content (SHA-256 {digest[:12]}…) this "
                    "LocalCenter does not keep; was the record made by another center?",
                    service="local-center",
                )
        if asset.file_url:
            path = self._external_path(asset.file_url)
            try:
                return path.read_text()
            except OSError as err:
                raise IntegrationError(
                    f"cannot read asset '{asset.file_url}': {err.strerror}", service="local-center"
                ) from err
        known = self._stored_asset(asset.key) if asset.key else None
        if known is not None and (known.text is not None or known.is_reference):
            return self.read_asset(known)
        raise IntegrationError(
            f"asset '{asset.name or asset.id}' has no content and no URL", service="local-center"
        )

    def _stored_asset(self, key: str) -> Asset | None:
        for model in self._all("storedModel", StoredModel):
            for asset in model.model_assets:
                if asset.key == key:
                    return asset
        return None

    def _write_asset(self, asset: Asset, content: str) -> Asset:
        if asset.asset_type == AssetType.EXTERNAL_FILE and asset.file_url:
            path = self._external_path(asset.file_url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            return asset.model_copy(update={"file_size": len(content.encode())})
        # An embedded output is kept by the center like any data file: the job's record
        # (and the JOB variable) carries its reference.
        written = asset.model_copy(
            update={"file_content": content, "file_size": len(content.encode())}
        )
        return self._keep([written])[0]

    def create_external_file_asset(
        self, *, filename: str, file_format: str, role: str = "UNKNOWN", file_url: str | None = None
    ) -> Asset:
        """Create an output asset (embedded unless a URL under the data roots is given)."""
        return Asset(
            id=str(uuid.uuid4()),
            name=filename,
            filename=filename,
            file_format=file_format,
            asset_role=open_value(AssetRole, role),
            asset_type=AssetType.EXTERNAL_FILE if file_url else AssetType.ASSET_FILE,
            file_url=file_url,
        )

    def external_file_for(self, asset: Asset, *, file_url: str | None = None) -> Asset:
        """Return `asset` as an EXTERNAL_FILE, writing its content to a file if needed.

        An external asset is returned as it is; an embedded one is written to `file_url` (or
        under the first data root, in `assets/<id>/`) and described there.

        Raises:
            IntegrationError: If the asset has no content, or the file would lie outside the
                data roots.
        """
        if asset.asset_type == AssetType.EXTERNAL_FILE and asset.file_url:
            return asset
        content = self.read_asset(asset) if asset.is_reference else asset.text
        if content is None:
            raise IntegrationError(
                f"asset '{asset.label}' has no content to write to a file", service="local-center"
            )
        name = Path(asset.label).name or "asset"
        if file_url is None:
            if not self.data_roots:
                raise IntegrationError(
                    f"asset '{asset.label}' cannot become an external file: no data roots are "
                    "configured; pass data_roots= to LocalCenter or FILE_URL to the task",
                    service="local-center",
                )
            folder = self.data_roots[0] / "assets" / (asset.key or str(uuid.uuid4()))
            file_url = (folder / name).as_uri()
        written = self._write_asset(
            Asset(asset_type=AssetType.EXTERNAL_FILE, file_url=file_url), content
        )
        return Asset(
            id=asset.key or str(uuid.uuid4()),
            name=asset.name or name,
            filename=asset.filename or name,
            asset_type=AssetType.EXTERNAL_FILE,
            asset_role=asset.asset_role,
            file_format=asset.file_format,
            file_url=file_url,
            file_size=written.file_size,
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
            stage=open_value(Stage, stage) if stage else None,
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

    def patch_runtime(self, name: str, patch: Mapping[str, Any]) -> Runtime:
        """Merge `patch` into the runtime called `name` (its name stays)."""
        current = self.get_runtime(name).to_variable()
        updated = Runtime.from_variable({**current, **dict(patch), "name": name})
        self._put("runtime", updated, name)
        return updated

    def update_runtime(self, runtime: Runtime) -> Runtime:
        """Replace the runtime of the same name with `runtime`."""
        self.get_runtime(runtime.name)
        self._put("runtime", runtime, runtime.name)
        return runtime

    def stop_engine(self, name: str) -> str:
        """Mark a runtime's engine stopped (it restarts on the next deployment)."""
        runtime = self.get_runtime(name).model_copy(update={"engine_state": "STOPPED"})
        self._put("runtime", runtime, name)
        return runtime.engine_state


def _with_assets(record: R, field: str, value: Any) -> R:
    """`record` with `field` set to `value`, unless that changes nothing (its JSON stays)."""
    if _json(getattr(record, field)) == _json(value):
        return record
    return record.model_copy(update={field: value})  # type: ignore[no-any-return]


def _json(value: Any) -> Any:
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.to_variable() if hasattr(value, "to_variable") else value


def _as_path(source: str | Path) -> Path | None:
    """`source` as an existing file, or None when it is the code itself."""
    if isinstance(source, Path):
        return source
    if "\n" not in source and len(source) < 4096 and Path(source).is_file():  # noqa: PLR2004
        return Path(source)
    return None


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The top-level fields that differ, as ModelOp's audit `changes` (path, old, new)."""
    return [
        {"path": f"/{key}", "oldValue": before.get(key), "newValue": after.get(key)}
        for key in sorted({*before, *after})
        if before.get(key) != after.get(key)
    ]
