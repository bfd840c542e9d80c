"""Every self-describing route (`ApiRoute`) of the app, gathered from the resource modules."""

from __future__ import annotations

from modelop_mlc.rest import (
    _definitions,
    _external_tasks,
    _history,
    _instances,
    _jobs,
    _tasks,
)
from modelop_mlc.rest._routing import ApiRoute

__all__ = ["API"]

API: list[ApiRoute] = [
    *_definitions.API,
    *_external_tasks.API,
    *_tasks.API,
    *_instances.API,
    *_history.API,
    *_jobs.API,
]
"""The routes, in no particular order (the app sorts them for matching)."""
