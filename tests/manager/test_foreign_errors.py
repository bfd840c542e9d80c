"""Bad input meets the library's own errors, never a foreign exception (issue 25, item 11)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, validate
from modelop_mlc.errors import (
    DiagramError,
    StoreError,
    TaskNotFoundError,
    TaskNotOpenError,
)

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
REVIEW = process(
    START + '<bpmn:userTask id="w" name="Prüfung"/>' + END + chain("start", "w", "end"), pid="p"
)


def test_a_quote_in_a_source_ref_is_a_problem_with_its_line() -> None:
    """`sourceRef="sta'rt"` is reported by validate() and deploy(), not a SyntaxError."""
    broken = process(
        START + '<bpmn:userTask id="w"/>' + END + "\n"
        '<bpmn:sequenceFlow id="f1" sourceRef="sta\'rt" targetRef="w"/>' + chain("w", "end")
    )
    (problem,) = validate(broken).problems
    assert problem.element_id == "f1"
    assert "sourceRef 'sta'rt' names no element" in problem.message
    assert problem.line == 5


@pytest.mark.parametrize(("encoding", "codec"), [("UTF-16", "utf-16"), ("ISO-8859-1", "latin-1")])
def test_a_utf16_or_latin1_file_is_read_alike_by_validate_and_deploy(
    manager: LifecycleManager, encoding: str, codec: str
) -> None:
    """A file in its declared encoding validates, deploys and runs with its text intact."""
    data = REVIEW.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(codec)
    assert validate(data).ok
    manager.deploy(data)
    instance = manager.start("p")
    (task,) = manager.tasks(instance_id=instance.id)
    assert task.name == "Prüfung"


def test_bytes_not_in_the_declared_encoding_are_refused_alike(
    manager: LifecycleManager,
) -> None:
    """Latin-1 bytes in a file declared UTF-8: the same problem from validate() and deploy()."""
    data = REVIEW.encode("latin-1")
    (problem,) = validate(data).problems
    assert "not well-formed XML" in problem.message
    assert problem.line == 4
    with pytest.raises(DiagramError, match="not well-formed XML"):
        manager.deploy(data)


def test_an_unknown_declared_encoding_is_refused() -> None:
    """An encoding Python does not know is named in the problem."""
    data = REVIEW.replace('encoding="UTF-8"', 'encoding="KLINGON-8"').encode()
    (problem,) = validate(data).problems
    assert "unknown encoding 'KLINGON-8'" in problem.message


def test_a_none_task_id_is_not_found(manager: LifecycleManager) -> None:
    """`task(None)` and `complete_task(None)` raise TaskNotFoundError, not any open task."""
    manager.deploy(REVIEW)
    manager.start("p")
    with pytest.raises(TaskNotFoundError):
        manager.task(None)  # type: ignore[arg-type]
    with pytest.raises(TaskNotFoundError):
        manager.complete_task(None)  # type: ignore[arg-type]


def test_opening_a_file_that_is_not_a_database_names_it(tmp_path: Path) -> None:
    """A text file passed as the database gives a StoreError naming the path."""
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(StoreError, match=r"notes.txt. is not a SQLite database"):
        LifecycleManager.open(path)


def _race(manager: LifecycleManager, task_id: str, threads: int) -> list[str]:
    """Complete one task from `threads` threads at once; what each of them got."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def complete() -> None:
        barrier.wait()
        try:
            manager.complete_task(task_id)
        except (TaskNotOpenError, TaskNotFoundError) as err:
            outcomes.append(type(err).__name__)
        else:
            outcomes.append("won")

    running = [threading.Thread(target=complete) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes


def test_the_losers_of_a_completion_race_get_task_not_open(tmp_path: Path) -> None:
    """Four threads complete the same task 20 times: one wins each race, the others get
    TaskNotOpenError (or TaskNotFoundError once it is gone), never a bare ProcessError."""
    manager = LifecycleManager.open(tmp_path / "mlc.db")
    try:
        manager.deploy(REVIEW)
        for _round in range(20):
            instance = manager.start("p")
            (task,) = manager.tasks(instance_id=instance.id)
            outcomes = _race(manager, task.id, 4)
            assert len(outcomes) == 4
            assert outcomes.count("won") == 1
    finally:
        manager.close()
