"""Mission-critical key derivations of TS 33.180 Annex F.1 (= TS 33.179 F.1) on the TS 33.220 KDF.

* F.1.3 User Salt: KDF(GMK, FC 0x50, P0 = MC service user ID); the 28 least significant bits
  of the output.  GUK-ID = GMK-ID XOR salt, so the 4-bit purpose tag in the 4 most significant
  bits of the 32-bit key id is kept (TS 33.180 5.2.2 / 5.2.3 end-point diversity); the member
  reverses it with its own URI.
* F.1.4 keys from an XPK (CSK or SPK): KDF(XPK, FC 0x51 confidentiality / 0x52 integrity,
  P0 = MC service user ID, P1 = XPK-ID).  The clause prints L0 = L1 = 0x00 0x17 as the lengths;
  mckm uses the true lengths (4 octets for the 32-bit XPK-ID), see ``spec/kdf.md`` REQ-KDF-08.
  For a 128-bit XPK the keys are the 128 least significant bits of the output; a 256-bit XPK
  gives 256-bit keys.

Key ids are ``int`` in 0..2**32-1; keys are ``bytes`` and never logged.
"""

from __future__ import annotations

from mckm.impl.crypto.kdf import FC, encode_string, kdf, least_significant
from mckm.impl.errors import UsageError
from mckm.models.policy.key_id import RANDOM_FIELD, id_bits, purpose_of, slots

#: The key-id layout (purpose tag in the most significant bits, the rest random) is read from
#: its one home, ``mckm.models.policy.key_id``.
KEY_ID_BITS = id_bits()
_RANDOM_MASK = ((1 << slots()[RANDOM_FIELD].width) - 1) << slots()[RANDOM_FIELD].lsb
#: TS 33.180 F.1.4: key lengths an XPK may have, in octets (128 or 256 bits).
_XPK_OCTETS = (16, 32)


def purpose_tag(key_id: int) -> int:
    """The purpose tag of a key id (TS 33.180 5.2.2: its 4 most significant bits)."""
    _require_key_id(key_id, "key id")
    return purpose_of(key_id)


def guk_id_salt(gmk: bytes, mc_id: str) -> int:
    """TS 33.180 F.1.3: User Salt = the 28 least significant bits of KDF(GMK, 0x50, MC ID)."""
    _require_key(gmk, "GMK")
    output = kdf(gmk, FC.GUK_ID_SALT, encode_string(mc_id))
    return int.from_bytes(output[-4:], "big") & _RANDOM_MASK


def gmk_id_to_guk_id(gmk_id: int, gmk: bytes, mc_id: str) -> int:
    """TS 33.180 5.2.3 / F.1.3: GUK-ID = GMK-ID XOR User Salt of the receiving member."""
    _require_key_id(gmk_id, "GMK-ID")
    return gmk_id ^ guk_id_salt(gmk, mc_id)


def guk_id_to_gmk_id(guk_id: int, gmk: bytes, mc_id: str) -> int:
    """The member's inverse: GMK-ID = GUK-ID XOR its own User Salt (TS 33.180 5.2.3)."""
    _require_key_id(guk_id, "GUK-ID")
    return guk_id ^ guk_id_salt(gmk, mc_id)


def xpk_confidentiality_key(xpk: bytes, mc_id: str, xpk_id: int) -> bytes:
    """TS 33.180 F.1.4: signalling plane confidentiality key from a CSK or SPK (FC 0x51)."""
    return _xpk_key(FC.XPK_CONFIDENTIALITY, xpk, mc_id, xpk_id)


def xpk_integrity_key(xpk: bytes, mc_id: str, xpk_id: int) -> bytes:
    """TS 33.180 F.1.4: signalling plane integrity key from a CSK or SPK (FC 0x52)."""
    return _xpk_key(FC.XPK_INTEGRITY, xpk, mc_id, xpk_id)


def _xpk_key(fc: FC, xpk: bytes, mc_id: str, xpk_id: int) -> bytes:
    _require_key(xpk, "XPK")
    if len(xpk) not in _XPK_OCTETS:
        raise UsageError(f"an XPK is 128 or 256 bits, got {8 * len(xpk)} (TS 33.180 F.1.4)")
    _require_key_id(xpk_id, "XPK-ID")
    output = kdf(xpk, fc, encode_string(mc_id), xpk_id.to_bytes(KEY_ID_BITS // 8, "big"))
    key: bytes = least_significant(output, 8 * len(xpk))
    return key


def _require_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes | bytearray) or not key:
        raise UsageError(f"{what} must be non-empty bytes")


def _require_key_id(key_id: int, what: str) -> None:
    if isinstance(key_id, bool) or not isinstance(key_id, int):
        raise UsageError(f"{what} must be an integer, not {type(key_id).__name__}")
    if not 0 <= key_id < 1 << KEY_ID_BITS:
        raise UsageError(f"{what} must be an integer in 0..2**{KEY_ID_BITS}-1, got {key_id!r}")
