"""Confidentiality of MCX signalling by XML encryption (TS 33.180 9.3.4.2, XMLENC11).

:func:`protect` replaces the content of each chosen element with an ``EncryptedData`` of type
``#Content`` (9.3.4.2): ``EncryptionMethod`` ``aes128-gcm``, ``ds:KeyInfo/ds:KeyName`` = base64
of the XPK-ID, ``CipherData/CipherValue`` = base64(IV ‖ ciphertext ‖ tag) with a fresh 96-bit IV
and the 128-bit tag (XMLENC11 5.2.4; no additional authenticated data).  The cipher key is the
confidentiality key derived from the XPK (9.3.3, F.1.4 FC 0x51).

:func:`unprotect` opens every ``EncryptedData`` of a document, of type ``#Content`` or
``#Element`` (both as XMLENC11 3.5 defines them; a missing ``Type`` means ``#Content``, a
missing ``EncryptionMethod`` means ``aes128-gcm`` and a missing ``KeyInfo`` the caller's default
XPK-ID, the "other means" of 9.3.4.2).  It refuses, naming the ``EncryptedData`` and the field:
another algorithm, a ``KeyInfo`` that is not one ``KeyName``, an unknown XPK-ID, a
``CipherReference``, base64 that does not decode, a CipherValue too short for IV and tag, a tag
that does not verify, decrypted octets that are not XML.  Nothing is returned on a refusal.

:func:`encrypt_octets` / :func:`decrypt_octets` do the same for arbitrary octets (an InterKMM's
KMM): a document whose root ``EncryptedData`` has no ``Type`` and names the octets' media type
in ``MimeType`` (XMLENC11 3.1), with the same algorithm and ``KeyName``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from xml.sax.saxutils import escape

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.xmlprotect import base64text, names
from mckm.impl.xmlprotect.keys import Keyring, key_name, parse_key_name
from mckm.impl.xmlprotect.parsing import (
    MAX_DOCUMENT_OCTETS,
    parse_document,
    parse_fragment,
    serialize,
)

CLAUSE = "TS 33.180 9.3.4.2; XMLENC11 5.2.4"
REQ_ENCRYPT = "REQ-IKMM-02"
REQ_KEY = "REQ-IKMM-04"
REQ_REFUSE = "REQ-IKMM-05"
#: how many layers of EncryptedData inside decrypted content are opened (super-encryption).
MAX_LAYERS = 4
#: the XMLENC and XMLDSIG element names read and written here (Clark notation)
_ENCRYPTED_DATA, _ENCRYPTION_METHOD, _CIPHER_DATA, _CIPHER_VALUE = (
    names.xenc(n) for n in ("EncryptedData", "EncryptionMethod", "CipherData", "CipherValue"))
_ENCRYPTION_PROPERTIES, _CIPHER_REFERENCE = (
    names.xenc(n) for n in ("EncryptionProperties", "CipherReference"))
_KEY_INFO, _KEY_NAME = names.ds("KeyInfo"), names.ds("KeyName")

IvSource = Callable[[], bytes]


def random_iv() -> bytes:
    """A fresh 96-bit IV (XMLENC11 5.2.4: IVs must not repeat under one key)."""
    return os.urandom(names.GCM_IV_OCTETS)


def protect(document: bytes, targets: Iterable[str], *, xpk_id: int, keys: Keyring,
            iv_source: IvSource = random_iv, key_info: bool = True) -> bytes:
    """``document`` with the content of every element named in ``targets`` encrypted.

    ``targets`` are element names in Clark notation (``{namespace}local``, or ``local`` for no
    namespace); an element inside another chosen element goes with its ancestor's content.
    ``key_info=False`` leaves ``ds:KeyInfo`` out (the receiver knows the XPK-ID otherwise).
    """
    root = parse_document(document, "document")
    protect_tree(root, targets, xpk_id=xpk_id, keys=keys, iv_source=iv_source,
                 key_info=key_info)
    return serialize(root)


def protect_tree(root: etree._Element, targets: Iterable[str], *, xpk_id: int, keys: Keyring,
                 iv_source: IvSource = random_iv, key_info: bool = True) -> None:
    """:func:`protect` on a tree the caller built or parsed, in place (no parse, no
    serialization)."""
    wanted = set(targets)
    if not wanted:
        raise UsageError("no element names to protect")
    key = keys.keys_for(xpk_id, REQ_KEY).confidentiality.reveal()
    chosen = [el for el in root.iter(*wanted)
              if not any(a.tag in wanted for a in el.iterancestors())]
    if not chosen:
        raise UsageError(f"no element named {', '.join(sorted(wanted))} in the document")
    cipher = AESGCM(key)
    used: set[bytes] = set()
    for element in chosen:
        sealed = _seal(cipher, _content_octets(element), iv_source, used)
        for child in list(element):
            element.remove(child)
        element.text = None
        element.append(_encrypted_data(sealed, xpk_id if key_info else None))


def _seal(cipher: AESGCM, plaintext: bytes, iv_source: IvSource, used: set[bytes]) -> bytes:
    """IV || ciphertext || tag (XMLENC11 5.2.4) under a fresh IV, never one of ``used``."""
    iv = iv_source()
    if not isinstance(iv, bytes) or len(iv) != names.GCM_IV_OCTETS:
        raise UsageError(f"an AES-GCM IV is {names.GCM_IV_OCTETS} octets (XMLENC11 5.2.4)")
    if iv in used:
        raise UsageError("an IV was given twice under one key (AES-GCM forbids it)")
    used.add(iv)
    sealed: bytes = iv + cipher.encrypt(iv, plaintext, None)
    return sealed


def encrypt_octets(data: bytes, mime_type: str, *, xpk_id: int, keys: Keyring,
                   iv_source: IvSource = random_iv) -> bytes:
    """An XML document whose root ``EncryptedData`` holds ``data``, arbitrary octets of media
    type ``mime_type`` (XMLENC11 3.1: no ``Type``, the ``MimeType`` attribute), encrypted as
    for element content (9.3.4.2 profile: aes128-gcm, ``KeyName`` = base64 XPK-ID)."""
    if not isinstance(data, bytes):
        raise UsageError("the octets to encrypt must be bytes")
    key = keys.keys_for(xpk_id, REQ_KEY).confidentiality.reveal()
    root = _encrypted_data(_seal(AESGCM(key), data, iv_source, set()), xpk_id, kind=None)
    root.set("MimeType", mime_type)
    return serialize(root)


def decrypt_octets(document: bytes, *, keys: Keyring, default_xpk_id: int | None = None,
                   limit: int = MAX_DOCUMENT_OCTETS) -> tuple[str | None, bytes, int]:
    """The ``MimeType``, the octets and the XPK-ID of a document written by
    :func:`encrypt_octets`; an ``EncryptedData`` of element or content type is refused."""
    root = parse_document(document, "encrypted octets", limit=limit)
    where = "EncryptedData (document element)"
    if root.tag != _ENCRYPTED_DATA:
        raise DecodeError(f"the document element is {root.tag}, not xenc:EncryptedData",
                          payload="encrypted octets")
    if root.get("Type") is not None:
        raise PolicyError(f"{where}: Type {root.get('Type')!r}: octets are encrypted without a "
                          "Type (XMLENC11 3.1)", requirement=REQ_REFUSE)
    xpk_id, clear = _decrypt(root, where, keys, default_xpk_id)
    return root.get("MimeType"), clear, xpk_id


def _content_octets(element: etree._Element) -> bytes:
    """The element's content (text, child elements with their tails) as UTF-8 XML."""
    parts = [escape(element.text or "", {"\r": "&#13;"}).encode()]
    parts.extend(etree.tostring(child, encoding="UTF-8", with_tail=True) for child in element)
    return b"".join(parts)


