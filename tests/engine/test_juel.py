"""Tests for the JUEL-subset expression language in `modelop_mlc._engine.juel`."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from modelop_mlc._engine.juel import (
    Expression,
    JuelObject,
    MappingContext,
    evaluate_condition,
    is_expression,
    parse_expression,
)
from modelop_mlc.errors import BpmnError, ExpressionError, VariableError


def run(text: str, **variables: Any) -> Any:
    """Parse and evaluate `text` against `variables`."""
    return parse_expression(text).evaluate(MappingContext(variables))


def fails(text: str, **variables: Any) -> str:
    """Evaluate `text`, expecting an `ExpressionError`, and return its message."""
    with pytest.raises(ExpressionError) as info:
        run(text, **variables)
    assert info.value.expression == text
    return str(info.value)


class FakeExecution:
    """A small `JuelObject` standing in for Camunda's `execution`, backed by a dict."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        if method == "getVariable":
            return self.variables.get(args[0])
        if method == "setVariable":
            self.variables[args[0]] = args[1]
            return None
        if method == "explode":
            raise KeyError(args[0])
        if method == "reject":
            raise VariableError(str(args[0]), "not JSON")
        if method == "fail":
            raise BpmnError("FAILURE", "asked to fail")
        if method == "inner":
            raise ExpressionError("inner failure", expression="${inner}")
        raise ExpressionError(f"execution.{method}() is not supported")

    def juel_property(self, name: str) -> Any:
        if name == "processInstanceId":
            return "pi-1"
        raise ExpressionError(f"execution has no property '{name}'")


# --- Literals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${42}", 42),
        ("${1.5}", 1.5),
        ("${1e3}", 1000.0),
        ("${2.5E-1}", 0.25),
        ("${.5}", 0.5),
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
        ("${'single'}", "single"),
        ('${"double"}', "double"),
        (r"${'it\'s'}", "it's"),
        (r'${"say \"hi\""}', 'say "hi"'),
        (r"${'back\\slash'}", "back\\slash"),
        ("${'has } brace'}", "has } brace"),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    """Number, string, boolean and null literals evaluate to their Python values."""
    result = run(text)
    assert expected == result
    assert type(expected) is type(result)


# --- Property access -----------------------------------------------------------------------------


def test_property_access_on_maps_and_lists() -> None:
    """Dot and bracket access navigate nested maps and lists."""
    value = {"b": [{"c": "deep"}]}
    assert run("${a.b[0]['c']}", a=value) == "deep"
    assert run('${a["b"][0].c}', a=value) == "deep"


def test_camunda_property_examples() -> None:
    """The property paths found in ModelOp's diagrams resolve as in Camunda."""
    model = {"storedModel": {"modelMetaData": {"type": "PYTHON3"}}}
    assert run("${DEPLOYABLE_MODEL.storedModel.modelMetaData.type}", DEPLOYABLE_MODEL=model) == (
        "PYTHON3"
    )
    assert run("${TEST_JOB.id}", TEST_JOB={"id": "job-7"}) == "job-7"


def test_missing_map_key_is_null() -> None:
    """A key absent from a map reads as null, as with Java's `Map.get`."""
    assert run("${m.missing}", m={}) is None
    assert run("${m['missing'].deeper}", m={}) is None


def test_property_of_null_is_null() -> None:
    """Navigating from null gives null instead of failing."""
    assert run("${x.a.b[0]}", x=None) is None
    assert run("${x[y]}", x={"a": 1}, y=None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${l[1]}", "b"),
        ("${l['0']}", "a"),
        ("${l[5]}", None),
        ("${l[-1]}", None),
        ("${l[1.9]}", "b"),
    ],
)
def test_list_indexing(text: str, expected: Any) -> None:
    """List indexes coerce to integers and out-of-range indexes (even negative) give null."""
    assert run(text, l=["a", "b"]) == expected


def test_invalid_list_index_raises() -> None:
    """A non-numeric list index is an error that suggests calling the method instead."""
    assert "call it as a method: '.size()'" in fails("${l.size}", l=[1])
    assert "as a List index" in fails("${l['x']}", l=[1])


def test_property_on_string_raises_with_method_hint() -> None:
    """Reading a property of a string fails and points at the method of that name."""
    message = fails("${s.length}", s="abc")
    assert "Cannot read property 'length'" in message
    assert "'.length()'" in message


