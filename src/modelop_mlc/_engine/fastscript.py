"""Run simple, provably bounded Python scripts in-process; everything else goes to the sandbox.

Script tasks in MLC diagrams are mostly a few assignments (`RUNTIME = RUNTIMES[0]`,
`approved = reviewResult == "APPROVED"`). Sending those to the sandbox worker costs a process
round trip each (about half a millisecond once the scheduler is involved). This module
interprets the AST of such scripts directly, without `eval`/`exec`, when the script has no
loops, no comprehensions, no function definitions and only calls from a small allow-list, so
its running time is bounded by its length and the size of its inputs. Every operation that
could build a large value (big powers, string repetition, concatenation, `replace`, `join`,
huge integers, inputs already too large) is checked **before** it runs and makes it give up,
and the script then runs in the sandbox with its CPU and memory limits. The sandbox's static guard
(`check_script`) has already accepted the script at deploy time; this module never runs
anything the guard refused.
"""

from __future__ import annotations

import ast
import functools
import json
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["FastScriptResult", "run_fast"]

_MAX_INT_BITS = 4096
_MAX_SEQUENCE = 100_000


class _UnsupportedError(Exception):
    """The script (or a value it builds) is outside the fast subset: use the sandbox."""


class FastScriptResult:
    """What a script changed, like the sandbox's result."""

    __slots__ = ("deleted", "value", "variables")

    def __init__(self, variables: dict[str, Any], deleted: frozenset[str], value: Any) -> None:
        """Record the outcome."""
        self.variables = variables
        self.deleted = deleted
        self.value = value


