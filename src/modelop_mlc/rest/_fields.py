"""Typed fields of JSON request bodies, checked the way Camunda's DTOs are (400 otherwise)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from modelop_mlc.rest._errors import bad_request

__all__ = ["check_fields", "flag", "integer", "strings", "text"]


def text(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field (None when absent or null).

    Raises:
        ApiError: 400 if it is not a string, or missing when `required`.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string")
    if required and not value:
        raise bad_request(f"'{name}' must not be empty")
    return value


def flag(body: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A boolean field.

    Raises:
        ApiError: 400 if it is not true or false.
    """
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{name}' must be true or false")
    return value


def integer(
    body: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    default: int | None = None,
) -> int | None:
    """A whole-number field.

    Raises:
        ApiError: 400 if it is not a whole number (at least `minimum`), or missing when
            `required`.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{name}' must be a whole number")
    if minimum is not None and value < minimum:
        raise bad_request(f"'{name}' must be at least {minimum}, got {value}")
    return value


def strings(body: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    """A list of strings (Camunda also takes one string for a one-item list).

    Raises:
        ApiError: 400 for anything else.
    """
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{name}' must be a list of strings")
    return tuple(value)


def check_fields(
    body: Mapping[str, Any], known: Collection[str], unsupported: Collection[str] = ()
) -> None:
    """Refuse fields this route does not take, naming them (never ignore them silently).

    Raises:
        ApiError: 400 for a field in `unsupported` that is set, or any unknown field.
    """
    for name, value in body.items():
        if name in unsupported:
            if value not in (None, False, [], {}, ""):
                raise bad_request(f"'{name}' is not supported by modelop_mlc")
        elif name not in known:
            raise bad_request(
                f"Unknown field '{name}'; this request takes: {', '.join(sorted(known))}"
            )
