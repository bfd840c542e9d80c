"""A signal nobody hears returns its empty result and warns, naming the deployed look-alikes."""

from __future__ import annotations

import logging

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, SignalResult
from modelop_mlc.center import LocalCenter
from modelop_mlc.manager._unheard import close_names, unheard_message

FULL = "com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB"


def listening(name: str, pid: str = "listener") -> str:
    """A process started by signal `name`."""
    return process(
        '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
        '</bpmn:startEvent><bpmn:endEvent id="e"/>' + chain("s", "e"),
        pid,
        extra=f'<bpmn:signal id="sig" name="{name}"/>',
    )


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings `modelop_mlc` logged."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "modelop_mlc" and r.levelno == logging.WARNING
    ]


def test_modelops_short_name_warns_with_the_full_one(
    manager: LifecycleManager, caplog: pytest.LogCaptureFixture
) -> None:
    """The short name starts nothing; the warning names the full name that would have."""
    manager.deploy(listening(FULL))
    with caplog.at_level(logging.WARNING, logger="modelop_mlc"):
        result = manager.signal("Signals_DEPLOYED_BATCH_JOB")
    assert result == SignalResult(started=(), delivered=())
    assert warnings(caplog) == [
        (
            "signal 'Signals_DEPLOYED_BATCH_JOB' started no process and reached no waiting "
            f"instance; did you mean '{FULL}'?"
        )
    ]


def test_a_heard_signal_does_not_warn(
    manager: LifecycleManager, caplog: pytest.LogCaptureFixture
) -> None:
    """A signal that starts a process is quiet."""
    manager.deploy(listening(FULL))
    with caplog.at_level(logging.WARNING, logger="modelop_mlc"):
        assert len(manager.signal(FULL).started) == 1
    assert warnings(caplog) == []


def test_the_centers_own_reports_do_not_warn(
    manager: LifecycleManager, caplog: pytest.LogCaptureFixture
) -> None:
    """LocalCenter's signals (a snapshot created) are notices: nobody listening is no mistake."""
    center = manager.center
    assert isinstance(center, LocalCenter)
    with caplog.at_level(logging.WARNING, logger="modelop_mlc"):
        model = center.register_model("m", source="# modelop.score\ndef f(x):\n    return x\n")
        center.create_deployable_model(model.id)
    assert warnings(caplog) == []


def test_close_names_cover_case_package_and_typos() -> None:
    """Look-alikes differ in case, in the package prefix, or by a few letters."""
    known = [FULL, "com.modelop.mlc.definitions.Signals_deployable_model_changed", "unrelated"]
    assert close_names("signals_deployed_batch_job", known) == [FULL]
    assert close_names("Signals_deployable_model_chnaged", known) == [known[1]]
    assert close_names("something else", known) == []


def test_the_message_lists_what_is_deployed_when_nothing_is_close() -> None:
    """Without a look-alike the warning lists what deployed processes listen for."""
    assert unheard_message("signal", "x", []) == (
        "signal 'x' started no process and reached no waiting instance: nothing deployed "
        "listens for any signal"
    )
    assert unheard_message("signal", "zzz", ["a1", "b2"]) == (
        "signal 'zzz' started no process and reached no waiting instance; deployed processes "
        "listen for: a1, b2"
    )
    assert unheard_message("signal", "a1", ["a1"]) is None
