"""Compile expressions into Python closures over a `Frame`, once per script text.

Names are resolved at compile time where Groovy resolves them: a declared local (found at a
known depth of closure frames), a class (qualified, imported or a default import; static
fields and enum constants are folded into constants), or else a name looked up when it runs
(script binding, process variable, `execution`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from modelop_mlc._engine.groovy import _ast as a
from modelop_mlc._engine.groovy._classes import (
    CLASSES,
    FORBIDDEN_CLASSES,
    JavaClass,
    resolve_simple,
)
from modelop_mlc._engine.groovy._dispatch import (
    call_method,
    get_index,
    get_property,
    set_index,
    set_property,
)
from modelop_mlc._engine.groovy._errors import (
    GroovySecurityError,
    GroovyThrow,
    JavaException,
    java_error,
)
from modelop_mlc._engine.groovy._java_objects import StringBuilderValue
from modelop_mlc._engine.groovy._runtime import Frame
from modelop_mlc._engine.groovy._strings import MatcherValue, PatternValue, regex
from modelop_mlc._engine.groovy._types import cast, instance_test
from modelop_mlc._engine.groovy._values import (
    GClosure,
    GRange,
    arith,
    compare,
    contains,
    equals,
    negate,
    number_op,
    to_int,
    to_str,
    truth,
    type_name,
)

__all__ = ["ExprCompiler", "Fn", "Scope"]

Fn = Callable[[Frame], Any]
_COMPARE: Final[dict[str, Callable[[int], bool]]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}
_BUILTIN_CALLS: Final = frozenset({"println", "print"})
_FORBIDDEN_CALLS: Final = frozenset(
    {"evaluate", "sleep", "getClass", "invokeMethod", "getProperty", "setProperty",
     "getBinding", "getMetaClass", "printf", "sprintf", "run", "use", "with", "addShutdownHook",
     "exit", "system", "load", "Eval", "grab"}
)  # fmt: skip


class Scope:
    """Compile-time scope: the locals declared so far; `closure` marks a new runtime frame."""

    def __init__(self, parent: Scope | None, *, closure: bool) -> None:
        """Open a scope inside `parent`."""
        self.parent = parent
        self.closure = closure
        self.names: set[str] = set()
        self.in_loop = False

    def depth_of(self, name: str) -> int | None:
        """How many closure frames up `name` is declared, or None if it is not a local."""
        depth = 0
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return depth
            if scope.closure:
                depth += 1
            scope = scope.parent
        return None


def _const(value: Any) -> Fn:
    return lambda frame: value


def _refused(message: str) -> Fn:
    def run(frame: Frame) -> Any:
        raise GroovySecurityError(message)

    return run


class ExprCompiler:
    """Expression half of the compiler; `_compile_stmt.Compiler` adds statements and closures."""

    def __init__(self, source: str, imports: list[tuple[str, bool]]) -> None:
        """Compile against the script's imports."""
        self.source = source
        self.imports = imports

    def line(self, node: a.Node) -> int:
        """The 1-based line of `node` in the script."""
        return self.source.count("\n", 0, node.pos) + 1

    def closure(self, node: a.ClosureLit, scope: Scope) -> Fn:  # pragma: no cover - abstract
        """Compile a closure literal (statements live in the subclass)."""
        raise NotImplementedError

    # ------------------------------------------------------------ names and classes

    def resolve_class(self, node: a.Node, scope: Scope) -> JavaClass | None:
        """The class a `Name` / dotted `Prop` chain names, if it names one."""
        path = dotted(node)
        if path is None or scope.depth_of(path[0]) is not None:
            return None
        found = resolve_simple(path[0], self.imports)
        start = 1
        if found is None:
            for end in range(len(path), 1, -1):
                found = CLASSES.get(".".join(path[:end]))
                if found is not None:
                    start = end
                    break
        if found is None:
            return None
        value: Any = found
        for name in path[start:]:
            if not isinstance(value, JavaClass):
                return None
            value = value.static_field(name)
        return value if isinstance(value, JavaClass) else None

    def static_value(self, node: a.Node, scope: Scope) -> tuple[bool, Any]:
        """`(True, value)` when `node` is a class or a static member folded at compile time."""
        path = dotted(node)
        if path is None or scope.depth_of(path[0]) is not None:
            return False, None
        if len(path) == 1:
            found = resolve_simple(path[0], self.imports)
            return (found is not None), found
        owner = self.resolve_class(node.obj, scope) if isinstance(node, a.Prop) else None
        if owner is None:
            own = self.resolve_class(node, scope)
            return (own is not None), own
        try:
            return True, owner.static_field(path[-1])
        except GroovyThrow:
            return False, None

    def name(self, node: a.Name, scope: Scope) -> Fn:
        name = node.name
        depth = scope.depth_of(name)
        if depth == 0:
            return lambda frame: frame.vars.get(name)
        if depth is not None:
            return self.outer(name, depth)
        found = resolve_simple(name, self.imports)
        if found is not None:
            return _const(found)
        if name in FORBIDDEN_CLASSES:
            return _refused(f"class {name} is not allowed in scripts")
        return lambda frame: frame.ctx.lookup(name)

    @staticmethod
    def outer(name: str, depth: int) -> Fn:
        def run(frame: Frame) -> Any:
            target: Frame | None = frame
            for _ in range(depth):
                target = target.parent if target is not None else None
            return target.vars.get(name) if target is not None else None

        return run

    # ------------------------------------------------------------ expressions

    def expr(self, node: a.Node, scope: Scope) -> Fn:
        """Compile one expression node."""
        if isinstance(node, a.Lit):
            return _const(node.value)
        if isinstance(node, a.Name):
            return self.name(node, scope)
        if isinstance(node, a.Prop):
            return self.prop(node, scope)
        if isinstance(node, a.Call):
            return self.call(node, scope)
        if isinstance(node, a.GStr):
            return self.gstring(node, scope)
        if isinstance(node, a.Binary):
            return self.binary(node, scope)
        if isinstance(node, a.Logic):
            left, right = self.expr(node.left, scope), self.expr(node.right, scope)
            if node.op == "&&":
                return lambda frame: truth(left(frame)) and truth(right(frame))
            return lambda frame: truth(left(frame)) or truth(right(frame))
        if isinstance(node, a.Index):
            return self.index(node, scope)
        if isinstance(node, a.Assign):
            return self.assign(node, scope)
        if isinstance(node, a.ListLit):
            items = [self.expr(item, scope) for item in node.items]

            def make_list(frame: Frame) -> list[Any]:
                frame.ctx.budget.items(len(items))
                return [item(frame) for item in items]

            return make_list
        if isinstance(node, a.MapLit):
            return self.map_literal(node, scope)
        if isinstance(node, a.Ternary):
            cond, yes, no = (self.expr(n, scope) for n in (node.cond, node.yes, node.no))
            return lambda frame: yes(frame) if truth(cond(frame)) else no(frame)
        if isinstance(node, a.Elvis):
            left, right = self.expr(node.left, scope), self.expr(node.right, scope)

            def elvis(frame: Frame) -> Any:
                value = left(frame)
                return value if truth(value) else right(frame)

            return elvis
        if isinstance(node, a.Unary):
            return self.unary(node, scope)
        if isinstance(node, a.IncDec):
            return self.inc_dec(node, scope)
        if isinstance(node, a.ClosureLit):
            return self.closure(node, scope)
        if isinstance(node, a.New):
            return self.new(node, scope)
        if isinstance(node, a.RangeLit):
            low, high = self.expr(node.low, scope), self.expr(node.high, scope)
            exclusive = node.exclusive
            return lambda frame: GRange(
                to_int(low(frame), "range start"),
                to_int(high(frame), "range end"),
                exclusive=exclusive,
            )
        if isinstance(node, a.Cast):
            inner = self.expr(node.expr, scope)
            type_name_, imports = node.type_name, self.imports
            return lambda frame: cast(frame.ctx, inner(frame), type_name_, imports)
        if isinstance(node, a.InstanceOf):
            inner = self.expr(node.expr, scope)
            test = instance_test(node.type_name, self.imports)
            negated = node.negated
            return lambda frame: test(inner(frame)) != negated
        if isinstance(node, a.CallValue):
            callee = self.expr(node.callee, scope)
            args = [self.expr(arg, scope) for arg in node.args]
            return lambda frame: call_method(
                frame.ctx, callee(frame), "call", [f(frame) for f in args]
            )
        if isinstance(node, a.Refused):
            return _refused(f"{node.what} are not supported")
        raise GroovySecurityError(f"unsupported expression {type(node).__name__}")

    def prop(self, node: a.Prop, scope: Scope) -> Fn:
        folded, value = self.static_value(node, scope)
        if folded:
            return _const(value)
        obj = self.expr(node.obj, scope)
        name = node.name
        if node.spread:
            return lambda frame: _spread(
                frame, obj(frame), lambda item: get_property(frame.ctx, item, name)
            )
        if node.safe:

            def safe(frame: Frame) -> Any:
                target = obj(frame)
                return None if target is None else get_property(frame.ctx, target, name)

            return safe
        return lambda frame: get_property(frame.ctx, obj(frame), name)

    def index(self, node: a.Index, scope: Scope) -> Fn:
        obj, index = self.expr(node.obj, scope), self.expr(node.index, scope)
        if node.safe:

            def safe(frame: Frame) -> Any:
                target = obj(frame)
                return None if target is None else get_index(frame.ctx, target, index(frame))

            return safe
        return lambda frame: get_index(frame.ctx, obj(frame), index(frame))

    def arguments(self, node: a.Call | a.New, scope: Scope) -> Callable[[Frame], list[Any]]:
        args = [self.expr(arg, scope) for arg in node.args]
        if not node.named:
            return lambda frame: [arg(frame) for arg in args]
        named = [(self.expr(k, scope), self.expr(v, scope)) for k, v in node.named]
        return lambda frame: [{k(frame): v(frame) for k, v in named}, *(arg(frame) for arg in args)]

    def call(self, node: a.Call, scope: Scope) -> Fn:
        name = node.name
        args = self.arguments(node, scope)
        if node.obj is None:
            return self.bare_call(node, scope, args)
        folded, owner = self.static_value(node.obj, scope)
        if folded and isinstance(owner, JavaClass) and name in owner.statics:
            static = owner.statics[name]
            return lambda frame: static(frame.ctx, args(frame))
        obj = self.expr(node.obj, scope)
        if node.spread:
            return lambda frame: _spread(
                frame, obj(frame), lambda item: call_method(frame.ctx, item, name, args(frame))
            )
        if node.safe:

            def safe(frame: Frame) -> Any:
                target = obj(frame)
                return None if target is None else call_method(frame.ctx, target, name, args(frame))

            return safe
        return lambda frame: call_method(frame.ctx, obj(frame), name, args(frame))

    def bare_call(self, node: a.Call, scope: Scope, args: Callable[[Frame], list[Any]]) -> Fn:
        name = node.name
        if name in _FORBIDDEN_CALLS:
            return _refused(f"{name}() is not allowed in scripts")
        depth = scope.depth_of(name)
        if depth is not None:
            local = self.name(a.Name(node.pos, name), scope)
            return lambda frame: call_method(frame.ctx, local(frame), "call", args(frame))
        if name in _BUILTIN_CALLS:
            newline = name == "println"

            def out(frame: Frame) -> None:
                values = args(frame)
                text = " ".join(to_str(v) for v in values) if values else ""
                frame.ctx.write_output("info", name, text if newline or values else "")

            return out

        def dynamic(frame: Frame) -> Any:
            ctx = frame.ctx
            if name in ctx.binding or ctx.variables.has(name):
                target = ctx.lookup(name)
                if isinstance(target, GClosure):
                    return target.invoke(target, args(frame))
            raise java_error(
                "MissingMethodException",
                f"No signature of method: Script.{name}() is applicable (no such function; "
                "call methods on objects, e.g. execution.setVariable(...))",
            )

        return dynamic

    def new(self, node: a.New, scope: Scope) -> Fn:
        cls = self.resolve_class(_name_chain(node.pos, node.type_name), scope)
        if cls is None or cls.construct is None:
            why = "is not on the allow-list" if cls is None else "cannot be instantiated"
            return _refused(f"new {node.type_name}(): the class {why}")
        construct = cls.construct
        args = [self.expr(arg, scope) for arg in node.args]
        named = [(self.expr(k, scope), self.expr(v, scope)) for k, v in node.named]
        return lambda frame: construct(
            frame.ctx, [f(frame) for f in args], {to_str(k(frame)): v(frame) for k, v in named}
        )

    def gstring(self, node: a.GStr, scope: Scope) -> Fn:
        parts: list[str | Fn] = [
            part if isinstance(part, str) else self.expr(part, scope) for part in node.parts
        ]

        def render(frame: Frame) -> str:
            texts = [part if isinstance(part, str) else to_str(part(frame)) for part in parts]
            frame.ctx.budget.string(sum(map(len, texts)))
            return "".join(texts)

        return render

    def map_literal(self, node: a.MapLit, scope: Scope) -> Fn:
        entries = [(self.expr(k, scope), self.expr(v, scope)) for k, v in node.entries]

        def make_map(frame: Frame) -> dict[Any, Any]:
            frame.ctx.budget.items(len(entries))
            out: dict[Any, Any] = {}
            for key, value in entries:
                k = key(frame)
                try:
                    out[k] = value(frame)
                except TypeError:
                    out[to_str(k)] = value(frame)
            return out

        return make_map

    def unary(self, node: a.Unary, scope: Scope) -> Fn:
        operand = self.expr(node.operand, scope)
        op = node.op
        if op == "!":
            return lambda frame: not truth(operand(frame))
        if op == "-":
            return lambda frame: negate(operand(frame))
        if op == "+":
            return operand
        return lambda frame: _bitwise_not(operand(frame))

    def binary(self, node: a.Binary, scope: Scope) -> Fn:
        left, right = self.expr(node.left, scope), self.expr(node.right, scope)
        op = node.op
        if op == "==":
            return lambda frame: equals(left(frame), right(frame))
        if op == "!=":
            return lambda frame: not equals(left(frame), right(frame))
        if op in _COMPARE:
            test = _COMPARE[op]
            return lambda frame: test(compare(left(frame), right(frame)))
        if op == "<=>":
            return lambda frame: compare(left(frame), right(frame))
        if op in {"in", "!in"}:
            negated = op == "!in"
            return lambda frame: contains(right(frame), left(frame)) != negated
        if op in {"===", "!=="}:
            negated = op == "!=="
            return lambda frame: _identical(left(frame), right(frame)) != negated
        if op == "=~":
            return lambda frame: MatcherValue(regex(right(frame)), to_str(left(frame)))
        if op == "==~":
            return lambda frame: regex(right(frame)).fullmatch(to_str(left(frame))) is not None
        if op in {"<<", ">>", ">>>", "&", "|", "^"}:
            return lambda frame: _bits(frame, op, left(frame), right(frame))
        if op in {"+", "-", "*"}:

            def arithmetic(frame: Frame) -> Any:
                x, y = left(frame), right(frame)
                if type(x) is int and type(y) is int:
                    return number_op(op, x, y)
                return arith(op, x, y, frame.ctx.budget)

            return arithmetic
        return lambda frame: arith(op, left(frame), right(frame), frame.ctx.budget)

    # ------------------------------------------------------------ assignment

    def local_writer(self, name: str, scope: Scope) -> Callable[[Frame, Any], None]:
        """Write a name: a local at its depth, else the script binding (never a variable)."""
        depth = scope.depth_of(name)
        if depth is None:

            def write_binding(frame: Frame, value: Any) -> None:
                frame.ctx.binding[name] = value

            return write_binding

        def write_local(frame: Frame, value: Any) -> None:
            target: Frame | None = frame
            for _ in range(depth):
                target = target.parent if target is not None else None
            if target is not None:
                target.vars[name] = value

        return write_local

    def updater(
        self, node: a.Node, scope: Scope
    ) -> Callable[[Frame, Callable[[Any], Any]], tuple[Any, Any]]:
        """Read-modify-write of an assignable expression, evaluating its parts once."""
        if isinstance(node, a.Name):
            read = self.name(node, scope)
            write = self.local_writer(node.name, scope)

            def update_name(frame: Frame, change: Callable[[Any], Any]) -> tuple[Any, Any]:
                old = read(frame)
                new = change(old)
                write(frame, new)
                return old, new

            return update_name
        if isinstance(node, a.Prop):
            obj, name, safe = self.expr(node.obj, scope), node.name, node.safe

            def update_prop(frame: Frame, change: Callable[[Any], Any]) -> tuple[Any, Any]:
                target = obj(frame)
                if target is None and safe:
                    return None, None
                old = get_property(frame.ctx, target, name)
                new = change(old)
                set_property(frame.ctx, target, name, new)
                return old, new

            return update_prop
        if isinstance(node, a.Index):
            obj, index = self.expr(node.obj, scope), self.expr(node.index, scope)

            def update_index(frame: Frame, change: Callable[[Any], Any]) -> tuple[Any, Any]:
                target, key = obj(frame), index(frame)
                old = get_index(frame.ctx, target, key)
                new = change(old)
                set_index(frame.ctx, target, key, new)
                return old, new

            return update_index
        raise GroovySecurityError("only variables, properties and elements can be assigned")

    def assign(self, node: a.Assign, scope: Scope) -> Fn:
        value = self.expr(node.value, scope)
        target = node.target
        if node.op != "=":
            update = self.updater(target, scope)
            op = node.op[:-1]
            return lambda frame: update(frame, lambda old: _combine(frame, op, old, value(frame)))[
                1
            ]
        if isinstance(target, a.Name):
            write = self.local_writer(target.name, scope)

            def assign_name(frame: Frame) -> Any:
                result = value(frame)
                write(frame, result)
                return result

            return assign_name
        if isinstance(target, a.Prop):
            obj, name, safe = self.expr(target.obj, scope), target.name, target.safe

            def assign_prop(frame: Frame) -> Any:
                owner = obj(frame)
                result = value(frame)
                if owner is None and safe:
                    return result
                set_property(frame.ctx, owner, name, result)
                return result

            return assign_prop
        if isinstance(target, a.Index):
            obj, index = self.expr(target.obj, scope), self.expr(target.index, scope)

            def assign_index(frame: Frame) -> Any:
                owner, key = obj(frame), index(frame)
                result = value(frame)
                set_index(frame.ctx, owner, key, result)
                return result

            return assign_index
        raise GroovySecurityError("only variables, properties and elements can be assigned")

    def inc_dec(self, node: a.IncDec, scope: Scope) -> Fn:
        update = self.updater(node.target, scope)
        op = "+" if node.op == "++" else "-"
        prefix = node.prefix

        def change(frame: Frame, old: Any) -> Any:
            if old is None:
                raise java_error("NullPointerException", f"Cannot execute {node.op} on null")
            return _combine(frame, op, old, 1)

        def run(frame: Frame) -> Any:
            old, new = update(frame, lambda current: change(frame, current))
            return new if prefix else old

        return run


