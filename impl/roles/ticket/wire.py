"""The MIKEY-TICKET messages of the model on the wire: read, built and checked by their specs.

Each spec of ``mikey_ticket.MESSAGES`` declares where its fields live, the payload order, the
HDR fields a response copies and what V covers (RFC 6043 4.2, 5.5 Table 5.2); the generic view
and builder (``mckm.impl.engine.wire``) read it.  Here is what the specs leave to the role: the
bound converters (TICKET and TP as a :class:`PayloadBlob`, the KEMAC as a :class:`KemacBlob`),
the protection of RFC 6043 5.1.2 (V's MAC and the KEMAC under the message keys of an inkey, or
on Zk - seed 002 B.2.2.3 - the NULL MAC and a clear KEMAC), :meth:`TicketView.verify`, which the
facts ask, the Zk transport facts of a :class:`ZkLink` (TS 33.210) and the Error message (5.4).
Octets that do not decode are :class:`MalformedMessage` (error 12); another data type, 11.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mckm.impl.codec import Message, Payload, decode, decode_key_data, encode, encode_key_data
from mckm.impl.codec.grammars import SUPPORTED_VERSION
from mckm.impl.engine.wire import (
    Bound,
    WireView,
    copies_differ,
    covered,
    header,
    id_data,
    payloads,
    rank,
    seal,
)
from mckm.impl.errors import DecodeError, PolicyError
from mckm.impl.roles.ticket.base_ticket import (
    SPI_OCTETS,
    TicketKeys,
    encode_payload,
    initiator_data_tail,
    mpk_key,
    tgk_key,
)
from mckm.impl.roles.ticket.keys import LabelPurpose, MessageKeys, message_keys, prf_func_of
from mckm.impl.roles.ticket.policy_data import policy_of
from mckm.impl.roles.ticket.protection import (
    AES_CM_256,
    ENCR_NULL,
    HMAC_SHA_256_256,
    INVALID_DT,
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
from mckm.models.grammar.namespaces import CS_ID_MAP_TYPE, DATA_TYPE, RAND_ROLE, TS_TYPE
from mckm.models.grammar.wire import Integrity, Layout
from mckm.models.policy.ticket_policy import TicketPolicy
from mckm.models.procedures.mikey_ticket import MESSAGES
from mckm.models.procedures.model import MessageSpec

SPEC = {m.name: m for m in MESSAGES}
#: (data type, on Zk?) -> model message name, from the specs (a Zk spec has transport fields)
_NAMES = {(DATA_TYPE.value_of(m.layout.data_type),
           any(w.path.transport for w in m.wire.values())): m.name for m in MESSAGES if m.layout}
ERROR = DATA_TYPE.ERROR
ENCR, MAC = AES_CM_256, HMAC_SHA_256_256  # the 256-bit profile (RFC 6043 6.2)


class MalformedMessage(DecodeError):
    """Octets that do not decode, or break a rule the grammar declares: MIKEY error 12."""

    mikey_error = UNSPECIFIED


@dataclass(frozen=True)
class ZkLink:
    """What the Zk transport (NDS/IP or mutual TLS between KMSs) says about one message: the
    peer KMS, whether the association authenticated it, and the KMS addressed."""

    peer: str
    authenticated: bool
    addressed_to: str


@dataclass(frozen=True)
class ZkTag:
    """The model's ``nds``: who the Zk association authenticated (None: nobody) for which
    octets (their SHA-256)."""

    peer: str | None
    digest: bytes

    @classmethod
    def of(cls, raw: bytes, peer: str | None) -> ZkTag:
        return cls(peer, hashlib.sha256(raw).digest())


@dataclass(frozen=True)
class PayloadBlob:
    """A TICKET or TP payload as a model ``blob``: equal by its octets (Next Payload 0)."""

    octets: bytes
    payload: Payload = field(compare=False, repr=False)

    @classmethod
    def of(cls, payload: Payload) -> PayloadBlob:
        return cls(encode_payload(payload), payload)

    @cached_property
    def policy(self) -> TicketPolicy:
        """Its Ticket Policy (``policy_data.policy_of``: PolicyError 15 if unreadable)."""
        return policy_of(self.payload.fields)

    def __repr__(self) -> str:
        return f"PayloadBlob({self.payload.name}, {len(self.octets)} octets)"


@dataclass(frozen=True)
class KemacBlob:
    """The model's ``kemac``: its octets, whether it is enciphered, and the message that
    carries it (its keys derive from that message, RFC 6043 5.1.2)."""

    octets: bytes
    enciphered: bool
    view: TicketView = field(compare=False, repr=False)

    def __repr__(self) -> str:
        return f"KemacBlob({len(self.octets)} octets, enciphered={self.enciphered})"


def _octets(view: WireView, payload: Payload) -> bytes:
    """``encode_payload(payload)``, cut from the octets it was decoded from."""
    message, raw = view.message, view.raw
    for p, span in zip(message.payloads, message.layout[1:], strict=False):
        if p is payload:
            return b"\x00" + raw[span.offset + 1:span.offset + span.length]
    return encode_payload(payload)


def _blob(values: tuple[Any, ...], view: WireView) -> PayloadBlob | None:
    return None if values[0] is None else PayloadBlob(_octets(view, values[0]), values[0])


def _kemac(values: tuple[Any, ...], view: WireView) -> KemacBlob | None:
    p = values[0]
    if p is None or not isinstance(view, TicketView):
        return None
    return KemacBlob(_octets(view, p), p.fields["encr_alg"] != ENCR_NULL, view)


def _fields(blob: PayloadBlob) -> dict[str, Any]:
    return dict(blob.payload.fields)


#: the converters the ticket specs leave to the role
BOUND: Bound = {"TICKET": (_blob, _fields), "payload octets": (_blob, _fields),
                "KEMAC": (_kemac, None)}


class TicketView(WireView):
    """One MIKEY-TICKET message as the model reads it (see module docstring)."""

    __slots__ = ("_verified", "answers", "zk")

    def __init__(self, name: str, message: Message, raw: bytes, *,
                 answers: TicketView | None = None, zk: ZkLink | None = None) -> None:
        self.answers, self.zk = answers, zk
        self._verified: dict[bytes | None, TicketKeys | None] = {}
        context = {} if zk is None else {
            "zk_from": zk.peer, "zk_to": zk.addressed_to,
            "nds": ZkTag.of(raw, zk.peer if zk.authenticated else None)}
        super().__init__(SPEC[name], message, raw, bound=BOUND, context=context)

    @classmethod
    def decode(cls, raw: bytes, *, expect: str | None = None, zk: ZkLink | None = None,
               answers: TicketView | None = None) -> TicketView:
        """Decode ``raw`` as the message ``expect`` (any, if None; see module docstring for the
        errors)."""
        try:
            message = decode(bytes(raw))
        except DecodeError as exc:
            raise MalformedMessage(exc.reason, offset=exc.offset, payload=exc.payload,
                                   field=exc.field) from exc
        name = _NAMES.get((int(message.data_type), zk is not None))
        if name is None or expect not in (None, name):
            raise PolicyError(f"{message.data_type_name} ({message.data_type}) is not "
                              f"{expect or 'a ticket message'}{' on Zk' if zk else ''}",
                              requirement="RFC 6043 6.1", mikey_error=INVALID_DT)
        return cls(name, message, bytes(raw), answers=answers, zk=zk)

    def verify(self, inkey: bytes | None) -> TicketKeys | None:
        """Check V under ``inkey`` (None: the NULL MAC of a Zk message) and open the KEMAC: its
        MPKi and TGK, or None without a KEMAC.  Raises the reason it does not verify; cached."""
        if inkey not in self._verified:
            self._verified[inkey] = self._verify(inkey)
        return self._verified[inkey]

    def _verify(self, inkey: bytes | None) -> TicketKeys | None:
        v, kemac = self.message.get("V"), self.message.get("KEMAC")
        if v is None:
            raise MalformedMessage(f"{self.name} has no V payload", offset=0, payload="V")
        differs = self.answers and copies_differ(self.spec, self.message, self.answers.message)
        if differs:  # a response to another request (RFC 6043 4.2.1.5, 4.2.3.5)
            raise PolicyError(f"{self.name}: {differs}", requirement="RFC 6043 5.4",
                              mikey_error=UNSPECIFIED)
        mac_alg = v.fields["auth_alg"]
        protection = Protection.UNPROTECTED if inkey is None else Protection.PROTECTED
        encr_alg = ENCR_NULL if kemac is None else kemac.fields["encr_alg"]
        mkeys = _keys(inkey, self.spec, self.message, self.answers, encr_alg, mac_alg)
        verify_mac(mac_alg, mkeys.auth_key, _covered(self.spec, self.raw, self.message,
                                                     self.answers),
                   v.fields["ver_data"], protection=protection, what=self.name)
        if kemac is None:
            return None
        if kemac.fields["mac_alg"] != MAC_NULL:
            raise PolicyError("the KEMAC SHALL use the NULL MAC (the MAC is in V)",
                              requirement="RFC 6043 4.2.1.5", mikey_error=UNSPECIFIED)
        plain = decrypt_key_data(encr_alg, mkeys.kemac, csb_id=self.message.hdr.fields["csb_id"],
                                 t64=_t64(self.message), plaintext=kemac.fields["encr_data"])
        return TicketKeys.from_kemac(decode_key_data(plain))

    def __repr__(self) -> str:
        return f"TicketView({self.name}, {len(self.raw)} octets)"


_RAND_ROLES = {"RANDRi": RAND_ROLE.RANDRI, "RANDRr": RAND_ROLE.RANDRR}


def _rand(message: Message, role: str, answers: TicketView | None) -> bytes | None:
    """RANDRi / RANDRr of the exchange: the message's own, else its request's."""
    number = _RAND_ROLES[role]
    for p in message.all("RANDR"):
        if p.fields["rand_role"] == number:
            return bytes(p.fields["rand"])
    return None if answers is None else _rand(answers.message, role, answers.answers)


def _integrity(spec: MessageSpec) -> Integrity:
    assert spec.layout is not None and spec.layout.integrity is not None
    return spec.layout.integrity


def _keys(inkey: bytes | None, spec: MessageSpec, message: Message, answers: TicketView | None,
          encr_alg: int, mac_alg: int) -> MessageKeys:
    """The message keys of ``inkey`` (RFC 6043 5.1.2): the HDR's CSB ID and PRF, the label of
    an initial message or a response, the RANDs of the exchange."""
    if inkey is None:
        return MessageKeys(None, None)
    hdr = message.hdr.fields
    purpose = LabelPurpose.RESPONSE if _integrity(spec).append_request else LabelPurpose.INITIAL
    return message_keys(inkey, csb_id=hdr["csb_id"], purpose=purpose,
                        randri=_rand(message, "RANDRi", answers),
                        randrr=_rand(message, "RANDRr", answers), encr_alg=encr_alg,
                        mac_alg=mac_alg, prf_func=prf_func_of(hdr["prf_func"]))


def _covered(spec: MessageSpec, raw: bytes, message: Message, answers: TicketView | None
             ) -> bytes:
    """What V covers, as the layout's Integrity declares (RFC 6043 5.5 Table 5.2)."""
    integrity = _integrity(spec)
    ticket = message.get("TICKET")
    return covered(integrity, raw, message, ids=id_data(message, integrity.append_ids),
                   request=None if answers is None else answers.raw,
                   initiator_data_tail=initiator_data_tail(ticket.fields) if ticket else 0)


