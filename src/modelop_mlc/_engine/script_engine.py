"""The per-instance runtime SpiffWorkflow calls for every expression and script.

SpiffWorkflow routes gateway conditions, loop conditions, timer values and script tasks
through `workflow.script_engine`. Ours evaluates JUEL, FEEL and Groovy (never Python `eval`;
scripts go through `scripting.evaluate_script`), runs Python scripts in the sandbox through
the host, and collects the journal and outbox of one step. It is not serialised: the engine
attaches a fresh one after every load.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition

from modelop_mlc._engine import juel
from modelop_mlc._engine.execution import ExecutionFacade
from modelop_mlc._engine.fastscript import run_fast
from modelop_mlc._engine.feel import FeelText, evaluate_feel
from modelop_mlc._engine.host import (
    CallRequest,
    Catcher,
    EngineHost,
    JournalEntry,
    JournalKind,
    Propagation,
)
from modelop_mlc._engine.scope import (
    lookup,
    remove_variable,
    set_variable,
    visible_variables,
)
from modelop_mlc._engine.scripting import ScriptText, evaluate_script
from modelop_mlc._engine.subprocesses import propagate_targeted
from modelop_mlc.errors import ExpressionError, ProcessError

__all__ = ["ExecutionFacade", "MlcScriptEngine", "TaskContext"]


class _NoEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's Python environment, disabled: everything goes through our methods."""

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        raise ProcessError(f"Python evaluation is disabled (expression {expression!r})")

    def execute(self, script: str, context: Any, external_context: Any = None) -> Any:
        raise ProcessError("Python execution outside the sandbox is disabled")


