"""The built-in functions of Camunda 7 expressions: its internal context functions and Spin's.

Camunda's JUEL resolves a few top-level function names: `now()`, `dateTime()`,
`currentUser()` and `currentUserGroups()` (its "internal context functions") and Spin's
`S(...)`, `JSON(...)` and `XML(...)`. The parser checks names and argument counts, so a
diagram with an unknown function is refused at deploy time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelop_mlc._engine.juel._context import ClockedContext, EvaluationContext
from modelop_mlc._engine.juel._dates import _instant, _JavaDate, _JodaDateTime
from modelop_mlc._engine.juel._spin import _XML_HINT, spin_node
from modelop_mlc._engine.juel._values import _EvalError


@dataclass(frozen=True, slots=True)
class _Function:
    """A built-in function: its arity and `call(context, args)`."""

    min_args: int
    max_args: int
    call: Callable[[EvaluationContext, list[Any]], Any]


def _clock_time(context: EvaluationContext, name: str) -> Any:
    moment = context.current_time() if isinstance(context, ClockedContext) else None
    if moment is None:
        raise _EvalError(
            f"{name}() needs the engine's clock, and this evaluation has none",
            "evaluate the expression inside a process instance",
        )
    return _instant(moment)


_FUNCTIONS: dict[str, _Function] = {
    "JSON": _Function(1, 1, lambda _, args: spin_node(args[0], "JSON")),
    "S": _Function(1, 1, lambda _, args: spin_node(args[0], "S")),
    # The engine authenticates nobody, so there is never a current user (Camunda's answer
    # without an authenticated user is null); an empty group list keeps `.contains(...)` safe.
    "currentUser": _Function(0, 0, lambda _, __: None),
    "currentUserGroups": _Function(0, 0, lambda _, __: []),
    "dateTime": _Function(0, 0, lambda c, _: _JodaDateTime(_clock_time(c, "dateTime"))),
    "now": _Function(0, 0, lambda c, _: _JavaDate(_clock_time(c, "now"))),
}
_REFUSED = {"XML": _XML_HINT}

FUNCTION_NAMES = tuple(sorted(_FUNCTIONS, key=str.lower))


def _unknown_function(name: str) -> tuple[str, str]:
    """Return the message and hint for a call to `name`, which is not a built-in function."""
    if name in _REFUSED:
        return f"Function '{name}()' is not supported", _REFUSED[name]
    same_case = [known for known in _FUNCTIONS if known.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, list(_FUNCTIONS), n=1, cutoff=0.6)
    guess = f"did you mean '{close[0]}()'? " if close else ""
    listing = ", ".join(f"{known}()" for known in FUNCTION_NAMES)
    return f"Unknown function '{name}()'", f"{guess}supported functions: {listing}"