def _check_size(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise _UnsupportedError
    if isinstance(value, str | list | tuple) and len(value) > _MAX_SEQUENCE:
        raise _UnsupportedError
    return value


def _sized(value: Any) -> bool:
    return isinstance(value, str | list | tuple | dict)


def _add(a: Any, b: Any) -> Any:
    # Checked before adding: a sum too large for the fast path goes to the sandbox, whose
    # memory limit then decides, instead of being built here first.
    if _sized(a) and _sized(b) and len(a) + len(b) > _MAX_SEQUENCE:
        raise _UnsupportedError
    return a + b


def _check_call(name: str, owner: Any, args: list[Any]) -> None:
    """Give up (before calling) on a call that could build more than the fast path allows."""
    if any(_sized(v) and len(v) > _MAX_SEQUENCE for v in (owner, *args)):
        raise _UnsupportedError
    if name == "str" and args and not isinstance(args[0], str | int | float | bool | None):
        raise _UnsupportedError  # the text of a container can be far larger than it
    if not isinstance(owner, str):
        return
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str):  # noqa: PLR2004
        old, new = args[0], args[1]
        count = len(owner) + 1 if old == "" else owner.count(old)
        if not isinstance(new, str) or len(owner) + count * (len(new) - len(old)) > _MAX_SEQUENCE:
            raise _UnsupportedError
    elif name == "join" and args and isinstance(args[0], list | tuple):
        pieces = args[0]
        if not all(isinstance(p, str) for p in pieces):
            raise _UnsupportedError
        if sum(map(len, pieces)) + len(owner) * max(len(pieces) - 1, 0) > _MAX_SEQUENCE:
            raise _UnsupportedError


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, str | list | tuple) or isinstance(b, str | list | tuple):
        count = b if isinstance(a, str | list | tuple) else a
        seq = a if isinstance(a, str | list | tuple) else b
        if not isinstance(count, int) or len(seq) * max(count, 0) > _MAX_SEQUENCE:
            raise _UnsupportedError
    return a * b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise _UnsupportedError  # %-formatting can build far more than its operands
    return a % b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(b, int) and not isinstance(b, bool) and abs(b) > 64:  # noqa: PLR2004
        raise _UnsupportedError
    return a**b


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sum": sum,
    "sorted": sorted,
    "list": list,
    "dict": dict,
    "any": any,
    "all": all,
}
_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "upper",
            "lower",
            "strip",
            "lstrip",
            "rstrip",
            "startswith",
            "endswith",
            "split",
            "replace",
            "join",
            "title",
            "capitalize",
            "isdigit",
            "count",
            "find",
        }
    ),
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    list: frozenset({"index", "count", "copy"}),
}
_SAFE_TYPES = (str, int, float, bool, type(None), list, dict, tuple)


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> ast.Module | None:
    """Parse `source` and return it if it is inside the fast subset, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(
            node,
            ast.For
            | ast.While
            | ast.AsyncFor
            | ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.Lambda
            | ast.ClassDef
            | ast.ListComp
            | ast.SetComp
            | ast.DictComp
            | ast.GeneratorExp
            | ast.Import
            | ast.ImportFrom
            | ast.Try
            | ast.With
            | ast.Raise
            | ast.Global
            | ast.Nonlocal
            | ast.Yield
            | ast.YieldFrom
            | ast.Await
            | ast.Starred
            | ast.NamedExpr
            | ast.Set
            | ast.JoinedStr
            | ast.Match
            | ast.Assert,
        ):
            return None
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return None
        if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or not isinstance(node.ctx, ast.Load)
        ):
            return None
    return tree


class _Execution:
    """The `execution` object, as the sandbox offers it."""

    def __init__(self, scope: dict[str, Any], context: Mapping[str, Any]) -> None:
        self.scope = scope
        self.context = context

    def call(self, method: str, args: list[Any]) -> Any:
        scope = self.scope
        if method == "getVariable" and len(args) == 1:
            return scope.get(args[0])
        if method == "setVariable" and len(args) == 2:  # noqa: PLR2004 - (name, value)
            scope[args[0]] = args[1]
            return None
        if method == "hasVariable" and len(args) == 1:
            return args[0] in scope
        if method == "removeVariable" and len(args) == 1:
            scope.pop(args[0], None)
            return None
        if method == "getVariables" and not args:
            return dict(scope)
        getters = {
            "getProcessInstanceId": "processInstanceId",
            "getProcessBusinessKey": "processBusinessKey",
            "getCurrentActivityId": "currentActivityId",
            "getActivityInstanceId": "activityInstanceId",
        }
        if method in getters and not args:
            return self.context.get(getters[method])
        raise _UnsupportedError


class _Interpreter:
    def __init__(self, scope: dict[str, Any], context: Mapping[str, Any]) -> None:
        self.scope = scope
        self.execution = _Execution(scope, context)

    def run(self, tree: ast.Module) -> Any:
        return self.block(tree.body)

    def block(self, body: list[ast.stmt]) -> Any:
        value = None
        for stmt in body:
            value = self.statement(stmt)
        return value

    def statement(self, stmt: ast.stmt) -> Any:
        if isinstance(stmt, ast.Expr):
            return self.expr(stmt.value)
        if isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value)
            for target in stmt.targets:
                self.assign(target, value)
            return None
        if isinstance(stmt, ast.AugAssign):
            current = self.expr(_load(stmt.target))
            op = _BINOPS.get(type(stmt.op))
            if op is None:
                raise _UnsupportedError
            self.assign(stmt.target, _check_size(op(current, self.expr(stmt.value))))
            return None
        if isinstance(stmt, ast.If):
            return self.block(stmt.body if self.expr(stmt.test) else stmt.orelse)
        if isinstance(stmt, ast.Pass):
            return None
        if isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if not isinstance(target, ast.Name) or target.id not in self.scope:
                    raise _UnsupportedError
                del self.scope[target.id]
            return None
        raise _UnsupportedError

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.scope[target.id] = value
        elif isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            if not isinstance(container, dict | list):
                raise _UnsupportedError
            container[self.expr(target.slice)] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = list(value)
            if len(items) != len(target.elts):
                raise _UnsupportedError
            for element, item in zip(target.elts, items, strict=True):
                self.assign(element, item)
        else:
            raise _UnsupportedError

    def expr(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.scope:
                return self.scope[node.id]
            if node.id in {"True", "False", "None"}:
                raise _UnsupportedError
            raise NameError(f"name '{node.id}' is not defined")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise _UnsupportedError
            return _check_size(op(self.expr(node.left), self.expr(node.right)))
        if isinstance(node, ast.UnaryOp):
            operand = self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                return not operand
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return +operand
            raise _UnsupportedError
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for index, operand in enumerate(node.values):
                result = self.expr(operand)
                last = index == len(node.values) - 1
                if not last and (bool(result) if isinstance(node.op, ast.And) else not result):
                    continue
                return result
            return result
        if isinstance(node, ast.Compare):
            left = self.expr(node.left)
            for op_node, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.expr(right_node)
                if not _CMPOPS[type(op_node)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.expr(node.body) if self.expr(node.test) else self.expr(node.orelse)
        if isinstance(node, ast.List):
            return _check_size([self.expr(e) for e in node.elts])
        if isinstance(node, ast.Tuple):
            return tuple(self.expr(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise _UnsupportedError
            return {
                self.expr(k): self.expr(v)  # type: ignore[arg-type]
                for k, v in zip(node.keys, node.values, strict=True)
            }
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value)
            if not isinstance(base, dict | list | tuple | str):
                raise _UnsupportedError
            if isinstance(node.slice, ast.Slice):
                parts = [
                    None if p is None else self.expr(p)
                    for p in (node.slice.lower, node.slice.upper, node.slice.step)
                ]
                return base[slice(*parts)]
            return base[self.expr(node.slice)]
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _UnsupportedError

    def call(self, node: ast.Call) -> Any:
        if node.keywords:
            raise _UnsupportedError
        args = [self.expr(a) for a in node.args]
        func = node.func
        if isinstance(func, ast.Name) and func.id in _BUILTINS and func.id not in self.scope:
            _check_call(func.id, None, args)
            return _check_size(_BUILTINS[func.id](*args))
        if isinstance(func, ast.Attribute):
            if (
                isinstance(func.value, ast.Name)
                and func.value.id == "execution"
                and ("execution" not in self.scope)
            ):
                return self.execution.call(func.attr, args)
            owner = self.expr(func.value)
            allowed = _METHODS.get(type(owner), frozenset())
            if func.attr not in allowed:
                raise _UnsupportedError
            _check_call(func.attr, owner, args)
            return _check_size(getattr(owner, func.attr)(*args))
        raise _UnsupportedError


def _load(target: ast.expr) -> ast.expr:
    if isinstance(target, ast.Name):
        return ast.Name(id=target.id, ctx=ast.Load())
    if isinstance(target, ast.Subscript):
        return ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
    raise _UnsupportedError


def _plain(value: Any) -> Any:
    """Return `value` as JSON data, or raise `_UnsupportedError` (the sandbox then decides)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _UnsupportedError
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _UnsupportedError
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, _SAFE_TYPES):
        return value
    raise _UnsupportedError


def run_fast(
    source: str, variables: Mapping[str, Any], context: Mapping[str, Any]
) -> FastScriptResult | None:
    """Run `source` in-process if it is in the fast subset; None means "use the sandbox".

    Python errors raised by the script itself (e.g. `KeyError`, `ZeroDivisionError`) are not
    handled here either: the sandbox re-runs the script and reports them with line numbers.
    """
    tree = _compile(source)
    if tree is None:
        return None
    # Work on a deep copy, so a script that gives up half-way changed nothing.
    original = json.loads(json.dumps(variables))
    scope = json.loads(json.dumps(variables))
    try:
        value = _Interpreter(scope, context).run(tree)
        changed = {
            name: _plain(v)
            for name, v in scope.items()
            if name not in original or original[name] != v
        }
        result = _plain(value)
    except (_UnsupportedError, Exception):  # noqa: BLE001 - the sandbox reports real errors properly
        return None
    deleted = frozenset(name for name in original if name not in scope)
    return FastScriptResult(changed, deleted, result)
