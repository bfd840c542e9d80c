"""What each `mlc` sub-command does; each returns its exit code."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal as signals
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelop_mlc import diagrams
from modelop_mlc._extras import require
from modelop_mlc.center import LocalCenter
from modelop_mlc.center.watch import DataFolderWatcher
from modelop_mlc.cli._demo import run_demo
from modelop_mlc.cli._demo_mlflow import run_mlflow_demo
from modelop_mlc.cli._ids import full_id
from modelop_mlc.cli._output import (
    Output,
    board,
    history_table,
    kpi_text,
    parse_vars,
    plain,
    table,
    when,
)
from modelop_mlc.errors import ConfigurationError, DiagramError
from modelop_mlc.kpis import compute_kpis
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import ProcessInstance
from modelop_mlc.registry import DelegateRegistry
from modelop_mlc.validation import ValidationReport
from modelop_mlc.validation import validate as validate_file

__all__ = [
    "board",
    "cancel",
    "check",
    "complete",
    "definitions",
    "demo",
    "deploy",
    "incidents",
    "instances",
    "kpis",
    "purge",
    "retry",
    "run",
    "serve",
    "show",
    "signal",
    "start",
    "tasks",
    "ticket_show",
    "ticket_transition",
    "tickets",
    "validate",
]

INSTANCE_COLUMNS = (
    ("id", lambda i: i.id),
    ("process", lambda i: f"{i.key} v{i.version}"),
    ("status", lambda i: i.status),
    ("waiting at", lambda i: i.waiting_at),
    ("started", lambda i: i.started_at),
    ("ended", lambda i: i.ended_at),
)


@contextmanager
def _manager(args: argparse.Namespace) -> Iterator[LifecycleManager]:
    """Open `--db`; only the commands that set `creates` (deploy, serve) create a database."""
    with LifecycleManager.open(args.db, create=getattr(args, "creates", False)) as manager:
        yield manager


def _files(names: Sequence[str]) -> list[Path]:
    paths = [Path(n) for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigurationError(f"no such file: {', '.join(missing)}")
    return paths


# ------------------------------------------------------------------ definitions


def demo(args: argparse.Namespace, out: Output) -> int:
    """Run the demo (see `modelop_mlc.cli._demo` and `_demo_mlflow`)."""
    if getattr(args, "center", "local") == "mlflow":
        return run_mlflow_demo(Path(args.dir), out, tracking_uri=args.tracking_uri)
    return run_demo(Path(args.dir), out, force=args.force)


def deploy(args: argparse.Namespace, out: Output) -> int:
    """Deploy files (or the shipped processes) and list what was deployed."""
    paths = diagrams.paths() if args.shipped else []
    paths += _files(args.files)
    if not paths:
        raise ConfigurationError("name the files to deploy, or pass --shipped")
    with _manager(args) as manager:
        try:
            deployment = manager.deploy(
                *paths, name=args.name, check_delegates=not args.no_check_delegates
            )
        except DiagramError as err:
            if any(p.message.startswith("no delegate is registered") for p in err.problems):
                err.add_note(
                    "If your host application registers these delegates, deploy with "
                    "--no-check-delegates (an instance reaching a task whose delegate is "
                    "still missing gets an incident)."
                )
            raise
    out.result(
        deployment,
        lambda: (
            table(
                deployment.definitions,
                (
                    ("key", lambda d: d.key),
                    ("version", lambda d: d.version),
                    ("name", lambda d: d.name),
                    ("resource", lambda d: d.resource),
                ),
            )
            + ("" if deployment.new else "\n(nothing new: every file was already deployed)")
        ),
    )
    return 0


def validate(args: argparse.Namespace, out: Output) -> int:
    """Check files; exit 1 when any has a problem."""
    reports = [validate_file(path, name=str(path)) for path in _files(args.files)]
    lines = []
    for report in reports:
        status = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        lines.append(f"{report.file}: {status}")
        lines += [f"  error: {p}" for p in report.problems]
        lines += [f"  warning: {w}" for w in report.warnings]
    out.result(reports, "\n".join(lines))
    return 0 if all(r.ok for r in reports) else 1


def _clip(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


ELEMENT_COLUMNS = (
    ("element", lambda e: e.element_id),
    ("type", lambda e: e.element_type),
    ("name", lambda e: _clip(e.name or "-", 30)),
    ("line", lambda e: e.line),
    ("status", lambda e: e.status),
    ("does / why refused", lambda e: "; ".join(e.problems) or e.does),
)


def _check_text(reports: Sequence[ValidationReport]) -> str:
    parts = []
    for report in reports:
        refused = len(report.refused)
        verdict = "deploys" if report.ok else f"refused ({len(report.problems)} problem(s))"
        parts.append(
            f"{report.file} ({report.kind}): {verdict}; {len(report.elements)} elements, "
            f"{len(report.elements) - refused} run, {refused} refused"
        )
        if report.elements:
            parts.append(table(report.elements, ELEMENT_COLUMNS))
        listed = {e.element_id for e in report.elements}
        for problem in report.problems:
            if problem.element_id not in listed:
                parts.append(f"  error: {problem}")
        for element in report.elements:
            parts += [f"  warning: {element.element_id}: {w}" for w in element.warnings]
        parts.append("")
    return "\n".join(parts).rstrip()


def check(args: argparse.Namespace, out: Output) -> int:
    """Print the migration report of files; exit 1 when any element is refused."""
    from modelop_mlc.handlers import register_modelop_delegates  # noqa: PLC0415 - only here

    registry = DelegateRegistry()
    register_modelop_delegates(registry)
    paths = _files(args.files)
    decisions = {d for path in paths for d in validate_file(path, name=str(path)).decisions}
    reports = [
        validate_file(path, name=str(path), registry=registry, decisions=decisions)
        for path in paths
    ]
    out.result(reports, lambda: _check_text(reports))
    return 0 if all(r.ok for r in reports) else 1


def definitions(args: argparse.Namespace, out: Output) -> int:
    """List the deployed process definitions (every version)."""
    with _manager(args) as manager:
        found = manager.definitions()
    out.result(
        found,
        lambda: table(
            found,
            (
                ("key", lambda d: d.key),
                ("version", lambda d: d.version),
                ("name", lambda d: d.name),
                ("starts on", lambda d: [s[2] or s[1] for s in d.start_events]),
            ),
        ),
    )
    return 0


# ------------------------------------------------------------------ instances


def signal(args: argparse.Namespace, out: Output) -> int:
    """Broadcast a signal."""
    with _manager(args) as manager:
        result = manager.signal(args.name, parse_vars(args.var))
    out.result(
        result,
        f"started: {', '.join(result.started) or '-'}\n"
        f"delivered to: {', '.join(result.delivered) or '-'}",
    )
    return 0


def start(args: argparse.Namespace, out: Output) -> int:
    """Start an instance and show where it stands."""
    with _manager(args) as manager:
        instance = manager.start(args.key, parse_vars(args.var), business_key=args.business_key)
    out.result(instance, lambda: _instance_text(instance))
    return 0


def instances(args: argparse.Namespace, out: Output) -> int:
    """List instances, one page."""
    with _manager(args) as manager:
        found = manager.instances(
            status=args.status, key=args.key, limit=args.limit, offset=args.offset
        )
    # A list leaves the variables out unless asked, as Camunda's GET /process-instance does:
    # ModelOp's records (jobs, test results, deployments) make them most of an instance's size.
    listed = [
        {name: value for name, value in plain(instance).items() if name != "variables"}
        for instance in found
    ]
    out.result(
        found if args.variables else listed,
        lambda: table(found, INSTANCE_COLUMNS) + _more(args, found),
    )
    return 0


def _more(args: argparse.Namespace, found: Sequence[Any]) -> str:
    """The line that says how to get the next page, when this one is full."""
    if not found or len(found) < args.limit:
        return ""
    return f"\n(more may follow: --offset {args.offset + args.limit})"


def _instance_text(instance: ProcessInstance) -> str:
    return "\n".join(
        [
            f"instance   {instance.id}",
            f"process    {instance.key} v{instance.version}",
            f"status     {instance.status}",
            f"waiting at {', '.join(instance.waiting_at) or '-'}",
            f"started    {when(instance.started_at)}",
            f"ended      {when(instance.ended_at)}",
        ]
    )


def show(args: argparse.Namespace, out: Output) -> int:
    """Show an instance: state, variables, history and incidents."""
    with _manager(args) as manager:
        instance = manager.instance(full_id(manager, "instances", args.instance_id, "instance"))
        events = manager.history(instance.id, limit=None)
        found = manager.incidents(instance_id=instance.id, open_only=False, limit=None)
        if args.svg:
            svg = manager.render(instance.id)
            try:
                Path(args.svg).write_text(svg, encoding="utf-8")
            except OSError as err:
                raise ConfigurationError(
                    f"cannot write the diagram to {args.svg}: {err.strerror}"
                ) from err

    def text() -> str:
        variables = "\n".join(
            f"  {name} = {_short(value)}" for name, value in sorted(instance.variables.items())
        )
        incidents_text = table(
            found,
            (
                ("id", lambda n: n.id),
                ("at", lambda n: n.activity_id),
                ("message", lambda n: n.message),
                ("resolved", lambda n: n.resolved_at),
            ),
        )
        return (
            f"{_instance_text(instance)}\n\nVARIABLES\n{variables or '  (none)'}"
            f"\n\nHISTORY\n{history_table(events)}\n\nINCIDENTS\n{incidents_text}"
        )

    out.result({"instance": instance, "history": events, "incidents": found}, text)
    return 0


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cancel(args: argparse.Namespace, out: Output) -> int:
    """Cancel an instance."""
    with _manager(args) as manager:
        instance_id = full_id(manager, "instances", args.instance_id, "instance")
        instance = manager.cancel(instance_id, args.reason)
    out.result(instance, lambda: _instance_text(instance))
    return 0


# ------------------------------------------------------------------ user tasks and tickets


def tasks(args: argparse.Namespace, out: Output) -> int:
    """List open user tasks."""
    with _manager(args) as manager:
        instance = args.instance and full_id(manager, "instances", args.instance, "instance")
        found = manager.tasks(
            instance_id=instance,
            assignee=args.assignee,
            candidate_group=args.group,
            limit=args.limit,
            offset=args.offset,
        )
    out.result(
        found,
        lambda: (
            table(
                found,
                (
                    ("id", lambda t: t.id),
                    ("task", lambda t: t.name or t.activity_id),
                    ("process", lambda t: t.key),
                    ("instance", lambda t: t.instance_id),
                    ("assignee", lambda t: t.assignee),
                    ("groups", lambda t: t.candidate_groups),
                ),
            )
            + _more(args, found)
        ),
    )
    return 0


def complete(args: argparse.Namespace, out: Output) -> int:
    """Complete a user task."""
    with _manager(args) as manager:
        task_id = full_id(manager, "user_tasks", args.task_id, "task")
        instance = manager.complete_task(task_id, parse_vars(args.var))
    out.result(instance, lambda: _instance_text(instance))
    return 0


TICKET_COLUMNS = (
    ("key", lambda t: t.key),
    ("status", lambda t: t.status),
    ("kind", lambda t: t.kind),
    ("summary", lambda t: t.summary),
    ("updated", lambda t: t.updated_at),
)


def tickets(args: argparse.Namespace, out: Output) -> int:
    """List the embedded board's tickets."""
    with _manager(args) as manager:
        found = board(manager).list(args.status)
    out.result(found, lambda: table(found, TICKET_COLUMNS))
    return 0