def _encrypted_data(sealed: bytes, xpk_id: int | None,
                    kind: str | None = names.TYPE_CONTENT) -> etree._Element:
    data = deepcopy(_template(kind, xpk_id is not None))
    if xpk_id is not None:
        data[1][0].text = key_name(xpk_id)
    data[-1][0].text = base64text.encode(sealed)
    return data


_TEMPLATES = threading.local()


def _template(kind: str | None, key_info: bool) -> etree._Element:
    """The fixed part of an ``EncryptedData`` of ``Type`` ``kind`` (None: none), with or
    without ``ds:KeyInfo/ds:KeyName``: copied per use instead of built element by element; one
    per thread, as lxml trees are not shared between threads."""
    made: dict[tuple[str | None, bool], etree._Element] | None = getattr(_TEMPLATES, "made", None)
    if made is None:
        made = _TEMPLATES.made = {}
    template = made.get((kind, key_info))
    if template is None:
        template = etree.Element(_ENCRYPTED_DATA, nsmap={None: names.XENC, "ds": names.DS})
        if kind is not None:
            template.set("Type", kind)
        etree.SubElement(template, _ENCRYPTION_METHOD).set("Algorithm", names.AES128_GCM)
        if key_info:
            etree.SubElement(etree.SubElement(template, _KEY_INFO), _KEY_NAME)
        etree.SubElement(etree.SubElement(template, _CIPHER_DATA), _CIPHER_VALUE)
        made[(kind, key_info)] = template
    return template


