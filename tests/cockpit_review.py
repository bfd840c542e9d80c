"""A small review process with every state the Cockpit shows, for the drawing and web tests.

`prepare` (an asynchronous delegate that fails while `BROKEN` says so: an incident) ->
`review` (a user task for `approvers` with a form, and a non-interrupting reminder timer)
-> `decided` (rejected loops back to `review`) -> `released` (waits for the signal
`RELEASE_SIGNAL`) -> `done`. It has no BPMN DI, so it is drawn with the automatic layout.
"""

from __future__ import annotations

from typing import Any

from bpmn_xml import chain, flow, process

KEY = "cockpit_review"
RELEASE_SIGNAL = "com.example.release"
GROUP = "approvers"

REVIEW_XML = process(
    '<bpmn:startEvent id="start" name="Model submitted"/>'
    '<bpmn:serviceTask id="prepare" name="Prepare review" camunda:class="PrepareReview">'
    "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1M"
    "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
    f'<bpmn:userTask id="review" name="Review model" camunda:candidateGroups="{GROUP}">'
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="approved" label="Approved" type="boolean"/>'
    '<camunda:formField id="score" label="Score" type="long"/>'
    '<camunda:formField id="comment" label="Comment" type="string"/>'
    '<camunda:formField id="risk" label="Risk" type="enum">'
    '<camunda:value id="low" name="Low"/><camunda:value id="high" name="High"/>'
    "</camunda:formField>"
    "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
    '<bpmn:boundaryEvent id="remind" name="A day later" attachedToRef="review" '
    'cancelActivity="false"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:endEvent id="reminded" name="Reminded"/>'
    '<bpmn:exclusiveGateway id="decided" name="Approved?" default="rejected"/>'
    '<bpmn:intermediateCatchEvent id="released" name="Released">'
    '<bpmn:signalEventDefinition signalRef="release"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="done" name="Done"/>'
    + chain("start", "prepare", "review", "decided")
    + flow("approved_flow", "decided", "released", "${approved}")
    + flow("rejected", "decided", "review")
    + flow("released_done", "released", "done")
    + flow("remind_flow", "remind", "reminded"),
    pid=KEY,
    name="Cockpit review",
    extra=f'<bpmn:signal id="release" name="{RELEASE_SIGNAL}"/>',
)

BROKEN = {"prepare": False}
"""Set `BROKEN["prepare"] = True` to make `prepare` fail (and raise an incident)."""


def prepare_review(context: Any) -> dict[str, Any]:
    """The `PrepareReview` delegate: fails while `BROKEN["prepare"]` is set."""
    if BROKEN["prepare"]:
        raise RuntimeError("the model registry is unreachable")
    return {"REVIEW_PREPARED": True}
