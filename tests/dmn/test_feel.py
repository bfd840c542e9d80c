"""FEEL expressions: literals, operators, null semantics, built-ins, parsing errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modelop_mlc.dmn import to_json_value
from modelop_mlc.dmn._feel import compile_expression, evaluate_text
from modelop_mlc.dmn._feel_lexer import FeelSyntaxError
from modelop_mlc.dmn._feel_values import EvalContext, Scope


def feel(text: str, **variables: Any) -> Any:
    value, _warnings = evaluate_text(text, variables, now=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    return to_json_value(value)


ARITHMETIC = [
    ("1 + 2", 3),
    ("10 - 4 - 3", 3),
    ("2 * 3 + 4", 10),
    ("2 + 3 * 4", 14),
    ("(2 + 3) * 4", 20),
    ("10 / 4", 2.5),
    ("1 / 0", None),
    ("2 ** 10", 1024),
    ("3 ** 4 ** 5", 3486784401),
    ("-3 ** 2", 9),
    ("10 ** -2", 0.01),
    ("-(1 + 2)", -3),
    ("--5", 5),
    ("0.1 + 0.2", 0.3),
    ("1.2345 + 2.234", 3.4685),
    ("decimal(1 / 3, 4)", 0.3333),
    ("1e3 + 1", 1001),
    ("1.23e-4 = 0.000123", True),
    ("10 ** 10 ** 8", 1e80),
    ("10 ** (10 ** 8)", None),
    ('"foo" + "bar"', "foobar"),
    ('"a" + 1', None),
    ("1 + null", None),
    ("null * 2", None),
    ("-null", None),
    ("true + 1", None),
    ("[1] + 1", None),
]

COMPARISON = [
    ("1 < 2", True),
    ("2 <= 2", True),
    ("3 > 4", False),
    ("4 >= 5", False),
    ("1 = 1.00", True),
    ("1 != 2", True),
    ('"a" < "b"', True),
    ('"abc" = "abc"', True),
    ("1 = null", False),
    ("null = null", True),
    ("null != null", False),
    ("1 < null", None),
    ('1 = "1"', None),
    ('1 < "2"', None),
    ("true = true", True),
    ("[1, 2] = [1, 2]", True),
    ("[1, 2] = [2, 1]", False),
    ("{a: 1} = {a: 1}", True),
    ("{a: 1, b: 2} = {b: 2, a: 1}", True),
    ("{a: 1} = {a: 2}", False),
    ('date("2024-01-01") < date("2024-06-01")', True),
    ('date("2024-01-01") = date("2024-01-01")', True),
    ('time("10:00:00") < time("11:00:00")', True),
    ('duration("P1D") = duration("PT24H")', True),
    ('duration("P1Y") = duration("P12M")', True),
    ('duration("P1Y") = duration("P365D")', None),
    ('date and time("2024-01-01T10:00:00+01:00") = date and time("2024-01-01T09:00:00Z")', True),
    ("5 between 1 and 10", True),
    ("10 between 1 and 10", True),
    ("11 between 1 and 10", False),
    ('"b" between "a" and "c"', True),
    ("null between 1 and 2", None),
]

LOGIC = [
    ("true and true", True),
    ("true and false", False),
    ("true and null", None),
    ("false and null", False),
    ("null and false", False),
    ("true or false", True),
    ("false or false", False),
    ("false or null", None),
    ("true or null", True),
    ("null or true", True),
    ("1 and true", None),
    ("not(true)", False),
    ("not(null)", None),
    ("not(1)", None),
    ('if 1 > 2 then "a" else "b"', "b"),
    ("if null then 1 else 2", 2),
    ("if true then 1 else 2", 1),
    ('if "x" then 1 else 2', 2),
]

LISTS_AND_CONTEXTS = [
    ("[1, 2, 3][1]", 1),
    ("[1, 2, 3][-1]", 3),
    ("[1, 2, 3][0]", None),
    ("[1, 2, 3][4]", None),
    ("[1, 2, 3][item > 1]", [2, 3]),
    ("[1, 2, 3][true]", [1, 2, 3]),
    ("[1, 2, 3][false]", []),
    ("[{a: 1}, {a: 2}][a > 1]", [{"a": 2}]),
    ("[{a: 1}, {a: 2}][item.a = 1].a", [1]),
    ("[{a: 1}, {a: 2}].a", [1, 2]),
    ("[{x: 1}, {y: 2}].y", [None, 2]),
    ("true[1]", True),
    ('"foo"[1]', "foo"),
    ("null[1]", None),
    ("{a: 1, b: a + 1}.b", 2),
    ('{"b c": 2}.b c', 2),
    ("{a: {b: 3}}.a.b", 3),
    ("{a: 1}.z", None),
    ("{}", {}),
    ("[]", []),
    ("[1, [2, 3]]", [1, [2, 3]]),
    ("for x in [1, 2, 3] return x * x", [1, 4, 9]),
    ("for i in 1..3 return i", [1, 2, 3]),
    ("for i in 3..1 return i", [3, 2, 1]),
    ("for x in [1, 2], y in [10, 20] return x + y", [11, 21, 12, 22]),
    ("for i in 1..4 return if i = 1 then 1 else i * partial[-1]", [1, 2, 6, 24]),
    ("for i in null return i", None),
    ("some x in [1, 2, 3] satisfies x > 2", True),
    ("some x in [1, 2, 3] satisfies x > 5", False),
    ("every x in [1, 2, 3] satisfies x > 0", True),
    ("every x in [1, 2, 3] satisfies x > 1", False),
    ("every x in [] satisfies x > 1", True),
    ("some x in [1, 2], y in [2, 3] satisfies x = y", True),
]

STRINGS = [
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", 3, 3)', "oba"),
    ('substring("foobar", -2, 1)', "a"),
    ('substring(string: "foobar", start position: 2, length: 2)', "oo"),
    ('string length("foo")', 3),
    ('string length("\\U01F40E")', 1),
    ('upper case("aBc")', "ABC"),
    ('lower case("aBc")', "abc"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    ('replace("0123456789", "(\\d{3})(\\d{3})(\\d{4})", "($1) $2-$3")', "(012) 345-6789"),
    ('replace("a.b", ".", "x", "q")', "axb"),
    ('contains("foobar", "oba")', True),
    ('starts with("foobar", "foo")', True),
    ('ends with("foobar", "foo")', False),
    ('matches("foobar", "^fo*b")', True),
    ('matches("FOO", "foo", "i")', True),
    ('matches("a\\rb", "a.b")', False),
    ('split("a;b;c", ";")', ["a", "b", "c"]),
    ('split("John Doe", "\\s")', ["John", "Doe"]),
    ('string join(["a", "b", "c"], ", ")', "a, b, c"),
    ('string join(["a", null, "c"])', "ac"),
    ("string(1.10)", "1.1"),
    ("string(100)", "100"),
    ("string(true)", "true"),
    ('string(date("2024-02-29"))', "2024-02-29"),
    ("string(null)", None),
    ('string([1, "a"])', '[1, "a"]'),
    ('upper case(["abc"])', "ABC"),
    ("upper case(1)", None),
]

NUMBERS = [
    ("decimal(1.5, 0)", 2),
    ("decimal(2.5, 0)", 2),
    ("floor(1.5)", 1),
    ("floor(-1.5)", -2),
    ("floor(1.56, 1)", 1.5),
    ("ceiling(1.2)", 2),
    ("ceiling(-1.2)", -1),
    ("round up(5.5, 0)", 6),
    ("round up(-5.5, 0)", -6),
    ("round down(5.5, 0)", 5),
    ("round half up(5.5, 0)", 6),
    ("round half down(5.5, 0)", 5),
    ("abs(-3)", 3),
    ('abs(duration("-P1D"))', "P1D"),
    ("modulo(10, 4)", 2),
    ("modulo(-10, 4)", 2),
    ("modulo(10, -4)", -2),
    ("modulo(10, 0)", None),
    ("sqrt(16)", 4),
    ("sqrt(-1)", None),
    ("decimal(log(10), 6)", 2.302585),
    ("decimal(exp(1), 6)", 2.718282),
    ("odd(3)", True),
    ("even(3)", False),
    ("even(2.5)", None),
    ('number("1,000.5", ",", ".")', 1000.5),
    ('number("12")', None),
    ('number("abc", null, null)', None),
]

LIST_FUNCTIONS = [
    ("list contains([1, 2, 3], 2)", True),
    ("list contains([1, null], null)", True),
    ("count([1, 2, 3])", 3),
    ("min([3, 1, 2])", 1),
    ("min(3, 1, 2)", 1),
    ("max([3, 1, 2])", 3),
    ('max(["a", "c", "b"])', "c"),
    ("min([])", None),
    ('max([1, "a"])', None),
    ("sum([1, 2, 3])", 6),
    ("sum(1, 2, 3)", 6),
    ("sum([])", None),
    ('sum([1, "a"])', None),
    ("mean([1, 2, 3, 4])", 2.5),
    ("median([8, 2, 5, 3, 4])", 4),
    ("median([6, 1, 2, 3])", 2.5),
    ("decimal(stddev([2, 4, 7, 5]), 6)", 2.081666),
    ("mode([6, 3, 9, 6, 6])", [6]),
    ("mode([3, 6, 1, 9, 6, 1, 3])", [1, 3, 6]),
    ("all([true, true])", True),
    ("all([true, false])", False),
    ("all([true, null])", None),
    ("all([])", True),
    ("any([false, true])", True),
    ("any([false, null])", None),
    ("any([])", False),
    ("sublist([1, 2, 3], 2)", [2, 3]),
    ("sublist([1, 2, 3], 1, 2)", [1, 2]),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1], [2, 3])", [1, 2, 3]),
    ("insert before([1, 3], 2, 2)", [1, 2, 3]),
    ("remove([1, 2, 3], 2)", [1, 3]),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("index of([1, 2, 1], 1)", [1, 3]),
    ("union([1, 2], [2, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 1, 3])", [1, 2, 3]),
    ("flatten([1, [2, [3]], 4])", [1, 2, 3, 4]),
    ("product([2, 3, 4])", 24),
    ("sort([3, 1, 2])", [1, 2, 3]),
    ("sort([3, 1, 2], function(x, y) x > y)", [3, 2, 1]),
    ("list replace([1, 2, 3], 2, 9)", [1, 9, 3]),
    ("list replace([1, 2, 3], function(item, newItem) item > 1, 0)", [1, 0, 0]),
]

TEMPORAL = [
    ('date("2024-02-29")', "2024-02-29"),
    ('date("2023-02-29")', None),
    ("date(2024, 1, 31)", "2024-01-31"),
    ('date(date and time("2024-01-02T10:00:00"))', "2024-01-02"),
    ('time("10:30:00")', "10:30:00"),
    ('time("10:30:00+02:00")', "10:30:00+02:00"),
    ('time("25:00:00")', None),
    ('string(time("10:30:00@Europe/Paris"))', "10:30:00@Europe/Paris"),
    ('date and time("2024-01-02T03:04:05Z")', "2024-01-02T03:04:05Z"),
    ('date and time("2024-01-02")', "2024-01-02T00:00:00"),
    ('date and time("2021-01-01T24:00:00")', "2021-01-02T00:00:00"),
    ('date and time(date("2024-01-02"), time("03:04:05"))', "2024-01-02T03:04:05"),
    ('duration("P1DT2H")', "P1DT2H"),
    ('duration("PT90M")', "PT1H30M"),
    ('duration("P26M")', "P2Y2M"),
    ('duration("-P1Y")', "-P1Y"),
    ('duration("P")', None),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', "P1Y8M"),
    ('@"2024-01-01"', "2024-01-01"),
    ('@"P1D"', "P1D"),
    ('@"10:00:00"', "10:00:00"),
    ('date("2024-01-31") + duration("P1M")', "2024-02-29"),
    ('date("2024-01-01") + duration("P1D")', "2024-01-02"),
    ('date("2024-01-01") - duration("PT1H")', "2023-12-31"),
    ('date("2024-03-01") - date("2024-02-01")', "P29D"),
    ('date and time("2024-01-01T10:00:00") + duration("PT90M")', "2024-01-01T11:30:00"),
    ('date and time("2024-01-01T10:00:00") - date and time("2024-01-01T08:30:00")', "PT1H30M"),
    ('date and time("2024-01-01T10:00:00Z") - date and time("2024-01-01T10:00:00")', None),
    ('time("23:00:00") + duration("PT2H")', "01:00:00"),
    ('time("10:00:00") - time("08:30:00")', "PT1H30M"),
    ('duration("P1D") * 2', "P2D"),
    ('duration("P1Y") / 2', "P6M"),
    ('duration("P10D") / duration("P5D")', 2),
    ('date("2018-12-10").year', 2018),
    ('date("2018-12-10").month', 12),
    ('date("2018-12-10").day', 10),
    ('date("2018-12-10").weekday', 1),
    ('date and time("2018-12-10T10:30:01").hour', 10),
    ('time("10:30:00+05:00").time offset', "PT5H"),
    ('date and time("2018-12-10T10:30:00@Etc/UTC").timezone', "Etc/UTC"),
    ('duration("P1Y2M").years', 1),
    ('duration("P1DT2H").hours', 2),
    ('day of year(date("2024-03-01"))', 61),
    ('day of week(date("2024-03-01"))', "Friday"),
    ('month of year(date("2024-03-01"))', "March"),
    ('week of year(date("2024-03-01"))', 9),
    ("now()", "2026-03-04T05:06:07Z"),
    ("today()", "2026-03-04"),
    ('is(date("2024-01-01"), date("2024-01-01"))', True),
    ('is(@"10:00:00+01:00", @"10:00:00@Europe/Paris")', False),
]

CONTEXT_FUNCTIONS = [
    ('get value({a: 1}, "a")', 1),
    ('get value({a: 1}, "b")', None),
    ("get entries({a: 1})", [{"key": "a", "value": 1}]),
    ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
    ('context put({a: {b: 1}}, ["a", "b"], 2)', {"a": {"b": 2}}),
    ("context merge([{a: 1}, {b: 2}, {a: 3}])", {"a": 3, "b": 2}),
    ('context([{key: "a", value: 1}])', {"a": 1}),
    ('context([{key: "a", value: 1}, {key: "a", value: 2}])', None),
]

RANGES_AND_IN = [
    ("5 in [1..10]", True),
    ("1 in (1..10]", False),
    ("10 in [1..10)", False),
    ("10 in [1..10[", False),
    ("1 in ]1..10]", False),
    ("5 in < 10", True),
    ("5 in (< 3, > 4)", True),
    ("5 in (1, 2, 3)", False),
    ('"b" in ["a", "b"]', True),
    ("5 in [[1..3], [4..6]]", True),
    ("5 in (null..10]", None),
    ("[1..10] = [1..10]", True),
    ("(< 10) = (< 10)", True),
    ("[1..10].start", 1),
    ("[1..10).end included", False),
    ('2 in range("[1..3]")', True),
    ("before(1, 10)", True),
    ("before([1..5], [6..10])", True),
    ("after(10, [1..5])", True),
    ("meets([1..5], [5..10])", True),
    ("overlaps([1..5], [3..8])", True),
    ("includes([1..10], 5)", True),
    ("during(5, [1..10])", True),
    ("starts(1, [1..10])", True),
    ("finishes(10, [1..10])", True),
    ("coincides([1..5], [1..5])", True),
]

FUNCTIONS_AND_TYPES = [
    ("(function(a, b) a + b)(1, 2)", 3),
    ("(function(a, b) a - b)(b: 1, a: 5)", 4),
    ("{f: function(x) x * 2, r: f(21)}.r", 42),
    ("{fact: function(n) if n <= 1 then 1 else n * fact(n - 1), r: fact(5)}.r", 120),
    ('(function(a: number) a)("x")', None),
    ("abs(n: -2)", 2),
    ("abs(number: -2)", None),
    ("floor(n: 1.5, scal: 1)", None),
    ("nosuchfunction(1)", None),
    ("1 instance of number", True),
    ('"a" instance of string', True),
    ("null instance of Any", False),
    ("[1, 2] instance of list<number>", True),
    ('[1, "a"] instance of list<number>', False),
    ('{a: "x"} instance of context<a: string>', True),
    ('date("2024-01-01") instance of date', True),
    ('duration("P1D") instance of days and time duration', True),
    ('duration("P1Y") instance of years and months duration', True),
    ("(function() 1) instance of function<>->Any", True),
    ("[1..2] instance of range<number>", True),
]


@pytest.mark.parametrize(("text", "expected"), ARITHMETIC)
def test_arithmetic(text: str, expected: Any) -> None:
    """Arithmetic follows FEEL precedence, decimal semantics and null-on-error."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), COMPARISON)
