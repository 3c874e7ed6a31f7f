"""What a KMS (SKM-S) keeps, whatever database holds it: the :class:`KmsStore` protocol, its
tables, and the store-neutral signal of a refused duplicate.

The state is the community (one row: KMS URI, key period, KSAK/KPAK, z/Z), the enrolled users
with the TrK and InK each shares with the KMS (TS 33.180 D.1), and the key sets issued per
(user, key period) (TS 33.180 5.3, F.2.1).  The uniqueness that keeps several KMS replicas
consistent is the database's, never a process's memory:

- ``community.id`` is a PRIMARY KEY held to 1: two replicas starting at once create one
  community; the second one's insert is refused and it reads the first one's;
- ``users.user_uri``, ``users.trk_id`` and ``users.ink_id`` are unique: a user is enrolled
  once, a TrK/InK id names one key (TS 33.180 D.1);
- ``key_sets`` has the PRIMARY KEY (user_uri, period_no): one key set per user and period
  (REQ-SKMS-11); two replicas issuing it at once store one, and both hand out the stored one;
- ``cek.key_id`` is a PRIMARY KEY and (user_uri, sip_session) is unique among live rows
  (``retired = 0``): a Key ID names one (user, session) forever, one live CEK per pair
  (seed 001, REQ-CEK-12); a retired row keeps its Key ID with the CEK erased (REQ-CEK-17);
- ``replay.rand`` is a PRIMARY KEY: the RANDs a MIKEY-TICKET KMS accepted (RFC 3830 5.4),
  shared by its replicas, so a message one of them accepted is a replay at the others
  (:class:`~mckm.impl.engine.replay.SharedReplay`).

Every write is one transaction (REQ-SKMS-12).  A refused duplicate is :class:`DuplicateError`
(naming the table and column, never the value), any other refused write a
:class:`~mckm.impl.errors.StoreError`; the stores translate their driver's errors into these,
so no role imports a driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mckm.impl.engine.replay import SharedReplay
from mckm.impl.errors import StoreError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.model import CommunityKeys, KmsConfig, TransportKeys, UserKeySet

#: the tables of a KMS store, for :meth:`KmsStore.count`
TABLES = ("community", "users", "key_sets", "replay", "cek")


def schema(blob: str, text: str, bigint: str = "BIGINT") -> str:
    """The DDL of the KMS tables with the database's names for a byte string, a text ordered
    byte by byte (the order of :meth:`KmsStore.enrolled_users`) and a 64-bit integer (times
    beyond 2038).  ``length()`` of a byte string is its octet count in SQLite and PostgreSQL."""
    return f"""
