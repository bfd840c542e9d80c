"""What every ModelOp delegate shares: a catalogue, input look-ups and failure handling."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from modelop_mlc.center import (
    AuditTrail,
    CatalogueQueries,
    DeploymentRecords,
    ExternalFiles,
    ModelOpCenter,
    NotificationInbox,
    RecordEditing,
)
from modelop_mlc.domain import Asset, DeployableModel, ModelBatchJob
from modelop_mlc.errors import BpmnError, ConfigurationError, IntegrationError, MlcError
from modelop_mlc.registry import DelegateContext, DelegateRegistry, Pending

__all__ = [
    "CATALOGUE",
    "REFUSED",
    "REFUSED_CREDENTIALS",
    "Refusal",
    "Spec",
    "as_asset",
    "as_assets",
    "center",
    "center_refusal",
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
    """A catalogued delegate.

    Attributes:
        name: ModelOp's name.
        function: The delegate.
        asynchronous: Whether it runs as a job (side effects, long work).
        aliases: Other names it is registered under.
        inputs: The inputs (or variables) it reads, ModelOp's names first.
        outputs: The variables it writes, ModelOp's names first.
        needs: Optional center capabilities (`modelop_mlc.center` protocols) it calls.
        uses_center: Whether it talks to a ModelOp Center at all.
        notes: Per center class name, what it cannot do there.
        required: The inputs it cannot run without (it fails with `FAILURE` when one is
            missing); inputs that stand in for each other (an id or the record) are not.
        defaults: Per input, what the delegate uses when it is not set.
    """

    name: str
    function: Callable[[DelegateContext], Result]
    asynchronous: bool
    aliases: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    needs: tuple[type[Any], ...] = ()
    uses_center: bool = True
    notes: tuple[tuple[str, str], ...] = ()
    required: tuple[str, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Refusal:
    """A ModelOp delegate that cannot run here: the system it needs, and what to do instead."""

    name: str
    system: str
    outputs: tuple[str, ...]
    hint: str

    @property
    def reason(self) -> str:
        """The deploy-time message: the delegate, why it is refused, what to register."""
        return (
            f"ModelOp's delegate {self.name} needs {self.system}, which this library does not "
            f"connect to, so it is refused; register your own delegate with "
            f'@manager.delegate("{self.name}") that writes {", ".join(self.outputs)} '
            f"({self.hint})"
        )


CATALOGUE: list[Spec] = []
REFUSED: list[Refusal] = []


def modelop(
    name: str,
    *,
    asynchronous: bool = False,
    aliases: Sequence[str] = (),
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    needs: Sequence[type[Any]] = (),
    uses_center: bool = True,
    notes: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    defaults: Mapping[str, str] | None = None,
) -> Callable[[Fn], Fn]:
    """Catalogue a delegate under ModelOp's name; failures become `BpmnError("FAILURE")`.

    `inputs` and `outputs` document what it reads and writes (the docs table and the
    Modeler templates show them, described by `_variables.VARIABLES`), `required` the inputs
    it cannot do without, `defaults` what it uses for an input that is not set, and `needs`
    the optional center capabilities it calls.

    Raises:
        ConfigurationError: If `required` or `defaults` name an input not in `inputs`.
    """
    unknown = sorted((set(required) | set(defaults or {})) - set(inputs))
    if unknown:
        raise ConfigurationError(f"delegate {name}: {', '.join(unknown)} not among its inputs")

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

        CATALOGUE.append(
            Spec(
                name,
                wrapper,
                asynchronous,
                tuple(aliases),
                tuple(inputs),
                tuple(outputs),
                tuple(needs),
                uses_center,
                tuple((notes or {}).items()),
                tuple(required),
                tuple((defaults or {}).items()),
            )
        )
        return function

    return decorate


def refuse(name: str, system: str, *, outputs: Sequence[str], hint: str) -> None:
    """Catalogue a ModelOp delegate that is refused at deploy (it needs `system`)."""
    REFUSED.append(Refusal(name, system, tuple(outputs), hint))


def center_refusal(spec: Spec, center: Any) -> str | None:
    """Why `center` cannot run the delegate, or None when it can.

    A center cannot when it lacks a capability the delegate needs, or when it names the
    delegate in its `refused_delegates` mapping (name to why: what its records cannot hold).
    """
    instead = (
        "use LocalCenter or RestCenter, or register your own delegate with "
        f'@manager.delegate("{spec.name}") that writes {", ".join(spec.outputs) or "nothing"}'
    )
    refused: Mapping[str, str] = getattr(center, "refused_delegates", {})
    why = next((refused[n] for n in (spec.name, *spec.aliases) if n in refused), None)
    if why is not None:
        return (
            f"ModelOp's delegate {spec.name} cannot run on {type(center).__name__} ({why}), "
            f"so it is refused; {instead}"
        )
    missing = [c.__name__ for c in spec.needs if not isinstance(center, c)]
    if not missing:
        return None
    return (
        f"ModelOp's delegate {spec.name} needs a ModelOp Center that offers "
        f"{' and '.join(missing)}, which {type(center).__name__} does not, so it is refused; "
        f"{instead}"
    )


def register_catalogue(registry: DelegateRegistry, center: Any = None) -> None:
    """Register every catalogued delegate as a built-in (your own registration wins).

    The delegates that need a system this library does not connect to, or a capability
    `center` does not offer (`modelop_mlc.center` protocols), are registered as refused: a
    diagram using one fails to deploy with the reason, unless you register it yourself.
    """
    for refusal in REFUSED:
        registry.refuse(refusal.name, refusal.reason)
    for spec in CATALOGUE:
        reason = center_refusal(spec, center) if center is not None else None
        if reason is not None:
            for name in (spec.name, *spec.aliases):
                registry.refuse(name, reason)
            continue
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


def center(ctx: DelegateContext) -> ModelOpCenter:
    """The configured ModelOp Center.

    Raises:
        BpmnError: FAILURE, when the manager has no center.
    """
    if ctx.center is None:
        raise fail(ctx, "no ModelOp Center is configured")
    return ctx.center


def _capable(ctx: DelegateContext, capability: Any) -> Any:
    """The configured center, checked to offer `capability` (a `modelop_mlc.center` protocol).

    Raises:
        ConfigurationError: If the center does not offer it (an incident: the manager's
            center cannot do what the diagram asks).
    """
    found = center(ctx)
    if not isinstance(found, capability):
        raise ConfigurationError(
            f"{ctx.activity_name or ctx.activity_id}: the ModelOp Center "
            f"({type(found).__name__}) does not offer {capability.__name__}, which this "
            "delegate needs; use LocalCenter or RestCenter, or implement "
            f"modelop_mlc.center.{capability.__name__}"
        )
    return found


def editing(ctx: DelegateContext) -> RecordEditing:
    """The center, as one that edits records in place (`RecordEditing`)."""
    found: RecordEditing = _capable(ctx, RecordEditing)
    return found


def queries(ctx: DelegateContext) -> CatalogueQueries:
    """The center, as one that reads jobs, deployments and results (`CatalogueQueries`)."""
    found: CatalogueQueries = _capable(ctx, CatalogueQueries)
    return found


def deployment_records(ctx: DelegateContext) -> DeploymentRecords:
    """The center, as one that records deployments (`DeploymentRecords`)."""
    found: DeploymentRecords = _capable(ctx, DeploymentRecords)
    return found


def inbox(ctx: DelegateContext) -> NotificationInbox:
    """The center, as one that reads and changes notifications (`NotificationInbox`)."""
    found: NotificationInbox = _capable(ctx, NotificationInbox)
    return found


def audit_trail(ctx: DelegateContext) -> AuditTrail:
    """The center, as one that keeps audit records (`AuditTrail`)."""
    found: AuditTrail = _capable(ctx, AuditTrail)
    return found


def external_files(ctx: DelegateContext) -> ExternalFiles:
    """The center, as one that makes external files of assets (`ExternalFiles`)."""
    found: ExternalFiles = _capable(ctx, ExternalFiles)
    return found


def text_input(ctx: DelegateContext, *names: str) -> str | None:
    """The first of `names` that is set (input or variable), as text."""
    for name in names:
        value = ctx.get(name)
        if value is not None and value != "":
            return str(value)
    return None


def record_id(ctx: DelegateContext, *names: str) -> str | None:
    """The first of `names` that is set: an id, or a record (dict) whose `id` is used."""
    for name in names:
        value = ctx.get(name)
        if isinstance(value, Mapping) and value.get("id"):
            return str(value["id"])
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def patch_input(ctx: DelegateContext) -> Mapping[str, Any]:
    """The `PATCH` input: a dict of camelCase fields to change.

    Raises:
        BpmnError: FAILURE, when it is missing or not a dict.
    """
    patch = ctx.get("PATCH")
    if not isinstance(patch, Mapping) or not patch:
        raise fail(ctx, "variable PATCH must be a map of the fields to change")
    return patch


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
                return center(ctx).get_job(str(value["id"]))
            return ModelBatchJob.from_variable(value)
        if isinstance(value, str) and value:
            return center(ctx).get_job(value)
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


def query_input(ctx: DelegateContext) -> Mapping[str, Any]:
    """The `QUERY` input: field paths (camelCase, dotted) to the values wanted.

    Raises:
        BpmnError: FAILURE, when it is missing or not a dict.
    """
    query = ctx.get("QUERY")
    if not isinstance(query, Mapping):
        raise fail(ctx, 'variable QUERY must be a dict such as {"modelMetaData.type": "R"}')
    return query


def _at(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, Mapping):
            return None
        document = document.get(part)
    return document


def _value_matches(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_value_matches(found, w) for w in wanted)
    if isinstance(found, list):
        return any(_value_matches(f, wanted) for f in found)
    return bool(found == wanted) or (found is not None and str(found) == str(wanted))


def query_matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether a record's JSON matches every entry of `query`.

    A list field matches when one of its items does; a list of wanted values when any does.
    """
    return all(_value_matches(_at(document, str(path)), v) for path, v in query.items())
