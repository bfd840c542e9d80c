"""Persistence: definitions, instances, waits, jobs and history in SQLite or PostgreSQL.

`SqlStore` is the store; `Tx` what a transaction writes through; `modelop_mlc.store.rows`
the rows both take and return.
"""

from modelop_mlc.errors import ConfigurationError
from modelop_mlc.store._outbox import DeliveredElsewhereError
from modelop_mlc.store._port import Tx
from modelop_mlc.store._sql import SqlStore
from modelop_mlc.store.sqlite import Durability, SqliteStore

__all__ = ["DeliveredElsewhereError", "Durability", "SqlStore", "SqliteStore", "Tx", "open_store"]


def open_store(url: str, *, create: bool = True, durability: Durability | None = None) -> SqlStore:
    """Open a store from a path or URL (`mlc.db`, `sqlite:///path`, `postgresql://...`).

    `create=False` refuses a SQLite file that does not exist instead of creating it (a
    PostgreSQL database always exists first: the server refuses an unknown one).
    `durability` is SQLite's (`"normal"` by default, or `"full"`; see `Durability`). A
    PostgreSQL server decides durability itself (its `synchronous_commit` setting), so it is
    not accepted there.

    Raises:
        modelop_mlc.errors.ConfigurationError: If the URL scheme is unknown, or `durability`
            is given for PostgreSQL or is not a known setting.
        modelop_mlc.errors.DatabaseNotFoundError: If the SQLite file is missing and `create`
            is False.
    """
    if url.startswith(("postgresql://", "postgres://")):
        if durability is not None:
            raise ConfigurationError(
                "durability is a SQLite setting; PostgreSQL's commits are as durable as the "
                "server's synchronous_commit makes them (on by default: a commit survives a "
                "power loss); set it on the server, e.g. ALTER DATABASE ... SET "
                "synchronous_commit = off, and leave durability unset"
            )
        from modelop_mlc.store.postgres import PostgresStore  # noqa: PLC0415 - optional extra

        return PostgresStore(url)
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") or "://" not in url:
        return SqliteStore(path, create=create, durability=durability or "normal")
    raise ConfigurationError(
        f"unknown database URL '{url.split('://', maxsplit=1)[0]}://...'; use a file path, "
        "sqlite:///path or postgresql://user:pass@host/db"
    )
