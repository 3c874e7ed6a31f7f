"""The Tate-Lichtenbaum pairing <R, Q> of RFC 6508 section 3.2, with a table of Miller lines.

RFC 6508 3.2 defines <R, Q> for R, Q in E(F_p)[q] by Miller's algorithm on the bits of q - 1,
the distortion map psi(x, y) = (-x, iy) of 3.1 applied to Q, and the final power
c = (p + 1) / q taken in PF_p = (F_p^2)* / (F_p)* (section 2.1).  The value is returned in the
section 4 representation, the integer b/a mod p of the class of a + bi.  Working in PF_p is
the "reduction convention" that differs from the usual full-field Tate pairing: the factor
p - 1 of (p^2 - 1)/q is absorbed by the projective class rather than computed, and every factor
lying in F_p (line denominators, signs, Jacobian scalings) disappears with it.

Three implementations, equal to the bit (tests check it):

* :func:`pairing_reference` -- the RFC's algorithm word for word: affine C, the RFC's line
  values t_x + i t_y, an exponentiation by c, then b/a;
* :func:`pairing` -- the same loop with C in Jacobian coordinates and each line multiplied by
  a power of Z (an F_p factor), so no inversion until the end, and c = 4 done as two squarings;
* :class:`MillerLines` -- for a fixed first argument K (a receiver's RSK) the points C of the
  loop and their lines do not depend on the second argument; the lines are precomputed once
  as two coefficients each, scaled to the form alpha * (Q_x/Q_y) + beta * (1/Q_y) + i, so a
  pairing <K, Q> costs, per bit, one F_p^2 squaring and two products per line.

The receiver uses ``MillerLines`` on its RSK to compute <R, RSK> as <RSK, R>.  The reduced
Tate pairing with the distortion map is symmetric on the cyclic group E(F_p)[q] (for R = [k]K,
both sides equal <K, K>^k), and the PF_p representation is canonical, so the two agree to the
bit for every R of order q; the tests check it on the RFC vectors and on random points.  For a
point R outside E(F_p)[q] the values may differ, but RFC 6508 6.2.2 step 5 refuses such an R
anyway (TEST = [r]([b]P + Z) lies in the subgroup, so it cannot equal R).
"""

from __future__ import annotations

from collections.abc import Sequence

import gmpy2
from gmpy2 import mpz

from mckm.impl.crypto import fp2
from mckm.impl.crypto.sakke_params import PARAMS, SakkeParams
from mckm.impl.errors import VerifyError

Point = tuple[mpz, mpz]


def _check_point(params: SakkeParams, point: Point, what: str) -> None:
    if not params.curve.is_on_curve(point):
        raise VerifyError(f"pairing {what}: not a point of E(F_p)", clause="RFC 6508 3.2")


