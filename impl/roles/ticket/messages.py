"""Builders and checked parsers for the MIKEY-TICKET messages of the TS 33.328 procedures
(RFC 6043 4.2, 5.4, 5.5; seed 002 B.2.2.2 / B.2.2.3).

Each ``build_*`` returns the typed message it built (``.raw`` holds the octets), each
``parse_*`` / ``verify_*`` decodes with the codec, checks the data type, the identities and the
V payload, decrypts the KEMAC and returns the typed message.  Every refusal is an mckm error with
the MIKEY error number to answer with (RFC 3830 6.12, RFC 6043 6.9): a codec error becomes
:class:`MalformedMessage` (Unspecified error), a wrong data type 11 (Invalid DT), a wrong
identity 7 (Invalid ID), a wrong MAC 0 (Auth failure).

MAC coverage (RFC 6043 5.5 Table 5.2): initial messages append the ID Data of the two parties
(``Identity_i/r || Identity_kms`` or ``Identity_i || Identity_r``); responses append the whole
initial message.  Message keys: RFC 6043 5.1.2 (``keys.message_keys``).

Ticket Transfer is split in two steps because the Responder can check TRANSFER_INIT only after
the ticket is resolved (RFC 6043 4.2.2.2): ``read_transfer_init`` then ``verify_transfer_init``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.codec import Message, Payload, decode, decode_key_data, encode, encode_key_data
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.grammars import SUPPORTED_VERSION
from mckm.impl.engine.wire import covered, rank, seal
from mckm.impl.errors import DecodeError, EncodeError, PolicyError, UsageError
from mckm.impl.roles.ticket.base_ticket import MPK_KEY_TYPE, initiator_data_tail
from mckm.impl.roles.ticket.keys import (
    LabelPurpose,
    MessageKeys,
    initiator_data_auth_key,
    message_keys,
    prf_func_of,
)
from mckm.impl.roles.ticket.protection import (
    ENCR_NULL,
    INVALID_DT,
    INVALID_ID,
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
from mckm.models.grammar.namespaces import CS_ID_MAP_TYPE, DATA_TYPE, ID_ROLE, ID_TYPE, RAND_ROLE
from mckm.models.grammar.wire import Integrity
from mckm.models.procedures.mikey_ticket import MESSAGES

REQUEST_INIT_PSK = DATA_TYPE.value_of("REQUEST_INIT_PSK")
REQUEST_RESP = DATA_TYPE.value_of("REQUEST_RESP")
TRANSFER_INIT = DATA_TYPE.value_of("TRANSFER_INIT")
TRANSFER_RESP = DATA_TYPE.value_of("TRANSFER_RESP")
RESOLVE_INIT_PSK = DATA_TYPE.value_of("RESOLVE_INIT_PSK")
RESOLVE_RESP = DATA_TYPE.value_of("RESOLVE_RESP")
ERROR = DATA_TYPE.value_of("Error")
IDRI, IDRR, IDRKMS, IDRPSK = (ID_ROLE.value_of(n) for n in ("IDRi", "IDRr", "IDRkms", "IDRpsk"))
RANDRI, RANDRR, RANDRKMS = (RAND_ROLE.value_of(n) for n in ("RANDRi", "RANDRr", "RANDRkms"))
EMPTY_MAP = CS_ID_MAP_TYPE.value_of("Empty map")
_BYTE_STRING = ID_TYPE.BYTE_STRING  # RFC 6043 6.5 (B-TID, TPK identifiers)


class MalformedMessage(DecodeError):
    """A message that does not decode or breaks a presence rule; answered with MIKEY error 12
    (Unspecified error, RFC 3830 6.12) since no more specific number applies."""

    mikey_error = UNSPECIFIED


@dataclass(frozen=True)
class Identity:
    """An IDR identity: ID Type and ID Data (RFC 6043 6.6)."""

    id_type: int
    id_data: bytes

    def payload(self, role: int) -> Payload:
        return Payload("IDR", {"id_role": role, "id_type": self.id_type, "id_data": self.id_data})

    @classmethod
    def uri(cls, text: str) -> Identity:
        return cls(1, text.encode("utf-8"))


@dataclass(frozen=True, repr=False)
class KemacContents:
    """Decrypted KEMAC key data: MPKi, [MPKr | MPKr'], then TEK/TGK/GTGK (RFC 6043 4.2.1.5,
    4.2.3.5).  The MPKs are the KEY_DATA payloads of type MPK, in that order."""

    keys: tuple[Payload, ...]

    def __repr__(self) -> str:
        return f"KemacContents(<{len(self.keys)} keys redacted>)"

    @property
    def mpks(self) -> tuple[bytes, ...]:
        return tuple(bytes(k.fields["key_data"]) for k in self.keys
                     if k.fields["key_type"] == MPK_KEY_TYPE)

    @property
    def mpki(self) -> bytes:
        if not self.mpks:
            raise PolicyError("the KEMAC carries no MPKi", requirement="RFC 6043 4.2.1.5",
                              mikey_error=UNSPECIFIED)
        return self.mpks[0]

    @property
    def mpkr(self) -> bytes | None:
        return self.mpks[1] if len(self.mpks) > 1 else None

    @property
    def session_keys(self) -> tuple[Payload, ...]:
        return tuple(k for k in self.keys if k.fields["key_type"] != MPK_KEY_TYPE)


@dataclass(frozen=True)
class TicketMessage:
    """A decoded MIKEY-TICKET message; ``raw`` is the exact octets (MAC coverage needs them)."""

    message: Message = field(repr=False)
    raw: bytes = field(repr=False)
    kemac: KemacContents | None = None

    @property
    def data_type(self) -> int:
        return int(self.message.data_type)

    @property
    def hdr(self) -> dict[str, Any]:
        return dict(self.message.hdr.fields)

    @property
    def csb_id(self) -> int:
        return int(self.hdr["csb_id"])

    @property
    def prf_func(self) -> int:
        return int(self.hdr["prf_func"])

    @property
    def t(self) -> Payload:
        t = self.message.get("T")
        assert t is not None  # every ticket data type requires T (codec presence rules)
        return t

    @property
    def t64(self) -> bytes:
        return bytes(timestamp64(self.t.fields["ts_type"], self.t.fields["ts_value"]))

    def identity(self, role: int) -> Identity | None:
        for p in self.message.all("IDR"):
            if p.fields["id_role"] == role:
                return Identity(p.fields["id_type"], p.fields["id_data"])
        return None

    def rand(self, role: int) -> bytes | None:
        for p in self.message.all("RANDR"):
            if p.fields["rand_role"] == role:
                return bytes(p.fields["rand"])
        return None

    @property
    def ticket(self) -> Payload | None:
        return self.message.get("TICKET")

    @property
    def v(self) -> Payload:
        v = self.message.get("V")
        if v is None:
            raise PolicyError("the message has no V payload", mikey_error=UNSPECIFIED)
        return v


class RequestInit(TicketMessage):
    """REQUEST_INIT_PSK (RFC 6043 4.2.1.2)."""


class RequestResp(TicketMessage):
    """REQUEST_RESP (RFC 6043 4.2.1.5)."""


class TransferInit(TicketMessage):
    """TRANSFER_INIT (RFC 6043 4.2.2.1)."""


class TransferResp(TicketMessage):
    """TRANSFER_RESP (RFC 6043 4.2.2.3)."""


class ResolveInit(TicketMessage):
    """RESOLVE_INIT_PSK (RFC 6043 4.2.3.2); ``protected`` is False for seed 002's KMS-to-KMS
    message carried on Zk."""

    @property
    def protected(self) -> bool:
        return bool(self.v.fields["auth_alg"] != MAC_NULL)


class ResolveResp(TicketMessage):
    """RESOLVE_RESP (RFC 6043 4.2.3.5)."""


class ErrorMessage(TicketMessage):
    """Error message (RFC 6043 5.4)."""

    @property
    def errors(self) -> tuple[int, ...]:
        return tuple(p.fields["error_no"] for p in self.message.all("ERR"))


# --------------------------------------------------------------------------------------------
# shared machinery


def _decode(raw: bytes, data_type: int, decoded: Message | None = None) -> Message:
    """``decoded`` is the caller's decode of these very octets (checked by ``raw``), reused."""
    try:
        message = decoded if decoded is not None and decoded.raw == raw else decode(raw)
    except DecodeError as exc:
        raise MalformedMessage(exc.reason, offset=exc.offset, payload=exc.payload,
                               field=exc.field) from exc
    if message.data_type != data_type:
        raise PolicyError(f"expected {DATA_TYPE.name_of(data_type)} ({data_type}), got "
                          f"{message.data_type_name} ({message.data_type})",
                          requirement="RFC 6043 6.1", mikey_error=INVALID_DT)
    return message


