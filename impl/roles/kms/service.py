"""The KMS's request handling of TS 33.180 Annex D.2: the model ``skm_s`` run by the engine.

Resources (TS 33.180 D.2, all POST, under ``/keymanagement/identity/v1``):

====================================  ==============  ==========================================
path                                  response        meaning
====================================  ==============  ==========================================
``/init``                             KmsInit         the Root KMS certificate
``/keyprov``                          KmsKeyProv      key sets of the current and next period
``/keyprov/<uri>``                    KmsKeyProv      the same, naming the user (must be the
                                                      token's MC ID)
``/keyprov/<uri>/<16 hex NTP time>``  KmsKeyProv      the key set of the period holding the time
``/certcache[/<cache number>]``       KmsCertCache    the external KMS certificates (none here)
``/cert/<KMS URI>``                   KmsCertCache    one KMS certificate (this KMS's own)
====================================  ==============  ==========================================

:func:`decode_request` is the codec of a request (path syntax and body schema: a DecodeError,
400); :class:`KmsService` feeds the decoded message to a :class:`RoleMachine` of the ``kms``
role of :data:`~mckm.models.procedures.skm_s.PROCEDURE`.  Every refusal is the model's: a guard
(with its requirement and HTTP status), the unexpected-message refusal (404), or the codec's
DecodeError (400).  The effects below compute and store; they never refuse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from mckm.impl.engine import (
    DictMessage,
    EffectContext,
    EffectRegistry,
    RoleMachine,
    Send,
    StepRefused,
)
from mckm.impl.errors import DecodeError, MckmError, UsageError
from mckm.impl.roles.kms import messages
from mckm.impl.roles.kms.access_token import AccessToken, TokenFacts, TokenVerifier
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsCertificate, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.models.grammar.kms_xml import EXT_NS
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.verdict import YES, Verdict

BASE_PATH = "/keymanagement/identity/v1"
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NTP64 = re.compile(r"[0-9A-Fa-f]{16}")
REQUEST_PAYLOAD = "KmsRequest"


@dataclass(frozen=True)
class HttpRequest:
    """What the transport hands the role: method, path, lower-cased headers, body, and the
    query string (without ``?``; part of the request URL the model reads, RFC 3986 3.4)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""
    query: str = ""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Resource:
    """A parsed request path; ``kind`` is a D.2 resource name, or another name (not served)."""

    kind: str
    user_uri: str | None = None
    ntp_time: int | None = None
    cache_num: int | None = None
    kms_uri: str | None = None


def _bad_path(reason: str) -> DecodeError:
    return DecodeError(f"{reason} (TS 33.180 D.2, REQ-SKMS-03)", payload="request path")


def _decoded_option(text: str, what: str) -> str:
    if _PERCENT.search(text):
        raise _bad_path(f"the {what} has a malformed percent-encoding")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as exc:
        raise _bad_path(f"the {what} is not UTF-8 once percent-decoded") from exc


def parse_path(path: str) -> Resource:
    """The resource a path names (TS 33.180 D.2); DecodeError for a path that breaks the
    option syntax of a served resource.  A resource that is not served parses (its name is
    not in the model's table: the engine refuses it as unexpected, 404)."""
    if not path.startswith(BASE_PATH + "/"):
        return Resource("")
    segments = path[len(BASE_PATH) + 1:].split("/")
    name, options = segments[0], segments[1:]
    if name not in skm_s.RESOURCES:
        return Resource(name)
    if any(not option for option in options):
        raise _bad_path("empty path segment")  # the path is not echoed: it may hold secrets
    if name == "init":
        if options:
            raise _bad_path("/init takes no options")
        return Resource("init")
    if name == "certcache":
        if len(options) > 1 or (options and not options[0].isdigit()):
            raise _bad_path("/certcache takes at most one option, a decimal cache number")
        return Resource("certcache", cache_num=int(options[0]) if options else None)
    if name == "cert":
        if len(options) != 1:
            raise _bad_path("/cert takes one option, a KMS URI")
        return Resource("cert", kms_uri=_decoded_option(options[0], "KMS URI"))
    if len(options) > 2:
        raise _bad_path("/keyprov takes at most a user URI and a time")
    user_uri = _decoded_option(options[0], "user URI") if options else None
    ntp_time = None
    if len(options) == 2:
        if not _NTP64.fullmatch(options[1]):
            raise _bad_path("the time must be a 64-bit NTP-UTC value as 16 hex digits")
        ntp_time = int(options[1], 16)
    return Resource("keyprov", user_uri=user_uri, ntp_time=ntp_time)