def ticket_show(args: argparse.Namespace, out: Output) -> int:
    """Show one ticket of the embedded board."""
    with _manager(args) as manager:
        local = board(manager)
        ticket = local.get(args.key)
        description = local.description(ticket.key)
    fields = "\n".join(f"  {k}: {v}" for k, v in ticket.fields.items())
    out.result(
        {"ticket": ticket, "description": description},
        f"{ticket.key}  [{ticket.status}]  {ticket.summary}\n{fields}\n\n{description}".replace(
            "\n\n\n", "\n\n"
        ),
    )
    return 0


def ticket_transition(args: argparse.Namespace, out: Output) -> int:
    """Move a ticket; instances waiting for it look again at once."""
    with _manager(args) as manager:
        ticket = board(manager).transition(
            args.key,
            args.status,
            comment=args.comment,
            fields=parse_vars(args.field, "--field") or None,
            author="mlc",
        )
        manager.run_due()
    out.result(ticket, f"{ticket.key} is now {ticket.status}")
    return 0


def incidents(args: argparse.Namespace, out: Output) -> int:
    """List incidents."""
    with _manager(args) as manager:
        found = manager.incidents(open_only=not args.all, limit=args.limit, offset=args.offset)
    out.result(
        found,
        lambda: (
            table(
                found,
                (
                    ("id", lambda n: n.id),
                    ("instance", lambda n: n.instance_id),
                    ("activity", lambda n: n.activity_id),
                    ("message", lambda n: n.message),
                    ("at", lambda n: n.created_at),
                ),
            )
            + _more(args, found)
        ),
    )
    return 0


