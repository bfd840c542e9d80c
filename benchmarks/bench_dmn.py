"""Decision-table throughput: modelop_mlc.dmn vs SpiffWorkflow 3.2.0's DMN engine.

A 50-rule, 6-input COLLECT table (a model-test comparator over six metrics) is evaluated
`--n` times by each engine on the same inputs, in the same run. The cells are written in
the subset both dialects read the same way (`>= 0.8`, `< 0.35`, `-`; outputs are a string
and a number), so both engines do the same work; the script checks they agree.

    .venv/bin/python benchmarks/bench_dmn.py            # 100,000 evaluations each
    .venv/bin/python benchmarks/bench_dmn.py --n 5000   # quicker

Prints evaluations per second and the ratio. No assertions on timing.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

from modelop_mlc.dmn import parse_dmn

METRICS = ["auc", "f1", "precision", "recall", "ks", "psi"]
RULES = 50
SEED = 20260101


def build_table(rules: int = RULES, seed: int = SEED) -> str:
    """Return DMN 1.3 XML for a COLLECT comparator with `rules` rules over six metrics."""
    rng = random.Random(seed)
    inputs = "".join(
        f'<input id="in_{m}" label="{m}"><inputExpression id="ie_{m}" typeRef="double">'
        f"<text>{m}</text></inputExpression></input>"
        for m in METRICS
    )
    outputs = (
        '<output id="out_reason" name="reason" typeRef="string"/>'
        '<output id="out_score" name="score" typeRef="integer"/>'
    )
    body = []
    for number in range(1, rules + 1):
        cells = []
        for _metric in METRICS:
            kind = rng.random()
            threshold = round(rng.uniform(0.05, 0.95), 2)
            if kind < 0.45:
                cells.append("-")
            elif kind < 0.65:
                cells.append(f"&gt;= {threshold}")
            elif kind < 0.85:
                cells.append(f"&lt; {threshold}")
            else:
                cells.append(f"&lt;= {threshold}")
        # SpiffWorkflow's parser needs an id on every entry.
        entries = "".join(
            f'<inputEntry id="r{number}i{i}"><text>{c}</text></inputEntry>'
            for i, c in enumerate(cells)
        )
        results = (
            f'<outputEntry id="r{number}o1"><text>"rule {number}"</text></outputEntry>'
            f'<outputEntry id="r{number}o2"><text>{number}</text></outputEntry>'
        )
        body.append(f'<rule id="r{number}">{entries}{results}</rule>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" '
        'name="bench" namespace="http://camunda.org/schema/1.0/dmn">'
        '<decision id="comparator" name="Comparator">'
        f'<decisionTable id="table" hitPolicy="COLLECT">{inputs}{outputs}{"".join(body)}'
        "</decisionTable></decision></definitions>"
    )


def sample_inputs(count: int = 200, seed: int = SEED) -> list[dict[str, Any]]:
    """Return `count` metric dictionaries with values in [0, 1)."""
    rng = random.Random(seed + 1)
    return [{m: round(rng.random(), 3) for m in METRICS} for _ in range(count)]


def run_ours(xml: str, inputs: list[dict[str, Any]], n: int) -> tuple[float, list[list[str]]]:
    model = parse_dmn(xml)
    reasons = [[r["reason"] for r in model.evaluate("comparator", v).rows] for v in inputs]
    count = len(inputs)
    start = time.perf_counter()
    for i in range(n):
        model.evaluate("comparator", inputs[i % count])
    return time.perf_counter() - start, reasons


def run_spiff(xml: str, inputs: list[dict[str, Any]], n: int) -> tuple[float, list[list[str]]]:
    parser = BpmnDmnParser()
    parser.add_dmn_str(xml.encode("utf-8"))
    engine = parser.get_engine("comparator", None)
    script_engine = PythonScriptEngine()
    tasks = [
        SimpleNamespace(data=dict(v), workflow=SimpleNamespace(script_engine=script_engine))
        for v in inputs
    ]
    reasons = [list(engine.result(task).get("reason", [])) for task in tasks]
    count = len(tasks)
    start = time.perf_counter()
    for i in range(n):
        engine.result(tasks[i % count])
    return time.perf_counter() - start, reasons


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--n", type=int, default=100_000, help="evaluations per engine")
    n = arguments.parse_args().n
    xml = build_table()
    inputs = sample_inputs()
    print(
        f"Python {platform.python_version()} on {platform.machine()}; "
        f"{RULES} rules x {len(METRICS)} inputs, COLLECT; n={n:,}"
    )
    ours_seconds, ours_reasons = run_ours(xml, inputs, n)
    spiff_seconds, spiff_reasons = run_spiff(xml, inputs, n)
    agree = sum(a == b for a, b in zip(ours_reasons, spiff_reasons, strict=True))
    hits = sum(len(r) for r in ours_reasons) / len(ours_reasons)
    print(
        f"both engines agree on {agree}/{len(inputs)} input sets "
        f"({hits:.1f} matched rules on average)"
    )
    ours_rate = n / ours_seconds
    spiff_rate = n / spiff_seconds
    for label, rate, seconds in (
        ("modelop_mlc.dmn", ours_rate, ours_seconds),
        ("SpiffWorkflow 3.2.0", spiff_rate, spiff_seconds),
    ):
        print(
            f"{label:<20} {rate:>12,.0f} evaluations/s  ({seconds:.2f} s, {1e6 / rate:.1f} us each)"
        )
    print(f"{'ratio':<20} {ours_rate / spiff_rate:>12.1f}x")


if __name__ == "__main__":
    main()
