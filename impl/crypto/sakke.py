"""SAKKE (RFC 6508) with MIKEY-SAKKE parameter set 1 (RFC 6509 Appendix A).

* :func:`kms_master_key` -- z_S in [2, q-1] and Z_S = [z_S]P (RFC 6508 2.2);
* :func:`issue_rsk` -- K_(b,S) = [(z_S + b)^-1]P (6.1.1);
* :func:`validate_rsk` -- <[b]P + Z_S, K_(b,S)> == g (6.1.2);
* :func:`encapsulate` -- SED = R_(b,S) || H (6.2.1, section 4 encoding, 273 octets);
* :func:`derive` -- the SSV from SED with the receiver's RSK, with the check of 6.2.2 step 5;
* :func:`hash_to_integer_range` -- HashToIntegerRange (5.1).

The identifier b is the octet string ``identity`` (for MIKEY-SAKKE the 32-octet UID); as a
number it is int.from_bytes(identity, "big") (RFC 6508 Appendix A reads its identifier the same
way), used modulo q where it multiplies P (P has order q).

Caches, each exact (tests compare with the uncached paths): a module-wide fixed-base table for
P and for g in PF_p; a table for a KMS public key Z that is used repeatedly (so that
[r]([b]P + Z) = [r b mod q]P + [r]Z needs no doubling); :class:`EncapsulationTarget` keeps the
table of one receiver's [b]P + Z; :class:`Receiver` validates its RSK once and keeps the Miller
lines of its RSK and the table of its own [b]P + Z, for one key period.

Secrets (z, the RSK, the SSV, r and g^r) never appear in a repr: z is returned as
:class:`mckm.impl.redact.Secret`, and the classes below hold the others in fields excluded from
their reprs.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import gmpy2
from gmpy2 import mpz

from mckm.impl.crypto.ec import FixedBaseTable
from mckm.impl.crypto.fp2 import PFTable
from mckm.impl.crypto.pairing import MillerLines, pairing
from mckm.impl.crypto.sakke_params import PARAMS, SakkeParams
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret

Point = tuple[mpz, mpz]
_Jacobian = tuple[mpz, mpz, mpz]

_S: SakkeParams = PARAMS
_CURVE = _S.curve
_Q = _S.q
_Q_BITS = int(_Q).bit_length()

#: Window of the P table built on first use (128 rows x 128 points, about 0.5 s).
P_WINDOW = 8
#: Window of the g table (PF_p, 129 rows x 128 entries, about 0.1 s).
G_WINDOW = 8
#: Window of a KMS public key table and of a receiver's [b]P + Z table.
POINT_WINDOW = 8
#: A KMS public key gets its table on its second use (the first uses wNAF).
KMS_TABLE_AFTER = 2
#: KMS public keys whose table (and subgroup check) is kept.
KMS_CACHE_SIZE = 4


# -- HashToIntegerRange (RFC 6508 5.1) ---------------------------------------------------------


def hash_to_integer_range(s: bytes, n: int, params: SakkeParams = PARAMS) -> int:
    """RFC 6508 5.1: v in [0, n-1] from the octet string s with the parameter set's hash.

    A = hash(s); h_0 = 0^hashlen; for i in 1..l, l = ceil(lg(n)/hashlen):
    h_i = hash(h_(i-1)), v_i = hash(h_i || A); v = (v_1 || ... || v_l) mod n.
    """
    if n < 1:
        raise UsageError("HashToIntegerRange: n must be a positive integer (RFC 6508 5.1)")
    hashfn = params.hashfn
    a = hashfn(s)
    hash_bits = 8 * len(a)
    # l = ceil(lg(n) / hashlen) exactly: the least l with n <= 2^(hashlen * l)
    length = ((n - 1).bit_length() + hash_bits - 1) // hash_bits
    h = bytes(len(a))
    blocks = []
    for _ in range(length):
        h = hashfn(h)
        blocks.append(hashfn(h + a))
    return int.from_bytes(b"".join(blocks), "big") % n


# -- encodings ---------------------------------------------------------------------------------


def _identity_int(identity: bytes) -> mpz:
    if not isinstance(identity, bytes | bytearray) or not identity:
        raise UsageError("SAKKE identity: a non-empty octet string is required (RFC 6508 2.2)")
    return mpz(int.from_bytes(identity, "big"))


def _decode_point(data: bytes, what: str) -> Point:
    """Section 4 point encoding, validated on the curve (never the point at infinity)."""
    if not isinstance(data, bytes | bytearray):
        raise UsageError(f"SAKKE {what}: octet string expected")
    try:
        point: Point = _CURVE.decode_point(bytes(data), what)
    except VerifyError as exc:
        raise VerifyError(exc.reason, clause="RFC 6508 section 4") from None
    return point


def _pf_bytes(value: int) -> bytes:
    """An element of PF_p as the section 4 integer b/a in ``coord_bytes`` octets."""
    return int(value).to_bytes(_S.coord_bytes, "big")


# -- module-wide tables (caches) ---------------------------------------------------------------

_lock = threading.Lock()
_p_table: FixedBaseTable | None = None
_g_table: PFTable | None = None
_kms: OrderedDict[bytes, _KmsKey] = OrderedDict()


def p_table() -> FixedBaseTable:
    """The fixed-base table for P (built on first use)."""
    global _p_table
    table = _p_table
    if table is None:
        with _lock:
            if _p_table is None:
                _p_table = FixedBaseTable(_CURVE, _S.P, bits=_Q_BITS, window=P_WINDOW)
            table = _p_table
    return table


def prepare_p_table(window: int = 10) -> None:
    """Build the P table now with ``window`` (a KMS issuing many RSKs: 10 -> 103 rows x 512
    points: resident memory grew by about 100 MB and it took 0.7 s of CPU on the 2-core VM;
    [k]P then costs at most 103 mixed additions)."""
    global _p_table
    if _p_table is not None and _p_table.window >= window:
        return
    table = FixedBaseTable(_CURVE, _S.P, bits=_Q_BITS, window=window)
    with _lock:
        _p_table = table


def g_table() -> PFTable:
    """The fixed-base table for g in PF_p (built on first use)."""
    global _g_table
    table = _g_table
    if table is None:
        with _lock:
            if _g_table is None:
                _g_table = PFTable(_S.g, _S.p, bits=_Q_BITS, window=G_WINDOW)
            table = _g_table
    return table


@dataclass(eq=False)
class _KmsKey:
    """A KMS public key Z_S seen before: validated once, table built on repeated use."""

    point: Point
    uses: int = 0
    table: FixedBaseTable | None = None


def _kms_key(z_pub: bytes) -> _KmsKey:
    """Decode and validate Z_S (on the curve, order q: RFC 6508 2.2), cached per key."""
    key = bytes(z_pub) if isinstance(z_pub, bytes | bytearray) else b""
    with _lock:
        entry = _kms.get(key)
        if entry is not None:
            _kms.move_to_end(key)
    if entry is None:
        point = _decode_point(z_pub, "KMS public key Z")
        if _CURVE.multiply(_Q, point) is not None:
            raise VerifyError("SAKKE KMS public key Z: not a point of order q",
                              clause="RFC 6508 2.2")
        entry = _KmsKey(point)
        with _lock:
            _kms[key] = entry
            while len(_kms) > KMS_CACHE_SIZE:
                _kms.popitem(last=False)
    entry.uses += 1
    if entry.table is None and entry.uses >= KMS_TABLE_AFTER:
        entry.table = FixedBaseTable(_CURVE, entry.point, bits=_Q_BITS, window=POINT_WINDOW)
    return entry


def prepare_kms_table(z_pub: bytes) -> None:
    """Validate Z_S and build its table now (a UE or server that will encapsulate often)."""
    entry = _kms_key(z_pub)
    if entry.table is None:
        entry.table = FixedBaseTable(_CURVE, entry.point, bits=_Q_BITS, window=POINT_WINDOW)


def _receiver_point(b: mpz, kms: _KmsKey) -> Point:
    """[b]P + Z_S (affine); refused if it is the point at infinity (b = -z_S mod q)."""
    jac = _CURVE.add_jacobian(p_table().multiply_jacobian(b % _Q),
                              (kms.point[0], kms.point[1], mpz(1)))
    point: Point | None = _CURVE.to_affine(jac)
    if point is None:
        raise VerifyError("SAKKE: [b]P + Z is the point at infinity for this identity",
                          clause="RFC 6508 6.2.1")
    return point


def _times_receiver_point(r: mpz, b: mpz, kms: _KmsKey) -> _Jacobian:
    """[r]([b]P + Z_S), by [r b mod q]P + [r]Z_S with tables, or by wNAF without Z's table."""
    if kms.table is not None:
        total: _Jacobian = _CURVE.add_jacobian(p_table().multiply_jacobian(r * b % _Q),
                                               kms.table.multiply_jacobian(r))
        return total
    point = _receiver_point(b, kms)
    product = _CURVE.multiply(r, point)
    return (mpz(1), mpz(1), mpz(0)) if product is None else (product[0], product[1], mpz(1))


