"""The Ticket Transfer exchange carried by SIP (seed 002 B.2.2.2 steps 1 and 9; RFC 6043 7):
the initiator's INVITE offers SDP with TRANSFER_INIT in ``a=key-mgmt:mikey``; the responder's
200 OK (or 18x) answers SDP with TRANSFER_RESP (RFC 4567, :mod:`mckm.impl.transport.sdp_mikey`).

Each reader returns the MIKEY octets for the sans-IO end points and checks only the carrier:
SIP framing, an SDP body, one ``key-mgmt:mikey`` attribute for the first media description, and
that it holds a message of the expected MIKEY data type (RFC 6043 6.1: 14 TRANSFER_INIT,
15 TRANSFER_RESP).  Errors are :class:`~mckm.impl.errors.DecodeError` naming SIP / SDP.
"""

from __future__ import annotations

import secrets

from mckm.impl.errors import DecodeError
from mckm.impl.transport.sdp_mikey import (
    SipMessage,
    mikey_for_media,
    parse_sip,
    sdp_of,
    sdp_with_mikey,
    sip_answer,
    sip_invite,
)
from mckm.models.grammar.namespaces import DATA_TYPE

MEDIA_PORT = 49_170  # the SRTP port offered (any; the media plane is not run here)


def invite(transfer_init: bytes, *, from_uri: str, to_uri: str,
           address: str = "127.0.0.1") -> bytes:
    """The INVITE whose SDP offer carries ``transfer_init`` at session level."""
    sdp = sdp_with_mikey(transfer_init, user="-", address=address, port=MEDIA_PORT,
                         session_id=secrets.randbits(32))
    return sip_invite(from_uri=from_uri, to_uri=to_uri, call_id=secrets.token_hex(12),
                      via=address, sdp=sdp).encode()


def answer(request: SipMessage, transfer_resp: bytes, *, address: str = "127.0.0.1",
           status: int = 200, reason: str = "OK") -> bytes:
    """The 200 OK (or 18x) to ``request`` whose SDP answer carries ``transfer_resp``."""
    sdp = sdp_with_mikey(transfer_resp, user="-", address=address, port=MEDIA_PORT,
                         session_id=secrets.randbits(32))
    return sip_answer(request, sdp=sdp, status=status, reason=reason).encode()


def transfer_init_of(raw: bytes) -> tuple[SipMessage, bytes]:
    """The INVITE and the TRANSFER_INIT its offer carries."""
    message = parse_sip(raw)
    if not message.start.startswith("INVITE "):
        raise DecodeError("a TRANSFER_INIT comes in an INVITE", offset=0, payload="SIP",
                          field="start-line")
    return message, _mikey(message, DATA_TYPE.TRANSFER_INIT, "TRANSFER_INIT")


def transfer_resp_of(raw: bytes) -> bytes:
    """The TRANSFER_RESP of a 18x / 2xx answer."""
    message = parse_sip(raw)
    status = message.status
    if status is None or not 180 <= status < 300:
        raise DecodeError(f"a TRANSFER_RESP comes in a 18x or 2xx response, not {message.start!r}",
                          offset=0, payload="SIP", field="start-line")
    return _mikey(message, DATA_TYPE.TRANSFER_RESP, "TRANSFER_RESP")


def _mikey(message: SipMessage, data_type: int, name: str) -> bytes:
    raw = mikey_for_media(sdp_of(message), 0)
    if len(raw) < 2 or raw[1] != data_type:  # HDR: version, data type (RFC 3830 6.1)
        raise DecodeError(f"the key-mgmt:mikey data is not a {name}", offset=1,
                          payload="HDR", field="data_type")
    return raw


__all__ = ["answer", "invite", "transfer_init_of", "transfer_resp_of"]
