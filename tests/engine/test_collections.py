"""Cyclic garbage collection paused while a diagram is parsed, and resumed after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from modelop_mlc import validate
from modelop_mlc._engine._collections import collection_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_inside_and_resumes_after_nested_pauses() -> None:
    """Inside nested pauses the collector is off; it is on again once the outer one ends."""
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_host_that_disabled_the_collector_keeps_it_disabled() -> None:
    """A pause never turns on a collector the host turned off."""
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_resumes_when_validation_reports_a_problem() -> None:
    """A refused diagram leaves the collector as it found it."""
    gc.enable()
    report = validate("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>")
    assert not report.ok
    assert gc.isenabled()


def test_the_collector_resumes_when_the_block_raises() -> None:
    """An error inside the pause resumes the collector on the way out."""
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("parse failed")
    assert gc.isenabled()