# -- KMS (RFC 6508 6.1) ------------------------------------------------------------------------


def kms_master_key(z: int | None = None) -> tuple[Secret[int], bytes]:
    """A KMS master secret z_S in [2, q-1] (RFC 6508 2.2) and Z_S = [z_S]P as 04 || x || y."""
    if z is None:
        z = 2 + secrets.randbelow(int(_Q) - 2)
    elif not 2 <= z < _Q:
        raise UsageError("SAKKE master secret z: out of range [2, q-1] (RFC 6508 2.2)")
    z_point = p_table().multiply(z)
    return Secret(int(z)), _CURVE.encode_point(z_point)


def issue_rsk(z: int, identity: bytes) -> bytes:
    """RFC 6508 6.1.1: K_(b,S) = [(z_S + b)^-1]P as 04 || x || y."""
    if not 2 <= z < _Q:
        raise UsageError("SAKKE master secret z: out of range [2, q-1] (RFC 6508 2.2)")
    b = _identity_int(identity)
    s = (mpz(z) + b) % _Q
    if not s:
        raise UsageError("SAKKE: z_S + b = 0 mod q, no RSK exists for this identity under this "
                         "master secret (RFC 6508 6.1.1)")
    rsk: bytes = _CURVE.encode_point(p_table().multiply(gmpy2.invert(s, _Q)))
    return rsk


