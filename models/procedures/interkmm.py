"""InterKMM relay through the MCX server, IWF-started and UE-started (seed 000, TR 33.880 7.8.x).

Models seed 000 7.8.x.3 on TS 33.180 9.3 (XML protection of MC signalling) and 11.2.2 (the
InterSD message Rel-16 adopted for it), carried in SIP MESSAGE (RFC 3428).  Three roles: the 3GPP
interworking ``ue``, the ``mcx_server`` that relays, and the ``iwf`` of the non-3GPP system.
Two hops, each protected under its own XPK (REQ-IKMM-01): UE <-> MCX server under the UE's CSK
(message ``INTERKMM_CSK``), MCX server <-> IWF under the SPK of the IWF's KMF ID
(``INTERKMM_SPK``).  The server opens what it receives, checks it, re-protects it under the
other hop's key and sends it on; it never forwards octets it has not opened, and the KMM, its
type and the parameters leave it unchanged (send guards, REQ-IKMM-12).

A received InterKMM is one message view (``impl/roles/interkmm/view.py``): ``body_octets``
from the SIP request, the rest read from the body once it has opened under the hop's keyring
(fields are absent, None, until then: the guard ``authentic`` refuses first).  What identifies
a message for replay (REQ-IKMM-09) is ``msg_id``, a fresh id in the signed signalling part,
kept in the receiver's replay cache while ``sent`` (the originator's NTP clock, also signed)
is inside the window; the server forwards both unchanged, so each hop's receiver checks them.
``direction`` (REQ-IKMM-16), signed with them, names the end point that originated the message:
both directions of a hop use one XPK, so without it an end point's own InterKMM, sent back to it,
would open under its key, name it and carry a msg-id it never received.  The procedure's
policy holds its direction: the originator writes it, the server and the end point accept only
it, statelessly.

Every refusal is a guard; :data:`SIP_ANSWERS` names the SIP status and reason phrase its
refusal is answered with (one row per guard name), :data:`ACCEPTED` the 2xx of an accepted
MESSAGE: 202 Accepted at the relay (RFC 3428 7: accepted, delivered onwards, not yet to the
end point), 200 OK at the end point.

Leaves out: the KMM's own content (out of 3GPP scope, seed 000 7.8.x.3), the SIP core's routing
and registration (the relay is configured with its peers' addresses), answers to the KMM (a
reply is a new InterKMM the other way), and TS 33.180 9.3.4.3 URI encryption.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mckm.impl.xmlprotect.interkmm import DIRECTIONS, MAX_KMM_OCTETS
from mckm.models.procedures.expr import (
    And,
    Eq,
    Expr,
    Field,
    Msg,
    NotIn,
    Now,
    Policy,
    Self,
    Within,
)
from mckm.models.procedures.mikey_ticket.terms import AtMost
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from mckm.models.procedures.predicates import (
    IKMM_AFFILIATED,
    IKMM_KMF_KNOWN,
    IKMM_OPENS,
    IKMM_PROTECTED,
    IKMM_XPK_AVAILABLE,
    IKMM_XPK_OF,
)
from mckm.models.procedures.skm_s import Given

CLAUSE = "seed 000 (TR 33.880 7.8.x.3); TS 33.180 9.3, 11.2.2; RFC 3428"

REQUIREMENTS: Mapping[str, str] = {
    "REQ-IKMM-01": "The signalling parameters and the KMM payload of an InterKMM are "
                   "confidentiality and integrity protected hop by hop: MC client ↔ MCX server "
                   "under the CSK, MCX server ↔ IWF under the SPK.",
    "REQ-IKMM-02": "To protect an element, its content is replaced by one EncryptedData of "
                   "Type http://www.w3.org/2001/04/xmlenc#Content with EncryptionMethod "
                   "http://www.w3.org/2009/xmlenc11#aes128-gcm. CipherValue is "
                   "base64(IV ‖ ciphertext ‖ tag): a fresh 96-bit IV, then the 128-bit tag, "
                   "with no additional authenticated data.",
    "REQ-IKMM-03": "The cipher key is the confidentiality key and the HMAC key is the integrity "
                   "key. Both are derived from the XPK by F.1.4: FC 0x51 and 0x52, P0 the MC "
                   "service user ID, P1 the XPK-ID (see REQ-KDF-08). The XPK is the 128-bit CSK "
                   "(XPK-ID the CSK-ID) or SPK (XPK-ID the SPK-ID); a key id whose purpose tag "
                   "is neither is refused.",
    "REQ-IKMM-04": "The key is named by ds:KeyInfo/ds:KeyName, the base64 of the 4-octet "
                   "XPK-ID (big-endian). The receiver looks the XPK-ID up in its keyring. An "
                   "unknown XPK-ID, a KeyInfo holding anything but one KeyName, or no "
                   "KeyInfo and no XPK-ID agreed otherwise is refused (PolicyError).",
    "REQ-IKMM-05": "EncryptedData of Type #Content and #Element is decrypted, under "
                   "strict rules. Refused: another algorithm or type, a CipherReference, "
                   "base64 that is not canonical, a CipherValue shorter than IV and tag, a tag "
                   "that does not verify (VerifyError), decrypted octets that are not XML in "
                   "their context, and a document with a DTD. Each error names the "
                   "EncryptedData (number and line) and the field.",
    "REQ-IKMM-06": "Every XML MIME body of the SIP request is signed by its own ds:Signature. "
                   "That signature holds one Reference to the body's cid: URL (its "
                   "Content-ID), with the SHA-256 digest of the body's octets and no transforms. "
                   "SignedInfo is in exclusive C14N, signed with HMAC-SHA256 under the "
                   "integrity key; KeyName is as in REQ-IKMM-04. The signatures travel in one "
                   "more MIME body.",
    "REQ-IKMM-07": "On receipt, every XML MIME body is covered by exactly one signature, and "
                   "every signature names a body of the message. The signature methods are "
                   "exactly HMAC-SHA256 (no HMACOutputLength), SHA-256 and C14N 1.0 or "
                   "exclusive C14N without comments, with no Transforms and one Reference. "
                   "Otherwise the message is refused.",
    "REQ-IKMM-08": "An InterKMM body is multipart/mixed with the parts in this order: the "
                   "signalling parameters (application/vnd.mckm.interkmm+xml: an interkmm "
                   "element of namespace urn:mckm:interkmm holding kmf-id, the KMF ID of the "
                   "IWF, then mcptt-id, the interworking user's MCPTT ID, then optionally "
                   "msg-id and "
                   "sent of REQ-IKMM-09); the KMM (opaque, 1 to 65536 octets, under its own "
                   "media type, or application/xenc+xml when protected); and, when protected, "
                   "the signatures (application/vnd.mckm.signatures+xml). The first two parts "
                   "carry distinct Content-IDs. A body off this grammar, a MIME defect, a nested "
                   "multipart, a body over 256 KiB or a KMM over the limit is refused, naming "
                   "the part.",
    "REQ-IKMM-09": "An InterKMM names itself: the signalling part carries msg-id, a fresh "
                   "random id, and sent, the originator's clock (NTP seconds), both signed "
                   "with the part. A receiver on either hop refuses an InterKMM without them, "
                   "one whose sent is more than the replay window from its clock, and one "
                   "whose msg-id it accepted before (replay); it keeps accepted ids while "
                   "they are inside the window.",
    "REQ-IKMM-10": "A receiver refuses an InterKMM body over the stated limit (a protected "
                   "InterKMM with a KMM at the 64 KiB limit fits) before opening it.",
    "REQ-IKMM-11": "The MCX server relays an InterKMM from the IWF to the UE only if the KMF ID "
                   "is an IWF it interworks with, the body opened under that IWF's SPK, the "
                   "MCPTT ID is a user affiliated for interworking and a CSK of that user is "
                   "available; it then protects it under that CSK, sends it to the UE and "
                   "answers the IWF 202 Accepted.",
    "REQ-IKMM-12": "Re-protection at the MCX server (CSK to SPK and SPK to CSK) keeps the KMM, "
                   "its media type, the KMF ID, the MCPTT ID, msg-id and sent unchanged, "
                   "and uses the key of the next hop's peer; a hop never carries the KMM or "
                   "the parameters in clear.",
    "REQ-IKMM-13": "The MCX server relays an InterKMM from a UE to the IWF only if the body "
                   "opened under the CSK of the MCPTT ID it names, that user is affiliated for "
                   "interworking, the KMF ID is an IWF it interworks with and an SPK for it is "
                   "available; it then protects it under that SPK, sends it to the IWF and "
                   "answers the UE 202 Accepted.",
    "REQ-IKMM-14": "An end point (UE or IWF) accepts an InterKMM only if it opened under its "
                   "own CSK or SPK and is addressed to it (its MCPTT ID, its KMF ID), delivers "
                   "the KMM and answers 200 OK.",
    "REQ-IKMM-15": "A message a role does not expect in its state is refused; a role's "
                   "refusal is answered with the SIP status and reason phrase its guard names.",
    "REQ-IKMM-16": "The signalling part carries direction (iwf-to-ue or ue-to-iwf, before "
                   "msg-id), the direction its originator sent it in, signed with the part. A "
                   "receiver (the MCX server, the UE, the IWF) accepts only the direction of "
                   "the hop and role it receives on, and the MCX server relays it unchanged: "
                   "an end point never takes its own InterKMM, sent back to it, as its "
                   "peer's.",
}

#: the model's policy: the largest body read (REQ-IKMM-10) and the replay window (seconds);
#: each procedure adds its ``direction`` (REQ-IKMM-16)
POLICY: Mapping[str, Any] = {"max_body_octets": 2 * MAX_KMM_OCTETS, "replay_window": 30}

#: guard name -> (SIP status, reason phrase) its refusal is answered with (RFC 3261 21)
SIP_ANSWERS: Mapping[str, tuple[int, str]] = {
    "size": (413, "Request Entity Too Large"),
    "protected": (403, "InterKMM Not Protected"),
    "authentic": (403, "InterKMM Not Authentic"),
    "identified": (403, "InterKMM Without Id"),
    "timely": (403, "InterKMM Stale"),
    "fresh": (403, "InterKMM Replayed"),
    "known-kmf": (404, "Unknown KMF ID"),
    "spk-of-kmf": (403, "Wrong SPK"),
    "csk-of-user": (403, "Wrong CSK"),
    "affiliated": (403, "User Not Affiliated For Interworking"),
    "csk-available": (480, "Key Not Available"),
    "spk-available": (480, "Key Not Available"),
    "addressed": (404, "Not Found"),
    "own-key": (403, "Wrong Key"),
    "direction": (403, "Wrong Direction"),
}
#: the answer to a message the role does not expect (REQ-IKMM-15)
UNEXPECTED_ANSWER = (403, "InterKMM Not Expected")
#: the 2xx of an accepted MESSAGE, by role (RFC 3428 7)
ACCEPTED: Mapping[str, tuple[int, str]] = {"mcx_server": (202, "Accepted"), "ue": (200, "OK"),
                                           "iwf": (200, "OK")}


def _message(name: str, hop: str) -> MessageSpec:
    return MessageSpec(
        name, {"body_octets": "int", "kmf_id": "ident", "mcptt_id": "ident",
               "xpk_id": "int", "msg_id": "blob", "sent": "time", "direction": "ident",
               "kmm": "blob", "kmm_type": "ident"},
        grammar="SIP MESSAGE (RFC 3428) with an InterKMM body (mckm.impl.xmlprotect.interkmm)",
        paths={"body_octets": "Content-Length", "kmf_id": "signalling part / kmf-id",
               "mcptt_id": "signalling part / mcptt-id", "xpk_id": "ds:KeyName of every part",
               "msg_id": "signalling part / msg-id", "sent": "signalling part / sent",
               "direction": "signalling part / direction",
               "kmm": "KMM part (EncryptedData)", "kmm_type": "KMM part / @MimeType"},
        clause=f"seed 000 7.8.x.3 ({hop} hop)",
        optional=frozenset({"kmf_id", "mcptt_id", "xpk_id", "msg_id", "sent", "direction",
                            "kmm", "kmm_type"}))


MESSAGES = (_message("INTERKMM_CSK", "UE - MCX server, CSK"),
            _message("INTERKMM_SPK", "MCX server - IWF, SPK"))


def guard(name: str, expr: Expr, requirement: str, reason: str, *detects: str) -> Guard:
    """A guard whose SIP answer is :data:`SIP_ANSWERS` [name]."""
    return Guard(name, expr, requirement, reason, None, detects,
                 http_status=SIP_ANSWERS[name][0])


F = Field
MSG = Msg()
_SIZE = guard("size", AtMost(F("body_octets"), Policy("max_body_octets")), "REQ-IKMM-10",
              "the InterKMM body is over the limit", "oversize")
_PROTECTED = guard("protected", IKMM_PROTECTED(MSG), "REQ-IKMM-01",
                   "the InterKMM is not protected on this hop", "unprotected")
_AUTHENTIC = guard("authentic", IKMM_OPENS(MSG), "REQ-IKMM-01",
                   "the InterKMM does not verify and decrypt under a key of this hop",
                   "tampered")
_IDENTIFIED = guard("identified", And(Given(F("msg_id")), Given(F("sent"))), "REQ-IKMM-09",
                    "the InterKMM carries no msg-id and sent", "replay")
_TIMELY = guard("timely", Within(F("sent"), Now(), Policy("replay_window")), "REQ-IKMM-09",
                "sent is outside the replay window", "stale")
_FRESH = guard("fresh", NotIn(F("msg_id"), Self("replay_cache")), "REQ-IKMM-09",
               "msg-id already accepted (replay)", "replay")
#: REQ-IKMM-16: the receiver takes only its procedure's direction; after ``identified`` (the
#: direction comes with msg-id and sent), before ``timely`` and ``fresh`` (a reflected message
#: is answered as such, not as a replay)
_DIRECTION = guard("direction", Eq(F("direction"), Policy("direction")), "REQ-IKMM-16",
                   "direction is not the direction of this hop and role", "reflected")
_REPLAY = (_IDENTIFIED, _DIRECTION, _TIMELY, _FRESH)


def _known_kmf(requirement: str) -> Guard:
    return guard("known-kmf", IKMM_KMF_KNOWN(F("kmf_id")), requirement,
                 "the KMF ID is no IWF this server interworks with", "misaddressed")


def _affiliated(requirement: str) -> Guard:
    return guard("affiliated", IKMM_AFFILIATED(F("mcptt_id")), requirement,
                 "the user is not affiliated for interworking", "unauthorised")


# the MCX server receiving from the IWF (REQ-IKMM-11) and from a UE (REQ-IKMM-13)
SERVER_FROM_IWF = (
    _SIZE, _PROTECTED, _AUTHENTIC, _known_kmf("REQ-IKMM-11"),
    guard("spk-of-kmf", Eq(F("xpk_id"), IKMM_XPK_OF(F("kmf_id"))), "REQ-IKMM-11",
          "the InterKMM is not protected under the SPK of its KMF ID", "wrong-key"),
    *_REPLAY, _affiliated("REQ-IKMM-11"),
    guard("csk-available", IKMM_XPK_AVAILABLE(F("mcptt_id")), "REQ-IKMM-11",
          "no CSK of the user is available", "no-key"))
SERVER_FROM_UE = (
    _SIZE, _PROTECTED, _AUTHENTIC,
    guard("csk-of-user", Eq(F("xpk_id"), IKMM_XPK_OF(F("mcptt_id"))), "REQ-IKMM-13",
          "the InterKMM is not protected under the CSK of the MCPTT ID it names", "wrong-key"),
    *_REPLAY, _affiliated("REQ-IKMM-13"), _known_kmf("REQ-IKMM-13"),
    guard("spk-available", IKMM_XPK_AVAILABLE(F("kmf_id")), "REQ-IKMM-13",
          "no SPK of the IWF is available", "no-key"))


def _end_point(own_id: str, own_field: str) -> tuple[Guard, ...]:
    """An end point: its own key, addressed to it (REQ-IKMM-14), in the direction towards it
    (REQ-IKMM-16), then fresh."""
    return (_SIZE, _PROTECTED, _AUTHENTIC,
            guard("own-key", Eq(F("xpk_id"), Self("xpk_id")), "REQ-IKMM-14",
                  "the InterKMM is not protected under this end point's key", "wrong-key"),
            guard("addressed", Eq(F(own_field), Self(own_id)), "REQ-IKMM-14",
                  f"{own_field} is not this end point", "misaddressed"),
            *_REPLAY)


#: what a relayed message keeps (REQ-IKMM-12): the field and the server's variable
KEPT = ("kmm", "kmm_type", "kmf_id", "mcptt_id", "msg_id", "sent", "direction")


def _relay_send(next_peer: str) -> tuple[Guard, ...]:
    """The server's send guards: the relayed message keeps what it received, under the key of
    the next hop's peer (``next_peer``: the field naming it)."""
    kept = tuple(Guard(f"keeps-{name.replace('_', '-')}", Eq(F(name), Self(name)),
                       "REQ-IKMM-12", f"re-protection changed {name}") for name in KEPT)
    return (*kept, Guard("next-hop-key", Eq(F("xpk_id"), IKMM_XPK_OF(F(next_peer))),
                         "REQ-IKMM-12", "the relayed InterKMM is not under the next peer's key"))


