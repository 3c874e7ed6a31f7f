"""The generic key derivation function of TS 33.220 Annex B, and the GBA NAF keys of B.3.

TS 33.220 B.1/B.2: ``derived key = HMAC-SHA-256(Key, S)`` with

    S = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln

* FC is one octet (0x00..0xFE) or two octets ``0xFF || FC2``;
* every Li is the length of Pi in octets as a 16-bit big-endian number (0..65535);
* character strings are UTF-8 after Unicode Normalization Form KC (B.2.1.2);
* non-negative integers are big-endian in the fewest octets, zero as one 0x00 octet (the rule
  TS 33.180 F.2.1 needs for its UID; see ``spec/kdf.md`` for the evidence behind it).

This module also holds the registry of FC values mckm uses (:class:`FC`), so that each value has
one home, and the "n least significant bits" rule that the 3GPP uses of the KDF share.
Key material is taken and returned as ``bytes`` and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from enum import IntEnum, unique

from mckm.impl.errors import UsageError

#: Length in octets of the KDF output (HMAC-SHA-256).
KDF_OUTPUT_OCTETS = 32

_MAX_PARAMETER_OCTETS = 0xFFFF
_TWO_OCTET_FC_ESCAPE = 0xFF


@unique
class FC(IntEnum):
    """FC values of the TS 33.220 Annex B KDF used in mckm, with the clause that assigns each."""

    #: TS 33.180 F.2.1 MIKEY-SAKKE UID: a dummy FC, the KDF itself is not applied (SHA-256 of S).
    MIKEY_SAKKE_UID = 0x00
    #: TS 33.220 B.3 Ks_NAF / Ks_ext_NAF / Ks_int_NAF.
    KS_NAF = 0x01
    #: TS 33.180 F.1.3 User Salt for GUK-ID generation.
    GUK_ID_SALT = 0x50
    #: TS 33.180 F.1.4 signalling plane confidentiality key from an XPK (CSK or SPK).
    XPK_CONFIDENTIALITY = 0x51
    #: TS 33.180 F.1.4 signalling plane integrity key from an XPK (CSK or SPK).
    XPK_INTEGRITY = 0x52


def encode_string(text: str) -> bytes:
    """TS 33.220 B.2.1.2: a character string as UTF-8 after Unicode normalization form KC."""
    if not isinstance(text, str):
        raise UsageError(f"a character string parameter must be str, not {type(text).__name__}")
    return unicodedata.normalize("NFKC", text).encode("utf-8")


def encode_uint(value: int) -> bytes:
    """A non-negative integer as big-endian octets, fewest octets, zero as a single 0x00.

    The rule TS 33.180 F.2.1 P3..P5 need (TS 33.220 B.2.1.3); evidence in ``spec/kdf.md``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"an integer parameter must be int, not {type(value).__name__}")
    if value < 0:
        raise UsageError(f"an integer parameter must be non-negative, got {value}")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def encode_fc(fc: int) -> bytes:
    """TS 33.220 B.2: FC as one octet (0x00..0xFE) or as 0xFF || FC2 (given as 0xFF00..0xFFFF)."""
    if isinstance(fc, bool) or not isinstance(fc, int):
        raise UsageError(f"FC must be int, not {type(fc).__name__}")
    if 0 <= fc < _TWO_OCTET_FC_ESCAPE:
        return bytes([fc])
    if _TWO_OCTET_FC_ESCAPE << 8 <= fc <= 0xFFFF:
        return fc.to_bytes(2, "big")
    raise UsageError(
        f"FC {fc:#x} is neither one octet 0x00..0xFE nor two octets 0xFF00..0xFFFF (TS 33.220 B.2)"
    )


def build_s(fc: int, *parameters: bytes) -> bytes:
    """TS 33.220 B.2: the KDF input S = FC || P0 || L0 || ... || Pn || Ln, Li 16-bit big-endian."""
    parts = [encode_fc(fc)]
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, bytes | bytearray):
            raise UsageError(
                f"KDF parameter P{index} must be bytes (encode strings with encode_string and "
                f"integers with encode_uint), not {type(parameter).__name__}"
            )
        if len(parameter) > _MAX_PARAMETER_OCTETS:
            raise UsageError(
                f"KDF parameter P{index} has {len(parameter)} octets; L{index} holds at most "
                f"{_MAX_PARAMETER_OCTETS} (TS 33.220 B.2)"
            )
        parts.append(bytes(parameter))
        parts.append(len(parameter).to_bytes(2, "big"))
    return b"".join(parts)


