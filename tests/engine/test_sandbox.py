"""Tests for the script-task sandbox: the static guard, the runtime guard and the limits."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelop_mlc._engine import _sandbox_worker
from modelop_mlc._engine.sandbox import (
    SandboxLimits,
    ScriptProblem,
    ScriptResult,
    ScriptSandbox,
    check_script,
)
from modelop_mlc.errors import ConfigurationError, ScriptError


def _script(*lines: str) -> str:
    return "\n".join(lines)


@pytest.fixture(name="sandbox")
def _sandbox() -> Iterator[ScriptSandbox]:
    with ScriptSandbox() as sandbox:
        yield sandbox


def test_legit_script_returns_changed_variables(sandbox: ScriptSandbox) -> None:
    """A script with a comprehension, item assignment, sum, math and json returns its results."""
    source = _script(
        "doubled = [s * 2 for s in scores]",
        "summary = {}",
        "summary['total'] = sum(doubled)",
        "summary['root'] = math.sqrt(16)",
        "text = json.dumps({'n': len(doubled)})",
        "label = name.upper()",
    )
    result = sandbox.run(source, {"scores": [1, 2, 3], "name": "model"})
    assert result.variables == {
        "doubled": [2, 4, 6],
        "summary": {"total": 12, "root": 4.0},
        "text": '{"n": 3}',
        "label": "MODEL",
    }
    assert frozenset() == result.deleted


def test_unchanged_inputs_are_not_returned(sandbox: ScriptSandbox) -> None:
    """Input variables the script only reads are not reported as changed."""
    result = sandbox.run("y = x + 1", {"x": 1, "other": {"a": [1]}})
    assert result.variables == {"y": 2}


def test_mutated_input_is_returned(sandbox: ScriptSandbox) -> None:
    """An input dict changed in place comes back as a changed variable."""
    result = sandbox.run("config['mode'] = 'fast'", {"config": {"mode": "slow"}})
    assert result.variables == {"config": {"mode": "fast"}}


def test_type_change_counts_as_change(sandbox: ScriptSandbox) -> None:
    """Replacing 1 by True or 1.0 is a change even though the values compare equal."""
    result = sandbox.run("a = True\nb = 1.0", {"a": 1, "b": 1})
    assert result.variables == {"a": True, "b": 1.0}


def test_functions_and_throwaway_names_are_not_variables(sandbox: ScriptSandbox) -> None:
    """Functions, lambdas and the `_` throwaway name do not come back as variables."""
    source = _script(
        "def twice(v):",
        "    return v * 2",
        "half = lambda v: v / 2",
        "for _ in range(2):",
        "    pass",
        "r = twice(3)",
    )
    assert sandbox.run(source, {}).variables == {"r": 6}


@pytest.mark.parametrize(
    ("source", "fragment", "line"),
    [
        ("x = 1\nimport os", "imports are not allowed", 2),
        ("from os import path", "imports are not allowed", 1),
        ("__import__('os')", "calling '__import__' is not allowed", 1),
        ("data = open('/etc/passwd')", "calling 'open' is not allowed", 1),
        ("x = ().__class__.__subclasses__()", "attribute '__class__' is not allowed", 1),
        ("x = ''.__class__", "attribute '__class__' is not allowed", 1),
        ("x = getattr((), '__class__')", "calling 'getattr' is not allowed", 1),
        ("x = '{0.__class__}'.format(1)", "attribute 'format' is not allowed", 1),
        ("x = (i for i in [1]).gi_frame", "attribute 'gi_frame' is not allowed", 1),
        ("x = type(1)", "calling 'type' is not allowed", 1),
        ("x = globals()", "calling 'globals' is not allowed", 1),
        ("x = eval('1')", "calling 'eval' is not allowed", 1),
        ("d = {}\nd.key = 1", "assigning or deleting attribute 'key' is not allowed", 2),
        ("class Model:\n    pass", "class definitions are not allowed", 1),
        ("def f():\n    global x", "'global' statements are not allowed", 2),
        ("_secret = 1", "names starting with '_' are reserved", 1),
        ("x = dict(__class__=1)", "names starting with '_' are reserved", 1),
        ("x = f'{execution.__class__}'", "attribute '__class__' is not allowed", 1),
        ("x = 1\nyield x", "'yield' is only allowed inside a function", 2),
        ("return 1", "'return' is only allowed inside a function", 1),
        ("break", "'break' is only allowed inside a loop", 1),
        ("x = (", "syntax error", 1),
    ],
)
def test_guard_refuses(sandbox: ScriptSandbox, source: str, fragment: str, line: int) -> None:
    """Dangerous constructs are refused before running, with a clear message and a line."""
    problems = check_script(source)
    assert any(fragment in p.message and p.line == line for p in problems), problems
    with pytest.raises(ScriptError) as caught:
        sandbox.run(source, {})
    assert fragment in str(caught.value)
    assert f"line {line}: " in str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "with x:\n    pass",
        "async def f():\n    pass",
        "match x:\n    case 1:\n        pass",
        "def f():\n    nonlocal y",
    ],
)
def test_guard_refuses_language_outside_the_subset(source: str) -> None:
    """`with`, async code, `match` and `nonlocal` are outside the script language."""
    assert check_script(source)


def test_guard_lists_every_problem_in_line_order() -> None:
    """All problems of a script are reported at once, ordered by line."""
    problems = check_script("import os\nx = 1\ny = open('f')\nz = ().__class__")
    assert [p.line for p in problems] == [1, 3, 4]
    assert isinstance(problems[0], ScriptProblem)
    assert "line 1: imports are not allowed" in str(problems[0])


def test_clean_script_has_no_problems() -> None:
    """A script using only the allowed language passes the static guard."""
    source = "def f(v):\n    return [i for i in range(v) if i % 2]\nresult = f(5)"
    assert check_script(source) == []


def test_worker_rechecks_every_source() -> None:
    """The worker refuses a guarded-against script itself instead of trusting the host."""
    request = {
        "source": "import os",
        "variables": {},
        "context": {},
        "cpu_seconds": 1.0,
        "max_output_bytes": 100,
    }
    reply_text, recycle = _sandbox_worker.run_request(request)
    reply = json.loads(reply_text)
    assert reply["ok"] is False
    assert reply["kind"] == "refused"
    assert reply["problems"][0][0] == 1
    assert not recycle


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("f = lambda: 1\ny = f.real", "attributes of function values are not available"),
        ("g = (i for i in [1])\ny = g.send", "attributes of generator values are not available"),
        ("e = ValueError('x')\ny = e.args", "attributes of ValueError values are not available"),
        ("f = math.sqrt\ny = f.real", "attributes of builtin_function_or_method values"),
        ("y = ValueError.args", "attributes of type values are not available"),
        ("y = isinstance(1, range)", "isinstance() in scripts accepts only"),
        ("r = range(10**8)", "range() in scripts is limited"),
    ],
)
def test_runtime_guard_refuses(sandbox: ScriptSandbox, source: str, fragment: str) -> None:
    """Attribute reads on values outside the allow-list fail at run time with the line."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run(source, {})
    assert fragment in str(caught.value)


