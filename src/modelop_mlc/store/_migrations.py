"""Bringing a database's schema to this library's version (`store/_schema.py`)."""

from __future__ import annotations

from modelop_mlc.errors import SchemaVersionError
from modelop_mlc.store._cursor import Dialect
from modelop_mlc.store._schema import MIGRATIONS, SCHEMA_VERSION
from modelop_mlc.store._writes import SqlTx

__all__ = ["apply_migrations"]

_SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS mlc_schema (version INTEGER NOT NULL)"


def _schema_version(tx: SqlTx) -> int:
    tx.execute(_SCHEMA_TABLE)
    row = tx.one("SELECT version FROM mlc_schema")
    return int(row[0]) if row else 0


def apply_migrations(tx: SqlTx, dialect: Dialect, *, upgrade: bool) -> int:
    """Apply the missing migrations inside `tx`; return the version found before.

    Raises:
        SchemaVersionError: If the database is newer than this library, or older and
            `upgrade` is False.
    """
    dialect.lock_schema(tx.conn)
    current = _schema_version(tx)
    if current > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the database schema is version {current}, newer than this library "
            f"supports ({SCHEMA_VERSION}); upgrade modelop-mlc on this host to the "
            "version the other hosts run"
        )
    if current < SCHEMA_VERSION and not upgrade:
        what = "has no modelop_mlc schema" if current == 0 else (f"has schema version {current}")
        raise SchemaVersionError(
            f"the database {what}; this library needs version {SCHEMA_VERSION}. Back "
            "it up, then migrate it from one host: LifecycleManager.open(url, "
            "migrate=True), store.migrate() or any `mlc --db URL` command"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        statements = MIGRATIONS[version][1:] if version == 1 else MIGRATIONS[version]
        for statement in statements:
            if isinstance(statement, tuple):
                only, statement = statement  # noqa: PLW2901 - the statement of that database
                if only != dialect.name:
                    continue
            tx.execute(statement.replace("{autoinc}", dialect.autoinc))
    if current == 0:
        tx.execute("INSERT INTO mlc_schema (version) VALUES (?)", (SCHEMA_VERSION,))
    elif current < SCHEMA_VERSION:
        tx.execute("UPDATE mlc_schema SET version = ?", (SCHEMA_VERSION,))
    return current
