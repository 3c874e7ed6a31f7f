"""The MIKEY base ticket (RFC 6043 Appendix A): how a KMS seals keys into a TICKET payload with
its Ticket Protection Key (TPK) and how a KMS opens it again.

``Ticket Data = THDR, T, RAND, KEMAC, [IDRpsk], V`` (A.1).  THDR (A.3: Next Payload 8, THDR
Data length 16, THDR Data) has no Next Payload number in RFC 6043; it is positional: Ticket Data
always begins with it (A.1), so its own Next Payload octet doubles as the "First Payload" octet of
the chain that follows (REQ-TKT-MSG-10).  The codec's grammar has no THDR, so its three fields are
read and written here; the rest of the chain goes through ``encode_chain`` / ``decode_chain``.

* KEMAC: NULL MAC; ``E(encr_key, MPK || {TEK|TGK|GTGK})`` with encr_key/salt_key from the TPK
  (A.2.1); the IV uses CSB ID 0xFFFFFFFF and the Ticket Data's T.
* V: auth_key from the TPK; the MAC covers the whole TICKET payload except its Next Payload
  field, the Initiator Data length and Initiator Data fields, and the MAC itself (A.1).
* MPKi and MPKr are derived from the MPK (A.2.2) with the Ticket Policy's PRF.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.codec import decode_key_data, encode_key_data
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.model import Payload
from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket.keys import (
    FIXED_CSB_ID,
    MpkConstant,
    mpk_part,
    prf_func_of,
    split_mpk,
    tpk_keys,
)
from mckm.impl.roles.ticket.protection import (
    AUTH_FAILURE,
    INVALID_TICKET,
    MAC_NULL,
    UNSPECIFIED,
    Protection,
    compute_mac,
    decrypt_key_data,
    encrypt_key_data,
    mac_octets,
    timestamp64,
    verify_mac,
)
from mckm.models.grammar.namespaces import ID_ROLE, ID_TYPE, KEY_TYPE, TICKET_TYPE
from mckm.models.grammar.registry import BY_NAME

#: RFC 6043 6.10: Ticket Type 1 with Subtype 0x01 and Version 0x01 is the MIKEY base ticket.
MIKEY_BASE_TICKET = TICKET_TYPE.value_of("MIKEY Base Ticket")
BASE_SUBTYPE = 0x01
BASE_VERSION = 0x01
MPK_KEY_TYPE = KEY_TYPE.value_of("MPK")
TGK = KEY_TYPE.value_of("TGK")
IDR_PSK = ID_ROLE.value_of("IDRpsk")
BYTE_STRING = ID_TYPE.value_of("byte string")
_THDR_LEN_OCTETS = 2  # RFC 6043 A.3: THDR Data length is 16 bits


def _len_octets(payload: str, field_name: str) -> int:
    """Width in octets of the length field of a variable field, read from the grammar."""
    for info in BY_NAME[payload].spec.infos:
        if info.name == field_name and info.len_bits is not None:
            return int(info.len_bits) // 8
    raise AssertionError(f"grammar of {payload} has no variable field {field_name}")


_INITIATOR_DATA_LEN_OCTETS = _len_octets("TICKET", "initiator_data")


def initiator_data_tail(ticket_fields: Mapping[str, Any]) -> int:
    """Octets at the end of an encoded TICKET payload taken by the Initiator Data length and
    Initiator Data fields (excluded from the TRANSFER_INIT MAC and the base-ticket V, RFC 6043
    5.5, A.1)."""
    return _INITIATOR_DATA_LEN_OCTETS + len(ticket_fields["initiator_data"])


def encode_payload(payload: Payload) -> bytes:
    """One payload on its own, as in a chain where it is last (Next Payload 0)."""
    return bytes(encode_chain([payload]))[1:]


@dataclass(frozen=True, repr=False)
class TicketContents:
    """What a base ticket carries: the MPK, the session keys, T, RAND and the TPK identifier."""

    mpk: Payload  # KEY_DATA of type MPK
    session_keys: tuple[Payload, ...]  # KEY_DATA of types TEK / TGK / GTGK (+SALT)
    ts_type: int
    ts_value: int
    rand: bytes
    tpk_id: bytes | None = None
    thdr_data: bytes = b""
    extra: tuple[Payload, ...] = field(default=())  # unexpected payloads, ignored (A)

    def __repr__(self) -> str:
        return f"TicketContents(<{1 + len(self.session_keys)} keys redacted>)"

    def mpki_mpkr(self, prf_func: int) -> tuple[bytes, bytes]:
        """RFC 6043 A.2.2: (MPKi, MPKr) with the Ticket Policy's PRF."""
        mpki, mpkr = split_mpk(bytes(self.mpk.fields["key_data"]), rand=self.rand,
                               prf_func=prf_func_of(prf_func))
        return bytes(mpki), bytes(mpkr)

    def mpki(self, prf_func: int) -> bytes:
        """RFC 6043 A.2.2: MPKi alone, what a KMS hands out (issue, resolve): one PRF, not
        the two of :meth:`mpki_mpkr`."""
        return bytes(mpk_part(bytes(self.mpk.fields["key_data"]), MpkConstant.MPKI,
                              rand=self.rand, prf_func=prf_func_of(prf_func)))