def test_other_mappings_and_values() -> None:
    """Read-only mappings work like maps; other values have no properties."""
    assert run("${m.a}", m=MappingProxyType({"a": 1})) == 1
    message = fails("${n.foo}", n=5)
    assert "Cannot read property 'foo' of 5 (Number)" in message
    assert "properties can only be read from Maps, Lists" in message


def test_map_key_may_be_a_list_only_by_failing_cleanly() -> None:
    """An unhashable map key raises `ExpressionError`, never a Python `TypeError`."""
    assert "as a Map key" in fails("${m[l]}", m={"a": 1}, l=[1])


def test_keywords_are_allowed_as_property_names() -> None:
    """Words such as `empty` or `and` work as property names after a dot."""
    assert run("${m.empty}", m={"empty": 1}) == 1
    assert run("${m.and}", m={"and": 2}) == 2


def test_single_underscore_map_keys_are_data() -> None:
    """Map keys such as HAL's `_embedded` can be read, since map lookup touches no Python object."""
    response = {"_embedded": {"items": [1, 2]}}
    assert run("${r._embedded.items[1]}", r=response) == 2


# --- Equality ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${null == null}", True),
        ("${null == 0}", False),
        ("${x == null}", False),
        ("${1 == 1.0}", True),
        ("${'1' == 1}", True),
        ("${'1.5' == 1.5}", True),
        ("${true == 'true'}", True),
        ("${true == 'TRUE'}", True),
        ("${false == 'yes'}", True),
        ("${'a' == 'a'}", True),
        ("${'a' eq 'b'}", False),
        ("${1 != 2}", True),
        ("${1 ne 1}", False),
        ("${m == m2}", True),
        ("${l == '[1,2]'}", True),
    ],
)
def test_equality_coercion(text: str, expected: bool) -> None:
    """`==`/`!=` coerce like JUEL: numbers first, then booleans, then strings."""
    variables = {"x": 0, "m": {"a": 1}, "m2": {"a": 1}, "l": [1, 2]}
    assert run(text, **variables) is expected


def test_equality_with_uncoercible_string_raises() -> None:
    """Comparing a non-numeric string with a number fails, as in JUEL."""
    assert "Cannot coerce 'abc' (String) to a whole number" in fails("${'abc' == 1}")


def test_booleans_are_not_numbers() -> None:
    """Python's bool/int kinship does not leak: `true == 1` and `true + 1` are errors."""
    fails("${true == 1}")
    fails("${true + 1}")


# --- Relational operators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 < 2}", True),
        ("${2 lt 1}", False),
        ("${2 > 1}", True),
        ("${1 gt 2}", False),
        ("${2 <= 2}", True),
        ("${3 le 2}", False),
        ("${2 >= 2.0}", True),
        ("${1 ge 2}", False),
        ("${'10' > 9}", True),
        ("${'abc' < 'abd'}", True),
        ("${'b' > 'a'}", True),
        ("${1.5 < '2'}", True),
        ("${false < true}", True),
    ],
)
def test_relational_operators(text: str, expected: bool) -> None:
    """Relational operators compare numbers numerically and strings lexicographically."""
    assert run(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${x < 1}", False),
        ("${x > 1}", False),
        ("${x <= 1}", False),
        ("${1 >= x}", False),
        ("${x < 'a'}", False),
        ("${x < x}", False),
        ("${x <= x}", True),
        ("${x >= x}", True),
    ],
)
def test_relational_with_null(text: str, expected: bool) -> None:
    """Null compared with anything is false, except `null <= null` and `null >= null`."""
    assert run(text, x=None) is expected


def test_relational_on_incomparable_values_raises() -> None:
    """Ordering two maps is an error naming both operands."""
    assert "Cannot compare" in fails("${a < b}", a={"x": 1}, b={"x": 2})


def test_dates_compare() -> None:
    """Two datetimes (tolerated as values) compare chronologically."""
    early, late = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    assert run("${a < b}", a=early, b=late) is True


