"""Persistence: definitions, instances, waits, jobs and history in SQLite or PostgreSQL.

`SqlStore` is the store; `Tx` what a transaction writes through; `modelop_mlc.store.rows`
the rows both take and return.
"""

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.store._outbox import DeliveredElsewhereError
from modelop_mlc.store._port import Tx
from modelop_mlc.store._sql import SqlStore
from modelop_mlc.store.sqlite import SqliteStore

__all__ = ["DeliveredElsewhereError", "SqlStore", "SqliteStore", "Tx", "open_store"]


def open_store(url: str, *, create: bool = True) -> SqlStore:
    """Open a store from a path or URL (`mlc.db`, `sqlite:///path`, `postgresql://...`).

    `create=False` refuses a SQLite file that does not exist instead of creating it (a
    PostgreSQL database always exists first: the server refuses an unknown one).

    Raises:
        modelop_mlc.errors.ConfigurationError: If the URL scheme is unknown.
        modelop_mlc.errors.DatabaseNotFoundError: If the SQLite file is missing and `create`
            is False.
    """
    if url.startswith(("postgresql://", "postgres://")):
        from modelop_mlc.store.postgres import PostgresStore  # noqa: PLC0415 - optional extra

        return PostgresStore(url)
    if url.startswith("sqlite:///"):
        return SqliteStore(url[len("sqlite:///") :], create=create)
    if "://" in url:
        raise ConfigurationError(
            f"unknown database URL '{url.split('://', maxsplit=1)[0]}://...'; use a file path, "
            "sqlite:///path or postgresql://user:pass@host/db"
        )
    return SqliteStore(url, create=create)
