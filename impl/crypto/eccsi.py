"""ECCSI, Elliptic Curve-based Certificateless Signatures for Identity-based encryption (RFC 6507).

Parameters (RFC 6509 2.1.1, RFC 6507 Appendix A): curve NIST P-256, hash SHA-256, N = 32.

* KMS (RFC 6507 4.2, 5.1.1): :func:`kms_keypair`, :func:`issue_ssk`, :class:`Kms`;
* Signer (5.1.2, 5.2.1): :func:`validate_ssk`, :func:`sign`, :class:`Signer`;
* Verifier (5.2.2): :func:`verify`, :func:`is_valid`, :class:`Verifier`;
* the procedures step by step, on the plain reference arithmetic of ``ec.Curve``, returning every
  intermediate value of Appendix A: :func:`sign_trace`, :func:`verify_trace`.

The fast paths compute the same values with tables (``p256``): [j]G by the table for G, and
verification as J = [s*HE]G + [s*r]KPAK + [s*r*HS]PVT, which equals the RFC's
[s]([HE]G + [r]Y) with Y = [HS]PVT + KPAK (5.2.2 allows "a procedure equivalent to the
following").  A :class:`Verifier` keeps, per (identity, PVT) whose signature verified once, HS
and later Y with a table of its multiples (bounded LRU).  Every cache is keyed by all the inputs
its value depends on, so a result never depends on whether the cache was hit.

Errors: what a peer or a KMS sent (KPAK, PVT, SSK, a signature) is refused with
:class:`~mckm.impl.errors.VerifyError` naming the value and the clause; a caller's own bad
argument (a scalar out of range, an ephemeral that hits a retry condition) with
:class:`~mckm.impl.errors.UsageError`.  Secrets (KSAK, SSK, v, j) never appear in a repr, str,
log or error message.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeAlias

from gmpy2 import mpz

from mckm.impl.crypto import p256
from mckm.impl.crypto.p256 import P256, FixedBaseTable, Point
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret, fingerprint

#: N: octets of an integer, an F_p element and a hash output (RFC 6507 3.2, 4.1).
N = P256.coord_bytes
#: Octets of a signature r || s || PVT (RFC 6507 3.3): 4N + 1.
SIGNATURE_LENGTH = 4 * N + 1
#: Octets of an encoded point 0x04 || x || y (RFC 6507 3.2).
POINT_LENGTH = 2 * N + 1

_Q = P256.order
_P = P256.p
_G_OCTETS = P256.encode_point(P256.G)

# RFC 6507 4.1: the hash maps to N octets.  5.2.1 step 6 replaces s' by q - s' only when s'
# does not fit in N octets; on P-256 q < 2^(8N), so s = s' always (Appendix A shows s = s').
assert hashlib.sha256().digest_size == N
assert int(_Q).bit_length() <= 8 * N

SecretInt: TypeAlias = int | Secret[int]


def _reveal(value: SecretInt) -> int:
    return value.reveal() if isinstance(value, Secret) else value


def _octets(value: int) -> bytes:
    """N-octet big-endian representation of an integer in [0, 2^(8N)) (RFC 6507 3.2)."""
    return bytes(mpz(value).to_bytes(N, "big"))


def _decode(data: bytes, what: str, clause: str) -> Point:
    """Uncompressed point on P-256, not at infinity (RFC 6507 3.2), or VerifyError."""
    try:
        return P256.decode_point(bytes(data), what)
    except VerifyError as exc:
        raise VerifyError(exc.reason, clause=clause) from None


def _scalar(value: SecretInt, what: str, clause: str) -> mpz:
    """A caller's secret scalar as mpz after checking 0 < value < q (the value is not shown)."""
    k = _reveal(value)
    if not isinstance(k, int) or isinstance(k, bool):
        raise UsageError(f"{what}: expected an integer, got {type(k).__name__} ({clause})")
    if not 0 < k < _Q:
        raise UsageError(f"{what}: not in [1, q-1] ({clause})")
    return mpz(k)


def _random_scalar() -> mpz:
    """A random non-zero element of F_q: (c mod (q-1)) + 1 for c of 64 more bits than q
    (FIPS 186-4 B.4.1, "extra random bits"; bias below 2^-64)."""
    c = mpz.from_bytes(os.urandom(N + 8), "big")
    return c % (_Q - 1) + 1