# --- Arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 + 2}", 3),
        ("${1 + 2.0}", 3.0),
        ("${'1' + '2'}", 3),
        ("${'1.5' + 1}", 2.5),
        ("${x + 1}", 1),
        ("${x + x}", 0),
        ("${5 - 7}", -2),
        ("${6 * 7}", 42),
        ("${7 / 2}", 3.5),
        ("${6 div 3}", 2.0),
        ("${7 % 3}", 1),
        ("${-7 % 3}", -1),
        ("${7 mod -3}", 1),
        ("${7.5 % 2}", 1.5),
        ("${-7.5 % 2}", -1.5),
        ("${-(3)}", -3),
        ("${-x}", 0),
        ("${-'2'}", -2),
        ("${-'2.5'}", -2.5),
        ("${99999999999999999999 * 10}", 999999999999999999990),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    """Arithmetic follows EL: null is 0, strings coerce, `/` always divides as a double."""
    result = run(text, x=None)
    assert expected == result
    assert type(expected) is type(result)


def test_division_by_zero_follows_java_doubles() -> None:
    """Dividing by zero gives infinity or NaN, as Java doubles do, instead of raising."""
    assert run("${1 / 0}") == math.inf
    assert run("${-1 div 0}") == -math.inf
    assert math.isnan(run("${0 / 0}"))
    assert math.isnan(run("${1.5 % 0}"))


def test_integer_modulo_by_zero_raises() -> None:
    """Integer remainder by zero is an `ExpressionError`, like Java's ArithmeticException."""
    assert "Division by zero" in fails("${5 % 0}")


def test_plus_does_not_concatenate_strings() -> None:
    """`'a' + 'b'` fails with a hint to use composite text or concat()."""
    message = fails("${'a' + 'b'}")
    assert "Cannot coerce 'a' (String)" in message
    assert "concat" in message


def test_decimal_values_are_tolerated() -> None:
    """Decimal operands keep decimal arithmetic; division by a decimal zero is an error."""
    assert run("${d + 1}", d=Decimal("1.10")) == Decimal("2.10")
    assert run("${d > 1}", d=Decimal("1.10")) is True
    assert run("${d == 1.1}", d=Decimal("1.10")) is True
    assert "Division by zero" in fails("${d / 0}", d=Decimal(1))


def test_huge_numbers_fail_cleanly() -> None:
    """An integer too large for a float fails with `ExpressionError`, not `OverflowError`."""
    fails("${big / 2}", big=10**400)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${'' + 1.5}", 1.5),
        ("${d + null}", Decimal("1.5")),
        ("${d + '2.5'}", Decimal("4.0")),
        ("${d + 1.5}", Decimal("3.0")),
    ],
)
def test_number_coercion_edge_cases(text: str, expected: Any) -> None:
    """Empty strings count as zero and strings and floats join decimal arithmetic."""
    assert run(text, d=Decimal("1.5")) == expected


@pytest.mark.parametrize(
    "text",
    [
        "${true / 2}",
        "${m / 2}",
        "${d + true}",
        "${d + 'x'}",
        "${d + m}",
        "${'abc'.substring(inf)}",
        "${'abc'.substring(huge)}",
        "${1 + '1.2.3'}",
    ],
)
def test_uncoercible_numbers_raise(text: str) -> None:
    """Booleans, maps, infinities and malformed strings never pass as numbers."""
    assert "Cannot coerce" in fails(text, d=Decimal(1), m={}, inf=math.inf, huge="9" * 5000)


def test_decimal_overflow_raises() -> None:
    """A decimal result beyond the decimal range is an `ExpressionError`."""
    assert "Arithmetic failed for '*': Overflow" in fails("${d * d}", d=Decimal("9e999999"))


def test_unary_minus_rejects_non_numbers() -> None:
    """Negating a boolean or a map is an error."""
    assert "Cannot negate" in fails("${-m}", m={})
    fails("${-true}")


# --- Logical operators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${true && true}", True),
        ("${true and false}", False),
        ("${false || true}", True),
        ("${false or false}", False),
        ("${!true}", False),
        ("${not false}", True),
        ("${'true' && 'TRUE'}", True),
        ("${'yes' || null}", False),
        ("${'' || false}", False),
        ("${!x}", True),
    ],
)
def test_logical_operators(text: str, expected: bool) -> None:
    """Logical operators coerce to boolean: null and "" are false, strings say "true"."""
    assert run(text, x=None) is expected