def resource_path(kind: str, user_uri: str | None = None, ntp_time: int | None = None,
                  cache_num: int | None = None, kms_uri: str | None = None) -> str:
    """The request path of a resource (the inverse of :func:`parse_path`), for clients."""
    path = f"{BASE_PATH}/{kind}"
    if user_uri is not None:
        path += "/" + quote(user_uri, safe="")
        if ntp_time is not None:
            path += f"/{ntp_time:016X}"
    elif cache_num is not None:
        path += f"/{cache_num}"
    elif kms_uri is not None:
        path += "/" + quote(kms_uri, safe="")
    return path


def _read_body(body: bytes) -> dict[str, Any]:
    """The KmsRequest fields of a request body (D.2.2), schema-validated (REQ-SKMS-26)."""
    absent = skm_s.ABSENT
    out: dict[str, Any] = {"body": skm_s.BODY_NONE, "body_user": absent, "body_kms": None,
                           "body_url": None, "body_time": None, "_document": b""}
    if not body.strip():
        return out
    root = messages.parse_document(body, REQUEST_PAYLOAD)
    if root.tag == messages.qname("SignedKmsRequest"):
        request, kind = messages.child(root, "KmsRequest", payload=REQUEST_PAYLOAD), 2
    elif root.tag == messages.qname("KmsRequest"):
        request, kind = root, 1
    else:
        raise DecodeError("the request body is not a KmsRequest or SignedKmsRequest "
                          "(TS 33.180 D.2.2)", payload=REQUEST_PAYLOAD, field=root.tag)
    for name in ("TrK-ID", "Signature-ID"):  # D.3.5.3: "a maximum occurance of one"
        messages.optional_text(request, name, EXT_NS, REQUEST_PAYLOAD)
    out.update(body=kind, _document=body,
               body_user=messages.child_text(request, "UserUri", payload=REQUEST_PAYLOAD),
               body_kms=messages.child_text(request, "KmsUri", payload=REQUEST_PAYLOAD),
               body_url=messages.child_text(request, "ClientReqUrl", payload=REQUEST_PAYLOAD),
               body_time=messages.parse_datetime(
                   messages.child_text(request, "Time", payload=REQUEST_PAYLOAD), "Time",
                   REQUEST_PAYLOAD))
    return out


def _query_token(query: str) -> str | None:
    """The ``access_token`` URI query parameter (RFC 6750 2.3), percent-decoded, or None."""
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if unquote(name) == "access_token":
            return unquote(value)
    return None


def _bearer_token(request: HttpRequest) -> str:
    """The bearer token the request presents (RFC 6750 2): an ``access_token`` query parameter
    if there is one (2.3; the URL then mentions it, and the guard ``token-not-in-url`` refuses
    it, REQ-SKMS-23), else the ``Authorization: Bearer`` credentials (2.1), else absent."""
    in_query = _query_token(request.query) if request.query else None
    if in_query:
        return in_query
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else skm_s.ABSENT


#: the message name of a request for a resource the model does not serve: fixed, because the
#: path segment may be anything a client typed (a token, a user URI) and the refusal names it
NOT_SERVED = "not served: unknown resource"


def decode_request(request: HttpRequest, base_url: str) -> DictMessage:
    """The model message of an HTTP request: its name from the resource, its fields from the
    request URL (with its query), the bearer token and the KmsRequest body (a DecodeError if
    they break the D.2 path syntax or the D.3.5 schema)."""
    resource = parse_path(request.path)
    names = skm_s.RESOURCES.get(resource.kind)
    query = "?" + request.query if request.query else ""
    fields: dict[str, Any] = {
        "method": request.method or "?",
        "url": base_url + request.path + query,
        "token": _bearer_token(request),
        "path_user": resource.user_uri if resource.user_uri is not None else skm_s.ABSENT,
        **_read_body(request.body),
    }
    if resource.kind == "keyprov":
        fields["time"] = resource.ntp_time if resource.ntp_time is not None else skm_s.ABSENT
    elif resource.kind == "certcache":
        fields["cache_num"] = (resource.cache_num if resource.cache_num is not None
                               else skm_s.ABSENT)
    elif resource.kind == "cert":
        fields["cert_kms"] = resource.kms_uri
    return DictMessage(names[0] if names else NOT_SERVED, fields)


def answer_of(response: Any) -> int:
    """The model's ``answer`` field of a KmsResponse element (``skm_s.ANSWER_*``, D.3.1)."""
    element = messages.answer_element(response)
    if element == "KmsError":
        return skm_s.ANSWER_ERROR
    if element == "":
        return skm_s.ANSWER_NONE
    return skm_s.ANSWER_ELEMENTS.get(element or "", skm_s.ANSWER_OTHER)


