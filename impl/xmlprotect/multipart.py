"""MIME ``multipart`` bodies (RFC 2046 5.1) and the MIME header fields of their parts (RFC 2045),
read and written directly on the octets.

The grammar read here is RFC 2046 5.1.1's, whole::

    multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
                      *(CRLF dash-boundary transport-padding CRLF body-part)
                      CRLF dash-boundary "--" transport-padding [CRLF epilogue]
    body-part      := MIME-part-headers [CRLF *OCTET]

A delimiter is recognised wherever ``CRLF "--" boundary`` occurs (5.1.1, note to implementors:
the boundary is compared with the beginning of each line), so one ``bytes.find`` per part finds
it; what follows it must be ``--`` or transport padding and CRLF, else the body is refused.
The preamble and the epilogue are ignored, as 5.1.1 says.  Header fields are RFC 5322 2.2 lines
(folded lines unfolded) of US-ASCII; ``Content-Type`` is parsed by RFC 2045 5.1 (type, subtype,
``;``-separated parameters, token or quoted-string values, RFC 822 comments and white space
between them).  Every refusal is a :class:`~mckm.impl.errors.DecodeError` naming the part, the
field and, for the framing, the octet offset in the body.

The stdlib ``email`` parser read these bodies before: it compiled a regular expression for each
boundary it met, and every InterKMM has a fresh boundary, so that compilation took about a third
of the relay's parse (issue 15).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from mckm.impl.errors import DecodeError, UsageError

#: RFC 2045 5.1: token := 1*<any US-ASCII CHAR except SPACE, CTLs or tspecials>
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
#: the common case, type/subtype alone
_BARE_TYPE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
#: RFC 822 3.3: quoted-string, with quoted-pairs
_QUOTED = re.compile(r'"((?:[^"\\\r\n]|\\[\x00-\x7f])*)"')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_SPACE = re.compile(r"[ \t]*")
#: RFC 2046 5.1.1: boundary := 0*69<bchars> bcharsnospace
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
#: RFC 5322 2.2: field-name := 1*ftext (printable US-ASCII except ":")
_FIELD = re.compile(r"([!-9;-~]+):(.*)", re.DOTALL)
#: the MIME fields a part may carry once at most (RFC 2045 3: each is one field)
SINGLE_FIELDS = ("content-type", "content-id", "content-transfer-encoding")
#: RFC 2045 6.1 transfer encodings accepted; "binary" is the default here, as SIP carries
#: bodies 8-bit clean (RFC 3261 7.4) and mckm's writer gives no Content-Transfer-Encoding
TRANSFER_ENCODINGS = ("binary", "8bit", "7bit", "base64")
DEFAULT_TRANSFER_ENCODING = "binary"
CRLF = b"\r\n"


@dataclass(frozen=True)
class MediaType:
    """A ``Content-Type`` value: ``type/subtype`` in lower case and its parameters (names in
    lower case, values unquoted)."""

    name: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def top(self) -> str:
        return self.name.split("/", 1)[0]


def parse_media_type(value: str, *, payload: str, field: str = "Content-Type") -> MediaType:
    """RFC 2045 5.1 ``type "/" subtype *(";" parameter)``; comments and white space allowed
    between the tokens (RFC 822 3.1.4)."""
    if _BARE_TYPE.fullmatch(value):
        return MediaType(value.lower(), {})
    position = _skip(value, 0, payload, field)
    kind = _TOKEN.match(value, position)
    slash = kind.end() if kind else position
    sub = _TOKEN.match(value, slash + 1) if value[slash:slash + 1] == "/" else None
    if kind is None or sub is None:
        raise DecodeError(f"{_show(value)} is not type/subtype (RFC 2045 5.1)", payload=payload,
                          field=field)
    params: dict[str, str] = {}
    position = _skip(value, sub.end(), payload, field)
    while position < len(value):
        if value[position] != ";":
            raise DecodeError(f"{_show(value)}: ';' expected at character {position}",
                              payload=payload, field=field)
        position = _skip(value, position + 1, payload, field)
        attribute = _TOKEN.match(value, position)
        if attribute is None:
            raise DecodeError(f"{_show(value)}: a parameter name expected at character "
                              f"{position}", payload=payload, field=field)
        position = _skip(value, attribute.end(), payload, field)
        if value[position:position + 1] != "=":
            raise DecodeError(f"{_show(value)}: '=' expected after parameter "
                              f"{attribute.group()!r}", payload=payload, field=field)
        position = _skip(value, position + 1, payload, field)
        token = _TOKEN.match(value, position)
        quoted = None if token else _QUOTED.match(value, position)
        if token is None and quoted is None:
            raise DecodeError(f"{_show(value)}: parameter {attribute.group()!r} has no token or "
                              "quoted-string value", payload=payload, field=field)
        name = attribute.group().lower()
        if name in params:
            raise DecodeError(f"parameter {name!r} given twice", payload=payload, field=field)
        if token is not None:
            params[name], position = token.group(), token.end()
        else:
            assert quoted is not None
            params[name] = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
            position = quoted.end()
        position = _skip(value, position, payload, field)
    return MediaType(f"{kind.group()}/{sub.group()}".lower(), params)


def _skip(value: str, position: int, payload: str, field: str) -> int:
    """``position`` after white space and RFC 822 comments (nested, with quoted-pairs)."""
    while True:
        position = _SPACE.match(value, position).end()  # type: ignore[union-attr]
        if value[position:position + 1] != "(":
            return position
        depth, position = 0, position
        while True:
            if position >= len(value):
                raise DecodeError(f"{_show(value)}: a comment is not closed", payload=payload,
                                  field=field)
            char = value[position]
            position += 2 if char == "\\" else 1
            depth += (char == "(") - (char == ")")
            if depth == 0:
                break


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:80] + "…")


@dataclass(frozen=True)
class BodyPart:
    """One body part: its header fields (name in lower case, value unfolded and stripped), in
    order, and its octets as carried (before any transfer decoding); ``offset`` is where the
    part starts in the multipart body."""

    fields: tuple[tuple[str, str], ...]
    content: bytes = field(repr=False)
    offset: int = 0

    def get(self, name: str) -> str | None:
        """The value of field ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.fields:
            if key == name:
                return value
        return None


