"""Tables and columns of `FakeServiceNow`, and the dictionary rows that describe them.

A real instance knows each table's columns from its data dictionary (`sys_dictionary`, one
row per column of the table that defines it) and its table hierarchy (`sys_db_object`, with
`super_class` pointing at the parent: `incident` and `change_request` extend `task`). It
silently drops a written field it does not know and ignores a query condition on one; this
schema lets the fake do the same, and serves both tables read-only over the Table API.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping

__all__ = ["DICTIONARY_TABLES", "Schema"]

_SYS = {
    "sys_id": "Sys ID",
    "sys_class_name": "Task type",
    "sys_created_on": "Created",
    "sys_created_by": "Created by",
    "sys_updated_on": "Updated",
    "sys_updated_by": "Updated by",
    "sys_mod_count": "Updates",
}
_TASK = {
    **_SYS,
    "number": "Number",
    "short_description": "Short description",
    "description": "Description",
    "state": "State",
    "active": "Active",
    "approval": "Approval",
    "priority": "Priority",
    "impact": "Impact",
    "urgency": "Urgency",
    "correlation_id": "Correlation ID",
    "correlation_display": "Correlation display",
    "assigned_to": "Assigned to",
    "assignment_group": "Assignment group",
    "opened_by": "Opened by",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "close_notes": "Close notes",
    "due_date": "Due date",
    "work_notes": "Work notes",
    "comments": "Additional comments",
}
_OWN: dict[str, dict[str, str]] = {
    "task": _TASK,
    "incident": {
        "caller_id": "Caller",
        "category": "Category",
        "close_code": "Resolution code",
        "resolved_at": "Resolved",
    },
    "change_request": {
        "type": "Type",
        "risk": "Risk",
        "requested_by": "Requested by",
        "start_date": "Planned start date",
        "end_date": "Planned end date",
        "close_code": "Close code",
        "justification": "Justification",
        "implementation_plan": "Implementation plan",
    },
}
_DICTIONARY_COLUMNS = {
    "sys_db_object": {**_SYS, "name": "Name", "label": "Label", "super_class": "Extends table"},
    "sys_dictionary": {
        **_SYS,
        "name": "Table",
        "element": "Column name",
        "column_label": "Column label",
        "internal_type": "Type",
    },
    "sys_journal_field": {
        **_SYS,
        "element": "Element",
        "element_id": "Element ID",
        "name": "Table name",
        "value": "Value",
    },
}
DICTIONARY_TABLES = frozenset(_DICTIONARY_COLUMNS)
"""Read-only system tables the fake serves from its own state."""


def _sys_id(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "fake-servicenow:" + ":".join(parts)).hex


class Schema:
    """Each table's own columns (name → label) and parent.

    Args:
        tables: The record tables besides `task`: `incident`, `change_request` and custom
            ones, which extend `task` as custom ticket tables usually do.
        plain: Custom tables that extend no table (only `sys_` columns and their own).
        columns: Extra columns per table (`{"change_request": {"u_expiration_date":
            "Expiration Date"}}`), as an administrator adds them.

    Raises:
        ValueError: If `columns` names a table that does not exist.
    """

    def __init__(
        self,
        tables: list[str],
        columns: Mapping[str, Mapping[str, str]],
        plain: Collection[str] = (),
    ) -> None:
        """Build the schema; tables in `plain` extend nothing and have only `sys_` columns."""
        self.parents: dict[str, str] = {"task": ""}
        self.own: dict[str, dict[str, str]] = {"task": dict(_TASK)}
        for table in tables:
            self.parents[table] = "" if table in plain else "task"
            self.own[table] = dict(_SYS) if table in plain else dict(_OWN.get(table, {}))
        for table, extra in columns.items():
            if table not in self.own:
                raise ValueError(f"No table {table!r} for columns; tables: {', '.join(self.own)}")
            self.own[table].update(extra)

    def columns(self, table: str) -> dict[str, str]:
        """Every column of a table, inherited ones included (name → label)."""
        if table in _DICTIONARY_COLUMNS:
            return dict(_DICTIONARY_COLUMNS[table])
        found: dict[str, str] = {}
        while table:
            found = {**self.own.get(table, {}), **found}
            table = self.parents.get(table, "")
        return found

    def db_objects(self, now: str) -> list[dict[str, str]]:
        """`sys_db_object` rows: one per table, `super_class` holding the parent's sys_id."""
        return [
            {
                **_stamp(now),
                "sys_id": _sys_id("table", table),
                "name": table,
                "label": table.replace("_", " ").title(),
                "super_class": _sys_id("table", parent) if parent else "",
                "sys_class_name": "sys_db_object",
            }
            for table, parent in self.parents.items()
        ]

    def dictionary(self, now: str) -> list[dict[str, str]]:
        """`sys_dictionary` rows: a collection row per table, then one per own column."""
        rows = []
        for table, own in self.own.items():
            rows.append(self._entry(now, table, "", table, "collection"))
            rows.extend(
                self._entry(now, table, name, label, "string") for name, label in own.items()
            )
        return rows

    @staticmethod
    def _entry(now: str, table: str, element: str, label: str, kind: str) -> dict[str, str]:
        return {
            **_stamp(now),
            "sys_id": _sys_id("column", table, element),
            "name": table,
            "element": element,
            "column_label": label,
            "internal_type": kind,
            "sys_class_name": "sys_dictionary",
        }


def _stamp(now: str) -> dict[str, str]:
    return {
        "sys_created_on": now,
        "sys_created_by": "system",
        "sys_updated_on": now,
        "sys_updated_by": "system",
        "sys_mod_count": "0",
    }