def retry(args: argparse.Namespace, out: Output) -> int:
    """Retry an incident's job."""
    with _manager(args) as manager:
        instance = manager.retry(full_id(manager, "incidents", args.incident_id, "incident"))
    out.result(instance, lambda: _instance_text(instance))
    return 0


# ------------------------------------------------------------------ running


def run(args: argparse.Namespace, out: Output) -> int:
    """Fire due timers and run due jobs: once, or until Ctrl-C / SIGTERM."""
    with _manager(args) as manager:
        watcher = _watcher(manager, args.watch)
        if args.once:
            landed = watcher.scan() if watcher else []
            count = manager.run_due()
            out.result(
                {"ran": count, "landed": [str(f.path) for f in landed]},
                f"added {len(landed)} file(s); ran {count} timer(s) and job(s)",
            )
            return 0
        stop = threading.Event()
        previous = signals.signal(signals.SIGTERM, lambda *_: stop.set())
        out.line(f"worker {manager.worker_id} running on {args.db}; Ctrl-C to stop")
        if watcher is not None:
            out.line(f"watching {watcher.folder} for labelled data")
            threading.Thread(
                target=_watch, args=(watcher, stop, args.poll), name="mlc-watch", daemon=True
            ).start()
        progress = _Progress(out, manager)
        try:
            manager.run_worker(stop, poll_interval=args.poll, on_progress=progress)
        except KeyboardInterrupt:
            stop.set()
        finally:
            stop.set()
            signals.signal(signals.SIGTERM, previous)
        out.result({"stopped": True}, "worker stopped; leases given back")
    return 0


