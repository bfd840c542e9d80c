"""Limits on what one expression evaluation may build and run (FEEL, JUEL, the Python fast path).

Expressions run in the host process, so a hostile or careless one must not be able to build a
gigabyte string or loop for ever. Every evaluator checks a size **before** it allocates, and
counts its iterations, against `ExpressionLimits`. The manager derives them from its script
limits and puts them in effect for each step (`limits_in_effect`); outside a step the defaults
apply. A `LimitExceededError` stops the evaluation; each evaluator turns it into its own error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

__all__ = [
    "Budget",
    "ExpressionLimits",
    "LimitExceededError",
    "current_limits",
    "limits_in_effect",
]


@dataclass(frozen=True)
class ExpressionLimits:
    """Bounds on one evaluation of one expression.

    Attributes:
        max_string: Characters of one string it may build.
        max_items: Elements of one list or context it may build.
        max_steps: Loop iterations (FEEL `for`, `some`, `every`, filters) it may run.
    """

    max_string: int = 1_000_000
    max_items: int = 100_000
    max_steps: int = 1_000_000


_DEFAULT: Final = ExpressionLimits()
_LIMITS: ContextVar[ExpressionLimits] = ContextVar("mlc_expression_limits", default=_DEFAULT)


def current_limits() -> ExpressionLimits:
    """The limits in effect in this thread (or task): the step's, else the defaults."""
    return _LIMITS.get()


@contextmanager
def limits_in_effect(limits: ExpressionLimits) -> Iterator[None]:
    """Apply `limits` to every evaluation inside the block (in this thread)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


class LimitExceededError(Exception):
    """An evaluation would have exceeded a limit; nothing was allocated."""


class Budget:
    """Counts one evaluation's iterations and checks sizes against the limits in effect."""

    __slots__ = ("limits", "steps")

    def __init__(self, limits: ExpressionLimits | None = None) -> None:
        """Start counting (with the limits in effect unless given)."""
        self.limits = limits or current_limits()
        self.steps = self.limits.max_steps

    def step(self, count: int = 1) -> None:
        """Count `count` iterations; refuse once the total passes `max_steps`.

        Raises:
            LimitExceededError: If the evaluation ran out of steps.
        """
        self.steps -= count
        if self.steps < 0:
            raise LimitExceededError(
                f"the expression ran more than {self.limits.max_steps} iterations and was "
                "stopped (a loop that does not end, or one far too large)"
            )

    def string(self, length: int, what: str) -> None:
        """Allow building a string of `length` characters, or refuse before it is built.

        Raises:
            LimitExceededError: If it is longer than `max_string`.
        """
        if length > self.limits.max_string:
            raise LimitExceededError(
                f"{what} would build a string of {length} characters; at most "
                f"{self.limits.max_string} are allowed"
            )

    def items(self, count: int, what: str) -> None:
        """Allow building a collection of `count` elements, or refuse before it is built.

        Raises:
            LimitExceededError: If it has more than `max_items`.
        """
        if count > self.limits.max_items:
            raise LimitExceededError(
                f"{what} would build a collection of {count} elements; at most "
                f"{self.limits.max_items} are allowed"
            )
