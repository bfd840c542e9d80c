"""The Camunda 7 dialect parser: BPMN XML to SpiffWorkflow specs built from our task specs."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    BoundaryEventParser,
    EndEventParser,
    EventBasedGatewayParser,
    IntermediateCatchEventParser,
    IntermediateThrowEventParser,
    ReceiveTaskParser,
    SendTaskParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.task_parsers import (
    ConditionalGatewayParser,
    GatewayParser,
    ScriptTaskParser,
)
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

from modelop_mlc._engine import specs as s
from modelop_mlc._engine._spiff_private import (
    BpmnParserOverrides,
    TaskParserOverrides,
    create_event_task,
)
from modelop_mlc._engine.calls import CallMapping
from modelop_mlc._engine.events import (
    MlcConditionalEvent,
    MlcCycleTimer,
    MlcDateTimer,
    MlcDurationTimer,
    MlcErrorEvent,
    MlcEscalationEvent,
    MlcMessageEvent,
    MlcSignalEvent,
)
from modelop_mlc._engine.feel import FeelText, is_feel
from modelop_mlc._engine.listeners import read_listeners
from modelop_mlc._engine.parse_process import MlcProcessParser
from modelop_mlc._engine.parse_throws import END_EVENT_XPATHS, THROW_EVENT_XPATHS, create_throw
from modelop_mlc._engine.parse_values import delegate_candidates, params, read_param_value
from modelop_mlc._engine.scripting import ScriptText, script_language
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS, NSMAP

__all__ = ["MlcBpmnParser", "delegate_candidates", "read_param_value"]

_C = "{" + CAMUNDA_NS + "}"
_EXTENSIONS = "{" + BPMN_NS + "}extensionElements"
_CONDITION = "{" + BPMN_NS + "}conditionExpression"


class _MlcTaskParserMixin(TaskParserOverrides):
    """Reads the Camunda extensions every element may carry."""

    node: Any
    process_parser: Any
    task: Any
    spec: Any
    bpmn_id: str

    xpath: Any  # NodeParser.xpath

    # Parallel and event-based gateways ignore conditions on their outgoing flows (Camunda too).
    CONDITIONAL_FLOWS = True
    _conditional: bool | None = None  # whether an outgoing flow has a condition, once known

    def create_task(self) -> Any:
        spec = super().create_task()  # type: ignore[misc]
        self.apply_common(spec)
        return spec

    def parse_node(self) -> Any:
        deferred = self.process_parser.defer_outgoing(self)
        result = super().parse_node()  # type: ignore[misc]
        if not deferred:
            self.finish_flows()
        return result

    def finish_flows(self) -> None:
        """Complete the element once its outgoing flows are connected."""
        end = self.spec.end
        if (
            self.ends_implicitly()
            and end not in self.task.outputs
            and not self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)
        ):
            # Camunda ends a path at any element without outgoing flows; SpiffWorkflow only
            # finishes a (sub-)process when an end event reaches its end join.
            self._flow_source().connect(end)

    def ends_implicitly(self) -> bool:
        """Whether a path ends here when the element has no outgoing flow."""
        return True

    def read_condition(self, sequence_flow: Any) -> str | FeelText | ScriptText | None:
        """The flow's condition: JUEL text, FEEL, Groovy (`language=`), or None without one."""
        # BPMN puts the condition directly inside its flow; find() is far cheaper than xpath.
        node = sequence_flow.find(_CONDITION)
        text = (node.text or "").strip() if node is not None else ""
        if not text:
            return None
        if is_feel(node.get("language")):
            return FeelText(node.text, condition=True)
        if script_language(node.get("language")) == "groovy":
            return ScriptText("groovy", node.text, condition=True, line=node.sourceline)
        return text

    def connect_outgoing(
        self, outgoing_task: Any, sequence_flow_node: Any, is_default: bool
    ) -> None:
        if not self._has_conditional_flows():
            self._flow_source().connect(outgoing_task)
            return
        split = self._conditional_split()
        if is_default:
            split.set_default(outgoing_task)
        else:
            split.add_flow(self.read_condition(sequence_flow_node), outgoing_task)

    def _has_conditional_flows(self) -> bool:
        # Asked once per outgoing flow; the answer is the element's, so it is kept.
        known = self._conditional
        if known is None:
            flows = self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)
            known = self.CONDITIONAL_FLOWS and (
                self.node.get("default") is not None
                or any(self.read_condition(flow) is not None for flow in flows)
            )
            self._conditional = known
        return known

    def _conditional_split(self) -> Any:
        name = f"{self.bpmn_id}.ConditionalFlows"
        split = self.spec.task_specs.get(name)
        if split is None:
            split = s.MlcConditionalFlows(self.spec, name, self.bpmn_id)
            split.set_end(self.spec.end)
            self._flow_source().connect(split)
        return split

    def _flow_source(self) -> Any:
        """What the outgoing flows leave from: the activity, or its `asyncAfter` job."""
        if not getattr(self.task, "async_after", False):
            return self.task
        name = f"{self.bpmn_id}.AsyncAfter"
        gate = self.spec.task_specs.get(name)
        if gate is None:
            gate = s.MlcAsyncAfter(self.spec, name, self.task)
            self.task.connect(gate)
        return gate

    def apply_common(self, spec: Any) -> None:
        node = self.node
        spec.element_type = node.tag.rsplit("}", 1)[-1]
        spec.async_before = (
            node.get(f"{_C}asyncBefore") == "true" or node.get(f"{_C}async") == "true"
        )
        spec.async_after = node.get(f"{_C}asyncAfter") == "true"
        spec.incoming_flows = self.process_parser.incoming_flows(spec.bpmn_id)
        spec.listeners = read_listeners(node, "executionListener")
        spec.compensation_handler = getattr(self.process_parser, "compensation", {}).get(
            spec.bpmn_id
        )
        spec.for_compensation = node.get("isForCompensation") == "true"
        flows = self.process_parser.nodes_by_id
        spec.flow_listeners = {
            flow: found
            for flow in spec.incoming_flows.values()
            if flow in flows and (found := read_listeners(flows[flow], "executionListener", "take"))
        }
        spec.io_inputs, spec.io_outputs, spec.properties, spec.retry_cycle = (), (), {}, None
        if node.find(_EXTENSIONS) is None:
            return  # most elements have none: skip the XPath queries (large diagrams)
        io = "./bpmn:extensionElements/camunda:inputOutput/camunda:"
        spec.io_inputs = params(node, io + "inputParameter")
        spec.io_outputs = params(node, io + "outputParameter")
        spec.properties = {
            p.get("name"): p.get("value")
            for p in node.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NSMAP
            )
        }
        cycle = first(
            node.xpath("./bpmn:extensionElements/camunda:failedJobRetryTimeCycle", namespaces=NSMAP)
        )
        spec.retry_cycle = cycle.text.strip() if cycle is not None and cycle.text else None

    # Camunda ignores data associations, data objects, data stores and ioSpecifications; so
    # do we (SpiffWorkflow would demand every declared data input before the task runs).
    def parse_io_spec(self) -> None:
        return None

    def parse_incoming_data_references(self) -> list[Any]:
        return []

    def parse_outgoing_data_references(self) -> list[Any]:
        return []

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        return {}

    def handles_multiple_outgoing(self) -> bool:
        # Several unconditional outgoing flows from an activity are an implicit parallel split.
        return True


