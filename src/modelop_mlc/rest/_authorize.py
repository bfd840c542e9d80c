"""Who may see and work on which user task: one place for every authorization decision.

Permissions (`read`, `complete`, ...) decide which routes a caller may use. On top of that, a
caller who is a person (a `Users` user or a token issued to one: a principal with groups or
the `user` claim) sees and works only on the tasks that are theirs, as Camunda's default task
permissions grant: assigned to them, offered to them or to one of their groups, or offered to
nobody. Service callers (static tokens, JWTs of services) see every task.
"""

from __future__ import annotations

from modelop_mlc.models import UserTask
from modelop_mlc.rest._auth import Principal

__all__ = ["is_person", "may_work_on", "task_visible"]


def is_person(principal: Principal) -> bool:
    """Whether the caller is a user (whose tasks are limited to their own), not a service."""
    return bool(principal.groups) or principal.claims.get("user") is True


def task_visible(principal: Principal, task: UserTask) -> bool:
    """Whether the caller may see a task."""
    if not is_person(principal):
        return True
    offered = bool(task.candidate_users or task.candidate_groups)
    if task.assignee is not None:
        return task.assignee == principal.name or (
            principal.name in task.candidate_users
            or bool(principal.groups & set(task.candidate_groups))
        )
    return (
        not offered
        or principal.name in task.candidate_users
        or bool(principal.groups & set(task.candidate_groups))
    )


def may_work_on(principal: Principal, task: UserTask) -> bool:
    """Whether the caller may claim, complete or change a task (as far as it is theirs)."""
    return task_visible(principal, task)
