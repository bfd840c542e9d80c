"""Conformance over third-party Camunda Modeler diagrams: validate, deploy and run, never crash.

Every `.bpmn` file under `../shared/conformance/camunda-corpus` and `../shared/conformance/
bpmn-miwg` either validates and runs to its first wait state with placeholder delegates, or is
rejected with our validation problems naming the element. The table of outcomes is printed and
written to `build/conformance/bpmn_conformance.csv`.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from bpmn_xml import chain, flow, process
from conformance_driver import drive
from modelop_mlc import LifecycleManager, ManualClock, validate
from modelop_mlc._engine.parser import delegate_candidates
from modelop_mlc._engine.xml import BPMN_NS, CAMUNDA_NS
from modelop_mlc.errors import DiagramError, ExpressionError, MlcError, ProcessError

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CORPORA = ("camunda-corpus", "bpmn-miwg")
REPORT = ROOT / "build" / "conformance" / "bpmn_conformance.csv"
START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'

_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"
_MISSING = re.compile(r"Cannot resolve identifier '([^']+)'")
_NULL = re.compile(r"on null in ")
_QUOTED = re.compile(r"'[^']*'")
# A run-time failure whose message starts like this is a raw exception the engine wrapped.
_WRAPPED = "the engine failed at"

# Placeholder start variables: the names the corpus' conditions most often read.
PLACEHOLDER_VARIABLES: dict[str, Any] = {
    "approved": True,
    "amount": 100,
    "name": "placeholder",
    "businessKey": "bk-1",
    "valid": True,
    "status": "ok",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one file."""

    corpus: str
    file: str
    category: str  # ok | rejected | needs-dmn | needs-variable | stopped | CRASH
    detail: str

    @property
    def text(self) -> str:
        """The outcome as shown in the table."""
        if self.category == "ok":
            return f"ok ({self.detail})"
        if self.category in {"needs-dmn", "needs-variable", "stopped"}:
            return f"{self.category}: {self.detail}"
        return f"{self.category}: {self.detail}"


def _bpmn_files() -> Iterator[tuple[str, Path]]:
    for corpus in CORPORA:
        for path in sorted((CONFORMANCE / corpus).rglob("*.bpmn")):
            yield corpus, path


def _name(corpus: str, path: Path) -> str:
    return str(path.relative_to(CONFORMANCE / corpus))


