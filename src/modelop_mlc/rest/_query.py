"""Query-string parameters the Camunda way: typed, validated, with paging and sorting.

Every list route pages the same way (`Query.window()`, then `Window.answer()`): `firstResult`
and `maxResults` as in Camunda, `DEFAULT_MAX_RESULTS` rows when `maxResults` is not given, and a
`Link: <...>; rel="next"` header (RFC 8288) when another page follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.rest._camunda import parse_date
from modelop_mlc.rest._errors import bad_request
from modelop_mlc.rest._http import json_response
from modelop_mlc.store.queries import DEFAULT_LIMIT, Page

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "PAGING",
    "Query",
    "Window",
    "kept_rows",
    "like",
    "variable_filter",
]

DEFAULT_MAX_RESULTS = DEFAULT_LIMIT
"""Rows a list route returns without `maxResults` (Camunda returns all; we page, and link on)."""

PAGING = frozenset({"sortBy", "sortOrder", "firstResult", "maxResults"})
"""Parameters every list route takes besides its filters."""
_OPERATORS = ("neq", "eq", "gteq", "gt", "lteq", "lt", "notLike", "like")
# POST query bodies carry variable filters as lists of {name, operator, value}.
_VARIABLE_LISTS = frozenset(
    {"variables", "processVariables", "taskVariables", "caseInstanceVariables"}
)

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

    def __init__(
        self,
        params: Mapping[str, str],
        *,
        allowed: Collection[str] | None = None,
        sorting: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Keep the parameters; with `allowed`, refuse any other one (400 naming it).

        Args:
            params: The query parameters.
            allowed: The filters this route implements (paging and sorting are added).
            sorting: (sortBy, sortOrder) pairs from a POST query's `sorting` list.
        """
        self.params = params
        self.sorting = list(sorting)
        if allowed is not None:
            known = set(allowed) | PAGING
            for name, value in params.items():
                # Camunda applies a flag filter only when it is true: false is no filter.
                if name not in known and value.lower() != "false":
                    raise bad_request(
                        f"Query parameter '{name}' is not supported by modelop_mlc on this "
                        f"route; supported: {', '.join(sorted(known))}"
                    )

    @classmethod
    def from_body(
        cls, body: Mapping[str, Any], paging: Mapping[str, str], allowed: Collection[str]
    ) -> Query:
        """Read a POST query: the JSON body's filters plus paging from the query string.

        Raises:
            ApiError: 400 for a filter this route does not take or a malformed `sorting`.
        """
        params: dict[str, str] = {k: v for k, v in paging.items() if k in PAGING}
        sorting: list[tuple[str, str]] = []
        for name, value in body.items():
            if value is None:
                continue
            if name == "sorting":
                sorting = _sorting(value)
            elif name in _VARIABLE_LISTS and isinstance(value, list):
                params[name] = ",".join(_variable_text(item) for item in value)
            elif isinstance(value, bool):
                params[name] = "true" if value else "false"
            elif isinstance(value, list):
                params[name] = ",".join(str(v) for v in value)
            elif isinstance(value, str | int | float):
                params[name] = str(value)
            else:
                raise bad_request(f"'{name}' must be a string, number, boolean or list")
        return cls(params, allowed=allowed, sorting=sorting)

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

    def window(self) -> Window:
        """The page `firstResult` and `maxResults` ask for (`DEFAULT_MAX_RESULTS` rows if unsaid).

        Raises:
            ApiError: 400 if either is not a non-negative whole number.
        """
        first = self.integer("firstResult") or 0
        count = self.integer("maxResults")
        return Window(first, DEFAULT_MAX_RESULTS if count is None else count)

    def order(self, orders: Mapping[str, str], default: tuple[str, bool]) -> tuple[str, bool]:
        """The store order `sortBy` names and whether `sortOrder` is `desc`; else `default`.

        Args:
            orders: Camunda's `sortBy` values -> the store's order names.
            default: (order, descending) without `sortBy`.

        Raises:
            ApiError: 400 for an unknown `sortBy`, a bad `sortOrder`, or only one of them.
        """
        sort_by = self.params.get("sortBy")
        order = self.params.get("sortOrder")
        if sort_by is None and order is None:
            if not self.sorting:
                return default
            if len(self.sorting) > 1:
                # The database reads one index in its order; ties come in start order.
                raise bad_request(
                    "modelop_mlc sorts this query by one criterion (ties oldest or newest first); "
                    f"'sorting' lists {len(self.sorting)}: keep the first only"
                )
            sort_by, order = self.sorting[0]
        if sort_by is None or order is None:
            raise bad_request(
                "Only a single sorting parameter specified. sortBy and sortOrder required"
            )
        if sort_by not in orders:
            raise self._invalid("sortBy", sort_by, f"expected one of {', '.join(sorted(orders))}")
        if order not in {"asc", "desc"}:
            raise self._invalid("sortOrder", order, "expected asc or desc")
        return orders[sort_by], order == "desc"

    def sorts_beyond(self, orders: Collection[str]) -> bool:
        """Whether the sort names a key outside `orders` (the database's) or several keys.

        Such a query is sorted in memory (`sort()`), after reading every matching row: the
        database reads one index in its order, so two criteria are one too many.
        """
        criteria = [c for c in [self.params.get("sortBy"), *(n for n, _ in self.sorting)] if c]
        return len(criteria) > 1 or any(c not in orders for c in criteria)

    def sort(self, items: Sequence[T], keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
        """Apply `sortBy` and `sortOrder`; both or neither must be given, as in Camunda.

        Raises:
            ApiError: 400 for an unknown `sortBy`, a bad `sortOrder`, or only one of them.
        """
        sort_by = self.params.get("sortBy")
        order = self.params.get("sortOrder")
        criteria = list(self.sorting)
        if sort_by is not None or order is not None:
            if sort_by is None or order is None:
                raise bad_request(
                    "Only a single sorting parameter specified. sortBy and sortOrder required"
                )
            criteria.insert(0, (sort_by, order))
        result = list(items)
        # Sort by the last criterion first: Python's sort is stable.
        for sort_by, order in reversed(criteria):
            if sort_by not in keys:
                raise self._invalid("sortBy", sort_by, f"expected one of {', '.join(sorted(keys))}")
            if order not in {"asc", "desc"}:
                raise self._invalid("sortOrder", order, "expected asc or desc")
            key = keys[sort_by]
            # None sorts first ascending, like SQL NULLS FIRST in Camunda's queries on H2.
            result.sort(
                key=lambda item, key=key: _sortable(key(item)),  # type: ignore[misc]
                reverse=order == "desc",
            )
        return result


def _sortable(value: Any) -> tuple[bool, str, Any]:
    # Mixed types (numbers and text) must still compare: order by type name first.
    return (value is not None, type(value).__name__, value if value is not None else 0)


def _sorting(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise bad_request("'sorting' must be a list of {sortBy, sortOrder} objects")
    found = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("sortBy"), str):
            raise bad_request("each 'sorting' entry needs 'sortBy' and 'sortOrder'")
        order = item.get("sortOrder")
        if not isinstance(order, str):
            raise bad_request("each 'sorting' entry needs 'sortBy' and 'sortOrder'")
        found.append((item["sortBy"], order))
    return found


def _variable_text(item: Any) -> str:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise bad_request("a variable filter needs 'name', 'operator' and 'value'")
    operator = item.get("operator", "eq")
    value = item.get("value")
    shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"{item['name']}_{operator}_{shown}"


def variable_filter(text: str | None, name: str = "variables") -> Callable[[Any], bool] | None:
    """Parse Camunda's `name_operator_value[,...]` filters into a test of a variable map.

    Operators: eq, neq, gt, gteq, lt, lteq, like, notLike. Values compare as the variable's
    type: numbers numerically, booleans as true/false, text as text.

    Raises:
        ApiError: 400 for an expression without a known operator.
    """
    if text is None:
        return None
    tests: list[tuple[str, str, str]] = []
    for expression in (e for e in text.split(",") if e):
        for operator in _OPERATORS:
            marker = f"_{operator}_"
            if marker in expression:
                variable, _, value = expression.partition(marker)
                tests.append((variable, operator, value))
                break
        else:
            raise bad_request(
                f"Cannot set query parameter '{name}' to value '{text}': invalid variable "
                f"expression '{expression}'; use name_operator_value with operator one of "
                f"{', '.join(_OPERATORS)}"
            )

    def check(variables: Any) -> bool:
        return all(
            variable in variables and _compare(variables[variable], operator, value)
            for variable, operator, value in tests
        )

    return check


def _coerce(actual: Any, text: str) -> Any:
    if isinstance(actual, bool):
        return text.lower() == "true"
    if isinstance(actual, int | float):
        try:
            return float(text)
        except ValueError:
            return None
    return text


def _compare(actual: Any, operator: str, text: str) -> bool:
    if operator in {"like", "notLike"}:
        matched = isinstance(actual, str) and like(text)(actual)
        return matched if operator == "like" else isinstance(actual, str) and not matched
    wanted = _coerce(actual, text)
    if operator == "eq":
        return wanted is not None and actual == wanted
    if operator == "neq":
        return wanted is None or actual != wanted
    if wanted is None or isinstance(actual, bool) or not isinstance(actual, int | float | str):
        return False
    try:
        return bool(
            {
                "gt": actual > wanted,
                "gteq": actual >= wanted,
                "lt": actual < wanted,
                "lteq": actual <= wanted,
            }[operator]
        )
    except TypeError:
        return False


@dataclass(frozen=True)
class Window:
    """One page of a list route: `count` rows from row `first`.

    Routes read one row more than the page (`fetch()`) to tell whether another page
    follows; `answer()` then links to it.
    """

    first: int
    count: int

    def fetch(self) -> Page:
        """The store page to read: this one and one row more."""
        return Page(limit=self.count + 1, offset=self.first)

    def read(
        self, read: Callable[[Page], Sequence[T]], keep: Callable[[T], bool] | None
    ) -> list[T]:
        """This page and one row more, read from the store; `keep` tests what SQL cannot.

        Without `keep` the store reads the page alone. With it, rows come in the store's
        order a batch at a time until the page is full (see `kept_rows`).
        """
        if keep is None:
            return list(read(self.fetch()))
        return list(islice(kept_rows(read, keep, self.batch()), self.first, self.end()))

    def end(self) -> int:
        """The row after this page's extra row (the end of its slice of a full list)."""
        return self.first + self.count + 1

    def batch(self) -> int:
        """How many rows to read at a time to fill this page: the page, at most `_BATCH`."""
        return max(1, min(self.end(), _BATCH))

    def rows(self, items: Sequence[T]) -> list[T]:
        """This page of a list in memory, and one row more."""
        return list(items[self.first : self.first + self.count + 1])

    def answer(self, request: Request, rows: Sequence[Any]) -> Response:
        """The page as JSON; when more rows follow, a `Link: <...>; rel="next"` header."""
        response = json_response(list(rows[: self.count]))
        if len(rows) > self.count and self.count > 0:
            following = request.url.include_query_params(
                firstResult=self.first + self.count, maxResults=self.count
            )
            response.headers["Link"] = f'<{following}>; rel="next"'
        return response


_BATCH = 500


def kept_rows(
    read: Callable[[Page], Sequence[T]], keep: Callable[[T], bool], batch: int = _BATCH
) -> Iterator[T]:
    """The rows `read` gives, in its order, that `keep` accepts, read `batch` at a time.

    For the Camunda filters SQL cannot answer (a variable's value inside the instance's
    stored variables, an activity in its waiting list): the database narrows and orders by
    its indexes, and memory holds one batch whatever the number of rows. A page stops
    reading once it is full; a count reads every row the database's filters let through.
    """
    offset = 0
    while True:
        rows = read(Page(limit=batch, offset=offset))
        yield from (row for row in rows if keep(row))
        if len(rows) < batch:
            return
        offset += batch
        batch = _BATCH  # a page not full after its own size is narrowed hard: read more
