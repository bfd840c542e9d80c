"""Pieces the shipped diagrams share: ModelOp's signal prefix, conditions, tickets, forms."""

from __future__ import annotations

from bpmn_builder import Process

SIGNAL = "com.modelop.mlc.definitions.Signals_"
FAILURE = {"Error_FAILURE": "FAILURE"}


def has_tag(tag: str) -> str:
    """A condition: the snapshot carries `tag`."""
    return f"${{DEPLOYABLE_MODEL.tags.contains('{tag}')}}"


def is_set(name: str) -> str:
    """A condition: the variable exists and is not null."""
    return f"${{execution.getVariable('{name}') != null}}"


def ticket(p: Process, node_id: str, name: str, delegate: str, message: str, **inputs: str) -> str:
    """A service task opening a ticket (ModelOp's Create<System>... delegates)."""
    return p.service(node_id, name, delegate, inputs={"MESSAGE": message, **inputs})


def wait_ticket(p: Process, node_id: str, name: str, *, read_field: str | None = None) -> str:
    """Park until the ticket in NEW_NOTIFICATION is Done or Rejected.

    The ticket is not passed as an input: an input named TICKET would be a local variable and
    keep the TICKET the delegate returns from reaching the process (Camunda's scoping).
    """
    inputs = {"STATUSES": "Done,Rejected"}
    if read_field:
        inputs["READ_FIELD"] = read_field
    return p.service(node_id, name, "WaitForTicketStatus", inputs=inputs)


def error_handler(p: Process, delegate: str, *, system: str) -> None:
    """An event sub-process turning any unhandled FAILURE into an error ticket."""
    sub = p.event_subprocess("handle_failure", "Handle failure")
    sub.start("failure_caught", "Failure", error="Error_FAILURE")
    ticket(
        sub,
        "open_error_ticket",
        f"Open {system} error ticket",
        delegate,
        "${ERROR_MESSAGE}",
        SEVERITY="ERROR",
    )
    sub.end("failed", "Failed")
    sub.chain("failure_caught", "open_error_ticket", "failed")


REVIEW_FORM = (
    '<camunda:formField id="reviewResult" label="Decision" type="enum">'
    '<camunda:validation><camunda:constraint name="required" /></camunda:validation>'
    '<camunda:value id="APPROVED" name="Approve" />'
    '<camunda:value id="REJECTED" name="Reject" /></camunda:formField>'
    '<camunda:formField id="reviewMessage" label="Comment" type="string" />'
)
"""ModelOp's review form: `reviewResult` (APPROVED or REJECTED, required) and `reviewMessage`."""
