"""What `mlc` says when something is wrong: one line, exit 1, and never a surprise."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_xml import chain, process
from cli_support import Mlc
from modelop_mlc import DatabaseNotFoundError, LifecycleManager
from modelop_mlc.cli import main

READ_COMMANDS = [
    ["instances"],
    ["definitions"],
    ["show", "1234"],
    ["tasks"],
    ["complete", "1234"],
    ["incidents"],
    ["retry", "1234"],
    ["cancel", "1234"],
    ["jobs"],
    ["timers"],
    ["kpis"],
    ["tickets"],
    ["ticket", "show", "MLC-1"],
    ["signal", "model_changed"],
    ["start", "review"],
    ["run", "--once"],
]
SIGNALLED = process(
    '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
    '</bpmn:startEvent><bpmn:endEvent id="e"/>' + chain("s", "e"),
    "on_batch_job",
    extra='<bpmn:signal id="sig" name="com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB"/>',
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `mlc argv` in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=" ".join)
def test_commands_refuse_a_missing_database_and_create_nothing(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In the wrong folder, a command says where it looked instead of making an empty database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLC_DB", raising=False)
    code, out, err = run(argv, capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"mlc {argv[0]}: no database at {tmp_path / 'mlc.db'} (the default: mlc.db in the "
        "current directory); nothing was created. Pass --db or set $MLC_DB to an existing "
        "database; `mlc deploy` or `mlc demo` create one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_message_names_the_setting_that_chose_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --db or $MLC_DB is named as such, and no folder is made for it."""
    typo = tmp_path / "no-such-folder" / "mlc.db"
    _, _, err = run(["--db", str(typo), "instances"], capsys)
    assert f"no database at {typo} (--db); nothing was created" in err
    monkeypatch.setenv("MLC_DB", str(typo))
    _, _, err = run(["instances"], capsys)
    assert f"no database at {typo} ($MLC_DB); nothing was created" in err
    assert not typo.parent.exists()


def test_deploy_creates_the_database_the_read_commands_then_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlc deploy` is how a database starts; afterwards the read commands work on it."""
    diagram = tmp_path / "signalled.bpmn"
    diagram.write_text(SIGNALLED)
    db = tmp_path / "new" / "mlc.db"
    assert run(["--db", str(db), "deploy", str(diagram)], capsys)[0] == 0
    assert run(["--db", str(db), "instances"], capsys) == (0, "(none)\n", "")


def test_a_file_that_is_not_a_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A text file given as --db is refused in a sentence, not a sqlite3 traceback."""
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 200)
    code, _, err = run(["--db", str(notes), "instances"], capsys)
    assert code == 1
    assert err == (
        f"mlc instances: '{notes}' is not a SQLite database (file is not a database); check "
        "the path, or move the file away and open it again to start a new database there\n"
    )
    assert notes.read_text() == "shopping list\n" * 200


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """With --debug the error propagates (a traceback), wherever --debug is put."""
    with pytest.raises(DatabaseNotFoundError):
        main(["instances", "--db", str(tmp_path / "x.db"), "--debug"])


def test_open_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    """`LifecycleManager.open(..., create=False)` says where it looked and creates nothing."""
    missing = tmp_path / "folder" / "mlc.db"
    with pytest.raises(DatabaseNotFoundError) as caught:
        LifecycleManager.open(missing, create=False)
    assert caught.value.location == str(missing)
    assert str(caught.value) == (
        f"No database at '{missing}'; nothing was created there (open it with create=True "
        "to create one)"
    )
    assert not missing.parent.exists()
    LifecycleManager.open(missing).close()  # the default creates it, folder included
    LifecycleManager.open(missing, create=False).close()


def test_a_relative_path_is_reported_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The location in the error is absolute, so it says which folder was meant."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseNotFoundError) as caught:
        LifecycleManager.open("sqlite:///rel/mlc.db", create=False)
    assert caught.value.location == str(tmp_path / "rel" / "mlc.db")


def test_a_refused_deploy_mentions_no_check_delegates(mlc: Mlc, tmp_path: Path) -> None:
    """A diagram naming the host's own delegates is refused with the option that deploys it."""
    path = tmp_path / "scored.bpmn"
    path.write_text(
        process(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="score" camunda:class="ScoreModel"/>'
            '<bpmn:endEvent id="e"/>' + chain("s", "score", "e"),
            "scored",
        )
    )
    code, out, err = mlc("deploy", str(path))
    assert (code, out) == (1, "")
    assert "no delegate is registered for class 'ScoreModel'" in err
    assert err.rstrip().endswith(
        "If your host application registers these delegates, deploy with "
        "--no-check-delegates (an instance reaching a task whose delegate is still missing "
        "gets an incident)."
    )
    assert mlc("deploy", "--no-check-delegates", str(path))[0] == 0


def test_hints_name_mlc_commands(mlc: Mlc, tmp_path: Path) -> None:
    """Unknown ids point at the `mlc` command that lists the right ones."""
    path = tmp_path / "signalled.bpmn"
    path.write_text(SIGNALLED)
    mlc("deploy", str(path))
    _, _, err = mlc("complete", "no-such-task")
    assert "list open tasks with `mlc tasks`" in err
    _, _, err = mlc("retry", "no-such-incident")
    assert "list them with `mlc incidents`" in err


def test_a_failed_job_says_to_run_mlc_retry(mlc: Mlc, tmp_path: Path) -> None:
    """An incident's message names the `mlc retry` command that resumes it."""
    path = tmp_path / "boom.bpmn"
    path.write_text(
        process(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="explode" camunda:class="Boom" '
            'camunda:asyncBefore="true"/><bpmn:endEvent id="e"/>' + chain("s", "explode", "e"),
            "boom",
        )
    )
    assert mlc("deploy", "--no-check-delegates", str(path))[0] == 0
    mlc("start", "boom")
    mlc("run", "--once")
    (incident,) = mlc.json("incidents")
    assert incident["message"].endswith(
        "fix the cause, then run `mlc retry <incident id>` (manager.retry(incident_id))"
    )


def test_a_signal_nobody_hears_prints_the_close_deployed_names(mlc: Mlc, tmp_path: Path) -> None:
    """ModelOp's short signal name starts nothing, and `mlc` says which full name was meant."""
    path = tmp_path / "signalled.bpmn"
    path.write_text(SIGNALLED)
    mlc("deploy", str(path))
    code, out, err = mlc("signal", "Signals_DEPLOYED_BATCH_JOB")
    assert (code, out) == (0, "started: -\ndelivered to: -\n")
    assert err == (
        "warning: signal 'Signals_DEPLOYED_BATCH_JOB' started no process and reached no "
        "waiting instance; did you mean "
        "'com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB'?\n"
    )
    code, out, err = mlc("signal", "com.modelop.mlc.definitions.Signals_DEPLOYED_BATCH_JOB")
    assert (code, err) == (0, "")
    assert out.startswith("started: ")
    assert out != "started: -\ndelivered to: -\n"
