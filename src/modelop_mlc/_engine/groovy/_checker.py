"""The deploy-time check: every construct outside the subset, with its line and column.

It walks the syntax tree once and reports imports outside the allow-list, classes and members
that reach reflection or the JVM, methods no supported type has (`inject`), unknown types in
declarations, casts and catches, `new` of classes that cannot be built, `break` outside a
loop, and literal regular expressions the linear-time engine refuses. Where a receiver's type
is known from the text (a string or list literal, a typed local, a class, `execution`), its
methods are checked against that type's table.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

from modelop_mlc._engine.groovy import _ast as a
from modelop_mlc._engine.groovy._classes import (
    CLASSES,
    FORBIDDEN_CLASSES,
    JavaClass,
    import_allowed,
    resolve_simple,
)
from modelop_mlc._engine.groovy._compile_expr import dotted
from modelop_mlc._engine.groovy._compile_stmt import exception_kind
from modelop_mlc._engine.groovy._dispatch import FORBIDDEN_MEMBERS
from modelop_mlc._engine.groovy._errors import GroovyProblem, position
from modelop_mlc._engine.groovy._execution import Execution
from modelop_mlc._engine.groovy._gdk import LIST_METHODS
from modelop_mlc._engine.groovy._gdk_maps import MAP_METHODS, NUMBER_METHODS
from modelop_mlc._engine.groovy._java import DateValue, UuidValue
from modelop_mlc._engine.groovy._java_objects import (
    Bytes,
    JsonSlurperValue,
    Logger,
    StringBuilderValue,
)
from modelop_mlc._engine.groovy._sdk import EnumConstant
from modelop_mlc._engine.groovy._strings import STRING_METHODS, MatcherValue, PatternValue
from modelop_mlc._engine.groovy._types import known_type
from modelop_mlc.dmn._bounded_regex import RegexRefusedError, compile_bounded

__all__ = ["check_tree"]

_COMMON: Final = frozenset({"toString", "equals", "is", "asBoolean", "hashCode"})
_OBJECT_TABLES: Final = (
    UuidValue, DateValue, Logger, Bytes, StringBuilderValue, JsonSlurperValue, MatcherValue,
    PatternValue, EnumConstant, Execution,
)  # fmt: skip
_EXTRA: Final = frozenset(
    {"call", "doCall", "getMaximumNumberOfParameters", "booleanValue", "getFrom", "getTo",
     "getMessage", "getLocalizedMessage", "getCause", "getErrorCode", "getCode", "println",
     "print"}
)  # fmt: skip
KNOWN_METHODS: Final = frozenset(
    set(STRING_METHODS)
    | set(LIST_METHODS)
    | set(MAP_METHODS)
    | set(NUMBER_METHODS)
    | _COMMON
    | _EXTRA
    | {name for table in _OBJECT_TABLES for name in table.METHODS}
    | {name for cls in CLASSES.values() for name in cls.statics}
)
# GDK methods scripts reach for that the subset does not have (refused even without a closure).
_UNSUPPORTED_GDK: Final = frozenset(
    {"inject", "collectMany", "collectNested", "withIndex", "indexed", "permutations",
     "eachPermutation", "combinations", "transpose", "withDefault", "splitEachLine", "stream",
     "parallelStream", "forEach", "eachByte", "eachMatch", "findAllMatches", "memoize", "curry",
     "rcurry", "ncurry", "trampoline"}
)  # fmt: skip
_ACCESSOR: Final = re.compile(r"(get|set|is)[A-Z_]\w*")
_PACKAGE_ROOTS: Final = frozenset(
    {"java", "javax", "groovy", "org", "com", "sun", "jdk", "net", "io"}
)
_BARE_FORBIDDEN: Final = frozenset(
    {"owner", "delegate", "thisObject", "binding", "metaClass", "this", "super", "out"}
)
_FORBIDDEN_CALLS: Final = frozenset(
    {"evaluate", "sleep", "getClass", "invokeMethod", "getProperty", "setProperty",
     "getBinding", "getMetaClass", "printf", "sprintf", "run", "use", "with", "system", "load",
     "addShutdownHook", "exit", "grab"}
)  # fmt: skip
_REGEX_METHODS: Final = frozenset({"matches", "split", "replaceAll", "replaceFirst"})
_TYPED: Final[dict[str, Collection[str]]] = {
    "String": STRING_METHODS, "List": LIST_METHODS, "ArrayList": LIST_METHODS,
    "Map": MAP_METHODS, "HashMap": MAP_METHODS, "LinkedHashMap": MAP_METHODS,
}  # fmt: skip


class _Checker:
    def __init__(self, source: str, script: a.Script) -> None:
        self.source = source
        self.script = script
        self.problems: list[GroovyProblem] = []
        self.warnings: list[GroovyProblem] = []
        self.imports = [(i.name, i.star) for i in script.imports]
        self.locals: set[str] = {"it"}
        self.typed: dict[str, str] = {}
        for node in a.walk(script):
            if isinstance(node, a.Decl):
                for name, _ in node.items:
                    self.locals.add(name)
                    if node.type_name:
                        self.typed[name] = node.type_name.split("<")[0]
            elif isinstance(node, a.ForIn):
                self.locals.add(node.var)
            elif isinstance(node, a.ClosureLit) and node.params:
                self.locals.update(node.params)
            elif isinstance(node, a.Catch):
                self.locals.add(node.name)

    def problem(self, node: a.Node, message: str) -> None:
        line, column = position(self.source, node.pos)
        self.problems.append(GroovyProblem(line, column, message))

    def warn(self, node: a.Node, message: str) -> None:
        line, column = position(self.source, node.pos)
        self.warnings.append(GroovyProblem(line, column, message))

    def run(self) -> None:
        for item in self.script.imports:
            self.check_import(item)
        self.walk(self.script.body, in_loop=False)

    def check_import(self, item: a.Import) -> None:
        if item.static:
            self.problem(item, f"static imports (import static {item.name}) are not supported")
        elif item.alias:
            self.problem(item, f"import aliases (as {item.alias}) are not supported")
        elif not import_allowed(item.name, star=item.star):
            shown = item.name + (".*" if item.star else "")
            self.problem(
                item,
                f"import {shown} is not allowed: only ModelOp's SDK classes, java.util, "
                "java.math, SLF4J, groovy.json and Camunda's BpmnError can be used",
            )

    def walk(self, body: list[a.Node], *, in_loop: bool) -> None:
        for node in body:
            self.visit(node, in_loop=in_loop)

    def visit(self, node: a.Node, *, in_loop: bool) -> None:
        if isinstance(node, a.Refused):
            self.problem(node, f"{node.what} are not supported")
            return
        if isinstance(node, a.Jump) and not in_loop:
            self.problem(node, f"{node.kind} outside a loop is not allowed")
        elif isinstance(node, a.ClosureLit):
            self.walk(node.body, in_loop=False)
            return
        elif isinstance(node, a.While | a.ForIn | a.ForC):
            for child in node.children():
                self.visit(child, in_loop=child is getattr(node, "body", None) or in_loop)
            return
        elif isinstance(node, a.Name):
            self.check_name(node)
        elif isinstance(node, a.Prop):
            if self.check_chain(node):
                return
            path = dotted(node)
            if path and path[0] in _PACKAGE_ROOTS and path[0] not in self.locals:
                return  # a package path: `org` fails as an unknown variable when it runs
            self.check_member(node, node.name)
        elif isinstance(node, a.Call):
            self.check_call(node)
        elif isinstance(node, a.New):
            self.check_new(node)
        elif isinstance(node, a.Cast | a.InstanceOf | a.Decl):
            type_name = node.type_name
            if type_name and not known_type(type_name, self.imports):
                self.problem(node, f"type {type_name} is not known here")
        elif isinstance(node, a.Catch):
            for kind in node.types:
                if exception_kind(kind) is None:
                    self.problem(
                        node,
                        f"catching {kind} is not supported; catch Exception, "
                        "BpmnError or a common java.lang exception",
                    )
        elif isinstance(node, a.Binary) and node.op in {"=~", "==~"}:
            self.check_regex(node.right)
        elif isinstance(node, a.Unary) and node.op == "~":
            self.check_regex(node.operand)
        for child in node.children():
            self.visit(child, in_loop=in_loop)

    def check_name(self, node: a.Name) -> None:
        name = node.name
        if name in self.locals:
            return
        if name in FORBIDDEN_CLASSES:
            self.problem(
                node,
                f"class {name} is not allowed in scripts (no JVM, file, process or network access)",
            )
        elif name in _BARE_FORBIDDEN:
            self.problem(node, f"'{name}' is not available in scripts")
        elif name[:1].isupper() and resolve_simple(name, self.imports) is None:
            qualified = _qualified(name)
            if qualified:
                self.problem(node, f"class {name} is not imported; add `import {qualified}`")

    def check_chain(self, node: a.Prop) -> bool:
        """Check a dotted chain naming a package; True when it was handled."""
        path = dotted(node)
        if path is None or path[0] in self.locals or path[0] not in _PACKAGE_ROOTS:
            return False
        for end in range(len(path), 1, -1):
            found = CLASSES.get(".".join(path[:end]))
            if found is not None:
                self.check_statics(node, found, path[end:])
                return True
        capital = next((i for i, part in enumerate(path) if part[:1].isupper()), None)
        if capital is not None:
            shown = ".".join(path[: capital + 1])
            self.problem(node, f"class {shown} is not on the allow-list")
            return True
        return False

    def check_statics(self, node: a.Node, cls: JavaClass, rest: list[str]) -> None:
        value: object = cls
        for name in rest:
            if not isinstance(value, JavaClass):
                return
            if name in value.fields or (
                (value.enum_constants or value.open_enum) and name.isupper()
            ):
                value = value.fields.get(name)
                continue
            self.problem(node, f"{value.name} has no static field {name}")
            return

    def check_member(self, node: a.Node, name: str) -> None:
        if name in FORBIDDEN_MEMBERS:
            self.problem(
                node, f"'{name}' is not allowed in scripts (no reflection or metaprogramming)"
            )

    def check_call(self, node: a.Call) -> None:
        name = node.name
        closure = any(isinstance(arg, a.ClosureLit) for arg in node.args)
        if node.obj is None:
            if name in _FORBIDDEN_CALLS:
                self.problem(node, f"{name}() is not allowed in scripts")
            return
        if name in FORBIDDEN_MEMBERS:
            self.check_member(node, name)
            return
        path = dotted(node.obj)
        if path and path[0] not in self.locals and path[0] in _PACKAGE_ROOTS:
            full = ".".join([*path, name])
            if CLASSES.get(full) is not None and not any(
                CLASSES.get(".".join(path[:e])) for e in range(len(path), 1, -1)
            ):
                self.warn(
                    node,
                    f"{full}(...) without `new` neither creates nor throws the error: Groovy "
                    f"reads '{path[0]}' as a variable, which fails when this line runs (as in "
                    f"Camunda); write `throw new {full}(...)`",
                )
                return
        unknown = name not in KNOWN_METHODS and not _ACCESSOR.fullmatch(name)
        if name in _UNSUPPORTED_GDK or (closure and unknown):
            kind = "closure method" if closure else "method"
            self.problem(node, f"{kind} `{name}` is not supported")
            return
        receiver = self.receiver_table(node.obj)
        if receiver is not None:
            table, what = receiver
            if name not in table and name not in _COMMON:
                self.problem(node, f"{what} has no method {name}()")
                return
        if name in _REGEX_METHODS and node.args:
            self.check_regex(node.args[0])

    def receiver_table(self, obj: a.Node) -> tuple[Collection[str], str] | None:
        if (isinstance(obj, a.Lit) and isinstance(obj.value, str)) or isinstance(obj, a.GStr):
            return STRING_METHODS, "String"
        if isinstance(obj, a.ListLit):
            return LIST_METHODS, "a list"
        if isinstance(obj, a.Name) and obj.name in self.typed:
            table = _TYPED.get(self.typed[obj.name])
            if table is not None:
                return table, f"{obj.name} ({self.typed[obj.name]})"
        if isinstance(obj, a.Name) and obj.name == "execution" and "execution" not in self.locals:
            return Execution.METHODS, "execution"
        path = dotted(obj) if isinstance(obj, a.Name | a.Prop) else None
        if path and path[0] not in self.locals:
            cls = self.static_class(path)
            if cls is not None:
                return set(cls.statics), f"class {cls.name}"
        return None

    def static_class(self, path: list[str]) -> JavaClass | None:
        """The class a dotted path names (simple, imported, qualified or nested), if any."""
        found = resolve_simple(path[0], self.imports)
        rest = path[1:]
        if found is None:
            for end in range(len(path), 1, -1):
                found = CLASSES.get(".".join(path[:end]))
                if found is not None:
                    rest = path[end:]
                    break
        for name in rest:
            nested = found.fields.get(name) if found is not None else None
            found = nested if isinstance(nested, JavaClass) else None
        return found

    def check_new(self, node: a.New) -> None:
        name = node.type_name.split("<")[0]
        cls = CLASSES.get(name) if "." in name else resolve_simple(name, self.imports)
        if cls is None:
            qualified = _qualified(name) if "." not in name else None
            hint = f"; add `import {qualified}`" if qualified else ""
            self.problem(node, f"new {name}(): the class is not on the allow-list{hint}")
        elif cls.construct is None:
            self.problem(node, f"new {name}(): the class cannot be instantiated in scripts")

    def check_regex(self, node: a.Node) -> None:
        if isinstance(node, a.Lit) and isinstance(node.value, str):
            try:
                compile_bounded(node.value)
            except RegexRefusedError as err:
                self.problem(node, str(err))


def _qualified(simple: str) -> str | None:
    """The allow-listed class with this simple name, for an import hint."""
    matches = sorted(name for name in CLASSES if name.rsplit(".", 1)[-1] == simple)
    top = [m for m in matches if not any(m.startswith(o + ".") for o in matches if o != m)]
    return top[0] if top else None


def check_tree(source: str, script: a.Script) -> tuple[list[GroovyProblem], list[GroovyProblem]]:
    """Check a parsed script; return `(problems, warnings)`."""
    checker = _Checker(source, script)
    checker.run()
    return checker.problems, checker.warnings