def _hdr(data_type: int, *, csb_id: int, prf_func: int, v: int, n_cs: int = 0,
         map_type: int = EMPTY_MAP, map_info: Any = None) -> Payload:
    prf_func_of(prf_func)
    return Payload("HDR", {"version": SUPPORTED_VERSION, "data_type": data_type, "v": v,
                           "prf_func": prf_func, "csb_id": csb_id, "n_cs": n_cs,
                           "cs_id_map_type": map_type, "cs_id_map_info": map_info})


#: data type -> the layout its model spec declares: what V covers and what a response copies
_LAYOUTS = {DATA_TYPE.value_of(m.layout.data_type): m.layout for m in MESSAGES if m.layout}


def _copied_hdr(init: TicketMessage, data_type: int) -> Payload:
    """A response's HDR: the fields its layout copies from the initial message; V = 0."""
    copied = {name: init.hdr[name] for name in _LAYOUTS[data_type].copies}
    return Payload("HDR", {**_hdr(data_type, csb_id=0, prf_func=init.prf_func, v=0).fields,
                           **copied})


def _check_copied_hdr(resp: TicketMessage, init: TicketMessage, clause: str) -> None:
    for name in _LAYOUTS[resp.data_type].copies:
        if resp.hdr[name] != init.hdr[name]:
            raise PolicyError(f"{resp.message.data_type_name}: HDR {name} {resp.hdr[name]} differs"
                              f" from the initial message's {init.hdr[name]}", requirement=clause,
                              mikey_error=UNSPECIFIED)


