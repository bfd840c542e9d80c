"""Method calls, property access and indexing, dispatched on the receiver's type.

Only the methods in the tables of `_strings`, `_gdk`, `_java` and `_sdk` exist. Maps (and so
process variables holding ModelOp JSON) answer Java-bean getters and setters from their keys
(`getId()`, `setFilename("x")`, `x.id = ...`), as the SDK objects they stand for do. Names
that lead to reflection or the JVM are refused whatever the receiver.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from modelop_mlc._engine.asset_content import kept_content_error
from modelop_mlc._engine.groovy._classes import JavaClass
from modelop_mlc._engine.groovy._errors import GroovySecurityError, JavaException, java_error
from modelop_mlc._engine.groovy._gdk import LIST_METHODS, list_index, list_put
from modelop_mlc._engine.groovy._gdk_maps import MAP_METHODS, NUMBER_METHODS
from modelop_mlc._engine.groovy._java_objects import Bytes, exception_methods
from modelop_mlc._engine.groovy._runtime import missing_method, null_error
from modelop_mlc._engine.groovy._sdk import read_field, store_field
from modelop_mlc._engine.groovy._strings import STRING_METHODS, MatcherValue, string_index
from modelop_mlc._engine.groovy._values import (
    GClosure,
    GRange,
    JavaObject,
    MapEntry,
    equals,
    to_int,
    to_str,
    truth,
    type_name,
)

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = [
    "FORBIDDEN_MEMBERS",
    "call_method",
    "get_index",
    "get_property",
    "iterate",
    "set_index",
    "set_property",
]

FORBIDDEN_MEMBERS: Final = frozenset(
    {
        "getClass", "class", "metaClass", "getMetaClass", "setMetaClass", "invokeMethod",
        "getProperty", "setProperty", "respondsTo", "hasProperty", "getMetaPropertyValues",
        "properties", "getProperties", "execute", "evaluate", "with", "tap", "identity",
        "sleep", "asType", "newInstance", "forName", "getDeclaredField", "getDeclaredMethod",
        "getDeclaredMethods", "getMethods", "getMethod", "getFields", "owner", "delegate",
        "thisObject", "getOwner", "getDelegate", "setDelegate", "getThisObject",
        "setResolveStrategy", "rehydrate", "dehydrate", "methodMissing", "propertyMissing",
        "wait", "notify", "notifyAll", "finalize", "clone", "withTraits", "getText",
        "newReader", "withReader", "eachLine", "withWriter", "newWriter", "withOutputStream",
        "withInputStream", "toURL", "toURI", "getBinding", "binding", "getenv", "parseClass",
        "dump", "printf", "metaPropertyValues",
    }
)  # fmt: skip
_COMMON: Final = frozenset({"toString", "equals", "is", "asBoolean", "hashCode"})


def refuse_member(name: str) -> None:
    """Refuse reflective or JVM-reaching member names (they are also refused at deploy)."""
    if name in FORBIDDEN_MEMBERS:
        raise GroovySecurityError(
            f"'{name}' is not allowed in scripts (no reflection or JVM access)"
        )


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


def _uncap(name: str) -> str:
    return name[:1].lower() + name[1:]


def call_method(ctx: Context, obj: Any, name: str, args: list[Any]) -> Any:
    """`obj.name(args)`."""
    refuse_member(name)
    kind = type(obj)
    if kind is str:
        string_method = STRING_METHODS.get(name)
        if string_method is not None:
            return string_method(ctx, obj, args)
    elif isinstance(obj, list):
        list_method = LIST_METHODS.get(name)
        if list_method is not None:
            return list_method(ctx, obj, args)
    elif isinstance(obj, dict):
        return _map_call(ctx, obj, name, args)
    elif kind in {int, float, Decimal}:
        number_method = NUMBER_METHODS.get(name)
        if number_method is not None:
            return number_method(ctx, obj, args)
    elif kind is bool:
        if name == "booleanValue":
            return obj
    elif obj is None:
        if name == "toString":
            return "null"
        if name == "equals":
            return args[0] is None if args else False
        raise null_error(f"Cannot invoke method {name}() on null object")
    elif isinstance(obj, GRange):
        return _range_call(ctx, obj, name, args)
    elif isinstance(obj, GClosure):
        if name in {"call", "doCall"}:
            return obj.invoke(obj, list(args))
        if name == "getMaximumNumberOfParameters":
            return obj.arity
    elif isinstance(obj, JavaClass):
        static = obj.statics.get(name)
        if static is not None:
            return static(ctx, args)
        raise java_error(
            "MissingMethodException",
            f"No static method {obj.name}.{name}() here; supported: "
            + (", ".join(sorted(obj.statics)) or "none"),
        )
    elif isinstance(obj, JavaException):
        try:
            return exception_methods(ctx, obj, name, args)
        except KeyError:
            pass
    elif isinstance(obj, JavaObject):
        method = getattr(type(obj), "METHODS", {}).get(name)
        if method is not None:
            return method(ctx, obj, args)
    if name in _COMMON:
        return _common(obj, name, args)
    raise missing_method(obj, name, args)


def _common(obj: Any, name: str, args: list[Any]) -> Any:
    if name == "toString":
        return to_str(obj)
    if name == "equals":
        return equals(obj, args[0]) if args else False
    if name == "is":
        return obj is args[0] if args else False
    if name == "asBoolean":
        return truth(obj)
    return hash(to_str(obj)) & 0x7FFFFFFF


def _map_call(ctx: Context, mapping: dict[Any, Any], name: str, args: list[Any]) -> Any:
    method = MAP_METHODS.get(name)
    if method is not None:
        return method(ctx, mapping, args)
    if name.startswith("get") and len(name) > 3 and not args:  # noqa: PLR2004 - getX()
        return _read(mapping, _uncap(name[3:]))
    if name.startswith("is") and len(name) > 2 and not args:  # noqa: PLR2004 - isX()
        return truth(mapping.get(_uncap(name[2:])))
    if name.startswith("set") and len(name) > 3 and len(args) == 1:  # noqa: PLR2004 - setX(v)
        store_field(mapping, _uncap(name[3:]), args[0])
        return None
    value = mapping.get(name)
    if isinstance(value, GClosure):
        return value.invoke(value, list(args))
    if name in _COMMON:
        return _common(mapping, name, args)
    raise missing_method(mapping, name, args)


_RANGE_MUTATORS: Final = frozenset(
    {"add", "addAll", "remove", "removeAll", "clear", "set", "putAt", "leftShift", "retainAll"}
)


def _range_call(ctx: Context, values: GRange, name: str, args: list[Any]) -> Any:
    if name == "size":
        return len(values)
    if name == "contains":
        return values.contains(args[0])
    if name in {"getFrom", "getTo"}:
        return values.low if name == "getFrom" else values.high
    if name in _RANGE_MUTATORS:
        raise java_error(
            "UnsupportedOperationException", f"a range cannot {name}(); call toList() first"
        )
    ctx.budget.items(len(values))
    return call_method(ctx, list(values), name, args)


def get_property(ctx: Context, obj: Any, name: str) -> Any:
    """`obj.name`."""
    refuse_member(name)
    if isinstance(obj, dict):
        return _read(obj, name)
    if obj is None:
        raise null_error(f"Cannot get property '{name}' on null object")
    if isinstance(obj, list):
        if name == "empty":
            return not obj
        return [None if item is None else get_property(ctx, item, name) for item in obj]
    if isinstance(obj, str):
        if name == "empty":
            return not obj
        if name == "bytes":
            return STRING_METHODS["getBytes"](ctx, obj, [])
    elif isinstance(obj, JavaClass):
        return obj.static_field(name)
    elif isinstance(obj, JavaException):
        getter = "get" + _cap(name)
        try:
            return exception_methods(ctx, obj, getter, [])
        except KeyError:
            pass
    elif isinstance(obj, MapEntry):
        if name in {"key", "value"}:
            return obj.key if name == "key" else obj.value
    elif isinstance(obj, GRange):
        if name in {"from", "to", "empty"}:
            return {"from": obj.low, "to": obj.high, "empty": len(obj) == 0}[name]
    elif isinstance(obj, Bytes):
        if name == "length":
            return len(obj.data)
    elif isinstance(obj, JavaObject):
        property_of = getattr(obj, "property", None)
        if property_of is not None:
            return property_of(ctx, name)
        methods = getattr(type(obj), "METHODS", {})
        for getter in ("get" + _cap(name), "is" + _cap(name)):
            if getter in methods:
                return methods[getter](ctx, obj, [])
    raise java_error(
        "MissingPropertyException",
        f"No such property: {name} for class: {type_name(obj)}",
    )


def _read(record: dict[Any, Any], name: str) -> Any:
    """A field of a record; the content of an asset the centre keeps is refused, not null."""
    kept = kept_content_error(record, name)
    if kept is not None:
        raise java_error("IllegalStateException", kept)
    return read_field(name, record.get(name))


def set_property(ctx: Context, obj: Any, name: str, value: Any) -> None:
    """`obj.name = value`."""
    refuse_member(name)
    if isinstance(obj, dict):
        ctx.budget.items(len(obj) + 1, 1)
        store_field(obj, name, value)
        return
    if obj is None:
        raise null_error(f"Cannot set property '{name}' on null object")
    if isinstance(obj, list):
        for item in obj:
            set_property(ctx, item, name, value)
        return
    if isinstance(obj, MapEntry) and name == "value":
        obj.value = value
        return
    if isinstance(obj, JavaObject):
        setter = getattr(type(obj), "METHODS", {}).get("set" + _cap(name))
        if setter is not None:
            setter(ctx, obj, [value])
            return
    raise java_error(
        "MissingPropertyException",
        f"Cannot set property '{name}' on a {type_name(obj)}",
    )


def get_index(ctx: Context, obj: Any, index: Any) -> Any:
    """`obj[index]`."""
    if isinstance(obj, list):
        return list_index(obj, index)
    if isinstance(obj, dict):
        try:
            return obj.get(index)
        except TypeError:
            return None
    if isinstance(obj, str):
        return string_index(obj, index)
    if obj is None:
        raise null_error("Cannot get an element of a null object")
    if isinstance(obj, GRange):
        ctx.budget.items(len(obj))
        return list_index(list(obj), index)
    if isinstance(obj, MatcherValue):
        return obj.item(to_int(index))
    if isinstance(obj, Bytes):
        byte = obj.data[to_int(index)]
        return byte - 256 if byte > 127 else byte  # noqa: PLR2004 - Java bytes are signed
    if isinstance(obj, JavaObject) and isinstance(index, str):
        return get_property(ctx, obj, index)
    raise java_error("MissingMethodException", f"a {type_name(obj)} cannot be indexed with []")


def set_index(ctx: Context, obj: Any, index: Any, value: Any) -> None:
    """`obj[index] = value`."""
    if isinstance(obj, list):
        list_put(ctx, obj, index, value)
    elif isinstance(obj, dict):
        ctx.budget.items(len(obj) + 1, 1)
        try:
            obj[index] = value
        except TypeError:
            obj[to_str(index)] = value
    elif obj is None:
        raise null_error("Cannot set an element of a null object")
    elif isinstance(obj, JavaObject) and isinstance(index, str):
        set_property(ctx, obj, index, value)
    else:
        raise java_error("MissingMethodException", f"a {type_name(obj)} cannot be assigned with []")


def iterate(ctx: Context, obj: Any) -> Iterable[Any]:
    """What `for (x in obj)` walks: elements, map entries, characters; nothing for null."""
    if isinstance(obj, list):
        return list(obj)
    if isinstance(obj, GRange):
        return obj
    if isinstance(obj, dict):
        return [MapEntry(k, v) for k, v in obj.items()]
    if isinstance(obj, str):
        return list(obj)
    if obj is None:
        return ()
    if isinstance(obj, MatcherValue):
        return [obj.item(i) for i in range(len(obj.all()))]
    return (obj,)