class MlcTaskParser(_MlcTaskParserMixin, TaskParser):
    """Plain tasks, manual tasks."""

    STANDARD_LOOP_CLASS = s.MlcStandardLoop


class MlcUserTaskParser(MlcTaskParser):
    """User tasks with Camunda's assignment attributes and generated forms."""

    def create_task(self) -> Any:
        spec = super().create_task()
        node = self.node
        spec.assignee = node.get(f"{_C}assignee")
        spec.candidate_users = node.get(f"{_C}candidateUsers")
        spec.candidate_groups = node.get(f"{_C}candidateGroups")
        spec.due_date = node.get(f"{_C}dueDate")
        spec.follow_up_date = node.get(f"{_C}followUpDate")
        spec.priority = node.get(f"{_C}priority")
        spec.form_key = node.get(f"{_C}formKey") or node.get(f"{_C}formRef")
        spec.task_listeners = read_listeners(node, "taskListener")
        fields = []
        for field in node.xpath(".//camunda:formData/camunda:formField", namespaces=NSMAP):
            fields.append(
                s.FormField(
                    id=field.get("id"),
                    label=field.get("label"),
                    type=field.get("type") or "string",
                    default_value=field.get("defaultValue"),
                    values=tuple(
                        (v.get("id"), v.get("name"))
                        for v in field.xpath("./camunda:value", namespaces=NSMAP)
                    ),
                    constraints=tuple(
                        (c.get("name"), c.get("config"))
                        for c in field.xpath(
                            "./camunda:validation/camunda:constraint", namespaces=NSMAP
                        )
                    ),
                    properties=tuple(
                        (p.get("id"), p.get("value"))
                        for p in field.xpath(
                            "./camunda:properties/camunda:property", namespaces=NSMAP
                        )
                    ),
                )
            )
        spec.form_fields = tuple(fields)
        return spec


