"""Encoded queries (`sysparm_query`) for `FakeServiceNow`: a useful subset of ServiceNow's.

Supported::

    field=value  field!=value  fieldLIKEtext  fieldNOT LIKEtext  fieldSTARTSWITHtext
    fieldENDSWITHtext  fieldINa,b,c  fieldNOT INa,b  fieldISEMPTY  fieldISNOTEMPTY
    field>value  field>=value  field<value  field<=value
    cond^cond        AND
    cond^ORcond      OR, binding tighter than AND, as in ServiceNow
    query^NQquery    a new query OR-ed with the previous ones
    ^ORDERBYfield  ^ORDERBYDESCfield  (also glued on without `^`, as pysnow's
                                       `QueryBuilder` sometimes writes them)

Field names are lower-case (`[a-z0-9_.]`), as ServiceNow's are. `=` and `!=` compare exactly;
`LIKE`, `STARTSWITH` and `ENDSWITH` ignore case; `<`/`>` compare numerically when both sides
are numbers, otherwise as strings (which orders `YYYY-MM-DD HH:MM:SS` timestamps correctly).
A condition on a field a record lacks compares against `""`; `FakeServiceNow` first drops
conditions on fields the table does not have (`EncodedQuery.keep`), as an instance does.
Anything else (dot-walking, `BETWEEN`, `javascript:` values, `RLQUERY`) is refused with a 400
rather than silently ignored as a real instance does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

_OPERATORS = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "NOT LIKE",
    "NOT IN",
    "STARTSWITH",
    "ENDSWITH",
    "LIKE",
    "IN",
    "!=",
    ">=",
    "<=",
    "=",
    ">",
    "<",
)
_FIELD = re.compile(r"[a-z0-9_]+")
_GLUED_ORDER = re.compile(r"^(.+?)(ORDERBY(?:DESC)?[a-z0-9_]+)$")

Record = Mapping[str, str]


class QueryError(ValueError):
    """The encoded query is outside the supported subset."""


@dataclass(frozen=True)
class Condition:
    """One `field OPERATOR value` condition."""

    field: str
    operator: str
    value: str

    def __call__(self, record: Record) -> bool:
        """Return whether the record satisfies the condition."""
        actual = str(record.get(self.field, ""))
        value = self.value
        match self.operator:
            case "=":
                return actual == value
            case "!=":
                return actual != value
            case "LIKE":
                return value.lower() in actual.lower()
            case "NOT LIKE":
                return value.lower() not in actual.lower()
            case "STARTSWITH":
                return actual.lower().startswith(value.lower())
            case "ENDSWITH":
                return actual.lower().endswith(value.lower())
            case "IN":
                return actual in value.split(",")
            case "NOT IN":
                return actual not in value.split(",")
            case "ISEMPTY":
                return actual == ""
            case "ISNOTEMPTY":
                return actual != ""
        left, right = _comparable(actual), _comparable(value)
        if type(left) is not type(right):
            left, right = actual, value
        comparisons: dict[str, Callable[[], bool]] = {
            ">": lambda: left > right,  # type: ignore[operator]
            ">=": lambda: left >= right,  # type: ignore[operator]
            "<": lambda: left < right,  # type: ignore[operator]
            "<=": lambda: left <= right,  # type: ignore[operator]
        }
        return actual != "" and comparisons[self.operator]()


@dataclass(frozen=True)
class EncodedQuery:
    """A parsed query: OR-ed groups of AND-ed clauses of OR-ed conditions, plus the order."""

    groups: tuple[tuple[tuple[Condition, ...], ...], ...]
    order_by: tuple[tuple[str, bool], ...]

    def matches(self, record: Record) -> bool:
        """Return whether the record satisfies the query."""
        if not self.groups:
            return True
        return any(
            all(any(condition(record) for condition in clause) for clause in group)
            for group in self.groups
        )

    def keep(self, fields: Collection[str]) -> EncodedQuery:
        """Drop the conditions (and sort keys) on fields not in `fields`, as an instance does.

        A clause left empty disappears; a group left empty matches every record.
        """
        groups = tuple(
            tuple(
                kept for clause in group if (kept := tuple(c for c in clause if c.field in fields))
            )
            for group in self.groups
        )
        order = tuple((f, d) for f, d in self.order_by if f in fields)
        return EncodedQuery(groups, order)

    def sort(self, records: Sequence[Record]) -> list[Record]:
        """Return the records in the query's order (stable; unordered queries keep theirs)."""
        ordered = list(records)
        for field, descending in reversed(self.order_by):
            ordered.sort(key=_field_key(field), reverse=descending)
        return ordered


def _comparable(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def _field_key(field: str) -> Callable[[Record], tuple[int, float, str]]:
    def key(record: Record) -> tuple[int, float, str]:
        return _sort_key(str(record.get(field, "")))

    return key


def _sort_key(value: str) -> tuple[int, float, str]:
    number = _comparable(value)
    return (0, number, "") if isinstance(number, float) else (1, 0.0, value)


def _condition(term: str) -> Condition:
    field = _FIELD.match(term)
    if field is None:
        raise QueryError(f"Cannot read a field name at the start of {term!r}")
    rest = term[field.end() :]
    for operator in _OPERATORS:
        if rest.startswith(operator):
            value = rest[len(operator) :]
            if value.startswith("javascript:"):
                raise QueryError(f"javascript: values are not supported ({term!r})")
            return Condition(field.group(), operator, value)
    raise QueryError(f"Unsupported operator in {term!r}; see FakeServiceNow's query subset")


def parse(query: str) -> EncodedQuery:
    """Parse an encoded query.

    Raises:
        QueryError: If the query uses something outside the supported subset.
    """
    groups: list[tuple[tuple[Condition, ...], ...]] = []
    order: list[tuple[str, bool]] = []
    for part in query.split("^NQ") if query else ():
        clauses: list[list[Condition]] = []
        terms: list[str] = []
        for raw in part.split("^"):
            glued = _GLUED_ORDER.match(raw)
            if glued and not raw.startswith(("ORDERBY", "OR")):
                terms.extend(glued.groups())
            else:
                terms.append(raw)
        for term in terms:
            if term in ("", "EQ"):
                continue
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC") :], True))
            elif term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY") :], False))
            elif term.startswith("OR"):
                if not clauses:
                    raise QueryError(f"^OR needs a condition before it ({term!r})")
                clauses[-1].append(_condition(term[2:]))
            elif term.startswith("NQ"):
                raise QueryError(f"Misplaced NQ in {term!r}")
            else:
                clauses.append([_condition(term)])
        if clauses:
            groups.append(tuple(tuple(clause) for clause in clauses))
    return EncodedQuery(tuple(groups), tuple(order))
