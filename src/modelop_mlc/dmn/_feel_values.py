"""FEEL runtime values: the Python types that stand for FEEL values, and how they compare.

| FEEL type                  | Python type                                    |
| -------------------------- | ---------------------------------------------- |
| null                       | `None`                                         |
| number                     | `decimal.Decimal` (34 digits, `DECIMAL`)       |
| string, boolean            | `str`, `bool`                                  |
| date                       | `datetime.date` (never a `datetime`)           |
| date and time              | `datetime.datetime` (naive = local)            |
| time                       | `datetime.time` (naive = local)                |
| days and time duration     | `datetime.timedelta`                           |
| years and months duration  | `YearsMonths`                                  |
| list, context              | `list`, `dict[str, Any]` (insertion-ordered)   |
| range                      | `Range`                                        |
| function                   | `FeelFunction`                                 |
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._bounds import Budget

__all__ = [
    "DECIMAL",
    "EvalContext",
    "FeelFunction",
    "Range",
    "Scope",
    "YearsMonths",
    "feel_compare",
    "feel_eq",
    "kind_of",
]

DECIMAL: Final = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The IEEE 754 decimal128 context FEEL numbers use; an overflow or an invalid operation traps
(and the caller turns the trap into null), so `10 ** 10 ** 8` cannot run away."""

MAX_WARNINGS: Final = 50


