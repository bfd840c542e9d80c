"""Types in scripts: `as` casts, typed declarations (`String x = ...`) and `instanceof`.

Typed declarations convert the way Groovy assigns (a `String` variable takes any value's text;
an `int` variable takes only numbers), `as` converts more freely (`"12" as Integer`), and
SDK record types accept ModelOp JSON maps, which is what process variables hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from modelop_mlc._engine.groovy._classes import JavaClass, lookup_class, resolve_simple
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._java import parse_double, parse_int, to_decimal, unique
from modelop_mlc._engine.groovy._sdk import SdkRecord
from modelop_mlc._engine.groovy._values import (
    GRange,
    is_number,
    to_int,
    to_str,
    truth,
    type_name,
)

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["PRIMITIVE_DEFAULTS", "cast", "declare", "instance_test", "known_type"]

_INTEGRAL: Final = frozenset({"int", "Integer", "long", "Long", "short", "Short", "byte", "Byte",
                              "BigInteger"})  # fmt: skip
_FLOATING: Final = frozenset({"double", "Double", "float", "Float"})
_LISTS: Final = frozenset({"List", "ArrayList", "LinkedList", "Collection", "Iterable"})
_SETS: Final = frozenset({"Set", "HashSet", "LinkedHashSet", "TreeSet"})
_MAPS: Final = frozenset({"Map", "HashMap", "LinkedHashMap", "TreeMap"})
_CORE: Final = _INTEGRAL | _FLOATING | _LISTS | _SETS | _MAPS | {
    "String", "BigDecimal", "boolean", "Boolean", "Object", "def", "var", "Number", "char",
    "Character", "CharSequence", "GString", "Closure",
}  # fmt: skip
PRIMITIVE_DEFAULTS: Final = {
    "int": 0, "long": 0, "short": 0, "byte": 0, "double": 0.0, "float": 0.0, "boolean": False,
}  # fmt: skip
_CORE_PACKAGES: Final = ("java.lang.", "java.util.", "java.math.", "groovy.lang.")


def _simple(type_name_: str) -> str:
    name = type_name_.removesuffix("[]")
    for package in _CORE_PACKAGES:
        if name.startswith(package) and name[len(package) :] in _CORE:
            return name[len(package) :]
    return name


def known_type(type_name_: str, imports: Iterable[tuple[str, bool]]) -> bool:
    """Whether a declared or cast type exists here (core types, allow-listed classes)."""
    name = _simple(type_name_)
    return name in _CORE or _class(name, imports) is not None


def _class(name: str, imports: Iterable[tuple[str, bool]]) -> JavaClass | None:
    found = lookup_class(name) if "." in name else None
    if found is not None:
        return found
    first, *nested = name.split(".")
    found = resolve_simple(first, imports)
    for part in nested:
        value = found.fields.get(part) if found is not None else None
        found = value if isinstance(value, JavaClass) else None
    return found


def _cast_error(value: Any, target: str) -> Exception:
    return java_error(
        "ClassCastException",
        f"Cannot cast object '{to_str(value)}' with class '{type_name(value)}' to class '{target}'",
    )


def _to_list(value: Any, target: str) -> list[Any]:
    if isinstance(value, list | GRange):
        return list(value)
    if isinstance(value, str):
        return list(value)
    raise _cast_error(value, target)


def cast(
    ctx: Context, value: Any, type_name_: str, imports: Iterable[tuple[str, bool]] = ()
) -> Any:
    """`value as Type`."""
    name = _simple(type_name_)
    if type_name_.endswith("[]"):
        if value is None:
            return None
        return [cast(ctx, item, type_name_[:-2], imports) for item in _to_list(value, type_name_)]
    if value is None:
        if name == "boolean":
            return False
        return None
    if name in {"Object", "def", "var"}:
        return value
    if name in {"String", "CharSequence", "GString"}:
        return to_str(value)
    if name in _INTEGRAL:
        if is_number(value) and not isinstance(value, bool):
            return to_int(value)
        if isinstance(value, str):
            return parse_int(value.strip(), (-(1 << 63), (1 << 63) - 1))
        raise _cast_error(value, name)
    if name in _FLOATING:
        if is_number(value) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            return parse_double(value)
        raise _cast_error(value, name)
    if name == "BigDecimal":
        if isinstance(value, float):
            return Decimal(repr(value))
        return to_decimal(value)
    if name in {"boolean", "Boolean"}:
        return truth(value)
    if name in _LISTS:
        return _to_list(value, name)
    if name in _SETS:
        return unique(_to_list(value, name))
    if name in _MAPS:
        if isinstance(value, dict):
            return value
        raise _cast_error(value, name)
    cls = _class(name, imports)
    if cls is None:
        raise java_error(
            "ClassCastException", f"cannot cast to {type_name_}: the class is not known"
        )
    if cls.is_instance(value):
        return value
    if isinstance(value, dict) and cls.construct is not None and cls.test is not None:
        record = cls.construct(ctx, [], {})
        if isinstance(record, SdkRecord):
            record.update(value)
            return record
    raise _cast_error(value, cls.name)


def declare(ctx: Context, value: Any, type_name_: str) -> Any:
    """Convert a value assigned to a variable declared with `type_name_`, as Groovy does."""
    name = _simple(type_name_)
    if value is None:
        if name in PRIMITIVE_DEFAULTS:
            raise java_error("ClassCastException", f"Cannot cast object 'null' to class '{name}'")
        return None
    if name == "String":
        return to_str(value)
    if name in _INTEGRAL | _FLOATING or name == "BigDecimal":
        if not is_number(value) or isinstance(value, bool):
            raise _cast_error(value, name)
        return cast(ctx, value, name)
    if name in _LISTS | _SETS | _MAPS or name in {"boolean", "Boolean"}:
        return cast(ctx, value, name)
    return value


def instance_test(type_name_: str, imports: Iterable[tuple[str, bool]]) -> Callable[[Any], bool]:
    """The test `x instanceof Type` runs; unknown types never match (refused at deploy)."""
    name = _simple(type_name_)
    if name in {"String", "CharSequence"}:
        return lambda v: isinstance(v, str)
    if name in _LISTS | _SETS:
        return lambda v: isinstance(v, list | GRange)
    if name in _MAPS:
        return lambda v: isinstance(v, dict)
    cls = _class(name, imports)
    if cls is None:
        return lambda v: False
    return cls.is_instance
