"""The MIME side of seed 001's S/MIME: what is encrypted and how the CMS object travels.

* What is encrypted is a canonical MIME entity (RFC 8551 3.1): the SIP body with its
  ``Content-Type`` header, so the receiver recovers the body's type with it
  (:func:`entity` / :func:`read_entity`); its CMS content type is id-data.
* The CMS object travels as ``application/pkcs7-mime; smime-type=authEnveloped-data;
  name=smime.p7m`` (RFC 8551 3.2.2, 3.4): as a MIME body part with base64
  Content-Transfer-Encoding (:func:`body_part`, the form ``openssl cms -inform SMIME`` reads), or
  as the body of a SIP request (RFC 3261 23.4.3's example; SIP is 8-bit clean, RFC 3261 7.4, so
  the DER goes unencoded) with ``Content-Disposition: attachment; handling=required``
  (RFC 3261 20.11: the receiver must not ignore the body) (:func:`sip_request`).

Header syntax (parameters, quoting) is read with the standard library's ``email`` package.
Errors are :class:`DecodeError` naming the MIME or SIP field.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from email.message import Message

from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.smime import cms
from mckm.impl.transport.sdp_mikey import SipMessage, parse_sip

MEDIA_TYPE = "application/pkcs7-mime"
SMIME_TYPE = "authEnveloped-data"  # RFC 8551 3.2.2, for AuthEnvelopedData
#: the smime-type values read as AuthEnvelopedData: RFC 8551's, and "auth-enveloped-data",
#: which TS 33.328 I.2.2 writes for the same CMS type (its S/MIME of SIP bodies under a KEK)
SMIME_TYPES_READ = frozenset({SMIME_TYPE.lower(), "auth-enveloped-data"})
CONTENT_TYPE = f"{MEDIA_TYPE}; smime-type={SMIME_TYPE}; name=smime.p7m"
DISPOSITION = "attachment; handling=required; filename=smime.p7m"
BASE64_LINE = 76  # RFC 2045 6.8: encoded lines are no more than 76 characters

_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(;[ -~]*)?")


def _split(data: bytes, payload: str) -> tuple[Message, bytes]:
    """The header fields (parsed by ``email``) and the raw body of a MIME entity."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = data.partition(sep)
        if found:
            break
    else:
        raise DecodeError("no empty line after the header fields", offset=len(data),
                          payload=payload, field="headers")
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecodeError("header fields are not ASCII", offset=exc.start, payload=payload,
                          field="headers") from None
    message = Message()
    for number, line in enumerate(re.split(r"\r?\n(?![ \t])", text)):
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise DecodeError(f"header line {number + 1} is not 'Name: value': {line[:40]!r}",
                              payload=payload, field="headers")
        message[name] = " ".join(value.split())
    return message, body


def entity(content_type: str, body: bytes) -> bytes:
    """The canonical MIME entity that is encrypted (RFC 8551 3.1): ``Content-Type``, an
    empty line, the body (binary: SIP and CMS are 8-bit clean)."""
    if not isinstance(content_type, str) or not _TYPE.fullmatch(content_type):
        raise UsageError(f"content type {content_type!r} is not a MIME type/subtype")
    if not isinstance(body, bytes | bytearray):
        raise UsageError(f"the body must be bytes, not {type(body).__name__}")
    return f"Content-Type: {content_type}\r\n\r\n".encode("ascii") + bytes(body)


