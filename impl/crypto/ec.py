"""Short Weierstrass curves y^2 = x^3 - 3x + b over a prime field, on gmpy2.

Both curves of MIKEY-SAKKE have a = -3: NIST P-256 for ECCSI (RFC 6507 section 4.1) and the
supersingular curve E: y^2 = x^3 - 3x of SAKKE (RFC 6508 section 2.1, b = 0).  This module holds
the arithmetic they share:

* affine points are ``(x, y)`` tuples of ``mpz``; the point at infinity is ``None``;
* internal arithmetic is Jacobian (X, Y, Z) with x = X/Z^2, y = Y/Z^3, using the a = -3
  doubling ("dbl-2001-b") and the mixed / general additions of the Explicit-Formulas Database;
* variable-base multiplication uses a width-w NAF over affine odd multiples;
* :class:`FixedBaseTable` precomputes [d * 2^(w*i)]P for signed digits d, so that [k]P costs
  about bits/w mixed additions and no doubling (used for G, the SAKKE P, and any point that
  repeats: a KMS public key, a receiver's [b]P + Z).

Tables are caches only: every result equals the plain double-and-add result (tests check it).
Encoding is the uncompressed SEC 1 form 0x04 || x || y that RFC 6507/6508 use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import gmpy2
from gmpy2 import mpz

from mckm.impl.errors import VerifyError

Affine = tuple[mpz, mpz] | None
_Jacobian = tuple[mpz, mpz, mpz]


@dataclass(frozen=True, eq=False)
class Curve:
    """A curve y^2 = x^3 - 3x + b over F_p, with a base point G of prime order ``order``."""

    name: str
    p: mpz
    b: mpz
    order: mpz
    gx: mpz
    gy: mpz

    @property
    def coord_bytes(self) -> int:
        """Octets of one coordinate in the uncompressed encoding."""
        return (int(self.p).bit_length() + 7) // 8

    @property
    def G(self) -> tuple[mpz, mpz]:
        return (self.gx, self.gy)

    # -- validation and encoding -------------------------------------------------------------

    def is_on_curve(self, point: Affine) -> bool:
        """True for a finite point whose coordinates are in [0, p) and satisfy the equation."""
        if point is None:
            return False
        x, y = point
        p = self.p
        if not (0 <= x < p and 0 <= y < p):
            return False
        return bool((y * y - (x * x * x - 3 * x + self.b)) % p == 0)

    def encode_point(self, point: Affine) -> bytes:
        """0x04 || x || y, each coordinate big-endian in ``coord_bytes`` octets."""
        if point is None:
            raise VerifyError(f"{self.name}: the point at infinity has no encoding")
        n = self.coord_bytes
        return b"\x04" + int(point[0]).to_bytes(n, "big") + int(point[1]).to_bytes(n, "big")

    def decode_point(self, data: bytes, what: str = "point") -> tuple[mpz, mpz]:
        """Parse and validate 0x04 || x || y; refuse anything not on the curve."""
        n = self.coord_bytes
        if len(data) != 1 + 2 * n:
            raise VerifyError(
                f"{self.name} {what}: expected {1 + 2 * n} octets (0x04 || x || y), "
                f"got {len(data)}"
            )
        if data[0] != 4:
            raise VerifyError(
                f"{self.name} {what}: first octet must be 0x04 (uncompressed), got 0x{data[0]:02x}"
            )
        x = mpz(int.from_bytes(data[1 : 1 + n], "big"))
        y = mpz(int.from_bytes(data[1 + n :], "big"))
        point = (x, y)
        if not self.is_on_curve(point):
            raise VerifyError(f"{self.name} {what}: not a point on the curve")
        return point

    def check_scalar(self, k: int, what: str, *, allow_zero: bool = False) -> mpz:
        """Return ``k`` as mpz after checking 0 < k < order (or 0 <= k with ``allow_zero``)."""
        k = mpz(k)
        low = 0 if allow_zero else 1
        if not (low <= k < self.order):
            raise VerifyError(f"{self.name} {what}: out of range [{low}, order)")
        return k

    # -- group law -----------------------------------------------------------------------------

    def negate(self, point: Affine) -> Affine:
        if point is None:
            return None
        return (point[0], (-point[1]) % self.p)

    def add(self, a: Affine, b: Affine) -> Affine:
        """Affine sum (for occasional use; hot paths stay Jacobian)."""
        if a is None:
            return b
        if b is None:
            return a
        return self._to_affine(self._add_mixed((a[0], a[1], mpz(1)), b))

    def double(self, a: Affine) -> Affine:
        if a is None:
            return None
        return self._to_affine(self._double((a[0], a[1], mpz(1))))

    def multiply(self, k: int, point: Affine) -> Affine:
        """[k]point for any integer k, by width-5 NAF over affine odd multiples."""
        if point is None:
            return None
        k = mpz(k)
        if k < 0:
            k, point = -k, (point[0], (-point[1]) % self.p)
        if k == 0:
            return None
        return self._to_affine(self._wnaf_mul(k, point, 5))

    def multiply_ladder(self, k: int, point: Affine) -> Affine:
        """[k]point by plain left-to-right double-and-add: the reference the tables are tested
        against (slow, simple, no precomputation)."""
        k = mpz(k)
        if k < 0:
            k, point = -k, self.negate(point)
        if point is None or k == 0:
            return None
        acc: Affine = None
        for bit in bin(k)[2:]:
            acc = self.double(acc)
            if bit == "1":
                acc = self.add(acc, point)
        return acc

    def sum_of_products(self, terms: Sequence[tuple[int, Affine]]) -> Affine:
        """Sum of [k_i]P_i, each term by NAF (points without a table)."""
        acc: _Jacobian | None = None
        for k, point in terms:
            term = self.multiply(k, point)
            if term is None:
                continue
            acc = (term[0], term[1], mpz(1)) if acc is None else self._add_mixed(acc, term)
        return None if acc is None else self._to_affine(acc)

    def add_jacobian(self, a: _Jacobian, b: _Jacobian) -> _Jacobian:
        """Sum of two points in Jacobian form (Z = 0 is the point at infinity)."""
        return self._add(a, b)

    def to_affine(self, pt: _Jacobian) -> Affine:
        """Affine form of a Jacobian point (None for the point at infinity)."""
        return self._to_affine(pt)

    def jacobian_equals(self, pt: _Jacobian, point: Affine) -> bool:
        """True when the Jacobian ``pt`` is the affine ``point``, without an inversion."""
        x, y, z = pt
        if point is None or not z:
            return point is None and not z
        p = self.p
        zz = z * z % p
        return bool((x - point[0] * zz) % p == 0 and (y - point[1] * zz % p * z) % p == 0)

    # -- Jacobian internals ----------------------------------------------------------------------

    def _double(self, pt: _Jacobian) -> _Jacobian:
        """dbl-2001-b for a = -3: 3M + 5S."""
        x1, y1, z1 = pt
        p = self.p
        if not z1 or not y1:
            return (mpz(1), mpz(1), mpz(0))
        delta = z1 * z1 % p
        gamma = y1 * y1 % p
        beta = x1 * gamma % p
        alpha = 3 * (x1 - delta) * (x1 + delta) % p
        x3 = (alpha * alpha - 8 * beta) % p
        z3 = ((y1 + z1) ** 2 - gamma - delta) % p
        y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
        return (x3, y3, z3)

    def _add_mixed(self, pt: _Jacobian, q: tuple[mpz, mpz]) -> _Jacobian:
        """Jacobian + affine (madd-2007-bl): 7M + 4S; handles doubling and infinity."""
        x1, y1, z1 = pt
        p = self.p
        if not z1:
            return (q[0], q[1], mpz(1))
        x2, y2 = q
        z1z1 = z1 * z1 % p
        u2 = x2 * z1z1 % p
        s2 = y2 * z1 * z1z1 % p
        h = (u2 - x1) % p
        r = 2 * (s2 - y1) % p
        if not h:
            if not r:
                return self._double(pt)
            return (mpz(1), mpz(1), mpz(0))
        hh = h * h % p
        i = 4 * hh
        j = h * i % p
        v = x1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * y1 * j) % p
        z3 = ((z1 + h) ** 2 - z1z1 - hh) % p
        return (x3, y3, z3)

    def _add(self, a: _Jacobian, b: _Jacobian) -> _Jacobian:
        """Jacobian + Jacobian (add-2007-bl): 11M + 5S; handles doubling and infinity."""
        x1, y1, z1 = a
        x2, y2, z2 = b
        if not z1:
            return b
        if not z2:
            return a
        p = self.p
        z1z1 = z1 * z1 % p
        z2z2 = z2 * z2 % p
        u1 = x1 * z2z2 % p
        u2 = x2 * z1z1 % p
        s1 = y1 * z2 * z2z2 % p
        s2 = y2 * z1 * z1z1 % p
        h = (u2 - u1) % p
        r = 2 * (s2 - s1) % p
        if not h:
            if not r:
                return self._double(a)
            return (mpz(1), mpz(1), mpz(0))
        i = 4 * h * h % p
        j = h * i % p
        v = u1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * s1 * j) % p
        z3 = ((z1 + z2) ** 2 - z1z1 - z2z2) * h % p
        return (x3, y3, z3)

    def _to_affine(self, pt: _Jacobian) -> Affine:
        x, y, z = pt
        if not z:
            return None
        p = self.p
        zi = gmpy2.invert(z, p)
        zi2 = zi * zi % p
        return (x * zi2 % p, y * zi2 * zi % p)

    def _batch_to_affine(self, points: Sequence[_Jacobian]) -> list[Affine]:
        """Montgomery's trick: all conversions for the price of one inversion."""
        p = self.p
        prefix = []
        acc = mpz(1)
        for _, _, z in points:
            prefix.append(acc)
            if z:
                acc = acc * z % p
        inv = gmpy2.invert(acc, p)
        out: list[Affine] = [None] * len(points)
        for idx in range(len(points) - 1, -1, -1):
            x, y, z = points[idx]
            if not z:
                continue
            zi = inv * prefix[idx] % p
            inv = inv * z % p
            zi2 = zi * zi % p
            out[idx] = (x * zi2 % p, y * zi2 * zi % p)
        return out

    def _wnaf_mul(self, k: mpz, point: tuple[mpz, mpz], w: int) -> _Jacobian:
        # odd multiples P, 3P, ..., (2^(w-1) - 1)P in affine form
        count = 1 << (w - 2)
        twice = self._double((point[0], point[1], mpz(1)))
        jac = [(point[0], point[1], mpz(1))]
        for _ in range(count - 1):
            jac.append(self._add(jac[-1], twice))
        odd = self._batch_to_affine(jac)
        p = self.p
        digits = _wnaf(k, w)
        acc: _Jacobian = (mpz(1), mpz(1), mpz(0))
        for d in reversed(digits):
            acc = self._double(acc)
            if d:
                q = odd[abs(d) >> 1]
                if q is None:
                    continue
                acc = self._add_mixed(acc, q if d > 0 else (q[0], (-q[1]) % p))
        return acc


