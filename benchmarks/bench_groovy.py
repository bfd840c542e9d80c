"""Groovy script cost: our interpreter vs the Python sandbox and FEEL, in one run.

A 20-line MLC-style script (closures over a snapshot's assets, property navigation, a map
literal, string building) is evaluated `--n` times by each of:

- Groovy on our interpreter (`_engine.groovy`; compiled once, run each time with a fresh
  budget and variable copies, as a script task does);
- the same logic in Python: first through the in-process fast path (`fastscript`), which
  refuses it (it has comprehensions), so through the sandbox worker process, as a script
  task does (`--python-n` runs, default 1,000: each is a process round trip);
- the same logic as one FEEL expression on our FEEL engine.

The script checks that all three agree, then prints the cost per evaluation and the ratios.
No assertions on timing.

    .venv/bin/python benchmarks/bench_groovy.py              # 10,000 evaluations
    .venv/bin/python benchmarks/bench_groovy.py --n 2000     # quicker
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from modelop_mlc._engine.fastscript import run_fast
from modelop_mlc._engine.groovy import MappingHost, compile_groovy
from modelop_mlc._engine.sandbox import ScriptSandbox
from modelop_mlc.dmn import to_json_value
from modelop_mlc.dmn._feel import evaluate_text

GROOVY = """import com.modelop.sdk.dataobjects.v2.assets.*
def assets = DEPLOYABLE_MODEL.storedModel.modelAssets
def training = assets.find { it.assetRole == Asset.AssetRole.TRAINING_DATA }
def comparator = assets.find { it.assetRole.name() == "TEST_RESULT_COMPARATOR" }
def dataFiles = assets.findAll { it.fileFormat == "CSV" }
def totalSize = dataFiles.sum { it.fileSize ?: 0 } ?: 0
def names = dataFiles.collect { it.name.toUpperCase() }.sort()
def meta = DEPLOYABLE_MODEL.storedModel.modelMetaData
def summary = [
    model: meta.name,
    type: meta.type,
    training: training?.name,
    comparator: comparator != null,
    files: names.join(", "),
    size: totalSize,
]
def label = "Model ${meta.name} (${DEPLOYABLE_MODEL.id}) has ${dataFiles.size()} data files"
if (totalSize > 1000) { label += " [large]" }
summary.label = label
return summary
"""

PYTHON = """assets = DEPLOYABLE_MODEL["storedModel"]["modelAssets"]
training = ([a for a in assets if a.get("assetRole") == "TRAINING_DATA"] or [None])[0]
comparator = ([a for a in assets if a.get("assetRole") == "TEST_RESULT_COMPARATOR"] or [None])[0]
data_files = [a for a in assets if a.get("fileFormat") == "CSV"]
total_size = sum(a.get("fileSize") or 0 for a in data_files)
names = sorted(a["name"].upper() for a in data_files)
meta = DEPLOYABLE_MODEL["storedModel"]["modelMetaData"]
summary = {
    "model": meta["name"],
    "type": meta["type"],
    "training": training["name"] if training else None,
    "comparator": comparator is not None,
    "files": ", ".join(names),
    "size": total_size,
}
label = f"Model {meta['name']} ({DEPLOYABLE_MODEL['id']}) has {len(data_files)} data files"
if total_size > 1000:
    label += " [large]"
summary["label"] = label
summary
"""

FEEL = """{
  assets: DEPLOYABLE_MODEL.storedModel.modelAssets,
  training: assets[item.assetRole = "TRAINING_DATA"],
  comparator: assets[item.assetRole = "TEST_RESULT_COMPARATOR"],
  data: assets[item.fileFormat = "CSV"],
  size: sum(for a in data return if a.fileSize = null then 0 else a.fileSize),
  names: sort(for a in data return upper case(a.name), function(x, y) x < y),
  meta: DEPLOYABLE_MODEL.storedModel.modelMetaData,
  label: "Model " + meta.name + " (" + DEPLOYABLE_MODEL.id + ") has "
    + string(count(data)) + " data files" + (if size > 1000 then " [large]" else ""),
  result: {
    model: meta.name, type: meta.type,
    training: if count(training) > 0 then training[1].name else null,
    comparator: count(comparator) > 0, files: string join(names, ", "), size: size,
    label: label
  }
}.result"""

NOW = datetime(2026, 1, 8, tzinfo=UTC)


def snapshot() -> dict[str, Any]:
    """A ModelOp-shaped snapshot with eight assets."""
    roles = ["TRAINING_DATA", "TEST_DATA", "COMPARATOR_DATA", "TEST_RESULT_COMPARATOR",
             "MODEL_SOURCE", "README_FILE", "BASELINE_DATA", "SCORING_DATA"]  # fmt: skip
    assets = [
        {
            "name": f"asset_{i}.{'csv' if i % 2 == 0 else 'json'}",
            "assetRole": role,
            "fileFormat": "CSV" if i % 2 == 0 else "JSON",
            "fileSize": 300 * (i + 1),
        }
        for i, role in enumerate(roles)
    ]
    return {
        "id": "5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10",
        "storedModel": {
            "modelMetaData": {"name": "credit", "type": "PYTHON3"},
            "modelAssets": assets,
        },
    }


def timed(n: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds per call of `fn` over `n` calls, and its last result."""
    result = fn()
    start = time.perf_counter()
    for _ in range(n):
        result = fn()
    return (time.perf_counter() - start) / n, result


def main() -> None:
    """Run the three evaluations and print per-eval costs and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="Groovy and FEEL evaluations")
    parser.add_argument("--python-n", type=int, default=1_000, help="sandbox evaluations")
    args = parser.parse_args()
    variables = {"DEPLOYABLE_MODEL": snapshot()}

    script = compile_groovy(GROOVY)
    groovy_cost, groovy_value = timed(args.n, lambda: script.run(MappingHost(variables, NOW)).value)
    feel_cost, feel_value = timed(
        args.n, lambda: to_json_value(evaluate_text(FEEL, variables, now=NOW)[0])
    )
    assert run_fast(PYTHON, variables, {}) is None, "the fast path is expected to refuse it"
    with ScriptSandbox() as sandbox:
        python_cost, outcome = timed(args.python_n, lambda: sandbox.run(PYTHON, variables))
    python_value = outcome.value
    if not groovy_value == python_value == feel_value:
        raise SystemExit(f"results differ:\n{groovy_value}\n{python_value}\n{feel_value}")

    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"{'engine':<34}{'per eval':>12}{'vs Groovy':>12}")
    for name, cost in (
        (f"Groovy interpreter (n={args.n})", groovy_cost),
        (f"FEEL engine (n={args.n})", feel_cost),
        (f"Python sandbox worker (n={args.python_n})", python_cost),
    ):
        print(f"{name:<34}{cost * 1e6:>10.1f}us{cost / groovy_cost:>11.2f}x")
    print("Python fast path: refused (comprehensions), so Python script tasks use the worker")


if __name__ == "__main__":
    main()