def test_logical_operators_short_circuit() -> None:
    """The right operand is not evaluated when the left decides, so unknown names are fine."""
    assert run("${false && missing}") is False
    assert run("${true || missing}") is True
    assert run("${x != null && x.size() > 0}", x=None) is False


def test_non_boolean_operand_raises() -> None:
    """A number used as a boolean is an error with a hint to compare explicitly."""
    message = fails("${1 && true}")
    assert "Cannot coerce 1 (Number) to a boolean" in message
    assert "compare it explicitly" in message


def test_long_or_chain_is_not_too_deep() -> None:
    """A condition with hundreds of `||` alternatives parses and evaluates."""
    text = "${" + " || ".join(f"x == {i}" for i in range(300)) + "}"
    assert run(text, x=299) is True
    assert run(text, x=300) is False


# --- empty, ternary, precedence ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ([], True), ({}, True), ("a", False), ([0], False), (0, False)],
)
def test_empty_operator(value: Any, expected: bool) -> None:
    """`empty` is true for null, "", and empty lists and maps."""
    assert run("${empty RUNTIMES}", RUNTIMES=value) is expected
    assert run("${not empty RUNTIMES}", RUNTIMES=value) is not expected


def test_ternary_operator() -> None:
    """`cond ? a : b` picks a branch and evaluates only that branch."""
    assert run("${x ? 'a' : 'b'}", x=True) == "a"
    assert run("${x ? 'a' : missing}", x=True) == "a"
    assert run("${x ? 'a' : 'b'}", x=None) == "b"
    assert run("${x > 1 ? 'big' : x > 0 ? 'small' : 'none'}", x=1) == "small"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${10 - 4 - 3}", 3),
        ("${12 / 2 / 3}", 2.0),
        ("${-2 * 3}", -6),
        ("${1 + 1 == 2}", True),
        ("${1 < 2 == true}", True),
        ("${!false == true}", True),
        ("${true || false && false}", True),
        ("${(true || false) && false}", False),
        ("${empty x == true}", True),
        ("${2 > 1 ? 'y' : 'n'}", "y"),
    ],
)
def test_precedence(text: str, expected: Any) -> None:
    """Operators bind in EL's order: unary, arithmetic, relational, equality, logic."""
    assert run(text, x=None) == expected


# --- The examples from Camunda diagrams ----------------------------------------------------------


def test_job_status_condition() -> None:
    """The gateway condition from the ModelOp diagrams works with and without a TAG."""
    text = '${JOB.jobStatus.toString() == "COMPLETE" && TAG != null}'
    assert run(text, JOB={"jobStatus": "COMPLETE"}, TAG="x") is True
    assert run(text, JOB={"jobStatus": "COMPLETE"}, TAG=None) is False
    assert run(text, JOB={"jobStatus": "FAILED"}, TAG="x") is False


def test_review_result_and_negation_examples() -> None:
    """Simple equality and negation conditions behave as in Camunda."""
    assert run("${reviewResult == 'APPROVED'}", reviewResult="APPROVED") is True
    assert run("${reviewResult == 'APPROVED'}", reviewResult="REJECTED") is False
    assert run("${!approved}", approved=False) is True


def test_execution_object_methods_and_properties() -> None:
    """`execution` is a `JuelObject`: methods and properties go to the host."""
    execution = FakeExecution({"x": 5})
    context = MappingContext({}, {"execution": execution})
    assert isinstance(execution, JuelObject)
    assert parse_expression('${execution.getVariable("x") > 3}').evaluate(context) is True
    assert parse_expression("${execution.setVariable('done', true)}").evaluate(context) is None
    assert execution.variables["done"] is True
    assert parse_expression("${execution.processInstanceId}").evaluate(context) == "pi-1"


def test_host_expression_error_gets_the_expression_text() -> None:
    """An `ExpressionError` from the host is re-raised with the expression attached."""
    context = MappingContext({}, {"execution": FakeExecution({})})
    with pytest.raises(ExpressionError) as info:
        parse_expression("${execution.nope()}").evaluate(context)
    assert info.value.expression == "${execution.nope()}"
    assert "execution.nope() is not supported in '${execution.nope()}'" in str(info.value)


def test_host_error_that_names_its_expression_is_kept() -> None:
    """A host `ExpressionError` that already names an expression propagates unchanged."""
    context = MappingContext({}, {"execution": FakeExecution({})})
    with pytest.raises(ExpressionError) as info:
        parse_expression("${execution.inner()}").evaluate(context)
    assert info.value.expression == "${inner}"
    assert str(info.value) == "inner failure"