def _combine(frame: Frame, op: str, left: Any, right: Any) -> Any:
    if op in {"<<", ">>", ">>>", "&", "|", "^"}:
        return _bits(frame, op, left, right)
    return arith(op, left, right, frame.ctx.budget)


def _bits(frame: Frame, op: str, left: Any, right: Any) -> Any:
    if op == "<<":
        if isinstance(left, list):
            frame.ctx.budget.items(len(left) + 1, 1)
            left.append(right)
            return left
        if isinstance(left, StringBuilderValue):
            return left.append(frame.ctx, right)
        if isinstance(left, str):
            builder = StringBuilderValue(left)
            return builder.append(frame.ctx, right)
    if isinstance(left, bool) and isinstance(right, bool) and op in {"&", "|", "^"}:
        return {"&": left and right, "|": left or right, "^": left != right}[op]
    if type(left) is int and type(right) is int:
        if op == "<<":
            if right > 62 or left.bit_length() + right > 63:  # noqa: PLR2004 - Java long
                raise java_error("ArithmeticException", "shift result does not fit a long")
            return left << right
        if op == ">>":
            return left >> right
        if op == ">>>":
            return (left % (1 << 64)) >> right
        return {"&": left & right, "|": left | right, "^": left ^ right}[op]
    raise java_error(
        "MissingMethodException",
        f"operator {op} is not defined for {type_name(left)} and {type_name(right)}",
    )


