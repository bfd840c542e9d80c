"""The syntax tree: plain node classes; `pos` is each node's offset in the script text."""

from __future__ import annotations

from typing import Any


class Node:
    """Base of every node."""

    __slots__ = ("pos",)
    FIELDS: tuple[str, ...] = ()

    def __init__(self, pos: int) -> None:
        """Record where the node starts."""
        self.pos = pos

    def children(self) -> list[Node]:
        """Every child node, for tree walks."""
        out: list[Node] = []
        for name in self.FIELDS:
            _collect(getattr(self, name), out)
        return out


def _collect(value: Any, out: list[Node]) -> None:
    if isinstance(value, Node):
        out.append(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, out)


# ---------------------------------------------------------------- expressions


class Lit(Node):
    """A literal: number, string, boolean or null."""

    __slots__ = ("value",)

    def __init__(self, pos: int, value: Any) -> None:
        super().__init__(pos)
        self.value = value


class GStr(Node):
    """A GString: literal text and embedded expressions, rendered when evaluated."""

    __slots__ = ("parts",)
    FIELDS = ("parts",)

    def __init__(self, pos: int, parts: list[str | Node]) -> None:
        super().__init__(pos)
        self.parts = parts


class Name(Node):
    """A bare name: a local, a process variable, `execution`, or a class."""

    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.name = name


class Prop(Node):
    """`obj.name`, `obj?.name` or `obj*.name`."""

    __slots__ = ("name", "obj", "safe", "spread")
    FIELDS = ("obj",)

    def __init__(self, pos: int, obj: Node, name: str, *, safe: bool, spread: bool) -> None:
        super().__init__(pos)
        self.obj = obj
        self.name = name
        self.safe = safe
        self.spread = spread


class Index(Node):
    """`obj[index]` or `obj?[index]`."""

    __slots__ = ("index", "obj", "safe")
    FIELDS = ("obj", "index")

    def __init__(self, pos: int, obj: Node, index: Node, *, safe: bool) -> None:
        super().__init__(pos)
        self.obj = obj
        self.index = index
        self.safe = safe


class Call(Node):
    """A method call `obj.name(args)`, or a bare call `name(args)` when `obj` is None.

    Named arguments (`f(a: 1)`) are gathered into `named`; a trailing closure is the last
    positional argument.
    """

    __slots__ = ("args", "name", "named", "obj", "safe", "spread")
    FIELDS = ("obj", "args", "named")

    def __init__(
        self,
        pos: int,
        obj: Node | None,
        name: str,
        args: list[Node],
        named: list[tuple[Node, Node]],
        *,
        safe: bool = False,
        spread: bool = False,
    ) -> None:
        super().__init__(pos)
        self.obj = obj
        self.name = name
        self.args = args
        self.named = named
        self.safe = safe
        self.spread = spread


class CallValue(Node):
    """Calling the value of an expression: `(closure)(1)`, `list[0](x)`."""

    __slots__ = ("args", "callee")
    FIELDS = ("callee", "args")

    def __init__(self, pos: int, callee: Node, args: list[Node]) -> None:
        super().__init__(pos)
        self.callee = callee
        self.args = args


class New(Node):
    """`new some.Class(args)`; `type_name` as written (simple or qualified)."""

    __slots__ = ("args", "named", "type_name")
    FIELDS = ("args", "named")

    def __init__(
        self, pos: int, type_name: str, args: list[Node], named: list[tuple[Node, Node]]
    ) -> None:
        super().__init__(pos)
        self.type_name = type_name
        self.args = args
        self.named = named


class ListLit(Node):
    """`[a, b, c]`."""

    __slots__ = ("items",)
    FIELDS = ("items",)

    def __init__(self, pos: int, items: list[Node]) -> None:
        super().__init__(pos)
        self.items = items


class MapLit(Node):
    """`[k: v, (expr): v]` or `[:]`; bare-word keys are string literals."""

    __slots__ = ("entries",)
    FIELDS = ("entries",)

    def __init__(self, pos: int, entries: list[tuple[Node, Node]]) -> None:
        super().__init__(pos)
        self.entries = entries


class RangeLit(Node):
    """`lo..hi` or `lo..<hi`."""

    __slots__ = ("exclusive", "high", "low")
    FIELDS = ("low", "high")

    def __init__(self, pos: int, low: Node, high: Node, *, exclusive: bool) -> None:
        super().__init__(pos)
        self.low = low
        self.high = high
        self.exclusive = exclusive


