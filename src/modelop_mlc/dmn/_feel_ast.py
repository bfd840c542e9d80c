"""FEEL abstract syntax tree: what the parser produces and the compiler consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "And",
    "Arith",
    "Between",
    "Call",
    "Compare",
    "ContextLit",
    "Filter",
    "For",
    "FunctionDef",
    "If",
    "In",
    "InstanceOf",
    "ListLit",
    "Literal",
    "Name",
    "Neg",
    "Node",
    "Or",
    "Path",
    "Quantified",
    "RangeLit",
    "TypeNode",
    "UnaryTest",
    "UnaryTests",
]


class Node:
    """Base class of every expression node."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant: number, string, boolean, null, or an `@"..."` temporal literal."""

    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A variable reference (possibly a multi-word name); `?` is the input value."""

    name: str


@dataclass(frozen=True, slots=True)
class Path(Node):
    """`expr.name`: a context entry, a temporal property, or a projection over a list."""

    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Filter(Node):
    """`expr[cond]`: a boolean filter or a 1-based (negative from the end) index."""

    target: Node
    condition: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function invocation with positional or named arguments."""

    function: Node
    args: tuple[Node, ...]
    names: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Neg(Node):
    """Arithmetic negation."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Arith(Node):
    """`+ - * / **`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """`= != < <= > >=`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class And(Node):
    """Three-valued conjunction."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Or(Node):
    """Three-valued disjunction."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    """`value between low and high` (both ends included)."""

    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class UnaryTest(Node):
    """One positive unary test.

    `op` is a comparison operator (`<`, `=`, …) applied as `? op operand`, or `None`
    for a plain expression (a range, a list, a value to compare, or a boolean condition).
    """

    op: str | None
    operand: Node
    uses_input: bool = False


@dataclass(frozen=True, slots=True)
class UnaryTests(Node):
    """A decision-table cell: `-`, a list of positive tests (OR), or `not(...)` of them."""

    tests: tuple[UnaryTest, ...]
    negated: bool = False
    any: bool = False


@dataclass(frozen=True, slots=True)
class In(Node):
    """`value in test` or `value in (test, test, ...)`."""

    value: Node
    tests: tuple[UnaryTest, ...]


@dataclass(frozen=True, slots=True)
class TypeNode:
    """A FEEL type: a named type, or `list<T>`, `context<k: T>`, `range<T>`, `function<…>->T`."""

    name: str
    args: tuple[TypeNode, ...] = ()
    fields: tuple[tuple[str, TypeNode], ...] = ()
    result: TypeNode | None = None


@dataclass(frozen=True, slots=True)
class InstanceOf(Node):
    """`value instance of type`."""

    value: Node
    type: TypeNode


@dataclass(frozen=True, slots=True)
class If(Node):
    """`if c then a else b` (a non-true condition takes the else branch)."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Iteration:
    """One `name in source` (or `name in start..end`) clause of a for/some/every."""

    name: str
    source: Node
    end: Node | None = None


@dataclass(frozen=True, slots=True)
class For(Node):
    """`for a in x, b in y return expr`; `partial` is bound to the results so far."""

    iterations: tuple[Iteration, ...]
    body: Node


@dataclass(frozen=True, slots=True)
class Quantified(Node):
    """`some|every a in x satisfies cond`."""

    every: bool
    iterations: tuple[Iteration, ...]
    condition: Node


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    """`[a, b, c]`."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ContextLit(Node):
    """`{key: expr, ...}`; later entries see earlier ones."""

    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class RangeLit(Node):
    """`[a..b]`, `(a..b)`, `]a..b[`, or a comparison used as a range value (`(< 10)`)."""

    start: Node | None
    end: Node | None
    start_included: bool
    end_included: bool
    op: str = ".."


@dataclass(frozen=True, slots=True)
class FunctionDef(Node):
    """`function(a: number, b) body`; `external` bodies are not supported and give null."""

    params: tuple[tuple[str, TypeNode | None], ...]
    body: Node
    external: bool = False
    free_names: frozenset[str] = field(default_factory=frozenset)
