"""Credit default risk: a logistic regression in numpy, written as a ModelOp model source.

ModelOp finds the entry points by the smart comments above them:

- `# modelop.init` picks the coefficients: the training job's result when the job passes it as
  `job_json["trainedModel"]`, otherwise the defaults embedded below, so scoring works untrained.
- `# modelop.train` fits the model by gradient descent (deterministic) and yields it as JSON,
  with per-feature training statistics for the drift tests.
- `# modelop.score` yields one record per applicant: id, probability of default, label.
- `# modelop.metrics` yields one dict in ModelOp's monitor shape: headline metrics plus lists of
  performance, bias, data-drift and stability tests.

Only numpy and pandas are used. The model never sees `gender`; it is used only to measure bias.
"""

import numpy as np
import pandas as pd

FEATURES = ["income", "debt_ratio", "age", "credit_history_years", "num_accounts"]
LABEL = "default"
ID = "id"
PROTECTED_CLASS = "gender"
REFERENCE_GROUP = "M"
THRESHOLD = 0.5

# What `train` yields for data/train.csv, less the training statistics (so without a
# trained model, metrics has no drift tests).
DEFAULT_MODEL = {
    "model_type": "logistic_regression",
    "features": FEATURES,
    "coefficients": [-0.043076, 8.133756, -0.041908, -0.101816, 0.096632],
    "intercept": 1.550757,
    "threshold": THRESHOLD,
}

_STATE = {}


# modelop.init
def init(job_json=None):
    trained = (job_json or {}).get("trainedModel")
    _STATE["model"] = trained if isinstance(trained, dict) else DEFAULT_MODEL


# modelop.train
def train(df):
    x = _features(df)
    y = _labels(df)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    weights = np.zeros(z.shape[1])
    base_rate = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    bias = float(np.log(base_rate / (1 - base_rate)))
    # Full-batch gradient descent on standardised features with a little L2: no randomness,
    # so the same data always gives the same coefficients.
    for _ in range(500):
        error = _sigmoid(z @ weights + bias) - y
        weights -= 0.5 * (z.T @ error / len(y) + 1e-3 * weights)
        bias -= 0.5 * float(error.mean())
    coefficients = weights / std  # back to raw feature units, so scoring needs no scaler
    intercept = bias - float((weights * mean / std).sum())
    model = {
        "model_type": "logistic_regression",
        "features": FEATURES,
        "coefficients": [round(float(c), 6) for c in coefficients],
        "intercept": round(intercept, 6),
        "threshold": THRESHOLD,
    }
    probability = _predict(model, df)
    yield {
        **model,
        "training_rows": len(df),
        "training_metrics": {
            "auc": _auc(y, probability),
            "accuracy": float(((probability >= THRESHOLD) == (y == 1)).mean()),
        },
        "training_stats": {name: _column_stats(x[:, i]) for i, name in enumerate(FEATURES)},
    }


# modelop.schema.0: input_schema.avsc
# modelop.score
def score(df):
    model = _STATE.get("model", DEFAULT_MODEL)
    probability = _predict(model, df)
    ids = df[ID] if ID in df.columns else pd.Series(df.index)
    for applicant, p in zip(ids, probability, strict=True):
        yield {
            ID: applicant,
            "probability": round(float(p), 6),
            "label": int(p >= model["threshold"]),
        }


# modelop.metrics
def metrics(df):
    model = _STATE.get("model", DEFAULT_MODEL)
    y = _labels(df)
    probability = _predict(model, df)
    predicted = (probability >= model["threshold"]).astype(int)
    performance = _classification(y, predicted, probability)
    bias = _disparity(df, y, predicted)
    drift = _drift(df, model.get("training_stats"))

    result = {
        "auc": performance["auc"],
        "accuracy": performance["accuracy"],
        "precision": performance["precision"],
        "recall": performance["recall"],
        "f1_score": performance["f1_score"],
        "pprev_disparity": bias["ppr_disparity"],
        "performance": [
            {
                "test_name": "Classification Metrics",
                "test_category": "performance",
                "test_type": "classification_metrics",
                "test_id": "performance_classification_metrics",
                "values": performance,
            }
        ],
        "bias": [
            {
                "test_name": "Disparity Metrics",
                "test_category": "bias",
                "test_type": "bias",
                "test_id": "bias_disparity",
                "protected_class": PROTECTED_CLASS,
                "reference_group": REFERENCE_GROUP,
                "values": bias,
            }
        ],
    }
    if drift is not None:
        p_values, statistics, stability = drift
        result["max_ks_statistic"] = max(statistics.values())
        result["min_ks_p_value"] = min(p_values.values())
        result["max_stability_index"] = max(s["stability_index"] for s in stability.values())
        result["data_drift"] = [
            {
                "test_name": "Kolmogorov-Smirnov",
                "test_category": "data_drift",
                "test_type": "kolmogorov_smirnov",
                "test_id": "data_drift_kolmogorov_smirnov",
                "values": p_values,
                "ks_statistics": statistics,
            }
        ]
        result["stability"] = [
            {
                "test_name": "Stability Analysis",
                "test_category": "stability",
                "test_type": "stability_analysis",
                "test_id": "stability_stability_analysis",
                "values": stability,
            }
        ]
    yield result


def _features(df):
    missing = [name for name in FEATURES if name not in df.columns]
    if missing:
        raise ValueError(f"the data lacks the feature columns {missing}")
    return df[FEATURES].to_numpy(dtype=float)


def _labels(df):
    if LABEL not in df.columns:
        raise ValueError(f"the data lacks the label column '{LABEL}'")
    return df[LABEL].to_numpy(dtype=float)


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-np.clip(t, -500, 500)))


