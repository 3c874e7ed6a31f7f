"""The SQL of the KMS store, shared by SQLite and PostgreSQL: each statement and each row's
layout written once (``?`` placeholders; a store whose driver wants another style converts).

A subclass supplies the connection: :meth:`KmsSql._write` runs statements in one transaction
and translates a refused duplicate into :class:`~mckm.impl.store.kms_store.DuplicateError`,
:meth:`KmsSql._read` runs one query.  Keys are stored as big-endian octets; a value read back
that is not a byte string is a :class:`~mckm.impl.errors.StoreError`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from mckm.impl.engine.replay import EXPIRY_GRACE
from mckm.impl.errors import StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.model import CommunityKeys, KmsConfig, TransportKeys, UserKeySet
from mckm.impl.store.kms_store import TABLES, CekRecord, DuplicateError

Statement = tuple[str, Sequence[object]]

_COMMUNITY = ("kms_uri, cert_uri, issuer, period, period_offset, valid_from, valid_to,"
              " ksak, kpak, z, z_pub")
_KEY_SET = "period_no, uid, valid_from, valid_to, ssk, pvt, rsk"
_CEK = "key_id, user_uri, sip_session, cek, issued, retired, notify"


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _blob(value: object) -> bytes:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if not isinstance(value, bytes):
        raise StoreError("the KMS database holds a key value that is not a byte string")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise StoreError("the KMS database holds a number that is not an integer")
    return value


class KmsSql(abc.ABC):
    """The :class:`~mckm.impl.store.kms_store.KmsStore` methods over :meth:`_write` and
    :meth:`_read`, which each database's store implements."""

    location: str

    @abc.abstractmethod
    def _write(self, statements: Iterable[Statement]) -> None:
        """Run ``statements`` in one transaction: all are stored or none."""

    @abc.abstractmethod
    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """The rows of one query."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection(s)."""

    # -- community ---------------------------------------------------------------------------

    def load_community(self) -> tuple[KmsConfig, CommunityKeys] | None:
        rows = self._read(f"SELECT {_COMMUNITY} FROM community WHERE id = 1")
        if not rows:
            return None
        (kms_uri, cert_uri, issuer, period, offset, valid_from, valid_to,
         ksak, kpak, z, z_pub) = rows[0]
        config = KmsConfig(kms_uri=str(kms_uri), period=_int(period), offset=_int(offset),
                           cert_uri=str(cert_uri), issuer=str(issuer),
                           valid_from=_int(valid_from), valid_to=_int(valid_to))
        keys = CommunityKeys(ksak=Secret(int.from_bytes(_blob(ksak), "big")), kpak=_blob(kpak),
                             z=Secret(int.from_bytes(_blob(z), "big")), z_pub=_blob(z_pub))
        return config, keys

    def save_community(self, config: KmsConfig, keys: CommunityKeys) -> None:
        self._write([(
            f"INSERT INTO community (id, {_COMMUNITY}) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (config.kms_uri, config.certificate_uri, config.certificate_issuer, config.period,
             config.offset, config.valid_from, config.valid_to,
             _int_bytes(keys.ksak.reveal()), keys.kpak, _int_bytes(keys.z.reveal()), keys.z_pub),
        )])

    # -- users -------------------------------------------------------------------------------

    def enrol(self, user_uri: str, keys: TransportKeys) -> None:
        self._write([(
            "INSERT INTO users (user_uri, trk_id, trk, ink_id, ink) VALUES (?, ?, ?, ?, ?)",
            (user_uri, keys.trk_id, keys.trk.reveal(), keys.ink_id, keys.ink.reveal()),
        )])

    def transport_keys(self, user_uri: str) -> TransportKeys | None:
        rows = self._read("SELECT trk_id, trk, ink_id, ink FROM users WHERE user_uri = ?",
                          (user_uri,))
        if not rows:
            return None
        trk_id, trk, ink_id, ink = rows[0]
        return TransportKeys(str(trk_id), Secret(_blob(trk)), str(ink_id), Secret(_blob(ink)))

    def enrolled_users(self, after: str | None, limit: int) -> list[str]:
        """At most ``limit`` user URIs in byte order, those after ``after`` (exclusive)."""
        if limit < 0:
            raise UsageError(f"limit {limit} is negative")
        if after is None:
            rows = self._read("SELECT user_uri FROM users ORDER BY user_uri LIMIT ?", (limit,))
        else:
            rows = self._read("SELECT user_uri FROM users WHERE user_uri > ?"
                              " ORDER BY user_uri LIMIT ?", (after, limit))
        return [str(uri) for (uri,) in rows]

    # -- key sets ----------------------------------------------------------------------------

    def key_sets(self, user_uri: str, periods: Sequence[int]) -> dict[int, UserKeySet]:
        """The stored key sets of ``user_uri`` for ``periods`` (missing ones are absent)."""
        if not periods:
            return {}
        marks = ",".join("?" * len(periods))
        rows = self._read(f"SELECT {_KEY_SET} FROM key_sets"
                          f" WHERE user_uri = ? AND period_no IN ({marks})",
                          (user_uri, *periods))
        found = {}
        for period_no, uid, valid_from, valid_to, ssk, pvt, rsk in rows:
            number = _int(period_no)
            found[number] = UserKeySet(
                user_uri=user_uri, period_no=number, uid=_blob(uid),
                valid_from=_int(valid_from), valid_to=_int(valid_to),
                ssk=Secret(int.from_bytes(_blob(ssk), "big")), pvt=_blob(pvt),
                rsk=Secret(_blob(rsk)))
        return found

    def put_key_sets(self, key_sets: Sequence[UserKeySet]) -> None:
        """Store ``key_sets`` in one transaction."""
        self._write([(
            f"INSERT INTO key_sets (user_uri, {_KEY_SET}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (k.user_uri, k.period_no, k.uid, k.valid_from, k.valid_to,
             k.ssk.reveal().to_bytes(32, "big"), k.pvt, k.rsk.reveal()),
        ) for k in key_sets])

    # -- the replay cache of MIKEY-TICKET KMS replicas ---------------------------------------

    def replay_seen(self, rand: bytes) -> bool:
        return bool(self._read("SELECT 1 FROM replay WHERE rand = ?", (bytes(rand),)))

    def replay_claim(self, rand: bytes, expires: int, now: int) -> bool:
        try:
            self._write([("DELETE FROM replay WHERE expires < ?", (now - EXPIRY_GRACE,)),
                         ("INSERT INTO replay (rand, expires) VALUES (?, ?)",
                          (bytes(rand), expires))])
        except DuplicateError:
            return False
        return True

    # -- the CEKs of seed 001 (S/MIME of SIP bodies) ------------------------------------------

    def cek_issue(self, record: CekRecord, retire: str | None = None) -> None:
        if record.cek is None:
            raise UsageError("a CEK to issue must be live")
        statements: list[Statement] = []
        if retire is not None:
            statements.append(("UPDATE cek SET retired = 1, cek = NULL WHERE key_id = ?",
                               (retire,)))
        statements.append((
            f"INSERT INTO cek ({_CEK}) VALUES (?, ?, ?, ?, ?, 0, ?)",
            (record.key_id, record.user, record.session, record.cek.reveal(), record.issued,
             record.notify)))
        self._write(statements)

    def cek_retire(self, key_id: str) -> None:
        self._write([("UPDATE cek SET retired = 1, cek = NULL WHERE key_id = ?", (key_id,))])

    def _cek(self, where: str, args: Sequence[object]) -> CekRecord | None:
        rows = self._read(f"SELECT {_CEK} FROM cek WHERE {where}", args)
        if not rows:
            return None
        key_id, user, session, cek, issued, retired, notify = rows[0]
        secret = None if _int(retired) else Secret(_blob(cek))
        return CekRecord(str(key_id), str(user), str(session), _int(issued), str(notify),
                         secret)

    def cek_live(self, user: str, session: str) -> CekRecord | None:
        return self._cek("user_uri = ? AND sip_session = ? AND retired = 0", (user, session))

    def cek_record(self, key_id: str) -> CekRecord | None:
        return self._cek("key_id = ?", (key_id,))

    def count(self, table: str) -> int:
        """Rows in ``table`` (for operators and tests)."""
        if table not in TABLES:
            raise UsageError(f"no table {table!r}")
        return _int(self._read(f"SELECT count(*) FROM {table}")[0][0])
