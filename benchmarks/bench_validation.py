"""Validation (and deployment) cost grows linearly with a diagram's size (issue 25).

A generated process of blocks, each an exclusive split on a condition, a user task with a
timer boundary event leading to a task, another task on the default branch, and an exclusive
join (6 elements and 7 sequence flows a block), chained one after another. Two sizes run in
one run, 6,000 and 60,000 elements (10x): `validate()` and then `deploy()` into a fresh
SQLite file, each timed once per size (best of `--repeat`). The ratio printed is the
per-element time at 60,000 over the per-element time at 6,000: about 1.0 is linear, 10 would
be quadratic. The issue's bound is 60,000 elements validated in under 5 s.

    python benchmarks/bench_validation.py [--small 6000] [--large 60000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from modelop_mlc import LifecycleManager
from modelop_mlc.validation import validate

BOUND_SECONDS = 5.0
PER_BLOCK = 13
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def _flow(source: str, target: str, condition: str | None = None) -> str:
    fid = f"f_{source}_{target}"
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def _block(k: int, previous: str) -> tuple[list[str], str]:
    """One block after `previous`; returns its XML parts and the id the next block follows."""
    parts = [
        f'<bpmn:exclusiveGateway id="g{k}" default="f_g{k}_y{k}"/>',
        f'<bpmn:userTask id="u{k}" name="Review {k}"/>',
        (
            f'<bpmn:boundaryEvent id="b{k}" attachedToRef="u{k}"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:boundaryEvent>"
        ),
        f'<bpmn:task id="x{k}"/>',
        f'<bpmn:task id="y{k}"/>',
        f'<bpmn:exclusiveGateway id="j{k}"/>',
        _flow(previous, f"g{k}"),
        _flow(f"g{k}", f"u{k}", f"${{score &gt; {k}}}"),
        _flow(f"g{k}", f"y{k}"),
        _flow(f"u{k}", f"j{k}"),
        _flow(f"b{k}", f"x{k}"),
        _flow(f"x{k}", f"j{k}"),
        _flow(f"y{k}", f"j{k}"),
    ]
    return parts, f"j{k}"


def diagram(elements: int) -> tuple[str, int]:
    """A process of about `elements` elements; returns its XML and the exact count."""
    parts = ['<bpmn:startEvent id="start"/>']
    last = "start"
    blocks = max(1, elements // PER_BLOCK)
    for k in range(blocks):
        block, last = _block(k, last)
        parts.extend(block)
    parts.extend(['<bpmn:endEvent id="end"/>', _flow(last, "end")])
    body = "\n".join(parts)
    xml = f'{HEADER}<bpmn:process id="big" isExecutable="true">\n{body}\n</bpmn:process>\n'
    return xml + "</bpmn:definitions>\n", blocks * PER_BLOCK + 3


def _best(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def _deploy(xml: str) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        LifecycleManager.open(Path(folder) / "mlc.db") as manager,
    ):
        manager.deploy(("big.bpmn", xml))


def _check(xml: str) -> None:
    report = validate(xml)
    if not report.ok:
        raise SystemExit(f"the generated diagram is not valid: {report.problems[:3]}")


def main() -> None:
    """Time both sizes in one run and print the per-element ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=6_000)
    parser.add_argument("--large", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figures = {}
    for size in (args.small, args.large):
        xml, count = diagram(size)
        validated = _best(lambda xml=xml: _check(xml), args.repeat)
        deployed = _best(lambda xml=xml: _deploy(xml), args.repeat)
        figures[size] = (count, validated, deployed)
        print(
            f"{count:>7,} elements ({len(xml) / 1e6:.1f} MB): validate {validated:7.2f} s "
            f"({validated / count * 1e6:6.1f} µs/element), deploy {deployed:7.2f} s "
            f"({deployed / count * 1e6:6.1f} µs/element)"
        )
    (n1, v1, d1), (n2, v2, d2) = figures[args.small], figures[args.large]
    print(
        f"per-element ratio, {n2:,} vs {n1:,}: validate {(v2 / n2) / (v1 / n1):.2f}x, "
        f"deploy {(d2 / n2) / (d1 / n1):.2f}x (1.0 is linear, {n2 / n1:.0f} quadratic)"
    )
    verdict = "met" if v2 < BOUND_SECONDS else "NOT met"
    print(f"{n2:,} elements validated in {v2:.2f} s: < {BOUND_SECONDS:.0f} s bound {verdict}")


if __name__ == "__main__":
    main()
