"""The class allow-list: every class a script may name, with its statics and constructor.

A script can only reach classes registered here (by `_java` for the JDK, Groovy and Camunda
classes, by `_sdk` for ModelOp's SDK). Names resolve as Groovy resolves them: a qualified name,
an imported class or package, or one of Groovy's default imports (`java.lang.*`,
`java.util.*`, `java.math.BigDecimal`, `java.math.BigInteger`, `groovy.lang.*`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._values import JavaObject, type_name

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = [
    "CLASSES",
    "DEFAULT_PACKAGES",
    "FORBIDDEN_CLASSES",
    "EnumConstant",
    "JavaClass",
    "register",
]

StaticFn = Callable[["Context", list[Any]], Any]
Constructor = Callable[["Context", list[Any], dict[str, Any]], Any]

DEFAULT_PACKAGES: Final = ("java.lang", "java.util", "groovy.lang", "groovy.util", "java.io")
_DEFAULT_CLASSES: Final = {
    "BigDecimal": "java.math.BigDecimal",
    "BigInteger": "java.math.BigInteger",
}
FORBIDDEN_CLASSES: Final = frozenset(
    {
        "Class", "ClassLoader", "Runtime", "System", "Thread", "ThreadGroup", "Process",
        "ProcessBuilder", "File", "Files", "Path", "Paths", "URL", "URI", "Socket",
        "ServerSocket", "HttpURLConnection", "GroovyShell", "GroovyClassLoader", "Eval",
        "Binding", "MetaClass", "ExpandoMetaClass", "Script", "Method", "Field", "Constructor",
        "Proxy", "Unsafe", "SecurityManager", "ScriptEngineManager", "ObjectInputStream",
        "FileInputStream", "FileOutputStream", "FileReader", "FileWriter", "PrintWriter",
        "InetAddress", "Executors", "Timer", "AntBuilder", "Grape", "Sql", "Expando",
        "DataSource", "JavaCompiler", "ToolProvider",
    }
)  # fmt: skip
_ENUM_CONSTANT: Final = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(eq=False)
class JavaClass(JavaObject):
    """A class a script may name: static methods and fields, a constructor, an `instanceof`.

    Attributes:
        name: The qualified name (`java.util.UUID`; nested classes as `...FileAsset.FileFormat`).
        statics: Static methods by name.
        fields: Static fields, enum constants and nested classes by name.
        construct: Builds an instance for `new`, or None when `new` is not allowed.
        test: Tells whether a value is an instance (for `instanceof` and `catch`).
        enum_constants: For an enum, the documented constants; `open_enum` accepts any
            upper-case name too (ModelOp's lists grow; unknown roles are kept as text).
    """

    name: str
    statics: dict[str, StaticFn] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    construct: Constructor | None = None
    test: Callable[[Any], bool] | None = None
    enum_constants: tuple[str, ...] = ()
    open_enum: bool = False

    TYPE: ClassVar[str] = "Class"
    QUALIFIED: ClassVar[str] = "java.lang.Class"

    @property
    def simple(self) -> str:
        """The simple name (`UUID`, `FileFormat`)."""
        return self.name.rsplit(".", 1)[-1]

    def __hash__(self) -> int:
        """Classes are compared by identity."""
        return id(self)

    def to_string(self) -> str:
        """`class java.util.UUID`."""
        return f"class {self.name}"

    def static_field(self, name: str) -> Any:
        """Read a static field, enum constant or nested class; raise when there is none."""
        if name in self.fields:
            return self.fields[name]
        if name in self.enum_constants or (self.open_enum and _ENUM_CONSTANT.fullmatch(name)):
            return EnumConstant(self, name)
        raise java_error(
            "MissingPropertyException",
            f"No such property: {name} for class: {self.name}",
        )

    def is_instance(self, value: Any) -> bool:
        """`value instanceof this`."""
        return self.test(value) if self.test is not None else False


CLASSES: dict[str, JavaClass] = {}


def register(cls: JavaClass) -> JavaClass:
    """Add `cls` to the allow-list (and its nested classes under their dotted names)."""
    CLASSES[cls.name] = cls
    for name, value in cls.fields.items():
        if isinstance(value, JavaClass):
            CLASSES[f"{cls.name}.{name}"] = value
    return cls


def resolve_simple(simple: str, imports: Iterable[tuple[str, bool]]) -> JavaClass | None:
    """Resolve a simple class name through explicit imports, star imports and defaults.

    Args:
        simple: `UUID`, `FileAsset`, ...
        imports: `(name, star)` pairs from the script's import lines.
    """
    stars: list[str] = []
    for name, star in imports:
        if star:
            stars.append(name)
        elif name.rsplit(".", 1)[-1] == simple:
            return CLASSES.get(name)
    for package in (*stars, *DEFAULT_PACKAGES):
        found = CLASSES.get(f"{package}.{simple}")
        if found is not None:
            return found
    default = _DEFAULT_CLASSES.get(simple)
    return CLASSES.get(default) if default else None


def import_allowed(name: str, *, star: bool) -> bool:
    """Whether an `import` line names an allowed class or a package holding some."""
    if star:
        prefix = name + "."
        return any(qualified.startswith(prefix) for qualified in CLASSES)
    return name in CLASSES


def type_test(
    *python_types: type, predicate: Callable[[Any], bool] | None = None
) -> Callable[[Any], bool]:
    """An `instanceof` test from Python types (booleans never count as numbers)."""

    def test(value: Any) -> bool:
        if isinstance(value, bool) and bool not in python_types:
            return False
        if python_types and isinstance(value, python_types):
            return True
        return predicate(value) if predicate is not None else False

    return test


def need(name: str, args: list[Any], low: int, high: int | None = None) -> bool:
    """Refuse a call with the wrong number of arguments, as Groovy would; else True."""
    top = low if high is None else high
    if not low <= len(args) <= top:
        types = ", ".join(type_name(a) for a in args)
        raise java_error(
            "MissingMethodException",
            f"No signature of method: {name}() is applicable for argument types: ({types})",
        )
    return True


def lookup_class(name: str) -> JavaClass | None:
    """The class registered under the qualified `name`."""
    return CLASSES.get(name)


def classes_in(mapping: Mapping[str, JavaClass], package: str) -> list[str]:
    """The simple names registered in `package` (for messages)."""
    prefix = package + "."
    return sorted(
        k[len(prefix) :] for k in mapping if k.startswith(prefix) and "." not in k[len(prefix) :]
    )


class EnumConstant(JavaObject):
    """An enum constant; equal to another constant or to text of the same name."""

    __slots__ = ("enum", "name")
    TYPE = "Enum"
    QUALIFIED = "java.lang.Enum"
    METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, enum: JavaClass, name: str) -> None:
        """Create the constant `name` of `enum`."""
        self.enum = enum
        self.name = name

    def to_string(self) -> str:
        """The constant's name."""
        return self.name

    def groovy_equals(self, other: Any) -> bool:
        """Equal to a constant or a text of the same name."""
        if isinstance(other, EnumConstant):
            return other.name == self.name and other.enum.simple == self.enum.simple
        return isinstance(other, str) and other == self.name

    def __eq__(self, other: object) -> bool:
        """Python equality follows Groovy's, so constants find map keys of the same name."""
        return self.groovy_equals(other)

    def __hash__(self) -> int:
        """Hash as the name does."""
        return hash(self.name)

    def compare_to(self, other: Any) -> int | None:
        """Order by position in the documented list, else by name."""
        if not isinstance(other, EnumConstant | str):
            return None
        name = other.name if isinstance(other, EnumConstant) else other
        order = self.enum.enum_constants
        if self.name in order and name in order:
            return order.index(self.name) - order.index(name)
        return (self.name > name) - (self.name < name)

    def to_json(self) -> Any:
        """Stored as its name."""
        return self.name
