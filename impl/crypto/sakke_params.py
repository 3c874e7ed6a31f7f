"""SAKKE parameter set 1 (RFC 6509 Appendix A, the parameters of RFC 6508 Appendix A), as data.

The curve is E: y^2 = x^3 - 3x over F_p (RFC 6508 2.1), p = 3 mod 4, q = (p + 1) / 4 prime,
P a point of order q, g = <P, P> in the PF_p representation of RFC 6508 section 4 (the class of
a + bi in (F_p^2)* / (F_p)* is written as the integer b/a mod p), Hash = SHA-256, n = 128.
This module is the one home of these numbers; everything else imports :data:`PARAMS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from gmpy2 import mpz

from mckm.impl.crypto.ec import Curve


@dataclass(frozen=True)
class SakkeParams:
    """One SAKKE parameter set (RFC 6508 2.3: n, p, q, P, g, Hash)."""

    set_id: int
    n_bits: int
    p: mpz
    q: mpz
    curve: Curve
    g: mpz
    hash_name: str

    @property
    def P(self) -> tuple[mpz, mpz]:
        point: tuple[mpz, mpz] = self.curve.G
        return point

    @property
    def coord_bytes(self) -> int:
        """Octets of one F_p value (x, y, or a PF_p element) in RFC 6508 section 4 encodings."""
        size: int = self.curve.coord_bytes
        return size

    @property
    def point_bytes(self) -> int:
        """Octets of an uncompressed point 0x04 || x || y."""
        return 1 + 2 * self.coord_bytes

    @property
    def ssv_bytes(self) -> int:
        return self.n_bits // 8

    @property
    def sed_bytes(self) -> int:
        """Octets of the Encapsulated Data R_(b,S) || H (RFC 6508 section 4; 273 for set 1)."""
        return self.point_bytes + self.ssv_bytes

    @property
    def hashfn(self) -> Callable[[bytes], bytes]:
        name = self.hash_name
        return lambda data: hashlib.new(name, data).digest()




def _hex(text: str) -> mpz:
    return mpz(text, 16)


# RFC 6509 Appendix A / RFC 6508 Appendix A (hex, big-endian).
_p = _hex(
    "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E"
    "F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0"
    "E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA"
    "9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB"
)
_q = (_p + 1) // 4  # RFC 6509 Appendix A: q = (p + 1) / 4
_Px = _hex(
    "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF"
    "B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890"
    "9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D"
    "D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895"
)
_Py = _hex(
    "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178"
    "F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B9"
    "70DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F2"
    "13515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7"
)
_g = _hex(
    "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87"
    "371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE"
    "EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA"
    "D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46"
)

#: MIKEY-SAKKE parameter set 1 (RFC 6509 Appendix A; "SAKKE params" value 1 in RFC 6509 4.2).
PARAMS = SakkeParams(
    set_id=1,
    n_bits=128,
    p=_p,
    q=_q,
    curve=Curve(name="SAKKE-1", p=_p, b=mpz(0), order=_q, gx=_Px, gy=_Py),
    g=_g,
    hash_name="sha256",
)