def validate_rsk(z_pub: bytes, identity: bytes, rsk: bytes) -> None:
    """RFC 6508 6.1.2: accept the RSK only if <[b]P + Z_S, K_(b,S)> = g; else VerifyError."""
    b = _identity_int(identity)
    kms = _kms_key(z_pub)
    rsk_point = _decode_point(rsk, "RSK")
    if pairing(_receiver_point(b, kms), rsk_point) != _S.g:
        raise VerifyError("SAKKE RSK: <[b]P + Z, RSK> != g, the RSK does not belong to this "
                          "identity and KMS", clause="RFC 6508 6.1.2")


# -- Sender (RFC 6508 6.2.1) -------------------------------------------------------------------


@dataclass(frozen=True)
class EncapsulationTrace:
    """The intermediates of one encapsulation (RFC 6508 6.2.1); secrets kept out of repr."""

    r: int = field(repr=False)
    R: Point
    g_r: int = field(repr=False)
    mask: int = field(repr=False)
    H: int
    encapsulated: bytes

    @property
    def r_bytes(self) -> bytes:
        """r as a ``coord_bytes``-octet big-endian integer."""
        return int(self.r).to_bytes(_S.coord_bytes, "big")

    @property
    def g_r_bytes(self) -> bytes:
        """g^r in the section 4 PF_p representation (128 octets)."""
        return _pf_bytes(self.g_r)


def _check_ssv(ssv: bytes) -> None:
    if not isinstance(ssv, bytes | bytearray) or len(ssv) != _S.ssv_bytes:
        raise UsageError(f"SAKKE SSV: {_S.ssv_bytes} octets required (n = {_S.n_bits} bits, "
                         "RFC 6509 Appendix A)")


