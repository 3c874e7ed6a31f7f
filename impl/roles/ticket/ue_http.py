"""A UE's side of MIKEY-TICKET over HTTPS Ua (seed 002 B.2.2.2/3): the sans-IO
:class:`~.endpoints.Initiator` / :class:`~.endpoints.Responder` with a client of the UE's own KMS.

TRANSFER_INIT and TRANSFER_RESP travel between the UEs by SIP in the standard; here the caller
carries them (a pipe, a function call).  A KMS refusal (200 OK with an RFC 6043 Error message,
TS 33.328 A.2) raises :class:`~mckm.impl.transport.ticket_http.MikeyErrorAnswer` naming its
MIKEY errors; an HTTP-level refusal raises its base class
:class:`~mckm.impl.transport.ticket_http.HttpRefusal`.
"""

from __future__ import annotations

from mckm.impl.redact import fingerprint
from mckm.impl.roles.ticket.effects import TicketKeys
from mckm.impl.roles.ticket.endpoints import Initiator, Responder
from mckm.impl.transport.https_ticket import TicketHttpClient
from mckm.impl.transport.ticket_http import RequestType


def fetch_ticket(initiator: Initiator, kms: TicketHttpClient, responder: str, *,
                 now: int) -> bytes:
    """Ticket request at the initiator's KMS (RFC 6043 4.2.1); the TRANSFER_INIT to send."""
    request_resp = kms.send(RequestType.TICKET_REQUEST,
                            initiator.request_ticket(responder, now=now))
    return initiator.receive_request_resp(request_resp, now=now)


def resolve_ticket(responder: Responder, kms: TicketHttpClient, transfer_init: bytes, *,
                   now: int) -> tuple[bytes, TicketKeys]:
    """Ticket resolve at the responder's KMS (RFC 6043 4.2.3), or none for a reusable ticket
    the responder holds (5.3); TRANSFER_RESP and the keys."""
    step = responder.receive_transfer_init(transfer_init, now=now)
    if not step.to_kms:
        assert step.keys is not None
        return step.octets, step.keys
    resolve_resp = kms.send(RequestType.TICKET_RESOLVE, step.octets)
    return responder.receive_resolve_resp(resolve_resp, now=now)


def keys_fingerprint(keys: TicketKeys) -> str:
    """A public fingerprint of MPKi and the TGK together (never the keys)."""
    return fingerprint(keys.mpki.reveal() + keys.tgk.reveal(), 16)


__all__ = ["fetch_ticket", "keys_fingerprint", "resolve_ticket"]
