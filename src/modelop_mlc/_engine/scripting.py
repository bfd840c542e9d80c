"""Scripts wherever Camunda 7 accepts one, through one dispatch by language.

`evaluate_script(task, script)` evaluates script text in its language at a task: script tasks,
`camunda:script` parameter values, `language="..."` sequence-flow conditions and listener
scripts all call it. `check_script_text` is the matching deploy-time check. Languages:

- `juel` (Camunda's default when a script task has no `scriptFormat`): a JUEL expression or
  template, evaluated by our JUEL interpreter;
- `feel`: our FEEL engine;
- `groovy`: our sandboxed Groovy interpreter (`_engine.groovy`); variable writes and objects
  changed in place are applied only when the script completes;
- `python`: script tasks only, in the sandbox (`fastscript` / `sandbox`).

JavaScript and other languages are refused at deploy time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from modelop_mlc._engine import juel
from modelop_mlc._engine.execution import ExecutionFacade
from modelop_mlc._engine.feel import FeelText, check_feel
from modelop_mlc._engine.groovy import (
    GroovyFailure,
    GroovyLimits,
    check_groovy,
    compile_groovy,
    python_log,
)
from modelop_mlc._engine.groovy._errors import GroovySyntaxError
from modelop_mlc._engine.sandbox import SandboxLimits, check_script
from modelop_mlc._engine.scope import (
    LOCALS,
    lookup,
    remove_variable,
    set_local,
    set_variable,
    visible_variables,
)
from modelop_mlc.config import redact, secret_values
from modelop_mlc.errors import BpmnError, ExpressionError

__all__ = [
    "SCRIPT_LANGUAGES",
    "ScriptIssue",
    "ScriptText",
    "check_script_text",
    "evaluate_script",
    "groovy_limits",
    "script_language",
]

SCRIPT_LANGUAGES: Final = ("juel", "feel", "groovy", "python")
_ALIASES: Final = {"py": "python", "python3": "python", "${}": "juel"}
# Steps a Groovy script may run per second of the Python sandbox's CPU limit (measured on
# the project's benchmark machine: ~1-2 million simple steps per second).
STEPS_PER_CPU_SECOND: Final = 500_000
log = logging.getLogger("modelop_mlc.script")


@dataclass(frozen=True)
class ScriptText:
    """Script text from a diagram, in a language other than the JUEL of plain attributes.

    Attributes:
        language: One of `SCRIPT_LANGUAGES`.
        text: The script as written.
        condition: Whether it is a sequence-flow condition (it must give true or false).
        line: The line of the script's first line in the BPMN file, for error messages.
    """

    language: str
    text: str
    condition: bool = False
    line: int | None = None


@dataclass(frozen=True)
class ScriptIssue:
    """A deploy-time finding in a script: `line` is 1-based in the script text."""

    line: int
    message: str


def script_language(name: str | None, *, default: str = "juel") -> str:
    """Normalise a `scriptFormat` / `language` (case, aliases); empty gives `default`."""
    text = (name or "").strip().lower()
    if not text:
        return default
    return _ALIASES.get(text, text)


def groovy_limits(limits: SandboxLimits | None) -> GroovyLimits:
    """Groovy's limits from the Python sandbox's configured ones (time, memory, output)."""
    if limits is None:
        return GroovyLimits()
    return GroovyLimits(
        max_steps=int(limits.cpu_seconds * STEPS_PER_CPU_SECOND),
        max_memory=limits.memory_bytes,
        max_string=limits.max_output_bytes,
        max_output=limits.max_output_bytes,
        wall_seconds=limits.wall_seconds,
    )


def check_script_text(
    language: str, text: str, *, script_task: bool = False
) -> tuple[list[ScriptIssue], list[ScriptIssue]]:
    """Check script text at deploy time; return `(problems, warnings)`.

    Args:
        language: A normalised language (`script_language`).
        text: The script.
        script_task: Whether it is a script task's body (only there does Python run).
    """
    if language not in SCRIPT_LANGUAGES or (language == "python" and not script_task):
        where = "script tasks" if language == "python" else "this engine"
        return [
            ScriptIssue(
                1,
                f"scripts in '{language}' do not run in {where}; write it in "
                "Groovy, FEEL or JUEL, or move the logic into a delegate",
            )
        ], []
    if not text.strip():
        return [ScriptIssue(1, f"the {language} script is empty; write one")], []
    if language == "groovy":
        problems, warnings = check_groovy(text)
        return (
            [ScriptIssue(p.line, f"Groovy: {p.message} (column {p.column})") for p in problems],
            [ScriptIssue(p.line, f"Groovy: {p.message}") for p in warnings],
        )
    if language == "feel":
        issue = check_feel(text)
        if issue is None:
            return [], []
        return [
            ScriptIssue(
                issue.line,
                f"FEEL syntax error at line {issue.line}, column "
                f"{issue.column} of the expression: {issue.reason}",
            )
        ], []
    if language == "python":
        return [
            ScriptIssue(p.line or 1, f"script line {p.line}: {p.message}")
            for p in check_script(text)
        ], []
    try:
        juel.parse_expression(text)
    except ExpressionError as err:
        return [ScriptIssue(1, f"not valid JUEL: {err}")], []
    return [], []


class _TaskHost:
    """What a Groovy script sees of the engine at one task."""

    def __init__(self, task: Any, engine: Any) -> None:
        self.task = task
        self.engine = engine

    def has_variable(self, name: str) -> bool:
        return bool(lookup(self.task, name)[0])

    def get_variable(self, name: str) -> Any:
        return lookup(self.task, name)[1]

    def get_variable_local(self, name: str) -> tuple[bool, Any]:
        scope = self.task.internal_data.get(LOCALS) or {}
        return (name in scope), scope.get(name)

    def variable_names(self) -> Iterable[str]:
        return visible_variables(self.task).keys()

    def execution_property(self, getter: str) -> Any:
        try:
            return ExecutionFacade(self.task, self.engine.host).juel_invoke(getter, [])
        except ExpressionError:
            raise KeyError(getter) from None

    def now(self) -> datetime:
        now: datetime = self.engine.host.now()
        return now


def _apply(task: Any, changes: Iterable[tuple[str, str, Any]]) -> None:
    for op, name, value in changes:
        if op == "local":
            set_local(task, name, value)
        elif op == "remove":
            remove_variable(task, name)
        else:
            set_variable(task, name, value)


def evaluate_script(
    task: Any,
    script: ScriptText,
    *,
    allow_bpmn_error: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate script text in its language at `task`, apply what it wrote, return its value.

    This is the one entry point for scripts: script tasks, `camunda:script` parameter values,
    conditions and listener scripts use it.

    Args:
        task: The SpiffWorkflow task the script runs for.
        script: The text, its language, and whether it is a condition.
        allow_bpmn_error: Whether a `BpmnError` the script throws may leave (script tasks
            turn it into a boundary event); elsewhere it is an error naming the element.
        extra: Names that shadow variables for JUEL (delegate beans).

    Returns:
        The value as JSON data (a condition's is a boolean).

    Raises:
        ExpressionError: The script failed, broke a limit, or a condition gave no boolean.
        BpmnError: The script threw one and `allow_bpmn_error` is set.
    """
    engine = task.workflow.script_engine
    activity_id = getattr(task.task_spec, "bpmn_id", None)
    language = script.language
    if language == "feel":
        return engine.evaluate_feel(task, FeelText(script.text, condition=script.condition))
    if language == "juel":
        return engine.evaluate(task, script.text, extra)
    if language != "groovy":
        raise ExpressionError(
            f"scripts in '{language}' cannot run here (at '{activity_id}')",
            activity_id=activity_id,
            instance_id=engine.host.instance_id,
        )
    return _run_groovy(task, engine, script, activity_id, allow_bpmn_error=allow_bpmn_error)


