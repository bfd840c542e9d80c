"""`mlc` options and look-ups: global options anywhere, short ids, jobs, timers, help texts."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from cli_support import Mlc
from modelop_mlc.cli import build_parser, main

WAITING = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="approve" name="Approve" camunda:candidateGroups="risk"/>'
    '<bpmn:endEvent id="end"/>' + chain("start", "approve", "end"),
    "waiting",
)
SCHEDULED = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:serviceTask id="notify" name="Notify" '
    'camunda:class="com.modelop.mlc.delegate.modelop.CreateNotification"/>'
    '<bpmn:intermediateCatchEvent id="later" name="Three days later"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:endEvent id="end"/>' + chain("start", "notify", "later", "end"),
    "scheduled",
)


def deployed(mlc: Mlc, tmp_path: Path, xml: str, name: str) -> None:
    """Deploy `xml` as `name`.bpmn."""
    path = tmp_path / f"{name}.bpmn"
    path.write_text(xml)
    assert mlc("deploy", str(path))[0] == 0


def test_global_options_work_after_the_command(
    mlc: Mlc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json`, `--db` and `--debug` are read before or after the command, also nested ones."""
    deployed(mlc, tmp_path, WAITING, "waiting")
    started = mlc.json("start", "waiting")
    assert main(["instances", "--json", "--db", str(mlc.db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in listed] == [started["id"]]
    assert main(["--db", str(mlc.db), "tasks", "--group", "risk", "--json", "--debug"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["activity_id"] == "approve"
    assert main(["ticket", "show", "MLC-9", "--db", str(mlc.db)]) == 1
    assert "MLC-9" in capsys.readouterr().err
    # A value given on both sides: the one after the command wins, as it is read last.
    assert main(["--db", str(tmp_path / "none.db"), "instances", "--db", str(mlc.db)]) == 0


def test_every_command_has_a_description_and_the_global_options() -> None:
    """Each sub-command's --help says what it does and lists --db, --json and --debug."""

    def commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found += [child, *commands(child)]
        return found

    every = commands(build_parser())
    assert len(every) > 20
    for command in every:
        text = command.format_help()
        assert command.description, command.prog
        assert command.description in " ".join(text.split()), command.prog
        assert all(option in text for option in ("--db", "--json", "--debug")), command.prog


def test_short_ids_find_instances_tasks_and_incidents(mlc: Mlc, tmp_path: Path) -> None:
    """A unique start of an id is enough for show, tasks, complete, cancel and retry."""
    deployed(mlc, tmp_path, WAITING, "waiting")
    first = mlc.json("start", "waiting")["id"]
    second = mlc.json("start", "waiting")["id"]
    code, out, _ = mlc("show", first[:8])
    assert code == 0
    assert f"instance   {first}" in out
    (task,) = mlc.json("tasks", "--instance", first[:8])
    assert mlc.json("complete", task["id"][:8])["status"] == "completed"
    assert mlc.json("cancel", second[:8], "--reason", "short ids")["status"] == "cancelled"


def test_an_ambiguous_short_id_lists_the_matches(mlc: Mlc, tmp_path: Path) -> None:
    """A prefix shared by several ids is refused with the ids it starts."""
    deployed(mlc, tmp_path, WAITING, "waiting")
    ids: dict[str, list[str]] = {}
    while not any(len(same) > 1 for same in ids.values()):  # 17 starts at most: 16 hex digits
        started = mlc.json("start", "waiting")["id"]
        ids.setdefault(started[0], []).append(started)
    prefix, matches = next((k, v) for k, v in ids.items() if len(v) > 1)
    code, out, err = mlc("show", prefix)
    assert (code, out) == (1, "")
    assert err == (
        f"mlc show: '{prefix}' is the start of several instance ids: "
        f"{', '.join(sorted(matches))}; give more of the id\n"
    )
    code, _, err = mlc("show", "zz")
    assert (code, err) == (1, "mlc show: No process instance with id 'zz'\n")


def test_jobs_and_timers_list_what_a_worker_will_run(mlc: Mlc, tmp_path: Path) -> None:
    """`mlc jobs` shows the asynchronous delegate waiting for a worker, `mlc timers` the wait."""
    deployed(mlc, tmp_path, SCHEDULED, "scheduled")
    started = mlc.json("start", "scheduled", "--var", "MESSAGE=hello")
    (job,) = mlc.json("jobs")
    assert (job["instance_id"], job["activity_id"], job["status"]) == (
        started["id"],
        "notify",
        "pending",
    )
    code, out, _ = mlc("jobs", "--instance", started["id"][:8])
    assert code == 0
    assert out.splitlines()[0].split() == [
        "ID", "INSTANCE", "ACTIVITY", "STATUS", "DUE", "RETRIES", "LEFT", "WORKER", "LAST", "ERROR"
    ]  # fmt: skip
    assert "Notify" in out
    assert mlc.json("timers") == []
    mlc("run", "--once")
    assert mlc.json("jobs", "--status", "pending") == []
    (timer,) = mlc.json("timers", "--instance", started["id"])
    assert (timer["instance_id"], timer["activity_id"]) == (started["id"], "later")
    code, out, _ = mlc("timers")
    assert out.splitlines()[1].split()[3:] == ["later", started["id"]]


def test_python_m_runs_the_command(tmp_path: Path) -> None:
    """`python -m modelop_mlc.cli` is `mlc` where the script is not on PATH."""
    done = subprocess.run(
        [sys.executable, "-m", "modelop_mlc.cli", "--db", str(tmp_path / "x.db"), "jobs"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"mlc jobs: no database at {tmp_path / 'x.db'} (--db)")