class _Progress:
    """One line per round of work: what ran, the total, and when the next timer or job is due."""

    def __init__(self, out: Output, manager: LifecycleManager) -> None:
        self.out = out
        self.manager = manager

    def __call__(self, ran: int, total: int) -> None:
        due = self.manager.next_due()
        following = f"; next due {when(due)}" if due else "; nothing scheduled"
        now = when(self.manager.clock.now())
        self.out.line(f"{now}  ran {ran} timer(s)/job(s), {total} in all{following}")


def _watcher(manager: LifecycleManager, folder: str | None) -> DataFolderWatcher | None:
    if folder is None:
        return None
    if not isinstance(manager.center, LocalCenter):
        raise ConfigurationError("--watch adds files to the embedded LocalCenter only")
    return DataFolderWatcher(manager.center, folder)


def _watch(watcher: DataFolderWatcher, stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        try:
            watcher.scan()
        except Exception:  # a bad file must not stop the watching; the log says which
            logging.getLogger("modelop_mlc.cli").exception("scanning %s failed", watcher.folder)


def purge(args: argparse.Namespace, out: Output) -> int:
    """Remove ended instances by age (their KPIs are kept)."""
    with _manager(args) as manager:
        result = manager.purge(
            args.before, key=args.key, archive=args.archive, dry_run=args.dry_run
        )
    verb = "would remove" if args.dry_run else "removed"
    lines = [f"{verb} {result.instances} ended instance(s) with their history"]
    lines += [f"  {definition}: {count}" for definition, count in result.by_definition.items()]
    if result.archive:
        lines.append(f"archived to {result.archive}")
    out.result(result, "\n".join(lines))
    return 0


def kpis(args: argparse.Namespace, out: Output) -> int:
    """Print the life-cycle KPIs."""
    with _manager(args) as manager:
        result = compute_kpis(manager, key=args.key)
    out.result(result.as_dict(), lambda: kpi_text(result))
    return 0


def serve(args: argparse.Namespace, out: Output) -> int:
    """Serve the REST API and the Cockpit and Tasklist pages until stopped.

    The bearer token comes from `$MLC_API_TOKEN`; people log in to the pages with it.
    `$MLC_API_USERS` names a JSON file of users for HTTP Basic auth, and with
    `$MLC_API_TOKEN_SECRET` (32+ bytes) they log in at `POST /gocli/token` for a token that
    the pages take too.
    """
    require("the REST API", "rest", "starlette", "uvicorn")
    from modelop_mlc.rest import (  # noqa: PLC0415 - optional extra
        PERMISSIONS,
        Principal,
        StaticTokens,
        TokenIssuer,
        users_from_file,
    )
    from modelop_mlc.web import serve as serve_site  # noqa: PLC0415

    token = os.environ.get("MLC_API_TOKEN")
    users_file = os.environ.get("MLC_API_USERS")
    secret = os.environ.get("MLC_API_TOKEN_SECRET")
    if not (token or users_file) and not args.anonymous:
        raise ConfigurationError(
            "set MLC_API_TOKEN to the bearer token clients must send (or MLC_API_USERS to a "
            "users file for HTTP Basic auth), or pass --anonymous to serve without "
            "authentication (only on a trusted network)"
        )
    if users_file and not (token or secret):
        raise ConfigurationError(
            "MLC_API_USERS needs MLC_API_TOKEN_SECRET (32+ bytes: users then log in at "
            "/engine-rest/gocli/token, and the Cockpit pages take that token) or MLC_API_TOKEN"
        )
    groups = frozenset(g.strip() for g in args.groups.split(",") if g.strip())
    auth = StaticTokens({token: Principal("mlc", PERMISSIONS, groups=groups)}) if token else None
    users = users_from_file(users_file) if users_file else None
    with _manager(args) as manager:
        tokens = TokenIssuer(users, secret, clock=manager.clock.now) if users and secret else None
        out.line(f"serving the REST API on http://{args.host}:{args.port}/engine-rest")
        out.line(f"serving the Cockpit and Tasklist on http://{args.host}:{args.port}/cockpit")
        serve_site(
            manager,
            host=args.host,
            port=args.port,
            auth=auth,
            allow_anonymous=not (auth or users),
            users=users,
            tokens=tokens,
        )
    return 0