def _t64(message: Message) -> bytes:
    t = message.get("T")
    assert t is not None  # every ticket data type requires T (codec presence rules)
    return bytes(timestamp64(t.fields["ts_type"], t.fields["ts_value"]))


def _insert(layout: Layout, body: list[Payload], payload: Payload) -> None:
    """Put ``payload`` into ``body`` (in the layout's order, as ``payloads`` returns it) where
    a stable sort by :func:`rank` would: after every payload that does not rank later."""
    place = rank(layout, payload)
    at = len(body)
    while at and rank(layout, body[at - 1]) > place:
        at -= 1
    body.insert(at, payload)


def build(name: str, values: dict[str, Any], *, inkey: bytes | None,
          hdr: dict[str, Any] | None = None, answers: TicketView | None = None,
          kemac: TicketKeys | None = None, zk: ZkLink | None = None) -> TicketView:
    """The message ``name`` for the model field ``values`` (``t`` in NTP seconds; None: not
    sent), by its spec: HDR from the layout, ``hdr`` and the fields copied from the request it
    ``answers``; the payloads in the layout's order; a KEMAC with MPKi and the TGK of
    ``kemac``; V with the MAC under ``inkey``'s message keys - or, with no ``inkey`` (Zk), a
    clear KEMAC and the NULL MAC (RFC 6043 4.2, 5.1.2, 5.5; seed 002 B.2.2.3)."""
    spec = SPEC[name]
    layout = spec.layout
    assert layout is not None
    copied = {} if answers is None else {n: answers.message.hdr.fields[n] for n in layout.copies}
    head = header(spec, values, **(hdr or {}), **copied)
    mac_alg, encr_alg = (MAC, ENCR) if inkey is not None else (MAC_NULL, ENCR_NULL)
    body = payloads(spec, values, bound=BOUND)
    draft = Message(head, body)  # HDR and RANDs, for the keys
    mkeys = _keys(inkey, spec, draft, answers, encr_alg if kemac else ENCR_NULL, mac_alg)
    if kemac is not None:
        spi = secrets.token_bytes(SPI_OCTETS)
        plain = encode_key_data([mpk_key(kemac.mpki.reveal(), spi),
                                 tgk_key(kemac.tgk.reveal(), spi)])
        data = encrypt_key_data(encr_alg, mkeys.kemac, csb_id=head.fields["csb_id"],
                                t64=_t64(draft), plaintext=plain)
        _insert(layout, body, Payload("KEMAC", {"encr_alg": encr_alg, "encr_data": data,
                                                "mac_alg": MAC_NULL, "mac": b""}))
    raw, message = seal(head, body, Payload("V", {"auth_alg": mac_alg}), "ver_data",
                        mac_octets(mac_alg), lambda raw, m: bytes(compute_mac(
                            mac_alg, mkeys.auth_key, _covered(spec, raw, m, answers))))
    view = TicketView(name, message, raw, answers=answers, zk=zk)
    # sealed here under ``inkey``: V is that key's MAC over what _covered declares, the KEMAC
    # carries ``kemac`` under its keys and the HDR copies ``answers`` - what verify(inkey)
    # would recompute (a guard asking with another key verifies for real)
    view._verified[inkey] = kemac
    return view


