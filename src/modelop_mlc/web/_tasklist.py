"""Tasklist pages: the open tasks of the logged-in user's groups, and each task's form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modelop_mlc.errors import VariableError
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import UserTask
from modelop_mlc.rest import READ, Principal
from modelop_mlc.rest._authorize import check_task, task_visible
from modelop_mlc.web._app import Web, Who, render, root
from modelop_mlc.web._forms import form_inputs, form_values
from modelop_mlc.web._html import csrf_field, escape, masked, short_json, table, when

__all__ = ["complete", "task", "tasks"]

_LIST_LIMIT = 200


def _my_tasks(manager: LifecycleManager, principal: Principal) -> list[UserTask]:
    """The oldest open tasks for this user, each kind read from its own index.

    A page of tasks assigned to them, one of those they are a candidate for, and one per
    group of theirs, merged: the other open tasks, however many, are not read.
    """
    if principal.name == "anonymous":
        return manager.tasks(limit=_LIST_LIMIT)
    pages = [
        manager.tasks(assignee=principal.name, limit=_LIST_LIMIT),
        manager.tasks(candidate_user=principal.name, limit=_LIST_LIMIT),
        *(manager.tasks(candidate_group=g, limit=_LIST_LIMIT) for g in sorted(principal.groups)),
    ]
    merged = {t.id: t for page in pages for t in page}
    return sorted(merged.values(), key=lambda t: (t.created_at, t.id))[:_LIST_LIMIT]


def _who_for(found: UserTask) -> str:
    return (
        ", ".join([*found.candidate_groups, *found.candidate_users]) or found.assignee or "anyone"
    )


async def tasks(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /tasklist`: my group's tasks (or all, with `?show=all` and the read permission)."""
    show_all = request.query_params.get("show") == "all" and READ in who.principal.permissions
    if show_all:
        listed = await web.context.read(web.manager.tasks, limit=_LIST_LIMIT)
        # Tasks naming other people are theirs, as over REST (`rest._authorize`).
        found = [t for t in listed if task_visible(who.principal, t)]
    else:
        found = await web.context.read(_my_tasks, web.manager, who.principal)
    base = root(request)
    groups = ", ".join(sorted(who.principal.groups)) or "none"
    tabs = (
        f'<p class="tabs"><a href="{base}/tasklist"{"" if show_all else " class=current"}>'
        f'My tasks</a> <a href="{base}/tasklist?show=all"{" class=current" if show_all else ""}>'
        f'All open tasks</a> <span class="hint">your groups: {escape(groups)}</span></p>'
    )
    body = tabs + table(
        found,
        (
            (
                "Task",
                lambda t: (
                    f'<a class="task-link" href="{base}/tasklist/{escape(t.id)}">'
                    f"{escape(t.name or t.activity_id)}</a>"
                ),
            ),
            ("Process", lambda t: escape(t.key)),
            ("For", lambda t: escape(_who_for(t))),
            ("Created", lambda t: when(t.created_at)),
            ("Due", lambda t: when(t.due)),
        ),
        empty="No open tasks for you.",
        css="tasks",
    )
    return HTMLResponse(render(request, who, "Tasklist", body, active="tasklist"))


def _task_view(manager: LifecycleManager, task_id: str) -> tuple[UserTask, dict[str, object]]:
    found = manager.task(task_id)
    variables = manager.variables(found.instance_id)
    return found, masked(dict(variables), patterns=manager.config.secret_variables)


def _task_page(
    request: Request,
    who: Who,
    found: UserTask,
    variables: dict[str, object],
    *,
    submitted: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> str:
    base = root(request)
    errors = "".join(
        f'<p class="flash error" role="alert">{escape(p)}</p>' for p in (problems or [])
    )
    fields = form_inputs(found.form_fields, submitted) or (
        '<p class="hint">This task has no form fields; completing it continues the process.</p>'
    )
    context = table(
        sorted(masked(variables).items()),
        (
            ("Variable", lambda v: f"<code>{escape(v[0])}</code>"),
            ("Value", lambda v: escape(short_json(v[1], 200))),
        ),
        empty="No variables.",
    )
    body = (
        f'<p class="facts">Process <code>{escape(found.key)}</code> · instance '
        f'<a href="{base}/cockpit/instances/{escape(found.instance_id)}">'
        f"<code>{escape(found.instance_id[:12])}</code></a> · for {escape(_who_for(found))}"
        f" · created {when(found.created_at)}</p>{errors}"
        f'<form method="post" action="{base}/tasklist/{escape(found.id)}/complete" '
        f'class="task-form">{csrf_field(who.csrf)}{fields}'
        '<button type="submit">Complete</button></form>'
        f"<h2>Process variables</h2>{context}"
    )
    return render(request, who, found.name or found.activity_id, body, active="tasklist")


async def task(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /tasklist/{id}`: the task's form (403 to those the task does not name)."""
    found, variables = await web.context.read(_task_view, web.manager, request.path_params["id"])
    check_task(who.principal, found)
    return HTMLResponse(_task_page(request, who, found, variables))


async def complete(web: Web, request: Request, who: Who, form: dict[str, str]) -> Response:
    """`POST /tasklist/{id}/complete`: check the form, complete the task, back to the list."""
    found, variables = await web.context.read(_task_view, web.manager, request.path_params["id"])
    check_task(who.principal, found)
    values, problems = form_values(found.form_fields, form)
    if not problems:
        try:
            await web.context.write(web.manager.complete_task, found.id, values)
        except VariableError as err:
            problems = [str(err)]
    if problems:
        page = _task_page(request, who, found, variables, submitted=form, problems=problems)
        return HTMLResponse(page, status_code=400)
    if who.session:
        who.session.flash("ok", f"Completed '{found.name or found.activity_id}'.")
    return RedirectResponse(f"{root(request)}/tasklist", 303)
