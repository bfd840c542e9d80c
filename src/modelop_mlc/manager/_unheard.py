"""A signal nobody hears: not an error (Camunda's semantics), but worth a warning with the fix.

A typo, or ModelOp's short name (`Signals_DEPLOYED_BATCH_JOB`) for a diagram that listens to
the full one (`com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB`), would otherwise do
nothing without a word.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence

__all__ = ["close_names", "unheard_message", "warn_unheard"]

log = logging.getLogger("modelop_mlc")

_CUTOFF = 0.75
_SHOWN = 5


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def close_names(name: str, known: Sequence[str]) -> list[str]:
    """The `known` names `name` was probably meant to be, best first.

    A name matches when it differs only in case or package (`Signals_x` and
    `com.modelop.mlc.definitions.Signals_X`), or when the names or their last dotted parts
    are close in spelling.
    """
    scored = []
    for candidate in known:
        if _short(candidate) == _short(name):
            score = 2.0
        else:
            score = max(
                difflib.SequenceMatcher(None, name.lower(), candidate.lower()).ratio(),
                difflib.SequenceMatcher(None, _short(name), _short(candidate)).ratio(),
            )
        if score >= _CUTOFF:
            scored.append((-score, candidate))
    return [candidate for _, candidate in sorted(scored)[:_SHOWN]]


def unheard_message(kind: str, name: str, known: Sequence[str]) -> str | None:
    """What to tell about `name` reaching nobody; None when something does listen for it."""
    if name in known:
        return None  # heard, but no process applied to the variables: that is by design
    head = f"{kind} '{name}' started no process and reached no waiting instance"
    close = close_names(name, known)
    if close:
        return f"{head}; did you mean {' or '.join(repr(c) for c in close)}?"
    if not known:
        return f"{head}: nothing deployed listens for any {kind}"
    listing = ", ".join(known[:_SHOWN]) + (" ..." if len(known) > _SHOWN else "")
    return f"{head}; deployed processes listen for: {listing}"


def warn_unheard(kind: str, name: str, known: Sequence[str]) -> None:
    """Log a warning when `name` reached nobody (see `unheard_message`)."""
    message = unheard_message(kind, name, known)
    if message is not None:
        log.warning("%s", message)