def boundary_of(media_type: MediaType, *, payload: str) -> bytes:
    """The ``boundary`` parameter of a multipart type, checked against RFC 2046 5.1.1."""
    boundary = media_type.params.get("boundary")
    if not boundary:
        raise DecodeError(f"{media_type.name} without a boundary parameter (RFC 2046 5.1.1)",
                          payload=payload, field="Content-Type")
    if not _BOUNDARY.fullmatch(boundary):
        raise DecodeError(f"boundary {_show(boundary)} is not 1..70 of RFC 2046 5.1.1's bchars, "
                          "ending in no space", payload=payload, field="Content-Type")
    return boundary.encode("ascii")


def split(body: bytes, boundary: bytes, *, payload: str, names: Sequence[str] = ()
          ) -> list[BodyPart]:
    """The body parts of a multipart ``body`` (RFC 2046 5.1.1, module docstring); ``names``
    name the parts in errors (``part N`` beyond them)."""
    dash = b"--" + boundary
    delimiter = CRLF + dash
    if body.startswith(dash):
        position = 0
    else:
        position = body.find(delimiter)
        if position < 0:
            raise DecodeError(f"no boundary delimiter --{boundary.decode()} (RFC 2046 5.1.1)",
                              offset=0, payload=payload)
        position += 2
    parts: list[BodyPart] = []
    while True:
        after = position + len(dash)
        if body[after:after + 2] == b"--":
            if not parts:
                raise DecodeError("a close-delimiter before any body part (RFC 2046 5.1.1: one "
                                  "part at least)", offset=position, payload=payload)
            end = _SPACE_OCTETS.match(body, after + 2).end()  # type: ignore[union-attr]
            if end < len(body) and body[end:end + 2] != CRLF:
                raise DecodeError("octets after the close-delimiter on its line (RFC 2046 "
                                  "5.1.1)", offset=end, payload=payload)
            return parts
        start = _SPACE_OCTETS.match(body, after).end()  # type: ignore[union-attr]
        if body[start:start + 2] != CRLF:
            ending = ("ends the body (no close-delimiter)" if start == len(body) else
                      "ends with a bare LF or CR, not CRLF" if body[start] in b"\r\n" else
                      "goes on with octets other than white space")
            raise DecodeError(f"the delimiter line --{boundary.decode()} {ending} (RFC 2046 "
                              "5.1.1)", offset=start, payload=payload)
        start += 2
        end = body.find(delimiter, start)
        name = names[len(parts)] if len(parts) < len(names) else f"part {len(parts) + 1}"
        if end < 0:
            raise DecodeError(f"no close-delimiter --{boundary.decode()}-- after {name} "
                              "(RFC 2046 5.1.1)", offset=len(body), payload=payload)
        parts.append(_body_part(body, start, end, name))
        position = end + 2


_SPACE_OCTETS = re.compile(rb"[ \t]*")


