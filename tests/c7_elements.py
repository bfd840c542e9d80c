"""Tests that pin an element's Camunda 7 behaviour also feed the element table in the docs.

A test decorated with `@camunda7(element, camunda)` asserts that the element behaves as Camunda
7 does; `here` says how ours behaves ("same as Camunda 7", or "refused at deploy with …" when we
refuse what we do not run). `scripts/element_table.py` imports the test modules and renders one
row per decorated test into docs/camunda7.md, so the table only claims what a test shows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["ROWS", "SAME", "Row", "camunda7", "refused"]

SAME = "same as Camunda 7"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Row:
    """One row of the element table."""

    element: str
    camunda: str
    here: str
    test: str  # module::function


ROWS: list[Row] = []


def refused(what: str) -> str:
    """The `here` text of an element refused at deploy time."""
    return f"refused at deploy with {what}"


def camunda7(element: str, camunda: str, here: str = SAME) -> Callable[[F], F]:
    """Record that the decorated test shows `element` behaving as `here` says."""
    if here != SAME and not here.startswith("refused at deploy with "):
        raise ValueError(f"an element row must be {SAME!r} or a refusal, got {here!r}")

    def decorate(test: F) -> F:
        module = Path(inspect.getfile(test)).stem
        ROWS.append(Row(element, camunda, here, f"{module}::{test.__name__}"))
        return test

    return decorate
