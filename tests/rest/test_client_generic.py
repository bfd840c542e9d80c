"""generic-camunda-client 7.18.0 (generated from Camunda's OpenAPI) makes every Camunda call we serve."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc import LifecycleManager, ManualClock
from rest.clients_support import AUTH, REVIEW, camunda_operations, served

gcc = pytest.importorskip("generic_camunda_client")
models = gcc.models
ApiException = gcc.rest.ApiException


def _api(url: str) -> Any:
    config = gcc.Configuration(host=url, username=AUTH[0], password=AUTH[1])
    # Camunda's document declares no security scheme, so the client sends Basic credentials
    # only as a default header (its documented way).
    return gcc.ApiClient(
        config, header_name="Authorization", header_value=config.get_basic_auth_token()
    )


def _status(call: Any) -> int:
    with pytest.raises(ApiException) as caught:
        call()
    return int(caught.value.status)


def _var(value: Any, kind: str | None = None) -> Any:
    return models.VariableValueDto(value=value, type=kind)


def test_every_camunda_operation_through_the_generated_client(
    manager: LifecycleManager, clock: ManualClock, tmp_path: Path
) -> None:
    """Each operation of our document that Camunda has answers the generated client as Camunda would."""
    with served(manager) as app:
        client = _api(app.url)
        engine, version = gcc.EngineApi(client), gcc.VersionApi(client)
        assert [e.name for e in engine.get_process_engine_names()] == ["default"]
        assert version.get_rest_api_version().version.startswith("7.")

        # ------------------------------------------------------------ repository
        deployments = gcc.DeploymentApi(client)
        diagram = tmp_path / "review.bpmn"
        diagram.write_text(REVIEW)
        created = deployments.create_deployment(
            deployment_name="review", enable_duplicate_filtering=True, data=str(diagram)
        )
        # Unchanged under the same name: Camunda answers the earlier deployment.
        again = deployments.create_deployment(
            deployment_name="review", enable_duplicate_filtering=True, data=str(diagram)
        )
        assert again.id == created.id
        assert deployments.get_deployments_count(name="review").count == 1
        listed = deployments.get_deployments(sort_by="deploymentTime", sort_order="asc")
        assert created.id in [d.id for d in listed]
        assert deployments.get_deployment(created.id).name == "review"
        [resource] = deployments.get_deployment_resources(created.id)
        assert resource.name == "review.bpmn"
        assert deployments.get_deployment_resource(created.id, resource.id).id == resource.id
        data = deployments.get_deployment_resource_data(created.id, resource.id)
        assert b"review" in Path(data).read_bytes()

        definitions = gcc.ProcessDefinitionApi(client)
        review = definitions.get_process_definition_by_key("review")
        assert review.version == 2
        assert definitions.get_process_definitions_count(key="review").count == 2
        latest = definitions.get_process_definitions(key="review", latest_version=True)
        assert [d.id for d in latest] == [review.id]
        assert definitions.get_process_definition(review.id).key == "review"
        assert "approve" in definitions.get_process_definition_bpmn20_xml(review.id).bpmn20_xml
        assert (
            "approve" in definitions.get_process_definition_bpmn20_xml_by_key("review").bpmn20_xml
        )
        assert definitions.get_start_form(review.id).key == "embedded:app:forms/start.html"
        assert definitions.get_start_form_by_key("review").key == "embedded:app:forms/start.html"
        form = definitions.get_start_form_variables(review.id)
        assert (form["amount"].type, form["amount"].value) == ("Long", 10)
        assert definitions.get_start_form_variables_by_key("review")["amount"].value == 10

        # ------------------------------------------------------------ starting
        first = definitions.start_process_instance(
            review.id,
            start_process_instance_dto=models.StartProcessInstanceDto(
                business_key="order-1",
                variables={
                    "amount": _var(250, "Long"),
                    "due": _var("2026-02-01T00:00:00.000+0000", "Date"),
                },
            ),
        )
        second = definitions.start_process_instance_by_key(
            "review",
            start_process_instance_dto=models.StartProcessInstanceDto(business_key="order-2"),
        )
        definitions.submit_form(
            review.id,
            start_process_instance_form_dto=models.StartProcessInstanceFormDto(
                variables={"amount": _var(5)}, business_key="order-3"
            ),
        )
        fourth = definitions.submit_form_by_key(
            "review",
            start_process_instance_form_dto=models.StartProcessInstanceFormDto(
                business_key="order-4"
            ),
        )
        stats = {s.id: s.instances for s in definitions.get_process_definition_statistics()}
        assert stats[review.id] == 4
        gcc.SignalApi(client).throw_signal(signal_dto=models.SignalDto(name="wake-up"))
        manager.start("jobs")
        manager.run_due()  # the delegate fails; its one retry is a minute away
        clock.advance(timedelta(minutes=1))
        manager.run_due()  # fails again: an incident

        # ------------------------------------------------------------ instances
        instances = gcc.ProcessInstanceApi(client)
        running = instances.get_process_instances(process_definition_key="review")
        assert len(running) == 4
        assert instances.get_process_instances_count(business_key="order-1").count == 1
        found = instances.query_process_instances(
            process_instance_query_dto=models.ProcessInstanceQueryDto(
                variables=[
                    models.VariableQueryParameterDto(name="amount", operator="gt", value=100)
                ]
            )
        )
        assert [i.id for i in found] == [first.id]
        assert (
            instances.query_process_instances_count(
                process_instance_query_dto=models.ProcessInstanceQueryDto(business_key="order-2")
            ).count
            == 1
        )
        assert instances.get_process_instance(first.id).business_key == "order-1"
        tree = instances.get_activity_instance_tree(first.id)
        assert [c.activity_id for c in tree.child_activity_instances] == ["approve"]
        variables = instances.get_process_instance_variables(first.id)
        assert (variables["due"].type, variables["amount"].value) == ("Date", 250)
        instances.modify_process_instance_variables(
            first.id,
            patch_variables_dto=models.PatchVariablesDto(
                modifications={"note": _var("urgent")}, deletions=["due"]
            ),
        )
        assert instances.get_process_instance_variable(first.id, "note").value == "urgent"
        instances.set_process_instance_variable(first.id, "extra", variable_value_dto=_var(True))
        instances.delete_process_instance_variable(first.id, "extra")
        assert "extra" not in instances.get_process_instance_variables(first.id)
        assert (
            _status(lambda: instances.get_process_instance_variable_binary(first.id, "note")) == 400
        )
        instances.delete_process_instance(fourth.id)
        assert _status(lambda: instances.get_process_instance(fourth.id)) == 404

        variables_api = gcc.VariableInstanceApi(client)
        notes = variables_api.get_variable_instances(variable_name="note")
        assert [v.process_instance_id for v in notes] == [first.id]
        assert variables_api.get_variable_instances_count(variable_name="note").count == 1
        assert variables_api.get_variable_instance(notes[0].id).value == "urgent"
        queried = variables_api.query_variable_instances(
            variable_instance_query_dto=models.VariableInstanceQueryDto(variable_name="amount")
        )
        assert {v.value for v in queried} >= {250, 5}
        assert (
            variables_api.query_variable_instances_count(
                variable_instance_query_dto=models.VariableInstanceQueryDto(variable_name="note")
            ).count
            == 1
        )

        # ------------------------------------------------------------ user tasks
        tasks = gcc.TaskApi(client)
        approvals = tasks.get_tasks(
            candidate_group="approvers", process_instance_business_key="order-1"
        )
        [task] = approvals
        assert tasks.get_tasks_count(task_definition_key="approve").count == 3
        assert (
            tasks.query_tasks(
                task_query_dto=models.TaskQueryDto(process_instance_business_key_in=["order-2"])
            )[0].process_instance_id
            == second.id
        )
        assert tasks.query_tasks_count(task_query_dto=models.TaskQueryDto(assigned=True)).count == 0
        assert tasks.get_task(task.id).name == "Approve"
        assert tasks.get_form(task.id).key == "embedded:app:forms/approve.html"
        assert set(tasks.get_form_variables(task.id)) == {"approved"}
        tasks.claim(task.id, user_id_dto=models.UserIdDto(user_id="demo"))
        assert tasks.get_task(task.id).assignee == "demo"
        tasks.unclaim(task.id)
        tasks.set_assignee(task.id, user_id_dto=models.UserIdDto(user_id="demo"))
        tasks.delegate_task(task.id, user_id_dto=models.UserIdDto(user_id="ann"))
        delegated = tasks.get_task(task.id)
        assert (delegated.owner, delegated.assignee, delegated.delegation_state) == (
            "demo",
            "ann",
            "PENDING",
        )
        tasks.resolve(task.id, complete_task_dto=models.CompleteTaskDto(variables={}))
        assert tasks.get_task(task.id).assignee == "demo"
        links = gcc.TaskIdentityLinkApi(client)
        links.add_identity_link(
            task.id, identity_link_dto=models.IdentityLinkDto(group_id="auditors", type="candidate")
        )
        assert {link.group_id for link in links.get_identity_links(task.id, type="candidate")} == {
            "approvers",
            "auditors",
        }
        links.delete_identity_link(
            task.id, identity_link_dto=models.IdentityLinkDto(group_id="auditors", type="candidate")
        )
        task_variables = gcc.TaskVariableApi(client)
        task_variables.put_task_variable(task.id, "comment", variable_value_dto=_var("fine"))
        assert task_variables.get_task_variable(task.id, "comment").value == "fine"
        task_variables.modify_task_variables(
            task.id,
            patch_variables_dto=models.PatchVariablesDto(modifications={"seen": _var(True)}),
        )
        assert task_variables.get_task_variables(task.id)["seen"].value is True
        task_variables.delete_task_variable(task.id, "seen")
        local = gcc.TaskLocalVariableApi(client)
        assert local.get_task_local_variables(task.id)["hint"].value == "check the amount"
        local.put_task_local_variable(task.id, "scratch", variable_value_dto=_var(1))
        assert local.get_task_local_variable(task.id, "scratch").value == 1
        local.modify_task_local_variables(
            task.id, patch_variables_dto=models.PatchVariablesDto(deletions=["scratch"])
        )
        local.put_task_local_variable(task.id, "scratch", variable_value_dto=_var(2))
        local.delete_task_local_variable(task.id, "scratch")
        # The generated client reads submit's answer as the variables, so ask for them.
        returned = tasks.submit(
            task.id,
            complete_task_dto=models.CompleteTaskDto(
                variables={"approved": _var(True)}, with_variables_in_return=True
            ),
        )
        assert returned["approved"].value is True
        [other] = tasks.get_tasks(process_instance_id=second.id)
        tasks.complete(
            other.id,
            complete_task_dto=models.CompleteTaskDto(
                variables={"approved": _var(False)}, with_variables_in_return=True
            ),
        )

        # ------------------------------------------------------------ external tasks
        external = gcc.ExternalTaskApi(client)
        assert external.get_topic_names() == ["score"]
        locked = external.fetch_and_lock(
            fetch_external_tasks_dto=models.FetchExternalTasksDto(
                worker_id="w1",
                max_tasks=5,
                topics=[models.FetchExternalTaskTopicDto(topic_name="score", lock_duration=60_000)],
            )
        )
        assert {t.process_instance_id for t in locked} == {first.id, second.id}
        mine = next(t for t in locked if t.process_instance_id == first.id)
        theirs = next(t for t in locked if t.process_instance_id == second.id)
        assert external.get_external_tasks(worker_id="w1", locked=True)[0].worker_id == "w1"
        assert external.get_external_tasks_count(topic_name="score").count == 2
        assert (
            len(
                external.query_external_tasks(
                    external_task_query_dto=models.ExternalTaskQueryDto(
                        process_instance_id=first.id
                    )
                )
            )
            == 1
        )
        assert (
            external.query_external_tasks_count(
                external_task_query_dto=models.ExternalTaskQueryDto(locked=True)
            ).count
            == 2
        )
        assert external.get_external_task(mine.id).topic_name == "score"
        external.extend_lock(
            mine.id,
            extend_lock_on_external_task_dto=models.ExtendLockOnExternalTaskDto(
                worker_id="w1", new_duration=120_000
            ),
        )
        external.set_external_task_resource_priority(
            mine.id, priority_dto=models.PriorityDto(priority=7)
        )
        assert external.get_external_task(mine.id).priority == 7
        external.handle_failure(
            mine.id,
            external_task_failure_dto=models.ExternalTaskFailureDto(
                worker_id="w1",
                error_message="down",
                error_details="details",
                retries=0,
                retry_timeout=0,
            ),
        )
        assert external.get_external_task_error_details(mine.id) == "details"
        external.set_external_task_resource_retries(
            mine.id, retries_dto=models.RetriesDto(retries=1)
        )
        external.unlock(theirs.id)
        [again_locked] = external.fetch_and_lock(
            fetch_external_tasks_dto=models.FetchExternalTasksDto(
                worker_id="w2",
                max_tasks=1,
                use_priority=True,
                topics=[models.FetchExternalTaskTopicDto(topic_name="score", lock_duration=60_000)],
            )
        )
        assert again_locked.id == mine.id  # priority 7 first
        external.complete_external_task_resource(
            mine.id,
            complete_external_task_dto=models.CompleteExternalTaskDto(
                worker_id="w2", variables={"score": _var(0.9)}
            ),
        )
        external.fetch_and_lock(
            fetch_external_tasks_dto=models.FetchExternalTasksDto(
                worker_id="w3",
                max_tasks=1,
                topics=[models.FetchExternalTaskTopicDto(topic_name="score", lock_duration=60_000)],
            )
        )
        external.handle_external_task_bpmn_error(
            theirs.id,
            external_task_bpmn_error=models.ExternalTaskBpmnError(
                worker_id="w3", error_code="NOPE"
            ),
        )

        # ------------------------------------------------------------ messages
        gcc.MessageApi(client).deliver_message(
            correlation_message_dto=models.CorrelationMessageDto(
                message_name="go", process_instance_id=first.id
            )
        )
        assert _status(lambda: instances.get_process_instance(first.id)) == 404

        # ------------------------------------------------------------ history
        history = gcc.HistoricProcessInstanceApi(client)
        ended = history.get_historic_process_instance(first.id)
        assert ended.state == "COMPLETED"
        assert history.get_historic_process_instances_count(finished=True).count >= 2
        assert {
            h.id for h in history.get_historic_process_instances(process_definition_key="review")
        } >= {
            first.id,
            second.id,
        }
        assert (
            history.query_historic_process_instances(
                historic_process_instance_query_dto=models.HistoricProcessInstanceQueryDto(
                    process_instance_business_key="order-1"
                )
            )[0].id
            == first.id
        )
        assert (
            history.query_historic_process_instances_count(
                historic_process_instance_query_dto=models.HistoricProcessInstanceQueryDto(
                    externally_terminated=True
                )
            ).count
            == 1
        )
        activities = gcc.HistoricActivityInstanceApi(client)
        steps = activities.get_historic_activity_instances(
            process_instance_id=first.id, sort_by="startTime", sort_order="asc"
        )
        types = [s.activity_type for s in steps]
        assert types == [
            "startEvent",
            "userTask",
            "serviceTask",
            "intermediateMessageCatch",
            "noneEndEvent",
        ]
        approve = steps[1]
        assert (approve.task_id, approve.assignee) == (task.id, "demo")
        assert activities.get_historic_activity_instance(approve.id).activity_id == "approve"
        assert activities.get_historic_activity_instances_count(activity_type="userTask").count >= 2
        assert (
            len(
                activities.query_historic_activity_instances(
                    historic_activity_instance_query_dto=models.HistoricActivityInstanceQueryDto(
                        activity_id="approve", finished=True
                    )
                )
            )
            == 3  # two completed, one cancelled with its instance
        )
        assert (
            activities.query_historic_activity_instances_count(
                historic_activity_instance_query_dto=models.HistoricActivityInstanceQueryDto(
                    process_instance_id=first.id
                )
            ).count
            == 5
        )
        historic_tasks = gcc.HistoricTaskInstanceApi(client)
        [done] = historic_tasks.get_historic_task_instances(process_instance_id=first.id)
        assert (done.id, done.assignee, done.delete_reason) == (task.id, "demo", "completed")
        assert historic_tasks.get_historic_task_instances_count(finished=True).count == 3
        assert (
            len(
                historic_tasks.query_historic_task_instances(
                    historic_task_instance_query_dto=models.HistoricTaskInstanceQueryDto(
                        unfinished=True
                    )
                )
            )
            >= 1
        )
        assert (
            historic_tasks.query_historic_task_instances_count(
                historic_task_instance_query_dto=models.HistoricTaskInstanceQueryDto(
                    task_definition_key="approve"
                )
            ).count
            >= 3
        )
        historic_variables = gcc.HistoricVariableInstanceApi(client)
        [score] = historic_variables.get_historic_variable_instances(variable_name="score")
        assert (score.value, score.process_instance_id) == (0.9, first.id)
        assert historic_variables.get_historic_variable_instance(score.id).name == "score"
        assert (
            historic_variables.get_historic_variable_instances_count(variable_name="score").count
            == 1
        )
        assert (
            len(
                historic_variables.query_historic_variable_instances(
                    historic_variable_instance_query_dto=models.HistoricVariableInstanceQueryDto(
                        process_instance_id=first.id
                    )
                )
            )
            >= 3
        )
        assert (
            historic_variables.query_historic_variable_instances_count(
                historic_variable_instance_query_dto=models.HistoricVariableInstanceQueryDto(
                    variable_name="note"
                )
            ).count
            == 1
        )

        # ------------------------------------------------------------ jobs and incidents
        incidents = gcc.IncidentApi(client)
        [incident] = incidents.get_incidents(incident_type="failedJob")
        assert incidents.get_incidents_count().count == 1
        assert incidents.get_incident(incident.id).activity_id == "flaky"
        jobs = gcc.JobApi(client)
        failed = jobs.get_job(incident.configuration)
        assert failed.retries == 0
        assert "model server is down" in jobs.get_stacktrace(failed.id)
        assert jobs.get_jobs_count(no_retries_left=True).count == 1
        assert [j.id for j in jobs.get_jobs(with_exception=True)] == [failed.id]
        assert (
            jobs.query_jobs(job_query_dto=models.JobQueryDto(job_id=failed.id))[0].id == failed.id
        )
        assert jobs.query_jobs_count(job_query_dto=models.JobQueryDto(timers=True)).count == 0
        job_definitions = gcc.JobDefinitionApi(client)
        definition = job_definitions.get_job_definition(failed.job_definition_id)
        assert (definition.activity_id, definition.job_type) == ("flaky", "async-continuation")
        assert job_definitions.get_job_definitions_count(activity_id_in="later").count == 1
        assert {
            d.activity_id
            for d in job_definitions.get_job_definitions(process_definition_key="jobs")
        } == {
            "flaky",
            "later",
        }
        assert (
            job_definitions.query_job_definitions(
                job_definition_query_dto=models.JobDefinitionQueryDto(
                    job_type="timer-intermediate-transition"
                )
            )[0].activity_id
            == "later"
        )
        assert (
            job_definitions.query_job_definitions_count(
                job_definition_query_dto=models.JobDefinitionQueryDto(process_definition_key="jobs")
            ).count
            == 2
        )
        manager.register_delegate("Flaky", lambda ctx: {}, replace=True)
        jobs.set_job_retries(failed.id, retries_dto=models.RetriesDto(retries=1))
        assert incidents.get_incidents_count().count == 0
        assert jobs.get_jobs_count(timers=True).count == 1  # now waiting at the timer

    missing = camunda_operations() - app.called_operations()
    assert missing == set()
