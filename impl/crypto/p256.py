"""NIST P-256, the ECCSI curve (RFC 6507 section 4.1, RFC 6509 2.1.1), with fast paths.

:data:`P256` is the curve as an :class:`mckm.impl.crypto.ec.Curve` (parameters of FIPS 186-4
D.1.2.3, as printed in RFC 6507 Appendix A).  The functions below compute the same group law as
``ec.Curve`` (Jacobian coordinates, a = -3) with the hot loops written out in one function each,
fewer reductions and no per-operation calls:

* :class:`FixedBaseTable` -- [k]P for a point P that repeats (G, a KPAK, a cached signer's Y):
  row i holds [d * 2^(w*i)]P, d = 1 .. 2^(w-1); a scalar in signed base-2^w digits costs one
  mixed addition per non-zero digit and no doubling;
* :func:`multiply_sum` -- sum of [k_i]P_i for points without a table, by interleaved width-5
  NAF over one shared chain of doublings, plus any number of table terms, with one inversion;
* :func:`jacobian_equals` / :func:`jacobian_x_equals` -- compare a Jacobian result with an
  affine point or an x-coordinate without an inversion.

Tables are caches: every result equals ``P256.multiply_ladder`` (the tests check it).
Scalars are reduced modulo the group order q; P-256 has cofactor 1, so every point that passes
``P256.is_on_curve`` has order q and that reduction is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import gmpy2
from gmpy2 import mpz

from mckm.impl.crypto.ec import Curve

#: NIST P-256 (FIPS 186-4 D.1.2.3; RFC 6507 Appendix A "Global/Community parameters").
P256 = Curve(
    name="P-256",
    p=mpz(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF),
    b=mpz(0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B),
    order=mpz(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    gx=mpz(0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296),
    gy=mpz(0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5),
)

_P = P256.p
_Q = P256.order
_ONE = mpz(1)
_ZERO = mpz(0)
_INFINITY: tuple[mpz, mpz, mpz] = (_ONE, _ONE, _ZERO)
#: The point at infinity in Jacobian form (Z = 0), the start of an accumulation.
INFINITY = _INFINITY
#: Modular inverse (gmpy2), re-exported for the callers' hot paths.
invert = gmpy2.invert

Point = tuple[mpz, mpz]
Jacobian = tuple[mpz, mpz, mpz]

#: Window of the table for G in a long-running process: 17 rows x 2^15 points (about 180 MB,
#: about 2.5 s to build); [k]G then costs at most 17 mixed additions.
G_WINDOW = 16
#: Window of the first table for G: 22 rows x 2^11 points (about 0.2 s to build).
G_WINDOW_FIRST = 12
#: Uses of the first table after which :func:`g_table` builds the large one.
G_UPGRADE_AFTER = 4096
#: wNAF width for points without a table (8 precomputed odd multiples).
WNAF_WIDTH = 5


# -- single group operations (rare paths and table building) ------------------------------------


def _double(x1: mpz, y1: mpz, z1: mpz) -> Jacobian:
    """dbl-2001-b for a = -3 (3M + 5S); the point at infinity (Z = 0) stays at infinity."""
    p = _P
    delta = z1 * z1 % p
    gamma = y1 * y1 % p
    beta = x1 * gamma % p
    alpha = 3 * (x1 - delta) * (x1 + delta) % p
    x3 = (alpha * alpha - 8 * beta) % p
    return x3, (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p, 2 * y1 * z1 % p


def _madd(x1: mpz, y1: mpz, z1: mpz, x2: mpz, y2: mpz) -> Jacobian:
    """Jacobian + affine (madd-2004-hmv, 8M + 3S); handles infinity, P + P and P - P.

    The loops of :meth:`FixedBaseTable.accumulate` and :func:`multiply_sum` inline these lines.
    """
    p = _P
    if not z1:
        return x2, y2, _ONE
    t1 = z1 * z1 % p
    h = x2 * t1 % p - x1
    r = y2 * z1 * t1 % p - y1
    if not h:
        return _double(x1, y1, z1) if not r else _INFINITY
    hh = h * h % p
    hhh = hh * h % p
    v = hh * x1 % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - y1 * hhh) % p, z1 * h % p


def to_affine(pt: Jacobian) -> Point | None:
    """Affine (x, y) of a Jacobian point, or None for the point at infinity."""
    x, y, z = pt
    if not z:
        return None
    p = _P
    zi = gmpy2.invert(z, p)
    zi2 = zi * zi % p
    return x * zi2 % p, y * zi2 * zi % p


def _batch_to_affine(points: Sequence[Jacobian]) -> list[Point]:
    """Montgomery's trick: one inversion for all (no point may be at infinity)."""
    p = _P
    prefix = []
    acc = _ONE
    for _, _, z in points:
        prefix.append(acc)
        acc = acc * z % p
    inv = gmpy2.invert(acc, p)
    out: list[Point] = [(_ZERO, _ZERO)] * len(points)
    for idx in range(len(points) - 1, -1, -1):
        x, y, z = points[idx]
        zi = inv * prefix[idx] % p
        inv = inv * z % p
        zi2 = zi * zi % p
        out[idx] = (x * zi2 % p, y * zi2 * zi % p)
    return out