def _mac_input(raw: bytes, message: Message, *, ids: Sequence[bytes] = (),
               request: bytes | None = None) -> bytes:
    """What V covers, as the message's layout declares it (RFC 6043 5.5 Table 5.2); an Error
    message's V covers the message alone (5.4)."""
    layout = _LAYOUTS.get(message.data_type)
    integrity = layout.integrity if layout and layout.integrity else Integrity("V")
    ticket = message.get("TICKET")
    return covered(integrity, raw, message, ids=dict(zip(integrity.append_ids, ids, strict=True)),
                   request=request,
                   initiator_data_tail=initiator_data_tail(ticket.fields) if ticket else 0)


def _t(ts_type: int, ts_value: int) -> Payload:
    return Payload("T", {"ts_type": ts_type, "ts_value": ts_value})


def _randr(role: int, rand: bytes) -> Payload:
    return Payload("RANDR", {"rand_role": role, "rand": rand})


def _optional(*, idrr: Identity | None = None, randrr: bytes | None = None,
              randrkms: bytes | None = None) -> list[Payload]:
    """The optional IDRr, RANDRr and RANDRkms of a response that are given."""
    out = [] if idrr is None else [idrr.payload(IDRR)]
    out += [_randr(role, r) for role, r in ((RANDRR, randrr), (RANDRKMS, randrkms)) if r]
    return out


def _encode(hdr: Payload, payloads: Sequence[Payload]) -> bytes:
    try:
        return bytes(encode(Message(hdr, list(payloads))))
    except EncodeError as exc:
        raise UsageError(f"cannot build {DATA_TYPE.name_of(hdr.fields['data_type'])}: {exc}") \
            from exc


def _seal(hdr: Payload, payloads: list[Payload], mac_alg: int, auth_key: bytes | None,
          covers: Callable[[bytes, Message], bytes]) -> tuple[bytes, Message]:
    """Encode with V last and its MAC over ``covers(raw, decoded)`` (engine ``wire.seal``)."""
    v = Payload("V", {"auth_alg": mac_alg})
    try:
        return seal(hdr, payloads, v, "ver_data", mac_octets(mac_alg),
                    lambda raw, m: bytes(compute_mac(mac_alg, auth_key, covers(raw, m))))
    except EncodeError as exc:
        raise UsageError(f"cannot build {DATA_TYPE.name_of(hdr.fields['data_type'])}: {exc}") \
            from exc


def _id_bytes(sent: Identity | None, known: Identity | None, role: str, what: str) -> bytes:
    """The identity appended to an initial message's MAC input (RFC 6043 5.5).  When the IDR was
    omitted, the party's identity known by other means is used (REQ-TKT-MSG-04)."""
    if sent is not None and known is not None and sent.id_data != known.id_data:
        raise PolicyError(f"{what}: {role} identity {sent.id_data!r} is not the expected "
                          f"{known.id_data!r}", requirement="REQ-TKT-MSG-04",
                          mikey_error=INVALID_ID)
    chosen = sent if sent is not None else known
    if chosen is None:
        raise PolicyError(f"{what}: the {role} identity is neither in the message nor known",
                          requirement="REQ-TKT-MSG-04", mikey_error=INVALID_ID)
    return chosen.id_data


def _keys(inkey: bytes | None, msg: TicketMessage | None, *, hdr: Payload, purpose: LabelPurpose,
          randri: bytes | None, randrr: bytes | None, encr_alg: int, mac_alg: int) -> MessageKeys:
    if inkey is None:
        return MessageKeys(None, None)
    return message_keys(inkey, csb_id=hdr.fields["csb_id"], purpose=purpose, randri=randri,
                        randrr=randrr, encr_alg=encr_alg, mac_alg=mac_alg,
                        prf_func=prf_func_of(hdr.fields["prf_func"]))


def _kemac(keys: Sequence[Payload], mkeys: MessageKeys, *, encr_alg: int, csb_id: int,
           t: Payload) -> Payload:
    """KEMAC with the NULL MAC (RFC 6043 4.2.1.5, 4.2.3.5, 5.2)."""
    plain = encode_key_data(list(keys))
    data = encrypt_key_data(encr_alg, mkeys.kemac, csb_id=csb_id,
                            t64=timestamp64(t.fields["ts_type"], t.fields["ts_value"]),
                            plaintext=plain)
    return Payload("KEMAC", {"encr_alg": encr_alg, "encr_data": data, "mac_alg": MAC_NULL,
                             "mac": b""})


