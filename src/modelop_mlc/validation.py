"""`validate()`: check BPMN and DMN files before deploying them, every problem at once."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field

from modelop_mlc._engine.validation import validate_bpmn
from modelop_mlc._engine.xml import BPMN_NS, load_xml, read_source
from modelop_mlc.errors import DiagramError, ProblemReport

__all__ = ["ValidationReport", "validate"]


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
    """

    file: str
    kind: str
    problems: tuple[ProblemReport, ...] = ()
    warnings: tuple[ProblemReport, ...] = ()
    processes: tuple[str, ...] = field(default=())
    decisions: tuple[str, ...] = field(default=())

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
) -> ValidationReport:
    """Check a BPMN or DMN file (a path, XML text or XML bytes) without deploying it.

    Args:
        source: The file.
        delegates: Registered delegate names to check service tasks against (None: skip).
        decisions: Known DMN decision ids to check `camunda:decisionRef` against (None: skip).
        name: The name to report problems under.

    Returns:
        The report; nothing is raised for problems in the file itself.
    """
    try:
        xml = read_source(source, name=name)
        root = load_xml(xml)
    except DiagramError as err:
        return ValidationReport(
            file=err.file or str(name or source), kind="unknown", problems=tuple(err.problems)
        )
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag.startswith("{" + BPMN_NS + "}"):
        report = validate_bpmn(xml, delegates=delegates, decisions=decisions)
        return ValidationReport(
            file=xml.name,
            kind="bpmn",
            problems=tuple(report.problems),
            warnings=tuple(report.warnings),
            processes=tuple(p.id for p in report.processes),
        )
    if "DMN" in tag:
        from modelop_mlc._engine.decision_languages import DECISION_LANGUAGES  # noqa: PLC0415
        from modelop_mlc.dmn import parse_dmn  # noqa: PLC0415 - loaded only for DMN files

        try:
            model = parse_dmn(xml.data, file=xml.name, languages=DECISION_LANGUAGES)
        except DiagramError as err:
            return ValidationReport(file=xml.name, kind="dmn", problems=tuple(err.problems))
        return ValidationReport(file=xml.name, kind="dmn", decisions=tuple(model.decision_ids()))
    return ValidationReport(
        file=xml.name,
        kind="unknown",
        problems=(ProblemReport(f"not a BPMN or DMN file (root element {tag!r})", file=xml.name),),
    )
