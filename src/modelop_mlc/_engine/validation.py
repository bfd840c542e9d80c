"""Deploy-time checks of BPMN files: every problem at once, each with element id, name and line.

The checks run on the XML before SpiffWorkflow parses it, because SpiffWorkflow stops at the
first problem and its messages name neither element nor line. What SpiffWorkflow's parser still
rejects afterwards is converted into the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from modelop_mlc._engine import juel
from modelop_mlc._engine._collections import collection_paused
from modelop_mlc._engine.call_rules import check_call_activity
from modelop_mlc._engine.definitions import (
    CompiledProcess,
    element_index,
    history_ttl_days,
    problem_from_spiff,
    read_processes,
)
from modelop_mlc._engine.parse_rules import check_camunda_rules, check_listeners
from modelop_mlc._engine.parser import MlcBpmnParser, delegate_candidates
from modelop_mlc._engine.scripting import SCRIPT_LANGUAGES, check_script_text, script_language
from modelop_mlc._engine.timers import parse_timer
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS, XmlSource, load_xml
from modelop_mlc.errors import DiagramError, ExpressionError, ProblemReport, did_you_mean

__all__ = ["BpmnReport", "validate_bpmn"]

_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"

_FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "manualTask",
        "callActivity",
        "subProcess",
        "transaction",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
    }
)
_UNSUPPORTED_NODES = {
    "complexGateway": "complex gateways are not supported; use an inclusive gateway",
    "adHocSubProcess": "ad-hoc sub-processes are not supported",
    "chorographyTask": "choreographies are not executable",
}
_UNSUPPORTED_EVENTS: dict[str, str] = {}
_FORM_TYPES = frozenset({"string", "long", "boolean", "date", "enum", "double", "integer"})


def _event_kinds(node: Any) -> list[str]:
    """The event definition tags of an event element (empty for a none event)."""
    return [
        c.tag[len(_B) :]
        for c in node
        if isinstance(c.tag, str) and c.tag.startswith(_B) and c.tag.endswith("EventDefinition")
    ]


@dataclass
class BpmnReport:
    """The outcome of validating one BPMN file."""

    file: str
    problems: list[ProblemReport] = field(default_factory=list)
    warnings: list[ProblemReport] = field(default_factory=list)
    processes: list[CompiledProcess] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file can be deployed."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise `DiagramError` listing every problem, if there is any.

        Raises:
            DiagramError: If the report has problems.
        """
        if self.problems:
            raise DiagramError(self.problems, file=self.file)


