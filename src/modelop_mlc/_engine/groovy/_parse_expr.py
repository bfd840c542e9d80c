r"""The expression half of the parser: tokens into expression nodes, by precedence climbing.

Expressions follow Groovy's operator precedence, with trailing closures
(`list.find { ... }`), named arguments, command calls (`println x`) and method chains
continued on the next line (`\n  .collect { ... }`). `_parser` adds statements.
"""

from __future__ import annotations

from typing import Final

from modelop_mlc._engine.groovy import _ast as a
from modelop_mlc._engine.groovy._errors import GroovySyntaxError
from modelop_mlc._engine.groovy._lexer import PRIMITIVES, Token, tokenize

__all__ = ["ExprParser"]

_ASSIGN_OPS: Final = frozenset(
    {"=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^="}
)
# Binary operators by precedence level, loosest first (below the ternary and elvis).
_LEVELS: Final[tuple[frozenset[str], ...]] = (
    frozenset({"||"}),
    frozenset({"&&"}),
    frozenset({"|"}),
    frozenset({"^"}),
    frozenset({"&"}),
    frozenset({"=~", "==~"}),
    frozenset({"==", "!=", "<=>", "===", "!=="}),
    frozenset({"<", "<=", ">", ">=", "in", "instanceof", "as", "!in", "!instanceof"}),
    frozenset({"<<", ">>", ">>>", "..", "..<"}),
    frozenset({"+", "-"}),
    frozenset({"*", "/", "%"}),
)
_MODIFIERS: Final = frozenset(
    {"final", "static", "private", "public", "protected", "abstract", "synchronized",
     "transient", "volatile"}
)  # fmt: skip
_STATEMENT_END: Final = frozenset({";", "}"})
_LITERAL_WORDS: Final = {"true": True, "false": False, "null": None}
# Tokens that may start the argument of a command call such as `println x`.
_COMMAND_ARG: Final = frozenset({"str", "gstr", "num", "name"})


