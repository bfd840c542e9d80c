"""Groovy expressions: literals, operators, equality, truth, GStrings, ranges, casts."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import failure, value

ARITHMETIC = [
    ("1 + 2", 3),
    ("7 - 10", -3),
    ("6 * 7", 42),
    ("1 / 2", 0.5),
    ("10 / 4", 2.5),
    ("4 / 2", 2),
    ("1 / 3", 0.3333333333),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("7.intdiv(2)", 3),
    ("0.1 + 0.2 == 0.3", True),
    ("1.5 * 2", 3.0),
    ("1.0d / 4", 0.25),
    ("(1 + 2) * 3", 9),
    ("1 + 2 * 3", 7),
    ("-2 ** 2", -4),
    ("10 - 2 - 3", 5),
    ("2 * 3 % 4", 2),
    ("1_000 + 1", 1001),
    ("0x1F", 31),
    ("5L + 1", 6),
    ("3.7.round()", 4),
    ("3.14159.round(2)", 3.14),
    ("(-3).abs()", 3),
    ("10.toBigDecimal() / 4", 2.5),
    ("9.0 / 3", 3),
    ("1e3", 1000.0),
    ("2.5d * 2", 5.0),
]


@pytest.mark.parametrize(("source", "expected"), ARITHMETIC)
def test_arithmetic_follows_groovy(source: str, expected: Any) -> None:
    """Numbers promote as in Groovy: integer division gives a BigDecimal, `**` stays exact."""
    assert value(source) == expected


COMPARISONS = [
    ("1 == 1.0", True),
    ("1 == 1L", True),
    ("1 != 2", True),
    ("'a' == 'a'", True),
    ("\"a\" == 'a'", True),
    ("[1, 2] == [1, 2]", True),
    ("[1, 2] == [2, 1]", False),
    ("[a: 1] == [a: 1]", True),
    ("[a: 1] == [a: 2]", False),
    ("null == null", True),
    ("null == 0", False),
    ("true == 1", False),
    ("1 < 2", True),
    ("2 <= 2", True),
    ("3 > 2.5", True),
    ("'abc' < 'abd'", True),
    ("null < 1", True),
    ("1 <=> 2", -1),
    ("2 <=> 2", 0),
    ("'b' <=> 'a'", 1),
    ("2 in [1, 2, 3]", True),
    ("4 in [1, 2, 3]", False),
    ("4 !in [1, 2, 3]", True),
    ("'a' in [a: 1]", True),
    ("'ell' in 'hello'", True),
    ("3 in 1..5", True),
    ("5 in 1..<5", False),
    ("'x' instanceof String", True),
    ("1 instanceof Number", True),
    ("[1] instanceof List", True),
    ("[:] instanceof Map", True),
    ("'x' !instanceof Map", True),
    ("null instanceof String", False),
    ("1.5 instanceof BigDecimal", True),
]


@pytest.mark.parametrize(("source", "expected"), COMPARISONS)
def test_comparison_and_equality_follow_groovy(source: str, expected: Any) -> None:
    """`==` compares by value across types; `<=>`, `in` and `instanceof` work as in Groovy."""
    assert value(source) == expected


TRUTH = [
    ("null ? 1 : 2", 2),
    ("'' ? 1 : 2", 2),
    ("'x' ? 1 : 2", 1),
    ("0 ? 1 : 2", 2),
    ("0.0 ? 1 : 2", 2),
    ("[] ? 1 : 2", 2),
    ("[0] ? 1 : 2", 1),
    ("[:] ? 1 : 2", 2),
    ("!null", True),
    ("!'abc'", False),
    ("null ?: 'default'", "default"),
    ("'' ?: 'default'", "default"),
    ("'set' ?: 'default'", "set"),
    ("true && null", False),
    ("false || 'x'", True),
    ("1 > 0 ? 'pos' : 'neg'", "pos"),
    ("null?.name", None),
    ("null?.size()", None),
    ("[a: [b: 1]]?.a?.b", 1),
    ("[:]?.a?.b", None),
]


@pytest.mark.parametrize(("source", "expected"), TRUTH)
def test_groovy_truth_elvis_and_safe_navigation(source: str, expected: Any) -> None:
    """Null, empty strings, zero and empty collections are false; `?.` and `?:` short-cut."""
    assert value(source) == expected


STRINGS = [
    ('"a" + 1', "a1"),
    ("1 + 'a'", "1a"),
    ("'x' * 3", "xxx"),
    ("'hello' - 'l'", "helo"),
    ('"sum ${1 + 2}"', "sum 3"),
    ('def name = "ana"; "hi $name!"', "hi ana!"),
    ('def m = [a: [b: "deep"]]; "v=$m.a.b"', "v=deep"),
    ('"\\${not} interpolated"', "${not} interpolated"),
    ("'single $quoted'", "single $quoted"),
    ('"""multi\nline ${1}"""', "multi\nline 1"),
    ("'''raw\n$x'''", "raw\n$x"),
    ('"tab\\tnew\\nline"', "tab\tnew\nline"),
    ('"unicode \\u00e9"', "unicode é"),
    ('"list ${[1, 2]}"', "list [1, 2]"),
    ('"map ${[a: 1]}"', "map [a:1]"),
    ('"empty ${[:]}"', "empty [:]"),
    ('"null ${null}"', "null null"),
    ('"double ${1.0d}"', "double 1.0"),
    ('"decimal ${1.50}"', "decimal 1.50"),
    ('"big ${1e10d}"', "big 1.0E10"),
    ('"bool ${true}"', "bool true"),
    ('"nested ${"in${1}"}"', "nested in1"),
    ("/a\\d+b/", "a\\d+b"),
]


@pytest.mark.parametrize(("source", "expected"), STRINGS)
def test_strings_and_gstrings(source: str, expected: Any) -> None:
    """GStrings interpolate `$name`, `$a.b` and `${expr}`; values render as Groovy's toString."""
    assert value(source) == expected


