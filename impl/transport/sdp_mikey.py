"""MIKEY messages in SDP (RFC 4567) and SDP in SIP bodies (RFC 3261), for the Ticket Transfer
exchange: TRANSFER_INIT in the offer of an INVITE, TRANSFER_RESP in the answer of the 200 OK
(or 18x) (seed 002 B.2.2.2 step 9; RFC 6043 7).

RFC 4567 3.1::

    key-mgmt-attribute = key-mgmt-att-field ":" key-mgmt-att-value
    key-mgmt-att-field = "key-mgmt"
    key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data
    prtcl-id           = KMPID          ; "mikey" for MIKEY (RFC 4567 4)
    keymgmt-data       = base64         ; the MIKEY message, base64 encoded

The attribute may stand at session level (before the first ``m=``) and at media level; for a
media description the media-level attribute applies, else the session-level one.

Parsing is strict and total: bad input raises :class:`~mckm.impl.errors.DecodeError` naming the
SDP line (``offset`` = its character offset in the text, ``payload`` = ``"SDP"`` or ``"SIP"``,
``field`` = what was wrong), never another exception.  The SIP side is only what this carrier
needs (a request or status line, headers, a ``Content-Length`` body); it is not a SIP stack.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from mckm.impl.errors import DecodeError, UsageError

KEY_MGMT = "key-mgmt"
MIKEY = "mikey"
SDP_TYPE = "application/sdp"
MAX_SIP = 65_535  # octets of a SIP message this carrier reads (a UDP datagram's worth)

_KMPID = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+")  # an SDP token (RFC 4566 9)
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


# -------------------------------------------------------------------------------------- SDP


@dataclass(frozen=True)
class KeyMgmt:
    """One ``a=key-mgmt`` attribute: protocol id, decoded data, and where it stands (``media``
    is the 0-based index of its media description, None at session level)."""

    protocol: str
    data: bytes = field(repr=False)
    media: int | None
    offset: int


def key_mgmt_line(message: bytes, protocol: str = MIKEY) -> str:
    """``a=key-mgmt:<protocol> <base64(message)>`` (RFC 4567 3.1, 4)."""
    if not message:
        raise UsageError("a key-mgmt attribute carries a non-empty message")
    if not _KMPID.fullmatch(protocol):
        raise UsageError(f"{protocol!r} is not an SDP token")
    return f"a={KEY_MGMT}:{protocol} {base64.b64encode(bytes(message)).decode('ascii')}"


def sdp_with_mikey(message: bytes, *, user: str, address: str, port: int,
                   session_id: int, media: str = "audio", formats: str = "0") -> str:
    """A minimal SDP (RFC 4566: v, o, s, c, t, m) with the MIKEY message at session level and an
    SRTP media description (RTP/SAVP, RFC 3711)."""
    if not (0 < port < 65_536) or any(c in user + address for c in " \r\n"):
        raise UsageError("SDP user and address must be tokens and the port 1-65535")
    version = "IP6" if ":" in address else "IP4"
    return "\r\n".join([
        "v=0", f"o={user} {session_id} {session_id} IN {version} {address}", "s=-",
        f"c=IN {version} {address}", "t=0 0", key_mgmt_line(message),
        f"m={media} {port} RTP/SAVP {formats}", ""])


def key_mgmt_attributes(sdp: str) -> list[KeyMgmt]:
    """Every ``a=key-mgmt`` attribute of ``sdp``, in order (RFC 4567 3.1)."""
    out: list[KeyMgmt] = []
    media: int | None = None
    offset = 0
    for line in sdp.splitlines(keepends=True):
        text = line.rstrip("\r\n")
        if text.startswith("m="):
            media = 0 if media is None else media + 1
        elif text[:len(KEY_MGMT) + 3].lower() == f"a={KEY_MGMT}:":  # read in any case
            out.append(_attribute(text[len(KEY_MGMT) + 3:], media, offset))
        offset += len(line)
    return out


def mikey_for_media(sdp: str, media: int = 0) -> bytes:
    """The MIKEY message that applies to media description ``media``: its own ``key-mgmt:mikey``
    attribute, else the session-level one (RFC 4567 3.1)."""
    found = [a for a in key_mgmt_attributes(sdp) if a.protocol == MIKEY]
    for level in (media, None):
        here = [a for a in found if a.media == level]
        if len(here) > 1:
            raise DecodeError(f"{len(here)} key-mgmt:mikey attributes at one level",
                              offset=here[1].offset, payload="SDP", field=KEY_MGMT)
        if here:
            return here[0].data
    raise DecodeError(f"no key-mgmt:mikey attribute for media {media} or the session",
                      offset=len(sdp), payload="SDP", field=KEY_MGMT)


def _attribute(value: str, media: int | None, offset: int) -> KeyMgmt:
    if value.startswith(" "):
        value = value[1:]  # 0*1SP
    protocol, sep, data = value.partition(" ")
    if not sep or not _KMPID.fullmatch(protocol):
        raise DecodeError("key-mgmt needs a protocol id, one space and base64 data",
                          offset=offset, payload="SDP", field="prtcl-id")
    if not data or len(data) % 4 or not _B64.fullmatch(data):
        raise DecodeError("keymgmt-data is not base64", offset=offset, payload="SDP",
                          field="keymgmt-data")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError("keymgmt-data is not base64", offset=offset, payload="SDP",
                          field="keymgmt-data") from None
    return KeyMgmt(protocol, decoded, media, offset)


# -------------------------------------------------------------------------------------- SIP


@dataclass(frozen=True)
class SipMessage:
    """A SIP request or response as this carrier reads it (RFC 3261 7)."""

    start: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        """The first header ``name`` (case-insensitive; compact forms of the ones used)."""
        wanted = {name.lower(), _COMPACT.get(name.lower(), "")} - {""}
        return next((v for k, v in self.headers if k.lower() in wanted), None)

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int | None:
        return None if self.is_request else int(self.start.split(" ", 2)[1])

    def encode(self) -> bytes:
        lines = [self.start, *(f"{k}: {v}" for k, v in self.headers if k.lower() not in
                               ("content-length", "l")), f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


_COMPACT = {"content-type": "c", "content-length": "l", "call-id": "i", "from": "f", "to": "t",
            "via": "v"}
_STATUS = re.compile(r"SIP/2\.0 [1-6][0-9][0-9] [^\r\n]*")
_REQUEST = re.compile(r"[A-Z]+ \S+ SIP/2\.0")


def sip_invite(*, from_uri: str, to_uri: str, call_id: str, via: str, sdp: str,
               cseq: int = 1, tag: str = "1") -> SipMessage:
    """An INVITE whose body is ``sdp`` (RFC 3261 8.1.1; the offer, RFC 3264)."""
    return SipMessage(f"INVITE {to_uri} SIP/2.0", (
        ("Via", f"SIP/2.0/UDP {via};branch=z9hG4bK{call_id[:16]}"), ("Max-Forwards", "70"),
        ("From", f"<{from_uri}>;tag={tag}"), ("To", f"<{to_uri}>"), ("Call-ID", call_id),
        ("CSeq", f"{cseq} INVITE"), ("Contact", f"<{from_uri}>"),
        ("Content-Type", SDP_TYPE)), sdp.encode("utf-8"))


def sip_answer(request: SipMessage, *, sdp: str, status: int = 200, reason: str = "OK",
               tag: str = "2") -> SipMessage:
    """A response to ``request`` with ``sdp`` as its body (the answer; RFC 3261 8.2.6)."""
    if not request.is_request or not 100 < status < 300:
        raise UsageError("an SDP answer goes in a 18x or 2xx response to a request")
    copied = tuple((k, v) for k, v in request.headers
                   if k.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq"))
    to = request.header("To") or ""
    if ";tag=" not in to:  # a request inside a dialog already names the answerer's tag
        to = f"{to};tag={tag}"
    return SipMessage(f"SIP/2.0 {status} {reason}",
                      (*copied, ("To", to), ("Content-Type", SDP_TYPE)),
                      sdp.encode("utf-8"))


def parse_sip(raw: bytes) -> SipMessage:
    """Read one SIP message; its body must be exactly ``Content-Length`` octets."""
    if len(raw) > MAX_SIP:
        raise DecodeError(f"{len(raw)} octets: more than {MAX_SIP}", offset=MAX_SIP,
                          payload="SIP", field="length")
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise DecodeError("no empty line after the headers", offset=len(raw), payload="SIP",
                          field="headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("headers are not UTF-8", offset=exc.start, payload="SIP",
                          field="headers") from None
    lines = text.split("\r\n")
    start = lines[0]
    if not (_STATUS.fullmatch(start) or _REQUEST.fullmatch(start)):
        raise DecodeError(f"not a SIP request or status line: {start[:40]!r}", offset=0,
                          payload="SIP", field="start-line")
    headers: list[tuple[str, str]] = []
    offset = len(start) + 2
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.strip() or " " in name:
            raise DecodeError(f"not a header line: {line[:40]!r}", offset=offset,
                              payload="SIP", field="header")
        headers.append((name, value.strip()))
        offset += len(line) + 2
    message = SipMessage(start, tuple(headers), body)
    length = message.header("Content-Length")
    if length is None or not length.isdigit() or int(length) != len(body):
        raise DecodeError(f"Content-Length {length!r} does not match the {len(body)}-octet "
                          "body", offset=len(head) + 4, payload="SIP", field="Content-Length")
    return message


def sdp_of(message: SipMessage) -> str:
    """The SDP body of a SIP message (Content-Type application/sdp, UTF-8)."""
    kind = (message.header("Content-Type") or "").split(";")[0].strip().lower()
    if kind != SDP_TYPE:
        raise DecodeError(f"the body is {kind or 'untyped'}, not {SDP_TYPE}", offset=0,
                          payload="SIP", field="Content-Type")
    try:
        return message.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("the SDP body is not UTF-8", offset=exc.start, payload="SDP",
                          field="body") from None


__all__ = ["KEY_MGMT", "MIKEY", "KeyMgmt", "SipMessage", "key_mgmt_attributes", "key_mgmt_line",
           "mikey_for_media", "parse_sip", "sdp_of", "sdp_with_mikey", "sip_answer",
           "sip_invite"]
