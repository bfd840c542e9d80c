"""Groovy, the script language of ModelOp's MLC diagrams, as a small sandboxed interpreter.

Camunda 7 runs Groovy on the JVM; we have no JVM. This package tokenizes and parses the subset
of Groovy that MLC scripts are written in into a syntax tree, checks it (everything outside
the subset is refused before a diagram deploys, with its line), and compiles it once into
Python closures that interpret it. No Python code is generated or `eval`'d, no attribute of a
Python object is read by name, and only allow-listed classes exist.

The subset: `def` and typed declarations, assignment (also `+=`, property and index
assignment), `if`/`else`, `for (x in xs)`, `for (;;)`, `while`, `break`/`continue`,
`try`/`catch`/`finally`, `throw`, `return`, `assert`; list, map and range literals, `in`,
`?.`, `*.`, `?:`, the ternary, Groovy `==`, `<=>`, `instanceof`, `as`, GStrings and
single/triple-quoted and slashy strings; closures with `it` or named parameters and the GDK
methods on them; property access and Java-bean getters and setters on maps and SDK objects;
`String` methods; regular expressions on RE2; `execution`; `java.util.UUID`, `Integer`,
`Long`, `Double`, `Math`, `Date`, `StringBuilder`, the collections, `BigDecimal`, SLF4J
loggers and `println`, `JsonSlurper`/`JsonOutput`, exceptions and Camunda's `BpmnError`; and
ModelOp's SDK records and enums (`_sdk`). `docs/groovy.md` lists every method.

Limits (`GroovyLimits`): steps, collection and string sizes checked before allocating, a
memory total, integer size, nesting and wall time (an injected timer). A script cannot catch a
broken limit.

Modules by job: `_lexer`, `_parser` and `_ast` read the text; `_checker` refuses what is
outside the subset; `_compile_expr` and `_compile_stmt` compile; `_values` holds Groovy's
semantics of values, `_dispatch` method and property dispatch, `_gdk` the collection and
number methods, `_strings` the `String` methods and regular expressions, `_java` the JDK
shims, `_sdk` ModelOp's SDK, `_types` casts, `_runtime` the state of a run and the JSON
boundary, `_execution` the `execution` object.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from modelop_mlc._engine.groovy._checker import check_tree
from modelop_mlc._engine.groovy._compile_stmt import Compiler
from modelop_mlc._engine.groovy._errors import (
    GroovyLimitError,
    GroovyProblem,
    GroovySyntaxError,
    GroovyThrow,
    JavaException,
)
from modelop_mlc._engine.groovy._execution import EXECUTION_GETTERS, Execution
from modelop_mlc._engine.groovy._parser import parse
from modelop_mlc._engine.groovy._runtime import (
    Budget,
    Context,
    Frame,
    GroovyHost,
    GroovyLimits,
    default_timer,
    to_json,
)

__all__ = [
    "EXECUTION_GETTERS",
    "GROOVY_FORMAT",
    "GroovyFailure",
    "GroovyHost",
    "GroovyLimits",
    "GroovyOutcome",
    "GroovyProblem",
    "GroovyScript",
    "check_groovy",
    "compile_groovy",
    "is_groovy",
    "python_log",
]

GROOVY_FORMAT: Final = "groovy"
_LOG_LEVELS: Final = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def is_groovy(language: str | None) -> bool:
    """Tell whether a `scriptFormat` or `language` names Groovy."""
    return (language or "").strip().lower() == GROOVY_FORMAT


class GroovyFailure(Exception):  # noqa: N818 - it is the failure of a script, not a bug
    """A script ended with an uncaught exception or a broken limit.

    Attributes:
        reason: What happened (the Java exception's text, or the limit).
        line: The script line it happened on, when known.
        bpmn_error: `(code, message)` when the script threw Camunda's `BpmnError`.
        limit: Whether a sandbox limit stopped the script.
    """

    def __init__(
        self,
        reason: str,
        line: int | None,
        *,
        bpmn_error: tuple[str, str | None] | None = None,
        limit: bool = False,
    ) -> None:
        """Record what happened and where."""
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason = reason
        self.line = line
        self.bpmn_error = bpmn_error
        self.limit = limit


@dataclass(frozen=True)
class GroovyOutcome:
    """What a run produced.

    Attributes:
        value: The script's value (its `return`, or its last expression) as JSON data.
        changes: `(op, name, value)` for each variable write, in order: `set`
            (`execution.setVariable`, or an object changed in place), `local`
            (`setVariableLocal`) or `remove`.
    """

    value: Any
    changes: list[tuple[str, str, Any]] = field(default_factory=list)


def python_log(level: str, logger: str, text: str) -> None:
    """Send a script's log line to Python logging (`modelop_mlc.script.<logger>`)."""
    logging.getLogger(f"modelop_mlc.script.{logger}").log(
        _LOG_LEVELS.get(level, logging.INFO), text
    )


class GroovyScript:
    """A checked and compiled script; build it with `compile_groovy`.

    Attributes:
        source: The text as written.
        problems: Constructs outside the subset; a script with problems does not run.
        warnings: Constructs that run, but probably not as the author meant.
    """

    def __init__(self, source: str) -> None:
        """Parse, check and compile `source`.

        Raises:
            GroovySyntaxError: When the text does not parse.
        """
        self.source = source
        try:
            tree = parse(source)
        except RecursionError:
            raise GroovySyntaxError("the script is nested too deeply", source, 0) from None
        self.problems, self.warnings = check_tree(source, tree)
        self._body = Compiler(source, [(i.name, i.star) for i in tree.imports]).script(tree)

    def run(
        self,
        host: GroovyHost,
        *,
        limits: GroovyLimits | None = None,
        timer: Callable[[], float] = default_timer,
        uuid_source: Callable[[], str] | None = None,
        log: Callable[[str, str, str], None] = python_log,
    ) -> GroovyOutcome:
        """Run the script against `host`'s variables.

        Args:
            host: Variables, `execution` getters and the clock.
            limits: The sandbox limits (defaults when omitted).
            timer: The monotonic clock the wall-time limit reads.
            uuid_source: Gives `UUID.randomUUID()` its text (random when omitted).
            log: Receives `(level, logger name, text)` for `println` and loggers.

        Returns:
            The value and the variable changes (nothing is written when it fails).

        Raises:
            GroovyFailure: On an uncaught exception, a thrown `BpmnError`, or a broken limit.
        """
        if self.problems:
            raise GroovyFailure("; ".join(str(p) for p in self.problems), self.problems[0].line)
        budget = Budget(limits or GroovyLimits(), timer)
        ctx = Context(host, budget, uuid_source=uuid_source or (lambda: str(uuid.uuid4())), log=log)
        ctx.execution = Execution()
        try:
            value = self._body(Frame(ctx, None))
            return GroovyOutcome(to_json(value), ctx.variables.changes())
        except GroovyThrow as thrown:
            exception = thrown.exception
            if exception.kind == "BpmnError":
                raise GroovyFailure(
                    str(exception),
                    thrown.line,
                    bpmn_error=(exception.code or "", exception.message),
                ) from None
            raise GroovyFailure(str(exception), thrown.line) from None
        except GroovyLimitError as err:
            raise GroovyFailure(err.message, err.line, limit=True) from None
        except (TypeError, ValueError) as err:
            raise GroovyFailure(f"the script's value cannot be stored: {err}", None) from None


@functools.lru_cache(maxsize=512)
def compile_groovy(source: str) -> GroovyScript:
    """Parse, check and compile `source`, reusing the result for the same text.

    Raises:
        GroovySyntaxError: When the text does not parse.
    """
    return GroovyScript(source)


def check_groovy(source: str) -> tuple[list[GroovyProblem], list[GroovyProblem]]:
    """Return `(problems, warnings)` for `source`; a syntax error is one problem."""
    try:
        script = compile_groovy(source)
    except GroovySyntaxError as err:
        return [GroovyProblem(err.line, err.column, err.reason)], []
    return list(script.problems), list(script.warnings)


class MappingHost:
    """A `GroovyHost` over plain variables (DMN cells, conditions without a task, tests).

    Args:
        variables: The variables by name (JSON values; read, never written).
        now: What `new Date()` reads.
        properties: Answers for `execution` getters such as `getProcessInstanceId`.
    """

    def __init__(
        self,
        variables: Mapping[str, Any],
        now: datetime | None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        """Wrap the variables."""
        self._variables = variables
        self._now = now
        self._properties = dict(properties or {})

    def has_variable(self, name: str) -> bool:
        """Whether `name` is a variable."""
        return name in self._variables

    def get_variable(self, name: str) -> Any:
        """The variable's value."""
        return self._variables[name]

    def get_variable_local(self, name: str) -> tuple[bool, Any]:
        """There are no local scopes here."""
        return False, None

    def variable_names(self) -> list[str]:
        """Every name."""
        return list(self._variables)

    def execution_property(self, getter: str) -> Any:
        """An `execution` getter's answer (None for the known ones not given)."""
        if getter in self._properties:
            return self._properties[getter]
        if getter in EXECUTION_GETTERS:
            return None
        raise KeyError(getter)

    def now(self) -> datetime:
        """The time `new Date()` gives; without a clock, `new Date()` fails."""
        if self._now is None:
            raise GroovyThrow(JavaException("IllegalStateException", "no clock is available here"))
        return self._now


__all__ += ["MappingHost"]
