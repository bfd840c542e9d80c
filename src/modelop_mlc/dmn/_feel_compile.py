"""Compile FEEL syntax trees into Python closures, once per expression.

An expression becomes `Callable[[Scope], Any]`; a decision-table cell becomes
`Callable[[Scope, Any], bool | None]` taking the input value directly, with fast paths for
the common cells (`>= 0.8`, `"a","b"`, `[1..10]`) so that evaluating a table never
re-reads its text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn import _feel_ast as ast
from modelop_mlc.dmn._feel_ops import arith, compare_op, negate, test_value
from modelop_mlc.dmn._feel_temporal import MISSING_PROPERTY, temporal_property
from modelop_mlc.dmn._feel_typesys import TypeRegistry
from modelop_mlc.dmn._feel_values import (
    MISSING,
    FeelFunction,
    Range,
    Scope,
    call_function,
    feel_compare,
    feel_eq,
    kind_of,
)

__all__ = ["Compiler", "Evaluator", "UnaryTest"]

Evaluator = Callable[[Scope], Any]
UnaryTest = Callable[[Scope, Any], bool | None]

_ANONYMOUS: Final = "anonymous function"


def _constant(value: Any) -> Evaluator:
    return lambda _scope: value


def _path(scope: Scope, value: Any, name: str) -> Any:
    t = type(value)
    if t is dict:
        return value.get(name)
    if t is list:
        return [_path(scope, item, name) for item in value]
    if value is None:
        return None
    if t is Range:
        props = {
            "start": value.start,
            "end": value.end,
            "start included": value.start_included,
            "end included": value.end_included,
        }
        if name in props:
            return props[name]
    prop = temporal_property(value, name)
    if prop is MISSING_PROPERTY:
        scope.warn(f"a {kind_of(value)} has no property '{name}'; the result is null")
        return None
    return prop


def _index(scope: Scope, items: list[Any], position: Decimal) -> Any:
    if position != position.to_integral_value():
        scope.warn(f"list index {position} is not an integer; the result is null")
        return None
    i = int(position)
    if i > 0 and i <= len(items):
        return items[i - 1]
    if i < 0 and -i <= len(items):
        return items[i]
    scope.warn(f"list index {i} is out of range for a list of {len(items)}; the result is null")
    return None


def _integers(scope: Scope, start: Any, end: Any) -> Iterable[Any] | None:
    """The integers (or days) from `start` to `end`, produced as iterated, never as a list."""
    if type(start) is date and type(end) is date:
        days = (end - start).days
        step = 1 if days >= 0 else -1
        return (start + timedelta(days=i) for i in range(0, days + step, step))
    if type(start) is not Decimal or type(end) is not Decimal:
        scope.warn("a for-loop range needs two integer (or date) endpoints; the result is null")
        return None
    low, high = int(start), int(end)
    step = 1 if high >= low else -1
    return map(Decimal, range(low, high + step, step))


class Compiler:
    """Turns FEEL syntax trees into closures; holds the built-ins and the model's types.

    Args:
        builtins: Built-in functions by name (looked up after the scope).
        registry: Types for `instance of` and typed function parameters.
    """

    def __init__(self, builtins: Mapping[str, FeelFunction], registry: TypeRegistry) -> None:
        """Create a compiler over a set of built-ins and a type registry."""
        self.builtins = builtins
        self.registry = registry

    # -- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.Node) -> Evaluator:
        """Compile an expression node."""
        method = getattr(self, "_" + type(node).__name__.lower())
        result: Evaluator = method(node)
        return result

    def _literal(self, node: ast.Literal) -> Evaluator:
        return _constant(node.value)

    def _name(self, node: ast.Name) -> Evaluator:
        name = node.name
        builtin = self.builtins.get(name)
        # A name such as `Person.Gender` matched a parameter declared somewhere in the
        # model; where no such variable is in scope, read it as the path `Person`.`Gender`.
        dotted = [
            (name[:i].strip(), name[i + 1 :].strip()) for i, ch in enumerate(name) if ch == "."
        ]

        def run(scope: Scope) -> Any:
            value = scope.lookup(name)
            if value is MISSING:
                if builtin is not None:
                    return builtin
                for head, tail in dotted:
                    base = scope.lookup(head)
                    if base is not MISSING:
                        for part in tail.split("."):
                            base = _path(scope, base, part.strip())
                        return base
                if name != "?":
                    scope.warn(f"unknown name '{name}'; it is null")
                return None
            return value

        return run

    def _path(self, node: ast.Path) -> Evaluator:
        target = self.expr(node.target)
        name = node.name
        return lambda scope: _path(scope, target(scope), name)

    def _filter(self, node: ast.Filter) -> Evaluator:
        target = self.expr(node.target)
        cond_node = node.condition
        if isinstance(cond_node, ast.Literal) and type(cond_node.value) is Decimal:
            position = cond_node.value

            def by_index(scope: Scope) -> Any:
                items = target(scope)
                if items is None:
                    return None
                return _index(scope, items if type(items) is list else [items], position)

            return by_index
        condition = self.expr(cond_node)

        def run(scope: Scope) -> Any:
            items = target(scope)
            if items is None:
                return None
            if type(items) is not list:
                items = [items]
            if not items:
                probe = condition(scope)
                return None if type(probe) is Decimal else []
            kept = []
            budget = scope.ctx.budget
            for item in items:
                budget.step()
                inner = scope.child({"item": item})
                if type(item) is dict:
                    inner = inner.child(item)
                result = condition(inner)
                if type(result) is Decimal:
                    return _index(scope, items, result)
                if result is True:
                    kept.append(item)
            return kept

        return run

    def _call(self, node: ast.Call) -> Evaluator:
        args = [self.expr(a) for a in node.args]
        names = list(node.names) if node.names is not None else None
        fn_node = node.function
        if isinstance(fn_node, ast.Name):
            name = fn_node.name
            builtin = self.builtins.get(name)

            def by_name(scope: Scope) -> Any:
                fn = scope.lookup(name)
                if fn is MISSING:
                    if builtin is None:
                        scope.warn(f"unknown function '{name}'; the result is null")
                        return None
                    fn = builtin
                return call_function(scope, fn, [a(scope) for a in args], names)

            return by_name
        function = self.expr(fn_node)
        return lambda scope: call_function(scope, function(scope), [a(scope) for a in args], names)

    def _neg(self, node: ast.Neg) -> Evaluator:
        operand = self.expr(node.operand)
        return lambda scope: negate(scope, operand(scope))

    def _arith(self, node: ast.Arith) -> Evaluator:
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        return lambda scope: arith(scope, op, left(scope), right(scope))

    def _compare(self, node: ast.Compare) -> Evaluator:
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        return lambda scope: compare_op(scope, op, left(scope), right(scope))

    def _and(self, node: ast.And) -> Evaluator:
        left, right = self.expr(node.left), self.expr(node.right)

        def run(scope: Scope) -> bool | None:
            a = left(scope)
            if a is False:
                return False
            b = right(scope)
            if b is False:
                return False
            return True if a is True and b is True else None

        return run

    def _or(self, node: ast.Or) -> Evaluator:
        left, right = self.expr(node.left), self.expr(node.right)

        def run(scope: Scope) -> bool | None:
            a = left(scope)
            if a is True:
                return True
            b = right(scope)
            if b is True:
                return True
            return False if a is False and b is False else None

        return run

    def _between(self, node: ast.Between) -> Evaluator:
        value, low, high = self.expr(node.value), self.expr(node.low), self.expr(node.high)

        def run(scope: Scope) -> bool | None:
            v = value(scope)
            above = compare_op(scope, ">=", v, low(scope))
            below = compare_op(scope, "<=", v, high(scope))
            if above is False or below is False:
                return False
            return True if above and below else None

        return run

    def _in(self, node: ast.In) -> Evaluator:
        value = self.expr(node.value)
        tests = [self.test(t, condition=False) for t in node.tests]

        def run(scope: Scope) -> bool | None:
            v = value(scope)
            result: bool | None = False
            for test in tests:
                r = test(scope, v)
                if r is True:
                    return True
                if r is None:
                    result = None
            return result

        return run

    def _instanceof(self, node: ast.InstanceOf) -> Evaluator:
        value = self.expr(node.value)
        feel_type = self.registry.from_node(node.type)
        return lambda scope: feel_type.is_instance(value(scope))

    def _if(self, node: ast.If) -> Evaluator:
        cond, then, otherwise = (
            self.expr(node.condition),
            self.expr(node.then),
            self.expr(node.otherwise),
        )
        return lambda scope: then(scope) if cond(scope) is True else otherwise(scope)

    def _iterations(
        self, iterations: tuple[ast.Iteration, ...]
    ) -> list[tuple[str, Evaluator, Evaluator | None]]:
        return [
            (it.name, self.expr(it.source), self.expr(it.end) if it.end is not None else None)
            for it in iterations
        ]

    def _for(self, node: ast.For) -> Evaluator:
        iterations = self._iterations(node.iterations)
        body = self.expr(node.body)

        def run(scope: Scope) -> Any:
            results: list[Any] = []
            frame: dict[str, Any] = {"partial": results}
            budget = scope.ctx.budget

            def collect(inner: Scope) -> None:
                budget.items(len(results) + 1, "a for expression")
                results.append(body(inner))

            if not _iterate(scope.child(frame), frame, iterations, 0, collect):
                return None
            return results

        return run

    def _quantified(self, node: ast.Quantified) -> Evaluator:
        iterations = self._iterations(node.iterations)
        condition = self.expr(node.condition)
        every = node.every

        def run(scope: Scope) -> Any:
            outcomes: list[Any] = []
            frame: dict[str, Any] = {}
            if not _iterate(
                scope.child(frame), frame, iterations, 0, lambda s: outcomes.append(condition(s))
            ):
                return None
            if every:
                return all(o is True for o in outcomes)
            return any(o is True for o in outcomes)

        return run

    def _listlit(self, node: ast.ListLit) -> Evaluator:
        items = [self.expr(i) for i in node.items]
        return lambda scope: [item(scope) for item in items]

    def _contextlit(self, node: ast.ContextLit) -> Evaluator:
        entries = [(key, self.expr(value)) for key, value in node.entries]

        def run(scope: Scope) -> dict[str, Any]:
            frame: dict[str, Any] = {}
            inner = scope.child(frame)
            for key, value in entries:
                if key in frame:
                    scope.warn(f"context key '{key}' is duplicated; the result is null")
                    return None  # type: ignore[return-value]
                result = value(inner)
                if isinstance(result, FeelFunction) and result.name == _ANONYMOUS:
                    result.name = key  # name warnings after the entry that defines it
                frame[key] = result
            return frame

        return run

    def _rangelit(self, node: ast.RangeLit) -> Evaluator:
        start = self.expr(node.start) if node.start is not None else _constant(None)
        end = self.expr(node.end) if node.end is not None else _constant(None)
        start_included, end_included, op = node.start_included, node.end_included, node.op

        def run(scope: Scope) -> Range | None:
            low, high = start(scope), end(scope)
            if (
                op == ".."
                and low is not None
                and high is not None
                and kind_of(low) != kind_of(high)
            ):
                scope.warn("a range's endpoints have different types; the result is null")
                return None
            return Range(low, high, start_included, end_included, op)

        return run

    def _functiondef(self, node: ast.FunctionDef) -> Evaluator:
        params = [name for name, _ in node.params]
        types = [self.registry.from_node(t) if t is not None else None for _, t in node.params]
        body = self.expr(node.body)
        external = node.external

        def run(scope: Scope) -> FeelFunction:
            def impl(call_scope: Scope, *args: Any) -> Any:
                if external:
                    call_scope.warn("external (Java/PMML) functions are not supported; null")
                    return None
                frame: dict[str, Any] = {}
                for name, param_type, arg in zip(params, types, args, strict=True):
                    value = arg
                    if param_type is not None:
                        value, ok = param_type.coerce(arg)
                        if not ok:
                            call_scope.warn(
                                f"argument '{name}' is not a {param_type.name}; the result is null"
                            )
                            return None
                    frame[name] = value
                return body(Scope(frame, scope, call_scope.ctx))

            return FeelFunction(_ANONYMOUS, params, impl)

        return run

    # -- unary tests ---------------------------------------------------------------------

    def unary_tests(self, node: ast.UnaryTests) -> UnaryTest:
        """Compile a decision-table input entry into `test(scope, input_value)`."""
        if node.any:
            return lambda _scope, _value: True
        tests = [self.test(t, condition=True) for t in node.tests]
        negated = node.negated
        if len(tests) == 1 and not negated:
            return tests[0]

        def run(scope: Scope, value: Any) -> bool | None:
            result: bool | None = False
            for test in tests:
                r = test(scope, value)
                if r is True:
                    result = True
                    break
                if r is None:
                    result = None
            if negated:
                return None if result is None else not result
            return result

        return run

    def test(self, node: ast.UnaryTest, *, condition: bool) -> UnaryTest:
        """Compile one positive unary test."""
        operand = node.operand
        if node.op is not None:
            return self._comparison_test(node.op, operand)
        if isinstance(operand, ast.Literal):
            constant = operand.value
            if type(constant) is Decimal:
                return lambda _s, v: (v == constant) if type(v) is Decimal else feel_eq(v, constant)
            if type(constant) is str:
                return lambda _s, v: (v == constant) if type(v) is str else feel_eq(v, constant)
            return lambda _s, v: feel_eq(v, constant)
        fixed = _constant_range(operand)
        if fixed is not None:
            return lambda _s, v: fixed.contains(v)
        evaluate = self.expr(operand)
        if node.uses_input:

            def with_input(scope: Scope, value: Any) -> bool | None:
                result = evaluate(scope)
                if type(result) is bool or result is None:
                    return result
                return test_value(value, result, condition=condition)

            return with_input
        return lambda scope, value: test_value(value, evaluate(scope), condition=condition)

    def _comparison_test(self, op: str, operand: ast.Node) -> UnaryTest:
        if isinstance(operand, ast.Literal) and type(operand.value) is Decimal:
            c = operand.value
            if op == "<":
                return lambda s, v: (v < c) if type(v) is Decimal else compare_op(s, op, v, c)
            if op == "<=":
                return lambda s, v: (v <= c) if type(v) is Decimal else compare_op(s, op, v, c)
            if op == ">":
                return lambda s, v: (v > c) if type(v) is Decimal else compare_op(s, op, v, c)
            if op == ">=":
                return lambda s, v: (v >= c) if type(v) is Decimal else compare_op(s, op, v, c)
        evaluate = self.expr(operand)
        return lambda scope, value: compare_op(scope, op, value, evaluate(scope))


def _constant_range(node: ast.Node) -> Range | None:
    """Build a range with literal endpoints at compile time (`[1..10]`)."""
    if not isinstance(node, ast.RangeLit):
        return None
    ends: list[Any] = []
    for end in (node.start, node.end):
        if end is None:
            ends.append(None)
        elif isinstance(end, ast.Literal) and end.value is not None:
            ends.append(end.value)
        else:
            return None
    if ends[0] is not None and ends[1] is not None and kind_of(ends[0]) != kind_of(ends[1]):
        return None
    return Range(ends[0], ends[1], node.start_included, node.end_included, node.op)


def _iterate(
    scope: Scope,
    frame: dict[str, Any],
    iterations: list[tuple[str, Evaluator, Evaluator | None]],
    index: int,
    visit: Callable[[Scope], Any],
) -> bool:
    """Bind each iteration variable in turn (a cartesian product), calling `visit` innermost."""
    if index == len(iterations):
        scope.ctx.budget.step()  # nested iterations multiply: the budget bounds their product
        visit(scope)
        return True
    name, source, end = iterations[index]
    values: Iterable[Any] | None
    if end is not None:
        values = _integers(scope, source(scope), end(scope))
    else:
        raw = source(scope)
        if type(raw) is Range:
            values = None
            if raw.op == ".." and feel_compare(raw.start, raw.end) in (-1, 0):
                values = _integers(scope, raw.start, raw.end)
            if values is not None:
                values = (v for v in values if raw.contains(v))
        elif raw is None:
            values = None
        else:
            values = raw if type(raw) is list else [raw]
    if values is None:
        return False
    for value in values:
        inner = scope.child({name: value})
        if not _iterate(inner, frame, iterations, index + 1, visit):
            return False
    return True