def hs(kpak: bytes, identity: bytes, pvt: bytes) -> bytes:
    """HS = hash(G || KPAK || ID || PVT), N octets (RFC 6507 5.1.1 step 3, 5.1.2 step 2,
    5.2.2 step 2); KPAK and PVT as encoded (0x04 || x || y)."""
    return hashlib.sha256(_G_OCTETS + kpak + identity + pvt).digest()


def he(hs_value: bytes, r: bytes, message: bytes) -> bytes:
    """HE = hash(HS || r || M), N octets (RFC 6507 5.2.1 step 3, 5.2.2 step 3)."""
    return hashlib.sha256(hs_value + r + message).digest()


def _int(octets: bytes) -> mpz:
    return mpz.from_bytes(octets, "big")


# -- KMS: RFC 6507 4.2 and 5.1.1 ------------------------------------------------------------------


def kms_keypair(ksak: SecretInt | None = None) -> tuple[Secret[int], bytes]:
    """(KSAK, KPAK = [KSAK]G) (RFC 6507 4.2); KSAK random non-zero mod q unless given."""
    k = _random_scalar() if ksak is None else _scalar(ksak, "KSAK", "RFC 6507 4.2")
    kpak = p256.multiply_g(k)
    assert kpak is not None  # 0 < k < q
    return Secret(int(k)), P256.encode_point(kpak)


def _issue(
    ksak: mpz, kpak: bytes, identity: bytes, v: SecretInt | None
) -> tuple[Secret[int], bytes]:
    """RFC 6507 5.1.1 steps 1-6 for a KSAK already checked against ``kpak``."""
    given = v is not None
    while True:
        vv = _scalar(v, "v", "RFC 6507 5.1.1 step 1") if v is not None else _random_scalar()
        point = p256.multiply_g(vv)  # step 2
        assert point is not None
        pvt = P256.encode_point(point)
        hs_int = _int(hs(kpak, identity, pvt))  # step 3
        ssk = (ksak + hs_int * vv) % _Q  # step 4
        if ssk and hs_int % _Q:
            return Secret(int(ssk)), pvt  # step 6
        if given:  # step 5: "abort or restart with a fresh value of v"
            raise UsageError("v: gives SSK = 0 or HS = 0 mod q; choose another v "
                             "(RFC 6507 5.1.1 step 5)")


def issue_ssk(
    ksak: SecretInt, kpak: bytes, identity: bytes, v: SecretInt | None = None
) -> tuple[Secret[int], bytes]:
    """(SSK, PVT) for ``identity`` (RFC 6507 5.1.1); v random non-zero mod q unless given.

    Checks first that KPAK = [KSAK]G, so an SSK is never issued against a wrong KPAK
    (:class:`Kms` does that check once instead of per call).
    """
    return Kms(ksak, kpak).issue_ssk(identity, v)


class Kms:
    """An ECCSI KMS key pair (RFC 6507 4.2): KSAK (secret, redacted) and KPAK."""

    __slots__ = ("_ksak", "kpak")

    def __init__(self, ksak: SecretInt | None = None, kpak: bytes | None = None) -> None:
        k = _random_scalar() if ksak is None else _scalar(ksak, "KSAK", "RFC 6507 4.2")
        point = p256.multiply_g(k)
        assert point is not None
        own = P256.encode_point(point)
        if kpak is not None and bytes(kpak) != own:
            raise UsageError("KPAK: not [KSAK]G for the KSAK given (RFC 6507 4.2)")
        self._ksak = k
        self.kpak: bytes = own

    @property
    def ksak(self) -> Secret[int]:
        return Secret(int(self._ksak))

    def issue_ssk(self, identity: bytes, v: SecretInt | None = None) -> tuple[Secret[int], bytes]:
        """(SSK, PVT) for ``identity`` (RFC 6507 5.1.1)."""
        return _issue(self._ksak, self.kpak, bytes(identity), v)

    def __repr__(self) -> str:
        return f"Kms(kpak=sha256:{fingerprint(self.kpak)}, ksak=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("KMS secrets are not pickled")


