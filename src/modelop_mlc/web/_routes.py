"""The pages' routes: (method, path, handler, permissions: any one grants access)."""

from __future__ import annotations

from collections.abc import Collection

from modelop_mlc.rest import COMPLETE, READ, SIGNAL
from modelop_mlc.web import _cockpit, _tasklist
from modelop_mlc.web._app import Handler

__all__ = ["ROUTES"]

ROUTES: list[tuple[str, str, Handler, Collection[str]]] = [
    ("GET", "/cockpit", _cockpit.definitions, {READ}),
    ("GET", "/cockpit/definitions/{id}", _cockpit.definition, {READ}),
    ("GET", "/cockpit/instances", _cockpit.instances, {READ}),
    ("GET", "/cockpit/instances/{id}", _cockpit.instance, {READ}),
    ("GET", "/cockpit/instances/{id}/diagram.svg", _cockpit.diagram, {READ}),
    ("POST", "/cockpit/instances/{id}/cancel", _cockpit.cancel, {COMPLETE}),
    ("POST", "/cockpit/incidents/{id}/retry", _cockpit.retry, {COMPLETE}),
    ("GET", "/cockpit/signal", _cockpit.signal, {SIGNAL}),
    ("POST", "/cockpit/signal", _cockpit.signal, {SIGNAL}),
    ("GET", "/cockpit/kpis", _cockpit.kpis, {READ}),
    ("GET", "/tasklist", _tasklist.tasks, {READ, COMPLETE}),
    ("GET", "/tasklist/{id}", _tasklist.task, {READ, COMPLETE}),
    ("POST", "/tasklist/{id}/complete", _tasklist.complete, {COMPLETE}),
]