def _predict(model, df):
    weights = np.asarray(model["coefficients"], dtype=float)
    return _sigmoid(_features(df) @ weights + float(model["intercept"]))


def _auc(y, probability):
    """Area under the ROC curve by the rank (Mann-Whitney) formula; ties get average ranks."""
    positives = int((y == 1).sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = pd.Series(probability).rank(method="average").to_numpy()
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator else None


def _classification(y, predicted, probability):
    tp = int(((predicted == 1) & (y == 1)).sum())
    fp = int(((predicted == 1) & (y == 0)).sum())
    tn = int(((predicted == 0) & (y == 0)).sum())
    fn = int(((predicted == 0) & (y == 1)).sum())
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {
        "auc": _auc(y, probability),
        "accuracy": _ratio(tp + tn, len(y)),
        "precision": precision,
        "recall": recall,
        "f1_score": f1,
        # Rows are the actual label, columns the predicted one, as in ModelOp's monitors.
        "confusion_matrix": [{"0": tn, "1": fp}, {"0": fn, "1": tp}],
    }


def _rates(y, predicted):
    positives = y == 1
    return {
        "count": len(y),
        "ppr": _ratio(int(predicted.sum()), len(y)),
        "tpr": _ratio(int(predicted[positives].sum()), int(positives.sum())),
        "fpr": _ratio(int(predicted[~positives].sum()), int((~positives).sum())),
    }


def _disparity(df, y, predicted):
    """Rates of each group over the reference group's; the headline is the worst other group."""
    if PROTECTED_CLASS not in df.columns:
        raise ValueError(f"the data lacks the protected-class column '{PROTECTED_CLASS}'")
    groups = df[PROTECTED_CLASS].astype(str).to_numpy()
    rates = {g: _rates(y[groups == g], predicted[groups == g]) for g in sorted(set(groups))}
    reference = rates.get(REFERENCE_GROUP)
    values = {"ppr_disparity": None, "fpr_disparity": None, "tpr_disparity": None}
    if reference is None:
        return {**values, "groups": rates}
    worst = None
    for group, rate in rates.items():
        if group == REFERENCE_GROUP:
            continue
        ratios = {
            f"{name}_disparity": None if rate[name] is None else _ratio(rate[name], reference[name])
            for name in ("ppr", "fpr", "tpr")
        }
        rate.update(ratios)
        ppr = ratios["ppr_disparity"]
        distance = abs(np.log(ppr)) if ppr else np.inf
        if worst is None or distance > worst[0]:
            worst = (distance, ratios)
    if worst is not None:
        values.update(worst[1])
    return {**values, "groups": rates}


def _column_stats(values):
    """Summaries of one training column: moments, a 201-point ECDF sketch and a histogram."""
    ordered = np.sort(values)
    grid = np.unique(np.quantile(ordered, np.linspace(0, 1, 201), method="inverted_cdf"))
    cumulative = np.searchsorted(ordered, grid, side="right") / len(ordered)
    counts, edges = np.histogram(ordered, bins=10)
    return {
        "count": len(ordered),
        "mean": float(ordered.mean()),
        "std": float(ordered.std()),
        "min": float(ordered[0]),
        "max": float(ordered[-1]),
        "ecdf": {"x": grid.tolist(), "p": cumulative.tolist()},
        "histogram": {"bin_edges": edges.tolist(), "counts": counts.tolist()},
    }


def _drift(df, training_stats):
    if not training_stats:
        return None
    x = _features(df)
    p_values, statistics, stability = {}, {}, {}
    for i, name in enumerate(FEATURES):
        stats = training_stats[name]
        statistic = _ks_statistic(stats["ecdf"], x[:, i])
        statistics[name] = statistic
        p_values[name] = _ks_p_value(statistic, stats["count"], len(x))
        stability[name] = {"stability_index": _stability_index(stats["histogram"], x[:, i])}
    return p_values, statistics, stability


def _ks_statistic(ecdf, sample):
    """Two-sample Kolmogorov-Smirnov D between the training ECDF sketch and `sample`."""
    grid = np.asarray(ecdf["x"], dtype=float)
    cumulative = np.asarray(ecdf["p"], dtype=float)
    ordered = np.sort(sample)
    # Both are step functions that only jump at these points, so the supremum is attained
    # at one of them.
    points = np.union1d(grid, ordered)
    index = np.searchsorted(grid, points, side="right") - 1
    training = np.where(index >= 0, cumulative[np.clip(index, 0, None)], 0.0)
    observed = np.searchsorted(ordered, points, side="right") / len(ordered)
    return float(np.abs(training - observed).max())


def _ks_p_value(statistic, n, m):
    """Asymptotic two-sample KS p-value (Kolmogorov distribution, Stephens' correction)."""
    effective = np.sqrt(n * m / (n + m))
    lam = (effective + 0.12 + 0.11 / effective) * statistic
    if lam < 0.2:  # the series converges slowly here, and its value is 1 to 5 places
        return 1.0
    j = np.arange(1, 101)
    q = 2.0 * np.sum((-1.0) ** (j - 1) * np.exp(-2.0 * j**2 * lam**2))
    return float(np.clip(q, 0.0, 1.0))


def _stability_index(histogram, sample):
    """Population stability index of `sample` over the training histogram's bins."""
    edges = np.asarray(histogram["bin_edges"], dtype=float)
    expected = np.asarray(histogram["counts"], dtype=float)
    # Values outside the training range fall into the outermost bins.
    inner = np.clip(sample, edges[0], edges[-1])
    actual, _ = np.histogram(inner, bins=edges)
    expected = np.clip(expected / expected.sum(), 1e-4, None)
    actual = np.clip(actual / max(len(sample), 1), 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
