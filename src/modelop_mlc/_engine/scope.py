"""Process variables with Camunda 7 scoping, on top of SpiffWorkflow's task tree.

SpiffWorkflow copies a data dict into every task and merges branches back at joins, so a value
set on one branch can be lost or overwritten on another. Camunda has one variable map per process
instance plus a few local scopes. We follow Camunda:

- the process scope is the `data` dict of the top workflow (a call activity starts a
  separate instance, with its own);
- local scopes live in a task's `internal_data[LOCALS]`: input parameters of an activity and the
  element variable and loop counter of a multi-instance body;
- embedded sub-processes share the enclosing scope, as in Camunda;
- `set_variable` writes where the name already exists (innermost first), else the process scope.

Task `data` dicts stay empty, which also keeps SpiffWorkflow's copying and serialisation cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "LOCALS",
    "ScopeView",
    "local_scopes",
    "lookup",
    "process_scope",
    "remove_variable",
    "set_local",
    "set_variable",
    "visible_variables",
]

LOCALS = "mlc_locals"


def _scope_boundary(workflow: Any) -> bool:
    """Tell whether `workflow` owns the process scope: the top workflow; sub-processes share it."""
    return workflow.parent_task_id is None


def process_scope(task: Any) -> dict[str, Any]:
    """Return the process-level variable dict that `task` writes to by default."""
    data: dict[str, Any] = task.workflow.top_workflow.data
    return data


def local_scopes(task: Any) -> Iterator[dict[str, Any]]:
    """Yield the local scopes visible from `task`, innermost first (process scope excluded)."""
    current = task
    while True:
        scope = current.internal_data.get(LOCALS)
        if scope is not None:
            yield scope
        # A multi-instance body is the inner activity's parent scope (Camunda's nrOf*).
        body = current.parent
        if (
            body is not None
            and getattr(body.task_spec, "is_mi_body", False)
            and body.task_spec.task_spec == current.task_spec.name
        ):
            body_scope = body.internal_data.get(LOCALS)
            if body_scope is not None:
                yield body_scope
        workflow = current.workflow
        if _scope_boundary(workflow):
            return
        current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def lookup(task: Any, name: str) -> tuple[bool, Any]:
    """Find `name` from `task`'s point of view; returns `(found, value)`."""
    for scope in local_scopes(task):
        if name in scope:
            return True, scope[name]
    scope = process_scope(task)
    if name in scope:
        return True, scope[name]
    return False, None


def visible_variables(task: Any) -> dict[str, Any]:
    """Return every variable visible from `task`; inner scopes hide outer ones."""
    merged = dict(process_scope(task))
    for scope in reversed(list(local_scopes(task))):
        merged.update(scope)
    return merged


def set_variable(task: Any, name: str, value: Any) -> None:
    """Set `name` where it already exists (innermost scope first), else in the process scope."""
    for scope in local_scopes(task):
        if name in scope:
            scope[name] = value
            return
    process_scope(task)[name] = value


def set_local(task: Any, name: str, value: Any) -> None:
    """Set `name` in `task`'s own local scope, creating that scope if needed."""
    scope = task.internal_data.get(LOCALS)
    if scope is None:
        scope = task.internal_data[LOCALS] = {}
    scope[name] = value


def remove_variable(task: Any, name: str) -> None:
    """Remove `name` from the innermost scope that has it; a missing name is ignored."""
    for scope in local_scopes(task):
        if name in scope:
            del scope[name]
            return
    process_scope(task).pop(name, None)


class ScopeView(Mapping[str, Any]):
    """A read-only mapping of the variables visible from a task, resolved lazily."""

    def __init__(self, task: Any) -> None:
        """Create the view for `task`."""
        self._task = task

    def __getitem__(self, name: str) -> Any:
        """Return the variable or raise `KeyError`."""
        found, value = lookup(self._task, name)
        if not found:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        """Iterate over the visible names."""
        return iter(visible_variables(self._task))

    def __len__(self) -> int:
        """Count the visible names."""
        return len(visible_variables(self._task))

    def __contains__(self, name: object) -> bool:
        """Tell whether `name` is visible."""
        return isinstance(name, str) and lookup(self._task, name)[0]
