"""TS 33.220 Annex B KDF, Ks_NAF (B.3) and the TS 33.180 F.1 derivations (GUK-ID, XPK keys).

Published vectors: none exist for the TS 33.220 KDF, for Ks_NAF or for the F.1.4 XPK keys
(TS 33.220 and TS 33.180 publish none).  Those tests cross-check the module against a second
computation written here differently: S packed by hand with ``struct`` and HMAC-SHA-256 built
from the RFC 2104 formula on bare SHA-256, not through ``hmac`` or the module.
The GUK-ID derivation (F.1.3) has vendor-published vectors (Streamwide sw_mikey_sakke
unit_tests/test_guk.cc, copied in shared/reference/vendor_vectors.json); they pass.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto import kdf, mckeys
from mckm.impl.errors import UsageError


def _hmac_sha256_rfc2104(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA-256 from RFC 2104: H((K ^ opad) || H((K ^ ipad) || m)), block size 64."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).digest()


def _s_by_hand(fc: int, *params: bytes) -> bytes:
    out = struct.pack(">B", fc) if fc < 0xFF else struct.pack(">H", fc)
    for p in params:
        out += p + struct.pack(">H", len(p))
    return out


# -- the generic KDF (no published vector: cross-checked) ----------------------------------------


def test_kdf_has_no_published_vector_so_cross_check_by_hand() -> None:
    """REQ-KDF-01: HMAC-SHA-256(Key, FC || P0 || L0 || ...) with 16-bit big-endian lengths,
    against S and HMAC built by hand.
    """
    key = bytes(range(32))
    params = (b"abc", b"", bytes(300))
    expected = _hmac_sha256_rfc2104(
        key, b"\x42" + b"abc\x00\x03" + b"\x00\x00" + bytes(300) + b"\x01\x2c"
    )
    assert kdf.kdf(key, 0x42, *params) == expected
    assert kdf.build_s(0x42, *params) == _s_by_hand(0x42, *params)


@settings(max_examples=60)
@given(
    key=st.binary(min_size=1, max_size=80),
    fc=st.one_of(st.integers(0, 0xFE), st.integers(0xFF00, 0xFFFF)),
    params=st.lists(st.binary(max_size=40), max_size=5),
)
def test_kdf_agrees_with_the_independent_computation(
    key: bytes, fc: int, params: list[bytes]
) -> None:
    """REQ-KDF-01, REQ-KDF-02: for random keys, one- and two-octet FCs and parameters the KDF
    equals the independent computation.
    """
    assert kdf.kdf(key, fc, *params) == _hmac_sha256_rfc2104(key, _s_by_hand(fc, *params))


def test_two_octet_fc() -> None:
    """REQ-KDF-02: FC 0xFF || FC2 is two octets; 0xFF alone and values outside both forms are
    refused.
    """
    assert kdf.build_s(0xFF01, b"x") == b"\xff\x01x\x00\x01"
    for bad in (0xFF, 0x100, 0xFEFF, 0x10000, -1):
        with pytest.raises(UsageError, match="FC"):
            kdf.build_s(bad)


_NOT_BYTES: Any = "text"


def test_parameter_length_limits_and_types() -> None:
    """REQ-KDF-01: a parameter of 65535 octets is accepted, one of 65536 is refused naming it."""
    kdf.build_s(0x01, bytes(0xFFFF))
    with pytest.raises(UsageError, match="P1 has 65536 octets"):
        kdf.build_s(0x01, b"", bytes(0x10000))
    with pytest.raises(UsageError, match="P0 must be bytes"):
        kdf.build_s(0x01, _NOT_BYTES)
    with pytest.raises(UsageError, match="must not be empty"):
        kdf.kdf(b"", 0x01)


def test_character_strings_are_nfkc_utf8() -> None:
    # B.2.1.2: U+FB01 (ligature fi) -> "fi"; U+212B ANGSTROM SIGN -> U+00C5 -> C3 85.
    """REQ-KDF-03: character strings are NFKC-normalised UTF-8."""
    assert kdf.encode_string("\ufb01") == b"fi"
    assert kdf.encode_string("\u212b") == b"\xc3\x85"
    assert kdf.encode_string("sip:user@example.org") == b"sip:user@example.org"


@pytest.mark.parametrize(
    ("value", "octets"),
    [(0, "00"), (1, "01"), (255, "ff"), (256, "0100"), (2592000, "278d00"), (20393844, "01372f74")],
)
def test_integer_encoding_is_minimal_big_endian(value: int, octets: str) -> None:
    assert kdf.encode_uint(value).hex() == octets


@given(st.integers(min_value=0, max_value=2**80))
def test_integer_encoding_round_trips_without_leading_zero(value: int) -> None:
    encoded = kdf.encode_uint(value)
    assert int.from_bytes(encoded, "big") == value
    assert len(encoded) == 1 or encoded[0] != 0


def test_fc_registry_has_one_home_per_value() -> None:
    """REQ-KDF-02: the FC enum holds every FC value mckm uses, each once."""
    assert {f.name: f.value for f in kdf.FC} == {
        "MIKEY_SAKKE_UID": 0x00,
        "KS_NAF": 0x01,
        "GUK_ID_SALT": 0x50,
        "XPK_CONFIDENTIALITY": 0x51,
        "XPK_INTEGRITY": 0x52,
    }


# -- Ks_NAF (TS 33.220 B.3; no published vector) --------------------------------------------------

_KS = bytes(range(32))
_RAND = bytes(range(16))
_NAF_ID = kdf.naf_id("kms.example.org", bytes.fromhex("0100000000"))  # placeholder Ua id


def test_ks_naf_has_no_published_vector_so_cross_check_by_hand() -> None:
    """REQ-KDF-04: Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id) and Ks_int_NAF with
    "gba-u", against S built by hand.
    """
    s = (
        b"\x01"
        + b"gba-me"
        + b"\x00\x06"
        + _RAND
        + b"\x00\x10"
        + b"user@ims.example.org"
        + struct.pack(">H", 20)
        + _NAF_ID
        + struct.pack(">H", len(_NAF_ID))
    )
    assert kdf.ks_naf(_KS, _RAND, "user@ims.example.org", _NAF_ID) == _hmac_sha256_rfc2104(_KS, s)
    s_int = s.replace(b"gba-me\x00\x06", b"gba-u\x00\x05")
    assert kdf.ks_int_naf(_KS, _RAND, "user@ims.example.org", _NAF_ID) == _hmac_sha256_rfc2104(
        _KS, s_int
    )


def test_ks_naf_matches_the_research_sessions_separate_script() -> None:
    """shared/reference/test_vectors.json computed_here_not_published.ks_naf_example: a third
    computation (not a standard's vector) from the research session's own script.

    REQ-KDF-04: NAF_Id = FQDN || 5-octet Ua protocol id, and Ks_NAF equals a third computation.
    """
    assert _NAF_ID.hex() == "6b6d732e6578616d706c652e6f72670100000000"
    assert kdf.ks_naf(_KS, _RAND, "user@ims.example.org", _NAF_ID).hex() == (
        "fe44fb9de05fda0324f72658e2938a49bb8f98b948ec283198021f1541b9d81d"
    )


def test_ks_naf_input_checks() -> None:
    """REQ-KDF-04: RAND other than 16 octets, Ks other than 32 and a Ua id other than 5 octets
    are refused.
    """
    with pytest.raises(UsageError, match="RAND must be 16"):
        kdf.ks_naf(_KS, bytes(15), "u", _NAF_ID)
    with pytest.raises(UsageError, match="Ks must be 32"):
        kdf.ks_naf(bytes(16), _RAND, "u", _NAF_ID)
    with pytest.raises(UsageError, match="5 octets"):
        kdf.naf_id("naf.example.org", b"\x01")


# -- TS 33.180 F.1.3 GUK-ID (vendor-published vectors) ---------------------------------------------

# (sender MC ID, GMK, GMK-ID, GUK-ID) from Streamwide unit_tests/test_guk.cc ("etherstack" suite).
# GMK-ID "9bf9d37" is written without its leading zero in the source: 0x09bf9d37.
_GUK_VECTORS = [
    ("sip:p25user01@etherstack.com", "fcfe65cd967c58d260b603ccb9a887a9", 0x09BF9D37, 0x01C8DE7B),
    ("sip:p25user02@etherstack.co.jp", "fcfe65cd967c58d260b603ccb9a887a9", 0x09BF9D37, 0x0ABE69D0),
    ("sip:92100002447@att.com", "fcfe65cd967c58d260b603ccb9a887a9", 0x09BF9D37, 0x0C449727),
    (
        "sip:P25SU-00003002000531@server-dev43-ws.streamwideus.com",
        "52079f77690731437e407a5b4845aab3",
        0x03F3453D,
        0x0E0E03F2,
    ),
]


@pytest.mark.parametrize(("mc_id", "gmk", "gmk_id", "guk_id"), _GUK_VECTORS)
def test_guk_id_vendor_vectors(mc_id: str, gmk: str, gmk_id: int, guk_id: int) -> None:
    """REQ-KDF-07: GUK-ID = GMK-ID XOR the 28-bit salt, and back with the member's MC ID, on
    vendor vectors.
    """
    key = bytes.fromhex(gmk)
    assert mckeys.gmk_id_to_guk_id(gmk_id, key, mc_id) == guk_id
    assert mckeys.guk_id_to_gmk_id(guk_id, key, mc_id) == gmk_id


def test_guk_salt_uses_the_true_length_not_the_printed_0x0017() -> None:
    """F.1.3 prints L0 = 0x00 0x17 (23); the vendor vectors whose MC ID is not 23 octets long
    pass only with the real length.  With the printed constant the first one (28 octets) fails.

    REQ-KDF-07: the salt's L0 is the true length of the MC ID.
    """
    mc_id, gmk, gmk_id, guk_id = _GUK_VECTORS[0]
    printed = _hmac_sha256_rfc2104(bytes.fromhex(gmk), b"\x50" + mc_id.encode() + b"\x00\x17")
    assert gmk_id ^ (int.from_bytes(printed[-4:], "big") & 0x0FFFFFFF) != guk_id


@settings(max_examples=50)
@given(
    gmk_id=st.integers(0, 2**32 - 1),
    gmk=st.binary(min_size=16, max_size=16),
    mc_id=st.text(min_size=1, max_size=40),
)
def test_gmk_guk_round_trip_keeps_the_purpose_nibble(gmk_id: int, gmk: bytes, mc_id: str) -> None:
    """REQ-KDF-07: the salt has 28 bits, the 4-bit purpose tag is kept and the member inverts
    the GUK-ID.
    """
    guk_id = mckeys.gmk_id_to_guk_id(gmk_id, gmk, mc_id)
    assert mckeys.purpose_tag(guk_id) == mckeys.purpose_tag(gmk_id) == gmk_id >> 28
    assert mckeys.guk_id_to_gmk_id(guk_id, gmk, mc_id) == gmk_id
    assert 0 <= mckeys.guk_id_salt(gmk, mc_id) < 2**28


def test_key_id_range_is_checked() -> None:
    with pytest.raises(UsageError, match="GMK-ID"):
        mckeys.gmk_id_to_guk_id(2**32, bytes(16), "sip:a@b")
    with pytest.raises(UsageError, match="GMK"):
        mckeys.gmk_id_to_guk_id(1, b"", "sip:a@b")


# -- TS 33.180 F.1.4 XPK keys (no published vector: cross-checked) ---------------------------------


@pytest.mark.parametrize(
    ("derive", "fc"),
    [(mckeys.xpk_confidentiality_key, 0x51), (mckeys.xpk_integrity_key, 0x52)],
)
@pytest.mark.parametrize("xpk_octets", [16, 32])
def test_xpk_keys_have_no_published_vector_so_cross_check_by_hand(
    derive: Callable[[bytes, str, int], bytes], fc: int, xpk_octets: int
) -> None:
    """REQ-KDF-08: CSK/SPK keys = KDF(XPK, 0x51 / 0x52, MC ID, XPK-ID as 4 octets) with true
    lengths, 128 least significant bits for a 128-bit XPK, all 256 for a 256-bit one.
    """
    xpk = bytes(range(100, 100 + xpk_octets))
    mc_id, csk_id = "sip:alice@mcptt.example.org", 0x2ABCDEF1
    s = struct.pack(">B", fc) + mc_id.encode() + struct.pack(">H", len(mc_id))
    s += struct.pack(">IH", csk_id, 4)  # L1 = 0x00 0x04, not the printed 0x00 0x17
    expected = _hmac_sha256_rfc2104(xpk, s)[32 - xpk_octets :]
    assert derive(xpk, mc_id, csk_id) == expected


def test_xpk_keys_differ_and_check_lengths() -> None:
    """REQ-KDF-08: confidentiality and integrity keys differ; an XPK of neither 128 nor 256 bits
    is refused.
    """
    xpk = bytes(16)
    assert mckeys.xpk_confidentiality_key(xpk, "sip:a@b", 1) != mckeys.xpk_integrity_key(
        xpk, "sip:a@b", 1
    )
    with pytest.raises(UsageError, match="128 or 256 bits"):
        mckeys.xpk_integrity_key(bytes(24), "sip:a@b", 1)