@dataclass(frozen=True, slots=True)
class YearsMonths:
    """A FEEL years-and-months duration, kept as a signed count of months."""

    months: int

    def __neg__(self) -> YearsMonths:
        """Negate the duration."""
        return YearsMonths(-self.months)


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range: `[1..10]`, `(a..b]`, or a unary comparison such as `< 10` used as a value.

    Attributes:
        start: The low endpoint, `None` when unbounded.
        end: The high endpoint, `None` when unbounded.
        start_included: Whether `start` belongs to the range.
        end_included: Whether `end` belongs to the range.
        op: `".."` for an interval; `"<"`, `"<="`, `">"`, `">="`, `"="`, `"!="` for a unary
            comparison (DMN 1.4 keeps these distinct from an interval with a null endpoint).
    """

    start: Any
    end: Any
    start_included: bool
    end_included: bool
    op: str = ".."

    def contains(self, value: Any) -> bool | None:
        """Return whether `value` lies in the range (`None` when incomparable)."""
        if self.op == "=":
            return feel_eq(value, self.start)
        if self.op == "!=":
            eq = feel_eq(value, self.start)
            return None if eq is None else not eq
        low = high = True
        if self.start is not None:
            c = feel_compare(value, self.start)
            if c is None:
                return None
            low = c > 0 or (c == 0 and self.start_included)
        elif self.op == "..":
            return None
        if self.end is not None:
            c = feel_compare(value, self.end)
            if c is None:
                return None
            high = c < 0 or (c == 0 and self.end_included)
        elif self.op == "..":
            return None
        return low and high


@dataclass(eq=False, slots=True)
class FeelFunction:
    """A FEEL function value: a built-in, a user-defined `function(...)`, or a BKM.

    Attributes:
        name: The name used in warnings.
        params: Parameter names, in order; `None` for a variadic built-in.
        impl: The Python callable; it takes a `Scope` (for warnings) and the positional
            arguments, already bound.
        signatures: For overloaded built-ins, every accepted parameter-name list.
        variadic: Whether positional calls accept any number of arguments.
        overloads: One implementation per signature, used for named calls (whose names
            tell the overloads apart where positional arguments cannot).
        scalar: Whether a singleton-list argument is unwrapped (built-ins that take no
            lists, per DMN's implicit conversions: `upper case(["a"])` is `"A"`).
    """

    name: str
    params: list[str] | None
    impl: Callable[..., Any]
    signatures: list[list[str]] = field(default_factory=list)
    variadic: bool = False
    scalar: bool = False
    overloads: list[Callable[..., Any]] | None = None


class EvalContext:
    """Per-evaluation state shared by every scope: the clock, the warnings and the budget."""

    __slots__ = ("budget", "depth", "now", "warnings")

    def __init__(self, now: datetime | None = None) -> None:
        """Create the context; `now` feeds FEEL `now()` and `today()`."""
        self.now = now
        self.warnings: list[str] = []
        self.depth = 0
        # Sizes and iterations, checked before allocating (the limits in effect now).
        self.budget = Budget()

    def warn(self, message: str) -> None:
        """Record an evaluation problem (the value that caused it becomes null)."""
        if len(self.warnings) < MAX_WARNINGS and message not in self.warnings:
            self.warnings.append(message)


_MISSING: Final = object()


class Scope:
    """A chain of variable frames; lookups walk from the innermost frame outwards."""

    __slots__ = ("ctx", "parent", "vars")

    def __init__(self, frame: dict[str, Any], parent: Scope | None, ctx: EvalContext) -> None:
        """Create a frame on top of `parent`."""
        self.vars = frame
        self.parent = parent
        self.ctx = ctx

    def child(self, frame: dict[str, Any]) -> Scope:
        """Return a new scope with `frame` on top of this one."""
        return Scope(frame, self, self.ctx)

    def lookup(self, name: str) -> Any:
        """Return the value bound to `name`, or the `MISSING` sentinel."""
        scope: Scope | None = self
        while scope is not None:
            frame = scope.vars
            if name in frame:
                return frame[name]
            scope = scope.parent
        return _MISSING

    def has(self, name: str) -> bool:
        """Return whether `name` is bound in any frame."""
        return self.lookup(name) is not _MISSING

    def warn(self, message: str) -> None:
        """Record a warning in the evaluation context."""
        self.ctx.warn(message)


MISSING: Final = _MISSING

_KINDS: Final[dict[type, str]] = {
    Decimal: "number",
    bool: "boolean",
    str: "string",
    date: "date",
    datetime: "date and time",
    time: "time",
    timedelta: "days and time duration",
    YearsMonths: "years and months duration",
    list: "list",
    dict: "context",
    Range: "range",
    FeelFunction: "function",
}


def kind_of(value: Any) -> str:
    """Return the FEEL type name of `value` (`"null"` for `None`)."""
    if value is None:
        return "null"
    kind = _KINDS.get(type(value))
    if kind is not None:
        return kind
    for cls, name in _KINDS.items():
        if isinstance(value, cls):
            return name
    return "unknown"


def _instant(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC, dropping sub-second digits (TCK equality)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(microsecond=0)


def _time_key(value: time) -> tuple[int, bool]:
    """Seconds since midnight (UTC for a time with a fixed offset) and whether it is local."""
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    offset = time_offset(value)
    if offset is None:
        return seconds, value.tzinfo is None
    return (seconds - int(offset.total_seconds())) % 86400, False


def time_offset(value: time | datetime) -> timedelta | None:
    """Return the UTC offset of a time or date-time, when it has a fixed one."""
    tz = value.tzinfo
    if tz is None:
        return None
    if isinstance(value, datetime):
        return value.utcoffset()
    try:
        return tz.utcoffset(None)
    except (ValueError, TypeError):  # a zone id has no offset without a date
        return None


def zone_name(tz: tzinfo | None) -> str | None:
    """Return the IANA zone id of a `ZoneInfo`, or `None` for a fixed offset."""
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else None


def feel_eq(a: Any, b: Any) -> bool | None:
    """Compare two FEEL values with `=`; `None` when their types differ."""
    if a is None or b is None:
        return a is None and b is None
    ta = type(a)
    tb = type(b)
    if ta is Decimal and tb is Decimal:
        return bool(a == b)
    if ta is not tb:
        ka, kb = kind_of(a), kind_of(b)
        if ka != kb:
            return None
    if ta is str or ta is bool:
        return bool(a == b)
    if ta is list:
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            r = feel_eq(x, y)
            if not r:
                return r if r is not None else False
        return True
    if ta is dict:
        if a.keys() != b.keys():
            return False
        return all(feel_eq(a[k], b[k]) for k in a)
    if ta is datetime:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return False
        return _instant(a) == _instant(b)
    if ta is time:
        ka2, kb2 = _time_key(a), _time_key(b)
        if ka2[1] != kb2[1]:
            return False
        if zone_name(a.tzinfo) != zone_name(b.tzinfo):
            return False
        return ka2[0] == kb2[0]
    if ta is Range:
        return (
            a.op == b.op
            and a.start_included == b.start_included
            and a.end_included == b.end_included
            and _eq_or_both_null(a.start, b.start)
            and _eq_or_both_null(a.end, b.end)
        )
    if isinstance(a, FeelFunction):
        return a is b
    return bool(a == b)


def _eq_or_both_null(a: Any, b: Any) -> bool:
    return bool(feel_eq(a, b))


def feel_compare(a: Any, b: Any) -> int | None:
    """Order two FEEL values: -1, 0 or 1, or `None` when they cannot be ordered."""
    ta = type(a)
    if ta is Decimal:
        if type(b) is not Decimal:
            return None
        return -1 if a < b else (1 if a > b else 0)
    if a is None or b is None or ta is not type(b):
        return None
    if ta is str or ta is date or ta is timedelta:
        return -1 if a < b else (1 if a > b else 0)
    if ta is YearsMonths:
        return -1 if a.months < b.months else (1 if a.months > b.months else 0)
    if ta is datetime:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        return -1 if a < b else (1 if a > b else 0)
    if ta is time:
        ka, kb = _time_key(a), _time_key(b)
        if ka[1] != kb[1]:
            return None
        fa = ka[0] + a.microsecond / 1e6
        fb = kb[0] + b.microsecond / 1e6
        return -1 if fa < fb else (1 if fa > fb else 0)
    return None


def is_true(value: Any) -> bool:
    """Return whether `value` is FEEL `true` (null and non-booleans are not)."""
    return value is True


def make_function(
    name: str,
    params: Sequence[str] | None,
    impl: Callable[..., Any],
    *,
    signatures: Sequence[Sequence[str]] = (),
    variadic: bool = False,
) -> FeelFunction:
    """Build a `FeelFunction` from a Python callable."""
    return FeelFunction(
        name,
        list(params) if params is not None else None,
        impl,
        [list(s) for s in signatures],
        variadic,
    )


_CALL_ERRORS: Final = (
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    KeyError,
    IndexError,
    RecursionError,
)
"""What a built-in may raise on arguments of the wrong shape; FEEL makes these null."""

MAX_CALL_DEPTH: Final = 120


def call_function(
    scope: Scope,
    fn: Any,
    args: Sequence[Any],
    names: Sequence[str] | None = None,
) -> Any:
    """Invoke a FEEL function with positional or named arguments; errors give null."""
    if not isinstance(fn, FeelFunction):
        scope.warn(f"cannot invoke a {kind_of(fn)} as a function; the result is null")
        return None
    impl = fn.impl
    bound, index = _bind(fn, args, names)
    if index is not None and fn.overloads is not None:
        impl = fn.overloads[index]
    if bound is None:
        listing = ", ".join(names) if names is not None else f"{len(args)} argument(s)"
        scope.warn(f"function '{fn.name}' cannot be invoked with {listing}; the result is null")
        return None
    ctx = scope.ctx
    if ctx.depth >= MAX_CALL_DEPTH:
        scope.warn(
            f"function '{fn.name}' recursed deeper than {MAX_CALL_DEPTH}; the result is null"
        )
        return None
    if fn.scalar:
        bound = [a[0] if type(a) is list and len(a) == 1 else a for a in bound]
    ctx.depth += 1
    try:
        return impl(scope, *bound)
    except _CALL_ERRORS as err:
        scope.warn(f"function '{fn.name}' failed: {err}; the result is null")
        return None
    finally:
        ctx.depth -= 1


def _bind(
    fn: FeelFunction, args: Sequence[Any], names: Sequence[str] | None
) -> tuple[list[Any] | None, int | None]:
    """Order the arguments by parameter; also return the chosen signature for named calls."""
    signatures = fn.signatures or ([fn.params] if fn.params is not None else [])
    if names is None:
        if fn.variadic or (fn.params is None and not fn.signatures):
            return list(args), None
        for sig in signatures:
            if len(sig) == len(args):
                return list(args), None
        return None, None
    given = dict(zip(names, args, strict=True))
    if fn.signatures:
        # Prefer the signature naming exactly these parameters; else the first one that
        # names them all (a parameter left out is null, as FEEL binds it).
        exact = [i for i, sig in enumerate(signatures) if set(given) == set(sig)]
        wider = [i for i, sig in enumerate(signatures) if set(given) <= set(sig)]
        for index in exact or wider[:1]:
            return [given.get(p) for p in signatures[index]], index
        return None, None
    if fn.params is None or not set(given) <= set(fn.params):
        return None, None
    return [given.get(p) for p in fn.params], None
