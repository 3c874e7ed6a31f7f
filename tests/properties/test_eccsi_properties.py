"""Properties of ECCSI (RFC 6507) and of the P-256 fast paths it runs on.

* ``p256`` tables, interleaved NAF and Jacobian comparisons equal ``ec.Curve``'s plain
  double-and-add (``multiply_ladder``), including the degenerate sums (P + P, P - P) that the
  inlined formulas must hand to their special cases;
* sign / verify round trips over random identities and messages; the fast signature equals the
  step-by-step RFC procedure; any single-bit change of message or signature is refused, by a
  new verifier and by one that has the signer cached;
* malformed input is refused with an error naming the value (off-curve points, r, s and SSK out
  of range, wrong lengths), and the RFC's retry conditions are honoured;
* secrets never appear in a repr, str, log record or error message.
"""

from __future__ import annotations

import logging
import pickle

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mckm.impl.crypto import eccsi, p256
from mckm.impl.crypto.p256 import P256, FixedBaseTable
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret

Q = int(P256.order)
P = int(P256.p)
G = P256.G

scalars = st.one_of(st.integers(1, Q - 1), st.sampled_from([1, 2, 3, Q - 1, Q - 2, Q // 2]))
any_scalars = st.one_of(scalars, st.sampled_from([0, Q, Q + 1, 2**256 - 1, -1, -Q + 1]))
identities = st.binary(min_size=0, max_size=64)
messages = st.binary(min_size=0, max_size=300)


def _point(k: int) -> tuple[object, object]:
    point = P256.multiply_ladder(k, G)
    assert point is not None
    return point


# -- P-256 fast paths against the reference ---------------------------------------------------


@settings(max_examples=25)
@given(k=any_scalars, base=scalars, window=st.integers(2, 6))
def test_table_equals_ladder(k: int, base: int, window: int) -> None:
    point = _point(base)
    table = FixedBaseTable(point, window=window)
    assert table.multiply(k) == P256.multiply_ladder(k % Q, point)


@settings(max_examples=40)
@given(k=any_scalars)
def test_g_table_equals_ladder(k: int) -> None:
    assert p256.multiply_g(k) == P256.multiply_ladder(k % Q, G)


@settings(max_examples=25)
@given(k1=any_scalars, k2=any_scalars, k3=any_scalars, b1=scalars, b2=scalars)
def test_multiply_sum_equals_reference(k1: int, k2: int, k3: int, b1: int, b2: int) -> None:
    p1, p2 = _point(b1), _point(b2)
    expected = P256.add(P256.add(P256.multiply_ladder(k1 % Q, p1),
                                 P256.multiply_ladder(k2 % Q, p2)),
                        P256.multiply_ladder(k3 % Q, G))
    jac = p256.multiply_sum(variable=[(k1, p1), (k2, p2)], tables=[(k3, p256.g_table())])
    assert p256.to_affine(jac) == expected
    if expected is None:
        assert not p256.jacobian_x_equals(jac, 0)
    else:
        assert p256.jacobian_equals(jac, expected)
        assert p256.jacobian_x_equals(jac, int(expected[0]))
        assert not p256.jacobian_x_equals(jac, int(expected[0]) + 1)
        assert not p256.jacobian_equals(jac, (expected[0], P - expected[1]))


@settings(max_examples=15)
@given(k=scalars, base=scalars)
def test_degenerate_sums_take_the_special_cases(k: int, base: int) -> None:
    point = _point(base)
    table = FixedBaseTable(point, window=4)
    twice = P256.multiply_ladder(2 * k % Q, point)
    # P - P = infinity and P + P = [2]P, in the NAF loop and in the table loop
    assert p256.to_affine(p256.multiply_sum(variable=[(k, point), (Q - k, point)])) is None
    assert p256.to_affine(p256.multiply_sum(variable=[(k, point), (k, point)])) == twice
    assert p256.to_affine(p256.multiply_sum(variable=[(k, point)], tables=[(Q - k, table)])) is None
    assert p256.to_affine(p256.multiply_sum(variable=[(k, point)], tables=[(k, table)])) == twice
    assert p256.to_affine(p256.multiply_sum(tables=[(k, table), (k, table)])) == twice


def test_table_refuses_a_point_off_the_curve() -> None:
    with pytest.raises(ValueError, match="not a point on P-256"):
        FixedBaseTable((G[0], G[1] + 1), window=4)


# -- ECCSI round trips --------------------------------------------------------------------------

KMS = eccsi.Kms(0x5EED_0F_EC_C5_1)


def _signer(identity: bytes) -> eccsi.Signer:
    ssk, pvt = KMS.issue_ssk(identity)
    return eccsi.Signer(identity, ssk, pvt, KMS.kpak)


@settings(max_examples=30)
@given(identity=identities, message=messages)
def test_sign_verify_round_trip(identity: bytes, message: bytes) -> None:
    """REQ-ECCSI-04, REQ-ECCSI-05: a signature of 129 octets made for any identity and message is
    accepted.
    """
    signature = _signer(identity).sign(message)
    assert len(signature) == eccsi.SIGNATURE_LENGTH
    eccsi.verify(message, signature, identity=identity, kpak=KMS.kpak)
    assert eccsi.Verifier(KMS.kpak).is_valid(message, signature, identity)


@settings(max_examples=6)
@given(ksak=scalars, v=scalars, j=scalars, identity=identities, message=messages)
def test_fast_paths_equal_the_traced_procedures(
    ksak: int, v: int, j: int, identity: bytes, message: bytes
) -> None:
    """REQ-ECCSI-02, REQ-ECCSI-04: random KSAK, v and j give PVT = [v]G, SSK = KSAK + HS·v and the
    signature of the step-by-step 5.2.1 procedure.
    """
    secret_ksak, kpak = eccsi.kms_keypair(ksak)
    assert kpak == P256.encode_point(P256.multiply_ladder(ksak, G))
    ssk, pvt = eccsi.issue_ssk(secret_ksak, kpak, identity, v=v)
    assert pvt == P256.encode_point(P256.multiply_ladder(v, G))
    assert ssk.reveal() == (ksak + int.from_bytes(eccsi.hs(kpak, identity, pvt), "big") * v) % Q
    eccsi.validate_ssk(kpak, identity, ssk, pvt)
    try:
        trace = eccsi.sign_trace(message, identity=identity, ssk=ssk, pvt=pvt, kpak=kpak, j=j)
    except UsageError:  # j hit the retry condition of 5.2.1 step 4 (negligible odds)
        return
    assert eccsi.sign(message, identity=identity, ssk=ssk, pvt=pvt, kpak=kpak, j=j) == (
        trace.signature)
    assert eccsi.verify_trace(message, trace.signature, identity=identity, kpak=kpak).accepted
    eccsi.Verifier(kpak).verify(message, trace.signature, identity)


SIGNER = _signer(b"bit flips")
FLIP_MESSAGE = b"a message of some length, to flip its bits one at a time"
FLIP_SIGNATURE = SIGNER.sign(FLIP_MESSAGE)
WARM = eccsi.Verifier(KMS.kpak, y_table_after=2)
for _ in range(3):  # the signer's HS, Y and Y table are now cached
    WARM.verify(FLIP_MESSAGE, FLIP_SIGNATURE, SIGNER.identity)


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


@settings(max_examples=60)
@given(bit=st.integers(0, 8 * len(FLIP_MESSAGE) - 1))
def test_any_single_bit_change_of_the_message_fails(bit: int) -> None:
    """REQ-ECCSI-05: any single-bit change of the message is refused (Jx != r)."""
    message = _flip(FLIP_MESSAGE, bit)
    for verifier in (WARM, eccsi.Verifier(KMS.kpak)):
        with pytest.raises(VerifyError, match="Jx != r"):
            verifier.verify(message, FLIP_SIGNATURE, SIGNER.identity)


@settings(max_examples=120)
@given(bit=st.integers(0, 8 * eccsi.SIGNATURE_LENGTH - 1))
def test_any_single_bit_change_of_the_signature_fails(bit: int) -> None:
    signature = _flip(FLIP_SIGNATURE, bit)
    for verifier in (WARM, eccsi.Verifier(KMS.kpak)):
        with pytest.raises(VerifyError):
            verifier.verify(FLIP_MESSAGE, signature, SIGNER.identity)
    WARM.verify(FLIP_MESSAGE, FLIP_SIGNATURE, SIGNER.identity)  # the cache is intact


@settings(max_examples=10)
@given(script=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=12))
def test_cache_never_changes_an_outcome(script: list[tuple[int, bool]]) -> None:
    signers = [_signer(bytes([n]) * 32) for n in range(3)]
    cached = eccsi.Verifier(KMS.kpak, cache_size=2, y_table_after=2, kpak_table_after=3)
    for index, tamper in script:
        signer = signers[index]
        message = b"script"
        signature = signer.sign(message)
        if tamper:
            signature = _flip(signature, 8 * 40)  # a bit of s
        expected = eccsi.verify_trace(message, signature, identity=signer.identity,
                                      kpak=KMS.kpak).accepted
        assert cached.is_valid(message, signature, signer.identity) is expected
        assert expected is not tamper
    assert cached.cached_signers() <= 2


# -- refusals ------------------------------------------------------------------------------------


@settings(max_examples=30)
@given(x=st.integers(0, 2**256 - 1), y=st.integers(0, 2**256 - 1))
def test_points_off_the_curve_are_refused(x: int, y: int) -> None:
    """REQ-ECCSI-03, REQ-ECCSI-05: a PVT off the curve is refused by validation (5.1.2 step 1) and
    by verification (5.2.2 step 1).
    """
    assume(not P256.is_on_curve((x, y)))
    point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    signature = FLIP_SIGNATURE[:64] + point
    with pytest.raises(VerifyError, match=r"PVT: not a point on the curve \(RFC 6507 5\.2\.2"):
        eccsi.verify(FLIP_MESSAGE, signature, identity=SIGNER.identity, kpak=KMS.kpak)
    with pytest.raises(VerifyError, match=r"PVT: .*5\.1\.2 step 1"):
        eccsi.validate_ssk(KMS.kpak, SIGNER.identity, 1, point)
    with pytest.raises(VerifyError, match=r"KPAK: .*4\.2"):
        eccsi.Verifier(point)
    with pytest.raises(VerifyError, match="KPAK"):
        eccsi.verify(FLIP_MESSAGE, FLIP_SIGNATURE, identity=SIGNER.identity, kpak=point)
    assert not eccsi.is_valid(FLIP_MESSAGE, signature, identity=SIGNER.identity, kpak=KMS.kpak)


@pytest.mark.parametrize("r", [0, P, P + 1, 2**256 - 1])
def test_r_out_of_range_is_refused(r: int) -> None:
    """REQ-ECCSI-07: r outside [1, p-1] is refused, naming r."""
    signature = r.to_bytes(32, "big") + FLIP_SIGNATURE[32:]
    with pytest.raises(VerifyError, match=r"signature r: not in \[1, p-1\]"):
        eccsi.verify(FLIP_MESSAGE, signature, identity=SIGNER.identity, kpak=KMS.kpak)


@pytest.mark.parametrize("s", [0, Q, Q + 1, 2**256 - 1])
def test_s_out_of_range_is_refused(s: int) -> None:
    """REQ-ECCSI-07: s outside [1, q-1] is refused, naming s."""
    signature = FLIP_SIGNATURE[:32] + s.to_bytes(32, "big") + FLIP_SIGNATURE[64:]
    with pytest.raises(VerifyError, match=r"signature s: not in \[1, q-1\]"):
        eccsi.verify(FLIP_MESSAGE, signature, identity=SIGNER.identity, kpak=KMS.kpak)


def test_s_plus_q_is_refused_though_it_gives_the_same_j() -> None:
    """REQ-ECCSI-07: s + q is refused though it would verify; q - s still verifies (RFC 6507 6)."""
    s = int.from_bytes(FLIP_SIGNATURE[32:64], "big")
    assume_fits = s + Q < 2**256
    if assume_fits:
        forged = FLIP_SIGNATURE[:32] + (s + Q).to_bytes(32, "big") + FLIP_SIGNATURE[64:]
        with pytest.raises(VerifyError, match="signature s"):
            eccsi.verify(FLIP_MESSAGE, forged, identity=SIGNER.identity, kpak=KMS.kpak)
    negated = FLIP_SIGNATURE[:32] + (Q - s).to_bytes(32, "big") + FLIP_SIGNATURE[64:]
    eccsi.verify(FLIP_MESSAGE, negated, identity=SIGNER.identity, kpak=KMS.kpak)  # RFC 6507 6


@pytest.mark.parametrize(("r", "s"), [(0, 1), (P, 1), (1, 0), (1, Q), (2**256 - 1, 2**256 - 1)])
def test_r_and_s_are_refused_before_any_curve_arithmetic(
    r: int, s: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQ-ECCSI-07: r or s out of range is refused before the PVT is decoded or any point is
    multiplied: with an off-curve PVT and the curve arithmetic made to fail, the error names
    r or s."""
    verifier = eccsi.Verifier(KMS.kpak)

    def no_arithmetic(*args: object, **kwargs: object) -> object:
        raise AssertionError("curve arithmetic reached")

    monkeypatch.setattr(p256, "multiply_sum", no_arithmetic)
    monkeypatch.setattr(p256, "jacobian_x_equals", no_arithmetic)
    monkeypatch.setattr(eccsi, "_decode", no_arithmetic)
    off_curve = b"\x04" + bytes(63) + b"\x01"
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + off_curve
    with pytest.raises(VerifyError, match=r"signature [rs]: not in \[1, [pq]-1\]"):
        verifier.verify(FLIP_MESSAGE, signature, SIGNER.identity)


@pytest.mark.parametrize("length", [0, 64, 128, 130, 200])
def test_wrong_signature_length_is_refused(length: int) -> None:
    """REQ-ECCSI-06: a signature of any length other than 129 octets is refused."""
    signature = (FLIP_SIGNATURE * 2)[:length]
    with pytest.raises(VerifyError, match=f"expected 129 octets .* got {length}"):
        eccsi.verify(FLIP_MESSAGE, signature, identity=SIGNER.identity, kpak=KMS.kpak)


def test_compressed_or_truncated_pvt_is_refused() -> None:
    """REQ-ECCSI-06: a PVT that is not 0x04 || x || y of 65 octets is refused."""
    compressed = FLIP_SIGNATURE[:64] + b"\x02" + FLIP_SIGNATURE[65:]
    with pytest.raises(VerifyError, match="first octet must be 0x04"):
        eccsi.verify(FLIP_MESSAGE, compressed, identity=SIGNER.identity, kpak=KMS.kpak)
    with pytest.raises(VerifyError, match="PVT: expected 65 octets"):
        eccsi.validate_ssk(KMS.kpak, SIGNER.identity, 1, SIGNER.pvt[:-1])


@pytest.mark.parametrize("ssk", [0, Q, Q + 5, -1, 2**256])
def test_ssk_out_of_range_is_refused(ssk: int) -> None:
    """REQ-ECCSI-03: a received SSK outside [1, q-1] is refused."""
    with pytest.raises(VerifyError, match=r"SSK: not an integer in \[1, q-1\]"):
        eccsi.validate_ssk(KMS.kpak, SIGNER.identity, ssk, SIGNER.pvt)
    with pytest.raises(VerifyError, match="SSK"):
        eccsi.Signer(SIGNER.identity, ssk, SIGNER.pvt, KMS.kpak)
    with pytest.raises(VerifyError, match="SSK"):
        eccsi.sign(b"m", identity=SIGNER.identity, ssk=ssk, pvt=SIGNER.pvt, kpak=KMS.kpak)


def test_a_wrong_ssk_is_refused_by_validation() -> None:
    """REQ-ECCSI-03: an SSK with KPAK != [SSK]G - [HS]PVT is refused."""
    ssk, pvt = KMS.issue_ssk(b"someone")
    with pytest.raises(VerifyError, match="KPAK != "):
        eccsi.Signer(b"someone", ssk.reveal() % (Q - 1) + 1, pvt, KMS.kpak)


@pytest.mark.parametrize("bad", [0, Q, Q + 1, -5])
def test_local_scalars_out_of_range_are_usage_errors(bad: int) -> None:
    """REQ-ECCSI-02, REQ-ECCSI-04: a caller's KSAK, v or j out of [1, q-1] is refused (UsageError).
    """
    with pytest.raises(UsageError, match="KSAK"):
        eccsi.kms_keypair(bad)
    with pytest.raises(UsageError, match="v: not in"):
        KMS.issue_ssk(b"x", v=bad)
    with pytest.raises(UsageError, match="j: not in"):
        SIGNER.sign(b"x", j=bad)


def test_issue_refuses_a_kpak_of_another_ksak() -> None:
    with pytest.raises(UsageError, match="not \\[KSAK\\]G"):
        eccsi.issue_ssk(KMS.ksak, eccsi.kms_keypair(7)[1], b"x")


# -- retry conditions (RFC 6507 5.1.1 step 5, 5.2.1 step 4) ----------------------------------------


def test_sign_retries_when_he_plus_r_ssk_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """REQ-ECCSI-04: HE + r·SSK = 0 mod q: the caller's j is refused, a random j is drawn again."""
    j_bad, j_good, message = 0xBAD, 0x600D, b"retry"
    jx = p256.multiply_g(j_bad)
    assert jx is not None
    r = int(jx[0])
    he_bad = int.from_bytes(eccsi.he(SIGNER.hs, r.to_bytes(32, "big"), message), "big")
    ssk = -he_bad * pow(r, -1, Q) % Q  # HE + r * SSK = 0 mod q for this j
    signer = eccsi.Signer(SIGNER.identity, ssk, SIGNER.pvt, KMS.kpak, validate=False)
    with pytest.raises(UsageError, match=r"5\.2\.1 step 4"):
        signer.sign(message, j=j_bad)
    draws = iter([j_bad, j_good])
    monkeypatch.setattr(eccsi, "_random_scalar", lambda: next(draws))
    assert signer.sign(message) == signer.sign(message, j=j_good)


def test_issue_retries_when_hs_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """REQ-ECCSI-02: HS = 0 mod q: the caller's v is refused, a random v is drawn again."""
    expected = KMS.issue_ssk(b"id", v=0x600D)
    real_hs = eccsi.hs
    calls: list[int] = []

    def hs_zero_first(kpak: bytes, identity: bytes, pvt: bytes) -> bytes:
        calls.append(1)
        return bytes(32) if len(calls) == 1 else real_hs(kpak, identity, pvt)

    monkeypatch.setattr(eccsi, "hs", hs_zero_first)
    with pytest.raises(UsageError, match=r"5\.1\.1 step 5"):
        KMS.issue_ssk(b"id", v=0xBAD)
    calls.clear()
    draws = iter([0xBAD, 0x600D])
    monkeypatch.setattr(eccsi, "_random_scalar", lambda: next(draws))
    assert KMS.issue_ssk(b"id") == expected


def test_issue_retries_when_ssk_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """REQ-ECCSI-02: SSK = KSAK + HS·v = 0 mod q (HS made so for v = 0xBAD): the caller's v is
    refused, a random v is drawn again."""
    expected = KMS.issue_ssk(b"id", v=0x600D)
    v_bad = 0xBAD
    hs_for_zero = (-KMS.ksak.reveal() * pow(v_bad, -1, Q)) % Q
    real_hs = eccsi.hs
    calls: list[int] = []

    def hs_zero_ssk_first(kpak: bytes, identity: bytes, pvt: bytes) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            return hs_for_zero.to_bytes(32, "big")
        return real_hs(kpak, identity, pvt)

    monkeypatch.setattr(eccsi, "hs", hs_zero_ssk_first)
    with pytest.raises(UsageError, match=r"SSK = 0 .*5\.1\.1 step 5"):
        KMS.issue_ssk(b"id", v=v_bad)
    calls.clear()
    draws = iter([v_bad, 0x600D])
    monkeypatch.setattr(eccsi, "_random_scalar", lambda: next(draws))
    assert KMS.issue_ssk(b"id") == expected


# -- secrets stay secret -------------------------------------------------------------------------


def _forms(value: int) -> list[str]:
    return [str(value), f"{value:x}", f"{value:X}", f"{value:064x}"]


def test_secrets_never_appear_in_repr_str_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """REQ-ECCSI-08: KSAK, SSK and j appear in no repr, str, log record or error message."""
    caplog.set_level(logging.DEBUG)
    ksak = 0x1F2E3D4C5B6A79881726354453627180
    kms = eccsi.Kms(ksak)
    ssk, pvt = kms.issue_ssk(b"alice")
    signer = eccsi.Signer(b"alice", ssk, pvt, kms.kpak)
    j = 0xA1B2C3D4E5F60718293A4B5C6D7E8F90
    signature = signer.sign(b"hello", j=j)
    trace = eccsi.sign_trace(b"hello", identity=b"alice", ssk=ssk, pvt=pvt, kpak=kms.kpak, j=j)
    verifier = eccsi.Verifier(kms.kpak)
    verifier.verify(b"hello", signature, b"alice")
    texts = [repr(kms), str(kms), repr(signer), str(signer), repr(ssk), str(ssk),
             f"{ssk}", repr(kms.ksak), repr(trace), str(trace), repr(verifier)]
    for call in (lambda: eccsi.Signer(b"bob", ssk, pvt, kms.kpak),
                 lambda: eccsi.validate_ssk(kms.kpak, b"alice", ssk.reveal() + Q, pvt),
                 lambda: signer.sign(b"x", j=j + Q),
                 lambda: kms.issue_ssk(b"x", v=Q + ksak)):
        with pytest.raises((VerifyError, UsageError)) as info:
            call()
        texts.append(str(info.value))
    texts.extend(record.getMessage() for record in caplog.records)
    joined = "\n".join(texts)
    for secret in (ksak, ssk.reveal(), j):
        for form in _forms(secret):
            assert form not in joined
    assert "redacted" in repr(signer) and "redacted" in repr(kms)


def test_the_callers_v_never_appears(caplog: pytest.LogCaptureFixture) -> None:
    """REQ-ECCSI-08: a v given to issue_ssk appears in no repr, str, log record or error
    message, whether it is used or refused."""
    caplog.set_level(logging.DEBUG)
    v = 0x5A5A_1234_ABCD_EF01_2345_6789_9876_5432
    ssk, pvt = KMS.issue_ssk(b"dave", v=Secret(v))
    texts = [repr(ssk), str(ssk), f"{ssk}", repr(KMS), pvt.hex(),
             repr(eccsi.Signer(b"dave", ssk, pvt, KMS.kpak))]
    for bad in (v + Q, Secret(v + 2 * Q)):
        with pytest.raises(UsageError) as info:
            KMS.issue_ssk(b"dave", v=bad)
        texts.append(str(info.value))
    texts.extend(record.getMessage() for record in caplog.records)
    joined = "\n".join(texts)
    for secret in (v, v + Q, v + 2 * Q):
        for form in _forms(secret):
            assert form not in joined


def test_key_holders_refuse_pickling() -> None:
    for holder in (KMS, SIGNER, Secret(1)):
        with pytest.raises(TypeError):
            pickle.dumps(holder)