# -- Signer: RFC 6507 5.1.2 and 5.2.1 -------------------------------------------------------------


def _received_ssk(ssk: SecretInt) -> mpz:
    """An SSK received from the KMS: 0 < SSK < q (RFC 6507 5.1.1 steps 4-5 make it so)."""
    k = _reveal(ssk)
    if not isinstance(k, int) or isinstance(k, bool) or not 0 < k < _Q:
        raise VerifyError("SSK: not an integer in [1, q-1]", clause="RFC 6507 5.1.1 steps 4-5")
    return mpz(k)


def _validate(kpak_point: Point, hs_int: mpz, ssk: mpz, pvt_point: Point) -> None:
    """RFC 6507 5.1.2 step 3: KPAK = [SSK]G - [HS]PVT."""
    if not hs_int % _Q:
        raise VerifyError("SSK: HS = 0 mod q, which the KMS must never issue",
                          clause="RFC 6507 5.1.1 step 5")
    jac = p256.multiply_sum(variable=[(_Q - hs_int % _Q, pvt_point)],
                            tables=[(ssk, p256.g_table())])
    if not p256.jacobian_equals(jac, kpak_point):
        raise VerifyError("SSK: KPAK != [SSK]G - [HS]PVT for this identity and PVT",
                          clause="RFC 6507 5.1.2 step 3")


def validate_ssk(kpak: bytes, identity: bytes, ssk: SecretInt, pvt: bytes) -> None:
    """Validate a received (SSK, PVT) pair for ``identity`` (RFC 6507 5.1.2); VerifyError."""
    kpak_point = _decode(kpak, "KPAK", "RFC 6507 4.2")
    pvt_point = _decode(pvt, "PVT", "RFC 6507 5.1.2 step 1")
    _validate(kpak_point, _int(hs(kpak, identity, pvt)), _received_ssk(ssk), pvt_point)


def _sign(hs_value: bytes, ssk: mpz, pvt: bytes, message: bytes, j: SecretInt | None) -> bytes:
    """RFC 6507 5.2.1 steps 1-7 with [j]G from the G table."""
    p = _P
    q = _Q
    table = p256.g_table()
    while True:
        jj = _random_scalar() if j is None else _scalar(j, "j", "RFC 6507 5.2.1 step 1")
        x, _, z = table.accumulate(jj, p256.INFINITY)  # step 2: J = [j]G, z != 0 as 0 < j < q
        zi = p256.invert(z, p)
        r = x * zi * zi % p
        r_octets = r.to_bytes(N, "big")
        he_int = _int(hashlib.sha256(hs_value + r_octets + message).digest())  # step 3
        t = (he_int + r * ssk) % q
        if t and r:  # step 4 (and Jx != 0, without which 5.2.2 step 6 refuses the signature)
            s = p256.invert(t, q) * jj % q  # step 5; step 6: s = s' on P-256 (see above)
            return bytes(r_octets + s.to_bytes(N, "big") + pvt)  # step 7
        if j is not None:
            raise UsageError("j: gives HE + r*SSK = 0 mod q or r = 0; choose another j "
                             "(RFC 6507 5.2.1 step 4)")


def sign(
    message: bytes,
    *,
    identity: bytes,
    ssk: SecretInt,
    pvt: bytes,
    kpak: bytes,
    j: SecretInt | None = None,
) -> bytes:
    """Signature = r || s || PVT (129 octets) over ``message`` (RFC 6507 5.2.1).

    j is random unless given (for test vectors).  The (SSK, PVT) pair is assumed validated
    once (5.1.2: :func:`validate_ssk`, or use :class:`Signer`, which validates on creation);
    here KPAK and PVT are decoded and the SSK range checked.
    """
    _decode(kpak, "KPAK", "RFC 6507 4.2")
    _decode(pvt, "PVT", "RFC 6507 5.1.2 step 1")
    return _sign(hs(kpak, identity, pvt), _received_ssk(ssk), bytes(pvt), message, j)


