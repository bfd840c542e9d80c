"""FEEL tokenizer: turns expression text into tokens carrying their source offsets.

Names are split into words here; the parser joins words (and the symbols FEEL allows
inside names, such as `-` and `.`) back into multi-word names such as `Applicant Age`
by looking them up among the names known in scope.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

__all__ = ["FeelSyntaxError", "Token", "tokenize"]

NUM: Final = "NUM"
STR: Final = "STR"
NAME: Final = "NAME"
OP: Final = "OP"
EOF: Final = "EOF"

_OPERATORS: Final = (
    "..",
    "**",
    "<=",
    ">=",
    "!=",
    "->",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "@",
    "'",
    "\u2019",
)
_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\"}
_HEX_LENGTH: Final = {"u": 4, "U": 6}


class FeelSyntaxError(ValueError):
    """FEEL text that does not follow the grammar.

    Attributes:
        column: The 1-based column of the offending character.
        reason: What is wrong, without the position.
    """

    def __init__(self, reason: str, column: int) -> None:
        """Create the error for a 1-based column."""
        self.reason = reason
        self.column = column
        super().__init__(f"{reason} at column {column}")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text (or decoded value) and its source span."""

    kind: str
    text: str
    start: int
    end: int
    number: Decimal | None = None
    spaced: bool = False
    """Whether whitespace precedes the token (used when joining names)."""


def _is_name_start(ch: str) -> bool:
    if ch.isascii():
        return ch.isalpha() or ch in "_?"
    category = unicodedata.category(ch)
    return category[0] == "L" or category in ("Nl", "So", "Sk")


def _is_name_part(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch in "_?"
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category in ("Pc", "So", "Sk") or ch == "\u00b7"


def tokenize(text: str) -> list[Token]:
    """Split FEEL text into tokens, skipping whitespace and comments.

    Raises:
        FeelSyntaxError: On an unterminated string or comment, or an unknown character.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    spaced = False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            spaced = True
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            spaced = True
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise FeelSyntaxError("unterminated comment", i + 1)
            i = end + 2
            spaced = True
            continue
        start = i
        if ch == '"':
            value, i = _read_string(text, i)
            tokens.append(Token(STR, value, start, i, spaced=spaced))
        elif ch.isdigit() or (
            ch == "." and i + 1 < n and text[i + 1].isdigit() and _number_ok(tokens)
        ):
            i = _read_number(text, i)
            lexeme = text[start:i]
            tokens.append(Token(NUM, lexeme, start, i, Decimal(lexeme), spaced=spaced))
        elif _is_name_start(ch):
            i += 1
            while i < n and _is_name_part(text[i]):
                i += 1
            tokens.append(Token(NAME, text[start:i], start, i, spaced=spaced))
        else:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    i += len(op)
                    tokens.append(Token(OP, op, start, i, spaced=spaced))
                    break
            else:
                raise FeelSyntaxError(f"unexpected character {ch!r}", i + 1)
        spaced = False
    tokens.append(Token(EOF, "", n, n, spaced=spaced))
    return tokens


def _number_ok(tokens: list[Token]) -> bool:
    """A leading-dot number (`.5`) is allowed only where a value may start."""
    if not tokens:
        return True
    last = tokens[-1]
    return last.kind == OP and last.text not in (")", "]", "}")


def _read_number(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i + 1 < n and text[i] == "." and text[i + 1].isdigit():
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            while j < n and text[j].isdigit():
                j += 1
            i = j
    return i


def _read_string(text: str, i: int) -> tuple[str, int]:
    """Read a double-quoted string starting at `i`; return its value and the next index."""
    out: list[str] = []
    start = i
    i += 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            return _join_surrogates("".join(out)), i + 1
        if ch == "\\" and i + 1 < n:
            esc = text[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
                continue
            if esc in _HEX_LENGTH:
                width = _HEX_LENGTH[esc]
                digits = text[i + 2 : i + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                    continue
            # FEEL keeps other backslashes as they are, so regex escapes ("\\d") survive.
            out.append(ch)
            out.append(esc)
            i += 2
            continue
        out.append(ch)
        i += 1
    raise FeelSyntaxError("unterminated string", start + 1)


def _join_surrogates(value: str) -> str:
    r"""Combine escaped surrogate pairs (written `\ud83d` `\udc0e`) into one code point."""
    if not any("\ud800" <= c <= "\udfff" for c in value):
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