def test_comparison(text: str, expected: Any) -> None:
    """Comparisons give booleans, null for null operands or mismatched types."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), LOGIC)
def test_logic(text: str, expected: Any) -> None:
    """`and`/`or`/`not`/`if` use FEEL's three-valued logic."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), LISTS_AND_CONTEXTS)
def test_lists_and_contexts(text: str, expected: Any) -> None:
    """Lists, filters, paths, contexts and iteration evaluate as FEEL specifies."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), STRINGS)
def test_string_functions(text: str, expected: Any) -> None:
    """String built-ins, including XPath regular expressions."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_numeric_functions(text: str, expected: Any) -> None:
    """Numeric built-ins round and validate like FEEL."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), LIST_FUNCTIONS)
def test_list_functions(text: str, expected: Any) -> None:
    """List built-ins accept a list or varargs and give null on bad types."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), TEMPORAL)
def test_temporal(text: str, expected: Any) -> None:
    """Dates, times, durations: literals, arithmetic, properties and functions."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), CONTEXT_FUNCTIONS)
def test_context_functions(text: str, expected: Any) -> None:
    """Context built-ins read and build contexts."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), RANGES_AND_IN)
def test_ranges_and_in(text: str, expected: Any) -> None:
    """Ranges, `in` and the range relation functions."""
    assert feel(text) == expected


