"""The sandbox: escapes refused before a script runs, limits that stop one that runs away."""

from __future__ import annotations

import itertools

import pytest

from groovy_support import failure, problems, run, warnings
from modelop_mlc._engine.groovy import GroovyFailure, GroovyLimits
from modelop_mlc._engine.groovy._dispatch import call_method, get_property
from modelop_mlc._engine.groovy._errors import GroovySecurityError

ESCAPES = [
    ("'x'.getClass()", "'getClass' is not allowed"),
    ("[:].class", "'class' is not allowed"),
    ("Class.forName('java.lang.Runtime')", "class Class is not allowed"),
    ("Runtime.getRuntime().exec('id')", "class Runtime is not allowed"),
    ("java.lang.Runtime.getRuntime()", "class java.lang.Runtime is not on the allow-list"),
    ("System.getenv('HOME')", "class System is not allowed"),
    ("System.exit(1)", "class System is not allowed"),
    (
        "java.lang.System.getProperty('user.home')",
        "class java.lang.System is not on the allow-list",
    ),
    ("evaluate('1 + 1')", "evaluate() is not allowed"),
    ("new GroovyShell().evaluate('1')", "new GroovyShell(): the class is not on the allow-list"),
    ("groovy.util.Eval.me('1')", "class groovy.util.Eval is not on the allow-list"),
    ("Eval.me('1')", "class Eval is not allowed"),
    ("this.metaClass", "'this' (the script object) are not supported"),
    ("String.metaClass.foo = { 1 }", "'metaClass' is not allowed"),
    ("'ls'.execute()", "'execute' is not allowed"),
    ("['ls'].execute()", "'execute' is not allowed"),
    ("new File('/etc/passwd').text", "new File(): the class is not on the allow-list"),
    ("new java.io.File('/etc/passwd')", "new java.io.File(): the class is not on the allow-list"),
    ("new URL('http://x').text", "new URL(): the class is not on the allow-list"),
    ("'http://x'.toURL()", "'toURL' is not allowed"),
    ("@Grab('x:y:1')\nimport x.Y", "annotations such as @Grab are not supported"),
    ("import java.io.File", "import java.io.File is not allowed"),
    ("import static java.lang.Math.max", "static imports"),
    ("import groovy.lang.GroovyShell", "import groovy.lang.GroovyShell is not allowed"),
    ("Thread.start { 1 }", "class Thread is not allowed"),
    ("sleep(1000)", "sleep() is not allowed"),
    ("[1].invokeMethod('size', null)", "'invokeMethod' is not allowed"),
    ("'x'.with { it }", "'with' is not allowed"),
    ("def c = { 1 }; c.delegate = [:]", "'delegate' is not allowed"),
    ("{ -> owner }", "'owner' is not available"),
    ("binding.variables", "'binding' is not available"),
    ("'x'.properties", "'properties' is not allowed"),
    ("class Foo {}", "class definitions are not supported"),
    ("def helper(x) { x }", "method definitions"),
    ("String helper(String x) { x }", "method definitions"),
    ("switch (x) { case 1: break }", "switch statements"),
    ("def (a, b) = [1, 2]", "multiple assignment"),
    ("x.&size", "method pointers"),
    (
        "new ProcessBuilder('id').start()",
        "new ProcessBuilder(): the class is not on the allow-list",
    ),
    ("ClassLoader.systemClassLoader", "class ClassLoader is not allowed"),
    ("def x = 1 as Foo", "type Foo is not known here"),
    (
        "try { 1 } catch (java.io.IOException e) { 2 }",
        "catching java.io.IOException is not supported",
    ),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES)
def test_escapes_are_refused_before_the_script_runs(source: str, message: str) -> None:
    """Reflection, the JVM, files, processes, the network and metaprogramming are refused."""
    found = problems(source)
    assert any(message in p for p in found), found


