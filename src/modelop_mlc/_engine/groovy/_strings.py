"""`String` methods (Java's and the GDK's), `String.format`, and regular expressions on RE2.

Regular expressions (`matches`, `split`, `replaceAll`, `=~`, `==~`, `~/pattern/`) run on the
shared linear-time engine (`modelop_mlc.dmn._bounded_regex`); a pattern that needs
backtracking is refused with the reason instead of risking a frozen host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Final

from modelop_mlc._engine.groovy._classes import JavaClass, need, register, type_test
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._java import parse_double, parse_int, to_decimal
from modelop_mlc._engine.groovy._java_objects import Bytes, new_string
from modelop_mlc._engine.groovy._values import (
    GRange,
    JavaObject,
    compare,
    is_number,
    to_int,
    to_str,
    type_name,
)
from modelop_mlc.dmn._bounded_regex import BoundedPattern, RegexRefusedError, compile_bounded

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["STRING_METHODS", "MatcherValue", "PatternValue", "java_format", "regex"]

Method = Callable[["Context", str, list[Any]], Any]


def regex(pattern: Any) -> BoundedPattern:
    """Compile a script's pattern on RE2, or raise `PatternSyntaxException` with the reason."""
    source = pattern.source if isinstance(pattern, PatternValue) else to_str(pattern)
    try:
        return compile_bounded(source)
    except RegexRefusedError as err:
        raise java_error("PatternSyntaxException", str(err)) from None


def split(text: str, pattern: Any, limit: int = 0) -> list[str]:
    """Java's `String.split(regex[, limit])`: trailing empty strings go when limit is 0."""
    compiled = regex(pattern)
    parts: list[str] = []
    start = 0
    for match in compiled.finditer(text):
        if limit > 0 and len(parts) == limit - 1:
            break
        if match.end() == 0:
            continue  # a zero-width match at the start never yields a leading ""
        if match.start() == match.end() and match.start() >= len(text):
            break
        parts.append(text[start : match.start()])
        start = match.end()
    parts.append(text[start:])
    if limit == 0:
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        if parts == [""] and text:
            return []
    return parts


def _java_replacement(replacement: str) -> Callable[[Any], str]:
    r"""Java's `$1` / `${name}` / `\\$` replacement syntax as a function of the match."""

    def expand(match: Any) -> str:
        out: list[str] = []
        i = 0
        while i < len(replacement):
            ch = replacement[i]
            if ch == "\\" and i + 1 < len(replacement):
                out.append(replacement[i + 1])
                i += 2
            elif ch == "$" and i + 1 < len(replacement):
                if replacement[i + 1] == "{":
                    end = replacement.find("}", i)
                    out.append(match.group(replacement[i + 2 : end]) or "")
                    i = end + 1
                    continue
                j = i + 1
                while j < len(replacement) and replacement[j].isdigit():
                    j += 1
                if j == i + 1:
                    raise java_error("IllegalArgumentException", "Illegal group reference")
                out.append(match.group(int(replacement[i + 1 : j])) or "")
                i = j
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    return expand


def _replace_all(ctx: Context, text: str, args: list[Any], count: int) -> str:
    need("replaceAll", args, 2)
    result = regex(args[0]).sub(_java_replacement(to_str(args[1])), text, count)
    ctx.budget.string(len(result))
    return result


def _index_of(text: str, args: list[Any], last: bool) -> int:
    need("indexOf", args, 1, 2)
    needle = to_str(args[0])
    if last:
        end = to_int(args[1]) + len(needle) if len(args) > 1 else len(text)
        return text.rfind(needle, 0, max(end, 0))
    return text.find(needle, max(to_int(args[1]), 0) if len(args) > 1 else 0)


def _substring(text: str, args: list[Any]) -> str:
    need("substring", args, 1, 2)
    begin = to_int(args[0])
    end = to_int(args[1]) if len(args) > 1 else len(text)
    if not 0 <= begin <= end <= len(text):
        raise java_error(
            "StringIndexOutOfBoundsException",
            f"begin {begin}, end {end}, length {len(text)}",
        )
    return text[begin:end]


