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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from modelop_mlc import diagrams
from modelop_mlc.center import LocalCenter
from modelop_mlc.center.watch import DataFolderWatcher
from modelop_mlc.cli._output import Output, duration, table, when
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.kpis import DurationStats, Kpis, compute_kpis
from modelop_mlc.manager import LifecycleManager
from modelop_mlc.models import HistoryEvent, ProcessInstance
from modelop_mlc.registry import DelegateRegistry
from modelop_mlc.tickets import LocalTickets
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
    with LifecycleManager.open(args.db) as manager:
        yield manager


def parse_vars(pairs: Sequence[str], option: str = "--var") -> dict[str, Any]:
    """Read `NAME=VALUE` pairs; VALUE is JSON when it parses, else text.

    Raises:
        ConfigurationError: If a pair has no `=` or an empty name.
    """
    found: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"{option} '{pair}' must look like NAME=VALUE")
        try:
            found[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            found[name.strip()] = text
    return found


def _files(names: Sequence[str]) -> list[Path]:
    paths = [Path(n) for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigurationError(f"no such file: {', '.join(missing)}")
    return paths


# ------------------------------------------------------------------ definitions


def demo(args: argparse.Namespace, out: Output) -> int:
    """Run the demo (see `modelop_mlc.cli._demo`)."""
    from modelop_mlc.cli._demo import run_demo  # noqa: PLC0415 - only the demo needs it

    return run_demo(Path(args.dir), out)


def deploy(args: argparse.Namespace, out: Output) -> int:
    """Deploy files (or the shipped processes) and list what was deployed."""
    paths = diagrams.paths() if args.shipped else []
    paths += _files(args.files)
    if not paths:
        raise ConfigurationError("name the files to deploy, or pass --shipped")
    with _manager(args) as manager:
        deployment = manager.deploy(
            *paths, name=args.name, check_delegates=not args.no_check_delegates
        )
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
    """List instances."""
    with _manager(args) as manager:
        found = manager.instances(status=args.status, key=args.key, limit=args.limit)
    out.result(found, lambda: table(found, INSTANCE_COLUMNS))
    return 0


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


@dataclass
class HistoryRow:
    """One line of an instance's history: an activity from start to end, or an event."""

    event: HistoryEvent
    ended: datetime | None = None
    outcome: str = ""

    @property
    def took(self) -> float | None:
        """Seconds from start to end, or None while running."""
        return None if self.ended is None else (self.ended - self.event.at).total_seconds()


def history_rows(events: Sequence[HistoryEvent]) -> list[HistoryRow]:
    """Pair activity starts and ends into rows with durations (others are single rows).

    Sequence flows, variable changes and gateways (instant decisions whose outcome is the
    next activity) are left out.
    """
    rows: list[HistoryRow] = []
    open_rows: dict[str, HistoryRow] = {}
    for event in events:
        if event.kind in ("flow_taken", "variable_update") or (event.activity_type or "").endswith(
            "Gateway"
        ):
            continue
        key = event.activity_id or ""
        if event.kind == "activity_start":
            open_rows[key] = HistoryRow(event, outcome="running")
            rows.append(open_rows[key])
        elif event.kind in ("activity_end", "activity_cancel") and key in open_rows:
            row = open_rows.pop(key)
            row.ended = event.at
            row.outcome = "cancelled" if event.kind == "activity_cancel" else "done"
            facts = {k: v for k, v in (event.detail or {}).items() if k != "delegate"}
            if facts:
                row.outcome += " " + ", ".join(f"{k}={v}" for k, v in facts.items())
        else:
            rows.append(HistoryRow(event, outcome=event.kind))
    return rows


def history_table(events: Sequence[HistoryEvent]) -> str:
    """An instance's history as a table: when, what, how long, outcome."""
    return table(
        history_rows(events),
        (
            ("at", lambda r: r.event.at),
            ("activity", lambda r: r.event.activity_name or r.event.activity_id),
            ("type", lambda r: r.event.activity_type),
            ("took", lambda r: duration(r.took) if r.ended else "-"),
            ("outcome", lambda r: r.outcome),
        ),
    )


def show(args: argparse.Namespace, out: Output) -> int:
    """Show an instance: state, variables, history and incidents."""
    with _manager(args) as manager:
        instance = manager.instance(args.instance_id)
        events = manager.history(instance.id)
        found = manager.incidents(instance_id=instance.id, open_only=False)
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
        instance = manager.cancel(args.instance_id, args.reason)
    out.result(instance, lambda: _instance_text(instance))
    return 0


# ------------------------------------------------------------------ user tasks and tickets


def tasks(args: argparse.Namespace, out: Output) -> int:
    """List open user tasks."""
    with _manager(args) as manager:
        found = manager.tasks(
            instance_id=args.instance, assignee=args.assignee, candidate_group=args.group
        )
    out.result(
        found,
        lambda: table(
            found,
            (
                ("id", lambda t: t.id),
                ("task", lambda t: t.name or t.activity_id),
                ("process", lambda t: t.key),
                ("instance", lambda t: t.instance_id),
                ("assignee", lambda t: t.assignee),
                ("groups", lambda t: t.candidate_groups),
            ),
        ),
    )
    return 0


def complete(args: argparse.Namespace, out: Output) -> int:
    """Complete a user task."""
    with _manager(args) as manager:
        instance = manager.complete_task(args.task_id, parse_vars(args.var))
    out.result(instance, lambda: _instance_text(instance))
    return 0


def board(manager: LifecycleManager) -> LocalTickets:
    """The manager's embedded ticket board.

    Raises:
        ConfigurationError: If the manager was given another system as its local board.
    """
    local = manager.tickets.local
    if not isinstance(local, LocalTickets):
        raise ConfigurationError("this command works on the embedded board (LocalTickets) only")
    return local


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
        found = manager.incidents(open_only=not args.all)
    out.result(
        found,
        lambda: table(
            found,
            (
                ("id", lambda n: n.id),
                ("instance", lambda n: n.instance_id),
                ("activity", lambda n: n.activity_id),
                ("message", lambda n: n.message),
                ("at", lambda n: n.created_at),
            ),
        ),
    )
    return 0


def retry(args: argparse.Namespace, out: Output) -> int:
    """Retry an incident's job."""
    with _manager(args) as manager:
        instance = manager.retry(args.incident_id)
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


def kpis(args: argparse.Namespace, out: Output) -> int:
    """Print the life-cycle KPIs."""
    with _manager(args) as manager:
        result = compute_kpis(manager, key=args.key)
    out.result(result.as_dict(), lambda: kpi_text(result))
    return 0


def _stats(stats: DurationStats | None) -> str:
    if stats is None:
        return "-"
    spread = f"min {duration(stats.minimum)}, max {duration(stats.maximum)}, n={stats.count}"
    return f"median {duration(stats.median)} ({spread})"


def kpi_text(result: Kpis) -> str:
    """The KPIs as a small table for people."""
    rate = result.test_pass_rate
    passed = f"{result.tests_passed}/{result.tests_judged}"
    errors = f"{result.errors_thrown} BPMN errors, {result.incidents} incidents"
    rows = [
        ("instances", f"{result.instances} ({result.completed} completed)"),
        ("deployments", str(result.deployments)),
        ("time to production", _stats(result.time_to_production)),
        ("approval lead time", _stats(result.approval_lead_time)),
        ("test pass rate", "-" if rate is None else f"{rate:.0%} ({passed})"),
        ("tests not judged", f"{result.tests_not_judged} (no comparator DMN)"),
        ("MLC errors", f"{result.mlc_errors} ({errors})"),
    ]
    return table(rows, (("kpi", lambda r: r[0]), ("value", lambda r: r[1])))


def serve(args: argparse.Namespace, out: Output) -> int:
    """Serve the REST API and the Cockpit and Tasklist pages until stopped.

    The bearer token comes from `$MLC_API_TOKEN`; people log in to the pages with it.
    """
    from modelop_mlc.rest import PERMISSIONS, Principal, StaticTokens  # noqa: PLC0415 - extra
    from modelop_mlc.web import serve as serve_site  # noqa: PLC0415

    token = os.environ.get("MLC_API_TOKEN")
    if not token and not args.anonymous:
        raise ConfigurationError(
            "set MLC_API_TOKEN to the bearer token clients must send, or pass --anonymous "
            "to serve without authentication (only on a trusted network)"
        )
    groups = frozenset(g.strip() for g in args.groups.split(",") if g.strip())
    auth = StaticTokens({token: Principal("mlc", PERMISSIONS, groups=groups)}) if token else None
    with _manager(args) as manager:
        out.line(f"serving the REST API on http://{args.host}:{args.port}/engine-rest")
        out.line(f"serving the Cockpit and Tasklist on http://{args.host}:{args.port}/cockpit")
        serve_site(manager, host=args.host, port=args.port, auth=auth, allow_anonymous=auth is None)
    return 0