def _open_kemac(msg: TicketMessage, inkey: bytes | None, purpose: LabelPurpose,
                randri: bytes | None, randrr: bytes | None) -> KemacContents:
    kemac = msg.message.get("KEMAC")
    assert kemac is not None
    if kemac.fields["mac_alg"] != MAC_NULL:
        raise PolicyError("this KEMAC SHALL use the NULL MAC (the MAC is in V)",
                          requirement="RFC 6043 4.2.1.5", mikey_error=UNSPECIFIED)
    encr_alg = kemac.fields["encr_alg"]
    mkeys = _keys(inkey if encr_alg != ENCR_NULL else None, msg, hdr=msg.message.hdr,
                  purpose=purpose, randri=randri, randrr=randrr, encr_alg=encr_alg,
                  mac_alg=MAC_NULL)
    plain = decrypt_key_data(encr_alg, mkeys.kemac, csb_id=msg.csb_id, t64=msg.t64,
                             plaintext=kemac.fields["encr_data"])
    try:
        return KemacContents(tuple(decode_key_data(plain)))
    except DecodeError as exc:  # only reachable after a verified MAC: the sender's defect
        raise MalformedMessage(f"KEMAC key data: {exc.reason}", payload="KEMAC") from exc


def _verify(msg: TicketMessage, mkeys: MessageKeys, covered: bytes, protection: Protection) -> None:
    v = msg.v
    verify_mac(v.fields["auth_alg"], mkeys.auth_key, covered, v.fields["ver_data"],
               protection=protection, what=msg.message.data_type_name)


def _protection_of(inkey: bytes | None) -> Protection:
    return Protection.PROTECTED if inkey is not None else Protection.UNPROTECTED


def _purpose(data_type: int) -> LabelPurpose:
    """A response's keys are derived with the response label (RFC 6043 5.1.2)."""
    integrity = _LAYOUTS[data_type].integrity
    return LabelPurpose.RESPONSE if integrity and integrity.append_request else \
        LabelPurpose.INITIAL


def _build(hdr: Payload, body: Sequence[Payload], *, key: bytes | None, mac_alg: int,
           request: TicketMessage | None = None, randri: bytes | None = None,
           randrr: bytes | None = None, kemac_keys: Sequence[Payload] = (),
           encr_alg: int = ENCR_NULL) -> tuple[bytes, Message]:
    """Any ticket message by its layout: the payloads in the layout's order, a KEMAC of
    ``kemac_keys`` under the message keys of ``key`` (RFC 6043 5.1.2), V over what the layout
    says it covers: the message's own ID Data of the declared roles, or the ``request``."""
    data_type = int(hdr.fields["data_type"])
    layout = _LAYOUTS[data_type]
    mkeys = _keys(key, None, hdr=hdr, purpose=_purpose(data_type), randri=randri, randrr=randrr,
                  encr_alg=encr_alg, mac_alg=mac_alg)
    body = list(body)
    if kemac_keys:
        t = next(p for p in body if p.name == "T")
        body.append(_kemac(kemac_keys, mkeys, encr_alg=encr_alg, csb_id=hdr.fields["csb_id"],
                           t=t))
    body.sort(key=lambda p: rank(layout, p))
    roles = layout.integrity.append_ids if layout.integrity else ()
    ids = [next(bytes(p.fields["id_data"]) for p in body
                if p.name == "IDR" and p.fields["id_role"] == ID_ROLE.value_of(r)) for r in roles]
    return _seal(hdr, body, mac_alg, mkeys.auth_key, lambda r, m: _mac_input(
        r, m, ids=ids, request=None if request is None else request.raw))


def _check(msg: TicketMessage, *, key: bytes | None, request: TicketMessage | None = None,
           known: Mapping[str, Identity | None] | None = None, randri: bytes | None = None,
           randrr: bytes | None = None, clause: str = "RFC 6043 5.5") -> None:
    """Check V by the message's layout: the copied HDR fields against ``request``, then the
    MAC under ``key`` (None: the NULL MAC of an unprotected message) over what V covers; an
    omitted identity is the one ``known`` (role name -> Identity) says (REQ-TKT-MSG-04)."""
    layout = _LAYOUTS[msg.data_type]
    if request is not None and layout.copies:
        _check_copied_hdr(msg, request, clause)
    roles = layout.integrity.append_ids if layout.integrity else ()
    what = msg.message.data_type_name
    ids = [_id_bytes(msg.identity(ID_ROLE.value_of(r)), (known or {}).get(r), r, what)
           for r in roles]
    mkeys = _keys(key, msg, hdr=msg.message.hdr, purpose=_purpose(msg.data_type), randri=randri,
                  randrr=randrr, encr_alg=ENCR_NULL, mac_alg=msg.v.fields["auth_alg"])
    _verify(msg, mkeys, _mac_input(msg.raw, msg.message, ids=ids,
                                   request=None if request is None else request.raw),
            _protection_of(key))