@dataclass(frozen=True)
class Opened:
    """The result of :func:`unprotect`: the document in clear and the XPK-IDs that opened it,
    in document order (one per ``EncryptedData``)."""

    document: bytes
    xpk_ids: tuple[int, ...]


def unprotect(document: bytes, *, keys: Keyring, default_xpk_id: int | None = None,
              limit: int = MAX_DOCUMENT_OCTETS) -> Opened:
    """``document`` with every ``EncryptedData`` decrypted in place (see the module text)."""
    root, used = unprotect_tree(parse_document(document, "document", limit=limit), keys=keys,
                                default_xpk_id=default_xpk_id)
    return Opened(serialize(root), used)


def unprotect_tree(root: etree._Element, *, keys: Keyring, default_xpk_id: int | None = None
                   ) -> tuple[etree._Element, tuple[int, ...]]:
    """:func:`unprotect` on a parsed tree, in place: the root (a new one when the document
    element was an ``#Element`` EncryptedData) and the XPK-IDs used, in document order."""
    used: list[int] = []
    count = 0
    for _layer in range(MAX_LAYERS + 1):
        found = list(root.iter(_ENCRYPTED_DATA))
        if not found:
            return root, tuple(used)
        for data in found:
            count += 1
            root = _open_one(root, data, f"EncryptedData #{count} (line {data.sourceline})",
                             keys, default_xpk_id, used)
    raise DecodeError(f"EncryptedData nested over {MAX_LAYERS} layers deep", payload="document")


def _open_one(root: etree._Element, data: etree._Element, where: str, keys: Keyring,
              default_xpk_id: int | None, used: list[int]) -> etree._Element:
    kind = data.get("Type", names.TYPE_CONTENT)
    if kind not in (names.TYPE_CONTENT, names.TYPE_ELEMENT):
        raise PolicyError(f"{where}: Type {kind!r} is neither #Content nor #Element",
                          requirement=REQ_REFUSE)
    xpk_id, clear = _decrypt(data, where, keys, default_xpk_id)
    used.append(xpk_id)
    parent = data.getparent()
    context = dict(parent.nsmap) if parent is not None else {}
    fragment = parse_fragment(clear, context, where)
    if kind == names.TYPE_ELEMENT:
        if len(fragment) != 1 or (fragment.text or "").strip() or (fragment[0].tail or "").strip():
            raise DecodeError("an #Element EncryptedData must decrypt to exactly one element",
                              payload=where, field="CipherValue")
        if parent is None:
            return _as_root(fragment[0])
    elif parent is None:
        raise DecodeError("a #Content EncryptedData cannot be the document element",
                          payload=where)
    _replace(data, fragment)
    return root


