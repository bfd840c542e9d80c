"""The `mlc` command, run in-process on a real SQLite file (and once as the installed script)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bpmn_xml import chain, flow, process
from cli_support import Mlc
from modelop_mlc import LifecycleManager

APPROVAL = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="approve" name="Approve" camunda:candidateGroups="risk"/>'
    '<bpmn:exclusiveGateway id="gw" default="no"/>'
    '<bpmn:serviceTask id="fail" camunda:class="Boom"/>'
    '<bpmn:endEvent id="end"/>'
    + chain("start", "approve", "gw")
    + flow("yes", "gw", "end", "${approved}")
    + flow("no", "gw", "fail")
    + chain("fail", "end"),
    "approval",
    name="Approval",
)
BROKEN = process('<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start"/>')


def deploy(mlc: Mlc, path: Path) -> Any:
    """Deploy `path`; its `Boom` delegate is not built in, as a host's own would not be."""
    return mlc.json("deploy", "--no-check-delegates", str(path))


@pytest.fixture(name="approval_file")
def _approval_file(tmp_path: Path) -> Path:
    path = tmp_path / "approval.bpmn"
    path.write_text(APPROVAL)
    return path


def test_validate_reports_problems_with_exit_code_1(mlc: Mlc, tmp_path: Path) -> None:
    good = tmp_path / "good.bpmn"
    good.write_text(APPROVAL)
    bad = tmp_path / "bad.bpmn"
    bad.write_text(BROKEN)
    code, out, _ = mlc("validate", str(good))
    assert (code, out.splitlines()[0]) == (0, f"{good}: ok")
    code, out, _ = mlc("validate", str(good), str(bad))
    assert code == 1
    assert f"{bad}: 1 problem(s)" in out
    assert "error: " in out


def test_missing_file_is_a_clear_error_without_traceback(mlc: Mlc) -> None:
    code, out, err = mlc("deploy", "nowhere.bpmn")
    assert code == 1
    assert out == ""
    assert err.strip() == "mlc deploy: no such file: nowhere.bpmn"


def test_usage_errors_exit_2(mlc: Mlc) -> None:
    with pytest.raises(SystemExit) as exc:
        mlc("instances", "--status", "sleeping")
    assert exc.value.code == 2


def test_deploy_start_complete_and_show(mlc: Mlc, approval_file: Path) -> None:
    code, _, err = mlc("deploy", str(approval_file))
    assert code == 1
    assert "no delegate is registered for class 'Boom'" in err
    deployed = deploy(mlc, approval_file)
    assert [(d["key"], d["version"]) for d in deployed["definitions"]] == [("approval", 1)]
    code, out, _ = mlc("deploy", "--no-check-delegates", str(approval_file))
    assert code == 0
    assert "nothing new" in out

    started = mlc.json("start", "approval", "--business-key", "model-7", "--var", "limit=3")
    assert started["waiting_at"] == ["approve"]
    assert started["variables"] == {"limit": 3}
    tasks = mlc.json("tasks", "--group", "risk")
    assert [t["activity_id"] for t in tasks] == ["approve"]

    completed = mlc.json("complete", tasks[0]["id"], "--var", "approved=true")
    assert completed["status"] == "completed"
    code, out, _ = mlc("show", started["id"])
    assert code == 0
    assert "status     completed" in out
    assert "approved = true" in out
    assert "Approve" in out  # the history table names the user task
    listed = mlc.json("instances", "--key", "approval")
    assert [(i["id"], i["status"]) for i in listed] == [(started["id"], "completed")]


def test_incidents_and_kpis(mlc: Mlc, approval_file: Path) -> None:
    deploy(mlc, approval_file)
    started = mlc.json("start", "approval")
    task = mlc.json("tasks", "--instance", started["id"])[0]
    mlc.json("complete", task["id"], "--var", "approved=false")
    code, out, _ = mlc("run", "--once")
    assert code == 0
    incidents = mlc.json("incidents")
    assert [i["activity_id"] for i in incidents] == ["fail"]
    assert "Boom" in incidents[0]["message"]
    kpis = mlc.json("kpis")
    assert kpis["instances"] == 1
    assert kpis["incidents"] == 1
    assert kpis["mlc_errors"] == 1
    code, out, _ = mlc("kpis")
    assert "MLC errors" in out
    assert "1 (0 BPMN errors, 1 incidents)" in out


