"""The GDK methods on maps and numbers (lists are in `_gdk`).

A closure over a map gets `(key, value)` when it declares two parameters and the entry
otherwise, as in Groovy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final

from modelop_mlc._engine.groovy._classes import need
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._gdk import (
    closure_arg,
    comparator,
    entry_call,
    extreme,
    group_key,
    optional_closure,
    pair,
)
from modelop_mlc._engine.groovy._values import (
    MapEntry,
    arith,
    compare,
    equals,
    to_int,
    to_str,
    truth,
    type_name,
)

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["MAP_METHODS", "NUMBER_METHODS"]

MapMethod = Callable[["Context", dict[Any, Any], list[Any]], Any]


def _map_get(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
    need("get", args, 1, 2)
    key = args[0]
    if len(args) == 2 and key not in mapping:  # noqa: PLR2004 - Groovy's get(key, default) stores it
        mapping[group_key(key)] = args[1]
    return mapping.get(key) if _hashable_key(key) else None


def _hashable_key(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _map_put(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
    need("put", args, 2)
    ctx.budget.items(len(mapping) + 1, 1)
    key = group_key(args[0])
    old = mapping.get(key)
    mapping[key] = args[1]
    return old


def _map_put_all(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> None:
    need("putAll", args, 1)
    if not isinstance(args[0], dict):
        raise java_error(
            "MissingMethodException", f"putAll() takes a map, not {type_name(args[0])}"
        )
    ctx.budget.items(len(mapping) + len(args[0]), len(args[0]))
    mapping.update(args[0])


def _map_each(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> dict[Any, Any]:
    closure = closure_arg(args, "each")
    for key, value in list(mapping.items()):
        entry_call(ctx, closure, key, value)
    return mapping


def _map_each_with_index(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> dict[Any, Any]:
    closure = closure_arg(args, "eachWithIndex")
    for position, (key, value) in enumerate(list(mapping.items())):
        if closure.arity >= 3:  # noqa: PLR2004 - { k, v, i -> }
            closure.invoke(closure, [key, value, position])
        else:
            closure.invoke(closure, [MapEntry(key, value), position])
    return mapping


def _map_filter(keep_entries: bool) -> MapMethod:
    def run(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
        closure = closure_arg(args, "findAll" if keep_entries else "find")
        matches = [(k, v) for k, v in mapping.items() if truth(entry_call(ctx, closure, k, v))]
        if keep_entries:
            return dict(matches)
        return MapEntry(*matches[0]) if matches else None

    return run


def _map_collect(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> list[Any]:
    closure = closure_arg(args, "collect")
    ctx.budget.items(len(mapping))
    return [entry_call(ctx, closure, k, v) for k, v in mapping.items()]


def _map_collect_entries(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> dict[Any, Any]:
    closure = optional_closure(args)
    if closure is None:
        return dict(mapping)
    out: dict[Any, Any] = {}
    for k, v in mapping.items():
        result = entry_call(ctx, closure, k, v)
        if isinstance(result, dict):
            out.update(result)
        else:
            key, value = pair(result)
            out[group_key(key)] = value
    return out


def _map_test(every: bool) -> MapMethod:
    def run(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> bool:
        closure = closure_arg(args, "every" if every else "any")
        results = (truth(entry_call(ctx, closure, k, v)) for k, v in mapping.items())
        return all(results) if every else any(results)

    return run


def _map_count(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> int:
    closure = closure_arg(args, "count")
    return sum(1 for k, v in mapping.items() if truth(entry_call(ctx, closure, k, v)))


def _map_find_result(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
    closure = closure_arg(args, "findResult")
    for k, v in mapping.items():
        result = entry_call(ctx, closure, k, v)
        if result is not None:
            return result
    return None


def _map_group_by(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> dict[Any, Any]:
    closure = closure_arg(args, "groupBy")
    groups: dict[Any, dict[Any, Any]] = {}
    for k, v in mapping.items():
        groups.setdefault(group_key(entry_call(ctx, closure, k, v)), {})[k] = v
    return groups


def _map_sort(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> dict[Any, Any]:
    closure = optional_closure(args)
    entries = [MapEntry(k, v) for k, v in mapping.items()]
    ctx.budget.charge(len(entries))
    if closure is None:
        entries.sort(key=functools.cmp_to_key(lambda a, b: compare(a.key, b.key)))
    else:
        entries.sort(key=functools.cmp_to_key(comparator(ctx, closure)))
    return {e.key: e.value for e in entries}


def _mapextreme(sign: int) -> MapMethod:
    def run(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
        entries = [MapEntry(k, v) for k, v in mapping.items()]
        return extreme(sign)(ctx, entries, args)

    return run


def _map_remove(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
    need("remove", args, 1)
    return mapping.pop(args[0], None) if _hashable_key(args[0]) else None


def _map_zero(fn: Callable[[dict[Any, Any]], Any]) -> MapMethod:
    def call(ctx: Context, mapping: dict[Any, Any], args: list[Any]) -> Any:
        need("method", args, 0)
        return fn(mapping)

    return call


MAP_METHODS: Final[dict[str, MapMethod]] = {
    "get": _map_get,
    "getAt": lambda ctx, m, args: m.get(args[0]) if _hashable_key(args[0]) else None,
    "getOrDefault": lambda ctx, m, args: (
        m.get(args[0], args[1]) if _hashable_key(args[0]) else args[1]
    ),
    "put": _map_put,
    "putAt": _map_put,
    "putAll": _map_put_all,
    "remove": _map_remove,
    "containsKey": lambda ctx, m, args: _hashable_key(args[0]) and args[0] in m,
    "containsValue": lambda ctx, m, args: any(equals(v, args[0]) for v in m.values()),
    "keySet": _map_zero(list),
    "values": _map_zero(lambda m: list(m.values())),
    "entrySet": _map_zero(lambda m: [MapEntry(k, v) for k, v in m.items()]),
    "size": _map_zero(len),
    "isEmpty": _map_zero(lambda m: not m),
    "clear": _map_zero(lambda m: m.clear()),
    "each": _map_each,
    "eachWithIndex": _map_each_with_index,
    "collect": _map_collect,
    "collectEntries": _map_collect_entries,
    "find": _map_filter(keep_entries=False),
    "findAll": _map_filter(keep_entries=True),
    "findResult": _map_find_result,
    "any": _map_test(every=False),
    "every": _map_test(every=True),
    "count": _map_count,
    "groupBy": _map_group_by,
    "sort": _map_sort,
    "max": _mapextreme(1),
    "min": _mapextreme(-1),
    "subMap": lambda ctx, m, args: {k: m[k] for k in args[0] if _hashable_key(k) and k in m},
    "plus": lambda ctx, m, args: arith("+", m, args[0], ctx.budget),
    "minus": lambda ctx, m, args: arith("-", m, args[0], ctx.budget),
    "asImmutable": _map_zero(dict),
    "toString": _map_zero(to_str),
    "equals": lambda ctx, m, args: equals(m, args[0]),
}


# ---------------------------------------------------------------- numbers


def _round(ctx: Context, number: Any, args: list[Any]) -> Any:
    need("round", args, 0, 1)
    if args:
        places = to_int(args[0])
        rounded = Decimal(repr(number) if isinstance(number, float) else number).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
        )
        return float(rounded) if isinstance(number, float) else rounded
    if isinstance(number, int):
        return number
    return int(
        (Decimal(repr(number)) if isinstance(number, float) else number).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


def _times(ctx: Context, number: Any, args: list[Any]) -> None:
    closure = closure_arg(args, "times")
    for i in range(to_int(number)):
        closure.invoke(closure, [i])


def _upto(direction: int) -> Callable[[Context, Any, list[Any]], None]:
    def run(ctx: Context, number: Any, args: list[Any]) -> None:
        closure = closure_arg(args, "upto" if direction > 0 else "downto")
        start, end = to_int(number), to_int(args[0])
        for i in range(start, end + direction, direction):
            closure.invoke(closure, [i])

    return run


def _intdiv(ctx: Context, number: Any, args: list[Any]) -> int:
    need("intdiv", args, 1)
    divisor = to_int(args[0])
    if divisor == 0:
        raise java_error("ArithmeticException", "/ by zero")
    quotient = abs(to_int(number)) // abs(divisor)
    return quotient if (to_int(number) >= 0) == (divisor > 0) else -quotient


def _convert(kind: str) -> Callable[[Context, Any, list[Any]], Any]:
    def run(ctx: Context, number: Any, args: list[Any]) -> Any:
        need(kind, args, 0)
        if kind == "int":
            return to_int(number)
        if kind == "float":
            return float(number)
        return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)

    return run


def _number_op(op: str) -> Callable[[Context, Any, list[Any]], Any]:
    return lambda ctx, number, args: arith(op, number, args[0], ctx.budget)


NUMBER_METHODS: Final[dict[str, Callable[[Context, Any, list[Any]], Any]]] = {
    "toString": lambda ctx, n, args: to_str(n),
    "intValue": _convert("int"),
    "longValue": _convert("int"),
    "toInteger": _convert("int"),
    "toLong": _convert("int"),
    "toBigInteger": _convert("int"),
    "doubleValue": _convert("float"),
    "floatValue": _convert("float"),
    "toDouble": _convert("float"),
    "toFloat": _convert("float"),
    "toBigDecimal": _convert("decimal"),
    "abs": lambda ctx, n, args: abs(n),
    "round": _round,
    "intdiv": _intdiv,
    "times": _times,
    "upto": _upto(1),
    "downto": _upto(-1),
    "compareTo": lambda ctx, n, args: compare(n, args[0]),
    "equals": lambda ctx, n, args: type(args[0]) is type(n) and equals(n, args[0]),
    "plus": _number_op("+"),
    "minus": _number_op("-"),
    "multiply": _number_op("*"),
    "div": _number_op("/"),
    "mod": _number_op("%"),
    "power": _number_op("**"),
    "isNaN": lambda ctx, n, args: isinstance(n, float) and n != n,  # noqa: PLR0124 - NaN test
}
