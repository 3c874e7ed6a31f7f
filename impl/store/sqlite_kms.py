"""SQLite store of a KMS: community keys, enrolled users and the key sets issued per period.

The file holds secrets (KSAK, z, every user's SSK and RSK, the TrK/InK shared with each
client): whoever reads it can impersonate the KMS and every user.  It is therefore created with
mode 0600 (owner read/write only) and an existing file with wider permissions is refused.
SQLite creates its journal with the same permissions as the database file.

Every write is one transaction: a provisioning that issues the current and the next key
period stores both key sets or neither (REQ-SKMS-12).  One connection is shared by the HTTPS
server's threads under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.model import CommunityKeys, KmsConfig, TransportKeys, UserKeySet
from mckm.impl.store.private import connect_private

SCHEMA = """
CREATE TABLE IF NOT EXISTS community (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kms_uri TEXT NOT NULL, cert_uri TEXT NOT NULL, issuer TEXT NOT NULL,
    period INTEGER NOT NULL CHECK (period > 0), period_offset INTEGER NOT NULL,
    valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL,
    ksak BLOB NOT NULL, kpak BLOB NOT NULL, z BLOB NOT NULL, z_pub BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_uri TEXT PRIMARY KEY,
    trk_id TEXT NOT NULL UNIQUE, trk BLOB NOT NULL CHECK (length(trk) = 32),
    ink_id TEXT NOT NULL UNIQUE, ink BLOB NOT NULL CHECK (length(ink) = 32)
);
CREATE TABLE IF NOT EXISTS key_sets (
    user_uri TEXT NOT NULL REFERENCES users (user_uri),
    period_no INTEGER NOT NULL CHECK (period_no >= 0),
    uid BLOB NOT NULL CHECK (length(uid) = 32),
    valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL,
    ssk BLOB NOT NULL CHECK (length(ssk) = 32), pvt BLOB NOT NULL, rsk BLOB NOT NULL,
    PRIMARY KEY (user_uri, period_no)
);
"""


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


class SqliteKmsStore:
    """The KMS's persistent state.  ``path`` ':memory:' gives a private in-memory store."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = connect_private(self.path, "KMS secrets")
        self._conn.execute("PRAGMA foreign_keys = ON")
        # WAL: one fsync per commit instead of journal + database; FULL keeps every committed
        # key set across a power loss (a client may already hold it)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(SCHEMA)


    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, statements: Iterable[tuple[str, Sequence[object]]]) -> None:
        """Run ``statements`` in one transaction: all are stored or none."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, args).fetchall())

    # -- community ---------------------------------------------------------------------------

    def load_community(self) -> tuple[KmsConfig, CommunityKeys] | None:
        rows = self._read("SELECT kms_uri, cert_uri, issuer, period, period_offset, valid_from,"
                          " valid_to, ksak, kpak, z, z_pub FROM community WHERE id = 1")
        if not rows:
            return None
        (kms_uri, cert_uri, issuer, period, offset, valid_from, valid_to,
         ksak, kpak, z, z_pub) = rows[0]
        config = KmsConfig(kms_uri=str(kms_uri), period=int(str(period)),
                           offset=int(str(offset)), cert_uri=str(cert_uri), issuer=str(issuer),
                           valid_from=int(str(valid_from)), valid_to=int(str(valid_to)))
        keys = CommunityKeys(ksak=Secret(int.from_bytes(_blob(ksak), "big")), kpak=_blob(kpak),
                             z=Secret(int.from_bytes(_blob(z), "big")), z_pub=_blob(z_pub))
        return config, keys

    def save_community(self, config: KmsConfig, keys: CommunityKeys) -> None:
        self._write([(
            "INSERT INTO community VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (config.kms_uri, config.certificate_uri, config.certificate_issuer, config.period,
             config.offset, config.valid_from, config.valid_to,
             _int_bytes(keys.ksak.reveal()), keys.kpak, _int_bytes(keys.z.reveal()), keys.z_pub),
        )])

    # -- users -------------------------------------------------------------------------------

    def enrol(self, user_uri: str, keys: TransportKeys) -> None:
        self._write([(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
            (user_uri, keys.trk_id, keys.trk.reveal(), keys.ink_id, keys.ink.reveal()),
        )])

    def transport_keys(self, user_uri: str) -> TransportKeys | None:
        rows = self._read("SELECT trk_id, trk, ink_id, ink FROM users WHERE user_uri = ?",
                          (user_uri,))
        if not rows:
            return None
        trk_id, trk, ink_id, ink = rows[0]
        return TransportKeys(str(trk_id), Secret(_blob(trk)), str(ink_id), Secret(_blob(ink)))

    # -- key sets ----------------------------------------------------------------------------

    def key_sets(self, user_uri: str, periods: Sequence[int]) -> dict[int, UserKeySet]:
        """The stored key sets of ``user_uri`` for ``periods`` (missing ones are absent)."""
        marks = ",".join("?" * len(periods))
        rows = self._read(
            "SELECT period_no, uid, valid_from, valid_to, ssk, pvt, rsk FROM key_sets"
            f" WHERE user_uri = ? AND period_no IN ({marks})", (user_uri, *periods))
        found = {}
        for period_no, uid, valid_from, valid_to, ssk, pvt, rsk in rows:
            number = int(str(period_no))
            found[number] = UserKeySet(
                user_uri=user_uri, period_no=number, uid=_blob(uid),
                valid_from=int(str(valid_from)), valid_to=int(str(valid_to)),
                ssk=Secret(int.from_bytes(_blob(ssk), "big")), pvt=_blob(pvt),
                rsk=Secret(_blob(rsk)))
        return found

    def put_key_sets(self, key_sets: Sequence[UserKeySet]) -> None:
        """Store ``key_sets`` in one transaction."""
        self._write([(
            "INSERT INTO key_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (k.user_uri, k.period_no, k.uid, k.valid_from, k.valid_to,
             k.ssk.reveal().to_bytes(32, "big"), k.pvt, k.rsk.reveal()),
        ) for k in key_sets])

    def count(self, table: str) -> int:
        """Rows in ``table`` (for operators and tests)."""
        if table not in ("community", "users", "key_sets"):
            raise UsageError(f"no table {table!r}")
        return int(str(self._read(f"SELECT count(*) FROM {table}")[0][0]))


def _blob(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("the KMS database holds a non-BLOB key value")
    return value
