"""SQLite store of a KMS: community keys, enrolled users and the key sets issued per period.

The file holds secrets (KSAK, z, every user's SSK and RSK, the TrK/InK shared with each
client): whoever reads it can impersonate the KMS and every user.  It is therefore created with
mode 0600 (owner read/write only) and an existing file with wider permissions is refused.
SQLite creates its journal with the same permissions as the database file.

Every write is one transaction (``BEGIN IMMEDIATE``): a provisioning that issues the current
and the next key period stores both key sets or neither (REQ-SKMS-12).  One connection is
shared by the HTTPS server's threads under a lock.  Several processes (KMS replicas on one
host) may open the same file: WAL lets readers go on beside the one writer, and a writer waits
up to :data:`BUSY_TIMEOUT_MS` for another process's transaction instead of failing; the
uniqueness rules of :mod:`mckm.impl.store.kms_store` are the file's constraints.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from mckm.impl.errors import StoreError
from mckm.impl.store.kms_sql import KmsSql, Statement
from mckm.impl.store.kms_store import DuplicateError, schema
from mckm.impl.store.private import connect_private, exposure

SCHEMA = schema(blob="BLOB", text="TEXT", bigint="INTEGER")

#: how long a write waits for another process's transaction on the same file
BUSY_TIMEOUT_MS = 10_000

_DUPLICATE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def store_error(exc: sqlite3.Error) -> StoreError:
    """The store-neutral error for what SQLite refused: a :class:`DuplicateError` naming the
    table and columns (``UNIQUE constraint failed: users.trk_id``), else a StoreError with
    SQLite's reason (which names a constraint or the lock, never a value)."""
    text = str(exc)
    if getattr(exc, "sqlite_errorname", None) in _DUPLICATE:
        return DuplicateError(text.partition(": ")[2] or text)
    return StoreError(f"SQLite: {text}")


class SqliteKmsStore(KmsSql):
    """The KMS's persistent state.  ``path`` ':memory:' gives a private in-memory store."""

    def __init__(self, path: str | Path) -> None:
        self.path = self.location = str(path)
        self._conn = connect_private(self.path, "KMS secrets")
        self._lock = threading.Lock()
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            # WAL: one fsync per commit instead of journal + database, readers beside the
            # writer; FULL keeps every committed key set across a power loss (a client may
            # already hold it)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            with self._lock:
                self._conn.executescript(SCHEMA)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def exposure(self) -> str | None:
        return exposure(self.path)

    def _write(self, statements: Iterable[Statement]) -> None:
        """Run ``statements`` in one transaction: all are stored or none."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise store_error(exc) from exc
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise store_error(exc) from exc
                raise

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, args).fetchall())
            except sqlite3.Error as exc:
                raise store_error(exc) from exc