def _wnaf(k: mpz, w: int) -> list[int]:
    """Width-w non-adjacent form of k >= 0, least significant digit first."""
    digits = []
    half = 1 << (w - 1)
    full = 1 << w
    k = int(k)
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


class FixedBaseTable:
    """Precomputed multiples of one point P for fast [k]P (a cache; results are exact).

    For window width w, row i holds [d * 2^(w*i)]P for d = 1 .. 2^(w-1) in affine form.  A scalar
    is recoded into signed base-2^w digits in [-2^(w-1), 2^(w-1)], so [k]P is one mixed
    addition (or subtraction) per non-zero digit and no doubling.
    """

    def __init__(self, curve: Curve, point: tuple[mpz, mpz], *, bits: int, window: int = 6):
        if not curve.is_on_curve(point):
            raise VerifyError(f"{curve.name}: table base is not a point on the curve")
        self.curve = curve
        self.point = point
        self.window = window
        self.rows = (bits + window) // window + 1
        half = 1 << (window - 1)
        jac: list[_Jacobian] = []
        base: _Jacobian = (point[0], point[1], mpz(1))
        for _ in range(self.rows):
            row = [base]
            for _ in range(half - 1):
                row.append(curve._add(row[-1], base))
            jac.extend(row)
            nxt = base
            for _ in range(window):
                nxt = curve._double(nxt)
            base = nxt
        flat = curve._batch_to_affine(jac)
        self._table: list[list[Affine]] = [
            flat[r * half : (r + 1) * half] for r in range(self.rows)
        ]
        self._bits = bits

    def multiply(self, k: int) -> Affine:
        """[k]P; k may be any integer below 2^bits (negative values are reduced by negation)."""
        return self.curve._to_affine(self._mul_jacobian(k))

    def multiply_jacobian(self, k: int) -> _Jacobian:
        """[k]P in Jacobian form (Z = 0 for the point at infinity), without an inversion."""
        return self._mul_jacobian(k)

    def _mul_jacobian(self, k: int) -> _Jacobian:
        curve = self.curve
        p = curve.p
        k = int(k)
        negate = k < 0
        if negate:
            k = -k
        if k.bit_length() > self._bits + 1:
            k %= int(curve.order)
        w = self.window
        mask = (1 << w) - 1
        half = 1 << (w - 1)
        full = 1 << w
        table = self._table
        rows = self.rows
        row = 0
        carry = 0
        # accumulator (x, y, z); z = 0 until the first non-zero digit sets it
        x = y = z = mpz(0)
        while k or carry:
            d = (k & mask) + carry
            k >>= w
            if d > half:
                d -= full
                carry = 1
            else:
                carry = 0
            if d:
                if row >= rows:
                    raise ValueError("scalar too large for this table")
                q = table[row][(d if d > 0 else -d) - 1]
                if q is not None:
                    x2, y2 = q
                    if (d < 0) != negate:
                        y2 = p - y2
                    if not z:
                        x, y, z = x2, y2, mpz(1)
                    else:
                        # madd-2007-bl written out (7M + 4S), Z3 = 2 Z1 H
                        z1z1 = z * z % p
                        h = (x2 * z1z1 - x) % p
                        r = 2 * (y2 * z % p * z1z1 - y) % p
                        if not h:
                            x, y, z = curve._add_mixed((x, y, z), (x2, y2))
                        else:
                            hh = h * h % p
                            i = 4 * hh
                            j = h * i % p
                            v = x * i % p
                            x = (r * r - j - 2 * v) % p
                            y = (r * (v - x) - 2 * y * j) % p
                            z = 2 * z * h % p
            row += 1
        if not z:
            return (mpz(1), mpz(1), mpz(0))
        return (x, y, z)