def _require_conformance() -> None:
    if all((CONFORMANCE / corpus).is_dir() for corpus in CORPORA):
        return
    reason = f"conformance material not found under {CONFORMANCE}"
    if os.environ.get("MLC_REQUIRE_CONFORMANCE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _delegate_names(path: Path) -> set[str]:
    """Every registry name a service, send or business rule task in `path` may look up."""
    root = etree.parse(str(path)).getroot()
    names: set[str] = set()
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(_B):
            continue
        for kind in ("class", "delegateExpression", "expression"):
            value = node.get(f"{_C}{kind}")
            if value:
                names.update(delegate_candidates(kind, value))
        if node.get(f"{_C}type") == "external" and node.get(f"{_C}topic"):
            names.update(delegate_candidates("external", node.get(f"{_C}topic") or ""))
    for connector_id in root.iter(f"{_C}connectorId"):
        if connector_id.text and connector_id.text.strip():
            names.add(connector_id.text.strip())
    return {n for n in names if n.strip()}


def _placeholder(context: Any) -> None:
    """Accept any call and return nothing."""


def _first_problem(err: DiagramError) -> str:
    # Show a problem without an element id first: that is what the test must not see.
    unnamed = [p for p in err.problems if not p.element_id]
    if not err.problems:
        return str(err)
    problem = (unnamed or err.problems)[0]
    where = f"[{problem.element_id}] " if problem.element_id else "[no element] "
    return where + problem.message.splitlines()[0]


def _is_decision_problem(message: str) -> bool:
    return "names no deployed DMN decision" in message


def _crash(err: BaseException) -> str | None:
    """Describe `err` as a crash, or None when it is one of our deliberate errors."""
    if not isinstance(err, MlcError):
        return f"{type(err).__name__}: {err}"
    if isinstance(err, ProcessError) and str(err).startswith(_WRAPPED):
        cause = err.__cause__
        inner = cause.__cause__ if cause is not None and cause.__cause__ is not None else cause
        return f"{type(inner).__name__} (wrapped): {err}"
    return None


def _deploy_dmn(manager: LifecycleManager, corpus: Path) -> list[str]:
    """Deploy every DMN file of the corpus that our DMN engine accepts.

    SOURCES.tsv keeps some decisions in another folder than the diagram that calls them
    (`snippets/onboarding.bpmn` uses `camunda-optimize/risk_check.dmn`).
    """
    deployed = []
    for dmn in sorted(corpus.rglob("*.dmn")):
        try:
            manager.deploy(dmn)
        except DiagramError:
            continue
        deployed.append(dmn.name)
    return deployed


def _called_elements(path: Path) -> set[str]:
    """Processes `path` calls but does not define (the corpus does not ship them)."""
    root = etree.parse(str(path)).getroot()
    defined = {p.get("id") for p in root.iter(f"{_B}process")}
    called = {c.get("calledElement") for c in root.iter(f"{_B}callActivity")}
    return {c for c in called if c and c not in defined and "${" not in c}


def _placeholder_process(key: str) -> str:
    """A called process that starts and ends at once."""
    return (
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="stub_{key}" targetNamespace="t">'
        f'<bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>"
    )


def _start_event(process: Any) -> str | None:
    """The start event `manager.start` would choose: the none start, else the only one."""
    starts = process.start_events
    nones = [s for s in starts if s[1] == "none"]
    if len(nones) == 1:
        return str(nones[0][0])
    if len(starts) == 1:
        return str(starts[0][0])
    return None


def _run(
    corpus: str, name: str, path: Path, workdir: Path, *, drive_to_end: bool = False
) -> Outcome:
    """Validate, deploy and start the diagram at `path` (known as `name` in `corpus`).

    With `drive_to_end`, one instance per start event is started and driven to its end.
    """

    def outcome(category: str, detail: str) -> Outcome:
        return Outcome(corpus, name, category, detail)

    try:
        report = validate(path)
    except Exception as err:
        return outcome("CRASH", f"validate: {type(err).__name__}: {err}")
    if report.problems:
        first = report.problems[0]
        if _is_decision_problem(first.message):
            return outcome("needs-dmn", first.message)
        return outcome("rejected", _first_problem(DiagramError(report.problems)))
    workdir.mkdir(parents=True, exist_ok=True)
    clock = ManualClock()
    manager = LifecycleManager.open(workdir / "mlc.db", clock=clock)
    try:
        for delegate in sorted(_delegate_names(path)):
            manager.register_delegate(delegate, _placeholder, replace=True)
        if corpus == "camunda-corpus":
            try:
                _deploy_dmn(manager, CONFORMANCE / corpus)
            except Exception as err:  # the DMN engine is another agent's work in progress
                return outcome("needs-dmn", f"DMN deployment failed: {type(err).__name__}")
        for key in sorted(_called_elements(path)):
            manager.deploy((f"{key}.bpmn", _placeholder_process(key)))
        try:
            deployment = manager.deploy(path, check_delegates=True)
        except DiagramError as err:
            if any(_is_decision_problem(p.message) for p in err.problems):
                return outcome("needs-dmn", _first_problem(err))
            return outcome("rejected", _first_problem(err))
        results = []
        for definition in deployment.definitions:
            starts = [str(s[0]) for s in definition.start_events] if drive_to_end else []
            if not drive_to_end:
                only = _start_event(definition)
                starts = [only] if only is not None else []
            for start in starts:
                label = f"{definition.key}/{start}" if drive_to_end else definition.key
                try:
                    instance = manager.start(
                        definition.key, PLACEHOLDER_VARIABLES, start_event=start
                    )
                    if drive_to_end:
                        driven = drive(manager, clock, instance.id, path)
                        results.append(f"{label}: {driven.outcome} ({driven.detail})")
                        continue
                    manager.run_due()
                    instance = manager.instance(instance.id)
                except ExpressionError as err:
                    missing = _MISSING.search(str(err))
                    if missing and not drive_to_end:
                        return outcome("needs-variable", f"{definition.key}: {missing.group(1)}")
                    if _NULL.search(str(err)) and not drive_to_end:
                        return outcome("needs-variable", f"{definition.key}: {err.expression}")
                    results.append(f"{label}: refused ([{err.activity_id}] {err})")
                    continue
                except MlcError as err:
                    crash = _crash(err)
                    if crash is not None:
                        return outcome("CRASH", f"{definition.key}: {crash}")
                    message = str(err).splitlines()[0]
                    if "decision" in message.lower() and not drive_to_end:
                        return outcome("needs-dmn", f"{definition.key}: {message}")
                    results.append(f"{label}: refused ({type(err).__name__}: {message})")
                    continue
                if instance.status == "completed":
                    results.append(f"{label}: completed")
                else:
                    waiting = ",".join(instance.waiting_at) or instance.status
                    results.append(f"{label}: waiting at {waiting}")
            if not starts:
                results.append(f"{definition.key}: no single start event")
        return outcome("ok", "; ".join(results) or "no process")
    except Exception as err:
        return outcome("CRASH", _crash(err) or f"{type(err).__name__}: {err}")
    finally:
        manager.close()


def _write_csv(outcomes: list[Outcome]) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["corpus", "file", "category", "outcome"])
        for item in outcomes:
            writer.writerow([item.corpus, item.file, item.category, item.text])