def test_host_python_errors_are_wrapped() -> None:
    """A Python exception inside the host becomes an `ExpressionError` chained to it."""
    context = MappingContext({}, {"execution": FakeExecution({})})
    with pytest.raises(ExpressionError) as info:
        parse_expression("${execution.explode('k')}").evaluate(context)
    assert isinstance(info.value.__cause__, KeyError)
    assert "KeyError" in str(info.value)


def test_host_library_errors_pass_through() -> None:
    """Our own errors and `BpmnError` from the host propagate unchanged."""
    context = MappingContext({}, {"execution": FakeExecution({})})
    with pytest.raises(VariableError):
        parse_expression("${execution.reject('v')}").evaluate(context)
    with pytest.raises(BpmnError):
        parse_expression("${execution.fail()}").evaluate(context)


def test_private_host_properties_are_rejected() -> None:
    """A computed `_`-prefixed property of a host object never reaches the host."""
    context = MappingContext({"k": "_task"}, {"execution": FakeExecution({})})
    with pytest.raises(ExpressionError, match="not allowed"):
        parse_expression("${execution[k]}").evaluate(context)


# --- Composite text ------------------------------------------------------------------------------


def test_composite_text() -> None:
    """Text around `${}` concatenates, rendering values as EL strings (null as "")."""
    assert run("Hello ${name}!", name="Ada") == "Hello Ada!"
    assert run("[${a}|${b}|${c}|${d}]", a=None, b=True, c=1.0, d=[1, None]) == (
        "[|true|1.0|[1,null]]"
    )


def test_single_expression_returns_raw_value() -> None:
    """A text that is exactly one `${...}` keeps the value's type."""
    assert run("${l}", l=[1, 2]) == [1, 2]
    assert run(" ${n}", n=1) == " 1"


def test_hash_brace_behaves_like_dollar_brace() -> None:
    """`#{...}` is evaluated exactly like `${...}`."""
    assert run("#{a + 1}", a=1) == 2
    assert run("#{a}-${a}", a=1) == "1-1"


def test_escaped_dollar_brace_is_literal() -> None:
    r"""`\${` stands for a literal `${`, and the text stays literal."""
    expression = parse_expression(r"cost \${price} and ${price}")
    assert expression.evaluate(MappingContext({"price": 3})) == "cost ${price} and 3"
    assert parse_expression(r"\${x}").is_literal


def test_literal_text() -> None:
    """Text without `${` is literal and evaluates to itself without reading variables."""
    expression = parse_expression("just text $5 {x}")
    assert expression.is_literal
    assert expression.identifiers == frozenset()
    assert expression.evaluate(MappingContext({})) == "just text $5 {x}"
    assert not parse_expression("${x}").is_literal


def test_is_expression() -> None:
    """`is_expression` spots `${` and `#{` anywhere in the text."""
    assert is_expression("a ${b}")
    assert is_expression("#{b}")
    assert not is_expression("plain $ {text}")


def test_identifiers() -> None:
    """`identifiers` lists the top-level names read, including `execution`, but not properties."""
    expression = parse_expression(
        '${JOB.jobStatus.toString() == "COMPLETE" && TAG != null} ${execution.getVariable(k)}'
    )
    assert expression.identifiers == frozenset({"JOB", "TAG", "execution", "k"})


def test_parse_results_are_cached() -> None:
    """Parsing the same text twice returns the very same `Expression` object."""
    first = parse_expression("${cached_a + cached_b}")
    assert first is parse_expression("${cached_a + cached_b}")
    assert isinstance(first, Expression)
    assert repr(first) == "Expression('${cached_a + cached_b}')"


# --- Errors --------------------------------------------------------------------------------------


def test_unknown_identifier_lists_names_and_suggests() -> None:
    """An unknown name fails with Camunda's wording, a did-you-mean hint and the variables set."""
    message = fails("${TAGS != null}", TAG="x", JOB={})
    assert "Cannot resolve identifier 'TAGS' in '${TAGS != null}'" in message
    assert "did you mean 'TAG'?" in message
    assert "available variables: JOB, TAG" in message


