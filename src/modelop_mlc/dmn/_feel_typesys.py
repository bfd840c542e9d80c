"""FEEL and DMN types: built-in types, `list<T>`-style type expressions, and item definitions.

A type answers two questions:

* `is_instance(value)` — FEEL `instance of` (structural; allowed values are not checked, and
  null is an instance of nothing);
* `coerce(value)` — DMN type conformance for decision results, input data and BKM
  parameters: a conforming value passes, a singleton list unwraps into a non-list type, a
  value wraps into a list type, and anything else becomes null (with a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from modelop_mlc.dmn._feel_ast import TypeNode
from modelop_mlc.dmn._feel_values import FeelFunction, Range, kind_of

__all__ = ["ANY", "FeelType", "ItemDefinition", "TypeRegistry"]

_ALIASES: Final = {
    "dateTime": "date and time",
    "dayTimeDuration": "days and time duration",
    "yearMonthDuration": "years and months duration",
    "int": "integer",
    "decimal": "number",
    "double": "number",
    "Null": "null",
}
_PRIMITIVES: Final = frozenset(
    {
        "number",
        "string",
        "boolean",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
        "context",
        "list",
        "function",
        "range",
        "null",
    }
)


class FeelType:
    """Base class of the types; `ANY` accepts every non-null value."""

    name = "Any"
    is_collection = False

    def is_instance(self, value: Any) -> bool:
        """Return whether `value` is an instance of this type (FEEL `instance of`)."""
        return value is not None

    def conforms(self, value: Any) -> bool:
        """Return whether `value` conforms, allowed values included (null always conforms)."""
        return value is None or self.is_instance(value)

    def coerce(self, value: Any) -> tuple[Any, bool]:
        """Return `(value, ok)`: the value after DMN's implicit conversions, and whether it fit."""
        if self.conforms(value):
            return value, True
        singleton = type(value) is list and len(value) == 1
        if not self.is_collection and singleton and self.conforms(value[0]):
            return value[0], True
        if self.is_collection and type(value) is not list and self.conforms([value]):
            return [value], True
        return None, False


ANY: Final = FeelType()


@dataclass(eq=False)
class _Primitive(FeelType):
    kind: str
    integral: bool = False

    def __post_init__(self) -> None:
        self.name = self.kind
        self.is_collection = self.kind == "list"

    def is_instance(self, value: Any) -> bool:
        if self.kind == "duration":
            return kind_of(value) in ("days and time duration", "years and months duration")
        if self.integral:
            return type(value) is Decimal and value == value.to_integral_value()
        return kind_of(value) == self.kind


@dataclass(eq=False)
class _ListType(FeelType):
    element: FeelType

    def __post_init__(self) -> None:
        self.name = f"list<{self.element.name}>"
        self.is_collection = True

    def is_instance(self, value: Any) -> bool:
        return type(value) is list and all(
            item is None or self.element.is_instance(item) for item in value
        )

    def conforms(self, value: Any) -> bool:
        return value is None or (
            type(value) is list and all(self.element.conforms(item) for item in value)
        )


@dataclass(eq=False)
class _ContextType(FeelType):
    fields: dict[str, FeelType]

    def __post_init__(self) -> None:
        inner = ", ".join(f"{k}: {t.name}" for k, t in self.fields.items())
        self.name = f"context<{inner}>"

    def is_instance(self, value: Any) -> bool:
        if type(value) is not dict:
            return False
        for key, field_type in self.fields.items():
            if key not in value:
                return False
            item = value[key]
            if item is not None and not field_type.is_instance(item):
                return False
        return True

    def conforms(self, value: Any) -> bool:
        if value is None:
            return True
        if type(value) is not dict:
            return False
        return all(key in value and t.conforms(value[key]) for key, t in self.fields.items())


@dataclass(eq=False)
class _FunctionType(FeelType):
    params: list[FeelType]
    result: FeelType

    def __post_init__(self) -> None:
        self.name = "function"

    def is_instance(self, value: Any) -> bool:
        if not isinstance(value, FeelFunction):
            return False
        if value.params is None or not self.params:
            return True
        return len(value.params) == len(self.params)


@dataclass(eq=False)
class _RangeType(FeelType):
    element: FeelType

    def __post_init__(self) -> None:
        self.name = f"range<{self.element.name}>"

    def is_instance(self, value: Any) -> bool:
        if type(value) is not Range:
            return False
        ends = [v for v in (value.start, value.end) if v is not None]
        return all(self.element.is_instance(v) for v in ends)


