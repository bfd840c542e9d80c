"""Cockpit pages: processes, instances, one instance, incidents, cancel, signals and KPIs."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modelop_mlc.drawing import definition_marks, render_svg
from modelop_mlc.errors import IncidentNotFoundError
from modelop_mlc.kpis import compute_kpis
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.manager._applicability import model_facts
from modelop_mlc.models import HistoryEvent, Incident, ProcessInstance
from modelop_mlc.rest._authorize import instance_visible, task_visible
from modelop_mlc.rest._errors import bad_request
from modelop_mlc.store.queries import IncidentQuery, InstanceQuery, Page
from modelop_mlc.web._app import Web, Who, render, root
from modelop_mlc.web._charts import bars, duration, duration_bars, rate_ring
from modelop_mlc.web._html import (
    badge,
    button_form,
    csrf_field,
    escape,
    masked,
    short_json,
    table,
    when,
)

__all__ = [
    "cancel",
    "definition",
    "definitions",
    "diagram",
    "instance",
    "instances",
    "kpis",
    "retry",
    "signal",
]

_STATUSES = ("running", "incident", "completed", "cancelled")
_LIST_LIMIT = 200
# The overview counts ended instances up to this many ("1,000+"): they only grow, and counting
# them all would make the page slower every day (running ones are counted exactly).
_ENDED_SHOWN_UP_TO = 1_000


def model_name(instance: ProcessInstance) -> str:
    """The name of the model an instance is about, or empty."""
    facts = model_facts(instance.variables) or {}
    return ", ".join(facts.get("name", []))


def _instance_link(request: Request, instance_id: str) -> str:
    return (
        f'<a class="instance-link" href="{root(request)}/cockpit/instances/{escape(instance_id)}">'
        f"<code>{escape(instance_id[:12])}</code></a>"
    )


def _instance_table(request: Request, found: list[ProcessInstance]) -> str:
    return table(
        found,
        (
            ("Instance", lambda i: _instance_link(request, i.id)),
            ("Process", lambda i: f"{escape(i.key)} v{i.version}"),
            ("Business key", lambda i: escape(i.business_key or "")),
            ("Model", lambda i: escape(model_name(i))),
            ("Status", lambda i: badge(i.status)),
            ("Waiting at", lambda i: escape(", ".join(i.waiting_at))),
            ("Started", lambda i: when(i.started_at)),
            ("Ended", lambda i: when(i.ended_at)),
        ),
        empty="No instances match.",
        css="instances",
    )


def _overview(manager: LifecycleManager) -> list[tuple[Any, Counter[str]]]:
    latest = manager.definitions(latest_only=True)
    counts = manager.instance_counts([d.key for d in latest], ended_up_to=_ENDED_SHOWN_UP_TO)
    return [(d, Counter(counts.get(d.key, {}))) for d in latest]


def _shown(status: str, count: int) -> str:
    ended = status in ("completed", "cancelled")
    return f"{_ENDED_SHOWN_UP_TO:,}+" if ended and count >= _ENDED_SHOWN_UP_TO else str(count)


async def definitions(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit`: every process with its instance counts per status."""
    rows = await web.context.read(_overview, web.manager)
    base = root(request)
    body = table(
        rows,
        (
            (
                "Process",
                lambda r: (
                    f'<a href="{base}/cockpit/definitions/{escape(r[0].id)}">'
                    f"{escape(r[0].name or r[0].key)}</a> <code>{escape(r[0].key)}</code>"
                ),
            ),
            ("Version", lambda r: str(r[0].version)),
            *(
                (
                    status.capitalize(),
                    lambda r, s=status: (
                        f'<a href="{base}/cockpit/instances?'
                        f'{escape(urlencode({"key": r[0].key, "status": s}))}">'
                        f"{_shown(s, r[1][s])}</a>"
                    ),
                )
                for status in _STATUSES
            ),
            ("File", lambda r: escape(r[0].resource)),
        ),
        empty="Nothing is deployed yet: mlc deploy --shipped",
        css="definitions",
    )
    return HTMLResponse(render(request, who, "Processes", body, active="cockpit"))


def _definition_view(manager: LifecycleManager, definition_id: str) -> dict[str, Any]:
    found = manager.definition_by_id(definition_id)
    running = Counter(manager.waiting_at(definition_id))
    open_incidents = Counter(manager.open_incidents_at(definition_id))
    xml = manager.definition_xml(definition_id)
    return {
        "definition": found,
        "instances": manager.find_instances(
            InstanceQuery(definition_id=definition_id), Page(limit=_LIST_LIMIT)
        ),
        "svg": render_svg(xml, definition_marks(running, open_incidents)),
        "versions": manager.definitions(found.key),
    }


