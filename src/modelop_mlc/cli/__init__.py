"""The `mlc` command: deploy, start, signal, inspect and drive MLC processes from a terminal.

Exit codes scripts can trust: 0 success, 1 the library refused or failed (the message says why
and what to do), 2 bad usage, 130 interrupted, 141 the reader of the output went away. Errors
print as one line without a traceback unless `--debug` is given. The global options (`--db`,
`--json`, `--debug`) go anywhere on the command line, before or after the command.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from modelop_mlc.cli import _commands, _templates, _waits
from modelop_mlc.cli._output import Output
from modelop_mlc.errors import DatabaseNotFoundError, MlcError
from modelop_mlc.store.queries import DEFAULT_LIMIT

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def _var_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var",
        "-v",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable; VALUE is read as JSON when it parses (42, true, {...}), else as text",
    )


def _global_options(parser: argparse.ArgumentParser, *, on_command: bool) -> None:
    """Add `--db`, `--json` and `--debug` (those a command does not define itself)."""
    # On a sub-command the defaults are SUPPRESS, so `mlc --json instances` keeps the
    # top-level value while `mlc instances --json` sets it from the sub-command's parser.
    db: str | None = argparse.SUPPRESS if on_command else None
    flag: str | bool = argparse.SUPPRESS if on_command else False
    options: list[tuple[str, dict[str, Any]]] = [
        (
            "--db",
            {
                "default": db,
                "help": "database: a SQLite file, sqlite:///path or postgresql://... "
                "(default: $MLC_DB, else mlc.db)",
            },
        ),
        ("--json", {"action": "store_true", "default": flag, "help": "print JSON for scripts"}),
        (
            "--debug",
            {"action": "store_true", "default": flag, "help": "log verbosely, show tracebacks"},
        ),
    ]
    for name, settings in options:
        if name not in parser._option_string_actions:
            parser.add_argument(name, **settings)


def _commands_of(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[argparse.ArgumentParser, str | None]]:
    """Every sub-command's parser (nested ones too) with its one-line help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, child in action.choices.items():
                yield child, helps.get(name)
                yield from _commands_of(child)


def _finish(parser: argparse.ArgumentParser) -> None:
    """Give every sub-command the global options and a description (its help, as a sentence)."""
    for child, summary in _commands_of(parser):
        _global_options(child, on_command=True)
        if child.description is None and summary:
            child.description = summary[0].upper() + summary[1:] + "."


