"""Closures and the GDK methods on lists, maps, ranges and numbers."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import problems, value

ASSETS = [
    {"name": "train.csv", "assetRole": "TRAINING_DATA", "fileSize": 30},
    {"name": "test.csv", "assetRole": "TEST_DATA", "fileSize": 10},
    {"name": "cmp.dmn", "assetRole": "TEST_RESULT_COMPARATOR", "fileSize": 5},
]

LISTS = [
    ("[1, 2, 3].find { it > 1 }", 2),
    ("[1, 2, 3].find { it > 5 }", None),
    ("[0, null, 2].find()", 2),
    ("[1, 2, 3].findAll { it % 2 }", [1, 3]),
    ("[0, '', 'a'].findAll()", ["a"]),
    ("[1, 2].collect { it * 2 }", [2, 4]),
    ("[1, 2].collect { x -> x + 1 }", [2, 3]),
    ("[1, 2].collect()", [1, 2]),
    ("def s = 0; [1, 2, 3].each { s += it }; s", 6),
    ("def out = []; ['a', 'b'].eachWithIndex { v, i -> out << v + i }; out", ["a0", "b1"]),
    ("[1, 2, 3].any { it > 2 }", True),
    ("[1, 2, 3].every { it > 0 }", True),
    ("[].every { it > 0 }", True),
    ("[1, 2, 3].sum()", 6),
    ("[1.5, 2.5].sum()", 4.0),
    ("[].sum()", None),
    ("['a', 'b'].sum()", "ab"),
    ("[[a: 2], [a: 3]].sum { it.a }", 5),
    ("[1, 2].sum(10)", 13),
    ("[3, 1, 2].max()", 3),
    ("[3, 1, 2].min()", 1),
    ("['aa', 'b'].max { it.size() }", "aa"),
    ("[[n: 2], [n: 9]].min { a, b -> a.n <=> b.n }", {"n": 2}),
    ("[].max()", None),
    ("[3, 1, 2].sort()", [1, 2, 3]),
    ("def l = [3, 1]; l.sort(); l", [1, 3]),
    ("def l = [3, 1]; def s = l.sort(false); [l, s]", [[3, 1], [1, 3]]),
    ("['bb', 'a'].sort { it.size() }", ["a", "bb"]),
    ("[1, 3, 2].sort { a, b -> b <=> a }", [3, 2, 1]),
    ("[1, 2, 1, 3].unique()", [1, 2, 3]),
    ("def l = [1, 1]; l.unique(); l", [1]),
    ("['a', 'A', 'b'].unique { it.toLowerCase() }", ["a", "b"]),
    ("[1, 2, 3].reverse()", [3, 2, 1]),
    ("[1, [2, [3, 4]]].flatten()", [1, 2, 3, 4]),
    ("['a', 'bb', 'cc'].groupBy { it.size() }", {"1": ["a"], "2": ["bb", "cc"]}),
    ("['a', 'b'].collectEntries { [(it): it.toUpperCase()] }", {"a": "A", "b": "B"}),
    ("['a', 'b'].collectEntries { [it, 1] }", {"a": 1, "b": 1}),
    ("[1, 2, 3].findResult { it > 1 ? it * 10 : null }", 20),
    ("[1, 2, 3].findIndexOf { it == 2 }", 1),
    ("[1, 2, 2].count(2)", 2),
    ("[1, 2, 3].count { it > 1 }", 2),
    ("[1, 2, 3].join('-')", "1-2-3"),
    ("[1, 2].join()", "12"),
    ("[1, 2, 3].size()", 3),
    ("[].isEmpty()", True),
    ("def l = [1]; l.add(2); l", [1, 2]),
    ("def l = [1, 3]; l.add(1, 2); l", [1, 2, 3]),
    ("def l = [1]; l.addAll([2, 3]); l", [1, 2, 3]),
    ("def l = ['a', 'b']; l.remove('a'); l", ["b"]),
    ("def l = [5, 6]; l.remove(0)", 5),
    ("def l = [1, 2, 3]; l.removeAll { it > 1 }; l", [1]),
    ("[1, 2].contains(2)", True),
    ("[1, 2].get(1)", 2),
    ("[1, 2].first()", 1),
    ("[1, 2].last()", 2),
    ("[1, 2, 3].indexOf(3)", 2),
    ("[1, 2, 3].take(2)", [1, 2]),
    ("[1, 2, 3].drop(2)", [3]),
    ("[1, 2, 3].subList(1, 3)", [2, 3]),
    ("[1, 2, 3].intersect([2, 3, 4])", [2, 3]),
    ("[1, 2].plus(3)", [1, 2, 3]),
    ("[1, 2].tail()", [2]),
    ("[1, 1].toSet()", [1]),
    ("(1..3).collect { it * it }", [1, 4, 9]),
    ("(1..4).findAll { it % 2 == 0 }", [2, 4]),
    ("(1..3).sum()", 6),
    ("def n = 0; 3.times { n += it }; n", 3),
    ("def out = []; 1.upto(3) { out << it }; out", [1, 2, 3]),
    ("def out = []; 3.downto(1) { out << it }; out", [3, 2, 1]),
    ("[[1, 2], [3, 4]].collect { a, b -> a + b }", [3, 7]),
]


@pytest.mark.parametrize(("source", "expected"), LISTS)
def test_list_gdk_methods(source: str, expected: Any) -> None:
    """The GDK's list methods, with `it`, named parameters and in-place changes where Groovy has them."""
    assert value(source) == expected


