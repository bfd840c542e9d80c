"""docs/testing.md runs: its files and Python examples make a fresh project whose tests pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def doc_files(text: str) -> tuple[dict[str, str], list[str]]:
    """The files the page shows (```` ```xml title="x" ````) and its Python examples."""
    files: dict[str, str] = {}
    examples: list[str] = []
    for language, info, body in _BLOCK.findall(text):
        named = re.search(r'title="([^"]+)"', info)
        if named is not None:
            files[named.group(1)] = body
        elif language == "python":
            examples.append(body)
    return files, examples


def test_docs_examples_run(pytester: pytest.Pytester) -> None:
    """Every example in docs/testing.md passes in a fresh project, with the report it shows."""
    text = DOCS.read_text(encoding="utf-8")
    files, examples = doc_files(text)
    assert {"review.bpmn", "monitoring.bpmn", "conftest.py"} <= set(files)
    for name, content in files.items():
        (pytester.path / name).write_text(content, encoding="utf-8")
    tests = "\n\n".join(examples)
    (pytester.path / "test_docs_examples.py").write_text(tests, encoding="utf-8")
    count = len(re.findall(r"^def test_", tests, re.MULTILINE))
    assert count >= 8

    result = pytester.runpytest("-p", "modelop_mlc", "--mlc-coverage=cov")

    result.assert_outcomes(passed=count)
    table = re.search(r"```console\n(.*?)```", text, re.DOTALL)
    assert table is not None
    rows = [
        r
        for r in table.group(1).splitlines()
        if r.startswith(("model_review", "monitoring", "ticket_approval", "TOTAL"))
    ]
    assert len(rows) == 4
    assert set(rows) <= set(result.stdout.lines)  # the table the page shows is the real one
    (report,) = (pytester.path / "cov").glob("model_review-*.html")
    assert "<svg" in report.read_text()
    (listing,) = (pytester.path / "cov").glob("monitoring-*.html")
    assert "has no BPMN DI" in listing.read_text()


def test_every_fixture_and_option_is_documented(pytester: pytest.Pytester) -> None:
    """The page names every `mlc_*` fixture and `--mlc-*` option the plugin has."""
    text = DOCS.read_text(encoding="utf-8")
    fixtures = pytester.runpytest("-p", "modelop_mlc", "--fixtures").stdout.str()
    names = set(re.findall(r"^(mlc_\w+)", fixtures, re.MULTILINE))
    assert {"mlc_manager", "mlc_harness", "mlc_jira", "mlc_servicenow"} <= names
    options = set(re.findall(r"(--mlc-[\w-]+)", pytester.runpytest("--help").stdout.str()))
    assert {"--mlc-store", "--mlc-coverage"} <= options
    missing = sorted(n for n in names | options if f"`{n}" not in text)
    assert missing == []
