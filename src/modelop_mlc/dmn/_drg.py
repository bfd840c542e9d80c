"""Evaluating a decision requirements graph: `DmnModel` and `parse_dmn`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from modelop_mlc.dmn._bounds import LimitExceededError
from modelop_mlc.dmn._boxed import BrokenExpressionError
from modelop_mlc.dmn._feel import to_feel
from modelop_mlc.dmn._feel_typesys import FeelType
from modelop_mlc.dmn._feel_values import EvalContext, FeelFunction, Scope
from modelop_mlc.dmn._foreign import ExpressionLanguage
from modelop_mlc.dmn._imports import resolver_for
from modelop_mlc.dmn._model import DecisionInfo, DecisionSpec, ModelSpec, ServiceSpec, build_model
from modelop_mlc.dmn._results import DecisionResult, Outcome
from modelop_mlc.errors import DecisionError, DiagramError, ProblemReport

__all__ = ["DmnModel", "parse_dmn"]

_IN_PROGRESS: Final = object()
_UNEXPECTED: Final = (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError)
"""Failures FEEL evaluation turns into null; one escaping to here is a bug."""


class DmnModel:
    """A parsed, compiled DMN model: evaluate any of its decisions many times.

    Attributes:
        namespace: The model's `namespace` attribute.
        name: The model's `name`, when set.
        dmn_version: The DMN version of the file (`"1.1"` … `"1.5"`).
        file: The file name the model came from, when known.
        decisions: Every decision by id.
        problems: What could not be compiled (bad FEEL, unsupported languages, ...), each
            naming its decision; such a decision fails when evaluated, the others work.
    """

    def __init__(self, spec: ModelSpec) -> None:
        """Wrap a compiled model (use `parse_dmn` to build one)."""
        self._spec = spec
        self.namespace = spec.namespace
        self.name = spec.name
        self.dmn_version = spec.dmn_version
        self.file = spec.file
        self.decisions: Mapping[str, DecisionInfo] = MappingProxyType(
            {k: d.info for k, d in spec.decisions.items()}
        )
        self.problems: tuple[ProblemReport, ...] = tuple(spec.problems)

    def raise_for_problems(self) -> None:
        """Raise `DiagramError` listing every problem, if there is any (deploy-time checks).

        Raises:
            DiagramError: If some expression could not be compiled.
        """
        if self.problems:
            raise DiagramError(list(self.problems), file=self.file)

    def __repr__(self) -> str:
        """Describe the model."""
        return f"DmnModel(name={self.name!r}, decisions={self.decision_ids()!r})"

    def decision_ids(self) -> list[str]:
        """Return the ids of every decision, in document order."""
        return list(self.decisions)

    def find_decision(self, ref: str) -> DecisionInfo | None:
        """Return the decision with this id, or else with this name; `None` if there is none."""
        info = self.decisions.get(ref)
        if info is not None:
            return info
        for candidate in self.decisions.values():
            if ref in (candidate.name, candidate.variable_name):
                return candidate
        return None

    def evaluate(
        self,
        decision_ref: str,
        variables: Mapping[str, Any],
        *,
        now: datetime | None = None,
    ) -> DecisionResult:
        """Evaluate a decision (and the decisions it requires) against input variables.

        Args:
            decision_ref: The decision's id or name.
            variables: Input values by name: numbers (int, float, Decimal), strings,
                booleans, None, dates/times/timedeltas, dicts (FEEL contexts) and lists.
            now: The time FEEL `now()` and `today()` return (they give null without it).

        Returns:
            The result; evaluation problems (type errors, a UNIQUE table with several
            different hits) become null values plus entries in `warnings`, as DMN specifies.

        Raises:
            DecisionError: When no decision has this id or name (the message lists them).
        """
        return self._evaluate(decision_ref, variables, now=now)

    def _evaluate(
        self,
        decision_ref: str,
        variables: Mapping[str, Any],
        *,
        now: datetime | None = None,
        collect: bool = False,
    ) -> DecisionResult:
        info = self.find_decision(decision_ref)
        if info is None:
            raise _unknown(decision_ref, self.decision_ids())
        ctx = EvalContext(now)
        run = _Run(self._spec, variables, ctx)
        run.collect_top = info.id if collect else None
        try:
            outcome = run.decision(self._spec.decisions[info.id])
        except RecursionError:
            ctx.warn("the evaluation nested too deeply (runaway recursion); the result is null")
            outcome = Outcome(None, [{info.variable_name: None}])
        except BrokenExpressionError as err:
            raise self._broken(info.id, err) from None
        except LimitExceededError as err:
            raise DecisionError(
                f"Decision '{info.id}' was stopped: {err}; keep its expressions small",
                decision_id=info.id,
            ) from None
        except _UNEXPECTED as err:
            raise DecisionError(
                f"Decision '{info.id}' failed unexpectedly ({type(err).__name__}: {err}); this "
                "is a bug in modelop_mlc.dmn, please report it with the DMN file",
                decision_id=info.id,
            ) from err
        return DecisionResult(
            decision_id=info.id,
            rows=outcome.rows,
            matched_rules=outcome.matched,
            warnings=list(ctx.warnings),
            value=outcome.value,
        )

    def _broken(self, decision_id: str, err: BrokenExpressionError) -> DecisionError:
        own = [p.message for p in self.problems if p.element_id == decision_id]
        detail = "; ".join(own) or str(err)
        return DecisionError(
            f"Decision '{decision_id}' cannot be evaluated: {detail}; fix the DMN file",
            decision_id=decision_id,
        )

    def _metric_names(self, decision_id: str) -> list[str]:
        """Return the variable names a decision's inputs read (for `evaluate_model_test`)."""
        decision = self._spec.decisions[decision_id]
        if decision.table is not None:
            names: list[str] = []
            for column in decision.table.inputs:
                names.extend(n for n in column.names if n not in names)
            return names
        return [self._spec.name_of(i) for i in decision.required_inputs]

    def evaluate_service(
        self,
        service_ref: str,
        variables: Mapping[str, Any],
        *,
        now: datetime | None = None,
    ) -> DecisionResult:
        """Evaluate a decision service by id or name, giving its inputs by name.

        Raises:
            DecisionError: When no decision service has this id or name.
        """
        spec = self._spec
        service = spec.services.get(service_ref) or next(
            (s for s in spec.services.values() if s.name == service_ref), None
        )
        if service is None:
            raise _unknown(service_ref, list(spec.services), kind="decision service")
        ctx = EvalContext(now)
        run = _Run(spec, variables, ctx)
        try:
            value = run.service_value(service)
        except BrokenExpressionError as err:
            raise self._broken(service.id, err) from None
        except LimitExceededError as err:
            raise DecisionError(
                f"Decision service '{service.id}' was stopped: {err}", decision_id=service.id
            ) from None
        return DecisionResult(service.id, [{service.name: value}], [], list(ctx.warnings), value)