def string_index(text: str, index: Any) -> str:
    """`text[i]` (negative from the end) and `text[a..b]`."""
    if isinstance(index, GRange):
        items = list(index)
        if not items:
            return ""
        low, high = items[0], items[-1]
        low, high = (low + len(text) if low < 0 else low), (high + len(text) if high < 0 else high)
        if not (0 <= low < len(text) and 0 <= high < len(text)):
            raise java_error(
                "StringIndexOutOfBoundsException",
                f"range {index.to_string()} is outside a string of length {len(text)}",
            )
        return text[low : high + 1] if low <= high else text[high : low + 1][::-1]
    position = to_int(index, "index")
    if position < 0:
        position += len(text)
    if not 0 <= position < len(text):
        raise java_error(
            "StringIndexOutOfBoundsException",
            f"index {to_int(index)} is outside a string of length {len(text)}",
        )
    return text[position]


def _multiply(ctx: Context, text: str, args: list[Any]) -> str:
    need("multiply", args, 1)
    times = max(to_int(args[0]), 0)
    ctx.budget.string(len(text) * times)
    return text * times


def _pad(ctx: Context, text: str, args: list[Any], left: bool) -> str:
    need("pad", args, 1, 2)
    width = to_int(args[0])
    fill = to_str(args[1]) if len(args) > 1 else " "
    missing = width - len(text)
    if missing <= 0 or not fill:
        return text
    ctx.budget.string(width)
    padding = (fill * (missing // len(fill) + 1))[:missing]
    return padding + text if left else text + padding


def _is_integer(text: str) -> bool:
    try:
        parse_int(text.strip(), (-(1 << 31), (1 << 31) - 1))
    except Exception:  # noqa: BLE001 - a NumberFormatException means no
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        to_decimal(text.strip())
    except Exception:  # noqa: BLE001 - a NumberFormatException means no
        return False
    return True


def _to_number(text: str, kind: str) -> Any:
    stripped = text.strip()
    if kind == "int":
        return parse_int(stripped, (-(1 << 31), (1 << 31) - 1))
    if kind == "long":
        return parse_int(stripped, (-(1 << 63), (1 << 63) - 1))
    if kind == "double":
        return parse_double(stripped)
    return to_decimal(stripped)


def _matches(text: str, args: list[Any]) -> bool:
    need("matches", args, 1)
    return regex(args[0]).fullmatch(text) is not None


def _tokenize(text: str, args: list[Any]) -> list[str]:
    need("tokenize", args, 0, 1)
    if not args:
        return text.split()
    delimiters = to_str(args[0])
    return (
        [t for t in re.split("|".join(map(re.escape, delimiters)), text) if t]
        if delimiters
        else [text]
    )


def _split(text: str, args: list[Any]) -> list[str]:
    need("split", args, 0, 2)
    if not args:
        return text.split()
    return split(text, args[0], to_int(args[1]) if len(args) > 1 else 0)


def _contains(text: str, args: list[Any]) -> bool:
    need("contains", args, 1)
    if args[0] is None:
        raise java_error("NullPointerException", "Cannot invoke contains(null)")
    return to_str(args[0]) in text


def _concat(ctx: Context, text: str, args: list[Any]) -> str:
    need("concat", args, 1)
    other = to_str(args[0])
    ctx.budget.string(len(text) + len(other))
    return text + other


def _replace(ctx: Context, text: str, args: list[Any]) -> str:
    need("replace", args, 2)
    old, new = to_str(args[0]), to_str(args[1])
    count = text.count(old) if old else len(text) + 1
    ctx.budget.string(len(text) + count * len(new))
    return text.replace(old, new)


def _get_bytes(ctx: Context, text: str, args: list[Any]) -> Bytes:
    need("getBytes", args, 0, 1)
    if args and to_str(args[0]).upper().replace("-", "") not in {"UTF8", "USASCII", "ASCII"}:
        raise java_error(
            "UnsupportedOperationException",
            f"charset {to_str(args[0])} is not supported; use UTF-8",
        )
    return Bytes(text.encode("utf-8"))


def _one(fn: Callable[[str, Any], Any]) -> Method:
    def call(ctx: Context, text: str, args: list[Any]) -> Any:
        need("String method", args, 1)
        return fn(text, args[0])

    return call


def _zero(fn: Callable[[str], Any]) -> Method:
    def call(ctx: Context, text: str, args: list[Any]) -> Any:
        need("String method", args, 0)
        return fn(text)

    return call


STRING_METHODS: Final[dict[str, Method]] = {
    "equals": _one(lambda t, o: isinstance(o, str) and o == t),
    "equalsIgnoreCase": _one(lambda t, o: isinstance(o, str) and o.lower() == t.lower()),
    "compareTo": _one(lambda t, o: compare(t, to_str(o))),
    "compareToIgnoreCase": _one(lambda t, o: compare(t.lower(), to_str(o).lower())),
    "toUpperCase": _zero(str.upper),
    "toLowerCase": _zero(str.lower),
    "trim": _zero(lambda t: t.strip("".join(chr(c) for c in range(33)))),
    "strip": _zero(str.strip),
    "stripLeading": _zero(str.lstrip),
    "stripTrailing": _zero(str.rstrip),
    "isEmpty": _zero(lambda t: not t),
    "isBlank": _zero(lambda t: not t.strip()),
    "length": _zero(len),
    "size": _zero(len),
    "toString": _zero(lambda t: t),
    "hashCode": _zero(lambda t: _java_hash(t)),  # noqa: PLW0108 - defined below
    "startsWith": _one(lambda t, p: t.startswith(to_str(p))),
    "endsWith": _one(lambda t, s: t.endswith(to_str(s))),
    "contains": lambda ctx, t, args: _contains(t, args),
    "indexOf": lambda ctx, t, args: _index_of(t, args, last=False),
    "lastIndexOf": lambda ctx, t, args: _index_of(t, args, last=True),
    "substring": lambda ctx, t, args: _substring(t, args),
    "charAt": _one(
        lambda t, i: string_index(t, to_int(i)) if to_int(i) >= 0 else string_index(t, len(t) + 1)
    ),
    "getAt": _one(string_index),
    "concat": _concat,
    "replace": _replace,
    "replaceAll": lambda ctx, t, args: _replace_all(ctx, t, args, 0),
    "replaceFirst": lambda ctx, t, args: _replace_all(ctx, t, args, 1),
    "matches": lambda ctx, t, args: _matches(t, args),
    "split": lambda ctx, t, args: _split(t, args),
    "tokenize": lambda ctx, t, args: _tokenize(t, args),
    "getBytes": _get_bytes,
    "toInteger": _zero(lambda t: _to_number(t, "int")),
    "toLong": _zero(lambda t: _to_number(t, "long")),
    "toDouble": _zero(lambda t: _to_number(t, "double")),
    "toFloat": _zero(lambda t: _to_number(t, "double")),
    "toBigDecimal": _zero(lambda t: _to_number(t, "decimal")),
    "toBoolean": _zero(lambda t: t.strip().lower() in {"true", "y", "1"}),
    "isInteger": _zero(_is_integer),
    "isLong": _zero(_is_integer),
    "isNumber": _zero(_is_number),
    "isBigDecimal": _zero(_is_number),
    "isDouble": _zero(_is_number),
    "capitalize": _zero(lambda t: t[:1].upper() + t[1:]),
    "uncapitalize": _zero(lambda t: t[:1].lower() + t[1:]),
    "reverse": _zero(lambda t: t[::-1]),
    "multiply": _multiply,
    "repeat": _multiply,
    "padLeft": lambda ctx, t, args: _pad(ctx, t, args, left=True),
    "padRight": lambda ctx, t, args: _pad(ctx, t, args, left=False),
    "plus": _concat,
    "minus": _one(lambda t, o: t.replace(to_str(o), "", 1)),
    "count": _one(lambda t, o: t.count(to_str(o)) if to_str(o) else len(t) + 1),
    "take": _one(lambda t, n: t[: max(to_int(n), 0)]),
    "drop": _one(lambda t, n: t[max(to_int(n), 0) :]),
    "readLines": _zero(lambda t: t.splitlines()),
    "toList": _zero(list),
    "toSet": _zero(lambda t: list(dict.fromkeys(t))),
    "toCharArray": _zero(list),
    "stripIndent": _zero(lambda t: __import__("textwrap").dedent(t)),
    "asBoolean": _zero(bool),
    "intern": _zero(lambda t: t),
    "format": lambda ctx, t, args: java_format(ctx, t, args),  # noqa: PLW0108 - defined below
}


def _java_hash(text: str) -> int:
    value = 0
    for unit in _utf16_units(text):
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


# ---------------------------------------------------------------- String.format

_SPEC: Final = re.compile(r"%(\d+\$)?([-#+ 0,(]*)(\d+)?(\.\d+)?([a-zA-Z%])")


def java_format(ctx: Context, fmt: str, args: list[Any]) -> str:
    """`String.format`: `%s %d %f %e %x %b %c %n %%` with width, precision and flags."""
    out: list[str] = []
    pos = 0
    next_arg = 0
    for match in _SPEC.finditer(fmt):
        out.append(fmt[pos : match.start()])
        pos = match.end()
        index, flags, width, precision, conv = match.groups()
        if conv == "%":
            out.append("%")
            continue
        if conv == "n":
            out.append("\n")
            continue
        if index:
            arg_index = int(index[:-1]) - 1
        else:
            arg_index = next_arg
            next_arg += 1
        if arg_index >= len(args):
            raise java_error(
                "IllegalArgumentException", f"Format specifier '{match.group(0)}' has no argument"
            )
        out.append(_format_one(args[arg_index], flags, width, precision, conv, match.group(0)))
    out.append(fmt[pos:])
    text = "".join(out)
    ctx.budget.string(len(text))
    return text


def _format_one(
    value: Any, flags: str, width: str | None, precision: str | None, conv: str, spec: str
) -> str:
    lower = conv.lower()
    py_flags = "".join(f for f in flags if f in "-+ 0,#")
    if lower in {"s", "b"}:
        text = (
            ("true" if value is not None and value is not False else "false")
            if lower == "b"
            else to_str(value)
        )
        if precision:
            text = text[: int(precision[1:])]
        text = f"{text:{'<' if '-' in flags else '>'}{width or ''}}"
        return text.upper() if conv.isupper() else text
    if lower == "c":
        return to_str(value)[:1]
    if not is_number(value):
        raise java_error(
            "IllegalArgumentException", f"{spec} needs a number, not {type_name(value)}"
        )
    if lower in {"d", "x", "o"}:
        if not isinstance(value, int):
            raise java_error(
                "IllegalArgumentException", f"{spec} needs an integer, not {type_name(value)}"
            )
        text = format(
            value, f"{py_flags.replace('-', '<')}{width or ''}{lower if lower != 'd' else 'd'}"
        )
        return text.upper() if conv.isupper() else text
    if lower in {"f", "e"}:
        number = float(value) if not isinstance(value, Decimal) else value
        text = format(
            number, f"{py_flags.replace('-', '<')}{width or ''}{precision or '.6'}{lower}"
        )
        if lower == "e":
            text = re.sub(r"e([+-])(\d)$", r"e\g<1>0\2", text)
        return text.upper() if conv.isupper() else text
    raise java_error("UnsupportedOperationException", f"format conversion {spec} is not supported")


register(
    JavaClass(
        "java.lang.String",
        statics={
            "valueOf": lambda ctx, args: (need("String.valueOf", args, 1), to_str(args[0]))[1],
            "format": lambda ctx, args: java_format(ctx, to_str(args[0]), args[1:]),
            "join": lambda ctx, args: to_str(args[0]).join(
                to_str(x)
                for x in (args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:])  # noqa: PLR2004
            ),
        },
        construct=new_string,
        test=type_test(str),
    )
)


# ---------------------------------------------------------------- Pattern and Matcher


class PatternValue(JavaObject):
    """`~/pattern/`: a compiled `java.util.regex.Pattern`."""

    __slots__ = ("compiled", "source")
    TYPE = "Pattern"
    QUALIFIED = "java.util.regex.Pattern"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, source: str) -> None:
        """Compile `source` on RE2."""
        self.source = source
        self.compiled = regex(source)

    def to_string(self) -> str:
        """The pattern text."""
        return self.source

    def is_case(self, value: Any) -> bool:
        """`value in ~/p/` and `switch`: a full match."""
        return value is not None and self.compiled.fullmatch(to_str(value)) is not None


