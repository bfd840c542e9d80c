"""Spin's JSON nodes, as `S(...)` and `JSON(...)` give them: read-only views of JSON values.

A node wraps a private copy of a JSON value. Its methods follow Camunda Spin's `SpinJsonNode`
(`prop`, `hasProp`, `elements`, `stringValue`, ...); a node that becomes a variable is stored
as the plain JSON value it wraps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from modelop_mlc._engine.juel._context import JuelObject
from modelop_mlc._engine.juel._methods import _COMMON_METHODS
from modelop_mlc._engine.juel._values import (
    _BuiltinValue,
    _describe,
    _EvalError,
    _json_default,
    _Method,
    _to_str,
)

_XML_HINT = (
    "XML Spin is not available here, only JSON; parse JSON text with JSON(...) or S(...), "
    "or handle the XML in a Python script task"
)


def _kind(value: Any) -> str:
    """Name the JSON type of `value` as Spin's messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass(frozen=True, slots=True, eq=False)
class _SpinNode(_BuiltinValue):
    """One node of a JSON document; `value` is plain JSON."""

    value: Any
    TYPE_NAME: ClassVar[str] = "SpinJsonNode"
    PROPERTY_HINT: ClassVar[str] = "read a JSON property with .prop('name')"

    def to_json(self) -> Any:
        """Return the JSON value the node wraps."""
        return self.value

    def java_string(self) -> str:
        """Return the node's compact JSON text, as Spin's `toString()` does."""
        return json.dumps(self.value, separators=(",", ":"), ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        """Nodes are equal when their JSON values are (key order aside)."""
        return isinstance(other, _SpinNode) and _canonical(self.value) == _canonical(other.value)

    __hash__ = None  # type: ignore[assignment]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _wrong_kind(node: _SpinNode, call: str, wanted: str, hint: str = "") -> _EvalError:
    kind = _kind(node.value)
    article = "" if kind == "null" else "an " if kind[0] in "aeiou" else "a "
    text = node.java_string()
    shown = text if len(text) <= 40 else text[:37] + "..."  # noqa: PLR2004 - readable messages
    return _EvalError(
        f"{call} needs a JSON {wanted}, but the node is {article}{kind}: {shown}", hint
    )


def _prop(node: Any, args: list[Any]) -> _SpinNode:
    name = _to_str(args[0])
    if not isinstance(node.value, dict):
        raise _wrong_kind(node, f"prop('{name}')", "object")
    if name not in node.value:
        names = ", ".join(sorted(node.value)[:10]) or "none"
        raise _EvalError(
            f"JSON property '{name}' not found",
            f"check first with hasProp('{name}'); properties: {names}",
        )
    return _SpinNode(node.value[name])


def _has_prop(node: Any, args: list[Any]) -> bool:
    return isinstance(node.value, dict) and _to_str(args[0]) in node.value


def _elements(node: Any, _: list[Any]) -> list[_SpinNode]:
    if not isinstance(node.value, list):
        raise _wrong_kind(node, "elements()", "array")
    return [_SpinNode(item) for item in node.value]


def _field_names(node: Any, _: list[Any]) -> list[str]:
    if not isinstance(node.value, dict):
        raise _wrong_kind(node, "fieldNames()", "object")
    return list(node.value)


def _string_value(node: Any, _: list[Any]) -> str:
    if not isinstance(node.value, str):
        raise _wrong_kind(node, "stringValue()", "string", "use toString() for its JSON text")
    return node.value


def _number_value(node: Any, _: list[Any]) -> int | float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_kind(node, "numberValue()", "number")
    return value


def _bool_value(node: Any, _: list[Any]) -> bool:
    if not isinstance(node.value, bool):
        raise _wrong_kind(node, "boolValue()", "boolean")
    return node.value


def _value(node: Any, _: list[Any]) -> Any:
    if isinstance(node.value, dict | list):
        raise _wrong_kind(node, "value()", "string, number or boolean", "use prop() or elements()")
    return node.value


def _is(kind: str) -> _Method:
    return _Method(0, 0, lambda node, _: _kind(node.value) == kind)


_SpinNode.METHODS = _COMMON_METHODS | {
    "boolValue": _Method(0, 0, _bool_value),
    "elements": _Method(0, 0, _elements),
    "fieldNames": _Method(0, 0, _field_names),
    "hasProp": _Method(1, 1, _has_prop),
    "isArray": _is("array"),
    "isBoolean": _is("boolean"),
    "isNull": _is("null"),
    "isNumber": _is("number"),
    "isObject": _is("object"),
    "isString": _is("string"),
    "isValue": _Method(0, 0, lambda node, _: not isinstance(node.value, dict | list)),
    "numberValue": _Method(0, 0, _number_value),
    "prop": _Method(1, 1, _prop),
    "stringValue": _Method(0, 0, _string_value),
    "value": _Method(0, 0, _value),
}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(text: str, function: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise _EvalError(
            f"{function}() could not parse {_describe(text)} as JSON: {err.msg} at line "
            f"{err.lineno}, column {err.colno}"
        ) from None
    except (ValueError, RecursionError) as err:
        reason = "it is nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise _EvalError(f"{function}() could not parse {_describe(text)}: {reason}") from None


def _copy(value: Any, function: str) -> Any:
    """Map a value to JSON, as Spin maps a Java object; the copy keeps the node read-only."""
    try:
        return json.loads(json.dumps(value, default=_json_default, allow_nan=False))
    except (ValueError, TypeError, RecursionError) as err:
        raise _EvalError(f"{function}() cannot turn {_describe(value)} into JSON: {err}") from None


def spin_node(value: Any, function: str) -> _SpinNode:
    """Build the node `S(value)` or `JSON(value)` gives: JSON text is parsed, data is copied."""
    if isinstance(value, _SpinNode):
        return value
    if value is None:
        raise _EvalError(
            f"Cannot call {function}() on null",
            "the variable is not set; guard it with 'x != null'",
        )
    if isinstance(value, JuelObject):
        raise _EvalError(f"{function}() cannot turn {_describe(value)} into JSON")
    if isinstance(value, str):
        if function == "S" and value.lstrip().startswith("<"):
            raise _EvalError(f"S() was given XML {_describe(value)}", _XML_HINT)
        return _SpinNode(_parse(value, function))
    return _SpinNode(_copy(value, function))
