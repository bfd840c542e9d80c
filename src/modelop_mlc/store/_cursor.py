"""What differs between the databases (`Dialect`), and the cursor every query goes through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Cursor", "Dialect"]


class Dialect(Protocol):
    """What differs between SQLite and PostgreSQL."""

    name: str
    autoinc: str

    def connect(self) -> Any:
        """Open a new DB-API connection in autocommit mode."""
        ...

    def begin_write(self, conn: Any) -> None:
        """Start a write transaction (SQLite: BEGIN IMMEDIATE)."""
        ...

    def sql(self, statement: str) -> str:
        """Adapt `?` placeholders to the driver's style."""
        ...

    def is_locked_error(self, err: Exception) -> bool:
        """Tell whether `err` means "try again": a busy database or a serialisation failure."""
        ...

    def skip_locked(self) -> str:
        """The clause that skips rows another transaction holds, or ''."""
        ...

    def is_disconnect(self, err: BaseException, conn: Any) -> bool:
        """Tell whether `err` means the connection is gone (the server restarted or dropped it)."""
        ...

    def is_closed(self, conn: Any) -> bool:
        """Tell whether a connection can no longer be used."""
        ...

    def commit_token(self, conn: Any) -> Any:
        """Return what identifies the open transaction after a lost commit, or None."""
        ...

    def token_returning(self) -> str:
        """A RETURNING clause yielding the commit token from a write, or ''."""
        ...

    def committed(self, conn: Any, token: Any) -> bool | None:
        """Whether the transaction `token` names committed (None: cannot tell yet)."""
        ...

    def lock_schema(self, conn: Any) -> None:
        """Serialise migrations of one database by several hosts (inside the transaction)."""
        ...

    def like(self, column: str, pattern: str) -> tuple[str, str]:
        """A case-sensitive SQL `LIKE` filter on `column`: (clause, its parameter)."""
        ...


class Cursor:
    """A thin wrapper that adapts placeholders and returns plain tuples."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect
        self.wrote = False

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return the driver's cursor."""
        if not self.wrote and statement.lstrip()[:6].upper() != "SELECT":
            self.wrote = True
        cursor = self.conn.cursor()
        if params:
            cursor.execute(self.dialect.sql(statement), tuple(params))
        else:
            # Without parameters the driver does not parse placeholders, so a literal '%' in
            # a query of `raw()` reaches PostgreSQL as written.
            cursor.execute(statement)
        return cursor

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of `rows` (nothing when there are none)."""
        if rows:
            self.wrote = True
            cursor = self.conn.cursor()
            cursor.executemany(self.dialect.sql(statement), [tuple(r) for r in rows])

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        return self.execute(statement, params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query."""
        return list(self.execute(statement, params).fetchall())
