"""The InterKMM body of a SIP MESSAGE (seed 000 7.8.x.3; TS 33.180 11.2.2 calls it InterSD).

An InterKMM carries a non-3GPP key management message (KMM) between a 3GPP interworking UE and
the IWF.  Its body is ``multipart/mixed`` (RFC 2046 5.1) with, in this order:

1. the signalling parameters, ``application/vnd.mckm.interkmm+xml``: ``<interkmm>`` with the
   KMF ID of the IWF (``kmf-id``) and the MCPTT ID of the interworking user (``mcptt-id``),
   then the hop-independent direction (``direction``), ``msg-id`` and ``sent``;
2. the KMM, opaque octets of the non-3GPP system: in clear under its own media type, or
   protected as an ``application/xenc+xml`` document whose ``EncryptedData`` holds the octets
   and names their type in ``MimeType`` (XMLENC11 3.1);
3. when protected, the signatures of parts 1 and 2 (TS 33.180 9.3.5),
   ``application/vnd.mckm.signatures+xml``.

Parts 1 and 2 carry a ``Content-ID`` (RFC 2045 7), which the signatures reference by ``cid:``.
Protected (REQ-IKMM-01) means: the content of ``kmf-id`` and ``mcptt-id`` encrypted
(9.3.4.2), the KMM encrypted, both bodies signed, all under the one XPK of the hop (CSK
between UE and MCX server, SPK between MCX server and IWF).  The element names, the two
``vnd.mckm`` media types and the size limits are project choices (the CT specifications TS
24.379 / 24.283 that name these were not read); the seed names only the parameters.

The body is framed and read by :mod:`mckm.impl.xmlprotect.multipart` (RFC 2046 5.1 on the
octets; the stdlib ``email`` generator rewrites line ends inside binary parts and its parser
compiles a regular expression per boundary), then checked against :data:`PARTS`, strictly: a
framing error, a missing or extra part, a wrong media type, a missing or repeated Content-ID, a
KMM over :data:`MAX_KMM_OCTETS` is refused with an error naming the part.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from lxml import etree

from mckm.impl.errors import DecodeError, PolicyError, UsageError
from mckm.impl.xmlprotect.encryption import (
    IvSource,
    decrypt_octets,
    encrypt_octets,
    protect_tree,
    random_iv,
    unprotect_tree,
)
from mckm.impl.xmlprotect.keys import Keyring
from mckm.impl.xmlprotect.multipart import (
    BodyPart,
    boundary_of,
    decoded_content,
    frame,
    fresh_boundary,
    parse_media_type,
    split,
)
from mckm.impl.xmlprotect.names import xenc
from mckm.impl.xmlprotect.parsing import parse_document, serialize
from mckm.impl.xmlprotect.signature import sign_bodies, verify_bodies

#: the project namespace of the signalling parameters and its elements
NS = "urn:mckm:interkmm"
ROOT, KMF_ID, MCPTT_ID = f"{{{NS}}}interkmm", f"{{{NS}}}kmf-id", f"{{{NS}}}mcptt-id"
#: the optional replay elements (REQ-IKMM-09): a fresh message id and the sender's NTP time,
#: signed with the part but not encrypted
MSG_ID, SENT = f"{{{NS}}}msg-id", f"{{{NS}}}sent"
#: REQ-IKMM-16: which end point originated the message, signed with the part (before msg-id)
DIRECTION = f"{{{NS}}}direction"
#: the values of ``direction``: from the IWF to the UE, from the UE to the IWF
DIRECTIONS = ("iwf-to-ue", "ue-to-iwf")
_MSG_ID_TEXT = re.compile(r"[A-Za-z0-9._~-]{16,64}")
SIGNALLING_TYPE = "application/vnd.mckm.interkmm+xml"
PROTECTED_KMM_TYPE = "application/xenc+xml"
SIGNATURES_TYPE = "application/vnd.mckm.signatures+xml"
#: the largest KMM carried (octets), and the largest whole body.
MAX_KMM_OCTETS = 64 * 1024
MAX_BODY_OCTETS = 256 * 1024
#: the longest KMF ID or MCPTT ID (characters).
MAX_ID_CHARS = 1024
REQ_BODY = "REQ-IKMM-08"
REQ_PROTECTED = "REQ-IKMM-01"
#: RFC 6838 4.2 restricted-name, type "/" subtype
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/"
                         r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
_ID_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class PartRule:
    """One part of the body grammar (REQ-IKMM-08): its name in errors, the media type it must
    have (None: any single-part type, the KMM's own) and whether it carries a Content-ID."""

    name: str
    media_type: str | None
    content_id: bool


#: the parts of an InterKMM body, in order; the third only when protected (module docstring)
PARTS = (PartRule("signalling part", SIGNALLING_TYPE, True),
         PartRule("KMM part", None, True),
         PartRule("signature part", SIGNATURES_TYPE, False))
#: multipart subtype of the body, and the prefix of the boundaries mckm writes
BODY_TYPE = "multipart/mixed"
BOUNDARY_PREFIX = b"interkmm-"


@dataclass(frozen=True)
class InterKmm:
    """One InterKMM: the KMF ID of the IWF, the MCPTT ID of the interworking user, the KMM
    octets and their media type."""

    kmf_id: str
    mcptt_id: str
    kmm: bytes = field(repr=False)  # the non-3GPP system's message may carry its keys
    kmm_type: str = "application/octet-stream"
    #: REQ-IKMM-09: a fresh id of this message (16..64 unreserved characters) and the sender's
    #: clock (NTP seconds); REQ-IKMM-16: the direction (:data:`DIRECTIONS`); all or none
    msg_id: str | None = None
    sent: int | None = None
    direction: str | None = None

    def __post_init__(self) -> None:
        if len({self.msg_id is None, self.sent is None, self.direction is None}) != 1:
            raise UsageError("msg_id, sent and direction: all or none")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise UsageError(f"direction: one of {', '.join(DIRECTIONS)}")
        if self.msg_id is not None and (not isinstance(self.msg_id, str)
                                        or not _MSG_ID_TEXT.fullmatch(self.msg_id)):
            raise UsageError("msg_id: 16..64 characters of A-Z a-z 0-9 . _ ~ -")
        if self.sent is not None and (isinstance(self.sent, bool) or not isinstance(
                self.sent, int) or not 0 <= self.sent < 1 << 64):
            raise UsageError("sent: NTP seconds, an integer in 0..2**64-1")
        for name in ("kmf_id", "mcptt_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _ID_TEXT.fullmatch(value) or \
                    len(value) > MAX_ID_CHARS or value != value.strip():
                raise UsageError(f"{name}: 1..{MAX_ID_CHARS} characters without control "
                                 "characters or surrounding spaces")
        if not isinstance(self.kmm, bytes) or not self.kmm:
            raise UsageError("kmm: the KMM is non-empty octets")
        if len(self.kmm) > MAX_KMM_OCTETS:
            raise UsageError(f"kmm: {len(self.kmm)} octets, over the limit of {MAX_KMM_OCTETS}")
        problem = _kmm_type_problem(self.kmm_type)
        if problem:
            raise UsageError(f"kmm_type: {problem}")


def _kmm_type_problem(value: object) -> str | None:
    """Why ``value`` cannot be the media type of a KMM, or None."""
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        return f"{value!r} is not a media type (type/subtype, RFC 6838 4.2)"
    top = value.split("/")[0].lower()
    if top in ("multipart", "message"):
        return f"{value!r}: the KMM is one opaque body, not a {top} type"
    return None


def _check_received_type(value: str | None, field: str) -> str:
    problem = _kmm_type_problem(value)
    if problem:
        raise DecodeError(problem, payload="KMM part", field=field)
    assert value is not None
    return value


@dataclass(frozen=True)
class Protection:
    """The hop's XPK: protect with the key ``xpk_id`` of ``keys``."""

    keys: Keyring
    xpk_id: int


@dataclass(frozen=True)
class Received:
    """A parsed InterKMM; ``xpk_id`` is the XPK that protected it (None: it came in clear)."""

    message: InterKmm
    xpk_id: int | None


def build(message: InterKmm, *, protection: Protection | None = None, host: str = "mckm.invalid",
          iv_source: IvSource = random_iv) -> tuple[str, bytes]:
    """The SIP ``Content-Type`` value and the body of ``message``; protected under
    ``protection`` (REQ-IKMM-01) when given."""
    tree = _signalling(message)
    ids = [f"{kind}-{secrets.token_hex(8)}@{host}" for kind in ("signalling", "kmm")]
    parts: list[tuple[str, str | None, bytes]]
    if protection is None:
        parts = [(SIGNALLING_TYPE, ids[0], serialize(tree)),
                 (message.kmm_type, ids[1], message.kmm)]
    else:
        keys, xpk_id = protection.keys, protection.xpk_id
        fresh = _once(iv_source)
        protect_tree(tree, (KMF_ID, MCPTT_ID), xpk_id=xpk_id, keys=keys, iv_source=fresh)
        signalling = serialize(tree)
        kmm = encrypt_octets(message.kmm, message.kmm_type, xpk_id=xpk_id, keys=keys,
                             iv_source=fresh)
        signatures = sign_bodies({ids[0]: signalling, ids[1]: kmm}, xpk_id=xpk_id, keys=keys)
        parts = [(SIGNALLING_TYPE, ids[0], signalling), (PROTECTED_KMM_TYPE, ids[1], kmm),
                 (SIGNATURES_TYPE, None, signatures)]
    boundary = fresh_boundary([body for _, _, body in parts], BOUNDARY_PREFIX)
    framed = frame([([("Content-Type", media_type)]
                     + ([("Content-ID", f"<{content_id}>")] if content_id else []), body)
                    for media_type, content_id, body in parts], boundary)
    return f'{BODY_TYPE}; boundary="{boundary.decode("ascii")}"', framed


def _once(iv_source: IvSource) -> IvSource:
    """``iv_source`` refusing an IV it gave before: the parts share one key (XMLENC11 5.2.4)."""
    seen: set[bytes] = set()

    def fresh() -> bytes:
        iv = iv_source()
        if iv in seen:
            raise UsageError("an IV was given twice under one key (AES-GCM forbids it)")
        seen.add(iv)
        return iv

    return fresh


def _signalling(message: InterKmm) -> etree._Element:
    root = etree.Element(ROOT, nsmap={None: NS})
    etree.SubElement(root, KMF_ID).text = message.kmf_id
    etree.SubElement(root, MCPTT_ID).text = message.mcptt_id
    if message.msg_id is not None:
        etree.SubElement(root, DIRECTION).text = message.direction
        etree.SubElement(root, MSG_ID).text = message.msg_id
        etree.SubElement(root, SENT).text = str(message.sent)
    return root


def parse(content_type: str, body: bytes, *, keys: Keyring | None = None) -> Received:
    """The InterKMM of a SIP MESSAGE with this ``Content-Type`` and body.

    With ``keys`` the message must be protected (REQ-IKMM-01): signatures verified first, then
    the signalling parameters and the KMM decrypted, all under one XPK of ``keys``.  Without
    keys it must come in clear.
    """
    parts = _parts(content_type, body)
    protected = len(parts) == 3
    if keys is not None and not protected:
        raise PolicyError("the InterKMM is not protected: no signature body (TS 33.180 9.3.5)",
                          requirement=REQ_PROTECTED)
    if keys is None and protected:
        raise UsageError("a protected InterKMM: keys are needed to read it")
    (_, sig_id, signalling), (kmm_type, kmm_id, kmm) = parts[0], parts[1]
    if keys is None:
        _check_received_type(kmm_type, "Content-Type")
        if kmm_type == PROTECTED_KMM_TYPE:
            raise PolicyError("an encrypted KMM without signatures", requirement=REQ_PROTECTED)
        kmf_id, mcptt_id, msg_id, sent, direction = _read_signalling(
            parse_document(signalling, "signalling part"))
        return Received(InterKmm(kmf_id, mcptt_id, _kmm_size(kmm), kmm_type, msg_id, sent,
                                 direction), None)
    if kmm_type != PROTECTED_KMM_TYPE:
        raise PolicyError(f"the KMM part is {kmm_type}, not {PROTECTED_KMM_TYPE}: the KMM is "
                          "not encrypted", requirement=REQ_PROTECTED)
    used = set(verify_bodies(parts[2][2], {sig_id: signalling, kmm_id: kmm}, keys=keys))
    tree, xpk_ids = unprotect_tree(_encrypted_ids(signalling), keys=keys)
    mime_type, clear, kmm_key = decrypt_octets(kmm, keys=keys)
    used |= {*xpk_ids, kmm_key}
    if len(used) != 1:
        raise PolicyError("the InterKMM's parts are protected under different XPKs: "
                          + ", ".join(f"{i:#010x}" for i in sorted(used)),
                          requirement=REQ_PROTECTED)
    kmm_type = _check_received_type(mime_type, "MimeType")
    kmf_id, mcptt_id, msg_id, sent, direction = _read_signalling(tree)
    return Received(InterKmm(kmf_id, mcptt_id, _kmm_size(clear), kmm_type, msg_id, sent,
                             direction), used.pop())


def _kmm_size(kmm: bytes) -> bytes:
    if not kmm:
        raise DecodeError("the KMM is empty", payload="KMM part")
    if len(kmm) > MAX_KMM_OCTETS:
        raise DecodeError(f"{len(kmm)} octets, over the limit of {MAX_KMM_OCTETS}",
                          payload="KMM part")
    return kmm


def _parts(content_type: str, body: bytes) -> list[tuple[str, str, bytes]]:
    """(media type, Content-ID, octets) of each part, checked against :data:`PARTS`."""
    if not isinstance(body, bytes | bytearray):
        raise DecodeError("the body must be octets", payload="InterKMM")
    if len(body) > MAX_BODY_OCTETS:
        raise DecodeError(f"{len(body)} octets, over the limit of {MAX_BODY_OCTETS}",
                          payload="InterKMM")
    if not isinstance(content_type, str) or "\r" in content_type or "\n" in content_type:
        raise DecodeError("the Content-Type must be one header line", payload="InterKMM")
    top = parse_media_type(content_type, payload="InterKMM")
    if top.name != BODY_TYPE:
        raise DecodeError(f"Content-Type {content_type!r} is not {BODY_TYPE} with a boundary "
                          "(RFC 2046 5.1.1)", payload="InterKMM")
    found = split(bytes(body), boundary_of(top, payload="InterKMM"), payload="InterKMM",
                  names=[rule.name for rule in PARTS])
    if len(found) not in (2, 3):
        raise DecodeError(f"{len(found)} parts; an InterKMM has the signalling part, the KMM "
                          "part and, when protected, the signature part", payload="InterKMM")
    parts = [_part(p, rule) for p, rule in zip(found, PARTS, strict=False)]
    if parts[0][1] == parts[1][1]:
        raise DecodeError(f"Content-ID <{parts[0][1]}> given twice", payload=PARTS[1].name,
                          field="Content-ID")
    return parts


def _part(part: BodyPart, rule: PartRule) -> tuple[str, str, bytes]:
    """One part read by ``rule``: its media type, Content-ID (without brackets) and octets."""
    name = rule.name
    raw_type = part.get("content-type")
    # RFC 2045 5.2: a part without Content-Type is text/plain
    media_type = parse_media_type(raw_type, payload=name).name if raw_type else "text/plain"
    if media_type.startswith(("multipart/", "message/")):
        raise DecodeError("a nested multipart is not allowed", payload=name)
    if rule.media_type is not None and media_type != rule.media_type:
        raise DecodeError(f"Content-Type {media_type}, not {rule.media_type}", payload=name)
    raw = part.get("content-id")
    content_id = ""
    if raw is not None:
        if not (raw.startswith("<") and raw.endswith(">") and "@" in raw[1:-1]):
            raise DecodeError(f"Content-ID {raw!r} is not <id-left@id-right> (RFC 2045 7)",
                              payload=name, field="Content-ID")
        content_id = raw[1:-1]
    if rule.content_id and not content_id:
        raise DecodeError("no Content-ID (the signatures reference it)", payload=name,
                          field="Content-ID")
    return media_type, content_id, decoded_content(part, payload=name)


def _encrypted_ids(signalling: bytes) -> etree._Element:
    """``signalling`` parsed, after checking that kmf-id and mcptt-id each hold one
    EncryptedData."""
    root = parse_document(signalling, "signalling part")
    for tag in (KMF_ID, MCPTT_ID):
        element = root.find(tag)
        children = [] if element is None else list(element)
        if element is None or len(children) != 1 or children[0].tag != xenc("EncryptedData") \
                or (element.text or "").strip():
            local = etree.QName(tag).localname
            raise PolicyError(f"{local} is not encrypted (TS 33.180 9.3.4.2)",
                              requirement=REQ_PROTECTED)
    return root


def _read_signalling(root: etree._Element
                     ) -> tuple[str, str, str | None, int | None, str | None]:
    """The parameters of the signalling part's tree (in clear, or once decrypted): kmf-id,
    mcptt-id, msg-id, sent and direction."""
    where = "signalling part"
    tags = [c.tag for c in root if isinstance(c.tag, str)]
    if root.tag != ROOT or tags not in ([KMF_ID, MCPTT_ID],
                                        [KMF_ID, MCPTT_ID, DIRECTION, MSG_ID, SENT]):
        raise DecodeError(f"expected <interkmm xmlns=\"{NS}\"> with kmf-id, mcptt-id "
                          "(and then direction, msg-id, sent)", payload=where,
                          field=etree.QName(root).localname)
    values = []
    for tag in (KMF_ID, MCPTT_ID):
        element = root.find(tag)
        assert element is not None
        local = etree.QName(tag).localname
        if len(element):
            raise DecodeError("text only", payload=where, field=local)
        text = element.text or ""
        if not _ID_TEXT.fullmatch(text) or len(text) > MAX_ID_CHARS or text != text.strip():
            raise DecodeError(f"1..{MAX_ID_CHARS} characters without control characters or "
                              "surrounding spaces", payload=where, field=local)
        values.append(text)
    if len(tags) == 2:
        return values[0], values[1], None, None, None
    direction, msg_id, sent = (root.find(t) for t in (DIRECTION, MSG_ID, SENT))
    assert direction is not None and msg_id is not None and sent is not None
    if len(direction) or direction.text not in DIRECTIONS:
        raise DecodeError(f"one of {', '.join(DIRECTIONS)}", payload=where, field="direction")
    if len(msg_id) or not _MSG_ID_TEXT.fullmatch(msg_id.text or ""):
        raise DecodeError("16..64 characters of A-Z a-z 0-9 . _ ~ -", payload=where,
                          field="msg-id")
    text = sent.text or ""
    if len(sent) or not text.isascii() or not text.isdigit() or len(text) > 20 \
            or int(text) >= 1 << 64:
        raise DecodeError("NTP seconds in decimal, below 2**64", payload=where, field="sent")
    return values[0], values[1], msg_id.text, int(text), direction.text
