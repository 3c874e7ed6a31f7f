"""SQLite store of the keys a SEAL role holds, by SK-ID (see :mod:`mckm.impl.roles.seal.keystore`).

One row per key; ``put`` runs in one ``BEGIN IMMEDIATE`` transaction that reads the row held
under the SK-ID, refuses a different key under it and writes, so a key is stored whole or not
at all.  The file is created private (mode 600): it holds keys.
"""

from __future__ import annotations

import threading
from pathlib import Path

from mckm.impl.errors import DecodeError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.keystore import KeyRecord, check_collision
from mckm.impl.store.private import connect_private

SCHEMA = """
CREATE TABLE IF NOT EXISTS seal_keys (
    sk_id INTEGER PRIMARY KEY CHECK (sk_id BETWEEN 0 AND 4294967295),
    purpose INTEGER NOT NULL,
    key BLOB NOT NULL,
    csb_id INTEGER NOT NULL,
    peer TEXT NOT NULL,
    period_no INTEGER NOT NULL
);
"""


class SqliteKeyStore:
    """Keys by SK-ID in SQLite; ``path`` ':memory:' gives a private in-memory store."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = connect_private(self.path, "keys")
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def put(self, record: KeyRecord) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                check_collision(self._get(record.sk_id), record)
                self._conn.execute(
                    "INSERT OR REPLACE INTO seal_keys VALUES (?, ?, ?, ?, ?, ?)",
                    (record.sk_id, record.purpose, record.key.reveal(), record.csb_id,
                     record.peer, record.period_no))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get(self, sk_id: int) -> KeyRecord | None:
        with self._lock:
            return self._get(sk_id)

    def all(self) -> list[KeyRecord]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM seal_keys ORDER BY sk_id").fetchall()
        return [_record(row) for row in rows]

    def _get(self, sk_id: int) -> KeyRecord | None:
        row = self._conn.execute("SELECT * FROM seal_keys WHERE sk_id = ?", (sk_id,)).fetchone()
        return None if row is None else _record(row)

    def __repr__(self) -> str:
        return f"SqliteKeyStore({self.path!r})"


def _record(row: tuple[object, ...]) -> KeyRecord:
    sk_id, purpose, key, csb_id, peer, period_no = row
    if not (isinstance(key, bytes) and isinstance(peer, str)
            and all(isinstance(v, int) for v in (sk_id, purpose, csb_id, period_no))):
        raise DecodeError(f"key store row for SK-ID {sk_id!r} has a column of the wrong type")
    return KeyRecord(sk_id=int(sk_id), purpose=int(purpose),  # type: ignore[call-overload]
                     key=Secret(key), csb_id=int(csb_id),  # type: ignore[call-overload]
                     peer=peer, period_no=int(period_no))  # type: ignore[call-overload]