def test_listings_page_and_say_how_to_get_the_next_page(mlc: Mlc, approval_file: Path) -> None:
    """`--limit` and `--offset` page instances and tasks; a full page names the next offset."""
    deploy(mlc, approval_file)
    started = [mlc.json("start", "approval")["id"] for _ in range(5)]
    first = mlc.json("instances", "--limit", "2")
    second = mlc.json("instances", "--limit", "2", "--offset", "2")
    rest = mlc.json("instances", "--offset", "4")
    assert {i["id"] for i in first + second + rest} == set(started)
    assert len(first + second + rest) == len(started)
    code, out, _ = mlc("instances", "--limit", "2")
    assert code == 0
    assert "(more may follow: --offset 2)" in out
    code, out, _ = mlc("instances", "--offset", "4")
    assert "more may follow" not in out
    assert len(mlc.json("tasks", "--group", "risk", "--limit", "3")) == 3
    with pytest.raises(SystemExit) as refused:
        mlc("tasks", "--limit", "-1")
    assert refused.value.code == 2
    assert "-1 is negative" in mlc.capsys.readouterr().err


def test_purge_removes_ended_instances_and_keeps_the_kpis(
    mlc: Mlc, approval_file: Path, tmp_path: Path
) -> None:
    """`mlc purge --before` removes ended instances (a dry run only counts them); the KPIs
    read the same afterwards."""
    deploy(mlc, approval_file)
    done = mlc.json("start", "approval")
    task = mlc.json("tasks", "--instance", done["id"])[0]
    mlc.json("complete", task["id"], "--var", "approved=true")
    waiting = mlc.json("start", "approval")
    kpis = mlc.json("kpis")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    dry = mlc.json("purge", "--before", tomorrow, "--dry-run")
    assert dry["instances"] == 1
    assert len(mlc.json("instances")) == 2
    archive = tmp_path / "archive.jsonl"
    code, out, _ = mlc("purge", "--before", tomorrow, "--archive", str(archive))
    assert code == 0
    assert "removed 1 ended instance(s)" in out
    assert [i["id"] for i in mlc.json("instances")] == [waiting["id"]]
    assert json.loads(archive.read_text())["instance"]["id"] == done["id"]
    assert mlc.json("kpis") == kpis
    with pytest.raises(SystemExit) as refused:
        mlc("purge", "--before", "yesterday")
    assert refused.value.code == 2
    assert "not an ISO 8601 date" in mlc.capsys.readouterr().err


def test_bad_var_names_the_option(mlc: Mlc, approval_file: Path) -> None:
    deploy(mlc, approval_file)
    code, _, err = mlc("start", "approval", "--var", "novalue")
    assert code == 1
    assert "--var 'novalue' must look like NAME=VALUE" in err


def test_signal_reports_started_instances(mlc: Mlc, tmp_path: Path) -> None:
    path = tmp_path / "signalled.bpmn"
    path.write_text(
        process(
            '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
            '</bpmn:startEvent><bpmn:endEvent id="e"/>' + chain("s", "e"),
            "signalled",
            extra='<bpmn:signal id="sig" name="model_changed"/>',
        )
    )
    mlc("deploy", str(path))
    result = mlc.json("signal", "model_changed", "--var", 'MODEL={"id": "m1"}')
    assert len(result["started"]) == 1
    instance = mlc.json("show", result["started"][0])["instance"]
    assert instance["variables"] == {"MODEL": {"id": "m1"}}


def test_installed_script_runs(tmp_path: Path) -> None:
    """The installed `mlc` script reads a database a host application created."""
    LifecycleManager.open(tmp_path / "x.db").close()
    script = Path(sys.executable).with_name("mlc")
    result = subprocess.run(
        [str(script), "--db", str(tmp_path / "x.db"), "--json", "instances"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`mlc --json ... | head -c1` stops without a traceback."""
    LifecycleManager.open(tmp_path / "x.db").close()
    script = Path(sys.executable).with_name("mlc")
    result = subprocess.run(
        f"{script} --db {tmp_path / 'x.db'} --json definitions | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout == "["
    assert "Traceback" not in result.stderr


def test_run_shows_progress_and_stops_on_sigterm(mlc: Mlc, tmp_path: Path) -> None:
    """`mlc run` prints each round of work and gives its leases back on SIGTERM."""
    path = tmp_path / "notify.bpmn"
    path.write_text(
        process(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="note" '
            'camunda:class="com.modelop.mlc.delegate.modelop.CreateNotification"/>'
            '<bpmn:endEvent id="e"/>' + chain("s", "note", "e"),
            "notify",
        )
    )
    mlc.json("deploy", str(path))
    started = mlc.json("start", "notify", "--var", "MESSAGE=hello")
    assert started["waiting_at"] == ["note"]  # an asynchronous delegate waits for a worker

    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlc")), "--db", str(mlc.db), "run", "--poll", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    lines = [worker.stdout.readline(), worker.stdout.readline()]
    worker.send_signal(signal.SIGTERM)
    rest, errors = worker.communicate(timeout=60)

    assert worker.returncode == 0, errors
    assert lines[0].startswith("worker ")
    assert "ran 1 timer(s)/job(s), 1 in all; nothing scheduled" in lines[1]
    assert "worker stopped; leases given back" in rest
    assert mlc.json("show", started["id"])["instance"]["status"] == "completed"