class MatcherValue(JavaObject):
    """`text =~ /pattern/`: true when the pattern occurs; `m[0]` is the first match."""

    __slots__ = ("matches", "pattern", "position", "text")
    TYPE = "Matcher"
    QUALIFIED = "java.util.regex.Matcher"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, pattern: BoundedPattern, text: str) -> None:
        """Match `pattern` against `text` (all matches are found lazily on first use)."""
        self.pattern = pattern
        self.text = text
        self.matches: list[Any] | None = None
        self.position = -1

    def all(self) -> list[Any]:
        """Every match."""
        if self.matches is None:
            self.matches = list(self.pattern.finditer(self.text))
        return self.matches

    def as_boolean(self) -> bool:
        """Groovy truth: the pattern occurs."""
        return self.pattern.search(self.text) is not None

    def item(self, index: int) -> Any:
        """`m[i]`: the text of match i, or `[whole, group1, ...]` when there are groups."""
        found = self.all()
        if index < 0:
            index += len(found)
        if not 0 <= index < len(found):
            raise java_error(
                "IndexOutOfBoundsException", f"index {index} out of range: {len(found)} matches"
            )
        match = found[index]
        if self.pattern.groups:
            return [match.group(0), *match.groups()]
        return match.group(0)

    def current(self) -> Any:
        if self.position < 0:
            raise java_error("IllegalStateException", "No match found")
        return self.all()[self.position]


