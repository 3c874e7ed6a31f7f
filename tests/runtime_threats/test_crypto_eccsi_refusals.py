"""ECCSI (RFC 6507) refuses what a peer or a KMS sent with a VerifyError naming the value and
the clause it breaks, and a caller's own bad argument with a UsageError naming the argument and
the clause; boundary values the RFC allows are accepted (survivors of ``./dev mutate crypto``,
impl/crypto/eccsi.py).  Keys are RFC 6507 Appendix A's (KSAK 0x12345, v 0x23456, j 0x34567)."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from mckm.impl.crypto import eccsi
from mckm.impl.crypto.p256 import P256
from mckm.impl.errors import UsageError, VerifyError

KSAK = 0x12345
ID = b"2011-02\0tel:+447700900123\0"
V = 0x23456
J = 0x34567
M = b"message\0"
Q = int(P256.order)
P = int(P256.p)
KPAK = eccsi.kms_keypair(KSAK)[1]
_SSK, PVT = eccsi.issue_ssk(KSAK, KPAK, ID, V)
SSK = _SSK.reveal()
SIG = eccsi.sign(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=J)
#: 0x04 || x || y with (0, 0), which is not on P-256 (b != 0)
OFF_CURVE = b"\x04" + bytes(64)


def _signature(r: int, s: int, pvt: bytes = PVT) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + pvt


def _refused(call: Callable[[], object], field: str, clause: str) -> VerifyError:
    """``call`` raises VerifyError whose clause is ``clause`` and whose reason names ``field``
    first (as P-256's point decoder or the ECCSI check writes it)."""
    with pytest.raises(VerifyError) as info:
        call()
    assert info.value.clause == clause
    assert info.value.reason.startswith(field), info.value.reason
    return info.value


def _misuse(call: Callable[[], object], argument: str, clause: str) -> None:
    """``call`` raises UsageError naming ``argument`` first and ending with ``(clause)``."""
    with pytest.raises(UsageError) as info:
        call()
    text = str(info.value)
    assert text.startswith(f"{argument}:"), text
    assert text.endswith(f"({clause})"), text


KPAK_REFUSED: dict[str, Callable[[], object]] = {
    "sign": lambda: eccsi.sign(M, identity=ID, ssk=SSK, pvt=PVT, kpak=OFF_CURVE),
    "sign_trace": lambda: eccsi.sign_trace(M, identity=ID, ssk=SSK, pvt=PVT, kpak=OFF_CURVE,
                                           j=J),
    "validate_ssk": lambda: eccsi.validate_ssk(OFF_CURVE, ID, SSK, PVT),
    "Signer": lambda: eccsi.Signer(ID, SSK, PVT, OFF_CURVE),
    "Verifier": lambda: eccsi.Verifier(OFF_CURVE),
    "verify": lambda: eccsi.verify(M, SIG, identity=ID, kpak=OFF_CURVE),
    "verify_trace": lambda: eccsi.verify_trace(M, SIG, identity=ID, kpak=OFF_CURVE),
}


@pytest.mark.parametrize("name", sorted(KPAK_REFUSED))
def test_a_kpak_off_the_curve_is_refused_naming_kpak_and_rfc_6507_4_2(name: str) -> None:
    """RFC 6507 4.2 / 3.2: KPAK is a point of P-256; every entry point names it."""
    _refused(KPAK_REFUSED[name], "P-256 KPAK:", "RFC 6507 4.2")


PVT_REFUSED: dict[str, tuple[Callable[[], object], str]] = {
    "sign": (lambda: eccsi.sign(M, identity=ID, ssk=SSK, pvt=OFF_CURVE, kpak=KPAK),
             "RFC 6507 5.1.2 step 1"),
    "sign_trace": (lambda: eccsi.sign_trace(M, identity=ID, ssk=SSK, pvt=OFF_CURVE, kpak=KPAK,
                                            j=J), "RFC 6507 5.1.2 step 1"),
    "validate_ssk": (lambda: eccsi.validate_ssk(KPAK, ID, SSK, OFF_CURVE),
                     "RFC 6507 5.1.2 step 1"),
    "Signer": (lambda: eccsi.Signer(ID, SSK, OFF_CURVE, KPAK), "RFC 6507 5.1.2 step 1"),
    "Verifier.verify": (lambda: eccsi.Verifier(KPAK).verify(M, SIG[:64] + OFF_CURVE, ID),
                        "RFC 6507 5.2.2 step 1"),
    "verify_trace": (lambda: eccsi.verify_trace(M, SIG[:64] + OFF_CURVE, identity=ID,
                                                kpak=KPAK), "RFC 6507 5.2.2 step 1"),
}


@pytest.mark.parametrize("name", sorted(PVT_REFUSED))
def test_a_pvt_off_the_curve_is_refused_naming_pvt_and_its_step(name: str) -> None:
    """RFC 6507 5.1.2 step 1 (signer) and 5.2.2 step 1 (verifier): PVT is a P-256 point."""
    call, clause = PVT_REFUSED[name]
    _refused(call, "P-256 PVT:", clause)


@pytest.mark.parametrize("ssk", [0, Q, True, "1"], ids=["zero", "q", "bool", "text"])
def test_an_ssk_outside_1_to_q_minus_1_is_refused_as_received(ssk: object) -> None:
    """RFC 6507 5.1.1 steps 4-5: a KMS issues SSK in [1, q-1]; anything else (0, q, a bool, a
    string) received as SSK is a VerifyError, not a TypeError from the arithmetic."""
    for call in (lambda: eccsi.sign(M, identity=ID, ssk=ssk, pvt=PVT, kpak=KPAK),  # type: ignore[arg-type]
                 lambda: eccsi.Signer(ID, ssk, PVT, KPAK),  # type: ignore[arg-type]
                 lambda: eccsi.sign_trace(M, identity=ID, ssk=ssk, pvt=PVT, kpak=KPAK, j=J)):  # type: ignore[arg-type]
        _refused(call, "SSK:", "RFC 6507 5.1.1 steps 4-5")


def test_ssk_one_is_in_range_and_signs() -> None:
    """RFC 6507 5.1.1: 1 is a possible SSK (the range is [1, q-1]); sign() checks the range
    only (the pair's validation is 5.1.2's), so it signs and the trace agrees."""
    signature = eccsi.sign(M, identity=ID, ssk=1, pvt=PVT, kpak=KPAK, j=J)
    trace = eccsi.sign_trace(M, identity=ID, ssk=1, pvt=PVT, kpak=KPAK, j=J)
    assert signature == trace.signature


@pytest.mark.parametrize("j", [0, Q, "5"], ids=["zero", "q", "text"])
def test_an_ephemeral_j_outside_1_to_q_minus_1_is_a_usage_error(j: object) -> None:
    """RFC 6507 5.2.1 step 1: j is chosen in F_q*, so a caller's j of 0, q or a string is its
    own mistake, named with the step."""
    signer = eccsi.Signer(ID, SSK, PVT, KPAK)
    for call in (lambda: eccsi.sign(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=j),  # type: ignore[arg-type]
                 lambda: signer.sign(M, j=j),  # type: ignore[arg-type]
                 lambda: eccsi.sign_trace(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=j)):  # type: ignore[arg-type]
        _misuse(call, "j", "RFC 6507 5.2.1 step 1")


def test_a_scalar_of_the_wrong_type_is_named_with_its_type() -> None:
    """A caller's scalar must be an int: the error says which type it got."""
    with pytest.raises(UsageError, match=r"^j: expected an integer, got str \(RFC 6507 5\.2\.1"):
        eccsi.sign(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j="5")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^KSAK: expected an integer, got bool"):
        eccsi.kms_keypair(True)


@pytest.mark.parametrize("ksak", [0, Q])
def test_a_ksak_outside_1_to_q_minus_1_is_a_usage_error(ksak: int) -> None:
    """RFC 6507 4.2: KSAK is a non-zero element of F_q."""
    _misuse(lambda: eccsi.kms_keypair(ksak), "KSAK", "RFC 6507 4.2")
    _misuse(lambda: eccsi.Kms(ksak), "KSAK", "RFC 6507 4.2")


def test_a_given_v_outside_1_to_q_minus_1_is_a_usage_error() -> None:
    """RFC 6507 5.1.1 step 1: v is a non-zero element of F_q."""
    _misuse(lambda: eccsi.issue_ssk(KSAK, KPAK, ID, 0), "v", "RFC 6507 5.1.1 step 1")
    _misuse(lambda: eccsi.Kms(KSAK).issue_ssk(ID, Q), "v", "RFC 6507 5.1.1 step 1")


def test_a_kpak_not_matching_the_ksak_is_a_usage_error() -> None:
    """RFC 6507 4.2: KPAK = [KSAK]G; a KMS given another KPAK issues nothing."""
    other = eccsi.kms_keypair(KSAK + 1)[1]
    _misuse(lambda: eccsi.Kms(KSAK, other), "KPAK", "RFC 6507 4.2")
    _misuse(lambda: eccsi.issue_ssk(KSAK, other, ID, V), "KPAK", "RFC 6507 4.2")


def test_random_keys_are_consistent() -> None:
    """RFC 6507 4.2: without a given KSAK the KMS draws one; KPAK is [KSAK]G either way."""
    ksak, kpak = eccsi.kms_keypair()
    assert 0 < ksak.reveal() < Q
    assert kpak == eccsi.kms_keypair(ksak)[1]
    kms = eccsi.Kms()
    assert kms.kpak == eccsi.kms_keypair(kms.ksak)[1]
    ssk, pvt = kms.issue_ssk(ID)
    eccsi.validate_ssk(kms.kpak, ID, ssk, pvt)


def test_a_j_giving_he_plus_r_ssk_zero_is_refused_at_step_4() -> None:
    """RFC 6507 5.2.1 step 4: HE + r*SSK = 0 mod q gives no signature; with j given, the
    signer refuses (UsageError naming j and step 4) instead of dividing by zero.  The SSK is
    chosen as -HE/r for the r and HE that j gives (sign() checks only its range)."""
    trace = eccsi.sign_trace(M, identity=ID, ssk=1, pvt=PVT, kpak=KPAK, j=J)
    r = int.from_bytes(trace.r, "big")
    he = int.from_bytes(trace.he, "big")
    zeroing = (-he * pow(r, -1, Q)) % Q
    assert 0 < zeroing < Q
    _misuse(lambda: eccsi.sign(M, identity=ID, ssk=zeroing, pvt=PVT, kpak=KPAK, j=J),
            "j", "RFC 6507 5.2.1 step 4")
    _misuse(lambda: eccsi.sign_trace(M, identity=ID, ssk=zeroing, pvt=PVT, kpak=KPAK, j=J),
            "j", "RFC 6507 5.2.1 step 4")
    # a random j draws again instead (the probability that it hits zero again is 2^-256)
    signature = eccsi.sign(M, identity=ID, ssk=zeroing, pvt=PVT, kpak=KPAK)
    assert len(signature) == eccsi.SIGNATURE_LENGTH


@pytest.mark.parametrize("length", [0, eccsi.SIGNATURE_LENGTH - 1, eccsi.SIGNATURE_LENGTH + 1])
def test_a_signature_of_the_wrong_length_is_refused_by_rfc_6507_3_3(length: int) -> None:
    """RFC 6507 3.3: a signature is r || s || PVT, 4N + 1 = 129 octets."""
    data = (SIG * 2)[:length]
    for call in (lambda: eccsi.verify(M, data, identity=ID, kpak=KPAK),
                 lambda: eccsi.verify_trace(M, data, identity=ID, kpak=KPAK)):
        error = _refused(call, "signature:", "RFC 6507 3.3")
        assert f"got {length}" in error.reason


@pytest.mark.parametrize(("r", "s", "field", "clause"), [
    (0, 1, "signature r:", "RFC 6507 3.2, 5.2.2 step 6"),
    (P, 1, "signature r:", "RFC 6507 3.2, 5.2.2 step 6"),
    (1, 0, "signature s:", "RFC 6507 5.2.1 steps 5-6"),
    (1, Q, "signature s:", "RFC 6507 5.2.1 steps 5-6"),
])
def test_r_and_s_outside_their_ranges_are_refused_before_any_arithmetic(
        r: int, s: int, field: str, clause: str) -> None:
    """RFC 6507 5.2.2 step 6 refuses Jx = 0 (r in [1, p-1]); 5.2.1 steps 5-6 give s in
    [1, q-1]: a signature outside those is refused by its field, on every path."""
    data = _signature(r, s)
    for call in (lambda: eccsi.verify(M, data, identity=ID, kpak=KPAK),
                 lambda: eccsi.Verifier(KPAK).verify(M, data, ID),
                 lambda: eccsi.verify_trace(M, data, identity=ID, kpak=KPAK)):
        _refused(call, field, clause)


def test_r_one_and_s_one_are_in_range_and_fail_only_at_step_6() -> None:
    """r = 1 and s = 1 are inside [1, p-1] and [1, q-1]: the signature is parsed and refused
    by the equation of 5.2.2 step 6, which names the message, identity and KPAK."""
    data = _signature(1, 1)
    error = _refused(lambda: eccsi.Verifier(KPAK).verify(M, data, ID), "signature: Jx != r",
                     "RFC 6507 5.2.2 step 6")
    assert "KPAK" in error.reason and "identity" in error.reason
    assert not eccsi.verify_trace(M, data, identity=ID, kpak=KPAK).accepted


def test_a_signature_under_another_identity_is_refused_at_step_6() -> None:
    """RFC 6507 5.2.2 step 6 on the Appendix A signature checked for another identity."""
    _refused(lambda: eccsi.verify(M, SIG, identity=ID + b"x", kpak=KPAK), "signature: Jx != r",
             "RFC 6507 5.2.2 step 6")


def test_an_ssk_not_matching_kpak_and_pvt_is_refused_at_5_1_2_step_3() -> None:
    """RFC 6507 5.1.2 step 3: KPAK = [SSK]G - [HS]PVT, else the (SSK, PVT) pair is refused
    (validate_ssk, and Signer which validates on creation)."""
    for call in (lambda: eccsi.validate_ssk(KPAK, ID, SSK + 1, PVT),
                 lambda: eccsi.Signer(ID, SSK + 1, PVT, KPAK),
                 lambda: eccsi.validate_ssk(KPAK, ID + b"x", SSK, PVT)):
        _refused(call, "SSK: KPAK != [SSK]G - [HS]PVT", "RFC 6507 5.1.2 step 3")
    eccsi.Signer(ID, SSK + 1, PVT, KPAK, validate=False)  # the caller's explicit choice


def test_kms_and_signer_keys_refuse_pickling_by_name() -> None:
    """Secrets (KSAK, SSK) never leave the process by pickle: the TypeError says why."""
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(eccsi.Kms(KSAK))
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(eccsi.Signer(ID, SSK, PVT, KPAK))


def test_trace_reprs_show_public_octets_in_hex() -> None:
    """The traces' repr lists every field by name, octets in hex, other values by repr."""
    trace = eccsi.VerifyTrace(b"\x01", b"\xab", None, b"\x04\x05", False)
    assert repr(trace) == "VerifyTrace(hs=01, he=ab, y=None, j_point=0405, accepted=False)"
    signed = eccsi.sign_trace(M, identity=ID, ssk=SSK, pvt=PVT, kpak=KPAK, j=J)
    assert repr(signed).startswith(f"SignTrace(hs={signed.hs.hex()}, j_point=")
    assert repr(signed).endswith(f", signature={SIG.hex()})")
