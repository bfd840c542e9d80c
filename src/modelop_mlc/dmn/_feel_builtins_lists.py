"""FEEL built-in functions, part 2: lists, statistics, contexts, sorting and ranges."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._feel_builtins import REGISTRY, builtin, wrong
from modelop_mlc.dmn._feel_values import (
    DECIMAL,
    FeelFunction,
    Range,
    Scope,
    YearsMonths,
    call_function,
    feel_compare,
    feel_eq,
    kind_of,
)

__all__ = ["BUILTINS"]

_LIST: Final = ["list"]


def _items(args: tuple[Any, ...]) -> list[Any] | None:
    """The list a list-or-varargs function works on (`max([1,2])` and `max(1, 2)`)."""
    if len(args) == 1:
        only = args[0]
        if only is None:
            return None
        return only if type(only) is list else [only]
    return list(args)


def _numbers(scope: Scope, name: str, args: tuple[Any, ...]) -> list[Decimal] | None:
    items = _items(args)
    if items is None or not args:
        wrong(scope, name, *args)
        return None
    if not all(type(v) is Decimal for v in items):
        wrong(scope, name, *items)
        return None
    return items


def _ordered(scope: Scope, name: str, items: list[Any]) -> list[Any] | None:
    try:
        return sorted(items, key=functools.cmp_to_key(_strict_compare))
    except TypeError:
        wrong(scope, name, *items)
        return None


def _strict_compare(a: Any, b: Any) -> int:
    result = feel_compare(a, b)
    if result is None:
        raise TypeError("incomparable values")
    return result


@builtin("list contains", ["list", "element"])
def _list_contains(scope: Scope, items: Any, element: Any) -> Any:
    if type(items) is not list:
        return wrong(scope, "list contains", items, element)
    return any(feel_eq(v, element) is True for v in items)


@builtin("count", _LIST, variadic=True)
def _count(scope: Scope, *args: Any) -> Any:
    items = _items(args)
    return Decimal(len(items)) if items is not None and args else wrong(scope, "count", *args)


def _extreme(scope: Scope, name: str, args: tuple[Any, ...], pick: int) -> Any:
    items = _items(args)
    if items is None or not args:
        return wrong(scope, name, *args)
    if not items:
        return None
    ordered = _ordered(scope, name, items)
    if ordered is None:
        return None
    return ordered[0] if pick < 0 else ordered[-1]


@builtin("min", _LIST, variadic=True)
def _min(scope: Scope, *args: Any) -> Any:
    return _extreme(scope, "min", args, -1)


@builtin("max", _LIST, variadic=True)
def _max(scope: Scope, *args: Any) -> Any:
    return _extreme(scope, "max", args, 1)


@builtin("sum", _LIST, variadic=True)
def _sum(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "sum", args)
    if numbers is None or not numbers:
        return None
    total = Decimal(0)
    for n in numbers:
        total = DECIMAL.add(total, n)
    return total


@builtin("product", _LIST, variadic=True)
def _product(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "product", args)
    if numbers is None or not numbers:
        return None
    total = Decimal(1)
    for n in numbers:
        total = DECIMAL.multiply(total, n)
    return total


@builtin("mean", _LIST, variadic=True)
def _mean(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "mean", args)
    if not numbers:
        return None
    total = Decimal(0)
    for n in numbers:
        total = DECIMAL.add(total, n)
    return DECIMAL.divide(total, Decimal(len(numbers)))


@builtin("median", _LIST, variadic=True)
def _median(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "median", args)
    if not numbers:
        return None
    ordered = sorted(numbers)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return DECIMAL.divide(DECIMAL.add(ordered[mid - 1], ordered[mid]), Decimal(2))


@builtin("stddev", _LIST, variadic=True)
def _stddev(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "stddev", args)
    if numbers is None or len(numbers) < 2:  # noqa: PLR2004
        return None
    count = Decimal(len(numbers))
    mean = DECIMAL.divide(sum(numbers, Decimal(0)), count)
    squares = sum((DECIMAL.power(DECIMAL.subtract(n, mean), 2) for n in numbers), Decimal(0))
    return DECIMAL.sqrt(DECIMAL.divide(squares, count - 1))


@builtin("mode", _LIST, variadic=True)
def _mode(scope: Scope, *args: Any) -> Any:
    numbers = _numbers(scope, "mode", args)
    if numbers is None:
        return None
    counts: dict[Decimal, int] = {}
    for n in numbers:
        counts[n] = counts.get(n, 0) + 1
    if not counts:
        return []
    best = max(counts.values())
    return sorted(n for n, c in counts.items() if c == best)


def _logic(scope: Scope, name: str, args: tuple[Any, ...], stop: bool) -> Any:
    items = _items(args)
    if items is None or not args:
        return wrong(scope, name, *args)
    if any(v is not None and type(v) is not bool for v in items):
        return wrong(scope, name, *items)
    if any(v is stop for v in items):
        return stop
    if any(v is None for v in items):
        return None
    return not stop


@builtin("all", _LIST, variadic=True)
def _all(scope: Scope, *args: Any) -> Any:
    return _logic(scope, "all", args, stop=False)


@builtin("any", _LIST, variadic=True)
def _any(scope: Scope, *args: Any) -> Any:
    return _logic(scope, "any", args, stop=True)


def _position(items: list[Any], position: Any) -> int | None:
    if type(position) is not Decimal:
        return None
    p = int(position)
    if 0 < p <= len(items):
        return p - 1
    if p < 0 and -p <= len(items):
        return len(items) + p
    return None


@builtin("sublist", ["list", "start position"], ["list", "start position", "length"])
def _sublist(scope: Scope, items: Any, start: Any, length: Any = None) -> Any:
    if type(items) is not list:
        return wrong(scope, "sublist", items, start)
    index = _position(items, start)
    if index is None or (length is not None and type(length) is not Decimal):
        return wrong(scope, "sublist", items, start, length)
    if length is None:
        return items[index:]
    count = int(length)
    if count < 0 or index + count > len(items):
        return wrong(scope, "sublist", items, start, length)
    return items[index : index + count]


@builtin("append", ["list", "item"], variadic=True)
def _append(scope: Scope, *args: Any) -> Any:
    if not args or type(args[0]) is not list:
        return wrong(scope, "append", *args)
    scope.ctx.budget.items(len(args[0]) + len(args) - 1, "append()")
    return [*args[0], *args[1:]]


@builtin("concatenate", _LIST, variadic=True)
def _concatenate(scope: Scope, *args: Any) -> Any:
    if not all(type(a) is list for a in args):
        return wrong(scope, "concatenate", *args)
    scope.ctx.budget.items(sum(map(len, args)), "concatenate()")
    return [v for a in args for v in a]


@builtin("insert before", ["list", "position", "newItem"])
def _insert_before(scope: Scope, items: Any, position: Any, new_item: Any) -> Any:
    if type(items) is not list:
        return wrong(scope, "insert before", items, position)
    index = _position(items, position)
    if index is None:
        return wrong(scope, "insert before", items, position)
    scope.ctx.budget.items(len(items) + 1, "insert before()")
    return [*items[:index], new_item, *items[index:]]


@builtin("remove", ["list", "position"])
def _remove(scope: Scope, items: Any, position: Any) -> Any:
    if type(items) is not list:
        return wrong(scope, "remove", items, position)
    index = _position(items, position)
    if index is None:
        return wrong(scope, "remove", items, position)
    return items[:index] + items[index + 1 :]


@builtin("list replace", ["list", "position", "newItem"], ["list", "match", "newItem"])
def _list_replace(scope: Scope, items: Any, where: Any, new_item: Any) -> Any:
    if items is not None and type(items) is not list:
        items = [items]
    if type(items) is not list:
        return wrong(scope, "list replace", items, where)
    if isinstance(where, FeelFunction):
        if where.params is not None and len(where.params) != 2:  # noqa: PLR2004
            return wrong(scope, "list replace", items, where)
        out = []
        for item in items:
            hit = call_function(scope, where, [item, new_item])
            if type(hit) is not bool:
                return wrong(scope, "list replace", items, where)
            out.append(new_item if hit is True else item)
        return out
    index = _position(items, where)
    if index is None:
        return wrong(scope, "list replace", items, where)
    return [*items[:index], new_item, *items[index + 1 :]]


@builtin("reverse", _LIST)
def _reverse(scope: Scope, items: Any) -> Any:
    return items[::-1] if type(items) is list else wrong(scope, "reverse", items)


@builtin("index of", ["list", "match"])
def _index_of(scope: Scope, items: Any, match: Any) -> Any:
    if type(items) is not list:
        return wrong(scope, "index of", items, match)
    return [Decimal(i + 1) for i, v in enumerate(items) if feel_eq(v, match) is True]


def _distinct(scope: Scope, values: list[Any]) -> list[Any]:
    out: list[Any] = []
    budget = scope.ctx.budget
    for value in values:
        budget.step(len(out) + 1)  # FEEL equality has no hash: each value meets every kept one
        if not any(feel_eq(value, seen) is True for seen in out):
            out.append(value)
    return out


@builtin("union", _LIST, variadic=True)
def _union(scope: Scope, *args: Any) -> Any:
    if not all(type(a) is list for a in args):
        return wrong(scope, "union", *args)
    scope.ctx.budget.items(sum(map(len, args)), "union()")
    return _distinct(scope, [v for a in args for v in a])


@builtin("distinct values", _LIST)
def _distinct_values(scope: Scope, items: Any) -> Any:
    if type(items) is not list:
        return wrong(scope, "distinct values", items)
    return _distinct(scope, items)


def _flat(scope: Scope, items: list[Any]) -> list[Any]:
    out: list[Any] = []
    # A stack instead of recursion: nesting depth costs no Python frames.
    stack = [iter(items)]
    budget = scope.ctx.budget
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif type(item) is list:
            stack.append(iter(item))
        else:
            budget.items(len(out) + 1, "flatten()")
            out.append(item)
    return out


_END = object()


@builtin("flatten", _LIST)
def _flatten(scope: Scope, items: Any) -> Any:
    return _flat(scope, items) if type(items) is list else wrong(scope, "flatten", items)


@builtin("sort", _LIST, ["list", "precedes"])
def _sort(scope: Scope, items: Any, precedes: Any = None) -> Any:
    if type(items) is not list:
        return wrong(scope, "sort", items)
    if precedes is None:
        return _ordered(scope, "sort", items)
    if not isinstance(precedes, FeelFunction):
        return wrong(scope, "sort", items, precedes)

    budget = scope.ctx.budget

    def compare(a: Any, b: Any) -> int:
        budget.step()
        if call_function(scope, precedes, [a, b]) is True:
            return -1
        if call_function(scope, precedes, [b, a]) is True:
            return 1
        return 0

    return sorted(items, key=functools.cmp_to_key(compare))


# -- contexts ------------------------------------------------------------------------------


@builtin("get value", ["m", "key"])
def _get_value(scope: Scope, context: Any, key: Any) -> Any:
    if type(context) is not dict:
        return wrong(scope, "get value", context, key)
    if type(key) is list:
        value: Any = context
        for part in key:
            if type(value) is not dict or type(part) is not str:
                return None
            value = value.get(part)
        return value
    if type(key) is not str:
        return wrong(scope, "get value", context, key)
    return context.get(key)


@builtin("get entries", ["m"])
def _get_entries(scope: Scope, context: Any) -> Any:
    if type(context) is not dict:
        return wrong(scope, "get entries", context)
    return [{"key": k, "value": v} for k, v in context.items()]


@builtin("context", ["entries"])
def _context(scope: Scope, entries: Any) -> Any:
    items = entries if type(entries) is list else [entries]
    out: dict[str, Any] = {}
    for entry in items:
        if type(entry) is not dict or type(entry.get("key")) is not str or "value" not in entry:
            return wrong(scope, "context", entries)
        if entry["key"] in out:
            scope.warn(f"context(): key '{entry['key']}' is duplicated; the result is null")
            return None
        out[entry["key"]] = entry["value"]
    return out


def _put(context: dict[str, Any], keys: list[Any], value: Any) -> dict[str, Any] | None:
    head = keys[0]
    if type(head) is not str:
        return None
    out = dict(context)
    if len(keys) == 1:
        out[head] = value
        return out
    inner = out.get(head)
    if type(inner) is not dict:
        return None
    nested = _put(inner, keys[1:], value)
    if nested is None:
        return None
    out[head] = nested
    return out


def _context_put(scope: Scope, context: Any, key: Any, value: Any) -> Any:
    if type(context) is not dict:
        return wrong(scope, "context put", context, key)
    keys = key if type(key) is list else [key]
    if not keys:
        return wrong(scope, "context put", context, key)
    result = _put(context, keys, value)
    return result if result is not None else wrong(scope, "context put", context, key)


def _context_put_key(scope: Scope, context: Any, key: Any, value: Any) -> Any:
    if type(key) is not str:
        return wrong(scope, "context put", context, key)
    return _context_put(scope, context, key, value)


def _context_put_keys(scope: Scope, context: Any, keys: Any, value: Any) -> Any:
    if type(keys) is not list:
        return wrong(scope, "context put", context, keys)
    return _context_put(scope, context, keys, value)


def _context_put_dispatch(scope: Scope, context: Any, key: Any, value: Any) -> Any:
    return _context_put(scope, context, key, value)


REGISTRY["context put"] = FeelFunction(
    "context put",
    ["context", "key", "value"],
    _context_put_dispatch,
    [["context", "key", "value"], ["context", "keys", "value"]],
    overloads=[_context_put_key, _context_put_keys],
)


@builtin("context merge", ["contexts"])
def _context_merge(scope: Scope, contexts: Any) -> Any:
    items = contexts if type(contexts) is list else [contexts]
    out: dict[str, Any] = {}
    for item in items:
        if type(item) is not dict:
            return wrong(scope, "context merge", contexts)
        out.update(item)
    return out


# -- ranges --------------------------------------------------------------------------------


def _lt(a: Any, b: Any) -> bool | None:
    c = feel_compare(a, b)
    return None if c is None else c < 0


def _eq(a: Any, b: Any) -> bool | None:
    c = feel_compare(a, b)
    return None if c is None else c == 0


def _and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _point_range_before(p: Any, r: Range) -> bool | None:
    return _or(_lt(p, r.start), _and(_eq(p, r.start), not r.start_included))


def _range_point_before(r: Range, p: Any) -> bool | None:
    return _or(_lt(r.end, p), _and(_eq(r.end, p), not r.end_included))


def _before(a: Any, b: Any) -> bool | None:
    ra, rb = type(a) is Range, type(b) is Range
    if not ra and not rb:
        return _lt(a, b)
    if not ra:
        return _point_range_before(a, b)
    if not rb:
        return _range_point_before(a, b)
    return _or(
        _lt(a.end, b.start),
        _and(_or(not a.end_included, not b.start_included), _eq(a.end, b.start)),
    )


def _includes(r: Range, p: Any) -> bool | None:
    return _or(
        _and(_lt(r.start, p), _lt(p, r.end)),
        _and(_eq(r.start, p), r.start_included),
        _and(_eq(r.end, p), r.end_included),
    )


def _includes_range(a: Range, b: Range) -> bool | None:
    return _and(
        _or(
            _lt(a.start, b.start),
            _and(_eq(a.start, b.start), a.start_included or not b.start_included),
        ),
        _or(_lt(b.end, a.end), _and(_eq(a.end, b.end), a.end_included or not b.end_included)),
    )


def _range_fn(
    name: str, point_point: Callable[..., Any] | None, **cases: Callable[..., Any]
) -> None:
    """Register a range relation; `cases` maps `pp`, `pr`, `rp`, `rr` to implementations."""
    if point_point is not None:
        cases["pp"] = point_point

    def impl(scope: Scope, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return wrong(scope, name, a, b)
        key = ("r" if type(a) is Range else "p") + ("r" if type(b) is Range else "p")
        fn = cases.get(key)
        if fn is None:
            return wrong(scope, name, a, b)
        return fn(a, b)

    signatures = [
        ["point1", "point2"],
        ["point", "range"],
        ["range", "point"],
        ["range1", "range2"],
    ]
    REGISTRY[name] = FeelFunction(name, ["a", "b"], impl, signatures)


_range_fn("before", _before, pr=_before, rp=_before, rr=_before)
_range_fn(
    "after",
    lambda a, b: _before(b, a),
    pr=lambda p, r: _range_point_before(r, p),
    rp=lambda r, p: _point_range_before(p, r),
    rr=lambda a, b: _before(b, a),
)
_range_fn(
    "meets",
    None,
    rr=lambda a, b: _and(a.end_included, b.start_included, _eq(a.end, b.start)),
)
_range_fn(
    "met by",
    None,
    rr=lambda a, b: _and(a.start_included, b.end_included, _eq(a.start, b.end)),
)
_range_fn(
    "overlaps",
    None,
    rr=lambda a, b: _and(
        _or(_lt(b.start, a.end), _and(_eq(a.end, b.start), a.end_included, b.start_included)),
        _or(_lt(a.start, b.end), _and(_eq(a.start, b.end), a.start_included, b.end_included)),
    ),
)


def _overlaps_before(a: Range, b: Range) -> bool | None:
    return _and(
        _or(
            _lt(a.start, b.start),
            _and(_eq(a.start, b.start), a.start_included, not b.start_included),
        ),
        _or(_lt(b.start, a.end), _and(_eq(a.end, b.start), a.end_included, b.start_included)),
        _or(_lt(a.end, b.end), _and(_eq(a.end, b.end), not a.end_included or b.end_included)),
    )


_range_fn("overlaps before", None, rr=_overlaps_before)
_range_fn("overlaps after", None, rr=lambda a, b: _overlaps_before(b, a))
_range_fn(
    "finishes",
    None,
    pr=lambda p, r: _and(r.end_included, _eq(r.end, p)),
    rr=lambda a, b: _and(
        a.end_included == b.end_included,
        _eq(a.end, b.end),
        _or(
            _lt(b.start, a.start),
            _and(_eq(a.start, b.start), not a.start_included or b.start_included),
        ),
    ),
)
_range_fn(
    "finished by",
    None,
    rp=lambda r, p: _and(r.end_included, _eq(r.end, p)),
    rr=lambda a, b: _and(
        a.end_included == b.end_included,
        _eq(a.end, b.end),
        _or(
            _lt(a.start, b.start),
            _and(_eq(a.start, b.start), a.start_included or not b.start_included),
        ),
    ),
)
_range_fn("includes", None, rp=_includes, rr=_includes_range)
_range_fn("during", None, pr=lambda p, r: _includes(r, p), rr=lambda a, b: _includes_range(b, a))
_range_fn(
    "starts",
    None,
    pr=lambda p, r: _and(r.start_included, _eq(r.start, p)),
    rr=lambda a, b: _and(
        _eq(a.start, b.start),
        a.start_included == b.start_included,
        _or(_lt(a.end, b.end), _and(_eq(a.end, b.end), not a.end_included or b.end_included)),
    ),
)
_range_fn(
    "started by",
    None,
    rp=lambda r, p: _and(r.start_included, _eq(r.start, p)),
    rr=lambda a, b: _and(
        _eq(a.start, b.start),
        a.start_included == b.start_included,
        _or(_lt(b.end, a.end), _and(_eq(a.end, b.end), not b.end_included or a.end_included)),
    ),
)
_range_fn(
    "coincides",
    _eq,
    rr=lambda a, b: _and(
        _eq(a.start, b.start),
        a.start_included == b.start_included,
        _eq(a.end, b.end),
        a.end_included == b.end_included,
    ),
)

_RANGE_ENDPOINT_FUNCTIONS: Final = frozenset({"date", "time", "date and time", "duration"})
_RANGE_KINDS: Final = (Decimal, str, date, datetime, time, timedelta, YearsMonths)


@builtin("range", ["from"])
def _range(scope: Scope, text: Any) -> Any:
    # Parse lazily: the parser imports this module's registry through the compiler.
    from modelop_mlc.dmn import _feel_ast as ast  # noqa: PLC0415
    from modelop_mlc.dmn._feel_lexer import FeelSyntaxError  # noqa: PLC0415
    from modelop_mlc.dmn._feel_parser import parse_expression  # noqa: PLC0415

    if type(text) is not str:
        return wrong(scope, "range", text)
    try:
        node = parse_expression(text, REGISTRY.keys())
    except FeelSyntaxError:
        scope.warn(f"range({text!r}) is not a range literal; the result is null")
        return None
    if not isinstance(node, ast.RangeLit) or node.op != "..":
        scope.warn(f"range({text!r}) is not a range literal; the result is null")
        return None
    ends = [_endpoint(scope, end, ast) for end in (node.start, node.end)]
    if any(e is _BAD for e in ends) or (ends[0] is None and ends[1] is None):
        scope.warn(f"range({text!r}) has invalid endpoints; the result is null")
        return None
    low, high = ends
    if (low is not None and high is not None) and (
        kind_of(low) != kind_of(high) or feel_compare(low, high) in (None, 1)
    ):
        scope.warn(f"range({text!r}) has incompatible or descending endpoints; null")
        return None
    return Range(low, high, node.start_included, node.end_included)


_BAD: Final = object()


def _endpoint(scope: Scope, node: Any, ast: Any) -> Any:
    if node is None:
        return None
    if isinstance(node, ast.Literal):
        value = node.value
        if type(value) is bool:
            return _BAD
        return value if isinstance(value, _RANGE_KINDS) else _BAD
    if (
        isinstance(node, ast.Call)
        and isinstance(node.function, ast.Name)
        and node.function.name in _RANGE_ENDPOINT_FUNCTIONS
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Literal)
        and type(node.args[0].value) is str
    ):
        value = call_function(scope, REGISTRY[node.function.name], [node.args[0].value])
        return _BAD if value is None else value
    return _BAD


BUILTINS: Final = REGISTRY
"""Every built-in function by name."""
