"""Compile statements, closures and whole scripts.

A statement compiles to a function of the frame that returns None, or a signal (`BREAK`,
`CONTINUE`, or a `Returned` value) that loops and bodies pass on. The last statement of a
script or closure body gives its value, as Groovy's implicit return does. Every statement and
loop iteration counts one step; an exception records the line of the statement it left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from modelop_mlc._engine.groovy import _ast as a
from modelop_mlc._engine.groovy._compile_expr import ExprCompiler, Fn, Scope, throw_value
from modelop_mlc._engine.groovy._dispatch import iterate
from modelop_mlc._engine.groovy._errors import (
    EXCEPTION_PARENTS,
    GroovyLimitError,
    GroovyThrow,
    JavaException,
    is_subclass,
)
from modelop_mlc._engine.groovy._runtime import Frame
from modelop_mlc._engine.groovy._types import PRIMITIVE_DEFAULTS, declare
from modelop_mlc._engine.groovy._values import GClosure, to_str, truth

__all__ = ["BREAK", "CONTINUE", "Compiler", "Returned", "exception_kind", "with_implicit_return"]

Stmt = Callable[[Frame], Any]


class Returned:
    """The signal `return value` sends up to the enclosing script or closure."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        """Carry the returned value."""
        self.value = value


BREAK: Final = object()
CONTINUE: Final = object()


def exception_kind(type_name: str) -> str | None:
    """The simple exception class a catch clause names, if it is one we know."""
    simple = type_name.rsplit(".", 1)[-1]
    if simple == "Throwable" or simple in EXCEPTION_PARENTS:
        return simple
    return None


class Compiler(ExprCompiler):
    """Compiles a parsed script into a callable body."""

    def block(self, body: list[a.Node], scope: Scope) -> Stmt:
        """Compile statements run in order; the first signal stops the block."""
        compiled = [(self.stmt(node, scope), self.line(node)) for node in body]
        if len(compiled) == 1:
            ((only, line),) = compiled
            return self.one(only, line)

        def run(frame: Frame) -> Any:
            step = frame.ctx.budget.step
            for fn, line in compiled:
                step()
                try:
                    signal = fn(frame)
                except (GroovyThrow, GroovyLimitError) as err:
                    if err.line is None:
                        err.line = line
                    raise
                except Exception as err:
                    raise _internal(err, line) from err
                if signal is not None:
                    return signal
            return None

        return run

    @staticmethod
    def one(fn: Stmt, line: int) -> Stmt:
        """A block of one statement, without the loop."""

        def run(frame: Frame) -> Any:
            frame.ctx.budget.step()
            try:
                return fn(frame)
            except (GroovyThrow, GroovyLimitError) as err:
                if err.line is None:
                    err.line = line
                raise
            except Exception as err:
                raise _internal(err, line) from err

        return run

    def nested(self, node: a.Node, scope: Scope) -> Stmt:
        """A body (block or single statement) in its own block scope."""
        inner = Scope(scope, closure=False)
        inner.in_loop = scope.in_loop
        body = node.body if isinstance(node, a.Block) else [node]
        return self.block(body, inner)

    def stmt(self, node: a.Node, scope: Scope) -> Stmt:
        """Compile one statement."""
        if isinstance(node, a.ExprStmt):
            expr = self.expr(node.expr, scope)

            def run_expr(frame: Frame) -> None:
                expr(frame)

            return run_expr
        if isinstance(node, a.Decl):
            return self.decl(node, scope)
        if isinstance(node, a.If):
            cond = self.expr(node.cond, scope)
            then = self.nested(node.then, scope)
            otherwise = self.nested(node.otherwise, scope) if node.otherwise else None
            if otherwise is None:
                return lambda frame: then(frame) if truth(cond(frame)) else None
            return lambda frame: then(frame) if truth(cond(frame)) else otherwise(frame)
        if isinstance(node, a.While):
            return self.while_(node, scope)
        if isinstance(node, a.ForIn):
            return self.for_in(node, scope)
        if isinstance(node, a.ForC):
            return self.for_classic(node, scope)
        if isinstance(node, a.Jump):
            signal = BREAK if node.kind == "break" else CONTINUE
            return lambda frame: signal
        if isinstance(node, a.Return):
            if node.value is None:
                return lambda frame: Returned(None)
            value = self.expr(node.value, scope)
            return lambda frame: Returned(value(frame))
        if isinstance(node, a.Throw):
            thrown = self.expr(node.value, scope)

            def run_throw(frame: Frame) -> None:
                raise throw_value(thrown(frame))

            return run_throw
        if isinstance(node, a.Try):
            return self.try_(node, scope)
        if isinstance(node, a.Block):
            return self.nested(node, scope)
        if isinstance(node, a.Assert):
            return self.assertion(node, scope)
        return self.expr(node, scope)

    def decl(self, node: a.Decl, scope: Scope) -> Stmt:
        type_name = node.type_name
        items: list[tuple[str, Fn | None]] = []
        for name, value in node.items:
            items.append((name, self.expr(value, scope) if value is not None else None))
            scope.names.add(name)

        def run(frame: Frame) -> None:
            for name, value in items:
                if value is None:
                    result = PRIMITIVE_DEFAULTS.get(type_name or "")
                else:
                    result = value(frame)
                    if type_name is not None:
                        result = declare(frame.ctx, result, type_name)
                frame.vars[name] = result

        return run

    def loop_scope(self, scope: Scope) -> Scope:
        inner = Scope(scope, closure=False)
        inner.in_loop = True
        return inner

    def while_(self, node: a.While, scope: Scope) -> Stmt:
        cond = self.expr(node.cond, scope)
        body = self.nested(node.body, self.loop_scope(scope))

        def run(frame: Frame) -> Any:
            step = frame.ctx.budget.step
            while truth(cond(frame)):
                step()
                signal = body(frame)
                if signal is BREAK:
                    break
                if signal is not None and signal is not CONTINUE:
                    return signal
            return None

        return run

    def for_in(self, node: a.ForIn, scope: Scope) -> Stmt:
        iterable = self.expr(node.iterable, scope)
        inner = self.loop_scope(scope)
        inner.names.add(node.var)
        body = self.nested(node.body, inner)
        var = node.var

        def run(frame: Frame) -> Any:
            step = frame.ctx.budget.step
            local = frame.vars
            for item in iterate(frame.ctx, iterable(frame)):
                step()
                local[var] = item
                signal = body(frame)
                if signal is BREAK:
                    break
                if signal is not None and signal is not CONTINUE:
                    return signal
            return None

        return run

    def for_classic(self, node: a.ForC, scope: Scope) -> Stmt:
        inner = self.loop_scope(scope)
        init = [self.stmt(s, inner) for s in node.init]
        cond = self.expr(node.cond, inner) if node.cond is not None else None
        update = [self.expr(e, inner) for e in node.update]
        body = self.nested(node.body, inner)

        def run(frame: Frame) -> Any:
            step = frame.ctx.budget.step
            for fn in init:
                fn(frame)
            while cond is None or truth(cond(frame)):
                step()
                signal = body(frame)
                if signal is BREAK:
                    break
                if signal is not None and signal is not CONTINUE:
                    return signal
                for fn in update:
                    fn(frame)
            return None

        return run

    def try_(self, node: a.Try, scope: Scope) -> Stmt:
        body = self.nested(node.body, scope)
        clauses: list[tuple[list[str], str, Stmt]] = []
        for clause in node.catches:
            kinds = [k for k in (exception_kind(t) for t in clause.types) if k]
            inner = Scope(scope, closure=False)
            inner.in_loop = scope.in_loop
            inner.names.add(clause.name)
            handler = self.block(
                clause.body.body if isinstance(clause.body, a.Block) else [clause.body], inner
            )
            clauses.append((kinds, clause.name, handler))
        final = self.nested(node.final, scope) if node.final is not None else None

        def guarded(frame: Frame) -> Any:
            try:
                return body(frame)
            except GroovyThrow as thrown:
                exception = thrown.exception
                for kinds, name, handler in clauses:
                    if any(is_subclass(exception.kind, kind) for kind in kinds):
                        frame.vars[name] = exception
                        return handler(frame)
                raise

        if final is None:
            return guarded

        def run(frame: Frame) -> Any:
            try:
                signal = guarded(frame)
            except (GroovyThrow, GroovyLimitError):
                # As in Java, a `return`, `break` or `continue` in finally discards the error.
                jump = final(frame)
                if jump is not None:
                    return jump
                raise
            jump = final(frame)
            return jump if jump is not None else signal

        return run

    def assertion(self, node: a.Assert, scope: Scope) -> Stmt:
        cond = self.expr(node.cond, scope)
        message = self.expr(node.message, scope) if node.message is not None else None
        start = node.pos + len("assert")
        text = self.source[start : start + 200].split("\n", 1)[0].split(";", 1)[0].strip()

        def run(frame: Frame) -> None:
            if not truth(cond(frame)):
                detail = to_str(message(frame)) if message else f"assert {text}"
                raise GroovyThrow(JavaException("AssertionError", detail))

        return run

    # ------------------------------------------------------------ closures and scripts

    def closure(self, node: a.ClosureLit, scope: Scope) -> Fn:
        inner = Scope(scope, closure=True)
        params = tuple(node.params) if node.params is not None else None
        inner.names.update(params if params is not None else ("it",))
        body = self.block(with_implicit_return(node.body), inner)
        line = self.line(node)
        arity = len(params) if params is not None else None

        def invoke(closure: GClosure, args: list[Any]) -> Any:
            parent: Frame = closure.frame
            ctx = parent.ctx
            ctx.budget.step()
            if ctx.depth >= ctx.max_depth:
                ctx.enter()  # raises the nesting limit
            ctx.depth += 1
            try:
                frame = Frame(ctx, parent)
                if params is None:
                    if len(args) > 1:
                        raise _arity_error(line, 1, args)
                    frame.vars["it"] = args[0] if args else None
                else:
                    if (
                        arity is not None
                        and arity > 1
                        and len(args) == 1
                        and isinstance(args[0], list)
                    ):
                        args = list(args[0])
                    if len(args) != arity:
                        raise _arity_error(line, arity or 0, args)
                    frame.vars.update(zip(params, args, strict=True))
                signal = body(frame)
            finally:
                ctx.depth -= 1
            return signal.value if isinstance(signal, Returned) else None

        return lambda frame: GClosure(params, invoke, frame, line)

    def script(self, node: a.Script) -> Stmt:
        """Compile a whole script; calling the result runs it and gives its value."""
        scope = Scope(None, closure=True)
        body = self.block(with_implicit_return(node.body), scope)

        def run(frame: Frame) -> Any:
            signal = body(frame)
            return signal.value if isinstance(signal, Returned) else None

        return run


def with_implicit_return(body: list[a.Node]) -> list[a.Node]:
    """Groovy's implicit return: the last statement's value becomes the body's value."""
    if not body:
        return body
    last = body[-1]
    replaced = _returning(last)
    return body if replaced is last else [*body[:-1], replaced]


