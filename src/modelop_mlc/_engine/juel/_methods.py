"""Properties and methods: EL's Map, List and null rules and the allow-listed methods per type."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from modelop_mlc._engine.asset_content import kept_content_error
from modelop_mlc._engine.juel._context import JuelObject
from modelop_mlc._engine.juel._values import (
    _JAVA_WHITESPACE,
    _LONG_TEXT,
    _BuiltinValue,
    _describe,
    _EvalError,
    _export,
    _is_integer,
    _java_equals,
    _java_string,
    _Method,
    _to_float,
    _to_long,
    _to_str,
    _type_name,
)
from modelop_mlc.dmn._bounded_regex import BoundedPattern, RegexRefusedError, compile_bounded
from modelop_mlc.dmn._bounds import current_limits
from modelop_mlc.errors import BpmnError, MlcError


def _check_length(length: int, what: str) -> None:
    """Refuse to build a string longer than the limit in effect, before building it."""
    limit = current_limits().max_string
    if length > limit:
        raise _EvalError(
            f"{what} would build a string of {length} characters, longer than the limit of {limit}"
        )


def _call_host(action: Callable[[], Any], what: str) -> Any:
    """Run host code (a `JuelObject`), turning its unexpected failures into expression errors."""
    try:
        return action()
    except (MlcError, BpmnError):
        raise
    except Exception as err:
        raise _EvalError(f"{what} failed with {type(err).__name__}: {err}") from err


def _list_index(key: Any, methods: Mapping[str, object]) -> int:
    if isinstance(key, float | Decimal) and math.isfinite(key):
        return int(key)
    if _is_integer(key):
        return int(key)
    if isinstance(key, str) and re.fullmatch(_LONG_TEXT, key):
        return int(key)
    is_method = isinstance(key, str) and key in methods
    hint = f"call it as a method: '.{key}()'" if is_method else "use a whole number, as in [0]"
    raise _EvalError(f"Cannot use {_describe(key)} as a List index", hint)


def _get_property(base: Any, key: Any) -> Any:
    """Resolve `base.key` / `base[key]` with EL's Map, List and null rules."""
    if isinstance(key, str) and key.startswith("__"):
        raise _EvalError(
            f"Property '{key}' is not allowed", "names starting with '__' are reserved"
        )
    if base is None:
        return None
    if isinstance(base, dict):
        return _map_get(base, key)
    if isinstance(base, list | tuple):
        index = _list_index(key, _LIST_METHODS)
        return base[index] if 0 <= index < len(base) else None
    if isinstance(base, JuelObject):
        name = _to_str(key)
        if name.startswith("_"):
            raise _EvalError(
                f"Property '{name}' is not allowed", "names starting with '_' are private"
            )
        return _call_host(lambda: base.juel_property(name), f"Reading property '{name}'")
    if isinstance(base, Mapping):
        return _map_get(base, key)
    if isinstance(base, _BuiltinValue):
        return _builtin_property(base, _to_str(key))
    methods = _methods_for(base)[1]
    hint = (
        f"call it as a method: '.{key}()'"
        if isinstance(key, str) and key in methods
        else "properties can only be read from Maps, Lists and objects the engine provides"
    )
    raise _EvalError(f"Cannot read property '{_to_str(key)}' of {_describe(base)}", hint)


def _builtin_property(base: _BuiltinValue, name: str) -> Any:
    """Read `name` as JUEL reads a bean property: through its getter (`year` is `getYear()`)."""
    getter = base.METHODS.get("get" + name[:1].upper() + name[1:])
    if getter is not None and getter.min_args == 0:
        return getter.call(base, [])
    raise _EvalError(f"Cannot read property '{name}' of {_describe(base)}", base.PROPERTY_HINT)


def _map_get(mapping: Mapping[Any, Any], key: Any) -> Any:
    try:
        value = mapping.get(key)
    except TypeError:  # an unhashable key, such as a list
        raise _EvalError(f"Cannot use {_describe(key)} as a Map key") from None
    if value is None:
        kept = kept_content_error(mapping, key)
        if kept is not None:
            raise _EvalError(kept)
    return value


