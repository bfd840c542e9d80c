"""String methods, `String.format`, and regular expressions on the linear-time engine."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import failure, problems, value

METHODS = [
    ("'Regression'.equalsIgnoreCase('REGRESSION')", True),
    ("'abc'.toUpperCase()", "ABC"),
    ("'ABC'.toLowerCase()", "abc"),
    ("'  pad  '.trim()", "pad"),
    ("'a,b,,c'.split(',')", ["a", "b", "", "c"]),
    ("'a,b,,'.split(',')", ["a", "b"]),
    ("'a1b22c'.split('\\\\d+')", ["a", "b", "c"]),
    ("'a.b.c'.split('\\\\.')", ["a", "b", "c"]),
    ("'a b  c'.split()", ["a", "b", "c"]),
    ("'a,b,c'.split(',', 2)", ["a", "b,c"]),
    ("'a-b_c'.tokenize('-_')", ["a", "b", "c"]),
    ("'model.py'.endsWith('.py')", True),
    ("'s3://bucket'.startsWith('s3://')", True),
    ("'hello'.contains('ell')", True),
    ("'hello'.indexOf('l')", 2),
    ("'hello'.lastIndexOf('l')", 3),
    ("'hello'.indexOf('z')", -1),
    ("'hello'.substring(1)", "ello"),
    ("'hello'.substring(1, 3)", "el"),
    ("'hello'.length()", 5),
    ("'hello'.size()", 5),
    ("''.isEmpty()", True),
    ("'x'.toString()", "x"),
    ("'a-b-c'.replace('-', '+')", "a+b+c"),
    ("'a1b2'.replaceAll('\\\\d', '#')", "a#b#"),
    ("'2026-01-08'.replaceAll('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "08/01/2026"),
    ("'aaa'.replaceFirst('a', 'b')", "baa"),
    ("'abc123'.matches('[a-z]+\\\\d+')", True),
    ("'abc'.matches('b')", False),
    ("'abc'.charAt(1)", "b"),
    ("'ab'.concat('cd')", "abcd"),
    ("'abc'.reverse()", "cba"),
    ("'word'.capitalize()", "Word"),
    ("'7'.padLeft(3, '0')", "007"),
    ("'ab'.padRight(4, '.')", "ab.."),
    ("'12'.toInteger() + 1", 13),
    ("'1.25'.toDouble()", 1.25),
    ("'1.25'.toBigDecimal()", 1.25),
    ("'12'.isInteger()", True),
    ("'1.5'.isNumber()", True),
    ("'x'.isNumber()", False),
    ("'a\\nb'.readLines()", ["a", "b"]),
    ("'banana'.count('a')", 3),
    ("'abc'.take(2)", "ab"),
    ("'abc'.drop(1)", "bc"),
    ("'ab' * 2", "abab"),
    ("'x'.multiply(3)", "xxx"),
    ("'text'.getBytes().size()", 4),
    ("'é'.getBytes().size()", 2),
    ("'x'.bytes.length", 1),
    ("new String('hé'.getBytes())", "hé"),
    ("'abc'.compareTo('abd')", -1),
    ("'  '.isBlank()", True),
]


@pytest.mark.parametrize(("source", "expected"), METHODS)
def test_string_methods(source: str, expected: Any) -> None:
    """Java's and the GDK's `String` methods, with Java's `split` and `$1` replacements."""
    assert value(source) == expected


FORMAT = [
    ("String.format('%s has %d', 'x', 3)", "x has 3"),
    ("String.format('%.2f', 3.14159)", "3.14"),
    ("String.format('%5s|%-5s|', 'a', 'b')", "    a|b    |"),
    ("String.format('%05d', 42)", "00042"),
    ("String.format('%x', 255)", "ff"),
    ("String.format('%b %%', true)", "true %"),
    ("String.format('%2$s %1$s', 'a', 'b')", "b a"),
    ("'%s-%s'.format('a', 'b')", "a-b"),
    ("String.valueOf(12)", "12"),
    ("String.join(',', ['a', 'b'])", "a,b"),
]


@pytest.mark.parametrize(("source", "expected"), FORMAT)
def test_string_format(source: str, expected: Any) -> None:
    """`String.format` with Java's conversions, widths, flags and argument indexes."""
    assert value(source) == expected


REGEX = [
    ("'model-42' ==~ /model-\\d+/", True),
    ("'model-42x' ==~ /model-\\d+/", False),
    ("('model-42' =~ /\\d+/) ? 'found' : 'none'", "found"),
    ("('abc' =~ /\\d+/) ? 'found' : 'none'", "none"),
    ("('a1b22' =~ /\\d+/)[1]", "22"),
    ("('k=v' =~ /(\\w)=(\\w)/)[0]", ["k=v", "k", "v"]),
    ("('a1b2' =~ /\\d/).size()", 2),
    ("def m = 'id:42' =~ /id:(\\d+)/; m.find() ? m.group(1) : null", "42"),
    ("def p = ~/ab+/; p.matcher('abbb').matches()", True),
    ("'abbb' in ~/ab+/", True),
    ("java.util.regex.Pattern.matches('a+', 'aaa')", True),
    ("('x' * 50000 + 'y') ==~ /(x+x+)+y/", True),
    ("('x' * 50000) ==~ /(x+x+)+y/", False),
]


@pytest.mark.parametrize(("source", "expected"), REGEX)
def test_regular_expressions(source: str, expected: Any) -> None:
    """`=~`, `==~`, patterns and groups; a catastrophic pattern stays linear on RE2."""
    assert value(source) == expected


@pytest.mark.parametrize(
    "pattern",
    ["(a)\\\\1", "(?=a)b", "a(?!b)", "(?<=a)b", "a*+"],
)
def test_backtracking_patterns_are_refused_at_deploy(pattern: str) -> None:
    """Back-references, look-around and possessive quantifiers are refused with the reason."""
    [message] = problems(f"'aa'.matches('{pattern}')")
    assert "refused" in message


def test_backtracking_pattern_built_at_run_time_is_refused() -> None:
    """A pattern only known when the script runs is refused as a PatternSyntaxException."""
    err = failure("def p = '(a)' + '\\\\1'\n'aa'.matches(p)")
    assert "PatternSyntaxException" in err.reason
    assert err.line == 2


def test_unsupported_charset_is_refused() -> None:
    """`getBytes` knows UTF-8 (and ASCII) only."""
    assert "charset" in failure("'x'.getBytes('UTF-16')").reason