# --------------------------------------------------------------------------------------------
# Ticket Request (RFC 6043 4.2.1)


def build_request_init_psk(*, csb_id: int, prf_func: int, ts: tuple[int, int], randri: bytes,
                           idri: Identity, idrkms: Identity, tp: dict[str, Any],
                           idrpsk: bytes | None, psk: bytes, mac_alg: int) -> RequestInit:
    """REQUEST_INIT_PSK = HDR, T, RANDRi, IDRi, IDRkms, TP, [IDRpsk], V (4.2.1.2); HDR V = 1,
    #CS 0, Empty map (4.2.1.1); IDRi and IDRkms always sent (REQ-TKT-MSG-04)."""
    body = [_t(*ts), _randr(RANDRI, randri), idri.payload(IDRI), idrkms.payload(IDRKMS),
            Payload("TP", dict(tp))]
    if idrpsk is not None:
        body.append(Identity(_BYTE_STRING, idrpsk).payload(IDRPSK))
    hdr = _hdr(REQUEST_INIT_PSK, csb_id=csb_id, prf_func=prf_func, v=1)
    raw, sealed = _build(hdr, body, key=psk, mac_alg=mac_alg, randri=randri)
    return RequestInit(sealed, raw)


def parse_request_init_psk(raw: bytes, *, psk_for: Callable[[bytes | None], bytes],
                           kms_identity: Identity, initiator_identity: Identity | None = None,
                           decoded: Message | None = None) -> RequestInit:
    """KMS side of 4.2.1.4: decode, check IDRkms, find the PSK by IDRpsk, check V."""
    msg = RequestInit(_decode(raw, REQUEST_INIT_PSK, decoded), raw)
    psk_id = msg.identity(IDRPSK)
    _check(msg, key=psk_for(psk_id.id_data if psk_id else None), randri=msg.rand(RANDRI),
           known={"IDRkms": kms_identity, "IDRi": initiator_identity})
    return msg


def build_request_resp(init: RequestInit, *, ts: tuple[int, int], idrkms: Identity,
                       ticket: Payload, keys: Sequence[Payload], psk: bytes, encr_alg: int,
                       mac_alg: int) -> RequestResp:
    """REQUEST_RESP = HDR, T, IDRkms, TICKET, KEMAC, V (4.2.1.5); keys = MPKi, [MPKr], keys."""
    raw, sealed = _build(_copied_hdr(init, REQUEST_RESP), [_t(*ts), idrkms.payload(IDRKMS), ticket],
                         key=psk, mac_alg=mac_alg, request=init, randri=init.rand(RANDRI),
                         kemac_keys=keys, encr_alg=encr_alg)
    return RequestResp(sealed, raw)


def parse_request_resp(raw: bytes, init: RequestInit, *, psk: bytes,
                       decoded: Message | None = None) -> RequestResp:
    """Initiator side of 4.2.1.6: check V (covers REQUEST_RESP || REQUEST_INIT), open KEMAC."""
    msg = RequestResp(_decode(raw, REQUEST_RESP, decoded), raw)
    randri = init.rand(RANDRI)
    _check(msg, key=psk, request=init, randri=randri, clause="RFC 6043 4.2.1.5")
    return RequestResp(msg.message, raw, _open_kemac(msg, psk, LabelPurpose.RESPONSE, randri,
                                                     None))


# --------------------------------------------------------------------------------------------
# Ticket Transfer (RFC 6043 4.2.2)


def _initiator_data(tag: bytes, mac_alg: int, mpkr: bytes, prf_func: int) -> bytes:
    """Initiator Data = First Payload, Vi, Vr (RFC 6043 6.10); Vi is TRANSFER_INIT's V (with
    Next Payload 9 since Vr follows, REQ-TKT-MSG-05); Vr's MAC covers the Initiator Data except
    itself, with the auth_key from the unforked MPKr."""
    mac_len = mac_octets(mac_alg)
    vi = Payload("V", {"auth_alg": mac_alg, "ver_data": tag})
    draft = encode_chain([vi, Payload("V", {"auth_alg": mac_alg, "ver_data": bytes(mac_len)})])
    key = initiator_data_auth_key(mpkr, mac_alg=mac_alg, prf_func=prf_func_of(prf_func))
    head = bytes(draft[: len(draft) - mac_len])
    return bytes(head + compute_mac(mac_alg, key, head))