def read_entity(data: bytes) -> tuple[str, bytes]:
    """The content type (with its parameters) and the body of a decrypted MIME entity."""
    message, body = _split(data, "MIME entity")
    content_type = message.get("Content-Type")
    if content_type is None:
        raise DecodeError("no Content-Type header field", payload="MIME entity",
                          field="Content-Type")
    encoding = (message.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding == "base64":
        body = _base64(body, "MIME entity")
    elif encoding not in ("binary", "8bit", "7bit"):
        raise DecodeError(f"Content-Transfer-Encoding {encoding!r} is not supported",
                          payload="MIME entity", field="Content-Transfer-Encoding")
    return str(content_type), body


def _base64(text: bytes, payload: str) -> bytes:
    compact = b"".join(text.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError("the body is not valid base64 (RFC 2045 6.8)", payload=payload,
                          field="body") from None


def _check_smime(message: Message, payload: str) -> None:
    kind = message.get_content_type()
    if message.get("Content-Type") is None or kind != MEDIA_TYPE:
        raise DecodeError(f"Content-Type {message.get('Content-Type')!r}, expected {MEDIA_TYPE}",
                          payload=payload, field="Content-Type")
    smime_type = message.get_param("smime-type")
    if not isinstance(smime_type, str) or smime_type.lower() not in SMIME_TYPES_READ:
        raise DecodeError(f"smime-type {smime_type!r}, expected {SMIME_TYPE} (RFC 8551 3.2.2; "
                          "TS 33.328 I.2.2 writes auth-enveloped-data)",
                          payload=payload, field="Content-Type.smime-type")


def body_part(der: bytes) -> bytes:
    """The CMS object as an S/MIME body part (RFC 8551 3.4): base64 in lines of 76."""
    lines = base64.encodebytes(bytes(der)).replace(b"\n", b"\r\n")
    head = (f"Content-Type: {CONTENT_TYPE}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename=smime.p7m\r\n\r\n")
    return head.encode("ascii") + lines


def der_of_body_part(part: bytes) -> bytes:
    """The CMS object of an S/MIME body part (base64 or binary transfer encoding)."""
    message, body = _split(part, "S/MIME body part")
    _check_smime(message, "S/MIME body part")
    encoding = (message.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding == "base64":
        return _base64(body, "S/MIME body part")
    if encoding != "binary":
        raise DecodeError(f"Content-Transfer-Encoding {encoding!r}: a CMS object is base64 or "
                          "binary", payload="S/MIME body part", field="Content-Transfer-Encoding")
    return body


def sip_request(der: bytes, *, method: str = "MESSAGE", from_uri: str, to_uri: str,
                call_id: str | None = None, via: str = "127.0.0.1", cseq: int = 1) -> bytes:
    """A SIP request whose body is the CMS object (RFC 3261 23.4.3)."""
    call_id = call_id or secrets.token_hex(12)
    message = SipMessage(f"{method} {to_uri} SIP/2.0", (
        ("Via", f"SIP/2.0/UDP {via};branch=z9hG4bK{call_id[:16]}"), ("Max-Forwards", "70"),
        ("From", f"<{from_uri}>;tag=1"), ("To", f"<{to_uri}>"), ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"), ("Content-Type", CONTENT_TYPE),
        ("Content-Disposition", DISPOSITION)), bytes(der))
    return message.encode()


def der_of_sip(raw: bytes) -> bytes:
    """The CMS object in the body of a SIP message (binary, or base64 when the message says
    ``Content-Transfer-Encoding: base64``)."""
    message = parse_sip(raw)
    fields = Message()
    for name in ("Content-Type", "Content-Transfer-Encoding"):
        value = message.header(name)
        if value is not None:
            fields[name] = value
    _check_smime(fields, "SIP")
    encoding = (fields.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding == "base64":
        return _base64(message.body, "SIP")
    if encoding != "binary":
        raise DecodeError(f"Content-Transfer-Encoding {encoding!r}: a CMS object is base64 or "
                          "binary", payload="SIP", field="Content-Transfer-Encoding")
    return message.body


def seal(body: bytes, content_type: str, key_id: bytes, cek: bytes | Secret[bytes], *,
         content_key: bytes | None = None, nonce: bytes | None = None) -> bytes:
    """Protect a SIP body of type ``content_type`` under the CEK named ``key_id``: the DER
    AuthEnvelopedData of its MIME entity (``content_key``/``nonce`` fixed only by vectors)."""
    return cms.protect(entity(content_type, body), key_id, cek, content_key=content_key,
                       nonce=nonce)


def open_sealed(der: bytes, keys: cms.KeyLookup) -> tuple[str, bytes, bytes]:
    """The content type, body and Key ID of a sealed SIP body (checks as :func:`cms.unprotect`,
    then the content must be id-data holding a MIME entity)."""
    opened = cms.unprotect(der, keys)
    if opened.content_type != cms.ID_DATA:
        raise DecodeError(f"content type {opened.content_type}: a SIP body is sealed as "
                          "id-data (RFC 8551 3.1)", payload=cms.PAYLOAD,
                          field="authEncryptedContentInfo.contentType")
    content_type, body = read_entity(opened.content)
    return content_type, body, opened.key_id


__all__ = ["CONTENT_TYPE", "DISPOSITION", "MEDIA_TYPE", "SMIME_TYPE", "body_part",
           "der_of_body_part", "der_of_sip", "entity", "open_sealed", "read_entity", "seal",
           "sip_request"]
