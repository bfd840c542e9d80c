"""Tests for Camunda 7's built-in expression functions: `now()`, `dateTime()`, Spin, users."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManualClock, validate
from modelop_mlc._engine.juel import MappingContext, parse_expression
from modelop_mlc.errors import DiagramError, ExpressionError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
T0 = dt.datetime(2026, 1, 31, 9, 30, 15, 123456, tzinfo=dt.UTC)


def run(text: str, *, clock: ManualClock | None = None, **variables: Any) -> Any:
    """Evaluate `text` against `variables`, with a clock standing at `T0` unless given."""
    context = MappingContext(variables, clock=clock or ManualClock(T0))
    return parse_expression(text).evaluate(context)


def fails(text: str, **variables: Any) -> str:
    """Evaluate `text`, expecting an `ExpressionError`, and return its message."""
    with pytest.raises(ExpressionError) as info:
        run(text, **variables)
    assert info.value.expression == text
    return str(info.value)


def parse_fails(text: str) -> str:
    """Parse `text`, expecting an `ExpressionError`, and return its message."""
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    return str(info.value)


class Recorder:
    """A host `JuelObject` that records the arguments it is called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def juel_invoke(self, method: str, args: list[Any]) -> Any:
        self.calls.append((method, args))

    def juel_property(self, name: str) -> Any:
        raise ExpressionError(f"no property {name}")


# --- now() and dateTime() ------------------------------------------------------------------------


def test_now_reads_the_injected_clock_and_leaves_as_iso_text() -> None:
    """`now()` is the clock's time, cut to milliseconds, and leaves the interpreter as ISO text."""
    assert run("${now()}") == "2026-01-31T09:30:15.123Z"
    clock = ManualClock(T0)
    clock.advance(dt.timedelta(hours=2))
    assert run("${now()}", clock=clock) == "2026-01-31T11:30:15.123Z"


def test_date_methods() -> None:
    """`now()` is a Java `Date`: `getTime()`, `before()`, `after()`, `compareTo()`."""
    millis = int(T0.timestamp() * 1000)
    assert run("${now().getTime()}") == millis
    assert run("${now().time}") == millis
    assert run("${now().before(dateTime().plusSeconds(1).toDate())}") is True
    assert run("${now().after(dateTime().plusSeconds(1).toDate())}") is False
    assert run("${now().compareTo(dateTime().minusDays(1).toDate())}") == 1
    assert run("${now().compareTo(now())}") == 0
    assert run("${now().toString()}") == "2026-01-31T09:30:15.123Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${dateTime()}", "2026-01-31T09:30:15.123Z"),
        ("${dateTime().plusYears(1)}", "2027-01-31T09:30:15.123Z"),
        ("${dateTime().plusMonths(1)}", "2026-02-28T09:30:15.123Z"),
        ("${dateTime().plusMonths(13)}", "2027-02-28T09:30:15.123Z"),
        ("${dateTime().minusMonths(2)}", "2025-11-30T09:30:15.123Z"),
        ("${dateTime().plusWeeks(1)}", "2026-02-07T09:30:15.123Z"),
        ("${dateTime().plusDays(2)}", "2026-02-02T09:30:15.123Z"),
        ("${dateTime().plusHours(15)}", "2026-02-01T00:30:15.123Z"),
        ("${dateTime().plusMinutes(30)}", "2026-01-31T10:00:15.123Z"),
        ("${dateTime().plusSeconds(45)}", "2026-01-31T09:31:00.123Z"),
        ("${dateTime().plusMillis(877)}", "2026-01-31T09:30:16.000Z"),
        ("${dateTime().minusYears(2)}", "2024-01-31T09:30:15.123Z"),
        ("${dateTime().minusWeeks(1)}", "2026-01-24T09:30:15.123Z"),
        ("${dateTime().minusDays(31)}", "2025-12-31T09:30:15.123Z"),
        ("${dateTime().minusHours(10)}", "2026-01-30T23:30:15.123Z"),
        ("${dateTime().minusMinutes(31)}", "2026-01-31T08:59:15.123Z"),
        ("${dateTime().minusSeconds(16)}", "2026-01-31T09:29:59.123Z"),
        ("${dateTime().minusMillis(124)}", "2026-01-31T09:30:14.999Z"),
        ("${dateTime().plusDays('3')}", "2026-02-03T09:30:15.123Z"),
        ("${dateTime().withTimeAtStartOfDay()}", "2026-01-31T00:00:00.000Z"),
        ("${dateTime().plusWeeks(1).toDate()}", "2026-02-07T09:30:15.123Z"),
    ],
)
def test_date_time_arithmetic(text: str, expected: str) -> None:
    """Joda's `plus…`/`minus…` methods shift the time; months clamp to the month's last day."""
    assert run(text) == expected


