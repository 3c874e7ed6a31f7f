"""The I_MESSAGE on the wire (RFC 6509 2.1) and its reading by the SEAL procedure model.

:func:`build_fields_message` lays out HDR (CSB-ID = SK-ID, or GUK-ID for a GMK), T (NTP-UTC),
RAND, the IDR payloads, SAKKE and an empty SIGN; the signer then signs
:func:`mckm.impl.codec.signed_portion` (every octet before the signature, the SIGN header
included, RFC 3830 5.2) and fills SIGN in.

Two IDR forms (``IdForm``):

* ``UID`` (the default, as deployed TS 33.180 systems send): IDR roles 8 / 9 carry the
  initiator's / responder's UID (32 octets, ID type 1 as the vendor sends), roles 6 / 7 the KMS
  URIs.  The receiver takes the initiator's URI from the signalling (SIP From) and its own URI,
  and uses them only when their UIDs for the key period of T equal the IDR values;
* ``URI`` (the seed's wording, RFC 6509 4.4): IDRi / IDRr (roles 1 / 2) carry the URIs.

:class:`IMessageView` is the adapter the engine reads (``name``, ``get(field)`` for the
fields of ``MessageSpec`` I_MESSAGE, mapped by its ``paths``).  A field the message does not
carry unambiguously reads as None, which the engine refuses as missing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mckm.impl.codec import Message, Payload, decode, encode
from mckm.impl.engine.messages import FieldsView
from mckm.impl.errors import MckmError
from mckm.models.procedures.seal_key_distribution import I_MESSAGE

NAME = I_MESSAGE.name
#: RFC 3830 6.1 / RFC 6509 4.1
VERSION, DATA_TYPE_SAKKE, PRF_MIKEY_1 = 1, 26, 1
#: CS ID map type "Empty map" (RFC 4563): SEAL keys are not bound to SRTP crypto sessions here
EMPTY_MAP = 1
#: RFC 3830 6.6 TS types: NTP-UTC, NTP (both 64-bit NTP format)
NTP_UTC, NTP = 0, 1
#: ID roles: RFC 6043 6.6, RFC 6509 4.4, TS 33.180 (vendor)
IDRI, IDRR, IDRKMSI, IDRKMSR, UID_OF_INITIATOR, UID_OF_RESPONDER = 1, 2, 6, 7, 8, 9
ID_TYPE_URI = 1
#: RFC 6509 4.2 / 4.3
SAKKE_PARAMS_1, S_TYPE_ECCSI = 1, 2


class IdForm(enum.Enum):
    UID = "uid"  # TS 33.180: UIDs in IDR roles 8/9 (default)
    URI = "uri"  # RFC 6509 / seed: URIs in IDRi/IDRr


@dataclass(frozen=True)
class SakkeBlob:
    """The SAKKE payload as the model's ``sakke`` field: parameter set, ID scheme and the
    encapsulated data R || H (RFC 6509 4.2)."""

    params: int
    id_scheme: int
    data: bytes

    def __repr__(self) -> str:
        return f"SakkeBlob(params={self.params}, id_scheme={self.id_scheme}, {len(self.data)} B)"


def _idr(role: int, data: bytes) -> Payload:
    return Payload("IDR", {"id_role": role, "id_type": ID_TYPE_URI, "id_data": data})


def build_message(*, csb_id: int, t: int, rand: bytes, idr: list[Payload], sakke: SakkeBlob,
                  signature: bytes) -> Message:
    """An I_MESSAGE (RFC 6509 2.1) with the given payloads; ``t`` in NTP seconds."""
    hdr = Payload("HDR", {"version": VERSION, "data_type": DATA_TYPE_SAKKE, "v": 0,
                          "prf_func": PRF_MIKEY_1, "csb_id": csb_id, "n_cs": 0,
                          "cs_id_map_type": EMPTY_MAP, "cs_id_map_info": None})
    payloads = [
        Payload("T", {"ts_type": NTP_UTC, "ts_value": t << 32}),
        Payload("RAND", {"rand": rand}),
        *idr,
        Payload("SAKKE", {"sakke_params": sakke.params, "id_scheme": sakke.id_scheme,
                          "sakke_data": sakke.data}),
        Payload("SIGN", {"s_type": S_TYPE_ECCSI, "signature": signature}),
    ]
    return Message(hdr, payloads)


def idr_payloads(form: IdForm, *, initiator: bytes, responder: bytes, kms_i: str, kms_r: str
                 ) -> list[Payload]:
    """IDR payloads of ``form``: ``initiator``/``responder`` are UIDs (UID form) or URIs as
    UTF-8 (URI form)."""
    roles = (UID_OF_INITIATOR, UID_OF_RESPONDER) if form is IdForm.UID else (IDRI, IDRR)
    return [_idr(roles[0], initiator), _idr(roles[1], responder),
            _idr(IDRKMSI, kms_i.encode()), _idr(IDRKMSR, kms_r.encode())]


UidOf = Callable[[str, int], bytes]  # (uri, NTP time of T) -> UID


class IMessageView(FieldsView):
    """A decoded I_MESSAGE read through ``MessageSpec`` I_MESSAGE (see module docstring).

    ``initiator_uri`` / ``responder_uri`` are what the signalling says (SIP From / the
    receiver's own URI); they are needed for the UID form.  ``uid_of`` computes the UID of a
    URI at the time of T with the receiving user's community.
    """

    __slots__ = ("message", "notes", "raw")

    name = NAME

    def __init__(self, message: Message, raw: bytes, *, uid_of: UidOf,
                 initiator_uri: str | None = None, responder_uri: str | None = None) -> None:
        self.message = message
        self.raw = bytes(raw)
        self.notes: list[str] = []
        t = self._time()
        self._fields: dict[str, Any] = {
            "csb_id": message.hdr.fields.get("csb_id"),
            "t": t,
            "rand": self._one("RAND", "rand"),
            "idri": self._identity(IDRI, UID_OF_INITIATOR, initiator_uri, t, uid_of),
            "idrr": self._identity(IDRR, UID_OF_RESPONDER, responder_uri, t, uid_of),
            "idrkmsi": self._text(self._idr(IDRKMSI)),
            "sakke": self._sakke(),
            "sign": self._signature(),
        }

    @classmethod
    def from_bytes(cls, raw: bytes, **kwargs: Any) -> IMessageView:
        """Decode (DecodeError on bad input) and adapt."""
        return cls(decode(bytes(raw)), raw, **kwargs)

    @property
    def signed_portion(self) -> bytes:
        return self.message.signed_portion

    def __repr__(self) -> str:
        return f"IMessageView({len(self.raw)} octets, csb_id={self._fields['csb_id']!r})"

    # -- readers
    def _one(self, payload: str, field: str) -> Any:
        found = self.message.all(payload)
        return found[0].fields.get(field) if len(found) == 1 else None

    def _time(self) -> int | None:
        found = self.message.all("T")
        if len(found) != 1 or found[0].ts_type not in (NTP_UTC, NTP):
            return None
        return int(found[0].ts_value) >> 32

    def _idr(self, role: int) -> bytes | None:
        found = [p for p in self.message.all("IDR") if p.id_role == role]
        return bytes(found[0].id_data) if len(found) == 1 else None

    @staticmethod
    def _text(data: bytes | None) -> str | None:
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def _identity(self, uri_role: int, uid_role: int, signalled: str | None, t: int | None,
                  uid_of: UidOf) -> str | None:
        uri = self._text(self._idr(uri_role))
        uid = self._idr(uid_role)
        if uid is None:
            return uri
        if uri is None:
            uri = signalled
        if uri is None or t is None:
            self.notes.append(f"IDR role {uid_role} UID {uid.hex()} and no URI to match it")
            return f"uid:{uid.hex()}"
        try:
            matches = uid_of(uri, t) == uid
        except MckmError as exc:  # an underivable UID (e.g. no tel URI) is a mismatch
            self.notes.append(f"UID of {uri!r}: {exc}")
            matches = False
        if not matches:
            self.notes.append(f"IDR role {uid_role} UID {uid.hex()} is not the UID of {uri!r}")
            return f"uid:{uid.hex()}"  # an identity nobody's signature or key belongs to
        return uri

    def _sakke(self) -> SakkeBlob | None:
        found = self.message.all("SAKKE")
        if len(found) != 1:
            return None
        p = found[0]
        return SakkeBlob(int(p.sakke_params), int(p.id_scheme), bytes(p.sakke_data))

    def _signature(self) -> bytes | None:
        p = self.message.get("SIGN")
        if p is None or p.s_type != S_TYPE_ECCSI:
            return None
        return bytes(p.signature)


def encode_message(message: Message) -> bytes:
    return bytes(encode(message))
