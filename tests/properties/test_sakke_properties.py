"""SAKKE (RFC 6508) properties on random keys and identities: round trips, the fast paths equal
the reference ones, malformed and off-curve input is refused, secrets stay out of reprs."""

from __future__ import annotations

import logging

import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto import fp2, pairing, sakke
from mckm.impl.crypto.sakke_params import PARAMS
from mckm.impl.errors import UsageError, VerifyError

CURVE = PARAMS.curve
Q = int(PARAMS.q)
Z_SECRET = 0x1234567890ABCDEF1234567890ABCDEF
_, Z_PUB = sakke.kms_master_key(Z_SECRET)

identities = st.binary(min_size=1, max_size=48)
ssvs = st.binary(min_size=16, max_size=16)
scalars = st.integers(min_value=1, max_value=Q - 1)


@settings(max_examples=6)
@given(identity=identities, ssv=ssvs)
def test_encapsulate_derive_round_trip(identity: bytes, ssv: bytes) -> None:
    """REQ-SAKKE-05, REQ-SAKKE-06: for random identities and SSVs the 273-octet Encapsulated
    Data derives back the SSV on every path.
    """
    rsk = sakke.issue_rsk(Z_SECRET, identity)
    sed = sakke.encapsulate(ssv, identity=identity, z_pub=Z_PUB)
    assert len(sed) == 273
    assert sakke.derive(sed, identity=identity, rsk=rsk, z_pub=Z_PUB) == ssv
    assert sakke.EncapsulationTarget(identity, Z_PUB).encapsulate(ssv) == sed
    assert sakke.Receiver(identity, rsk, Z_PUB).derive(sed) == ssv


@settings(max_examples=3)
@given(a=scalars, b=scalars)
def test_pairing_paths_agree_and_are_symmetric(a: int, b: int) -> None:
    """REQ-SAKKE-08: the fast pairings equal the RFC's Miller loop, and the pairing is bilinear."""
    x, y = CURVE.multiply(a, PARAMS.P), CURVE.multiply(b, PARAMS.P)
    assert x is not None and y is not None
    value = pairing.pairing_reference(x, y)
    assert pairing.pairing(x, y) == value
    assert pairing.pairing(y, x) == value
    assert pairing.MillerLines(y).evaluate(x) == value
    assert value == fp2.pf_power(PARAMS.g, a * b % Q, PARAMS.p)  # bilinearity


@settings(max_examples=10)
@given(e=st.integers(min_value=0, max_value=Q - 1))
def test_g_table_equals_plain_power(e: int) -> None:
    assert sakke.g_table().power(e) == fp2.pf_power(PARAMS.g, e, PARAMS.p)


