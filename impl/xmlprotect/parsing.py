"""Reading untrusted XML for the protection of TS 33.180 9.3: one strict parser, no DTD.

A protected MCX body comes from a peer, so the parser resolves no entity, loads no DTD,
fetches nothing from the network and keeps libxml2's size limits (``huge_tree`` off); a
document that declares a DTD at all (internal subset, external id or entity declarations) is
refused before any of its content is used.  Errors name the line and column.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from mckm.impl.errors import DecodeError

#: the largest document mckm reads for XML protection (octets); a SIP MESSAGE body is far
#: smaller (RFC 3428 5: a MESSAGE over 1300 octets should use a session or congestion-controlled
#: transport); the limit bounds what a peer can make us parse.
MAX_DOCUMENT_OCTETS = 1 << 20
#: a DOCTYPE declaration that made the parse fail (an external DTD the parser may not fetch).
_DOCTYPE = re.compile(rb"<!DOCTYPE[\s>]")


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser: an lxml parser serves one thread at a time, and kept it reuses its
    parser context (about a tenth of a small document's parse)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            dtd_validation=False, remove_comments=False, collect_ids=False)
    return parser


def parse_document(data: bytes, what: str, *, limit: int = MAX_DOCUMENT_OCTETS) -> etree._Element:
    """The root element of ``data`` (a whole XML document), read strictly."""
    if not isinstance(data, bytes | bytearray):
        raise DecodeError(f"{what} must be octets, not {type(data).__name__}", payload=what)
    if len(data) > limit:
        raise DecodeError(f"{len(data)} octets, over the limit of {limit}", payload=what)
    try:
        root = etree.fromstring(bytes(data), _parser())
    except etree.XMLSyntaxError as exc:
        if _DOCTYPE.search(bytes(data)):
            raise DecodeError("a DTD is not allowed (no entities, no external references)",
                              payload=what, field="DOCTYPE") from None
        line, column = exc.position
        raise DecodeError(f"not well-formed XML at line {line}, column {column}: {exc.msg}",
                          payload=what) from None
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.doctype or info.system_url or info.public_id:
        raise DecodeError("a DTD is not allowed (no entities, no external references)",
                          payload=what, field="DOCTYPE")
    return root


def serialize(root: etree._Element) -> bytes:
    """A document as UTF-8 octets with an XML declaration."""
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def parse_fragment(data: bytes, namespaces: dict[str | None, str], what: str) -> etree._Element:
    """``data`` (decrypted element content: text and elements) inside a wrapper element that
    declares ``namespaces``, the in-scope namespaces at the place it goes back to."""
    declarations = "".join(
        f' xmlns{":" + prefix if prefix else ""}="{_attr(uri)}"'
        for prefix, uri in namespaces.items())
    head = f"<mckm-fragment{declarations}>".encode()
    try:
        wrapper = etree.fromstring(head + bytes(data) + b"</mckm-fragment>", _parser())
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"the decrypted content is not well-formed XML: {exc.msg}",
                          payload=what) from None
    if wrapper.getroottree().docinfo.internalDTD is not None:  # pragma: no cover - a DOCTYPE
        raise DecodeError("a DTD is not allowed", payload=what)  # inside content is malformed
    return wrapper


def _attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;"))
