"""FEEL parser: a recursive-descent / Pratt parser producing `_feel_ast` nodes.

Binding powers, weakest first: `or`, `and`, comparisons (`= != < <= > >=`, `between`,
`in`), `instance of`, `+ -`, `* /`, `**` (left-associative, as the TCK expects), then
negation and the postfix forms (path, filter, invocation).

FEEL names may contain spaces and some symbols (`Applicant Age`, `Date-Time`,
`Person's description`). A name is resolved against the names known in scope, longest
match first; when none matches, consecutive plain words are joined into one name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Final

from modelop_mlc.dmn import _feel_ast as ast
from modelop_mlc.dmn._feel_lexer import EOF, NAME, NUM, OP, STR, FeelSyntaxError, Token, tokenize
from modelop_mlc.dmn._feel_temporal import parse_datetime, parse_duration, parse_time

__all__ = [
    "BUILTIN_TYPES",
    "mentions",
    "names_in",
    "normalize_name",
    "parse_expression",
    "parse_type",
    "parse_unary_tests",
]

_OR: Final = 1
_AND: Final = 2
_CMP: Final = 3
_INSTANCE: Final = 4
_ADD: Final = 5
_MUL: Final = 6
_POW: Final = 7

_BINARY: Final = {
    "+": _ADD,
    "-": _ADD,
    "*": _MUL,
    "/": _MUL,
    "**": _POW,
    "=": _CMP,
    "!=": _CMP,
    "<": _CMP,
    "<=": _CMP,
    ">": _CMP,
    ">=": _CMP,
}
_COMPARISONS: Final = frozenset({"=", "!=", "<", "<=", ">", ">="})
_RESERVED: Final = frozenset(
    {
        "and",
        "or",
        "in",
        "between",
        "instance",
        "then",
        "else",
        "return",
        "satisfies",
        "not",
        "for",
        "some",
        "every",
        "if",
        "function",
        "true",
        "false",
        "null",
        "external",
    }
)
_NAME_SYMBOLS: Final = frozenset({".", "/", "-", "'", "\u2019", "+", "*"})
_MAX_NAME_TOKENS: Final = 16
_DATE_START: Final = re.compile(r"-?[0-9]{4,}-")

BUILTIN_TYPES: Final = frozenset(
    {
        "Any",
        "Null",
        "number",
        "string",
        "boolean",
        "date",
        "time",
        "date and time",
        "dateTime",
        "days and time duration",
        "dayTimeDuration",
        "years and months duration",
        "yearMonthDuration",
        "duration",
        "context",
        "list",
        "function",
        "range",
        "integer",
        "long",
        "double",
        "int",
        "decimal",
    }
)


def normalize_name(name: str) -> str:
    """Collapse runs of whitespace in a FEEL name to single spaces."""
    return " ".join(name.split())


class _Parser:
    def __init__(self, text: str, known: Collection[str]) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.known = known
        self.locals: list[set[str]] = []
        self.no_filter = False
        self.in_type = False
        """Set while reading a range's end, where `[` closes the range (`[1..10[`)."""

    # -- token helpers -------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Token:
        index = min(self.pos + offset, len(self.tokens) - 1)
        return self.tokens[index]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != EOF:
            self.pos += 1
        return tok

    def at_op(self, text: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok.kind == OP and tok.text == text

    def at_kw(self, word: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok.kind == NAME and tok.text == word

    def error(self, tok: Token | None = None) -> FeelSyntaxError:
        tok = tok or self.peek()
        if tok.kind == EOF:
            return FeelSyntaxError("unexpected end of expression", tok.start + 1)
        shown = self.text[tok.start : tok.end]
        return FeelSyntaxError(f"unexpected {shown!r}", tok.start + 1)

    def expect_op(self, text: str) -> Token:
        if not self.at_op(text):
            raise self.error()
        return self.advance()

    def expect_kw(self, word: str) -> Token:
        if not self.at_kw(word):
            raise self.error()
        return self.advance()

    def expect_end(self) -> None:
        if self.peek().kind != EOF:
            raise self.error()

    # -- names ---------------------------------------------------------------------------

    def is_known(self, name: str) -> bool:
        if name in self.known or (self.in_type and name in BUILTIN_TYPES):
            return True
        return any(name in frame for frame in self.locals)

    def name_end(self, start: int) -> int | None:
        """Return the index after the longest known name starting at token `start`."""
        best: int | None = None
        first = self.tokens[start]
        j = start
        limit = min(len(self.tokens) - 1, start + _MAX_NAME_TOKENS)
        while j < limit:
            tok = self.tokens[j]
            if not (tok.kind in (NAME, NUM) or (tok.kind == OP and tok.text in _NAME_SYMBOLS)):
                break
            candidate = normalize_name(self.text[first.start : tok.end])
            if self.is_known(candidate):
                best = j + 1
            j += 1
        return best

    def read_name(self) -> str:
        """Read a (possibly multi-word) name at the current position."""
        start = self.pos
        end = self.name_end(start)
        if end is None:
            end = start + 1
            while (
                self.tokens[end].kind == NAME
                and self.tokens[end].text not in _RESERVED
                and self.tokens[start].text not in _RESERVED
            ):
                end += 1
        self.pos = end
        first, last = self.tokens[start], self.tokens[end - 1]
        return normalize_name(self.text[first.start : last.end])

    def read_words(self, stop: Iterable[str] = ()) -> str:
        """Read plain words up to a reserved word or operator (property and parameter names)."""
        stops = set(stop)
        tok = self.peek()
        if tok.kind != NAME:
            raise self.error()
        words = [self.advance().text]
        while (
            self.peek().kind == NAME
            and self.peek().text not in _RESERVED
            and self.peek().text not in stops
        ):
            words.append(self.advance().text)
        return " ".join(words)

    # -- expressions ---------------------------------------------------------------------

    def expression(self, min_bp: int = 0) -> ast.Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.text in _BINARY:
                bp = _BINARY[tok.text]
                if bp <= min_bp:
                    break
                self.advance()
                right = self.expression(bp)
                if tok.text in _COMPARISONS:
                    left = ast.Compare(tok.text, left, right)
                else:
                    left = ast.Arith(tok.text, left, right)
                continue
            if tok.kind != NAME:
                break
            word = tok.text
            if word == "or" and min_bp < _OR:
                self.advance()
                left = ast.Or(left, self.expression(_OR))
            elif word == "and" and min_bp < _AND:
                self.advance()
                left = ast.And(left, self.expression(_AND))
            elif word == "between" and min_bp < _CMP:
                self.advance()
                low = self.expression(_CMP)
                self.expect_kw("and")
                high = self.expression(_CMP)
                left = ast.Between(left, low, high)
            elif word == "in" and min_bp < _CMP:
                self.advance()
                left = ast.In(left, self.in_tests())
            elif word == "instance" and self.at_kw("of", 1) and min_bp < _INSTANCE:
                self.advance()
                self.advance()
                left = ast.InstanceOf(left, self.type_())
            else:
                break
        return left

    def unary(self) -> ast.Node:
        if self.at_op("-"):
            self.advance()
            operand = self.unary()
            if isinstance(operand, ast.Literal) and type(operand.value) is Decimal:
                return ast.Literal(-operand.value)
            return ast.Neg(operand)
        return self.postfix(self.primary())

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            if self.at_op("."):
                dot = self.advance()
                if self.peek().kind != NAME:
                    raise self.error(dot)
                node = ast.Path(node, self.read_words())
            elif self.at_op("[") and not self.no_filter:
                self.advance()
                condition = self.expression()
                self.expect_op("]")
                node = ast.Filter(node, condition)
            elif self.at_op("("):
                node = self.call(node)
            else:
                return node

    def call(self, function: ast.Node) -> ast.Node:
        saved, self.no_filter = self.no_filter, False
        try:
            return self._call(function)
        finally:
            self.no_filter = saved

    def _call(self, function: ast.Node) -> ast.Node:
        self.expect_op("(")
        args: list[ast.Node] = []
        names: list[str] = []
        if not self.at_op(")"):
            while True:
                if self.named_argument_ahead():
                    names.append(self.read_param_name())
                    self.expect_op(":")
                elif names:
                    raise self.error()
                args.append(self.expression())
                if self.at_op(","):
                    self.advance()
                    continue
                break
        self.expect_op(")")
        if names and len(names) != len(args):
            raise self.error()
        return ast.Call(function, tuple(args), tuple(names) if names else None)

    def named_argument_ahead(self) -> bool:
        j = 0
        while self.peek(j).kind == NAME:
            j += 1
        return j > 0 and self.at_op(":", j)

    def read_param_name(self) -> str:
        words = []
        while self.peek().kind == NAME:
            words.append(self.advance().text)
        return " ".join(words)

    def primary(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == NUM:
            self.advance()
            assert tok.number is not None
            return ast.Literal(tok.number)
        if tok.kind == STR:
            self.advance()
            return ast.Literal(tok.text)
        if tok.kind == OP:
            return self.primary_op(tok)
        if tok.kind == NAME:
            return self.primary_name(tok)
        raise self.error()

    def primary_op(self, tok: Token) -> ast.Node:
        saved, self.no_filter = self.no_filter, False
        try:
            return self._primary_op(tok)
        finally:
            self.no_filter = saved

    def _primary_op(self, tok: Token) -> ast.Node:
        if tok.text == "@":
            self.advance()
            lit = self.peek()
            if lit.kind != STR:
                raise self.error()
            self.advance()
            return ast.Literal(_temporal_literal(lit))
        if tok.text == "(":
            self.advance()
            if self.peek().kind == OP and self.peek().text in _COMPARISONS:
                op = self.advance().text
                operand = self.expression(_CMP)
                self.expect_op(")")
                return _comparison_range(op, operand)
            inner = self.expression()
            if self.at_op(".."):
                return self.range_rest(inner, start_included=False)
            self.expect_op(")")
            return inner
        if tok.text == "[":
            self.advance()
            if self.at_op("]"):
                self.advance()
                return ast.ListLit(())
            first = self.expression()
            if self.at_op(".."):
                return self.range_rest(first, start_included=True)
            items = [first]
            while self.at_op(","):
                self.advance()
                items.append(self.expression())
            self.expect_op("]")
            return ast.ListLit(tuple(items))
        if tok.text == "]":
            self.advance()
            start = self.expression()
            if not self.at_op(".."):
                raise self.error()
            return self.range_rest(start, start_included=False)
        if tok.text == "{":
            return self.context()
        raise self.error()

    def range_rest(self, start: ast.Node, *, start_included: bool) -> ast.Node:
        self.expect_op("..")
        saved, self.no_filter = self.no_filter, True
        try:
            end = self.expression()
        finally:
            self.no_filter = saved
        close = self.peek()
        if close.kind != OP or close.text not in ("]", ")", "["):
            raise self.error()
        self.advance()
        return ast.RangeLit(start, end, start_included, close.text == "]")

    def context(self) -> ast.Node:
        self.expect_op("{")
        entries: list[tuple[str, ast.Node]] = []
        frame: set[str] = set()
        self.locals.append(frame)
        try:
            if self.at_op("}"):
                self.advance()
                return ast.ContextLit(())
            while True:
                key = self.context_key()
                self.expect_op(":")
                value = self.expression()
                entries.append((key, value))
                frame.add(key)
                if self.at_op(","):
                    self.advance()
                    continue
                self.expect_op("}")
                return ast.ContextLit(tuple(entries))
        finally:
            self.locals.pop()

    def context_key(self) -> str:
        tok = self.peek()
        if tok.kind == STR:
            self.advance()
            return tok.text
        start = self.pos
        while not self.at_op(":"):
            if self.peek().kind == EOF or (self.peek().kind == OP and self.peek().text in ",{}"):
                raise self.error()
            self.advance()
        if self.pos == start:
            raise self.error()
        first, last = self.tokens[start], self.tokens[self.pos - 1]
        return normalize_name(self.text[first.start : last.end])

    def primary_name(self, tok: Token) -> ast.Node:
        word = tok.text
        if word in _RESERVED:
            end = self.name_end(self.pos)
            if end is None or end == self.pos + 1:
                return self.keyword(tok)
        return ast.Name(self.read_name())

    def keyword(self, tok: Token) -> ast.Node:
        word = tok.text
        if word == "true":
            self.advance()
            return ast.Literal(value=True)
        if word == "false":
            self.advance()
            return ast.Literal(value=False)
        if word == "null":
            self.advance()
            return ast.Literal(None)
        if word == "if":
            self.advance()
            condition = self.expression()
            self.expect_kw("then")
            then = self.expression()
            self.expect_kw("else")
            return ast.If(condition, then, self.expression())
        if word in ("for", "some", "every"):
            return self.iteration(word)
        if word == "function":
            return self.function_definition()
        if word == "not" and self.at_op("(", 1):
            self.advance()
            return self.call(ast.Name("not"))
        raise self.error(tok)

    def iteration(self, word: str) -> ast.Node:
        self.advance()
        frame: set[str] = {"partial"} if word == "for" else set()
        self.locals.append(frame)
        try:
            iterations: list[ast.Iteration] = []
            while True:
                name = self.read_words(stop=("in",))
                self.expect_kw("in")
                source = self.expression()
                end = None
                if self.at_op(".."):
                    self.advance()
                    end = self.expression()
                iterations.append(ast.Iteration(name, source, end))
                frame.add(name)
                if self.at_op(","):
                    self.advance()
                    continue
                break
            if word == "for":
                self.expect_kw("return")
                return ast.For(tuple(iterations), self.expression())
            self.expect_kw("satisfies")
            return ast.Quantified(word == "every", tuple(iterations), self.expression())
        finally:
            self.locals.pop()

    def function_definition(self) -> ast.Node:
        self.advance()
        self.expect_op("(")
        params: list[tuple[str, ast.TypeNode | None]] = []
        if not self.at_op(")"):
            while True:
                name = self.read_param_name()
                if not name:
                    raise self.error()
                param_type = None
                if self.at_op(":"):
                    self.advance()
                    param_type = self.type_()
                params.append((name, param_type))
                if self.at_op(","):
                    self.advance()
                    continue
                break
        self.expect_op(")")
        external = False
        if self.at_kw("external"):
            self.advance()
            external = True
        self.locals.append({name for name, _ in params})
        try:
            body = self.expression()
        finally:
            self.locals.pop()
        return ast.FunctionDef(tuple(params), body, external)

    def in_tests(self) -> tuple[ast.UnaryTest, ...]:
        if self.at_op("("):
            saved = self.pos
            try:
                self.advance()
                tests = [self.positive_test(_CMP)]
                while self.at_op(","):
                    self.advance()
                    tests.append(self.positive_test(_CMP))
                self.expect_op(")")
                return tuple(tests)
            except FeelSyntaxError:
                self.pos = saved
        return (self.positive_test(_CMP),)

    def positive_test(self, bp: int = 0) -> ast.UnaryTest:
        tok = self.peek()
        if tok.kind == OP and tok.text in _COMPARISONS:
            self.advance()
            return ast.UnaryTest(tok.text, self.expression(max(bp, _CMP)))
        node = self.expression(bp)
        return ast.UnaryTest(None, node, mentions(node, "?"))

    def unary_tests(self) -> ast.UnaryTests:
        if self.peek().kind == EOF:
            return ast.UnaryTests((), any=True)
        if self.at_op("-") and self.peek(1).kind == EOF:
            return ast.UnaryTests((), any=True)
        if self.at_kw("not") and self.at_op("(", 1):
            saved = self.pos
            try:
                self.advance()
                self.advance()
                tests = self.positive_tests()
                self.expect_op(")")
                self.expect_end()
                return ast.UnaryTests(tests, negated=True)
            except FeelSyntaxError:
                self.pos = saved
        tests = self.positive_tests()
        self.expect_end()
        return ast.UnaryTests(tests)

    def positive_tests(self) -> tuple[ast.UnaryTest, ...]:
        tests = [self.positive_test()]
        while self.at_op(","):
            self.advance()
            tests.append(self.positive_test())
        return tuple(tests)

    # -- types ---------------------------------------------------------------------------

    def type_(self) -> ast.TypeNode:
        tok = self.peek()
        if tok.kind != NAME:
            raise self.error()
        if tok.text in ("list", "range") and self.at_op("<", 1):
            self.advance()
            self.advance()
            inner = self.type_()
            self.close_angle()
            return ast.TypeNode(tok.text, (inner,))
        if tok.text == "context" and self.at_op("<", 1):
            self.advance()
            self.advance()
            fields: list[tuple[str, ast.TypeNode]] = []
            while not self.at_op(">"):
                key = self.read_param_name()
                self.expect_op(":")
                fields.append((key, self.type_()))
                if self.at_op(","):
                    self.advance()
            self.close_angle()
            return ast.TypeNode("context", fields=tuple(fields))
        if tok.text == "function" and self.at_op("<", 1):
            self.advance()
            self.advance()
            args: list[ast.TypeNode] = []
            while not self.at_op(">"):
                args.append(self.type_())
                if self.at_op(","):
                    self.advance()
            self.close_angle()
            self.expect_op("->")
            return ast.TypeNode("function", tuple(args), result=self.type_())
        self.in_type = True
        try:
            end = self.name_end(self.pos)
        finally:
            self.in_type = False
        if end is None:
            end = self.pos + 1
            while self.at_op(".", end - self.pos) and self.peek(end - self.pos + 1).kind == NAME:
                end += 2
        first, last = self.tokens[self.pos], self.tokens[end - 1]
        self.pos = end
        return ast.TypeNode(normalize_name(self.text[first.start : last.end]))

    def close_angle(self) -> None:
        self.expect_op(">")


def _comparison_range(op: str, operand: ast.Node) -> ast.RangeLit:
    if op in ("<", "<="):
        return ast.RangeLit(None, operand, start_included=False, end_included=op == "<=", op=op)
    if op in (">", ">="):
        return ast.RangeLit(operand, None, start_included=op == ">=", end_included=False, op=op)
    return ast.RangeLit(operand, operand, start_included=True, end_included=True, op=op)


def _temporal_literal(tok: Token) -> object:
    text = tok.text
    value: object = None
    if text.startswith(("P", "-P")):
        value = parse_duration(text)
    elif _DATE_START.match(text):
        value = parse_datetime(text)
        if value is not None and "T" not in text:
            value = value.date()
    else:
        value = parse_time(text)
    if value is None:
        raise FeelSyntaxError(f"invalid temporal literal @{text!r}", tok.start + 1)
    return value


def mentions(node: object, name: str) -> bool:
    """Return whether an AST mentions the variable `name` anywhere."""
    if isinstance(node, ast.Name):
        return node.name == name
    if isinstance(node, ast.Node | ast.Iteration):
        return any(
            mentions(getattr(node, slot), name)
            for slot in node.__slots__
            if not slot.startswith("_")
        )
    if isinstance(node, tuple):
        return any(mentions(item, name) for item in node)
    return False


def names_in(node: object) -> list[str]:
    """Return the variable names an AST reads, in order of first appearance."""
    found: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, ast.Name):
            if item.name not in found:
                found.append(item.name)
        elif isinstance(item, ast.Node | ast.Iteration):
            for slot in item.__slots__:
                walk(getattr(item, slot))
        elif isinstance(item, tuple):
            for part in item:
                walk(part)

    walk(node)
    return found


def parse_expression(text: str, known: Collection[str] = frozenset()) -> ast.Node:
    """Parse a FEEL expression.

    Raises:
        FeelSyntaxError: When the text is not a FEEL expression.
    """
    parser = _Parser(text, known)
    if parser.peek().kind == EOF:
        raise FeelSyntaxError("empty expression", 1)
    try:
        node = parser.expression()
    except RecursionError:
        raise FeelSyntaxError("the expression is nested too deeply", 1) from None
    parser.expect_end()
    return node


def parse_unary_tests(text: str, known: Collection[str] = frozenset()) -> ast.UnaryTests:
    """Parse decision-table input entry text (FEEL unary tests; empty means any).

    Raises:
        FeelSyntaxError: When the text is not a list of unary tests.
    """
    try:
        return _Parser(text, known).unary_tests()
    except RecursionError:
        raise FeelSyntaxError("the expression is nested too deeply", 1) from None


def parse_type(text: str, known: Collection[str] = frozenset()) -> ast.TypeNode:
    """Parse a FEEL type (`number`, `list<string>`, `context<a: number>`, an item definition).

    Raises:
        FeelSyntaxError: When the text is not a type.
    """
    parser = _Parser(text, known)
    node = parser.type_()
    parser.expect_end()
    return node
