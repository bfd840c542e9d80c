"""The tokenizer: the text of one `${...}` into numbers, strings, names, keywords and operators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelop_mlc.errors import ExpressionError

_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_LITERAL_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_KEYWORDS = frozenset({*_WORD_OPERATORS, *_LITERAL_WORDS, "empty", "instanceof"})
# Longest first, so that "<=" wins over "<".
_SYMBOLS = ("==", "!=", "<=", ">=", "&&", "||", *"<>!+-*/%?:()[].,}")
_TYPOS = {"&": "&&", "|": "||", "=": "=="}
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "string", "name", "keyword" or "op"
    value: Any
    pos: int
    text: str


def _syntax_error(source: str, pos: int, message: str, hint: str = "") -> ExpressionError:
    line = source.count("\n", 0, pos) + 1
    column = pos - source.rfind("\n", 0, pos)
    where = f"column {column}" if line == 1 else f"line {line}, column {column}"
    text = f"{message} at {where} in '{source}'"
    return ExpressionError(f"{text}: {hint}" if hint else text, expression=source)


def _scan_number(source: str, start: int) -> tuple[_Token, int]:
    end = start
    while end < len(source) and source[end] in _DIGITS:
        end += 1
    is_float = False
    if source.startswith(".", end):
        is_float = True
        end += 1
        while end < len(source) and source[end] in _DIGITS:
            end += 1
    if end < len(source) and source[end] in "eE":
        exponent = end + 1 + (source[end + 1 : end + 2] in {"+", "-"})
        if exponent < len(source) and source[exponent] in _DIGITS:
            is_float = True
            end = exponent
            while end < len(source) and source[end] in _DIGITS:
                end += 1
    text = source[start:end]
    try:
        value: int | float = float(text) if is_float else int(text)
    except ValueError:  # more digits than Python converts
        raise _syntax_error(source, start, "Number literal is too long") from None
    return _Token("number", value, start, text), end


def _scan_string(source: str, start: int) -> tuple[_Token, int]:
    quote = source[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(source):
        char = source[pos]
        if char == "\\" and source[pos + 1 : pos + 2] in {"'", '"', "\\"}:
            chars.append(source[pos + 1])
            pos += 2
        elif char == quote:
            return _Token("string", "".join(chars), start, source[start : pos + 1]), pos + 1
        else:
            chars.append(char)
            pos += 1
    raise _syntax_error(source, start, "Unterminated string literal", f"close it with {quote}")


def _scan(source: str, opened_at: int) -> tuple[list[_Token], int]:
    """Tokenize the body of the `${` at `opened_at`, up to and including its closing `}`."""
    tokens: list[_Token] = []
    pos = opened_at + 2
    while True:
        while pos < len(source) and source[pos].isspace():
            pos += 1
        if pos >= len(source):
            raise _syntax_error(
                source, opened_at, f"Missing '}}' to close '{source[opened_at : opened_at + 2]}'"
            )
        char = source[pos]
        if char in _DIGITS or (char == "." and source[pos + 1 : pos + 2] in _DIGITS):
            token, pos = _scan_number(source, pos)
        elif char in {"'", '"'}:
            token, pos = _scan_string(source, pos)
        elif char.isalpha() or char in {"_", "$"}:
            end = pos + 1
            while end < len(source) and (source[end].isalnum() or source[end] in {"_", "$"}):
                end += 1
            word = source[pos:end]
            if word in _WORD_OPERATORS:
                token = _Token("op", _WORD_OPERATORS[word], pos, word)
            else:
                token = _Token("keyword" if word in _KEYWORDS else "name", word, pos, word)
            pos = end
        else:
            symbol = next((s for s in _SYMBOLS if source.startswith(s, pos)), None)
            if symbol is None:
                typo = _TYPOS.get(char)
                hint = f"did you mean '{typo}'?" if typo else ""
                if char == "{":
                    hint = "expressions cannot be nested inside '${...}'"
                raise _syntax_error(source, pos, f"Unexpected token '{char}'", hint)
            token = _Token("op", symbol, pos, symbol)
            pos += len(symbol)
        tokens.append(token)
        if token.kind == "op" and token.value == "}":
            return tokens, pos
