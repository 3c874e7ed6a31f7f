"""PostgreSQL store of a KMS, for several KMS replicas behind one address (psycopg 3).

The tables, constraints and statements are those of the SQLite store
(:mod:`mckm.impl.store.kms_store`, :mod:`mckm.impl.store.kms_sql`), keys in BYTEA, user URIs
ordered byte by byte (``COLLATE "C"``, as SQLite's BINARY).  Every replica opens the same
database; what keeps them consistent is the database, not a process's memory: each write is one
transaction, and a second replica's insert of the community, of a user or of a (user, period)
key set is refused by the PRIMARY KEY / UNIQUE constraint (psycopg's UniqueViolation, here a
:class:`~mckm.impl.store.kms_store.DuplicateError`), after which the role reads the stored row.

Connections come from a pool (``psycopg_pool``) of at most ``max_connections``, checked before
use, so a worker thread never shares a connection and a restarted server is reconnected.  The
tables are created under a transaction-scoped advisory lock, so replicas starting at once do
not race on ``CREATE TABLE``.

Errors: a URL that does not parse, a server that cannot be reached or refuses the credentials is
a :class:`~mckm.impl.errors.UsageError`; a failed statement is a StoreError with PostgreSQL's
primary message only (its DETAIL may quote a failing row, keys included).  No message or
:attr:`PostgresKmsStore.location` ever holds the URL's password.  The server's own log is the
operator's: ``log_error_verbosity = terse`` keeps rows out of it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import unquote

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from mckm.impl.errors import StoreError, UsageError
from mckm.impl.store.kms_sql import KmsSql, Statement
from mckm.impl.store.kms_store import DuplicateError, schema
from mckm.impl.store.open import url_parts

SCHEMA = schema(blob="BYTEA", text='TEXT COLLATE "C"')

#: the key of the advisory lock held while the tables are created
_SCHEMA_LOCK = 0x6D636B6D  # "mckm"

#: PostgreSQL's default names of the KMS tables' unique constraints -> table.column
_CONSTRAINTS = {
    "community_pkey": "community.id",
    "users_pkey": "users.user_uri",
    "users_trk_id_key": "users.trk_id",
    "users_ink_id_key": "users.ink_id",
    "key_sets_pkey": "key_sets.user_uri, key_sets.period_no",
    "replay_pkey": "replay.rand",
    "cek_pkey": "cek.key_id",
    "cek_live": "cek.user_uri, cek.sip_session",
}


class PostgresKmsStore(KmsSql):
    """The KMS's persistent state in the PostgreSQL database at ``url``
    (``postgresql://user:password@host:port/dbname?sslmode=...``, libpq's URI)."""

    def __init__(self, url: str, *, max_connections: int = 8,
                 connect_timeout: int = 5) -> None:
        self.location, self._secrets = url_parts(url)
        self._url = url
        try:
            with (psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn,
                  conn.transaction()):
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                conn.execute(SCHEMA.encode())
        except psycopg.Error as exc:
            raise UsageError(f"PostgreSQL: {self._reason(exc)}") from exc
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True, name="mckm-kms",
            kwargs={"autocommit": True, "connect_timeout": connect_timeout},
            check=ConnectionPool.check_connection, timeout=float(connect_timeout) * 2)

    def _reason(self, exc: psycopg.Error) -> str:
        """PostgreSQL's primary message (or libpq's), on one line, without the password."""
        text = exc.diag.message_primary or str(exc)
        text = text.replace(self._url, self.location)
        for secret in self._secrets:
            text = text.replace(secret, "***").replace(unquote(secret), "***")
        return " ".join(text.split())

    def _error(self, exc: psycopg.Error) -> StoreError:
        if isinstance(exc, psycopg.errors.UniqueViolation):
            name = exc.diag.constraint_name or ""
            return DuplicateError(_CONSTRAINTS.get(name, name))
        return StoreError(f"PostgreSQL: {self._reason(exc)}")

    def close(self) -> None:
        self._pool.close()

    def exposure(self) -> str | None:
        """None: who may read the rows is the server's access control, not a file mode."""
        return None

    def _write(self, statements: Iterable[Statement]) -> None:
        """Run ``statements`` in one transaction: all are stored or none."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                for sql, args in statements:
                    conn.execute(sql.replace("?", "%s").encode(), args)
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            with self._pool.connection() as conn:
                return list(conn.execute(sql.replace("?", "%s").encode(), args).fetchall())
        except psycopg.Error as exc:
            raise self._error(exc) from exc
