"""KEMAC encryption and V-payload MACs for MIKEY-TICKET (RFC 3830 4.2, 5.2, 6.2, 6.9; RFC 6043
5.5, 6.2).

Encryption of the KEMAC ``encr_data`` (the Key data sub-payload chain):

* NULL (0): the plaintext as is (RFC 3830 4.2.3 lists NULL for when the keys are protected by
  other means; seed 002 uses it on Zk).
* AES-CM-128 (1) / AES-CM-256 (3): AES in counter mode (RFC 3830 4.2.3; RFC 6043 6.2 Table 6.5:
  the same with a 256-bit key).  ``IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000`` with S the
  112-bit salting key and T the 64-bit timestamp (RFC 3830 4.2.3; see
  ``spec/mikey-ticket-messages.md`` REQ-TKT-MSG-07 for which T and how 32-bit timestamps are
  widened).
* AES-KW-128 (2) is refused (Invalid EA): nothing in the 3GPP profile uses it.

MACs (RFC 3830 4.2.1 / 6.9; RFC 6043 6.2 Table 6.6): HMAC-SHA-1-160 (160-bit key, full 160-bit
tag), HMAC-SHA-256-256 (256-bit key and tag), and NULL (empty tag; accepted only where the caller
says the message is not integrity protected, i.e. seed 002's Zk messages).  Algorithm numbers and
tag lengths are read from the grammar's name spaces, not typed here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mckm.impl.errors import PolicyError, UsageError, VerifyError
from mckm.models.grammar.namespaces import ENCR_ALG, ERROR_NO, MAC_ALG, TS_TYPE


def _err(name: str) -> int:
    return int(ERROR_NO.value_of(name))


#: MIKEY error numbers used by the ticket layer (RFC 3830 6.12; RFC 6043 6.9), read by name.
AUTH_FAILURE = _err("Auth failure")
INVALID_TS = _err("Invalid TS")
INVALID_PRF = _err("Invalid PRF")
INVALID_MAC = _err("Invalid MAC")
INVALID_EA = _err("Invalid EA")
INVALID_ID = _err("Invalid ID")
INVALID_DT = _err("Invalid DT")
UNSPECIFIED = _err("Unspecified error")
INVALID_TICKET = _err("Invalid TICKET")
INVALID_TPPAR = _err("Invalid TPpar")

ENCR_NULL = ENCR_ALG.value_of("NULL")
AES_CM_128 = ENCR_ALG.value_of("AES-CM-128")
AES_CM_256 = ENCR_ALG.value_of("AES-CM-256")
MAC_NULL = MAC_ALG.value_of("NULL")
HMAC_SHA_1_160 = MAC_ALG.value_of("HMAC-SHA-1-160")
HMAC_SHA_256_256 = MAC_ALG.value_of("HMAC-SHA-256-256")

#: RFC 3830 4.2.3: the AES-CM salting key is 112 bits; RFC 6043 6.2 keeps it for AES-CM-256.
SALT_KEY_OCTETS = 14
_AES_BLOCK = 16
_CSB_ID_OCTETS = 4
_TS_OCTETS = 8  # "T is the 64-bit timestamp" (RFC 3830 4.2.3)

#: encryption key octets per Encr alg (RFC 3830 4.2.3: 128-bit; RFC 6043 6.2: 256-bit).
ENCR_KEY_OCTETS: dict[int, int] = {ENCR_NULL: 0, AES_CM_128: 16, AES_CM_256: 32}
#: authentication key octets per MAC alg (RFC 3830 4.2.1: 160-bit key; RFC 6043 6.2: 256-bit).
AUTH_KEY_OCTETS: dict[int, int] = {MAC_NULL: 0, HMAC_SHA_1_160: 20, HMAC_SHA_256_256: 32}
#: the hash of each HMAC (a ``hashlib`` name, for the one-shot ``hmac.digest``)
_HASHES: dict[int, str] = {HMAC_SHA_1_160: "sha1", HMAC_SHA_256_256: "sha256"}
#: tag octets per MAC alg and bits per timestamp type, read once from the grammar's name spaces
_TAG_OCTETS: dict[int, int] = {int(a): int(n) for a, n in MAC_ALG.sizes().items()}
_TS_BITS: dict[int, int] = {int(t): int(n) for t, n in TS_TYPE.sizes().items()}
_NTP_UTC_32 = TS_TYPE.value_of("NTP-UTC-32")


def mac_octets(mac_alg: int) -> int:
    """Tag length of ``mac_alg`` in octets, from the grammar's MAC alg name space."""
    size = _TAG_OCTETS.get(mac_alg)
    if size is None:
        raise PolicyError(f"MAC algorithm {mac_alg} is not supported", requirement="RFC 3830 6.2",
                          mikey_error=INVALID_MAC)
    return size


def require_encr_alg(encr_alg: int) -> None:
    if encr_alg not in ENCR_KEY_OCTETS:
        raise PolicyError(f"KEMAC encryption algorithm {encr_alg} "
                          f"({ENCR_ALG.name_of(encr_alg)}) is not supported",
                          requirement="REQ-TKT-MSG-07", mikey_error=INVALID_EA)


def require_mac_alg(mac_alg: int) -> None:
    if mac_alg not in AUTH_KEY_OCTETS:
        raise PolicyError(f"MAC algorithm {mac_alg} is not supported",
                          requirement="REQ-TKT-MSG-08", mikey_error=INVALID_MAC)


