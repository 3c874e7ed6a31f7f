"""RFC 3830 4.1.2 PRF (MIKEY-1), RFC 6043 PRF-HMAC-SHA-256, and the TGK key derivations.

Published vectors: RFC 3830 and RFC 6043 publish none.  PRF-HMAC-SHA-256 with TGK = SAKKE SSV is
checked on vendor-published vectors (Streamwide sw_mikey_sakke unit_tests/test_key_deriv.cc and
unit_tests/test_guk.cc, copied in shared/reference/vendor_vectors.json).  MIKEY-1 (HMAC-SHA-1)
has no vector at all: it is cross-checked against OpenSSL's TLS1-PRF, whose P_SHA1 is the same
P(s, label, m) as RFC 3830, and against a second implementation written below.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto import mckeys
from mckm.impl.crypto.mikey_prf import (
    MessageKeyConstant,
    PrfFunc,
    TgkConstant,
    derive_from_tgk,
    derive_message_key,
    prf,
    srtp_master_key_and_salt,
    tgk_label,
)
from mckm.impl.errors import UsageError
from tests.conftest import require_tool

# -- vendor vectors: key derivation from the SSV (PRF-HMAC-SHA-256) --------------------------------

_SSV = bytes.fromhex("a27b7d578eeb9b1ee7705e385996d300")
_RAND = bytes.fromhex("4339f62f55aac86348846a482c893802")


@pytest.mark.parametrize(
    ("csb_id", "cs_id", "constant", "key16", "salt12"),
    [  # unit_tests/test_key_deriv.cc
        (
            0x05A85C16,
            4,
            TgkConstant.ENCR_KEY,
            "3924935940c154ccbc3c2ad05c8f5181",
            "1725869b80f370cc9f24e13b",
        ),
        (
            0x05A85C16,
            0,
            TgkConstant.ENCR_KEY,
            "f17c80a8d2f9befa47cf712603d7229a",
            "c3b7b561a291a1d3abef482b",
        ),
        (
            0x0633F457,
            4,
            TgkConstant.TEK,
            "59aaa49ebb54813602b7cc165961b4e8",
            "745eb4df7d155c473114a799",
        ),
    ],
)
def test_vendor_mikey_kdf_vectors(
    csb_id: int, cs_id: int, constant: TgkConstant, key16: str, salt12: str
) -> None:
    """REQ-KDF-10, REQ-KDF-11: TEK, encryption and salt keys from the SSV as TGK with label
    constant || CS ID || CSB ID || RAND and PRF-HMAC-SHA-256 (16 and 12 octets) equal vendor
    vectors.
    """
    key = derive_from_tgk(_SSV, constant, cs_id=cs_id, csb_id=csb_id, rand=_RAND, outkey_len=128)
    salt = derive_from_tgk(
        _SSV, TgkConstant.SALT, cs_id=cs_id, csb_id=csb_id, rand=_RAND, outkey_len=96
    )
    assert (key.hex(), salt.hex()) == (key16, salt12)


_GMK = bytes.fromhex("fcfe65cd967c58d260b603ccb9a887a9")
_GROUP_RAND = bytes.fromhex("6819e679461120e10ac458cce67b8024")


@pytest.mark.parametrize(
    ("mc_id", "master_key", "master_salt"),
    [  # unit_tests/test_guk.cc (GMK-ID 0x09bf9d37, CS ID 4): the CSB ID is the member's GUK-ID
        (
            "sip:p25user01@etherstack.com",
            "64837d2b4d69a266e4489d3807353ad9",
            "8b2f081ce8e8bdab1f8d9eb8",
        ),
        (
            "sip:p25user02@etherstack.co.jp",
            "de81b70c4ae0ff3f79364df586c2e0ce",
            "750ea7422b4d5a8ff475c6d5",
        ),
        ("sip:92100002447@att.com", "f097ac3325f1f784bc8ba4112c5e5f88", "97a154fb24efbfb353a265e2"),
    ],
)
def test_vendor_group_srtp_vectors(mc_id: str, master_key: str, master_salt: str) -> None:
    """REQ-KDF-11: for a GMK the CSB ID is the member's GUK-ID; SRTP master key and salt equal
    vendor vectors.
    """
    guk_id = mckeys.gmk_id_to_guk_id(0x09BF9D37, _GMK, mc_id)
    key, salt = srtp_master_key_and_salt(_GMK, cs_id=4, csb_id=guk_id, rand=_GROUP_RAND)
    assert (key.hex(), salt.hex()) == (master_key, master_salt)


def test_vendor_csk_srtp_vector() -> None:
    # unit_tests/test_guk.cc: CSK-style key, CSB ID = key id, CS ID 6 (no GUK).
    """REQ-KDF-11: SRTP master key = TEK and master salt = salting key (16 and 12 octets),
    vendor vector.
    """
    key, salt = srtp_master_key_and_salt(
        bytes.fromhex("28ba74447f037dcc09ad7f2576dc2def"),
        cs_id=6,
        csb_id=0x1C5F7886,
        rand=bytes.fromhex("30333032343661303730646133333265"),
    )
    assert key.hex() == "185d08cb5a226d19d71679adf5e415be"
    assert salt.hex() == "d1d648b2a0040633a3dd72e5"


# -- the constants are blocks of the digits of e (RFC 3830 4.1.3/4.1.4, RFC 6043 5.1.1) ------------


def _e_digits_after_point(count: int) -> str:
    scale = 10 ** (count + 10)
    total, term, k = 0, scale, 0
    while term:
        total += term
        k += 1
        term //= k
    return str(total)[1 : 1 + count]


def test_label_constants_are_consecutive_blocks_of_e() -> None:
    """REQ-KDF-10: the TGK and envelope/PSK label constants are the RFC 3830 values, blocks of
    the digits of e.
    """
    digits = _e_digits_after_point(63)
    blocks = [int(digits[i : i + 9]) for i in range(0, 63, 9)]
    assert blocks[:3] == [TgkConstant.TEK, TgkConstant.AUTH_KEY, TgkConstant.ENCR_KEY]
    assert blocks[3:6] == [
        MessageKeyConstant.ENCR_KEY,
        MessageKeyConstant.AUTH_KEY,
        MessageKeyConstant.SALT,
    ]
    assert blocks[6] == TgkConstant.SALT


# -- cross-checks of the PRF itself -------------------------------------------------------------


def _prf_second(inkey: bytes, label: bytes, out_octets: int, hash_name: str) -> bytes:
    """RFC 3830 4.1.2 again, written recursively and on integers (independent of the module)."""
    size = hashlib.new(hash_name).digest_size

    def p(s: bytes, a_prev: bytes, left: int) -> bytes:
        if left <= 0:
            return b""
        a = hmac.digest(s, a_prev, hash_name)
        return hmac.digest(s, a + label, hash_name) + p(s, a, left - size)

    length = -(-out_octets // size) * size
    acc = 0
    for i in range(0, len(inkey), 32):
        acc ^= int.from_bytes(p(inkey[i : i + 32], label, out_octets), "big")
    return acc.to_bytes(length, "big")[:out_octets]


@settings(max_examples=60)
@given(
    inkey=st.binary(min_size=1, max_size=100),
    label=st.binary(max_size=60),
    out_octets=st.integers(1, 80),
    prf_func=st.sampled_from(PrfFunc),
)
def test_prf_agrees_with_a_second_implementation(
    inkey: bytes, label: bytes, out_octets: int, prf_func: PrfFunc
) -> None:
    """REQ-KDF-09: PRF func 0 (HMAC-SHA-1, 160) and 1 (HMAC-SHA-256, 256), inkey cut in 256-bit
    pieces whose outputs are XORed, equal a second implementation.
    """
    name = {PrfFunc.MIKEY_1: "sha1", PrfFunc.PRF_HMAC_SHA_256: "sha256"}[prf_func]
    assert prf(inkey, label, 8 * out_octets, prf_func=prf_func) == _prf_second(
        inkey, label, out_octets, name
    )


def _openssl_p(digest: str, secret: bytes, seed: bytes, octets: int) -> bytes:
    out = subprocess.run(
        [
            require_tool("openssl"),
            "kdf",
            "-keylen",
            str(octets),
            "-kdfopt",
            f"digest:{digest}",
            "-kdfopt",
            f"hexsecret:{secret.hex()}",
            "-kdfopt",
            f"hexseed:{seed.hex()}",
            "TLS1-PRF",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return bytes.fromhex(out.strip().replace(":", ""))


@pytest.mark.interop
@pytest.mark.parametrize(
    ("prf_func", "digest"), [(PrfFunc.MIKEY_1, "SHA1"), (PrfFunc.PRF_HMAC_SHA_256, "SHA256")]
)
def test_prf_against_openssl_tls1_prf(prf_func: PrfFunc, digest: str) -> None:
    """OpenSSL TLS1-PRF with one digest is P_hash(secret, seed) = RFC 3830's P(s, label, m);
    a 48-octet inkey makes two pieces, XORed as RFC 3830 4.1.2 says.

    REQ-KDF-09: P(s, label, m) equals OpenSSL's P_hash for both PRFs, two inkey pieces XORed.
    """
    label = tgk_label(TgkConstant.TEK, 1, 0x12345678, bytes(range(16)))
    inkey = bytes(range(200, 248))
    expected = bytes(
        a ^ b
        for a, b in zip(
            _openssl_p(digest, inkey[:32], label, 40),
            _openssl_p(digest, inkey[32:], label, 40),
            strict=True,
        )
    )
    assert prf(inkey, label, 320, prf_func=prf_func) == expected


def test_message_key_label_layout() -> None:
    # RFC 3830 4.1.4: constant || 0xFF || csb_id || RAND.
    """REQ-KDF-10: keys from an envelope key or PSK use the label constant || 0xFF || CSB ID ||
    RAND.
    """
    inkey, rand = bytes(16), bytes(range(16))
    label = bytes.fromhex("2d22ac75ff0000002a") + rand
    assert derive_message_key(
        inkey,
        MessageKeyConstant.AUTH_KEY,
        csb_id=42,
        rand=rand,
        outkey_len=160,
        prf_func=PrfFunc.MIKEY_1,
    ) == prf(inkey, label, 160, prf_func=PrfFunc.MIKEY_1)


_UNKNOWN_PRF: Any = 7


def test_prf_input_errors() -> None:
    """REQ-KDF-09: an empty inkey, an output not a multiple of 8 bits and an unknown PRF are
    refused.
    """
    with pytest.raises(UsageError, match="inkey"):
        prf(b"", b"x", 128)
    with pytest.raises(UsageError, match="multiple of 8"):
        prf(b"k", b"x", 100)
    with pytest.raises(UsageError, match="unknown MIKEY PRF"):
        prf(b"k", b"x", 128, prf_func=_UNKNOWN_PRF)
    with pytest.raises(UsageError, match="CS ID"):
        tgk_label(TgkConstant.TEK, 256, 0, b"")
    with pytest.raises(UsageError, match="CSB ID"):
        tgk_label(TgkConstant.TEK, 0, 2**32, b"")