class _Checker:
    def __init__(
        self,
        source: XmlSource,
        delegates: Collection[str] | None,
        decisions: Collection[str] | None,
        delegate_lookup: Callable[[tuple[str, ...]], bool | str] | None,
    ) -> None:
        self.source = source
        self.delegates = delegates
        self.decisions = decisions
        self.delegate_lookup = delegate_lookup
        self.report = BpmnReport(file=source.name)
        # Outgoing flows by source id, per scope element: scanning every flow of the scope
        # for each gateway was quadratic (60,000 elements took minutes).
        self._outgoing: dict[Any, dict[str | None, list[Any]]] = {}

    def outgoing(self, node: Any, scope: Any) -> list[Any]:
        """The sequence flows of `scope` leaving `node`, in document order."""
        index = self._outgoing.get(scope)
        if index is None:
            index = {}
            for flow in scope.iterchildren(f"{_B}sequenceFlow"):
                index.setdefault(flow.get("sourceRef"), []).append(flow)
            self._outgoing[scope] = index
        return index.get(node.get("id"), [])

    def problem(self, node: Any, message: str, *, line: int | None = None) -> None:
        self.report.problems.append(self._report(node, message, line))

    def warn(self, node: Any, message: str) -> None:
        self.report.warnings.append(self._report(node, message))

    def _report(self, node: Any, message: str, line: int | None = None) -> ProblemReport:
        owner = node
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        return ProblemReport(
            message=message,
            element_id=owner.get("id") if owner is not None else None,
            element_name=owner.get("name") if owner is not None else None,
            line=line or node.sourceline,
            file=self.source.name,
        )

    # ------------------------------------------------------------------ expressions

    def expression(self, node: Any, text: str | None, what: str) -> None:
        if text is None or not juel.is_expression(text):
            return
        try:
            juel.parse_expression(text)
        except ExpressionError as err:
            self.problem(node, f"{what}: {err}")

    def script(
        self,
        node: Any,
        language: str,
        text: str | None,
        what: str,
        *,
        condition: bool = False,
        script_task: bool = False,
    ) -> None:
        """Report problems in script text (the text of XML element `node`) at their lines."""
        del condition  # every language checks conditions like other scripts at deploy
        problems, warnings = check_script_text(language, text or "", script_task=script_task)
        first = node.sourceline or 0
        for issue in problems:
            self.problem(node, f"{what}: {issue.message}", line=first + issue.line - 1 or None)
        for issue in warnings:
            self.report.warnings.append(
                self._report(node, f"{what}: {issue.message}", first + issue.line - 1 or None)
            )

    def param_values(self, node: Any, value_node: Any, what: str) -> None:
        for child in value_node.iter():
            if child.tag == f"{_C}script":
                fmt = child.get("scriptFormat") or "(none)"
                if child.get("resource"):
                    self.problem(
                        child,
                        f"{what}: external script resources (resource="
                        f"'{child.get('resource')}') are not supported; put the "
                        "script inline in the camunda:script element",
                    )
                else:
                    self.script(child, script_language(fmt, default=fmt), child.text, what)
            elif child.text and isinstance(child.tag, str):
                self.expression(child, child.text, what)

    # ------------------------------------------------------------------ document

    def check(self, root: Any) -> BpmnReport:
        if root.tag != f"{_B}definitions":
            self.problem(
                root,
                "this is not a BPMN 2.0 file: the root element must be "
                "bpmn:definitions in namespace " + BPMN_NS,
            )
            return self.report
        processes = root.findall(f"{_B}process")
        executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
        if not executable:
            # Camunda 7 deploys such a file but creates no process definition from it.
            shown = ", ".join(f"'{p.get('id')}'" for p in processes) or "none"
            self.problem(
                processes[0] if processes else root,
                f"no process in this file is executable (processes: {shown}), so there is "
                "nothing to deploy; tick 'Executable' in Camunda Modeler "
                '(isExecutable="true") on the process that should run',
            )
            return self.report
        for process in processes:
            if process not in executable:
                self.warn(
                    process,
                    f"process '{process.get('id')}' is not executable and is not deployed "
                    "(as in Camunda 7); only the executable processes of this file are",
                )
        self.check_ids(root)
        refs = self.references(root)
        for process in executable:
            self.check_history_ttl(process)
            check_listeners(self, process, "process")
            self.check_starts(process)
            self.check_scope(process, refs)
        self.spiff_parse(root)
        if not self.report.problems:
            self.report.processes = read_processes(root)
        return self.report

    def check_history_ttl(self, process: Any) -> None:
        text = process.get(f"{_C}historyTimeToLive")
        if text is not None and text.strip():
            try:
                history_ttl_days(text)
            except ValueError as err:
                self.problem(process, str(err))

    def check_ids(self, root: Any) -> None:
        seen: dict[str, Any] = {}
        for node in root.iter():
            if not isinstance(node.tag, str) or not node.tag.startswith(_B):
                continue
            node_id = node.get("id")
            if node_id is None:
                continue
            if node_id in seen:
                self.problem(
                    node,
                    f"duplicate id '{node_id}' (also on line "
                    f"{seen[node_id].sourceline}); ids must be unique",
                )
            seen[node_id] = node

    def references(self, root: Any) -> dict[str, dict[str, str | None]]:
        return {
            kind: {n.get("id"): n.get("name") for n in root.iter(f"{_B}{kind}")}
            for kind in ("signal", "message", "error", "escalation")
        }

    def check_starts(self, scope: Any) -> None:
        """Check start events the way Camunda 7's parser does (it refuses the same files)."""
        tag = scope.tag[len(_B) :]
        starts = scope.findall(f"{_B}startEvent")
        triggered = [s for s in starts if any(_event_kinds(s))]
        nones = [s for s in starts if not any(_event_kinds(s))]
        if tag == "process":
            if not starts:
                self.problem(
                    scope,
                    "the process has no start event, so no instance can begin (Camunda 7 "
                    "refuses it too: 'process must define a startEvent element'); add a "
                    "start event and connect it to the first activity",
                )
            elif len(nones) > 1:
                self.problem(
                    nones[1],
                    f"the process has {len(nones)} none start events "
                    f"({', '.join(n.get('id') for n in nones)}); Camunda 7 allows one; "
                    "remove the others or give them a message, signal or timer",
                )
            return
        if scope.get("triggeredByEvent") == "true":
            if len(starts) != 1 or not triggered:
                self.problem(
                    scope,
                    "an event sub-process needs exactly one start event with a trigger "
                    f"(error, escalation, message, signal, timer); it has {len(starts)} "
                    f"start event(s), {len(triggered)} with a trigger",
                )
            return
        if not starts:
            why = (
                "Camunda 7 fails every instance that reaches it"
                if tag == "transaction"
                else "Camunda 7 refuses it too: 'subProcess must define a startEvent element'"
            )
            kind = "transaction" if tag == "transaction" else "embedded sub-process"
            self.problem(
                scope,
                f"the {kind} has no start event ({why}); add a none start event inside it "
                "and connect it to the first activity",
            )
        elif len(starts) > 1 or triggered:
            self.problem(
                (triggered or starts[1:])[0],
                "an embedded sub-process must have exactly one start event, without a "
                f"trigger (it has {len(starts)}: {', '.join(s.get('id') for s in starts)}); "
                "to react to an event inside it, use an event sub-process or a boundary event",
            )

    def check_links(self, scope: Any) -> None:
        """Link events jump within one scope: every throw names exactly one catch."""
        catches: dict[str, list[Any]] = {}
        throws: list[tuple[Any, str]] = []
        for node in scope:
            if not isinstance(node.tag, str):
                continue
            link = node.find(f"{_B}linkEventDefinition")
            if link is None:
                continue
            name = (link.get("name") or "").strip()
            if not name:
                self.problem(
                    node,
                    "the link event has no name; a link throw jumps to the link catch "
                    "event of the same name, so name both",
                )
            elif node.tag == f"{_B}intermediateCatchEvent":
                catches.setdefault(name, []).append(node)
            elif node.tag == f"{_B}intermediateThrowEvent":
                throws.append((node, name))
            else:
                self.problem(node, "link event definitions belong on intermediate events only")
        for name, nodes in catches.items():
            if len(nodes) > 1:
                self.problem(
                    nodes[1],
                    f"link name '{name}' is used by {len(nodes)} link catch events in one "
                    "scope; each name must be unique",
                )
        for node, name in throws:
            if name not in catches:
                self.problem(
                    node,
                    f"the link throw event names link '{name}', but no link catch event in "
                    "the same process or sub-process has that name",
                )

    def check_scope(self, scope: Any, refs: dict[str, dict[str, str | None]]) -> None:
        self.check_links(scope)
        # One index per scope: looking each flow's ends up by XPath was quadratic (and a
        # quote in an id broke the XPath).
        children = {c.get("id"): c for c in scope if isinstance(c.tag, str) and c.get("id")}
        for node in scope:
            if not isinstance(node.tag, str) or not node.tag.startswith(_B):
                continue
            tag = node.tag[len(_B) :]
            if tag in _UNSUPPORTED_NODES:
                self.problem(node, _UNSUPPORTED_NODES[tag])
                continue
            if tag == "sequenceFlow":
                self.check_flow(node, children)
                check_listeners(self, node, tag)
                continue
            if tag not in _FLOW_NODES:
                continue
            self.check_common(node, tag)
            self.check_events(node, tag, refs)
            check_camunda_rules(self, node, tag, scope)
            check = getattr(self, f"check_{tag}", None)
            if check is not None:
                check(node)
            if tag in {"subProcess", "transaction"}:
                self.check_starts(node)
                self.check_scope(node, refs)

    def check_flow(self, node: Any, children: dict[str, Any]) -> None:
        for end in ("sourceRef", "targetRef"):
            ref = node.get(end)
            if not ref or ref not in children:
                self.problem(
                    node,
                    f"the sequence flow's {end} '{ref}' names no element of "
                    "this process; reconnect the flow in the modeler",
                )
                return
        condition = node.find(f"{_B}conditionExpression")
        if condition is None:
            return
        language = script_language(condition.get("language"))
        if language not in {"juel", "feel", "groovy"}:
            self.problem(
                condition,
                f"condition language '{condition.get('language')}' is not supported; write "
                "the condition as a JUEL expression like ${approved}, in FEEL "
                '(language="feel") or in Groovy (language="groovy")',
            )
            return
        if condition.get(f"{_C}resource"):
            self.problem(
                condition,
                f"external condition resources (camunda:resource="
                f"'{condition.get(f'{_C}resource')}') are not supported; write the "
                "condition inline",
            )
            return
        if language == "juel":
            self.expression(condition, condition.text, "condition")
        elif (condition.text or "").strip():
            self.script(condition, language, condition.text, "condition", condition=True)
        source = children.get(node.get("sourceRef"))
        source_tag = source.tag[len(_B) :] if source is not None else ""
        if source_tag in {"parallelGateway", "eventBasedGateway"}:
            self.warn(
                node,
                f"the condition on a flow leaving a {source_tag} is ignored "
                "(as in Camunda 7); use an exclusive or inclusive gateway to choose a path",
            )
        elif source_tag == "startEvent" or source_tag.endswith("Gateway"):
            return
        elif source is not None and source.get("default") == node.get("id"):
            self.warn(node, "the condition on a default flow is ignored (as in Camunda 7)")

    def check_common(self, node: Any, tag: str) -> None:
        io = node.find(f"{_B}extensionElements/{_C}inputOutput")
        if io is not None:
            for param in io:
                if isinstance(param.tag, str):
                    self.param_values(node, param, f"parameter '{param.get('name')}'")
        standard = node.find(f"{_B}standardLoopCharacteristics")
        if standard is not None:
            condition = standard.find(f"{_B}loopCondition")
            if standard.get("loopMaximum") is None and (
                condition is None or not (condition.text or "").strip()
            ):
                self.problem(
                    standard,
                    "the loop has neither a loopCondition nor a loopMaximum, so it would never "
                    "stop; add a loopCondition such as ${done}",
                )
            elif condition is not None:
                self.expression(condition, condition.text, "loopCondition")
        loop = node.find(f"{_B}multiInstanceLoopCharacteristics")
        if loop is not None:
            collection = loop.get(f"{_C}collection")
            cardinality = loop.find(f"{_B}loopCardinality")
            if collection is None and cardinality is None:
                self.problem(
                    loop,
                    "a multi-instance activity needs loopCardinality or camunda:collection "
                    "(Camunda 7 refuses it too); set one of them",
                )
            self.expression(loop, collection, "multi-instance collection")
            if cardinality is not None:
                self.expression(cardinality, cardinality.text, "loopCardinality")
            condition = loop.find(f"{_B}completionCondition")
            if condition is not None:
                self.expression(condition, condition.text, "completionCondition")

    def check_events(self, node: Any, tag: str, refs: dict[str, dict[str, str | None]]) -> None:
        for child in node:
            if not isinstance(child.tag, str) or not child.tag.startswith(_B):
                continue
            kind = child.tag[len(_B) :]
            if kind in _UNSUPPORTED_EVENTS:
                self.problem(child, _UNSUPPORTED_EVENTS[kind])
            elif kind == "cancelEventDefinition" and not self._in_transaction(node):
                self.problem(child, "cancel events may only be used with transactions")
            elif kind == "timerEventDefinition":
                self.check_timer(child)
            for attr, ref_kind in (
                ("signalRef", "signal"),
                ("messageRef", "message"),
                ("errorRef", "error"),
                ("escalationRef", "escalation"),
            ):
                ref = child.get(attr)
                if ref and ref not in refs[ref_kind]:
                    self.problem(child, f"{attr} '{ref}' names no bpmn:{ref_kind} in this file")
                elif ref and ref_kind in {"signal", "message"} and not refs[ref_kind][ref]:
                    # Signals and messages are delivered by name, so a nameless one never is.
                    self.problem(
                        child,
                        f"bpmn:{ref_kind} '{ref}' has no name; {ref_kind}s are delivered by "
                        f"name, so give it one (Camunda Modeler: the {ref_kind}'s Name field)",
                    )
        if tag == "boundaryEvent" and not _event_kinds(node):
            self.problem(
                node,
                "the boundary event has no event definition (timer, error, signal, message, ...)",
            )
        elif tag == "intermediateCatchEvent" and not _event_kinds(node):
            self.problem(
                node,
                "the intermediate catch event has no event definition, so it would wait "
                "forever; give it a timer, message, signal or conditional definition, or use "
                "an intermediate throw (none) event to mark a milestone",
            )

    def _in_transaction(self, node: Any) -> bool:
        parent = node.getparent()
        attached = node.get("attachedToRef")
        if attached is not None:
            target = parent.find(f"*[@id='{attached}']")
            return target is not None and target.tag == f"{_B}transaction"
        return parent is not None and parent.tag == f"{_B}transaction"

    def check_timer(self, definition: Any) -> None:
        specs = [
            c
            for c in definition
            if isinstance(c.tag, str)
            and c.tag in {f"{_B}timeDate", f"{_B}timeDuration", f"{_B}timeCycle"}
        ]
        if not specs:
            self.problem(
                definition,
                "the timer has no timeDate, timeDuration or timeCycle (Camunda 7 refuses it "
                "too); set one (for example PT5M)",
            )
            return
        spec = specs[0]
        text = (spec.text or "").strip()
        kind = spec.tag[len(_B) :]
        if not text:
            self.problem(spec, f"the timer's {kind} is empty; set a value such as PT5M")
        elif juel.is_expression(text):
            self.expression(spec, text, kind)
        else:
            try:
                parse_timer(kind, text)
            except ExpressionError as err:
                self.problem(spec, f"bad {kind}: {err}")

    # ------------------------------------------------------------------ element kinds

    def check_scriptTask(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        if node.get(f"{_C}resource"):
            self.problem(
                node,
                "external script resources (camunda:resource) are not "
                "supported; put the script inline",
            )
            return
        fmt = node.get("scriptFormat")
        language = script_language(fmt)
        if language not in SCRIPT_LANGUAGES:
            self.problem(
                node,
                f"scriptFormat '{fmt}' is not supported: scripts run in Groovy, FEEL, JUEL "
                "(Camunda's default) or Python (in a sandbox); rewrite the script in one of "
                "them, or move the logic into a delegate",
            )
            return
        script = node.find(f"{_B}script")
        if script is None or not (script.text or "").strip():
            self.problem(node, "the script task has no script")
            return
        if not (fmt or "").strip() and not juel.is_expression(script.text or ""):
            self.warn(
                node,
                "the script task has no scriptFormat, so it is JUEL (as in Camunda 7) and its "
                'text is a plain string: nothing runs; set scriptFormat="groovy" (or '
                "another language) if it is code",
            )
        self.script(script, language, script.text, "script", script_task=True)

    def _implementation(self, node: Any) -> tuple[str | None, str | None]:
        for attr in ("class", "delegateExpression", "expression"):
            if node.get(f"{_C}{attr}"):
                return attr, node.get(f"{_C}{attr}")
        if node.get(f"{_C}type") == "external":
            return "external", node.get(f"{_C}topic") or ""
        connector = node.find(f"{_B}extensionElements/{_C}connector")
        if connector is not None:
            connector_id = connector.find(f"{_C}connectorId")
            return "connector", (
                connector_id.text or ""
            ).strip() if connector_id is not None else ""
        return None, None

    def check_delegate(self, node: Any, required: bool = True, where: Any = None) -> None:
        kind, impl = self._implementation(node)
        at = node if where is None else where
        if kind is None:
            if required:
                what = node.tag[len(_B) :].replace("Task", " task")
                self.problem(
                    at,
                    f"the {what} has no implementation (Camunda 7 refuses it too): set "
                    "camunda:class, camunda:delegateExpression, camunda:expression, "
                    'camunda:type="external" with a topic, or a connector',
                )
            return
        if kind == "external":
            # Served by outside workers (fetchAndLock), or in-process by a delegate
            # registered under the topic.
            if not impl:
                self.problem(at, "the external task has no camunda:topic")
            priority = (node.get(f"{_C}taskPriority") or "").strip()
            if priority and "{" not in priority and not priority.lstrip("+-").isdigit():
                self.problem(
                    at,
                    f"camunda:taskPriority '{priority}' is not a whole number or an expression",
                )
            return
        if kind in {"delegateExpression", "expression"}:
            self.expression(at, impl, kind)
        connector = node.find(f"{_B}extensionElements/{_C}connector")
        if connector is not None:
            for param in connector.iter(f"{_C}inputParameter", f"{_C}outputParameter"):
                self.param_values(node, param, f"connector parameter '{param.get('name')}'")
        self.check_reference(at, kind, impl or "")

    def check_reference(self, at: Any, kind: str, impl: str) -> None:
        """Report a delegate reference (`class`, `${bean}`, ...) that no registration resolves."""
        candidates = delegate_candidates(kind, impl)
        if not candidates or (kind == "expression" and "(" not in impl):
            return
        known = (
            self.delegate_lookup(candidates)
            if self.delegate_lookup
            else (self.delegates is None or any(c in self.delegates for c in candidates))
        )
        if isinstance(known, str):
            self.problem(at, known)  # a delegate the registry refuses, and why
            return
        if not known:
            names = sorted(self.delegates or [])
            listing = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")  # noqa: PLR2004
            hint = did_you_mean(candidates[-1], names)
            self.problem(
                at,
                f"no delegate is registered for {kind} '{impl}'{hint} (looked up "
                f"as {', '.join(candidates)}); register one with "
                f'@manager.delegate("{candidates[-1]}"); registered: '
                f"{listing or 'none'}",
            )

    def check_serviceTask(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        self.check_delegate(node)
        self.expression(node, node.get(f"{_C}resultVariable"), "resultVariable")

    def check_sendTask(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        self.check_delegate(node)

    def check_businessRuleTask(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        ref = node.get(f"{_C}decisionRef")
        if ref is None:
            kind, _ = self._implementation(node)
            if kind is None:
                self.problem(
                    node,
                    "the business rule task has no camunda:decisionRef; name the "
                    "DMN decision id it evaluates",
                )
            else:
                self.check_delegate(node)
            return
        if juel.is_expression(ref):
            self.expression(node, ref, "decisionRef")
        elif self.decisions is not None and ref not in self.decisions:
            known = ", ".join(sorted(self.decisions)) or "none"
            self.problem(
                node,
                f"decisionRef '{ref}' names no deployed DMN decision; deploy the "
                f"DMN file with it first or in the same call; deployed decisions: "
                f"{known}",
            )
        mapping = node.get(f"{_C}mapDecisionResult")
        if mapping and mapping not in {
            "singleEntry",
            "singleResult",
            "collectEntries",
            "resultList",
        }:
            self.problem(
                node,
                f"camunda:mapDecisionResult '{mapping}' is not one of "
                "singleEntry, singleResult, collectEntries, resultList",
            )

    def check_userTask(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        for attr in (
            "assignee",
            "candidateUsers",
            "candidateGroups",
            "dueDate",
            "followUpDate",
            "priority",
            "formKey",
        ):
            self.expression(node, node.get(f"{_C}{attr}"), f"camunda:{attr}")
        for form_field in node.iter(f"{_C}formField"):
            ftype = form_field.get("type") or "string"
            if ftype not in _FORM_TYPES and not ftype.startswith("custom"):
                self.warn(form_field, f"form field type '{ftype}' is not validated")

    def check_exclusiveGateway(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        flows = self.outgoing(node, node.getparent())
        bare = [f for f in flows if f.find(f"{_B}conditionExpression") is None]
        if len(flows) > 1 and len(bare) == 1 and not node.get("default"):
            self.warn(
                bare[0],
                f"sequence flow '{bare[0].get('id')}' leaves gateway '{node.get('id')}' "
                "without a condition and is not its default flow, so it is taken as the "
                "default flow (as in Camunda 7); make it the default flow in the modeler",
            )

    def check_callActivity(self, node: Any) -> None:  # noqa: N802 - named after the BPMN tag
        check_call_activity(self, node)

    # ------------------------------------------------------------------ SpiffWorkflow

    def spiff_parse(self, root: Any) -> None:
        if self.report.problems:
            return
        parser = MlcBpmnParser()
        try:
            parser.add_bpmn_xml(root, filename=self.source.name)
            for process_id in list(parser.process_parsers):
                parser.get_spec(process_id)
        except ValidationException as err:
            index = element_index(root)  # only on failure: it costs a pass over the file
            self.report.problems.append(problem_from_spiff(err, index, self.source.name))
        except Exception as err:  # noqa: BLE001 - report, never crash, on SpiffWorkflow bugs
            self.report.problems.append(
                ProblemReport(
                    message=f"the diagram could not be parsed ({type(err).__name__}: {err}); "
                    "please report this with the file",
                    file=self.source.name,
                )
            )


@collection_paused()
def validate_bpmn(
    source: XmlSource,
    *,
    delegates: Collection[str] | None = None,
    decisions: Collection[str] | None = None,
    delegate_lookup: Callable[[tuple[str, ...]], bool | str] | None = None,
) -> BpmnReport:
    """Check a BPMN file without deploying it.

    Args:
        source: The file.
        delegates: Registered delegate names; None skips the delegate check.
        decisions: Known DMN decision ids; None skips the decisionRef check.
        delegate_lookup: Alternative to `delegates`: tells whether any candidate resolves,
            or returns why the delegate is refused.

    Returns:
        The report; `report.ok` tells whether it can be deployed.
    """
    checker = _Checker(source, delegates, decisions, delegate_lookup)
    try:
        root = load_xml(source)
    except DiagramError as err:
        checker.report.problems.extend(err.problems)
        return checker.report
    return checker.check(root)
