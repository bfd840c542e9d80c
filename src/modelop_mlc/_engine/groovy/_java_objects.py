"""JDK, SLF4J, Groovy and Camunda objects that are not numbers, dates or collections.

SLF4J loggers write to Python logging, `byte[]` exists for file contents and
`new String(bytes)`, `StringBuilder` is checked against the string limit as it grows,
`JsonSlurper`/`JsonOutput` read and write JSON within the size limits, and the exception
classes (Camunda's `BpmnError` among them) are the ones scripts may throw and catch.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from modelop_mlc._engine.groovy._classes import JavaClass, need, register, type_test
from modelop_mlc._engine.groovy._errors import (
    EXCEPTION_PARENTS,
    JavaException,
    exception_class,
    is_subclass,
    java_error,
)
from modelop_mlc._engine.groovy._runtime import to_json
from modelop_mlc._engine.groovy._values import JavaObject, Logger, is_number, to_str

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = [
    "Bytes",
    "JsonSlurperValue",
    "Logger",
    "StringBuilderValue",
    "exception_methods",
    "new_string",
    "register_exception",
    "slf4j_format",
]


# ---------------------------------------------------------------- logging and output


def slf4j_format(message: Any, args: list[Any]) -> str:
    """Fill `{}` placeholders as SLF4J's MessageFormatter does; a trailing exception is appended."""
    text = to_str(message)
    throwable = args[-1] if args and isinstance(args[-1], JavaException) else None
    values = args[:-1] if throwable is not None else args
    out: list[str] = []
    pos = 0
    for value in values:
        found = text.find("{}", pos)
        while found > 0 and text[found - 1] == "\\":
            out.append(text[pos : found - 1] + "{}")
            pos = found + 2
            found = text.find("{}", pos)
        if found < 0:
            break
        out.append(text[pos:found] + to_str(value))
        pos = found + 2
    out.append(text[pos:])
    rendered = "".join(out)
    return f"{rendered}\n{throwable}" if throwable is not None else rendered


def _log_method(level: str) -> Any:
    def log(ctx: Context, self: Logger, args: list[Any]) -> None:
        need(f"Logger.{level}", args, 1, 99)
        ctx.write_output(level, self.name, slf4j_format(args[0], args[1:]))

    return log


for _level in ("trace", "debug", "info", "warn", "error"):
    Logger.METHODS[_level] = _log_method(_level)
    Logger.METHODS[f"is{_level.capitalize()}Enabled"] = lambda ctx, self, args: True
Logger.METHODS["getName"] = lambda ctx, self, args: self.name


def _get_logger(ctx: Context, args: list[Any]) -> Logger:
    need("LoggerFactory.getLogger", args, 1)
    target = args[0]
    return Logger(target.name if isinstance(target, JavaClass) else to_str(target))


register(JavaClass("org.slf4j.LoggerFactory", statics={"getLogger": _get_logger}))
register(JavaClass("org.slf4j.Logger", test=type_test(Logger)))


# ---------------------------------------------------------------- bytes and text


class Bytes(JavaObject):
    """A `byte[]`, as `String.getBytes()` gives it (only for file contents and `new String`)."""

    __slots__ = ("data",)
    TYPE = "byte[]"
    QUALIFIED = "[B"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, data: bytes) -> None:
        """Wrap the bytes."""
        self.data = data

    def to_string(self) -> str:
        """Groovy renders arrays like lists: `[97, 98]`."""
        return "[" + ", ".join(str(b if b < 128 else b - 256) for b in self.data) + "]"  # noqa: PLR2004

    def groovy_equals(self, other: Any) -> bool:
        """Same bytes."""
        return isinstance(other, Bytes) and other.data == self.data

    def to_json(self) -> Any:
        """Bytes have no JSON form here."""
        raise TypeError(
            "a byte[] cannot be stored in a process variable; use new String(bytes), or set "
            "it as an asset's file content"
        )


Bytes.METHODS.update(
    {
        "size": lambda ctx, self, args: len(self.data),
        "toString": lambda ctx, self, args: self.to_string(),
        "encodeBase64": lambda ctx, self, args: base64.b64encode(self.data).decode(),
    }
)


def new_string(ctx: Context, args: list[Any], named: dict[str, Any]) -> str:
    need("new String", args, 0, 2)
    if not args:
        return ""
    if isinstance(args[0], Bytes):
        return args[0].data.decode("utf-8", errors="replace")
    return to_str(args[0])


