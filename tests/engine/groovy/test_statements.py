"""Groovy statements: declarations, assignment, branches, loops, exceptions, returns."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import changes, failure, value

STATEMENTS = [
    ("def x = 1\nx += 2\nx", 3),
    ("def x = 10; x -= 4; x *= 2; x /= 3; x", 4),
    ("def s = 'a'; s += 'b'; s", "ab"),
    ("def l = []; l += 1; l += [2, 3]; l", [1, 2, 3]),
    ("def i = 0; i++; ++i; i", 2),
    ("def i = 5; def j = i--; [i, j]", [4, 5]),
    ("def a = 1, b = 2; a + b", 3),
    ("def m = [:]; m.name = 'x'; m['k'] = 1; m", {"name": "x", "k": 1}),
    ("def l = [1, 2]; l[0] = 9; l", [9, 2]),
    ("def l = []; l[2] = 'c'; l", [None, None, "c"]),
    ("def m = [a: [b: 1]]; m.a.b = 2; m", {"a": {"b": 2}}),
    ("def m = [c: 1]; m.c++; m.c", 2),
    ("def x = 5\nif (x > 3) { 'big' } else { 'small' }", "big"),
    ("def x = 1\nif (x > 3) { 'big' } else if (x > 0) { 'small' } else { 'none' }", "small"),
    ("def r\nif (false) r = 1\nelse r = 2\nr", 2),
    ("def out = []\nfor (x in [1, 2, 3]) { out << x * 2 }\nout", [2, 4, 6]),
    ("def out = []\nfor (String x : ['a', 'b']) { out << x }\nout", ["a", "b"]),
    ("def out = []\nfor (e in [a: 1, b: 2]) { out << e.key + e.value }\nout", ["a1", "b2"]),
    ("def n = 0\nfor (c in 'abc') { n++ }\nn", 3),
    ("def n = 0\nfor (x in null) { n++ }\nn", 0),
    ("def s = 0\nfor (i in 1..4) { s += i }\ns", 10),
    ("def s = 0\nfor (int i = 0; i < 5; i++) { s += i }\ns", 10),
    ("def s = 0\nfor (def i = 0, j = 10; i < 3; i++, j--) { s += j }\ns", 27),
    ("def i = 0\nwhile (i < 5) { i++ }\ni", 5),
    ("def out = []\nfor (x in 1..10) { if (x > 3) break; out << x }\nout", [1, 2, 3]),
    ("def out = []\nfor (x in 1..5) { if (x % 2) continue\nout << x }\nout", [2, 4]),
    ("def i = 0\nwhile (true) { i++\nif (i == 3) { break } }\ni", 3),
    ("def x = 0\nfor (i in 1..3) { for (j in 1..3) { if (j == 2) break; x++ } }\nx", 3),
    ("return 5\n'never'", 5),
    ("if (true) { return 'early' }\n'late'", "early"),
    ("def x = 1; x", 1),
    ("def x = 'v'", "v"),
    ("for (i in 1..2) { i }", None),
    ("'a'; 'b'", "b"),
    ("def x = 1 +\n  2\nx", 3),
    ("def l = [1, 2, 3]\n  .findAll { it > 1 }\n  .collect { it * 10 }\nl", [20, 30]),
    ("// comment\ndef x = 1 /* block\ncomment */ + 1\nx", 2),
    ("#!/usr/bin/env groovy\n1", 1),
    ("assert 1 + 1 == 2\n'ok'", "ok"),
    ("{ -> 1 }()", 1),
]


@pytest.mark.parametrize(("source", "expected"), STATEMENTS)
def test_statements_run_as_in_groovy(source: str, expected: Any) -> None:
    """Assignments, `if`, loops, `break`/`continue` and the implicit return of the last value."""
    assert value(source) == expected


EXCEPTIONS = [
    ("try { 1 / 0 } catch (ArithmeticException e) { 'caught' }", "caught"),
    ("try { 1 / 0 } catch (Exception e) { e.message }", "Division by zero"),
    ("try { null.x } catch (NullPointerException | ArithmeticException e) { 'npe' }", "npe"),
    (
        "try { throw new IllegalStateException('bad') } catch (RuntimeException e) { e.getMessage() }",
        "bad",
    ),
    (
        "try { throw new Exception('x') } catch (IllegalStateException e) { 'no' } catch (e) { 'any' }",
        "any",
    ),
    ("def log = []\ntry { log << 'try' } finally { log << 'finally' }\nlog", ["try", "finally"]),
    (
        "def log = []\ntry { throw new Exception('x') } catch (Exception e) { log << 'catch' } finally { log << 'finally' }\nlog",
        ["catch", "finally"],
    ),
    ("def f = { try { return 'body' } finally { 'ignored' } }\nf()", "body"),
    (
        "try { java.util.UUID.fromString('nope') } catch (IllegalArgumentException e) { 'invalid' }",
        "invalid",
    ),
    (
        "try { Integer.parseInt('x') } catch (NumberFormatException e) { e.message }",
        'For input string: "x"',
    ),
    ("try { missing } catch (MissingPropertyException e) { 'missing' }", "missing"),
    (
        "try { throw new org.camunda.bpm.engine.delegate.BpmnError('C') } catch (Exception e) { e.errorCode }",
        "C",
    ),
    (
        "try { throw new RuntimeException('outer', new Exception('inner')) } catch (e) { e.cause.message }",
        "inner",
    ),
    ("try { assert 1 == 2 } catch (AssertionError e) { 'assert' }", "assert"),
    ("try { 1 } catch (Exception e) { 2 }", 1),
]


@pytest.mark.parametrize(("source", "expected"), EXCEPTIONS)
def test_try_catch_finally(source: str, expected: Any) -> None:
    """Exceptions are caught by class following Java's hierarchy; finally always runs."""
    assert value(source) == expected