def _decrypt(data: etree._Element, where: str, keys: Keyring,
             default_xpk_id: int | None) -> tuple[int, bytes]:
    """The XPK-ID and the plaintext of one ``EncryptedData`` (any ``Type``)."""
    method, key_info, cipher_value = _parts(data, where)
    if method is not None:
        algorithm = method.get("Algorithm")
        if algorithm != names.AES128_GCM:
            raise PolicyError(f"{where}: EncryptionMethod {algorithm!r} is not "
                              f"{names.AES128_GCM} ({CLAUSE})", requirement=REQ_REFUSE)
        if len(method):
            raise DecodeError("EncryptionMethod of aes128-gcm has no child elements",
                              payload=where, field="EncryptionMethod")
    xpk_id = _key_id(key_info, where, default_xpk_id)
    key = keys.keys_for(xpk_id, REQ_KEY).confidentiality.reveal()
    sealed = base64text.decode(cipher_value.text, payload=where, field="CipherValue")
    if len(sealed) < names.GCM_IV_OCTETS + names.GCM_TAG_OCTETS:
        raise DecodeError(f"{len(sealed)} octets, shorter than a 12-octet IV and a 16-octet "
                          "tag", payload=where, field="CipherValue")
    iv, body = sealed[:names.GCM_IV_OCTETS], sealed[names.GCM_IV_OCTETS:]
    try:
        return xpk_id, AESGCM(key).decrypt(iv, body, None)
    except InvalidTag:
        raise VerifyError(f"{where}: the AES-GCM tag does not verify (CipherValue altered, or "
                          f"not encrypted under XPK-ID {xpk_id:#010x})", clause=CLAUSE) from None


def _parts(data: etree._Element, where: str) -> tuple[
        etree._Element | None, etree._Element | None, etree._Element]:
    method = key_info = cipher_data = None
    for child in data:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        if child.tag == _ENCRYPTION_METHOD and method is None and key_info is None:
            method = child
        elif child.tag == _KEY_INFO and key_info is None and cipher_data is None:
            key_info = child
        elif child.tag == _CIPHER_DATA and cipher_data is None:
            cipher_data = child
        elif child.tag == _ENCRYPTION_PROPERTIES and cipher_data is not None:
            continue
        else:
            raise DecodeError(f"unexpected element {child.tag} (XMLENC11 3.1 order: "
                              "EncryptionMethod?, KeyInfo?, CipherData, EncryptionProperties?)",
                              payload=where, field=etree.QName(child).localname)
    if cipher_data is None:
        raise DecodeError("no CipherData", payload=where, field="CipherData")
    values = [c for c in cipher_data if isinstance(c.tag, str)]
    if len(values) != 1 or values[0].tag != _CIPHER_VALUE:
        if any(c.tag == _CIPHER_REFERENCE for c in values):
            raise PolicyError(f"{where}: CipherReference is not accepted (the cipher text is "
                              "carried in CipherValue, TS 33.180 9.3.4.2)",
                              requirement=REQ_REFUSE)
        raise DecodeError("CipherData must hold one CipherValue", payload=where,
                          field="CipherData")
    return method, key_info, values[0]


def _key_id(key_info: etree._Element | None, where: str, default: int | None) -> int:
    if key_info is None:
        if default is None:
            raise PolicyError(f"{where}: no ds:KeyInfo and no XPK-ID agreed by other means "
                              "(TS 33.180 9.3.4.2)", requirement=REQ_KEY)
        return default
    children = [c for c in key_info if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag != _KEY_NAME:
        found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
        raise PolicyError(f"{where}: ds:KeyInfo must hold one ds:KeyName with the XPK-ID, "
                          f"found {found} (TS 33.180 9.3.4.2)", requirement=REQ_KEY)
    return parse_key_name(children[0].text, where)


def _replace(data: etree._Element, fragment: etree._Element) -> None:
    """Put the fragment's text and children where ``data`` is, keeping ``data``'s tail."""
    parent = data.getparent()
    assert parent is not None
    tail = data.tail or ""
    index = parent.index(data)
    previous = data.getprevious()
    text = fragment.text or ""
    children = list(fragment)
    parent.remove(data)
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        last = children[-1]
        last.tail = (last.tail or "") + tail
    elif previous is None:
        parent.text = (parent.text or "") + tail
    else:
        previous.tail = (previous.tail or "") + tail


def _as_root(element: etree._Element) -> etree._Element:
    copy = deepcopy(element)
    copy.tail = None
    return copy
