"""SAKKE (RFC 6508, parameter set 1 of RFC 6509) refuses what a peer or a KMS sent with a
VerifyError naming the value and the clause it breaks, and a caller's own bad argument with a
UsageError naming it and the clause; the boundary values the RFC allows are accepted; the
caches (KMS public keys, the P table) keep what the module docstring promises (survivors of
``./dev mutate crypto``, impl/crypto/sakke.py)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

import pytest
from gmpy2 import mpz

from mckm.impl.crypto import sakke
from mckm.impl.crypto.sakke_params import PARAMS
from mckm.impl.errors import UsageError, VerifyError

Q = int(PARAMS.q)
CURVE = PARAMS.curve
Z_SECRET = 2
Z_PUB = sakke.kms_master_key(Z_SECRET)[1]
ID = b"2011-02\0tel:+447700900123\0"
RSK = sakke.issue_rsk(Z_SECRET, ID)
SSV = bytes(range(1, PARAMS.ssv_bytes + 1))
SED = sakke.encapsulate(SSV, identity=ID, z_pub=Z_PUB)
#: b = -z mod q: [b]P + Z is the point at infinity for this identity under Z_PUB
AT_INFINITY = (Q - Z_SECRET).to_bytes(PARAMS.coord_bytes, "big")
#: 04 || x || y with (1, 1): not on y^2 = x^3 - 3x (1 != -2 mod p)
OFF_CURVE = b"\x04" + (1).to_bytes(PARAMS.coord_bytes, "big") * 2


@pytest.fixture
def fresh_kms_cache(monkeypatch: pytest.MonkeyPatch) -> OrderedDict[bytes, object]:
    """An empty KMS public key cache for this test (the module's is restored after)."""
    cache: OrderedDict[bytes, object] = OrderedDict()
    monkeypatch.setattr(sakke, "_kms", cache)
    return cache


def _refused(call: Callable[[], object], field: str, clause: str) -> VerifyError:
    with pytest.raises(VerifyError) as info:
        call()
    assert info.value.clause == clause
    assert info.value.reason.startswith(field), info.value.reason
    return info.value


def _misuse(call: Callable[[], object], start: str, clause: str | None = None) -> None:
    with pytest.raises(UsageError) as info:
        call()
    text = str(info.value)
    assert text.startswith(start), text
    if clause is not None:  # the message ends with the clause, in parentheses
        assert text.endswith(f"{clause})"), text


POINTS_REFUSED: dict[str, tuple[Callable[[], object], str]] = {
    "encapsulate Z": (lambda: sakke.encapsulate(SSV, identity=ID, z_pub=OFF_CURVE),
                      "KMS public key Z"),
    "validate_rsk RSK": (lambda: sakke.validate_rsk(Z_PUB, ID, OFF_CURVE), "RSK"),
    "derive RSK": (lambda: sakke.derive(SED, identity=ID, rsk=OFF_CURVE, z_pub=Z_PUB), "RSK"),
    "Receiver RSK": (lambda: sakke.Receiver(ID, OFF_CURVE, Z_PUB), "RSK"),
    "derive R": (lambda: sakke.derive(OFF_CURVE + SED[-PARAMS.ssv_bytes:], identity=ID,
                                      rsk=RSK, z_pub=Z_PUB), "Encapsulated Data R_(b,S)"),
}


@pytest.mark.parametrize("name", sorted(POINTS_REFUSED))
def test_a_point_off_the_curve_is_refused_naming_it_and_section_4(name: str) -> None:
    """RFC 6508 section 4: Z, the RSK and R_(b,S) are points of E(F_p), 04 || x || y."""
    call, what = POINTS_REFUSED[name]
    _refused(call, f"{CURVE.name} {what}:", "RFC 6508 section 4")


@pytest.mark.parametrize("name", ["str", "int"])
def test_a_kms_key_that_is_not_octets_is_a_usage_error(
        name: str, fresh_kms_cache: OrderedDict[bytes, object]) -> None:
    """A caller's Z that is not an octet string is named, and the cache keeps nothing."""
    value: object = "04ab" if name == "str" else 5
    _misuse(lambda: sakke.encapsulate(SSV, identity=ID, z_pub=value),  # type: ignore[arg-type]
            "SAKKE KMS public key Z: octet string expected")
    assert not fresh_kms_cache


def test_a_kms_key_outside_the_order_q_subgroup_is_refused_by_rfc_6508_2_2(
        fresh_kms_cache: OrderedDict[bytes, object]) -> None:
    """RFC 6508 2.2: Z_S = [z_S]P has order q; a curve point of another order (the curve has
    cofactor (p + 1)/q) is refused and not cached."""
    p = int(PARAMS.p)
    x = 1
    while True:
        rhs = (x ** 3 - 3 * x + int(CURVE.b)) % p
        y = pow(rhs, (p + 1) // 4, p)
        if y * y % p == rhs and CURVE.multiply(mpz(Q), (mpz(x), mpz(y))) is not None:
            break
        x += 1
    wrong = CURVE.encode_point((mpz(x), mpz(y)))
    _refused(lambda: sakke.encapsulate(SSV, identity=ID, z_pub=wrong),
             "SAKKE KMS public key Z: not a point of order q", "RFC 6508 2.2")
    assert not fresh_kms_cache


def test_an_identity_with_b_plus_z_zero_is_refused() -> None:
    """RFC 6508 6.1.1 / 6.2.1: for b = -z_S mod q no RSK exists (KMS) and [b]P + Z_S is the
    point at infinity (sender): both refuse instead of producing a key."""
    _misuse(lambda: sakke.issue_rsk(Z_SECRET, AT_INFINITY), "SAKKE: z_S + b = 0 mod q",
            "RFC 6508 6.1.1")
    _refused(lambda: sakke.EncapsulationTarget(AT_INFINITY, Z_PUB),
             "SAKKE: [b]P + Z is the point at infinity", "RFC 6508 6.2.1")
    _refused(lambda: sakke.validate_rsk(Z_PUB, AT_INFINITY, RSK),
             "SAKKE: [b]P + Z is the point at infinity", "RFC 6508 6.2.1")


def test_r_at_infinity_is_refused_on_the_table_path(
        fresh_kms_cache: OrderedDict[bytes, object]) -> None:
    """RFC 6508 6.2.1 step 3: with Z's table, [r]([b]P + Z) is computed as [rb]P + [r]Z; for
    b = -z_S that is the point at infinity, and no SED is produced."""
    sakke.prepare_kms_table(Z_PUB)
    _refused(lambda: sakke.encapsulate(SSV, identity=AT_INFINITY, z_pub=Z_PUB),
             "SAKKE: R_(b,S) is the point at infinity", "RFC 6508 6.2.1")


@pytest.mark.parametrize("z", [0, 1, Q])
def test_a_master_secret_outside_2_to_q_minus_1_is_a_usage_error(z: int) -> None:
    """RFC 6508 2.2: z_S is in [2, q-1]."""
    _misuse(lambda: sakke.kms_master_key(z), "SAKKE master secret z:", "RFC 6508 2.2")
    _misuse(lambda: sakke.issue_rsk(z, ID), "SAKKE master secret z:", "RFC 6508 2.2")


def test_master_secrets_two_and_q_minus_1_are_accepted() -> None:
    """RFC 6508 2.2: the ends of [2, q-1] are master secrets; their RSKs validate."""
    for z in (2, Q - 1):
        _, z_pub = sakke.kms_master_key(z)
        sakke.validate_rsk(z_pub, ID, sakke.issue_rsk(z, ID))


def test_a_random_master_secret_is_2_plus_randbelow_q_minus_2(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 6508 2.2: z_S uniform in [2, q-1]: 2 + randbelow(q - 2); both ends reachable."""
    asked: list[int] = []
    draws = iter([0, Q - 3])

    def randbelow(n: int) -> int:
        asked.append(n)
        return next(draws)

    monkeypatch.setattr(sakke.secrets, "randbelow", randbelow)
    low, low_pub = sakke.kms_master_key()
    high, high_pub = sakke.kms_master_key()
    assert (low.reveal(), high.reveal()) == (2, Q - 1)
    assert asked == [Q - 2, Q - 2]
    assert (low_pub, high_pub) == (sakke.kms_master_key(2)[1], sakke.kms_master_key(Q - 1)[1])


def test_caller_octet_arguments_are_checked() -> None:
    """A caller's identity must be non-empty octets (RFC 6508 2.2), the SSV n bits (RFC 6509
    Appendix A), the Encapsulated Data octets."""
    _misuse(lambda: sakke.encapsulate(SSV, identity=b"", z_pub=Z_PUB),
            "SAKKE identity:", "RFC 6508 2.2")
    _misuse(lambda: sakke.encapsulate(SSV[:-1], identity=ID, z_pub=Z_PUB),
            "SAKKE SSV: 16 octets required", "RFC 6509 Appendix A")
    _misuse(lambda: sakke.derive("x" * 273, identity=ID, rsk=RSK, z_pub=Z_PUB),  # type: ignore[arg-type]
            "SAKKE Encapsulated Data: octet string expected")
    _misuse(lambda: sakke.validate_rsk(Z_PUB, ID, "04"),  # type: ignore[arg-type]
            "SAKKE RSK: octet string expected")


@pytest.mark.parametrize("length", [0, PARAMS.sed_bytes - 1, PARAMS.sed_bytes + 1])
def test_encapsulated_data_of_the_wrong_length_is_refused_by_section_4(length: int) -> None:
    """RFC 6508 section 4: R_(b,S) || H is 2 * 128 + 1 + 16 = 273 octets."""
    data = (SED * 2)[:length]
    receiver = sakke.Receiver(ID, RSK, Z_PUB)
    for call in (lambda: sakke.derive(data, identity=ID, rsk=RSK, z_pub=Z_PUB),
                 lambda: receiver.derive(data)):
        error = _refused(call, "SAKKE Encapsulated Data: expected 273 octets",
                         "RFC 6508 section 4")
        assert f"got {length}" in error.reason


def test_altered_h_fails_the_check_of_step_5() -> None:
    """RFC 6508 6.2.2 step 5: H altered gives another SSV, whose r does not rebuild R."""
    altered = SED[:-1] + bytes([SED[-1] ^ 1])
    receiver = sakke.Receiver(ID, RSK, Z_PUB)
    for call in (lambda: sakke.derive(altered, identity=ID, rsk=RSK, z_pub=Z_PUB),
                 lambda: receiver.derive(altered)):
        error = _refused(call, "SAKKE: [r]([b]P + Z) != R_(b,S)", "RFC 6508 6.2.2")
        assert "SSV is not used" in error.reason
    assert receiver.derive(SED) == SSV


def test_an_rsk_of_another_identity_is_refused_by_6_1_2() -> None:
    """RFC 6508 6.1.2: <[b]P + Z, RSK> = g only for the RSK issued to b."""
    other = sakke.issue_rsk(Z_SECRET, ID + b"x")
    for call in (lambda: sakke.validate_rsk(Z_PUB, ID, other),
                 lambda: sakke.Receiver(ID, other, Z_PUB)):
        error = _refused(call, "SAKKE RSK: <[b]P + Z, RSK> != g", "RFC 6508 6.1.2")
        assert "identity and KMS" in error.reason


def test_a_receiver_repr_redacts_its_rsk() -> None:
    """The RSK is secret: a Receiver's repr shows it as a redacted Secret, never its octets."""
    text = repr(sakke.Receiver(ID, RSK, Z_PUB))
    assert text.startswith(f"Receiver(identity={ID.hex()}, rsk=Secret(<redacted")
    assert RSK.hex() not in text and RSK[1:17].hex() not in text


def _hash_to_integer_range(s: bytes, n: int) -> int:
    """RFC 6508 5.1 as written, with SHA-256: l = ceiling(lg(n) / 256)."""
    a = hashlib.sha256(s).digest()
    length = 0
    while (1 << (256 * length)) < n:
        length += 1
    h, v = bytes(32), b""
    for _ in range(length):
        h = hashlib.sha256(h).digest()
        v += hashlib.sha256(h + a).digest()
    return int.from_bytes(v, "big") % n


@pytest.mark.parametrize("n", [1, 2, 2**256 - 1, 2**256, 2**256 + 1, 2**512, Q, 2**128])
def test_hash_to_integer_range_block_count_at_the_power_of_two_edges(n: int) -> None:
    """RFC 6508 5.1: l = ceiling(lg(n)/hashlen) blocks; at n = 2^256 one block, at
    2^256 + 1 two: the value equals the procedure written out."""
    assert sakke.hash_to_integer_range(b"abc", n) == _hash_to_integer_range(b"abc", n)


def test_hash_to_integer_range_needs_a_positive_n() -> None:
    """RFC 6508 5.1: n is a positive integer."""
    _misuse(lambda: sakke.hash_to_integer_range(b"abc", 0), "HashToIntegerRange: n",
            "RFC 6508 5.1")