def verify_initiator_data(ticket: Payload, mpkr: bytes) -> bytes:
    """KMS side of 4.2.3.4: check Vr with the unforked MPKr; return the Vi MAC."""
    try:
        vi, vr = decode_chain(ticket.fields["initiator_data"])
    except (DecodeError, ValueError) as exc:
        raise PolicyError(f"Initiator Data is not First Payload, Vi, Vr: {exc}",
                          requirement="RFC 6043 6.10", mikey_error=UNSPECIFIED) from exc
    if (vi.name, vr.name) != ("V", "V") or vi.fields["auth_alg"] != vr.fields["auth_alg"]:
        raise PolicyError("Initiator Data must be two V payloads with one MAC algorithm",
                          requirement="RFC 6043 6.10", mikey_error=UNSPECIFIED)
    data = ticket.fields["initiator_data"]
    tag = vr.fields["ver_data"]
    mac_alg = vr.fields["auth_alg"]
    key = initiator_data_auth_key(mpkr, mac_alg=mac_alg,
                                  prf_func=prf_func_of(ticket.fields["prf_func"]))
    verify_mac(mac_alg, key, data[: len(data) - len(tag)], tag, protection=Protection.PROTECTED,
               what="Initiator Data Vr")
    return bytes(vi.fields["ver_data"])


def build_transfer_init(*, csb_id: int, prf_func: int, ts: tuple[int, int], randri: bytes,
                        idri: Identity, idrr: Identity, ticket: Payload, mpki: bytes,
                        mac_alg: int, mpkr: bytes | None = None, sps: Sequence[Payload] = (),
                        cs_map: tuple[int, int, Any] = (0, EMPTY_MAP, None),
                        kemac_keys: Sequence[Payload] = (), encr_alg: int = ENCR_NULL
                        ) -> TransferInit:
    """TRANSFER_INIT = HDR, T, RANDRi, IDRi, IDRr, {SP}, TICKET, [KEMAC], V (4.2.2.1): HDR V =
    the ticket's F flag; V from MPKi (5.1.2, 0x01); with key forking (I flag) the Initiator Data
    Vi/Vr is added (``mpkr`` required)."""
    n_cs, map_type, map_info = cs_map
    hdr = _hdr(TRANSFER_INIT, csb_id=csb_id, prf_func=prf_func, v=ticket.fields["f"], n_cs=n_cs,
               map_type=map_type, map_info=map_info)
    forking = bool(ticket.fields["i"])
    if forking and mpkr is None:
        raise UsageError("key forking (I flag) needs MPKr for the Initiator Data (RFC 6043 6.10)")
    ticket = Payload("TICKET", {**ticket.fields, "initiator_data": b""})
    body = [_t(*ts), _randr(RANDRI, randri), idri.payload(IDRI), idrr.payload(IDRR), *sps,
            ticket]
    raw, sealed = _build(hdr, body, key=mpki, mac_alg=mac_alg, randri=randri,
                         kemac_keys=kemac_keys, encr_alg=encr_alg)
    body = sealed.payloads[:-1]
    if forking:
        assert mpkr is not None
        tag = raw[len(raw) - mac_octets(mac_alg):]
        sent = next(p for p in body if p.name == "TICKET")
        sent.fields["initiator_data"] = _initiator_data(tag, mac_alg, mpkr,
                                                        ticket.fields["prf_func"])
        raw = _encode(hdr, [*body, Payload("V", {"auth_alg": mac_alg, "ver_data": tag})])
    return TransferInit(decode(raw) if forking else sealed, raw)


def read_transfer_init(raw: bytes, decoded: Message | None = None) -> TransferInit:
    """Responder, before resolving (4.2.2.2): decode and structure checks only - the MAC can be
    checked only with the MPKi from RESOLVE_RESP (``verify_transfer_init``)."""
    msg = TransferInit(_decode(raw, TRANSFER_INIT, decoded), raw)
    if msg.ticket is None or msg.rand(RANDRI) is None:
        raise MalformedMessage("an initial TRANSFER_INIT carries RANDRi and TICKET",
                               payload="TICKET")
    return msg


def verify_transfer_init(msg: TransferInit, *, mpki: bytes, responder_identity: Identity,
                         initiator_identity: Identity | None = None) -> TransferInit:
    """Responder after RESOLVE_RESP (4.2.3.6): check V with MPKi; with key forking check that
    V's MAC equals Vi's; open a KEMAC if one is present."""
    randri = msg.rand(RANDRI)
    _check(msg, key=mpki, randri=randri,
           known={"IDRi": initiator_identity, "IDRr": msg.identity(IDRR) or responder_identity})
    ticket = msg.ticket
    if ticket is not None and ticket.fields["i"]:
        try:
            vi, _vr = decode_chain(ticket.fields["initiator_data"])
        except (DecodeError, ValueError) as exc:
            raise PolicyError(f"Initiator Data is malformed: {exc}", requirement="RFC 6043 6.10",
                              mikey_error=UNSPECIFIED) from exc
        if vi.fields.get("ver_data") != msg.v.fields["ver_data"]:
            raise PolicyError("TRANSFER_INIT's V MAC differs from the Vi MAC in the Initiator "
                              "Data", requirement="RFC 6043 4.2.3.6", mikey_error=UNSPECIFIED)
    kemac = None
    if msg.message.get("KEMAC") is not None:
        kemac = _open_kemac(msg, mpki, LabelPurpose.INITIAL, randri, None)
    return TransferInit(msg.message, msg.raw, kemac)


