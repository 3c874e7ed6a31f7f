"""The JSON bodies of the CEK service (seed 001 7.x.2, 7.x.3; model ``cek-management``).

JSON (RFC 8259) because the seed defines no format, TS 33.180 Annex D's XML schema has no CEK
element, and the bodies are a handful of strings: the standard library's parser reads them,
and a client in any language writes them without a schema.  Every body is one JSON object whose
members are all strings; a member the message does not have, a missing one, a non-string or a
malformed Key ID or CEK is a :class:`~mckm.impl.errors.DecodeError` naming the member (HTTP
400).  The CEK travels base64 (RFC 4648 4); it is wrapped in a
:class:`~mckm.impl.redact.Secret` as soon as it is read and never logged.

=================  ====================================================================
body               members
=================  ====================================================================
CEK_REQUEST        user, session, [notify]
UPDATE_REQUEST     user, session, want, [key_id]
RETIRE_REQUEST     user, session, key_id
CEK_RESPONSE       user, session, key_id, cek
RETIRED            user, session, key_id, retired (the string "true")
CEK_PUSH / NOTIFY  user, session, key_id, cek
RETIRE_PUSH        user, session, key_id
=================  ====================================================================
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Protocol

from mckm.impl.engine.messages import DictMessage
from mckm.impl.errors import DecodeError
from mckm.impl.redact import Secret

PAYLOAD = "CEK JSON body"
#: the members each message has: (required, optional)
MEMBERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CEK_REQUEST": (("user", "session"), ("notify",)),
    "UPDATE_REQUEST": (("user", "session", "want"), ("key_id",)),
    "RETIRE_REQUEST": (("user", "session", "key_id"), ()),
    "CEK_RESPONSE": (("user", "session", "key_id", "cek"), ()),
    "RETIRED": (("user", "session", "key_id", "retired"), ()),
    "CEK_PUSH": (("user", "session", "key_id", "cek"), ()),
    "CEK_NOTIFY": (("user", "session", "key_id", "cek"), ()),
    "RETIRE_PUSH": (("user", "session", "key_id"), ()),
}
#: the CEK is 256 bits (seed 001 7.x.2); the Key ID 16 octets, written as 32 hex digits
CEK_OCTETS, KEY_ID_OCTETS = 32, 16
_KEY_ID = re.compile(r"[0-9a-f]{32}")
MAX_MEMBER = 1024  # octets of a user, session or URL member


def key_id_octets(key_id: str) -> bytes:
    """The Key ID as the octets of a CMS ``kekid.keyIdentifier`` (REQ-CEK-01)."""
    return bytes.fromhex(key_id)


def read_object(name: str, body: bytes) -> dict[str, Any]:
    """The members of ``body`` as ``name``'s JSON object (strings; the CEK as a Secret)."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"not a UTF-8 JSON text ({type(exc).__name__})",
                          payload=PAYLOAD) from None
    if not isinstance(value, dict):
        raise DecodeError(f"the body of {name} is not a JSON object", payload=PAYLOAD)
    required, optional = MEMBERS[name]
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise DecodeError(f"{name} has no member {unknown[0]!r}", payload=PAYLOAD,
                          field=unknown[0])
    out: dict[str, Any] = {}
    for member in (*required, *optional):
        if member not in value:
            if member in required:
                raise DecodeError(f"{name} lacks {member!r}", payload=PAYLOAD, field=member)
            continue
        text = value[member]
        if not isinstance(text, str) or not text or len(text) > MAX_MEMBER:
            raise DecodeError(f"{member!r} is not a string of 1..{MAX_MEMBER} characters",
                              payload=PAYLOAD, field=member)
        out[member] = _member(member, text)
    return out


def _member(member: str, text: str) -> Any:
    if member == "key_id" and not _KEY_ID.fullmatch(text):
        raise DecodeError(f"key_id is not {2 * KEY_ID_OCTETS} lower-case hex digits",
                          payload=PAYLOAD, field=member)
    if member == "cek":
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise DecodeError("cek is not base64", payload=PAYLOAD, field=member) from None
        if len(raw) != CEK_OCTETS:
            raise DecodeError(f"cek is not {CEK_OCTETS} octets", payload=PAYLOAD, field=member)
        return Secret(raw)
    if member == "notify" and not text.startswith("https://"):
        raise DecodeError("notify is not an https URL", payload=PAYLOAD, field=member)
    return text


class Fields(Protocol):
    """What :func:`write_object` reads: a message's fields (a DictMessage, a dict)."""

    def get(self, field: str, /) -> Any: ...


def write_object(name: str, fields: Fields) -> bytes:
    """The JSON body of ``name`` from its fields (a Secret CEK is revealed only here)."""
    required, optional = MEMBERS[name]
    out: dict[str, str] = {}
    for member in (*required, *optional):
        value = fields.get(member)
        if value is None or value == "":
            continue
        if isinstance(value, Secret):
            value = base64.b64encode(value.reveal()).decode("ascii")
        out[member] = str(value)
    return json.dumps(out, separators=(",", ":")).encode()


def request_message(name: str, token: str, body: bytes) -> DictMessage:
    """The model message of a client request: the bearer token and the body's members
    (``key_id``/``notify`` absent: '')."""
    members = read_object(name, body)
    return DictMessage(name, {"token": token, "notify": "", "key_id": "", **members})


def push_message(name: str, peer: str, body: bytes) -> DictMessage:
    """The model message of a push: the body's members and the pusher's verified TLS
    identity (``peer``), the CEK as field ``cek``."""
    return DictMessage(name, {**read_object(name, body), "peer": peer})


def answer_message(name: str, body: bytes) -> DictMessage:
    """The model message of the KMS's answer to a client."""
    return DictMessage(name, read_object(name, body))