class TaskContext:
    """JUEL evaluation context: the variables visible from one task, `execution` and the clock."""

    def __init__(
        self,
        task: Any,
        host: EngineHost,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the context; `extra` names shadow variables (e.g. delegate beans)."""
        self._task = task
        self._host = host
        self._extra = extra or {}

    def has_variable(self, name: str) -> bool:
        """Tell whether `name` resolves."""
        if name in self._extra or name == "execution":
            return True
        return lookup(self._task, name)[0]

    def get_variable(self, name: str) -> Any:
        """Resolve `name`."""
        if name in self._extra:
            return self._extra[name]
        found, value = lookup(self._task, name)
        if found:
            return value
        if name == "execution":
            return ExecutionFacade(self._task, self._host)
        raise ExpressionError(f"Cannot resolve identifier '{name}'")

    def available(self) -> list[str]:
        """Return the visible variable names (for error hints)."""
        return sorted(visible_variables(self._task))

    def current_time(self) -> datetime:
        """Return the host clock's time, which `now()` and `dateTime()` read."""
        return self._host.now()


class MlcScriptEngine(PythonScriptEngine):
    """Evaluates expressions and scripts for one instance during one step."""

    def __init__(self, host: EngineHost) -> None:
        """Create the engine for `host`."""
        super().__init__(environment=_NoEnvironment())
        self.host = host
        self.journal_entries: list[JournalEntry] = []
        # Tasks journalled as started: the candidates for a cancellation entry after the step.
        self.started_tasks: list[Any] = []
        self.outbox: list[Any] = []
        self.deferred: list[Any] = []
        self.calls: list[CallRequest] = []  # child instances call activities start
        self.propagated: list[Propagation] = []  # errors and escalations for the caller

    # -- journal

    def journal(self, task: Any, entry: JournalEntry) -> None:
        """Record an event of this step (in order)."""
        if entry.task_id is None:
            entry.task_id = str(task.id)
        if entry.process_id is None:
            entry.process_id = task.workflow.spec.name
        spec = task.task_spec
        if entry.activity_name is None and entry.kind is not JournalKind.FLOW_TAKEN:
            entry.activity_name = getattr(spec, "bpmn_name", None)
        if entry.kind is JournalKind.ACTIVITY_START:
            self.started_tasks.append(task)
        self.journal_entries.append(entry)

    # -- expressions

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        """Evaluate JUEL (or literal text), `FeelText` or `ScriptText` from `task`'s view."""
        if isinstance(expression, FeelText):
            return self.evaluate_feel(task, expression)
        if isinstance(expression, ScriptText):
            return evaluate_script(task, expression)
        if not isinstance(expression, str):
            return expression
        parsed = juel.parse_expression(expression)
        context = TaskContext(
            task, self.host, external_context if isinstance(external_context, Mapping) else None
        )
        try:
            return parsed.evaluate(context)
        except ExpressionError as err:
            spec = task.task_spec
            err.activity_id = err.activity_id or getattr(spec, "bpmn_id", None)
            err.instance_id = err.instance_id or self.host.instance_id
            if "Cannot resolve identifier" in str(err):
                names = context.available()
                hint = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")  # noqa: PLR2004
                raise ExpressionError(
                    f"{err} in {expression!r} at '{err.activity_id}'; variables set: "
                    f"{hint or 'none'}",
                    expression=expression,
                    instance_id=err.instance_id,
                    activity_id=err.activity_id,
                ) from None
            raise

    def evaluate_feel(self, task: Any, feel: FeelText) -> Any:
        """Evaluate FEEL over the variables visible from `task`; errors name the element."""
        activity_id = getattr(task.task_spec, "bpmn_id", None)
        try:
            return evaluate_feel(
                feel, visible_variables(task), now=self.host.now(), activity_id=activity_id
            )
        except ExpressionError as err:
            err.activity_id = activity_id
            err.instance_id = self.host.instance_id
            raise

    def visible_variables(self, task: Any) -> dict[str, Any]:
        """Return the variables visible from `task`."""
        return visible_variables(task)

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        """Run a script task's script and store its value in `camunda:resultVariable`.

        Python runs in-process when simple and bounded (`fastscript`), else in the sandbox;
        JUEL (Camunda's default language), FEEL and Groovy go through `evaluate_script`.

        Raises:
            BpmnError: The script threw one (the task's boundary events may catch it).
        """
        spec = task.task_spec
        language = getattr(spec, "script_format", "juel")
        result_variable = getattr(spec, "result_variable", None)
        if language != "python":
            text = ScriptText(language, script, line=getattr(spec, "script_line", None))
            value = evaluate_script(task, text, allow_bpmn_error=True)
            if result_variable:
                set_variable(task, result_variable, value)
            return True
        variables = visible_variables(task)
        context = {
            "processInstanceId": self.host.instance_id,
            "processBusinessKey": self.host.business_key,
            "currentActivityId": getattr(spec, "bpmn_id", None),
            "activityInstanceId": str(task.id),
        }
        outcome: Any = run_fast(script, variables, context)
        if outcome is None:
            outcome = self.host.run_script(script, variables, context=context)
        for name, value in outcome.variables.items():
            set_variable(task, name, value)
        for name in outcome.deleted:
            remove_variable(task, name)
        if result_variable:
            set_variable(task, result_variable, outcome.value)
        return True

    # -- errors

    def throw_targeted(self, task: Any, event: Any) -> bool:
        """Throw an error/escalation outwards from `task`; True if something caught it.

        Uncaught here, it goes to the callers of a called instance when they catch it (as
        Camunda 7 propagates to the call activity): an interrupting catch ends this instance.
        """
        if propagate_targeted(task, event):
            return True
        definition = event.event_definition
        kind = "error" if isinstance(definition, ErrorEventDefinition) else "escalation"
        catcher = self.host.caught_above(kind, definition.code)
        if catcher is None:
            return False
        message = (event.payload or {}).get("errorMessage")
        self.propagated.append(Propagation(kind, definition.code, message, catcher))
        if catcher is Catcher.INTERRUPTING:
            # The caller's catch ends the call activity and this instance with it; stop here.
            self.deferred.append(task.workflow.top_workflow.cancel)
        return True
