"""The SQL store shared by SQLite and PostgreSQL: rows in, rows out, no engine objects.

It is built from one module per job: `_connection` (per-thread connections and recovery),
`_writes` (`SqlTx`, every write), `_reads` (every query), `_migrations` (the schema) and
`_columns` (rows to and from database tuples).
"""

from __future__ import annotations

import logging

from modelop_mlc.errors import SchemaVersionError
from modelop_mlc.store._cursor import Dialect
from modelop_mlc.store._migrations import apply_migrations
from modelop_mlc.store._reads import Reads
from modelop_mlc.store._schema import SCHEMA_VERSION
from modelop_mlc.store._writes import SqlTx

__all__ = ["Dialect", "SqlStore", "SqlTx"]

log = logging.getLogger("modelop_mlc.store")


class SqlStore(Reads):
    """A database holding definitions, instances, waits, jobs and history.

    One connection per thread; writes are short transactions (`transaction()`). A connection
    the server dropped (a restart, a failover, an idle timeout) is replaced on the next use:
    reads are repeated once on a fresh connection, and `run_transaction()` repeats a whole
    transaction once when it is known not to have committed.
    """

    def migrate(self, *, upgrade: bool = True) -> int:
        """Create or upgrade the schema; returns the version in use.

        Several hosts may call this at once: on PostgreSQL the migration holds an advisory
        lock, on SQLite the write lock, so one host migrates and the others find it done.

        Raises:
            SchemaVersionError: If the database is newer than this library, or older and
                `upgrade` is False.
        """
        try:
            with self.transaction() as tx:
                current = apply_migrations(tx, self.dialect, upgrade=upgrade)
        except SchemaVersionError:
            # The caller will not use a refused store: keep no connection open for it.
            self.close()
            raise
        if current < SCHEMA_VERSION:
            log.info("migrated %s from schema %s to %s", self.url, current, SCHEMA_VERSION)
        return SCHEMA_VERSION