def _originate(role: str, own_field: str, own_id: str) -> tuple[Guard, ...]:
    """An originator's send guards: its own key, its own id, its procedure's direction."""
    return (Guard("sender-key", Eq(F("xpk_id"), Self("xpk_id")), "REQ-IKMM-01",
                  f"the {role} protects under its own key"),
            Guard("from-self", Eq(F(own_field), Self(own_id)), "REQ-IKMM-14",
                  f"the {role} sends in its own name"),
            Guard("writes-direction", Eq(F("direction"), Policy("direction")), "REQ-IKMM-16",
                  f"the {role} names the direction it sends in"))


_UE_VARS = {"mcptt_id": "ident", "xpk_id": "int", "replay_cache": "set[blob]"}
_IWF_VARS = {"kmf_id": "ident", "xpk_id": "int", "replay_cache": "set[blob]"}
_SERVER_VARS = {"replay_cache": "set[blob]", "kmm": "blob", "kmm_type": "ident",
                "kmf_id": "ident", "mcptt_id": "ident", "msg_id": "blob", "sent": "time",
                "direction": "ident"}
_ROLES = (Role("ue", "idle", ("sent", "done"), _UE_VARS),
          Role("mcx_server", "ready", ("relayed",), _SERVER_VARS),
          Role("iwf", "idle", ("sent", "done"), _IWF_VARS))
