"""How MLflow's registry objects read as ModelOp records, and the tags that carry the rest.

| ModelOp | MLflow |
|---|---|
| stored model (`id`) | registered model (its name) |
| `modelMetaData` | description; `mlc.type`, `mlc.group`, ... tags; other tags as `tags` |
| snapshot (`id`) | model version (`<name>/<version>`) |
| snapshot tags | the version's tags (their keys), except our own `mlc.*` tags |
| assets | the version's source, its code, its run's other artifacts, asset tags |
| deployment | the target's alias on the version, `mlc.deploy.<target>.*` tags on it |

Everything we write ourselves is a tag under `mlc.`, so it never reads as a user's tag and
never starts a process.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelop_mlc.domain import (
    Asset,
    AssetRole,
    AssetType,
    DeployableModel,
    DeployedModel,
    DeploymentType,
    ModelMetaData,
    Runtime,
    Schedule,
    Stage,
    StoredModel,
)

__all__ = [
    "OURS",
    "DeploymentTarget",
    "asset_from_uri",
    "asset_tag",
    "assets_from_tags",
    "deploy_tag",
    "deployed_model",
    "file_role",
    "metadata_tags",
    "ms_to_datetime",
    "snapshot_id",
    "split_snapshot_id",
    "stored_model",
    "user_tags",
]

OURS = "mlc."
ASSET = "mlc.asset."
CUSTOM = "mlc.custom."
DEPLOY = "mlc.deploy."
_META_FIELDS = {
    "mlc.type": "type",
    "mlc.group": "group",
    "mlc.model_stage": "modelStage",
    "mlc.model_framework": "modelFramework",
    "mlc.model_methodology": "modelMethodology",
}
_FORMATS = {".csv": "CSV", ".json": "JSON", ".jsonl": "JSON"}
_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")
_STAGE_ALIASES = {Stage.PROD: "production"}


class DeploymentTarget(BaseModel):
    """A named place MlflowCenter deploys to: the runtime processes see.

    Deploying a model version to a target moves the target's alias (`production` for a PROD
    target unless you name another) to that version and records the deployment in
    `mlc.deploy.<target>.*` tags on it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The target (runtime) name processes use.")
    stage: Stage | None = Field(None, description="DEV, SIT, UAT or PROD.")
    tags: tuple[str, ...] = Field((), description="Service tags (GetCompatibleEngine matches).")
    endpoints: tuple[dict[str, Any], ...] = Field(
        (), description="Online endpoints; none means a batch target."
    )
    alias: str | None = Field(
        None,
        description="The registered-model alias that marks the deployed version; by default "
        "`production` for PROD, the stage in lower case for other stages, else the name.",
    )

    @property
    def model_alias(self) -> str:
        """The alias this target moves."""
        if self.alias:
            return self.alias
        if self.stage is not None:
            return _STAGE_ALIASES.get(self.stage, self.stage.value.lower())
        return _safe_alias(self.name)

    def runtime(self, *, engine_state: str = "RUNNING") -> Runtime:
        """The target as a ModelOp runtime record."""
        return Runtime(
            id=self.name,
            name=self.name,
            tags=list(self.tags),
            stage=self.stage,
            endpoints=[dict(e) for e in self.endpoints],
            engine_state=engine_state,
        )


def snapshot_id(name: str, version: int | str) -> str:
    """The snapshot id of a model version."""
    return f"{name}/{version}"


def split_snapshot_id(snapshot: str) -> tuple[str, str] | None:
    """(name, version) of a snapshot id, or None when it is not one."""
    name, _, version = snapshot.rpartition("/")
    return (name, version) if name and version.isdigit() else None


def ms_to_datetime(value: Any) -> datetime | None:
    """An MLflow timestamp (milliseconds since the epoch) as a UTC datetime."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def user_tags(tags: Mapping[str, str]) -> list[str]:
    """The keys of tags a person set (ours start with `mlc.`), in order."""
    return [k for k in tags if not k.startswith(OURS)]


def metadata_tags(meta: ModelMetaData) -> dict[str, str]:
    """The registered-model tags that carry a stored model's metadata."""
    tags = dict.fromkeys(meta.tags, "true")
    for tag, field in _META_FIELDS.items():
        value = meta.model_dump(by_alias=True).get(field)
        if value is not None:
            tags[tag] = str(value)
    for key, value in meta.custom.items():
        tags[CUSTOM + key] = value if isinstance(value, str) else json.dumps(value)
    return tags


def custom_from(tags: Mapping[str, str]) -> dict[str, Any]:
    """`mlc.custom.<key>` tags as a custom dict (JSON values decoded)."""
    custom: dict[str, Any] = {}
    for key, value in tags.items():
        if key.startswith(CUSTOM):
            try:
                custom[key.removeprefix(CUSTOM)] = json.loads(value)
            except ValueError:
                custom[key.removeprefix(CUSTOM)] = value
    return custom


