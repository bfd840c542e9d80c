"""Short ids on the command line: `mlc show e384d7db` finds the one instance whose id starts so."""

from __future__ import annotations

from modelop_mlc.errors import MlcError
from modelop_mlc.manager import LifecycleManager

__all__ = ["AmbiguousIdError", "full_id"]

_UUID_LENGTH = 36
_LISTED = 10


class AmbiguousIdError(MlcError, LookupError):
    """A short id starts several ids; `.matches` lists (some of) them."""

    def __init__(self, noun: str, prefix: str, matches: list[str]) -> None:
        """Create the error, listing the ids the prefix starts."""
        self.prefix = prefix
        self.matches = matches
        more = " ..." if len(matches) > _LISTED else ""
        super().__init__(
            f"'{prefix}' is the start of several {noun} ids: "
            f"{', '.join(matches[:_LISTED])}{more}; give more of the id"
        )


def full_id(manager: LifecycleManager, table: str, given: str, noun: str) -> str:
    """Return the id `given` stands for: the one id in `table` it starts, else `given`.

    An id that matches nothing is passed on as it was, so the command reports it the usual
    way (`No process instance with id ...`).

    Raises:
        AmbiguousIdError: If `given` starts several ids.
    """
    if len(given) >= _UUID_LENGTH:
        return given
    found = manager.store.ids_starting(table, given, limit=_LISTED + 1)
    if len(found) == 1:
        return found[0]
    if given in found or not found:
        return given
    raise AmbiguousIdError(noun, given, found)
