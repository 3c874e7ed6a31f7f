"""Conformance-vector kinds: what each kind takes, what it produces, how to run and make one.

A vector file is ``{"vectors": [{"kind": ..., <fields>}, ...]}``.  Binary fields are hex strings
(points uncompressed, 04 || x || y; identities are the exact octets that are hashed); scalars
are hex numbers of any length, as the RFCs print them (``"0x34567"`` or 64 digits); URIs are
text; periods are integers.  Each kind below names its input fields, its expected (output)
fields, the clause it checks, a ``run`` that computes the outputs from the inputs with mckm's own
implementation, and a ``make`` that draws fresh inputs from a seeded RNG.  Later issues add kinds
by registering them here with :func:`kind`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

FieldType = Literal["hex", "scalar", "text", "int", "bool"]
Values = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One named field of a vector; ``optional`` inputs may be left out."""

    name: str
    type: FieldType
    optional: bool = False


@dataclass(frozen=True)
class Kind:
    """A vector kind: inputs -> expected outputs, with the clause it checks."""

    name: str
    clause: str
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...]
    run: Callable[[Mapping[str, Any]], Values]
    make: Callable[[random.Random], Values]

    def field(self, name: str) -> Field | None:
        for f in self.inputs + self.outputs:
            if f.name == name:
                return f
        return None


KINDS: dict[str, Kind] = {}


def kind(k: Kind) -> Kind:
    """Register ``k``; its name must be new."""
    if k.name in KINDS:
        raise ValueError(f"vector kind {k.name!r} registered twice")
    KINDS[k.name] = k
    return k


def _rand_bytes(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "big")


def _rand_identity(rng: random.Random) -> bytes:
    """A TS 33.180 style UID (32 octets) or an RFC 6509 tel-URI identity, at random."""
    if rng.random() < 0.5:
        return _rand_bytes(rng, 32)
    number = "".join(rng.choice("0123456789") for _ in range(12))
    month = f"{rng.randint(2011, 2040)}-{rng.randint(1, 12):02d}"
    return f"{month}\0tel:+{number}\0".encode()


# -- ECCSI (RFC 6507) ---------------------------------------------------------------------------


def _eccsi_sign(v: Mapping[str, Any]) -> Values:
    from mckm.impl.crypto import eccsi

    signature = eccsi.sign(
        v["message"], identity=v["identity"], ssk=v["ssk"], pvt=v["pvt"], kpak=v["kpak"],
        j=v["j"],
    )
    return {"signature": signature}


def _eccsi_keys(rng: random.Random) -> tuple[bytes, bytes, int, bytes]:
    from mckm.impl.crypto import eccsi
    from mckm.impl.crypto.p256 import P256

    q = int(P256.order)
    ksak, kpak = eccsi.kms_keypair(rng.randrange(1, q))
    identity = _rand_identity(rng)
    ssk, pvt = eccsi.issue_ssk(ksak.reveal(), kpak, identity, v=rng.randrange(1, q))
    return kpak, identity, ssk.reveal(), pvt


def _eccsi_sign_make(rng: random.Random) -> Values:
    from mckm.impl.crypto.p256 import P256

    kpak, identity, ssk, pvt = _eccsi_keys(rng)
    values: Values = {
        "kpak": kpak, "identity": identity, "ssk": ssk, "pvt": pvt,
        "j": rng.randrange(1, int(P256.order)),
        "message": _rand_bytes(rng, rng.randint(0, 64)),
    }
    values.update(_eccsi_sign(values))
    return values


def _eccsi_verify(v: Mapping[str, Any]) -> Values:
    from mckm.impl.crypto import eccsi

    ok = eccsi.is_valid(v["message"], v["signature"], identity=v["identity"], kpak=v["kpak"])
    return {"valid": ok}


