"""Decision tables: every hit policy, input/output values, defaults and coercion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dmn.dmn_xml import definitions, table
from modelop_mlc.dmn import DmnModel, parse_dmn

OVERLAP_RULES = [
    # x       tier   points
    ["> 0", '"c"', "10"],
    ["> 2", '"a"', "20"],
    ["> 4", '"b"', "30"],
    ["> 100", '"z"', "99"],
]


def overlap(hit_policy: str, aggregation: str | None = None, outputs: int = 2) -> DmnModel:
    """The research table: x=5 matches the first three rules (tier c/a/b, points 10/20/30)."""
    names = ["tier", "points"][:outputs]
    values = {"outputValues": '"a", "b", "c", "z"'}
    columns: list[str | tuple[str, dict[str, str]]] = [("tier", dict(values)), "points"][:outputs]
    if outputs == 1:
        columns = ["points"]
        rules = [[r[0], r[2]] for r in OVERLAP_RULES]
    else:
        rules = [list(r) for r in OVERLAP_RULES]
    del names
    return parse_dmn(
        definitions(
            table("d", ["x"], columns, rules, hit_policy=hit_policy, aggregation=aggregation)
        )
    )


def test_unique_single_match() -> None:
    """UNIQUE with one matching rule returns that rule's outputs."""
    result = overlap("UNIQUE").evaluate("d", {"x": 1})
    assert result.rows == [{"tier": "c", "points": Decimal(10)}]
    assert result.matched_rules == [1]
    assert result.value == {"tier": "c", "points": Decimal(10)}
    assert result.warnings == []


def test_unique_violation_is_null_with_warning() -> None:
    """UNIQUE with several different matches gives null and a warning naming the rules."""
    result = overlap("UNIQUE").evaluate("d", {"x": 5})
    assert result.value is None
    assert result.rows == []
    assert result.matched_rules == [1, 2, 3]
    assert any("UNIQUE" in w and "1, 2, 3" in w for w in result.warnings)


def test_no_match_single_hit_is_empty() -> None:
    """No matching rule gives no rows and a null value."""
    result = overlap("UNIQUE").evaluate("d", {"x": -1})
    assert result.rows == []
    assert result.value is None
    assert result.matched_rules == []


def test_first() -> None:
    """FIRST returns the first matching rule in table order."""
    result = overlap("FIRST").evaluate("d", {"x": 5})
    assert result.rows == [{"tier": "c", "points": Decimal(10)}]
    assert result.matched_rules == [1]


def test_priority_uses_output_values_order() -> None:
    """PRIORITY picks the match whose output comes first in `outputValues` ("a")."""
    result = overlap("PRIORITY").evaluate("d", {"x": 5})
    assert result.rows == [{"tier": "a", "points": Decimal(20)}]
    assert result.matched_rules == [2]


def test_any_with_different_outputs_is_an_error() -> None:
    """ANY with differing matched outputs gives null and a warning."""
    result = overlap("ANY").evaluate("d", {"x": 5})
    assert result.value is None
    assert any("ANY" in w for w in result.warnings)


def test_any_with_equal_outputs() -> None:
    """ANY with equal matched outputs returns that output."""
    model = parse_dmn(
        definitions(table("d", ["x"], ["ok"], [["> 0", "true"], ["> 1", "true"]], hit_policy="ANY"))
    )
    result = model.evaluate("d", {"x": 5})
    assert result.value is True
    assert result.rows == [{"ok": True}]


def test_collect_returns_every_match_in_rule_order() -> None:
    """COLLECT returns one row per matched rule, in rule order."""
    result = overlap("COLLECT").evaluate("d", {"x": 5})
    assert [r["tier"] for r in result.rows] == ["c", "a", "b"]
    assert result.matched_rules == [1, 2, 3]
    assert result.value == [
        {"tier": "c", "points": Decimal(10)},
        {"tier": "a", "points": Decimal(20)},
        {"tier": "b", "points": Decimal(30)},
    ]


def test_collect_without_match_is_empty_list() -> None:
    """COLLECT with no match gives an empty list."""
    result = overlap("COLLECT").evaluate("d", {"x": -1})
    assert result.rows == []
    assert result.value == []


def test_rule_order() -> None:
    """RULE ORDER returns every match in rule order."""
    result = overlap("RULE ORDER").evaluate("d", {"x": 5})
    assert [r["tier"] for r in result.rows] == ["c", "a", "b"]


def test_output_order_sorts_by_output_values() -> None:
    """OUTPUT ORDER sorts matches by the `outputValues` order of their outputs."""
    result = overlap("OUTPUT ORDER").evaluate("d", {"x": 5})
    assert [r["tier"] for r in result.rows] == ["a", "b", "c"]
    assert result.matched_rules == [2, 3, 1]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("SUM", Decimal(60)), ("MIN", Decimal(10)), ("MAX", Decimal(30)), ("COUNT", Decimal(3))],
)
def test_collect_aggregations(aggregation: str, expected: Decimal) -> None:
    """COLLECT SUM/MIN/MAX/COUNT aggregate the single output into one row."""
    result = overlap("COLLECT", aggregation, outputs=1).evaluate("d", {"x": 5})
    assert result.value == expected
    assert result.rows == [{"points": expected}]
    assert result.matched_rules == [1, 2, 3]


def test_collect_count_without_match_is_zero() -> None:
    """COLLECT COUNT with no match counts zero."""
    result = overlap("COLLECT", "COUNT", outputs=1).evaluate("d", {"x": -1})
    assert result.value == Decimal(0)