def decode_response(name: str, document: bytes) -> DictMessage:
    """The model message of a SignedKmsResponse (D.3.1): schema-validated; its fields are read
    from the KmsResponse element (the client's guards verify the signature over it), with what
    it answers and, for a KmsInit or KmsCertCache, its certificates (``_certificates``: a
    certificate that does not read is this codec's DecodeError)."""
    root = messages.parse_document(document)
    if root.tag != messages.qname("SignedKmsResponse"):
        raise DecodeError("the response is not a SignedKmsResponse", payload=messages.PAYLOAD)
    response = messages.child(root, "KmsResponse")
    answer = answer_of(response)
    certificates: tuple[KmsCertificate, ...] = ()
    if answer in (skm_s.ANSWER_INIT, skm_s.ANSWER_CERTCACHE):
        certificates = messages.certificates_of(messages.message_body(response))
    return DictMessage(name, {
        "user_uri": messages.child_text(response, "UserUri"),
        "kms_uri": messages.child_text(response, "KmsUri"),
        "client_req_url": messages.child_text(response, "ClientReqUrl"),
        "trk_id": messages.optional_text(response, "TrK-ID", EXT_NS) or skm_s.ABSENT,
        "signature_id": messages.optional_text(response, "Signature-ID", EXT_NS)
        or skm_s.ABSENT,
        "answer": answer,
        "document": document,
        "_certificates": certificates,
    })


# -- facts and effects of the kms role ---------------------------------------------------------


@dataclass
class KmsFacts(TokenFacts):
    """The facts the KMS's guards and answer writes read for one request: the
    ``SkmsKmsFacts`` protocol generated from the declarations (``SKMS_KMS_PREDICATES``)."""

    role: KmsRole
    verifier: TokenVerifier
    _claims: dict[str, AccessToken] = field(default_factory=dict)
    _refused: dict[str, str] = field(default_factory=dict)
    token_required = "an IdMS access token is required (Authorization: Bearer ...)"

    def token_time(self) -> float:
        return self.role.clock()

    def enrolled(self, user: Any) -> bool:
        return isinstance(user, str) and self.role.transport_keys(user) is not None

    def request_signed_by(self, message: Any, user: Any) -> Verdict:
        keys = self.role.transport_keys(user) if isinstance(user, str) else None
        document = message.get("_document") if hasattr(message, "get") else None
        if keys is None:
            return Verdict.no("the user has no InK at this KMS")
        if not isinstance(document, bytes) or not document:
            return Verdict.no("no SignedKmsRequest body")
        verdict = messages.check_signature(messages.parse_document(document, REQUEST_PAYLOAD),
                                           "KmsRequest", {keys.ink_id: keys.ink.reveal()})
        return YES if verdict.holds else Verdict.no(verdict.reason)

    def periods(self, time: Any, now: int) -> tuple[int, ...]:
        """The key periods a keyprov asks for (REQ-SKMS-10)."""
        if time == skm_s.ABSENT:
            current = self.role.period_at(now)
            return current, current + 1
        return (self.role.period_at(self.role.algorithms.ntp64_to_unix(int(time))),)

    def periods_allowed(self, time: Any, now: int) -> Verdict:
        try:
            periods = self.periods(time, now)
        except (MckmError, ValueError, TypeError):
            return Verdict.no("the time is before the first key period")
        if all(self.role.period_allowed(p) for p in periods):
            return YES
        return Verdict.no(f"key periods {list(periods)} are not all inside the certificate")

    def _keys(self, kms: Any, user: Any) -> TransportKeys | None:
        if kms != self.role.config.kms_uri or not isinstance(user, str):
            return None
        return self.role.transport_keys(user)

    def ink_of(self, kms: Any, user: Any) -> str | None:
        """The id of the InK ``user`` shares with this KMS (None: not enrolled; D.1)."""
        keys = self._keys(kms, user)
        return None if keys is None else keys.ink_id

    def trk_of(self, kms: Any, user: Any) -> str | None:
        """The id of the TrK ``user`` shares with this KMS (None: not enrolled; D.1)."""
        keys = self._keys(kms, user)
        return None if keys is None else keys.trk_id

    def store_private(self) -> Verdict:
        """The store's database file and its journals are owner-only (REQ-SKMS-40): a file
        made readable by others while the KMS runs stops it serving (the store refuses such a
        file at open, ``mckm.impl.store.private``; a database server's own access control
        guards a PostgreSQL store)."""
        exposed = self.role.store.exposure()
        return YES if exposed is None else Verdict.no(exposed)


def _facts(ctx: EffectContext) -> KmsFacts:
    facts = ctx.facts
    if not isinstance(facts, KmsFacts):
        raise UsageError("the kms effects need KmsFacts")
    return facts


def _kms(ctx: EffectContext) -> KmsRole:
    return _facts(ctx).role