class Unary(Node):
    """`-x`, `+x`, `!x`, `~x` (a regex pattern from a string)."""

    __slots__ = ("op", "operand")
    FIELDS = ("operand",)

    def __init__(self, pos: int, op: str, operand: Node) -> None:
        super().__init__(pos)
        self.op = op
        self.operand = operand


class IncDec(Node):
    """`x++`, `++x`, `x--`, `--x` on a name, property or index."""

    __slots__ = ("op", "prefix", "target")
    FIELDS = ("target",)

    def __init__(self, pos: int, op: str, target: Node, *, prefix: bool) -> None:
        super().__init__(pos)
        self.op = op
        self.target = target
        self.prefix = prefix


class Binary(Node):
    """Arithmetic, comparison, `in`, `<=>`, `=~`, `==~`, `<<` and bit operators."""

    __slots__ = ("left", "op", "right")
    FIELDS = ("left", "right")

    def __init__(self, pos: int, op: str, left: Node, right: Node) -> None:
        super().__init__(pos)
        self.op = op
        self.left = left
        self.right = right


class Logic(Node):
    """`&&` or `||` (short-circuit, Groovy truth)."""

    __slots__ = ("left", "op", "right")
    FIELDS = ("left", "right")

    def __init__(self, pos: int, op: str, left: Node, right: Node) -> None:
        super().__init__(pos)
        self.op = op
        self.left = left
        self.right = right


class Ternary(Node):
    """`cond ? a : b`."""

    __slots__ = ("cond", "no", "yes")
    FIELDS = ("cond", "yes", "no")

    def __init__(self, pos: int, cond: Node, yes: Node, no: Node) -> None:
        super().__init__(pos)
        self.cond = cond
        self.yes = yes
        self.no = no


class Elvis(Node):
    """`a ?: b`."""

    __slots__ = ("left", "right")
    FIELDS = ("left", "right")

    def __init__(self, pos: int, left: Node, right: Node) -> None:
        super().__init__(pos)
        self.left = left
        self.right = right


class Assign(Node):
    """`target = value` or a compound `target += value` (`op` is `=` or `+=`, ...)."""

    __slots__ = ("op", "target", "value")
    FIELDS = ("target", "value")

    def __init__(self, pos: int, op: str, target: Node, value: Node) -> None:
        super().__init__(pos)
        self.op = op
        self.target = target
        self.value = value


class ClosureLit(Node):
    """`{ a, b -> ... }`; `params` is None for the implicit `it`."""

    __slots__ = ("body", "params")
    FIELDS = ("body",)

    def __init__(self, pos: int, params: list[str] | None, body: list[Node]) -> None:
        super().__init__(pos)
        self.params = params
        self.body = body


class Cast(Node):
    """`expr as Type`."""

    __slots__ = ("expr", "type_name")
    FIELDS = ("expr",)

    def __init__(self, pos: int, expr: Node, type_name: str) -> None:
        super().__init__(pos)
        self.expr = expr
        self.type_name = type_name


class InstanceOf(Node):
    """`expr instanceof Type` (or `!instanceof`)."""

    __slots__ = ("expr", "negated", "type_name")
    FIELDS = ("expr",)

    def __init__(self, pos: int, expr: Node, type_name: str, *, negated: bool) -> None:
        super().__init__(pos)
        self.expr = expr
        self.type_name = type_name
        self.negated = negated


class Refused(Node):
    """A construct outside the subset, kept so the checker can report every one of them."""

    __slots__ = ("what",)

    def __init__(self, pos: int, what: str) -> None:
        super().__init__(pos)
        self.what = what


# ---------------------------------------------------------------- statements


class ExprStmt(Node):
    """An expression used as a statement."""

    __slots__ = ("expr",)
    FIELDS = ("expr",)

    def __init__(self, pos: int, expr: Node) -> None:
        super().__init__(pos)
        self.expr = expr


class Decl(Node):
    """`def x = 1`, `String a, b = "x"`, `List<FileAsset> xs`."""

    __slots__ = ("items", "type_name")
    FIELDS = ("items",)

    def __init__(
        self, pos: int, type_name: str | None, items: list[tuple[str, Node | None]]
    ) -> None:
        super().__init__(pos)
        self.type_name = type_name
        self.items = items

    def children(self) -> list[Node]:
        return [value for _, value in self.items if value is not None]


