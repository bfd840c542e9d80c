"""MlflowCenter's catalogue: registered models and versions read as stored models and snapshots.

A version's assets are its model (MODEL_BINARY, the version's source), the model's ModelOp
source when it has one (MODEL_SOURCE), the other artifacts of the run that logged it (role
by folder, e.g. `test_data/test.csv`, or by name: `*.dmn` is the DMN) and the files its
`mlc.asset.<ROLE>.<file>` tags point at; tagged files of a role replace the run's files of
that role. A registered model's assets are what its next version will get: the current source
(`mlc.source`, else the latest version's) with the registered model's own asset tags.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from modelop_mlc.center._mlflow_client import MlflowApi, flat_tags, load_mlflow
from modelop_mlc.center._mlflow_records import (
    ASSET,
    CUSTOM,
    asset_from_uri,
    asset_tag,
    assets_from_tags,
    file_role,
    metadata_tags,
    snapshot,
    split_snapshot_id,
    stored_model,
)
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._runner import find_functions
from modelop_mlc.domain import Asset, AssetRole, DeployableModel, ModelMetaData, StoredModel
from modelop_mlc.errors import IntegrationError

__all__ = ["Catalogue"]

SOURCE = "mlc.source"
SOURCE_RUN = "mlc.source_run"
IDEMPOTENCY = "mlc.idempotency_key"
_MODEL_DIR = "model"
_WRAPPER = Path(__file__).with_name("_mlflow_pyfunc.py")
_CACHE_LIMIT = 512


class Catalogue:
    """Read and write the registry as ModelOp's catalogue (used by `MlflowCenter`)."""

    def __init__(self, api: MlflowApi, experiment: str) -> None:
        """Create the catalogue over `api`; models are logged to `experiment`."""
        self.api = api
        self.experiment = experiment
        # A run's artifact listing never changes once its model is logged: list it once.
        self._run_files: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ reading

    def registered(self, name: str) -> Any:
        """The registered model called `name`."""
        return self.api.call(
            f"read registered model '{name}'", self.api.client.get_registered_model, name
        )

    def version(self, snapshot_id: str) -> Any:
        """The model version a snapshot id names."""
        names = split_snapshot_id(snapshot_id)
        if names is None:
            raise ModelOpNotFoundError("snapshot", snapshot_id)
        return self.api.call(
            f"read model version {snapshot_id}", self.api.client.get_model_version, *names
        )

    def stored(self, registered: Any) -> StoredModel:
        """A registered model as a stored model with the assets its next version gets."""
        tags = flat_tags(registered.tags)
        source, run_id = tags.get(SOURCE), tags.get(SOURCE_RUN)
        if not source:
            latest = self._latest(registered.name)
            source = latest.source if latest is not None else None
            run_id = latest.run_id if latest is not None else None
        return stored_model(registered, self._assets(source, run_id or None, tags))

    def snapshot(
        self, found: Any, *, stored: StoredModel | None = None, trained: dict[str, Any] | None
    ) -> DeployableModel:
        """A model version as a snapshot."""
        if stored is None:
            stored = self.stored(self.registered(found.name))
        tags = flat_tags(found.tags)
        assets = self._assets(found.source, found.run_id or None, tags)
        return snapshot(found, stored, assets, trained)

    def _latest(self, name: str) -> Any | None:
        versions = list(self.api.versions(f"name = '{_quote(name)}'"))
        return max(versions, key=lambda v: int(v.version)) if versions else None

    def _assets(
        self, source: str | None, run_id: str | None, tags: Mapping[str, str]
    ) -> list[Asset]:
        assets: list[Asset] = []
        if source:
            binary = asset_from_uri(source, AssetRole.MODEL_BINARY.value, "MLmodel")
            assets.append(binary.model_copy(update={"name": "MLflow model"}))
        tagged = assets_from_tags(tags)
        covered = {a.asset_role for a in tagged}
        if run_id:
            model_dir = _run_path(source, run_id)
            for path in self._files(run_id):
                if model_dir and path.startswith(model_dir + "/"):
                    if path.startswith(f"{model_dir}/artifacts/") and path.endswith(".py"):
                        assets.insert(
                            0, asset_from_uri(f"runs:/{run_id}/{path}", AssetRole.MODEL_SOURCE)
                        )
                    continue
                role = file_role(path)
                if role not in covered:
                    assets.append(asset_from_uri(f"runs:/{run_id}/{path}", role))
        return [*assets, *tagged]

    def _files(self, run_id: str) -> list[str]:
        if run_id not in self._run_files:
            if len(self._run_files) >= _CACHE_LIMIT:
                self._run_files.clear()
            try:
                self._run_files[run_id] = self.api.run_files(run_id, frozenset())
            except ModelOpNotFoundError:
                self._run_files[run_id] = []  # the run was deleted: the version has no files
        return self._run_files[run_id]

    # ------------------------------------------------------------------ writing

    def create_version(
        self,
        stored: StoredModel,
        *,
        tags: Mapping[str, str],
        idempotency_key: str | None,
    ) -> Any:
        """Register a new version of a model from its current source and asset tags."""
        name = stored.id
        if idempotency_key:
            key = _quote(idempotency_key)
            earlier = list(
                self.api.versions(f"name = '{_quote(name)}' and tags.`{IDEMPOTENCY}` = '{key}'")
            )
            if earlier:
                return earlier[0]
        registered = self.registered(name)
        model_tags = flat_tags(registered.tags)
        source, run_id = model_tags.get(SOURCE), model_tags.get(SOURCE_RUN)
        if not source:
            latest = self._latest(name)
            if latest is None:
                raise IntegrationError(
                    f"registered model '{name}' has no version and no logged source to snapshot; "
                    "log one with MlflowCenter.log_model or register a version in MLflow",
                    service="mlflow",
                )
            source, run_id = latest.source, latest.run_id
        version_tags = {
            **{k: v for k, v in model_tags.items() if k.startswith((ASSET, CUSTOM))},
            **tags,
        }
        if idempotency_key:
            version_tags[IDEMPOTENCY] = idempotency_key
        extra: dict[str, Any] = {}
        if str(source).startswith("models:/m-"):
            extra["model_id"] = str(source).removeprefix("models:/")
        return self.api.call(
            f"create a version of '{name}'",
            self.api.client.create_model_version,
            name,
            source,
            run_id=run_id or None,
            tags=version_tags,
            **extra,
        )

    def log_model(
        self,
        name: str,
        source: str,
        meta: ModelMetaData,
        assets: Sequence[Asset],
        *,
        requirements: Sequence[str],
        filename: str = "model.py",
    ) -> StoredModel:
        """Register `name` with a ModelOp source logged as a pyfunc model and its assets."""
        pyfunc = load_mlflow("mlflow.pyfunc")
        functions = {str(role): fn for role, fn in find_functions(source).items()}
        client = self.api.client
        try:
            registered = self.registered(name)
        except ModelOpNotFoundError:
            registered = self.api.call(
                f"create registered model '{name}'",
                client.create_registered_model,
                name,
                tags=metadata_tags(meta),
                description=meta.description,
            )
        run = self.api.call(
            f"create a run for '{name}'",
            client.create_run,
            self.api.experiment_id(self.experiment),
            tags={"mlc.model_name": name, "mlflow.runName": f"log {name}"},
        )
        run_id = str(run.info.run_id)
        with tempfile.TemporaryDirectory(prefix="mlc-mlflow-log-") as tmp:
            folder = Path(tmp)
            (folder / filename).write_text(source, encoding="utf-8")
            (folder / "functions.json").write_text(json.dumps(functions), encoding="utf-8")
            with warnings.catch_warnings():
                # MLflow asks for type hints on predict; the wrapper takes any DataFrame.
                warnings.simplefilter("ignore", UserWarning)
                self._save(
                    name,
                    pyfunc.save_model,
                    path=str(folder / _MODEL_DIR),
                    python_model=str(_WRAPPER),
                    artifacts={
                        "source": str(folder / filename),
                        "functions": str(folder / "functions.json"),
                    },
                    pip_requirements=list(requirements),
                )
            self.api.call(
                f"log model '{name}'",
                client.log_artifacts,
                run_id,
                str(folder / _MODEL_DIR),
                _MODEL_DIR,
            )
        for asset in assets:
            text = asset.text or ""
            role = str(asset.asset_role)
            folder_name = role.lower() if asset.asset_role != AssetRole.UNKNOWN else "files"
            self.api.log_text(run_id, text, f"{folder_name}/{asset.filename or asset.name}")
        self.api.call(f"end run {run_id}", client.set_terminated, run_id, "FINISHED")
        uri = f"runs:/{run_id}/{_MODEL_DIR}"
        for key, value in {SOURCE: uri, SOURCE_RUN: run_id}.items():
            self.api.call(
                f"tag registered model '{name}'", client.set_registered_model_tag, name, key, value
            )
        return self.stored(self.registered(registered.name))

    def _save(self, name: str, save: Any, **options: Any) -> None:
        self.api.call(f"save model '{name}'", save, **options)

    def store_file(self, asset: Asset, text: str) -> str:
        """Keep `text` as an artifact of a new run; return its `runs:/` URI."""
        client = self.api.client
        run = self.api.call(
            "create a file run",
            client.create_run,
            self.api.experiment_id(self.experiment),
            tags={"mlflow.runName": f"file {asset.filename or asset.name or asset.id}"},
        )
        uri = self.api.log_text(run.info.run_id, text, _asset_path(asset))
        self.api.call("end run", client.set_terminated, run.info.run_id, "FINISHED")
        return uri

    def add_asset(self, name: str, asset: Asset, *, replace_role: bool) -> Asset:
        """Store an asset's content in a run and point the registered model's tags at it."""
        stored = self.stored(self.registered(name))
        role = str(asset.asset_role)
        client = self.api.client
        if not replace_role:
            # The tag will replace the run's files of this role: keep them, as tags.
            for existing in stored.model_assets:
                if str(existing.asset_role) == role and existing.file_url:
                    key = asset_tag(role, existing.filename or existing.name or "file")
                    self.api.call(
                        "tag registered model",
                        client.set_registered_model_tag,
                        name,
                        key,
                        existing.file_url,
                    )
        else:
            for key in flat_tags(self.registered(name).tags):
                if key.startswith(f"{ASSET}{role}."):
                    self.api.call(
                        "untag registered model", client.delete_registered_model_tag, name, key
                    )
        uri = asset.file_url
        filename = asset.filename or asset.name or "file"
        if asset.text is not None:
            run = self.api.call(
                f"create an asset run for '{name}'",
                client.create_run,
                self.api.experiment_id(self.experiment),
                tags={"mlc.model_name": name, "mlflow.runName": f"asset {filename} of {name}"},
            )
            uri = self.api.log_text(run.info.run_id, asset.text, f"{role.lower()}/{filename}")
            self.api.call("end run", client.set_terminated, run.info.run_id, "FINISHED")
        if not uri:
            raise IntegrationError(
                f"asset '{filename}' has neither content nor a URL", service="mlflow"
            )
        self.api.call(
            "tag registered model",
            client.set_registered_model_tag,
            name,
            asset_tag(role, filename),
            uri,
        )
        return asset_from_uri(uri, role, filename)


def _asset_path(asset: Asset) -> str:
    return f"{str(asset.asset_role).lower()}/{asset.filename or asset.name or 'file'}"


def _run_path(source: str | None, run_id: str) -> str | None:
    """The folder of a `runs:/` source inside its run."""
    prefix = f"runs:/{run_id}/"
    return source.removeprefix(prefix).strip("/") if source and source.startswith(prefix) else None


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
