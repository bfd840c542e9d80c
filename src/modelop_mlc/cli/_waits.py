"""`mlc jobs` and `mlc timers`: what a worker will run, and when."""

from __future__ import annotations

import argparse
from datetime import datetime

from modelop_mlc.cli._commands import _manager as open_manager
from modelop_mlc.cli._ids import full_id
from modelop_mlc.cli._output import Output, table

__all__ = ["jobs", "timers"]

_ERROR_WIDTH = 60


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _ERROR_WIDTH:
        return text
    return text[: _ERROR_WIDTH - 3] + "..."


def jobs(args: argparse.Namespace, out: Output) -> int:
    """List jobs: asynchronous delegates waiting for a worker, retrying or failed."""
    with open_manager(args) as manager:
        instance = args.instance and full_id(manager, "instances", args.instance, "instance")
        found = manager.store.jobs(instance)
    if args.status:
        found = [j for j in found if j.status == args.status]
    out.result(
        found,
        lambda: table(
            found,
            (
                ("id", lambda j: j.id),
                ("instance", lambda j: j.instance_id),
                ("activity", lambda j: j.activity_name or j.activity_id),
                ("status", lambda j: j.status),
                ("due", lambda j: _at(j.due_at)),
                ("retries left", lambda j: j.retries_left),
                ("worker", lambda j: j.lease_owner),
                ("last error", lambda j: _clip(j.last_error)),
            ),
        ),
    )
    return 0


def timers(args: argparse.Namespace, out: Output) -> int:
    """List timers: instances' timer events and processes' timer start events, soonest first."""
    with open_manager(args) as manager:
        instance = args.instance and full_id(manager, "instances", args.instance, "instance")
        found = manager.store.timers(instance)
        keys = {
            t.definition_id: manager.definition_by_id(t.definition_id).key
            for t in found
            if t.instance_id is None and t.definition_id is not None
        }
    out.result(
        found,
        lambda: table(
            found,
            (
                ("id", lambda t: t.id),
                ("due", lambda t: _at(t.due_at)),
                ("activity", lambda t: t.activity_id),
                ("instance", lambda t: t.instance_id or f"(starts {keys.get(t.definition_id)})"),
            ),
        ),
    )
    return 0