CREATE TABLE IF NOT EXISTS community (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kms_uri {text} NOT NULL, cert_uri {text} NOT NULL, issuer {text} NOT NULL,
    period {bigint} NOT NULL CHECK (period > 0), period_offset {bigint} NOT NULL,
    valid_from {bigint} NOT NULL, valid_to {bigint} NOT NULL,
    ksak {blob} NOT NULL, kpak {blob} NOT NULL, z {blob} NOT NULL, z_pub {blob} NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_uri {text} PRIMARY KEY,
    trk_id {text} NOT NULL UNIQUE, trk {blob} NOT NULL CHECK (length(trk) = 32),
    ink_id {text} NOT NULL UNIQUE, ink {blob} NOT NULL CHECK (length(ink) = 32)
);
CREATE TABLE IF NOT EXISTS key_sets (
    user_uri {text} NOT NULL REFERENCES users (user_uri),
    period_no {bigint} NOT NULL CHECK (period_no >= 0),
    uid {blob} NOT NULL CHECK (length(uid) = 32),
    valid_from {bigint} NOT NULL, valid_to {bigint} NOT NULL,
    ssk {blob} NOT NULL CHECK (length(ssk) = 32), pvt {blob} NOT NULL, rsk {blob} NOT NULL,
    PRIMARY KEY (user_uri, period_no)
);
CREATE TABLE IF NOT EXISTS replay (
    rand {blob} PRIMARY KEY CHECK (length(rand) BETWEEN 1 AND 255),
    expires {bigint} NOT NULL
);
CREATE INDEX IF NOT EXISTS replay_expires ON replay (expires);
CREATE TABLE IF NOT EXISTS cek (
    key_id {text} PRIMARY KEY CHECK (length(key_id) = 32),
    user_uri {text} NOT NULL, sip_session {text} NOT NULL,
    cek {blob} CHECK (cek IS NULL OR length(cek) = 32),
    issued {bigint} NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    notify {text} NOT NULL DEFAULT '',
    CHECK ((retired = 0) = (cek IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS cek_live ON cek (user_uri, sip_session) WHERE retired = 0;
"""


@dataclass(frozen=True)
class CekRecord:
    """One CEK of seed 001 as stored: its Key ID (32 hex digits), the (user, SIP session) it is
    for, when it was issued, the client's notification URL ('' if none), and the CEK itself
    (None once retired: only the Key ID is kept).  The CEK is a :class:`Secret`."""

    key_id: str
    user: str
    session: str
    issued: int
    notify: str
    cek: Secret[bytes] | None

    @property
    def retired(self) -> bool:
        return self.cek is None


class DuplicateError(StoreError):
    """A write refused by a PRIMARY KEY or UNIQUE constraint: the row exists already (perhaps
    written by another replica).  ``constraint`` is ``table.column[,column]``."""

    def __init__(self, constraint: str) -> None:
        self.constraint = constraint
        super().__init__(f"{constraint}: a row with this key is already stored")


class KmsStore(SharedReplay, Protocol):
    """The persistent state of one KMS community, shared by every replica that opens it."""

    #: where the store is, for people: a file path or a URL without its password
    location: str

    def close(self) -> None: ...

    def exposure(self) -> str | None:
        """Why others than the KMS's owner could read the stored secrets, or None
        (REQ-SKMS-40: a SQLite file or journal with group/other bits)."""
        ...

    def load_community(self) -> tuple[KmsConfig, CommunityKeys] | None: ...

    def save_community(self, config: KmsConfig, keys: CommunityKeys) -> None:
        """Store the community; :class:`DuplicateError` if one is stored already."""
        ...

    def enrol(self, user_uri: str, keys: TransportKeys) -> None:
        """Store a user and its TrK/InK; :class:`DuplicateError` if the user or a key id is
        stored already."""
        ...

    def transport_keys(self, user_uri: str) -> TransportKeys | None: ...

    def enrolled_users(self, after: str | None, limit: int) -> list[str]:
        """At most ``limit`` user URIs in byte order, those after ``after`` (exclusive)."""
        ...

    def key_sets(self, user_uri: str, periods: Sequence[int]) -> dict[int, UserKeySet]:
        """The stored key sets of ``user_uri`` for ``periods`` (missing ones are absent)."""
        ...

    def put_key_sets(self, key_sets: Sequence[UserKeySet]) -> None:
        """Store ``key_sets`` in one transaction: all or none; :class:`DuplicateError` if one
        (user, period) is stored already."""
        ...

    def cek_issue(self, record: CekRecord, retire: str | None = None) -> None:
        """Store a live CEK, and retire the CEK ``retire`` names (if given), in one
        transaction; :class:`DuplicateError` if the Key ID exists or (user, session) has a live
        CEK already (seed 001; REQ-CEK-12, REQ-CEK-13)."""
        ...

    def cek_retire(self, key_id: str) -> None:
        """Retire the CEK ``key_id``: erase it, keep the Key ID (REQ-CEK-17)."""
        ...

    def cek_live(self, user: str, session: str) -> CekRecord | None:
        """The live CEK of (user, session), or None."""
        ...

    def cek_record(self, key_id: str) -> CekRecord | None:
        """The CEK (live or retired) stored under ``key_id``, or None."""
        ...

    def count(self, table: str) -> int:
        """Rows in ``table`` (one of :data:`TABLES`; for operators and tests)."""
        ...