def _ticket_data(contents: TicketContents, kemac: Payload, v: Payload) -> bytes:
    chain: list[Payload] = [
        Payload("T", {"ts_type": contents.ts_type, "ts_value": contents.ts_value}),
        Payload("RAND", {"rand": contents.rand}),
        kemac,
    ]
    if contents.tpk_id is not None:
        chain.append(Payload("IDR", {"id_role": IDR_PSK, "id_type": BYTE_STRING,
                                     "id_data": contents.tpk_id}))
    chain.append(v)
    body = bytes(encode_chain(chain))
    thdr = len(contents.thdr_data).to_bytes(_THDR_LEN_OCTETS, "big") + contents.thdr_data
    return body[:1] + thdr + body[1:]  # THDR's Next Payload = the chain's first payload


def _covered(ticket: Payload, mac_len: int, octets: bytes | None = None) -> bytes:
    """A.1: the TICKET payload without its Next Payload, Initiator Data length/Data and MAC;
    ``octets``: the payload as received (``encode_payload`` form), else encoded here."""
    if octets is None:
        octets = encode_payload(ticket)
    mac_end = len(octets) - initiator_data_tail(ticket.fields)
    return octets[1 : mac_end - mac_len]


def seal_ticket(policy: Mapping[str, Any], contents: TicketContents, *, tpk: bytes,
                encr_alg: int, mac_alg: int) -> Payload:
    """Build a TICKET payload (RFC 6043 6.10) carrying the granted ``policy`` (the TP fields)
    and base-ticket Ticket Data sealed with ``tpk`` (Appendix A)."""
    if mac_alg == MAC_NULL:
        raise UsageError("a base ticket SHALL be protected by a MAC (RFC 6043 Appendix A)")
    if contents.mpk.fields.get("key_type") != MPK_KEY_TYPE:
        raise UsageError("the first key of a base ticket is the MPK (RFC 6043 A.1)")
    keys = tpk_keys(tpk, rand=contents.rand, encr_alg=encr_alg, mac_alg=mac_alg,
                    prf_func=prf_func_of(policy["prf_func"]))
    plaintext = encode_key_data([contents.mpk, *contents.session_keys])
    kemac = Payload("KEMAC", {
        "encr_alg": encr_alg, "mac_alg": MAC_NULL, "mac": b"",
        "encr_data": encrypt_key_data(encr_alg, keys.kemac, csb_id=FIXED_CSB_ID,
                                      t64=timestamp64(contents.ts_type, contents.ts_value),
                                      plaintext=plaintext)})
    mac_len = mac_octets(mac_alg)
    fields = {k: v for k, v in policy.items() if k not in ("ticket_data", "initiator_data")}
    placeholder = Payload("V", {"auth_alg": mac_alg, "ver_data": bytes(mac_len)})
    ticket = Payload("TICKET", {**fields, "ticket_data": _ticket_data(contents, kemac, placeholder),
                                "initiator_data": b""})
    tag = compute_mac(mac_alg, keys.auth_key, _covered(ticket, mac_len))
    v = Payload("V", {"auth_alg": mac_alg, "ver_data": tag})
    ticket.fields["ticket_data"] = _ticket_data(contents, kemac, v)
    return ticket


