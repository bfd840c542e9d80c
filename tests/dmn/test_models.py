"""DMN models: namespaces, DRGs, BKMs, boxed expressions, and every parse-time problem."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dmn.dmn_xml import DMN13, definitions, literal, table
from modelop_mlc.dmn import parse_dmn
from modelop_mlc.errors import DecisionError, DiagramError

NAMESPACES = [
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20151101/dmn11.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_dmn_namespace_is_accepted(namespace: str) -> None:
    """DMN 1.1 to 1.5 files parse and evaluate alike."""
    xml = definitions(
        table("d", ["x"], ["o"], [["[1..10]", '"in"'], ["-", '"out"']], hit_policy="FIRST"),
        namespace,
    )
    model = parse_dmn(xml)
    assert model.evaluate("d", {"x": 5}).value == "in"
    assert model.namespace == "http://camunda.org/schema/1.0/dmn"
    assert model.name == "Test DRD"


def test_literal_decision() -> None:
    """A literal-expression decision gives one row keyed by its variable name."""
    model = parse_dmn(definitions(literal("greet", '"Hello " + name', name="Greeting")))
    result = model.evaluate("greet", {"name": "Ada"})
    assert result.value == "Hello Ada"
    assert result.rows == [{"Greeting": "Hello Ada"}]
    assert model.decisions["greet"].kind == "literal"


def test_required_decisions_are_evaluated_first() -> None:
    """A decision sees its required decisions by name (and a table's outputs by output name)."""
    body = "\n".join(
        [
            table(
                "vip",
                ["years"],
                ["vipAccess"],
                [[">= 10", "true"], ["-", "false"]],
                hit_policy="FIRST",
            ),
            literal("total", "Base + 1", name="Total", requires=["base"]),
            literal("base", "2 * n", name="Base"),
            table(
                "benefits",
                ["vipAccess"],
                ["upgrade"],
                [["true", '"suite"'], ["false", '"none"']],
                requires=["vip"],
            ),
        ]
    )
    model = parse_dmn(definitions(body))
    assert model.evaluate("benefits", {"years": 12}).value == "suite"
    assert model.evaluate("benefits", {"years": 2}).value == "none"
    assert model.evaluate("Total", {"n": 4}).value == Decimal(9)
    assert model.decisions["total"].required_decisions == ("base",)


BKM = """
<businessKnowledgeModel id="pmt" name="PMT">
  <variable name="PMT"/>
  <encapsulatedLogic>
    <formalParameter name="p" typeRef="number"/>
    <formalParameter name="r" typeRef="number"/>
    <formalParameter name="n" typeRef="number"/>
    <literalExpression><text>(p*r/12)/(1-(1+r/12)**-n)</text></literalExpression>
  </encapsulatedLogic>
</businessKnowledgeModel>
<decision id="payment" name="Payment">
  <variable name="Payment"/>
  <knowledgeRequirement><requiredKnowledge href="#pmt"/></knowledgeRequirement>
  <literalExpression><text>decimal(PMT(amount, rate, term), 2)</text></literalExpression>
</decision>
<decision id="payment2" name="Payment2">
  <variable name="Payment2"/>
  <knowledgeRequirement><requiredKnowledge href="#pmt"/></knowledgeRequirement>
  <invocation>
    <literalExpression><text>PMT</text></literalExpression>
    <binding><parameter name="p"/><literalExpression><text>amount</text></literalExpression></binding>
    <binding><parameter name="r"/><literalExpression><text>rate</text></literalExpression></binding>
    <binding><parameter name="n"/><literalExpression><text>term</text></literalExpression></binding>
  </invocation>
</decision>
"""


def test_business_knowledge_model_invocation() -> None:
    """BKMs are functions, called from FEEL or through an `invocation` with bindings."""
    model = parse_dmn(definitions(BKM))
    inputs = {"amount": 600000, "rate": 0.0375, "term": 360}
    assert model.evaluate("payment", inputs).value == Decimal("2778.69")
    assert model.evaluate("payment2", inputs).to_json()[0]["Payment2"] == pytest.approx(2778.6935)
    assert model.decisions["payment2"].kind == "invocation"


BOXED = """
<decision id="ctx" name="Ctx">
  <variable name="Ctx"/>
  <context>
    <contextEntry><variable name="a"/><literalExpression><text>1</text></literalExpression></contextEntry>
    <contextEntry><variable name="b"/><literalExpression><text>a + 1</text></literalExpression></contextEntry>
  </context>
</decision>
<decision id="ctxResult" name="CtxResult">
  <variable name="CtxResult"/>
  <context>
    <contextEntry><variable name="a"/><literalExpression><text>20</text></literalExpression></contextEntry>
    <contextEntry><literalExpression><text>a * 2</text></literalExpression></contextEntry>
  </context>
</decision>
<decision id="rel" name="Rel">
  <variable name="Rel"/>
  <relation>
    <column name="n"/><column name="sq"/>
    <row><literalExpression><text>1</text></literalExpression><literalExpression><text>1</text></literalExpression></row>
    <row><literalExpression><text>2</text></literalExpression><literalExpression><text>4</text></literalExpression></row>
  </relation>
</decision>
<decision id="lst" name="Lst">
  <variable name="Lst"/>
  <list>
    <literalExpression><text>"a"</text></literalExpression>
    <literalExpression><text>upper case("b")</text></literalExpression>
  </list>
</decision>
"""


def test_boxed_contexts_relations_and_lists() -> None:
    """Boxed contexts (with and without a result entry), relations and lists evaluate."""
    model = parse_dmn(definitions(BOXED))
    assert model.evaluate("ctx", {}).value == {"a": Decimal(1), "b": Decimal(2)}
    assert model.evaluate("ctxResult", {}).value == Decimal(40)
    assert model.evaluate("rel", {}).to_json() == [{"Rel": [{"n": 1, "sq": 1}, {"n": 2, "sq": 4}]}]
    assert model.evaluate("lst", {}).value == ["a", "B"]
    assert model.decisions["rel"].kind == "relation"


def test_item_definition_coercion_of_inputs() -> None:
    """An input data value that does not conform to its item definition becomes null."""
    body = """
    <itemDefinition name="tStatus"><typeRef>string</typeRef>
      <allowedValues><text>"open", "closed"</text></allowedValues></itemDefinition>
    <inputData id="i_status" name="Status"><variable name="Status" typeRef="tStatus"/></inputData>
    <decision id="d" name="D"><variable name="D"/>
      <informationRequirement><requiredInput href="#i_status"/></informationRequirement>
      <literalExpression><text>Status</text></literalExpression></decision>
    """
    model = parse_dmn(definitions(body))
    assert model.evaluate("d", {"Status": "open"}).value == "open"
    rejected = model.evaluate("d", {"Status": "pending"})
    assert rejected.value is None
    assert any("tStatus" in w for w in rejected.warnings)


def test_decision_service() -> None:
    """A decision service can be evaluated directly and called as a function."""
    body = """
    <decisionService id="svc" name="Svc">
      <variable name="Svc"/>
      <outputDecision href="#out"/>
      <inputData href="#i_x"/>
    </decisionService>
    <inputData id="i_x" name="x"><variable name="x" typeRef="number"/></inputData>
    <decision id="out" name="Out"><variable name="Out"/>
      <informationRequirement><requiredInput href="#i_x"/></informationRequirement>
      <literalExpression><text>x * 10</text></literalExpression></decision>
    <decision id="caller" name="Caller"><variable name="Caller"/>
      <knowledgeRequirement><requiredKnowledge href="#svc"/></knowledgeRequirement>
      <literalExpression><text>Svc(4) + 1</text></literalExpression></decision>
    """
    model = parse_dmn(definitions(body))
    assert model.evaluate("caller", {}).value == Decimal(41)
    assert model.evaluate_service("svc", {"x": 3}).value == Decimal(30)


def test_parse_from_path_and_bytes(tmp_path: Path) -> None:
    """`parse_dmn` accepts a path, bytes or text and names the file in problems."""
    xml = definitions(literal("d", "1"))
    path = tmp_path / "simple.dmn"
    path.write_text(xml, encoding="utf-8")
    assert parse_dmn(path).evaluate("d", {}).value == Decimal(1)
    assert parse_dmn(str(path)).file == "simple.dmn"
    assert parse_dmn(xml.encode("utf-8")).evaluate("d", {}).value == Decimal(1)


def test_unknown_decision_lists_the_available_ones() -> None:
    """Evaluating an unknown decision raises `DecisionError` listing the ids."""
    model = parse_dmn(definitions(literal("approve", "true") + literal("reject", "false")))
    with pytest.raises(DecisionError) as info:
        model.evaluate("aprove", {})
    message = str(info.value)
    assert "approve, reject" in message
    assert "did you mean 'approve'" in message
    assert info.value.decision_id == "aprove"


def test_unsupported_variable_value_becomes_null_with_warning() -> None:
    """A host value with no FEEL equivalent is null plus a warning, not an exception."""
    model = parse_dmn(definitions(literal("d", "x")))
    result = model.evaluate("d", {"x": object()})
    assert result.value is None
    assert any("no FEEL equivalent" in w for w in result.warnings)


# -- parse-time problems -----------------------------------------------------------------


def problems_of(xml: str) -> list[str]:
    with pytest.raises(DiagramError) as info:
        parse_dmn(xml, file="bad.dmn").raise_for_problems()
    return [str(p) for p in info.value.problems]


def test_bad_cell_names_decision_rule_and_column() -> None:
    """An unparsable input entry is reported with decision id, rule number and column."""
    xml = definitions(
        table(
            "comparator",
            [("auc", {"label": "auc"}), "f1"],
            ["passes"],
            [["<= 0.9", "-", "false"], ["-", "<= 0.6", "false"], ["<= 0.8.", "-", "false"]],
            hit_policy="COLLECT",
        )
    )
    with pytest.raises(DiagramError) as info:
        parse_dmn(xml, file="comparator.dmn").raise_for_problems()
    [problem] = info.value.problems
    assert problem.element_id == "comparator"
    assert problem.file == "comparator.dmn"
    assert problem.line is not None
    assert problem.message == (
        "rule 3, input 'auc': cannot parse '<= 0.8.': unexpected '.' at column 7"
    )
    assert "comparator.dmn" in str(info.value)


def test_every_problem_is_listed_at_once() -> None:
    """Several broken cells and outputs are all reported in one `DiagramError`."""
    xml = definitions(
        table(
            "d",
            ["x", "y"],
            ["o"],
            [["[1..", "-", "1"], ["-", ">> 2", "2"], ["-", "-", "1 +"]],
        )
        + literal("lit", "if x then")
    )
    problems = problems_of(xml)
    assert len(problems) == 4
    assert any("rule 1, input 'x'" in p for p in problems)
    assert any("rule 2, input 'y'" in p for p in problems)
    assert any("rule 3, output 'o'" in p for p in problems)
    assert any("element 'lit'" in p for p in problems)


@pytest.mark.parametrize("language", ["juel", "groovy", "javascript"])
def test_non_feel_input_expression_is_rejected(language: str) -> None:
    """JUEL/Groovy/JavaScript input expressions are a parse-time problem naming the column."""
    xml = definitions(
        table(
            "d",
            [("amount", {"expressionLanguage": language, "label": "Amount"})],
            ["o"],
            [["> 1", "1"]],
        )
    )
    [problem] = problems_of(xml)
    assert "element 'd'" in problem
    assert "input 'Amount'" in problem
    assert f"expressionLanguage '{language}' is not supported" in problem


def test_non_feel_literal_expression_is_rejected() -> None:
    """A Python or Groovy literal expression is rejected, not run."""
    [problem] = problems_of(definitions(literal("d", "x = [1,2]", language="python")))
    assert "expressionLanguage 'python' is not supported" in problem


def test_juel_in_a_cell_is_a_parse_error() -> None:
    """A JUEL `${...}` cell is not FEEL and is reported as such."""
    [problem] = problems_of(definitions(table("d", ["x"], ["o"], [["${x > 1}", "1"]])))
    assert (
        "rule 1, input 'x': cannot parse '${x > 1}': unexpected character '$' at column 1"
        in problem
    )


def test_unknown_requirement_and_cycle_are_reported() -> None:
    """Missing required decisions and requirement cycles are deployment problems."""
    body = literal("a", "B", name="A", requires=["b"]) + literal("b", "A", name="B", requires=["a"])
    body += literal("c", "1", requires=["missing"])
    problems = problems_of(definitions(body))
    assert any("requires decision '#missing'" in p for p in problems)
    assert any("requirement cycle" in p for p in problems)


def test_unknown_hit_policy_is_reported() -> None:
    """An unknown hit policy is a problem listing the valid ones."""
    [problem] = problems_of(
        definitions(table("d", ["x"], ["o"], [["-", "1"]], hit_policy="SOMETIMES"))
    )
    assert "unknown hit policy 'SOMETIMES'" in problem


def test_decision_without_logic_is_reported() -> None:
    """A decision with neither a table nor an expression cannot be deployed."""
    [problem] = problems_of(definitions('<decision id="empty" name="Empty"/>'))
    assert "no decision logic" in problem


def test_not_a_dmn_file() -> None:
    """A BPMN (or any non-DMN) root element is rejected with the expected namespaces."""
    [problem] = problems_of('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    assert "not a DMN model" in problem
    assert DMN13 in problem


def test_malformed_xml() -> None:
    """Malformed XML is a `DiagramError` with a line number, not an lxml exception."""
    with pytest.raises(DiagramError) as info:
        parse_dmn("<definitions><decision></definitions>", file="broken.dmn").raise_for_problems()
    assert "not well-formed XML" in str(info.value)
    assert info.value.problems[0].line == 1


def test_missing_file() -> None:
    """A path that does not exist is a `DiagramError` saying so."""
    with pytest.raises(DiagramError) as info:
        parse_dmn(Path("/nonexistent/model.dmn")).raise_for_problems()
    assert "cannot read the DMN file" in str(info.value)


XXE = """<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" name="x" namespace="x">
  <decision id="d" name="d"><literalExpression><text>"&xxe;"</text></literalExpression></decision>
</definitions>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" name="&lol3;" namespace="x"/>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_and_entities_are_refused_unexpanded(xml: str) -> None:
    """Documents declaring a DOCTYPE or entities are refused before any expansion."""
    with pytest.raises(DiagramError) as info:
        parse_dmn(xml).raise_for_problems()
    message = str(info.value)
    assert "DOCTYPE" in message
    assert "root:" not in message
    assert "lollol" not in message


def test_unquoted_string_outputs_are_literal_text_only_in_dmn_11() -> None:
    """DMN 1.1 string outputs may be bare text (Camunda's JUEL legacy); DMN 1.3 needs FEEL."""
    rules = [["-", "Passes test"]]
    dmn11 = definitions(
        table("d", ["x"], [("reason", {"typeRef": "string"})], rules),
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    )
    assert parse_dmn(dmn11).evaluate("d", {"x": 1}).value == "Passes test"
    broken = definitions(table("d", ["x"], [("reason", {"typeRef": "string"})], [["-", "a (b"]]))
    [problem] = problems_of(broken)
    assert "rule 1, output 'reason': cannot parse 'a (b'" in problem


def test_deeply_nested_expression_is_a_problem_not_a_crash() -> None:
    """An absurdly nested expression is reported instead of overflowing the stack."""
    [problem] = problems_of(definitions(literal("d", "(" * 3000 + "1" + ")" * 3000)))
    assert "nested too deeply" in problem


def test_now_comes_from_the_caller() -> None:
    """`now()` and `today()` use the time passed to `evaluate`, else null with a warning."""
    model = parse_dmn(definitions(literal("d", "string(today())")))
    moment = datetime(2026, 5, 17, 9, 0, tzinfo=UTC)
    assert model.evaluate("d", {}, now=moment).value == "2026-05-17"
    without = model.evaluate("d", {})
    assert without.value is None
    assert any("pass now=" in w for w in without.warnings)
