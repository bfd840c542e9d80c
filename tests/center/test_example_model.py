import csv
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc.center._runner import (
    FunctionRole,
    InputData,
    find_functions,
    render_output,
    run_model_function,
)

MODELS = Path(__file__).resolve().parents[2] / "examples" / "models"
CREDIT = MODELS / "credit_model"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def data(name: str) -> InputData:
    return InputData((CREDIT / "data" / name).read_text(encoding="utf-8"), "CSV", name)


def source() -> str:
    return (CREDIT / "model.py").read_text(encoding="utf-8")


@pytest.fixture(name="trained", scope="module")
def _trained() -> dict[str, Any]:
    run = run_model_function(source(), FunctionRole.TRAIN, [data("train.csv")])
    assert run.status == "COMPLETE", run.reason
    assert isinstance(run.result, dict)
    return run.result


def metrics_on(name: str, trained: dict[str, Any] | None) -> dict[str, Any]:
    job = {"trainedModel": trained} if trained is not None else None
    run = run_model_function(source(), FunctionRole.METRICS, [data(name)], job=job)
    assert run.status == "COMPLETE", run.reason
    assert isinstance(run.result, dict)
    return run.result


def test_the_example_model_declares_all_four_functions():
    """The credit model's smart comments name init, train, score and metrics."""
    assert find_functions(source()) == {
        FunctionRole.INIT: "init",
        FunctionRole.TRAIN: "train",
        FunctionRole.SCORE: "score",
        FunctionRole.METRICS: "metrics",
    }


def test_training_yields_coefficients_and_training_statistics(trained: dict[str, Any]):
    """Training on the shipped CSV yields a JSON model with per-feature drift statistics."""
    features = ["income", "debt_ratio", "age", "credit_history_years", "num_accounts"]
    assert features == trained["features"]
    assert len(features) == len(trained["coefficients"])
    assert isinstance(trained["intercept"], float)
    assert trained["training_rows"] == 1000
    assert trained["training_metrics"]["auc"] > 0.8
    assert set(features) == set(trained["training_stats"])
    income = trained["training_stats"]["income"]
    assert income["count"] == 1000
    assert len(income["histogram"]["bin_edges"]) == 11
    assert income["ecdf"]["p"][-1] == 1.0


def test_training_is_deterministic(trained: dict[str, Any]):
    """Training twice on the same data gives the same coefficients."""
    again = run_model_function(source(), FunctionRole.TRAIN, [data("train.csv")]).result
    assert trained["coefficients"] == again["coefficients"]
    assert trained["intercept"] == again["intercept"]


def test_metrics_on_the_test_set_pass_in_modelop_shape(trained: dict[str, Any]):
    """On data like the training data the model ranks well, is fair and shows no drift."""
    result = metrics_on("test.csv", trained)
    assert result["auc"] > 0.75
    assert 0.8 <= result["pprev_disparity"] <= 1.25
    assert result["min_ks_p_value"] > 0.01
    for key in ("accuracy", "precision", "recall", "f1_score", "max_ks_statistic"):
        assert 0.0 <= result[key] <= 1.0

    (performance,) = result["performance"]
    assert performance["test_id"] == "performance_classification_metrics"
    assert performance["test_type"] == "classification_metrics"
    assert result["auc"] == performance["values"]["auc"]
    matrix = performance["values"]["confusion_matrix"]
    assert sum(matrix[0].values()) + sum(matrix[1].values()) == 400

    (bias,) = result["bias"]
    assert (
        bias["test_id"],
        bias["protected_class"],
        bias["reference_group"],
    ) == ("bias_disparity", "gender", "M")
    assert {"ppr_disparity", "fpr_disparity", "tpr_disparity"} <= set(bias["values"])
    assert result["pprev_disparity"] == bias["values"]["ppr_disparity"]

    (drift,) = result["data_drift"]
    assert drift["test_id"] == "data_drift_kolmogorov_smirnov"
    assert set(trained["features"]) == set(drift["values"])
    assert result["min_ks_p_value"] == min(drift["values"].values())
    assert result["stability"][0]["test_id"] == "stability_stability_analysis"


