"""ec.py: fixed-base tables and wNAF equal the double-and-add ladder (P-256 and the SAKKE
curve); point encoding, decoding and validation errors."""

from __future__ import annotations

import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.crypto.ec import FixedBaseTable
from mckm.impl.crypto.p256 import P256
from mckm.impl.crypto.sakke_params import PARAMS
from mckm.impl.errors import VerifyError

SAKKE = PARAMS.curve
TABLES = {
    "P-256": FixedBaseTable(P256, P256.G, bits=256, window=5),
    "SAKKE-1": FixedBaseTable(SAKKE, SAKKE.G, bits=1022, window=4),
}
CURVES = {"P-256": P256, "SAKKE-1": SAKKE}
EDGE = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33]


@pytest.mark.parametrize("name", sorted(CURVES))
def test_edge_scalars(name: str) -> None:
    curve, table = CURVES[name], TABLES[name]
    order = int(curve.order)
    for k in [*EDGE, order - 1, order - 2, order + 1, order]:
        expected = curve.multiply_ladder(k, curve.G)
        assert curve.multiply(k, curve.G) == expected
        assert table.multiply(k) == expected
        assert table.multiply(-k) == curve.negate(expected)
        assert curve.jacobian_equals(table.multiply_jacobian(k), expected)


@settings(max_examples=15)
@given(name=st.sampled_from(sorted(CURVES)), data=st.data())
def test_table_and_naf_equal_ladder(name: str, data: st.DataObject) -> None:
    curve, table = CURVES[name], TABLES[name]
    k = data.draw(st.integers(min_value=0, max_value=int(curve.order) - 1))
    expected = curve.multiply_ladder(k, curve.G)
    assert curve.multiply(k, curve.G) == expected
    assert table.multiply(k) == expected


@settings(max_examples=10)
@given(name=st.sampled_from(sorted(CURVES)), data=st.data())
def test_group_law_helpers(name: str, data: st.DataObject) -> None:
    curve = CURVES[name]
    a = data.draw(st.integers(min_value=1, max_value=int(curve.order) - 1))
    b = data.draw(st.integers(min_value=1, max_value=int(curve.order) - 1))
    pa, pb = curve.multiply(a, curve.G), curve.multiply(b, curve.G)
    expected = curve.multiply(a + b, curve.G)
    assert curve.add(pa, pb) == expected
    assert curve.sum_of_products([(a, curve.G), (b, curve.G)]) == expected
    assert pa is not None and pb is not None
    jac = curve.add_jacobian((pa[0], pa[1], mpz(1)), (pb[0], pb[1], mpz(1)))
    assert curve.to_affine(jac) == expected
    assert curve.jacobian_equals(jac, expected)
    assert not curve.jacobian_equals(jac, pa) or a % int(curve.order) == (a + b) % int(curve.order)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_encode_decode_round_trip_and_errors(name: str) -> None:
    curve = CURVES[name]
    point = curve.multiply(12345, curve.G)
    data = curve.encode_point(point)
    assert len(data) == 1 + 2 * curve.coord_bytes
    assert curve.decode_point(data) == point
    with pytest.raises(VerifyError, match="expected"):
        curve.decode_point(data[:-1])
    with pytest.raises(VerifyError, match="0x04"):
        curve.decode_point(b"\x03" + data[1:])
    off = bytearray(data)
    off[-1] ^= 1
    with pytest.raises(VerifyError, match="not a point on the curve"):
        curve.decode_point(bytes(off))
    n = curve.coord_bytes
    too_big = b"\x04" + int(curve.p).to_bytes(n, "big") + data[1 + n :]
    with pytest.raises(VerifyError, match="not a point on the curve"):
        curve.decode_point(too_big)
    with pytest.raises(VerifyError, match="infinity"):
        curve.encode_point(None)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_check_scalar(name: str) -> None:
    curve = CURVES[name]
    assert curve.check_scalar(1, "k") == 1
    assert curve.check_scalar(0, "k", allow_zero=True) == 0
    for bad in (0, -1, int(curve.order)):
        with pytest.raises(VerifyError, match="out of range"):
            curve.check_scalar(bad, "k")


def test_table_refuses_off_curve_base() -> None:
    with pytest.raises(VerifyError, match="not a point on the curve"):
        FixedBaseTable(P256, (mpz(1), mpz(1)), bits=256)