def test_leap_day_plus_a_year_clamps_to_february_28() -> None:
    """Like Joda, 2024-02-29 plus one year is 2025-02-28."""
    clock = ManualClock(dt.datetime(2024, 2, 29, tzinfo=dt.UTC))
    assert run("${dateTime().plusYears(1)}", clock=clock) == "2025-02-28T00:00:00.000Z"
    assert run("${dateTime().plusYears(4)}", clock=clock) == "2028-02-29T00:00:00.000Z"


def test_date_time_getters_and_properties() -> None:
    """Getters answer as methods and, as JUEL bean properties, without the `get`."""
    assert run("${dateTime().getYear()}") == 2026
    assert run("${dateTime().year}") == 2026
    assert run("${dateTime().monthOfYear}") == 1
    assert run("${dateTime().dayOfMonth}") == 31
    assert run("${dateTime().dayOfWeek}") == 6  # a Saturday; Joda counts Monday as 1
    assert run("${dateTime().plusDays(1).getDayOfYear()}") == 32
    assert run("${dateTime().hourOfDay}") == 9
    assert run("${dateTime().minuteOfHour}") == 30
    assert run("${dateTime().secondOfMinute}") == 15
    assert run("${dateTime().millis}") == run("${now().getTime()}")


def test_date_time_comparisons() -> None:
    """`isBefore`/`isAfter`/`isEqual` take dates, ISO text or milliseconds."""
    assert run("${dateTime().isBefore(dateTime().plusMillis(1))}") is True
    assert run("${dateTime().isAfter(now())}") is False
    assert run("${dateTime().isEqual(now())}") is True
    assert run("${dateTime().isAfter(deadline)}", deadline="2026-01-01T00:00:00Z") is True
    assert run("${dateTime().isBefore(d)}", d=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)) is True
    assert run("${dateTime().isAfter(0)}") is True
    assert run("${dateTime().compareTo(dateTime().plusDays(1))}") == -1
    message = fails("${dateTime().isBefore(x)}", x="next week")
    assert "isBefore() needs a date but got 'next week' (String)" in message
    assert "ISO 8601" in message


def test_relational_operators_order_dates() -> None:
    """`<` and `>` order dates and date-times chronologically; `==` compares like Java."""
    assert run("${now() < dateTime().plusDays(1).toDate()}") is True
    assert run("${dateTime().plusDays(1) > dateTime()}") is True
    assert run("${now() >= now()}") is True
    assert run("${now() == now()}") is True
    assert run("${now() == dateTime()}") is False  # a Date never equals a DateTime in Java
    assert run("${now().equals(dateTime().toDate())}") is True
    assert "Cannot compare" in fails("${now() < JSON('1')}")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd", "2026-01-31"),
        ("yyyyMMdd'T'HHmmss.SSS", "20260131T093015.123"),
        ("dd.MM.yy HH:mm", "31.01.26 09:30"),
        ("EEE, d MMM yyyy", "Sat, 31 Jan 2026"),
        ("EEEE d MMMM", "Saturday 31 January"),
        ("h:mm a", "9:30 AM"),
        ("yyyy-MM-dd'T'HH:mm:ssZZ", "2026-01-31T09:30:15+00:00"),
        ("HHmm Z z", "0930 +0000 UTC"),
        ("'It''s' D 'and week' w", "It's 31 and week 5"),
        ("''", "'"),
        ("S SS SSSS", "1 12 1230"),
        ("G C xxxx-'W'ww-e k K", "AD 20 2026-W05-6 9 9"),
    ],
)
def test_date_time_to_string_with_a_joda_pattern(pattern: str, expected: str) -> None:
    """`toString(pattern)` formats with Joda-Time's pattern letters."""
    assert run(f'${{dateTime().toString("{pattern}")}}') == expected


def test_date_time_to_string_with_null_pattern_is_iso() -> None:
    """Like Joda, `toString(null)` is the ISO 8601 text."""
    assert run("${dateTime().toString(null)}") == "2026-01-31T09:30:15.123Z"