def test_runtime_guard_allows_public_attributes_of_plain_values(sandbox: ScriptSandbox) -> None:
    """Methods of strings, lists, dicts, dates and Decimal, and class constructors, work."""
    source = _script(
        "parts = 'a,b'.split(',')",
        "parts.append('c')",
        "keys = sorted({'y': 1, 'x': 2}.keys())",
        "year = datetime.fromisoformat('2024-05-01T10:00:00').year",
        "upper = str.upper('q')",
        "exact = float(Decimal('1.25').quantize(Decimal('0.1')))",
        "ok = isinstance(parts, list)",
    )
    result = sandbox.run(source, {})
    assert result.variables == {
        "parts": ["a", "b", "c"],
        "keys": ["x", "y"],
        "year": 2024,
        "upper": "Q",
        "exact": 1.2,
        "ok": True,
    }


def test_unavailable_builtins_are_absent(sandbox: ScriptSandbox) -> None:
    """Builtins outside the safe set are not defined, even when not called directly."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("x = 1\nf = vars", {})
    assert "at line 2: NameError: name 'vars' is not defined" in str(caught.value)


def test_cpu_limit_stops_an_endless_loop() -> None:
    """An endless loop is stopped by the CPU limit, and the next script runs normally."""
    with ScriptSandbox(SandboxLimits(cpu_seconds=0.5, wall_seconds=60.0)) as sandbox:
        with pytest.raises(ScriptError) as caught:
            sandbox.run("while True:\n    pass", {})
        assert "stopped after 0.5 s of CPU time" in str(caught.value)
        assert sandbox.run("x = 1", {}).variables == {"x": 1}


def test_cpu_limit_stops_a_long_c_computation() -> None:
    """A single huge big-integer computation is stopped too."""
    with ScriptSandbox(SandboxLimits(cpu_seconds=0.5, wall_seconds=60.0)) as sandbox:
        with pytest.raises(ScriptError) as caught:
            sandbox.run("x = 10 ** (10 ** 8)", {})
        assert "of CPU time" in str(caught.value)


@pytest.mark.parametrize("source", ["x = ' ' * (10**10)", "x = [0] * 10**9"])
def test_memory_limit_stops_huge_allocations(sandbox: ScriptSandbox, source: str) -> None:
    """A script allocating far beyond the memory limit fails, and the next script runs."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run(source, {})
    assert "exceeded the 256 MiB memory limit at line 1" in str(caught.value)
    assert sandbox.run("y = 2", {}).variables == {"y": 2}