def _substring(text: str, args: list[Any]) -> str:
    begin = _to_long(args[0])
    end = _to_long(args[1]) if len(args) > 1 else len(text)
    if not 0 <= begin <= end <= len(text):
        raise _EvalError(f"substring({begin}, {end}) is out of range for length {len(text)}")
    return text[begin:end]


def _char_at(text: str, args: list[Any]) -> str:
    index = _to_long(args[0])
    if not 0 <= index < len(text):
        raise _EvalError(f"charAt({index}) is out of range for length {len(text)}")
    return text[index]


def _index_of(text: str, args: list[Any]) -> int:
    start = max(_to_long(args[1]), 0) if len(args) > 1 else 0
    return text.find(_to_str(args[0]), start)


def _last_index_of(text: str, args: list[Any]) -> int:
    needle = _to_str(args[0])
    if len(args) == 1:
        return text.rfind(needle)
    start = _to_long(args[1])
    return -1 if start < 0 else text.rfind(needle, 0, start + len(needle))


def _starts_with(text: str, args: list[Any]) -> bool:
    offset = _to_long(args[1]) if len(args) > 1 else 0
    return offset >= 0 and text.startswith(_to_str(args[0]), offset)


def _equals_ignore_case(text: str, args: list[Any]) -> bool:
    other = args[0]
    if not isinstance(other, str) or len(other) != len(text):
        return False
    return all(
        a.upper() == b.upper() or a.lower() == b.lower() for a, b in zip(text, other, strict=True)
    )


def _replace(text: str, args: list[Any]) -> str:
    old, new = _to_str(args[0]), _to_str(args[1])
    count = len(text) + 1 if old == "" else text.count(old)
    _check_length(len(text) + count * (len(new) - len(old)), "replace()")
    return text.replace(old, new)


def _concat(text: str, args: list[Any]) -> str:
    tail = _to_str(args[0])
    _check_length(len(text) + len(tail), "concat()")
    return text + tail


def _regex(pattern: Any) -> BoundedPattern:
    """Compile a Java regular expression on RE2, which runs in linear time."""
    try:
        return compile_bounded(_to_str(pattern))
    except RegexRefusedError as err:
        raise _EvalError(f"Invalid regular expression {_describe(pattern)}: {err}") from None


def _split(text: str, args: list[Any]) -> list[str]:
    """Split as Java's `String.split(regex[, limit])` does (no groups, trailing empties dropped)."""
    pattern = _to_str(args[0])
    limit = _to_long(args[1]) if len(args) > 1 else 0
    pieces: list[str] = []
    start = 0
    for match in _regex(pattern).finditer(text):
        if limit > 0 and len(pieces) == limit - 1:
            break
        if match.end() == 0:  # Java never yields a leading empty piece for a zero-width match
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    if not pieces:
        return [text]
    pieces.append(text[start:])
    while limit == 0 and pieces and not pieces[-1]:
        pieces.pop()
    return pieces


def _list_get(items: Sequence[Any], args: list[Any]) -> Any:
    index = _to_long(args[0])
    if not 0 <= index < len(items):
        raise _EvalError(f"Index {index} out of bounds for length {len(items)}")
    return items[index]


def _list_index_of(items: Sequence[Any], args: list[Any]) -> int:
    return next((i for i, item in enumerate(items) if _java_equals(item, args[0])), -1)


def _contains_key(mapping: Mapping[Any, Any], args: list[Any]) -> bool:
    try:
        return args[0] in mapping
    except TypeError:
        return False


