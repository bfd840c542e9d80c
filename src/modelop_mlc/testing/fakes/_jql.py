"""A parser for the small JQL subset `FakeJira` understands.

Grammar (keywords are case-insensitive)::

    query   := [clause (AND clause)*] [ORDER BY key [ASC|DESC] (, key [ASC|DESC])*]
    clause  := field op value
             | field [NOT] IN ( value (, value)* )
             | field IS [NOT] (EMPTY | NULL)
    op      := = | != | ~ | !~ | > | >= | < | <=
    field   := word | "quoted name"        e.g. project, cf[10010], issue.property[mlc].key
    value   := word | "double quoted" | 'single quoted'

`OR`, `NOT` before a clause, parentheses around clauses, functions and history operators
(`WAS`, `CHANGED`) are refused with a 400, so a test never silently gets the wrong issues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>!=|!~|>=|<=|=|~|>|<|\(|\)|,)
  | (?P<word>[^\s=!~<>(),"']+)
    """,
    re.VERBOSE,
)
_OPERATORS = frozenset({"=", "!=", "~", "!~", ">", ">=", "<", "<="})
_UNSUPPORTED = frozenset({"or", "not", "was", "changed", "during", "before", "after", "on"})


class JqlError(ValueError):
    """The JQL is invalid or outside the supported subset; the message reads like Jira's."""


@dataclass(frozen=True)
class Token:
    """One lexical token; `quoted` tells a string literal from a bare word."""

    kind: str
    text: str
    position: int
    quoted: bool = False


@dataclass(frozen=True)
class Clause:
    """One condition: `field operator values` (`values` holds `None` for EMPTY)."""

    field: str
    operator: str
    values: tuple[str | None, ...]


@dataclass(frozen=True)
class Query:
    """A parsed query: clauses joined by AND, then the sort keys (field, descending)."""

    clauses: tuple[Clause, ...]
    order_by: tuple[tuple[str, bool], ...]


def tokenize(jql: str) -> list[Token]:
    """Split JQL into tokens.

    Raises:
        JqlError: On an unterminated string or a stray character.
    """
    tokens: list[Token] = []
    position = 0
    while position < len(jql):
        match = _TOKEN.match(jql, position)
        if match is None:
            raise JqlError(
                f"Error in the JQL Query: The character '{jql[position]}' is a reserved JQL "
                f"character. (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "word"
        text = match.group()
        if kind == "string":
            body = text[1:-1]
            tokens.append(Token("word", re.sub(r"\\(.)", r"\1", body), position, quoted=True))
        elif kind != "space":
            tokens.append(Token(kind, text, position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, jql: str) -> None:
        self.tokens = tokenize(jql)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: The JQL query is incomplete.")
        self.index += 1
        return token

    def keyword(self, token: Token | None, *words: str) -> bool:
        return (
            token is not None
            and token.kind == "word"
            and not token.quoted
            and token.text.lower() in words
        )

    def expect_keyword(self, word: str) -> None:
        token = self.take()
        if not self.keyword(token, word):
            raise _unexpected(f"'{word.upper()}'", token)

    def value(self) -> str | None:
        token = self.take()
        if token.kind != "word":
            raise _unexpected("a value", token)
        if self.peek_is("("):
            raise JqlError(
                f"Error in the JQL Query: FakeJira does not support JQL functions ('{token.text}')."
            )
        if not token.quoted and token.text.lower() in {"empty", "null"}:
            return None
        return token.text

    def peek_is(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text == text

    def clause(self) -> Clause:
        token = self.take()
        if self.keyword(token, *_UNSUPPORTED) or token.kind != "word":
            raise _unsupported(token)
        field = token.text
        operator = self.take()
        if operator.kind == "op" and operator.text in _OPERATORS:
            return Clause(field, operator.text, (self.value(),))
        if self.keyword(operator, "in"):
            return Clause(field, "in", self.value_list())
        if self.keyword(operator, "not"):
            self.expect_keyword("in")
            return Clause(field, "not in", self.value_list())
        if self.keyword(operator, "is"):
            negated = self.keyword(self.peek(), "not")
            if negated:
                self.take()
            empty = self.take()
            if not self.keyword(empty, "empty", "null"):
                raise _unexpected("EMPTY", empty)
            return Clause(field, "is not" if negated else "is", (None,))
        if self.keyword(operator, "was", "changed"):
            raise _unsupported(operator)
        raise JqlError(
            f"Error in the JQL Query: Expecting operator but got '{operator.text}'. The valid "
            "operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and "
            f"'IS NOT'. (line 1, character {operator.position + 1})"
        )

    def value_list(self) -> tuple[str | None, ...]:
        opening = self.take()
        if opening.kind != "op" or opening.text != "(":
            raise _unexpected("'('", opening)
        values = [self.value()]
        while self.peek_is(","):
            self.take()
            values.append(self.value())
        closing = self.take()
        if closing.kind != "op" or closing.text != ")":
            raise _unexpected("')'", closing)
        return tuple(values)

    def order_by(self) -> tuple[tuple[str, bool], ...]:
        self.expect_keyword("by")
        keys: list[tuple[str, bool]] = []
        while True:
            token = self.take()
            if token.kind != "word":
                raise _unexpected("a field name", token)
            descending = False
            if self.keyword(self.peek(), "asc", "desc"):
                descending = self.take().text.lower() == "desc"
            keys.append((token.text, descending))
            if not self.peek_is(","):
                return tuple(keys)
            self.take()

    def parse(self) -> Query:
        clauses: list[Clause] = []
        order: tuple[tuple[str, bool], ...] = ()
        while self.peek() is not None:
            token = self.peek()
            if self.keyword(token, "order"):
                self.take()
                order = self.order_by()
                break
            if clauses:
                if not self.keyword(token, "and"):
                    raise _unsupported(self.take())
                self.take()
            if self.peek_is("("):
                raise _unsupported(self.take())
            clauses.append(self.clause())
        trailing = self.peek()
        if trailing is not None:
            raise _unexpected("the end of the query", trailing)
        return Query(tuple(clauses), order)


def _unexpected(expected: str, token: Token) -> JqlError:
    return JqlError(
        f"Error in the JQL Query: Expecting {expected} but got '{token.text}'. "
        f"(line 1, character {token.position + 1})"
    )


def _unsupported(token: Token) -> JqlError:
    return JqlError(
        f"Error in the JQL Query: '{token.text}' (line 1, character {token.position + 1}) is "
        "outside the subset FakeJira supports: clauses joined by AND, then ORDER BY."
    )


def parse(jql: str) -> Query:
    """Parse a JQL string.

    Raises:
        JqlError: If the query is invalid or outside the supported subset.
    """
    return _Parser(jql).parse()