def stored_model(registered: Any, assets: Sequence[Asset]) -> StoredModel:
    """A registered model as a stored model."""
    tags = _tags(registered.tags)
    fields = {f: tags[t] for t, f in _META_FIELDS.items() if t in tags}
    meta = ModelMetaData.model_validate(
        {
            "name": registered.name,
            "description": registered.description or None,
            "tags": user_tags(tags),
            "custom": custom_from(tags),
            **fields,
        }
    )
    return StoredModel(
        id=registered.name,
        model_meta_data=meta,
        model_assets=list(assets),
        created_date=ms_to_datetime(registered.creation_timestamp),
        last_modified_date=ms_to_datetime(registered.last_updated_timestamp),
    )


def snapshot(
    version: Any,
    stored: StoredModel,
    assets: Sequence[Asset],
    trained_model: dict[str, Any] | None,
) -> DeployableModel:
    """A model version as a snapshot of `stored`."""
    tags = _tags(version.tags)
    return DeployableModel(
        id=snapshot_id(version.name, version.version),
        stored_model=stored,
        version=int(version.version),
        tags=user_tags(tags),
        deployable_model_assets=list(assets),
        trained_model=trained_model,
        created_date=ms_to_datetime(version.creation_timestamp),
        custom={
            **custom_from(tags),
            "mlflow": {
                "name": version.name,
                "version": str(version.version),
                "source": version.source,
                "runId": version.run_id or None,
                "aliases": list(version.aliases or []),
                "tags": {k: v for k, v in tags.items() if not k.startswith(OURS)},
            },
        },
    )


# ---------------------------------------------------------------------- assets


def asset_tag(role: str, filename: str) -> str:
    """The tag key that points a model or version at an asset file."""
    return f"{ASSET}{role}.{_UNSAFE_KEY.sub('_', filename)}"


def file_role(path: str) -> str:
    """The role of a run artifact: by its folder (`test_data/x.csv`), else by its name."""
    folder, _, name = path.rpartition("/")
    for part in reversed(folder.split("/")):
        if part.upper() in AssetRole.__members__:
            return part.upper()
    lower = name.lower()
    if lower.endswith(".dmn"):
        return AssetRole.DMN.value
    if lower.endswith((".csv", ".json", ".jsonl")):
        if "train" in lower:
            return AssetRole.TRAINING_DATA.value
        if "test" in lower:
            return AssetRole.TEST_DATA.value
    return AssetRole.UNKNOWN.value


def asset_from_uri(uri: str, role: str, filename: str | None = None) -> Asset:
    """An external-file asset for an artifact URI."""
    name = filename or uri.rstrip("/").rpartition("/")[2]
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return Asset(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, uri)),
        name=name,
        filename=name,
        asset_type=AssetType.EXTERNAL_FILE,
        asset_role=AssetRole(role) if role in AssetRole.__members__ else AssetRole.UNKNOWN,
        file_format=_FORMATS.get(suffix),
        file_url=uri,
    )


def assets_from_tags(tags: Mapping[str, str]) -> list[Asset]:
    """The assets `mlc.asset.<ROLE>.<file>` tags point at."""
    found = []
    for key, uri in tags.items():
        if key.startswith(ASSET):
            role, _, filename = key.removeprefix(ASSET).partition(".")
            found.append(asset_from_uri(uri, role, filename or None))
    return found


# ---------------------------------------------------------------------- deployments


def deploy_tag(target: str, field: str) -> str:
    """The version tag holding one field of its deployment to `target`."""
    return f"{DEPLOY}{_UNSAFE_KEY.sub('_', target)}.{field}"


def deployed_model(
    snapshot_record: DeployableModel,
    target: DeploymentTarget,
    tags: Mapping[str, str],
    *,
    engine_state: str = "RUNNING",
) -> DeployedModel | None:
    """The deployment of a version to `target` its tags record, or None."""
    state = tags.get(deploy_tag(target.name, "state"))
    if state is None:
        return None
    schedules = _json_list(tags.get(deploy_tag(target.name, "schedules")))
    expiration = tags.get(deploy_tag(target.name, "expiration")) or None
    return DeployedModel.model_validate(
        {
            "id": f"{snapshot_record.id}@{target.name}",
            "deployableModel": snapshot_record.to_variable(),
            # ModelOp names the runtime `engine`, this library `runtime`: both, as LocalCenter.
            "runtime": target.runtime(engine_state=engine_state).to_variable(),
            "engine": target.runtime(engine_state=engine_state).to_variable(),
            "deploymentType": (
                DeploymentType.ONLINE if target.endpoints else DeploymentType.BATCH
            ).value,
            "deployedState": state,
            "schedules": [Schedule.model_validate(s).to_variable() for s in schedules],
            "expirationDate": expiration,
            "createdDate": tags.get(deploy_tag(target.name, "created")) or None,
        }
    )


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _tags(tags: Any) -> dict[str, str]:
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t.key): str(t.value) for t in tags}


def _safe_alias(name: str) -> str:
    alias = re.sub(r"[^A-Za-z0-9_]", "_", name).lower()
    return alias if not alias[:1].isdigit() else f"t_{alias}"
