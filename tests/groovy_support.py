"""Run Groovy snippets on the interpreter for tests, without an engine."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from modelop_mlc._engine.groovy import (
    GroovyFailure,
    GroovyLimits,
    GroovyOutcome,
    MappingHost,
    check_groovy,
    compile_groovy,
)

NOW = datetime(2026, 1, 8, 9, 30, tzinfo=UTC)
PROPERTIES = {
    "getProcessInstanceId": "pi-1",
    "getBusinessKey": "bk-7",
    "getProcessBusinessKey": "bk-7",
    "getCurrentActivityId": "prepare",
}


def uuids() -> Callable[[], str]:
    """A deterministic `UUID.randomUUID()` source: ...0001, ...0002, ..."""
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def run(
    source: str,
    variables: dict[str, Any] | None = None,
    *,
    limits: GroovyLimits | None = None,
    timer: Callable[[], float] | None = None,
    logs: list[tuple[str, str, str]] | None = None,
) -> GroovyOutcome:
    """Run `source` over `variables` and return the outcome."""
    script = compile_groovy(source)
    sink = logs if logs is not None else []
    kwargs: dict[str, Any] = {
        "limits": limits,
        "uuid_source": uuids(),
        "log": lambda level, name, text: sink.append((level, name, text)),
    }
    if timer is not None:
        kwargs["timer"] = timer
    return script.run(MappingHost(variables or {}, NOW, PROPERTIES), **kwargs)


def value(source: str, **variables: Any) -> Any:
    """The script's value as JSON."""
    return run(source, variables).value


def changes(source: str, **variables: Any) -> dict[str, Any]:
    """The variables the script set (or changed in place), by name."""
    return {name: json for op, name, json in run(source, variables).changes if op != "remove"}


def failure(source: str, **variables: Any) -> GroovyFailure:
    """The failure a script ends with (fails the test if it completes)."""
    try:
        run(source, variables)
    except GroovyFailure as err:
        return err
    raise AssertionError(f"the script completed: {source!r}")


def problems(source: str) -> list[str]:
    """Deploy-time problems of `source`, as messages."""
    return [p.message for p in check_groovy(source)[0]]


def warnings(source: str) -> list[str]:
    """Deploy-time warnings of `source`, as messages."""
    return [p.message for p in check_groovy(source)[1]]