class MlcScriptTaskParser(_MlcTaskParserMixin, ScriptTaskParser):
    """Script tasks; the format is checked by validation before parsing."""

    def create_task(self) -> Any:
        spec = super().create_task()
        # Camunda 7's default script language is JUEL (ScriptingEngines.DEFAULT_SCRIPTING_LANGUAGE).
        spec.script_format = script_language(self.node.get("scriptFormat"))
        spec.result_variable = self.node.get(f"{_C}resultVariable")
        script = first(self.xpath("./bpmn:script"))
        spec.script_line = script.sourceline if script is not None else None
        return spec

    def get_script(self) -> str:
        script = first(self.xpath("./bpmn:script"))
        if script is None or not (script.text or "").strip():
            raise ValidationException(
                "the script task has no script; add code in the script field",
                node=self.node,
                file_name=self.filename,
            )
        return str(script.text)


class MlcServiceTaskParser(_MlcTaskParserMixin, TaskParser):
    """Service tasks (and send/business-rule tasks that name a delegate)."""

    def create_task(self) -> Any:
        spec = super().create_task()
        self.read_implementation(spec)
        return spec

    def read_implementation(self, spec: Any, node: Any = None) -> None:
        node = self.node if node is None else node
        kind, impl = None, None
        for attr in ("class", "delegateExpression", "expression"):
            value = node.get(f"{_C}{attr}")
            if value:
                kind, impl = attr, value
                break
        if kind is None and node.get(f"{_C}type") == "external":
            kind, impl = "external", node.get(f"{_C}topic") or ""
        connector = first(
            node.xpath("./bpmn:extensionElements/camunda:connector", namespaces=NSMAP)
        )
        if kind is None and connector is not None:
            connector_id = first(connector.xpath("./camunda:connectorId", namespaces=NSMAP))
            kind = "connector"
            impl = (connector_id.text or "").strip() if connector_id is not None else ""
            io = "./camunda:inputOutput/camunda:"
            spec.connector_inputs = params(connector, io + "inputParameter")
            spec.connector_outputs = params(connector, io + "outputParameter")
        spec.impl_kind = kind
        spec.impl = impl
        if kind == "external":
            spec.task_priority = node.get(f"{_C}taskPriority") or _process_priority(node)
        spec.result_variable = node.get(f"{_C}resultVariable")
        spec.candidates = delegate_candidates(kind, impl) if kind and impl is not None else ()
        spec.bean_call = bool(kind == "expression" and spec.candidates and "(" in (impl or ""))


def _process_priority(node: Any) -> str | None:
    """The enclosing process's `camunda:taskPriority`, the default for its external tasks."""
    parent = node.getparent()
    while parent is not None and parent.tag != f"{{{NSMAP['bpmn']}}}process":
        parent = parent.getparent()
    return None if parent is None else parent.get(f"{_C}taskPriority")


class MlcBusinessRuleTaskParser(MlcServiceTaskParser):
    """Business rule tasks: `camunda:decisionRef` or a delegate."""

    def create_task(self) -> Any:
        spec = super().create_task()
        node = self.node
        spec.decision_ref = node.get(f"{_C}decisionRef")
        spec.decision_binding = node.get(f"{_C}decisionRefBinding") or "latest"
        spec.decision_version = node.get(f"{_C}decisionRefVersion")
        spec.map_decision_result = node.get(f"{_C}mapDecisionResult") or "resultList"
        return spec


