"""Helpers of the InterKMM tests: send raw MESSAGEs, re-send captured ones in a new
transaction, build InterKMM bodies the end points would not."""

from __future__ import annotations

import time

from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint, message_request, new_branch
from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build
from mckm.impl.xmlprotect.keys import Keyring

NTP_UNIX_OFFSET = 2_208_988_800


def ntp_now() -> int:
    return int(time.time()) + NTP_UNIX_OFFSET


def body_of(kmf: str, user: str, kmm: bytes, keys: Keyring | None, xpk_id: int = 0, *,
            msg_id: str | None = None, sent: int | None = None,
            direction: str = "ue-to-iwf") -> tuple[str, bytes]:
    """(Content-Type, body) of an InterKMM, protected under ``xpk_id`` of ``keys`` if given;
    ``direction`` as a UE's (the default) or the IWF's (``"iwf-to-ue"``, REQ-IKMM-16)."""
    message = InterKmm(kmf, user, kmm, "application/octet-stream",
                       msg_id or f"{time.time_ns():032x}", ntp_now() if sent is None else sent,
                       direction)
    return build(message, protection=None if keys is None else Protection(keys, xpk_id))


def post(sender: SipEndpoint, to: tuple[str, int], content_type: str, body: bytes, *,
         transport: str = "UDP") -> tuple[int, str]:
    request = message_request(uri="sip:mcx-server", from_uri="sip:tester@example",
                              to_uri="sip:mcx-server", local=sender.address,
                              transport=transport, content_type=content_type, body=body)
    return status_of(sender.send(request, to, transport=transport))


def status_of(response: SipMessage) -> tuple[int, str]:
    parts = response.start.split(" ", 2)
    return int(parts[1]), parts[2]


def resend(sender: SipEndpoint, raw: bytes, to: tuple[str, int], *, transport: str = "UDP",
           body: bytes | None = None) -> tuple[int, str]:
    """``raw`` (a captured MESSAGE) sent again as a new transaction (new branch and Call-ID:
    not a retransmission), with its body replaced by ``body`` if given."""
    from mckm.impl.transport.sip_message import parse_message

    old = parse_message(raw)
    headers = tuple(
        (k, f"SIP/2.0/{transport} {sender.address[0]}:{sender.address[1]};branch={new_branch()}")
        if k.lower() in ("via", "v") else (k, f"replayed-{time.time_ns()}") if k.lower() in (
            "call-id", "i") else (k, v) for k, v in old.headers)
    return status_of(sender.send(SipMessage(old.start, headers,
                                            old.body if body is None else body), to,
                                 transport=transport))
