"""Working on user tasks: completing them, claims, assignees, delegation, variables.

These are Camunda's TaskService operations. Assignments change the task's row (its
assignee, owner, delegation state, candidates) in one transaction with a history event;
task variables are a step of the instance, like any other change of its state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc._engine.instance import EngineInstance
from modelop_mlc.errors import ProcessError, TaskNotFoundError, TaskNotOpenError, VariableError
from modelop_mlc.manager._convert import form_problems, instance_record, user_task_record
from modelop_mlc.manager._runtime import Note, Runtime
from modelop_mlc.models import ProcessInstance, UserTask
from modelop_mlc.registry import check_json
from modelop_mlc.store import SqlStore
from modelop_mlc.store.rows import HistoryRow, TaskRow, iso

__all__ = ["TaskMethods"]

_LINK_TYPES = ("candidate", "assignee", "owner")


class TaskMethods:
    """The user-task half of `LifecycleManager`'s API (Camunda's TaskService)."""

    _runtime: Runtime
    _store: SqlStore

    def _task_row(self, task_id: str) -> TaskRow:
        if not isinstance(task_id, str) or not task_id:
            raise TaskNotFoundError(str(task_id))  # None would mean "any task" to the store
        rows = self._store.user_tasks(
            instance_id=None,
            assignee=None,
            candidate_group=None,
            candidate_user=None,
            task_id=task_id,
        )
        if not rows:
            raise TaskNotFoundError(task_id)
        return rows[0]

    def complete_task(
        self, task_id: str, variables: Mapping[str, Any] | None = None
    ) -> ProcessInstance:
        """Complete an open user task, checking `variables` against its form fields.

        Raises:
            TaskNotFoundError: If no open task has this id.
            VariableError: If a variable is not JSON or breaks a form-field rule.
            TaskNotOpenError: If the task closed meanwhile.
        """
        values = check_json(variables)
        task = user_task_record(self._task_row(task_id))
        problems = form_problems(task.form_fields, values)
        if problems:
            raise VariableError(
                problems[0][0],
                "; ".join(p[1] for p in problems),
                hint=f"complete task '{task.activity_id}' with values its form accepts",
            )
        detail = {"task_id": task_id, "variables": sorted(values), "assignee": task.assignee}
        note = Note("task_completed", task.activity_id, detail)
        try:
            _, saved = self._runtime.step(
                task.instance_id,
                lambda inst: inst.complete_user_task(task_id, values),
                notes=[note],
            )
        except ProcessError as err:
            # A completer who lost the race against the instance's end is told the task closed.
            ended = self._store.get_instance(task.instance_id)
            if ended is None or ended.status not in {"completed", "cancelled"}:
                raise
            message = f"user task '{task_id}' is not open: the instance has {ended.status}"
            raise TaskNotOpenError(message, instance_id=task.instance_id) from err
        return instance_record(saved)

    def task_delegation(self, task_id: str) -> tuple[str | None, str | None]:
        """Return an open task's (owner, delegation state): `PENDING`, `RESOLVED` or None."""
        return self._store.task_delegations([task_id]).get(task_id, (None, None))

    def _assign(self, row: TaskRow, kind: str, detail: dict[str, Any], **fields: Any) -> None:
        at = iso(self._runtime.clock.now())
        event = HistoryRow(
            row.instance_id,
            row.key,
            kind,
            at,
            activity_id=row.activity_id,
            activity_name=row.name,
            task_id=row.id,
            detail=detail,
        )
        with self._store.transaction() as tx:
            tx.update_user_task(row.id, **fields)
            tx.append_history([event])

    def claim_task(self, task_id: str, user_id: str) -> UserTask:
        """Make `user_id` the assignee of an unassigned task (Camunda's claim).

        Raises:
            TaskNotFoundError: If no open task has this id.
            ProcessError: If someone else has claimed it.
        """
        row = self._task_row(task_id)
        if row.assignee not in (None, user_id):
            raise ProcessError(
                f"Cannot claim task '{task_id}': it is already claimed by '{row.assignee}'; "
                "unclaim it first or set its assignee"
            )
        self._assign(row, "task_assigned", {"assignee": user_id}, assignee=user_id)
        return user_task_record(self._task_row(task_id))

    def unclaim_task(self, task_id: str) -> UserTask:
        """Remove the assignee of a task.

        Raises:
            TaskNotFoundError: If no open task has this id.
        """
        return self.set_task_assignee(task_id, None)

    def set_task_assignee(self, task_id: str, user_id: str | None) -> UserTask:
        """Assign a task to `user_id` (None: nobody), whoever had it.

        Raises:
            TaskNotFoundError: If no open task has this id.
        """
        row = self._task_row(task_id)
        self._assign(row, "task_assigned", {"assignee": user_id}, assignee=user_id)
        return user_task_record(self._task_row(task_id))

    def delegate_task(self, task_id: str, user_id: str) -> UserTask:
        """Delegate a task to `user_id`; the assignee (if any) becomes its owner.

        Raises:
            TaskNotFoundError: If no open task has this id.
        """
        row = self._task_row(task_id)
        owner, _ = self.task_delegation(task_id)
        self._assign(
            row,
            "task_delegated",
            {"assignee": user_id, "owner": owner or row.assignee},
            owner=owner or row.assignee,
            assignee=user_id,
            delegation_state="PENDING",
        )
        return user_task_record(self._task_row(task_id))

    def resolve_task(self, task_id: str) -> UserTask:
        """Hand a delegated task back to its owner (delegation state `RESOLVED`).

        Raises:
            TaskNotFoundError: If no open task has this id.
            ProcessError: If the task is not delegated.
        """
        row = self._task_row(task_id)
        owner, state = self.task_delegation(task_id)
        if state != "PENDING":
            raise ProcessError(f"task '{task_id}' is not delegated; nothing to resolve")
        self._assign(
            row,
            "task_assigned",
            {"assignee": owner},
            assignee=owner,
            delegation_state="RESOLVED",
        )
        return user_task_record(self._task_row(task_id))

    def set_task_identity_link(
        self,
        task_id: str,
        link_type: str,
        *,
        user_id: str | None = None,
        group_id: str | None = None,
        remove: bool = False,
    ) -> UserTask:
        """Add (or remove) an identity link: a candidate user or group, the assignee or owner.

        Raises:
            TaskNotFoundError: If no open task has this id.
            VariableError: For an unknown link type, or not exactly one of user and group.
        """
        if link_type not in _LINK_TYPES:
            raise VariableError("type", f"'{link_type}' is not one of {', '.join(_LINK_TYPES)}")
        if (user_id is None) == (group_id is None):
            raise VariableError("userId", "give exactly one of userId and groupId")
        if link_type != "candidate" and group_id is not None:
            raise VariableError("groupId", f"a '{link_type}' link names a user, not a group")
        row = self._task_row(task_id)
        if link_type == "assignee":
            return self.set_task_assignee(task_id, None if remove else user_id)
        if link_type == "owner":
            self._assign(row, "task_owner", {"owner": user_id}, owner=None if remove else user_id)
            return user_task_record(self._task_row(task_id))
        users, groups = list(row.candidate_users), list(row.candidate_groups)
        target, value = (users, user_id) if user_id is not None else (groups, group_id)
        if remove and value in target:
            target.remove(value)
        elif not remove and value not in target:
            target.append(str(value))
        at = iso(self._runtime.clock.now())
        with self._store.transaction() as tx:
            tx.set_task_candidates(task_id, users, groups)
            tx.append_history(
                [
                    HistoryRow(
                        row.instance_id,
                        row.key,
                        "task_candidates",
                        at,
                        activity_id=row.activity_id,
                        task_id=task_id,
                        detail={"users": users, "groups": groups},
                    )
                ]
            )
        return user_task_record(self._task_row(task_id))

    def task_variables(self, task_id: str, *, local: bool = False) -> dict[str, Any]:
        """Return the variables visible from an open task (or only its local ones).

        Raises:
            TaskNotFoundError: If no open task has this id.
        """
        row = self._task_row(task_id)
        instance = self._store.get_instance(row.instance_id)
        if instance is None:
            raise TaskNotFoundError(task_id)
        engine = self._runtime.restore(instance)
        return engine.local_variables(task_id) if local else engine.variables_at(task_id)

    def set_task_variables(
        self,
        task_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        local: bool = False,
        removed: Sequence[str] = (),
    ) -> None:
        """Set (and remove) variables from an open task, in one step of its instance.

        Without `local` they go where they are defined, else to the process (Camunda's
        `setVariables` on a task); with `local`, to the task itself.

        Raises:
            TaskNotFoundError: If no open task has this id.
            VariableError: If a value is not JSON.
        """
        values = check_json(variables)
        row = self._task_row(task_id)

        def apply(instance: EngineInstance) -> None:
            if not instance.set_task_variables(task_id, values, local=local, removed=removed):
                raise TaskNotFoundError(task_id)

        note = Note(
            "task_variables",
            row.activity_id,
            {"set": sorted(values), "removed": sorted(removed), "local": local},
            task_id=task_id,
        )
        self._runtime.step(row.instance_id, apply, notes=[note])

    def delete_variables(self, instance_id: str, names: Sequence[str]) -> None:
        """Remove process variables from a running instance (history records it).

        Raises:
            InstanceNotFoundError: If the id is unknown.
        """

        def apply(instance: EngineInstance) -> None:
            for name in names:
                instance.workflow.data.pop(name, None)

        self._runtime.step(instance_id, apply)
