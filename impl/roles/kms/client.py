"""The key management client of TS 33.180 Annex D as the ``client`` role of the SKM-S model.

:class:`ProvisioningClient` builds a request (:func:`~.service.decode_request` reads it back into
the model's message, so what the client sends is what the KMS decodes), and accepts a response
only through the model's client step: the guards verify the InK signature, the addressing and
the TrK-ID (REQ-SKMS-32..34), that the response is the answer the request asked for with no
KmsError (REQ-SKMS-36), and for key sets unwrap and validate every key before the
``client.accept`` effect hands anything out (effects refuse nothing).  No sockets: the caller
moves the bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.engine import DictMessage, EffectContext, EffectRegistry, Emit, RoleMachine, Send
from mckm.impl.errors import DecodeError, UsageError, VerifyError
from mckm.impl.roles.kms import messages
from mckm.impl.roles.kms.model import TransportKeys, UserKeySet
from mckm.impl.roles.kms.service import HttpRequest, answer_of, decode_request, resource_path
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.verdict import YES, Verdict


@dataclass
class ClientFacts:
    """The facts the client's guards read: the ``SkmsClientFacts`` protocol generated from
    the declarations (``SKMS_CLIENT_PREDICATES``); the KMS side is ``service.KmsFacts``."""

    user_uri: str
    transport: TransportKeys
    checks: messages.KeyChecks | None
    _key_sets: dict[bytes, tuple[UserKeySet, ...] | Verdict] = field(default_factory=dict)

    def _signed(self, message: Any) -> Any:
        """The KmsResponse element the InK signature covers; a Verdict saying why not."""
        document = message.get("document")
        if not isinstance(document, bytes):
            return Verdict.no("no response document")
        root = messages.parse_document(document)
        verdict = messages.check_signature(
            root, "KmsResponse", {self.transport.ink_id: self.transport.ink.reveal()})
        return verdict.element if verdict.holds else Verdict.no(verdict.reason)

    def response_signed_by(self, message: Any, key_id: Any) -> Verdict:
        if key_id != self.transport.ink_id or message.get("signature_id") != key_id:
            return Verdict.no(f"Signature-ID {message.get('signature_id')!r} is not this "
                              "client's InK")
        signed = self._signed(message)
        if isinstance(signed, Verdict):
            return signed
        # the fields the guards read next must be those of the signed element
        if (messages.child_text(signed, "UserUri"), messages.child_text(signed, "KmsUri"),
                messages.child_text(signed, "ClientReqUrl"), answer_of(signed)) != (
                message.get("user_uri"), message.get("kms_uri"), message.get("client_req_url"),
                message.get("answer")):
            return Verdict.no("the fields read are not those of the signed KmsResponse")
        return YES

    def _read_key_sets(self, message: Any) -> tuple[UserKeySet, ...] | Verdict:
        """The key sets of a signed KmsKeyProv, read and validated once per document, or the
        verdict saying why not."""
        document = message.get("document")
        if document not in self._key_sets:
            if self.checks is None:
                raise UsageError("a keyprov client needs KeyChecks (the KMS certificate)")
            signed = self._signed(message)
            if isinstance(signed, Verdict):
                self._key_sets[document] = signed
                return signed
            try:
                body = messages.message_body(signed)
                self._key_sets[document] = tuple(
                    messages.read_key_set(e, self.user_uri, self.transport, self.checks)
                    for e in messages.children(body, "KmsKeySet"))
            except (VerifyError, DecodeError) as exc:
                self._key_sets[document] = Verdict.no(str(exc))
        return self._key_sets[document]

    def key_sets_valid(self, message: Any) -> Verdict:
        """Every key set is this client's, unwraps under its TrK and validates (RFC 6507
        5.1.2, RFC 6508 6.1.2); the verdict names the first that does not."""
        got = self._read_key_sets(message)
        return got if isinstance(got, Verdict) else YES

    def key_sets(self, message: Any) -> tuple[UserKeySet, ...]:
        """The validated key sets of ``message`` (none if they do not validate: a model
        without the guard ``key-sets-valid`` hands out nothing it could not check)."""
        got = self._read_key_sets(message)
        return () if isinstance(got, Verdict) else got


def _facts(ctx: EffectContext) -> ClientFacts:
    facts = ctx.facts
    if not isinstance(facts, ClientFacts):
        raise UsageError("the client effects need ClientFacts")
    return facts


def _build_request(ctx: EffectContext) -> None:
    """params: ``base_url``, ``token``, ``body`` (0 none, 1 KmsRequest, 2 SignedKmsRequest),
    and the path options ``user_uri``, ``ntp_time``, ``cache_num``, ``kms_uri``."""
    p = ctx.params
    resource = next(k for k, (req, _) in skm_s.RESOURCES.items() if req == ctx.step.message)
    if resource == "keyprov":
        path = resource_path(resource, p.get("user_uri"), p.get("ntp_time"))
    elif resource == "certcache":
        path = resource_path(resource, cache_num=p.get("cache_num"))
    elif resource == "cert":
        path = resource_path(resource, kms_uri=p.get("kms_uri", ctx.var("kms_uri")))
    else:
        path = resource_path(resource)
    url = p["base_url"] + path
    facts = _facts(ctx)
    body = b""
    if p.get("body", skm_s.BODY_NONE) != skm_s.BODY_NONE:
        body = messages.build_request(facts.user_uri, ctx.var("kms_uri"), ctx.now, url,
                                      facts.transport,
                                      signed=p["body"] == skm_s.BODY_SIGNED)
    headers = {"authorization": "Bearer " + p["token"]} if p.get("token") else {}
    http = HttpRequest(p.get("method", "POST"), path, headers, body)
    for name, value in decode_request(http, p["base_url"]).items():
        ctx.set_field(name, value)
    ctx.set_var("request_url", url)
    ctx.scratch["http"] = http


def _accept(ctx: EffectContext) -> None:
    """Hand out what the verified response carries (the guards checked it is the answer asked
    for, REQ-SKMS-36): the key sets the guard ``key-sets-valid`` read, or the certificates
    the codec read; the outcome is the document's digest.  Refuses nothing."""
    assert ctx.message is not None
    facts = _facts(ctx)
    document = ctx.message.get("document")
    if ctx.step.message == "KEYPROV_RESPONSE":
        ctx.emit("key_sets", facts.key_sets(ctx.message))
    else:  # KmsInit or KmsCertCache
        ctx.emit("certificates", ctx.message.get("_certificates") or ())
    ctx.emit("answered", hashlib.sha256(document).hexdigest())


