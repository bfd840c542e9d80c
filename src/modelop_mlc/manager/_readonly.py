"""The read-only view of the variables a delegate gets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ReadOnlyVariables"]


class ReadOnlyVariables(Mapping[str, Any]):
    """A read-only view, so delegates return changes instead of mutating variables."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnlyVariables({dict(self._data)!r})"