@pytest.mark.parametrize("name", ["getClass", "metaClass", "execute", "invokeMethod", "getenv"])
def test_reflection_is_refused_at_run_time_too(name: str) -> None:
    """The dispatcher refuses reflective names on any receiver, whatever the checker saw."""
    with pytest.raises(GroovySecurityError):
        call_method(None, "x", name, [])  # type: ignore[arg-type]
    with pytest.raises(GroovySecurityError):
        get_property(None, {"a": 1}, name)  # type: ignore[arg-type]


def test_refused_script_does_not_run() -> None:
    """A script with deploy-time problems refuses to run at all."""
    with pytest.raises(GroovyFailure) as info:
        run("println 'side effect'\nSystem.exit(1)")
    assert "System" in info.value.reason


def test_endless_loop_is_stopped_by_the_step_limit() -> None:
    """`while (true) {}` stops when the step budget runs out; scripts cannot catch it."""
    source = "try { while (true) { def x = 1 } } catch (Throwable t) { 'caught' }"
    err = failure_with(source, GroovyLimits(max_steps=10_000))
    assert err.limit
    assert "10000 steps" in err.reason


def test_endless_recursion_is_stopped() -> None:
    """A closure that calls itself forever hits the nesting limit."""
    err = failure_with("def f; f = { f() }; f()", GroovyLimits())
    assert err.limit
    assert "nested" in err.reason


def test_wall_time_limit_uses_the_injected_timer() -> None:
    """The wall-clock limit reads the injected timer, so a slow run is stopped deterministically."""
    ticks = itertools.count(0.0, 0.5)
    with pytest.raises(GroovyFailure) as info:
        run("while (true) { }", limits=GroovyLimits(wall_seconds=10), timer=lambda: next(ticks))
    assert info.value.limit
    assert "longer than 10 s" in info.value.reason


SIZES = [
    ("'x' * 2_000_000", "string of 2000000 characters"),
    ("def s = 'x' * 900000; s + s", "string of 1800000 characters"),
    ("(1..200000).toList()", "collection of 200000 elements"),
    ("(1..200000).collect { it }", "collection of 200000 elements"),
    ("[0] * 200000", "collection of 200000 elements"),
    ("def l = []; for (i in 1..200000) { l << i }", "collection of 100001 elements"),
    ("def s = 'x' * 1000; def t = ''; for (i in 1..2000) { t += s }", "bytes of strings"),
    ("2 ** 100000", "too large"),
]


@pytest.mark.parametrize(("source", "message"), SIZES)
def test_sizes_are_checked_before_allocating(source: str, message: str) -> None:
    """Huge strings, lists and numbers are refused before they are built."""
    err = failure(source)
    assert message in err.reason


def test_memory_total_is_limited() -> None:
    """Building many large values adds up against the memory total."""
    limits = GroovyLimits(max_memory=1_000_000)
    err = failure_with("def out = []\nfor (i in 1..100) { out << ('y' * 50000) }", limits)
    assert err.limit
    assert "bytes of strings and collections" in err.reason


def test_output_is_truncated_to_the_budget() -> None:
    """`println` output beyond the budget is cut, not unbounded."""
    logs: list[tuple[str, str, str]] = []
    run("for (i in 1..100) { println('z' * 100) }", limits=GroovyLimits(max_output=250), logs=logs)
    assert sum(len(text) for _, _, text in logs) < 400
    assert logs[-1][2].endswith("[output truncated]")


def test_missing_new_before_bpmn_error_is_a_warning() -> None:
    """`org...BpmnError("X")` without `new` deploys with a warning; it fails when it runs."""
    source = (
        "try { x } catch (Exception e) {\norg.camunda.bpm.engine.delegate.BpmnError('FAILURE')\n}"
    )
    assert problems(source) == []
    [warning] = warnings(source)
    assert "without `new`" in warning
    assert "No such property: org" in failure(source).reason


def failure_with(source: str, limits: GroovyLimits) -> GroovyFailure:
    try:
        run(source, limits=limits)
    except GroovyFailure as err:
        return err
    raise AssertionError("the script completed")