def _bitwise_not(value: Any) -> Any:
    if isinstance(value, str):
        return PatternValue(value)
    if type(value) is int:
        return ~value
    raise java_error("MissingMethodException", f"operator ~ is not defined for {type_name(value)}")


def _identical(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if isinstance(left, bool | int | float | Decimal | str):
        return type(left) is type(right) and left == right
    return left is right


def _spread(frame: Frame, target: Any, each: Callable[[Any], Any]) -> Any:
    if target is None:
        return None
    items = list(target) if isinstance(target, list | GRange) else [target]
    frame.ctx.budget.items(len(items))
    return [None if item is None else each(item) for item in items]


def dotted(node: a.Node) -> list[str] | None:
    """`a.b.c` as `["a", "b", "c"]` for a plain chain of names, else None."""
    parts: list[str] = []
    while isinstance(node, a.Prop) and not node.safe and not node.spread:
        parts.append(node.name)
        node = node.obj
    if not isinstance(node, a.Name):
        return None
    parts.append(node.name)
    return parts[::-1]


def _name_chain(pos: int, dotted_name: str) -> a.Node:
    parts = dotted_name.split(".")
    node: a.Node = a.Name(pos, parts[0])
    for part in parts[1:]:
        node = a.Prop(pos, node, part, safe=False, spread=False)
    return node


def throw_value(value: Any) -> GroovyThrow:
    """What `throw value` raises."""
    if isinstance(value, JavaException):
        return GroovyThrow(value)
    if value is None:
        return java_error("NullPointerException", "Cannot throw null")
    return java_error(
        "IllegalArgumentException",
        f"only exceptions can be thrown (got {type_name(value)}); write "
        'throw new org.camunda.bpm.engine.delegate.BpmnError("CODE")',
    )


__all__ += ["dotted", "throw_value"]
