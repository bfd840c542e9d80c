"""What every ModelOp delegate shares: a catalogue, input look-ups and failure handling."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from modelop_mlc.domain import Asset, DeployableModel, ModelBatchJob
from modelop_mlc.errors import BpmnError, ConfigurationError, IntegrationError, MlcError
from modelop_mlc.registry import DelegateContext, DelegateRegistry, Pending

__all__ = [
    "CATALOGUE",
    "REFUSED_CREDENTIALS",
    "Spec",
    "as_asset",
    "as_assets",
    "center",
    "deployable_model",
    "fail",
    "modelop",
    "register_catalogue",
]

Result = Mapping[str, Any] | None
REFUSED_CREDENTIALS = frozenset({401, 403})
"""HTTP statuses that mean our credentials were refused: incidents, never `FAILURE`."""
Fn = TypeVar("Fn", bound=Callable[[DelegateContext], Result])


@dataclass(frozen=True)
class Spec:
    """A catalogued delegate."""

    name: str
    function: Callable[[DelegateContext], Result]
    asynchronous: bool
    aliases: tuple[str, ...]


CATALOGUE: list[Spec] = []


def modelop(
    name: str, *, asynchronous: bool = False, aliases: Sequence[str] = ()
) -> Callable[[Fn], Fn]:
    """Catalogue a delegate under ModelOp's name; failures become `BpmnError("FAILURE")`."""

    def decorate(function: Fn) -> Fn:
        @functools.wraps(function)
        def wrapper(ctx: DelegateContext) -> Result:
            try:
                return function(ctx)
            except (BpmnError, Pending):
                raise
            except IntegrationError as err:
                if err.retryable or err.status_code in REFUSED_CREDENTIALS:
                    # A technical failure, or credentials an operator must fix: retried as a
                    # job, then an incident. As FAILURE it would be routed, or silently end
                    # the branch, and nobody would learn that the token was revoked.
                    raise
                raise BpmnError("FAILURE", f"{name}: {err}") from err
            except ConfigurationError:
                raise  # the manager is misconfigured: an incident, not a business outcome
            except ValidationError as err:
                # A variable without ModelOp's shape: the diagram passed the wrong thing.
                raise BpmnError(
                    "FAILURE", f"{name}: a variable does not have ModelOp's shape: {brief(err)}"
                ) from None
            except MlcError as err:
                # What went wrong outside is a business failure the diagram can route,
                # as ModelOp's own delegates do with errorCode FAILURE.
                raise BpmnError("FAILURE", f"{name}: {err}") from err

        CATALOGUE.append(Spec(name, wrapper, asynchronous, tuple(aliases)))
        return function

    return decorate


def register_catalogue(registry: DelegateRegistry) -> None:
    """Register every catalogued delegate as a built-in (your own registration wins)."""
    for spec in CATALOGUE:
        registry.register(
            spec.name,
            spec.function,
            asynchronous=spec.asynchronous,
            aliases=spec.aliases,
            builtin=True,
            replace=True,
        )


def fail(ctx: DelegateContext, reason: str) -> BpmnError:
    """A `BpmnError("FAILURE")` naming the task and the reason."""
    return BpmnError("FAILURE", f"{ctx.activity_name or ctx.activity_id}: {reason}")


def brief(err: ValidationError) -> str:
    """A pydantic error in one line: each wrong field with what is wrong with it."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg'].lower()}"
        for e in err.errors()[:5]
    )


def center(ctx: DelegateContext) -> Any:
    """The configured ModelOp Center.

    Raises:
        BpmnError: FAILURE, when the manager has no center.
    """
    if ctx.center is None:
        raise fail(ctx, "no ModelOp Center is configured")
    return ctx.center


def deployable_model(ctx: DelegateContext, *names: str) -> DeployableModel:
    """Read a snapshot from the first variable of `names` that is set (a dict or an id)."""
    for name in names or ("DEPLOYABLE_MODEL",):
        value = ctx.get(name)
        if isinstance(value, Mapping):
            try:
                return DeployableModel.from_variable(value)
            except ValidationError as err:
                raise fail(ctx, f"variable {name} is not a snapshot: {brief(err)}") from None
        if isinstance(value, str) and value:
            model: DeployableModel = center(ctx).get_deployable_model(value)
            return model
    raise fail(ctx, f"variable {' or '.join(names or ('DEPLOYABLE_MODEL',))} is not set")


def job_from(ctx: DelegateContext, *names: str) -> ModelBatchJob:
    """Read a job (dict or id) from the first variable of `names` that is set."""
    for name in names:
        value = ctx.get(name)
        if isinstance(value, Mapping):
            if "jobStatus" not in value and value.get("id"):
                return center(ctx).get_job(str(value["id"]))  # type: ignore[no-any-return]
            return ModelBatchJob.from_variable(value)
        if isinstance(value, str) and value:
            return center(ctx).get_job(value)  # type: ignore[no-any-return]
    raise fail(ctx, f"variable {' or '.join(names)} is not set")


def as_asset(value: Any) -> Asset | None:
    """Read an asset variable (ModelOp's FileAsset or external asset JSON)."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        data = dict(value)
        if "fileUrl" in data and "assetType" not in data:
            data["assetType"] = "EXTERNAL_FILE"
        return Asset.from_variable(data)
    raise TypeError(f"expected an asset object, got {type(value).__name__}")


def as_assets(value: Any) -> list[Asset]:
    """Read one asset or a list of assets."""
    if isinstance(value, list):
        return [a for a in (as_asset(v) for v in value) if a is not None]
    asset = as_asset(value)
    return [asset] if asset is not None else []