COLLECTIONS = [
    ("[1, 2, 3]", [1, 2, 3]),
    ("[]", []),
    ("[a: 1, 'b c': 2]", {"a": 1, "b c": 2}),
    ("def k = 'x'; [(k): 1]", {"x": 1}),
    ("[1: 'one'][1]", "one"),
    ("1..3", [1, 2, 3]),
    ("1..<3", [1, 2]),
    ("3..1", [3, 2, 1]),
    ("(1..4).size()", 4),
    ("[1, 2, 3][-1]", 3),
    ("[1, 2, 3][5]", None),
    ("[1, 2, 3, 4][1..2]", [2, 3]),
    ("[10, 20, 30][[0, 2]]", [10, 30]),
    ("'hello'[1]", "e"),
    ("'hello'[-1]", "o"),
    ("'hello'[1..3]", "ell"),
    ("[a: 1].b", None),
    ("[a: 1]['a']", 1),
    ("[1, 2] + [3]", [1, 2, 3]),
    ("[1, 2, 2, 3] - [2]", [1, 3]),
    ("[a: 1] + [b: 2]", {"a": 1, "b": 2}),
    ("def l = [1]; l << 2; l", [1, 2]),
    ("[[a: 1], [a: 2]]*.a", [1, 2]),
    ("[[a: 1], [a: 2]].a", [1, 2]),
    ("[[n: 'x'], null]*.n", ["x", None]),
    ("['a', 'bb']*.size()", [1, 2]),
]


@pytest.mark.parametrize(("source", "expected"), COLLECTIONS)
def test_list_map_and_range_literals(source: str, expected: Any) -> None:
    """List, map and range literals, indexing (negative, ranges) and the spread operator."""
    assert value(source) == expected


CASTS = [
    ("'12' as Integer", 12),
    ("'12' as int", 12),
    ("12 as String", "12"),
    ("'1.5' as Double", 1.5),
    ("'1.5' as BigDecimal", 1.5),
    ("3.9 as int", 3),
    ("[1, 1, 2] as Set", [1, 2]),
    ("(1..3) as List", [1, 2, 3]),
    ("'' as Boolean", False),
    ("'x' as boolean", True),
    ("['1', '2'] as Integer[]", [1, 2]),
    ("(String) 5", "5"),
    ("(int) 2.7", 2),
    ("String s = 42; s", "42"),
    ("Integer i = 4; i + 1", 5),
    ("double d = 3; d", 3.0),
    ("int i; i", 0),
    ("boolean b; b", False),
    ("List<String> xs = ['a']; xs", ["a"]),
    ("Map<String, Object> m = [:]; m.size()", 0),
]


@pytest.mark.parametrize(("source", "expected"), CASTS)
def test_casts_and_typed_declarations(source: str, expected: Any) -> None:
    """`as` converts freely; typed declarations convert as Groovy's assignment does."""
    assert value(source) == expected


@pytest.mark.parametrize(
    ("source", "exception"),
    [
        ("1 / 0", "ArithmeticException"),
        ("5 % 0", "ArithmeticException"),
        ("null.length()", "NullPointerException"),
        ("def m = null; m.name", "NullPointerException"),
        ("'a' < 1", "IllegalArgumentException"),
        ("int x = 'text'", "ClassCastException"),
        ("'abc' as Integer", "NumberFormatException"),
        ("9223372036854775807 + 1", "ArithmeticException"),
        ("[1, 2].get(5)", "IndexOutOfBoundsException"),
        ("'abc'.substring(5)", "StringIndexOutOfBoundsException"),
        ("undefinedName + 1", "MissingPropertyException"),
        ("def n = 5; n.toUpperCase()", "MissingMethodException"),
    ],
)
def test_runtime_errors_are_java_exceptions(source: str, exception: str) -> None:
    """Errors Java would throw become the same exception classes, with the line."""
    err = failure(source)
    assert exception in err.reason
    assert err.line == 1


def test_large_power_is_refused_before_it_is_computed() -> None:
    """`2 ** 100000` is refused by size, not computed."""
    assert "too large" in failure("2 ** 100000").reason