def test_unsupported_pattern_letter_is_named() -> None:
    """A pattern letter we do not format is an error naming it and the pattern."""
    message = fails("${dateTime().toString('yyyy QQ')}")
    assert "Pattern letter 'Q' is not supported in toString('yyyy QQ')" in message


def test_date_arithmetic_out_of_range_is_an_expression_error() -> None:
    """Shifting a date past year 9999 fails with the method and amount, not a Python error."""
    assert "plusYears(9000) takes the date outside the years 1 to 9999" in fails(
        "${dateTime().plusYears(9000)}"
    )
    assert "minusDays(99999999999)" in fails("${dateTime().minusDays(99999999999)}")


def test_dates_render_in_composite_text() -> None:
    """In composite text a date renders as ISO 8601 text."""
    assert run("due ${dateTime().plusDays(1).toDate()}") == "due 2026-02-01T09:30:15.123Z"


def test_dates_reach_host_objects_as_iso_text() -> None:
    """Host objects such as `execution` receive dates as ISO text, never as our objects."""
    recorder = Recorder()
    run("${execution.setVariable('due', dateTime().plusDays(1))}", execution=recorder)
    assert recorder.calls == [("setVariable", ["due", "2026-02-01T09:30:15.123Z"])]


def test_clock_functions_need_a_clock() -> None:
    """Without a clock `now()` and `dateTime()` fail with a clear message."""
    for text in ("${now()}", "${dateTime()}"):
        with pytest.raises(ExpressionError) as info:
            parse_expression(text).evaluate(MappingContext({}))
        assert "needs the engine's clock" in str(info.value)


def test_no_python_attribute_is_reachable_on_dates() -> None:
    """Properties of dates go through allow-listed getters only; dunder names never parse."""
    assert "Cannot read property 'moment'" in fails("${dateTime().moment}")
    assert "Cannot read property 'millis'" in fails("${now().millis}")
    assert "is not allowed" in parse_fails("${dateTime().__class__}")
    assert "is not allowed" in parse_fails("${dateTime()._replace()}")
    assert "Method 'replace()' is not available on DateTime values" in fails(
        "${dateTime().replace(1)}"
    )


# --- Spin: S(...) and JSON(...) ------------------------------------------------------------------

DOC = json.dumps(
    {
        "name": "jonny",
        "address": {"post code": 1234, "verified": True},
        "tags": ["a", "b"],
        "none": None,
        "rate": 1.5,
    }
)


def test_json_reads_properties_and_values() -> None:
    """`prop`, `stringValue`, `numberValue` and `boolValue` read Spin-style from JSON text."""
    assert run("${JSON(doc).prop('name').stringValue()}", doc=DOC) == "jonny"
    assert run("${S(doc).prop('address').prop('post code').numberValue()}", doc=DOC) == 1234
    assert run("${S(doc).prop('address').prop('verified').boolValue()}", doc=DOC) is True
    assert run("${S(doc).prop('rate').numberValue() * 2}", doc=DOC) == 3.0
    assert run("${S(doc).prop('rate').value()}", doc=DOC) == 1.5
    assert run("${S(doc).prop('none').isNull()}", doc=DOC) is True
    assert run("${S(doc).prop('name').isNull()}", doc=DOC) is False


def test_json_structure_methods() -> None:
    """`hasProp`, `fieldNames`, `elements` and the `is…` tests describe the document."""
    assert run("${S(doc).hasProp('tags')}", doc=DOC) is True
    assert run("${S(doc).hasProp('missing')}", doc=DOC) is False
    assert run("${S(doc).prop('tags').hasProp('x')}", doc=DOC) is False
    assert run("${S(doc).fieldNames()}", doc=DOC) == ["name", "address", "tags", "none", "rate"]
    assert run("${S(doc).prop('tags').elements().size()}", doc=DOC) == 2
    assert run("${S(doc).prop('tags').elements().get(1).stringValue()}", doc=DOC) == "b"
    assert run("${S(doc).prop('tags').elements()[0].stringValue()}", doc=DOC) == "a"
    checks = {
        "isObject": "address",
        "isArray": "tags",
        "isString": "name",
        "isNumber": "rate",
        "isBoolean": None,
        "isNull": "none",
    }
    for method, prop in checks.items():
        if prop is not None:
            assert run(f"${{S(doc).prop('{prop}').{method}()}}", doc=DOC) is True
    assert run("${S(doc).prop('address').prop('verified').isBoolean()}", doc=DOC) is True
    assert run("${S(doc).prop('name').isValue()}", doc=DOC) is True
    assert run("${S(doc).prop('tags').isValue()}", doc=DOC) is False


