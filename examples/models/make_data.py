"""Generate the credit-risk example data: training, test and drifted test CSVs.

The data is synthetic and deterministic (seeded), so the committed CSVs can be regenerated
byte for byte with `python examples/models/make_data.py`. Each applicant's chance of default
follows a logistic ground truth over the numeric features, plus unobserved noise; `gender`
plays no part in it, so a fair model shows a disparity near 1.

The drifted set comes from a later, different population: younger applicants with lower
incomes and higher debt, and a changed relationship between features and default (debt
matters less, the number of accounts much more), so both data-drift and performance tests
should fail on it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 20260101
DATA_DIR = Path(__file__).parent / "credit_model" / "data"
COLUMNS = [
    "id",
    "income",
    "debt_ratio",
    "age",
    "credit_history_years",
    "num_accounts",
    "gender",
    "default",
]

# Ground-truth weights on standardised features (see `_standardise`).
BASELINE_WEIGHTS = {
    "intercept": -1.0,
    "income": -1.0,
    "debt_ratio": 1.3,
    "age": -0.4,
    "credit_history_years": -0.6,
    "num_accounts": 0.3,
}
DRIFTED_WEIGHTS = {
    "intercept": -0.6,
    "income": -0.3,
    "debt_ratio": 0.2,
    "age": 0.3,
    "credit_history_years": -0.1,
    "num_accounts": 1.2,
}


def _population(rng: np.random.Generator, n: int, *, drifted: bool) -> dict[str, np.ndarray]:
    if drifted:
        income = rng.lognormal(np.log(38.0), 0.5, n)
        debt_ratio = rng.beta(4.0, 4.0, n)
        age = np.clip(rng.normal(31.0, 7.0, n), 21, 80).round()
    else:
        income = rng.lognormal(np.log(55.0), 0.45, n)
        debt_ratio = rng.beta(2.0, 4.5, n)
        age = np.clip(rng.normal(43.0, 12.0, n), 21, 80).round()
    history = np.minimum(age - 18, rng.gamma(3.0, 3.5, n)).round(1)
    num_accounts = rng.poisson(6.0 if drifted else 4.0, n)
    return {
        "income": income.round(1),
        "debt_ratio": debt_ratio.round(3),
        "age": age,
        "credit_history_years": history,
        "num_accounts": num_accounts,
    }


def _standardise(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    # Fixed centres and scales (the baseline population's), so drift moves the risk too.
    return {
        "income": (np.log(columns["income"]) - np.log(55.0)) / 0.45,
        "debt_ratio": (columns["debt_ratio"] - 0.31) / 0.17,
        "age": (columns["age"] - 43.0) / 12.0,
        "credit_history_years": (columns["credit_history_years"] - 10.0) / 6.0,
        "num_accounts": (columns["num_accounts"] - 4.0) / 2.0,
    }


def _risk(
    rng: np.random.Generator, columns: dict[str, np.ndarray], weights: dict[str, float]
) -> np.ndarray:
    z = _standardise(columns)
    logit = weights["intercept"] + sum(weights[name] * z[name] for name in z)
    return logit + rng.normal(0.0, 0.5, len(logit))  # risk factors the data does not show


def _genders(rng: np.random.Generator, risk: np.ndarray) -> np.ndarray:
    """Split each pair of neighbours in risk order between F and M, at random.

    Both groups then carry the same risk, so a fair model's disparity stays near 1 even in a
    400-row sample, where independent coin flips often land outside [0.8, 1.25].
    """
    gender = np.empty(len(risk), dtype=object)
    order = np.argsort(risk, kind="stable")
    for start in range(0, len(order), 2):
        pair = order[start : start + 2]
        labels = ["F", "M"] if rng.random() < 0.5 else ["M", "F"]
        gender[pair] = labels[: len(pair)]
    return gender


def make(n: int, first_id: int, *, drifted: bool, rng: np.random.Generator) -> list[list[object]]:
    """Return `n` rows of applicants, ids counting from `first_id`."""
    columns = _population(rng, n, drifted=drifted)
    risk = _risk(rng, columns, DRIFTED_WEIGHTS if drifted else BASELINE_WEIGHTS)
    default = (rng.random(n) < 1.0 / (1.0 + np.exp(-risk))).astype(int)
    gender = _genders(rng, risk)
    return [
        [
            first_id + i,
            float(columns["income"][i]),
            float(columns["debt_ratio"][i]),
            int(columns["age"][i]),
            float(columns["credit_history_years"][i]),
            int(columns["num_accounts"][i]),
            str(gender[i]),
            int(default[i]),
        ]
        for i in range(n)
    ]


def write(path: Path, rows: list[list[object]]) -> None:
    """Write rows under the standard header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def main() -> None:
    """Regenerate every CSV in `credit_model/data/`."""
    rng = np.random.default_rng(SEED)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    write(DATA_DIR / "train.csv", make(1000, 1, drifted=False, rng=rng))
    write(DATA_DIR / "test.csv", make(400, 10001, drifted=False, rng=rng))
    write(DATA_DIR / "test_drifted.csv", make(400, 20001, drifted=True, rng=rng))


if __name__ == "__main__":
    main()
