"""PostgreSQL store for several hosts sharing one database (`pip install modelop-mlc[postgres]`)."""

from __future__ import annotations

import re
from typing import Any

from modelop_mlc.errors import ConfigurationError, StoreError
from modelop_mlc.store._sql import SqlStore

__all__ = ["PostgresStore"]

_PLACEHOLDER = re.compile(r"\?")


class _PostgresDialect:
    name = "postgresql"
    autoinc = "BIGSERIAL PRIMARY KEY"

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            import psycopg  # noqa: PLC0415 - optional extra, imported only when used
        except ImportError as err:
            raise ConfigurationError(
                "PostgreSQL needs psycopg: pip install 'modelop-mlc[postgres]'"
            ) from err
        self.psycopg = psycopg

    def connect(self) -> Any:
        try:
            conn = self.psycopg.connect(self.url, autocommit=True)
        except self.psycopg.Error as err:
            raise StoreError(f"cannot connect to PostgreSQL: {_redact(str(err))}") from None
        return conn

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN")

    def sql(self, statement: str) -> str:
        # Our statements never contain a literal '?' or '%', so this rewrite is safe.
        return _PLACEHOLDER.sub("%s", statement)

    def is_locked_error(self, err: Exception) -> bool:
        errors = self.psycopg.errors
        return isinstance(
            err, errors.SerializationFailure | errors.DeadlockDetected | errors.LockNotAvailable
        )

    def skip_locked(self) -> str:
        # Several workers claim jobs at once; each skips rows another one is claiming.
        return " FOR UPDATE SKIP LOCKED"


def _redact(text: str) -> str:
    return re.sub(r"(password=)\S+", r"\1***", re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", text))


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database (psycopg 3), shared by any number of hosts.

    Args:
        url: `postgresql://user:password@host:5432/dbname`.
    """

    def __init__(self, url: str) -> None:
        """Prepare the store (connections open per thread, on first use)."""
        super().__init__(_PostgresDialect(url), url=_redact(url))

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.closed:
            self._local.conn = None
        return super()._conn()
