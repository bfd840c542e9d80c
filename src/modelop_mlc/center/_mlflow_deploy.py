"""MlflowCenter's deployments: a target's alias on a version, and tags that describe it.

Deploying version 3 of `credit` to the PROD target `online-prod`:

1. tags version 3 `mlc.deploy.online-prod.state = DEPLOYED` and `...created = <when>`;
2. moves the target's alias (`production`) to version 3;
3. tags the version deployed there before `mlc.deploy.online-prod.state = UNDEPLOYED`.

Each step is an upsert, so a deployment interrupted by a server restart is finished by
running it again. Schedules and the expiration date are `...schedules` (JSON) and
`...expiration` tags on the version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from modelop_mlc.center._mlflow_catalogue import Catalogue
from modelop_mlc.center._mlflow_client import MlflowApi, flat_tags
from modelop_mlc.center._mlflow_records import (
    DeploymentTarget,
    deploy_tag,
    deployed_model,
    snapshot_id,
    split_snapshot_id,
)
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.domain import DeployableModel, DeployedModel, Runtime, Schedule, StoredModel
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["Deployments"]

_PATCHABLE = {"schedules", "expirationDate", "deployedState", "id"}
_ENDED = {"UNDEPLOYED", "RETIRED"}


class Deployments:
    """The deployment targets and what is deployed on them (used by `MlflowCenter`)."""

    def __init__(
        self,
        api: MlflowApi,
        catalogue: Catalogue,
        snapshot_of: Callable[[Any, StoredModel | None], DeployableModel],
    ) -> None:
        """Create the deployments over `api`."""
        self.api = api
        self.catalogue = catalogue
        self.snapshot_of = snapshot_of
        self.targets: dict[str, DeploymentTarget] = {}
        self.stopped: set[str] = set()

    # ------------------------------------------------------------------ targets

    def add(self, target: DeploymentTarget) -> None:
        """Add a target.

        Raises:
            ConfigurationError: If another target has its name or alias.
        """
        for other in self.targets.values():
            if other.name != target.name and other.model_alias == target.model_alias:
                raise ConfigurationError(
                    f"deployment targets '{other.name}' and '{target.name}' would both move the "
                    f"alias '{target.model_alias}'; give one of them alias="
                )
        self.targets[target.name] = target

    def target(self, name: str) -> DeploymentTarget:
        """The target called `name`."""
        if name not in self.targets:
            raise ModelOpNotFoundError("runtime", name)
        return self.targets[name]

    def runtime(self, name: str) -> Runtime:
        """A target as a runtime record."""
        return self.target(name).runtime(engine_state=self._state(name))

    def runtimes(self) -> list[Runtime]:
        """Every target as a runtime record."""
        return [t.runtime(engine_state=self._state(t.name)) for t in self.targets.values()]

    def stop(self, name: str) -> str:
        """Mark a target stopped."""
        self.target(name)
        self.stopped.add(name)
        return "STOPPED"

    def _state(self, name: str) -> str:
        return "STOPPED" if name in self.stopped else "RUNNING"

    def own_alias(self, tags: Mapping[str, str], alias: str) -> bool:
        """Whether `alias` on a version with `tags` was put there by one of our deployments."""
        return any(
            t.model_alias == alias and tags.get(deploy_tag(t.name, "state")) == "DEPLOYED"
            for t in self.targets.values()
        )

    # ------------------------------------------------------------------ deploying

    def deploy(self, snapshot: DeployableModel, target_name: str, now: datetime) -> DeployedModel:
        """Deploy a version to a target (see the module docstring)."""
        target = self.target(target_name)
        names = split_snapshot_id(snapshot.id)
        if names is None:
            raise ModelOpNotFoundError("MLflow model version", snapshot.id)
        name, version = names
        client = self.api.client
        state_tag = deploy_tag(target.name, "state")
        current = flat_tags(self.catalogue.version(snapshot.id).tags)
        if current.get(state_tag) != "DEPLOYED":
            self._tag(name, version, deploy_tag(target.name, "created"), now.isoformat())
            self._tag(name, version, state_tag, "DEPLOYED")
        self.api.call(
            f"move alias '{target.model_alias}' of '{name}' to version {version}",
            client.set_registered_model_alias,
            name,
            target.model_alias,
            version,
        )
        for earlier in self.api.versions(
            f"name = '{_quote(name)}' and tags.`{state_tag}` = 'DEPLOYED'"
        ):
            if str(earlier.version) != version:
                self._tag(name, str(earlier.version), state_tag, "UNDEPLOYED")
        self.stopped.discard(target.name)
        return self.get(f"{snapshot.id}@{target.name}")

    def get(self, deployed_id: str) -> DeployedModel:
        """A deployment by id (`<name>/<version>@<target>`)."""
        snapshot, _, target_name = deployed_id.rpartition("@")
        if not snapshot or target_name not in self.targets:
            raise ModelOpNotFoundError("deployed model", deployed_id)
        found = self.catalogue.version(snapshot)
        record = deployed_model(
            self.snapshot_of(found, None),
            self.targets[target_name],
            flat_tags(found.tags),
            engine_state=self._state(target_name),
        )
        if record is None:
            raise ModelOpNotFoundError("deployed model", deployed_id)
        return record

    def find(self, model: str | None) -> list[DeployedModel]:
        """Every deployment (of `model`, when given), newest first."""
        found: list[DeployedModel] = []
        stored: dict[str, StoredModel] = {}
        for target in self.targets.values():
            query = f"tags.`{deploy_tag(target.name, 'state')}` LIKE '%'"
            if model:
                query = f"name = '{_quote(model)}' and {query}"
            for version in self.api.versions(query):
                if version.name not in stored:
                    stored[version.name] = self.catalogue.stored(
                        self.catalogue.registered(version.name)
                    )
                record = deployed_model(
                    self.snapshot_of(version, stored[version.name]),
                    target,
                    flat_tags(version.tags),
                    engine_state=self._state(target.name),
                )
                if record is not None:
                    found.append(record)
        found.sort(key=lambda d: (d.created_date is not None, d.created_date), reverse=True)
        return found

    def patch(self, deployed_id: str, patch: Mapping[str, Any]) -> DeployedModel:
        """Change a deployment's schedules, expiration date or state.

        Raises:
            IntegrationError: For other fields.
        """
        record = self.get(deployed_id)
        unknown = sorted(set(patch) - _PATCHABLE)
        if unknown:
            raise IntegrationError(
                f"an MLflow deployment cannot change {', '.join(unknown)}; only schedules, "
                "expirationDate and deployedState can be patched",
                service="mlflow",
            )
        target = record.target.name
        name, version = (
            str(record.deployable_model.stored_model.id),
            str(record.deployable_model.version),
        )
        if "schedules" in patch:
            schedules = [Schedule.model_validate(s).to_variable() for s in patch["schedules"] or []]
            self._tag(name, version, deploy_tag(target, "schedules"), json.dumps(schedules))
        if "expirationDate" in patch:
            value = patch["expirationDate"]
            text = value.isoformat() if isinstance(value, datetime) else str(value or "")
            self._tag(name, version, deploy_tag(target, "expiration"), text)
        if "deployedState" in patch:
            state = str(patch["deployedState"])
            self._tag(name, version, deploy_tag(target, "state"), state)
            if state in _ENDED:
                self._drop_alias(name, version, self.targets[target].model_alias)
        return self.get(deployed_id)

    def _drop_alias(self, name: str, version: str, alias: str) -> None:
        aliases = self.catalogue.registered(name).aliases or {}
        if str(aliases.get(alias, "")) == version:
            self.api.call(
                f"remove alias '{alias}' of '{name}'",
                self.api.client.delete_registered_model_alias,
                name,
                alias,
            )

    def _tag(self, name: str, version: str, key: str, value: str) -> None:
        self.api.call(
            f"tag model version {snapshot_id(name, version)}",
            self.api.client.set_model_version_tag,
            name,
            version,
            key,
            value,
        )


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