def read_ticket_data(ticket_data: bytes) -> tuple[bytes, list[Payload]]:
    """Split Ticket Data into (THDR Data, the payloads after THDR).  DecodeError if malformed."""
    head = 1 + _THDR_LEN_OCTETS
    if len(ticket_data) < head:
        raise DecodeError("Ticket Data is shorter than a THDR payload", offset=0,
                          payload="THDR")
    length = int.from_bytes(ticket_data[1:head], "big")
    if len(ticket_data) < head + length:
        raise DecodeError(f"THDR Data length {length} exceeds the Ticket Data", offset=1,
                          payload="THDR", field="thdr_data_length")
    rest = ticket_data[:1] + ticket_data[head + length :]
    return ticket_data[head : head + length], decode_chain(rest)


def check_base_ticket_type(ticket: Payload) -> None:
    f = ticket.fields
    if (f["ticket_type"], f["subtype"], f["version"]) != (MIKEY_BASE_TICKET, BASE_SUBTYPE,
                                                         BASE_VERSION):
        raise PolicyError(f"Ticket Type {f['ticket_type']} subtype {f['subtype']} version "
                          f"{f['version']} is not the MIKEY base ticket",
                          mikey_error=INVALID_TICKET,
                          requirement="RFC 6043 6.10, Appendix A")


def open_ticket(ticket: Payload, tpk_for: Callable[[bytes | None], bytes], *,
                octets: bytes | None = None) -> TicketContents:
    """Verify and decrypt a base ticket (RFC 6043 Appendix A).  ``tpk_for`` maps the IDRpsk
    identifier (or None when absent) to the TPK; ``octets``, the TICKET payload as received
    with Next Payload 0 (what V is checked over; default: ``ticket`` encoded again).  Raises
    PolicyError (14 Invalid TICKET) for another ticket type or a malformed Ticket Data,
    VerifyError (0 Auth failure) when the MAC fails."""
    check_base_ticket_type(ticket)
    try:
        thdr_data, chain = read_ticket_data(ticket.fields["ticket_data"])
    except DecodeError as exc:
        raise PolicyError(f"Ticket Data does not parse: {exc}", mikey_error=INVALID_TICKET,
                          requirement="RFC 6043 A.1") from exc
    names = [p.name for p in chain]
    for need in ("T", "RAND", "KEMAC", "V"):
        if names.count(need) != 1:
            raise PolicyError(f"Ticket Data needs exactly one {need} payload, found "
                              f"{names.count(need)}", mikey_error=INVALID_TICKET,
                              requirement="RFC 6043 A.1")
    if names[-1] != "V":
        raise PolicyError("the last Ticket Data payload SHALL be V", mikey_error=INVALID_TICKET,
                          requirement="RFC 6043 A.1")
    by = {p.name: p for p in chain}
    psk_ids = [p for p in chain if p.name == "IDR" and p.fields["id_role"] == IDR_PSK]
    tpk_id = psk_ids[0].fields["id_data"] if psk_ids else None
    extra = tuple(p for p in chain
                  if p.name not in ("T", "RAND", "KEMAC", "V") and not any(p is q for q in psk_ids))
    v, kemac, t, rand = by["V"], by["KEMAC"], by["T"], by["RAND"].fields["rand"]
    mac_alg = v.fields["auth_alg"]
    keys = tpk_keys(tpk_for(tpk_id), rand=rand, encr_alg=kemac.fields["encr_alg"],
                    mac_alg=mac_alg, prf_func=prf_func_of(ticket.fields["prf_func"]))
    verify_mac(mac_alg, keys.auth_key, _covered(ticket, len(v.fields["ver_data"]), octets),
               v.fields["ver_data"], protection=Protection.PROTECTED, what="base ticket V")
    if kemac.fields["mac_alg"] != MAC_NULL:
        raise PolicyError("the base-ticket KEMAC SHALL use the NULL MAC",
                          requirement="RFC 6043 A.1",
                          mikey_error=INVALID_TICKET)
    plain = decrypt_key_data(kemac.fields["encr_alg"], keys.kemac, csb_id=FIXED_CSB_ID,
                             t64=timestamp64(t.fields["ts_type"], t.fields["ts_value"]),
                             plaintext=kemac.fields["encr_data"])
    try:
        key_list = decode_key_data(plain)
    except DecodeError as exc:  # a verified MAC makes this a KMS defect, not an attack
        raise VerifyError(f"ticket KEMAC does not decrypt to key data: {exc}",
                          clause="RFC 6043 A.1", mikey_error=AUTH_FAILURE) from exc
    if key_list[0].fields["key_type"] != MPK_KEY_TYPE:
        raise PolicyError("the ticket KEMAC does not start with an MPK", mikey_error=UNSPECIFIED,
                          requirement="RFC 6043 A.1")
    return TicketContents(mpk=key_list[0], session_keys=tuple(key_list[1:]),
                          ts_type=t.fields["ts_type"], ts_value=t.fields["ts_value"], rand=rand,
                          tpk_id=tpk_id, thdr_data=thdr_data, extra=extra)