def test_unknown_identifier_suggests_other_case() -> None:
    """A name that differs only in case is suggested."""
    assert "did you mean 'JOB'?" in fails("${job}", JOB={})


def test_unknown_identifier_truncates_long_listing() -> None:
    """Only the first few variable names are listed."""
    message = fails("${zzz}", **{f"v{i:02}": i for i in range(25)})
    assert "v09" in message
    assert "v10" not in message
    assert "and 15 more" in message


def test_unknown_identifier_with_a_minimal_context() -> None:
    """A context that cannot list its names still gives a clear message."""

    class Minimal:
        def has_variable(self, name: str) -> bool:
            return False

        def get_variable(self, name: str) -> Any:
            raise AssertionError(name)

    with pytest.raises(ExpressionError, match="Cannot resolve identifier 'x'"):
        parse_expression("${x}").evaluate(Minimal())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${a & b}", "Unexpected token '&' at column 5 in '${a & b}': did you mean '&&'?"),
        ("${a | b}", "did you mean '||'?"),
        ("${a = b}", "did you mean '=='?"),
        ("${a b}", "Unexpected token 'b' at column 5"),
        ("${'abc}", "Unterminated string literal at column 3"),
        ("${a + b", "Missing '}' to close '${' at column 1"),
        ("x #{a", "Missing '}' to close '#{' at column 3"),
        ("${}", "Empty expression at column 3"),
        ("${ (a }", "expected ')' to close '('"),
        ("${a[0}", "expected ']' to close '['"),
        ("${1 +}", "The expression ended too early at column 6"),
        ("${a.}", "expected a property or method name"),
        ("${a.(b)}", "expected a property or method name"),
        ("${a.1}", "Unexpected token '.1'"),
        ("${foo(1)}", "Unknown function 'foo()' at column 3"),
        ("${a ? b}", "expected ':'"),
        ("${x instanceof y}", "Unexpected token 'instanceof'"),
        ("${instanceof}", "'instanceof' is a reserved word"),
        ("${and}", "'and' is a keyword"),
        ("${div + 1}", "'div' is a keyword"),
        ("${a.b(1,}", "The expression ended too early"),
        ("${a(1)}", "supported functions: currentUser(), currentUserGroups()"),
        ("${a[0](1)}", "only methods can be called"),
        ("${a ${b}}", "expressions cannot be nested"),
        ("${a @ b}", "Unexpected token '@'"),
        ("line one\n${a &}", "at line 2, column 5"),
    ],
)
def test_syntax_errors(text: str, fragment: str) -> None:
    """Syntax errors raise `ExpressionError` with the position and a helpful hint."""
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert fragment in str(info.value)
    assert info.value.expression == text


def test_keywords_cannot_be_identifiers() -> None:
    """Reserved words such as `null` and `empty` are never variable names."""
    assert run("${null}", null="shadow") is None
    with pytest.raises(ExpressionError):
        parse_expression("${empty}")


def test_deep_nesting_is_rejected_not_crashing() -> None:
    """Pathologically nested text fails with `ExpressionError` instead of `RecursionError`."""
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("${" + "(" * 500 + "1" + ")" * 500 + "}")
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("${" + " + ".join(["1"] * 300) + "}")
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("${" + "!" * 300 + "true}")


def test_number_literal_too_long() -> None:
    """An integer literal Python refuses to convert is a syntax error."""
    with pytest.raises(ExpressionError, match="Number literal is too long"):
        parse_expression("${" + "9" * 5000 + "}")


# --- Sandboxing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "${x.__class__}",
        "${''.__class__.__mro__}",
        "${x.__class__.__subclasses__()}",
        "${x._private()}",
        "${__builtins__}",
        "${x['__class__']}",
        "${x[k]}",
        "${x.format()}",
        "${x.upper()}",
        "${x.join(x)}",
        "${m.items()}",
        "${m.__getitem__('a')}",
    ],
)
def test_python_internals_are_unreachable(text: str) -> None:
    """Dunder names, private methods and Python methods outside the allow-list always fail."""
    context = MappingContext({"x": "abc", "k": "__class__", "m": {"a": 1}})
    with pytest.raises(ExpressionError):
        parse_expression(text).evaluate(context)


