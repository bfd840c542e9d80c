r"""XPath regular expressions (FEEL `matches`, `replace`, `split`) translated to RE2.

They run on RE2 (`_bounded_regex`), in linear time, because diagram authors write them and a
backtracking engine would let one pattern freeze the host. The dialects differ in a few places
that matter: `.` never matches `\r` or `\n` without the `s` flag, `$` only matches at the very
end without `m`, the `x` flag deletes whitespace rather than enabling verbose mode, and
character classes can be subtracted (`[A-Z-[OI]]`), which is computed here as a set of code
point ranges (RE2 has no look-ahead to express it). Unicode blocks (`\p{IsBasicLatin}`) are
supported only for the few names below; any other construct without an equivalent gives `None`.
"""

from __future__ import annotations

import re
from typing import Final

from modelop_mlc.dmn._bounded_regex import BoundedPattern, compile_bounded

__all__ = ["compile_xpath_regex"]

_MAX_CODE_POINT: Final = 0x10FFFF
_CLASS_ESCAPES: Final = {
    "d": [(0x30, 0x39)],
    "s": [(0x20, 0x20), (0x9, 0xA), (0xD, 0xD)],
}
_CONTROL: Final = {"n": "\n", "r": "\r", "t": "\t"}

_PROPERTIES: Final = {
    "IsBasicLatin": "\\x00-\\x7f",
    "IsLatin-1Supplement": "\\x80-\\xff",
    "Nd": "0-9",
}
_FLAGS: Final = frozenset("ismxq")


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


def _class_item(body: str, i: int) -> tuple[list[tuple[int, int]], int] | None:
    """One character, escape or property of a class body at `i`: its ranges and the next index."""
    ch = body[i]
    if ch != "\\":
        return [(ord(ch), ord(ch))], i + 1
    if i + 1 >= len(body):
        return None
    escape = body[i + 1]
    if escape in _CLASS_ESCAPES:
        return list(_CLASS_ESCAPES[escape]), i + 2
    if escape in _CONTROL:
        code = ord(_CONTROL[escape])
        return [(code, code)], i + 2
    if escape == "x":  # \xHH or \x{H...}, as the translation of \p{...} writes them
        if body.startswith("{", i + 2):
            end = body.find("}", i + 3)
            digits, after = body[i + 3 : end], end + 1
        else:
            digits, after = body[i + 2 : i + 4], i + 4
        try:
            code = int(digits, 16)
        except ValueError:
            return None
        return [(code, code)], after
    if escape in "pP":
        translated = _property(body, i)
        if translated is None or escape == "P":
            return None
        ranges = _class_ranges(translated[0][1:-1])
        return None if ranges is None else (ranges, translated[1])
    if escape.isalnum():
        return None  # \w, \i, \c and friends: no exact code point set here
    return [(ord(escape), ord(escape))], i + 2


def _class_ranges(body: str) -> list[tuple[int, int]] | None:
    """The code point ranges of a class body (`a-z0-9_`, without brackets), or None."""
    negate = body.startswith("^")
    i = 1 if negate else 0
    ranges: list[tuple[int, int]] = []
    while i < len(body):
        item = _class_item(body, i)
        if item is None:
            return None
        found, i = item
        if len(found) == 1 and body.startswith("-", i) and i + 1 < len(body):
            high = _class_item(body, i + 1)
            if high is None or len(high[0]) != 1:
                return None
            ranges.append((found[0][0], high[0][0][1]))
            i = high[1]
            continue
        ranges.extend(found)
    return _complement(ranges) if negate else _merged(ranges)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for low, high in _merged(ranges):
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX_CODE_POINT:
        out.append((start, _MAX_CODE_POINT))
    return out


def _subtract(base: list[tuple[int, int]], minus: list[tuple[int, int]]) -> str:
    """`[base-[minus]]` as one RE2 class of explicit code point ranges."""
    kept = []
    removed = _merged(minus)
    for first, high in _merged(base):
        low = first
        for cut_low, cut_high in removed:
            if cut_high < low or cut_low > high:
                continue
            if cut_low > low:
                kept.append((low, cut_low - 1))
            low = max(low, cut_high + 1)
            if low > high:
                break
        if low <= high:
            kept.append((low, high))
    if not kept:
        return r"[^\x{0}-\x{10FFFF}]"  # nothing is left: a class that matches nothing
    return "[" + "".join(rf"\x{{{lo:X}}}-\x{{{hi:X}}}" for lo, hi in kept) + "]"


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
            if nxt.isdigit():
                return None  # back-references need backtracking, which RE2 refuses
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if class_start is not None:
            if ch == "-" and pattern.startswith("-[", i):
                close = pattern.find("]", i + 2)
                if close < 0 or not pattern.startswith("]", close + 1):
                    return None
                base = _class_ranges("".join(out[class_start + 1 :]))
                minus = _class_ranges(pattern[i + 2 : close])
                if base is None or minus is None:
                    return None
                del out[class_start:]
                out.append(_subtract(base, minus))
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
            out.append("\\z")
        elif ch == "(" and pattern.startswith("(?", i):
            return None  # XPath has no (?…) groups
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def compile_xpath_regex(pattern: str, flags: str) -> BoundedPattern | None:
    """Compile an XPath regex with XPath flags (`i s m x q`); `None` if unsupported.

    Raises:
        ValueError: On an unknown flag, or a pattern RE2 refuses (`RegexRefusedError`).
    """
    for flag in flags:
        if flag not in _FLAGS:
            raise ValueError(f"unknown regular-expression flag {flag!r}")
    ignore_case, dotall, multiline = "i" in flags, "s" in flags, "m" in flags
    if "q" in flags:
        return compile_bounded(re.escape(pattern), ignore_case=ignore_case)
    if "x" in flags:
        pattern = _strip_whitespace(pattern)
    source = _translate(pattern, dotall=dotall, multiline=multiline)
    if source is None:
        return None
    return compile_bounded(source, ignore_case=ignore_case, dotall=dotall, multiline=multiline)
