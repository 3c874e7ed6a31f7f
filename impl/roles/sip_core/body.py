"""The two XML bodies of the service authorisation PUBLISH (seed 001 step 4).

- The request body: an mcptt-info document (TS 24.379 Annex F.1, namespace
  ``urn:3gpp:ns:mcpttInfo:1.0``, type ``application/vnd.3gpp.mcptt-info+xml``) whose
  ``mcptt-Params/mcptt-access-token`` holds the access token in ``mcpttString`` with
  ``type="Normal"`` (not encrypted).  TS 24.379 7.2.1A sends it in a multipart/mixed body next
  to a poc-settings document; here it is the whole body (REQ-SIPREG-06; spec/cek-smime.md).
- The answer body: the service authorisation profile, a project format
  (``application/vnd.mckm.service-authorisation+xml``) naming what the server bound: the MCPTT
  ID, the IMPU, the SIP session and the expiry.  The MCPTT user profile of TS 24.484 is far
  larger and reaches the UE by XCAP; the seed asks only that the answer carry the profile.

Both are read with the one strict XML reader (no DTD, no entities); a body off its form is a
:class:`~mckm.impl.errors.DecodeError` naming the element.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from mckm.impl.errors import DecodeError
from mckm.impl.xmlprotect.parsing import parse_document, serialize

MCPTT_INFO_NS = "urn:3gpp:ns:mcpttInfo:1.0"
PROFILE_NS = "urn:mckm:service-authorisation"
#: the largest PUBLISH body read (a token is a few hundred octets)
MAX_BODY = 16 * 1024
_TOKEN_PATH = ("mcptt-Params", "mcptt-access-token", "mcpttString")


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def mcptt_info(token: str) -> bytes:
    """The mcptt-info body carrying ``token`` (TS 24.379 Annex F.1)."""
    root = etree.Element(_q(MCPTT_INFO_NS, "mcpttinfo"), nsmap={None: MCPTT_INFO_NS})
    params = etree.SubElement(root, _q(MCPTT_INFO_NS, "mcptt-Params"))
    holder = etree.SubElement(params, _q(MCPTT_INFO_NS, "mcptt-access-token"), type="Normal")
    etree.SubElement(holder, _q(MCPTT_INFO_NS, "mcpttString")).text = token
    return serialize(root)


def access_token_of(body: bytes) -> str:
    """The access token of an mcptt-info body, or DecodeError naming what is off."""
    what = "mcptt-info"
    if len(body) > MAX_BODY:
        raise DecodeError(f"{len(body)} octets, over the limit of {MAX_BODY}", payload=what)
    node = parse_document(body, what, limit=MAX_BODY)
    if node.tag != _q(MCPTT_INFO_NS, "mcpttinfo"):
        raise DecodeError(f"the root is {node.tag}, not mcpttinfo of {MCPTT_INFO_NS}",
                          payload=what, field="mcpttinfo")
    for name in _TOKEN_PATH:
        found = node.findall(_q(MCPTT_INFO_NS, name))
        if len(found) != 1:
            raise DecodeError(f"{len(found)} {name} elements, not one", payload=what,
                              field=name)
        node = found[0]
        if name == "mcptt-access-token" and node.get("type", "Normal") != "Normal":
            raise DecodeError("an encrypted mcptt-access-token is not read here (type is not "
                              "Normal)", payload=what, field=name)
    token = (node.text or "").strip()
    if not token or len(node):
        raise DecodeError("mcpttString holds no token text", payload=what, field="mcpttString")
    return token


@dataclass(frozen=True)
class Profile:
    """The service authorisation profile of one binding (REQ-SIPREG-07)."""

    mcptt_id: str
    impu: str
    session: str
    expires: int


_PROFILE_FIELDS = ("mcptt-id", "impu", "session", "expires")


def profile_body(profile: Profile) -> bytes:
    root = etree.Element(_q(PROFILE_NS, "service-authorisation"), nsmap={None: PROFILE_NS})
    values = (profile.mcptt_id, profile.impu, profile.session, str(profile.expires))
    for name, value in zip(_PROFILE_FIELDS, values, strict=True):
        etree.SubElement(root, _q(PROFILE_NS, name)).text = value
    return serialize(root)


def parse_profile(body: bytes) -> Profile:
    what = "service-authorisation"
    root = parse_document(body, what, limit=MAX_BODY)
    if root.tag != _q(PROFILE_NS, "service-authorisation"):
        raise DecodeError(f"the root is {root.tag}, not service-authorisation", payload=what)
    values = []
    for name in _PROFILE_FIELDS:
        found = root.findall(_q(PROFILE_NS, name))
        if len(found) != 1 or not (found[0].text or "").strip():
            raise DecodeError(f"{name}: not one element with text", payload=what, field=name)
        values.append(found[0].text.strip())
    if not values[3].isdigit():
        raise DecodeError("expires is not a number of seconds", payload=what, field="expires")
    return Profile(values[0], values[1], values[2], int(values[3]))


__all__ = ["MCPTT_INFO_NS", "PROFILE_NS", "Profile", "access_token_of", "mcptt_info",
           "parse_profile", "profile_body"]