def jacobian_equals(pt: Jacobian, point: Point) -> bool:
    """True when the Jacobian ``pt`` is the affine ``point`` (no inversion)."""
    x, y, z = pt
    if not z:
        return False
    p = _P
    zz = z * z % p
    return bool((x - point[0] * zz) % p == 0 and (y - point[1] * zz * z) % p == 0)


def jacobian_x_equals(pt: Jacobian, x_affine: int) -> bool:
    """True when ``pt`` is finite and its affine x equals ``x_affine`` (taken mod p)."""
    x, _, z = pt
    if not z:
        return False
    return bool((x - x_affine * z * z) % _P == 0)


# -- fixed-base tables ----------------------------------------------------------------------------


class FixedBaseTable:
    """Multiples of one point P for [k]P without doubling (a cache; results are exact).

    Row i holds [d * 2^(w*i)]P for d = 1 .. 2^(w-1), affine, in two flat lists.  The scalar,
    reduced mod q, is recoded into signed base-2^w digits in (-2^(w-1), 2^(w-1)], so [k]P is
    one mixed addition per non-zero digit: ceil(257/w) at most.
    """

    __slots__ = ("_xs", "_ys", "point", "rows", "window")

    def __init__(self, point: Point, *, window: int) -> None:
        if not 2 <= window <= 20:
            raise ValueError(f"table window {window} outside [2, 20]")
        if not P256.is_on_curve(point):
            raise ValueError("table base is not a point on P-256")
        self.point = point
        self.window = window
        self.rows = (int(_Q).bit_length() + 1 + window - 1) // window
        half = 1 << (window - 1)
        xs: list[mpz] = []
        ys: list[mpz] = []
        bx, by = point
        for _ in range(self.rows):
            row: list[Jacobian] = [(bx, by, _ONE)]
            acc = _double(bx, by, _ONE)
            row.append(acc)
            for _ in range(half - 2):
                acc = _madd(*acc, bx, by)
                row.append(acc)
            row.append(_double(*acc))  # [2^w] * base: the next row's base
            affine = _batch_to_affine(row)
            for x, y in affine[:half]:
                xs.append(x)
                ys.append(y)
            bx, by = affine[half]
        self._xs = xs
        self._ys = ys

    def multiply(self, k: int) -> Point | None:
        """[k]P as an affine point (None for the point at infinity)."""
        return to_affine(self.accumulate(k, _INFINITY))

    def accumulate(self, k: int, acc: Jacobian) -> Jacobian:
        """acc + [k]P, in Jacobian coordinates (the inner loop: inlined mixed additions)."""
        p = _P
        k = int(k % _Q)
        w = self.window
        half = 1 << (w - 1)
        full = 1 << w
        mask = full - 1
        xs = self._xs
        ys = self._ys
        x1, y1, z1 = acc
        base = -1  # index of entry d in the current row is base + d
        carry = 0
        while k or carry:
            d = (k & mask) + carry
            k >>= w
            if d > half:
                d -= full
                carry = 1
            else:
                carry = 0
            if d:
                if d > 0:
                    x2 = xs[base + d]
                    y2 = ys[base + d]
                else:
                    x2 = xs[base - d]
                    y2 = p - ys[base - d]
                if not z1:
                    x1, y1, z1 = x2, y2, _ONE
                else:  # madd-2004-hmv (8M + 3S)
                    t1 = z1 * z1 % p
                    h = x2 * t1 % p - x1
                    r = y2 * z1 * t1 % p - y1
                    if not h:
                        x1, y1, z1 = _double(x1, y1, z1) if not r else _INFINITY
                    else:
                        hh = h * h % p
                        hhh = hh * h % p
                        v = hh * x1 % p
                        z1 = z1 * h % p
                        x3 = (r * r - hhh - 2 * v) % p
                        y1 = (r * (v - x3) - y1 * hhh) % p
                        x1 = x3
            base += half
        return x1, y1, z1


_g_small: FixedBaseTable | None = None
_g_large: FixedBaseTable | None = None
_g_uses = 0
_g_lock = threading.Lock()


def prepare_g_table(window: int = G_WINDOW) -> FixedBaseTable:
    """Build the large table for G now (a server calls this at start-up) and use it from now on."""
    global _g_large
    with _g_lock:
        if _g_large is None or _g_large.window != window:
            _g_large = FixedBaseTable(P256.G, window=window)
        return _g_large