def _subject_keys(ctx: EffectContext) -> tuple[str, TransportKeys]:
    subject: str = ctx.var("subject")
    keys = _kms(ctx).transport_keys(subject)
    if keys is None:  # the guard 'enrolled' holds before any effect runs
        raise UsageError(f"{subject} has no transport keys")
    return subject, keys


def _identify(ctx: EffectContext) -> None:
    """The request is for the token's MC ID; the response goes to the URL it was posted to."""
    assert ctx.message is not None
    ctx.set_var("subject", _facts(ctx).token_subject(ctx.message.get("token")))
    ctx.set_var("request_url", ctx.message.get("url"))


def _select_periods(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("periods", _facts(ctx).periods(ctx.message.get("time"), ctx.now))


def _provision_key_sets(ctx: EffectContext) -> None:
    """Issue and store the missing key sets in one transaction (REQ-SKMS-11, REQ-SKMS-12)."""
    _kms(ctx).key_sets(ctx.var("subject"), ctx.var("periods"))


def _respond(ctx: EffectContext, **body: Any) -> None:
    subject, keys = _subject_keys(ctx)
    role = _kms(ctx)
    header = messages.ResponseHeader(subject, role.certificate.kms_uri, role.clock(),
                                     ctx.var("request_url"))
    document = messages.build_response(header, keys, **body)
    for name, value in decode_response(ctx.step.message, document).items():
        ctx.set_field(name, value)
    ctx.emit("answered", hashlib.sha256(document).hexdigest())


def _build_kms_init(ctx: EffectContext) -> None:
    _respond(ctx, init=_kms(ctx).certificate)


def _build_key_prov(ctx: EffectContext) -> None:
    role = _kms(ctx)
    sets = role.store.key_sets(ctx.var("subject"), ctx.var("periods"))
    _respond(ctx, key_sets=(role.certificate, [sets[p] for p in ctx.var("periods")]))


def _build_cert_cache(ctx: EffectContext) -> None:
    _respond(ctx, cert_cache=(0, ()))


def _build_cert(ctx: EffectContext) -> None:
    _respond(ctx, cert_cache=(0, (_kms(ctx).certificate,)))


KMS_EFFECTS = EffectRegistry({
    "skms.identify": _identify,
    "skms.select_periods": _select_periods,
    "skms.provision_key_sets": _provision_key_sets,
    "skms.build_kms_init": _build_kms_init,
    "skms.build_key_prov": _build_key_prov,
    "skms.build_cert_cache": _build_cert_cache,
    "skms.build_cert": _build_cert,
})


def kms_vars(certificate: KmsCertificate) -> dict[str, Any]:
    """The variables of the ``kms`` role for one request."""
    return {"uri": certificate.kms_uri, "methods": frozenset({"POST"}), "scope": KMS_SCOPE,
            "certificates": frozenset({certificate.kms_uri}), "subject": "", "request_url": ""}


def kms_machine(role: KmsRole, verifier: TokenVerifier,
                procedure: Procedure = skm_s.PROCEDURE) -> RoleMachine:
    """A fresh ``kms`` machine of the SKM-S model (or of a mutant of it, for the tests and the
    proofs' replays): one per request (the server keeps no per-client state besides its
    store)."""
    return RoleMachine(procedure, "kms", vars=kms_vars(role.certificate),
                       facts=KmsFacts(role, verifier), effects=KMS_EFFECTS,
                       message_factory=lambda name, fields: decode_response(
                           name, fields["document"]))


def _error(exc: MckmError, status: int) -> HttpResponse:
    headers: tuple[tuple[str, str], ...] = ()
    if status == 401:
        headers = (("WWW-Authenticate", 'Bearer realm="kms", error="invalid_token"'),)
    elif status == 405:
        headers = (("Allow", "POST"),)
    return HttpResponse(status, (str(exc) + "\n").encode(), headers=headers)


@dataclass
class KmsService:
    """Answers KMS requests for one :class:`KmsRole`; ``base_url`` is the scheme+host part of
    ClientReqUrl (e.g. ``https://127.0.0.1:8443``)."""

    role: KmsRole
    verifier: TokenVerifier
    base_url: str
    #: the model run per request (a mutant only in tests)
    procedure: Procedure = skm_s.PROCEDURE

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response to ``request``: the model's answer, or its refusal as an HTTP status."""
        try:
            message = decode_request(request, self.base_url)
            machine = kms_machine(self.role, self.verifier, self.procedure)
            actions = machine.feed(message, now=int(self.role.clock()))
        except StepRefused as exc:
            return _error(exc, skm_s.http_status(exc.step, exc.guard))
        except DecodeError as exc:
            return _error(exc, 400)
        sent = next(a for a in actions if isinstance(a, Send))
        return HttpResponse(200, sent.message.get("document"),
                            content_type="application/xml; charset=utf-8")
