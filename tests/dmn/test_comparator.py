"""ModelOp's Model Test Comparator: judging test metrics with a DMN table."""

from __future__ import annotations

from typing import Any

import pytest

from dmn.dmn_xml import definitions, table
from modelop_mlc.dmn import DmnModel, evaluate_model_test, parse_dmn
from modelop_mlc.errors import DecisionError

# As exported by Camunda Modeler 3.7 for ModelOp's consumer-credit demo: DMN 1.1, empty input
# expressions with the metric named by camunda:inputVariable, unquoted reason strings.
MODELOP_COMPARATOR = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/DMN/20151101/dmn.xsd"
    xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="Definitions_0wb2acp" name="DRD"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="Decision_0q87m1a" name="Model Test Comparator">
    <decisionTable id="decisionTable_1">
      <input id="input_1" label="auc" camunda:inputVariable="auc">
        <inputExpression id="inputExpression_1" typeRef="double"><text></text></inputExpression>
      </input>
      <input id="InputClause_08e7ybd" label="f1" camunda:inputVariable="f1">
        <inputExpression id="LiteralExpression_0nr86e9" typeRef="double"><text></text></inputExpression>
      </input>
      <output id="output_1" label="passes" name="passes" typeRef="boolean" />
      <output id="OutputClause_05h1co6" label="reason" name="reason" typeRef="string" />
      <rule id="r1">
        <inputEntry><text>&lt;= 0.90</text></inputEntry><inputEntry><text></text></inputEntry>
        <outputEntry><text>false</text></outputEntry>
        <outputEntry><text>AUC under threshold of 0.90</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry><text></text></inputEntry><inputEntry><text>&lt;= 0.60</text></inputEntry>
        <outputEntry><text>false</text></outputEntry>
        <outputEntry><text>F1 under threshold of 0.60</text></outputEntry>
      </rule>
      <rule id="r3">
        <inputEntry><text></text></inputEntry><inputEntry><text></text></inputEntry>
        <outputEntry><text>true</text></outputEntry>
        <outputEntry><text>Passes test</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.fixture(name="comparator")
def _comparator() -> DmnModel:
    return parse_dmn(MODELOP_COMPARATOR, file="model_comparator.dmn")


@pytest.fixture(name="fairness")
def _fairness() -> DmnModel:
    return parse_dmn(
        definitions(
            table(
                "back_test",
                ["pprev_disparity"],
                ["passes", "reason", "category"],
                [
                    ["<= 0.8", "false", '"Disparity below 0.8"', '"EthicalFairness"'],
                    [">= 1.25", "false", '"Disparity above 1.25"', '"EthicalFairness"'],
                    ["-", "true", '"Within bounds"', '"EthicalFairness"'],
                ],
                hit_policy="COLLECT",
            )
        )
    )


def test_passing_metrics(comparator: DmnModel) -> None:
    """Good metrics pass; the catch-all rule's `passes = true` row is kept."""
    verdict = evaluate_model_test({"auc": 0.95, "f1": 0.8}, comparator)
    assert verdict.passed is True
    assert verdict.messages == []
    assert verdict.rows == [{"passes": True, "reason": "Passes test"}]
    assert verdict.as_variables() == {
        "TEST_RESULT": True,
        "TEST_RESULT_MESSAGE": "All criteria passed",
    }


def test_failing_metrics_give_every_reason(comparator: DmnModel) -> None:
    """Each matched rule with `passes = false` contributes its reason."""
    verdict = evaluate_model_test({"auc": 0.7, "f1": 0.5}, comparator)
    assert verdict.passed is False
    assert verdict.messages == ["AUC under threshold of 0.90", "F1 under threshold of 0.60"]
    assert verdict.as_variables() == {
        "TEST_RESULT": False,
        "TEST_RESULT_MESSAGE": "AUC under threshold of 0.90; F1 under threshold of 0.60",
    }


def test_sentinel_metric_fails(comparator: DmnModel) -> None:
    """A metric reported as -99 (not computed) fails the test with a clear reason."""
    verdict = evaluate_model_test({"auc": -99, "f1": 0.8}, comparator)
    assert verdict.passed is False
    assert "metric 'auc' was not computed (-99)" in verdict.messages


def test_missing_metric_fails(comparator: DmnModel) -> None:
    """A metric the DMN reads but the results lack fails the test."""
    verdict = evaluate_model_test({"auc": 0.95}, comparator)
    assert verdict.passed is False
    assert verdict.messages == ["metric 'f1' is missing from the test results"]


def test_categories_prefix_reasons(fairness: DmnModel) -> None:
    """A `category` output prefixes the reason."""
    verdict = evaluate_model_test({"pprev_disparity": 1.4}, fairness)
    assert verdict.passed is False
    assert verdict.messages == ["EthicalFairness: Disparity above 1.25"]
    assert len(verdict.rows) == 2


NESTED: dict[str, Any] = {
    "auc": 0.95,
    "performance": [
        {
            "test_category": "performance",
            "test_name": "Classification Metrics",
            "values": {"auc": 0.10, "f1": 0.55, "confusion_matrix": [[1, 2], [3, 4]]},
        }
    ],
    "bias": [{"test_name": "Disparity", "values": {"pprev_disparity": 1.1}}],
}


def test_nested_modelop_metrics_are_flattened(comparator: DmnModel) -> None:
    """ModelOp's nested shape contributes `values` without overriding top-level metrics."""
    verdict = evaluate_model_test(NESTED, comparator)
    assert verdict.passed is False
    assert verdict.messages == ["F1 under threshold of 0.60"]


def test_nested_metrics_reach_other_tables(fairness: DmnModel) -> None:
    """Metrics inside test records (`bias[].values`) are visible to the DMN."""
    assert evaluate_model_test(NESTED, fairness).passed is True


def test_decision_choice(comparator: DmnModel) -> None:
    """The decision can be named; an unknown one raises `DecisionError`."""
    verdict = evaluate_model_test(
        {"auc": 0.95, "f1": 0.9}, comparator, decision_ref="Model Test Comparator"
    )
    assert verdict.passed is True
    with pytest.raises(DecisionError) as info:
        evaluate_model_test({}, comparator, decision_ref="nope")
    assert "Decision_0q87m1a" in str(info.value)


def test_several_decisions_need_a_choice() -> None:
    """With several candidate decisions, the caller must say which to use."""
    body = table("a", ["x"], ["passes"], [["-", "true"]]) + table(
        "b", ["x"], ["passes"], [["-", "true"]]
    )
    with pytest.raises(DecisionError) as info:
        evaluate_model_test({"x": 1}, parse_dmn(definitions(body)))
    assert "pass decision_ref=" in str(info.value)


def test_input_expression_names_the_metric(fairness: DmnModel) -> None:
    """Metrics named by the input expression itself are checked for presence too."""
    verdict = evaluate_model_test({"auc": 0.9}, fairness)
    assert verdict.passed is False
    assert "metric 'pprev_disparity' is missing from the test results" in verdict.messages


def test_unique_violation_is_kept_as_a_warning(comparator: DmnModel) -> None:
    """A UNIQUE comparator with a catch-all rule still explains failures, and says why."""
    verdict = evaluate_model_test({"auc": 0.5, "f1": 0.9}, comparator)
    assert verdict.messages == ["AUC under threshold of 0.90"]
    assert any("UNIQUE hit policy violated: rules 1, 3" in w for w in verdict.warnings)
    assert verdict.rows == [
        {"passes": False, "reason": "AUC under threshold of 0.90"},
        {"passes": True, "reason": "Passes test"},
    ]
