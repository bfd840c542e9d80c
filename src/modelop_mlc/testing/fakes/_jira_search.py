"""JQL evaluation for `FakeJira`: turns parsed clauses into predicates over issues."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from modelop_mlc.testing.fakes import _jql
from modelop_mlc.testing.fakes._jira_data import STATUSES, IssueState, jql_time
from modelop_mlc.testing.fakes._jira_model import _JiraModel, bad

_DATE_FORMATS = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
    "or a period format e.g. '-5d', '4w 2d'."
)
_JQL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?")


class _JiraSearch(_JiraModel):
    """Adds JQL search over the model's issues."""

    def _search(self, jql: str, *, cloud: bool) -> list[IssueState]:
        try:
            query = _jql.parse(jql)
        except _jql.JqlError as error:
            raise bad([str(error)]) from error
        if cloud and not query.clauses:
            raise bad(
                [
                    (
                        "Unbounded JQL queries are not allowed here. Please add a search "
                        "restriction to your query."
                    )
                ]
            )
        predicates = [self._predicate(clause) for clause in query.clauses]
        now = self._now()
        # Search reads an index that trails the issues by `search_lag` (Jira Cloud's search is
        # eventually consistent); reading an issue by key is always up to date.
        found = [
            i
            for i in self._issues.values()
            if (i.indexed_at is None or i.indexed_at <= now) and all(p(i) for p in predicates)
        ]
        found.sort(key=lambda i: i.id, reverse=True)
        for name, descending in reversed(query.order_by):
            getter, kind = self._jql_field(name)
            present = [i for i in found if getter(i)]
            missing = [i for i in found if not getter(i)]
            present.sort(key=lambda i: _sort_value(getter(i)[0], kind), reverse=descending)
            found = present + missing
        return found

    def _jql_field(self, name: str) -> tuple[Callable[[IssueState], list[str]], str]:
        """Return a getter of the field's comparable values and its kind."""
        lowered = name.lower()
        fixed: dict[str, tuple[Callable[[IssueState], list[str]], str]] = {
            "project": (lambda i: [i.project, str(self._projects[i.project])], "exact"),
            "status": (lambda i: [i.status, STATUSES[i.status].id], "exact"),
            "labels": (lambda i: list(i.values.get("labels", [])), "exact"),
            "summary": (lambda i: [i.values.get("summary") or ""], "text"),
            "description": (lambda i: _present(i.values.get("description")), "text"),
            "priority": (lambda i: _object_ids(i.values.get("priority")), "exact"),
            "assignee": (lambda i: _object_ids(i.values.get("assignee")), "exact"),
            "reporter": (lambda i: _object_ids(i.values.get("reporter")), "exact"),
            "resolution": (lambda i: _object_ids(i.resolution), "exact"),
            "created": (lambda i: [jql_time(i.created)], "date"),
            "updated": (lambda i: [jql_time(i.updated)], "date"),
            "duedate": (lambda i: _present(i.values.get("duedate")), "date"),
        }
        aliases = {
            "key": "key", "issuekey": "key", "id": "key", "issue": "key",
            "issuetype": "issuetype", "type": "issuetype", "due": "duedate",
            "resolved": "resolutiondate", "resolutiondate": "resolutiondate",
            "createddate": "created", "updateddate": "updated",
        }  # fmt: skip
        lowered = aliases.get(lowered, lowered)
        if lowered == "key":
            return (lambda i: [i.key, str(i.id)]), "key"
        if lowered == "issuetype":
            return (lambda i: [i.issuetype, self._issue_types[i.issuetype]]), "exact"
        if lowered == "resolutiondate":
            return (lambda i: [jql_time(i.resolutiondate)] if i.resolutiondate else []), "date"
        if lowered in fixed:
            return fixed[lowered]
        prop = re.fullmatch(r"issue\.property\[([^\]]+)\](?:\.(.+))?", name, re.IGNORECASE)
        if prop:
            key, path = prop.group(1), prop.group(2)
            # Jira indexes only the property paths an app declares; others are unknown to JQL.
            if path not in self._indexed.get(key, set()):
                raise bad(
                    [f"Field '{name}' does not exist or you do not have permission to view it."]
                )
            return (lambda i: _property_values(i.properties, key, path)), "exact"
        custom = re.fullmatch(r"cf\[(\d+)\]", lowered)
        field = self._fields.get(f"customfield_{custom.group(1)}") if custom else self._field(name)
        if field is not None and field.custom:
            field_id, kind = field.id, field.kind
            mapped = {"date": "date", "number": "number", "option": "exact"}.get(kind, "text")
            return (lambda i: _object_ids(i.values.get(field_id))), mapped
        raise bad([f"Field '{name}' does not exist or you do not have permission to view it."])

    def _predicate(self, clause: _jql.Clause) -> Callable[[IssueState], bool]:
        getter, kind = self._jql_field(clause.field)
        operator = clause.operator
        values = [
            None if v is not None and _is_unresolved(clause.field, v) else v for v in clause.values
        ]
        if operator in ("=", "in") and values == [None]:
            operator = "is"
        elif operator in ("!=", "not in") and values == [None]:
            operator = "is not"
        if operator == "is":
            return lambda i: not getter(i)
        if operator == "is not":
            return lambda i: bool(getter(i))
        wanted = [v for v in values if v is not None]
        self._check_values(clause.field, kind, wanted)
        if operator in ("~", "!~"):
            if kind != "text":
                raise bad(
                    [f"The operator '{operator}' is not supported by the '{clause.field}' field."]
                )
            needle = wanted[0].lower()
            negate = operator == "!~"
            return lambda i: negate != any(needle in v.lower() for v in getter(i))
        if kind == "text":
            raise bad(
                [f"The operator '{operator}' is not supported by the '{clause.field}' field."]
            )
        if operator in ("=", "in", "!=", "not in"):
            targets = {_sort_value(v, kind) for v in wanted}

            def has(i: IssueState) -> bool:
                return any(_sort_value(v, kind) in targets for v in getter(i))

            if operator in ("=", "in"):
                return has
            return lambda i: bool(getter(i)) and not has(i)
        if kind not in ("date", "number"):
            raise bad(
                [f"The operator '{operator}' is not supported by the '{clause.field}' field."]
            )
        bound = _sort_value(wanted[0], kind)
        compare: Callable[[Any], bool] = {
            ">": lambda v: v > bound,
            ">=": lambda v: v >= bound,
            "<": lambda v: v < bound,
            "<=": lambda v: v <= bound,
        }[operator]
        return lambda i: any(compare(_sort_value(v, kind)) for v in getter(i))

    def _check_values(self, field: str, kind: str, values: Sequence[str]) -> None:
        lowered = field.lower()
        for value in values:
            if kind == "date" and not _JQL_DATE.fullmatch(value.replace("/", "-")):
                raise bad([f"Date value '{value}' for field '{field}' is invalid. {_DATE_FORMATS}"])
            if kind == "number":
                try:
                    float(value)
                except ValueError:
                    raise bad([f"Value '{value}' is not a number for field '{field}'."]) from None
            known: Iterable[str] = ()
            if lowered == "project":
                known = [*self._projects, *(str(i) for i in self._projects.values())]
            elif lowered == "status":
                known = [*STATUSES, *(s.id for s in STATUSES.values())]
            elif lowered in ("issuetype", "type"):
                known = [*self._issue_types, *self._issue_types.values()]
            elif kind == "key":
                if not any(value.upper() in (i.key, str(i.id)) for i in self._issues.values()):
                    raise bad([f"An issue with key '{value}' does not exist for field '{field}'."])
                continue
            else:
                continue
            if value.lower() not in {k.lower() for k in known}:
                raise bad([f"The value '{value}' does not exist for the field '{field}'."])


def _present(value: Any) -> list[str]:
    return [] if value in (None, "") else [str(value)]


def _object_ids(value: Any) -> list[str]:
    """Comparable strings for a stored value: names, ids and values of an object."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        keys = ("value", "name", "id", "accountId", "key")
        return [str(value[k]) for k in keys if value.get(k) is not None]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _property_values(properties: Mapping[str, Any], key: str, path: str | None) -> list[str]:
    if key not in properties:
        return []
    value = properties[key]
    for step in path.split(".") if path else ():
        if not isinstance(value, dict) or step not in value:
            return []
        value = value[step]
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]


def _is_unresolved(field: str, value: str) -> bool:
    return field.lower() == "resolution" and value.lower() == "unresolved"


def _sort_value(value: str, kind: str) -> Any:
    if kind == "number":
        return float(value)
    if kind == "date":
        return value.replace("/", "-")
    if kind == "key":
        project, _, number = value.upper().rpartition("-")
        return (project, int(number)) if number.isdigit() and project else ("", int(value))
    return value.lower()