def _table(outcomes: list[Outcome]) -> str:
    width = max(len(f"{o.corpus}/{o.file}") for o in outcomes)
    lines = ["", "BPMN conformance", "=" * 16]
    lines += [f"{o.corpus + '/' + o.file:<{width}}  {o.text}" for o in outcomes]
    counts = Counter(o.category for o in outcomes)
    lines.append("")
    lines.append("counts: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    reasons = Counter(
        _QUOTED.sub("'…'", o.detail.split("] ", 1)[-1])[:90]
        for o in outcomes
        if o.category == "rejected"
    )
    for reason, count in reasons.most_common():
        lines.append(f"  rejected x{count}: {reason}")
    lines.append(f"table written to {REPORT}")
    return "\n".join(lines)


@pytest.mark.conformance
def test_every_corpus_diagram_runs_or_is_rejected_precisely(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each diagram is refused naming its element, or every start event's instance is driven.

    One instance per start event; each ends, stops with one of our errors, or waits for what
    no placeholder gives it. Nothing is skipped and nothing crashes.
    """
    _require_conformance()
    outcomes = [
        _run(corpus, _name(corpus, path), path, tmp_path / f"{index}", drive_to_end=True)
        for index, (corpus, path) in enumerate(_bpmn_files())
    ]
    _write_csv(outcomes)
    figures = _figures(outcomes)
    with capsys.disabled():
        print(_table(outcomes))
        print("figures: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    crashes = [o for o in outcomes if o.category == "CRASH"]
    assert crashes == []
    unnamed = [o for o in outcomes if o.category == "rejected" and "[no element]" in o.detail]
    assert unnamed == []
    assert "no single start event" not in " ".join(o.detail for o in outcomes)
    assert figures["files"] == figures["refused at deploy"] + figures["deployed"]
    assert figures["instances"] == figures["ended"] + figures["refused"] + figures["waiting"]
    assert figures == _documented_figures()


def _documented_figures() -> dict[str, int]:
    """The figures table of docs/camunda7.md, which must show what this test measures."""
    page = (ROOT / "docs" / "camunda7.md").read_text(encoding="utf-8")
    table = page.split("<!-- conformance figures", 1)[1]
    rows = re.findall(r"^\| ([a-z ]+) \| (\d+) \|$", table, flags=re.MULTILINE)
    return {name: int(count) for name, count in rows}


def _figures(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts for the conformance report: files, deployments and driven instances."""
    runs = [kind for o in outcomes if o.category == "ok" for kind in _RUN.findall(o.detail)]
    return {
        "files": len(outcomes),
        "refused at deploy": sum(o.category in {"rejected", "needs-dmn"} for o in outcomes),
        "deployed": sum(o.category == "ok" for o in outcomes),
        "instances": len(runs),
        "ended": runs.count("ended"),
        "refused": runs.count("refused"),
        "waiting": runs.count("waiting"),
    }


_RUN = re.compile(r"(?:^|; )\S+/\S+: (ended|refused|waiting) \(")


@pytest.mark.conformance
def test_diagrams_calling_built_in_functions_run(tmp_path: Path) -> None:
    """The corpus' `dateTime()` due dates and Spin `JSON(...)` output deploy and run."""
    _require_conformance()
    corpus = CONFORMANCE / "camunda-corpus"
    invoice = "camunda-kpi-monitoring-demo/invoice.v3.bpmn"
    outcome = _run("camunda-corpus", invoice, corpus / invoice, tmp_path / "invoice")
    # Its JavaScript task listener cannot run here, so the file is refused, naming it.
    assert outcome.text.startswith(
        "rejected: [approveInvoice] listener script: scripts in 'javascript'"
    )
    without = tmp_path / "invoice-without-listener.bpmn"
    root = etree.parse(str(corpus / invoice)).getroot()
    for listener in list(root.iter(f"{_C}taskListener")):
        listener.getparent().remove(listener)
    without.write_bytes(etree.tostring(root))
    outcome = _run("camunda-corpus", invoice, without, tmp_path / "invoice2")
    assert outcome.text == "ok (invoice: waiting at approveInvoice)"
    # The JSON(general_config) output runs; the gateway after it then reads `general_config`,
    # which the business rule task keeps local because it has output parameters.
    screening = "form-js-cawemo-prototype/screening-and-scheduling.bpmn"
    outcome = _run("camunda-corpus", screening, corpus / screening, tmp_path / "screening")
    assert outcome.category != "rejected"
    assert "JSON" not in outcome.detail


@pytest.mark.conformance
def test_diagrams_with_feel_scripts_run(tmp_path: Path) -> None:
    """The corpus' FEEL script task and FEEL output parameters deploy and run."""
    _require_conformance()
    corpus = CONFORMANCE / "camunda-corpus"
    # Unknown names are null in FEEL, so `a + b` without `a` and `b` completes with c = null.
    expected = {
        "c7-converter-tests/internal-script.bpmn": "ok (feelScriptProcess: completed)",
        "task-assignment-dmn/Approval.bpmn": "ok (ApprovalProcess: waiting at PerformTaskTask)",
    }
    for index, (name, text) in enumerate(expected.items()):
        outcome = _run("camunda-corpus", name, corpus / name, tmp_path / f"{index}")
        assert outcome.text == text
    # Its FEEL values run; what is left is an external FEEL resource and a missing class.
    name = "c7-converter-tests/feel_expr_not_tranformed.bpmn"
    problems = validate(corpus / name).problems
    assert [p.element_id for p in problems] == ["Activity_1s02kf9", "Activity_1s02kf9"]
    assert "external.feel" in problems[0].message
    assert "no implementation" in problems[1].message


def _repair(path: Path) -> bytes:
    """Patch what Camunda 7 refuses too, so that the engine meets the rest of the diagram.

    Every process becomes executable; empty timers get `PT5M`; service tasks without an
    implementation get a placeholder class; multi-instance activities without a cardinality
    get 2; scopes without a start event get one leading to their first activity.
    """
    root = etree.parse(str(path)).getroot()
    for node in root.iter(f"{_B}process"):
        node.set("isExecutable", "true")
    for timer in root.iter(f"{_B}timerEventDefinition"):
        values = [c for c in timer if isinstance(c.tag, str) and c.tag.startswith(f"{_B}time")]
        if not values:
            etree.SubElement(timer, f"{_B}timeDuration").text = "PT5M"
        for value in values:
            if not (value.text or "").strip():
                value.tag = f"{_B}timeDuration"
                value.text = "PT5M"
    implementations = ("class", "delegateExpression", "expression", "type", "decisionRef")
    for tag in ("serviceTask", "businessRuleTask"):
        for task in root.iter(f"{_B}{tag}"):
            connector = task.find(f"{_B}extensionElements/{_C}connector")
            if connector is None and not any(task.get(f"{_C}{a}") for a in implementations):
                task.set(f"{_C}class", "Placeholder")
    for loop in root.iter(f"{_B}multiInstanceLoopCharacteristics"):
        if loop.get(f"{_C}collection") is None and loop.find(f"{_B}loopCardinality") is None:
            etree.SubElement(loop, f"{_B}loopCardinality").text = "2"
    scopes = [*root.iter(f"{_B}process"), *root.iter(f"{_B}subProcess")]
    for scope in scopes:
        if scope.get("triggeredByEvent") == "true" or scope.find(f"{_B}startEvent") is not None:
            continue
        targets = {f.get("targetRef") for f in scope.findall(f"{_B}sequenceFlow")}
        first = next(
            (
                n
                for n in scope
                if isinstance(n.tag, str)
                and n.get("id") not in targets
                and n.tag[len(_B) :] in _REPAIR_FIRST
            ),
            None,
        )
        start = etree.SubElement(scope, f"{_B}startEvent", id=f"repair_{scope.get('id')}")
        if first is not None:
            etree.SubElement(
                scope,
                f"{_B}sequenceFlow",
                id=f"repair_flow_{scope.get('id')}",
                sourceRef=start.get("id"),
                targetRef=first.get("id"),
            )
    _repair_references(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _repair_references(root: Any) -> None:
    """Give event definitions the message, signal and condition Camunda 7 demands of them.

    Also give an exclusive gateway's extra flows without a condition (which Camunda refuses
    next to a default flow or another such flow) the condition `${false}`.
    """
    for kind in ("message", "signal"):
        ref = f"repair_{kind}"
        for definition in root.iter(f"{_B}{kind}EventDefinition"):
            if not (definition.get(f"{kind}Ref") or "").strip():
                definition.set(f"{kind}Ref", ref)
                if root.find(f"{_B}{kind}[@id='{ref}']") is None:
                    root.append(etree.Element(f"{_B}{kind}", id=ref, name=ref))
    for definition in root.iter(f"{_B}conditionalEventDefinition"):
        condition = definition.find(f"{_B}condition")
        if condition is None:
            condition = etree.SubElement(definition, f"{_B}condition")
        if not (condition.text or "").strip():
            condition.text = "${false}"
    for gateway in root.iter(f"{_B}exclusiveGateway"):
        flows = [
            f
            for f in gateway.getparent().findall(f"{_B}sequenceFlow")
            if f.get("sourceRef") == gateway.get("id")
        ]
        bare = [f for f in flows if f.find(f"{_B}conditionExpression") is None]
        keep = gateway.get("default") or (bare[0].get("id") if bare else None)
        for extra_flow in bare:
            if extra_flow.get("id") != keep:
                etree.SubElement(extra_flow, f"{_B}conditionExpression").text = "${false}"


_REPAIR_FIRST = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "manualTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "exclusiveGateway",
        "parallelGateway",
        "intermediateThrowEvent",
        "intermediateCatchEvent",
    }
)


