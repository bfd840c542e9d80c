"""Query-string parameters the Camunda way: typed, validated, with paging and sorting."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from modelop_mlc.rest._camunda import parse_date
from modelop_mlc.rest._errors import bad_request

__all__ = ["Query", "like"]

T = TypeVar("T")


def like(pattern: str) -> Callable[[str | None], bool]:
    """Return a matcher for a SQL `LIKE` pattern (`%` any text, `_` one character)."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    compiled = re.compile("".join(parts), re.DOTALL)
    return lambda value: value is not None and compiled.fullmatch(value) is not None


class Query:
    """The query parameters of one request, read with Camunda's validation rules.

    Args:
        params: The request's query parameters (last value wins, as in JAX-RS).
    """

    def __init__(self, params: Mapping[str, str]) -> None:
        """Keep the parameters."""
        self.params = params

    def _invalid(self, name: str, value: str, why: str) -> Exception:
        return bad_request(f"Cannot set query parameter '{name}' to value '{value}': {why}")

    def text(self, name: str) -> str | None:
        """Return a text parameter, or `None` when absent."""
        return self.params.get(name)

    def texts(self, name: str) -> list[str] | None:
        """Return a comma-separated list parameter (Camunda's `...In` filters)."""
        value = self.params.get(name)
        if value is None:
            return None
        return [item for item in value.split(",") if item]

    def boolean(self, name: str) -> bool | None:
        """Return a `true`/`false` parameter.

        Raises:
            ApiError: 400 for any other value.
        """
        value = self.params.get(name)
        if value is None:
            return None
        if value.lower() not in {"true", "false"}:
            raise self._invalid(name, value, "expected true or false")
        return value.lower() == "true"

    def integer(self, name: str, *, minimum: int = 0) -> int | None:
        """Return a whole-number parameter no smaller than `minimum`.

        Raises:
            ApiError: 400 for anything else.
        """
        value = self.params.get(name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            raise self._invalid(name, value, "expected a whole number")
        number = int(value)
        if number < minimum:
            raise self._invalid(name, value, f"expected a number of at least {minimum}")
        return number

    def date(self, name: str) -> datetime | None:
        """Return a date parameter in Camunda's format.

        Raises:
            ApiError: 400 if it is not a date.
        """
        value = self.params.get(name)
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError:
            raise self._invalid(
                name, value, "expected a date like 2026-01-01T00:00:00.000+0000"
            ) from None

    def page(self, items: Sequence[T]) -> list[T]:
        """Apply `firstResult` and `maxResults`.

        Raises:
            ApiError: 400 if either is not a non-negative whole number.
        """
        first = self.integer("firstResult") or 0
        count = self.integer("maxResults")
        end = None if count is None else first + count
        return list(items[first:end])

    def sort(self, items: Sequence[T], keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
        """Apply `sortBy` and `sortOrder`; both or neither must be given, as in Camunda.

        Raises:
            ApiError: 400 for an unknown `sortBy`, a bad `sortOrder`, or only one of them.
        """
        sort_by = self.params.get("sortBy")
        order = self.params.get("sortOrder")
        if sort_by is None and order is None:
            return list(items)
        if sort_by is None or order is None:
            raise bad_request(
                "Only a single sorting parameter specified. sortBy and sortOrder required"
            )
        if sort_by not in keys:
            raise self._invalid("sortBy", sort_by, f"expected one of {', '.join(sorted(keys))}")
        if order not in {"asc", "desc"}:
            raise self._invalid("sortOrder", order, "expected asc or desc")
        key = keys[sort_by]
        # None sorts first ascending, like SQL NULLS FIRST in Camunda's queries on H2.
        return sorted(
            items,
            key=lambda item: (key(item) is not None, key(item)),
            reverse=order == "desc",
        )