class Block(Node):
    """`{ statements }` (a nested scope)."""

    __slots__ = ("body",)
    FIELDS = ("body",)

    def __init__(self, pos: int, body: list[Node]) -> None:
        super().__init__(pos)
        self.body = body


class If(Node):
    """`if (cond) then else otherwise`."""

    __slots__ = ("cond", "otherwise", "then")
    FIELDS = ("cond", "then", "otherwise")

    def __init__(self, pos: int, cond: Node, then: Node, otherwise: Node | None) -> None:
        super().__init__(pos)
        self.cond = cond
        self.then = then
        self.otherwise = otherwise


class While(Node):
    """`while (cond) body`."""

    __slots__ = ("body", "cond")
    FIELDS = ("cond", "body")

    def __init__(self, pos: int, cond: Node, body: Node) -> None:
        super().__init__(pos)
        self.cond = cond
        self.body = body


class ForIn(Node):
    """`for (x in xs) body` (also `for (Type x : xs)`)."""

    __slots__ = ("body", "iterable", "var")
    FIELDS = ("iterable", "body")

    def __init__(self, pos: int, var: str, iterable: Node, body: Node) -> None:
        super().__init__(pos)
        self.var = var
        self.iterable = iterable
        self.body = body


class ForC(Node):
    """`for (init; cond; update) body`."""

    __slots__ = ("body", "cond", "init", "update")
    FIELDS = ("init", "cond", "update", "body")

    def __init__(
        self, pos: int, init: list[Node], cond: Node | None, update: list[Node], body: Node
    ) -> None:
        super().__init__(pos)
        self.init = init
        self.cond = cond
        self.update = update
        self.body = body


class Jump(Node):
    """`break` or `continue`."""

    __slots__ = ("kind",)

    def __init__(self, pos: int, kind: str) -> None:
        super().__init__(pos)
        self.kind = kind


class Return(Node):
    """`return` with an optional value."""

    __slots__ = ("value",)
    FIELDS = ("value",)

    def __init__(self, pos: int, value: Node | None) -> None:
        super().__init__(pos)
        self.value = value


class Throw(Node):
    """`throw expr`."""

    __slots__ = ("value",)
    FIELDS = ("value",)

    def __init__(self, pos: int, value: Node) -> None:
        super().__init__(pos)
        self.value = value


class Catch(Node):
    """One `catch (A | B e) { ... }` clause; `types` are simple or qualified names."""

    __slots__ = ("body", "name", "types")
    FIELDS = ("body",)

    def __init__(self, pos: int, types: list[str], name: str, body: Node) -> None:
        super().__init__(pos)
        self.types = types
        self.name = name
        self.body = body


class Try(Node):
    """`try { } catch (...) { } finally { }`."""

    __slots__ = ("body", "catches", "final")
    FIELDS = ("body", "catches", "final")

    def __init__(self, pos: int, body: Node, catches: list[Catch], final: Node | None) -> None:
        super().__init__(pos)
        self.body = body
        self.catches = catches
        self.final = final


class Assert(Node):
    """`assert cond` or `assert cond : message`."""

    __slots__ = ("cond", "message")
    FIELDS = ("cond", "message")

    def __init__(self, pos: int, cond: Node, message: Node | None) -> None:
        super().__init__(pos)
        self.cond = cond
        self.message = message


class Import(Node):
    """`import a.b.C`, `import a.b.*`, `import static ...`, `import a.b.C as D`."""

    __slots__ = ("alias", "name", "star", "static")

    def __init__(self, pos: int, name: str, *, star: bool, static: bool, alias: str | None) -> None:
        super().__init__(pos)
        self.name = name
        self.star = star
        self.static = static
        self.alias = alias


class Script(Node):
    """A whole script: its imports and its statements."""

    __slots__ = ("body", "imports")
    FIELDS = ("body",)

    def __init__(self, pos: int, imports: list[Import], body: list[Node]) -> None:
        super().__init__(pos)
        self.imports = imports
        self.body = body


def walk(node: Node) -> list[Node]:
    """Every node under `node` (itself included), depth first."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children()))
    return out
