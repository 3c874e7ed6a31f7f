"""Keys a SEAL role holds, by SK-ID (TS 33.434 6.Y.2: "stores the key by SK-ID").

:class:`KeyRecord` is one received or sent key: its id (for a GMK the GMK-ID, recovered from
the GUK-ID of the CSB-ID, TS 33.180 5.2.3), the purpose, the CSB-ID it travelled under, the
peer and the key period.  :class:`MemoryKeyStore` keeps them in a dict;
:class:`mckm.impl.store.sqlite_keys.SqliteKeyStore` in SQLite.  ``put`` is all or nothing and
refuses a second, different key under an id already held (REQ-SEAL-KD-12 keeps ids unique).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mckm.impl.errors import PolicyError
from mckm.impl.redact import Secret, fingerprint
from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.policy import PURPOSES


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


def check_collision(old: KeyRecord | None, new: KeyRecord) -> None:
    """Refuse a different key under an SK-ID already held (the same key again is accepted)."""
    if old is not None and (old.key != new.key or old.purpose != new.purpose):
        raise PolicyError(f"a different key is already held under SK-ID {new.sk_id:08x}",
                          requirement="REQ-SEAL-KD-12", mikey_error=ERROR_NO.UNSPECIFIED_ERROR)


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
