"""Camunda's typed variables (`{"value", "type", "valueInfo"}`) to plain JSON and back."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modelop_mlc.config import is_secret_name
from modelop_mlc.rest._camunda import camunda_date, parse_date
from modelop_mlc.rest._errors import bad_request

__all__ = ["MASK", "from_typed", "to_typed", "typed_map"]

_INT_RANGES = {
    "short": (-(2**15), 2**15 - 1, "java.lang.Short"),
    "integer": (-(2**31), 2**31 - 1, "java.lang.Integer"),
    "long": (-(2**63), 2**63 - 1, "java.lang.Long"),
}
_UNSUPPORTED = {"bytes", "file", "xml"}
# How a Date variable is kept (`datetime.isoformat()` of a UTC time): text in exactly this form
# is reported back as a Date, the way Camunda returns what it was given.
_STORED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}")
_JSON_FORMAT = "application/json"


def from_typed(variables: Any, *, where: str = "variables") -> dict[str, Any]:
    """Convert a Camunda variable map to plain JSON values.

    Untyped entries (`{"value": {...}}`, as ModelOp sends asset objects) keep their value.

    Raises:
        ApiError: 400 when the map or a value does not fit its declared type.
    """
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise bad_request(f"'{where}' must be an object mapping variable names to values")
    return {str(name): _value(str(name), entry) for name, entry in variables.items()}


def _value(name: str, entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        raise bad_request(
            f"Variable '{name}' must be an object such as "
            '{"value": "text", "type": "String"}, got ' + json.dumps(entry)[:100]
        )
    value = entry.get("value")
    type_name = entry.get("type")
    if type_name is None:
        return value
    if not isinstance(type_name, str):
        raise bad_request(f"Variable '{name}': 'type' must be a string")
    kind = type_name.lower()
    info = entry.get("valueInfo")
    if info is None:
        info = {}
    if not isinstance(info, Mapping):
        raise bad_request(f"Variable '{name}': 'valueInfo' must be an object")
    if kind == "null":
        return None
    if kind in _UNSUPPORTED:
        raise bad_request(
            f"Variable '{name}': values of type '{type_name}' are not supported; "
            "send JSON values (String, Integer, Long, Double, Boolean, Date, Json, Object)"
        )
    converter = _CONVERTERS.get(kind)
    if converter is None and kind not in _INT_RANGES:
        raise bad_request(
            f"Variable '{name}': unsupported value type '{type_name}'; use one of String, "
            "Integer, Long, Short, Double, Boolean, Date, Json, Object, Null"
        )
    if value is None:
        return None  # Camunda accepts null for every value type
    if converter is None:
        return _integer(name, value, type_name, kind)
    return converter(name, value, type_name, info)


def _shown(name: str, value: Any) -> str:
    """The value as an error may quote it: short, and never a secret's."""
    if is_secret_name(name):
        return "***"
    shown = json.dumps(value)
    return shown[:97] + "..." if len(shown) > 100 else shown  # noqa: PLR2004 - short bodies


def _cannot(name: str, value: Any, type_name: str, java: str) -> Exception:
    shown = _shown(name, value)
    return bad_request(
        f"Variable '{name}': cannot convert value {shown} of type '{type_name}' to java type {java}"
    )


def _string(name: str, value: Any, type_name: str, _info: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # Jackson turns a JSON number into its text when a String is asked for.
        return json.dumps(value)
    raise _cannot(name, value, type_name, "java.lang.String")


def _integer(name: str, value: Any, type_name: str, kind: str) -> Any:
    low, high, java = _INT_RANGES[kind]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is None or not low <= number <= high:
        raise _cannot(name, value, type_name, java)
    return number


def _boolean(name: str, value: Any, type_name: str, _info: Mapping[str, Any]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise _cannot(name, value, type_name, "java.lang.Boolean")


def _double(name: str, value: Any, type_name: str, _info: Mapping[str, Any]) -> Any:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise _cannot(name, value, type_name, "java.lang.Double")
    return number


def _date(name: str, value: Any, type_name: str, _info: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        try:
            return parse_date(value).isoformat()
        except ValueError:
            pass
    raise bad_request(
        f"Variable '{name}': cannot convert value {_shown(name, value)} of type "
        f"'{type_name}' to a date; use yyyy-MM-dd'T'HH:mm:ss.SSSZ "
        "(e.g. 2026-01-01T00:00:00.000+0000)"
    )


def _parse_json(name: str, text: str, type_name: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        raise bad_request(
            f"Variable '{name}' of type '{type_name}' is not valid JSON: {err}"
        ) from None
    except RecursionError:
        raise bad_request(f"Variable '{name}' is nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json(name: str, value: Any, type_name: str, _info: Mapping[str, Any]) -> Any:
    # Camunda sends Json values serialized as a string; nested JSON is accepted too.
    return _parse_json(name, value, type_name) if isinstance(value, str) else value


def _object(name: str, value: Any, type_name: str, info: Mapping[str, Any]) -> Any:
    data_format = info.get("serializationDataFormat")
    if data_format not in {None, _JSON_FORMAT}:
        raise bad_request(
            f"Variable '{name}': serialization format {data_format!r} is not supported; "
            f"send Object values as '{_JSON_FORMAT}'"
        )
    return _parse_json(name, value, type_name) if isinstance(value, str) else value


_CONVERTERS: dict[str, Callable[[str, Any, str, Mapping[str, Any]], Any]] = {
    "string": _string,
    "boolean": _boolean,
    "double": _double,
    "date": _date,
    "json": _json,
    "object": _object,
}


MASK = "***"
"""What REST answers show instead of a secret variable's value."""


def to_typed(value: Any, *, secret: bool = False) -> dict[str, Any]:
    """Describe a plain JSON value as a Camunda typed value, inferring its type.

    A `secret` value that is not null answers `{"type": "String", "value": "***"}`: the mask
    is text, so every Camunda client parses it (passwords and tokens are Strings anyway).
    """
    if secret and value is not None:
        return {"type": "String", "value": MASK, "valueInfo": {}}
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        low, high, _ = _INT_RANGES["integer"]
        kind = "Integer" if low <= value <= high else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        if _STORED_DATE.fullmatch(value):
            return {"type": "Date", "value": camunda_date(parse_date(value)), "valueInfo": {}}
        return {"type": "String", "value": value, "valueInfo": {}}
    # Camunda (Spin) sends Json variables as serialized text with an empty valueInfo.
    return {"type": "Json", "value": json.dumps(value, separators=(",", ":")), "valueInfo": {}}


def typed_map(variables: Mapping[str, Any], secret: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Describe every variable of a map as a Camunda typed value, masking names in `secret`.

    Args:
        variables: Plain values by name.
        secret: Name patterns whose values are masked (`ManagerConfig.secret_variables`);
            empty to show every value.
    """
    patterns = tuple(secret)
    return {
        name: to_typed(value, secret=is_secret_name(name, patterns))
        for name, value in variables.items()
    }