class _MlcEventParserMixin(_MlcTaskParserMixin):
    """Event definitions built from our classes (clocked timers, broadcast signals, ...)."""

    def read_implementation(self, spec: Any, node: Any = None) -> None:
        """Read a delegate implementation as a service task does (send and throw events)."""
        MlcServiceTaskParser.read_implementation(self, spec, node)  # type: ignore[arg-type]

    def parse_timer_event(self, event: Any) -> Any:
        name = self.node.get("name") or self.node.get("id")
        for tag, cls in (
            ("timeDate", MlcDateTimer),
            ("timeDuration", MlcDurationTimer),
            ("timeCycle", MlcCycleTimer),
        ):
            found = first(event.xpath(f"./bpmn:{tag}", namespaces=NSMAP))
            if found is not None:
                return cls(name, (found.text or "").strip())
        raise ValidationException(
            "the timer has no timeDate, timeDuration or timeCycle; set one (e.g. PT5M)",
            node=self.node,
            file_name=self.process_parser.filename,
        )

    def parse_conditional_event(self, event: Any) -> Any:
        node = first(event.xpath("./bpmn:condition", namespaces=NSMAP))
        text = (node.text or "").strip() if node is not None else ""
        if not text:
            raise ValidationException(
                "the conditional event has no condition; write one such as ${done}",
                node=self.node,
                file_name=self.process_parser.filename,
            )
        condition = FeelText(text, condition=True) if is_feel(node.get("language")) else text
        events = event.get(f"{_C}variableEvents") or ""
        return MlcConditionalEvent(
            condition,
            variable_name=(event.get(f"{_C}variableName") or "").strip() or None,
            variable_events=tuple(e.strip() for e in events.split(",") if e.strip()),
        )

    def parse_signal_event(self, signal_event: Any) -> Any:
        ref = signal_event.get("signalRef")
        name = self.process_parser.parser.signals.get(ref) if ref else None
        if ref and name is None:
            raise ValidationException(
                f"signalRef '{ref}' names no bpmn:signal in this file",
                node=self.node,
                file_name=self.process_parser.filename,
            )
        in_all = bool(
            signal_event.xpath(
                "./bpmn:extensionElements/camunda:in[@variables='all']", namespaces=NSMAP
            )
        )
        return MlcSignalEvent(name or self.node.get("name") or "", propagate_all=in_all)

    def parse_message_event(self, message_event: Any) -> Any:
        ref = message_event.get("messageRef")
        name = self.process_parser.parser.messages.get(ref) if ref else None
        if ref and name is None:
            raise ValidationException(
                f"messageRef '{ref}' names no bpmn:message in this file",
                node=self.node,
                file_name=self.process_parser.filename,
            )
        return MlcMessageEvent(name or self.node.get("name") or "")

    def parse_error_event(self, error_event: Any) -> Any:
        ref = error_event.get("errorRef")
        name, code = "error", None
        if ref:
            error = self.process_parser.parser.errors.get(ref)
            if error is None:
                raise ValidationException(
                    f"errorRef '{ref}' names no bpmn:error in this file",
                    node=self.node,
                    file_name=self.process_parser.filename,
                )
            code = error.get("error_code")
            name = error.get("name") or code or ref
        return MlcErrorEvent(
            name,
            code,
            code_variable=error_event.get(f"{_C}errorCodeVariable"),
            message_variable=error_event.get(f"{_C}errorMessageVariable"),
        )

    def parse_escalation_event(self, escalation_event: Any) -> Any:
        ref = escalation_event.get("escalationRef")
        name, code = "escalation", None
        if ref:
            escalation = self.process_parser.parser.escalations.get(ref)
            if escalation is None:
                raise ValidationException(
                    f"escalationRef '{ref}' names no bpmn:escalation in this file",
                    node=self.node,
                    file_name=self.process_parser.filename,
                )
            code = escalation.get("escalation_code")
            name = escalation.get("name") or code or ref
        return MlcEscalationEvent(
            name, code, code_variable=escalation_event.get(f"{_C}escalationCodeVariable")
        )


class MlcStartEventParser(_MlcEventParserMixin, StartEventParser):
    """Start events, including the error and escalation starts of event sub-processes."""

    def create_task(self) -> Any:
        # SpiffWorkflow's start-event parser ignores error and escalation definitions, which
        # made error event sub-processes start unconditionally with the process.
        definition = self.get_event_definition(
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                TIMER_EVENT_XPATH,
                CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
            ]
        )
        spec = create_event_task(self, definition)
        self.spec.start.connect(spec)
        self.apply_common(spec)
        return spec


class MlcEndEventParser(_MlcEventParserMixin, EndEventParser):
    """End events; signal end events throw, message end events run their implementation."""

    def create_task(self) -> Any:
        spec = create_throw(self, END_EVENT_XPATHS)
        spec.connect(self.spec.end)
        return spec


