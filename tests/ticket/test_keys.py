"""RFC 6043 5.1 / 6.10 / A.2 key derivations.  No published test vectors exist for MIKEY-TICKET,
so each derivation is recomputed here independently: labels typed from the RFC text as octets,
and a separate implementation of the RFC 3830 4.1.2 PRF with HMAC-SHA-256 (RFC 6043 6.1)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto.mikey_prf import MessageKeyConstant, PrfFunc, TgkConstant
from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.roles.ticket import keys as K


def ref_prf(inkey: bytes, label: bytes, out_octets: int) -> bytes:
    """RFC 3830 4.1.2 with HMAC-SHA-256 and 256 for 160 (RFC 6043 6.1), written afresh."""
    pieces = [inkey[i:i + 32] for i in range(0, len(inkey), 32)]
    m = -(-out_octets // 32)
    out = bytes(m * 32)
    for s in pieces:
        a, p = label, b""
        for _ in range(m):
            a = hmac.new(s, a, hashlib.sha256).digest()
            p += hmac.new(s, a + label, hashlib.sha256).digest()
        out = bytes(x ^ y for x, y in zip(out, p, strict=True))
    return out[:out_octets]


KEY = bytes(range(32))
RI = bytes(range(100, 116))
RR = bytes(range(200, 232))


def test_initial_and_response_labels_are_the_5_1_2_layout() -> None:
    """REQ-TKT-MSG-01: the message-key label constant || 0xFF || CSB ID || 0x01 / 0x02 || len8
    RANDRi || RANDRi || len8 RANDRr || RANDRr, typed from the RFC as octets.
    """
    got = K.protection_label(MessageKeyConstant.AUTH_KEY, csb_id=0x01020304,
                             purpose=K.LabelPurpose.INITIAL, randri=RI, randrr=None)
    assert got == bytes.fromhex("2D22AC75" "FF" "01020304" "01") + b"\x10" + RI + b"\x00"
    got = K.protection_label(MessageKeyConstant.ENCR_KEY, csb_id=7,
                             purpose=K.LabelPurpose.RESPONSE, randri=None, randrr=RR)
    assert got == bytes.fromhex("150533E1" "FF" "00000007" "02") + b"\x00" + b"\x20" + RR


def test_message_keys_match_independent_prf() -> None:
    """REQ-TKT-MSG-01: encryption, salt and auth keys from the PSK equal a separately written
    PRF over the 5.1.2 labels.
    """
    keys = K.message_keys(KEY, csb_id=9, purpose=K.LabelPurpose.RESPONSE, randri=RI, randrr=RR,
                          encr_alg=3, mac_alg=2, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    tail = bytes.fromhex("FF" "00000009" "02") + b"\x10" + RI + b"\x20" + RR
    assert keys.kemac is not None
    assert keys.kemac.encr_key == ref_prf(KEY, bytes.fromhex("150533E1") + tail, 32)
    assert keys.kemac.salt_key == ref_prf(KEY, bytes.fromhex("29B88916") + tail, 14)
    assert keys.auth_key == ref_prf(KEY, bytes.fromhex("2D22AC75") + tail, 32)
    assert "redacted" in repr(keys) and KEY.hex() not in repr(keys)


def test_aes_cm_128_and_sha1_key_lengths() -> None:
    """REQ-TKT-MSG-01: AES-CM-128 and HMAC-SHA-1 take 16-octet encryption, 14-octet salt and
    20-octet auth keys.
    """
    keys = K.message_keys(KEY, csb_id=9, purpose=K.LabelPurpose.INITIAL, randri=RI, randrr=None,
                          encr_alg=1, mac_alg=1, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert keys.kemac is not None
    assert (len(keys.kemac.encr_key), len(keys.kemac.salt_key), len(keys.auth_key or b"")) == \
        (16, 14, 20)


def test_fork_label_and_key() -> None:
    """REQ-TKT-MSG-02: TGK' and MPKr' labels (0x1512B54A, 0x2B288856; 16-bit ID Data length,
    8-bit RANDRkms length) and an outkey as long as the inkey.
    """
    label = K.fork_label(K.ForkConstant.TGK_PRIME, id_data=b"sip:bob@b.org", randrkms=RI)
    expect = bytes.fromhex("1512B54A" "FF" "FFFFFFFF" "00" "000D") + b"sip:bob@b.org" + b"\x10" + RI
    assert label == expect
    forked = K.fork_key(KEY, K.ForkConstant.MPKR_PRIME, id_data=b"x", randrkms=RI,
                        prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert forked == ref_prf(KEY, bytes.fromhex("2B288856FFFFFFFFFF00" "0001") + b"x\x10" + RI, 32)


def test_session_key_label_5_1_3() -> None:
    """REQ-TKT-MSG-02: TEK from a TGK with label constant || CS ID || 0xFFFFFFFF || 0x03 ||
    RANDs.
    """
    tek = K.session_key(KEY, TgkConstant.TEK, cs_id=1, randri=RI, randrr=None, outkey_octets=16,
                        prf_func=PrfFunc.PRF_HMAC_SHA_256)
    label = bytes.fromhex("2AD01C64" "01" "FFFFFFFF" "03") + b"\x10" + RI + b"\x00"
    assert tek == ref_prf(KEY, label, 16)


def test_vr_tpk_and_mpk_split_labels() -> None:
    """REQ-TKT-MSG-05, REQ-TKT-MSG-09: Vr's auth key (label c || 0xFF || 0xFFFFFFFF || 0x04),
    the TPK keys (0x05) and MPKi / MPKr (0x06, constants 0x220E99A2 / 0x1F4D675B) equal the
    independent PRF.
    """
    vr = K.initiator_data_auth_key(KEY, mac_alg=2, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert vr == ref_prf(KEY, bytes.fromhex("2D22AC75" "FF" "FFFFFFFF" "04"), 32)
    tk = K.tpk_keys(KEY, rand=RR, encr_alg=1, mac_alg=2, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert tk.auth_key == ref_prf(KEY, bytes.fromhex("2D22AC75FFFFFFFFFF05") + b"\x20" + RR, 32)
    mpki, mpkr = K.split_mpk(KEY[:16], rand=RR, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert mpki == ref_prf(KEY[:16], bytes.fromhex("220E99A2FFFFFFFFFF06") + b"\x20" + RR, 16)
    assert mpkr == ref_prf(KEY[:16], bytes.fromhex("1F4D675BFFFFFFFFFF06") + b"\x20" + RR, 16)


@settings(max_examples=25, deadline=None)
@given(inkey=st.binary(min_size=16, max_size=70), rand=st.binary(min_size=1, max_size=64))
def test_split_mpk_keeps_length_and_differs(inkey: bytes, rand: bytes) -> None:
    """REQ-TKT-MSG-09: MPKi and MPKr are as long as the MPK, differ, and equal the independent
    PRF.
    """
    mpki, mpkr = K.split_mpk(inkey, rand=rand, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    assert len(mpki) == len(mpkr) == len(inkey) and mpki != mpkr
    assert mpki == ref_prf(inkey, bytes.fromhex("220E99A2FFFFFFFFFF06") + bytes([len(rand)]) + rand,
                           len(inkey))


def test_refusals() -> None:
    """REQ-TKT-MSG-01, REQ-TKT-MSG-11: a label without its RAND is a usage error; an unsupported
    PRF is MIKEY error 2.
    """
    with pytest.raises(UsageError):
        K.protection_label(MessageKeyConstant.AUTH_KEY, csb_id=1, purpose=K.LabelPurpose.INITIAL,
                           randri=None, randrr=None)
    with pytest.raises(UsageError):
        K.protection_label(MessageKeyConstant.AUTH_KEY, csb_id=1, purpose=K.LabelPurpose.TPK,
                           randri=RI, randrr=None)
    with pytest.raises(PolicyError) as err:
        K.prf_func_of(5)
    assert err.value.mikey_error == 2
