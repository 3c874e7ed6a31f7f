"""F_p^2 = F_p[i] / (i^2 + 1) and the projective line PF_p of RFC 6508 (sections 2.1 and 4).

An element a + bi of F_p^2 is the pair ``(a, b)`` of mpz.  RFC 6508 2.1 defines
PF_p = (F_p^2)* / (F_p)*: two elements that differ by a non-zero factor in F_p are the same
element of PF_p.  Section 4 represents the class of a + bi by the single integer b/a mod p; the
pairing values g, g^r and w = <R, K> are exchanged and hashed in that form (128 octets for
parameter set 1).  Working in PF_p rather than in F_p^2 is what lets the pairing skip every
factor that lies in F_p (denominators, signs, scalings of a line): they vanish in the class.

Because p = 3 mod 4, i^p = -i, so the Frobenius map is conjugation and (a + bi)^(p+1) = a^2 + b^2
is in F_p.  In PF_p the inverse of the class of (1 + si) is therefore the class of (1 - si),
which :class:`PFTable` uses for signed digits.
"""

from __future__ import annotations

import gmpy2
from gmpy2 import mpz

from mckm.impl.errors import VerifyError

Fp2 = tuple[mpz, mpz]

ONE: Fp2 = (mpz(1), mpz(0))


def mul(x: Fp2, y: Fp2, p: mpz) -> Fp2:
    """(a + bi)(c + di) = (ac - bd) + ((a + b)(c + d) - ac - bd)i  (Karatsuba, 3 products)."""
    a, b = x
    c, d = y
    ac = a * c
    bd = b * d
    return ((ac - bd) % p, ((a + b) * (c + d) - ac - bd) % p)


def sqr(x: Fp2, p: mpz) -> Fp2:
    """(a + bi)^2 = (a + b)(a - b) + 2abi  (2 products)."""
    a, b = x
    return ((a + b) * (a - b) % p, 2 * a * b % p)


def power(x: Fp2, e: int, p: mpz) -> Fp2:
    """x^e for e >= 0 by left-to-right square-and-multiply."""
    acc = ONE
    for bit in bin(e)[2:]:
        acc = sqr(acc, p)
        if bit == "1":
            acc = mul(acc, x, p)
    return acc


def to_pf(x: Fp2, p: mpz) -> mpz:
    """RFC 6508 section 4: the PF_p element represented by x, as the integer b/a mod p.

    a = 0 has no such representation (the class of i, of order 2, never a value of the
    pairing on E[q]); it is refused rather than mapped to a number.
    """
    a, b = x
    a %= p
    if not a:
        raise VerifyError(
            "pairing value is not in PF_p[q] (real part 0 has no b/a representation)",
            clause="RFC 6508 section 4",
        )
    return b * gmpy2.invert(a, p) % p


def from_pf(t: int, p: mpz) -> Fp2:
    """A representative of the PF_p element written t in RFC 6508 section 4: 1 + ti."""
    return (mpz(1), mpz(t) % p)


def pf_power(t: int, e: int, p: mpz) -> mpz:
    """t^e computed in PF_p (the reference for :class:`PFTable`)."""
    return to_pf(power(from_pf(t, p), e, p), p)


class PFTable:
    """Fixed-base table for t^e in PF_p (a cache for g^r; results equal :func:`pf_power`).

    Row j holds, for d = 1 .. 2^(w-1), the element t^(d * 2^(w*j)) normalised to the
    representative 1 + s i, stored as s.  Multiplying (x + yi) by 1 + si costs two products,
    and the inverse class is 1 - si, so an exponent in signed base-2^w digits costs one such
    step per non-zero digit and no squaring.
    """

    def __init__(self, t: int, p: mpz, *, bits: int, window: int = 8) -> None:
        self.p = p
        self.window = window
        self.rows = bits // window + 2
        half = 1 << (window - 1)
        raw: list[Fp2] = []
        base = from_pf(t, p)
        for _ in range(self.rows):
            acc = base
            raw.append(acc)
            for _ in range(half - 1):
                acc = mul(acc, base, p)
                raw.append(acc)
            nxt = base
            for _ in range(window):
                nxt = sqr(nxt, p)
            base = nxt
        # normalise every entry to 1 + si with one inversion (Montgomery's trick)
        prefix = []
        prod = mpz(1)
        for a, _ in raw:
            prefix.append(prod)
            prod = prod * a % p
        inv = gmpy2.invert(prod, p)
        flat: list[mpz] = [mpz(0)] * len(raw)
        for idx in range(len(raw) - 1, -1, -1):
            a, b = raw[idx]
            a_inv = inv * prefix[idx] % p
            inv = inv * a % p
            flat[idx] = b * a_inv % p
        self._table = [flat[r * half : (r + 1) * half] for r in range(self.rows)]
        self._bits = bits

    def power_fp2(self, e: int) -> Fp2:
        """A representative of t^e (0 <= e < 2^bits) in F_p^2."""
        e = int(e)
        if e < 0 or e.bit_length() > self._bits:
            raise ValueError("exponent out of range for this table")
        p = self.p
        w = self.window
        mask = (1 << w) - 1
        half = 1 << (w - 1)
        full = 1 << w
        x = mpz(1)
        y = mpz(0)
        table = self._table
        row = 0
        carry = 0
        while e or carry:
            d = (e & mask) + carry
            e >>= w
            if d > half:
                d -= full
                carry = 1
            else:
                carry = 0
            if d > 0:
                s = table[row][d - 1]
                x, y = (x - y * s) % p, (x * s + y) % p
            elif d < 0:
                s = table[row][-d - 1]
                x, y = (x + y * s) % p, (y - x * s) % p
            row += 1
        return (x, y)

    def power(self, e: int) -> mpz:
        """t^e in the RFC 6508 section 4 representation."""
        return to_pf(self.power_fp2(e), self.p)