class Signer:
    """A signer's installed key material (RFC 6507 5.1.2, 5.2.1): ID, SSK (redacted), PVT,
    KPAK and the stored HS ("The integer HS SHOULD be stored with the SSK", 5.1.2 step 2)."""

    __slots__ = ("_ssk", "hs", "identity", "kpak", "pvt")

    def __init__(
        self, identity: bytes, ssk: SecretInt, pvt: bytes, kpak: bytes, *, validate: bool = True
    ) -> None:
        kpak_point = _decode(kpak, "KPAK", "RFC 6507 4.2")
        pvt_point = _decode(pvt, "PVT", "RFC 6507 5.1.2 step 1")
        self.identity = bytes(identity)
        self.pvt = bytes(pvt)
        self.kpak = bytes(kpak)
        self.hs = hs(self.kpak, self.identity, self.pvt)
        self._ssk = _received_ssk(ssk)
        if validate:  # 5.1.2: "Every SSK MUST be validated before being installed"
            _validate(kpak_point, _int(self.hs), self._ssk, pvt_point)

    def sign(self, message: bytes, j: SecretInt | None = None) -> bytes:
        """r || s || PVT over ``message`` (RFC 6507 5.2.1)."""
        return _sign(self.hs, self._ssk, self.pvt, message, j)

    def __repr__(self) -> str:
        return (f"Signer(identity={self.identity.hex()}, pvt=sha256:{fingerprint(self.pvt)}, "
                f"kpak=sha256:{fingerprint(self.kpak)}, ssk=<redacted>)")

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("signing keys are not pickled")


# -- Verifier: RFC 6507 5.2.2 ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    r_octets: bytes
    r: mpz
    s: mpz
    pvt: bytes


def _parse_signature(signature: bytes) -> _Parsed:
    """Split r || s || PVT (RFC 6507 3.3) and check the ranges an RFC 6507 signer produces."""
    if len(signature) != SIGNATURE_LENGTH:
        raise VerifyError(f"signature: expected {SIGNATURE_LENGTH} octets (r || s || PVT), "
                          f"got {len(signature)}", clause="RFC 6507 3.3")
    r_octets = bytes(signature[:N])
    r = _int(r_octets)
    s = _int(signature[N:2 * N])
    # r is Jx, an element of F_p in [0, p-1] (3.2, 5.2.1 step 2); Jx = 0 is refused (5.2.2 6).
    if not 0 < r < _P:
        raise VerifyError("signature r: not in [1, p-1]", clause="RFC 6507 3.2, 5.2.2 step 6")
    # s = ((HE + r*SSK)^-1 * j) mod q with j != 0 (5.2.1 steps 1, 5, 6): in [1, q-1].
    if not 0 < s < _Q:
        raise VerifyError("signature s: not in [1, q-1]", clause="RFC 6507 5.2.1 steps 5-6")
    return _Parsed(r_octets, r, s, bytes(signature[2 * N:]))


class _Entry:
    """What a Verifier keeps for one (identity, PVT) that verified: HS, PVT, then Y."""

    __slots__ = ("hs", "hs_int", "pvt_point", "uses", "y_table")

    def __init__(self, hs_value: bytes, pvt_point: Point) -> None:
        self.hs = hs_value
        self.hs_int = _int(hs_value) % _Q
        self.pvt_point = pvt_point
        self.uses = 1
        self.y_table: FixedBaseTable | None = None


