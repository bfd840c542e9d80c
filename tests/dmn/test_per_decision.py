"""`parse_dmn`: a broken expression fails its own decision; imports resolve by namespace."""

from __future__ import annotations

import pytest

from modelop_mlc.dmn import parse_dmn
from modelop_mlc.errors import DecisionError, DiagramError

NS = 'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"'


def _literal(decision_id: str, text: str, extra: str = "") -> str:
    return (
        f'<decision id="{decision_id}" name="{decision_id}">{extra}'
        f"<literalExpression><text>{text}</text></literalExpression></decision>"
    )


MODEL = (
    f'<definitions {NS} id="m" name="m" namespace="urn:m">'
    + _literal("good", "1 + 2")
    + _literal("bad", "1 +* 2")
    + _literal(
        "uses_bad",
        "bad + 1",
        '<informationRequirement><requiredDecision href="#bad"/></informationRequirement>',
    )
    + "</definitions>"
)


def test_a_broken_expression_fails_only_its_decision() -> None:
    """The model parses; `good` evaluates, `bad` and what requires it fail, naming `bad`."""
    model = parse_dmn(MODEL)
    assert model.evaluate("good", {}).value == 3
    with pytest.raises(DecisionError, match="'bad'") as caught:
        model.evaluate("bad", {})
    assert "cannot parse" in str(caught.value)
    with pytest.raises(DecisionError):
        model.evaluate("uses_bad", {})
    assert [p.element_id for p in model.problems] == ["bad"]


def test_problems_are_still_refused_at_deploy_time() -> None:
    """`raise_for_problems()` (what validate and deploy call) lists every problem at once."""
    with pytest.raises(DiagramError) as caught:
        parse_dmn(MODEL).raise_for_problems()
    assert [p.element_id for p in caught.value.problems] == ["bad"]


IMPORTED = (
    f'<definitions {NS} id="lib" name="lib" namespace="urn:lib">'
    '<businessKnowledgeModel id="greet" name="Greet"><encapsulatedLogic>'
    '<formalParameter name="who"/><literalExpression><text>"Hello, " + who</text>'
    "</literalExpression></encapsulatedLogic></businessKnowledgeModel>"
    + _literal("base", "40")
    + "</definitions>"
)
IMPORTING = (
    f'<definitions {NS} id="app" name="app" namespace="urn:app">'
    '<import namespace="urn:lib" name="my lib" '
    'importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
    + _literal(
        "hello",
        'my lib.Greet("Ann") + " " + string(my lib.base + 2)',
        '<informationRequirement><requiredDecision href="urn:lib#base"/>'
        '</informationRequirement><knowledgeRequirement><requiredKnowledge href="urn:lib#greet"/>'
        "</knowledgeRequirement>",
    )
    + "</definitions>"
)


def test_imported_knowledge_and_decisions_are_used_by_prefix() -> None:
    """An imported BKM and decision are reached as `my lib.Greet` and `my lib.base`."""
    model = parse_dmn(IMPORTING, imports={"urn:lib": IMPORTED})
    assert model.problems == ()
    assert model.evaluate("hello", {}).value == "Hello, Ann 42"


def test_a_missing_import_is_a_problem_naming_it() -> None:
    """Without the imported file the problem says which import is missing and how to pass it."""
    model = parse_dmn(IMPORTING)
    assert any("'my lib'" in p.message and "imports=" in p.message for p in model.problems)