@pytest.mark.conformance
def test_repaired_corpus_diagrams_never_crash(tmp_path: Path) -> None:
    """With what Camunda also refuses patched, no diagram crashes validation, deploy or start."""
    _require_conformance()
    outcomes = []
    for index, (corpus, path) in enumerate(_bpmn_files()):
        repaired = tmp_path / "repaired" / f"{index}.bpmn"
        repaired.parent.mkdir(exist_ok=True)
        repaired.write_bytes(_repair(path))
        outcomes.append(_run(corpus, _name(corpus, path), repaired, tmp_path / f"{index}"))
    crashes = [o.text for o in outcomes if o.category == "CRASH"]
    assert crashes == []
    assert Counter(o.category for o in outcomes)["ok"] > len(outcomes) // 2


# ---------------------------------------------------------------- what the corpus needed


def _ids(instance: Any) -> set[str]:
    return set(instance.waiting_at)


def test_plain_task_passes_straight_through(manager: LifecycleManager) -> None:
    """A `bpmn:task` does nothing and does not wait, as in Camunda."""
    xml = process(
        START + '<bpmn:task id="t"/><bpmn:userTask id="u"/>' + END + chain("start", "t", "u", "end")
    )
    manager.deploy(xml)
    assert manager.start("p").waiting_at == ("u",)