class Protection(Enum):
    """Whether a message must carry a real MAC (PROTECTED) or is carried on a link that
    protects it, so that a NULL MAC is expected (UNPROTECTED: seed 002 B.2.2.3 steps 6 and 10,
    Zk under NDS/IP)."""

    PROTECTED = "protected"
    UNPROTECTED = "unprotected"


# --------------------------------------------------------------------------------------------
# AES-CM (RFC 3830 4.2.3)


def timestamp64(ts_type: int, ts_value: int) -> bytes:
    """T as the 64 bits the IV needs.  NTP-UTC / NTP are 64-bit already; NTP-UTC-32 is padded
    with a zero fraction (RFC 6043 6.3); a 32-bit COUNTER is widened as a number (zero octets
    in front) - a project decision, REQ-TKT-MSG-07."""
    width = _TS_BITS.get(ts_type)
    if width is None:
        raise PolicyError(f"timestamp type {ts_type} is not defined", mikey_error=INVALID_TS,
                          requirement="RFC 3830 6.6")
    raw = ts_value.to_bytes(width // 8, "big")
    if len(raw) == _TS_OCTETS:
        return raw
    if ts_type == _NTP_UTC_32:
        return raw + bytes(_TS_OCTETS - len(raw))
    return bytes(_TS_OCTETS - len(raw)) + raw


def aes_cm_iv(salt_key: bytes, csb_id: int, t64: bytes) -> bytes:
    """RFC 3830 4.2.3: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000."""
    if len(salt_key) != SALT_KEY_OCTETS:
        raise UsageError(f"the AES-CM salting key is {SALT_KEY_OCTETS} octets, got {len(salt_key)}")
    if len(t64) != _TS_OCTETS:
        raise UsageError(f"T must be {_TS_OCTETS} octets, got {len(t64)}")
    block = int.from_bytes(csb_id.to_bytes(_CSB_ID_OCTETS, "big") + t64, "big")
    return (int.from_bytes(salt_key, "big") ^ block).to_bytes(SALT_KEY_OCTETS, "big") + bytes(2)


def _aes_cm(key: bytes, iv: bytes, data: bytes) -> bytes:
    # The 16-bit block counter sits in the IV's last two (zero) octets; a KEMAC is far below
    # 2**16 blocks, so CTR's 128-bit big-endian increment is the same counter.
    if len(data) > _AES_BLOCK << 16:
        raise UsageError("AES-CM input longer than 2**16 blocks")
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


@dataclass(frozen=True, repr=False)
class KemacKeys:
    """encr_key and salt_key for one KEMAC (RFC 3830 4.1.4 / RFC 6043 5.1.2, A.2.1)."""

    encr_key: bytes
    salt_key: bytes

    def __repr__(self) -> str:
        return "KemacKeys(<redacted>)"


def encrypt_key_data(encr_alg: int, keys: KemacKeys | None, *, csb_id: int, t64: bytes,
                     plaintext: bytes) -> bytes:
    """E(encr_key, key data chain) for the KEMAC Encr data field (RFC 3830 4.2.3, 6.2)."""
    require_encr_alg(encr_alg)
    if encr_alg == ENCR_NULL:
        return bytes(plaintext)
    if keys is None or len(keys.encr_key) != ENCR_KEY_OCTETS[encr_alg]:
        raise UsageError(f"{ENCR_ALG.name_of(encr_alg)} needs a "
                         f"{ENCR_KEY_OCTETS[encr_alg]}-octet encr_key")
    return _aes_cm(keys.encr_key, aes_cm_iv(keys.salt_key, csb_id, t64), plaintext)


#: AES-CM is its own inverse.
decrypt_key_data = encrypt_key_data


# --------------------------------------------------------------------------------------------
# MACs (RFC 3830 4.2.1, 5.2, 6.9; RFC 6043 5.5, 6.2)


def compute_mac(mac_alg: int, auth_key: bytes | None, data: bytes) -> bytes:
    """The Verification data / MAC of ``data``; empty for the NULL MAC."""
    require_mac_alg(mac_alg)
    if mac_alg == MAC_NULL:
        return b""
    if auth_key is None or len(auth_key) != AUTH_KEY_OCTETS[mac_alg]:
        raise UsageError(f"{MAC_ALG.name_of(mac_alg)} needs a {AUTH_KEY_OCTETS[mac_alg]}-octet "
                         "auth_key")
    return hmac.digest(auth_key, data, _HASHES[mac_alg])[: _TAG_OCTETS[mac_alg]]


def verify_mac(mac_alg: int, auth_key: bytes | None, data: bytes, tag: bytes, *,
               protection: Protection, what: str) -> None:
    """Check a V payload (or Vr) tag in constant time.  A NULL MAC passes only when
    ``protection`` is UNPROTECTED, and a real MAC is refused there (REQ-TKT-MSG-12)."""
    if protection is Protection.UNPROTECTED:
        if mac_alg != MAC_NULL or tag:
            raise PolicyError(f"{what}: a message on the protected KMS-KMS link carries the NULL "
                              f"MAC, got MAC alg {mac_alg}", requirement="REQ-TKT-MSG-12",
                              mikey_error=INVALID_MAC)
        return
    if mac_alg == MAC_NULL:
        raise PolicyError(f"{what}: the NULL MAC is refused on a message that must be integrity "
                          "protected", requirement="REQ-TKT-MSG-12", mikey_error=INVALID_MAC)
    expected = compute_mac(mac_alg, auth_key, data)
    if not hmac.compare_digest(expected, tag):
        raise VerifyError(f"{what}: MAC verification failed", clause="RFC 6043 5.5",
                          mikey_error=AUTH_FAILURE)
