"""The embedded default store: one SQLite file in WAL mode."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any, Literal, get_args

from modelop_mlc.errors import ConfigurationError, DatabaseNotFoundError, StoreError
from modelop_mlc.store._sql import SqlStore

__all__ = ["Durability", "SqliteStore"]

Durability = Literal["normal", "full"]
"""How SQLite makes a commit durable: `PRAGMA synchronous` in WAL mode.

- `normal`: a commit survives a crash of the process (or of every process using the file);
  the last commits before a power loss or an operating-system crash may be lost, never
  half-written (the database stays consistent).
- `full`: the WAL is flushed to disk (fsync) at every commit, so a commit also survives a
  power loss. Each commit costs one fsync more.
"""

log = logging.getLogger("modelop_mlc")

# Writers queue on SQLite's busy handler instead of failing; 60 s covers a stalled peer.
_BUSY_TIMEOUT_MS = 60_000
_WAL_ATTEMPTS = 30
_GLOB = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting if other connections are switching it right now."""
    # Connections opening a fresh file at the same moment deadlock on the switch, and SQLite
    # answers "locked" at once instead of using the busy handler. The switch takes
    # milliseconds and happens once per file, so wait for the other connection to finish.
    pause = threading.Event()
    for attempt in range(_WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == _WAL_ATTEMPTS - 1:
                raise StoreError(f"cannot switch SQLite database to WAL: {err}") from err
            pause.wait(0.01 * (attempt + 1))
        else:
            return


class _SqliteDialect:
    name = "sqlite"
    autoinc = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: str, durability: Durability) -> None:
        self.path = path
        self.synchronous = durability.upper()

    def connect(self) -> Any:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as err:
            raise StoreError(f"cannot open SQLite database '{self.path}': {err}") from err
        try:
            _set_wal(conn)
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as err:
            # The first statement reads the header: "file is not a database" lands here.
            conn.close()
            raise StoreError(
                f"'{self.path}' is not a SQLite database ({err}); check the path, or move "
                "the file away and open it again to start a new database there"
            ) from err
        return conn

    def begin_write(self, conn: Any) -> None:
        # A deferred transaction that later upgrades to a write fails at once with "database
        # is locked" when another writer committed in between; IMMEDIATE queues instead.
        conn.execute("BEGIN IMMEDIATE")

    def sql(self, statement: str) -> str:
        return statement

    def is_locked_error(self, err: Exception) -> bool:
        return isinstance(err, sqlite3.OperationalError) and "locked" in str(err)

    def skip_locked(self) -> str:
        return ""

    # A local file has no connection to lose: a failed COMMIT did not commit.

    def is_disconnect(self, err: BaseException, conn: Any) -> bool:
        return False

    def is_closed(self, conn: Any) -> bool:
        return False

    def commit_token(self, conn: Any) -> Any:
        return None

    def token_returning(self) -> str:
        return ""

    def committed(self, conn: Any, token: Any) -> bool | None:
        return None

    def lock_schema(self, conn: Any) -> None:
        """`BEGIN IMMEDIATE` already holds the database's only write lock."""

    def like(self, column: str, pattern: str) -> tuple[str, str]:
        # SQLite's LIKE ignores the case of ASCII letters; GLOB does not (as LIKE on
        # PostgreSQL, where Camunda runs): `%` becomes `*`, `_` becomes `?`, and GLOB's own
        # wildcards are bracketed to match themselves.
        glob = "".join(_GLOB.get(char, char) for char in pattern)
        return f"{column} GLOB ?", glob


class SqliteStore(SqlStore):
    """A store in one SQLite file (WAL, `BEGIN IMMEDIATE` for writes).

    Several processes on one host may share the file (they take turns writing); several
    hosts need `PostgresStore`.

    Args:
        path: The database file. `:memory:` is not supported because each thread opens its
            own connection.
        create: Create the file (and its missing folders) if it does not exist; when False,
            a missing file is refused and nothing is created.
        durability: `"normal"` (the default: survives a process crash, may lose the last
            commits on a power loss) or `"full"` (an fsync per commit: survives a power loss
            too); see `Durability`.

    Raises:
        DatabaseNotFoundError: If the file does not exist and `create` is False.
        ConfigurationError: If `durability` is not one of those.
    """

    def __init__(
        self, path: str | Path, *, create: bool = True, durability: Durability = "normal"
    ) -> None:
        """Open (and, with `create`, create) the database file."""
        text = str(path)
        if text == ":memory:":
            raise StoreError("in-memory SQLite is not supported; use a temporary file")
        if durability not in get_args(Durability):
            raise ConfigurationError(
                f"durability must be one of {', '.join(get_args(Durability))}, not {durability!r}"
            )
        file = Path(text)
        if not file.exists():
            if not create:
                raise DatabaseNotFoundError(str(file.absolute()))
            if not file.parent.is_dir():
                log.info("creating folder %s for the database", file.parent)
                file.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(_SqliteDialect(text, durability), url=f"sqlite:///{text}")
        self.path = Path(text)
        self.durability: Durability = durability