#: RFC 6043 6.2.1: the SPI of each key, 32 bits in this profile
SPI_OCTETS = 4


def tgk_key(tgk: bytes, spi: bytes) -> Payload:
    """A KEY_DATA sub-payload of type TGK with its SPI (RFC 3830 6.13; RFC 6043 6.2.1)."""
    return Payload("KEY_DATA", {"key_type": TGK, "kv": 1, "key_data": tgk, "salt": None,
                                "kv_data": {"spi": spi}})


def mpk_key(mpk: bytes, spi: bytes) -> Payload:
    """A KEY_DATA sub-payload of type MPK with its SPI (RFC 6043 6.2.1: every key has an SPI)."""
    return Payload("KEY_DATA", {"key_type": MPK_KEY_TYPE, "kv": 1, "key_data": mpk, "salt": None,
                                "kv_data": {"spi": spi}})


@dataclass(frozen=True, repr=False)
class TicketKeys:
    """The keys a ticket delivers: MPKi (protects the Transfer exchange) and the TGK."""

    mpki: Secret[bytes]
    tgk: Secret[bytes]

    @classmethod
    def from_kemac(cls, keys: Sequence[Payload]) -> TicketKeys:
        """MPKi and the TGK from the key data of an opened KEMAC (RFC 6043 4.2.1.5, 4.2.3.5)."""
        mpks = [bytes(k.fields["key_data"]) for k in keys if k.fields["key_type"] == MPK_KEY_TYPE]
        tgks = [bytes(k.fields["key_data"]) for k in keys if k.fields["key_type"] == TGK]
        if not mpks or len(tgks) != 1:  # the peer's KEMAC, not a misuse by our caller
            raise PolicyError("the KEMAC must carry MPKi and one TGK",
                              requirement="RFC 6043 4.2.1.5", mikey_error=UNSPECIFIED)
        return cls(Secret(mpks[0]), Secret(tgks[0]))

    def __repr__(self) -> str:
        return "TicketKeys(<redacted>)"


__all__ = ["MIKEY_BASE_TICKET", "TGK", "TicketContents", "TicketKeys", "check_base_ticket_type",
           "encode_payload", "initiator_data_tail", "mpk_key", "open_ticket", "read_ticket_data",
           "seal_ticket", "tgk_key"]