def _run_groovy(
    task: Any, engine: Any, script: ScriptText, activity_id: str | None, *, allow_bpmn_error: bool
) -> Any:
    where = f"the Groovy script at '{activity_id}'"
    secrets = secret_values(visible_variables(task), getattr(engine.host, "secret_patterns", ()))
    try:
        compiled = compile_groovy(script.text)
        outcome = compiled.run(
            _TaskHost(task, engine),
            limits=groovy_limits(getattr(engine.host, "script_limits", None)),
            log=_script_log(secrets),
        )
    except GroovySyntaxError as err:
        raise _error(
            engine, script, activity_id, f"{where} does not parse", err.line, err.reason
        ) from None
    except GroovyFailure as failure:
        if failure.bpmn_error is not None and allow_bpmn_error:
            code, message = failure.bpmn_error
            raise BpmnError(code, message or "") from None
        if failure.bpmn_error is not None:
            reason = (
                f"{failure.reason} (a BpmnError reaches a boundary event only from a script task)"
            )
        else:
            reason = failure.reason
        reason = redact(reason, secrets)
        raise _error(engine, script, activity_id, f"{where} failed", failure.line, reason) from None
    _apply(task, outcome.changes)
    value = outcome.value
    if script.condition and not isinstance(value, bool):
        raise ExpressionError(
            f"the Groovy condition at '{activity_id}' gave {value!r}, not true or false "
            "(Camunda 7 refuses that too: condition scripts must return a Boolean)",
            expression=script.text,
            activity_id=activity_id,
            instance_id=engine.host.instance_id,
        )
    return value


def _script_log(secrets: tuple[str, ...]) -> Callable[[str, str, str], None]:
    """Where a script's `println` and logger lines go: Python logging, secrets cut out."""
    if not secrets:
        return python_log
    return lambda level, logger, text: python_log(level, logger, redact(text, secrets))


def _error(
    engine: Any,
    script: ScriptText,
    activity_id: str | None,
    what: str,
    line: int | None,
    reason: str,
) -> ExpressionError:
    if line is not None and script.line is not None:
        at = f" at line {script.line + line - 1} of the file (script line {line})"
    elif line is not None:
        at = f" at script line {line}"
    else:
        at = ""
    return ExpressionError(
        f"{what}{at}: {reason}",
        expression=script.text,
        activity_id=activity_id,
        instance_id=engine.host.instance_id,
    )