def _body_part(body: bytes, start: int, end: int, name: str) -> BodyPart:
    """``body[start:end]`` read as MIME-part-headers [CRLF *OCTET]."""
    if body.startswith(CRLF, start, end):  # no header field
        return BodyPart((), body[start + 2:end], start)
    blank = body.find(CRLF + CRLF, start, end)
    head_end, content = (end, b"") if blank < 0 else (blank, body[blank + 4:end])
    try:
        head = body[start:head_end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecodeError("a header field holds a non-ASCII octet (RFC 2045 / RFC 5322 2.2)",
                          offset=start + exc.start, payload=name) from None
    fields: list[tuple[str, str]] = []
    offset = start
    for line in head.split("\r\n"):
        if "\r" in line or "\n" in line:
            raise DecodeError("a bare CR or LF in the part's header (RFC 5322 2.2)",
                              offset=offset, payload=name)
        if line[:1] in (" ", "\t"):
            if not fields:
                raise DecodeError("the first header line is a continuation line",
                                  offset=offset, payload=name)
            key, value = fields[-1]
            fields[-1] = (key, f"{value} {line.strip()}".strip())
        else:
            match = _FIELD.fullmatch(line)
            if match is None:
                raise DecodeError(f"{_show(line)} is not a header field 'name: value' (RFC 5322 "
                                  "2.2); a part's header ends with an empty line",
                                  offset=offset, payload=name)
            fields.append((match.group(1).lower(), match.group(2).strip()))
        offset += len(line) + 2
    names = [key for key, _ in fields]
    for single in SINGLE_FIELDS if len(set(names)) < len(names) else ():
        if names.count(single) > 1:
            raise DecodeError("given twice", payload=name, field=_title(single))
    return BodyPart(tuple(fields), content, start)


def _title(name: str) -> str:
    return "-".join("ID" if word == "id" else word.capitalize() for word in name.split("-"))


def decoded_content(part: BodyPart, *, payload: str) -> bytes:
    """The part's octets after its ``Content-Transfer-Encoding`` (RFC 2045 6): binary, 8bit and
    7bit as they are, base64 (RFC 2045 6.8) decoded strictly."""
    encoding = (part.get("content-transfer-encoding") or DEFAULT_TRANSFER_ENCODING).lower()
    if encoding not in TRANSFER_ENCODINGS:
        raise DecodeError(f"Content-Transfer-Encoding {encoding!r} is not "
                          f"{', '.join(TRANSFER_ENCODINGS)}", payload=payload,
                          field="Content-Transfer-Encoding")
    if encoding == "7bit" and (not part.content.isascii() or b"\x00" in part.content):
        raise DecodeError("7bit content holds a NUL or an octet over 127 (RFC 2045 2.7)",
                          payload=payload, field="Content-Transfer-Encoding")
    if encoding != "base64":
        return part.content
    try:
        return base64.b64decode(part.content.translate(None, b" \t\r\n"), validate=True)
    except binascii.Error as exc:
        raise DecodeError(f"the base64 content does not decode: {exc}", payload=payload,
                          field="Content-Transfer-Encoding") from None


def fresh_boundary(bodies: Sequence[bytes], prefix: bytes) -> bytes:
    """RFC 2046 5.1.1: a random boundary that occurs in none of ``bodies``."""
    while True:
        boundary = prefix + secrets.token_hex(16).encode("ascii")
        if not any(boundary in body for body in bodies):
            return boundary


def frame(parts: Sequence[tuple[Sequence[tuple[str, str]], bytes]], boundary: bytes) -> bytes:
    """A multipart body of ``parts`` (header fields, octets), no preamble or epilogue; the
    octets are carried as they are (binary)."""
    if not _BOUNDARY.fullmatch(boundary.decode("ascii")):
        raise UsageError(f"boundary {boundary!r} is not RFC 2046 5.1.1's")
    out = bytearray()
    for fields, content in parts:
        if content.startswith(b"--" + boundary) or CRLF + b"--" + boundary in content:
            raise UsageError("the boundary occurs in a part (RFC 2046 5.1.1)")
        out += b"--" + boundary + CRLF
        for name, value in fields:
            if not _FIELD.fullmatch(f"{name}:{value}") or "\r" in value or "\n" in value:
                raise UsageError(f"header field {name!r} is not one line 'name: value' "
                                 "(RFC 5322 2.2)")
            out += f"{name}: {value}\r\n".encode("ascii")
        out += CRLF + content + CRLF
    out += b"--" + boundary + b"--" + CRLF
    return bytes(out)
