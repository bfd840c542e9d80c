"""The part of a docs page a script generates, between BEGIN and END markers.

`scripts/api_reference.py` and `scripts/delegate_table.py` use it: each prints its text,
`--write` puts it into its page and `--check` exits 1 when the page differs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GeneratedSection"]


@dataclass(frozen=True)
class GeneratedSection:
    """The section of `page` that `script` generates."""

    page: Path
    script: str

    @property
    def begin(self) -> str:
        """The opening marker."""
        return f"<!-- BEGIN GENERATED: scripts/{self.script} -->"

    @property
    def end(self) -> str:
        """The closing marker."""
        return f"<!-- END GENERATED: scripts/{self.script} -->"

    def section(self, page: str) -> str:
        """Return what `page` holds between the markers.

        Raises:
            ValueError: If the markers are missing.
        """
        start, stop = page.find(self.begin), page.find(self.end)
        if start < 0 or stop < start:
            raise ValueError(f"{self.page.name} lacks the markers {self.begin!r} ... {self.end!r}")
        return page[start + len(self.begin) : stop].strip("\n") + "\n"

    def replace(self, page: str, generated: str) -> str:
        """Return `page` with the text between the markers replaced by `generated`."""
        start = page.index(self.begin) + len(self.begin)
        return page[:start] + "\n" + generated + page[page.index(self.end) :]

    def main(self, render: Callable[[], str], argv: Sequence[str] | None, doc: str) -> int:
        """Print, write (`--write`) or check (`--check`) the section; return the exit code."""
        parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--write", action="store_true", help=f"update {self.page}")
        action.add_argument("--check", action="store_true", help="exit 1 when the page differs")
        args = parser.parse_args(argv)
        generated = render()
        if args.write:
            self.page.write_text(self.replace(self.page.read_text(), generated))
        elif args.check and self.section(self.page.read_text()) != generated:
            sys.stderr.write(
                f"{self.page} is out of date: run python scripts/{self.script} --write\n"
            )
            return 1
        elif not args.check:
            sys.stdout.write(generated)
        return 0
