"""Decoded RFC 6043 messages read as the MIKEY-TICKET model's ``MessageSpec`` fields.

:class:`TicketView` is the engine's message (``name``, ``get(field)``) for one message of
``mckm.models.procedures.mikey_ticket.MESSAGES``: it decodes the octets once (``MalformedMessage``,
MIKEY error 12, if they do not) and reads them with the generic :class:`~mckm.impl.engine.wire.
WireView`, by the spec's ``wire`` declarations.  This module binds the converters the specs
leave to the role: ``ticket`` = :class:`TicketBlob`, ``kemac`` = :class:`KemacBlob`, ``tp`` =
the TP payload octets.  A field the message does not carry reads as None (the engine refuses it).

The name depends on the data type and the link: RESOLVE_INIT_PSK / RESOLVE_RESP are the model's
``RESOLVE_INIT`` / ``RESOLVE_RESP`` on Ua and ``RESOLVE_INIT_ZK`` / ``RESOLVE_RESP_ZK`` on Zk.
Zk messages carry the transport facts the caller states in a :class:`ZkLink` (seed 002 B.2.2.3;
TS 33.210 NDS/IP): ``zk_from`` (the peer KMS as the transport names it), ``zk_to`` (the KMS the
message was addressed to) and ``nds`` (a :class:`ZkTag`: the authenticated peer, or None, and a
digest of exactly these octets).

Crypto facts need the context of a message: a response's MAC covers the initial message too
(RFC 6043 5.5), so a view carries the initial message it ``answers``; :meth:`TicketView.verify`
checks the V payload (and opens the KEMAC) with a given key through ``messages``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mckm.impl.codec import Message, Payload, decode
from mckm.impl.engine.wire import Bound, WireView
from mckm.impl.errors import DecodeError, PolicyError, UsageError
from mckm.impl.roles.ticket import messages as M
from mckm.impl.roles.ticket.base_ticket import encode_payload
from mckm.impl.roles.ticket.policy_data import policy_of
from mckm.impl.roles.ticket.protection import ENCR_NULL, INVALID_DT
from mckm.models.policy.ticket_policy import TicketPolicy
from mckm.models.procedures.mikey_ticket import MESSAGES

SPEC = {m.name: m for m in MESSAGES}

#: (data type, on Zk?) -> model message name
_NAMES = {
    (M.REQUEST_INIT_PSK, False): "REQUEST_INIT", (M.REQUEST_RESP, False): "REQUEST_RESP",
    (M.TRANSFER_INIT, False): "TRANSFER_INIT", (M.TRANSFER_RESP, False): "TRANSFER_RESP",
    (M.RESOLVE_INIT_PSK, False): "RESOLVE_INIT", (M.RESOLVE_RESP, False): "RESOLVE_RESP",
    (M.RESOLVE_INIT_PSK, True): "RESOLVE_INIT_ZK", (M.RESOLVE_RESP, True): "RESOLVE_RESP_ZK",
}
_TYPED: dict[str, type[M.TicketMessage]] = {
    "REQUEST_INIT": M.RequestInit, "REQUEST_RESP": M.RequestResp,
    "TRANSFER_INIT": M.TransferInit, "TRANSFER_RESP": M.TransferResp,
    "RESOLVE_INIT": M.ResolveInit, "RESOLVE_RESP": M.ResolveResp,
    "RESOLVE_INIT_ZK": M.ResolveInit, "RESOLVE_RESP_ZK": M.ResolveResp,
}


@dataclass(frozen=True)
class ZkLink:
    """What the Zk transport (NDS/IP or mutual TLS between KMSs) says about one message: the
    peer KMS, whether the association authenticated that peer, and the KMS addressed."""

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
class TicketBlob:
    """The model's ``ticket``: the TICKET payload, equal by its octets (Next Payload excluded)."""

    octets: bytes
    payload: Payload = field(compare=False, repr=False)

    @classmethod
    def of(cls, payload: Payload) -> TicketBlob:
        return cls(encode_payload(payload), payload)

    @cached_property
    def policy(self) -> TicketPolicy:
        """The Ticket Policy of its TP fields (``policy_data.policy_of``: PolicyError 15 if
        unreadable), parsed once."""
        return policy_of(self.payload.fields)

    def __repr__(self) -> str:
        return f"TicketBlob({len(self.octets)} octets)"


@dataclass(frozen=True)
class KemacBlob:
    """The model's ``kemac``: the KEMAC octets, with the message that carries it (needed to
    derive its keys, RFC 6043 5.1.2) and whether it is enciphered."""

    octets: bytes
    enciphered: bool
    view: TicketView = field(compare=False, repr=False)

    def __repr__(self) -> str:
        return f"KemacBlob({len(self.octets)} octets, enciphered={self.enciphered})"


def _ticket(values: tuple[Any, ...], view: WireView) -> TicketBlob | None:
    p = values[0]
    return None if p is None else TicketBlob(_octets(view.message, p), p)


def _kemac(values: tuple[Any, ...], view: WireView) -> KemacBlob | None:
    p = values[0]
    if p is None:
        return None
    assert isinstance(view, TicketView)
    return KemacBlob(_octets(view.message, p), p.fields["encr_alg"] != ENCR_NULL, view)


def _payload_octets(values: tuple[Any, ...], view: WireView) -> bytes | None:
    return None if values[0] is None else _octets(view.message, values[0])


def _fields_of(payload: Payload) -> dict[str, Any]:
    return dict(payload.fields)


