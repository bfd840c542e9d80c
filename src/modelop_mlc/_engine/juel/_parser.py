"""The parser: tokens of one `${...}` into an expression tree, with nesting and depth capped."""

from __future__ import annotations

from modelop_mlc._engine.juel._ast import (
    _Binary,
    _Conditional,
    _FunctionCall,
    _Identifier,
    _Index,
    _Literal,
    _Logical,
    _MethodCall,
    _Node,
    _Property,
    _Unary,
)
from modelop_mlc._engine.juel._functions import _FUNCTIONS, _unknown_function
from modelop_mlc._engine.juel._lexer import (
    _LITERAL_WORDS,
    _WORD_OPERATORS,
    _syntax_error,
    _Token,
)
from modelop_mlc.errors import ExpressionError

# Parser recursion (parentheses, ternaries, brackets, arguments) and AST depth are capped so that
# neither parsing nor evaluation can hit Python's recursion limit inside the engine's own stack.
_MAX_NESTING = 32
_MAX_DEPTH = 100
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4}
_PRECEDENCE.update({"+": 5, "-": 5, "*": 6, "/": 6, "%": 6})


def _is_word(token: _Token) -> bool:
    return token.kind in {"name", "keyword"} or token.text in _WORD_OPERATORS


class _Parser:
    """A precedence-climbing parser over the tokens of one `${...}`, which end with `}`."""

    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self._source = source
        self._tokens = tokens
        self._index = 0
        self._nesting = 0

    def parse(self) -> _Node:
        if self._at("}"):
            raise self._error(self._peek(), "Empty expression", "write a value between the braces")
        node = self._expression()
        if not self._at("}"):
            raise self._unexpected(self._peek(), "expected an operator or the closing '}'")
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _at(self, symbol: str) -> bool:
        token = self._tokens[self._index]
        return token.kind == "op" and token.value == symbol

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        if not (token.kind == "op" and token.value == "}"):
            self._index += 1
        return token

    def _expect(self, symbol: str, why: str) -> None:
        if not self._at(symbol):
            raise self._unexpected(self._peek(), f"expected '{symbol}' {why}")
        self._index += 1

    def _error(self, token: _Token, message: str, hint: str = "") -> ExpressionError:
        return _syntax_error(self._source, token.pos, message, hint)

    def _unexpected(self, token: _Token, expectation: str) -> ExpressionError:
        if token.kind == "op" and token.value == "}":
            return self._error(token, "The expression ended too early", expectation)
        return self._error(token, f"Unexpected token '{token.text}'", expectation)

    def _checked(self, node: _Node, token: _Token) -> _Node:
        if node.depth > _MAX_DEPTH:
            raise self._error(
                token, f"Expression is nested more than {_MAX_DEPTH} levels deep", "simplify it"
            )
        return node

    def _expression(self) -> _Node:
        self._nesting += 1
        if self._nesting > _MAX_NESTING:
            raise self._error(
                self._peek(), f"Expression is nested more than {_MAX_NESTING} levels deep"
            )
        node = self._binary(1)
        if self._at("?"):
            token = self._take()
            then = self._expression()
            self._expect(":", "to separate the branches of 'condition ? a : b'")
            otherwise = self._expression()
            node = self._checked(_Conditional(node, then, otherwise), token)
        self._nesting -= 1
        return node

    def _binary(self, min_precedence: int) -> _Node:
        left = self._unary()
        while True:
            token = self._peek()
            precedence = _PRECEDENCE.get(token.value) if token.kind == "op" else None
            if precedence is None or precedence < min_precedence:
                return left
            self._take()
            right = self._binary(precedence + 1)
            if token.value in {"&&", "||"}:
                flat = isinstance(left, _Logical) and left.op == token.value
                operands = [*left.kids, right] if flat else [left, right]
                left = self._checked(_Logical(token.value, operands), token)
            else:
                left = self._checked(_Binary(token.value, left, right), token)

    def _unary(self) -> _Node:
        prefixes: list[_Token] = []
        while self._at("-") or self._at("!") or self._peek().text == "empty":
            prefixes.append(self._take())
        node = self._postfix()
        for token in reversed(prefixes):
            op = "empty" if token.kind == "keyword" else token.value
            node = self._checked(_Unary(op, node), token)
        return node

    def _postfix(self) -> _Node:
        node = self._primary()
        while True:
            token = self._peek()
            if self._at("."):
                self._take()
                name_token = self._peek()
                if not _is_word(name_token):
                    raise self._unexpected(name_token, "expected a property or method name")
                name = self._take().text
                if self._at("("):
                    self._check_name(name_token, method=True)
                    node = _MethodCall(node, name, self._arguments())
                else:
                    self._check_name(name_token, method=False)
                    node = _Property(node, name)
            elif self._at("["):
                self._take()
                key = self._expression()
                self._expect("]", "to close '['")
                node = _Index(node, key)
            elif self._at("("):
                raise self._unexpected(token, "only methods can be called, as in 'x.name(...)'")
            else:
                return node
            self._checked(node, token)

    def _arguments(self) -> list[_Node]:
        self._take()  # the "("
        args: list[_Node] = []
        if self._at(")"):
            self._take()
            return args
        while True:
            args.append(self._expression())
            if self._at(")"):
                self._take()
                return args
            self._expect(",", "between arguments")

    def _function_call(self, token: _Token) -> _Node:
        name = token.text
        function = _FUNCTIONS.get(name)
        if function is None:
            raise self._error(token, *_unknown_function(name))
        args = self._arguments()
        if not function.min_args <= len(args) <= function.max_args:
            raise self._error(
                token, f"{name}() takes {function.min_args} argument(s), got {len(args)}"
            )
        return self._checked(_FunctionCall(name, function, args), token)

    def _check_name(self, token: _Token, *, method: bool) -> None:
        name = token.text
        if name.startswith("__") or (method and name.startswith("_")):
            kind = "Method" if method else "Name"
            raise self._error(
                token, f"{kind} '{name}' is not allowed", "names starting with '_' are private"
            )

    def _primary(self) -> _Node:
        token = self._take()
        if token.kind in {"number", "string"}:
            return _Literal(token.value)
        if token.kind == "keyword" and token.value in _LITERAL_WORDS:
            return _Literal(_LITERAL_WORDS[token.value])
        if token.kind == "keyword":
            raise self._error(token, f"'{token.text}' is a reserved word and is not supported")
        if token.kind == "name":
            if self._at("("):
                return self._function_call(token)
            self._check_name(token, method=False)
            return _Identifier(token.value)
        if token.kind == "op" and token.value == "(":
            node = self._expression()
            self._expect(")", "to close '('")
            return node
        if token.text in _WORD_OPERATORS:
            raise self._error(token, f"'{token.text}' is a keyword and cannot be a variable name")
        raise self._unexpected(token, "expected a value")