class ExprParser:
    """Token helpers and expressions; subclasses supply `statement` and `statements_until`."""

    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.src = source
        self.tokens = tokens
        self.i = 0

    # ------------------------------------------------------------ token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def at(self, value: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind in {"op", "kw"} and tok.value == value

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        if self.at(value):
            self.i += 1
            return True
        return False

    def expect(self, value: str, what: str = "") -> Token:
        if not self.at(value):
            raise self.error(self.tok, f"expected '{value}'{what}, found {self.shown(self.tok)}")
        return self.advance()

    def name(self, what: str) -> str:
        tok = self.tok
        if tok.kind != "name":
            raise self.error(tok, f"expected {what}, found {self.shown(tok)}")
        self.advance()
        return str(tok.value)

    def skip_nl(self) -> None:
        while self.tok.kind == "nl":
            self.i += 1

    def shown(self, tok: Token) -> str:
        if tok.kind == "eof":
            return "the end of the script"
        if tok.kind == "nl":
            return "the end of the line"
        if tok.kind in {"str", "gstr"}:
            return "a string"
        return f"'{tok.value}'"

    def error(self, tok: Token, message: str) -> GroovySyntaxError:
        return GroovySyntaxError(message, self.src, tok.pos)

    # ------------------------------------------------------------ statements

    def word(self, what: str) -> str:
        tok = self.tok
        if tok.kind not in {"name", "kw"}:
            raise self.error(tok, f"expected {what}, found {self.shown(tok)}")
        self.advance()
        return str(tok.value)

    def skip_generics(self, j: int) -> int:
        toks = self.tokens
        if not (toks[j].kind == "op" and toks[j].value == "<"):
            return j
        depth = 0
        while toks[j].kind != "eof":
            value = toks[j].value if toks[j].kind == "op" else None
            if value == "<":
                depth += 1
            elif value in {">", ">>", ">>>"}:
                depth -= len(value)
                if depth <= 0:
                    return j + 1
            elif toks[j].kind not in {"name", "kw"} and value not in {",", ".", "?", "[", "]"}:
                return j
            j += 1
        return j

    def type_name(self) -> str:
        """A type: `def`, a primitive, or `a.b.C<X, Y>[]` (generics are skipped)."""
        tok = self.tok
        if tok.kind == "kw" and (tok.value in PRIMITIVES or tok.value in {"def", "var"}):
            self.advance()
            name = str(tok.value)
        else:
            parts = [self.name("a type name")]
            while self.at(".") and self.peek().kind == "name":
                self.advance()
                parts.append(self.name("a type name"))
            name = ".".join(parts)
        self.i = self.skip_generics(self.i)
        while self.at("[") and self.peek().value == "]":
            self.i += 2
            name += "[]"
        return name

    # ------------------------------------------------------------ expressions

    def expression_statement(self) -> a.Node:
        """An expression, or a command call such as `println "x"` / `log.info "x"`."""
        expr = self.expression()
        tok = self.tok
        starts_argument = tok.kind in _COMMAND_ARG or (
            tok.kind == "kw" and tok.value in {*_LITERAL_WORDS, "new"}
        )
        if starts_argument and (
            isinstance(expr, a.Name)
            or (isinstance(expr, a.Prop) and not expr.safe and not expr.spread)
        ):
            args = [self.expression()]
            while self.accept(","):
                self.skip_nl()
                args.append(self.expression())
            if isinstance(expr, a.Name):
                return a.Call(expr.pos, None, expr.name, args, [])
            return a.Call(expr.pos, expr.obj, expr.name, args, [])
        return expr

    def expression(self) -> a.Node:
        left = self.ternary()
        tok = self.tok
        if tok.kind == "op" and tok.value in _ASSIGN_OPS:
            if not isinstance(left, a.Name | a.Prop | a.Index):
                raise self.error(
                    tok,
                    "the left side of an assignment must be a variable, a property or an element",
                )
            self.advance()
            self.skip_nl()
            return a.Assign(tok.pos, str(tok.value), left, self.expression())
        return left

    def ternary(self) -> a.Node:
        cond = self.binary(0)
        tok = self.tok
        if self.accept("?:"):
            self.skip_nl()
            return a.Elvis(tok.pos, cond, self.ternary())
        if self.at("?"):
            self.advance()
            self.skip_nl()
            yes = self.ternary()
            self.skip_nl()
            self.expect(":", " in the ternary ?:")
            self.skip_nl()
            return a.Ternary(tok.pos, cond, yes, self.ternary())
        return cond

    def binary(self, level: int) -> a.Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        ops = _LEVELS[level]
        while True:
            tok = self.tok
            op = self.binary_op(ops)
            if op is None:
                return left
            self.skip_nl()
            if op in {"instanceof", "!instanceof"}:
                left = a.InstanceOf(tok.pos, left, self.type_name(), negated=op[0] == "!")
            elif op == "as":
                left = a.Cast(tok.pos, left, self.type_name())
            elif op in {"..", "..<"}:
                right = self.binary(level + 1)
                left = a.RangeLit(tok.pos, left, right, exclusive=op == "..<")
            elif op in {"&&", "||"}:
                left = a.Logic(tok.pos, op, left, self.binary(level + 1))
            else:
                left = a.Binary(tok.pos, op, left, self.binary(level + 1))

    def binary_op(self, ops: frozenset[str]) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.value == "!" and "in" in ops:
            nxt = self.peek()
            if nxt.kind == "kw" and nxt.value in {"in", "instanceof"} and not nxt.space_before:
                self.i += 2
                return f"!{nxt.value}"
            return None
        if tok.kind == "op" and tok.value == ">" and ">>" in ops:
            # `a >> b` arrives as two `>` tokens when generics were possible; keep it simple.
            pass
        if tok.kind in {"op", "kw"} and tok.value in ops:
            self.advance()
            return str(tok.value)
        return None

    def unary(self) -> a.Node:
        tok = self.tok
        if tok.kind == "op" and tok.value in {"-", "+", "!", "~"}:
            self.advance()
            operand = self.unary()
            if tok.value == "-" and isinstance(operand, a.Lit) and _is_number(operand.value):
                return a.Lit(tok.pos, -operand.value)
            return a.Unary(tok.pos, str(tok.value), operand)
        if tok.kind == "op" and tok.value in {"++", "--"}:
            self.advance()
            return a.IncDec(tok.pos, str(tok.value), self.unary(), prefix=True)
        if tok.kind == "op" and tok.value == "(" and self.is_java_cast():
            self.advance()
            type_name = self.type_name()
            self.expect(")")
            return a.Cast(tok.pos, self.unary(), type_name)
        return self.power()

    def is_java_cast(self) -> bool:
        """`(String) x` / `(int) y`: a parenthesised type followed by an operand."""
        j = self.i + 1
        toks = self.tokens
        if toks[j].kind == "kw" and toks[j].value in PRIMITIVES:
            return bool(toks[j + 1].value == ")")
        if toks[j].kind != "name" or not str(toks[j].value)[:1].isupper():
            return False
        j += 1
        while toks[j].kind == "op" and toks[j].value == "." and toks[j + 1].kind == "name":
            j += 2
        j = self.skip_generics(j)
        if not (toks[j].kind == "op" and toks[j].value == ")"):
            return False
        nxt = toks[j + 1]
        return (
            nxt.kind in {"name", "num", "str", "gstr"}
            or (nxt.kind == "kw" and nxt.value in {"new", "true", "false", "null"})
            or (nxt.kind == "op" and nxt.value in {"(", "["})
        )

    def power(self) -> a.Node:
        base = self.postfix(self.primary())
        tok = self.tok
        if self.accept("**"):
            self.skip_nl()
            return a.Binary(tok.pos, "**", base, self.unary())
        return base

    def postfix(self, expr: a.Node) -> a.Node:
        while True:
            tok = self.tok
            if tok.kind == "nl":
                j = self.i
                while self.tokens[j].kind == "nl":
                    j += 1
                nxt = self.tokens[j]
                if nxt.kind == "op" and nxt.value in {".", "?.", "*."}:
                    self.i = j
                    continue
                return expr
            if tok.kind != "op":
                return expr
            op = tok.value
            if op in {".", "?.", "*."}:
                self.advance()
                self.skip_nl()
                expr = self.member(expr, tok, safe=op == "?.", spread=op == "*.")
            elif op in {".&", ".@", "::"}:
                raise self.error(
                    tok, f"'{op}' (method pointers and direct field access) is not supported"
                )
            elif op == "[":
                self.advance()
                index = self.index_expression(tok)
                self.expect("]", " to close the index")
                expr = a.Index(tok.pos, expr, index, safe=False)
            elif op == "?" and self.peek().value == "[" and not self.peek().space_before:
                self.i += 2
                index = self.index_expression(tok)
                self.expect("]", " to close the index")
                expr = a.Index(tok.pos, expr, index, safe=True)
            elif op == "(":
                args, _ = self.arguments()
                expr = a.CallValue(tok.pos, expr, args + self.trailing_closures())
            elif op in {"++", "--"}:
                self.advance()
                expr = a.IncDec(tok.pos, str(op), expr, prefix=False)
            else:
                return expr

    def index_expression(self, tok: Token) -> a.Node:
        first = self.expression()
        if not self.at(","):
            return first
        items = [first]
        while self.accept(","):
            items.append(self.expression())
        return a.ListLit(tok.pos, items)

    def member(self, obj: a.Node, tok: Token, *, safe: bool, spread: bool) -> a.Node:
        name_tok = self.tok
        if name_tok.kind in {"name", "kw"} or name_tok.kind == "str":
            self.advance()
            name = str(name_tok.value)
        else:
            raise self.error(
                name_tok,
                f"expected a property or method name after "
                f"'{tok.value}', found {self.shown(name_tok)}",
            )
        nxt = self.tok
        if nxt.kind == "op" and nxt.value == "(":
            args, named = self.arguments()
            args.extend(self.trailing_closures())
            return a.Call(tok.pos, obj, name, args, named, safe=safe, spread=spread)
        if nxt.kind == "op" and nxt.value == "{":
            return a.Call(
                tok.pos, obj, name, self.trailing_closures(), [], safe=safe, spread=spread
            )
        return a.Prop(tok.pos, obj, name, safe=safe, spread=spread)

    def trailing_closures(self) -> list[a.Node]:
        closures: list[a.Node] = []
        while self.at("{"):
            closures.append(self.closure())
        return closures

    def arguments(self) -> tuple[list[a.Node], list[tuple[a.Node, a.Node]]]:
        self.expect("(")
        args: list[a.Node] = []
        named: list[tuple[a.Node, a.Node]] = []
        while not self.at(")"):
            tok = self.tok
            if (
                tok.kind in {"name", "kw", "str"}
                and self.peek().value == ":"
                and (self.peek().kind == "op")
            ):
                self.i += 2
                named.append((a.Lit(tok.pos, str(tok.value)), self.expression()))
            else:
                args.append(self.expression())
            if not self.accept(","):
                break
        self.expect(")", " to close the argument list")
        return args, named

    def primary(self) -> a.Node:
        tok = self.tok
        kind = tok.kind
        if kind == "num":
            self.advance()
            return a.Lit(tok.pos, tok.value)
        if kind == "str":
            self.advance()
            return a.Lit(tok.pos, tok.value)
        if kind == "gstr":
            self.advance()
            return self.gstring(tok)
        if kind == "name":
            self.advance()
            if self.at("("):
                args, named = self.arguments()
                args.extend(self.trailing_closures())
                return a.Call(tok.pos, None, str(tok.value), args, named)
            if self.at("{") and not self.tok.space_before:
                return a.Call(tok.pos, None, str(tok.value), self.trailing_closures(), [])
            return a.Name(tok.pos, str(tok.value))
        if kind == "kw":
            word = tok.value
            if word in _LITERAL_WORDS:
                self.advance()
                return a.Lit(tok.pos, _LITERAL_WORDS[word])
            if word == "new":
                return self.new()
            if word in {"this", "super"}:
                self.advance()
                return a.Refused(tok.pos, f"'{word}' (the script object)")
            if word in PRIMITIVES:
                self.advance()
                return a.Name(tok.pos, str(word))
            raise self.error(tok, f"unexpected keyword '{word}'")
        if kind == "op":
            if tok.value == "(":
                self.advance()
                self.skip_nl()
                expr = self.expression()
                self.skip_nl()
                self.expect(")", " to close the parenthesis")
                return expr
            if tok.value == "[":
                return self.list_or_map()
            if tok.value == "{":
                return self.closure()
            if tok.value == "@":
                raise self.error(tok, "annotations such as @Grab are not supported")
        raise self.error(tok, f"unexpected {self.shown(tok)}")

    def new(self) -> a.Node:
        start = self.advance()
        type_name = self.type_name()
        if self.at("["):
            raise self.error(self.tok, "arrays (new T[n]) are not supported; use a list []")
        if self.at("{"):
            raise self.error(self.tok, "anonymous classes are not supported")
        args, named = self.arguments() if self.at("(") else ([], [])
        if self.at("{"):
            raise self.error(self.tok, "anonymous classes are not supported")
        return a.New(start.pos, type_name, args, named)

    def gstring(self, tok: Token) -> a.Node:
        parts: list[str | a.Node] = []
        for part in tok.value:
            if isinstance(part, str):
                parts.append(part)
                continue
            text, offset = part
            tokens = tokenize(text, offset, self.src)
            sub = type(self)(self.src, tokens)
            if sub.tok.kind == "eof":
                parts.append(a.Lit(offset, None))
                continue
            body = sub.statements_until_eof()
            if len(body) != 1 or not isinstance(body[0], a.ExprStmt):
                raise GroovySyntaxError(
                    "a ${...} in a string must hold one expression", self.src, offset
                )
            parts.append(body[0].expr)
        return a.GStr(tok.pos, parts)

    def statements_until_eof(self) -> list[a.Node]:
        body: list[a.Node] = []
        self.skip_terminators()
        while self.tok.kind != "eof":
            body.append(self.statement())
            self.end_statement()
        return body

    def list_or_map(self) -> a.Node:
        start = self.advance()
        if self.accept(":"):
            self.expect("]", " after [:")
            return a.MapLit(start.pos, [])
        items: list[a.Node] = []
        entries: list[tuple[a.Node, a.Node]] = []
        while not self.at("]"):
            self.skip_nl()
            if self.at("]"):
                break
            tok = self.tok
            if (
                tok.kind in {"name", "kw"}
                and self.peek().kind == "op"
                and (self.peek().value == ":")
            ):
                self.i += 2
                key: a.Node = a.Lit(tok.pos, str(tok.value))
                entries.append((key, self.expression()))
            else:
                value = self.expression()
                if self.accept(":"):
                    entries.append((value, self.expression()))
                else:
                    items.append(value)
            if entries and items:
                raise self.error(tok, "a literal cannot mix list items and map entries")
            self.skip_nl()
            if not self.accept(","):
                break
        self.skip_nl()
        self.expect("]", " to close the list or map")
        return a.MapLit(start.pos, entries) if entries else a.ListLit(start.pos, items)

    def closure(self) -> a.ClosureLit:
        start = self.expect("{")
        params = self.closure_params()
        body = self.statements_until("}")
        self.expect("}", " to close the closure")
        return a.ClosureLit(start.pos, params, body)

    def closure_params(self) -> list[str] | None:
        """Parse `a, b ->` (optionally typed) if present; None means the implicit `it`."""
        j = self.i
        toks = self.tokens
        while toks[j].kind == "nl":
            j += 1
        k = j
        while toks[k].kind in {"name", "kw"} or (
            toks[k].kind == "op" and toks[k].value in {",", ".", "<", ">", "[", "]", "?"}
        ):
            k += 1
        if not (toks[k].kind == "op" and toks[k].value == "->"):
            if toks[k].kind == "op" and toks[k].value == "=":
                raise self.error(
                    toks[k], "closure parameters with default values are not supported"
                )
            return None
        self.i = j
        params: list[str] = []
        while not self.at("->"):
            if (
                (self.tok.kind == "kw" and self.tok.value in PRIMITIVES)
                or (self.tok.kind == "name" and self.peek().kind == "name")
                or (self.tok.kind == "name" and self.peek().value in {".", "<"})
            ):
                self.type_name()
            params.append(self.name("a closure parameter"))
            if not self.accept(","):
                break
        self.expect("->")
        return params

    def statement(self) -> a.Node:  # pragma: no cover - supplied by the statement parser
        """Parse one statement."""
        raise NotImplementedError

    def statements_until(self, closing: str) -> list[a.Node]:  # pragma: no cover - likewise
        """Parse statements up to `closing`."""
        raise NotImplementedError

    def skip_terminators(self) -> None:
        while self.tok.kind == "nl" or self.at(";"):
            self.i += 1

    def end_statement(self) -> None:
        tok = self.tok
        if tok.kind in {"nl", "eof"} or self.at(";"):
            self.skip_terminators()
            return
        if self.at("}"):
            return
        raise self.error(tok, f"unexpected {self.shown(tok)} after the statement; end it first")


def _is_number(value: object) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)) or (
        type(value).__name__ == "Decimal"
    )
