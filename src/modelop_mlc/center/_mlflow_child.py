"""The model source `MlflowCenter` jobs run: load an MLflow model version and call it.

This file is never imported by the library. Its text is handed to `_runner` as the job's
`model.py`, so an MLflow job runs in the same child process as any LocalCenter job: a fresh
interpreter with a clean environment, a memory limit and a timeout. It needs only the
standard library to start and imports `mlflow.pyfunc` in `init`.

The job JSON carries `modelPath` (the version's model, already downloaded by the parent) and,
when the version was trained, `trainedModel`. A model logged by `MlflowCenter.log_model`
wraps a ModelOp source and offers its `score`, `metrics` and `train` functions; any other
MLflow model is scored with `predict` and measured by the metrics below.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

_STATE: dict[str, Any] = {}
_BINARY = 2


# modelop.init
def init(job_json: dict[str, Any] | None = None) -> None:
    """Load the model version the job names."""
    job = job_json or {}
    pyfunc = importlib.import_module("mlflow.pyfunc")
    model = pyfunc.load_model(job["modelPath"])
    _STATE.update(model=model, job=job, inner=_inner(model))
    inner = _STATE["inner"]
    if inner is not None and callable(getattr(inner, "init", None)):
        inner.init(job)


# modelop.train
def train(df: Any) -> Any:
    """Run the model's own training function."""
    inner: Any = _STATE.get("inner")
    if not _offers(inner, "train"):
        raise RuntimeError(
            "this MLflow model has no training function: train it where it was built and "
            "register the new version, or log a ModelOp source with MlflowCenter.log_model"
        )
    return inner.train(df)


# modelop.score
def score(df: Any) -> Any:
    """Score `df`: the model's own score function, else `predict`, one record per row."""
    inner: Any = _STATE.get("inner")
    if _offers(inner, "score"):
        return inner.score(df)
    pd = importlib.import_module("pandas")
    predictions = _STATE["model"].predict(df)
    if isinstance(predictions, pd.DataFrame):
        frame = predictions.reset_index(drop=True)
    else:
        frame = pd.DataFrame({"prediction": list(_flat(predictions))})
    id_column = _parameter("idColumn", "id")
    if id_column in df.columns and id_column not in frame.columns:
        frame.insert(0, id_column, list(df[id_column]))
    return frame


# modelop.metrics
def metrics(df: Any) -> Any:
    """Measure the model on labelled data: its own metrics function, else ours."""
    inner: Any = _STATE.get("inner")
    if _offers(inner, "metrics"):
        return inner.metrics(df)
    label = _parameter("labelColumn", "label")
    if label not in df.columns:
        raise ValueError(
            f"the test data has no label column '{label}'; name it with the job parameter "
            "labelColumn"
        )
    truth = [float(v) for v in df[label]]
    predicted = [float(v) for v in _flat(_STATE["model"].predict(df.drop(columns=[label])))]
    if len(predicted) != len(truth):
        raise ValueError(f"the model returned {len(predicted)} predictions for {len(truth)} rows")
    if set(truth) <= {0.0, 1.0}:
        return _classification(truth, predicted)
    return _regression(truth, predicted)


def _inner(model: Any) -> Any:
    try:
        return model.unwrap_python_model()
    except Exception:  # noqa: BLE001 - not a python_function model of ours: use predict
        return None


def _offers(inner: Any, role: str) -> bool:
    """Whether the model wraps a ModelOp source with a function for `role`."""
    has = getattr(inner, "has", None)
    return callable(has) and bool(has(role))


def _parameter(name: str, default: str) -> str:
    parameters = _STATE.get("job", {}).get("jobParameters") or {}
    return str(parameters.get(name) or default)


def _flat(predictions: Any) -> list[Any]:
    if hasattr(predictions, "to_numpy"):
        predictions = predictions.to_numpy()
    if hasattr(predictions, "tolist"):
        predictions = predictions.tolist()
    return [p[0] if isinstance(p, list | tuple) and len(p) == 1 else p for p in predictions]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _classification(truth: list[float], predicted: list[float]) -> dict[str, Any]:
    scores = predicted
    labels = [1.0 if p >= 0.5 else 0.0 for p in predicted]  # noqa: PLR2004 - the usual cut
    tp = sum(1 for t, p in zip(truth, labels, strict=True) if t == 1 and p == 1)
    fp = sum(1 for t, p in zip(truth, labels, strict=True) if t == 0 and p == 1)
    tn = sum(1 for t, p in zip(truth, labels, strict=True) if t == 0 and p == 0)
    fn = sum(1 for t, p in zip(truth, labels, strict=True) if t == 1 and p == 0)
    values = {
        "auc": _auc(truth, scores) if len(set(scores)) > _BINARY else None,
        "accuracy": _ratio(tp + tn, len(truth)),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1_score": _ratio(2 * tp, 2 * tp + fp + fn),
        "confusion_matrix": [{"0": tn, "1": fp}, {"0": fn, "1": tp}],
    }
    headline = {k: v for k, v in values.items() if k != "confusion_matrix"}
    return {
        **headline,
        "performance": [
            {
                "test_name": "Classification Metrics",
                "test_category": "performance",
                "test_type": "classification_metrics",
                "test_id": "performance_classification_metrics",
                "values": values,
            }
        ],
    }


def _regression(truth: list[float], predicted: list[float]) -> dict[str, Any]:
    errors = [p - t for t, p in zip(truth, predicted, strict=True)]
    mean = sum(truth) / len(truth)
    total = sum((t - mean) ** 2 for t in truth)
    values = {
        "rmse": math.sqrt(sum(e * e for e in errors) / len(errors)),
        "mae": sum(abs(e) for e in errors) / len(errors),
        "r2_score": 1 - sum(e * e for e in errors) / total if total else None,
    }
    return {
        **values,
        "performance": [
            {
                "test_name": "Regression Metrics",
                "test_category": "performance",
                "test_type": "regression_metrics",
                "test_id": "performance_regression_metrics",
                "values": values,
            }
        ],
    }


def _auc(truth: list[float], scores: list[float]) -> float | None:
    """Area under the ROC curve by the rank formula (ties get average ranks)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    positives = sum(1 for t in truth if t == 1)
    negatives = len(truth) - positives
    if not positives or not negatives:
        return None
    rank_sum = sum(r for r, t in zip(ranks, truth, strict=True) if t == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
