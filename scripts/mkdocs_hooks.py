"""MkDocs hooks (`hooks:` in mkdocs.yml): render ```` ```xml title="review.bpmn" ```` fences.

The guides name the file a code block shows in its info string, the way GitHub and the
documentation tests read it. Python-Markdown's `fenced_code` does not accept that form and
would print the whole block as text, so this hook rewrites the opening fence to the attribute
form it does accept (```` ```{.xml title="review.bpmn"} ````) and puts the file name above
the block.
"""

# ruff: noqa: INP001 - loaded by MkDocs by path, not a package module

from __future__ import annotations

import re
from typing import Any

__all__ = ["on_page_markdown"]

_TITLED_FENCE = re.compile(
    r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<lang>[\w+-]+)[ ]+"
    r"""title=(?P<q>["'])(?P<title>[^"']+)(?P=q)[ ]*$""",
    re.MULTILINE,
)


def _rewrite(match: re.Match[str]) -> str:
    indent, fence, lang, title = match["indent"], match["fence"], match["lang"], match["title"]
    return (
        f'{indent}<p class="code-file"><code>{title}</code></p>\n\n'
        f'{indent}{fence}{{.{lang} title="{title}"}}'
    )


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Rewrite titled fences of a page before MkDocs renders it."""
    return _TITLED_FENCE.sub(_rewrite, markdown)
