"""Connections and their recovery: one per thread, short write transactions, reconnecting.

A server may drop a connection (a restart, a failover, an idle timeout); reads and whole
transactions are repeated once on a new one when that is known to be safe.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from modelop_mlc.errors import StoreError
from modelop_mlc.store._columns import marks
from modelop_mlc.store._cursor import Cursor, Dialect
from modelop_mlc.store._writes import SqlTx, leased

__all__ = ["Connections"]

T = TypeVar("T")
log = logging.getLogger("modelop_mlc.store")


class _Reader(Cursor):
    """Reads outside a transaction; repeated once on a new connection if the old one died."""

    def __init__(self, store: Connections) -> None:
        super().__init__(store._conn(), store.dialect)
        self.store = store

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        try:
            return super().execute(statement, params)
        except Exception as err:
            if not self.dialect.is_disconnect(err, self.conn):
                raise
            store = self.store
            if store._in_transaction():
                # The transaction died with the connection; reading elsewhere would not help.
                raise store._lost(err, committed=False) from err
            store._lost(err, committed=False)  # logs and discards
            self.conn = store._conn()
        try:
            return super().execute(statement, params)
        except Exception as err:
            if self.dialect.is_disconnect(err, self.conn):
                raise self.store._lost(err, committed=False) from err
            raise


class _ConnectionLostError(StoreError):
    """The connection broke; `committed` says whether the transaction was saved (None: unknown)."""

    def __init__(self, message: str, *, committed: bool | None) -> None:
        super().__init__(message)
        self.committed = committed


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


class Connections:
    """A database's connections: one per thread, written to in short transactions.

    A connection the server dropped is replaced on the next use: reads are repeated once
    on a fresh connection, and `run_transaction()` repeats a whole transaction once when it
    is known not to have committed.
    """

    def __init__(self, dialect: Dialect, *, url: str) -> None:
        """Remember where to connect (lazily, per thread)."""
        self.dialect = dialect
        self.url = url
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self.dialect.is_closed(conn):
            self._discard()
            conn = None
        if conn is None:
            conn = self.dialect.connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _discard(self) -> None:
        """Forget (and close) this thread's connection; the next use opens a new one."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with contextlib.suppress(Exception):  # it is usually broken already
            conn.close()

    def close_thread_connection(self) -> None:
        """Close the calling thread's connection (helper threads call this before ending)."""
        self._discard()

    def _in_transaction(self) -> bool:
        return bool(getattr(self._local, "in_tx", False))

    def reader(self) -> Cursor:
        """Return a cursor for reads outside any write transaction."""
        return _Reader(self)

    def _lost(self, err: BaseException, *, committed: bool | None) -> _ConnectionLostError:
        self._discard()
        log.warning("lost the connection to %s: %s", self.url, _first_line(err))
        return _ConnectionLostError(
            f"lost the connection to the database ({_first_line(err)}); "
            + (
                "nothing was saved"
                if committed is False
                else "the last transaction may or may not have been saved"
            ),
            committed=committed,
        )

    def _begin(self) -> Any:
        """Open a write transaction, on a fresh connection if the old one was dropped."""
        conn = self._conn()
        try:
            self.dialect.begin_write(conn)
        except Exception as err:
            if not self.dialect.is_disconnect(err, conn):
                raise
            # The server dropped the connection while it sat idle (a restart); nothing was
            # sent yet, so beginning again on a new connection is safe.
            self._lost(err, committed=False)
            conn = self._conn()
            try:
                self.dialect.begin_write(conn)
            except Exception as again:
                if self.dialect.is_disconnect(again, conn):
                    raise self._lost(again, committed=False) from again
                raise
        return conn

    def _rollback(self, conn: Any, err: BaseException) -> None:
        if isinstance(err, _ConnectionLostError):
            return
        try:
            conn.rollback()
        except Exception as failed:
            if not self.dialect.is_disconnect(failed, conn):
                raise
            self._discard()
        if self.dialect.is_disconnect(err, conn):
            raise self._lost(err, committed=False) from err

    def _commit(self, conn: Any, tx: SqlTx) -> None:
        try:
            # Written before COMMIT so that a commit whose answer is lost can be looked up.
            token = tx.token
            if token is None and tx.wrote:
                token = self.dialect.commit_token(conn)
        except Exception as err:
            if self.dialect.is_disconnect(err, conn):
                raise self._lost(err, committed=False) from err
            raise
        try:
            conn.commit()
        except Exception as err:
            if not self.dialect.is_disconnect(err, conn):
                raise
            self._discard()
            outcome = self._outcome(token) if tx.wrote else False
            if outcome is True:
                log.warning("lost the connection while committing; the commit went through")
                return
            raise self._lost(err, committed=outcome) from err

    def _outcome(self, token: Any) -> bool | None:
        """Whether the transaction behind `token` committed, asked on a new connection."""
        if token is None:
            return None
        try:
            return self.dialect.committed(self._conn(), token)
        except Exception:  # noqa: BLE001 - the server may still be down: the outcome is unknown
            self._discard()
            return None

    @contextmanager
    def transaction(self) -> Iterator[SqlTx]:
        """Run the block in one write transaction; commit on success, roll back on error.

        Raises:
            StoreError: If the connection was lost; the message says whether anything was
                saved (`run_transaction()` repeats the block instead, when that is safe).
        """
        conn = self._begin()
        tx = SqlTx(conn, self.dialect)
        self._local.in_tx = True
        try:
            yield tx
        except BaseException as err:
            self._local.in_tx = False
            self._rollback(conn, err)
            raise
        self._local.in_tx = False
        self._commit(conn, tx)

    def run_transaction(self, body: Callable[[SqlTx], T]) -> T:
        """Run `body` in one write transaction, repeating it once if the connection was lost.

        `body` may run twice, so it must only write through the `Tx` (no side effects of its
        own). It is repeated only when the first attempt is known not to have committed.

        Raises:
            StoreError: If the connection is lost again, or was lost while committing and
                whether the commit went through cannot be told.
        """
        try:
            with self.transaction() as tx:
                return body(tx)
        except _ConnectionLostError as err:
            if err.committed is not False:
                raise
            log.info("repeating the transaction on a new connection")
        with self.transaction() as tx:
            return body(tx)

    def release_leases(self, table: str, owner: str, ids: Sequence[str]) -> int:
        """Give back `owner`'s leases on some jobs or timers, in one statement of its own.

        Returns how many leases were given back. Outside a transaction: the single UPDATE is
        atomic by itself, and repeating it (after a lost connection) changes nothing.
        """
        if not ids:
            return 0
        cursor = self.reader().execute(
            f"UPDATE {leased(table)} SET lease_owner = NULL, lease_until = NULL "
            f"WHERE lease_owner = ? AND id IN ({marks(len(ids))})",
            (owner, *ids),
        )
        return int(cursor.rowcount or 0)

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):  # closing is best effort
                    conn.close()
            self._connections.clear()
        self._local = threading.local()