def _encapsulate(ssv: bytes, identity: bytes, times_t: _TimesT) -> EncapsulationTrace:
    _check_ssv(ssv)
    ssv = bytes(ssv)
    # 2) r = HashToIntegerRange(SSV || b, q, Hash)
    r = mpz(hash_to_integer_range(ssv + bytes(identity), int(_Q)))
    # 3) R_(b,S) = [r]([b]P + Z_S)
    big_r = _CURVE.to_affine(times_t(r))
    if big_r is None:  # r = 0: probability 2^-1022
        raise VerifyError("SAKKE: R_(b,S) is the point at infinity (r = 0)",
                          clause="RFC 6508 6.2.1")
    # 4) H = SSV XOR HashToIntegerRange(g^r, 2^n, Hash)
    g_r = g_table().power(r)
    mask = hash_to_integer_range(_pf_bytes(g_r), 1 << _S.n_bits)
    h = int.from_bytes(ssv, "big") ^ mask
    # 5) Encapsulated Data = R_(b,S) || H (section 4)
    sed = _CURVE.encode_point(big_r) + h.to_bytes(_S.ssv_bytes, "big")
    return EncapsulationTrace(int(r), big_r, int(g_r), mask, h, sed)


class _TimesT:
    """[r]([b]P + Z) for one (b, Z), with or without a table for [b]P + Z."""

    def __init__(self, b: mpz, kms: _KmsKey, table: FixedBaseTable | None = None) -> None:
        self.b = b
        self.kms = kms
        self.table = table

    def __call__(self, r: mpz) -> _Jacobian:
        if self.table is not None:
            product: _Jacobian = self.table.multiply_jacobian(r)
            return product
        return _times_receiver_point(r, self.b, self.kms)


def encapsulate_trace(ssv: bytes, *, identity: bytes, z_pub: bytes) -> EncapsulationTrace:
    """:func:`encapsulate` returning its intermediates r, R, g^r, the mask and H."""
    b = _identity_int(identity)
    return _encapsulate(ssv, identity, _TimesT(b, _kms_key(z_pub)))


def encapsulate(ssv: bytes, *, identity: bytes, z_pub: bytes) -> bytes:
    """RFC 6508 6.2.1: Encapsulated Data R_(b,S) || H (273 octets) carrying ``ssv`` to b."""
    return encapsulate_trace(ssv, identity=identity, z_pub=z_pub).encapsulated


class EncapsulationTarget:
    """A receiver (identity, KMS) that a sender encapsulates to repeatedly: keeps a table for
    [b]P + Z_S, so [r]([b]P + Z_S) costs about 128 mixed additions and no doubling."""

    def __init__(self, identity: bytes, z_pub: bytes, *, window: int = POINT_WINDOW) -> None:
        self.identity = bytes(identity)
        b = _identity_int(identity)
        kms = _kms_key(z_pub)
        self._point = _receiver_point(b, kms)
        table = FixedBaseTable(_CURVE, self._point, bits=_Q_BITS, window=window)
        self._times_t = _TimesT(b, kms, table)

    def encapsulate_trace(self, ssv: bytes) -> EncapsulationTrace:
        return _encapsulate(ssv, self.identity, self._times_t)

    def encapsulate(self, ssv: bytes) -> bytes:
        """RFC 6508 6.2.1 for this receiver; equal to :func:`encapsulate`."""
        return _encapsulate(ssv, self.identity, self._times_t).encapsulated

    def __repr__(self) -> str:
        return f"EncapsulationTarget(identity={self.identity.hex()})"


Recipient = EncapsulationTarget


# -- Receiver (RFC 6508 6.2.2) -----------------------------------------------------------------


def _parse_sed(encapsulated: bytes) -> tuple[Point, int]:
    """Section 4: R_(b,S) (04 || x || y, on the curve) || H (n bits)."""
    if not isinstance(encapsulated, bytes | bytearray):
        raise UsageError("SAKKE Encapsulated Data: octet string expected")
    if len(encapsulated) != _S.sed_bytes:
        raise VerifyError(
            f"SAKKE Encapsulated Data: expected {_S.sed_bytes} octets (R as 04 || x || y, then "
            f"H in {_S.ssv_bytes}), got {len(encapsulated)}", clause="RFC 6508 section 4")
    split = _S.point_bytes
    big_r = _decode_point(bytes(encapsulated[:split]), "Encapsulated Data R_(b,S)")
    return big_r, int.from_bytes(encapsulated[split:], "big")