def pairing_reference(r_point: Point, q_point: Point, params: SakkeParams = PARAMS) -> mpz:
    """<R, Q> computed literally as RFC 6508 3.2 writes it (slow; the reference)."""
    _check_point(params, r_point, "R")
    _check_point(params, q_point, "Q")
    p, curve = params.p, params.curve
    rx, ry = r_point
    qx, qy = q_point
    v = fp2.ONE
    c: Point | None = r_point
    for bit in bin(params.q - 1)[3:]:  # from the second most significant bit to the last
        if c is None:
            raise VerifyError("pairing: Miller loop reached the point at infinity",
                              clause="RFC 6508 3.2")
        cx, cy = c
        v = fp2.sqr(v, p)
        t_x = (3 * (cx * cx - 1) * (qx + cx) - 2 * cy * cy) % p
        t_y = 2 * cy * qy % p
        v = fp2.mul(v, (t_x, t_y), p)
        c = curve.double(c)
        if bit == "1":
            if c is None:
                raise VerifyError("pairing: Miller loop reached the point at infinity",
                                  clause="RFC 6508 3.2")
            cx, cy = c
            t_x = ((qx + rx) * cy - (qx + cx) * ry) % p
            t_y = (cx - rx) * qy % p
            v = fp2.mul(v, (t_x, t_y), p)
            c = curve.add(c, r_point)
    v = fp2.power(v, int((p + 1) // params.q), p)
    return fp2.to_pf(v, p)


def pairing(r_point: Point, q_point: Point, params: SakkeParams = PARAMS) -> mpz:
    """<R, Q> (RFC 6508 3.2) by a Jacobian Miller loop; equal to :func:`pairing_reference`."""
    _check_point(params, r_point, "R")
    _check_point(params, q_point, "Q")
    p = params.p
    rx, ry = r_point
    qx, qy = q_point
    qxrx = qx + rx
    ry_neg = p - ry
    x, y, z = rx, ry, mpz(1)
    a, b = mpz(1), mpz(0)
    for digit in _loop_digits(params):
        # doubling step: dbl-2001-b (a = -3) and the tangent line at psi(Q), times Z^6
        delta = z * z % p
        gamma = y * y % p
        beta = x * gamma % p
        alpha = 3 * (x - delta) * (x + delta) % p
        t_x = (alpha * (qx * delta + x) - 2 * gamma) % p
        z3 = 2 * y * z % p
        t_y = z3 * delta % p * qy % p
        x3 = (alpha * alpha - 8 * beta) % p
        y = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
        x, z = x3, z3
        # v = v^2 * (t_x + i t_y)
        a, b = (a + b) * (a - b) % p, 2 * a * b % p
        ac = a * t_x
        bd = b * t_y
        a, b = (ac - bd) % p, ((a + b) * (t_x + t_y) - ac - bd) % p
        if digit:
            # addition step, C + R or C - R (NAF digit +-1): madd-2007-bl, and the chord line
            # at psi(Q) times 2ZH (an F_p factor); the vertical line of C - R is in F_p too
            ryd = ry if digit > 0 else ry_neg
            z1z1 = z * z % p
            u2 = rx * z1z1 % p
            s2 = ryd * z * z1z1 % p
            h = (u2 - x) % p
            rr = 2 * (s2 - y) % p
            hh = h * h % p
            i4 = 4 * hh
            j = h * i4 % p
            vv = x * i4 % p
            z3 = ((z + h) ** 2 - z1z1 - hh) % p  # 2ZH
            t_x = (rr * qxrx - z3 * ryd) % p
            t_y = z3 * qy % p
            x3 = (rr * rr - j - 2 * vv) % p
            y = (rr * (vv - x3) - 2 * y * j) % p
            x, z = x3, z3
            ac = a * t_x
            bd = b * t_y
            a, b = (ac - bd) % p, ((a + b) * (t_x + t_y) - ac - bd) % p
    return _final(a, b, p)


def _final(a: mpz, b: mpz, p: mpz) -> mpz:
    """v^c with c = (p + 1)/q = 4 for these parameters (two squarings), then b/a."""
    for _ in range(2):
        a, b = (a + b) * (a - b) % p, 2 * a * b % p
    return fp2.to_pf((a, b), p)


_DIGITS_CACHE: dict[int, tuple[int, ...]] = {}


def _loop_digits(params: SakkeParams) -> tuple[int, ...]:
    """Non-adjacent form of q - 1 after its leading 1, most significant first.

    RFC 6508 3.2 walks the binary digits of q - 1; a signed digit -1 adds the line through C
    and -R and divides by a vertical line, whose value at psi(Q) = (-Q_x, iQ_y) lies in F_p and
    so vanishes in PF_p: the value is unchanged (the tests compare with the RFC's loop) and
    353 instead of 513 addition steps are made for parameter set 1.
    """
    key = int(params.q)
    digits = _DIGITS_CACHE.get(key)
    if digits is None:
        if (params.p + 1) % params.q or (params.p + 1) // params.q != 4:
            raise ValueError("fast pairing assumes c = (p + 1)/q = 4 (RFC 6509 parameter set 1)")
        naf = []
        k = key - 1
        while k:
            if k & 1:
                d = 2 - (k & 3)
                k -= d
            else:
                d = 0
            naf.append(d)
            k >>= 1
        digits = tuple(reversed(naf[:-1]))
        _DIGITS_CACHE[key] = digits
    return digits


class MillerLines:
    """Miller lines of RFC 6508 3.2 for a fixed first argument K, precomputed (a cache).

    ``evaluate(Q)`` returns <K, Q>, equal to :func:`pairing` (K, Q).  Each line through the
    loop's point C is stored as (alpha, beta) with line(psi(Q)) ~ alpha * Q_x/Q_y + beta/Q_y + i
    up to a factor in F_p; building costs one affine walk with batched inversions.
    """

    def __init__(self, k_point: Point, params: SakkeParams = PARAMS) -> None:
        _check_point(params, k_point, "fixed point")
        p = params.p
        curve = params.curve
        kx, ky = k_point
        digits = _loop_digits(params)
        ky_neg = p - ky
        k_neg = (kx, ky_neg)
        # walk C through the loop in Jacobian form, recording the (numerator, denominator)
        # of each line's coefficients; normalise all with one inversion at the end.
        nums: list[tuple[mpz, mpz]] = []
        dens: list[mpz] = []
        acc = (kx, ky, mpz(1))
        for digit in digits:
            x, y, z = acc
            # tangent at C = (x/z^2, y/z^3): t_x = A*Q_x + B, t_y = D*Q_y, scaled by z^6
            delta = z * z % p
            gamma = y * y % p
            alpha = 3 * (x - delta) * (x + delta) % p
            nums.append((alpha * delta % p, (alpha * x - 2 * gamma) % p))
            dens.append(2 * y * z % p * delta % p)
            acc = curve._double(acc)
            if digit:
                x, y, z = acc
                # chord through C and +-K = (Kx, Ky'):
                # t_x = Q_x(Cy - Ky') + (Kx Cy - Cx Ky'), t_y = (Cx - Kx)Q_y
                kyd = ky if digit > 0 else ky_neg
                z2 = z * z % p
                z3 = z2 * z % p
                nums.append(((y - kyd * z3) % p, (kx * y - x * kyd * z) % p))
                dens.append((x - kx * z2) % p * z % p)
                acc = curve._add_mixed(acc, k_point if digit > 0 else k_neg)
        inverses = _batch_invert(dens, p)
        self._lines = tuple(
            (n0 * inv % p, n1 * inv % p) for (n0, n1), inv in zip(nums, inverses, strict=True)
        )
        self._digits = digits
        self.params = params
        self.point = k_point

    def evaluate(self, q_point: Point) -> mpz:
        """<K, Q> for this table's K (RFC 6508 3.2)."""
        params = self.params
        _check_point(params, q_point, "Q")
        p = params.p
        qx, qy = q_point
        if not qy:
            raise VerifyError("pairing Q: a point of order 2 is not in E(F_p)[q]",
                              clause="RFC 6508 3.2")
        w = gmpy2.invert(qy, p)
        u = qx * w % p
        a, b = mpz(1), mpz(0)
        lines = iter(self._lines)
        for digit in self._digits:
            al, be = next(lines)
            s = (al * u + be * w) % p
            # v = v^2 * (s + i)
            a, b = (a + b) * (a - b) % p, 2 * a * b % p
            a, b = (a * s - b) % p, (b * s + a) % p
            if digit:
                al, be = next(lines)
                s = (al * u + be * w) % p
                a, b = (a * s - b) % p, (b * s + a) % p
        return _final(a, b, p)


def _batch_invert(values: Sequence[mpz], p: mpz) -> list[mpz]:
    """Inverses of non-zero values mod p with one modular inversion (Montgomery's trick)."""
    prefix = []
    acc = mpz(1)
    for value in values:
        if not value:
            raise VerifyError("pairing: degenerate Miller line (point of small order)",
                              clause="RFC 6508 3.2")
        prefix.append(acc)
        acc = acc * value % p
    inv = gmpy2.invert(acc, p)
    out = [mpz(0)] * len(values)
    for idx in range(len(values) - 1, -1, -1):
        out[idx] = inv * prefix[idx] % p
        inv = inv * values[idx] % p
    return out
