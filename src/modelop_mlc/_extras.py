"""Optional parts need their extra: refuse when the part is built, in one line naming the extra.

The core install (`pip install modelop-mlc`) has no pandas, Starlette, jira, pysnow or psycopg.
A part that needs one of them checks, when it is built, that the package can be imported, so a
missing extra is one `ConfigurationError` at construction, never a `ModuleNotFoundError` from
deep inside a later call.
"""

from __future__ import annotations

import importlib.util

from modelop_mlc.errors import ConfigurationError

__all__ = ["missing", "require"]


def missing(*modules: str) -> list[str]:
    """Return the `modules` that cannot be imported here (without importing any of them)."""
    absent = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # an import hook refused it, or a broken install
            found = None
        if found is None:
            absent.append(name)
    return absent


def require(feature: str, extra: str, *modules: str) -> None:
    """Refuse `feature` unless every one of `modules` can be imported.

    Args:
        feature: What needs them, as the user calls it (`mlc demo`, `JiraTickets`).
        extra: The extra that installs them (`models`).
        modules: The top-level modules to look for.

    Raises:
        ConfigurationError: Naming the missing modules and the extra that installs them.
    """
    absent = missing(*modules)
    if absent:
        names = " and ".join(absent)
        raise ConfigurationError(
            f"{feature} needs {names}, from the [{extra}] extra: pip install 'modelop-mlc[{extra}]'"
        )