def test_json_to_string_is_compact_json() -> None:
    """`toString()` and composite text give the node's compact JSON text."""
    assert run("${S(doc).prop('address').toString()}", doc=DOC) == (
        '{"post code":1234,"verified":true}'
    )
    assert run("tags=${S(doc).prop('tags')}", doc=DOC) == 'tags=["a","b"]'


def test_json_result_is_stored_as_the_plain_value() -> None:
    """A node (or a list of nodes) leaving the interpreter is its plain JSON value."""
    assert run("${JSON(doc).prop('address')}", doc=DOC) == {"post code": 1234, "verified": True}
    assert run("${JSON(doc).prop('tags').elements()}", doc=DOC) == ["a", "b"]
    assert run("${JSON(doc)}", doc=DOC)["rate"] == 1.5


def test_json_of_data_copies_it() -> None:
    """`JSON(map)` wraps a copy of the data, as Spin maps a Java object to JSON."""
    config = {"a": 5, "nested": {"b": [1, 2]}}
    result = run("${JSON(cfg)}", cfg=config)
    assert result == config
    assert result is not config
    assert run("${JSON(cfg).prop('nested').prop('b').elements().get(1).numberValue()}", cfg=config)
    assert run("${JSON(7).numberValue()}") == 7
    assert run("${JSON(flag).boolValue()}", flag=True) is True
    assert run("${JSON(JSON(cfg).prop('a')).numberValue()}", cfg=config) == 5


def test_json_nodes_compare_by_value() -> None:
    """Two nodes are equal when their JSON values are, whatever the key order."""
    assert run("${JSON(a) == JSON(b)}", a='{"x": 1, "y": 2}', b='{"y": 2, "x": 1}') is True
    assert run("${JSON(a).equals(JSON(b))}", a="[1, 2]", b="[2, 1]") is False


def test_json_nodes_reach_host_objects_as_plain_json() -> None:
    """Host objects receive a node as its plain JSON value."""
    recorder = Recorder()
    run("${execution.setVariable('cfg', JSON(doc).prop('address'))}", execution=recorder, doc=DOC)
    assert recorder.calls == [("setVariable", ["cfg", {"post code": 1234, "verified": True}])]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${S(doc).prop('nmae')}", "JSON property 'nmae' not found in '${S(doc).prop('nmae')}'"),
        (
            "${S(doc).prop('tags').prop('a')}",
            'prop(\'a\') needs a JSON object, but the node is an array: ["a","b"]',
        ),
        (
            "${S(doc).prop('name').elements()}",
            'elements() needs a JSON array, but the node is a string: "jonny"',
        ),
        ("${S(doc).prop('rate').stringValue()}", "stringValue() needs a JSON string"),
        ("${S(doc).prop('name').numberValue()}", "numberValue() needs a JSON number"),
        ("${S(doc).prop('rate').boolValue()}", "boolValue() needs a JSON boolean"),
        ("${S(doc).prop('tags').value()}", "value() needs a JSON string, number or boolean"),
        ("${S(doc).prop('tags').fieldNames()}", "fieldNames() needs a JSON object"),
        ("${S(doc).name}", "Cannot read property 'name' of"),
        ("${S(doc).value}", "read a JSON property with .prop('name')"),
        ("${S(doc).jsonPath('$.a')}", "Method 'jsonPath()' is not available on SpinJsonNode"),
    ],
)
def test_json_misuse_is_explained(text: str, fragment: str) -> None:
    """Reading the wrong kind of node, or a missing property, says what to do instead."""
    assert fragment in fails(text, doc=DOC)


def test_missing_property_lists_the_properties() -> None:
    """A missing property names it and lists the properties that exist."""
    message = fails("${S(doc).prop('nmae')}", doc=DOC)
    assert "hasProp('nmae')" in message
    assert "properties: address, name, none, rate, tags" in message


