"""The GDK methods on lists, maps, numbers and closures that MLC scripts use.

Closure-taking methods follow Groovy: a closure over a map gets `(key, value)` when it declares
two parameters and the entry otherwise; `sort`, `unique` and `add` change the list in place,
`collect`, `findAll` and `reverse` return new ones. Every closure call counts as a step, and
lists are checked against the size limits before they grow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from modelop_mlc._engine.groovy._classes import need
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._java import unique
from modelop_mlc._engine.groovy._values import (
    GClosure,
    GRange,
    MapEntry,
    arith,
    compare,
    contains,
    equals,
    to_int,
    to_str,
    truth,
    type_name,
)

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["LIST_METHODS", "call_closure", "list_index", "list_put"]

ListMethod = Callable[["Context", list[Any], list[Any]], Any]
MapMethod = Callable[["Context", dict[Any, Any], list[Any]], Any]


def call_closure(ctx: Context, closure: Any, *args: Any) -> Any:
    """Call a closure argument; anything else is a Groovy MissingMethodException."""
    if not isinstance(closure, GClosure):
        raise java_error(
            "MissingMethodException", f"expected a closure {{ ... }}, got {type_name(closure)}"
        )
    return closure.invoke(closure, list(args))


def closure_arg(args: list[Any], method: str) -> GClosure:
    if args and isinstance(args[-1], GClosure):
        return args[-1]
    raise java_error("MissingMethodException", f"{method}() needs a closure: {method} {{ ... }}")


def optional_closure(args: list[Any]) -> GClosure | None:
    return args[-1] if args and isinstance(args[-1], GClosure) else None


def entry_call(ctx: Context, closure: GClosure, key: Any, value: Any) -> Any:
    if closure.arity >= 2:  # noqa: PLR2004 - { k, v -> }
        return closure.invoke(closure, [key, value])
    return closure.invoke(closure, [MapEntry(key, value)])


def _grow(ctx: Context, items: list[Any], added: int) -> None:
    ctx.budget.items(len(items) + added, added)


# ---------------------------------------------------------------- lists


def list_index(items: list[Any], index: Any) -> Any:
    """`list[i]` (null when out of range), `list[a..b]`, `list[[i, j]]`."""
    if isinstance(index, GRange):
        out = []
        for i in index:
            position = i + len(items) if i < 0 else i
            if not 0 <= position < len(items):
                raise java_error(
                    "IndexOutOfBoundsException",
                    f"range {index.to_string()} is outside a list of size {len(items)}",
                )
            out.append(items[position])
        return out
    if isinstance(index, list):
        return [list_index(items, i) for i in index]
    position = to_int(index, "list index")
    if position < 0:
        position += len(items)
    return items[position] if 0 <= position < len(items) else None


def list_put(ctx: Context, items: list[Any], index: Any, value: Any) -> None:
    """`list[i] = v`; a position past the end pads with nulls, as Groovy does."""
    position = to_int(index, "list index")
    if position < 0:
        position += len(items)
        if position < 0:
            raise java_error(
                "IndexOutOfBoundsException", f"index {to_int(index)} is before the start"
            )
    if position >= len(items):
        _grow(ctx, items, position + 1 - len(items))
        items.extend([None] * (position + 1 - len(items)))
    items[position] = value


def _add(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("add", args, 1, 2)
    _grow(ctx, items, 1)
    if len(args) == 2:  # noqa: PLR2004 - add(index, value)
        items.insert(to_int(args[0]), args[1])
        return None
    items.append(args[0])
    return True


def _add_all(ctx: Context, items: list[Any], args: list[Any]) -> bool:
    need("addAll", args, 1, 2)
    source = args[-1]
    if not isinstance(source, list | GRange):
        raise java_error(
            "MissingMethodException", f"addAll() takes a collection, not {type_name(source)}"
        )
    extra = list(source)
    _grow(ctx, items, len(extra))
    if len(args) == 2:  # noqa: PLR2004 - addAll(index, values)
        position = to_int(args[0])
        items[position:position] = extra
    else:
        items.extend(extra)
    return bool(extra)


def _remove(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("remove", args, 1)
    target = args[0]
    if isinstance(target, int) and not isinstance(target, bool):
        if not -len(items) <= target < len(items) or target < 0:
            raise java_error("IndexOutOfBoundsException", f"Index: {target}, Size: {len(items)}")
        return items.pop(target)
    for position, item in enumerate(items):
        if equals(item, target):
            del items[position]
            return True
    return False


def _remove_all(ctx: Context, items: list[Any], args: list[Any]) -> bool:
    need("removeAll", args, 1)
    test = args[0]
    keep = [
        item
        for item in items
        if not (
            truth(call_closure(ctx, test, item))
            if isinstance(test, GClosure)
            else contains(test, item)
        )
    ]
    changed = len(keep) != len(items)
    items[:] = keep
    return changed


def _retain_all(ctx: Context, items: list[Any], args: list[Any]) -> bool:
    need("retainAll", args, 1)
    test = args[0]
    keep = [
        item
        for item in items
        if (
            truth(call_closure(ctx, test, item))
            if isinstance(test, GClosure)
            else contains(test, item)
        )
    ]
    changed = len(keep) != len(items)
    items[:] = keep
    return changed


def _get(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("get", args, 1)
    position = to_int(args[0], "index")
    if not 0 <= position < len(items):
        raise java_error(
            "IndexOutOfBoundsException", f"Index {position} out of bounds for length {len(items)}"
        )
    return items[position]


def _set(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("set", args, 2)
    position = to_int(args[0], "index")
    if not 0 <= position < len(items):
        raise java_error(
            "IndexOutOfBoundsException", f"Index {position} out of bounds for length {len(items)}"
        )
    old, items[position] = items[position], args[1]
    return old


def _edge(last: bool) -> ListMethod:
    def edge(ctx: Context, items: list[Any], args: list[Any]) -> Any:
        need("first" if not last else "last", args, 0)
        if not items:
            raise java_error(
                "NoSuchElementException",
                f"Cannot access {'last' if last else 'first'}() element from an empty List",
            )
        return items[-1] if last else items[0]

    return edge


def _each(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = closure_arg(args, "each")
    for item in list(items):
        closure.invoke(closure, [item])
    return items


def _each_with_index(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = closure_arg(args, "eachWithIndex")
    for position, item in enumerate(list(items)):
        closure.invoke(closure, [item, position])
    return items


def _collect(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = optional_closure(args)
    ctx.budget.items(len(items))
    if closure is None:
        return list(items)
    return [closure.invoke(closure, [item]) for item in items]


def _find(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    closure = optional_closure(args)
    for item in items:
        if truth(item if closure is None else closure.invoke(closure, [item])):
            return item
    return None


def _find_all(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = optional_closure(args)
    return [
        item
        for item in items
        if truth(item if closure is None else closure.invoke(closure, [item]))
    ]


def _find_result(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    closure = closure_arg(args, "findResult")
    default = args[0] if len(args) == 2 else None  # noqa: PLR2004 - findResult(default) { }
    for item in items:
        result = closure.invoke(closure, [item])
        if result is not None:
            return result
    return default


def _find_index_of(ctx: Context, items: list[Any], args: list[Any]) -> int:
    closure = closure_arg(args, "findIndexOf")
    for position, item in enumerate(items):
        if truth(closure.invoke(closure, [item])):
            return position
    return -1


def _any(ctx: Context, items: list[Any], args: list[Any]) -> bool:
    closure = optional_closure(args)
    return any(
        truth(item if closure is None else closure.invoke(closure, [item])) for item in items
    )


def _every(ctx: Context, items: list[Any], args: list[Any]) -> bool:
    closure = optional_closure(args)
    return all(
        truth(item if closure is None else closure.invoke(closure, [item])) for item in items
    )


def _count(ctx: Context, items: list[Any], args: list[Any]) -> int:
    need("count", args, 1)
    if isinstance(args[0], GClosure):
        return sum(1 for item in items if truth(args[0].invoke(args[0], [item])))
    return sum(1 for item in items if equals(item, args[0]))


def _sum(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    closure = optional_closure(args)
    values = [closure.invoke(closure, [item]) for item in items] if closure else list(items)
    initial = [a for a in args if not isinstance(a, GClosure)]
    if initial:
        values.insert(0, initial[0])
    if not values:
        return None
    total = values[0]
    for value in values[1:]:
        total = arith("+", total, value, ctx.budget)
    return total


def comparator(ctx: Context, closure: GClosure | None) -> Callable[[Any, Any], int]:
    if closure is None:
        return compare
    if closure.arity >= 2:  # noqa: PLR2004 - { a, b -> a <=> b }
        return lambda x, y: to_int(closure.invoke(closure, [x, y]), "comparator result")
    return lambda x, y: compare(closure.invoke(closure, [x]), closure.invoke(closure, [y]))


def extreme(sign: int) -> ListMethod:
    def extreme(ctx: Context, items: list[Any], args: list[Any]) -> Any:
        closure = optional_closure(args)
        if not items:
            return None
        cmp = comparator(ctx, closure)
        best = items[0]
        for item in items[1:]:
            if cmp(item, best) * sign > 0:
                best = item
        return best

    return extreme


def _sort(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = optional_closure(args)
    mutate = not (args and args[0] is False)
    ctx.budget.charge(len(items))
    ordered = sorted(items, key=functools.cmp_to_key(comparator(ctx, closure)))
    if mutate:
        items[:] = ordered
        return items
    return ordered


def _unique(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    closure = optional_closure(args)
    mutate = not (args and args[0] is False)
    ctx.budget.charge(len(items))
    if closure is None:
        result = unique(items)
    else:
        keys: list[Any] = []
        result = []
        for item in items:
            key = closure.invoke(closure, [item])
            if not any(equals(key, k) for k in keys):
                keys.append(key)
                result.append(item)
    if mutate:
        items[:] = result
        return items
    return result


def _flatten(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    out: list[Any] = []

    def walk(values: Iterable[Any], depth: int) -> None:
        for value in values:
            if isinstance(value, list | GRange) and depth < 100:  # noqa: PLR2004 - cycles
                walk(value, depth + 1)
            else:
                _grow(ctx, out, 1)
                out.append(value)

    walk(items, 0)
    return out


def _group_by(ctx: Context, items: list[Any], args: list[Any]) -> dict[Any, Any]:
    closure = closure_arg(args, "groupBy")
    groups: dict[Any, list[Any]] = {}
    for item in items:
        groups.setdefault(group_key(closure.invoke(closure, [item])), []).append(item)
    return groups


def group_key(value: Any) -> Any:
    """A value usable as a map key (its text when it is not hashable)."""
    try:
        hash(value)
    except TypeError:
        return to_str(value)
    return value


def pair(value: Any) -> tuple[Any, Any]:
    if isinstance(value, MapEntry):
        return value.key, value.value
    if isinstance(value, list) and len(value) == 2:  # noqa: PLR2004 - [key, value]
        return value[0], value[1]
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.items()))
    raise java_error(
        "IllegalArgumentException",
        f"collectEntries needs [key, value] pairs or map entries, got {type_name(value)}",
    )


def _collect_entries(ctx: Context, items: list[Any], args: list[Any]) -> dict[Any, Any]:
    closure = optional_closure(args)
    out: dict[Any, Any] = {}
    for item in items:
        result = closure.invoke(closure, [item]) if closure else item
        if isinstance(result, dict):
            out.update(result)
            continue
        key, value = pair(result)
        out[group_key(key)] = value
    return out


def _join(ctx: Context, items: list[Any], args: list[Any]) -> str:
    need("join", args, 0, 1)
    separator = to_str(args[0]) if args else ""
    texts = [to_str(item) for item in items]
    ctx.budget.string(sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0))
    return separator.join(texts)


def _take(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    need("take", args, 1)
    return items[: max(to_int(args[0]), 0)]


def _drop(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    need("drop", args, 1)
    return items[max(to_int(args[0]), 0) :]


def _sub_list(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    need("subList", args, 2)
    low, high = to_int(args[0]), to_int(args[1])
    if not 0 <= low <= high <= len(items):
        raise java_error(
            "IndexOutOfBoundsException", f"subList({low}, {high}) of size {len(items)}"
        )
    return items[low:high]


def _index_of(last: bool) -> ListMethod:
    def index_of(ctx: Context, items: list[Any], args: list[Any]) -> int:
        need("indexOf", args, 1)
        positions = [i for i, item in enumerate(items) if equals(item, args[0])]
        if not positions:
            return -1
        return positions[-1] if last else positions[0]

    return index_of


def _intersect(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    need("intersect", args, 1)
    return unique([item for item in items if contains(args[0], item)])


def _plus(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("plus", args, 1)
    return arith("+", items, args[0], ctx.budget)


def _minus(ctx: Context, items: list[Any], args: list[Any]) -> Any:
    need("minus", args, 1)
    return arith("-", items, args[0], ctx.budget)


def _left_shift(ctx: Context, items: list[Any], args: list[Any]) -> list[Any]:
    need("leftShift", args, 1)
    _grow(ctx, items, 1)
    items.append(args[0])
    return items


def _zero(fn: Callable[[list[Any]], Any]) -> ListMethod:
    def call(ctx: Context, items: list[Any], args: list[Any]) -> Any:
        need("method", args, 0)
        return fn(items)

    return call


LIST_METHODS: Final[dict[str, ListMethod]] = {
    "add": _add,
    "addAll": _add_all,
    "leftShift": _left_shift,
    "remove": _remove,
    "removeAll": _remove_all,
    "removeIf": _remove_all,
    "retainAll": _retain_all,
    "clear": _zero(lambda items: items.clear()),
    "contains": lambda ctx, items, args: (need("contains", args, 1), contains(items, args[0]))[1],
    "containsAll": lambda ctx, items, args: all(contains(items, x) for x in args[0]),
    "get": _get,
    "getAt": lambda ctx, items, args: list_index(items, args[0]),
    "set": _set,
    "putAt": lambda ctx, items, args: list_put(ctx, items, args[0], args[1]),
    "size": _zero(len),
    "isEmpty": _zero(lambda items: not items),
    "first": _edge(last=False),
    "last": _edge(last=True),
    "head": _edge(last=False),
    "tail": _zero(lambda items: items[1:]),
    "indexOf": _index_of(last=False),
    "lastIndexOf": _index_of(last=True),
    "each": _each,
    "eachWithIndex": _each_with_index,
    "collect": _collect,
    "collectEntries": _collect_entries,
    "find": _find,
    "findAll": _find_all,
    "findResult": _find_result,
    "findIndexOf": _find_index_of,
    "any": _any,
    "every": _every,
    "count": _count,
    "sum": _sum,
    "max": extreme(1),
    "min": extreme(-1),
    "sort": _sort,
    "unique": _unique,
    "toUnique": lambda ctx, items, args: _unique(ctx, items, [False, *args]),
    "reverse": _zero(lambda items: items[::-1]),
    "flatten": _flatten,
    "groupBy": _group_by,
    "join": _join,
    "take": _take,
    "drop": _drop,
    "subList": _sub_list,
    "intersect": _intersect,
    "disjoint": lambda ctx, items, args: not _intersect(ctx, items, args),
    "plus": _plus,
    "minus": _minus,
    "toList": _zero(list),
    "asList": _zero(lambda items: items),
    "toSet": _zero(unique),
    "asImmutable": _zero(list),
    "toString": _zero(to_str),
    "equals": lambda ctx, items, args: equals(items, args[0]),
}
