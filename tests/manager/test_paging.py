"""Listing calls return one page by default; `after=` and `offset=` read the next ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.store.queries import DEFAULT_LIMIT

REVIEW = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="review" name="Review" camunda:candidateGroups="ops"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "review", "end"),
    pid="reviewing",
)
STEPS = process(
    '<bpmn:startEvent id="start"/>'
    + "".join(
        f'<bpmn:scriptTask id="s{n}" scriptFormat="python"><bpmn:script>n = {n}</bpmn:script>'
        "</bpmn:scriptTask>"
        for n in range(40)
    )
    + '<bpmn:userTask id="wait"/><bpmn:endEvent id="end"/>'
    + chain("start", *(f"s{n}" for n in range(40)), "wait", "end"),
    pid="steps",
)


def test_instances_page_by_default_and_after_reads_the_next_page(
    manager: LifecycleManager,
) -> None:
    """130 instances started while the clock stands still: pages of 100 and 30, newest
    first, ties broken by id, no instance twice or missing."""
    manager.deploy(REVIEW)
    started = {manager.start("reviewing").id for _ in range(DEFAULT_LIMIT + 30)}
    first = manager.instances()
    assert len(first) == DEFAULT_LIMIT
    second = manager.instances(after=first[-1])
    assert len(second) == 30
    assert manager.instances(after=second[-1]) == []
    everything = first + second
    assert {i.id for i in everything} == started
    assert [i.id for i in everything] == sorted(started, reverse=True)  # same time: by id
    assert manager.instances(offset=DEFAULT_LIMIT) == second
    assert manager.instances(limit=None) == everything
    assert manager.instances(limit=7, after=first[2]) == first[3:10]


def test_instances_newest_first_as_the_clock_moves(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """Newest first, and a status filter pages the same way."""
    manager.deploy(REVIEW)
    ids = []
    for _ in range(5):
        ids.append(manager.start("reviewing").id)
        clock.advance(timedelta(seconds=1))
    manager.complete_task(manager.tasks(instance_id=ids[1])[0].id)
    assert [i.id for i in manager.instances(limit=2)] == [ids[4], ids[3]]
    running = manager.instances(status="running", limit=2)
    assert [i.id for i in running] == [ids[4], ids[3]]
    assert [i.id for i in manager.instances(status="running", after=running[-1])] == [
        ids[2],
        ids[0],
    ]
    assert [i.id for i in manager.instances(status="completed")] == [ids[1]]


def test_tasks_page_by_default_even_without_a_filter(manager: LifecycleManager) -> None:
    """tasks() returns 100 tasks; the next page follows the last one even after it was
    completed; a candidate group pages the same way."""
    manager.deploy(REVIEW)
    for _ in range(DEFAULT_LIMIT + 5):
        manager.start("reviewing")
    first = manager.tasks()
    assert len(first) == DEFAULT_LIMIT
    manager.complete_task(first[-1].id)  # the cursor's task is gone: paging still works
    rest = manager.tasks(after=first[-1])
    assert len(rest) == 5
    assert {t.id for t in first[:-1] + rest} == {t.id for t in manager.tasks(limit=None)}
    group = manager.tasks(candidate_group="ops", limit=60)
    assert group == first[:60]
    assert manager.tasks(candidate_group="ops", after=group[-1], limit=None) == first[60:-1] + rest
    assert manager.tasks(candidate_group="ops", offset=60, limit=39) == first[60:-1]


def test_history_pages_by_event(manager: LifecycleManager) -> None:
    """An instance's history comes 100 events at a time; `after=` continues exactly."""
    manager.deploy(STEPS)
    instance = manager.start("steps")
    everything = manager.history(instance.id, limit=None)
    assert len(everything) > DEFAULT_LIMIT
    assert manager.history(instance.id) == everything[:DEFAULT_LIMIT]
    pages, after = [], None
    while True:
        page = manager.history(instance.id, limit=7, after=after)
        if not page:
            break
        pages.extend(page)
        after = page[-1]
    assert pages == everything


def test_incidents_page(manager: LifecycleManager) -> None:
    """incidents() pages like the other listings (here: none, and a bad limit)."""
    assert manager.incidents() == []
    assert manager.incidents(open_only=False, limit=None) == []
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        manager.incidents(limit=-1)
    with pytest.raises(ValueError, match="offset must be 0 or more"):
        manager.instances(offset=-5)


def test_instance_counts_are_per_process_and_status(manager: LifecycleManager) -> None:
    """`instance_counts()` gives each process's instances per status, counted by the database."""
    manager.deploy(REVIEW)
    manager.deploy(STEPS)
    ids = [manager.start("reviewing").id for _ in range(3)]
    manager.cancel(ids[0])
    manager.start("steps")
    assert manager.instance_counts() == {
        "reviewing": {"running": 2, "cancelled": 1},
        "steps": {"running": 1},
    }


def test_instance_counts_of_given_processes_stop_counting_ended_ones(
    manager: LifecycleManager,
) -> None:
    """With keys, running instances are counted exactly and ended ones up to `ended_up_to`."""
    manager.deploy(REVIEW)
    manager.deploy(STEPS)
    ids = [manager.start("reviewing").id for _ in range(5)]
    for instance_id in ids[:3]:
        manager.cancel(instance_id)
    assert manager.instance_counts(["reviewing", "steps"], ended_up_to=2) == {
        "reviewing": {"running": 2, "cancelled": 2},
    }
    assert manager.instance_counts(["reviewing"]) == {"reviewing": {"running": 2, "cancelled": 3}}
    assert manager.instance_counts() == {"reviewing": {"running": 2, "cancelled": 3}}
