"""The tokenizer: Groovy source into names, keywords, numbers, strings, GStrings and operators.

Newlines matter in Groovy (they end statements), so they are tokens too, except inside
parentheses and brackets. Every token carries its absolute offset, so errors can name the
line; GString parts keep the offset of their `${...}` body, which the parser tokenizes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from modelop_mlc._engine.groovy._errors import GroovySyntaxError

KEYWORDS: Final = frozenset(
    {
        "abstract", "as", "assert", "boolean", "break", "byte", "case", "catch", "char",
        "class", "const", "continue", "def", "default", "do", "double", "else", "enum",
        "extends", "false", "final", "finally", "float", "for", "goto", "if", "implements",
        "import", "in", "instanceof", "int", "interface", "long", "native", "new", "null",
        "package", "private", "protected", "public", "return", "short", "static", "strictfp",
        "super", "switch", "synchronized", "this", "threadsafe", "throw", "throws", "trait",
        "transient", "true", "try", "var", "void", "volatile", "while",
    }
)  # fmt: skip
PRIMITIVES: Final = frozenset(
    {"boolean", "byte", "char", "short", "int", "long", "float", "double", "void"}
)
# Longest first, so that `..<` wins over `..` and `<=>` over `<=`.
_SYMBOLS: Final = (
    ">>>=", "<=>", "===", "!==", "**=", "<<=", ">>=", "..<", "==~", "?.", "*.", ".@", ".&",
    "..", "=~", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "?:", "->", "<<", "**", "::",
    *"+-*/%=<>!~?:.,;()[]{}&|^@",
)  # fmt: skip
_ESCAPES: Final = {
    "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"',
    "$": "$", "/": "/", "s": " ",
}  # fmt: skip
# After these tokens an expression is complete, so `/` divides; elsewhere it opens a regex.
_VALUE_END: Final = frozenset({")", "]", "}", "++", "--"})


@dataclass(frozen=True, slots=True)
class Token:
    """One token.

    Attributes:
        kind: `name`, `kw`, `num`, `str`, `gstr`, `op`, `nl` or `eof`.
        value: The name, keyword, operator, number, string, or for `gstr` a tuple of parts
            (text, or `(source, offset)` of an embedded expression).
        pos: The absolute offset in the source.
        space_before: Whether whitespace precedes the token (`a -1` vs `a - 1` hints).
    """

    kind: str
    value: Any
    pos: int
    space_before: bool = False


class Lexer:
    """Splits one source text into tokens; `base` shifts offsets for embedded expressions."""

    def __init__(self, source: str, base: int = 0, full: str | None = None) -> None:
        """Prepare to scan `source`, whose first character sits at `base` in `full`."""
        self.src = source
        self.base = base
        self.full = full if full is not None else source
        self.pos = 0
        self.tokens: list[Token] = []
        self.depth: list[str] = []  # open brackets, to know whether newlines count

    def error(self, pos: int, message: str) -> GroovySyntaxError:
        """A syntax error at `pos` (relative to this text)."""
        return GroovySyntaxError(message, self.full, self.base + pos)

    def tokenize(self) -> list[Token]:
        """Scan the whole text."""
        src = self.src
        if src.startswith("#!"):
            self.pos = src.find("\n") if "\n" in src else len(src)
        space = False
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "\n":
                if not self.depth or self.depth[-1] == "{":
                    self.add("nl", "\n", self.pos)
                self.pos += 1
                space = True
                continue
            if ch in " \t\r\f" or (ch == "\\" and src.startswith("\n", self.pos + 1)):
                self.pos += 2 if ch == "\\" else 1
                space = True
                continue
            if src.startswith("//", self.pos):
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
                continue
            if src.startswith("/*", self.pos):
                end = src.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error(self.pos, "unterminated comment /* ... */")
                self.pos = end + 2
                space = True
                continue
            self.scan_token(space)
            space = False
        self.add("eof", None, len(src))
        return self.tokens

    def add(self, kind: str, value: Any, pos: int, space: bool = False) -> None:
        """Append a token at relative offset `pos`."""
        self.tokens.append(Token(kind, value, self.base + pos, space))

    def scan_token(self, space: bool) -> None:
        """Scan one token at the current position."""
        src = self.src
        start = self.pos
        ch = src[start]
        if ch.isdigit() or (ch == "." and src[start + 1 : start + 2].isdigit()):
            self.add("num", self.number(), start, space)
        elif ch == "$" and src.startswith("$/", start):
            raise self.error(start, "dollar-slashy strings $/.../$ are not supported")
        elif ch.isalpha() or ch in "_$":
            end = start + 1
            while end < len(src) and (src[end].isalnum() or src[end] in "_$"):
                end += 1
            word = src[start:end]
            self.pos = end
            self.add("kw" if word in KEYWORDS else "name", word, start, space)
        elif src.startswith(('"""', "'''"), start):
            self.string(src[start : start + 3], space)
        elif ch in "\"'":
            self.string(ch, space)
        elif ch == "/" and self.regex_allowed():
            self.string("/", space)
        else:
            self.symbol(space)

    def regex_allowed(self) -> bool:
        """Whether a `/` here opens a slashy string rather than dividing."""
        if not self.tokens:
            return True
        last = self.tokens[-1]
        if last.kind in {"name", "num", "str", "gstr"}:
            return False
        if last.kind == "kw":
            return last.value not in {"this", "super", "true", "false", "null"}
        return last.kind == "nl" or last.value not in _VALUE_END

    def symbol(self, space: bool) -> None:
        """Scan an operator or punctuation."""
        src = self.src
        start = self.pos
        symbol = next((s for s in _SYMBOLS if src.startswith(s, start)), None)
        if symbol is None:
            raise self.error(start, f"unexpected character {src[start]!r}")
        if symbol in "([{":
            self.depth.append(symbol)
        elif symbol in ")]}" and self.depth:
            self.depth.pop()
        self.pos = start + len(symbol)
        self.add("op", symbol, start, space)

    def number(self) -> Any:
        """Scan a number literal with Groovy's suffixes (`G`, `L`, `I`, `D`, `F`)."""
        src = self.src
        start = self.pos
        if src.startswith(("0x", "0X", "0b", "0B"), start):
            base = 16 if src[start + 1] in "xX" else 2
            end = start + 2
            while end < len(src) and (src[end].isalnum() or src[end] == "_"):
                end += 1
            text = src[start + 2 : end].replace("_", "").rstrip("lLgGiI")
            self.pos = end
            try:
                return int(text, base)
            except ValueError:
                raise self.error(start, f"bad number literal {src[start:end]!r}") from None
        end = start
        while end < len(src) and (src[end].isdigit() or src[end] == "_"):
            end += 1
        fraction = False
        if src.startswith(".", end) and src[end + 1 : end + 2].isdigit():
            fraction = True
            end += 1
            while end < len(src) and (src[end].isdigit() or src[end] == "_"):
                end += 1
        if end < len(src) and src[end] in "eE":
            exp = end + 1 + (src[end + 1 : end + 2] in {"+", "-"})
            if src[exp : exp + 1].isdigit():
                fraction = True
                end = exp
                while end < len(src) and src[end].isdigit():
                    end += 1
        text = src[start:end].replace("_", "")
        suffix = src[end : end + 1]
        if suffix and suffix in "gGlLiIdDfF":
            end += 1
        else:
            suffix = ""
        if end < len(src) and (src[end].isalpha() or src[end] == "_"):
            raise self.error(start, f"bad number literal {src[start : end + 1]!r}")
        self.pos = end
        try:
            if suffix in {"d", "D", "f", "F"}:
                return float(text)
            if fraction or (suffix in {"g", "G"} and "." in text):
                return Decimal(text)
            return int(text)
        except (ValueError, InvalidOperation):
            raise self.error(start, f"bad number literal {src[start:end]!r}") from None

    def string(self, quote: str, space: bool) -> None:
        """Scan a string; double-quoted and slashy ones may hold `$name` and `${...}`."""
        src = self.src
        start = self.pos
        pos = start + len(quote)
        interpolate = quote[0] in {'"', "/"}
        multiline = len(quote) == 3  # noqa: PLR2004 - triple quotes
        parts: list[Any] = []
        chars: list[str] = []
        while True:
            if pos >= len(src):
                raise self.error(start, f"unterminated string (missing closing {quote})")
            ch = src[pos]
            if src.startswith(quote, pos):
                pos += len(quote)
                break
            if ch == "\n" and not multiline and quote != "/":
                raise self.error(start, f"unterminated string (missing closing {quote})")
            if ch == "\\":
                pos = self.escape(pos, chars, slashy=quote == "/")
            elif ch == "$" and interpolate and pos + 1 < len(src):
                nxt = src[pos + 1]
                if nxt == "{":
                    end = self.closing_brace(pos + 1)
                    if chars:
                        parts.append("".join(chars))
                        chars = []
                    parts.append((src[pos + 2 : end], self.base + pos + 2))
                    pos = end + 1
                elif nxt.isalpha() or nxt == "_":
                    end = pos + 1
                    while True:
                        while end < len(src) and (src[end].isalnum() or src[end] == "_"):
                            end += 1
                        if src.startswith(".", end) and (
                            src[end + 1 : end + 2].isalpha() or src[end + 1 : end + 2] == "_"
                        ):
                            end += 1
                            continue
                        break
                    if chars:
                        parts.append("".join(chars))
                        chars = []
                    parts.append((src[pos + 1 : end], self.base + pos + 1))
                    pos = end
                else:
                    chars.append(ch)
                    pos += 1
            else:
                chars.append(ch)
                pos += 1
        if chars:
            parts.append("".join(chars))
        self.pos = pos
        if all(isinstance(p, str) for p in parts):
            self.add("str", "".join(parts), start, space)
        else:
            self.add("gstr", tuple(parts), start, space)

    def escape(self, pos: int, chars: list[str], *, slashy: bool) -> int:
        """Decode the escape at `pos` into `chars`; return the position after it."""
        src = self.src
        nxt = src[pos + 1 : pos + 2]
        if slashy:
            chars.append("/" if nxt == "/" else "\\" + nxt)
            return pos + 2
        if nxt == "u":
            digits = src[pos + 2 : pos + 6]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):  # noqa: PLR2004
                raise self.error(pos, "bad unicode escape (write \\u followed by 4 hex digits)")
            chars.append(chr(int(digits, 16)))
            return pos + 6
        if nxt == "\n":
            return pos + 2
        if nxt in _ESCAPES:
            chars.append(_ESCAPES[nxt])
            return pos + 2
        if nxt.isdigit():
            end = pos + 1
            while end < len(src) and end < pos + 4 and src[end] in "01234567":
                end += 1
            chars.append(chr(int(src[pos + 1 : end], 8)))
            return end
        raise self.error(pos, f"unknown escape sequence \\{nxt}")

    def closing_brace(self, open_pos: int) -> int:
        """Find the `}` closing the `{` at `open_pos`, skipping nested braces and strings."""
        src = self.src
        depth = 0
        pos = open_pos
        while pos < len(src):
            ch = src[pos]
            if ch in "\"'":
                quote = src[pos : pos + 3] if src.startswith(ch * 3, pos) else ch
                pos += len(quote)
                while pos < len(src) and not src.startswith(quote, pos):
                    pos += 2 if src[pos] == "\\" else 1
                pos += len(quote)
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return pos
            pos += 1
        raise self.error(open_pos - 1, "unterminated ${...} in a string")


def tokenize(source: str, base: int = 0, full: str | None = None) -> list[Token]:
    """Tokenize `source` (which starts at offset `base` of `full`)."""
    return Lexer(source, base, full).tokenize()
