"""Vector kind ``xml-protect``: TS 33.180 9.3.4.2 XML content encryption with a fixed IV.

Inputs: the XPK (a CSK or SPK, 16 octets), its XPK-ID, the MC service user ID the keys are
derived for (F.1.4 P0), the plaintext document, the names of the elements whose content is
encrypted (Clark notation ``{namespace}local``, separated by spaces) and the IVs, 12 octets per
protected element in document order.  Outputs: the confidentiality key (F.1.4, FC 0x51) and the
protected document as :func:`mckm.impl.xmlprotect.encryption.protect` writes it.  ``run`` also
opens the output again and refuses a vector whose output does not decrypt to its plaintext.
The IVs are fixed only so that a vector is reproducible: a sender draws a fresh IV each time.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from mckm.impl.vectors.kinds import Field, Kind, Values, kind
from mckm.models.policy import encode_key_id
from mckm.models.policy.key_id import RANDOM_BITS

CLAUSE = "TS 33.180 9.3.3, 9.3.4.2, F.1.4; XMLENC11 5.2.4"
IV_OCTETS = 12
MCPTT_NS = "urn:3gpp:ns:mcpttInfo:1.0"


def _protect(v: Mapping[str, Any]) -> Values:
    from lxml import etree

    from mckm.impl.crypto.mckeys import xpk_confidentiality_key
    from mckm.impl.errors import UsageError, VerifyError
    from mckm.impl.redact import Secret
    from mckm.impl.xmlprotect.encryption import protect, unprotect
    from mckm.impl.xmlprotect.keys import Keyring, Xpk

    ivs: bytes = v["ivs"]
    if not ivs or len(ivs) % IV_OCTETS:
        raise UsageError(f"ivs: {len(ivs)} octets, not a whole number of {IV_OCTETS}-octet IVs")
    chunks = iter([ivs[i:i + IV_OCTETS] for i in range(0, len(ivs), IV_OCTETS)])

    def next_iv() -> bytes:
        try:
            return next(chunks)
        except StopIteration:
            raise UsageError("ivs: fewer IVs than protected elements") from None

    keys = Keyring({v["xpk_id"]: Xpk(Secret(v["xpk"]), v["mc_id"])})
    plaintext = v["plaintext"].encode("utf-8")
    protected = protect(plaintext, v["targets"].split(), xpk_id=v["xpk_id"], keys=keys,
                        iv_source=next_iv)
    if next(chunks, None) is not None:
        raise UsageError("ivs: more IVs than protected elements")
    opened = unprotect(protected, keys=keys).document

    def c14n(document: bytes) -> bytes:
        data: bytes = etree.tostring(etree.fromstring(document), method="c14n")
        return data

    if c14n(opened) != c14n(plaintext):
        raise VerifyError("the protected document does not decrypt to the plaintext",
                          clause=CLAUSE)
    return {"confidentiality_key": xpk_confidentiality_key(v["xpk"], v["mc_id"], v["xpk_id"]),
            "protected": protected.decode("utf-8")}


def _make(rng: random.Random) -> Values:
    def word(n: int) -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))

    purpose = rng.choice([2, 3])  # CSK or SPK (TS 33.180 Annex G)
    caller, callee = f"sip:mcptt-{word(6)}@example.org", f"sip:mcptt-{word(6)}@example.org"
    plaintext = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<mcpttinfo xmlns="{MCPTT_NS}"><mcptt-Params>'
        f'<mcptt-request-uri type="Normal">{callee}</mcptt-request-uri>'
        f'<mcptt-calling-user-id type="Normal">{caller}</mcptt-calling-user-id>'
        '</mcptt-Params></mcpttinfo>')
    targets = [f"{{{MCPTT_NS}}}mcptt-request-uri", f"{{{MCPTT_NS}}}mcptt-calling-user-id"]
    count = rng.choice([1, 2])
    values: Values = {
        "xpk": rng.getrandbits(128).to_bytes(16, "big"),
        "xpk_id": encode_key_id(purpose, rng.getrandbits(RANDOM_BITS)),
        "mc_id": caller, "plaintext": plaintext, "targets": " ".join(targets[:count]),
        "ivs": rng.getrandbits(8 * IV_OCTETS * count).to_bytes(IV_OCTETS * count, "big"),
    }
    values.update(_protect(values))
    return values


kind(Kind(
    "xml-protect", CLAUSE,
    inputs=(Field("xpk", "hex"), Field("xpk_id", "int"), Field("mc_id", "text"),
            Field("plaintext", "text"), Field("targets", "text"), Field("ivs", "hex")),
    outputs=(Field("confidentiality_key", "hex"), Field("protected", "text")),
    run=_protect, make=_make,
))
