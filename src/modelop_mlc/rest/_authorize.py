"""Who may see and work on which user task: one place for every authorization decision.

Permissions (`read`, `complete`, ...) decide which routes a caller may use. On top of that, a
task that names people (an assignee, candidate users or candidate groups) is theirs, as
Camunda's default task permissions grant: the caller must be its assignee, one of its
candidate users or in one of its candidate groups, or hold the `admin` permission. This holds
for every principal (a `Users` user, a static token, a JWT), so a token with `complete` does
not complete another user's task; services that work on everyone's tasks get `admin`. A task
that names nobody is open to every caller with the route's permission. An instance's variables
follow its open tasks: while one of them names people, only those people and admins read them.
The Cockpit and Tasklist pages (`modelop_mlc.web`) apply the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelop_mlc.models import UserTask
from modelop_mlc.rest._auth import ADMIN, Principal
from modelop_mlc.rest._errors import ApiError

__all__ = ["check_instance", "check_task", "instance_visible", "task_visible", "visible_to"]


def _names_people(task: UserTask) -> bool:
    return bool(task.assignee or task.candidate_users or task.candidate_groups)


def _named(principal: Principal, task: UserTask) -> bool:
    return (
        principal.name == task.assignee
        or principal.name in task.candidate_users
        or bool(principal.groups & set(task.candidate_groups))
    )


def task_visible(principal: Principal, task: UserTask) -> bool:
    """Whether the caller may see, claim, complete or change a task."""
    return ADMIN in principal.permissions or not _names_people(task) or _named(principal, task)


def _refused(principal: Principal, what: str) -> ApiError:
    return ApiError(
        403,
        "AuthorizationException",
        f"The user with id '{principal.name}' may not {what}: it is assigned to others; "
        "ask its assignee or a candidate, or use a token with the 'admin' permission",
        details={"userId": principal.name, "missingAuthorizations": []},
    )


def check_task(principal: Principal, task: UserTask) -> None:
    """Refuse a principal the task does not name.

    Raises:
        ApiError: 403, if `principal` may not handle `task`.
    """
    if not task_visible(principal, task):
        raise _refused(principal, f"read or work on task '{task.id}'")


def check_instance(principal: Principal, instance_id: str, tasks: Iterable[UserTask]) -> None:
    """Refuse reading an instance's variables to a principal none of its tasks names.

    Raises:
        ApiError: 403, if an open task of the instance names people and none is `principal`.
    """
    if not instance_visible(principal, tasks):
        raise _refused(principal, f"read the variables of process instance '{instance_id}'")


def instance_visible(principal: Principal, tasks: Iterable[UserTask]) -> bool:
    """Whether the caller may read an instance's variables, given its open `tasks`."""
    if ADMIN in principal.permissions:
        return True
    restricted = [t for t in tasks if _names_people(t)]
    return not restricted or any(_named(principal, t) for t in restricted)


def visible_to(principal: Principal) -> tuple[str, tuple[str, ...]] | None:
    """The principal `task_visible` limits to the tasks naming them, for the database.

    Returns (name, groups), or None for an admin (who sees every task). Task lists narrow by
    it in SQL (a task naming them, or naming nobody) and still test `task_visible` on each
    task they read.
    """
    if ADMIN in principal.permissions:
        return None
    return principal.name, tuple(sorted(principal.groups))