class MlcIntermediateCatchEventParser(_MlcEventParserMixin, IntermediateCatchEventParser):
    """Intermediate catch events; a link catch event passes straight through."""

    def create_task(self) -> Any:
        if first(self.xpath("./bpmn:linkEventDefinition")) is None:
            return super().create_task()
        # The process parser wired each link throw to its catch with a sequence flow.
        spec = s.MlcIntermediateThrowEvent(
            self.spec,
            self.bpmn_id,
            event_definition=NoneEventDefinition(description="Link"),
            **self.bpmn_attributes,
        )
        self.apply_common(spec)
        return spec


class MlcIntermediateThrowEventParser(_MlcEventParserMixin, IntermediateThrowEventParser):
    """Intermediate throw events; a message throw event runs its implementation, if any."""

    def create_task(self) -> Any:
        return create_throw(self, THROW_EVENT_XPATHS)


class MlcBoundaryEventParser(_MlcEventParserMixin, BoundaryEventParser):
    """Boundary events."""


class MlcReceiveTaskParser(_MlcEventParserMixin, ReceiveTaskParser):
    """Receive tasks."""


class MlcSendTaskParser(_MlcEventParserMixin, SendTaskParser):
    """Send tasks: a delegate if one is named, else a message thrown to the manager."""

    def create_task(self) -> Any:
        node = self.node
        if any(node.get(f"{_C}{a}") for a in ("class", "delegateExpression", "expression")) or (
            node.get(f"{_C}type") == "external"
        ):
            spec = s.MlcServiceTask(self.process_parser.spec, self.bpmn_id, **self.bpmn_attributes)
            self.apply_common(spec)
            MlcServiceTaskParser.read_implementation(self, spec)
            return spec
        return super().create_task()


class MlcEventBasedGatewayParser(_MlcEventParserMixin, EventBasedGatewayParser):
    """Event-based gateways."""

    CONDITIONAL_FLOWS = False


class MlcGatewayParser(_MlcTaskParserMixin, GatewayParser):
    """Parallel gateways."""

    CONDITIONAL_FLOWS = False


class MlcConditionalGatewayParser(_MlcTaskParserMixin, ConditionalGatewayParser):
    """Exclusive and inclusive gateways; conditions keep their XML order (Camunda's order)."""

    def finish_flows(self) -> None:
        """Keep the conditions in XML order (Camunda's), then end paths as every element does."""
        super().finish_flows()
        order = {
            flow.get("targetRef"): index
            for index, flow in enumerate(
                self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)
            )
        }
        task = self.task

        def rank(name: str) -> int:
            return order.get(name.split(".BoundaryEventSplit", maxsplit=1)[0], len(order))

        task.cond_task_specs.sort(key=lambda pair: (pair[0] is None, rank(pair[1])))
        task.outputs = sorted(task.outputs, key=lambda output: rank(output.name))

    def connect_outgoing(
        self, outgoing_task: Any, sequence_flow_node: Any, is_default: bool
    ) -> None:
        condition = self.read_condition(sequence_flow_node)
        exclusive = self.node.tag == full_tag("exclusiveGateway")
        if is_default or (condition is None and exclusive):
            # Camunda 7 takes an exclusive gateway's one flow without a condition as its
            # default flow (validation warns; it refuses several such flows).
            self.task.connect(outgoing_task)
            return
        # An inclusive gateway takes every flow without a condition.
        self.task.connect_outgoing_if(condition or "${true}", outgoing_task)


class MlcSubProcessParser(_MlcTaskParserMixin, TaskParser):
    """Embedded and event sub-processes."""

    def ends_implicitly(self) -> bool:
        """Event sub-processes have no outgoing flows and must not end the enclosing scope."""
        return bool(self.node.get("triggeredByEvent") != "true")

    def _subprocess_spec(self) -> str:
        # SpiffWorkflow's get_subprocess_spec also demands an end event, which Camunda does
        # not: a path ends wherever it has no outgoing flow.
        starts = self.xpath("./bpmn:startEvent")
        if len(starts) != 1:
            raise ValidationException(
                f"the sub-process needs exactly one start event, it has {len(starts)}",
                node=self.node,
                file_name=self.filename,
            )
        self.process_parser.parser.create_parser(self.node, filename=self.filename, lane=self.lane)
        spec_id: str = self.node.get("id")
        self.process_parser.parser.process_parsers[spec_id].parent = self.process_parser
        return spec_id

    def create_task(self) -> Any:
        sub_spec = self._subprocess_spec()
        if self.node.get("triggeredByEvent") == "true":
            spec = s.MlcEventSubProcess(
                self.process_parser.spec,
                self.bpmn_id,
                subworkflow_spec=sub_spec,
                **self.bpmn_attributes,
            )
            start = first(self.xpath("./bpmn:startEvent"))
            spec.interrupting = start is None or start.get("isInterrupting", "true") == "true"
        else:
            spec = self.spec_class(
                self.process_parser.spec,
                self.bpmn_id,
                subworkflow_spec=sub_spec,
                **self.bpmn_attributes,
            )
        self.apply_common(spec)
        return spec


