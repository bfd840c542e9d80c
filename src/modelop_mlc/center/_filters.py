"""What the port's filters mean, in one place for every center.

LocalCenter applies them itself; RestCenter applies them again to what a remote center returns.
"""

from __future__ import annotations

from modelop_mlc.domain import DeployableModel, DeployedModel

__all__ = ["deployed_model_matches", "snapshot_matches"]


def snapshot_matches(
    snapshot: DeployableModel, *, tag: str | None = None, stored_model_id: str | None = None
) -> bool:
    """Whether a snapshot has `tag` (its own or its stored model's) and belongs to the model."""
    if stored_model_id is not None and snapshot.stored_model.id != stored_model_id:
        return False
    return tag is None or tag in snapshot.all_tags


def deployed_model_matches(
    deployed: DeployedModel,
    *,
    tag: str | None = None,
    stage: str | None = None,
    state: str | None = None,
    stored_model_id: str | None = None,
    deployable_model_id: str | None = None,
) -> bool:
    """Whether a deployment matches every given filter.

    `tag` may be the snapshot's, its stored model's or the runtime's; `stage` is the
    runtime's; `state` the deployment's (DEPLOYED, UNDEPLOYED, ...).
    """
    snapshot = deployed.deployable_model
    tags = {*snapshot.all_tags, *deployed.target.tags}
    return not (
        (tag is not None and tag not in tags)
        or (stage is not None and deployed.target.stage != stage)
        or (state is not None and deployed.deployed_state != state)
        or (stored_model_id is not None and snapshot.stored_model.id != stored_model_id)
        or (deployable_model_id is not None and snapshot.id != deployable_model_id)
    )
