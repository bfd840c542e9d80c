"""Decision tables: compiled cells, rule matching and every DMN hit policy."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Protocol

from modelop_mlc.dmn._feel_compile import Evaluator, UnaryTest
from modelop_mlc.dmn._feel_typesys import FeelType
from modelop_mlc.dmn._feel_values import DECIMAL, Scope, feel_compare, feel_eq
from modelop_mlc.dmn._foreign import (
    ExpressionLanguage,
    ForeignExpression,
    foreign_expression,
    foreign_test,
)
from modelop_mlc.dmn._results import Outcome
from modelop_mlc.dmn._xml import CAMUNDA_NS, attr, child, children, text_of

__all__ = ["HIT_POLICIES", "CompiledTable", "Owner", "TableBuilder", "compile_table"]

Owner = tuple[str, str | None]
"""The DRG element a problem belongs to: `(id, name)`."""


class TableBuilder(Protocol):
    """What compiling a table needs from the model's builder (`_boxed.Builder` is one)."""

    legacy: bool

    def problem(self, element: Any, owner: Owner, message: str, line: int | None = None) -> None:
        """Record a problem at `element` (or `line`) inside the DRG element `owner`."""
        ...

    def foreign_language(self, language: str | None) -> ExpressionLanguage | None:
        """The language of a cell when it is not FEEL and the parser was given it."""
        ...

    def foreign(
        self, foreign: ExpressionLanguage, text: str, element: Any, owner: Owner, where: str
    ) -> ForeignExpression | None:
        """Compile a cell in `foreign`; None (with a problem recorded) when it does not."""
        ...

    def broken(self, reason: str) -> Evaluator:
        """An evaluator for an expression that could not be compiled (lenient mode)."""
        ...

    def check_language(self, element: Any, owner: Owner, where: str, language: str | None) -> bool:
        """Report a non-FEEL `expressionLanguage`; tell whether the language is FEEL."""
        ...

    def feel(
        self, text: str, element: Any, owner: Owner, where: str, known: Collection[str] = ()
    ) -> Evaluator:
        """Compile a FEEL expression, reporting a syntax error with its position."""
        ...

    def variable(self, name: str) -> Evaluator:
        """An evaluator reading variable `name`."""
        ...

    def names_in(self, text: str) -> tuple[str, ...]:
        """The names an expression reads."""
        ...

    def legacy_text(self, text: str, element: Any, owner: Owner, where: str) -> Evaluator:
        """Compile an output entry the way Camunda 7 read it before 7.13."""
        ...

    def tests(
        self, text: str, element: Any, owner: Owner, where: str, known: Collection[str] = ()
    ) -> UnaryTest:
        """Compile unary tests (an input entry or allowed values)."""
        ...

    def constants(self, text: str, element: Any, owner: Owner, where: str) -> list[Any]:
        """Read a list of constant values."""
        ...

    def type_named(self, text: str) -> FeelType:
        """The type a `typeRef` names."""
        ...


HIT_POLICIES: Final = {
    "UNIQUE": "UNIQUE",
    "U": "UNIQUE",
    "FIRST": "FIRST",
    "F": "FIRST",
    "PRIORITY": "PRIORITY",
    "P": "PRIORITY",
    "ANY": "ANY",
    "A": "ANY",
    "COLLECT": "COLLECT",
    "C": "COLLECT",
    "RULE ORDER": "RULE ORDER",
    "R": "RULE ORDER",
    "OUTPUT ORDER": "OUTPUT ORDER",
    "O": "OUTPUT ORDER",
}
_AGGREGATIONS: Final = {"SUM", "MIN", "MAX", "COUNT"}
_SINGLE_HIT: Final = {"UNIQUE", "FIRST", "PRIORITY", "ANY"}
DEFAULT_INPUT_VARIABLE: Final = "cellInput"


@dataclass
class _Input:
    label: str
    expression: Evaluator
    variable: str
    allowed: UnaryTest | None
    allowed_text: str
    names: tuple[str, ...] = ()


@dataclass
class _Output:
    name: str
    type: FeelType | None
    priorities: list[Any]
    default: Evaluator | None
    legacy_text: bool = False


@dataclass
class _Rule:
    number: int
    tests: list[UnaryTest]
    outputs: list[Evaluator]


