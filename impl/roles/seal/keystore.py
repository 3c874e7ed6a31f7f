"""Keys a SEAL role holds, by SK-ID (TS 33.434 6.Y.2: "stores the key by SK-ID").

:class:`KeyRecord` is one received or sent key: its id (for a GMK the GMK-ID, recovered from
the GUK-ID of the CSB-ID, TS 33.180 5.2.3), the purpose, the CSB-ID it travelled under, the
peer and the key period.  :class:`MemoryKeyStore` keeps them in a dict;
:class:`mckm.impl.store.sqlite_keys.SqliteKeyStore` in SQLite.  ``put`` is all or nothing and
never holds a second, different key under an id (the model's guard ``key-fits`` refuses such a
message, REQ-SEAL-KD-15; ``put`` checks it again as the store's own integrity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mckm.impl.crypto import mckeys
from mckm.impl.errors import StoreError
from mckm.impl.redact import Secret, fingerprint
from mckm.models.policy import PURPOSES

_GMK = PURPOSES.by_name("GMK").value


@dataclass(frozen=True)
class KeyRecord:
    """One key and what it is for; the key itself is a redacted :class:`Secret`."""

    sk_id: int
    purpose: int
    key: Secret[bytes]
    csb_id: int
    peer: str
    period_no: int

    @property
    def purpose_name(self) -> str:
        p = PURPOSES.by_value(self.purpose)
        return p.name if p is not None else f"purpose {self.purpose}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key.reveal())

    def describe(self) -> str:
        return (f"SK-ID {self.sk_id:08x} purpose {self.purpose_name} key sha256:{self.fingerprint}"
                f" (CSB-ID {self.csb_id:08x}, peer {self.peer})")


class KeyStore(Protocol):
    def put(self, record: KeyRecord) -> None: ...

    def get(self, sk_id: int) -> KeyRecord | None: ...

    def all(self) -> list[KeyRecord]: ...


def stored_sk_id(csb_id: int, purpose: int, key: Secret[bytes], own_uri: str) -> int:
    """The id a received key is stored by: its SK-ID = the CSB-ID; for a GMK the GMK-ID =
    GUK-ID XOR the receiver's salt (TS 33.180 5.2.3, F.1.3)."""
    if purpose != _GMK:
        return csb_id
    return mckeys.guk_id_to_gmk_id(csb_id, key.reveal(), own_uri)


def check_collision(old: KeyRecord | None, new: KeyRecord) -> None:
    """The store's own integrity: never a different key under an id already held (the guard
    ``key-fits``, REQ-SEAL-KD-15, refuses such a message first; the transaction rolls back)."""
    if old is not None and (old.key != new.key or old.purpose != new.purpose):
        raise StoreError(f"a different key is already held under SK-ID {new.sk_id:08x}")


class MemoryKeyStore:
    """In-memory key store."""

    def __init__(self) -> None:
        self._keys: dict[int, KeyRecord] = {}

    def put(self, record: KeyRecord) -> None:
        check_collision(self._keys.get(record.sk_id), record)
        self._keys[record.sk_id] = record

    def get(self, sk_id: int) -> KeyRecord | None:
        return self._keys.get(sk_id)

    def all(self) -> list[KeyRecord]:
        return sorted(self._keys.values(), key=lambda r: r.sk_id)

    def __repr__(self) -> str:
        return f"MemoryKeyStore({len(self._keys)} keys)"