def test_unknown_method_lists_allowed_methods() -> None:
    """An unknown method names the type, suggests a close match and lists what is allowed."""
    message = fails("${x.toUppercase()}", x="abc")
    assert "Method 'toUppercase()' is not available on String values" in message
    assert "did you mean 'toUpperCase()'?" in message
    assert "allowed: charAt, concat, contains" in message


def test_method_on_null_raises() -> None:
    """Calling a method on null is an error with a hint to guard the value."""
    message = fails("${JOB.jobStatus.toString()}", JOB={})
    assert "Cannot call method 'toString()' on null" in message
    assert "x != null" in message


def test_wrong_argument_count_raises() -> None:
    """Methods check how many arguments they get."""
    assert "String.substring() takes 1 or 2 argument(s), got 0" in fails("${x.substring()}", x="a")
    assert "List.size() takes 0 argument(s), got 1" in fails("${l.size(1)}", l=[])


def test_python_failures_never_escape() -> None:
    """Unexpected Python errors inside evaluation surface as `ExpressionError`."""
    loop: list[Any] = []
    loop.append(loop)
    assert "ValueError" in fails("${l.toString()}", l=loop)
    naive, aware = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # noqa: DTZ001
    assert "TypeError" in fails("${a < b}", a=naive, b=aware)


def test_replace_cannot_explode() -> None:
    """`replace` refuses to build a gigantic string from a small expression."""
    assert "longer than" in fails("${s.replace('', s.replace('', s))}", s="x" * 2000)


# --- Methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${s.equals('Hello World')}", True),
        ("${s.equals(1)}", False),
        ("${s.equals(null)}", False),
        ("${s.equalsIgnoreCase('hello world')}", True),
        ("${s.equalsIgnoreCase(null)}", False),
        ("${s.contains('World')}", True),
        ("${s.startsWith('Hello')}", True),
        ("${s.startsWith('World', 6)}", True),
        ("${s.startsWith('H', -1)}", False),
        ("${s.endsWith('World')}", True),
        ("${s.toUpperCase()}", "HELLO WORLD"),
        ("${s.toLowerCase()}", "hello world"),
        ("${s.length()}", 11),
        ("${'  pad \t'.trim()}", "pad"),
        ("${s.isEmpty()}", False),
        ("${''.isEmpty()}", True),
        ("${s.substring(6)}", "World"),
        ("${s.substring(0, 5)}", "Hello"),
        ("${s.indexOf('o')}", 4),
        ("${s.indexOf('o', 5)}", 7),
        ("${s.indexOf('z')}", -1),
        ("${s.lastIndexOf('o')}", 7),
        ("${s.lastIndexOf('o', 6)}", 4),
        ("${s.lastIndexOf('o', -1)}", -1),
        ("${s.replace('l', 'L')}", "HeLLo WorLd"),
        ("${s.matches('H.*d')}", True),
        ("${s.matches('World')}", False),
        ("${s.charAt(1)}", "e"),
        ("${s.concat('!')}", "Hello World!"),
        ("${s.toString()}", "Hello World"),
    ],
)
def test_string_methods(text: str, expected: Any) -> None:
    """The allowed String methods behave like Java's."""
    assert run(text, s="Hello World") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${'a,b,,c,,'.split(',')}", ["a", "b", "", "c"]),
        ("${'a1b22c'.split('[0-9]+')}", ["a", "b", "c"]),
        ("${'a.b'.split('.')}", []),
        ("${'abc'.split('')}", ["a", "b", "c"]),
        ("${''.split(',')}", [""]),
        ("${'a,b,c'.split(',', 2)}", ["a", "b,c"]),
        ("${'a,b,,'.split(',', -1)}", ["a", "b", "", ""]),
        ("${'a-b'.split('(-)')}", ["a", "b"]),
    ],
)
def test_split_follows_java(text: str, expected: list[str]) -> None:
    """`split` takes a regex and drops trailing empty pieces, as Java's does."""
    assert run(text) == expected