def _page_options(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument(
        "--limit", type=_count, default=default, help=f"at most this many ({default})"
    )
    parser.add_argument(
        "--offset", type=_count, default=0, help="skip this many first: the next page"
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; use 0 or more")
    return value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO 8601 date, e.g. 2025-01-01 or 2025-01-01T12:00:00+00:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `mlc` (one sub-command per action)."""
    parser = argparse.ArgumentParser(
        prog="mlc",
        description="Govern machine-learning models with BPMN: run ModelOp-style MLC processes.",
        epilog="The options above also work after the command: mlc instances --json.",
    )
    _global_options(parser, on_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser("demo", help="run the demo: a model from snapshot to production")
    demo.add_argument("--dir", default=".mlc-demo", help="where the demo database goes")
    demo.add_argument(
        "--force", action="store_true", help="replace the database of an earlier demo in --dir"
    )
    demo.add_argument(
        "--center",
        choices=["local", "mlflow"],
        default="local",
        help="the model centre: the embedded LocalCenter, or an MLflow registry",
    )
    demo.add_argument(
        "--tracking-uri",
        help="with --center mlflow: an MLflow server to use (default: start one in --dir)",
    )
    demo.set_defaults(run=_commands.demo)

    deploy = sub.add_parser("deploy", help="deploy BPMN/DMN files (or --shipped)")
    deploy.add_argument("files", nargs="*", help=".bpmn and .dmn files")
    deploy.add_argument("--shipped", action="store_true", help="deploy the shipped processes")
    deploy.add_argument("--name", help="the deployment name")
    deploy.add_argument(
        "--no-check-delegates",
        action="store_true",
        help="do not refuse service tasks whose delegate is not built in (your host "
        "application registers them)",
    )
    deploy.set_defaults(run=_commands.deploy, creates=True)

    validate = sub.add_parser("validate", help="check BPMN/DMN files without deploying them")
    validate.add_argument("files", nargs="+", help=".bpmn and .dmn files")
    validate.set_defaults(run=_commands.validate)

    check = sub.add_parser(
        "check",
        help="migration report: per element of BPMN/DMN files, what runs and what is refused",
    )
    check.add_argument("files", nargs="+", help=".bpmn and .dmn files")
    check.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for scripts"
    )
    check.set_defaults(run=_commands.check)

    definitions = sub.add_parser("definitions", help="list deployed process definitions")
    definitions.set_defaults(run=_commands.definitions)

    signal = sub.add_parser("signal", help="broadcast a signal (starts and resumes instances)")
    signal.add_argument("name", help="the signal name")
    _var_option(signal)
    signal.set_defaults(run=_commands.signal)

    start = sub.add_parser("start", help="start an instance of a process")
    start.add_argument("key", help="the process key (its BPMN id)")
    start.add_argument("--business-key", help="a business key")
    _var_option(start)
    start.set_defaults(run=_commands.start)

    instances = sub.add_parser("instances", help="list instances, newest first")
    instances.add_argument("--status", choices=("running", "completed", "cancelled", "incident"))
    instances.add_argument("--key", help="only this process")
    _page_options(instances, 50)
    instances.add_argument(
        "--variables",
        action="store_true",
        help="with --json, each instance's variables too (`mlc show ID` prints one's)",
    )
    instances.set_defaults(run=_commands.instances)

    show = sub.add_parser("show", help="an instance: state, variables, history, incidents")
    show.add_argument("instance_id")
    show.add_argument(
        "--svg", metavar="FILE", help="also write the diagram, marked with the state, to FILE"
    )
    show.set_defaults(run=_commands.show)

    tasks = sub.add_parser("tasks", help="list open user tasks")
    tasks.add_argument("--instance", help="of this instance")
    tasks.add_argument("--assignee", help="assigned to this user")
    tasks.add_argument("--group", help="for this candidate group")
    _page_options(tasks, DEFAULT_LIMIT)
    tasks.set_defaults(run=_commands.tasks)

    complete = sub.add_parser("complete", help="complete a user task")
    complete.add_argument("task_id")
    _var_option(complete)
    complete.set_defaults(run=_commands.complete)

    tickets = sub.add_parser("tickets", help="list tickets on the embedded board")
    tickets.add_argument("--status", help="only this status (To Do, In Review, Done, Rejected)")
    tickets.set_defaults(run=_commands.tickets)

    ticket = sub.add_parser("ticket", help="act on a ticket of the embedded board")
    ticket_sub = ticket.add_subparsers(dest="ticket_command", metavar="ACTION", required=True)
    ticket_show = ticket_sub.add_parser("show", help="a ticket with its description")
    ticket_show.add_argument("key")
    ticket_show.set_defaults(run=_commands.ticket_show)
    transition = ticket_sub.add_parser("transition", help="move a ticket to a status")
    transition.add_argument("key", help="the ticket key, e.g. MLC-1")
    transition.add_argument("status", help="To Do, In Review, Done or Rejected")
    transition.add_argument("--comment", help="a comment to add")
    transition.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='a field to set, e.g. --field "Expiration Date=2027-06-30"',
    )
    transition.set_defaults(run=_commands.ticket_transition)

    incidents = sub.add_parser("incidents", help="list open incidents")
    incidents.add_argument("--all", action="store_true", help="resolved ones too")
    _page_options(incidents, DEFAULT_LIMIT)
    incidents.set_defaults(run=_commands.incidents)

    jobs = sub.add_parser("jobs", help="list jobs: delegates waiting for a worker or failed")
    jobs.add_argument("--instance", help="of this instance")
    jobs.add_argument("--status", help="only this status (pending, failed, ...)")
    jobs.set_defaults(run=_waits.jobs)

    timers = sub.add_parser("timers", help="list timers, soonest first")
    timers.add_argument("--instance", help="of this instance")
    timers.set_defaults(run=_waits.timers)

    retry = sub.add_parser("retry", help="retry the failed job of an incident")
    retry.add_argument("incident_id")
    retry.set_defaults(run=_commands.retry)

    cancel = sub.add_parser("cancel", help="cancel a running instance")
    cancel.add_argument("instance_id")
    cancel.add_argument("--reason", help="why")
    cancel.set_defaults(run=_commands.cancel)

    run = sub.add_parser("run", help="a worker: fire timers and run jobs until stopped")
    run.add_argument("--once", action="store_true", help="run what is due now, then exit")
    run.add_argument("--poll", type=float, default=1.0, help="seconds between looks when idle (1)")
    run.add_argument(
        "--watch",
        metavar="DIR",
        help="also add files landing in DIR/<model>/<training|test>/ as labelled data",
    )
    run.set_defaults(run=_commands.run)

    purge = sub.add_parser(
        "purge",
        help="remove ended instances and their history by age (camunda:historyTimeToLive)",
    )
    purge.add_argument(
        "--before",
        type=_moment,
        metavar="DATE",
        help="also remove instances (of processes without a time to live) that ended before "
        "DATE (ISO 8601, e.g. 2025-01-01 or 2025-01-01T00:00:00+00:00; UTC if no zone)",
    )
    purge.add_argument("--key", help="only instances of this process")
    purge.add_argument("--archive", metavar="FILE", help="append them to this JSON Lines file")
    purge.add_argument("--dry-run", action="store_true", help="count only; remove nothing")
    purge.set_defaults(run=_commands.purge)

    kpis = sub.add_parser("kpis", help="life-cycle KPIs computed from history")
    kpis.add_argument("--key", help="only this process")
    kpis.set_defaults(run=_commands.kpis)

    serve = sub.add_parser(
        "serve", help="serve the REST API (Camunda 7 compatible) and the Cockpit pages"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--anonymous", action="store_true", help="no authentication (trusted networks only)"
    )
    serve.add_argument(
        "--groups",
        default="",
        help="the token user's groups, comma-separated: the Tasklist shows their tasks",
    )
    serve.set_defaults(run=_commands.serve, creates=True)

    _templates.add_command(sub)
    _finish(parser)
    return parser


def _database(args: argparse.Namespace) -> str:
    """Where the database is, and (for messages) which setting said so."""
    if args.db is not None:
        return "--db"
    if os.environ.get("MLC_DB"):
        args.db = os.environ["MLC_DB"]
        return "$MLC_DB"
    args.db = "mlc.db"
    return "the default: mlc.db in the current directory"


def _message(err: BaseException, origin: str) -> str:
    """The one-line (plus notes) message for a refused command."""
    if isinstance(err, DatabaseNotFoundError):
        return (
            f"no database at {err.location} ({origin}); nothing was created. Pass --db or set "
            "$MLC_DB to an existing database; `mlc deploy` or `mlc demo` create one"
        )
    if not isinstance(err, MlcError | ValueError | OSError):
        return (
            f"unexpected {type(err).__name__}: {err} (a bug in modelop_mlc: run again with "
            "--debug for the traceback and report it)"
        )
    return "\n".join([str(err), *getattr(err, "__notes__", ())])


@contextmanager
def _logging(debug: bool) -> Iterator[None]:
    """Print the library's warnings (a signal nobody heard) on stderr; everything with --debug."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        yield
        return
    logger = logging.getLogger("modelop_mlc")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `mlc` with `argv` (default: the command line); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    origin = _database(args)
    out = Output(as_json=args.json)
    with _logging(args.debug):
        try:
            code: int = args.run(args, out)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            # The reader went away (`mlc --json instances | head`): stop quietly, as Unix tools
            # do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_BROKEN_PIPE
        except Exception as err:  # every failure is one message; --debug shows the traceback
            if args.debug:
                raise
            sys.stderr.write(f"mlc {args.command}: {_message(err, origin)}\n")
            return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
