"""Element templates for the other building blocks: ModelOp's signals and the HTTP connector.

Camunda 7 element templates cannot create an event definition, so a signal template names
and documents the event (which signal to select in the Signal group, what variables it
brings) and keeps the standard fields visible; the signal's name is also in the template's
`metadata`, for tools. The HTTP connector's template fills a `camunda:connector` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelop_mlc.element_templates._delegates import SCHEMA, input_property, output_property
from modelop_mlc.handlers._base import Spec
from modelop_mlc.handlers._variables import VARIABLES

__all__ = ["SIGNALS", "SIGNAL_PREFIX", "Signal", "connector_template", "signal_template"]

SIGNAL_PREFIX = "com.modelop.mlc.definitions.Signals_"
"""ModelOp's signal names start so."""


@dataclass(frozen=True)
class Signal:
    """A ModelOp signal an MLC process catches.

    Attributes:
        event: The name after `Signals_` (`deployable_model_changed`).
        label: The event's name for people.
        sent_by: Who sends it.
        variables: The variables it carries.
    """

    event: str
    label: str
    sent_by: str
    variables: tuple[str, ...]

    @property
    def name(self) -> str:
        """The signal's full name."""
        return SIGNAL_PREFIX + self.event


_REST = "a REST call (POST /signal with the variables)"
SIGNALS: tuple[Signal, ...] = (
    Signal(
        "deployable_model_changed",
        "Snapshot created",
        "the center when a snapshot (deployable model) is created (LocalCenter and ModelOp Center)",
        ("DEPLOYABLE_MODEL",),
    ),
    Signal(
        "model_changed",
        "Stored model changed",
        "ModelOp Center when a stored model changes",
        ("STORED_MODEL",),
    ),
    Signal(
        "model_data_changed",
        "Model data changed",
        "LocalCenter when an asset is added to a stored model (e.g. by the data folder watcher)",
        ("STORED_MODEL", "STORED_MODEL_ID", "ASSET"),
    ),
    Signal(
        "job_status_changed",
        "Job status changed",
        "the center when a job changes status (a catch or boundary event waits for it)",
        ("JOB",),
    ),
    Signal(
        "Run_Back_Test_Jira",
        "Run Back Test (Jira)",
        _REST,
        ("MODEL_ID", "INPUT_FILE", "OUTPUT_FILE"),
    ),
    Signal(
        "Run_Back_Test_ServiceNow",
        "Run Back Test (ServiceNow)",
        _REST,
        ("MODEL_ID", "INPUT_FILE", "OUTPUT_FILE"),
    ),
    Signal("DEPLOYED_BATCH_JOB", "Run batch job", _REST, ("TAG", "INPUT_FILE", "OUTPUT_FILE")),
    Signal("MODEL_DATA_DRIFT_TEST", "Data drift test", _REST, ("MODEL_ID", "OUTPUT_FILE")),
)
"""The ModelOp signals MLC processes start on or wait for."""


def signal_template(signal: Signal) -> dict[str, Any]:
    """The template of a start, catch or boundary event on `signal`."""
    carried = "; ".join(
        f"{v} ({VARIABLES[v].label}: {VARIABLES[v].description})" for v in signal.variables
    )
    return {
        "$schema": SCHEMA,
        "name": f"ModelOp signal: {signal.label}",
        "id": f"modelop_mlc.signal.{signal.event}",
        "description": (
            f"Starts the process (or, on a catch or boundary event, continues it) on the "
            f"signal {signal.name}, sent by {signal.sent_by}. In the Signal group, select or "
            f"create a global signal with exactly that name. It brings: {carried}."
        ),
        "keywords": [signal.name, "signal", "ModelOp"],
        "appliesTo": ["bpmn:StartEvent", "bpmn:IntermediateCatchEvent", "bpmn:BoundaryEvent"],
        "entriesVisible": True,
        "metadata": {"signal": signal.name, "variables": list(signal.variables)},
        "properties": [
            {
                "label": "Name",
                "description": "The event's name in the diagram.",
                "type": "String",
                "value": signal.label,
                "binding": {"type": "property", "name": "name"},
            }
        ],
    }


def connector_template(spec: Spec) -> dict[str, Any]:
    """The template of Camunda's `http-connector`, from its catalogue entry."""
    defaults = dict(spec.defaults)
    inputs = []
    for name in spec.inputs:
        prop = input_property(name, required=name in spec.required, default=defaults.get(name))
        # A connector reads only its own inputs, never process variables: no pass-through.
        if name == "method":
            prop["value"] = "GET"
            prop["choices"] = prop["choices"][1:]
        elif name == "headers":
            prop["value"] = "[:]"
        else:
            prop.pop("value")
        prop["description"] = VARIABLES[name].description + (
            f" Without a value: {defaults[name]}." if name in defaults else ""
        )
        if name in spec.required:
            prop["description"] += " Required."
        inputs.append(prop)
    outputs = [output_property(name, "${" + name + "}") for name in spec.outputs]
    return {
        "$schema": SCHEMA,
        "name": "HTTP connector (http-connector)",
        "id": "modelop_mlc.connector.http",
        "description": (
            "Calls a URL with Camunda's http-connector. Any HTTP status is returned in the "
            "status code, not raised; a failed connection or a timeout is retried as a job "
            "(camunda:failedJobRetryTimeCycle) and then becomes an incident. A header value "
            "secret:NAME is the configured secret NAME, never stored in variables or history."
        ),
        "keywords": ["http-connector", "HTTP", "REST"],
        "appliesTo": ["bpmn:ServiceTask"],
        "elementType": {"value": "bpmn:ServiceTask"},
        "groups": [
            {"id": "inputs", "label": "Request"},
            {"id": "outputs", "label": "Response: process variables written"},
        ],
        "properties": [],
        "scopes": [
            {
                "type": "camunda:Connector",
                "properties": [
                    {
                        "type": "Hidden",
                        "value": "http-connector",
                        "binding": {"type": "property", "name": "connectorId"},
                    },
                    *inputs,
                    *outputs,
                ],
            }
        ],
    }
