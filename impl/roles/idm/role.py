"""The IdM server as a sans-IO role: OpenID Connect authorisation code flow with PKCE.

TS 33.180 5.1.2.3 (the OIDC flow; 5.1.2.3.2 the user name / password example), Annex B.4.2
(the native client profile: authorisation code grant, RFC 7636 PKCE with S256), RFC 6749 4.1
and 5, RFC 7636 4, OpenID Connect Discovery 1.0 section 3 and RFC 7517 (the JWKS).

Endpoints (:meth:`IdmRole.handle` takes method, path, query, form body; returns a response):

===================================  ======  ============================================
path                                 method  what
===================================  ======  ============================================
``/authorize``                       GET     the authentication request (B.4.2.2): checked,
                                             answered with the login form (5.1.2.3.2 step 3a)
``/authorize``                       POST    the form with user name and password (step 3b):
                                             302 to the redirect URI with code and state
                                             (B.4.2.3), or the form again (401)
``/token``                           POST    code + code_verifier -> ID token, access token,
                                             KMS access token (B.4.2.4, B.4.2.5)
``/.well-known/openid-configuration`` GET    the discovery document
``/jwks``                            GET     the public signing keys (RFC 7517 5)
===================================  ======  ============================================

Authorisation codes (REQ-IDM-04..06) are 256-bit random, bound to the client, the redirect
URI, the user, the scopes and the PKCE challenge; they live :attr:`IdmConfig.code_lifetime`
seconds and are consumed by their first presentation at ``/token``, whatever its outcome, so
a second one (a replay, or a retry after a wrong verifier) is ``invalid_grant``.  Nothing here
logs; the HTTPS adapter logs method, path and status only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from mckm.impl.roles.idm.config import IdmConfig
from mckm.impl.roles.idm.keys import SigningKeys
from mckm.impl.roles.idm.tokens import (
    ACR_PASSWORD,
    MCPTT_ID,
    OPENID,
    SCOPES,
    Grant,
    issue_tokens,
)

AUTHORIZE, TOKEN, JWKS, DISCOVERY = ("/authorize", "/token", "/jwks",
                                     "/.well-known/openid-configuration")
#: RFC 7636 4.1: code_verifier = 43*128 unreserved; 4.2: an S256 challenge is 43 base64url
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
_FORM = "application/x-www-form-urlencoded"
#: the parameters the login form carries from the GET to the POST of /authorize
_AUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                "acr_values", "code_challenge", "code_challenge_method")


@dataclass(frozen=True)
class IdmResponse:
    """An HTTP answer (the :class:`~mckm.impl.transport.http_server.Reply` protocol)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, document: Mapping[str, Any],
          headers: tuple[tuple[str, str], ...] = ()) -> IdmResponse:
    return IdmResponse(status, json.dumps(document, separators=(",", ":")).encode(),
                       headers=(("Pragma", "no-cache"), *headers))