@settings(max_examples=4)
@given(identity=identities, ssv=ssvs, flip=st.integers(min_value=0, max_value=272 * 8 - 1))
def test_altered_encapsulated_data_is_refused(identity: bytes, ssv: bytes, flip: int) -> None:
    """REQ-SAKKE-06: any single-bit change of the Encapsulated Data is refused (VerifyError)."""
    rsk = sakke.issue_rsk(Z_SECRET, identity)
    sed = bytearray(sakke.encapsulate(ssv, identity=identity, z_pub=Z_PUB))
    sed[1 + flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(VerifyError):
        sakke.derive(bytes(sed), identity=identity, rsk=rsk, z_pub=Z_PUB)


@settings(max_examples=20)
@given(x=st.integers(min_value=0, max_value=int(PARAMS.p) - 1),
       y=st.integers(min_value=0, max_value=int(PARAMS.p) - 1))
def test_off_curve_points_are_refused(x: int, y: int) -> None:
    """REQ-SAKKE-07: off-curve R, RSK and Z are refused."""
    point = (mpz(x), mpz(y))
    if CURVE.is_on_curve(point):
        return
    encoded = CURVE.encode_point(point)
    rsk = sakke.issue_rsk(Z_SECRET, b"alice")
    with pytest.raises(VerifyError, match="not a point on the curve"):
        sakke.derive(encoded + bytes(16), identity=b"alice", rsk=rsk, z_pub=Z_PUB)
    with pytest.raises(VerifyError, match="not a point on the curve"):
        sakke.validate_rsk(Z_PUB, b"alice", encoded)
    with pytest.raises(VerifyError, match="not a point on the curve"):
        sakke.encapsulate(bytes(16), identity=b"alice", z_pub=encoded)


@settings(max_examples=10)
@given(z=st.one_of(st.integers(max_value=1), st.integers(min_value=Q)))
def test_out_of_range_master_secret_is_refused(z: int) -> None:
    """REQ-SAKKE-02: z outside [2, q - 1] is refused (UsageError)."""
    with pytest.raises(UsageError, match="out of range"):
        sakke.kms_master_key(z)
    with pytest.raises(UsageError, match="out of range"):
        sakke.issue_rsk(z, b"alice")


def test_malformed_inputs_are_refused_with_a_reason() -> None:
    """REQ-SAKKE-05, REQ-SAKKE-06, REQ-SAKKE-07: wrong lengths, prefix, an SSV that is not 16
    octets, a wrong RSK, and points outside the order-q subgroup are refused.
    """
    rsk = sakke.issue_rsk(Z_SECRET, b"alice")
    sed = sakke.encapsulate(bytes(16), identity=b"alice", z_pub=Z_PUB)
    with pytest.raises(VerifyError, match="273 octets"):
        sakke.derive(sed[:-1], identity=b"alice", rsk=rsk, z_pub=Z_PUB)
    with pytest.raises(VerifyError, match="0x04"):
        sakke.derive(b"\x02" + sed[1:], identity=b"alice", rsk=rsk, z_pub=Z_PUB)
    with pytest.raises(UsageError, match="16 octets"):
        sakke.encapsulate(bytes(15), identity=b"alice", z_pub=Z_PUB)
    with pytest.raises(UsageError, match="identity"):
        sakke.encapsulate(bytes(16), identity=b"", z_pub=Z_PUB)
    with pytest.raises(VerifyError, match=r"6\.1\.2"):
        sakke.Receiver(b"bob", rsk, Z_PUB)
    with pytest.raises(VerifyError, match=r"6\.2\.2"):
        sakke.derive(sed, identity=b"alice", rsk=sakke.issue_rsk(Z_SECRET + 1, b"alice"),
                     z_pub=Z_PUB)
    # a point of order 2 is on the curve but outside E(F_p)[q]
    order_two = CURVE.encode_point((mpz(0), mpz(0)))
    with pytest.raises(VerifyError):
        sakke.derive(order_two + bytes(16), identity=b"alice", rsk=rsk, z_pub=Z_PUB)
    with pytest.raises(VerifyError):
        sakke.Receiver(b"alice", rsk, Z_PUB).derive(order_two + bytes(16))
    with pytest.raises(VerifyError, match="order q"):
        sakke.encapsulate(bytes(16), identity=b"alice", z_pub=order_two)


def test_hash_to_integer_range_block_count() -> None:
    # l = ceil(lg(n)/256): one SHA-256 block for n = 2^256, two for 2^256 + 1 (RFC 6508 5.1)
    """REQ-SAKKE-01: l = ceil(lg(n)/256) blocks of output, reduced modulo n."""
    one = sakke.hash_to_integer_range(b"x", 1 << 256)
    two = sakke.hash_to_integer_range(b"x", (1 << 256) + 1)
    assert one < 1 << 256 and one != two
    assert sakke.hash_to_integer_range(b"x", 1) == 0
    with pytest.raises(UsageError):
        sakke.hash_to_integer_range(b"x", 0)


def test_secrets_stay_out_of_reprs_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    """REQ-SAKKE-09: z, the RSK, the SSV, r and g^r appear in no repr, str or log."""
    caplog.set_level(logging.DEBUG)
    ssv = bytes.fromhex("00112233445566778899aabbccddeeff")
    z, z_pub = sakke.kms_master_key(Z_SECRET)
    rsk = sakke.issue_rsk(Z_SECRET, b"carol")
    trace = sakke.encapsulate_trace(ssv, identity=b"carol", z_pub=z_pub)
    receiver = sakke.Receiver(b"carol", rsk, z_pub)
    receiver.derive(trace.encapsulated)
    texts = [repr(z), str(z), f"{z}", repr(trace), str(trace), repr(receiver), str(receiver),
             repr(sakke.EncapsulationTarget(b"carol", z_pub)), caplog.text]
    forbidden = [format(Z_SECRET, "x"), str(Z_SECRET), rsk.hex(), rsk[1:40].hex(), ssv.hex(),
                 format(trace.r, "x"), str(trace.r), format(trace.g_r, "x"), str(trace.mask),
                 format(trace.mask, "x")]
    for text in texts:
        for secret in forbidden:
            assert secret.lower() not in text.lower()


def test_z_plus_b_zero_mod_q_has_no_rsk() -> None:
    """REQ-SAKKE-03: an identity b with z + b = 0 mod q is refused (UsageError, 6.1.1), for b
    = q - z and for b = 2q - z."""
    for b in (Q - Z_SECRET, 2 * Q - Z_SECRET):
        with pytest.raises(UsageError, match=r"z_S \+ b = 0 mod q, .*6\.1\.1"):
            sakke.issue_rsk(Z_SECRET, b.to_bytes(128, "big"))
    sakke.issue_rsk(Z_SECRET, (Q - Z_SECRET + 1).to_bytes(128, "big"))


def _plus_p(point: bytes) -> bytes | None:
    """The same point with x (or y) written as x + p: equal modulo p, but not below p; None
    when neither fits in the 128-octet field."""
    n, p = CURVE.coord_bytes, int(PARAMS.p)
    x, y = int.from_bytes(point[1:1 + n], "big"), int.from_bytes(point[1 + n:], "big")
    if x + p < 1 << (8 * n):
        return b"\x04" + (x + p).to_bytes(n, "big") + point[1 + n:]
    if y + p < 1 << (8 * n):
        return point[:1 + n] + (y + p).to_bytes(n, "big")
    return None


def test_coordinates_of_p_or_more_are_refused_naming_the_field() -> None:
    """REQ-SAKKE-07: Z, the RSK and R with a coordinate >= p (the same point modulo p) are
    refused with a VerifyError naming the field, by every path that reads them."""
    z = next(z for z in range(Z_SECRET, Z_SECRET + 50)
             if _plus_p(sakke.kms_master_key(z)[1]) is not None)
    z_pub = sakke.kms_master_key(z)[1]
    identity = next(i for i in (b"alice%d" % n for n in range(50))
                    if _plus_p(sakke.issue_rsk(z, i)) is not None)
    rsk = sakke.issue_rsk(z, identity)
    sed = next(sed for sed in (sakke.encapsulate(bytes([n]) * 16, identity=identity, z_pub=z_pub)
                               for n in range(50)) if _plus_p(sed[:257]) is not None)
    bad_z, bad_rsk, bad_r = _plus_p(z_pub), _plus_p(rsk), _plus_p(sed[:257])
    assert bad_z is not None and bad_rsk is not None and bad_r is not None
    bad_sed = bad_r + sed[257:]
    with pytest.raises(VerifyError, match="KMS public key Z: not a point on the curve"):
        sakke.encapsulate(bytes(16), identity=identity, z_pub=bad_z)
    with pytest.raises(VerifyError, match="KMS public key Z: not a point on the curve"):
        sakke.validate_rsk(bad_z, identity, rsk)
    with pytest.raises(VerifyError, match="RSK: not a point on the curve"):
        sakke.validate_rsk(z_pub, identity, bad_rsk)
    with pytest.raises(VerifyError, match="RSK: not a point on the curve"):
        sakke.derive(sed, identity=identity, rsk=bad_rsk, z_pub=z_pub)
    with pytest.raises(VerifyError, match="RSK: not a point on the curve"):
        sakke.Receiver(identity, bad_rsk, z_pub)
    with pytest.raises(VerifyError, match=r"R_\(b,S\): not a point on the curve"):
        sakke.derive(bad_sed, identity=identity, rsk=rsk, z_pub=z_pub)
    with pytest.raises(VerifyError, match=r"R_\(b,S\): not a point on the curve"):
        sakke.Receiver(identity, rsk, z_pub).derive(bad_sed)
