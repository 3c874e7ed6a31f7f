"""The KMS's request handling of TS 33.180 Annex D.2, as a pure function request -> response.

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
====================================  ==============  ==========================================

Every request carries the IdMS access token as a bearer token (RFC 6750); the checks run in
this order and each refusal names its requirement: method (405), resource (404), path syntax
(400), token present and valid (401), scope and identity (403), enrolment (403), optional
KmsRequest body (400/403).  Nothing is stored before all checks pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError, VerifyError
from mckm.impl.roles.kms import messages
from mckm.impl.roles.kms.access_token import TokenVerifier
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.roles.kms.role import KmsRole

BASE_PATH = "/keymanagement/identity/v1"
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NTP64 = re.compile(r"[0-9A-Fa-f]{16}")


@dataclass(frozen=True)
class HttpRequest:
    """What the transport hands the role: method, path (no query), lower-cased headers, body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Resource:
    """A parsed request path."""

    kind: str  # "init" | "keyprov" | "certcache"
    user_uri: str | None = None
    ntp_time: int | None = None
    cache_num: int | None = None


def _bad_path(reason: str) -> PolicyError:
    return PolicyError(reason, requirement="REQ-SKMS-03", http_status=400)


def parse_path(path: str) -> Resource:
    """The resource a path names (TS 33.180 D.2), or PolicyError 404/400."""
    if not path.startswith(BASE_PATH + "/"):
        raise PolicyError(f"no KMS resource at {path!r} (the KMS serves {BASE_PATH}/...)",
                          requirement="REQ-SKMS-02", http_status=404)
    segments = path[len(BASE_PATH) + 1:].split("/")
    name, options = segments[0], segments[1:]
    if name not in ("init", "keyprov", "certcache"):
        raise PolicyError(f"unknown KMS resource {name!r} (init, keyprov or certcache)",
                          requirement="REQ-SKMS-02", http_status=404)
    if any(not option for option in options):
        raise _bad_path(f"empty path segment in {path!r}")
    if name == "init":
        if options:
            raise _bad_path("/init takes no options")
        return Resource("init")
    if name == "certcache":
        if len(options) > 1 or (options and not options[0].isdigit()):
            raise _bad_path("/certcache takes at most one option, a decimal cache number")
        return Resource("certcache", cache_num=int(options[0]) if options else None)
    if len(options) > 2:
        raise _bad_path("/keyprov takes at most a user URI and a time")
    user_uri = None
    if options:
        if _PERCENT.search(options[0]):
            raise _bad_path("the user URI has a malformed percent-encoding")
        try:
            user_uri = unquote(options[0], errors="strict")
        except UnicodeDecodeError as exc:
            raise _bad_path("the user URI is not UTF-8 once percent-decoded") from exc
    ntp_time = None
    if len(options) == 2:
        if not _NTP64.fullmatch(options[1]):
            raise _bad_path("the time must be a 64-bit NTP-UTC value as 16 hex digits")
        ntp_time = int(options[1], 16)
    return Resource("keyprov", user_uri=user_uri, ntp_time=ntp_time)


def _error(exc: MckmError, status: int) -> HttpResponse:
    headers: tuple[tuple[str, str], ...] = ()
    if status == 401:
        headers = (("WWW-Authenticate", 'Bearer realm="kms", error="invalid_token"'),)
    return HttpResponse(status, (str(exc) + "\n").encode(), headers=headers)


@dataclass
class KmsService:
    """Answers KMS requests for one :class:`KmsRole`; ``base_url`` is the scheme+host part of
    ClientReqUrl (e.g. ``https://127.0.0.1:8443``)."""

    role: KmsRole
    verifier: TokenVerifier
    base_url: str

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response to ``request``; every refusal is a clear status and text body."""
        try:
            return self._handle(request)
        except PolicyError as exc:
            return _error(exc, exc.http_status or 403)
        except DecodeError as exc:
            return _error(exc, 400)
        except VerifyError as exc:
            return _error(exc, 403)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(405, b"KMS requests are POST (TS 33.180 D.2)\n",
                                headers=(("Allow", "POST"),))
        resource = parse_path(request.path)
        subject = self._authenticate(request)
        if resource.user_uri is not None and resource.user_uri != subject:
            raise PolicyError(f"the token is for {subject}, not for {resource.user_uri}",
                              requirement="REQ-SKMS-22", http_status=403)
        transport = self.role.transport_keys(subject)
        self._check_body(request.body, subject)
        cert = self.role.certificate
        header = messages.ResponseHeader(subject, cert.kms_uri, self.role.clock(),
                                         self.base_url + request.path)
        if resource.kind == "init":
            xml = messages.build_response(header, transport, init=cert)
        elif resource.kind == "certcache":
            xml = messages.build_response(header, transport, cert_cache=(0, ()))
        else:
            if resource.ntp_time is None:
                periods: tuple[int, ...] = self.role.current_periods()
            else:
                try:
                    unix = self.role.algorithms.ntp64_to_unix(resource.ntp_time)
                    periods = (self.role.period_at(unix),)
                except UsageError as exc:
                    raise _bad_path(f"no key period at that time: {exc}") from exc
            sets = self.role.key_sets(subject, periods)
            xml = messages.build_response(header, transport, key_sets=(cert, sets))
        return HttpResponse(200, xml, content_type="application/xml; charset=utf-8")

    def _authenticate(self, request: HttpRequest) -> str:
        """The MC ID of a valid bearer token granting the KMS scope (REQ-SKMS-20/21)."""
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise PolicyError("an IdMS access token is required (Authorization: Bearer ...)",
                              requirement="REQ-SKMS-20", http_status=401)
        claims = self.verifier.verify(token.strip(), self.role.clock())
        if KMS_SCOPE not in claims.scopes:
            raise PolicyError(f"the access token does not grant {KMS_SCOPE}",
                              requirement="REQ-SKMS-21", http_status=403)
        subject: str = claims.subject
        return subject

    def _check_body(self, body: bytes, subject: str) -> None:
        """An optional KmsRequest (TS 33.180 D.2.2) must name this user and this KMS."""
        if not body.strip():
            return
        root = messages.parse_document(body)
        if root.tag == messages.qname("SignedKmsRequest"):
            root = messages.child(root, "KmsRequest")
        if root.tag != messages.qname("KmsRequest"):
            raise DecodeError("the request body is not a KmsRequest", payload="KmsRequest")
        if messages.child_text(root, "UserUri") != subject:
            raise PolicyError("the KmsRequest names another user", requirement="REQ-SKMS-22",
                              http_status=403)
        if messages.child_text(root, "KmsUri") != self.role.certificate.kms_uri:
            raise PolicyError("the KmsRequest is for another KMS", requirement="REQ-SKMS-22",
                              http_status=403)


def resource_path(kind: str, user_uri: str | None = None, ntp_time: int | None = None,
                  cache_num: int | None = None) -> str:
    """The request path of a resource (the inverse of :func:`parse_path`), for clients."""
    path = f"{BASE_PATH}/{kind}"
    if user_uri is not None:
        path += "/" + quote(user_uri, safe="")
        if ntp_time is not None:
            path += f"/{ntp_time:016X}"
    elif cache_num is not None:
        path += f"/{cache_num}"
    return path