class Verifier:
    """Verifies ECCSI signatures against one KPAK (RFC 6507 5.2.2), with caches.

    * a table for KPAK, built once it has served ``kpak_table_after`` verifications;
    * per (identity, PVT) whose signature verified: HS and the decoded PVT; from the
      ``y_table_after``-th verification on, Y = [HS]PVT + KPAK and a table of its multiples,
      so that J = [s*HE]G + [s*r]Y costs table additions only.  At most ``cache_size`` entries
      (least recently used dropped).  A failed verification adds nothing to the cache.
    """

    def __init__(
        self,
        kpak: bytes,
        *,
        cache_size: int = 256,
        y_table_after: int = 2,
        y_window: int = 8,
        kpak_table_after: int = 8,
        kpak_window: int = 12,
    ) -> None:
        self.kpak = bytes(kpak)
        self._kpak_point = _decode(self.kpak, "KPAK", "RFC 6507 4.2")
        self._cache: OrderedDict[tuple[bytes, bytes], _Entry] = OrderedDict()
        self.cache_size = cache_size
        self.y_table_after = y_table_after
        self.y_window = y_window
        self.kpak_table_after = kpak_table_after
        self.kpak_window = kpak_window
        self._kpak_table: FixedBaseTable | None = None
        self._kpak_uses = 0
        self._lock = threading.Lock()  # guards the cache's order and size

    def __repr__(self) -> str:
        return f"Verifier(kpak=sha256:{fingerprint(self.kpak)}, cached={len(self._cache)})"

    def cached_signers(self) -> int:
        """Number of (identity, PVT) entries held."""
        return len(self._cache)

    def clear_cache(self) -> None:
        self._cache.clear()

    def is_valid(self, message: bytes, signature: bytes, identity: bytes) -> bool:
        """True when :meth:`verify` accepts."""
        try:
            self.verify(message, signature, identity)
        except VerifyError:
            return False
        return True

    def verify(self, message: bytes, signature: bytes, identity: bytes) -> None:
        """Accept ``signature`` over ``message`` by ``identity`` or raise VerifyError naming
        the check that failed (RFC 6507 5.2.2)."""
        sig = _parse_signature(signature)
        key = (bytes(identity), sig.pvt)
        entry = self._cache.get(key)
        if entry is None:
            pvt_point = _decode(sig.pvt, "PVT", "RFC 6507 5.2.2 step 1")  # step 1
            hs_value = hs(self.kpak, key[0], sig.pvt)  # step 2
            current = _Entry(hs_value, pvt_point)
            fresh: _Entry | None = current
        else:
            fresh = None
            current = entry
            entry.uses += 1
            if entry.y_table is None and entry.uses >= self.y_table_after:
                self._build_y_table(entry)
        he_int = _int(he(current.hs, sig.r_octets, message))  # step 3
        q = _Q
        a = sig.s * he_int % q  # J = [s]([HE]G + [r]Y) = [s*HE]G + [s*r]Y  (steps 4-5)
        b = sig.s * sig.r % q
        if current.y_table is not None:
            jac = p256.multiply_sum(tables=[(a, p256.g_table()), (b, current.y_table)])
        else:  # Y = [HS]PVT + KPAK, so [s*r]Y = [b]KPAK + [b*HS]PVT
            variable = [(b * current.hs_int % q, current.pvt_point)]
            tables = [(a, p256.g_table())]
            kpak_table = self._kpak()
            if kpak_table is None:
                variable.append((b, self._kpak_point))
            else:
                tables.append((b, kpak_table))
            jac = p256.multiply_sum(variable=variable, tables=tables)
        if not p256.jacobian_x_equals(jac, sig.r):  # step 6
            raise VerifyError("signature: Jx != r (mod p); J = [s]([HE]G + [r]Y) does not "
                              "match this message, identity and KPAK",
                              clause="RFC 6507 5.2.2 step 6")
        with self._lock:
            if fresh is not None:
                self._cache[key] = fresh
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            elif key in self._cache:
                self._cache.move_to_end(key)

    def _kpak(self) -> FixedBaseTable | None:
        if self._kpak_table is None:
            self._kpak_uses += 1
            if self._kpak_uses >= self.kpak_table_after:
                self._kpak_table = FixedBaseTable(self._kpak_point, window=self.kpak_window)
        return self._kpak_table

    def _build_y_table(self, entry: _Entry) -> None:
        y = p256.to_affine(p256.multiply_sum(
            variable=[(entry.hs_int, entry.pvt_point), (1, self._kpak_point)]))
        if y is not None:  # Y at infinity: keep the path without a Y table
            entry.y_table = FixedBaseTable(y, window=self.y_window)


_VERIFIERS: OrderedDict[bytes, Verifier] = OrderedDict()
_VERIFIERS_MAX = 8


_VERIFIERS_LOCK = threading.Lock()


def _verifier(kpak: bytes) -> Verifier:
    key = bytes(kpak)
    with _VERIFIERS_LOCK:
        found = _VERIFIERS.get(key)
        if found is not None:
            _VERIFIERS.move_to_end(key)
            return found
    found = Verifier(key)  # outside the lock: decoding may raise VerifyError
    with _VERIFIERS_LOCK:
        _VERIFIERS[key] = found
        while len(_VERIFIERS) > _VERIFIERS_MAX:
            _VERIFIERS.popitem(last=False)
    return found


