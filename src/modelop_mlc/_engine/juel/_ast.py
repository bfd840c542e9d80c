"""The expression tree: one node class per construct, each evaluating itself."""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from modelop_mlc._engine.juel._context import EvaluationContext, ListableContext
from modelop_mlc._engine.juel._functions import _Function
from modelop_mlc._engine.juel._methods import _get_property, _invoke
from modelop_mlc._engine.juel._operators import _arithmetic, _compare, _equals, _negate
from modelop_mlc._engine.juel._values import _EvalError, _is_empty, _to_bool

_MAX_LISTED = 10


def _unknown_identifier(name: str, context: EvaluationContext) -> _EvalError:
    if not isinstance(context, ListableContext):
        return _EvalError(f"Cannot resolve identifier '{name}'", "no variable has that name")
    names = sorted(set(context.variable_names()))
    same_case = [n for n in names if n.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    guess = f"did you mean '{close[0]}'? " if close else ""
    listing = ", ".join(names[:_MAX_LISTED]) if names else "none"
    if len(names) > _MAX_LISTED:
        listing += f" and {len(names) - _MAX_LISTED} more"
    return _EvalError(
        f"Cannot resolve identifier '{name}'", f"{guess}available variables: {listing}"
    )


class _Node(ABC):
    """A node of the expression tree; `depth` bounds how deep evaluation recurses."""

    __slots__ = ("depth", "kids")
    depth: int
    kids: tuple[_Node, ...]

    def __init__(self, *kids: _Node) -> None:
        self.kids = kids
        self.depth = 1 + max((kid.depth for kid in kids), default=0)

    @abstractmethod
    def evaluate(self, context: EvaluationContext) -> Any:
        """Compute the node's value."""


class _Literal(_Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def evaluate(self, context: EvaluationContext) -> Any:
        return self.value


class _Identifier(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        if context.has_variable(self.name):
            return context.get_variable(self.name)
        raise _unknown_identifier(self.name, context)


class _Property(_Node):
    __slots__ = ("name",)

    def __init__(self, base: _Node, name: str) -> None:
        super().__init__(base)
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        return _get_property(self.kids[0].evaluate(context), self.name)


class _Index(_Node):
    __slots__ = ()

    def evaluate(self, context: EvaluationContext) -> Any:
        base = self.kids[0].evaluate(context)
        if base is None:
            return None
        key = self.kids[1].evaluate(context)
        return None if key is None else _get_property(base, key)


class _MethodCall(_Node):
    __slots__ = ("name",)

    def __init__(self, base: _Node, name: str, args: Sequence[_Node]) -> None:
        super().__init__(base, *args)
        self.name = name

    def evaluate(self, context: EvaluationContext) -> Any:
        base = self.kids[0].evaluate(context)
        args = [arg.evaluate(context) for arg in self.kids[1:]]
        return _invoke(base, self.name, args)


class _FunctionCall(_Node):
    """A call of a built-in function such as `now()` or `JSON(x)`, checked by the parser."""

    __slots__ = ("function", "name")

    def __init__(self, name: str, function: _Function, args: Sequence[_Node]) -> None:
        super().__init__(*args)
        self.name = name
        self.function = function

    def evaluate(self, context: EvaluationContext) -> Any:
        args = [arg.evaluate(context) for arg in self.kids]
        return self.function.call(context, args)


class _Unary(_Node):
    __slots__ = ("op",)

    def __init__(self, op: str, operand: _Node) -> None:
        super().__init__(operand)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        value = self.kids[0].evaluate(context)
        if self.op == "-":
            return _negate(value)
        if self.op == "!":
            return not _to_bool(value)
        return _is_empty(value)


class _Binary(_Node):
    __slots__ = ("op",)

    def __init__(self, op: str, left: _Node, right: _Node) -> None:
        super().__init__(left, right)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        left = self.kids[0].evaluate(context)
        right = self.kids[1].evaluate(context)
        if self.op == "==":
            return _equals(left, right)
        if self.op == "!=":
            return not _equals(left, right)
        if self.op in {"<", ">", "<=", ">="}:
            return _compare(self.op, left, right)
        return _arithmetic(self.op, left, right)


class _Logical(_Node):
    """`&&` or `||` over any number of operands, kept flat so long chains stay shallow."""

    __slots__ = ("op",)

    def __init__(self, op: str, operands: Sequence[_Node]) -> None:
        super().__init__(*operands)
        self.op = op

    def evaluate(self, context: EvaluationContext) -> Any:
        stop = self.op == "||"
        for operand in self.kids:
            if _to_bool(operand.evaluate(context)) is stop:
                return stop
        return not stop


class _Conditional(_Node):
    __slots__ = ()

    def evaluate(self, context: EvaluationContext) -> Any:
        condition, then, otherwise = self.kids
        branch = then if _to_bool(condition.evaluate(context)) else otherwise
        return branch.evaluate(context)
