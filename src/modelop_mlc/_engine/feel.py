"""FEEL in BPMN diagrams: Camunda 7's `scriptFormat="feel"` scripts, parameters and conditions.

They are evaluated by our own FEEL engine (`modelop_mlc.dmn`), never by Python `eval`. FEEL
cannot do I/O, and that engine bounds for-loop ranges, recursion depth and number sizes by
itself, so FEEL needs no sandbox. Results are converted to JSON values: numbers to `int` or
`float`, dates, times and durations to ISO 8601 text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from modelop_mlc.dmn import to_json_value
from modelop_mlc.dmn._bounds import LimitExceededError
from modelop_mlc.dmn._feel import compile_expression, evaluate_text
from modelop_mlc.dmn._feel_lexer import FeelSyntaxError
from modelop_mlc.errors import ExpressionError

__all__ = ["FEEL_FORMAT", "FeelSyntaxProblem", "FeelText", "check_feel", "evaluate_feel", "is_feel"]

FEEL_FORMAT: Final = "feel"


@dataclass(frozen=True)
class FeelText:
    """FEEL source from a diagram, kept apart from JUEL text (a parameter value or a condition).

    Attributes:
        text: The FEEL expression as written.
        condition: Whether it is a sequence-flow condition, which must give true or false.
    """

    text: str
    condition: bool = False


@dataclass(frozen=True)
class FeelSyntaxProblem:
    """Where and why FEEL text does not parse (`line` and `column` are 1-based in the text)."""

    line: int
    column: int
    reason: str


def is_feel(language: str | None) -> bool:
    """Tell whether a `scriptFormat` or condition `language` names FEEL."""
    return (language or "").strip().lower() == FEEL_FORMAT


def check_feel(text: str) -> FeelSyntaxProblem | None:
    """Parse FEEL `text`; return the syntax problem, or None when it parses."""
    try:
        compile_expression(text)
    except FeelSyntaxError as err:
        before = text[: max(err.column - 1, 0)]
        return FeelSyntaxProblem(
            line=before.count("\n") + 1,
            column=err.column - (before.rfind("\n") + 1),
            reason=err.reason,
        )
    except RecursionError:
        return FeelSyntaxProblem(1, 1, "the expression is nested too deeply")
    return None


def evaluate_feel(
    feel: FeelText,
    variables: Mapping[str, Any],
    *,
    now: datetime,
    activity_id: str | None = None,
) -> Any:
    """Evaluate FEEL text against `variables` and return its value as JSON data.

    Args:
        feel: The FEEL text.
        variables: The variables visible to the element (JSON values).
        now: What FEEL `now()` and `today()` read (the instance's clock).
        activity_id: The element evaluating it, named in error messages.

    Returns:
        The value; unknown names and type errors give null, as FEEL specifies.

    Raises:
        ExpressionError: When the text does not parse, a variable has no FEEL form, or a
            condition gives something other than true or false.
    """
    text = feel.text
    where = f"{text.strip()!r} at '{activity_id}'"
    try:
        value, warnings = evaluate_text(text, variables, now=now)
    except FeelSyntaxError as err:
        raise ExpressionError(
            f"FEEL expression {where} does not parse: {err}", expression=text
        ) from None
    except LimitExceededError as err:
        raise ExpressionError(
            f"FEEL expression {where} was stopped: {err}; keep expressions small (long or "
            "large work belongs in a delegate)",
            expression=text,
            activity_id=activity_id,
        ) from None
    except TypeError as err:
        raise ExpressionError(
            f"FEEL expression {where} cannot read the variables: {err}; FEEL sees only JSON values",
            expression=text,
        ) from None
    except RecursionError:
        raise ExpressionError(
            f"FEEL expression {where} is nested too deeply to evaluate",
            expression=text,
        ) from None
    if feel.condition and not isinstance(value, bool):
        why = f" ({'; '.join(warnings)})" if warnings else ""
        shown = "null" if value is None else repr(to_json_value(value))
        raise ExpressionError(
            f"the FEEL condition {where} gave {shown}{why}, not true or false "
            "(Camunda 7 refuses that too); make it a boolean expression such as "
            "`x != null and x > 3`",
            expression=text,
        )
    return to_json_value(value)
