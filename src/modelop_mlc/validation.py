"""`validate()`: check BPMN and DMN files before deploying them, every problem at once.

Besides the problems, a report lists every element of the file with what it does here and
whether it runs or is refused, and why (`ValidationReport.elements`): the migration report
`mlc check` prints for a diagram brought over from ModelOp Center or Camunda.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelop_mlc._engine._collections import collection_paused
from modelop_mlc._engine.parser import delegate_candidates
from modelop_mlc._engine.validation import validate_bpmn
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS, load_xml, read_source
from modelop_mlc.errors import DiagramError, ProblemReport
from modelop_mlc.registry import DelegateRegistry

__all__ = ["ElementReport", "ValidationReport", "validate"]

RUNS = "runs"
REFUSED = "refused"
_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"
_CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
_NOT_ELEMENTS = frozenset(
    {
        "extensionElements",
        "incoming",
        "outgoing",
        "documentation",
        "laneSet",
        "lane",
        "flowNodeRef",
        "textAnnotation",
        "association",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "ioSpecification",
    }
)


@dataclass(frozen=True)
class ElementReport:
    """One element of a diagram in the migration report.

    Attributes:
        element_id: The element's id.
        element_type: Its BPMN tag (`serviceTask`, `sequenceFlow`, ...), or `decision`.
        name: Its name, if it has one.
        line: Its line in the file.
        status: `runs` or `refused`.
        does: What it does here (the delegate it calls, the script language, the timer).
        problems: Why it is refused (empty when it runs).
        warnings: What behaves differently or is ignored.
    """

    element_id: str
    element_type: str
    name: str | None
    line: int | None
    status: str
    does: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    """What `validate()` found in one file.

    Attributes:
        file: The file (or resource name).
        kind: `bpmn`, `dmn` or `unknown`.
        problems: What must be fixed before the file can be deployed.
        warnings: What will be ignored or behave differently from Camunda.
        processes: Ids of the executable processes (BPMN).
        decisions: Ids of the decisions (DMN).
        elements: Every element, with what it does and whether it runs or is refused.
    """

    file: str
    kind: str
    problems: tuple[ProblemReport, ...] = ()
    warnings: tuple[ProblemReport, ...] = ()
    processes: tuple[str, ...] = field(default=())
    decisions: tuple[str, ...] = field(default=())
    elements: tuple[ElementReport, ...] = field(default=())

    @property
    def refused(self) -> tuple[ElementReport, ...]:
        """The elements that are refused."""
        return tuple(e for e in self.elements if e.status == REFUSED)

    @property
    def ok(self) -> bool:
        """True when the file can be deployed."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise `DiagramError` listing every problem, if there is any.

        Raises:
            DiagramError: If there are problems.
        """
        if self.problems:
            raise DiagramError(self.problems, file=self.file)


def validate(
    source: str | bytes | os.PathLike[str],
    *,
    delegates: Collection[str] | None = None,
    decisions: Collection[str] | None = None,
    name: str | None = None,
    registry: DelegateRegistry | None = None,
) -> ValidationReport:
    """Check a BPMN or DMN file (a path, XML text or XML bytes) without deploying it.

    Args:
        source: The file.
        delegates: Registered delegate names to check service tasks against (None: skip).
        decisions: Known DMN decision ids to check `camunda:decisionRef` against (None: skip).
        name: The name to report problems under.
        registry: Delegates to check service tasks against, instead of `delegates`: a
            delegate it refuses (one of ModelOp's that needs another system) is reported
            with the reason.

    Returns:
        The report; nothing is raised for problems in the file itself.
    """
    with collection_paused():
        return _validate(source, delegates, decisions, name, registry)


def _validate(
    source: str | bytes | os.PathLike[str],
    delegates: Collection[str] | None,
    decisions: Collection[str] | None,
    name: str | None,
    registry: DelegateRegistry | None,
) -> ValidationReport:
    try:
        xml = read_source(source, name=name)
        root = load_xml(xml)
    except DiagramError as err:
        return ValidationReport(
            file=err.file or str(name or source), kind="unknown", problems=tuple(err.problems)
        )
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag.startswith("{" + BPMN_NS + "}"):
        lookup = _lookup(registry) if registry is not None else None
        names = registry.names() if registry is not None else delegates
        report = validate_bpmn(xml, delegates=names, decisions=decisions, delegate_lookup=lookup)
        return ValidationReport(
            file=xml.name,
            kind="bpmn",
            problems=tuple(report.problems),
            warnings=tuple(report.warnings),
            processes=tuple(p.id for p in report.processes),
            elements=tuple(_bpmn_elements(root, report.problems, report.warnings, registry)),
        )
    if "DMN" in tag:
        from modelop_mlc._engine.decision_languages import DECISION_LANGUAGES  # noqa: PLC0415
        from modelop_mlc.dmn import parse_dmn  # noqa: PLC0415 - loaded only for DMN files

        try:
            model = parse_dmn(xml.data, file=xml.name, languages=DECISION_LANGUAGES)
            model.raise_for_problems()
        except DiagramError as err:
            return ValidationReport(
                file=xml.name,
                kind="dmn",
                problems=tuple(err.problems),
                elements=tuple(_dmn_elements(root, err.problems)),
            )
        return ValidationReport(
            file=xml.name,
            kind="dmn",
            decisions=tuple(model.decision_ids()),
            elements=tuple(_dmn_elements(root, ())),
        )
    return ValidationReport(
        file=xml.name,
        kind="unknown",
        problems=(ProblemReport(f"not a BPMN or DMN file (root element {tag!r})", file=xml.name),),
    )


# -------------------------------------------------------------------------- the element report


def _lookup(registry: DelegateRegistry) -> Any:
    def lookup(candidates: tuple[str, ...]) -> bool | str:
        if registry.resolve(candidates) is not None:
            return True
        return registry.refusal(candidates) or False

    return lookup


def _tag(node: Any) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.split("}", 1)[-1]


def _walk(scope: Any) -> Iterable[Any]:
    """The elements of a process, sub-processes included, in document order."""
    for node in scope:
        if not isinstance(node.tag, str) or not node.tag.startswith(_B):
            continue
        tag = _tag(node)
        if tag in _NOT_ELEMENTS or node.get("id") is None:
            continue
        if tag == "sequenceFlow" and node.find(f"{_B}conditionExpression") is None:
            continue  # a plain flow neither runs nor is refused; its ends are reported
        yield node
        if tag in _CONTAINERS:
            yield from _walk(node)


def _implementation(node: Any) -> tuple[str, str] | None:
    for attr in ("class", "delegateExpression", "expression"):
        value = node.get(f"{_C}{attr}")
        if value:
            return attr, value
    if node.get(f"{_C}type") == "external":
        return "external", node.get(f"{_C}topic") or ""
    connector = node.find(f"{_B}extensionElements/{_C}connector/{_C}connectorId")
    if connector is not None:
        return "connector", (connector.text or "").strip()
    return None


def _delegate(node: Any, registry: DelegateRegistry | None) -> str:
    found = _implementation(node)
    if found is None:
        return "no implementation"
    kind, impl = found
    candidates = delegate_candidates(kind, impl)
    entry = registry.resolve(candidates) if registry is not None and candidates else None
    what = f"external task, topic '{impl}'" if kind == "external" else f"{kind} {impl}"
    if entry is None:
        return what
    built_in = " (built in)" if entry.builtin else ""
    if kind == "external":
        return f"{what}: delegate {entry.name}{built_in}"
    return f"delegate {entry.name}{built_in}"


def _event(node: Any) -> str:
    kinds = [
        _tag(c)[: -len("EventDefinition")]
        for c in node
        if isinstance(c.tag, str) and _tag(c).endswith("EventDefinition")
    ]
    timer = node.find(f"{_B}timerEventDefinition")
    if timer is not None:
        spec = next((c for c in timer if isinstance(c.tag, str)), None)
        if spec is not None:
            return f"timer {_tag(spec)} {(spec.text or '').strip()}"
    return f"{', '.join(kinds)} event" if kinds else "none event"


def _does(node: Any, registry: DelegateRegistry | None) -> str:
    tag = _tag(node)
    if tag in {"serviceTask", "sendTask"} or (
        tag == "businessRuleTask" and node.get(f"{_C}decisionRef") is None
    ):
        return _delegate(node, registry)
    if tag == "businessRuleTask":
        return f"decision {node.get(f'{_C}decisionRef')}"
    if tag == "scriptTask":
        return f"script ({node.get('scriptFormat') or 'no scriptFormat'})"
    if tag == "userTask":
        groups = node.get(f"{_C}candidateGroups")
        return "user task" + (f", candidate groups {groups}" if groups else "")
    if tag.endswith("Event"):
        return _event(node)
    if tag == "sequenceFlow":
        condition = node.find(f"{_B}conditionExpression")
        language = condition.get("language") if condition is not None else None
        return f"condition ({language or 'JUEL'})"
    if tag == "callActivity":
        return f"calls {node.get('calledElement')}"
    return tag


def _by_element(reports: Iterable[ProblemReport]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for report in reports:
        if report.element_id:
            found.setdefault(report.element_id, []).append(report.message)
    return found


def _bpmn_elements(
    root: Any,
    problems: Iterable[ProblemReport],
    warnings: Iterable[ProblemReport],
    registry: DelegateRegistry | None,
) -> list[ElementReport]:
    refused = _by_element(problems)
    warned = _by_element(warnings)
    elements = []
    for process in root.findall(f"{_B}process"):
        for node in [process, *_walk(process)]:
            element_id = node.get("id")
            issues = tuple(refused.get(element_id, ()))
            elements.append(
                ElementReport(
                    element_id=element_id,
                    element_type=_tag(node),
                    name=node.get("name"),
                    line=node.sourceline,
                    status=REFUSED if issues else RUNS,
                    does=_does(node, registry) if _tag(node) != "process" else "process",
                    problems=issues,
                    warnings=tuple(warned.get(element_id, ())),
                )
            )
    return elements


def _dmn_elements(root: Any, problems: Iterable[ProblemReport]) -> list[ElementReport]:
    refused = _by_element(problems)
    elements = []
    for node in root.iter():
        if _tag(node) != "decision" or node.get("id") is None:
            continue
        issues = tuple(refused.get(node.get("id"), ()))
        logic = [
            _tag(c)
            for c in node
            if _tag(c) in {"decisionTable", "literalExpression", "context", "invocation"}
        ]
        elements.append(
            ElementReport(
                element_id=node.get("id"),
                element_type="decision",
                name=node.get("name"),
                line=node.sourceline,
                status=REFUSED if issues else RUNS,
                does=logic[0] if logic else "decision",
                problems=issues,
            )
        )
    return elements
