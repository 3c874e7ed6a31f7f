"""Integrity of MCX signalling by XML HMAC signatures over whole MIME bodies (TS 33.180 9.3.5).

Each XML MIME body of a SIP request or response is signed by one ``ds:Signature`` whose one
``Reference`` names the body by its ``cid:`` URL (RFC 2392; the body carries the matching
``Content-ID``, RFC 2045) and holds the SHA-256 digest of the body's octets, untransformed.
``SignedInfo`` is canonicalized with exclusive C14N and signed with HMAC-SHA256 under the
integrity key derived from the XPK (9.3.3, F.1.4 FC 0x52); ``ds:KeyInfo/ds:KeyName`` is base64
of the XPK-ID.  The signatures travel in one more MIME body (9.3.5, figure 9.3.5-1); TS 33.180
names no element to hold several, so mckm's signature body is a ``<signatures>`` element of the
project namespace :data:`CONTAINER_NS` holding one ``ds:Signature`` per signed body.

Verification is strict: exactly the algorithms above (inclusive C14N 1.0 also accepted), no
``Transforms`` (the whole body is signed), no ``HMACOutputLength`` (no truncated MAC), one
``Reference`` per signature, every XML body covered by one signature and every signature
pointing at a body of the message.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping
from copy import deepcopy
from urllib.parse import quote, unquote

from lxml import etree

from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.xmlprotect import base64text, names
from mckm.impl.xmlprotect.keys import Keyring, key_name, parse_key_name
from mckm.impl.xmlprotect.parsing import parse_document, serialize

CLAUSE = "TS 33.180 9.3.5; XMLDSIG11 6.6.2"
REQ_SIGN = "REQ-IKMM-06"
REQ_VERIFY = "REQ-IKMM-07"
REQ_KEY = "REQ-IKMM-04"
#: the element holding the signatures of one SIP message (project-defined, see module text).
CONTAINER_NS = "urn:mckm:xmlprotect:signatures"
CONTAINER = f"{{{CONTAINER_NS}}}signatures"
#: RFC 2392 2: characters of a Content-ID left as they are in a cid URL.
_CID_SAFE = "!$&'()*+,;=:@-._~"
#: the XMLDSIG element names read and written here (Clark notation)
_SIGNATURE, _SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO, _KEY_NAME = (
    names.ds(n) for n in ("Signature", "SignedInfo", "SignatureValue", "KeyInfo", "KeyName"))
_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE, _DIGEST_METHOD, _DIGEST_VALUE, _TRANSFORMS = (
    names.ds(n) for n in ("CanonicalizationMethod", "SignatureMethod", "Reference",
                          "DigestMethod", "DigestValue", "Transforms"))


def cid_url(content_id: str) -> str:
    """RFC 2392: the ``cid:`` URL of a Content-ID (given without its angle brackets)."""
    if not content_id or "<" in content_id or ">" in content_id:
        raise UsageError(f"a Content-ID without angle brackets expected, got {content_id!r}")
    return "cid:" + quote(content_id, safe=_CID_SAFE)


def content_id_of(url: str) -> str | None:
    """The Content-ID a ``cid:`` URL names, or None for another scheme."""
    return unquote(url[4:]) if url[:4].lower() == "cid:" else None


def sign_reference(uri: str, body: bytes, *, xpk_id: int, keys: Keyring,
                   key_info: bool = True) -> etree._Element:
    """One ``ds:Signature`` over ``body`` (octets), referenced as ``uri``."""
    key = keys.keys_for(xpk_id, REQ_KEY).integrity.reveal()
    signature = deepcopy(_signature_template())
    signed_info = signature[0]
    reference = signed_info[2]
    reference.set("URI", uri)
    reference[1].text = base64text.encode(hashlib.sha256(body).digest())
    mac = hmac.new(key, _canonical(signed_info, exclusive=True), hashlib.sha256).digest()
    signature[1].text = base64text.encode(mac)
    if key_info:
        info = etree.SubElement(signature, _KEY_INFO)
        etree.SubElement(info, _KEY_NAME).text = key_name(xpk_id)
    return signature


_TEMPLATES = threading.local()


def _signature_template() -> etree._Element:
    """The fixed part of every ``ds:Signature`` mckm writes (exclusive C14N, HMAC-SHA256, one
    SHA-256 Reference), copied per signature instead of built element by element; one per
    thread, as lxml trees are not shared between threads."""
    template: etree._Element | None = getattr(_TEMPLATES, "signature", None)
    if template is None:
        template = etree.Element(_SIGNATURE, nsmap={None: names.DS})
        signed_info = etree.SubElement(template, _SIGNED_INFO)
        etree.SubElement(signed_info, _C14N_METHOD, Algorithm=names.EXC_C14N)
        etree.SubElement(signed_info, _SIGNATURE_METHOD, Algorithm=names.HMAC_SHA256)
        reference = etree.SubElement(signed_info, _REFERENCE, URI="")
        etree.SubElement(reference, _DIGEST_METHOD, Algorithm=names.SHA256)
        etree.SubElement(reference, _DIGEST_VALUE)
        etree.SubElement(template, _SIGNATURE_VALUE)
        _TEMPLATES.signature = template
    return template


def sign_bodies(bodies: Mapping[str, bytes], *, xpk_id: int, keys: Keyring) -> bytes:
    """The signature MIME body for ``bodies`` (Content-ID -> the XML body's octets)."""
    if not bodies:
        raise UsageError("no MIME body to sign")
    container = etree.Element(CONTAINER, nsmap={None: CONTAINER_NS})
    for content_id, body in bodies.items():
        container.append(sign_reference(cid_url(content_id), body, xpk_id=xpk_id, keys=keys))
    return serialize(container)


def verify_signature(signature: etree._Element, resolve: Callable[[str], bytes | None], *,
                     keys: Keyring, default_xpk_id: int | None = None,
                     where: str = "Signature") -> tuple[str, int]:
    """Check one ``ds:Signature``; returns its Reference URI and the XPK-ID that verified it.

    ``resolve(uri)`` gives the referenced octets, or None when the URI names nothing.
    """
    signed_info, value, key_info = _signature_parts(signature, where)
    c14n, uri, digest_value = _signed_info_parts(signed_info, where)
    xpk_id = _key_id(key_info, where, default_xpk_id)
    key = keys.keys_for(xpk_id, REQ_KEY).integrity.reveal()
    expected = hmac.new(key, _canonical(signed_info, exclusive=c14n), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(value.text, where, "SignatureValue", 32)):
        raise VerifyError(f"{where}: SignatureValue does not verify under XPK-ID "
                          f"{xpk_id:#010x} (SignedInfo altered or another key)", clause=CLAUSE)
    body = resolve(uri)
    if body is None:
        raise PolicyError(f"{where}: Reference URI {uri!r} names no body of the message",
                          requirement=REQ_VERIFY)
    if not hmac.compare_digest(hashlib.sha256(body).digest(), digest_value):
        raise VerifyError(f"{where}: the SHA-256 digest of {uri!r} does not match (the body was "
                          "altered)", clause=CLAUSE)
    return uri, xpk_id


def verify_bodies(signature_body: bytes, bodies: Mapping[str, bytes], *, keys: Keyring,
                  default_xpk_id: int | None = None) -> tuple[int, ...]:
    """Check that every body of ``bodies`` (Content-ID -> octets) is signed once in
    ``signature_body`` and every signature there verifies; the XPK-IDs used, in order."""
    root = parse_document(signature_body, "signature body")
    if root.tag == _SIGNATURE:
        signatures = [root]
    elif root.tag == CONTAINER:
        signatures = [c for c in root if isinstance(c.tag, str)]
        strays = [c.tag for c in signatures if c.tag != _SIGNATURE]
        if strays:
            raise DecodeError(f"only ds:Signature elements expected, found {strays[0]}",
                              payload="signature body")
    else:
        raise DecodeError(f"root {root.tag} is neither ds:Signature nor {CONTAINER}",
                          payload="signature body")

    def resolve(uri: str) -> bytes | None:
        content_id = content_id_of(uri)
        return None if content_id is None else bodies.get(content_id)

    covered: dict[str, int] = {}
    used: list[int] = []
    for number, signature in enumerate(signatures, 1):
        where = f"Signature #{number} (line {signature.sourceline})"
        uri, xpk_id = verify_signature(signature, resolve, keys=keys,
                                       default_xpk_id=default_xpk_id, where=where)
        content_id = content_id_of(uri)
        assert content_id is not None  # resolve() found a body
        if content_id in covered:
            raise PolicyError(f"{where}: body <{content_id}> is signed twice (signatures "
                              f"#{covered[content_id]} and #{number})", requirement=REQ_VERIFY)
        covered[content_id] = number
        used.append(xpk_id)
    missing = sorted(set(bodies) - set(covered))
    if missing:
        raise PolicyError(f"XML MIME body <{missing[0]}> carries no signature (TS 33.180 9.3.5: "
                          "all XML MIME bodies are integrity protected)", requirement=REQ_VERIFY)
    return tuple(used)


def _canonical(element: etree._Element, *, exclusive: bool) -> bytes:
    """C14N 1.0 / exclusive C14N (without comments) of ``element`` as a document subset.

    libxml2's inclusive C14N of an element inside a parsed document can write ``xmlns=""`` on
    descendants (seen with lxml 6.2 on xmlsec1's output); for inclusive C14N the element is
    copied under a new root that declares every namespace in scope where it stood, and that copy
    is canonicalized.  Exclusive C14N outputs only the namespaces used, and is read in place
    (about 7 us against 30 us with the copy, per SignedInfo; xmlsec1's exclusive signatures
    verify either way, tests/xmlprotect/test_xmlsec1.py).
    """
    if exclusive:
        direct: bytes = etree.tostring(element, method="c14n", exclusive=True,
                                       with_comments=False)
        return direct
    copy = etree.Element(element.tag, dict(element.attrib), nsmap=element.nsmap)
    copy.text = element.text
    copy.extend(deepcopy(child) for child in element)
    data: bytes = etree.tostring(copy, method="c14n", exclusive=exclusive, with_comments=False)
    return data


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str)] if len(parent) else []