def _eccsi_verify_make(rng: random.Random) -> Values:
    signed = _eccsi_sign_make(rng)
    signature = bytearray(signed["signature"])
    valid = rng.random() < 0.5
    if not valid:  # one flipped bit anywhere in r || s || PVT
        bit = rng.randrange(len(signature) * 8)
        signature[bit // 8] ^= 0x80 >> (bit % 8)
    return {"kpak": signed["kpak"], "identity": signed["identity"],
            "message": signed["message"], "signature": bytes(signature), "valid": valid}


kind(Kind(
    "eccsi-sign", "RFC 6507 5.2.1",
    inputs=(Field("kpak", "hex"), Field("identity", "hex"), Field("ssk", "scalar"),
            Field("pvt", "hex"), Field("j", "scalar"), Field("message", "hex")),
    outputs=(Field("signature", "hex"),),
    run=_eccsi_sign, make=_eccsi_sign_make,
))
kind(Kind(
    "eccsi-verify", "RFC 6507 5.2.2",
    inputs=(Field("kpak", "hex"), Field("identity", "hex"), Field("message", "hex"),
            Field("signature", "hex")),
    outputs=(Field("valid", "bool"),),
    run=_eccsi_verify, make=_eccsi_verify_make,
))


# -- SAKKE (RFC 6508) ---------------------------------------------------------------------------


def _sakke_encapsulate(v: Mapping[str, Any]) -> Values:
    from mckm.impl.crypto import sakke

    trace = sakke.encapsulate_trace(v["ssv"], identity=v["identity"], z_pub=v["z_pub"])
    return {"encapsulated": trace.encapsulated, "r": trace.r_bytes}


def _sakke_keys(rng: random.Random) -> tuple[bytes, bytes, bytes]:
    from mckm.impl.crypto import sakke
    from mckm.impl.crypto.sakke_params import PARAMS

    z, z_pub = sakke.kms_master_key(rng.randrange(2, int(PARAMS.q)))
    identity = _rand_identity(rng)
    return z_pub, identity, sakke.issue_rsk(z.reveal(), identity)


def _sakke_encapsulate_make(rng: random.Random) -> Values:
    z_pub, identity, _ = _sakke_keys(rng)
    values: Values = {"z_pub": z_pub, "identity": identity, "ssv": _rand_bytes(rng, 16)}
    values.update(_sakke_encapsulate(values))
    return values


def _sakke_derive(v: Mapping[str, Any]) -> Values:
    from mckm.impl.crypto import sakke

    ssv = sakke.derive(v["encapsulated"], identity=v["identity"], rsk=v["rsk"], z_pub=v["z_pub"])
    return {"ssv": ssv}


def _sakke_derive_make(rng: random.Random) -> Values:
    z_pub, identity, rsk = _sakke_keys(rng)
    values: Values = {"z_pub": z_pub, "identity": identity, "rsk": rsk,
                      "ssv": _rand_bytes(rng, 16)}
    values["encapsulated"] = _sakke_encapsulate(values)["encapsulated"]
    return values


kind(Kind(
    "sakke-encapsulate", "RFC 6508 6.2.1",
    inputs=(Field("z_pub", "hex"), Field("identity", "hex"), Field("ssv", "hex")),
    outputs=(Field("encapsulated", "hex"), Field("r", "hex", optional=True)),
    run=_sakke_encapsulate, make=_sakke_encapsulate_make,
))
kind(Kind(
    "sakke-derive", "RFC 6508 6.2.2",
    inputs=(Field("z_pub", "hex"), Field("identity", "hex"), Field("rsk", "hex"),
            Field("encapsulated", "hex")),
    outputs=(Field("ssv", "hex"),),
    run=_sakke_derive, make=_sakke_derive_make,
))


# -- MIKEY-SAKKE UID (TS 33.180 F.2.1) -----------------------------------------------------------


def _uid_derive(v: Mapping[str, Any]) -> Values:
    from mckm.impl.crypto import uid

    return {"uid": uid.mcx_uid(
        v["uri"], v["kms_uri"], key_period=v["key_period"],
        key_period_offset=v.get("key_period_offset", 0), key_period_no=v["key_period_no"],
    )}


def _uid_derive_make(rng: random.Random) -> Values:
    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    period = rng.choice([2592000, 86400, 604800, rng.randint(1, 2**32)])
    values: Values = {
        "uri": f"sip:{user}@example.org", "kms_uri": "kms.example.org",
        "key_period": period, "key_period_offset": rng.choice([0, rng.randint(0, period)]),
        "key_period_no": rng.randint(0, 2**24),
    }
    values.update(_uid_derive(values))
    return values


kind(Kind(
    "uid-derive", "TS 33.180 F.2.1",
    inputs=(Field("uri", "text"), Field("kms_uri", "text"), Field("key_period", "int"),
            Field("key_period_offset", "int", optional=True), Field("key_period_no", "int")),
    outputs=(Field("uid", "hex"),),
    run=_uid_derive, make=_uid_derive_make,
))
