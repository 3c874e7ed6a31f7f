"""The I_MESSAGE of the SEAL model on the wire: the identity converter its ``MessageSpec``
leaves to the role, and the generic view bound to it (RFC 6509 2.1, 4.4; TS 33.180 E.1).

Field paths, payload order, the SAKKE payload and what SIGN covers are declared once, in
``seal_key_distribution.I_MESSAGE``; :mod:`mckm.impl.engine.wire` reads and writes by it.  The
identities need the role's context: IDRi / IDRr (roles 1 / 2) carry URIs (RFC 6509 4.4, the
seed's ``URI`` form); deployed TS 33.180 systems send the UIDs in roles 8 / 9 (``UID`` form, the
default) and the receiver takes the URIs from the signalling (SIP From) and its own URI, using
them only when their UIDs for the key period of T equal the IDR values; otherwise the field
reads ``uid:<hex>``, an identity nobody's key belongs to.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from mckm.impl.codec import decode
from mckm.impl.engine.wire import Bound, Reader, WireView
from mckm.impl.errors import MckmError
from mckm.models.grammar.wire import OnPath, utf8_text
from mckm.models.procedures.seal_key_distribution import I_MESSAGE


class IdForm(enum.Enum):
    """How an I_MESSAGE names its initiator and receiver: by UID (IDR roles 8/9, TS 33.180 E.7)
    or by URI (IDRi / IDRr, RFC 6509)."""

    UID = "uid"  # TS 33.180: UIDs in IDR roles 8/9 (default)
    URI = "uri"  # RFC 6509 / seed: URIs in IDRi/IDRr


UidOf = Callable[[str, int], bytes]  # (uri, NTP time of T) -> UID


def _identity(signalled: str) -> Reader:
    def read(values: tuple[Any, ...], view: WireView) -> str | None:
        uri, uid = utf8_text(values[0]), values[1]
        if uid is None:
            return uri
        uri, t = uri or view.context.get(signalled), view.get("t")
        try:
            matches = uri is not None and t is not None and view.context["uid_of"](uri, t) == uid
        except MckmError:  # an underivable UID (e.g. no tel URI) is a mismatch
            matches = False
        return uri if matches else f"uid:{bytes(uid).hex()}"
    return read


def _write_identity(value: Any) -> Any:
    """A URI is written in IDRi/IDRr; a UID (octets) in role 8/9 (TS 33.180 E.1)."""
    return OnPath(1, bytes(value)) if isinstance(value, bytes) else str(value).encode("utf-8")


BOUND: Bound = {"initiator URI or UID": (_identity("initiator_uri"), _write_identity),
                "responder URI or UID": (_identity("responder_uri"), _write_identity)}


def read_imessage(raw: bytes, *, uid_of: UidOf, initiator_uri: str | None = None,
                  responder_uri: str | None = None) -> WireView:
    """Decode (DecodeError on bad input) and read an I_MESSAGE; ``initiator_uri`` /
    ``responder_uri`` are what the signalling says, ``uid_of`` the UID of a URI at time T."""
    return WireView(I_MESSAGE, decode(bytes(raw)), raw, bound=BOUND, context={
        "uid_of": uid_of, "initiator_uri": initiator_uri, "responder_uri": responder_uri})