def test_string_method_errors() -> None:
    """Out-of-range indexes and bad regexes raise `ExpressionError`."""
    assert "out of range" in fails("${'abc'.substring(2, 1)}")
    assert "out of range" in fails("${'abc'.charAt(3)}")
    assert "Invalid regular expression" in fails("${'abc'.matches('(')}")
    assert "Invalid regular expression" in fails("${'abc'.split('[')}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${l.size()}", 3),
        ("${l.isEmpty()}", False),
        ("${l.contains('b')}", True),
        ("${l.contains(2)}", False),
        ("${l.get(0)}", "a"),
        ("${l.indexOf('c')}", 2),
        ("${l.indexOf('z')}", -1),
        ("${l.toString()}", '["a","b","c"]'),
        ("${l.equals(l)}", True),
    ],
)
def test_list_methods(text: str, expected: Any) -> None:
    """The allowed List methods behave like Java's."""
    assert run(text, l=["a", "b", "c"]) == expected


def test_list_get_out_of_range_raises() -> None:
    """`get` with a bad index fails like Java's IndexOutOfBoundsException."""
    assert "Index 3 out of bounds for length 1" in fails("${l.get(3)}", l=[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${m.get('a')}", 1),
        ("${m.get('z')}", None),
        ("${m.containsKey('a')}", True),
        ("${m.containsKey(l)}", False),
        ("${m.containsValue(2)}", True),
        ("${m.containsValue('2')}", False),
        ("${m.size()}", 2),
        ("${m.isEmpty()}", False),
        ("${m.keySet()}", ["a", "b"]),
        ("${m.values()}", [1, 2]),
        ("${m.toString()}", '{"a":1,"b":2}'),
    ],
)
def test_map_methods(text: str, expected: Any) -> None:
    """The allowed Map methods behave like Java's."""
    assert run(text, m={"a": 1, "b": 2}, l=[]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${n.intValue()}", 2),
        ("${n.longValue()}", 2),
        ("${n.doubleValue()}", 2.75),
        ("${i.doubleValue()}", 3.0),
        ("${i.toString()}", "3"),
        ("${n.toString()}", "2.75"),
        ("${i.equals(3)}", True),
        ("${i.equals(3.0)}", False),
        ("${b.booleanValue()}", True),
        ("${b.toString()}", "true"),
    ],
)
def test_number_and_boolean_methods(text: str, expected: Any) -> None:
    """The allowed Number and Boolean methods behave like Java's."""
    result = run(text, n=2.75, i=3, b=True)
    assert expected == result
    assert type(expected) is type(result)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (1e-5, "1.0E-5"),
        (-2.5e20, "-2.5E20"),
        (math.inf, "Infinity"),
        (math.nan, "NaN"),
        (Decimal("1.50"), "1.50"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        ({"a": [True, None, 1.5]}, '{"a":[true,null,1.5]}'),
        (
            {"d": Decimal("1.5"), "t": dt.date(2024, 1, 2), "p": MappingProxyType({"a": 1})},
            '{"d":1.5,"t":"2024-01-02","p":{"a":1}}',
        ),
        ([dt.timedelta(hours=1)], '["1:00:00"]'),
        (dt.timedelta(hours=1), "1:00:00"),
    ],
)
def test_to_string_is_java_like(value: Any, expected: str) -> None:
    """`toString()` renders numbers as Java does and maps and lists as compact JSON."""
    assert run("${v.toString()}", v=value) == expected


# --- Conditions and contexts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (None, False), ("true", True), ("nope", False), ("", False)],
)
def test_evaluate_condition_coerces(value: Any, expected: bool) -> None:
    """Conditions coerce their result to boolean the EL way."""
    assert evaluate_condition(parse_expression("${v}"), MappingContext({"v": value})) is expected


def test_evaluate_condition_rejects_non_boolean() -> None:
    """A condition giving a number or a map fails with the expression text."""
    with pytest.raises(ExpressionError) as info:
        evaluate_condition(parse_expression("${v}"), MappingContext({"v": 5}))
    assert "A condition must give a boolean but gave 5 (Number) in '${v}'" in str(info.value)
    assert info.value.expression == "${v}"


def test_literal_condition() -> None:
    """A literal condition text such as `true` counts as that boolean."""
    assert evaluate_condition(parse_expression("true"), MappingContext({})) is True


def test_mapping_context_extra_takes_precedence() -> None:
    """Names in `extra` win over variables of the same name, and both are listed."""
    context = MappingContext({"a": 1, "b": 2}, {"a": "extra"})
    assert context.get_variable("a") == "extra"
    assert context.get_variable("b") == 2
    assert context.has_variable("b")
    assert not context.has_variable("c")
    assert context.variable_names() == ["a", "b"]