def kdf(key: bytes, fc: int, *parameters: bytes) -> bytes:
    """TS 33.220 B.2: the 256-bit output HMAC-SHA-256(key, S) for S built from ``fc`` and Pi."""
    _require_key(key, "KDF key")
    return hmac.new(bytes(key), build_s(fc, *parameters), hashlib.sha256).digest()


def least_significant(output: bytes, bits: int) -> bytes:
    """The ``bits`` least significant bits of a KDF output, i.e. its last ``bits // 8`` octets.

    The 3GPP uses of the KDF take "the n least significant bits of the 256 bits" for n-bit keys
    (e.g. TS 33.180 F.1.4, TS 33.401 A.7).  Only whole octets are supported.
    """
    if bits <= 0 or bits % 8 or bits > 8 * len(output):
        raise UsageError(f"cannot take {bits} least significant bits of {len(output)} octets")
    return output[len(output) - bits // 8 :]


# -- TS 33.220 B.3: NAF specific keys ------------------------------------------------------------

#: TS 33.220 B.3: P0 of Ks_NAF / Ks_ext_NAF (GBA_ME) and of Ks_int_NAF (GBA_U).
GBA_ME = b"gba-me"
GBA_U = b"gba-u"
#: TS 33.220 4.x / H.1: the Ua security protocol identifier that ends a NAF_Id is 5 octets.
UA_PROTOCOL_ID_OCTETS = 5
#: TS 33.220 B.3: RAND is 16 octets (L1 = 0x00 0x10).
GBA_RAND_OCTETS = 16
#: TS 33.220 B.3: Ks = CK || IK is 256 bits.
GBA_KS_OCTETS = 32


def naf_id(fqdn: str, ua_protocol_id: bytes) -> bytes:
    """NAF_Id = FQDN of the NAF || Ua security protocol identifier (5 octets), TS 33.220 4.x/H."""
    if len(ua_protocol_id) != UA_PROTOCOL_ID_OCTETS:
        raise UsageError(
            f"Ua security protocol identifier must be {UA_PROTOCOL_ID_OCTETS} octets, "
            f"got {len(ua_protocol_id)} (TS 33.220 Annex H)"
        )
    return encode_string(fqdn) + bytes(ua_protocol_id)


def ks_naf(ks: bytes, rand: bytes, impi: str, naf_id: bytes) -> bytes:
    """TS 33.220 B.3: Ks_NAF (= Ks_ext_NAF) = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), 256 bits."""
    return _naf_key(ks, GBA_ME, rand, impi, naf_id)


def ks_int_naf(ks: bytes, rand: bytes, impi: str, naf_id: bytes) -> bytes:
    """TS 33.220 B.3: Ks_int_NAF (GBA_U, derived in the UICC) = KDF(Ks, "gba-u", RAND, IMPI,
    NAF_Id), 256 bits."""
    return _naf_key(ks, GBA_U, rand, impi, naf_id)


def _naf_key(ks: bytes, p0: bytes, rand: bytes, impi: str, naf_id: bytes) -> bytes:
    if len(ks) != GBA_KS_OCTETS:
        raise UsageError(f"Ks must be {GBA_KS_OCTETS} octets, got {len(ks)} (TS 33.220 B.3)")
    if len(rand) != GBA_RAND_OCTETS:
        raise UsageError(f"RAND must be {GBA_RAND_OCTETS} octets, got {len(rand)} (TS 33.220 B.3)")
    if not naf_id:
        raise UsageError("NAF_Id must not be empty (TS 33.220 B.3)")
    return kdf(ks, FC.KS_NAF, p0, bytes(rand), encode_string(impi), bytes(naf_id))


def _require_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes | bytearray):
        raise UsageError(f"{what} must be bytes, not {type(key).__name__}")
    if not key:
        raise UsageError(f"{what} must not be empty")