def build_transfer_resp(init: TransferInit, *, ts: tuple[int, int], mpk: bytes, mac_alg: int,
                        randrr: bytes | None = None, idrr: Identity | None = None,
                        randrkms: bytes | None = None, sps: Sequence[Payload] = (),
                        cs_map: tuple[int, int, Any] | None = None,
                        kemac_keys: Sequence[Payload] = (), encr_alg: int = ENCR_NULL
                        ) -> TransferResp:
    """TRANSFER_RESP = HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V (4.2.2.3); V from
    ``mpk`` = MPKi, or MPKr' with key forking (5.1.2, 0x02; RANDRr iff G)."""
    h = init.hdr
    n_cs, map_type, map_info = cs_map or (h["n_cs"], h["cs_id_map_type"], h["cs_id_map_info"])
    hdr = _hdr(TRANSFER_RESP, csb_id=h["csb_id"], prf_func=h["prf_func"], v=0, n_cs=n_cs,
               map_type=map_type, map_info=map_info)
    body = [_t(*ts), *sps, *_optional(idrr=idrr, randrr=randrr, randrkms=randrkms)]
    raw, sealed = _build(hdr, body, key=mpk, mac_alg=mac_alg, request=init,
                         randri=init.rand(RANDRI), randrr=randrr, kemac_keys=kemac_keys,
                         encr_alg=encr_alg)
    return TransferResp(sealed, raw)


def read_transfer_resp(raw: bytes, init: TransferInit, decoded: Message | None = None
                       ) -> TransferResp:
    """Initiator: decode; the modifier (IDRr, RANDRkms) is then read to fork MPKr before
    ``verify_transfer_resp`` checks the copied HDR and V."""
    return TransferResp(_decode(raw, TRANSFER_RESP, decoded), raw)


def verify_transfer_resp(msg: TransferResp, init: TransferInit, *, mpk: bytes) -> TransferResp:
    """Initiator (4.2.2.4): check V (covers TRANSFER_RESP || TRANSFER_INIT) with MPKi or MPKr'."""
    randri, randrr = init.rand(RANDRI), msg.rand(RANDRR)
    _check(msg, key=mpk, request=init, randri=randri, randrr=randrr, clause="RFC 6043 4.2.2.3")
    kemac = None
    if msg.message.get("KEMAC") is not None:
        kemac = _open_kemac(msg, mpk, LabelPurpose.RESPONSE, randri, randrr)
    return TransferResp(msg.message, msg.raw, kemac)


# --------------------------------------------------------------------------------------------
# Ticket Resolve (RFC 6043 4.2.3; seed 002 B.2.2.3)


def build_resolve_init_psk(*, csb_id: int, prf_func: int, ts: tuple[int, int], randrr: bytes,
                           idrr: Identity, idrkms: Identity, ticket: Payload,
                           idrpsk: bytes | None, psk: bytes | None, mac_alg: int) -> ResolveInit:
    """RESOLVE_INIT_PSK = HDR, T, RANDRr, IDRr, IDRkms, TICKET, [IDRpsk], V (4.2.3.2).  On Ua
    IDRpsk holds the B-TID and ``psk`` is Ks_NAF (REQ-TKT-MSG-13).  With ``psk=None`` it is
    seed 002's KMS_R -> KMS_I message (B.2.2.3 step 6): V with the NULL MAC (REQ-TKT-MSG-12)."""
    if (psk is None) != (mac_alg == MAC_NULL):
        raise UsageError("the NULL MAC goes with psk=None (the Zk message) and only with it")
    hdr = _hdr(RESOLVE_INIT_PSK, csb_id=csb_id, prf_func=prf_func, v=1)
    body = [_t(*ts), _randr(RANDRR, randrr), idrr.payload(IDRR), idrkms.payload(IDRKMS), ticket]
    if idrpsk is not None:
        body.append(Identity(_BYTE_STRING, idrpsk).payload(IDRPSK))
    raw, sealed = _build(hdr, body, key=psk, mac_alg=mac_alg, randrr=randrr)
    return ResolveInit(sealed, raw)


