"""ModelOp's "Model Test Comparator": judge a model's test metrics with a DMN table.

ModelOp Center evaluates a DMN decision (outputs `passes`, `reason`, `category`) against the
metrics a test job produced and writes `TEST_RESULT` / `TEST_RESULT_MESSAGE`. A metric that
could not be computed is reported as `-99`; a missing or `-99` metric fails the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._drg import DmnModel
from modelop_mlc.dmn._feel import BUILTIN_NAMES
from modelop_mlc.errors import DecisionError

__all__ = ["ModelTestEvaluation", "evaluate_model_test", "flatten_metrics"]

NOT_COMPUTED: Final = -99
"""ModelOp's sentinel for a metric the monitor failed to compute."""

ALL_PASSED: Final = "All criteria passed"
_SINGLE_HIT: Final = ("UNIQUE", "ANY")


@dataclass(frozen=True)
class ModelTestEvaluation:
    """The verdict on one set of test metrics.

    Attributes:
        passed: True when no matched rule says `passes = false` and every metric the DMN
            reads was computed.
        messages: Why it failed: each failing rule's reason (prefixed by its category) and
            each missing or uncomputed metric.
        rows: The decision's rows, as JSON values.
        warnings: Evaluation warnings from the DMN engine.
    """

    passed: bool
    messages: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_variables(self) -> dict[str, Any]:
        """Return the process variables ModelOp's delegate writes (`TEST_RESULT`, …_MESSAGE)."""
        message = "; ".join(self.messages) if self.messages else ALL_PASSED
        return {"TEST_RESULT": self.passed, "TEST_RESULT_MESSAGE": message}


def flatten_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten ModelOp's metrics shape into one variable scope.

    Top-level keys stay as they are. Lists of test records
    (`"performance": [{"test_name": ..., "values": {"auc": 0.8}}]`) contribute their
    `values` entries, without overwriting a key that is already present.
    """
    scope: dict[str, Any] = dict(metrics)
    for value in metrics.values():
        if not isinstance(value, list):
            continue
        for record in value:
            if isinstance(record, Mapping) and isinstance(record.get("values"), Mapping):
                for key, inner in record["values"].items():
                    scope.setdefault(str(key), inner)
    return scope


def _pick_decision(model: DmnModel, decision_ref: str | None) -> str:
    if decision_ref is not None:
        info = model.find_decision(decision_ref)
        if info is None:
            raise DecisionError(
                f"No decision '{decision_ref}' in the test DMN; available: "
                f"{', '.join(model.decision_ids()) or 'none'}",
                decision_id=decision_ref,
            )
        return info.id
    ids = model.decision_ids()
    if len(ids) == 1:
        return ids[0]
    judging = [i for i in ids if "passes" in model.decisions[i].outputs]
    if len(judging) == 1:
        return judging[0]
    raise DecisionError(
        "The test DMN has several decisions; pass decision_ref= naming one of: " + ", ".join(ids),
        decision_id=None,
    )


def _is_sentinel(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return bool(value == NOT_COMPUTED)
    return False


def evaluate_model_test(
    metrics: Mapping[str, Any],
    model: DmnModel,
    *,
    decision_ref: str | None = None,
) -> ModelTestEvaluation:
    """Judge test metrics with a "Model Test Comparator" DMN, as ModelOp Center does.

    Args:
        metrics: The metrics job output: flat (`{"auc": 0.8}`) or ModelOp's nested shape
            (headline metrics plus lists of `{"test_name": …, "values": {…}}` records).
        model: The comparator DMN (inputs name metrics through their input expression or
            `camunda:inputVariable`; outputs `passes`, `reason` and optionally `category`).
        decision_ref: The decision to use; by default the model's only decision, or the one
            with a `passes` output.

    Returns:
        The verdict; `as_variables()` gives `TEST_RESULT` and `TEST_RESULT_MESSAGE`.

    Raises:
        DecisionError: When the decision cannot be chosen (unknown id, several candidates).
    """
    decision_id = _pick_decision(model, decision_ref)
    scope = flatten_metrics(metrics)
    messages: list[str] = []
    for name in model._metric_names(decision_id):
        if name in BUILTIN_NAMES:
            continue
        if name not in scope:
            messages.append(f"metric '{name}' is missing from the test results")
        elif _is_sentinel(scope[name]):
            messages.append(f"metric '{name}' was not computed (-99)")
    result = model.evaluate(decision_id, scope)
    warnings = list(result.warnings)
    info = model.decisions[decision_id]
    if result.value is None and len(result.matched_rules) > 1 and info.hit_policy in _SINGLE_HIT:
        # ModelOp's comparators often keep the default UNIQUE policy next to a catch-all
        # "passes" rule; read every matched rule, as COLLECT would, to give the reasons.
        result = model._evaluate(decision_id, scope, collect=True)
    rows = result.to_json()
    failed_rules = False
    numbers: list[int | None] = list(result.matched_rules) or [None] * len(rows)
    for row, number in zip(rows, numbers, strict=False):
        if row.get("passes") is False:
            failed_rules = True
            reason = row.get("reason") or (f"rule {number} failed" if number else "a rule failed")
            category = row.get("category")
            messages.append(f"{category}: {reason}" if category else str(reason))
    if result.value is None and not rows and warnings:
        messages.extend(f"the decision could not be evaluated: {w}" for w in warnings)
    passed = not failed_rules and not messages
    return ModelTestEvaluation(passed, messages, rows, warnings)