def _signature_parts(signature: etree._Element, where: str) -> tuple[
        etree._Element, etree._Element, etree._Element | None]:
    children = _elements(signature)
    tags = [c.tag for c in children]
    if tags[:2] != [_SIGNED_INFO, _SIGNATURE_VALUE] or len(tags) > 3 or (
            len(tags) == 3 and tags[2] != _KEY_INFO):
        local = ", ".join(etree.QName(t).localname for t in tags) or "nothing"
        raise DecodeError(f"expected SignedInfo, SignatureValue, KeyInfo?; found {local}",
                          payload=where, field="Signature")
    return children[0], children[1], children[2] if len(children) == 3 else None


def _signed_info_parts(signed_info: etree._Element, where: str) -> tuple[bool, str, bytes]:
    children = _elements(signed_info)
    tags = [c.tag for c in children]
    expected = [_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE]
    if tags[:2] != expected[:2] or tags[2:] != [expected[2]] * (len(tags) - 2):
        local = ", ".join(etree.QName(t).localname for t in tags) or "nothing"
        raise DecodeError(f"expected CanonicalizationMethod, SignatureMethod, Reference; found "
                          f"{local}", payload=where, field="SignedInfo")
    if len(tags) != 3:
        raise PolicyError(f"{where}: {len(tags) - 2} References; TS 33.180 9.3.5 gives each "
                          "MIME body its own signature (one Reference)", requirement=REQ_VERIFY)
    c14n_method, method, reference = children
    c14n = c14n_method.get("Algorithm")
    if c14n not in names.CANONICALIZATIONS or _elements(c14n_method):
        raise PolicyError(f"{where}: CanonicalizationMethod {c14n!r} is not exclusive or "
                          "inclusive C14N without comments or parameters",
                          requirement=REQ_VERIFY)
    algorithm = method.get("Algorithm")
    if algorithm != names.HMAC_SHA256:
        raise PolicyError(f"{where}: SignatureMethod {algorithm!r} is not {names.HMAC_SHA256} "
                          f"({CLAUSE})", requirement=REQ_VERIFY)
    if _elements(method):
        raise PolicyError(f"{where}: SignatureMethod parameters (HMACOutputLength) are refused: "
                          "the full 256-bit HMAC is required", requirement=REQ_VERIFY)
    uri = reference.get("URI")
    if not uri:
        raise DecodeError("a Reference needs a URI naming the MIME body", payload=where,
                          field="Reference")
    parts = _elements(reference)
    if any(p.tag == _TRANSFORMS for p in parts):
        raise PolicyError(f"{where}: Transforms are refused: the whole MIME body is signed "
                          "(TS 33.180 9.3.5)", requirement=REQ_VERIFY)
    if [p.tag for p in parts] != [_DIGEST_METHOD, _DIGEST_VALUE]:
        raise DecodeError("a Reference holds DigestMethod and DigestValue", payload=where,
                          field="Reference")
    digest = parts[0].get("Algorithm")
    if digest != names.SHA256 or _elements(parts[0]):
        raise PolicyError(f"{where}: DigestMethod {digest!r} is not {names.SHA256}",
                          requirement=REQ_VERIFY)
    return bool(names.CANONICALIZATIONS[c14n]), uri, _unb64(parts[1].text, where,
                                                            "DigestValue", 32)


def _key_id(key_info: etree._Element | None, where: str, default: int | None) -> int:
    if key_info is None:
        if default is None:
            raise PolicyError(f"{where}: no ds:KeyInfo and no XPK-ID agreed by other means "
                              "(TS 33.180 9.3.5)", requirement=REQ_KEY)
        return default
    children = _elements(key_info)
    if len(children) != 1 or children[0].tag != _KEY_NAME:
        raise PolicyError(f"{where}: ds:KeyInfo must hold one ds:KeyName with the XPK-ID "
                          "(TS 33.180 9.3.5)", requirement=REQ_KEY)
    return parse_key_name(children[0].text, where)


def _unb64(text: str | None, where: str, field: str, length: int) -> bytes:
    value = base64text.decode(text, payload=where, field=field)
    if len(value) != length:
        raise DecodeError(f"{len(value)} octets, {length} expected", payload=where, field=field)
    return value
