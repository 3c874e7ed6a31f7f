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
    rsk = sakke.issue_rsk(Z_SECRET, identity)
    sed = sakke.encapsulate(ssv, identity=identity, z_pub=Z_PUB)
    assert len(sed) == 273
    assert sakke.derive(sed, identity=identity, rsk=rsk, z_pub=Z_PUB) == ssv
    assert sakke.EncapsulationTarget(identity, Z_PUB).encapsulate(ssv) == sed
    assert sakke.Receiver(identity, rsk, Z_PUB).derive(sed) == ssv


@settings(max_examples=3)
@given(a=scalars, b=scalars)
def test_pairing_paths_agree_and_are_symmetric(a: int, b: int) -> None:
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
    rsk = sakke.issue_rsk(Z_SECRET, identity)
    sed = bytearray(sakke.encapsulate(ssv, identity=identity, z_pub=Z_PUB))
    sed[1 + flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(VerifyError):
        sakke.derive(bytes(sed), identity=identity, rsk=rsk, z_pub=Z_PUB)


@settings(max_examples=20)
@given(x=st.integers(min_value=0, max_value=int(PARAMS.p) - 1),
       y=st.integers(min_value=0, max_value=int(PARAMS.p) - 1))
def test_off_curve_points_are_refused(x: int, y: int) -> None:
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
    with pytest.raises(UsageError, match="out of range"):
        sakke.kms_master_key(z)
    with pytest.raises(UsageError, match="out of range"):
        sakke.issue_rsk(z, b"alice")


def test_malformed_inputs_are_refused_with_a_reason() -> None:
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
    one = sakke.hash_to_integer_range(b"x", 1 << 256)
    two = sakke.hash_to_integer_range(b"x", (1 << 256) + 1)
    assert one < 1 << 256 and one != two
    assert sakke.hash_to_integer_range(b"x", 1) == 0
    with pytest.raises(UsageError):
        sakke.hash_to_integer_range(b"x", 0)


def test_secrets_stay_out_of_reprs_and_logs(caplog: pytest.LogCaptureFixture) -> None:
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
