"""SIP requests and responses as the messages of ``sip-registration`` (the paths of its
``MessageSpec`` s), and the requests the roles send.

A field the request does not carry is None, so the engine refuses the request (REQ-SIPREG-09:
400) before any guard; nothing here refuses.  URIs are read from a name-addr (``"Alice"
<sip:alice@example.org>;tag=1``: the URI between the angle brackets) or an addr-spec (the URI
up to its first header parameter), RFC 3261 20.10 / 25.1.  The token of a PUBLISH is read from
its mcptt-info body (:mod:`.body`); a body off that form gives the token ``''`` and keeps the
error, which the token guard reports.
"""

from __future__ import annotations

import re

from mckm.impl.engine.messages import DictMessage
from mckm.impl.errors import DecodeError
from mckm.impl.roles.sip_core.body import access_token_of, parse_profile
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import top_via
from mckm.models.procedures import sip_registration as model

#: RFC 3261 10.2.1.1: a registrar picks the expiry when the request states none (its choice)
DEFAULT_EXPIRES = 3600
_ANGLE = re.compile(r"<([^<>\s]+)>")
_EXPIRES_PARAM = re.compile(r";\s*expires\s*=\s*([0-9]{1,10})", re.IGNORECASE)


def uri_of(value: str | None) -> str | None:
    """The URI of a From, To, Contact or P-Asserted-Identity value (module docstring)."""
    if value is None:
        return None
    m = _ANGLE.search(value)
    uri = m[1] if m else value.split(";", 1)[0].strip()
    return uri if re.fullmatch(r"(sips?|tel):[^\s<>\"]+", uri) else None


def expires_of(request: SipMessage) -> int | None:
    """Expires (RFC 3261 20.19), else the Contact's expires parameter, else the default; None
    when a value is not a number of seconds."""
    header = request.header("Expires")
    if header is not None:
        return int(header) if header.isdigit() and len(header) <= 10 else None
    m = _EXPIRES_PARAM.search(request.header("Contact") or "")
    return int(m[1]) if m else DEFAULT_EXPIRES


def _event(request: SipMessage) -> str | None:
    value = request.header("Event") or request.header("o")
    return value.split(";", 1)[0].strip() or None if value else None


def _sent_by(request: SipMessage) -> str:
    return top_via(request).sent_by


def register(request: SipMessage) -> DictMessage:
    """A UE's REGISTER (step 1)."""
    return DictMessage("REGISTER", {"impu": uri_of(request.header("To")),
                                    "contact": uri_of(request.header("Contact")),
                                    "expires": expires_of(request)})


def third_party_register(request: SipMessage) -> DictMessage:
    """The SIP core's third-party REGISTER at the MCPTT server (step 2)."""
    return DictMessage("THIRD_PARTY_REGISTER", {
        "impu": uri_of(request.header("To")), "core": uri_of(request.header("From")),
        "via": _sent_by(request), "expires": expires_of(request)})


def token_of(request: SipMessage) -> tuple[str, str]:
    """The access token of a PUBLISH body and, when it has none, why (module docstring)."""
    content_type = (request.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type != model.MCPTT_INFO_TYPE:
        return "", f"the body is {content_type or 'absent'}, not {model.MCPTT_INFO_TYPE}"
    try:
        return access_token_of(request.body), ""
    except DecodeError as exc:
        return "", str(exc)


def publish(request: SipMessage) -> tuple[DictMessage, str]:
    """A UE's PUBLISH at the SIP core (step 4), and why it has no token (if so)."""
    token, why = token_of(request)
    return DictMessage("PUBLISH", {"impu": uri_of(request.header("From")),
                                   "event": _event(request), "token": token}), why


def publish_asserted(request: SipMessage) -> tuple[DictMessage, str]:
    """The PUBLISH the SIP core forwarded, at the MCPTT server (step 4)."""
    token, why = token_of(request)
    return DictMessage("PUBLISH_ASSERTED", {
        "impu": uri_of(request.header("P-Asserted-Identity")),
        "contact": uri_of(request.header("Contact")), "via": _sent_by(request),
        "event": _event(request), "token": token}), why


def register_ok(response: SipMessage) -> DictMessage:
    """The SIP core's 200 to a REGISTER, at the UE."""
    return DictMessage("REGISTER_OK", {"impu": uri_of(response.header("To")),
                                       "contact": uri_of(response.header("Contact")),
                                       "expires": expires_of(response)})


def publish_ok(response: SipMessage) -> DictMessage:
    """The MCPTT server's 200 to a PUBLISH, at the UE: the profile's fields (None when the
    body is not a profile)."""
    fields: dict[str, object] = {"expires": expires_of(response),
                                 "etag": response.header("SIP-ETag")}
    try:
        profile = parse_profile(response.body)
    except DecodeError:
        profile = None
    for name in ("mcptt_id", "impu", "session"):
        fields[name] = getattr(profile, name) if profile is not None else None
    return DictMessage("PUBLISH_OK", fields)


__all__ = ["DEFAULT_EXPIRES", "expires_of", "publish", "publish_asserted", "publish_ok", "register",
           "register_ok",
           "third_party_register", "token_of", "uri_of"]
