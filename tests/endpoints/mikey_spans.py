"""Where a named field lies in a real MIKEY message's octets (RFC 3830 6, RFC 6043 6, RFC 6509
4): the bit range a tamper may flip.  Located on the decoded message's own values, so the flip
lands in the field the catalogue names, whatever the payload order."""

from __future__ import annotations

from mckm.impl.codec import decode

#: RFC 3830 6.1: version, data type, next payload, V/PRF octet, then CSB ID (32 bits); the
#: first 4 bits of an SK-ID are its purpose (TS 33.180 5.2.1), the random part follows
_CSB_ID_RANDOM = (4 * 8 + 4, 8 * 8)


def _unique(raw: bytes, value: bytes, what: str) -> tuple[int, int]:
    at = raw.find(value)
    assert at >= 0 and raw.find(value, at + 1) < 0, f"{what} is not found once in the message"
    return 8 * at, 8 * (at + len(value))


def span(raw: bytes, target: str) -> tuple[int, int]:
    """The bits [start, end) of ``target`` (CSB-ID, RAND/RANDRi/RANDRr, SIGN, SAKKE, TICKET,
    Ticket Data, V, KEMAC) in ``raw``."""
    if target == "CSB-ID":
        return _CSB_ID_RANDOM
    message = decode(raw)
    if target in ("RAND", "RANDRi", "RANDRr"):
        rand = (message.get("RAND") or message.get("RANDR"))
        assert rand is not None, f"no {target} in the message"
        if target != "RAND":
            wanted = 1 if target == "RANDRi" else 2  # RFC 6043 6.11: RAND roles
            rand = next((p for p in message.all("RANDR") if p.fields.get("rand_role") == wanted),
                        rand)
        return _unique(raw, bytes(rand.fields["rand"]), target)
    if target == "SIGN":
        sign = message.get("SIGN")
        assert sign is not None, "no SIGN in the message"
        return _unique(raw, bytes(sign.fields["signature"]), target)
    if target == "SAKKE":
        sakke = message.get("SAKKE")
        assert sakke is not None, "no SAKKE in the message"
        return _unique(raw, bytes(sakke.fields["sakke_data"]), target)
    if target in ("TICKET", "Ticket Data"):
        ticket = message.get("TICKET")
        assert ticket is not None, "no TICKET in the message"
        return _unique(raw, bytes(ticket.fields["ticket_data"]), target)
    if target == "V":
        v = message.get("V")
        assert v is not None, "no V in the message"
        return _unique(raw, bytes(v.fields["ver_data"]), target)
    if target == "KEMAC":
        kemac = message.get("KEMAC")
        assert kemac is not None, "no KEMAC in the message"
        return _unique(raw, bytes(kemac.fields["encr_data"]), target)
    raise KeyError(f"no span for {target!r}")