def test_single_output_table_still_names_its_column() -> None:
    """A single-output table gives rows keyed by the output name and a bare value."""
    model = parse_dmn(
        definitions(table("d", ["x"], ["label"], [["< 5", '"low"'], [">= 5", '"high"']]))
    )
    result = model.evaluate("d", {"x": 7})
    assert result.rows == [{"label": "high"}]
    assert result.value == "high"


def test_input_values_reject_unknown_input() -> None:
    """An input outside `inputValues` is treated as null, with a warning."""
    model = parse_dmn(
        definitions(
            table(
                "d",
                [("status", {"inputValues": '"open","closed"'})],
                ["o"],
                [['"open"', '"yes"'], ["-", '"any"']],
                hit_policy="FIRST",
            )
        )
    )
    result = model.evaluate("d", {"status": "pending"})
    assert result.rows == [{"o": "any"}]
    assert any("not one of the allowed input values" in w for w in result.warnings)
    assert model.evaluate("d", {"status": "open"}).rows == [{"o": "yes"}]


def test_default_output_entry_when_no_rule_matches() -> None:
    """`defaultOutputEntry` supplies the outputs when no rule matches."""
    model = parse_dmn(
        definitions(
            table(
                "d",
                ["x"],
                [("tier", {"default": '"none"'}), ("points", {"default": "0"})],
                [["> 10", '"gold"', "100"]],
            )
        )
    )
    result = model.evaluate("d", {"x": 1})
    assert result.rows == [{"tier": "none", "points": Decimal(0)}]
    assert result.matched_rules == []


def test_output_type_ref_coercion() -> None:
    """An output value that does not fit its `typeRef` becomes null with a warning."""
    model = parse_dmn(
        definitions(
            table("d", ["x"], [("n", {"typeRef": "integer"})], [["> 0", "1.5"], ["<= 0", "2"]])
        )
    )
    bad = model.evaluate("d", {"x": 1})
    assert bad.rows == [{"n": None}]
    assert any("integer" in w or "number" in w for w in bad.warnings)
    assert model.evaluate("d", {"x": 0}).rows == [{"n": Decimal(2)}]


def test_camunda_input_variable() -> None:
    """`camunda:inputVariable` names the input value inside entries (default `cellInput`)."""
    model = parse_dmn(
        definitions(
            table(
                "d",
                [("amount", {"camunda:inputVariable": "value"}), "category"],
                ["o"],
                [["value > 100", 'cellInput = "x"', '"big x"'], ["-", "-", '"other"']],
                hit_policy="FIRST",
            )
        )
    )
    assert model.evaluate("d", {"amount": 150, "category": "x"}).value == "big x"
    assert model.evaluate("d", {"amount": 50, "category": "x"}).value == "other"


def test_version_tag_and_info() -> None:
    """`DecisionInfo` exposes id, name, version tag, kind, inputs, outputs and hit policy."""
    model = parse_dmn(
        definitions(
            table(
                "d",
                [("score", {"label": "Score"}), "status"],
                ["passes", "reason"],
                [["-", "-", "true", '"ok"']],
                hit_policy="COLLECT",
                name="Model Test Comparator",
                attrs=' camunda:versionTag="2.1"',
            )
        )
    )
    info = model.decisions["d"]
    assert info.name == "Model Test Comparator"
    assert info.version_tag == "2.1"
    assert info.kind == "table"
    assert info.inputs == ("Score", "status")
    assert info.outputs == ("passes", "reason")
    assert info.hit_policy == "COLLECT"
    assert model.find_decision("Model Test Comparator") is info
    assert model.find_decision("nope") is None
    assert model.decision_ids() == ["d"]


def test_to_json_converts_decimals() -> None:
    """`to_json()` turns Decimal outputs into ints and floats."""
    model = parse_dmn(
        definitions(table("d", ["x"], ["a", "b"], [["-", "1", "0.25"]], hit_policy="FIRST"))
    )
    assert model.evaluate("d", {"x": 0}).to_json() == [{"a": 1, "b": 0.25}]


def test_null_input_only_matches_dash_and_null_tests() -> None:
    """A null input fails comparisons but matches `-` and `null`."""
    model = parse_dmn(
        definitions(
            table(
                "d",
                ["x"],
                ["o"],
                [[">= 0.8", '"high"'], ["null", '"missing"'], ["-", '"any"']],
                hit_policy="COLLECT",
            )
        )
    )
    assert [r["o"] for r in model.evaluate("d", {"x": None}).rows] == ["missing", "any"]
    assert [r["o"] for r in model.evaluate("d", {}).rows] == ["missing", "any"]


def test_wrong_type_input_is_a_warning_not_a_crash() -> None:
    """Comparing a string input with a number fails the rule and records a warning."""
    model = parse_dmn(
        definitions(
            table("d", ["x"], ["o"], [[">= 0.8", '"high"'], ["-", '"any"']], hit_policy="FIRST")
        )
    )
    result = model.evaluate("d", {"x": "high"})
    assert result.rows == [{"o": "any"}]
    assert any("'>='" in w for w in result.warnings)


def test_evaluation_is_repeatable() -> None:
    """A model evaluates many times with independent results and warnings."""
    model = overlap("UNIQUE")
    first = model.evaluate("d", {"x": 5})
    second = model.evaluate("d", {"x": 1})
    assert first.value is None
    assert second.value == {"tier": "c", "points": Decimal(10)}
    assert second.warnings == []
