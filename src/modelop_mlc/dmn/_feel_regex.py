r"""XPath regular expressions (FEEL `matches`, `replace`, `split`) translated to Python's `re`.

The dialects differ in a few places that matter: `.` never matches `\r` or `\n` without the
`s` flag, `$` only matches at the very end without `m`, the `x` flag deletes whitespace
rather than enabling verbose mode, and character classes can be subtracted
(`[A-Z-[OI]]`). Unicode blocks (`\p{IsBasicLatin}`) are supported only for the few names
below; any other construct without an equivalent gives `None`.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["compile_xpath_regex"]

_PROPERTIES: Final = {
    "IsBasicLatin": "\\x00-\\x7f",
    "IsLatin-1Supplement": "\\x80-\\xff",
    "Nd": "0-9",
}
_FLAGS: Final = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE}


def _strip_whitespace(pattern: str) -> str:
    """Apply the `x` flag: drop whitespace outside character classes."""
    out = []
    depth = 0
    escaped = False
    for ch in pattern:
        if ch in " \t\r\n" and not depth:
            continue  # removed even after a backslash: `\ s` becomes `\s`
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif ch in " \t\r\n" and not depth:
            continue
        out.append(ch)
    return "".join(out)


def _property(pattern: str, i: int) -> tuple[str, int] | None:
    r"""Translate `\p{Name}` / `\P{Name}` starting at `i` (the backslash)."""
    negate = pattern[i + 1] == "P"
    end = pattern.find("}", i + 3)
    if pattern[i + 2 : i + 3] != "{" or end < 0:
        return None
    name = pattern[i + 3 : end]
    ranges = _PROPERTIES.get(name)
    if ranges is None:
        return None
    return ("[^" if negate else "[") + ranges + "]", end + 1


def _translate(pattern: str, *, dotall: bool, multiline: bool) -> str | None:
    out: list[str] = []
    i = 0
    n = len(pattern)
    class_start: int | None = None
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                return None
            nxt = pattern[i + 1]
            if nxt in "pP":
                translated = _property(pattern, i)
                if translated is None:
                    return None
                text, i = translated
                out.append(text if class_start is None else text[1:-1])
                continue
            if nxt.isdigit() and (nxt == "0" or class_start is not None):
                return None  # no back-reference inside a class, and no \0, in XPath
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if class_start is not None:
            if ch == "-" and pattern.startswith("-[", i):
                close = pattern.find("]", i + 2)
                if close < 0 or not pattern.startswith("]", close + 1):
                    return None
                base = "".join(out[class_start + 1 :])
                subtract = pattern[i + 2 : close]
                del out[class_start:]
                out.append(f"(?:(?![{subtract}])[{base}])")
                class_start = None
                i = close + 2
                continue
            if ch == "]" and len(out) > class_start + 1:
                class_start = None
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            class_start = len(out)
            out.append(ch)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):
                out.append("\\]")
                i += 1
        elif ch == "." and not dotall:
            out.append("[^\\n\\r]")
        elif ch == "$" and not multiline:
            out.append("\\Z")
        elif ch == "(" and pattern.startswith("(?", i):
            return None  # XPath has no (?…) groups
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def compile_xpath_regex(pattern: str, flags: str) -> re.Pattern[str] | None:
    """Compile an XPath regex with XPath flags (`i s m x q`); `None` if unsupported.

    Raises:
        ValueError: On an unknown flag.
        re.error: When the translated pattern is invalid.
    """
    options = 0
    for flag in flags:
        if flag in _FLAGS:
            options |= _FLAGS[flag]
        elif flag not in "xq":
            raise ValueError(f"unknown regular-expression flag {flag!r}")
    if "q" in flags:
        return re.compile(re.escape(pattern), options)
    if "x" in flags:
        pattern = _strip_whitespace(pattern)
    source = _translate(
        pattern, dotall=bool(options & re.DOTALL), multiline=bool(options & re.MULTILINE)
    )
    if source is None:
        return None
    return re.compile(source, options)
