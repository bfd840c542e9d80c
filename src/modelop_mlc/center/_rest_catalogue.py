"""The catalogue layer of `RestCenter`: stored models, snapshots, assets and runtimes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc.center._filters import snapshot_matches
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._rest_base import _RestBase, _with_key
from modelop_mlc.center._rest_transport import SERVICE
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    AuditRecord,
    DeployableModel,
    Runtime,
    StoredModel,
    open_value,
)
from modelop_mlc.errors import IntegrationError

__all__: list[str] = []


class _RestCatalogue(_RestBase):
    """Stored models, snapshots, assets and runtimes of `RestCenter`."""

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

    def patch_stored_model(self, model_id: str, patch: Mapping[str, Any]) -> StoredModel:
        """Change top-level fields of a stored model (`PATCH storedModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such model.
            IntegrationError: If the call fails.
        """
        return self._patch(StoredModel, "storedModels", "stored model", model_id, patch)

    def update_stored_model(self, model: StoredModel) -> StoredModel:
        """Replace a stored model (`PUT storedModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such model.
            IntegrationError: If the call fails.
        """
        return self._replace(
            StoredModel, "storedModels", "stored model", model.id, model.to_variable()
        )

    # ------------------------------------------------------------------ audit records

    def find_audit_records(self, stored_model_id: str) -> list[AuditRecord]:
        """List a stored model's audit records, newest first.

        `GET auditRecords/search/findAuditRecordsByStoredModelId?storedModelId=`, the search
        ModelOp's own audit scripts use.

        Raises:
            IntegrationError: If the call fails.
        """
        return self._many(
            AuditRecord,
            "auditRecords/search/findAuditRecordsByStoredModelId",
            {"storedModelId": stored_model_id},
            newest_first=True,
        )

    def patch_audit_record(self, record_id: str, patch: Mapping[str, Any]) -> AuditRecord:
        """Change top-level fields of an audit record (`PATCH auditRecords/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such audit record.
            IntegrationError: If the call fails.
        """
        return self._patch(AuditRecord, "auditRecords", "audit record", record_id, patch)

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

    def update_deployable_model(self, snapshot: DeployableModel) -> DeployableModel:
        """Replace a snapshot (`PUT deployableModels/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no such snapshot.
            IntegrationError: If the call fails.
        """
        return self._replace(
            DeployableModel, "deployableModels", "snapshot", snapshot.id, snapshot.to_variable()
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
            asset_role=open_value(AssetRole, role),
            asset_type=AssetType.EXTERNAL_FILE if file_url else AssetType.ASSET_FILE,
            file_url=file_url,
        )

    def external_file_for(self, asset: Asset, *, file_url: str | None = None) -> Asset:
        """Return `asset` if it is an external file already.

        ModelOp Center's REST API has no call that stores a file, so an embedded asset cannot
        be turned into one from here.

        Raises:
            IntegrationError: If the asset is embedded (not retryable: a business failure).
        """
        if asset.asset_type == AssetType.EXTERNAL_FILE and asset.file_url:
            return asset
        raise IntegrationError(
            f"asset '{asset.label}' is embedded; ModelOp Center's REST API offers no call "
            f"that stores it as an external file{f' at {file_url}' if file_url else ''}, so "
            "RestCenter turns only external assets into EXTERNAL_FILE_ASSET",
            service=SERVICE,
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

    def patch_runtime(self, name: str, patch: Mapping[str, Any]) -> Runtime:
        """Change top-level fields of the runtime called `name` (`PATCH runtimes/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If a call fails.
        """
        server = self._runtime_id(self.get_runtime(name))
        return self._patch(Runtime, "runtimes", "runtime", server, patch)

    def update_runtime(self, runtime: Runtime) -> Runtime:
        """Replace the runtime of the same name (`PUT runtimes/{id}`).

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If a call fails.
        """
        server = self._runtime_id(runtime if runtime.id else self.get_runtime(runtime.name))
        body = {**runtime.to_variable(), "id": server}
        return self._replace(Runtime, "runtimes", "runtime", server, body)

    def _runtime_id(self, runtime: Runtime) -> str:
        if not runtime.id:
            raise IntegrationError(
                f"ModelOp Center returned runtime '{runtime.name}' without an id; cannot change it",
                service=SERVICE,
            )
        return runtime.id

    def stop_engine(self, name: str) -> str:
        """Stop a runtime's engine (`PATCH runtimes/{id}` to `STOPPED`); return its new state.

        Raises:
            ModelOpNotFoundError: If the center has no runtime of that name.
            IntegrationError: If a call fails.
        """
        return self._set_engine_state(self.get_runtime(name), "STOPPED").engine_state
