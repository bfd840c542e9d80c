"""Jira fields for `JiraTickets`: names to ids, values to Jira's REST shapes, screens.

Jira knows fields by id (`customfield_10010`); people name them ("Expiration Date"). Names
may collide (two "Risk Tier" fields from two apps), so a configured `field_ids` entry or the
id itself decides, and a collision without one is an error naming both ids. Values are sent
in the shape each field type takes: `{"value": ...}` for a select list, a list of those for a
multi-select, `{"accountId": ...}` for a user picker on Cloud and `{"name": ...}` on Data
Center.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from modelop_mlc.errors import IntegrationError

__all__ = ["JiraFields"]

_SYSTEM_NAMES = {
    "resolution": "Resolution",
    "labels": "Labels",
    "priority": "Priority",
    "assignee": "Assignee",
    "duedate": "Due Date",
    "issuetype": "Issue Type",
}
# Atlassian account ids: `557058:<uuid>`, or 24 hex digits for older accounts.
_ACCOUNT_ID = re.compile(r"[0-9a-f]{24}|[0-9]+:[0-9a-f-]{36}", re.IGNORECASE)


def _refused(message: str) -> IntegrationError:
    return IntegrationError(message, service="jira", status_code=400, retryable=False)


class JiraFields:
    """The field list of one Jira, fetched once, and the value rules of its field types.

    Args:
        fetch: Runs a client call under an action name, mapping failures to
            `IntegrationError` (the adapter's `_call`).
        field_list: Returns Jira's field list (`GET /field`).
        field_ids: Configured field name → id, deciding between fields that share a name.
        cloud: Tells whether the site is Jira Cloud (user pickers take account ids there).
        find_users: Searches users by name or e-mail (`GET /user/search`).
    """

    def __init__(
        self,
        *,
        field_list: Callable[[], list[dict[str, Any]]],
        field_ids: Mapping[str, str],
        cloud: Callable[[], bool],
        find_users: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        """Create the catalogue; nothing is fetched yet."""
        self._field_list = field_list
        self._configured = {name.lower(): field_id for name, field_id in field_ids.items()}
        self._cloud = cloud
        self._find_users = find_users

    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {str(f["id"]): f for f in self._field_list()}

    def resolve(self, name: str) -> dict[str, Any]:
        """Return the field a name or id means.

        Raises:
            IntegrationError: If no field has that name, or several do and `field_ids` does
                not say which (not retryable; the message lists the candidates).
        """
        fields = self._by_id()
        wanted = name.strip()
        configured = self._configured.get(wanted.lower())
        if configured is not None:
            if configured not in fields:
                raise _refused(
                    f"JiraConfig.field_ids maps '{name}' to '{configured}', which Jira does not "
                    "have; check the id in Jira's field list (GET /rest/api/2/field)"
                )
            return fields[configured]
        if wanted in fields:
            return fields[wanted]
        matches = [f for f in fields.values() if str(f["name"]).lower() == wanted.lower()]
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(str(f["id"]) for f in matches)
            raise _refused(
                f"Jira has {len(matches)} fields named '{name}' ({ids}); say which one MLC "
                f"sets with JiraConfig.field_ids={{'{name}': '{matches[0]['id']}'}}, or use "
                "the field id as the name"
            )
        custom = sorted(str(f["name"]) for f in fields.values() if f.get("custom"))
        raise _refused(
            f"Jira has no field named '{name}'; custom fields: {', '.join(custom) or 'none'}"
        )

    def to_rest(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Translate fields by name into Jira's REST form by id.

        Raises:
            IntegrationError: If a name is unknown or ambiguous, or a user cannot be found.
        """
        result: dict[str, Any] = {}
        for name, value in fields.items():
            field = self.resolve(name)
            result[str(field["id"])] = self._value(field, value)
        return result

    def _value(self, field: Mapping[str, Any], value: Any) -> Any:
        schema = field.get("schema") or {}
        kind, items = schema.get("type"), schema.get("items")
        if kind == "option" and isinstance(value, str):
            return {"value": value}
        if kind == "array" and items == "option":
            values = [value] if isinstance(value, str) else list(value or [])
            return [{"value": v} if isinstance(v, str) else v for v in values]
        if kind == "user" and isinstance(value, str):
            return self._user(str(field["name"]), value)
        if kind == "array" and isinstance(value, str):
            return [value]
        return value

    def _user(self, field: str, who: str) -> dict[str, str]:
        """A user-picker value: the account id on Cloud, the user name on Data Center."""
        if not self._cloud():
            return {"name": who}
        if _ACCOUNT_ID.fullmatch(who):
            return {"accountId": who}
        found = [u for u in self._find_users(who) if u.get("accountId")]
        exact = [
            u
            for u in found
            if who.lower()
            in (str(u.get("emailAddress", "")).lower(), str(u.get("displayName", "")).lower())
        ]
        chosen = exact if len(exact) == 1 else found
        if len(chosen) != 1:
            raise _refused(
                f"Jira Cloud needs an account id for '{field}'; '{who}' matches "
                f"{len(chosen)} users; give the account id instead"
            )
        return {"accountId": str(chosen[0]["accountId"])}

    def names(self) -> dict[str, str]:
        """Field id → the name a ticket's `fields` uses for it.

        Custom fields shared by name are reported under their id, except the one
        `field_ids` chose, which keeps the name.
        """
        fields = self._field_list()
        counts: dict[str, int] = {}
        for f in fields:
            counts[str(f["name"]).lower()] = counts.get(str(f["name"]).lower(), 0) + 1
        names: dict[str, str] = {}
        for f in fields:
            field_id, name = str(f["id"]), str(f["name"])
            unique = counts[name.lower()] == 1
            if unique or self._configured.get(name.lower()) == field_id:
                names[field_id] = name
            else:
                names[field_id] = field_id
        return names

    def plain_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A raw issue's field values by name, as plain JSON (custom and a few system ones)."""
        names = self.names()
        fields: dict[str, Any] = {}
        for field_id, value in values.items():
            if value is None or value == []:
                continue
            if field_id.startswith("customfield_"):
                fields[names.get(field_id, field_id)] = _plain(value)
            elif field_id in _SYSTEM_NAMES:
                fields[_SYSTEM_NAMES[field_id]] = _plain(value)
        return fields


def _plain(value: Any) -> Any:
    """Turn Jira's field objects into plain JSON values (options, users, named things)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        for name in ("value", "name", "displayName", "key"):
            if name in value:
                return value[name]
        return dict(value)
    return value
