"""The ports: public signatures name them instead of `Any`, and capabilities are real protocols."""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import modelop_mlc.testing
import modelop_mlc.testing.plugin
from modelop_mlc import DelegateContext, LifecycleManager, ManualClock, registry
from modelop_mlc.center import LocalCenter, RestCenter
from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.handlers.evaluation import model_test_result_eval
from modelop_mlc.ports import (
    CAPABILITIES,
    Decisions,
    ModelOpCenter,
    PendingJobs,
    TicketSystems,
)
from modelop_mlc.testing import DelegateEnvironment
from modelop_mlc.tickets import DocumentStore, LocalTickets, StoreBinding, Tickets

# Where a bare `Any` is the honest type: the value of one process variable (any JSON).
VARIABLE_VALUES = {
    ("DelegateContext.get", "default"),
    ("DelegateContext.get", "return"),
    ("DelegateContext.require", "return"),
    ("InstanceAssert.has_variables", "values"),
}

# Names the annotations of the kit refer to only under TYPE_CHECKING.
_NAMESPACES = (
    "modelop_mlc",
    "modelop_mlc.clock",
    "modelop_mlc.config",
    "modelop_mlc.manager",
    "modelop_mlc.models",
    "modelop_mlc.ports",
    "modelop_mlc.registry",
    "modelop_mlc.testing",
    "modelop_mlc.testing.fakes",
    "modelop_mlc.tickets",
)


def _namespace() -> dict[str, object]:
    names: dict[str, object] = {"pytest": pytest, "Path": Path}
    for module_name in _NAMESPACES:
        module = importlib.import_module(module_name)
        names.update({name: getattr(module, name) for name in module.__all__})
    from importlib.resources.abc import Traversable

    names["Traversable"] = Traversable
    return names


def _misplaced_any(annotation: object) -> list[str]:
    """Where `annotation` holds `Any` other than as a str-keyed mapping's value or `tuple[Any, ...]`."""
    if annotation is Any:
        return ["Any"]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    found: list[str] = []
    for index, arg in enumerate(args):
        if arg is Any:
            str_keyed = origin in (dict, Mapping, types.MappingProxyType) and args[0] is str
            variadic_tuple = origin is tuple and args[1:] == (Ellipsis,)
            callable_result = origin is Callable and index == len(args) - 1
            if str_keyed or variadic_tuple or callable_result:
                continue
            found.append(f"Any inside {annotation}")
        else:
            found.extend(_misplaced_any(arg))
    return found


def _signatures() -> Iterator[tuple[str, Callable[..., object] | type]]:
    """Every public callable of the manager, the registry and the test kit, with its name."""

    def members(cls: type) -> Iterator[tuple[str, Callable[..., object] | type]]:
        yield cls.__name__, cls  # class attributes (dataclass fields)
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") and name not in ("__init__", "__call__"):
                continue
            if isinstance(member, property) and member.fget is not None:
                yield f"{cls.__name__}.{name}", member.fget
            elif inspect.isfunction(member) or inspect.ismethod(member):
                yield f"{cls.__name__}.{name}", member

    yield from members(LifecycleManager)
    for module in (registry, modelop_mlc.testing):
        for name in module.__all__:
            found = getattr(module, name)
            if isinstance(found, type):
                yield from members(found)
            elif callable(found):
                yield name, found
    for name, fixture in vars(modelop_mlc.testing.plugin).items():
        if name.startswith("mlc_") and hasattr(fixture, "_get_wrapped_function"):
            yield f"fixture {name}", fixture._get_wrapped_function()


def test_public_signatures_name_ports_not_any() -> None:
    """No public parameter, return or field of the manager, registry or kit is a bare `Any`."""
    namespace = _namespace()
    wrong: list[str] = []
    checked = 0
    for label, target in _signatures():
        is_typed_dict = isinstance(target, type) and typing.is_typeddict(target)
        if (
            isinstance(target, type)
            and not is_typed_dict
            and not hasattr(target, "__dataclass_fields__")
        ):
            continue
        hints = typing.get_type_hints(target, localns=namespace)
        for parameter, annotation in hints.items():
            checked += 1
            if (label, parameter) in VARIABLE_VALUES:
                continue
            wrong.extend(f"{label} {parameter}: {where}" for where in _misplaced_any(annotation))
    assert checked > 300  # the walk reached the manager, registry, kit and fixtures
    assert wrong == []


def test_the_check_finds_any_where_a_port_belongs() -> None:
    """The walk reports `Any` alone, in a union and in a list, and lets variable dicts pass."""
    assert _misplaced_any(Any) == ["Any"]
    assert _misplaced_any(Any | None) == ["Any inside typing.Any | None"]
    assert _misplaced_any(list[Any]) == ["Any inside list[typing.Any]"]
    assert _misplaced_any(Mapping[str, Any] | None) == []
    assert _misplaced_any(tuple[Any, ...]) == []