@pytest.mark.parametrize(("text", "expected"), FUNCTIONS_AND_TYPES)
def test_functions_and_types(text: str, expected: Any) -> None:
    """User functions, named arguments, recursion and `instance of`."""
    assert feel(text) == expected


def test_names_with_spaces_resolve_against_variables() -> None:
    """A multi-word variable name is read as one name when it is in scope."""
    assert feel("Applicant Age + 1", **{"Applicant Age": 41}) == 42
    assert feel("Monthly Salary * 12", **{"Monthly Salary": 1000}) == 12000


def test_longest_name_wins() -> None:
    """When `Age` and `Age Group` are both known, the longer name is used."""
    assert feel("Age Group", Age=1, **{"Age Group": "adult"}) == "adult"


def test_names_with_symbols_resolve() -> None:
    """Names containing `-`, `'` and `.` resolve when the variable exists."""
    assert feel("Date-Time + 1", **{"Date-Time": 1}) == 2
    assert feel("Person's name", **{"Person's name": "Bob"}) == "Bob"
    assert feel("a - b", a=5, b=3) == 2


def test_path_on_host_dicts() -> None:
    """Paths navigate host dictionaries (Camunda's `application.applicant.age`)."""
    assert feel("application.applicant.age >= 18", application={"applicant": {"age": 30}})


