"""Real Camunda Modeler DMN files: each parses (or is precisely refused) and evaluates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dmn.tck import PROJECT_ROOT, conformance_required
from modelop_mlc.dmn import DmnModel, map_decision_result, parse_dmn
from modelop_mlc.errors import DiagramError

CORPUS = (PROJECT_ROOT / ".." / "shared" / "conformance" / "camunda-corpus").resolve()
REFUSED = {"c7-converter-tests/first.dmn"}
"""Files that use JUEL/Python expressions: they must fail with a precise DiagramError."""


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.dmn")) if CORPUS.is_dir() else []


def require_corpus() -> None:
    if CORPUS.is_dir():
        return
    reason = f"../shared/conformance/camunda-corpus not found at {CORPUS}"
    if conformance_required():
        pytest.fail(reason + " (MLC_REQUIRE_CONFORMANCE=1)")
    pytest.skip(reason)


def load(relative: str) -> DmnModel:
    require_corpus()
    return parse_dmn(CORPUS / relative)


SAMPLE_VALUES: list[Any] = [None, 0, 15, 45, 600, 1960, "basic", "Gold", True, False]


@pytest.mark.conformance
def test_corpus_is_present() -> None:
    """The corpus holds the Camunda files these tests are about."""
    require_corpus()
    assert len(corpus_files()) >= 10


@pytest.mark.conformance
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_file_parses_and_evaluates(path: Path) -> None:
    """Each file parses and every decision evaluates sample inputs without raising."""
    relative = str(path.relative_to(CORPUS))
    if relative in REFUSED:
        with pytest.raises(DiagramError):
            parse_dmn(path).raise_for_problems()
        return
    model = parse_dmn(path)
    for decision_id in model.decision_ids():
        names = model._metric_names(decision_id)
        for sample in SAMPLE_VALUES:
            variables = {name.split(".")[0]: sample for name in names}
            result = model.evaluate(decision_id, variables)
            assert result.decision_id == decision_id
            assert isinstance(result.rows, list)
            result.to_json()


@pytest.mark.conformance
def test_unsupported_expression_languages_are_named() -> None:
    """A file with JUEL and Python expressions is refused, naming decision and column."""
    require_corpus()
    with pytest.raises(DiagramError) as info:
        parse_dmn(CORPUS / "c7-converter-tests" / "first.dmn").raise_for_problems()
    problems = [str(p) for p in info.value.problems]
    assert any(
        "element 'Decision_0kjih6z' (Decision 1)" in p
        and "input 'Hahaha'" in p
        and "expressionLanguage 'juel' is not supported" in p
        for p in problems
    )
    assert any("rule 1, input 'Hahaha': cannot parse '${blablabla}'" in p for p in problems)
    assert any("expressionLanguage 'python' is not supported" in p for p in problems)


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("amount", "category", "groups"),
    [
        (300, "Misc", ["accounting"]),
        (300, "Travel Expenses", ["accounting", "sales"]),
        (600, "Travel Expenses", ["sales", "management"]),
        (900, "Misc", ["management"]),
    ],
)
def test_assign_approver_rule_order(amount: int, category: str, groups: list[str]) -> None:
    """The invoice example (RULE ORDER) returns the approver groups Camunda returns."""
    model = load("camunda-kpi-monitoring-demo/assign-approver-groups.dmn")
    result = model.evaluate(
        "invoice-assign-approver", {"amount": amount, "invoiceCategory": category}
    )
    assert map_decision_result(result, "collectEntries") == groups


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("application", "underwriter"),
    [
        ({"age": 35, "risk": "low", "type": "basic"}, "john"),
        ({"age": 50, "risk": "low", "type": "basic"}, "mary"),
        ({"age": 30, "risk": "high", "type": "basic"}, "mary"),
        ({"age": 30, "risk": "high", "type": "extended"}, "peter"),
        ({"age": 50, "risk": "high", "type": "basic"}, "peter"),
    ],
)
def test_determine_underwriter_first(application: dict[str, Any], underwriter: str) -> None:
    """The underwriting example (FIRST, nested `application.*` paths) picks the first match."""
    model = load("underwriting/determine-underwriter.dmn")
    result = model.evaluate("determineUnderwriter", {"application": application})
    assert map_decision_result(result, "singleEntry") == underwriter


@pytest.mark.conformance
def test_determine_access_drg() -> None:
    """The DRD showcase evaluates the required VIP decision and uses its output by name."""
    model = load("DMN-DRD-Showcase/DetermineAccess.dmn")
    silver_vip = {"hotelCreditCard": False, "yearsWithMembership": 12, "clubMembership": "Silver"}
    result = model.evaluate("determineBenefits", {"bookingInfo": silver_vip})
    assert map_decision_result(result, "singleResult") == {
        "roomUpgrade": True,
        "freeDrinks": 2,
        "breakfast": "Western",
    }
    bronze = {"hotelCreditCard": False, "yearsWithMembership": 1, "clubMembership": "Bronze"}
    result = model.evaluate("determineBenefits", {"bookingInfo": bronze})
    assert map_decision_result(result, "singleResult") == {
        "roomUpgrade": False,
        "freeDrinks": 0,
        "breakfast": "None",
    }


@pytest.mark.conformance
def test_risk_check_collect() -> None:
    """The Optimize risk check (COLLECT) returns every matching risk."""
    model = load("camunda-optimize/risk_check.dmn")
    application = {
        "applicant": {"age": 25},
        "employment": "Unemployed",
        "category": "Premium Package",
    }
    result = model.evaluate("checkRisk_en", {"application": application, "score": 80})
    assert map_decision_result(result, "resultList") == [
        {"risk": "Won't Pay In Time", "riskLevel": "red"},
        {"risk": "Lack Of Income", "riskLevel": "red"},
    ]


@pytest.mark.conformance
def test_task_assignment_leaves_out_empty_outputs() -> None:
    """Empty output entries are left out of a rule's row, as in Camunda's rule results."""
    model = load("task-assignment-dmn/taskAssignment.dmn")
    variables = {"productGroup": None, "productDepartment": "Seafood", "productClass": "Clams"}
    result = model.evaluate("Decision_Task_Assignment", {**variables, "halal": False})
    assert map_decision_result(result, "resultList") == [
        {"candidateGroups": "Seafood"},
        {"candidateUsers": "Donald"},
    ]


@pytest.mark.conformance
def test_music_choice_range_with_space() -> None:
    """`[1960.. 1970]` (a space after the dots) is a range, as Camunda reads it."""
    model = load("dmn-orchestration-example/MusicDecision.dmn")
    first = model.evaluate("music", {"decade": 1960, "peace": True, "story": True})
    assert first.value == "The Free Design"
    sabbath = model.evaluate("music", {"decade": 1965, "peace": False, "story": None})
    assert sabbath.value == "Black Sabbath"
