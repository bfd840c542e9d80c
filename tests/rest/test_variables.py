"""Camunda typed variables to plain JSON values and back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelop_mlc.rest._camunda import camunda_date, parse_date
from modelop_mlc.rest._errors import ApiError
from modelop_mlc.rest._variables import from_typed, to_typed, typed_map


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"value": "text"}, "text"),
        ({"value": {"assetType": "EXTERNAL_FILE"}}, {"assetType": "EXTERNAL_FILE"}),
        ({"value": "text", "type": "String"}, "text"),
        ({"value": 42, "type": "String"}, "42"),
        ({"value": True, "type": "string"}, "true"),
        ({"value": 7, "type": "Integer"}, 7),
        ({"value": "7", "type": "Integer"}, 7),
        ({"value": 7.0, "type": "Integer"}, 7),
        ({"value": 2**40, "type": "Long"}, 2**40),
        ({"value": 3, "type": "Short"}, 3),
        ({"value": 1, "type": "Double"}, 1.0),
        ({"value": "2.5", "type": "Double"}, 2.5),
        ({"value": "TRUE", "type": "Boolean"}, True),
        ({"value": False, "type": "Boolean"}, False),
        ({"value": "2026-01-01T00:00:00.000+0000", "type": "Date"}, "2026-01-01T00:00:00+00:00"),
        ({"value": "2026-01-01T12:30:00", "type": "Date"}, "2026-01-01T12:30:00+00:00"),
        ({"value": '{"a": [1, 2]}', "type": "Json"}, {"a": [1, 2]}),
        ({"value": {"a": 1}, "type": "Json"}, {"a": 1}),
        (
            {
                "value": '{"fileUrl": "s3://b/k"}',
                "type": "Object",
                "valueInfo": {
                    "objectTypeName": "com.modelop.sdk.dataobjects.v2.assets.FileAsset",
                    "serializationDataFormat": "application/json",
                },
            },
            {"fileUrl": "s3://b/k"},
        ),
        ({"value": [1, 2], "type": "Object"}, [1, 2]),
        ({"value": "ignored", "type": "Null"}, None),
        ({"value": None, "type": "Integer"}, None),
        ({"type": "String"}, None),
    ],
)
def test_incoming_values(entry: dict[str, Any], expected: Any) -> None:
    """Each Camunda type becomes the plain JSON value a process sees."""
    assert from_typed({"v": entry}) == {"v": expected}


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"value": "many", "type": "Integer"}, "java.lang.Integer"),
        ({"value": 2**31, "type": "Integer"}, "java.lang.Integer"),
        ({"value": 2**63, "type": "Long"}, "java.lang.Long"),
        ({"value": 1.5, "type": "Integer"}, "java.lang.Integer"),
        ({"value": True, "type": "Integer"}, "java.lang.Integer"),
        ({"value": "yes", "type": "Boolean"}, "java.lang.Boolean"),
        ({"value": "x", "type": "Double"}, "java.lang.Double"),
        ({"value": {"a": 1}, "type": "String"}, "java.lang.String"),
        ({"value": "soon", "type": "Date"}, "yyyy-MM-dd"),
        ({"value": "{broken", "type": "Json"}, "not valid JSON"),
        ({"value": "NaN", "type": "Json"}, "not valid JSON"),
        (
            {
                "value": "x",
                "type": "Object",
                "valueInfo": {"serializationDataFormat": "application/x-java-serialized-object"},
            },
            "not supported",
        ),
        ({"value": "AAEC", "type": "Bytes"}, "not supported"),
        ({"value": "x", "type": "File"}, "not supported"),
        ({"value": 1, "type": "Money"}, "unsupported value type 'Money'"),
        ({"value": 1, "type": 5}, "'type' must be a string"),
        ({"value": 1, "type": "String", "valueInfo": []}, "'valueInfo' must be an object"),
    ],
)
def test_incoming_values_that_do_not_fit(entry: dict[str, Any], fragment: str) -> None:
    """A value that does not fit its declared type is a 400 naming the variable."""
    with pytest.raises(ApiError) as caught:
        from_typed({"count": entry})
    assert caught.value.status == 400
    assert "count" in caught.value.message
    assert fragment in caught.value.message


def test_variable_map_shape_is_checked() -> None:
    """The map must be an object of objects."""
    assert from_typed(None) == {}
    with pytest.raises(ApiError, match="must be an object mapping"):
        from_typed([1, 2])
    with pytest.raises(ApiError, match="must be an object such as"):
        from_typed({"x": 5})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", {"type": "String", "value": "text", "valueInfo": {}}),
        (True, {"type": "Boolean", "value": True, "valueInfo": {}}),
        (5, {"type": "Integer", "value": 5, "valueInfo": {}}),
        (2**31, {"type": "Long", "value": 2**31, "valueInfo": {}}),
        (-(2**31) - 1, {"type": "Long", "value": -(2**31) - 1, "valueInfo": {}}),
        (0.25, {"type": "Double", "value": 0.25, "valueInfo": {}}),
        (None, {"type": "Null", "value": None, "valueInfo": {}}),
        ({"a": [1]}, {"type": "Json", "value": '{"a":[1]}', "valueInfo": {}}),
        ([1, "x"], {"type": "Json", "value": '[1,"x"]', "valueInfo": {}}),
    ],
)
def test_outgoing_types_are_inferred(value: Any, expected: dict[str, Any]) -> None:
    """Plain values are described with the Camunda type that fits them."""
    assert to_typed(value) == expected


def test_round_trip_through_camunda_form() -> None:
    """A typed map read back as Camunda's form gives the same values."""
    values = {"s": "x", "n": 3, "f": 1.5, "b": False, "o": {"k": [1, None]}, "z": None}
    typed = typed_map(values, secret=())
    assert json.loads(typed["o"]["value"]) == values["o"]
    assert from_typed(typed) == values


def test_camunda_date_format() -> None:
    """Times are written as yyyy-MM-dd'T'HH:mm:ss.SSSZ in UTC and read back."""
    moment = parse_date("2026-05-04T03:02:01.123+0200")
    assert camunda_date(moment) == "2026-05-04T01:02:01.123+0000"
    assert camunda_date(None) is None
