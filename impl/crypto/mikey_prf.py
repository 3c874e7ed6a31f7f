"""The MIKEY PRFs and the key derivations built on them (RFC 3830 4.1.2-4.1.4, RFC 6043 6.1).

RFC 3830 4.1.2, for a hash H with output length h bits (SHA-1: 160):

    n = ceil(inkey_len / 256);  inkey = s_1 || ... || s_n  (256-bit pieces, the last may be shorter)
    m = ceil(outkey_len / h)
    P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
                     A_0 = label, A_i = HMAC(s, A_(i-1))
    PRF(inkey, label) = first outkey_len bits of P(s_1, label, m) XOR ... XOR P(s_n, label, m)

RFC 6043 6.1 PRF-HMAC-SHA-256 (PRF func 1) is the same with HMAC-SHA-256 and 256 for 160.

Labels: from a TGK (RFC 3830 4.1.3) ``constant || cs_id || csb_id || RAND``; from an envelope or
pre-shared key (4.1.4) ``constant || 0xFF || csb_id || RAND``.  The constants are consecutive
nine-digit blocks of the decimal digits of e (RFC 3830 4.1.3; RFC 6043 5.1.1 says so too).

In MIKEY-SAKKE (RFC 6509, TS 33.180 E) the TGK is the SAKKE SSV (GMK, PCK, CSK, ...), the CSB ID
is the key id in the HDR (the GUK-ID for a GMK) and the PRF is PRF-HMAC-SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import IntEnum, unique

from mckm.impl.errors import UsageError
from mckm.models.grammar.namespaces import PRF_FUNC

#: RFC 3830 4.1.2: the inkey is split into pieces of this many bits.
INKEY_PIECE_BITS = 256
_CSB_ID_OCTETS = 4
#: RFC 3830 4.1.4: the octet that stands in the cs_id place for keys protecting MIKEY messages.
MESSAGE_KEY_CS_ID = 0xFF


@unique
class PrfFunc(IntEnum):
    """HDR "PRF func" values (RFC 3830 6.1; RFC 6043 6.1 Table 6.3)."""

    MIKEY_1 = PRF_FUNC.MIKEY_1
    PRF_HMAC_SHA_256 = PRF_FUNC.PRF_HMAC_SHA_256


#: The HMAC hash of each PRF: SHA-1 for MIKEY-1, SHA-256 for PRF-HMAC-SHA-256.
_HASH_NAMES: dict[PrfFunc, str] = {
    PrfFunc.MIKEY_1: "sha1",
    PrfFunc.PRF_HMAC_SHA_256: "sha256",
}
_DIGEST_OCTETS = {name: hashlib.new(name).digest_size for name in _HASH_NAMES.values()}
#: PRF func -> (hash name, its output octets), looked up once per derivation
_HASHES: dict[PrfFunc, tuple[str, int]] = {f: (n, _DIGEST_OCTETS[n])
                                           for f, n in _HASH_NAMES.items()}
_PIECE_OCTETS = INKEY_PIECE_BITS // 8
_OCTETS = (bytes, bytearray)


@unique
class TgkConstant(IntEnum):
    """RFC 3830 4.1.3: label constants for keys derived from a TGK."""

    TEK = 0x2AD01C64
    AUTH_KEY = 0x1B5C7973
    ENCR_KEY = 0x15798CEF
    SALT = 0x39A2C14B


@unique
class MessageKeyConstant(IntEnum):
    """RFC 3830 4.1.4: label constants for keys derived from an envelope key or PSK."""

    ENCR_KEY = 0x150533E1
    AUTH_KEY = 0x2D22AC75
    SALT = 0x29B88916


def prf(
    inkey: bytes, label: bytes, outkey_len: int, *, prf_func: PrfFunc = PrfFunc.PRF_HMAC_SHA_256
) -> bytes:
    """RFC 3830 4.1.2 (MIKEY-1) or RFC 6043 6.1 (PRF-HMAC-SHA-256); ``outkey_len`` in bits."""
    if not isinstance(inkey, _OCTETS) or not inkey:
        raise UsageError("the PRF inkey must be non-empty bytes (RFC 3830 4.1.2)")
    if isinstance(outkey_len, bool) or not isinstance(outkey_len, int):
        raise UsageError(f"outkey_len must be an int (bits), not {type(outkey_len).__name__}")
    if outkey_len <= 0 or outkey_len % 8:
        raise UsageError(f"outkey_len must be a positive multiple of 8 bits, got {outkey_len}")
    hashed = _HASHES.get(prf_func)
    if hashed is None:
        raise UsageError(f"unknown MIKEY PRF func {prf_func!r}")
    digest, size = hashed
    out_octets = outkey_len >> 3
    m = -(-out_octets // size)
    if type(label) is not bytes:
        label = bytes(label)
    if len(inkey) <= _PIECE_OCTETS:  # n = 1: the PRF is P(s_1, label, m), no XOR to take
        return _p(digest, bytes(inkey), label, m)[:out_octets]
    inkey = bytes(inkey)
    acc = 0
    for start in range(0, len(inkey), _PIECE_OCTETS):
        acc ^= int.from_bytes(_p(digest, inkey[start : start + _PIECE_OCTETS], label, m), "big")
    return acc.to_bytes(m * size, "big")[:out_octets]


def _p(digest: str, s: bytes, label: bytes, m: int) -> bytes:
    """RFC 3830 4.1.2: P(s, label, m)."""
    if m == 1:  # every key of the MIKEY profiles: one block, A_1 then HMAC(s, A_1 || label)
        return hmac.digest(s, hmac.digest(s, label, digest) + label, digest)
    out = []
    a = label
    for _ in range(m):
        a = hmac.digest(s, a, digest)
        out.append(hmac.digest(s, a + label, digest))
    return b"".join(out)


def tgk_label(constant: TgkConstant, cs_id: int, csb_id: int, rand: bytes) -> bytes:
    """RFC 3830 4.1.3: label = constant || cs_id || csb_id || RAND."""
    _require_octet(cs_id, "CS ID")
    return TgkConstant(constant).to_bytes(4, "big") + bytes([cs_id]) + _csb(csb_id) + _rand(rand)


def message_key_label(constant: MessageKeyConstant, csb_id: int, rand: bytes) -> bytes:
    """RFC 3830 4.1.4: label = constant || 0xFF || csb_id || RAND."""
    return (
        MessageKeyConstant(constant).to_bytes(4, "big")
        + bytes([MESSAGE_KEY_CS_ID]) + _csb(csb_id) + _rand(rand)
    )


def derive_from_tgk(
    tgk: bytes, constant: TgkConstant, *, cs_id: int, csb_id: int, rand: bytes, outkey_len: int,
    prf_func: PrfFunc = PrfFunc.PRF_HMAC_SHA_256,
) -> bytes:
    """RFC 3830 4.1.3: a TEK, authentication, encryption or salting key from a TGK."""
    return prf(tgk, tgk_label(constant, cs_id, csb_id, rand), outkey_len, prf_func=prf_func)


def derive_message_key(
    inkey: bytes, constant: MessageKeyConstant, *, csb_id: int, rand: bytes, outkey_len: int,
    prf_func: PrfFunc = PrfFunc.PRF_HMAC_SHA_256,
) -> bytes:
    """RFC 3830 4.1.4: encr_key, auth_key or salt_key from an envelope key or pre-shared key."""
    return prf(inkey, message_key_label(constant, csb_id, rand), outkey_len, prf_func=prf_func)


def srtp_master_key_and_salt(
    tgk: bytes, *, cs_id: int, csb_id: int, rand: bytes, key_octets: int = 16,
    salt_octets: int = 12, prf_func: PrfFunc = PrfFunc.PRF_HMAC_SHA_256,
) -> tuple[bytes, bytes]:
    """The SRTP master key (the TEK) and master salt (the salting key) from a TGK (RFC 3830
    4.1.3).  In MC use (TS 33.180 E) the TGK is the SAKKE SSV, ``csb_id`` is the HDR key id (the
    GUK-ID for a GMK) and the defaults are the MC profile's: 16-octet key, 12-octet salt
    (AES-128-GCM, RFC 7714), PRF-HMAC-SHA-256."""
    master_key = derive_from_tgk(
        tgk, TgkConstant.TEK, cs_id=cs_id, csb_id=csb_id, rand=rand,
        outkey_len=8 * key_octets, prf_func=prf_func,
    )
    master_salt = derive_from_tgk(
        tgk, TgkConstant.SALT, cs_id=cs_id, csb_id=csb_id, rand=rand,
        outkey_len=8 * salt_octets, prf_func=prf_func,
    )
    return master_key, master_salt


def _require_octet(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise UsageError(f"{what} must be an integer in 0..255, got {value!r}")


def _csb(csb_id: int) -> bytes:
    if isinstance(csb_id, bool) or not isinstance(csb_id, int) or not 0 <= csb_id < 1 << 32:
        raise UsageError(f"CSB ID must be an integer in 0..2**32-1, got {csb_id!r}")
    return csb_id.to_bytes(_CSB_ID_OCTETS, "big")


def _rand(rand: bytes) -> bytes:
    if not isinstance(rand, bytes | bytearray):
        raise UsageError(f"RAND must be bytes, not {type(rand).__name__}")
    return bytes(rand)