def _unknown(ref: str, available: list[str], kind: str = "decision") -> DecisionError:
    import difflib  # noqa: PLC0415 - error path only

    close = difflib.get_close_matches(ref, available, n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listing = ", ".join(available) if available else "none"
    return DecisionError(
        f"No {kind} '{ref}' in this DMN model{hint}; available: {listing}", decision_id=ref
    )


class _Run:
    """One evaluation: host variables, memoised decision outcomes, BKM functions."""

    def __init__(self, spec: ModelSpec, variables: Mapping[str, Any], ctx: EvalContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.variables = variables
        self.imported_runs: dict[int, _Run] = {}
        frame: dict[str, Any] = {}
        for name, value in variables.items():
            try:
                frame[str(name)] = to_feel(value)
            except TypeError as err:
                ctx.warn(f"variable '{name}': {err}; it is null")
                frame[str(name)] = None
        for input_name, feel_type in spec.inputs.values():
            if feel_type is not None and frame.get(input_name) is not None:
                value, ok = feel_type.coerce(frame[input_name])
                if not ok:
                    ctx.warn(f"input '{input_name}' is not a {feel_type.name}; it is null")
                frame[input_name] = value
        self.host = frame
        self.base = Scope(frame, None, ctx)
        self.memo: dict[str, Any] = {}
        self.functions: dict[str, FeelFunction] = {}
        self.collect_top: str | None = None

    def decision(self, decision: DecisionSpec, given: Mapping[str, Any] | None = None) -> Outcome:
        info = decision.info
        cached = self.memo.get(info.id)
        if cached is _IN_PROGRESS:
            self.ctx.warn(f"decision '{info.id}' requires itself; the result is null")
            return Outcome(None, [{info.variable_name: None}])
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        self.memo[info.id] = _IN_PROGRESS
        outcome = self._evaluate(decision, given)
        self.memo[info.id] = outcome
        return outcome

    def _evaluate(self, decision: DecisionSpec, given: Mapping[str, Any] | None) -> Outcome:
        info = decision.info
        if given is not None and info.variable_name in given:
            value = given[info.variable_name]
            return Outcome(value, [{info.variable_name: value}])
        frame: dict[str, Any] = {}
        for ref in info.required_decisions:
            if self._bind_imported(frame, ref, given, decision=True):
                continue
            required = self.spec.decisions.get(ref)
            if required is None:
                continue
            outcome = self.decision(required, given)
            _bind_outputs(frame, outcome)
            frame[required.info.variable_name] = outcome.value
        for ref in decision.knowledge:
            if self._bind_imported(frame, ref, given, decision=False):
                continue
            fn = self.function(ref)
            if fn is not None:
                frame[self.spec.name_of(ref)] = fn
        if decision.logic is None:
            if info.variable_name in self.host:
                value = self.host[info.variable_name]
                return Outcome(value, [{info.variable_name: value}])
            self.ctx.warn(f"decision '{info.id}' has no decision logic; its value is null")
            return Outcome(None, [{info.variable_name: None}])
        scope = Scope(frame, self.base, self.ctx)
        if decision.table is not None:
            outcome = decision.table.outcome(scope, collect=self.collect_top == info.id)
        else:
            value = decision.logic(scope)
            outcome = Outcome(value, [{info.variable_name: value}])
        if decision.type is not None and outcome.value is not None:
            value, ok = decision.type.coerce(outcome.value)
            if not ok:
                self.ctx.warn(
                    f"decision '{info.id}' result is not a {decision.type.name}; it is null"
                )
                if decision.table is None:
                    return Outcome(None, [{info.variable_name: None}], outcome.matched)
            outcome = Outcome(value, outcome.rows, outcome.matched)
        return outcome

    def _bind_imported(
        self, frame: dict[str, Any], ref: str, given: Mapping[str, Any] | None, *, decision: bool
    ) -> bool:
        """Bind an imported decision's value or knowledge under its import's name."""
        found = self.spec.imported(ref)
        if found is None:
            return False
        prefix, spec, element_id = found
        run = self.imported_runs.get(id(spec))
        if run is None:
            run = self.imported_runs[id(spec)] = _Run(spec, self.variables, self.ctx)
        names = frame.setdefault(prefix, {})
        if decision:
            required = spec.decisions.get(element_id)
            if required is not None:
                names[required.info.variable_name] = run.decision(required, given).value
        else:
            fn = run.function(element_id)
            if fn is not None:
                names[spec.name_of(element_id)] = fn
        return True

    def function(self, ref: str) -> FeelFunction | None:
        cached = self.functions.get(ref)
        if cached is not None:
            return cached
        bkm = self.spec.functions.get(ref)
        if bkm is not None:
            frame: dict[str, Any] = {}
            fn = bkm.make(Scope(frame, None, self.ctx))
            self.functions[ref] = fn
            frame[bkm.name] = fn
            for other in bkm.knowledge:
                inner = self.function(other)
                if inner is not None:
                    frame[self.spec.name_of(other)] = inner
            return fn  # type: ignore[no-any-return]
        service = self.spec.services.get(ref)
        if service is not None:
            fn = self._service_function(service)
            self.functions[ref] = fn
            return fn
        return None

    def _service_function(self, service: ServiceSpec) -> FeelFunction:
        # Parameters: the input data first, then the input decisions (as the TCK orders them).
        refs = [*service.input_data, *service.input_decisions]
        params = [self.spec.name_of(i) for i in refs]
        types = [self._type_of(i) for i in refs]

        def impl(call_scope: Scope, *args: Any) -> Any:
            variables: dict[str, Any] = {}
            for name, feel_type, arg in zip(params, types, args, strict=True):
                value = arg
                if feel_type is not None and value is not None:
                    value, ok = feel_type.coerce(value)
                    if not ok:
                        call_scope.warn(
                            f"decision service '{service.name}': '{name}' is not a "
                            f"{feel_type.name}; the result is null"
                        )
                        return None
                variables[name] = value
            inner = _Run(self.spec, variables, call_scope.ctx)
            return inner.service_value(service)

        return FeelFunction(service.name, params, impl)

    def _type_of(self, ref: str) -> FeelType | None:
        if ref in self.spec.inputs:
            return self.spec.inputs[ref][1]
        decision = self.spec.decisions.get(ref)
        return decision.type if decision is not None else None

    def service_value(self, service: ServiceSpec) -> Any:
        """Evaluate a service's output decisions; input decisions come from the variables."""
        given = {
            self.spec.name_of(i): self.host.get(self.spec.name_of(i))
            for i in service.input_decisions
        }
        results = {}
        for ref in service.outputs:
            decision = self.spec.decisions.get(ref)
            if decision is not None:
                results[decision.info.variable_name] = self.decision(decision, given).value
        value: Any = next(iter(results.values())) if len(results) == 1 else results
        if service.type is not None and value is not None:
            value, ok = service.type.coerce(value)
            if not ok:
                self.ctx.warn(
                    f"decision service '{service.name}' result is not a "
                    f"{service.type.name}; it is null"
                )
        return value


def _bind_outputs(frame: dict[str, Any], outcome: Outcome) -> None:
    """Expose a required table's outputs by output name, as Camunda 7 does."""
    rows = outcome.rows
    if len(rows) == 1:
        for key, value in rows[0].items():
            frame.setdefault(key, value)
    elif rows:
        for key in rows[0]:
            frame.setdefault(key, [row.get(key) for row in rows])


def parse_dmn(
    source: bytes | str | os.PathLike[str],
    *,
    file: str | None = None,
    languages: Mapping[str, ExpressionLanguage] | None = None,
    imports: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
) -> DmnModel:
    """Parse and compile a DMN 1.1 to 1.5 file (Camunda Modeler, Trisotech, …).

    Args:
        source: The XML as bytes or text, or a path to the file.
        file: The name to use in problem reports (defaults to the path's file name).
        languages: Languages other than FEEL that cells may use (`expressionLanguage`), by
            lower-case name; the engine passes Groovy and JUEL. Without them, such cells
            are problems.
        imports: The models this one imports, by namespace (XML or paths); by default they
            are looked up among the `.dmn` files beside `source` when it is a path.

    Returns:
        The compiled model; every FEEL expression is parsed and compiled once, here.

    Raises:
        DiagramError: When the file is not readable DMN: XML that is not well-formed or
            that declares a DOCTYPE, an unknown DMN namespace. Problems of single
            expressions (unparsable FEEL cells with decision id, rule number and column,
            unsupported expression languages, unknown requirements) do not fail the file:
            they are in `model.problems` (`model.raise_for_problems()` raises them all at
            once), and the decision they belong to fails with `DecisionError` when evaluated.
    """
    resolver = resolver_for(source, imports)
    return DmnModel(
        build_model(source, file=file, per_decision=True, resolver=resolver, languages=languages)
    )


def load_lenient(
    source: bytes | str | os.PathLike[str],
    *,
    file: str | None = None,
    languages: Mapping[str, ExpressionLanguage] | None = None,
) -> DmnModel:
    """Build a model in which broken expressions evaluate to null (conformance runs)."""
    return DmnModel(build_model(source, file=file, strict=False, languages=languages))
