"""Vector kind ``cms-kek``: a SIP body protected under seed 001's CEK as CMS AuthEnvelopedData.

Inputs: the Key ID (``kekid.keyIdentifier``), the CEK (the 256-bit key-encryption key), the
plaintext (the CMS content: the SIP body's MIME entity, RFC 8551 3.1), and the two values a
sender draws fresh, fixed here so the output is deterministic: the AES-256-GCM content key and
the 12-octet GCM nonce.  Output: the DER ContentInfo (:func:`mckm.impl.smime.cms.protect`).
Running a vector also opens the expected CMS with the CEK and requires the plaintext back, so a
vector checks both directions; ``openssl cms -decrypt -secretkey -secretkeyid`` opens the
shipped ones (tests/smime/test_openssl_cms.py).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from mckm.impl.vectors.kinds import Field, Kind, Values, kind

CLAUSE = "RFC 5083 2.2; RFC 5084 3.2; RFC 5652 6.2.3; RFC 3394 2.2.1; seed 001 7.x.2"

_TYPES = ("application/vnd.3gpp.mcptt-info+xml", "application/sdp",
          "application/vnd.3gpp.mcptt-location-info+xml", "application/resource-lists+xml")


def _protect(v: Mapping[str, Any]) -> Values:
    from mckm.impl.errors import VerifyError
    from mckm.impl.smime import cms

    der = cms.protect(v["plaintext"], v["key_id"], v["cek"], content_key=v["content_key"],
                      nonce=v["nonce"])
    opened = cms.unprotect(der, {bytes(v["key_id"]): bytes(v["cek"])})
    if opened.content != v["plaintext"]:
        raise VerifyError("the CMS does not open to the plaintext", clause=CLAUSE)
    return {"cms": der}


def _make(rng: random.Random) -> Values:
    from mckm.impl.smime import mime

    def octets(n: int) -> bytes:
        return rng.getrandbits(8 * n).to_bytes(n, "big")

    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\r\n<mcpttinfo><mcptt-Params>'
            f"<mcptt-request-uri>sip:{user}@mcptt.example.org</mcptt-request-uri>"
            f"{'<pad/>' * rng.randrange(0, 40)}</mcptt-Params></mcpttinfo>\r\n").encode()
    values: Values = {
        "key_id": octets(4), "cek": octets(32),
        "plaintext": mime.entity(rng.choice(_TYPES), body),
        "content_key": octets(32), "nonce": octets(12),
    }
    values.update(_protect(values))
    return values


CMS_KEK = kind(Kind(
    "cms-kek", CLAUSE,
    inputs=(Field("key_id", "hex"), Field("cek", "hex"), Field("plaintext", "hex"),
            Field("content_key", "hex"), Field("nonce", "hex")),
    outputs=(Field("cms", "hex"),),
    run=_protect, make=_make,
))