async def definition(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit/definitions/{id}`: the diagram with running instances per activity."""
    view = await web.context.read(_definition_view, web.manager, request.path_params["id"])
    found = view["definition"]
    base = root(request)
    versions = " ".join(
        f'<a href="{base}/cockpit/definitions/{escape(v.id)}">v{v.version}</a>'
        for v in view["versions"]
    )
    body = (
        f'<p class="facts"><code>{escape(found.key)}</code> version {found.version} · '
        f"{escape(found.resource)} · versions: {versions}</p>"
        '<p class="legend"><span class="active">instances waiting</span>'
        '<span class="incident">open incidents</span></p>'
        f'<div class="diagram" id="diagram">{view["svg"]}</div>'
        f"<h2>Instances</h2>{_instance_table(request, view['instances'])}"
    )
    return HTMLResponse(render(request, who, found.name or found.key, body, active="cockpit"))


async def instances(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit/instances`: instances filtered by status, key, business key and model."""
    query = request.query_params
    status = query.get("status") or None
    if status is not None and status not in _STATUSES:
        raise bad_request(f"status must be one of {', '.join(_STATUSES)}, got '{status}'")
    key = query.get("key") or None
    business_key = query.get("business_key") or None
    model = (query.get("model") or "").strip().lower()
    found, more = await web.context.read(
        _newest, web.manager, model, status=status, key=key, business_key=business_key
    )
    options = "".join(
        f'<option value="{s}"{" selected" if s == status else ""}>{s}</option>' for s in _STATUSES
    )
    filters = (
        '<form method="get" class="filters">'
        '<label>Status <select name="status"><option value="">any</option>'
        f"{options}</select></label>"
        f'<label>Process key <input name="key" value="{escape(key)}"></label>'
        f'<label>Business key <input name="business_key" value="{escape(business_key)}"></label>'
        f'<label>Model name <input name="model" value="{escape(query.get("model"))}"></label>'
        '<button type="submit">Filter</button></form>'
    )
    count = (
        f"the newest {len(found)} instances; narrow the filters to see older ones"
        if more
        else f"{len(found)} instance{'s' if len(found) != 1 else ''}"
    )
    body = filters + f'<p class="count">{count}</p>' + _instance_table(request, found)
    return HTMLResponse(render(request, who, "Instances", body, active="cockpit/instances"))


def _newest(
    manager: LifecycleManager,
    model: str,
    *,
    status: str | None,
    key: str | None,
    business_key: str | None,
) -> tuple[list[ProcessInstance], bool]:
    """Up to `_LIST_LIMIT` instances matching, newest first, and whether more match.

    The model name is read from each instance's variables, so with a model filter the pages
    are read one after another until the list is full or the instances run out.
    """
    found: list[ProcessInstance] = []
    after: ProcessInstance | None = None
    while True:
        batch = manager.instances(
            status=status, key=key, business_key=business_key, limit=_LIST_LIMIT + 1, after=after
        )
        found.extend(i for i in batch if not model or model in model_name(i).lower())
        if len(found) > _LIST_LIMIT:
            return found[:_LIST_LIMIT], True
        if len(batch) <= _LIST_LIMIT:
            return found, False
        after = batch[-1]


def _instance_view(manager: LifecycleManager, instance_id: str) -> dict[str, Any]:
    found = manager.instance(instance_id)
    return {
        "instance": found,
        "variables": masked(dict(found.variables), patterns=manager.config.secret_variables),
        "svg": manager.render(instance_id),
        "history": manager.history(instance_id, limit=None),
        "incidents": manager.incidents(instance_id=instance_id, open_only=False, limit=None),
        "tasks": manager.tasks(instance_id=instance_id, limit=None),
    }


def _timeline(events: list[HistoryEvent]) -> str:
    shown = [e for e in events if e.kind not in {"flow_taken", "variable_update"}]
    items = "".join(
        f'<li class="event {escape(e.kind)}"><time>{when(e.at)}</time> '
        f"{badge(e.kind.replace('_', ' '), e.kind)} "
        f"<span>{escape(e.activity_name or e.activity_id or '')}</span>"
        + (
            f" <small>{escape(short_json(masked(dict(e.detail)), 120))}</small>"
            if e.detail and e.kind != "activity_start"
            else ""
        )
        + "</li>"
        for e in shown
    )
    return f'<ol class="timeline">{items}</ol>' if items else '<p class="empty">No history.</p>'


def _incident_rows(request: Request, who: Who, found: list[Incident]) -> str:
    base = root(request)

    def action(incident: Incident) -> str:
        if incident.resolved_at is not None:
            return f"resolved {when(incident.resolved_at)}"
        return button_form(
            f"{base}/cockpit/incidents/{escape(incident.id)}/retry", "Retry", who.csrf, css="retry"
        )

    return table(
        found,
        (
            ("Activity", lambda n: f"<code>{escape(n.activity_id)}</code>"),
            ("Kind", lambda n: escape(n.kind)),
            ("Message", lambda n: f'<span class="message">{escape(n.message)}</span>'),
            ("Raised", lambda n: when(n.created_at)),
            ("", action),
        ),
        empty="No incidents.",
        css="incidents",
    )


async def instance(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit/instances/{id}`: live diagram, variables, history, incidents, actions."""
    view = await web.context.read(_instance_view, web.manager, request.path_params["id"])
    found: ProcessInstance = view["instance"]
    base = root(request)
    here = f"{base}/cockpit/instances/{escape(found.id)}"
    cancel_form = ""
    if not found.ended:
        cancel_form = (
            f'<form method="post" action="{here}/cancel" class="inline" '
            'data-confirm="Cancel this instance? Its tasks and timers are removed.">'
            f'{csrf_field(who.csrf)}<input name="reason" placeholder="reason (optional)">'
            '<button type="submit" class="danger">Cancel instance</button></form>'
        )
    variables = table(
        sorted(view["variables"].items()),
        (
            ("Name", lambda v: f"<code>{escape(v[0])}</code>"),
            ("Value", lambda v: f'<span class="value">{escape(short_json(v[1], 400))}</span>'),
        ),
        empty="No variables.",
        css="variables",
    )
    if not instance_visible(who.principal, view["tasks"]):
        # As over REST: while an open task names others, its instance's variables are theirs.
        variables = (
            '<p class="empty">Hidden: an open task of this instance is assigned to others.</p>'
        )
    tasks = table(
        [t for t in view["tasks"] if task_visible(who.principal, t)],
        (
            (
                "Task",
                lambda t: (
                    f'<a href="{base}/tasklist/{escape(t.id)}">'
                    f"{escape(t.name or t.activity_id)}</a>"
                ),
            ),
            ("For", lambda t: escape(", ".join(t.candidate_groups) or t.assignee or "anyone")),
            ("Since", lambda t: when(t.created_at)),
        ),
        empty="No open tasks.",
    )
    body = (
        f'<p class="facts">{badge(found.status)} <code>{escape(found.key)}</code> v{found.version}'
        f" · business key {escape(found.business_key or '-')} · model "
        f"{escape(model_name(found) or '-')} · started {when(found.started_at)}"
        f" · ended {when(found.ended_at)} {cancel_form}</p>"
        '<p class="legend"><span class="active">waiting here</span><span class="taken">taken'
        '</span><span class="incident">incident</span></p>'
        f'<div class="diagram" id="diagram" data-refresh="{here}/diagram.svg">{view["svg"]}</div>'
        f"<h2>Incidents</h2>{_incident_rows(request, who, view['incidents'])}"
        f"<h2>Open tasks</h2>{tasks}"
        f"<h2>Variables</h2>{variables}"
        f"<h2>History</h2>{_timeline(view['history'])}"
    )
    title = f"Instance {found.id[:12]}"
    return HTMLResponse(render(request, who, title, body, active="cockpit/instances"))


async def diagram(web: Web, request: Request, _who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit/instances/{id}/diagram.svg`: the live diagram the page refreshes."""
    svg = await web.context.read(web.manager.render, request.path_params["id"])
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


async def cancel(web: Web, request: Request, who: Who, form: dict[str, str]) -> Response:
    """`POST /cockpit/instances/{id}/cancel`."""
    instance_id = request.path_params["id"]
    reason = form.get("reason", "").strip() or f"cancelled in the Cockpit by {who.principal.name}"
    await web.context.write(web.manager.cancel, instance_id, reason)
    if who.session:
        who.session.flash("ok", "The instance was cancelled.")
    return RedirectResponse(f"{root(request)}/cockpit/instances/{instance_id}", 303)


def _retry(manager: LifecycleManager, incident_id: str) -> ProcessInstance:
    return manager.retry(incident_id)


async def retry(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`POST /cockpit/incidents/{id}/retry`: run the failed job again."""
    incident_id = request.path_params["id"]
    match = await web.context.read(
        web.manager.find_incidents, IncidentQuery(incident_id=incident_id), Page(limit=1)
    )
    if not match:
        raise IncidentNotFoundError(incident_id)
    after = await web.context.write(_retry, web.manager, incident_id)
    if who.session:
        still = await web.context.read(web.manager.incidents, instance_id=after.id)
        if still:
            who.session.flash("error", f"Retried; it failed again: {still[0].message}")
        else:
            who.session.flash("ok", f"Retried; the instance is {after.status}.")
    return RedirectResponse(f"{root(request)}/cockpit/instances/{after.id}", 303)


def _signal_form(who: Who, request: Request, name: str = "", variables: str = "") -> str:
    return (
        f'<form method="post" action="{root(request)}/cockpit/signal" class="signal">'
        f'{csrf_field(who.csrf)}<div class="field"><label for="signal-name">Signal name</label>'
        f'<input id="signal-name" name="name" required value="{escape(name)}"></div>'
        '<div class="field"><label for="signal-variables">Variables (a JSON object)</label>'
        f'<textarea id="signal-variables" name="variables" rows="6">{escape(variables)}</textarea>'
        '</div><button type="submit">Send signal</button></form>'
    )


async def signal(web: Web, request: Request, who: Who, form: dict[str, str]) -> Response:
    """`GET|POST /cockpit/signal`: broadcast a signal with variables."""
    title = "Send a signal"
    if request.method == "GET":
        body = _signal_form(who, request)
        return HTMLResponse(render(request, who, title, body, active="cockpit/signal"))
    name = form.get("name", "").strip()
    text = form.get("variables", "").strip()
    try:
        variables = json.loads(text) if text else {}
    except ValueError as err:
        variables, problem = None, f"The variables are not valid JSON: {err}"
    else:
        problem = "" if isinstance(variables, dict) else "The variables must be a JSON object."
    if not name:
        problem = "Give the signal's name."
    if problem:
        body = f'<p class="flash error" role="alert">{escape(problem)}</p>' + _signal_form(
            who, request, name, text
        )
        return HTMLResponse(render(request, who, title, body, active="cockpit/signal"), 400)
    result = await web.context.write(web.manager.signal, name, variables)
    links = [_instance_link(request, i) for i in (*result.started, *result.delivered)]
    summary = (
        f'<p class="flash ok" role="status">Signal <code>{escape(name)}</code> sent: '
        f"{len(result.started)} started, {len(result.delivered)} resumed.</p>"
    )
    body = summary + (f"<p>{' '.join(links)}</p>" if links else "") + _signal_form(who, request)
    return HTMLResponse(render(request, who, title, body, active="cockpit/signal"))


def _kpi_view(manager: LifecycleManager) -> dict[str, Any]:
    keys = sorted({d.key for d in manager.definitions(latest_only=True)})
    return {"all": compute_kpis(manager), "by_key": {k: compute_kpis(manager, key=k) for k in keys}}


async def kpis(web: Web, request: Request, who: Who, _form: dict[str, str]) -> Response:
    """`GET /cockpit/kpis`: time to production, approval lead time and pass rate, as charts."""
    view = await web.context.read(_kpi_view, web.manager)
    overall = view["all"]
    per_key = [
        (key, found.time_to_production.median, duration(found.time_to_production.median))
        for key, found in view["by_key"].items()
        if found.time_to_production is not None
    ]
    body = (
        f'<p class="facts">{overall.instances} instances · {overall.completed} completed · '
        f"{overall.deployments} deployments · {overall.mlc_errors} MLC errors "
        f"({overall.errors_thrown} BPMN errors, {overall.incidents} incidents)</p>"
        '<div class="charts">'
        '<section class="kpi" id="kpi-time-to-production"><h2>Time to production</h2>'
        f"{duration_bars(overall.time_to_production, title='Time to production')}</section>"
        '<section class="kpi" id="kpi-approval"><h2>Approval lead time</h2>'
        f"{duration_bars(overall.approval_lead_time, title='Approval lead time')}</section>"
        '<section class="kpi" id="kpi-pass-rate"><h2>Test pass rate</h2>'
        f"{rate_ring(overall.tests_passed, overall.tests_judged, title='Test pass rate')}</section>"
        '<section class="kpi" id="kpi-by-process"><h2>Median time to production per process</h2>'
        f"{bars(per_key, title='Median time to production per process')}</section></div>"
    )
    return HTMLResponse(render(request, who, "Life-cycle KPIs", body, active="cockpit/kpis"))
