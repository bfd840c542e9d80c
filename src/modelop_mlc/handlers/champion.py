"""Champion/challenger: compare two snapshots' test results metric by metric."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["LOWER_IS_BETTER", "compare"]

# Metrics where a smaller number is the better model.
LOWER_IS_BETTER = frozenset(
    {
        "mse",
        "rmse",
        "mae",
        "mape",
        "log_loss",
        "logloss",
        "brier",
        "brier_score",
        "error",
        "error_rate",
        "max_ks_statistic",
        "max_stability_index",
    }
)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def compare(
    champion: Mapping[str, Any],
    challenger: Mapping[str, Any],
    *,
    lower_is_better: Iterable[str] = (),
) -> dict[str, Any]:
    """Compare the headline (top-level numeric) metrics both results share.

    Returns a JSON report: one row per metric (values, difference, winner), win counts, and
    `challenger_wins` (the challenger wins more metrics than it loses).
    """
    lower = LOWER_IS_BETTER | {m.lower() for m in lower_is_better}
    rows = []
    wins = {"champion": 0, "challenger": 0, "tie": 0}
    for metric in sorted(set(champion) & set(challenger)):
        old, new = _numeric(champion[metric]), _numeric(challenger[metric])
        if old is None or new is None:
            continue
        better_low = metric.lower() in lower or metric.lower().endswith("_error")
        if math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12):
            winner = "tie"
        elif (new < old) == better_low:
            winner = "challenger"
        else:
            winner = "champion"
        wins[winner] += 1
        rows.append(
            {
                "metric": metric,
                "champion": old,
                "challenger": new,
                "difference": new - old,
                "relative_change": (new - old) / abs(old) if old else None,
                "lower_is_better": better_low,
                "winner": winner,
            }
        )
    return {"metrics": rows, "wins": wins, "challenger_wins": wins["challenger"] > wins["champion"]}