def _derive(big_r: Point, h: int, identity: bytes, w: int, times_t: _TimesT) -> bytes:
    # 3) SSV = H XOR HashToIntegerRange(w, 2^n, Hash)
    ssv = (h ^ hash_to_integer_range(_pf_bytes(w), 1 << _S.n_bits)).to_bytes(_S.ssv_bytes, "big")
    # 4) r = HashToIntegerRange(SSV || b, q, Hash); 5) TEST = [r]([b]P + Z_S) must equal R
    r = mpz(hash_to_integer_range(ssv + bytes(identity), int(_Q)))
    if not _CURVE.jacobian_equals(times_t(r), big_r):
        raise VerifyError("SAKKE: [r]([b]P + Z) != R_(b,S); the SSV is not used (wrong "
                          "receiver, RSK or KMS, or altered data)", clause="RFC 6508 6.2.2")
    return ssv


def derive(encapsulated: bytes, *, identity: bytes, rsk: bytes, z_pub: bytes) -> bytes:
    """RFC 6508 6.2.2: the SSV from R_(b,S) || H with the RSK, after the check of step 5.

    R is checked to be on the curve (section 4); its membership of the order-q subgroup needs
    no separate test, as step 5 accepts only R = [r]([b]P + Z_S), which has order q.  A wrong
    RSK cannot pass step 5 either (it yields a wrong SSV), so the RSK is not re-validated here:
    6.1.2 validates it once on receipt (:func:`validate_rsk`, :class:`Receiver`).
    """
    big_r, h = _parse_sed(encapsulated)
    b = _identity_int(identity)
    kms = _kms_key(z_pub)
    rsk_point = _decode_point(rsk, "RSK")
    w = pairing(big_r, rsk_point)  # 2) w = <R_(b,S), K_(b,S)>
    return _derive(big_r, h, identity, w, _TimesT(b, kms))


class Receiver:
    """A receiver's keys for one key period: the RSK validated once (6.1.2), its Miller lines
    and the table for its own [b]P + Z_S precomputed; :meth:`derive` is RFC 6508 6.2.2.

    <R, RSK> is computed as <RSK, R> on the precomputed lines (symmetry on E(F_p)[q], see
    :mod:`mckm.impl.crypto.pairing`); R outside the subgroup is refused by step 5 as in
    :func:`derive`.
    """

    def __init__(self, identity: bytes, rsk: bytes, z_pub: bytes, *,
                 window: int = POINT_WINDOW) -> None:
        self.identity = bytes(identity)
        b = _identity_int(identity)
        kms = _kms_key(z_pub)
        rsk_point = _decode_point(rsk, "RSK")
        point = _receiver_point(b, kms)
        self._lines = MillerLines(rsk_point)
        # 6.1.2 with the lines: <RSK, [b]P + Z> = <[b]P + Z, RSK> (both of order q)
        if self._lines.evaluate(point) != _S.g:
            raise VerifyError("SAKKE RSK: <[b]P + Z, RSK> != g, the RSK does not belong to "
                              "this identity and KMS", clause="RFC 6508 6.1.2")
        self._rsk = Secret(bytes(rsk))
        table = FixedBaseTable(_CURVE, point, bits=_Q_BITS, window=window)
        self._times_t = _TimesT(b, kms, table)

    def derive(self, encapsulated: bytes) -> bytes:
        """RFC 6508 6.2.2 for this receiver; equal to :func:`derive`."""
        big_r, h = _parse_sed(encapsulated)
        return _derive(big_r, h, self.identity, self._lines.evaluate(big_r), self._times_t)

    def __repr__(self) -> str:
        return f"Receiver(identity={self.identity.hex()}, rsk={self._rsk!r})"
