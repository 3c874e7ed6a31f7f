"""The I_MESSAGE of the SEAL model on the wire: the converters its ``MessageSpec`` leaves to the
role, and the generic view and builder bound to them (RFC 6509 2.1; TS 33.180 E.1).

Where each field lives, the payload order and what SIGN covers are declared once, in
``seal_key_distribution.I_MESSAGE``; :mod:`mckm.impl.engine.wire` reads and writes by it.  What
is left here needs the role's context:

* the identities: IDRi / IDRr (roles 1 / 2) carry URIs (RFC 6509 4.4, the seed's ``URI`` form);
  deployed TS 33.180 systems send the UIDs in roles 8 / 9 (``UID`` form, the default) and the
  receiver takes the URIs from the signalling (SIP From) and its own URI, using them only when
  their UIDs for the key period of T equal the IDR values; otherwise the field reads
  ``uid:<hex>``, an identity nobody's key belongs to;
* the SAKKE payload as a :class:`SakkeBlob` (RFC 6509 4.2).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mckm.impl.codec import Message, decode
from mckm.impl.engine.wire import Bound, WireView, covered
from mckm.impl.errors import MckmError
from mckm.models.grammar.namespaces import SAKKE_PARAMS
from mckm.models.grammar.wire import OnPath, utf8_text
from mckm.models.procedures.seal_key_distribution import I_MESSAGE

NAME = I_MESSAGE.name
SAKKE_PARAMS_1 = SAKKE_PARAMS.value_of("Parameter Set 1")
#: RFC 6507 3.3: r || s || PVT for P-256
SIGNATURE_OCTETS = 129


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


UidOf = Callable[[str, int], bytes]  # (uri, NTP time of T) -> UID


def _identity(signalled: str) -> Callable[[tuple[Any, ...], WireView], Any]:
    def read(values: tuple[Any, ...], view: WireView) -> str | None:
        uri_octets, uid = values
        uri = utf8_text(uri_octets)
        if uid is None:
            return uri
        uid = bytes(uid)
        uri = uri or view.context.get(signalled)
        t = view.get("t")
        if uri is None or t is None:
            return f"uid:{uid.hex()}"
        try:
            matches = view.context["uid_of"](uri, t) == uid
        except MckmError:  # an underivable UID (e.g. no tel URI) is a mismatch
            matches = False
        return uri if matches else f"uid:{uid.hex()}"
    return read


def _write_identity(value: Any) -> Any:
    """A URI is written in IDRi/IDRr; a UID (octets) in role 8/9 (TS 33.180 E.1)."""
    return OnPath(1, bytes(value)) if isinstance(value, bytes) else str(value).encode("utf-8")


def _sakke(values: tuple[Any, ...], _view: WireView) -> SakkeBlob | None:
    p = values[0]
    return None if p is None else SakkeBlob(int(p.sakke_params), int(p.id_scheme),
                                            bytes(p.sakke_data))


def _write_sakke(blob: SakkeBlob) -> dict[str, Any]:
    return {"sakke_params": blob.params, "id_scheme": blob.id_scheme, "sakke_data": blob.data}


#: the converters the I_MESSAGE spec leaves to the role
BOUND: Bound = {
    "initiator URI or UID": (_identity("initiator_uri"), _write_identity),
    "responder URI or UID": (_identity("responder_uri"), _write_identity),
    "SAKKE payload": (_sakke, _write_sakke),
}


class IMessageView(WireView):
    """A decoded I_MESSAGE read through ``I_MESSAGE`` (see module docstring).
    ``initiator_uri`` / ``responder_uri`` are what the signalling says; ``uid_of`` computes
    the UID of a URI at the time of T with the receiving user's community."""

    __slots__ = ()

    def __init__(self, message: Message, raw: bytes, *, uid_of: UidOf,
                 initiator_uri: str | None = None, responder_uri: str | None = None) -> None:
        super().__init__(I_MESSAGE, message, raw, bound=BOUND, context={
            "uid_of": uid_of, "initiator_uri": initiator_uri, "responder_uri": responder_uri})

    @classmethod
    def from_bytes(cls, raw: bytes, **kwargs: Any) -> IMessageView:
        """Decode (DecodeError on bad input) and adapt."""
        return cls(decode(bytes(raw)), raw, **kwargs)

    @property
    def signed_portion(self) -> bytes:
        """What SIGN covers, as the spec's ``Integrity`` declares (RFC 3830 5.2)."""
        assert I_MESSAGE.layout is not None and I_MESSAGE.layout.integrity is not None
        return covered(I_MESSAGE.layout.integrity, self.raw, self.message)

    def __repr__(self) -> str:
        return f"IMessageView({len(self.raw)} octets, csb_id={self._fields['csb_id']!r})"
