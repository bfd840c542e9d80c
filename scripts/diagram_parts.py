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


def user_review(p: Process, *, on_approval: str) -> None:
    """From `gw_reviewer`: a user task for the model type's approvers, as ModelOp's samples do.

    The groups are ModelOp's (`python_approvers`, `r_approvers`, `other_approvers`); the form
    is `reviewResult` / `reviewMessage`. APPROVED goes to `on_approval`, anything else opens a
    rejection ticket with the reviewer's message.
    """
    model_type = "DEPLOYABLE_MODEL.storedModel.modelMetaData.type"
    p.xor("gw_reviewer", "Model type?")
    for key, label in (("python", "Python"), ("r", "R"), ("other", "other")):
        p.user(
            f"review_{key}",
            f"Review the {label} model",
            groups=f"{key}_approvers",
            fields=REVIEW_FORM,
        )
    p.xor("join_user_review", None)
    p.xor("gw_user_review", "Approved?")
    ticket(
        p,
        "reject_user_review",
        "Open rejection ticket: review rejected",
        "CreateJiraSimpleNotification",
        "Snapshot ${DEPLOYABLE_MODEL.id} was rejected in review: ${reviewMessage}",
    )
    p.end("rejected_user_review", "Rejected")
    p.flow(
        "gw_reviewer",
        "review_python",
        name="PYTHON, PYTHON3",
        condition=f"${{{model_type} == 'PYTHON' || {model_type} == 'PYTHON3'}}",
    )
    p.flow("gw_reviewer", "review_r", name="R", condition=f"${{{model_type} == 'R'}}")
    p.flow("gw_reviewer", "review_other", name="other", default=True)
    for key in ("python", "r", "other"):
        p.chain(f"review_{key}", "join_user_review")
    p.chain("join_user_review", "gw_user_review")
    p.flow(
        "gw_user_review", on_approval, name="APPROVED", condition="${reviewResult == 'APPROVED'}"
    )
    p.flow("gw_user_review", "reject_user_review", name="no", default=True)
    p.chain("reject_user_review", "rejected_user_review")
