"""camunda-client 0.15.0 (httpx, asyncio) logs in with HTTP Basic auth and works a process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelop_mlc import LifecycleManager
from rest.clients_support import UUID_AUTH as AUTH
from rest.clients_support import served

camunda_client = pytest.importorskip("camunda_client")
httpx = pytest.importorskip("httpx")

from camunda_client.clients import CamundaEngineClient, ExternalTaskClient  # noqa: E402
from camunda_client.clients.dto import AuthData  # noqa: E402
from camunda_client.clients.engine.dto import GetTaskVariableDTO, UpdateTaskVariableDTO  # noqa: E402
from camunda_client.clients.engine.schemas import body, query  # noqa: E402
from camunda_client.types_ import VariableValueSchema  # noqa: E402


def _engine(url: str, transports: list[Any], password: str = AUTH[1]) -> Any:
    transports.append(httpx.AsyncHTTPTransport())
    return CamundaEngineClient(
        base_url=url,
        auth_data=AuthData(username=AUTH[0], password=password),
        transport=transports[-1],
    )


def test_camunda_client_logs_in_with_basic_auth_and_works_a_process(
    manager: LifecycleManager,
) -> None:
    """Start, query, claim, fill and submit a task, run its external task, read the history."""
    with served(manager) as app:
        asyncio.run(_closing(app.url))


async def _closing(url: str) -> None:
    # camunda-client never closes its httpx client; its transports (their sockets) are ours.
    transports: list[Any] = []
    try:
        await _scenario(url, transports)
    finally:
        for transport in transports:
            await transport.aclose()


async def _scenario(url: str, transports: list[Any]) -> None:
    engine = _engine(url, transports)
    started = await engine.start_process(
        "review", business_key="order-1", variables={"amount": {"value": 250}}
    )
    assert started.business_key == "order-1"
    running = await engine.get_process_instances(
        query.ProcessInstanceQuerySchema(business_key="order-1")
    )
    assert [i.id for i in running] == [started.id]

    tasks = await engine.get_tasks(body.GetTasksFilterSchema(candidate_group="approvers"))
    [task] = tasks
    assert task.task_definition_key == "approve"
    count = await engine.get_tasks_count(body.GetTasksFilterSchema(process_instance_id=started.id))
    assert count.count == 1
    assert (await engine.get_task(task.id)).name == "Approve"
    await engine.claim_task(task.id, AUTH[0])
    assert str((await engine.get_task(task.id)).assignee) == AUTH[0]
    await engine.unclaim_task(task.id)
    await engine.set_assignee_task(task.id, AUTH[0])
    links = await engine.get_identity_links(task.id)
    assert {(link.type, str(link.group_id or link.user_id)) for link in links} == {
        ("candidate", "approvers"),
        ("assignee", AUTH[0]),
    }
    await engine.update_task_variable(
        UpdateTaskVariableDTO(
            task_id=task.id,
            variable_name="comment",
            variable=VariableValueSchema(value="fine", type="String"),
        )
    )
    comment = await engine.get_task_variable(
        GetTaskVariableDTO(task_id=task.id, variable_name="comment")
    )
    assert (comment.value, comment.type) == ("fine", "String")
    await engine.update_variable_instances(
        process_instance_id=started.id,
        schema=body.UpdateProcessVariablesSchema(
            modifications={"note": VariableValueSchema(value="urgent")}
        ),
    )
    await engine.submit_task_form(
        task.id, variables={"approved": VariableValueSchema(value=True, type="Boolean")}
    )

    transports.append(httpx.AsyncHTTPTransport())
    worker = ExternalTaskClient(
        worker_id="async-worker",
        base_url=url,
        auth_data=AuthData(username=AUTH[0], password=AUTH[1]),
        transport=transports[-1],
    )
    [locked] = await worker.fetch_and_lock(["score"])
    assert locked.process_instance_id == str(started.id)
    await worker.extend_lock(locked.id)
    external = await engine.get_external_task(locked.id)
    assert external.worker_id == "async-worker"
    await worker.complete(locked.id, global_variables={"score": VariableValueSchema(value=0.9)})
    await engine.send_correlation_message(
        body.SendCorrelationMessageSchema(message_name="go", business_key="order-1")
    )

    [historic] = await engine.get_history_process_instances(
        body.HistoricProcessInstanceFilterSchema(process_instance_id=str(started.id))
    )
    assert historic.state.value == "COMPLETED"
    assert (await engine.get_history_process_instance(started.id)).business_key == "order-1"
    [done] = await engine.get_history_tasks(
        body.GetHistoryTasksFilterSchema(process_instance_id=started.id)
    )
    assert (done.task_definition_key, str(done.assignee)) == ("approve", AUTH[0])
    scores = await engine.get_history_variable_instances(
        query.HistoryVariableInstanceFilterParamsSchema(variable_name="score")
    )
    assert [v.value for v in scores] == [0.9]
    notes = await engine.get_history_variable_instances_post(
        body.HistoryVariableInstanceFilterSchema(variable_name="note")
    )
    assert [v.value for v in notes] == ["urgent"]
    assert await engine.get_incidents() == []

    second = await engine.start_process("review", business_key="order-2")
    live = await engine.get_variable_instances(
        query.VariableInstanceFilterParamsSchema(process_instance_id_in=[second.id])
    )
    assert live == []
    await engine.delete_process(str(second.id))
    assert (
        await engine.get_process_instances(query.ProcessInstanceQuerySchema(business_key="order-2"))
        == []
    )

    intruder = _engine(url, transports, password="wrong")
    with pytest.raises(Exception, match=r"401|Unauthorized|AuthenticationException"):
        await intruder.get_tasks()
