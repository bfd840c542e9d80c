"""Business rule tasks: `camunda:decisionRef`, `resultVariable`, `mapDecisionResult`."""

from __future__ import annotations

import pytest

from bpmn_xml import chain, process
from modelop_mlc import DiagramError, LifecycleManager

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="risk" name="Risk" namespace="x">
  <decision id="tier" name="Risk tier">
    <decisionTable id="t" hitPolicy="{policy}">
      <input id="i1" label="Score"><inputExpression typeRef="number"><text>score</text></inputExpression></input>
      <output id="o1" name="tier" typeRef="string"/>
      <output id="o2" name="review" typeRef="boolean"/>
      <rule id="r1"><inputEntry><text>&gt;= 0.8</text></inputEntry>
        <outputEntry><text>"low"</text></outputEntry><outputEntry><text>false</text></outputEntry></rule>
      <rule id="r2"><inputEntry><text>[0.5..0.8)</text></inputEntry>
        <outputEntry><text>"medium"</text></outputEntry><outputEntry><text>true</text></outputEntry></rule>
      <rule id="r3"><inputEntry><text>&gt;= 0.6</text></inputEntry>
        <outputEntry><text>"watch"</text></outputEntry><outputEntry><text>true</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def _bpmn(mapping: str, result: str = "riskTier") -> str:
    return process(
        '<bpmn:startEvent id="start"/><bpmn:businessRuleTask id="decide" camunda:decisionRef="tier" '
        f'camunda:resultVariable="{result}" camunda:mapDecisionResult="{mapping}"/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "decide", "end")
    )


@pytest.mark.parametrize(
    ("policy", "mapping", "score", "expected"),
    [
        ("FIRST", "singleResult", 0.9, {"tier": "low", "review": False}),
        ("FIRST", "resultList", 0.9, [{"tier": "low", "review": False}]),
        (
            "COLLECT",
            "resultList",
            0.9,
            [{"tier": "low", "review": False}, {"tier": "watch", "review": True}],
        ),
        ("COLLECT", "collectEntries", 0.1, []),
        ("FIRST", "singleResult", 0.1, None),
    ],
)
def test_decision_result_is_mapped_as_camunda_does(
    manager: LifecycleManager, policy: str, mapping: str, score: float, expected: object
) -> None:
    """The DMN result lands in `resultVariable`, shaped by `mapDecisionResult`."""
    manager.deploy(("risk.dmn", DMN.replace("{policy}", policy)), _bpmn(mapping))
    assert manager.start("p", {"score": score}).variables["riskTier"] == expected


def test_single_entry_of_a_one_column_table(manager: LifecycleManager) -> None:
    """`singleEntry` yields the bare value of a one-output decision."""
    dmn = (
        DMN.replace("{policy}", "FIRST")
        .replace('<output id="o2" name="review" typeRef="boolean"/>', "")
        .replace("<outputEntry><text>false</text></outputEntry>", "")
        .replace("<outputEntry><text>true</text></outputEntry>", "")
    )
    manager.deploy(("risk.dmn", dmn), _bpmn("singleEntry"))
    assert manager.start("p", {"score": 0.7}).variables["riskTier"] == "medium"


def test_decision_ref_must_be_deployed(manager: LifecycleManager) -> None:
    """A decisionRef naming no deployed decision is a deploy-time problem."""
    with pytest.raises(DiagramError) as caught:
        manager.deploy(_bpmn("singleResult"))
    assert caught.value.problems[0].element_id == "decide"
    assert "tier" in caught.value.problems[0].message


def test_decisions_are_versioned_and_the_latest_is_used(manager: LifecycleManager) -> None:
    """Re-deploying a changed DMN creates version 2, which new evaluations use."""
    manager.deploy(("risk.dmn", DMN.replace("{policy}", "FIRST")), _bpmn("singleResult"))
    changed = DMN.replace("{policy}", "FIRST").replace('"low"', '"very low"')
    deployment = manager.deploy(("risk.dmn", changed))
    assert deployment.decisions == (("tier", 2),)
    assert manager.start("p", {"score": 0.95}).variables["riskTier"]["tier"] == "very low"