_LEAVES_OUT = (
    "the KMM's content and any answer to it (a reply is a new InterKMM the other way)",
    "SIP routing, registration and the SIP core between the MCX server and its peers",
    "TS 33.180 9.3.4.3 URI attribute encryption",
)


#: what the effects of a step that protects an InterKMM realise (impl/xmlprotect): XML
#: encryption of the elements and the KMM part, the keys from the XPK, the key's name, one
#: signature per XML body, the body's layout
PROTECTS = ("REQ-IKMM-02", "REQ-IKMM-03", "REQ-IKMM-04", "REQ-IKMM-06", "REQ-IKMM-08")
#: what opening one checks before its guards read a field: the strict decryption, the keys and
#: the key's name, every body covered by one valid signature, the layout
OPENS = ("REQ-IKMM-03", "REQ-IKMM-04", "REQ-IKMM-05", "REQ-IKMM-07", "REQ-IKMM-08")


def _steps(origin: str, destination: str) -> tuple[Step, ...]:
    to_server = "INTERKMM_SPK" if origin == "iwf" else "INTERKMM_CSK"
    onward = "INTERKMM_CSK" if origin == "iwf" else "INTERKMM_SPK"
    own = {"ue": ("mcptt_id", "mcptt_id"), "iwf": ("kmf_id", "kmf_id")}
    req_relay = "REQ-IKMM-11" if origin == "iwf" else "REQ-IKMM-13"
    next_peer = "mcptt_id" if origin == "iwf" else "kmf_id"
    return (
        Step("1", origin, "send", to_server, "mcx_server", "idle", "sent", "REQ-IKMM-01",
             f"the {origin.upper()} protects the InterKMM under its "
             f"{'SPK' if origin == 'iwf' else 'CSK'} and sends it in a SIP MESSAGE",
             _originate(origin, own[origin][1], own[origin][0]),
             ("interkmm.originate",), ("REQ-IKMM-09", *PROTECTS)),
        Step("2", "mcx_server", "receive", to_server, origin, "ready", "opened", req_relay,
             "the MCX server opens and checks the InterKMM",
             SERVER_FROM_IWF if origin == "iwf" else SERVER_FROM_UE,
             ("interkmm.remember", "interkmm.server.keep"), OPENS),
        Step("3", "mcx_server", "send", onward, destination, "opened", "relayed",
             "REQ-IKMM-12", "the MCX server re-protects it for the next hop, sends it on and "
             "answers 202 Accepted", _relay_send(next_peer), ("interkmm.server.reprotect",),
             (req_relay, *PROTECTS), auto=True),
        Step("4", destination, "receive", onward, "mcx_server", "idle", "done", "REQ-IKMM-14",
             f"the {destination.upper()} opens and checks it, delivers the KMM and answers "
             "200 OK", _end_point(*own[destination]),
             ("interkmm.remember", "interkmm.deliver"), OPENS),
    )