class StringBuilderValue(JavaObject):
    """`StringBuilder`: `append` (also `<<`), `toString`, `length`."""

    __slots__ = ("parts", "size")
    TYPE = "StringBuilder"
    QUALIFIED = "java.lang.StringBuilder"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, text: str = "") -> None:
        """Start with `text`."""
        self.parts = [text] if text else []
        self.size = len(text)

    def append(self, ctx: Context, value: Any) -> StringBuilderValue:
        """Append the value's text (checked against the string limit first)."""
        text = to_str(value)
        ctx.budget.string(self.size + len(text))
        self.parts.append(text)
        self.size += len(text)
        return self

    def to_string(self) -> str:
        """The text built so far."""
        return "".join(self.parts)


StringBuilderValue.METHODS.update(
    {
        "append": lambda ctx, self, args: (need("append", args, 1), self.append(ctx, args[0]))[1],
        "toString": lambda ctx, self, args: self.to_string(),
        "length": lambda ctx, self, args: self.size,
        "size": lambda ctx, self, args: self.size,
        "leftShift": lambda ctx, self, args: self.append(ctx, args[0]),
    }
)
for _name in ("StringBuilder", "StringBuffer"):
    register(
        JavaClass(
            f"java.lang.{_name}",
            construct=lambda ctx, args, named: StringBuilderValue(
                to_str(args[0]) if args and not is_number(args[0]) else ""
            ),
            test=type_test(StringBuilderValue),
        )
    )


# ---------------------------------------------------------------- JSON


class JsonSlurperValue(JavaObject):
    """`groovy.json.JsonSlurper`: `parseText` (numbers with a fraction become BigDecimal)."""

    __slots__ = ()
    TYPE = "JsonSlurper"
    QUALIFIED = "groovy.json.JsonSlurper"
    METHODS: ClassVar[dict[str, Any]] = {}


def _parse_text(ctx: Context, self: Any, args: list[Any]) -> Any:
    need("JsonSlurper.parseText", args, 1)
    text = to_str(args[0])
    ctx.budget.string(len(text))
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError) as err:
        raise java_error("JsonException", f"Unable to parse JSON: {err}") from None


JsonSlurperValue.METHODS["parseText"] = _parse_text
register(
    JavaClass(
        "groovy.json.JsonSlurper",
        construct=lambda ctx, args, named: JsonSlurperValue(),
        test=type_test(JsonSlurperValue),
    )
)


def _to_json_text(ctx: Context, args: list[Any]) -> str:
    need("JsonOutput.toJson", args, 1)
    try:
        text = json.dumps(to_json(args[0]), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise java_error("JsonException", str(err)) from None
    ctx.budget.string(len(text))
    return text


def _pretty(ctx: Context, args: list[Any]) -> str:
    need("JsonOutput.prettyPrint", args, 1)
    try:
        text = json.dumps(json.loads(to_str(args[0])), indent=4, ensure_ascii=False)
    except ValueError as err:
        raise java_error("JsonException", str(err)) from None
    ctx.budget.string(len(text))
    return text


register(
    JavaClass("groovy.json.JsonOutput", statics={"toJson": _to_json_text, "prettyPrint": _pretty})
)


# ---------------------------------------------------------------- exceptions


def _exception_constructor(kind: str) -> Any:
    def construct(ctx: Context, args: list[Any], named: dict[str, Any]) -> JavaException:
        if kind == "BpmnError":
            need("new BpmnError", args, 1, 3)
            message = to_str(args[1]) if len(args) > 1 and args[1] is not None else None
            cause = args[2] if len(args) > 2 and isinstance(args[2], JavaException) else None  # noqa: PLR2004
            return JavaException(kind, message, code=to_str(args[0]), cause=cause)
        need(f"new {kind}", args, 0, 2)
        cause = next((a for a in args if isinstance(a, JavaException)), None)
        texts = [a for a in args if not isinstance(a, JavaException)]
        message = to_str(texts[0]) if texts and texts[0] is not None else None
        if message is None and cause is not None:
            message = str(cause)
        return JavaException(kind, message, cause=cause)

    return construct


def _exception_test(kind: str) -> Any:
    return lambda value: isinstance(value, JavaException) and is_subclass(value.kind, kind)


def register_exception(kind: str, qualified: str) -> None:
    """Put an exception class on the allow-list."""
    register(
        JavaClass(qualified, construct=_exception_constructor(kind), test=_exception_test(kind))
    )


def exception_methods(ctx: Context, exc: JavaException, name: str, args: list[Any]) -> Any:
    """Methods of an exception object; raise `KeyError` for others."""
    if name in {"getMessage", "getLocalizedMessage"}:
        return exc.message
    if name == "getCause":
        return exc.cause
    if name == "toString":
        return str(exc)
    if name in {"getErrorCode", "getCode"} and exc.kind == "BpmnError":
        return exc.code
    raise KeyError(name)


def _register_exceptions() -> None:
    for kind in ("Throwable", *EXCEPTION_PARENTS):
        register_exception(kind, exception_class(kind))


_register_exceptions()
