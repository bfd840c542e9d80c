"""The parser: tokens into the syntax tree of `_ast`, by recursive descent (statements).

Statements end at a newline or `;`; `_parse_expr` parses the expressions in them. Constructs
outside the subset that parse cleanly (class and method definitions, `switch`, annotations,
labels, ...) become `Refused` nodes, so the checker can report all of them at once.
"""

from __future__ import annotations

from typing import Final

from modelop_mlc._engine.groovy import _ast as a
from modelop_mlc._engine.groovy._lexer import PRIMITIVES, Token, tokenize
from modelop_mlc._engine.groovy._parse_expr import ExprParser

__all__ = ["parse"]

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


class _Parser(ExprParser):
    def script(self) -> a.Script:
        imports: list[a.Import] = []
        body: list[a.Node] = []
        self.skip_terminators()
        while self.tok.kind != "eof":
            if self.at("import"):
                imports.append(self.import_())
            else:
                body.append(self.statement())
            self.end_statement()
        return a.Script(0, imports, body)

    def import_(self) -> a.Import:
        start = self.advance()
        static = self.accept("static")
        parts = [self.name("a package or class name after import")]
        star = False
        while self.accept("."):
            if self.accept("*"):
                star = True
                break
            parts.append(self.word("a name"))
        alias = None
        if self.accept("as"):
            alias = self.name("an alias after 'as'")
        return a.Import(start.pos, ".".join(parts), star=star, static=static, alias=alias)

    def block(self) -> a.Block:
        start = self.expect("{")
        body = self.statements_until("}")
        self.expect("}", " to close the block")
        return a.Block(start.pos, body)

    def statements_until(self, closing: str) -> list[a.Node]:
        body: list[a.Node] = []
        self.skip_terminators()
        while not self.at(closing):
            if self.tok.kind == "eof":
                raise self.error(self.tok, f"missing '{closing}'")
            body.append(self.statement())
            self.end_statement()
        return body

    def body(self) -> a.Node:
        """The body of `if`, `while` or `for`: a block or a single statement."""
        self.skip_nl()
        if self.at("{"):
            return self.block()
        return self.statement()

    def statement(self) -> a.Node:
        tok = self.tok
        if tok.kind == "op" and tok.value == "{" and not self.opens_closure():
            return self.block()
        if tok.kind == "op" and tok.value == "@":
            return self.refuse_rest(tok, "annotations such as @Grab")
        if tok.kind == "kw":
            word = tok.value
            if word == "if":
                return self.if_()
            if word == "while":
                self.advance()
                self.expect("(", " after while")
                cond = self.expression()
                self.expect(")", " to close the while condition")
                return a.While(tok.pos, cond, self.body())
            if word == "for":
                return self.for_()
            if word == "try":
                return self.try_()
            if word == "return":
                self.advance()
                if self.tok.kind in {"nl", "eof"} or self.at(";") or self.at("}"):
                    return a.Return(tok.pos, None)
                return a.Return(tok.pos, self.expression())
            if word in {"break", "continue"}:
                self.advance()
                if self.tok.kind == "name":
                    return self.refuse_rest(tok, f"labelled {word}")
                return a.Jump(tok.pos, word)
            if word == "throw":
                self.advance()
                return a.Throw(tok.pos, self.expression())
            if word == "assert":
                self.advance()
                cond = self.expression()
                message = self.expression() if self.accept(":") or self.accept(",") else None
                return a.Assert(tok.pos, cond, message)
            if word in {"class", "interface", "enum", "trait"}:
                return self.refuse_rest(tok, f"{word} definitions")
            if word == "switch":
                return self.refuse_rest(tok, "switch statements (use if / else if)")
            if word == "do":
                return self.refuse_rest(tok, "do-while loops (use while)")
            if word == "package":
                return self.refuse_rest(tok, "package declarations")
            if word == "import":
                return self.refuse_rest(tok, "import lines after the first statement")
            if word == "def" or word in _MODIFIERS or word in PRIMITIVES or word == "var":
                return self.declaration()
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().value == ":" and self.i == 0:
                return self.refuse_rest(tok, "statement labels")
            if self.looks_like_typed_declaration():
                return self.declaration()
        expr = self.expression_statement()
        return a.ExprStmt(tok.pos, expr)

    def opens_closure(self) -> bool:
        """Whether the `{` here starts a closure with parameters (`{ x -> ...}`)."""
        save = self.i
        self.i += 1
        try:
            return self.closure_params() is not None
        finally:
            self.i = save

    def refuse_rest(self, tok: Token, what: str) -> a.Node:
        """Skip to the end of the construct (balanced braces) and leave a `Refused` node."""
        depth = 0
        while self.tok.kind != "eof":
            if self.at("{") or self.at("(") or self.at("["):
                depth += 1
            elif self.at("}") or self.at(")") or self.at("]"):
                if depth == 0:
                    break
                depth -= 1
                if depth == 0 and self.at("}"):
                    self.advance()
                    if not (self.tok.kind == "nl" and self.peek().kind == "kw"):
                        break
                    if self.peek().value not in {"else", "catch", "finally", "while"}:
                        break
                    continue
            elif depth == 0 and (self.tok.kind == "nl" or self.at(";")):
                break
            self.advance()
        return a.ExprStmt(tok.pos, a.Refused(tok.pos, what))

    def looks_like_typed_declaration(self) -> bool:
        """`Type name` / `a.b.Type<X> name` at a statement start (not `a.b(...)` or `x = 1`)."""
        j = self.i
        toks = self.tokens
        if toks[j].kind != "name":
            return False
        last = str(toks[j].value)
        j += 1
        while toks[j].kind == "op" and toks[j].value == "." and toks[j + 1].kind == "name":
            last = str(toks[j + 1].value)
            j += 2
        generic = j != self.skip_generics(j)
        j = self.skip_generics(j)
        while toks[j].kind == "op" and toks[j].value == "[" and toks[j + 1].value == "]":
            j += 2
        # `println x` is a command call; `String x` a declaration (types are capitalised).
        if toks[j].kind != "name" or not (last[:1].isupper() or generic):
            return False
        after = toks[j + 1]
        if after.kind == "op" and after.value == "(":
            return self.is_method_definition(j + 1)
        return after.kind in {"nl", "eof"} or after.value in {"=", ";", ",", "}"}

    def is_method_definition(self, j: int) -> bool:
        """Whether the `(` at token `j` opens a parameter list followed by a body `{`."""
        toks = self.tokens
        depth = 0
        while toks[j].kind != "eof":
            if toks[j].kind == "op" and toks[j].value == "(":
                depth += 1
            elif toks[j].kind == "op" and toks[j].value == ")":
                depth -= 1
                if depth == 0:
                    j += 1
                    while toks[j].kind == "nl":
                        j += 1
                    return toks[j].kind == "op" and toks[j].value == "{"
            j += 1
        return False

    def declaration(self) -> a.Node:
        start = self.tok
        while self.tok.kind == "kw" and self.tok.value in _MODIFIERS:
            self.advance()
        type_name: str | None = None
        if self.at("def") or self.at("var"):
            self.advance()
            if self.at("("):
                return self.refuse_rest(start, "multiple assignment def (a, b) = ...")
            if (self.tok.kind == "kw" and self.tok.value in PRIMITIVES) or (
                self.tok.kind == "name" and self.peek().kind == "name"
            ):
                type_name = self.type_name()
        elif (
            self.tok.kind == "name"
            and self.peek().kind == "op"
            and self.peek().value
            in {
                "=",
                ";",
            }
        ):
            type_name = None  # `final x = 1`
        else:
            type_name = self.type_name()
        items: list[tuple[str, a.Node | None]] = []
        while True:
            name_tok = self.tok
            name = self.name("a variable name")
            if self.at("("):
                return self.refuse_rest(
                    start,
                    f"method definitions ('{name}(...)'); use a closure instead: "
                    f"def {name} = {{ x -> ... }}",
                )
            value = None
            if self.accept("="):
                self.skip_nl()
                value = self.expression()
            items.append((name, value))
            if not self.accept(","):
                break
            del name_tok
        return a.Decl(start.pos, None if type_name in {None, "def", "var"} else type_name, items)

    def if_(self) -> a.If:
        start = self.advance()
        self.expect("(", " after if")
        cond = self.expression()
        self.expect(")", " to close the if condition")
        then = self.body()
        otherwise = None
        save = self.i
        self.skip_terminators_if_else()
        if self.accept("else"):
            self.skip_nl()
            otherwise = self.if_() if self.at("if") else self.body()
        else:
            self.i = save
        return a.If(start.pos, cond, then, otherwise)

    def skip_terminators_if_else(self) -> None:
        while self.tok.kind == "nl" or (self.at(";") and self.peek().value == "else"):
            self.i += 1

    def for_(self) -> a.Node:
        start = self.advance()
        self.expect("(", " after for")
        j = self.i
        depth = 0
        classic = False
        while self.tokens[j].kind != "eof":
            value = self.tokens[j].value if self.tokens[j].kind == "op" else None
            if value in {"(", "[", "{"}:
                depth += 1
            elif value in {")", "]", "}"}:
                if depth == 0:
                    break
                depth -= 1
            elif value == ";" and depth == 0:
                classic = True
                break
            j += 1
        if classic:
            return self.for_classic(start)
        if self.at("def") or self.at("var") or self.at("final"):
            self.advance()
        if self.tok.kind == "name" and (
            self.peek().kind == "name" or self.peek().value in {".", "<"}
        ):
            self.type_name()
        var = self.name("a loop variable")
        if not (self.accept("in") or self.accept(":")):
            raise self.error(self.tok, "expected 'in' after the loop variable")
        iterable = self.expression()
        self.expect(")", " to close the for header")
        return a.ForIn(start.pos, var, iterable, self.body())

    def for_classic(self, start: Token) -> a.ForC:
        init: list[a.Node] = []
        if not self.at(";"):
            if (
                self.at("def")
                or (self.tok.kind == "kw" and self.tok.value in PRIMITIVES)
                or (self.looks_like_typed_declaration())
            ):
                init.append(self.declaration())
            else:
                init.append(a.ExprStmt(self.tok.pos, self.expression()))
                while self.accept(","):
                    init.append(a.ExprStmt(self.tok.pos, self.expression()))
        self.expect(";", " in the for header")
        cond = None if self.at(";") else self.expression()
        self.expect(";", " in the for header")
        update: list[a.Node] = []
        if not self.at(")"):
            update.append(self.expression())
            while self.accept(","):
                update.append(self.expression())
        self.expect(")", " to close the for header")
        return a.ForC(start.pos, init, cond, update, self.body())

    def try_(self) -> a.Try:
        start = self.advance()
        self.skip_nl()
        body = self.block()
        catches: list[a.Catch] = []
        final = None
        while True:
            save = self.i
            self.skip_nl()
            if self.at("catch"):
                tok = self.advance()
                self.expect("(", " after catch")
                types: list[str] = []
                if self.tok.kind == "name" and self.peek().value == ")":
                    name = self.name("the exception variable")
                else:
                    if self.at("def") or self.at("final"):
                        self.advance()
                    types.append(self.type_name())
                    while self.accept("|"):
                        types.append(self.type_name())
                    name = self.name("the exception variable")
                self.expect(")", " to close catch")
                self.skip_nl()
                catches.append(a.Catch(tok.pos, types or ["Exception"], name, self.block()))
            elif self.at("finally"):
                self.advance()
                self.skip_nl()
                final = self.block()
                break
            else:
                self.i = save
                break
        if not catches and final is None:
            raise self.error(start, "try needs a catch or a finally block")
        return a.Try(start.pos, body, catches, final)


def parse(source: str) -> a.Script:
    """Parse a whole script.

    Raises:
        GroovySyntaxError: At the first syntax error, with its line and column.
    """
    return _Parser(source, tokenize(source)).script()