def test_the_delegate_context_and_manager_are_typed_with_the_ports() -> None:
    """`DelegateContext`, `LifecycleManager(...)`, `.open()` and the fixtures name the ports."""
    namespace = _namespace()
    context = typing.get_type_hints(DelegateContext)
    assert context["center"] == ModelOpCenter | None
    assert context["tickets"] == TicketSystems | None
    assert context["decisions"] == Decisions | None
    for constructor in (LifecycleManager.__init__, LifecycleManager.open):
        assert typing.get_type_hints(constructor)["center"] == ModelOpCenter | None
    center_fixture = modelop_mlc.testing.plugin.mlc_center._get_wrapped_function()
    assert typing.get_type_hints(center_fixture, localns=namespace)["return"] is ModelOpCenter
    environment = typing.get_type_hints(DelegateEnvironment.__init__, localns=namespace)
    assert environment["decisions"] == Decisions | None


def test_both_centers_implement_the_port_and_the_delegate_capabilities(tmp_path: Path) -> None:
    """`LocalCenter` and `RestCenter` pass `isinstance` for the port and every capability."""
    clock = ManualClock()
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock) as manager:
        local = manager.center
        remote = RestCenter("http://127.0.0.1:9", token="unused")
        for center in (local, remote):
            assert isinstance(center, ModelOpCenter)
            assert all(isinstance(center, capability) for capability in CAPABILITIES)
        assert isinstance(local, PendingJobs)
        assert not isinstance(remote, PendingJobs)  # nothing queued: the worker skips it


class _CountingCenter(LocalCenter):
    """A centre of one's own that queues work: the manager must run its queue."""

    rounds: int = 0

    def run_pending_jobs(self, limit: int | None = None) -> int:
        """Count the rounds, then run the queue as `LocalCenter` does."""
        self.rounds += 1
        return super().run_pending_jobs(limit)


def test_the_manager_runs_the_queue_of_a_center_offering_pending_jobs(tmp_path: Path) -> None:
    """`run_due()` calls `run_pending_jobs` on a centre that implements `PendingJobs`."""
    clock = ManualClock()
    with LifecycleManager.open(tmp_path / "a.db", clock=clock) as probe:
        store = probe.store
        center = _CountingCenter(store, clock)
        with LifecycleManager(store, clock=clock, center=center) as manager:
            assert manager.run_due() == 0
            assert center.rounds == 1


def test_the_manager_runs_without_a_queue_on_a_center_without_pending_jobs(
    tmp_path: Path,
) -> None:
    """A centre without `PendingJobs` (a `RestCenter`) is never asked for its queue."""
    with LifecycleManager.open(
        tmp_path / "mlc.db",
        clock=ManualClock(),
        center=RestCenter("http://127.0.0.1:9", token="unused"),
    ) as manager:
        assert manager.run_due() == 0


class _JournalledBoard(LocalTickets):
    """A ticket system of one's own that keeps its create attempts in the manager's store."""

    bound_to: object = None

    def bind(self, store: DocumentStore, clock: Clock) -> None:
        """Remember where attempts go."""
        self.bound_to = store


def test_tickets_bind_the_remote_systems_that_offer_store_binding(tmp_path: Path) -> None:
    """`Tickets.bind` binds a remote system implementing `StoreBinding`, and only that."""
    clock = ManualClock()
    with LifecycleManager.open(tmp_path / "mlc.db", clock=clock) as manager:
        journalled = _JournalledBoard(manager.store, clock)
        assert isinstance(journalled, StoreBinding)
        assert not isinstance(manager.tickets.local, StoreBinding)
        tickets = Tickets(jira=journalled)
        tickets.bind(manager.store, clock, on_change=manager.wake)
        assert journalled.bound_to is manager.store
        assert isinstance(tickets.local, LocalTickets)
        typed: TicketSystems = tickets  # mypy checks `Tickets` against the port here
        assert typed.system("jira") is journalled


class _NotDmn:
    """Decisions of one's own that answer with something other than a DMN model."""

    def model(self, decision_id: str) -> object:
        """Return a plain object."""
        return {"decision": decision_id}


def test_a_decisions_port_returning_no_dmn_model_is_named_in_the_error() -> None:
    """A `Decisions` whose model is not a `DmnModel` stops the comparator with a clear error."""
    decisions = _NotDmn()
    assert isinstance(decisions, Decisions)
    with DelegateEnvironment(decisions=decisions) as env, pytest.raises(ConfigurationError) as err:
        env.run(
            model_test_result_eval,
            {"MODEL_TEST_RESULT": {"testResults": {"auc": 0.9}}, "DECISION_REF": "comparator"},
        )
    assert "returned a dict for 'comparator'" in str(err.value)
    assert "modelop_mlc.dmn.DmnModel" in str(err.value)
