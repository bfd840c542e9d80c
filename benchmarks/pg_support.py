"""PostgreSQL helpers shared by the multi-worker benchmarks (not a benchmark itself)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["admin", "with_database", "with_schema"]


def admin(dsn: str) -> Any:
    """An autocommit connection for creating databases and schemas."""
    import psycopg  # noqa: PLC0415 - the optional extra; only the PostgreSQL benchmarks need it

    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


def with_database(dsn: str, database: str) -> str:
    """The DSN pointed at another database."""
    head, sep, query = dsn.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{database}{sep}{query}"


def with_schema(dsn: str, schema: str) -> str:
    """The DSN with `schema` first on the search path."""
    option = "options=" + quote(f"-csearch_path={schema}")
    return f"{dsn}{'&' if '?' in dsn else '?'}{option}"