def test_wall_clock_limit_stops_a_script() -> None:
    """A script still running at the wall-clock limit is stopped by the host."""
    with ScriptSandbox(SandboxLimits(cpu_seconds=60.0, wall_seconds=0.5)) as sandbox:
        with pytest.raises(ScriptError) as caught:
            sandbox.run("while True:\n    pass", {})
        assert "exceeded the 0.5 s wall-clock limit" in str(caught.value)
        assert sandbox.run("x = 1", {}).variables == {"x": 1}


def test_dead_worker_is_replaced(sandbox: ScriptSandbox) -> None:
    """A worker that died between scripts is replaced transparently on the next run."""
    sandbox.run("x = 1", {})
    worker = sandbox._worker
    assert worker is not None
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    assert sandbox.run("y = 2", {}).variables == {"y": 2}
    assert sandbox._worker is not worker


def test_worker_is_reused_between_scripts(sandbox: ScriptSandbox) -> None:
    """Successive scripts run in the same worker process."""
    sandbox.run("x = 1", {})
    first = sandbox._worker
    sandbox.run("x = 2", {})
    assert first is sandbox._worker


def test_close_stops_the_worker() -> None:
    """Closing the sandbox stops its worker, and a later run starts a new one."""
    sandbox = ScriptSandbox()
    sandbox.run("x = 1", {})
    worker = sandbox._worker
    assert worker is not None
    sandbox.close()
    assert worker.process.returncode is not None
    assert sandbox.run("x = 2", {}).variables == {"x": 2}
    sandbox.close()


def test_execution_object(sandbox: ScriptSandbox) -> None:
    """`execution` reads, sets, tests and removes variables and exposes the context."""
    source = _script(
        "execution.setVariable('risk', execution.getVariable('score') * 2)",
        "has = execution.hasVariable('score')",
        "missing = execution.getVariable('nothing')",
        "execution.removeVariable('obsolete')",
        "names = sorted(execution.getVariables())",
        "ids = [execution.getProcessInstanceId(), execution.getProcessBusinessKey(),",
        "       execution.getCurrentActivityId(), execution.getActivityInstanceId()]",
    )
    context = {
        "processInstanceId": "pi-1",
        "processBusinessKey": "bk-1",
        "currentActivityId": "score_task",
        "activityInstanceId": "ai-1",
    }
    result = sandbox.run(source, {"score": 3, "obsolete": True}, context=context)
    assert result.variables == {
        "risk": 6,
        "has": True,
        "missing": None,
        "names": ["has", "missing", "risk", "score"],
        "ids": ["pi-1", "bk-1", "score_task", "ai-1"],
    }
    assert frozenset({"obsolete"}) == result.deleted


def test_execution_refuses_reserved_names(sandbox: ScriptSandbox) -> None:
    """`execution.setVariable` cannot replace the sandbox's builtins."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("execution.setVariable('__builtins__', {})", {})
    assert "invalid variable name" in str(caught.value)


def test_del_reports_deletion(sandbox: ScriptSandbox) -> None:
    """`del` of an input variable is reported as deleted, not as a change."""
    result = sandbox.run("del draft\nkept = 1", {"draft": "x", "other": 1})
    assert frozenset({"draft"}) == result.deleted
    assert result.variables == {"kept": 1}


def test_runtime_exception_reports_type_and_line(sandbox: ScriptSandbox) -> None:
    """An exception inside the script becomes a ScriptError with its type and line."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run(
            "a = 1\nb = 2\nc = a / 0",
            {},
            context={"processInstanceId": "pi-9", "currentActivityId": "calc"},
        )
    assert "at line 3: ZeroDivisionError: division by zero" in str(caught.value)
    assert caught.value.instance_id == "pi-9"
    assert caught.value.activity_id == "calc"


def test_name_error_lists_the_variables(sandbox: ScriptSandbox) -> None:
    """A NameError says which variables the script could see."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("x = scroe + 1", {"score": 1})
    assert "NameError: name 'scroe' is not defined (variables: score)" in str(caught.value)


def test_exception_inside_a_function_reports_the_failing_line(sandbox: ScriptSandbox) -> None:
    """The reported line is where the exception arose, inside a function if need be."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("def f(d):\n    return d['missing']\nx = f({})", {})
    assert "at line 2: KeyError" in str(caught.value)