def test_metrics_on_the_drifted_set_show_drift_and_worse_performance(trained: dict[str, Any]):
    """On the drifted population the KS test flags drift and the AUC falls below 0.7."""
    baseline = metrics_on("test.csv", trained)
    drifted = metrics_on("test_drifted.csv", trained)
    assert drifted["min_ks_p_value"] < 0.01
    assert drifted["max_ks_statistic"] > baseline["max_ks_statistic"]
    assert drifted["auc"] < 0.7
    assert drifted["auc"] < baseline["auc"]


def test_metrics_without_a_trained_model_use_the_embedded_coefficients():
    """Without `trainedModel` the defaults score well and the drift tests are left out."""
    result = metrics_on("test.csv", None)
    assert result["auc"] > 0.75
    assert "data_drift" not in result
    assert "min_ks_p_value" not in result


def test_score_yields_one_record_per_input_row(trained: dict[str, Any]):
    """Scoring the test set yields id, probability and label for every row, in order."""
    rows = list(csv.DictReader(data("test.csv").content.splitlines()))
    run = run_model_function(
        source(), FunctionRole.SCORE, [data("test.csv")], job={"trainedModel": trained}
    )
    assert run.status == "COMPLETE", run.reason
    assert run.records is not None
    assert [int(r["id"]) for r in rows] == [r["id"] for r in run.records]
    assert all(0.0 < r["probability"] < 1.0 for r in run.records)
    assert all(r["label"] == int(r["probability"] >= 0.5) for r in run.records)
    header = render_output(run.records, "CSV").splitlines()[0]
    assert header == "id,probability,label"


def test_score_accepts_json_lines_without_labels():
    """Scoring needs only the features: unlabelled JSON-lines input works."""
    lines = (
        '{"id": "a", "income": 20.0, "debt_ratio": 0.9, "age": 25, '
        '"credit_history_years": 1.0, "num_accounts": 9}\n'
        '{"id": "b", "income": 150.0, "debt_ratio": 0.05, "age": 60, '
        '"credit_history_years": 30.0, "num_accounts": 2}\n'
    )
    run = run_model_function(source(), FunctionRole.SCORE, [InputData(lines, "JSON", "new")])
    assert run.records is not None
    risky, safe = run.records
    assert (risky["id"], risky["label"], safe["id"], safe["label"]) == ("a", 1, "b", 0)


def test_the_comparator_dmn_is_well_formed_with_the_expected_ids():
    """The comparator is a DMN 1.3 COLLECT table over the headline metrics."""
    root = ET.parse(CREDIT / "comparator.dmn").getroot()
    decision = root.find(f"{DMN}decision")
    assert decision is not None
    assert (
        decision.get("id"),
        decision.get("name"),
    ) == ("model_test_comparator", "Model Test Comparator")
    table = decision.find(f"{DMN}decisionTable")
    assert table is not None
    assert table.get("hitPolicy") == "COLLECT"
    inputs = [e.text for e in table.iterfind(f"{DMN}input/{DMN}inputExpression/{DMN}text")]
    assert inputs == ["auc", "f1_score", "pprev_disparity", "min_ks_p_value"]
    outputs = [(o.get("name"), o.get("typeRef")) for o in table.iterfind(f"{DMN}output")]
    assert outputs == [("passes", "boolean"), ("reason", "string"), ("category", "string")]
    rules = table.findall(f"{DMN}rule")
    for rule in rules:
        assert len(inputs) == len(rule.findall(f"{DMN}inputEntry"))
        assert len(outputs) == len(rule.findall(f"{DMN}outputEntry"))
    last = [e.findtext(f"{DMN}text") for e in rules[-1].iter(f"{DMN}inputEntry")]
    assert ["-"] * len(inputs) == last


def test_the_shipped_data_is_what_make_data_generates(tmp_path: Path):
    """Regenerating the example data reproduces the committed CSVs byte for byte."""
    script = (MODELS / "make_data.py").read_text(encoding="utf-8")
    copy = tmp_path / "make_data.py"
    copy.write_text(script, encoding="utf-8")
    subprocess.run([sys.executable, str(copy)], check=True, cwd=tmp_path, timeout=120)
    for name in ("train.csv", "test.csv", "test_drifted.csv"):
        generated = (tmp_path / "credit_model" / "data" / name).read_bytes()
        assert (CREDIT / "data" / name).read_bytes() == generated, name