def test_json_parse_errors_and_bad_inputs() -> None:
    """Bad JSON text, null, XML and host objects are refused with the reason."""
    message = fails("${JSON(raw)}", raw='{"a": }')
    assert "JSON() could not parse '{\"a\": }' (String) as JSON: Expecting value" in message
    assert "line 1, column 7" in message
    assert "not JSON" in fails("${JSON(raw)}", raw='{"a": NaN}')
    assert "Cannot call JSON() on null" in fails("${JSON(missing)}", missing=None)
    assert "XML Spin is not available here" in fails("${S(raw)}", raw="<a>1</a>")
    assert "JSON() cannot turn" in fails("${JSON(execution)}", execution=Recorder())
    assert "Out of range float values" in fails("${JSON(m)}", m={"x": float("nan")})
    deep = "[" * 100_000 + "]" * 100_000
    assert "nested too deeply" in fails("${JSON(raw)}", raw=deep)


# --- currentUser() and currentUserGroups() -------------------------------------------------------


def test_current_user_functions_answer_nobody() -> None:
    """No user is authenticated in the engine: `currentUser()` is null, the groups are empty."""
    assert run("${currentUser()}") is None
    assert run("${currentUser() == null}") is True
    assert run("${currentUserGroups()}") == []
    assert run("${currentUserGroups().contains('management')}") is False


# --- parsing -------------------------------------------------------------------------------------


def test_unknown_function_is_named_with_the_supported_ones() -> None:
    """An unknown function is a parse error naming it, suggesting one and listing them all."""
    message = parse_fails("${dateTme().plusDays(1)}")
    assert "Unknown function 'dateTme()' at column 3" in message
    assert "did you mean 'dateTime()'?" in message
    assert (
        "supported functions: currentUser(), currentUserGroups(), dateTime(), JSON(), now(), S()"
        in message
    )
    assert "did you mean 'JSON()'?" in parse_fails("${json(x)}")


def test_xml_is_refused_at_parse_time() -> None:
    """`XML(...)` is refused when the expression is parsed: XML Spin does not run here."""
    message = parse_fails("${XML(doc).attr('id')}")
    assert "Function 'XML()' is not supported" in message
    assert "XML Spin is not available here" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${now(1)}", "now() takes 0 argument(s), got 1"),
        ("${JSON()}", "JSON() takes 1 argument(s), got 0"),
        ("${S(a, b)}", "S() takes 1 argument(s), got 2"),
    ],
)
def test_argument_counts_are_checked_at_parse_time(text: str, fragment: str) -> None:
    """Calling a function with the wrong number of arguments is a parse error."""
    assert fragment in parse_fails(text)


def test_function_names_are_not_variables() -> None:
    """A call is not an identifier, and a variable may still be named like a function."""
    assert parse_expression("${JSON(cfg).prop('a')}").identifiers == frozenset({"cfg"})
    assert run("${now}", now="a variable") == "a variable"


def test_unknown_function_is_a_deploy_time_problem() -> None:
    """Validation refuses a diagram calling an unknown function, naming the element."""
    xml = process(
        START
        + '<bpmn:userTask id="review" camunda:dueDate="${today().plusDays(1)}"/>'
        + END
        + chain("start", "review", "end")
    )
    problems = validate(xml).problems
    assert [p.element_id for p in problems] == ["review"]
    assert "Unknown function 'today()'" in problems[0].message
    assert "supported functions:" in problems[0].message


# --- through the manager -------------------------------------------------------------------------


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(T0)


