"""Regular expressions that cannot freeze the host: Google's RE2, which runs in linear time.

Diagram authors write the patterns (FEEL `matches()`, Groovy `==~`, `split`, `replaceAll`), so
a backtracking engine such as Python's `re` would let one pattern like `(a+)+b` hang a worker.
RE2 has no backtracking: it refuses the constructs that need it (back-references,
look-around, possessive quantifiers), and we report those as `RegexRefusedError` with the
reason. Patterns and texts are also bounded in size, and RE2's memory per pattern is capped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, Final, Protocol

import re2  # type: ignore[import-untyped]

__all__ = ["BoundedMatch", "BoundedPattern", "RegexRefusedError", "compile_bounded"]

MAX_PATTERN: Final = 10_000
_MAX_MEMORY: Final = 8 << 20


class RegexRefusedError(ValueError):
    """The pattern is invalid or needs a construct a linear-time engine cannot run."""


class BoundedMatch(Protocol):
    """One match (the part of `re.Match` we use)."""

    def group(self, *groups: int | str) -> Any:
        """The text of a group (0 is the whole match)."""
        ...

    def groups(self) -> tuple[Any, ...]:
        """The texts of all groups."""
        ...

    def start(self, group: int = 0) -> int:
        """Where the match starts."""
        ...

    def end(self, group: int = 0) -> int:
        """Where the match ends."""
        ...


class BoundedPattern(Protocol):
    """A compiled pattern (the part of `re.Pattern` we use)."""

    @property
    def groups(self) -> int:
        """The number of capturing groups."""
        ...

    def search(self, text: str) -> BoundedMatch | None:
        """The first match anywhere in `text`."""
        ...

    def fullmatch(self, text: str) -> BoundedMatch | None:
        """A match of the whole of `text`."""
        ...

    def finditer(self, text: str) -> Iterator[BoundedMatch]:
        """Every non-overlapping match."""
        ...

    def sub(self, repl: Callable[[BoundedMatch], str], text: str, count: int = 0) -> str:
        """Replace matches with what `repl` returns."""
        ...


def compile_bounded(
    pattern: str, *, ignore_case: bool = False, dotall: bool = False, multiline: bool = False
) -> BoundedPattern:
    """Compile `pattern` on RE2.

    Args:
        pattern: Perl/Java-style syntax (RE2 accepts the common subset).
        ignore_case: Match letters case-insensitively.
        dotall: Let `.` match newlines.
        multiline: Let `^` and `$` match at line breaks.

    Returns:
        The compiled pattern (cached per pattern and flags).

    Raises:
        RegexRefusedError: When the pattern is too long, invalid, or needs backtracking.
    """
    return _compile(pattern, ignore_case, dotall, multiline)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str, ignore_case: bool, dotall: bool, multiline: bool) -> BoundedPattern:
    if len(pattern) > MAX_PATTERN:
        raise RegexRefusedError(
            f"the pattern has {len(pattern)} characters; at most {MAX_PATTERN} are allowed"
        )
    flags = "".join(f for f, on in (("i", ignore_case), ("s", dotall), ("m", multiline)) if on)
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEMORY
    try:
        compiled: BoundedPattern = re2.compile(
            f"(?{flags}){pattern}" if flags else pattern, options=options
        )
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise RegexRefusedError(_explain(pattern, reason)) from None
    return compiled


def _explain(pattern: str, reason: str) -> str:
    hint = ""
    if "(?=" in pattern or "(?!" in pattern or "(?<=" in pattern or "(?<!" in pattern:
        hint = "; look-ahead and look-behind need backtracking and are not supported"
    elif any(f"\\{d}" in pattern for d in "123456789"):
        hint = "; back-references need backtracking and are not supported"
    elif any(q in pattern for q in ("*+", "++", "?+", "}+")):
        hint = "; possessive quantifiers are not supported"
    return f"regular expression {pattern!r} is refused ({reason}){hint}"
