"""Screens for `FakeJira`: which fields can be set on create, on edit and on each transition.

Real Jira accepts a field in a create, edit or transition request only when the field is on
that operation's screen, and answers 400 otherwise ("Field 'customfield_10010' cannot be set.
It is not on the appropriate screen, or unknown."). Transitions have no screen unless an
administrator adds one, which is why a client must set most fields by edit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from modelop_mlc.testing.fakes._jira_data import WORKFLOW

__all__ = ["ResolvedScreens", "Screens"]

_ALWAYS_ON_CREATE = frozenset({"summary"})


@dataclass(frozen=True)
class ResolvedScreens:
    """Screens as field ids; `None` means every settable field."""

    create: frozenset[str] | None
    edit: frozenset[str] | None
    transitions: Mapping[str, frozenset[str]]

    def on_create(self, field_id: str) -> bool:
        """Tell whether a create request may set the field."""
        return self.create is None or field_id in self.create

    def on_edit(self, field_id: str) -> bool:
        """Tell whether an edit request may set the field."""
        return self.edit is None or field_id in self.edit

    def on_transition(self, transition: str, field_id: str) -> bool:
        """Tell whether the named transition's screen shows the field."""
        return field_id in self.transitions.get(transition, frozenset())


@dataclass(frozen=True)
class Screens:
    """Which fields each screen of the fake's project shows.

    Attributes:
        create: Field names or ids on the create screen (the summary always is); `None`
            puts every settable field there.
        edit: Field names or ids on the edit screen; `None` puts every settable field there.
        transitions: Transition name (`"Approve"`) → field names or ids on its screen.
            Transitions not listed have no screen, as in Jira's default workflow, and take
            no fields.
    """

    create: Collection[str] | None = None
    edit: Collection[str] | None = None
    transitions: Mapping[str, Collection[str]] = field(default_factory=dict)

    def resolve(self, ids: Callable[[str], list[str]]) -> ResolvedScreens:
        """Turn names into field ids with `ids` (which raises `ValueError` for unknown ones).

        Raises:
            ValueError: If a field or transition name is unknown.
        """
        names = {t.name for t in WORKFLOW}
        for transition in self.transitions:
            if transition not in names:
                raise ValueError(
                    f"No transition {transition!r} for a screen; transitions: {', '.join(names)}"
                )

        def resolve(entries: Collection[str]) -> frozenset[str]:
            return frozenset(i for entry in entries for i in ids(entry))

        return ResolvedScreens(
            create=None if self.create is None else resolve(self.create) | _ALWAYS_ON_CREATE,
            edit=None if self.edit is None else resolve(self.edit),
            transitions={name: resolve(entries) for name, entries in self.transitions.items()},
        )