def oauth_error(status: int, error: str, description: str) -> IdmResponse:
    """An RFC 6749 5.2 error response: ``error`` code and a description naming the field."""
    headers = (("WWW-Authenticate", f'Basic error="{error}"'),) if status == 401 else ()
    return _json(status, {"error": error, "error_description": description}, headers)


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Refused(Exception):
    """A request refused with an OAuth error (RFC 6749 4.1.2.1 / 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _params(text: str, where: str) -> dict[str, str]:
    """Form or query parameters; RFC 6749 3.1: none may be included more than once."""
    try:
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict",
                          max_num_fields=64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refused("invalid_request", f"the {where} is not UTF-8 form data") from exc
    for name, values in parsed.items():
        if len(values) > 1:
            raise _Refused("invalid_request", f"parameter {name} is repeated (RFC 6749 3.1)")
    return {name: values[0] for name, values in parsed.items()}


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str
    expires: float
    used: bool = False


@dataclass(frozen=True)
class _AuthRequest:
    """A checked authentication request (TS 33.180 B.4.2.2)."""

    client_id: str
    redirect_uri: str
    state: str
    scopes: frozenset[str]
    challenge: str
    nonce: str | None
    params: Mapping[str, str] = field(repr=False)


@dataclass
class IdmRole:
    """One IdM: its configuration, signing keys, issuer URL and live authorisation codes."""

    config: IdmConfig
    keys: SigningKeys
    #: the issuer URL (``iss``); the HTTPS adapter sets it to its base URL
    issuer: str = ""
    clock: Callable[[], float] = time.time
    _codes: dict[str, _Code] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, config: IdmConfig, issuer: str = "",
               clock: Callable[[], float] | None = None) -> IdmRole:
        keys = SigningKeys(config.token_lifetime)
        return cls(config, keys, issuer) if clock is None else cls(config, keys, issuer, clock)

    # -- dispatch
    def handle(self, method: str, path: str, query: str, body: bytes,
               content_type: str = "") -> IdmResponse:
        """The answer to one request; never raises on bad input."""
        allowed = {AUTHORIZE: ("GET", "POST"), TOKEN: ("POST",), JWKS: ("GET",),
                   DISCOVERY: ("GET",)}.get(path)
        if allowed is None:
            return IdmResponse(404, b"no such IdM resource\n", "text/plain; charset=utf-8")
        if method not in allowed:
            return IdmResponse(405, b"method not allowed\n", "text/plain; charset=utf-8",
                               (("Allow", ", ".join(allowed)),))
        if path == JWKS:
            return IdmResponse(200, json.dumps(self.keys.jwks(self.clock())).encode(),
                               "application/jwk-set+json")
        if path == DISCOVERY:
            return _json(200, self.discovery())
        if method == "POST" and content_type.split(";")[0].strip().lower() != _FORM:
            return oauth_error(400, "invalid_request", f"the body must be {_FORM} "
                               "(RFC 6749 4.1.3)")
        if path == TOKEN:
            try:
                return self._token(_params(body.decode("utf-8", "strict"), "body"))
            except UnicodeDecodeError:
                return oauth_error(400, "invalid_request", "the body is not UTF-8")
            except _Refused as refused:
                return oauth_error(refused.status, refused.error, refused.description)
        return self._authorize(method, query, body)

    def discovery(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 section 3 metadata."""
        base = self.issuer
        return {"issuer": base, "authorization_endpoint": base + AUTHORIZE,
                "token_endpoint": base + TOKEN, "jwks_uri": base + JWKS,
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "grant_types_supported": ["authorization_code"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "code_challenge_methods_supported": ["S256"],
                "acr_values_supported": [ACR_PASSWORD], "scopes_supported": sorted(SCOPES),
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "acr",
                                     "nonce", MCPTT_ID]}

    # -- /authorize
    def _check_authorization(self, params: Mapping[str, str]) -> _AuthRequest:
        """RFC 6749 4.1.1 / 4.1.2.1, RFC 7636 4.3 / 4.4.1, TS 33.180 B.4.2.2.  Raises
        _Refused; a bad client_id or redirect_uri must not be redirected to (status 400)."""
        client = self.config.clients.get(params.get("client_id", ""))
        if client is None:
            raise _Refused("invalid_request", "client_id is missing or not registered "
                           "(TS 33.180 B.3)")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            raise _Refused("invalid_request", "redirect_uri is missing or not one registered "
                           "for the client (TS 33.180 B.4.2.2, RFC 6749 3.1.2.3)")
        scopes = frozenset(params.get("scope", "").split())
        checks = [
            (params.get("response_type") == "code", "unsupported_response_type",
             "response_type must be code (TS 33.180 B.4.2.2)"),
            (OPENID in scopes, "invalid_scope", "scope must include openid (TS 33.180 B.4.2.2)"),
            (scopes <= SCOPES, "invalid_scope",
             f"scope {' '.join(sorted(scopes - SCOPES))} is not defined (TS 33.180 B.4.2.2)"),
            (bool(params.get("state")), "invalid_request", "state is required "
             "(TS 33.180 B.4.2.2)"),
            (ACR_PASSWORD in params.get("acr_values", "").split(), "invalid_request",
             f"acr_values must include {ACR_PASSWORD} (TS 33.180 B.4.2.2)"),
            ("code_challenge" in params, "invalid_request",
             "code challenge required (RFC 7636 4.4.1)"),
            (params.get("code_challenge_method") == "S256", "invalid_request",
             "transform algorithm not supported: code_challenge_method must be S256 "
             "(TS 33.180 B.4.2.2)"),
            (bool(_CHALLENGE.fullmatch(params.get("code_challenge", ""))), "invalid_request",
             "code_challenge is not 43 base64url characters (RFC 7636 4.2)"),
        ]
        for holds, error, description in checks:
            if not holds:
                raise _Refused(error, description, status=302)
        return _AuthRequest(client.client_id, redirect_uri, params["state"], scopes,
                            params["code_challenge"], params.get("nonce"), params)

    def _authorize(self, method: str, query: str, body: bytes) -> IdmResponse:
        try:
            params = _params(query if method == "GET" else body.decode("utf-8"),
                             "query" if method == "GET" else "body")
        except (_Refused, UnicodeDecodeError) as exc:
            return _page(400, "Bad request", str(exc))
        try:
            request = self._check_authorization(params)
        except _Refused as refused:
            if refused.status != 302:
                return _page(400, "Bad request", refused.description)
            return _redirect(params["redirect_uri"], {
                "error": refused.error, "error_description": refused.description,
                **({"state": params["state"]} if params.get("state") else {})})
        if method == "GET":
            return _login_form(request.params, None)
        user = self.config.authenticate(params.get("username", ""), params.get("password", ""))
        if user is None:
            return _login_form(request.params, "The user name or password is wrong.")
        now = self.clock()
        code = secrets.token_urlsafe(32)
        grant = Grant(user.mc_id, user.mcptt_id, request.client_id, request.scopes, int(now),
                      request.nonce)
        with self._lock:
            self._codes = {c: v for c, v in self._codes.items() if v.expires > now}
            self._codes[code] = _Code(grant, request.redirect_uri, request.challenge,
                                      now + self.config.code_lifetime)
        return _redirect(request.redirect_uri, {"code": code, "state": request.state})

    # -- /token
    def _take_code(self, code: str) -> _Code:
        """The code's binding; consumed now (REQ-IDM-05), whatever the rest of the request."""
        with self._lock:
            entry = self._codes.get(code)
            if entry is None:
                raise _Refused("invalid_grant", "the authorisation code is not known "
                               "(RFC 6749 5.2)")
            if entry.used:
                raise _Refused("invalid_grant", "the authorisation code was already used "
                               "(RFC 6749 4.1.2: single use)")
            entry.used = True
        if entry.expires <= self.clock():
            raise _Refused("invalid_grant", "the authorisation code has expired "
                           f"({self.config.code_lifetime} s, RFC 6749 4.1.2)")
        return entry

    def _token(self, params: Mapping[str, str]) -> IdmResponse:
        """RFC 6749 4.1.3 / 5, RFC 7636 4.5 / 4.6, TS 33.180 B.4.2.4 / B.4.2.5."""
        if params.get("grant_type") != "authorization_code":
            raise _Refused("unsupported_grant_type", "grant_type must be authorization_code "
                           "(TS 33.180 B.4.2.4)")
        for name in ("code", "client_id", "redirect_uri", "code_verifier"):
            if not params.get(name):
                raise _Refused("invalid_request", f"{name} is required (TS 33.180 B.4.2.4)")
        if params["client_id"] not in self.config.clients:
            raise _Refused("invalid_client", "client_id is not registered (TS 33.180 B.3)",
                           status=401)
        entry = self._take_code(params["code"])
        if params["client_id"] != entry.grant.client_id:
            raise _Refused("invalid_grant", "the authorisation code was issued to another "
                           "client (RFC 6749 4.1.3)")
        if params["redirect_uri"] != entry.redirect_uri:
            raise _Refused("invalid_grant", "redirect_uri is not the one of the authentication "
                           "request (TS 33.180 B.4.2.4)")
        verifier = params["code_verifier"]
        if not _VERIFIER.fullmatch(verifier):
            raise _Refused("invalid_grant", "code_verifier is not 43-128 unreserved "
                           "characters (RFC 7636 4.1)")
        if not hmac.compare_digest(s256(verifier), entry.challenge):
            raise _Refused("invalid_grant", "code_verifier does not match the code_challenge "
                           "(RFC 7636 4.6)")
        tokens = issue_tokens(self.keys.signer(), entry.grant, issuer=self.issuer,
                              mcptt_audience=self.config.mcptt_audience,
                              kms_audience=self.config.kms_audience, now=int(self.clock()),
                              lifetime=self.config.token_lifetime)
        document: dict[str, Any] = {"access_token": tokens.access_token,
                                    "token_type": "Bearer", "expires_in": tokens.expires_in,
                                    "id_token": tokens.id_token, "scope": tokens.scope}
        if tokens.kms_access_token is not None:
            document["kms_access_token"] = tokens.kms_access_token
        return _json(200, document)


def _redirect(uri: str, params: Mapping[str, str]) -> IdmResponse:
    """RFC 6749 4.1.2: the response parameters added to the redirect URI's query."""
    separator = "&" if "?" in uri else "?"
    return IdmResponse(302, b"", "text/plain; charset=utf-8",
                       (("Location", uri + separator + urlencode(params)),))


def _page(status: int, title: str, text: str) -> IdmResponse:
    body = (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return IdmResponse(status, body.encode(), "text/html; charset=utf-8")


def _login_form(params: Mapping[str, str], error: str | None) -> IdmResponse:
    """TS 33.180 5.1.2.3.2 step 3a: the form asking for user name and password; it carries
    the authentication request's parameters to the POST."""
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
                     for name in _AUTH_PARAMS if name in params)
    notice = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    body = ("<!DOCTYPE html><html><head><title>MC IdM login</title></head><body>"
            f"<h1>MC user login</h1>{notice}"
            f'<form method="post" action="{AUTHORIZE}">{hidden}'
            '<label>MC ID <input name="username" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password"></label>'
            '<button type="submit">Log in</button></form></body></html>')
    return IdmResponse(401 if error else 200, body.encode(), "text/html; charset=utf-8")