CLIENT_EFFECTS = EffectRegistry({"client.build_request": _build_request,
                                 "client.accept": _accept})


def client_machine(user_uri: str, kms_uri: str, transport: TransportKeys,
                   checks: messages.KeyChecks | None,
                   procedure: Procedure = skm_s.PROCEDURE) -> RoleMachine:
    """A ``client`` machine for one request/response (of a mutant of the model only in the
    tests that replay the proofs' counterexamples)."""
    return RoleMachine(
        procedure, "client",
        vars={"uri": user_uri, "kms_uri": kms_uri, "ink_id": transport.ink_id,
              "trk_id": transport.trk_id, "request_url": ""},
        facts=ClientFacts(user_uri, transport, checks), effects=CLIENT_EFFECTS,
        message_factory=DictMessage)


@dataclass
class ProvisioningClient:
    """One user's key management client of one KMS (sans-IO: :meth:`request` gives the HTTP
    request to send, :meth:`response` takes the answer's octets)."""

    user_uri: str
    kms_uri: str
    transport: TransportKeys
    base_url: str
    checks: messages.KeyChecks | None = None
    procedure: Procedure = skm_s.PROCEDURE
    _machine: RoleMachine | None = None

    def request(self, resource: str, *, token: str, now: int, body: int = skm_s.BODY_NONE,
                options: Mapping[str, Any] | None = None) -> HttpRequest:
        self._machine = client_machine(self.user_uri, self.kms_uri, self.transport,
                                       self.checks, self.procedure)
        request_name, _ = skm_s.RESOURCES[resource]
        params = {"base_url": self.base_url, "token": token, "body": body, **(options or {})}
        actions = self._machine.send(request_name, now=now, params=params)
        sent = next(a for a in actions if isinstance(a, Send))
        message = sent.message
        headers = {"authorization": "Bearer " + token} if token else {}
        return HttpRequest(str(message.get("method")),
                           str(message.get("url"))[len(self.base_url):], headers,
                           message.get("_document") or b"")

    def response(self, resource: str, document: bytes, *, now: int) -> dict[str, Any]:
        """Feed the response octets to the client step; the emitted values by name."""
        if self._machine is None:
            raise UsageError("no request is outstanding: call request() first")
        from mckm.impl.roles.kms.service import decode_response

        _, response_name = skm_s.RESOURCES[resource]
        actions = self._machine.feed(decode_response(response_name, document), now=now)
        return {a.name: a.value for a in actions if isinstance(a, Emit)}
