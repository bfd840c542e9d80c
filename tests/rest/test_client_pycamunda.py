"""pycamunda 0.6.1 makes every call it has for our routes, unchanged, over HTTP with Basic auth."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from modelop_mlc import LifecycleManager, ManualClock
from rest.clients_support import AUTH, REVIEW, camunda_operations, served

pycamunda = pytest.importorskip("pycamunda")
from pycamunda import (  # noqa: E402
    deployment,
    externaltask,
    incident,
    message,
    processdef,
    processinst,
    signal,
    task,
    variable,
    version,
)

BASIC = requests.auth.HTTPBasicAuth(*AUTH)
_URL = re.compile(r"super\(\)\.__init__\(url=url \+ URL_SUFFIX(.*?)\)", re.DOTALL)
_METHOD = re.compile(r"RequestMethod\.(\w+)")


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def pycamunda_operations() -> set[tuple[str, str]]:
    """(method, path template) of every request class pycamunda has, read from its source.

    Each class builds its URL as `url + URL_SUFFIX + '/{id}/...'` and names its method as
    `RequestMethod.X`; path parameters are normalised to `{}`.
    """
    found = set()
    for info in pkgutil.iter_modules(pycamunda.__path__):
        module = importlib.import_module(f"pycamunda.{info.name}")
        source = inspect.getsource(module)
        for node in ast.parse(source).body:
            text = ast.get_source_segment(source, node) or ""
            url, method = _URL.search(text), _METHOD.search(text)
            if isinstance(node, ast.ClassDef) and url and method:
                path = module.URL_SUFFIX + "".join(re.findall(r"'([^']*)'", url.group(1)))
                found.add((method.group(1), _template(path)))
    return found


def _send(request: Any) -> Any:
    request.auth = BASIC
    return request()


def test_pycamunda_drives_deployments_instances_tasks_external_tasks_and_incidents(
    manager: LifecycleManager, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pycamunda request for a route we serve gets Camunda's answer."""
    # A few pycamunda requests (externaltask.Count) ignore `.auth`; requests then falls back
    # to ~/.netrc, as it would for a user of the stock client.
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {AUTH[0]} password {AUTH[1]}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with served(manager) as app:
        url = app.url
        assert _send(version.Get(url)).startswith("7.")

        # ------------------------------------------------------------ repository
        create = deployment.Create(url, name="review", enable_duplicate_filtering=True)
        diagram = tmp_path / "review.bpmn"
        diagram.write_text(REVIEW)
        with diagram.open("rb") as stream:
            create.add_resource(stream)
            created = _send(create)
        assert [d.key for d in created.deployed_process_definitions.values()] == ["review"]
        assert _send(deployment.Get(url, id_=created.id_)).name == "review"
        assert created.id_ in [d.id_ for d in _send(deployment.GetList(url, name="review"))]
        [resource] = _send(deployment.GetResources(url, id_=created.id_))
        found = _send(deployment.GetResource(url, id_=created.id_, resource_id=resource.id_))
        assert found.name == "review.bpmn"
        binary = _send(
            deployment.GetResource(url, id_=created.id_, resource_id=resource.id_, binary=True)
        )
        assert b"approve" in binary

        [review] = _send(processdef.GetList(url, key="review", latest_version=True))
        assert review.version == 2
        assert _send(processdef.Count(url, key="review")) == 2
        assert _send(processdef.Get(url, id_=review.id_)).key == "review"
        assert _send(processdef.Get(url, key="review")).id_ == review.id_
        assert "approve" in _send(processdef.GetXML(url, id_=review.id_))
        assert "approve" in _send(processdef.GetXML(url, key="review"))

        # ------------------------------------------------------------ instances
        start = processdef.StartInstance(url, key="review", business_key="order-1")
        start.add_variable("amount", 250)
        first = _send(start)
        second = _send(processdef.StartInstance(url, id_=review.id_, business_key="order-2"))
        stats = {s.id_: s.instances for s in _send(processdef.GetProcessInstanceStats(url))}
        assert stats[review.id_] == 2
        _send(signal.EventAll(url, name="wake-up"))
        assert [
            i.business_key for i in _send(processinst.GetList(url, business_key="order-1"))
        ] == ["order-1"]
        assert _send(processinst.Get(url, id_=first.id_)).definition_id == review.id_
        tree = _send(processinst.GetActivityInstance(url, id_=first.id_))
        assert [c.activity_id for c in tree.child_activity_instances] == ["approve"]
        update = processinst.VariablesUpdate(
            url, process_instance_id=first.id_, var_name="note", value="urgent"
        )
        _send(update)
        note = _send(processinst.VariablesGet(url, process_instance_id=first.id_, var_name="note"))
        assert note.value == "urgent"
        assert (
            _send(processinst.VariablesGetList(url, process_instance_id=first.id_))["amount"].value
            == 250
        )
        modify = processinst.VariablesModify(url, process_instance_id=first.id_, deletions=["note"])
        modify.add_variable("flag", True)
        _send(modify)
        _send(processinst.VariablesDelete(url, process_instance_id=first.id_, var_name="flag"))
        assert "flag" not in _send(processinst.VariablesGetList(url, process_instance_id=first.id_))
        [amount] = _send(variable.GetList(url, name="amount", process_instance_id_in=[first.id_]))
        assert _send(variable.Get(url, id_=amount.id_)).value == 250

        # ------------------------------------------------------------ user tasks
        [approve] = _send(task.GetList(url, process_instance_id=first.id_))
        assert _send(task.Get(url, id_=approve.id_)).name == "Approve"
        _send(task.Claim(url, id_=approve.id_, user_id="demo"))
        assert _send(task.Get(url, id_=approve.id_)).assignee == "demo"
        _send(task.Unclaim(url, id_=approve.id_))
        _send(task.SetAssignee(url, id_=approve.id_, user_id="demo"))
        _send(task.Delegate(url, id_=approve.id_, user_id="ann"))
        assert _send(task.Get(url, id_=approve.id_)).owner == "demo"
        _send(task.Resolve(url, id_=approve.id_))
        _send(task.IdentityLinksAdd(url, task_id=approve.id_, type_="candidate", user_id="bob"))
        links = _send(task.IdentityLinksGetList(url, task_id=approve.id_, type_="candidate"))
        assert {(link.user_id, link.group_id) for link in links} == {
            (None, "approvers"),
            ("bob", None),
        }
        _send(task.IdentityLinksDelete(url, task_id=approve.id_, type_="candidate", user_id="bob"))
        # pycamunda 0.6.1 sends a plain local variable as a multipart file (its `files`
        # ignores the type), which Camunda refuses too; the JSON request is the real one.
        with pytest.raises(pycamunda.BadRequest):
            _send(task.LocalVariablesUpdate(url, task_id=approve.id_, var_name="scratch", value=1))
        requests.put(
            f"{url}/task/{approve.id_}/localVariables/scratch",
            json={"value": 1},
            auth=BASIC,
            timeout=10,
        ).raise_for_status()
        scratch = _send(task.LocalVariablesGet(url, task_id=approve.id_, var_name="scratch"))
        assert scratch.value == 1
        local = _send(task.LocalVariablesGetList(url, task_id=approve.id_))
        assert set(local) == {"hint", "scratch"}
        _send(task.LocalVariablesModify(url, task_id=approve.id_, deletions=["scratch"]))
        requests.put(
            f"{url}/task/{approve.id_}/localVariables/scratch",
            json={"value": 2},
            auth=BASIC,
            timeout=10,
        ).raise_for_status()
        _send(task.LocalVariablesDelete(url, task_id=approve.id_, var_name="scratch"))
        complete = task.Complete(url, id_=approve.id_, with_variables_in_return=True)
        complete.add_variable("approved", True)
        assert _send(complete)["approved"].value is True
        [other] = _send(task.GetList(url, process_instance_id=second.id_))
        _send(task.Complete(url, id_=other.id_))

        # ------------------------------------------------------------ external tasks
        fetch = externaltask.FetchAndLock(url, worker_id="py", max_tasks=5)
        fetch.add_topic("score", lock_duration=60_000)
        locked = _send(fetch)
        assert {t.process_instance_id for t in locked} == {first.id_, second.id_}
        assert _send(externaltask.Count(url, topic_name="score", locked=True)) == 2
        mine = next(t for t in locked if t.process_instance_id == first.id_)
        theirs = next(t for t in locked if t.process_instance_id == second.id_)
        assert [t.id_ for t in _send(externaltask.GetList(url, id_=mine.id_))] == [mine.id_]
        _send(externaltask.ExtendLock(url, id_=mine.id_, new_duration=90_000, worker_id="py"))
        _send(externaltask.SetPriority(url, id_=mine.id_, priority=3))
        _send(
            externaltask.HandleFailure(
                url,
                id_=mine.id_,
                worker_id="py",
                error_message="down",
                error_details="trace",
                retries=0,
                retry_timeout=0,
            )
        )
        failed = _send(externaltask.Get(url, id_=mine.id_, request_error_details=True))
        assert (failed.retries, failed.error_details) == (0, "trace")
        assert [
            i.incident_type.value
            for i in _send(incident.GetList(url, process_instance_id=first.id_))
        ] == ["failedExternalTask"]
        _send(externaltask.SetRetries(url, id_=mine.id_, retries=1))
        _send(externaltask.Unlock(url, id_=theirs.id_))
        again = externaltask.FetchAndLock(url, worker_id="py", max_tasks=2, use_priority=True)
        again.add_topic("score", lock_duration=60_000)
        assert next(t.id_ for t in _send(again)) == mine.id_
        done = externaltask.Complete(url, id_=mine.id_, worker_id="py")
        done.add_variable("score", 0.9)
        _send(done)
        _send(
            externaltask.HandleBPMNError(
                url, id_=theirs.id_, worker_id="py", error_code="NOPE", error_message="no"
            )
        )

        # ------------------------------------------------------------ messages, incidents
        correlate = message.CorrelateSingle(
            url, message_name="go", process_instance_id=first.id_, result_enabled=True
        )
        [result] = _send(correlate)
        assert result.execution.process_instance_id == first.id_
        manager.start("jobs")
        manager.run_due()
        clock.advance(timedelta(minutes=1))
        manager.run_due()
        [failed_job] = _send(incident.GetList(url, incident_type="failedJob"))
        assert _send(incident.Get(url, id_=failed_job.id_)).activity_id == "flaky"
        delete = processinst.Delete(url, id_=failed_job.process_instance_id)
        _send(delete)
        assert _send(incident.GetList(url)) == ()

    ours = {(method, _template(path)) for method, path in camunda_operations()}
    wanted = pycamunda_operations() & ours
    assert len(wanted) >= 50  # the parse found pycamunda's requests
    called = {(method, _template(path)) for method, path in app.called_operations()}
    assert wanted - called == set()