def test_conditional_flows_leaving_an_activity_take_every_true_one(
    manager: LifecycleManager,
) -> None:
    """Flows leaving an activity are taken when their condition holds or they have none."""
    xml = process(
        START
        + '<bpmn:task id="t"/><bpmn:userTask id="big"/><bpmn:userTask id="huge"/>'
        + '<bpmn:userTask id="always"/>'
        + chain("start", "t")
        + flow("to_big", "t", "big", "${x > 1}")
        + flow("to_huge", "t", "huge", "${x > 5}")
        + flow("to_always", "t", "always")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"x": 3})
    assert _ids(instance) == {"big", "always"}
    flows = [
        h.activity_id for h in manager.history(instance.id, limit=None) if h.kind == "flow_taken"
    ]
    assert "to_big" in flows
    assert "to_huge" not in flows


def test_default_flow_of_an_activity_is_taken_when_no_condition_holds(
    manager: LifecycleManager,
) -> None:
    """An activity's default flow is taken only when none of its conditions holds."""
    body = (
        START
        + '<bpmn:task id="t" default="other"/><bpmn:userTask id="yes"/><bpmn:userTask id="no"/>'
        + chain("start", "t")
        + flow("ok", "t", "yes", "${approved}")
        + flow("other", "t", "no")
    )
    manager.deploy(process(body))
    assert manager.start("p", {"approved": True}).waiting_at == ("yes",)
    assert manager.start("p", {"approved": False}).waiting_at == ("no",)