class MlcCallActivityParser(_MlcTaskParserMixin, TaskParser):
    """Call activities: the called process, its binding, `camunda:in` and `camunda:out`."""

    def create_task(self) -> Any:
        spec = super().create_task()
        node = self.node
        spec.called_element = node.get("calledElement") or ""
        spec.binding = node.get(f"{_C}calledElementBinding") or "latest"
        if spec.binding == "version":
            spec.version = node.get(f"{_C}calledElementVersion")
        elif spec.binding == "versionTag":
            spec.version = node.get(f"{_C}calledElementVersionTag")
        ext = "./bpmn:extensionElements/camunda:"
        ins: list[CallMapping] = []
        for mapping in self.xpath(ext + "in"):
            if mapping.get("businessKey") is not None:
                spec.business_key = mapping.get("businessKey")
            else:
                ins.append(_call_mapping(mapping))
        spec.in_mappings = tuple(ins)
        spec.out_mappings = tuple(_call_mapping(m) for m in self.xpath(ext + "out"))
        return spec


def _call_mapping(node: Any) -> CallMapping:
    return CallMapping(
        target=node.get("target"),
        source=node.get("source"),
        expression=node.get("sourceExpression"),
        all=node.get("variables") == "all",
        local=node.get("local") == "true",
    )


class MlcBpmnParser(BpmnParserOverrides, BpmnParser):
    """SpiffWorkflow's BPMN parser with every element mapped to the Camunda 7 dialect."""

    PROCESS_PARSER_CLASS = MlcProcessParser
    OVERRIDE_PARSER_CLASSES = {  # noqa: RUF012 - SpiffWorkflow's extension point is a class dict
        full_tag("startEvent"): (MlcStartEventParser, s.MlcStartEvent),
        full_tag("endEvent"): (MlcEndEventParser, s.MlcEndEvent),
        full_tag("userTask"): (MlcUserTaskParser, s.MlcUserTask),
        full_tag("task"): (MlcTaskParser, s.MlcNoneTask),
        full_tag("manualTask"): (MlcTaskParser, s.MlcManualTask),
        full_tag("subProcess"): (MlcSubProcessParser, s.MlcSubProcess),
        full_tag("transaction"): (MlcSubProcessParser, s.MlcTransaction),
        full_tag("callActivity"): (MlcCallActivityParser, s.MlcCallActivity),
        full_tag("exclusiveGateway"): (MlcConditionalGatewayParser, s.MlcExclusiveGateway),
        full_tag("inclusiveGateway"): (MlcConditionalGatewayParser, s.MlcInclusiveGateway),
        full_tag("parallelGateway"): (MlcGatewayParser, s.MlcParallelGateway),
        full_tag("eventBasedGateway"): (MlcEventBasedGatewayParser, s.MlcEventBasedGateway),
        full_tag("scriptTask"): (MlcScriptTaskParser, s.MlcScriptTask),
        full_tag("serviceTask"): (MlcServiceTaskParser, s.MlcServiceTask),
        full_tag("businessRuleTask"): (MlcBusinessRuleTaskParser, s.MlcBusinessRuleTask),
        full_tag("sendTask"): (MlcSendTaskParser, s.MlcSendTask),
        full_tag("receiveTask"): (MlcReceiveTaskParser, s.MlcReceiveTask),
        full_tag("intermediateCatchEvent"): (
            MlcIntermediateCatchEventParser,
            s.MlcIntermediateCatchEvent,
        ),
        full_tag("intermediateThrowEvent"): (
            MlcIntermediateThrowEventParser,
            s.MlcIntermediateThrowEvent,
        ),
        full_tag("boundaryEvent"): (MlcBoundaryEventParser, s.MlcBoundaryEvent),
    }
    PARSER_CLASSES = {**BpmnParser.PARSER_CLASSES, **OVERRIDE_PARSER_CLASSES}  # noqa: RUF012

    def __init__(self) -> None:
        """Create a parser that understands the `camunda` namespace."""
        super().__init__(namespaces=dict(NSMAP))