def parse_resolve_init_psk(raw: bytes, *, psk_for: Callable[[bytes | None], bytes] | None,
                           kms_identity: Identity, responder_identity: Identity | None = None,
                           decoded: Message | None = None) -> ResolveInit:
    """KMS side of 4.2.3.4.  ``psk_for`` maps IDRpsk (the B-TID) to the PSK (Ks_NAF); pass None
    for a message received on Zk, which must then carry the NULL MAC (REQ-TKT-MSG-12)."""
    msg = ResolveInit(_decode(raw, RESOLVE_INIT_PSK, decoded), raw)
    psk_id = msg.identity(IDRPSK)
    psk = psk_for(psk_id.id_data if psk_id else None) if psk_for is not None else None
    _check(msg, key=psk, randrr=msg.rand(RANDRR),
           known={"IDRkms": kms_identity, "IDRr": responder_identity})
    return msg


def build_resolve_resp(init: ResolveInit, *, ts: tuple[int, int], idrkms: Identity,
                       keys: Sequence[Payload], psk: bytes | None, encr_alg: int, mac_alg: int,
                       idrr: Identity | None = None, randrkms: bytes | None = None
                       ) -> ResolveResp:
    """RESOLVE_RESP = HDR, T, IDRkms, KEMAC, [IDRr], [RANDRkms], V (4.2.3.5); keys = MPKi,
    [MPKr'], TEK/TGK'/GTGK.  With ``psk=None`` (answer on Zk, seed 002 B.2.2.3 step 10) the
    KEMAC is not enciphered and V has the NULL MAC."""
    if psk is None and (encr_alg != ENCR_NULL or mac_alg != MAC_NULL):
        raise UsageError("an unprotected RESOLVE_RESP uses NULL encryption and the NULL MAC")
    if psk is not None and mac_alg == MAC_NULL:
        raise UsageError("a RESOLVE_RESP protected with a PSK needs a MAC algorithm")
    body = [_t(*ts), idrkms.payload(IDRKMS), *_optional(idrr=idrr, randrkms=randrkms)]
    raw, sealed = _build(_copied_hdr(init, RESOLVE_RESP), body, key=psk, mac_alg=mac_alg,
                         request=init, randrr=init.rand(RANDRR), kemac_keys=keys,
                         encr_alg=encr_alg)
    return ResolveResp(sealed, raw)


def parse_resolve_resp(raw: bytes, init: ResolveInit, *, psk: bytes | None,
                       decoded: Message | None = None) -> ResolveResp:
    """Responder (4.2.3.6) or KMS_R on Zk (``psk=None``, seed 002 step 11): check V (covers
    RESOLVE_RESP || RESOLVE_INIT) and open the KEMAC."""
    msg = ResolveResp(_decode(raw, RESOLVE_RESP, decoded), raw)
    randrr = init.rand(RANDRR)
    protection = _protection_of(psk)
    kemac_payload = msg.message.get("KEMAC")
    kemac_alg = kemac_payload.fields["encr_alg"] if kemac_payload is not None else None
    if protection is Protection.UNPROTECTED and kemac_alg != ENCR_NULL:
        raise PolicyError("a RESOLVE_RESP on Zk must carry its KEMAC unencrypted (NULL): the "
                          "KMS-to-KMS messages are protected by Zk, not by a shared key",
                          requirement="REQ-TKT-MSG-12", mikey_error=UNSPECIFIED)
    _check(msg, key=psk, request=init, randrr=randrr, clause="RFC 6043 4.2.3.5")
    kemac = _open_kemac(msg, psk, LabelPurpose.RESPONSE, None, randrr)
    return ResolveResp(msg.message, raw, kemac)


# --------------------------------------------------------------------------------------------
# Error message (RFC 6043 5.4)


def build_error(failed: TicketMessage | Payload, *, ts: tuple[int, int], errors: Sequence[int],
                mac_alg: int | None = None, auth_key: bytes | None = None) -> ErrorMessage:
    """Error = HDR, T, (ERR), [V] (5.4): version, PRF func and CSB ID from the failed message's
    HDR, V = 0, #CS 0 / Empty map; the optional V uses the failed message's auth_key and covers
    the Error message only (Table 5.2)."""
    h = failed.hdr if isinstance(failed, TicketMessage) else failed.fields
    hdr = _hdr(ERROR, csb_id=h["csb_id"], prf_func=h["prf_func"], v=0)
    if not errors:
        raise UsageError("an Error message carries at least one ERR payload")
    body = [_t(*ts), *(Payload("ERR", {"error_no": e, "reserved": 0}) for e in errors)]
    if mac_alg is None:
        raw = _encode(hdr, body)
        return ErrorMessage(decode(raw), raw)
    raw, sealed = _seal(hdr, body, mac_alg, auth_key, _mac_input)
    return ErrorMessage(sealed, raw)


def parse_error(raw: bytes, *, auth_key: bytes | None = None) -> ErrorMessage:
    """Decode an Error message; if ``auth_key`` is given, a V must be present and correct."""
    msg = ErrorMessage(_decode(raw, ERROR), raw)
    if auth_key is not None:
        _verify(msg, MessageKeys(None, auth_key), _mac_input(raw, msg.message),
                Protection.PROTECTED)
    return msg