def test_scripts_can_raise_and_catch_exceptions(sandbox: ScriptSandbox) -> None:
    """Common exception classes are available for `raise` and `except`."""
    source = "try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    x = None"
    assert sandbox.run(source, {}).variables == {"x": None}
    with pytest.raises(ScriptError) as caught:
        sandbox.run("raise ValueError('score out of range')", {})
    assert "at line 1: ValueError: score out of range" in str(caught.value)


def test_non_json_result_names_the_variable(sandbox: ScriptSandbox) -> None:
    """A result that is not JSON is refused with the variable's name."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("ok = 1\ntags = {'a', 'b'}", {})
    assert "variable 'tags'" in str(caught.value)
    with pytest.raises(ScriptError) as caught:
        sandbox.run("ratio = float('nan')", {})
    assert "variable 'ratio'" in str(caught.value)


def test_dates_and_decimals_are_converted(sandbox: ScriptSandbox) -> None:
    """Datetimes and dates become ISO strings, timedeltas ISO durations, Decimals floats."""
    source = _script(
        "when = datetime(2024, 1, 2, 3, 4)",
        "day = date(2024, 1, 2)",
        "wait = timedelta(days=1, hours=2, seconds=30)",
        "nothing = timedelta(0)",
        "price = Decimal('1.5')",
        "pair = (1, 2)",
    )
    assert sandbox.run(source, {}).variables == {
        "when": "2024-01-02T03:04:00",
        "day": "2024-01-02",
        "wait": "P1DT2H30S",
        "nothing": "PT0S",
        "price": 1.5,
        "pair": [1, 2],
    }


def test_print_is_captured_and_truncated() -> None:
    """Printed text comes back one entry per call, cut at the output budget."""
    with ScriptSandbox(SandboxLimits(max_output_bytes=10)) as sandbox:
        result = sandbox.run("print('a', 1)\nprint('b' * 50)\nprint('c')", {})
    assert result.printed[0] == "a 1"
    assert result.printed[1].startswith("bbbbbb")
    assert result.printed[1].endswith("[output truncated]")
    assert len(result.printed) == 2


def test_oversized_result_is_refused() -> None:
    """Changed variables larger than the output budget are refused."""
    with (
        ScriptSandbox(SandboxLimits(max_output_bytes=100)) as sandbox,
        pytest.raises(ScriptError) as caught,
    ):
        sandbox.run("big = 'x' * 1000", {})
    assert "over the limit of 100" in str(caught.value)


def test_non_json_input_names_the_variable(sandbox: ScriptSandbox) -> None:
    """An input variable that is not JSON is refused before the script runs."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("x = 1", {"blob": object()})
    assert "Variable 'blob'" in str(caught.value)


def test_worker_environment_excludes_host_secrets(
    sandbox: ScriptSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker gets only PATH and PYTHONPATH, never the host's other variables."""
    monkeypatch.setenv("MLC_TEST_SECRET", "hunter2")
    environment = ScriptSandbox.worker_environment()
    assert {"PATH", "PYTHONPATH"} == set(environment)
    sandbox.run("x = 1", {})
    assert sandbox._worker is not None
    environ = Path(f"/proc/{sandbox._worker.process.pid}/environ").read_bytes()
    assert b"MLC_TEST_SECRET" not in environ
    assert b"hunter2" not in environ


def test_runs_from_several_threads(sandbox: ScriptSandbox) -> None:
    """Concurrent runs from several threads each get their own correct result."""
    results: dict[int, ScriptResult] = {}

    def work(n: int) -> None:
        results[n] = sandbox.run("y = x * 10", {"x": n})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: {"y": n * 10} for n in range(8)} == {n: r.variables for n, r in results.items()}


@pytest.mark.parametrize(
    "limits",
    [
        {"cpu_seconds": 0},
        {"memory_bytes": -1},
        {"wall_seconds": 0},
        {"max_output_bytes": 0},
    ],
)
def test_limits_must_be_positive(limits: dict[str, float]) -> None:
    """Zero or negative limits are refused when the limits are built."""
    with pytest.raises(ConfigurationError):
        SandboxLimits(**limits)  # type: ignore[arg-type]


def test_last_expression_is_the_script_value(sandbox: ScriptSandbox) -> None:
    """The value of a final expression statement is returned, as for a Camunda resultVariable."""
    result = sandbox.run("risk = score * 2\nrisk > 5", {"score": 3})
    assert result.value is True
    assert result.variables == {"risk": 6}
    assert sandbox.run("x = 1", {}).value is None
    assert sandbox.run("datetime(2024, 1, 2)", {}).value == "2024-01-02T00:00:00"


def test_non_json_script_value_is_refused(sandbox: ScriptSandbox) -> None:
    """A final expression whose value is not JSON gives a ScriptError."""
    with pytest.raises(ScriptError) as caught:
        sandbox.run("{1, 2}", {})
    assert "last expression" in str(caught.value)