def test_uncaught_throw_fails_with_the_line() -> None:
    """An uncaught exception ends the script with its class, message and line."""
    err = failure("def a = 1\n\nthrow new IllegalArgumentException('no model')")
    assert err.line == 3
    assert "java.lang.IllegalArgumentException: no model" in err.reason


def test_bpmn_error_is_reported_with_code_and_message() -> None:
    """`throw new BpmnError(code, message)` ends the script carrying the code."""
    err = failure(
        "throw new org.camunda.bpm.engine.delegate.BpmnError('MISSING', 'no drift model')"
    )
    assert err.bpmn_error == ("MISSING", "no drift model")


def test_bpmn_error_imported_by_simple_name() -> None:
    """After `import org.camunda.bpm.engine.delegate.BpmnError`, the simple name works."""
    source = "import org.camunda.bpm.engine.delegate.BpmnError\nthrow new BpmnError('X')"
    assert failure(source).bpmn_error == ("X", None)


def test_throwing_a_non_exception_is_an_error() -> None:
    """`throw 'text'` is refused with a hint to throw an exception."""
    assert "only exceptions can be thrown" in failure("throw 'text'").reason


def test_assert_failure_names_the_condition() -> None:
    """A failing `assert` reports the condition text."""
    err = failure("def x = 1\nassert x > 2")
    assert "assert x > 2" in err.reason
    assert err.line == 2


def test_undeclared_assignment_stays_in_the_script() -> None:
    """Assigning an undeclared name binds it for the script only (Camunda 7 does not store it)."""
    assert changes("TEMP = 5\nexecution.setVariable('OUT', TEMP + 1)") == {"OUT": 6}


def test_undeclared_assignment_shadows_a_variable() -> None:
    """A script binding hides a process variable of the same name for the rest of the script."""
    source = "MODEL = 'local'\nMODEL"
    assert value(source, MODEL="process") == "local"


def test_block_scoped_declarations_do_not_leak() -> None:
    """A `def` inside a block is not visible after it (Groovy scoping)."""
    assert "MissingPropertyException" in failure("if (true) { def inner = 1 }\ninner").reason