def _group(ctx: Context, self: MatcherValue, args: list[Any]) -> Any:
    need("group", args, 0, 1)
    return self.current().group(
        to_int(args[0]) if args and is_number(args[0]) else (to_str(args[0]) if args else 0)
    )


def _find(ctx: Context, self: MatcherValue, args: list[Any]) -> bool:
    self.position += 1
    return self.position < len(self.all())


MatcherValue.METHODS.update(
    {
        "matches": lambda ctx, self, args: self.pattern.fullmatch(self.text) is not None,
        "find": _find,
        "group": _group,
        "getCount": lambda ctx, self, args: len(self.all()),
        "size": lambda ctx, self, args: len(self.all()),
        "getAt": lambda ctx, self, args: self.item(to_int(args[0])),
    }
)
PatternValue.METHODS.update(
    {
        "matcher": lambda ctx, self, args: MatcherValue(self.compiled, to_str(args[0])),
        "pattern": lambda ctx, self, args: self.source,
        "toString": lambda ctx, self, args: self.source,
    }
)
register(
    JavaClass(
        "java.util.regex.Pattern",
        statics={
            "compile": lambda ctx, args: PatternValue(to_str(args[0])),
            "matches": lambda ctx, args: regex(args[0]).fullmatch(to_str(args[1])) is not None,
            "quote": lambda ctx, args: "\\Q" + to_str(args[0]) + "\\E",
        },
        test=type_test(PatternValue),
    )
)