def verify(message: bytes, signature: bytes, *, identity: bytes, kpak: bytes) -> None:
    """Accept or raise VerifyError (RFC 6507 5.2.2), through a cached :class:`Verifier` per
    KPAK (the last few KPAKs used)."""
    _verifier(kpak).verify(message, signature, identity)


def is_valid(message: bytes, signature: bytes, *, identity: bytes, kpak: bytes) -> bool:
    """True when :func:`verify` accepts; False for any VerifyError (including bad encodings)."""
    try:
        verify(message, signature, identity=identity, kpak=kpak)
    except VerifyError:
        return False
    return True


# -- the procedures step by step, for test vectors (RFC 6507 5.2.1, 5.2.2, Appendix A) -----------


class _HexRepr:
    """repr showing octet strings in hex (the traces hold public values only)."""

    def __repr__(self) -> str:
        parts = []
        for name in self.__dataclass_fields__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            shown = value.hex() if isinstance(value, bytes) else repr(value)
            parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class SignTrace(_HexRepr):
    """Public intermediates of RFC 6507 5.2.1 (j itself is secret and not kept)."""

    hs: bytes
    j_point: bytes  # J = [j]G, 0x04 || Jx || Jy
    r: bytes
    he: bytes
    s_prime: bytes
    s: bytes
    signature: bytes


@dataclass(frozen=True, repr=False)
class VerifyTrace(_HexRepr):
    """Intermediates of RFC 6507 5.2.2 and the outcome of step 6."""

    hs: bytes
    he: bytes
    y: bytes | None  # Y = [HS]PVT + KPAK; None at infinity
    j_point: bytes | None  # J = [s]([HE]G + [r]Y); None at infinity
    accepted: bool


def sign_trace(
    message: bytes, *, identity: bytes, ssk: SecretInt, pvt: bytes, kpak: bytes, j: SecretInt
) -> SignTrace:
    """RFC 6507 5.2.1 step by step with ``ec.Curve``'s plain double-and-add (no table)."""
    _decode(kpak, "KPAK", "RFC 6507 4.2")
    _decode(pvt, "PVT", "RFC 6507 5.1.2 step 1")
    k = _received_ssk(ssk)
    jj = _scalar(j, "j", "RFC 6507 5.2.1 step 1")
    hs_value = hs(kpak, identity, pvt)
    j_point = P256.multiply_ladder(jj, P256.G)
    assert j_point is not None
    r = _octets(j_point[0])
    he_value = he(hs_value, r, message)
    t = (_int(he_value) + _int(r) * k) % _Q
    if not t or not _int(r):
        raise UsageError("j: gives HE + r*SSK = 0 mod q or r = 0 (RFC 6507 5.2.1 step 4)")
    s_prime = pow(t, -1, _Q) * jj % _Q
    s = s_prime  # step 6 on P-256: s' always fits in N octets
    signature = r + _octets(s) + bytes(pvt)
    return SignTrace(hs_value, P256.encode_point(j_point), r, he_value, _octets(s_prime),
                     _octets(s), signature)


def verify_trace(
    message: bytes, signature: bytes, *, identity: bytes, kpak: bytes
) -> VerifyTrace:
    """RFC 6507 5.2.2 step by step with ``ec.Curve``'s plain double-and-add (no table)."""
    kpak_point = _decode(kpak, "KPAK", "RFC 6507 4.2")
    sig = _parse_signature(signature)
    pvt_point = _decode(sig.pvt, "PVT", "RFC 6507 5.2.2 step 1")
    hs_value = hs(kpak, identity, sig.pvt)
    he_value = he(hs_value, sig.r_octets, message)
    ladder = P256.multiply_ladder
    y = P256.add(ladder(_int(hs_value), pvt_point), kpak_point)
    inner = P256.add(ladder(_int(he_value), P256.G), ladder(sig.r, y))
    j_point = ladder(sig.s, inner)
    accepted = j_point is not None and j_point[0] % _P == sig.r % _P and j_point[0] % _P != 0
    return VerifyTrace(hs_value, he_value, None if y is None else P256.encode_point(y),
                       None if j_point is None else P256.encode_point(j_point), accepted)