MAPS = [
    ("[a: 1, b: 2].find { it.value > 1 }.key", "b"),
    ("[a: 1, b: 2].find { k, v -> v > 1 }.value", 2),
    ("[a: 1, b: 2].findAll { k, v -> v > 1 }", {"b": 2}),
    ("[a: 1, b: 2].collect { k, v -> k + v }", ["a1", "b2"]),
    ("[a: 1, b: 2].collect { it.key }", ["a", "b"]),
    ("def out = []; [a: 1].each { k, v -> out << k + v }; out", ["a1"]),
    ("def out = []; [a: 1].each { out << it.key }; out", ["a"]),
    ("[a: 1, b: 2].any { k, v -> v == 2 }", True),
    ("[a: 1, b: 2].every { it.value > 0 }", True),
    ("[a: 1].collectEntries { k, v -> [(k.toUpperCase()): v * 10] }", {"A": 10}),
    ("[a: 1, b: 2].count { k, v -> v > 1 }", 1),
    ("[a: 1].keySet()", ["a"]),
    ("[a: 1].values()", [1]),
    ("[a: 1].containsKey('a')", True),
    ("[a: 1].containsValue(1)", True),
    ("[a: 1].get('a')", 1),
    ("[a: 1].get('z')", None),
    ("def m = [:]; m.get('z', 5); m", {"z": 5}),
    ("[a: 1].getOrDefault('z', 9)", 9),
    ("def m = [:]; m.put('k', 'v'); m", {"k": "v"}),
    ("def m = [a: 1]; m.putAll([b: 2]); m", {"a": 1, "b": 2}),
    ("def m = [a: 1, b: 2]; m.remove('a'); m", {"b": 2}),
    ("[a: 1].size()", 1),
    ("[:].isEmpty()", True),
    ("[b: 2, a: 1].sort()", {"a": 1, "b": 2}),
    ("[a: 3, b: 1].max { it.value }.key", "a"),
    ("[a: 1, b: 2].groupBy { it.value % 2 }", {"1": {"a": 1}, "0": {"b": 2}}),
    ("[a: 1, b: 2].findResult { k, v -> v == 2 ? k : null }", "b"),
    ("[a: 1].entrySet()*.key", ["a"]),
    ("[a: 1, b: 2].subMap(['a'])", {"a": 1}),
    ("def m = [id: 'x']; m.getId()", "x"),
    ("def m = [:]; m.setFilename('f.csv'); m", {"filename": "f.csv"}),
    ("[active: 1].isActive()", True),
    ("def m = [f: { x -> x * 2 }]; m.f(4)", 8),
]


@pytest.mark.parametrize(("source", "expected"), MAPS)
def test_map_gdk_methods_and_bean_accessors(source: str, expected: Any) -> None:
    """Map closures get `(key, value)` or the entry; `getX()`/`setX()` read and write keys."""
    assert value(source) == expected


CLOSURES = [
    ("def twice = { it * 2 }; twice(4)", 8),
    ("def add = { a, b -> a + b }; add(1, 2)", 3),
    ("def add = { a, b -> a + b }; add.call(1, 2)", 3),
    ("def none = { -> 'x' }; none()", "x"),
    ("def c = { it }; c()", None),
    ("def base = 10; def add = { it + base }; add(1)", 11),
    ("def n = 0; def inc = { n++ }; inc(); inc(); n", 2),
    ("def f = { x -> if (x > 1) { return 'big' }; 'small' }; [f(1), f(2)]", ["small", "big"]),
    ("def f = { String s, int n -> s * n }; f('ab', 2)", "abab"),
    ("def outer = { x -> { y -> x + y } }; outer(1)(2)", 3),
    ("def fact; fact = { n -> n <= 1 ? 1 : n * fact(n - 1) }; fact(5)", 120),
    ("[1, 2, 3].collect { x -> [1, 2].collect { y -> x * y } }", [[1, 2], [2, 4], [3, 6]]),
]


@pytest.mark.parametrize(("source", "expected"), CLOSURES)
def test_closures(source: str, expected: Any) -> None:
    """Closures capture their scope, take `it` or named parameters, and return values."""
    assert value(source) == expected


def test_closure_over_model_assets_finds_by_role() -> None:
    """The MLC idiom: find an asset by role in a snapshot's assets."""
    source = "MODEL.storedModel.modelAssets.find { it.assetRole == 'TEST_DATA' }?.name"
    assert value(source, MODEL={"storedModel": {"modelAssets": ASSETS}}) == "test.csv"


def test_sum_of_asset_sizes_with_closure() -> None:
    """`sum { }` and `findAll { }` over the ModelOp JSON of assets."""
    source = "ASSETS.findAll { it.fileSize > 6 }.sum { it.fileSize }"
    assert value(source, ASSETS=ASSETS) == 40


def test_inject_is_refused_at_deploy() -> None:
    """A GDK method outside the subset is refused before the diagram deploys."""
    assert problems("[1, 2].inject(0) { a, b -> a + b }") == [
        "closure method `inject` is not supported"
    ]


def test_unknown_method_on_a_list_literal_is_refused_at_deploy() -> None:
    """Where the receiver type is known from the text, its method table is checked."""
    assert problems("[1, 2].toUpperCase()") == ["a list has no method toUpperCase()"]


def test_break_outside_a_loop_is_refused() -> None:
    """`break` inside a closure (not a loop) is refused, as Groovy's compiler does."""
    assert problems("[1].each { break }") == ["break outside a loop is not allowed"]