def test_unknown_variable_is_null_with_warning() -> None:
    """An unknown name evaluates to null and records a warning."""
    value, warnings = evaluate_text("missing + 1")
    assert value is None
    assert any("unknown name 'missing'" in w for w in warnings)


def test_type_error_is_recorded_as_warning() -> None:
    """A type error yields null plus a warning naming the operation."""
    value, warnings = evaluate_text('1 + "a"')
    assert value is None
    assert any("'+'" in w and "number" in w and "string" in w for w in warnings)


def test_host_values_are_converted() -> None:
    """Python ints, floats, dates and nested structures become FEEL values."""
    assert feel("x + y", x=1, y=0.5) == 1.5
    assert feel('d + duration("P1D")', d=date(2024, 1, 1)) == "2024-01-02"
    assert feel("t.hour", t=time(10, 30)) == 10
    assert feel("dt.year", dt=datetime(2024, 5, 1, tzinfo=UTC)) == 2024
    assert feel("gap * 2", gap=timedelta(hours=1)) == "PT2H"
    assert feel("m.l[2]", m={"l": (1, 2)}) == 2


def test_numbers_are_decimals() -> None:
    """Numbers are exact decimals: 0.1 + 0.2 is exactly 0.3."""
    value, _ = evaluate_text("0.1 + 0.2")
    assert value == Decimal("0.3")