def test_no_true_condition_ends_the_path(manager: LifecycleManager) -> None:
    """With no condition true and no default flow, the path ends there, as in Camunda."""
    xml = process(
        START
        + '<bpmn:task id="t"/><bpmn:userTask id="u"/>'
        + chain("start", "t")
        + flow("f", "t", "u", "${x > 1}")
    )
    manager.deploy(xml)
    assert manager.start("p", {"x": 0}).status == "completed"


def test_gateway_flow_without_condition_counts_as_true(manager: LifecycleManager) -> None:
    """A non-default gateway flow without a condition is taken, with a validation warning."""
    xml = process(
        START
        + '<bpmn:exclusiveGateway id="gw"/><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
        + chain("start", "gw")
        + flow("fa", "gw", "a", "${x > 1}")
        + flow("fb", "gw", "b")
    )
    report = validate(xml)
    assert report.ok
    assert [w.element_id for w in report.warnings] == ["fb"]
    manager.deploy(xml)
    assert manager.start("p", {"x": 0}).waiting_at == ("b",)
    assert manager.start("p", {"x": 5}).waiting_at == ("a",)


def test_link_throw_continues_at_the_catch_of_the_same_name(manager: LifecycleManager) -> None:
    """A link throw event jumps to the link catch event with its name in the same scope."""
    xml = process(
        START
        + '<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition name="L"/>'
        + "</bpmn:intermediateThrowEvent>"
        + '<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L"/>'
        + '</bpmn:intermediateCatchEvent><bpmn:userTask id="u"/>'
        + END
        + chain("start", "go")
        + chain("land", "u", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("u",)
    task = manager.tasks(instance_id=instance.id)[0]
    assert manager.complete_task(task.id).status == "completed"


def test_link_throw_without_matching_catch_is_refused() -> None:
    """A link throw whose name no catch event has is a problem naming the throw event."""
    xml = process(
        START
        + '<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition name="L"/>'
        + "</bpmn:intermediateThrowEvent>"
        + chain("start", "go")
    )
    problems = validate(xml).problems
    assert [p.element_id for p in problems] == ["go"]
    assert "'L'" in problems[0].message


def test_paths_without_end_events_complete_the_process(manager: LifecycleManager) -> None:
    """A sub-process and a process without end events complete when their paths run out."""
    xml = process(
        START
        + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/><bpmn:userTask id="u"/>'
        + '<bpmn:sequenceFlow id="i1" sourceRef="s2" targetRef="u"/></bpmn:subProcess>'
        + '<bpmn:task id="after"/>'
        + chain("start", "sub", "after")
    )
    assert validate(xml).ok
    manager.deploy(xml)
    instance = manager.start("p")
    assert instance.waiting_at == ("u",)
    task = manager.tasks(instance_id=instance.id)[0]
    assert manager.complete_task(task.id).status == "completed"
    assert "after" in [h.activity_id for h in manager.history(instance.id, limit=None)]


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        ('<bpmn:userTask id="u"/>', "p", "no start event"),
        (
            START + '<bpmn:subProcess id="sub"><bpmn:userTask id="u"/></bpmn:subProcess>'
            '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="sub"/>',
            "sub",
            "sub-process has no start event",
        ),
        (
            START + '<bpmn:callActivity id="call" camunda:caseRef="case1"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="call"/>',
            "call",
            "CMMN",
        ),
        (
            START + '<bpmn:intermediateCatchEvent id="wait"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="wait"/>',
            "wait",
            "no event definition",
        ),
        (START + '<bpmn:startEvent id="start2"/>', "start2", "none start events"),
    ],
)
def test_what_camunda_refuses_is_refused_with_the_element(
    body: str, element: str, words: str
) -> None:
    """Diagrams Camunda 7 cannot deploy get a problem naming the element and the fix."""
    problems = validate(process(body)).problems
    assert problems
    assert problems[0].element_id == element
    assert words in problems[0].message


def test_file_without_executable_process_names_the_process() -> None:
    """A file whose only process is not executable names that process."""
    xml = process(START).replace('isExecutable="true"', 'isExecutable="false"')
    problems = validate(xml).problems
    assert [p.element_id for p in problems] == ["p"]
    assert "Executable" in problems[0].message