#: the converters the ticket specs leave to the role (runtime objects)
BOUND: Bound = {"TICKET": (_ticket, _fields_of), "KEMAC": (_kemac, _fields_of),
                "payload octets": (_payload_octets, None)}


class TicketView(WireView):
    """One MIKEY-TICKET message as the model reads it (see module docstring)."""

    __slots__ = ("_verified", "answers", "msg", "zk")

    def __init__(self, name: str, msg: M.TicketMessage, *, answers: M.TicketMessage | None = None,
                 zk: ZkLink | None = None) -> None:
        if name not in SPEC:
            raise UsageError(f"{name!r} is not a MIKEY-TICKET model message")
        self.msg = msg
        self.answers = answers
        self.zk = zk
        self._verified: dict[bytes | None, M.TicketMessage] = {}
        context: dict[str, Any] = {}
        if zk is not None:
            context = {"zk_from": zk.peer, "zk_to": zk.addressed_to,
                       "nds": ZkTag.of(msg.raw, zk.peer if zk.authenticated else None)}
        super().__init__(SPEC[name], msg.message, msg.raw, bound=BOUND, context=context)

    @classmethod
    def decode(cls, raw: bytes, *, zk: ZkLink | None = None,
               answers: M.TicketMessage | None = None, expect: str | None = None) -> TicketView:
        """Decode ``raw`` (MalformedMessage, error 12, if it does not decode) and name it by its
        data type and link; with ``expect``, another message is error 11 (Invalid DT)."""
        try:
            message = decode(bytes(raw))
        except DecodeError as exc:
            raise M.MalformedMessage(exc.reason, offset=exc.offset, payload=exc.payload,
                                     field=exc.field) from exc
        name = _NAMES.get((int(message.data_type), zk is not None))
        if name is None or (expect is not None and name != expect):
            raise PolicyError(f"{message.data_type_name} ({message.data_type}) is not "
                              f"{expect or 'a message of the ticket procedures'}"
                              f"{' on Zk' if zk else ''}", requirement="RFC 6043 6.1",
                              mikey_error=INVALID_DT)
        return cls(name, _TYPED[name](message, bytes(raw)), answers=answers, zk=zk)

    def __repr__(self) -> str:
        return f"TicketView({self.name}, {len(self.raw)} octets)"

    # -- crypto
    def verify(self, key: bytes | None) -> M.TicketMessage:
        """Check the V payload with ``key`` (the PSK, MPKi; None on Zk: the NULL MAC) and open
        the KEMAC; raises the message layer's error.  Cached per key."""
        done = self._verified.get(key)
        if done is None:
            done = self._verified[key] = self._verify(key)
        return done

    def _verify(self, key: bytes | None) -> M.TicketMessage:
        raw, name, ans, dec = self.raw, self.name, self.answers, self.msg.message
        if name in ("REQUEST_INIT", "RESOLVE_INIT", "RESOLVE_INIT_ZK"):
            kms = self.msg.identity(M.IDRKMS)
            if kms is None:
                raise M.MalformedMessage("no IDRkms", payload="IDR")
            if name == "REQUEST_INIT":
                return M.parse_request_init_psk(raw, psk_for=_const(key), kms_identity=kms,
                                                decoded=dec)
            return M.parse_resolve_init_psk(raw, psk_for=None if key is None else _const(key),
                                            kms_identity=kms, decoded=dec)
        if name == "TRANSFER_INIT":
            if key is None:
                raise UsageError("TRANSFER_INIT is verified with MPKi")
            idrr = self.msg.identity(M.IDRR)
            if idrr is None:
                raise M.MalformedMessage("no IDRr", payload="IDR")
            return M.verify_transfer_init(M.read_transfer_init(raw, dec), mpki=key,
                                          responder_identity=idrr)
        if ans is None:
            raise UsageError(f"a {name} view needs the initial message it answers")
        if name == "REQUEST_RESP":
            if key is None:
                raise UsageError("REQUEST_RESP is verified with the PSK")
            return M.parse_request_resp(raw, _as(M.RequestInit, ans), psk=key, decoded=dec)
        if name in ("RESOLVE_RESP", "RESOLVE_RESP_ZK"):
            return M.parse_resolve_resp(raw, _as(M.ResolveInit, ans), psk=key, decoded=dec)
        if key is None:
            raise UsageError("TRANSFER_RESP is verified with MPKi")
        init = _as(M.TransferInit, ans)
        return M.verify_transfer_resp(M.read_transfer_resp(raw, init, dec), init, mpk=key)


def _octets(message: Message, payload: Payload) -> bytes:
    """``encode_payload(payload)`` (its octets with Next Payload 0), cut from the octets it was
    decoded from when the message has them, else encoded."""
    raw, layout = message.raw, message.layout
    if raw is not None and len(layout) == len(message.payloads) + 1:
        for p, span in zip(message.payloads, layout[1:], strict=True):
            if p is payload:
                return b"\x00" + raw[span.offset + 1:span.offset + span.length]
    return encode_payload(payload)


def _const(key: bytes | None) -> Any:
    def psk_for(_identifier: bytes | None) -> bytes:
        if key is None:
            raise UsageError("no PSK")
        return key
    return psk_for


def _as(kind: type[Any], msg: M.TicketMessage) -> Any:
    return msg if isinstance(msg, kind) else kind(msg.message, msg.raw, msg.kemac)


__all__ = ["KemacBlob", "TicketBlob", "TicketView", "ZkLink", "ZkTag"]
