"""What each MIKEY-TICKET sending effect writes, as expressions over the role's variables.

A :class:`Sent` declares one message a role builds (RFC 6043 4.2; seed 002 B.2.2.2/3): its
fields, the inkey whose message keys protect it (RFC 6043 5.1.2: the PSK = the NAF key on Ua,
MPKi on the Transfer exchange; none on Zk, whose messages carry the NULL MAC and a clear KEMAC),
the initial message it answers (its V covers it, its HDR copies it), the ticket keys its KEMAC
carries, the KMS it is sent to over Zk, and the role variable that keeps it.  T is the sender's
clock, a RAND of an initial message is fresh; the runtime (``impl/roles/ticket/effects``)
evaluates these and the generic builder writes the octets; the step's guards then check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mckm.models.procedures.expr import Expr, Self
from mckm.models.procedures.mikey_ticket.terms import NafKey

_URI, _KMS, _BTID = Self("uri"), Self("kms_uri"), Self("btid")


@dataclass(frozen=True)
class Sent:
    """One built message (see module docstring)."""

    fields: Mapping[str, Expr] = field(default_factory=dict)
    inkey: Expr | None = None
    answers: Expr | None = None
    kemac: Expr | None = None
    zk_to: Expr | None = None
    keep: str | None = None


#: sending effect -> what it writes
SENDS: Mapping[str, Sent] = {
    # Q1 (RFC 6043 4.2.1.2); the runtime's build_request also writes the desired TP
    "ticket.initiator.build_request": Sent(
        {"idri": _URI, "idrkms": _KMS, "idrpsk": _BTID}, inkey=NafKey(_BTID, _KMS),
        keep="request_init"),
    "ticket.initiator.build_transfer_init": Sent(
        {"idri": _URI, "idrr": Self("peer"), "ticket": Self("ticket")}, inkey=Self("keys"),
        keep="transfer_init"),
    "ticket.kms.build_request_resp": Sent(
        {"idrkms": _URI, "ticket": Self("ticket")}, inkey=NafKey(_BTID, _URI),
        answers=Self("received_init"), kemac=Self("keys")),
    "ticket.kms.build_resolve_resp": Sent(
        {"idrkms": _URI, "idrr": Self("requester")}, inkey=NafKey(_BTID, _URI),
        answers=Self("received_init"), kemac=Self("keys")),
    "ticket.kms.build_zk_request": Sent(
        {"idrr": Self("requester"), "idrkms": Self("issuer"), "ticket": Self("ticket")},
        zk_to=Self("issuer"), keep="zk_request"),
    "ticket.kms.build_zk_resp": Sent(
        {"idrkms": _URI, "idrr": Self("requester")}, answers=Self("received_init"),
        kemac=Self("keys"), zk_to=Self("peer")),
    "ticket.responder.build_resolve_init": Sent(
        {"idrr": _URI, "idrkms": _KMS, "ticket": Self("ticket"), "idrpsk": _BTID},
        inkey=NafKey(_BTID, _KMS), keep="resolve_init"),
    "ticket.responder.build_transfer_resp": Sent(
        {"idrr": _URI}, inkey=Self("keys"), answers=Self("offer")),
}
