"""XML protection of MC signalling (TS 33.180 9.3): protect and unprotect per second, for a
typical MCPTT signalling body (one MCPTT ID of 291 octets encrypted) and for a 64 kB payload
(the content of one element, e.g. an InterKMM's KMM in base64); sign and verify of one body.
The keyring's F.1.4 keys are derived in the setup (a server keeps them per CSK/SPK)."""

from __future__ import annotations

import base64
from collections.abc import Callable

from mckm.bench.registry import benchmark
from mckm.impl.redact import Secret
from mckm.impl.xmlprotect.encryption import protect, unprotect
from mckm.impl.xmlprotect.keys import Keyring, Xpk
from mckm.impl.xmlprotect.signature import sign_bodies, verify_bodies

NS = "urn:3gpp:ns:mcpttInfo:1.0"
XPK_ID = 0x3123ABCD  # an SPK-ID (purpose tag 3): MCX server <-> IWF
TYPICAL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<mcpttinfo xmlns="{NS}"><mcptt-Params>'
    '<mcptt-request-uri type="Normal">sip:mcptt-bob@example.org</mcptt-request-uri>'
    '<mcptt-calling-user-id type="Normal">sip:mcptt-alice@example.org</mcptt-calling-user-id>'
    '</mcptt-Params></mcpttinfo>').encode()
TYPICAL_TARGETS = (f"{{{NS}}}mcptt-request-uri",)
#: 48 KiB of octets in base64: 64 KiB of element content
LARGE = (f'<?xml version="1.0" encoding="UTF-8"?>\n<mcpttinfo xmlns="{NS}"><kmm>'
         + base64.b64encode(bytes(range(256)) * 192).decode() + "</kmm></mcpttinfo>").encode()
LARGE_TARGETS = (f"{{{NS}}}kmm",)


def _ring() -> Keyring:
    ring = Keyring({XPK_ID: Xpk(Secret(bytes(range(16))), "sip:mcptt-alice@example.org")})
    ring.keys_for(XPK_ID, "bench")  # the F.1.4 derivations, outside the timed region
    return ring


def _protect(document: bytes, targets: tuple[str, ...]) -> Callable[[], object]:
    ring = _ring()
    return lambda: protect(document, targets, xpk_id=XPK_ID, keys=ring)


def _unprotect(document: bytes, targets: tuple[str, ...]) -> Callable[[], object]:
    ring = _ring()
    protected = protect(document, targets, xpk_id=XPK_ID, keys=ring)
    return lambda: unprotect(protected, keys=ring)


@benchmark("xml-protect", f"encrypt one MCPTT ID of a {len(TYPICAL)}-octet MCPTT info body "
                          "(TS 33.180 9.3.4.2, AES-128-GCM)")
def protect_typical() -> Callable[[], object]:
    return _protect(TYPICAL, TYPICAL_TARGETS)


@benchmark("xml-unprotect", "decrypt that body (parse, KeyName lookup, GCM, re-insert)")
def unprotect_typical() -> Callable[[], object]:
    return _unprotect(TYPICAL, TYPICAL_TARGETS)


@benchmark("xml-protect-64k", "encrypt the 64 KiB content of one element")
def protect_large() -> Callable[[], object]:
    assert len(LARGE) > 64 * 1024
    return _protect(LARGE, LARGE_TARGETS)


@benchmark("xml-unprotect-64k", "decrypt the 64 KiB content of one element")
def unprotect_large() -> Callable[[], object]:
    return _unprotect(LARGE, LARGE_TARGETS)


@benchmark("xml-sign", "HMAC-SHA256 XML signature of the typical body by cid: (TS 33.180 9.3.5)")
def sign_typical() -> Callable[[], object]:
    ring = _ring()
    return lambda: sign_bodies({"b@x": TYPICAL}, xpk_id=XPK_ID, keys=ring)


@benchmark("xml-verify", "verify that signature body against the body")
def verify_typical() -> Callable[[], object]:
    ring = _ring()
    signature = sign_bodies({"b@x": TYPICAL}, xpk_id=XPK_ID, keys=ring)
    return lambda: verify_bodies(signature, {"b@x": TYPICAL}, keys=ring)


def _interkmm() -> tuple[object, object]:
    from mckm.impl.xmlprotect.interkmm import InterKmm, Protection

    message = InterKmm("kmf.iwf.example.net", "sip:mcptt-alice@example.org",
                       bytes(range(256)) * 4, "application/vnd.example.kmm")
    return message, Protection(_ring(), XPK_ID)


@benchmark("interkmm-protect", "build a protected InterKMM body with a 1 KiB KMM: encrypt the "
                               "KMF ID, MCPTT ID and KMM, sign both parts, frame")
def interkmm_protect() -> Callable[[], object]:
    from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build

    message, protection = _interkmm()
    assert isinstance(message, InterKmm) and isinstance(protection, Protection)
    return lambda: build(message, protection=protection)


@benchmark("interkmm-open", "parse that body: MIME, both signatures, decrypt parameters and KMM")
def interkmm_open() -> Callable[[], object]:
    from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build, parse

    message, protection = _interkmm()
    assert isinstance(message, InterKmm) and isinstance(protection, Protection)
    content_type, body = build(message, protection=protection)
    return lambda: parse(content_type, body, keys=protection.keys)