_COMMON_METHODS = {
    "equals": _Method(1, 1, lambda v, a: _java_equals(v, a[0])),
    "toString": _Method(0, 0, lambda v, _: _java_string(v)),
}
_STRING_METHODS = _COMMON_METHODS | {
    "charAt": _Method(1, 1, _char_at),
    "concat": _Method(1, 1, _concat),
    "contains": _Method(1, 1, lambda s, a: _to_str(a[0]) in s),
    "endsWith": _Method(1, 1, lambda s, a: s.endswith(_to_str(a[0]))),
    "equalsIgnoreCase": _Method(1, 1, _equals_ignore_case),
    "indexOf": _Method(1, 2, _index_of),
    "isEmpty": _Method(0, 0, lambda s, _: not s),
    "lastIndexOf": _Method(1, 2, _last_index_of),
    "length": _Method(0, 0, lambda s, _: len(s)),
    "matches": _Method(1, 1, lambda s, a: _regex(a[0]).fullmatch(s) is not None),
    "replace": _Method(2, 2, _replace),
    "split": _Method(1, 2, _split),
    "startsWith": _Method(1, 2, _starts_with),
    "substring": _Method(1, 2, _substring),
    "toLowerCase": _Method(0, 0, lambda s, _: s.lower()),
    "toUpperCase": _Method(0, 0, lambda s, _: s.upper()),
    "trim": _Method(0, 0, lambda s, _: s.strip(_JAVA_WHITESPACE)),
}
_LIST_METHODS = _COMMON_METHODS | {
    "contains": _Method(1, 1, lambda items, a: _list_index_of(items, a) >= 0),
    "get": _Method(1, 1, _list_get),
    "indexOf": _Method(1, 1, _list_index_of),
    "isEmpty": _Method(0, 0, lambda items, _: not items),
    "size": _Method(0, 0, lambda items, _: len(items)),
}
_MAP_METHODS = _COMMON_METHODS | {
    "containsKey": _Method(1, 1, _contains_key),
    "containsValue": _Method(1, 1, lambda m, a: any(_java_equals(v, a[0]) for v in m.values())),
    "get": _Method(1, 1, lambda m, a: _map_get(m, a[0])),
    "isEmpty": _Method(0, 0, lambda m, _: not m),
    "keySet": _Method(0, 0, lambda m, _: list(m.keys())),
    "size": _Method(0, 0, lambda m, _: len(m)),
    "values": _Method(0, 0, lambda m, _: list(m.values())),
}
_NUMBER_METHODS = _COMMON_METHODS | {
    "doubleValue": _Method(0, 0, lambda n, _: _to_float(n)),
    "intValue": _Method(0, 0, lambda n, _: _to_long(n)),
    "longValue": _Method(0, 0, lambda n, _: _to_long(n)),
}
_BOOLEAN_METHODS = _COMMON_METHODS | {"booleanValue": _Method(0, 0, lambda b, _: b)}


def _methods_for(value: Any) -> tuple[str, Mapping[str, _Method]]:
    if isinstance(value, _BuiltinValue):
        return value.TYPE_NAME, value.METHODS
    if isinstance(value, str):
        return "String", _STRING_METHODS
    if isinstance(value, bool):
        return "Boolean", _BOOLEAN_METHODS
    if isinstance(value, int | float | Decimal):
        return "Number", _NUMBER_METHODS
    if isinstance(value, Mapping):
        return "Map", _MAP_METHODS
    if isinstance(value, list | tuple):
        return "List", _LIST_METHODS
    return _type_name(value), _COMMON_METHODS


def _invoke(base: Any, name: str, args: list[Any]) -> Any:
    if base is None:
        raise _EvalError(
            f"Cannot call method '{name}()' on null",
            "the value before the '.' is null; guard it with 'x != null && ...' or 'empty x'",
        )
    if isinstance(base, JuelObject):
        # Host objects get plain JSON, never our dates or Spin nodes (a variable must be JSON).
        plain = [_export(arg) for arg in args]
        return _call_host(lambda: base.juel_invoke(name, plain), f"Calling '{name}()'")
    type_name, methods = _methods_for(base)
    method = methods.get(name)
    if method is None:
        close = difflib.get_close_matches(name, list(methods), n=1)
        guess = f"did you mean '{close[0]}()'? " if close else ""
        raise _EvalError(
            f"Method '{name}()' is not available on {type_name} values",
            f"{guess}allowed: {', '.join(sorted(methods))}",
        )
    if not method.min_args <= len(args) <= method.max_args:
        expected = (
            str(method.min_args)
            if method.min_args == method.max_args
            else f"{method.min_args} or {method.max_args}"
        )
        raise _EvalError(f"{type_name}.{name}() takes {expected} argument(s), got {len(args)}")
    return method.call(base, args)