class CompiledTable:
    """A decision table compiled once; `outcome(scope)` evaluates it."""

    def __init__(
        self,
        inputs: list[_Input],
        outputs: list[_Output],
        rules: list[_Rule],
        hit_policy: str,
        aggregation: str | None,
        single_name: str,
    ) -> None:
        """Create the table from its compiled parts."""
        self.inputs = inputs
        self.outputs = outputs
        self.rules = rules
        self.hit_policy = hit_policy
        self.aggregation = aggregation
        self.single_name = single_name
        self._first_only = hit_policy == "FIRST"

    def value(self, scope: Scope) -> Any:
        """Evaluate the table and return its FEEL value."""
        return self.outcome(scope).value

    def outcome(self, scope: Scope, *, collect: bool = False) -> Outcome:
        """Evaluate the table: match rules, compute outputs and apply the hit policy.

        With `collect`, every matched rule's row is returned whatever the hit policy (used
        to explain a test verdict from a table whose UNIQUE policy was violated).
        """
        values: list[Any] = []
        scopes: list[Scope] = []
        for column in self.inputs:
            value = column.expression(scope)
            allowed = column.allowed
            if allowed is not None and value is not None and allowed(scope, value) is not True:
                scope.warn(
                    f"input '{column.label}' value {value!r} is not one of the allowed "
                    f"input values ({column.allowed_text}); it is treated as null"
                )
                value = None
            values.append(value)
            scopes.append(scope.child({"?": value, column.variable: value}))
        matched: list[_Rule] = []
        count = len(values)
        for rule in self.rules:
            tests = rule.tests
            i = 0
            while i < count:
                if tests[i](scopes[i], values[i]) is not True:
                    break
                i += 1
            else:
                matched.append(rule)
                if self._first_only and not collect:
                    break
        rows = [self._row(scope, rule) for rule in matched]
        if collect:
            return Outcome([self._shape(r) for r in rows], rows, [r.number for r in matched])
        return self._apply_policy(scope, matched, rows)

    def _row(self, scope: Scope, rule: _Rule) -> dict[str, Any]:
        # An empty output entry leaves its column out of the row, as in Camunda 7's rule
        # results; the FEEL value (`_shape`) still has the key, with null.
        row: dict[str, Any] = {}
        for output, entry in zip(self.outputs, rule.outputs, strict=True):
            if entry is not _null:
                row[output.name] = _coerce(scope, output, entry(scope))
        return row

    def _defaults(self, scope: Scope) -> dict[str, Any] | None:
        if not any(o.default is not None for o in self.outputs):
            return None
        return {
            o.name: _coerce(scope, o, o.default(scope)) if o.default else None for o in self.outputs
        }

    def _shape(self, row: dict[str, Any]) -> Any:
        if len(self.outputs) == 1:
            return row.get(self.outputs[0].name)
        return {o.name: row.get(o.name) for o in self.outputs}

    def _apply_policy(
        self, scope: Scope, matched: list[_Rule], rows: list[dict[str, Any]]
    ) -> Outcome:
        numbers = [r.number for r in matched]
        policy = self.hit_policy
        if not rows:
            default = self._defaults(scope)
            if default is None:
                empty: Any = [] if policy not in _SINGLE_HIT and not self.aggregation else None
                if self.aggregation == "COUNT":
                    empty = Decimal(0)
                    return Outcome(empty, [{self._single(): empty}], [])
                return Outcome(empty, [], [])
            value = self._shape(default)
            if policy not in _SINGLE_HIT and not self.aggregation:
                value = [value]
            return Outcome(value, [default], [])
        if policy == "UNIQUE" and len(rows) > 1:
            if all(feel_eq(self._shape(rows[0]), self._shape(r)) for r in rows[1:]):
                scope.warn(f"UNIQUE table: rules {_listing(numbers)} all matched (same output)")
                return Outcome(self._shape(rows[0]), rows[:1], numbers)
            scope.warn(
                f"UNIQUE hit policy violated: rules {_listing(numbers)} matched with different "
                "outputs; the result is null"
            )
            return Outcome(None, [], numbers)
        if policy == "ANY" and len(rows) > 1:
            if not all(feel_eq(self._shape(rows[0]), self._shape(r)) for r in rows[1:]):
                scope.warn(
                    f"ANY hit policy violated: rules {_listing(numbers)} matched with different "
                    "outputs; the result is null"
                )
                return Outcome(None, [], numbers)
            return Outcome(self._shape(rows[0]), rows[:1], numbers)
        if policy in ("UNIQUE", "FIRST", "ANY"):
            return Outcome(self._shape(rows[0]), rows[:1], numbers[:1])
        if policy == "PRIORITY":
            best = min(range(len(rows)), key=lambda i: self._priority(rows[i]))
            return Outcome(self._shape(rows[best]), [rows[best]], [numbers[best]])
        if policy == "OUTPUT ORDER":
            order = sorted(range(len(rows)), key=lambda i: self._priority(rows[i]))
            rows = [rows[i] for i in order]
            numbers = [numbers[i] for i in order]
        if self.aggregation:
            return self._aggregate(scope, rows, numbers)
        return Outcome([self._shape(r) for r in rows], rows, numbers)

    def _priority(self, row: dict[str, Any]) -> tuple[int, ...]:
        key = []
        for output in self.outputs:
            if not output.priorities:
                continue
            value = row.get(output.name)
            rank = len(output.priorities)
            for index, candidate in enumerate(output.priorities):
                if feel_eq(value, candidate):
                    rank = index
                    break
            key.append(rank)
        return tuple(key)

    def _single(self) -> str:
        return self.outputs[0].name if len(self.outputs) == 1 else self.single_name

    def _aggregate(self, scope: Scope, rows: list[dict[str, Any]], numbers: list[int]) -> Outcome:
        name = self._single()
        values = [self._shape(r) for r in rows]
        result: Any
        if self.aggregation == "COUNT":
            result = Decimal(len(values))
        elif self.aggregation == "SUM":
            if not all(type(v) is Decimal for v in values):
                scope.warn("COLLECT SUM needs numeric outputs; the result is null")
                result = None
            else:
                result = Decimal(0)
                for v in values:
                    result = DECIMAL.add(result, v)
        else:
            result = _extreme(values, largest=self.aggregation == "MAX")
            if result is None:
                scope.warn(f"COLLECT {self.aggregation} needs comparable outputs; null")
        return Outcome(result, [{name: result}], numbers)


