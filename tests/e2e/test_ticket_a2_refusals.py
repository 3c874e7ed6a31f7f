"""TS 33.328 A.2 with the real KMS roles over HTTPS (``loopback``): a refusal of the request is
200 OK with a base64 MIKEY Error message (RFC 3830 6.12; RFC 6043 5.4) whose error number the
UE's client reports (a replayed RESOLVE_INIT, MIKEY error 1; a message that does not
correspond to its ``requesttype``, Invalid DT).  KMS_I's Error message carried
over Zk to the responder is ``test_ticket_processes.py`` (the untrusted KMS_C)."""

from __future__ import annotations

import pytest

from mckm.impl.roles.ticket.loopback import start_loopback
from mckm.impl.roles.ticket.protection import INVALID_DT
from mckm.impl.roles.ticket.server import ntp_now, refusal_text
from mckm.impl.roles.ticket.ue_http import fetch_ticket
from mckm.impl.roles.ticket.wire import error_numbers
from mckm.impl.transport.ticket_http import (
    MIKEY_CONTENT_TYPE,
    MikeyErrorAnswer,
    RequestType,
    decode_body,
)

KMS_A, KMS_B = "kms.a.example", "kms.b.example"
ALICE, BOB = "sip:alice@a.example", "sip:bob@a.example"
REPLAY = 1  # MIKEY error "Message replay" (RFC 6043 6.14)


def test_a_replayed_resolve_is_200_with_a_mikey_error_message() -> None:
    with start_loopback({ALICE: KMS_A, BOB: KMS_A}) as world, world.ua_client(KMS_A) as kms:
        transfer_init = fetch_ticket(world.initiator(ALICE), kms, BOB, now=ntp_now())
        resolve_init = world.responder(BOB).receive_transfer_init(
            transfer_init, now=ntp_now()).octets
        resolved = kms.post(RequestType.TICKET_RESOLVE, resolve_init)
        replayed = kms.post(RequestType.TICKET_RESOLVE, resolve_init)
        with pytest.raises(MikeyErrorAnswer) as caught:
            kms.send(RequestType.TICKET_RESOLVE, resolve_init)
    assert (resolved.status, replayed.status) == (200, 200)
    assert replayed.content_type == MIKEY_CONTENT_TYPE
    assert error_numbers(decode_body(replayed.body)) == (REPLAY,)
    with pytest.raises(ValueError):  # the first answer is a RESOLVE_RESP, not an Error message
        error_numbers(decode_body(resolved.body))
    assert caught.value.mikey_errors == (REPLAY,) and caught.value.mikey_error == REPLAY
    assert refusal_text(caught.value) == f"HTTP 200, MIKEY error [{REPLAY}]"


def test_a_message_not_matching_its_requesttype_is_refused_invalid_dt() -> None:
    """A.2: the body is "a REQUEST_INIT or a RESOLVE_INIT message corresponding to the
    requesttype parameter": a RESOLVE_INIT under ``ticketrequest`` and a REQUEST_INIT under
    ``ticketresolve`` are refused by the role, 200 OK with MIKEY error Invalid DT."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_A}) as world, world.ua_client(KMS_A) as kms:
        transfer_init = fetch_ticket(world.initiator(ALICE), kms, BOB, now=ntp_now())
        resolve_init = world.responder(BOB).receive_transfer_init(
            transfer_init, now=ntp_now()).octets
        request_init = world.initiator(ALICE).request_ticket(BOB, now=ntp_now())
        refusals = []
        for requesttype, message in ((RequestType.TICKET_REQUEST, resolve_init),
                                     (RequestType.TICKET_RESOLVE, request_init)):
            with pytest.raises(MikeyErrorAnswer) as caught:
                kms.send(requesttype, message)
            refusals.append(caught.value.mikey_errors)
        kms.send(RequestType.TICKET_RESOLVE, resolve_init)  # the control: in its place, served
    assert refusals == [(INVALID_DT,), (INVALID_DT,)]