def test_due_date_from_date_time_is_a_week_after_the_clock(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A user task's `${dateTime().plusWeeks(1).toDate()}` due date is the clock plus 7 days."""
    xml = process(
        START + '<bpmn:userTask id="approve" camunda:dueDate="${dateTime().plusWeeks(1).toDate()}" '
        'camunda:followUpDate="${dateTime().plusDays(2)}"/>'
        + END
        + chain("start", "approve", "end")
    )
    manager.deploy(xml)
    first = manager.start("p")
    clock.advance(dt.timedelta(days=3))
    second = manager.start("p")
    (task_one,) = manager.tasks(instance_id=first.id)
    (task_two,) = manager.tasks(instance_id=second.id)
    week = dt.timedelta(weeks=1)
    assert task_one.due == T0.replace(microsecond=123000) + week
    assert task_two.due == clock.now().replace(microsecond=123000) + week
    assert task_one.follow_up == T0.replace(microsecond=123000) + dt.timedelta(days=2)


def test_timer_date_from_date_time_waits_on_the_clock(
    manager: LifecycleManager, clock: ManualClock
) -> None:
    """A `timeDate` of `${dateTime().plusDays(1).toDate()}` fires one day after the start."""
    xml = process(
        START
        + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        + "<bpmn:timeDate>${dateTime().plusDays(1).toDate()}</bpmn:timeDate>"
        + "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + END
        + chain("start", "wait", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p")
    assert manager.next_due() == T0.replace(microsecond=123000) + dt.timedelta(days=1)
    clock.advance(dt.timedelta(days=1))
    manager.run_due()
    assert manager.instance(instance.id).status == "completed"


def test_input_parameter_reads_json_with_spin(manager: LifecycleManager) -> None:
    """`${JSON(cfg).prop('a').numberValue()}` as an input parameter gives the number."""
    seen: dict[str, Any] = {}

    @manager.delegate("Configure")
    def configure(ctx: Any) -> None:
        seen.update(ctx.inputs)

    xml = process(
        START
        + """
      <bpmn:serviceTask id="svc" camunda:class="Configure">
        <bpmn:extensionElements><camunda:inputOutput>
          <camunda:inputParameter name="a">${JSON(cfg).prop('a').numberValue()}</camunda:inputParameter>
          <camunda:inputParameter name="tags">${S(cfg).prop('tags').elements()}</camunda:inputParameter>
          <camunda:outputParameter name="config">${JSON(cfg)}</camunda:outputParameter>
          <camunda:outputParameter name="checkedAt">${now()}</camunda:outputParameter>
        </camunda:inputOutput></bpmn:extensionElements>
      </bpmn:serviceTask>"""
        + END
        + chain("start", "svc", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"cfg": '{"a": 3, "tags": ["x", "y"]}'})
    assert seen == {"a": 3, "tags": ["x", "y"]}
    assert instance.variables["config"] == {"a": 3, "tags": ["x", "y"]}
    assert instance.variables["checkedAt"] == "2026-01-31T09:30:15.123Z"


def test_expression_results_and_set_variable_store_json(manager: LifecycleManager) -> None:
    """Dates and nodes stored through `resultVariable` or `setVariable` are JSON values."""
    xml = process(
        START + '<bpmn:serviceTask id="a" camunda:expression="${dateTime().plusDays(1)}" '
        'camunda:resultVariable="tomorrow"/>' + '<bpmn:serviceTask id="b" '
        "camunda:expression=\"${execution.setVariable('cfg', JSON(raw))}\"/>"
        + '<bpmn:userTask id="u"/>'
        + END
        + chain("start", "a", "b", "u", "end")
    )
    manager.deploy(xml)
    instance = manager.start("p", {"raw": '{"k": [1, 2]}'})
    variables = manager.variables(instance.id)
    assert variables["tomorrow"] == "2026-02-01T09:30:15.123Z"
    assert variables["cfg"] == {"k": [1, 2]}


def test_condition_using_date_time(manager: LifecycleManager) -> None:
    """A condition can compare the clock's date-time with a deadline variable."""
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw" default="in_time"/>'
        + '<bpmn:userTask id="late"/><bpmn:userTask id="ontime"/>'
        + chain("start", "gw")
        + '<bpmn:sequenceFlow id="too_late" sourceRef="gw" targetRef="late">'
        + "<bpmn:conditionExpression>${dateTime().isAfter(deadline)}</bpmn:conditionExpression>"
        + "</bpmn:sequenceFlow>"
        + '<bpmn:sequenceFlow id="in_time" sourceRef="gw" targetRef="ontime"/>'
    )
    manager.deploy(process(body))
    assert manager.start("p", {"deadline": "2026-01-01T00:00:00Z"}).waiting_at == ("late",)
    assert manager.start("p", {"deadline": "2026-06-01T00:00:00Z"}).waiting_at == ("ontime",)


def test_unknown_function_is_refused_at_deploy(manager: LifecycleManager) -> None:
    """Deploying a diagram with `XML(...)` fails with the element and the reason."""
    xml = process(
        START + '<bpmn:serviceTask id="svc" camunda:expression="${XML(doc).attr(\'id\')}" '
        'camunda:resultVariable="id"/>' + END + chain("start", "svc", "end")
    )
    with pytest.raises(DiagramError) as caught:
        manager.deploy(xml)
    problem = caught.value.problems[0]
    assert problem.element_id == "svc"
    assert "XML Spin is not available here" in problem.message