def _extreme(values: list[Any], *, largest: bool) -> Any:
    best = values[0]
    for value in values[1:]:
        c = feel_compare(value, best)
        if c is None:
            return None
        if (c > 0) if largest else (c < 0):
            best = value
    return best


def _listing(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _coerce(scope: Scope, output: _Output, value: Any) -> Any:
    if output.type is None or value is None:
        return value
    coerced, ok = output.type.coerce(value)
    if not ok:
        scope.warn(
            f"output '{output.name}' value {value!r} is not a {output.type.name}; it is null"
        )
    return coerced


def compile_table(
    builder: TableBuilder, element: Any, owner: Owner, default_name: str
) -> CompiledTable:
    """Compile a `decisionTable` element, reporting every unparsable cell to `builder`."""
    policy_text = (attr(element, "hitPolicy") or "UNIQUE").strip().upper()
    policy = HIT_POLICIES.get(policy_text)
    if policy is None:
        builder.problem(
            element,
            owner,
            f"unknown hit policy '{policy_text}'; use one of UNIQUE, FIRST, "
            "PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER",
        )
        policy = "UNIQUE"
    aggregation = (attr(element, "aggregation") or "").strip().upper() or None
    if aggregation is not None and (aggregation not in _AGGREGATIONS or policy != "COLLECT"):
        builder.problem(
            element,
            owner,
            f"aggregation '{aggregation}' needs hit policy COLLECT and one of SUM, MIN, MAX, COUNT",
        )
        aggregation = None
    inputs = [
        _compile_input(builder, el, owner, i) for i, el in enumerate(children(element, "input"), 1)
    ]
    outputs = _compile_outputs(builder, element, owner, default_name)
    if aggregation and len(outputs) > 1:
        builder.problem(element, owner, f"aggregation {aggregation} needs a single output column")
        aggregation = None
    rules = [
        _compile_rule(builder, el, owner, number, inputs, outputs)
        for number, el in enumerate(children(element, "rule"), 1)
    ]
    return CompiledTable(inputs, outputs, rules, policy, aggregation, default_name)


def _compile_input(builder: TableBuilder, element: Any, owner: Owner, index: int) -> _Input:
    expression = child(element, "inputExpression")
    text = (text_of(expression) or "").strip()
    explicit_variable = attr(element, "inputVariable", CAMUNDA_NS)
    variable = explicit_variable or DEFAULT_INPUT_VARIABLE
    label = attr(element, "label") or text or explicit_variable or f"#{index}"
    where = f"input '{label}'"
    language = attr(expression, "expressionLanguage") if expression is not None else None
    evaluate: Evaluator
    names: tuple[str, ...] = ()
    foreign = builder.foreign_language(language)
    if foreign is not None and text:
        compiled = builder.foreign(foreign, text, child(expression, "text"), owner, where)
        evaluate = (
            foreign_expression(compiled, where)
            if compiled
            else builder.broken(f"{where} could not be compiled")
        )
    elif foreign is None and not builder.check_language(
        expression if expression is not None else element, owner, where, language
    ):
        evaluate = builder.broken(f"{where} uses an unsupported expression language")
    elif not text and explicit_variable:
        # ModelOp's comparator tables leave the input expression empty and name the metric
        # in camunda:inputVariable; the input value is that variable.
        evaluate = builder.variable(explicit_variable)
        names = (explicit_variable,)
    elif not text:
        builder.problem(element, owner, f"{where} has no input expression")
        evaluate = builder.broken(f"{where} has no input expression")
    else:
        evaluate = builder.feel(text, expression, owner, where)
        names = builder.names_in(text)
    allowed_el = child(element, "inputValues")
    allowed_text = (text_of(allowed_el) or "").strip()
    allowed = (
        builder.tests(allowed_text, allowed_el, owner, f"{where} inputValues")
        if allowed_text
        else None
    )
    return _Input(label, evaluate, variable, allowed, allowed_text, names)


def _compile_outputs(
    builder: TableBuilder, element: Any, owner: Owner, default_name: str
) -> list[_Output]:
    outputs = []
    columns = children(element, "output")
    for index, el in enumerate(columns, 1):
        name = attr(el, "name") or (
            default_name if len(columns) == 1 else attr(el, "label") or f"output{index}"
        )
        type_ref = attr(el, "typeRef")
        feel_type = builder.type_named(type_ref) if type_ref else None
        values_el = child(el, "outputValues")
        priorities = builder.constants(
            text_of(values_el) or "", values_el, owner, f"output '{name}' outputValues"
        )
        default_el = child(el, "defaultOutputEntry")
        default = None
        if default_el is not None and (text_of(default_el) or "").strip():
            default = builder.feel(
                text_of(default_el) or "", default_el, owner, f"output '{name}' default"
            )
        # Camunda 7 before 7.13 read DMN 1.1 output entries as JUEL, where bare text is a
        # literal string; ModelOp's comparators rely on it (`AUC under threshold`).
        legacy = builder.legacy and (type_ref or "").strip() == "string"
        outputs.append(_Output(name, feel_type, priorities, default, legacy))
    if not outputs:
        builder.problem(element, owner, "the decision table has no output column")
    return outputs


def _compile_rule(
    builder: TableBuilder,
    element: Any,
    owner: Owner,
    number: int,
    inputs: list[_Input],
    outputs: list[_Output],
) -> _Rule:
    entries = children(element, "inputEntry")
    results = children(element, "outputEntry")
    tests: list[UnaryTest] = []
    if len(entries) != len(inputs):
        builder.problem(
            element,
            owner,
            f"rule {number} has {len(entries)} input entries for {len(inputs)} inputs",
        )
    for column, entry in zip(inputs, entries, strict=False):
        where = f"rule {number}, input '{column.label}'"
        language = attr(entry, "expressionLanguage")
        foreign = builder.foreign_language(language)
        text = (text_of(entry) or "").strip()
        if foreign is not None and text in {"", "-"}:
            tests.append(_any)
            continue
        if foreign is not None:
            compiled = builder.foreign(foreign, text, child(entry, "text"), owner, where)
            tests.append(foreign_test(compiled, column.variable, where) if compiled else _never)
            continue
        if not builder.check_language(entry, owner, where, language):
            tests.append(_never)
            continue
        known = (column.variable,)
        tests.append(builder.tests(text_of(entry) or "", entry, owner, where, known))
    while len(tests) < len(inputs):
        tests.append(_never)
    evaluators: list[Evaluator] = []
    if len(results) != len(outputs):
        builder.problem(
            element,
            owner,
            f"rule {number} has {len(results)} output entries for {len(outputs)} outputs",
        )
    for output, entry in zip(outputs, results, strict=False):
        where = f"rule {number}, output '{output.name}'"
        language = attr(entry, "expressionLanguage")
        text = (text_of(entry) or "").strip()
        foreign = builder.foreign_language(language)
        if foreign is not None:
            compiled = builder.foreign(foreign, text, child(entry, "text"), owner, where)
            if not text:
                evaluators.append(_null)
            elif compiled is None:
                evaluators.append(builder.broken(f"{where} could not be compiled"))
            else:
                evaluators.append(foreign_expression(compiled, where))
            continue
        if not builder.check_language(entry, owner, where, language):
            evaluators.append(builder.broken(f"{where} uses an unsupported expression language"))
            continue
        text = (text_of(entry) or "").strip()
        if not text:
            evaluators.append(_null)
        elif output.legacy_text:
            evaluators.append(builder.legacy_text(text, entry, owner, where))
        else:
            evaluators.append(builder.feel(text, entry, owner, where))
    while len(evaluators) < len(outputs):
        evaluators.append(_null)
    return _Rule(number, tests, evaluators)


def _never(_scope: Scope, _value: Any) -> bool:
    return False


def _any(_scope: Scope, _value: Any) -> bool:
    return True


def _null(_scope: Scope) -> None:
    return None