def test_comments_are_ignored() -> None:
    """Line and block comments are skipped."""
    assert feel("1 + /* one */ 1 // two") == 2


def test_string_escapes() -> None:
    """String literals decode FEEL escapes, including surrogate pairs."""
    assert feel('"a\\"b"') == 'a"b'
    assert feel('"\\ud83d\\udc0e" = "\\U01F40E"') is True
    assert feel('string length("\\\\u0009")') == 6


def test_expression_compiles_once_and_evaluates_many_times() -> None:
    """A compiled expression is a closure that can be evaluated repeatedly."""
    fn = compile_expression("x * 2", {"x"})
    ctx = EvalContext()
    results = [fn(Scope({"x": Decimal(i)}, None, ctx)) for i in range(3)]
    assert results == [Decimal(0), Decimal(2), Decimal(4)]


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("1 +", 4),
        ("0.8.", 4),
        ('"unterminated', 1),
        ("(1 + 2", 7),
        ("[1, 2", 6),
        ("1 $ 2", 3),
        ("{a 1}", 5),
        ("if x then 1", 12),
    ],
)
def test_syntax_errors_report_the_column(text: str, column: int) -> None:
    """Unparsable text raises `FeelSyntaxError` pointing at the offending column."""
    with pytest.raises(FeelSyntaxError) as info:
        compile_expression(text)
    assert info.value.column == column


def test_power_cannot_hang() -> None:
    """A huge exponent overflows to null at once instead of computing forever."""
    value, warnings = evaluate_text("10 ** 999999999")
    assert value is None
    assert warnings
