"""The machinery under `modelop_mlc.domain`: records that give ModelOp's JSON back unchanged.

Three things make a record read from ModelOp Center write back the same JSON:

- `Record` keeps every field it does not model (`extra="allow"`, ModelOp's camelCase names)
  and, for a record read from JSON (`Record.from_variable`), writes only the fields the JSON
  had: no defaults appear, and an explicit `null` stays `null`. A record built in code writes
  every field that is not None, so `Runtime(name="x")` still shows `engineState`.
- an open enumeration (`Annotated[E | str, open_enum(E)]`) also accepts names it does not
  know: ModelOp adds asset roles, job types and states between releases, and refusing one
  would refuse the whole object. Known names become members of `E`; others stay strings,
  and both compare equal to the plain string.
- `Moment` is a date-time that remembers the text (or number) it was read from, so
  `2023-12-20T07:35:53.943Z` is written back as it came rather than as Python renders it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapSerializer,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel

__all__ = ["Moment", "Record", "open_enum", "open_value"]

E = TypeVar("E", bound=StrEnum)
_FROM_JSON = "modelop_mlc.from_json"


def open_value(enum: type[E], value: Any) -> E | str:
    """Return `value` as a member of `enum` when it names one, else as the string it is.

    Raises:
        TypeError: If `value` is not a string.
    """
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a {enum.__name__} name (a string), got {type(value).__name__}")
    try:
        return enum(value)
    except ValueError:
        return value


def open_enum(enum: type[E]) -> BeforeValidator:
    """Return the validator of an open enumeration field.

    Use it as `Annotated[E | str, open_enum(E)]`: known names become members of `E`, other
    strings are kept as they are.
    """

    def convert(value: Any) -> Any:
        return open_value(enum, value) if isinstance(value, str) else value

    return BeforeValidator(convert)


class _Stamp(datetime):
    """A datetime that carries the JSON value it was read from (in `_mlc_raw`)."""

    _mlc_raw: Any


def _read_moment(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    parsed = handler(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        stamp = _Stamp(
            parsed.year,
            parsed.month,
            parsed.day,
            parsed.hour,
            parsed.minute,
            parsed.second,
            parsed.microsecond,
            tzinfo=parsed.tzinfo,
            fold=parsed.fold,
        )
        stamp._mlc_raw = value
        return stamp
    return parsed


def _write_moment(
    value: Any, handler: SerializerFunctionWrapHandler, info: SerializationInfo
) -> Any:
    raw = getattr(value, "_mlc_raw", None)
    if raw is not None and info.mode == "json":
        return raw
    return handler(value)


Moment = Annotated[datetime, WrapValidator(_read_moment), WrapSerializer(_write_moment)]
"""A date-time field that writes back the text it was read from."""


class Record(BaseModel):
    """A ModelOp record: camelCase aliases, unknown fields kept, JSON that round-trips."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    @model_validator(mode="after")
    def _mark_fields(self, info: ValidationInfo) -> Self:
        # Built in code: every field that holds a value is part of the JSON. Read from JSON:
        # exactly the fields the JSON had (pydantic already knows them).
        if not (info.context or {}).get(_FROM_JSON):
            present = self.__pydantic_fields_set__
            for name in type(self).model_fields:
                if getattr(self, name) is None:
                    present.discard(name)
                else:
                    present.add(name)
        return self

    def to_variable(self) -> dict[str, Any]:
        """Return the record as a process-variable value (a JSON dict, ModelOp's names)."""
        return self.model_dump(by_alias=True, mode="json", exclude_unset=True)

    @classmethod
    def from_variable(cls, value: Any) -> Self:
        """Read a record from a process-variable value (a dict with ModelOp's names).

        Raises:
            pydantic.ValidationError: If `value` does not have the record's shape.
        """
        if isinstance(value, cls):
            return value
        return cls.model_validate(value, context={_FROM_JSON: True})
