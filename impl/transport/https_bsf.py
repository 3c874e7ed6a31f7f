"""A small HTTPS Zn service of the BSF (TS 33.220 4.5.3 NAF-key request), over mutual TLS.

The KMS acts as a NAF (seed 002 4.2.4) and fetches Ks_NAF and the USS for a B-TID from the
BSF.  TS 33.220 asks that Zn be protected (NDS/IP); mckm uses the same mutual TLS as Zk
(:class:`~mckm.impl.transport.https_ticket.DomainTrust`).  The wire format is a project
decision (TS 29.109's Diameter/SOAP Zn is not modelled): ``POST /zn`` with a JSON object
``{"btid": str, "naf_id": hex}``, answered ``200`` with ``{"ks_naf": hex, "expires_at":
seconds, "impi": str, "public_identities": [str]}``; an unknown or expired B-TID is the
status of the BSF's PolicyError (404).  Bodies are never logged (Ks_NAF is a secret).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from mckm.impl.errors import DecodeError, MckmError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import Bsf, NafKeyAnswer, UserSecuritySettings
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.https_ticket import (
    DomainTrust,
    HttpsClient,
    HttpsEndpoint,
)
from mckm.impl.transport.ticket_http import (
    HttpRefusal,
    PeerIdentity,
    TicketHttpResponse,
    refusal_for,
)

ZN_PATH = "/zn"
JSON_CONTENT_TYPE = "application/json"


def _field(obj: Mapping[str, Any], name: str, kind: type) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DecodeError(f"field {name!r} must be a {kind.__name__}", payload="Zn",
                          field=name)
    return value


def parse_zn_request(body: bytes) -> tuple[str, bytes]:
    """(B-TID, NAF_Id) of a Zn request body; DecodeError names what is wrong."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise DecodeError(f"not JSON: {error}", payload="Zn") from None
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object", payload="Zn")
    b_tid = _field(obj, "btid", str)
    try:
        naf_id = bytes.fromhex(_field(obj, "naf_id", str))
    except ValueError:
        raise DecodeError("naf_id must be hex", payload="Zn", field="naf_id") from None
    return b_tid, naf_id


def zn_app(bsf: Bsf, clock: Callable[[], float] = time.time) -> Callable[..., TicketHttpResponse]:
    """The Zn application: only ``POST /zn`` from an authenticated NAF."""

    def app(method: str, target: str, headers: Mapping[str, str], body: bytes,
            peer: PeerIdentity | None, peer_problem: str | None) -> TicketHttpResponse:
        if target != ZN_PATH:
            return TicketHttpResponse.refusal(404, "no such resource")
        if method != "POST":
            return TicketHttpResponse.refusal(405, "use POST", (("Allow", "POST"),))
        if peer is None:
            return TicketHttpResponse.refusal(403, f"Zn needs an authenticated NAF: "
                                              f"{peer_problem or 'no peer'}")
        try:
            b_tid, naf_id = parse_zn_request(body)
            answer = bsf.lookup(b_tid, naf_id, now=clock())
        except MckmError as error:
            return refusal_for(error)
        payload = {"ks_naf": answer.ks_naf.reveal().hex(), "expires_at": answer.expires_at,
                   "impi": answer.impi, "public_identities": list(answer.uss.public_identities)}
        return TicketHttpResponse(200, json.dumps(payload).encode(), JSON_CONTENT_TYPE)

    return app


def bsf_endpoint(bsf: Bsf, identity: TlsIdentity, trust: DomainTrust, *,
                 host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], float] = time.time) -> HttpsEndpoint:
    """A running-to-be BSF Zn endpoint (mutual TLS with the NAF domains of ``trust``)."""
    return HttpsEndpoint(zn_app(bsf, clock), identity, trust=trust, host=host, port=port,
                         name="bsf-zn")


class BsfClient(HttpsClient):
    """The NAF (KMS) side of Zn."""

    def lookup(self, b_tid: str, naf_id: bytes) -> NafKeyAnswer:
        """Ks_NAF and USS for ``b_tid`` at ``naf_id``; HttpRefusal for a refusal (its status
        is the BSF's, e.g. 404 for an unknown B-TID), DecodeError for a malformed answer."""
        body = json.dumps({"btid": b_tid, "naf_id": naf_id.hex()}).encode()
        answer = self.exchange("POST", ZN_PATH, body, {"Content-Type": JSON_CONTENT_TYPE})
        if answer.status != 200:
            raise HttpRefusal(answer.status, answer.body, answer.content_type)
        try:
            obj = json.loads(answer.body)
            ks_naf = bytes.fromhex(_field(obj, "ks_naf", str))
            identities = _field(obj, "public_identities", list)
            if not all(isinstance(i, str) for i in identities):
                raise DecodeError("public_identities must be strings", payload="Zn")
            expires = obj.get("expires_at")
            if not isinstance(expires, int | float) or isinstance(expires, bool):
                raise DecodeError("expires_at must be a number", payload="Zn",
                                  field="expires_at")
            return NafKeyAnswer(Secret(ks_naf), float(expires), _field(obj, "impi", str),
                                UserSecuritySettings(tuple(identities)))
        except (ValueError, AttributeError) as error:
            if isinstance(error, DecodeError):
                raise
            raise DecodeError(f"malformed Zn answer: {type(error).__name__}",
                              payload="Zn") from None
