"""KEMAC AES-CM (RFC 3830 4.2.3, RFC 6043 6.2) and V MACs (RFC 3830 6.9, RFC 6043 6.2)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import PolicyError, VerifyError
from mckm.impl.roles.ticket import protection as P

SALT = bytes(range(1, 15))
KEY = bytes(range(16))


def ref_aes_cm(key: bytes, salt: bytes, csb_id: int, t64: bytes, data: bytes) -> bytes:
    """Counter blocks built by hand: IV = (S XOR (0x0000||CSB||T)) || 0x0000, + block index."""
    x = bytes(a ^ b for a, b in zip(salt, bytes(2) + csb_id.to_bytes(4, "big") + t64, strict=True))
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    stream = b"".join(ecb.update(x + i.to_bytes(2, "big")) for i in range(len(data) // 16 + 1))
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def test_iv_layout() -> None:
    """REQ-TKT-MSG-07: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000."""
    t64 = bytes.fromhex("0102030405060708")
    iv = P.aes_cm_iv(SALT, 0xAABBCCDD, t64)
    assert iv[-2:] == b"\x00\x00" and len(iv) == 16
    csb = bytes.fromhex("AABBCCDD")
    assert iv[2:6] == bytes(a ^ b for a, b in zip(SALT[2:6], csb, strict=True))


@settings(max_examples=30, deadline=None)
@given(data=st.binary(min_size=0, max_size=100), csb=st.integers(0, 2**32 - 1),
       wide=st.booleans())
def test_aes_cm_matches_reference_and_round_trips(data: bytes, csb: int, wide: bool) -> None:
    """REQ-TKT-MSG-07: AES-CM-128 and AES-CM-256 equal counter blocks built by hand with AES-ECB
    and round-trip.
    """
    key = bytes(range(32)) if wide else KEY
    alg = P.AES_CM_256 if wide else P.AES_CM_128
    keys = P.KemacKeys(key, SALT)
    t64 = P.timestamp64(0, 0xE0000000_12345678)
    ct = P.encrypt_key_data(alg, keys, csb_id=csb, t64=t64, plaintext=data)
    assert ct == ref_aes_cm(key, SALT, csb, t64, data)
    assert P.decrypt_key_data(alg, keys, csb_id=csb, t64=t64, plaintext=ct) == data


def test_null_encryption_and_refused_algorithms() -> None:
    """REQ-TKT-MSG-07, REQ-TKT-MSG-11: NULL encryption passes the key data as is; AES-KW-128 is
    MIKEY error 4, an unsupported MAC error 3.
    """
    assert P.encrypt_key_data(P.ENCR_NULL, None, csb_id=0, t64=bytes(8), plaintext=b"ab") == b"ab"
    with pytest.raises(PolicyError) as err:
        P.encrypt_key_data(2, None, csb_id=0, t64=bytes(8), plaintext=b"ab")  # AES-KW-128
    assert err.value.mikey_error == 4
    with pytest.raises(PolicyError) as err:
        P.compute_mac(7, b"", b"")
    assert err.value.mikey_error == 3


def test_timestamp_widening() -> None:
    """REQ-TKT-MSG-07: NTP-UTC-32 is widened with a zero fraction, a COUNTER as a number."""
    assert P.timestamp64(3, 0x01020304) == bytes.fromhex("0102030400000000")  # NTP-UTC-32
    assert P.timestamp64(2, 0x01020304) == bytes.fromhex("0000000001020304")  # COUNTER
    assert P.timestamp64(0, 5) == (5).to_bytes(8, "big")


def test_macs() -> None:
    """REQ-TKT-MSG-03, REQ-TKT-MSG-11: HMAC-SHA-1-160 and HMAC-SHA-256-256 full-length tags; a
    wrong MAC is MIKEY error 0.
    """
    k1, k2 = bytes(20), bytes(32)
    assert P.compute_mac(P.HMAC_SHA_1_160, k1, b"m") == hmac.new(k1, b"m", hashlib.sha1).digest()
    expect = hmac.new(k2, b"m", hashlib.sha256).digest()
    assert P.compute_mac(P.HMAC_SHA_256_256, k2, b"m") == expect
    tag = P.compute_mac(P.HMAC_SHA_256_256, k2, b"m")
    P.verify_mac(P.HMAC_SHA_256_256, k2, b"m", tag, protection=P.Protection.PROTECTED, what="x")
    with pytest.raises(VerifyError) as err:
        P.verify_mac(P.HMAC_SHA_256_256, k2, b"n", tag, protection=P.Protection.PROTECTED, what="x")
    assert err.value.mikey_error == 0


def test_null_mac_only_where_unprotected() -> None:
    """REQ-TKT-MSG-11: the NULL MAC is accepted only on the unprotected link and refused with
    error 3 where a MAC is required.
    """
    P.verify_mac(P.MAC_NULL, None, b"m", b"", protection=P.Protection.UNPROTECTED, what="zk")
    with pytest.raises(PolicyError) as err:
        P.verify_mac(P.MAC_NULL, None, b"m", b"", protection=P.Protection.PROTECTED, what="ua")
    assert err.value.mikey_error == 3
    with pytest.raises(PolicyError):
        P.verify_mac(P.HMAC_SHA_1_160, bytes(20), b"m", bytes(20),
                     protection=P.Protection.UNPROTECTED, what="zk")