def _procedure(origin: str, destination: str) -> Procedure:
    direction = f"{origin}-to-{destination}"
    assert direction in DIRECTIONS
    return Procedure(
        name=f"interkmm-{origin}-to-{destination}",
        title=f"InterKMM from the {origin.upper()} to the {destination.upper()} through the MCX "
              "server",
        clause=CLAUSE, roles=_ROLES, messages=MESSAGES, steps=_steps(origin, destination),
        requirements=REQUIREMENTS, unexpected=Refusal("REQ-IKMM-15", None),
        policy={**POLICY, "direction": direction},
        outcome=f"the {destination.upper()} holds the {origin.upper()}'s KMM; each hop carried "
                "it protected under its own key",
        leaves_out=_LEAVES_OUT, status_protocol="SIP")


IWF_TO_UE = _procedure("iwf", "ue")
UE_TO_IWF = _procedure("ue", "iwf")
PROCEDURES = (IWF_TO_UE, UE_TO_IWF)


def sip_answer(guard_name: str | None) -> tuple[int, str]:
    """The SIP status and reason phrase of a refusal by ``guard_name`` (None: the message was
    not expected, or a field was ill-typed)."""
    if guard_name is None:
        return UNEXPECTED_ANSWER
    return SIP_ANSWERS.get(guard_name, (500, "Server Internal Error"))


__all__ = ["ACCEPTED", "CLAUSE", "IWF_TO_UE", "KEPT", "MESSAGES", "POLICY", "PROCEDURES",
           "REQUIREMENTS", "SIP_ANSWERS", "UE_TO_IWF", "sip_answer"]