@dataclass(eq=False)
class ItemDefinition(FeelType):
    """A DMN `itemDefinition`: a named type built on a base type or on components.

    Attributes:
        name: The definition's name.
        base: The name of the underlying type (`typeRef`), when there is one.
        collection: `isCollection="true"`.
        components: Component name → type name or nested `ItemDefinition`.
        allowed: A compiled allowed-values test, when `allowedValues` is given.
        function: Whether this is a `functionItem`.
        output_type: A `functionItem`'s `outputTypeRef`.
    """

    name: str = "Any"
    base: str | None = None
    collection: bool = False
    components: dict[str, ItemDefinition] | None = None
    allowed: Callable[[Any], bool | None] | None = None
    function: bool = False
    output_type: str | None = None
    registry: TypeRegistry | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.is_collection = self.collection

    def _base(self) -> FeelType:
        if self.base is None or self.registry is None:
            return ANY
        return self.registry.get(self.base)

    def _element_is_instance(self, value: Any) -> bool:
        if self.function:
            return isinstance(value, FeelFunction)
        if self.components is not None:
            if type(value) is not dict:
                return False
            return all(
                k in value and (value[k] is None or t.is_instance(value[k]))
                for k, t in self.components.items()
            )
        return self._base().is_instance(value)

    def _element_conforms(self, value: Any) -> bool:
        if value is None:
            return True
        if self.components is not None:
            if type(value) is not dict:
                return False
            return all(k in value and t.conforms(value[k]) for k, t in self.components.items())
        if not self._base().conforms(value) and not self._element_is_instance(value):
            return False
        if self.allowed is not None:
            return self.allowed(value) is True
        return True

    def is_instance(self, value: Any) -> bool:
        """Return whether `value` is an instance (allowed values are not checked)."""
        if self.collection:
            return type(value) is list and all(
                v is None or self._element_is_instance(v) for v in value
            )
        return value is not None and self._element_is_instance(value)

    def conforms(self, value: Any) -> bool:
        """Return whether `value` conforms, allowed values and components included."""
        if value is None:
            return True
        if self.collection:
            if type(value) is not list:
                return False
            if self.allowed is not None and self.components is None and self.base is None:
                return all(self.allowed(v) is True for v in value)
            return all(self._element_conforms(v) for v in value)
        return self._element_conforms(value)


class TypeRegistry:
    """Resolves type names (built-in, Camunda, item definitions) and type expressions."""

    def __init__(self, definitions: Mapping[str, ItemDefinition] | None = None) -> None:
        """Create a registry over a model's item definitions."""
        self.definitions: dict[str, ItemDefinition] = dict(definitions or {})
        for definition in self.definitions.values():
            _attach(definition, self)

    def add(self, definition: ItemDefinition) -> None:
        """Register an item definition."""
        _attach(definition, self)
        self.definitions[definition.name] = definition

    def knows(self, name: str) -> bool:
        """Return whether `name` is a built-in type or an item definition."""
        return self._lookup(name) is not None

    def get(self, name: str) -> FeelType:
        """Return the type named `name` (`ANY` for an unknown name)."""
        found = self._lookup(name)
        return found if found is not None else ANY

    def _lookup(self, name: str) -> FeelType | None:
        if name in self.definitions:
            return self.definitions[name]
        local = name.rsplit(".", 1)[-1] if "." in name else name
        if local in self.definitions:
            return self.definitions[local]
        local = local.removeprefix("feel:")
        if ":" in local:
            local = local.split(":", 1)[1]
        local = _ALIASES.get(local, local)
        if local == "Any":
            return ANY
        if local in ("integer", "long"):
            return _Primitive("number", integral=True)
        if local in _PRIMITIVES or local == "duration":
            return _Primitive(local)
        return None

    def from_node(self, node: TypeNode) -> FeelType:
        """Build a type from a parsed FEEL type expression."""
        if node.name == "list" and node.args:
            return _ListType(self.from_node(node.args[0]))
        if node.name == "range" and node.args:
            return _RangeType(self.from_node(node.args[0]))
        if node.name == "context" and node.fields:
            return _ContextType({k: self.from_node(t) for k, t in node.fields})
        if node.name == "function" and node.result is not None:
            return _FunctionType(
                [self.from_node(a) for a in node.args], self.from_node(node.result)
            )
        return self.get(node.name)


def _attach(definition: ItemDefinition, registry: TypeRegistry) -> None:
    definition.registry = registry
    for component in (definition.components or {}).values():
        _attach(component, registry)