def _returning(node: a.Node) -> a.Node:
    if isinstance(node, a.ExprStmt) and not isinstance(node.expr, a.Refused):
        return a.Return(node.pos, node.expr)
    if isinstance(node, a.If):
        then = a.Block(node.then.pos, with_implicit_return(_body(node.then)))
        otherwise = (
            a.Block(node.otherwise.pos, with_implicit_return(_body(node.otherwise)))
            if node.otherwise is not None
            else None
        )
        return a.If(node.pos, node.cond, then, otherwise)
    if isinstance(node, a.Try):
        body = a.Block(node.body.pos, with_implicit_return(_body(node.body)))
        catches = [
            a.Catch(
                c.pos, c.types, c.name, a.Block(c.body.pos, with_implicit_return(_body(c.body)))
            )
            for c in node.catches
        ]
        return a.Try(node.pos, body, catches, node.final)
    if isinstance(node, a.Decl) and len(node.items) == 1 and node.items[0][1] is not None:
        name = node.items[0][0]
        return a.Block(node.pos, [node, a.Return(node.pos, a.Name(node.pos, name))])
    if isinstance(node, a.Block):
        return a.Block(node.pos, with_implicit_return(node.body))
    return node


def _body(node: a.Node) -> list[a.Node]:
    return node.body if isinstance(node, a.Block) else [node]


def _arity_error(line: int, expected: int, args: list[Any]) -> GroovyThrow:
    from modelop_mlc._engine.groovy._values import type_name  # noqa: PLC0415 - tiny helper

    types = ", ".join(type_name(arg) for arg in args)
    return GroovyThrow(
        JavaException(
            "MissingMethodException",
            f"the closure on line {line} takes {expected} parameter(s) but was called with "
            f"({types})",
        )
    )


def _internal(err: Exception, line: int) -> Exception:
    if isinstance(err, RecursionError):
        return GroovyLimitError("the script nests calls too deeply", line)
    return GroovyThrow(
        JavaException("GroovyRuntimeException", f"{type(err).__name__}: {err}"), line
    )