def g_table() -> FixedBaseTable:
    """The process-wide table for G.

    A cache in two sizes: a window-:data:`G_WINDOW_FIRST` table (about 0.2 s to build) from the
    first use, replaced by the window-:data:`G_WINDOW` table after :data:`G_UPGRADE_AFTER` uses,
    so a short command stays quick to start and a long-running process gets the fast table.
    """
    global _g_small, _g_uses
    large = _g_large
    if large is not None:
        return large
    _g_uses += 1
    if _g_uses > G_UPGRADE_AFTER:
        return prepare_g_table()
    small = _g_small
    if small is None:
        with _g_lock:
            if _g_small is None:
                _g_small = FixedBaseTable(P256.G, window=G_WINDOW_FIRST)
            small = _g_small
    return small


def multiply_g(k: int) -> Point | None:
    """[k]G by the G table."""
    return g_table().multiply(k)


# -- variable-base multiplication -----------------------------------------------------------------


def _wnaf_pairs(k: int, w: int) -> list[tuple[int, int]]:
    """Non-zero digits of the width-w NAF of k >= 0 as (bit position, digit), lowest first."""
    out = []
    pos = 0
    full = 1 << w
    half = 1 << (w - 1)
    mask = full - 1
    while k:
        tz = (k & -k).bit_length() - 1
        k >>= tz
        pos += tz
        d = k & mask
        if d >= half:
            d -= full
        out.append((pos, d))
        k = (k - d) >> w
        pos += w
    return out


def _odd_multiples(point: Point, w: int) -> tuple[list[mpz], list[mpz]]:
    """x and y lists of P, 3P, ..., (2^(w-1) - 1)P in affine form."""
    x, y = point
    twice = to_affine(_double(x, y, _ONE))
    assert twice is not None  # P-256 has no point of order 2
    tx, ty = twice
    jac: list[Jacobian] = [(x, y, _ONE)]
    acc: Jacobian = (x, y, _ONE)
    for _ in range((1 << (w - 2)) - 1):
        acc = _madd(*acc, tx, ty)
        jac.append(acc)
    affine = _batch_to_affine(jac)
    return [a[0] for a in affine], [a[1] for a in affine]


def multiply_sum(
    variable: Sequence[tuple[int, Point]] = (),
    tables: Sequence[tuple[int, FixedBaseTable]] = (),
) -> Jacobian:
    """Sum of [k]P over ``variable`` (points without a table) and ``tables``, in Jacobian form.

    The variable-base terms share one chain of doublings (interleaved width-5 NAF, Straus /
    Shamir); the table terms are added afterwards without doubling.
    """
    p = _P
    q = _Q
    w = WNAF_WIDTH
    events: list[tuple[int, mpz, mpz]] = []  # (position, x, y) of each digit's addend
    for k, point in variable:
        k = int(k % q)
        if not k:
            continue
        oxs, oys = _odd_multiples(point, w)
        for pos, d in _wnaf_pairs(k, w):
            if d > 0:
                events.append((pos, oxs[d >> 1], oys[d >> 1]))
            else:
                events.append((pos, oxs[(-d) >> 1], p - oys[(-d) >> 1]))
    x1, y1, z1 = _INFINITY
    if events:
        events.sort(key=lambda e: e[0], reverse=True)
        current = events[0][0]
        for pos, x2, y2 in events:
            for _ in range(current - pos):  # inlined dbl-2001-b, a = -3
                delta = z1 * z1 % p
                gamma = y1 * y1 % p
                beta = x1 * gamma % p
                alpha = 3 * (x1 - delta) * (x1 + delta) % p
                z1 = 2 * y1 * z1 % p
                x3 = (alpha * alpha - 8 * beta) % p
                y1 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
                x1 = x3
            current = pos
            if not z1:
                x1, y1, z1 = x2, y2, _ONE
                continue
            t1 = z1 * z1 % p  # madd-2004-hmv (8M + 3S)
            h = x2 * t1 % p - x1
            r = y2 * z1 * t1 % p - y1
            if not h:
                x1, y1, z1 = _double(x1, y1, z1) if not r else _INFINITY
                continue
            hh = h * h % p
            hhh = hh * h % p
            v = hh * x1 % p
            z1 = z1 * h % p
            x3 = (r * r - hhh - 2 * v) % p
            y1 = (r * (v - x3) - y1 * hhh) % p
            x1 = x3
        for _ in range(current):
            x1, y1, z1 = _double(x1, y1, z1)
    acc: Jacobian = (x1, y1, z1)
    for k, table in tables:
        acc = table.accumulate(k, acc)
    return acc


def multiply(k: int, point: Point) -> Point | None:
    """[k]point for a point without a table (width-5 NAF)."""
    return to_affine(multiply_sum([(k, point)]))