def build_error(failed: Message, *, now: int, errors: Sequence[int]) -> bytes:
    """Error = HDR, T, (ERR) (RFC 6043 5.4): version, PRF func and CSB ID of the failed
    message's HDR, V = 0, #CS 0, the Empty map; no V (the optional MAC is not sent)."""
    h = failed.hdr.fields
    body = [Payload("T", {"ts_type": TS_TYPE.NTP_UTC, "ts_value": now << 32}),
            *(Payload("ERR", {"error_no": e, "reserved": 0}) for e in errors)]
    hdr = Payload("HDR", {"version": SUPPORTED_VERSION, "data_type": ERROR, "v": 0,
                          "prf_func": h["prf_func"], "csb_id": h["csb_id"], "n_cs": 0,
                          "cs_id_map_type": CS_ID_MAP_TYPE.EMPTY_MAP, "cs_id_map_info": None})
    return bytes(encode(Message(hdr, body)))


def error_numbers(raw: bytes) -> tuple[int, ...]:
    """The MIKEY error numbers of an Error message (RFC 6043 5.4); MalformedMessage if ``raw``
    is not one."""
    try:
        message = decode(bytes(raw))
    except DecodeError as exc:
        raise MalformedMessage(exc.reason, offset=exc.offset, payload=exc.payload) from exc
    if message.data_type != ERROR:
        raise MalformedMessage(f"{message.data_type_name} is not an Error message", offset=1,
                               payload="HDR", field="data_type")
    return tuple(int(p.fields["error_no"]) for p in message.all("ERR"))


__all__ = ["BOUND", "KemacBlob", "MalformedMessage", "PayloadBlob", "TicketView",
           "ZkLink", "ZkTag", "build", "build_error", "error_numbers"]
