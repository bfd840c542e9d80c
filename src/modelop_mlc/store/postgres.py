"""PostgreSQL store for several hosts sharing one database (`pip install modelop-mlc[postgres]`)."""

from __future__ import annotations

import re
from typing import Any

from modelop_mlc._extras import require
from modelop_mlc.errors import ConfigurationError, StoreError
from modelop_mlc.store._sql import SqlStore

__all__ = ["PostgresStore"]

_PLACEHOLDER = re.compile(r"\?")

# Applied unless the URL sets them. Without a connect timeout a host waits forever for an
# unreachable server; keepalives notice a server host that vanished without closing sockets.
_DEFAULTS = {
    "connect_timeout": "10",
    "application_name": "modelop_mlc",
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
}

# Errors that always mean the server ended the session.
_DISCONNECTS = frozenset({"AdminShutdown", "CrashShutdown", "CannotConnectNow"})

# Any constant works; it only has to be the same on every host ("mlc_migr" in ASCII).
_MIGRATION_LOCK = 0x6D6C635F6D696772


class _PostgresDialect:
    name = "postgresql"
    autoinc = "BIGSERIAL PRIMARY KEY"

    def __init__(self, url: str) -> None:
        self.url = url
        require("a PostgreSQL database", "postgres", "psycopg")
        import psycopg  # noqa: PLC0415 - optional extra, imported only when used

        self.psycopg = psycopg
        try:
            given = psycopg.conninfo.conninfo_to_dict(url)
        except Exception as err:
            if not _is_a(err, {"Error"}):
                raise
            raise ConfigurationError(
                f"invalid PostgreSQL URL '{_redact(url)}': {_redact(str(err))}"
            ) from None
        options = {k: v for k, v in _DEFAULTS.items() if k not in given}
        self.conninfo = psycopg.conninfo.make_conninfo(url, **options)

    def connect(self) -> Any:
        try:
            conn = self.psycopg.connect(self.conninfo, autocommit=True)
        except Exception as err:
            if not _is_a(err, {"Error"}):
                raise
            raise StoreError(f"cannot connect to PostgreSQL: {_redact(str(err))}") from None
        return conn

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN")

    def sql(self, statement: str) -> str:
        # Our statements never contain a literal '?' or '%', so this rewrite is safe.
        return _PLACEHOLDER.sub("%s", statement)

    def is_locked_error(self, err: Exception) -> bool:
        return _is_a(err, {"SerializationFailure", "DeadlockDetected", "LockNotAvailable"})

    def skip_locked(self) -> str:
        # Several workers claim jobs at once; each skips rows another one is claiming.
        return " FOR UPDATE SKIP LOCKED"

    def is_disconnect(self, err: BaseException, conn: Any) -> bool:
        if _is_a(err, _DISCONNECTS):
            return True
        # Other OperationalErrors (a lock timeout, a cancelled query) leave the session usable.
        return _is_a(err, {"OperationalError"}) and (conn is None or self.is_closed(conn))

    def is_closed(self, conn: Any) -> bool:
        return bool(conn.closed or conn.broken)

    def commit_token(self, conn: Any) -> Any:
        row = conn.execute("SELECT pg_current_xact_id_if_assigned()::text").fetchone()
        return row[0] if row else None

    def token_returning(self) -> str:
        # The instance update returns it, saving a round trip per step.
        return " RETURNING pg_current_xact_id()::text"

    def committed(self, conn: Any, token: Any) -> bool | None:
        row = conn.execute("SELECT pg_xact_status(%s::xid8)", (token,)).fetchone()
        status = str(row[0]) if row else ""
        return {"committed": True, "aborted": False}.get(status)

    def lock_schema(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def like(self, column: str, pattern: str) -> tuple[str, str]:
        return f"{column} LIKE ?", pattern


def _is_a(err: BaseException, names: set[str] | frozenset[str]) -> bool:
    """Whether `err` is a psycopg error of one of these classes (or a subclass).

    Compared by name: when psycopg is imported twice in one process (pytester's in-process
    runs restore `sys.modules`), the errors raised need not be the classes we imported.
    """
    return any(
        cls.__name__ in names and cls.__module__.startswith("psycopg") for cls in type(err).__mro__
    )


def _redact(text: str) -> str:
    return re.sub(r"(password=)\S+", r"\1***", re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", text))


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database (psycopg 3), shared by any number of hosts.

    Each thread uses its own connection. Jobs and timers are claimed with
    `FOR UPDATE SKIP LOCKED` and a lease; instances are saved with a compare-and-swap on their
    revision, so two hosts never both apply a step. A connection the server dropped is
    replaced on its next use.

    Args:
        url: `postgresql://user:password@host:5432/dbname` (libpq parameters such as
            `?sslmode=require` or `?options=-csearch_path%3Dmlc` are passed on).

    Raises:
        ConfigurationError: If psycopg is not installed or the URL is invalid.
    """

    def __init__(self, url: str) -> None:
        """Prepare the store (connections open per thread, on first use)."""
        super().__init__(_PostgresDialect(url), url=_redact(url))
