"""The IdM server as a sans-IO role: the ``idm`` of the model ``idm-authorisation`` run by the
engine for every request (OpenID Connect authorisation code flow with PKCE).

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

Every refusal is a guard of the model (``mckm.models.procedures.idm``) with its status and
OAuth error (``OAUTH_ANSWERS``), or a codec error of :mod:`~mckm.impl.roles.idm.wire`
(``invalid_request``); the effects below make and take codes and sign tokens, and never refuse.
A token request is fed as two messages (``TOKEN_REQUEST`` takes the code under a lock, so two
presentations of one code cannot both take it; ``CODE_BINDING`` checks what it is bound to),
so a code is consumed by its first presentation whatever the outcome (REQ-IDM-05).  Nothing
here logs; the HTTPS adapter logs method, path and status only.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from mckm.impl.engine.machine import EffectContext, EffectRegistry, RoleMachine, Send
from mckm.impl.engine.messages import DictMessage
from mckm.impl.engine.refusal import StepRefused
from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.roles.idm import wire
from mckm.impl.roles.idm.config import IdmConfig
from mckm.impl.roles.idm.facts import AuthorisationCodes, Code, IdmFacts
from mckm.impl.roles.idm.keys import SigningKeys
from mckm.impl.roles.idm.tokens import MCPTT_ID, SCOPES, Grant, issue_tokens
from mckm.models.procedures import idm as model

AUTHORIZE, TOKEN, JWKS, DISCOVERY = ("/authorize", "/token", "/jwks",
                                     "/.well-known/openid-configuration")
#: re-exported for the client (RFC 7636 4.2)
s256 = wire.s256
#: the parameters the login form carries from the GET to the POST of /authorize
_AUTH_PARAMS = (*model.AUTH_REQUEST.fields, *wire.EXTRA)
_METHODS = {AUTHORIZE: ("GET", "POST"), TOKEN: ("POST",), JWKS: ("GET",), DISCOVERY: ("GET",)}


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


def _printable(text: str) -> str:
    """RFC 6749 4.1.2.1 / 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E only (a
    request's own values echoed in a reason may hold anything else)."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def oauth_error(status: int, error: str, description: str) -> IdmResponse:
    """An RFC 6749 5.2 error response: ``error`` code and a description naming the field."""
    headers = (("WWW-Authenticate", f'Basic error="{error}"'),) if status == 401 else ()
    return _json(status, {"error": error, "error_description": _printable(description)},
                 headers)


def refusal_reason(exc: StepRefused) -> str:
    """The guard's reason (with its fact's) and requirement of a refusal, without the step
    and clause the engine's message also names."""
    text = exc.reason
    marker = " refused" + (f" by guard {exc.guard!r}" if exc.guard else "") + ": "
    reason = text.split(marker, 1)[-1]
    suffix = f" ({exc.clause})"
    reason = reason[:-len(suffix)] if reason.endswith(suffix) else reason
    return f"{reason} [{exc.requirement}]"


@dataclass
class IdmRole:
    """One IdM: its configuration, signing keys, issuer URL and live authorisation codes.
    ``procedure`` is a mutant of the model only in tests."""

    config: IdmConfig
    keys: SigningKeys
    #: the issuer URL (``iss``); the HTTPS adapter sets it to its base URL
    issuer: str = ""
    clock: Callable[[], float] = time.time
    procedure: Any = model.PROCEDURE
    codes: AuthorisationCodes = field(default_factory=AuthorisationCodes, repr=False)
    _token_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, config: IdmConfig, issuer: str = "",
               clock: Callable[[], float] | None = None) -> IdmRole:
        keys = SigningKeys(config.token_lifetime)
        return cls(config, keys, issuer) if clock is None else cls(config, keys, issuer, clock)

    def machine(self, facts: IdmFacts) -> RoleMachine:
        """A fresh ``idm`` machine for one request."""
        return RoleMachine(self.procedure, "idm", vars={"scopes": SCOPES, "state": ""},
                           facts=facts, effects=EffectRegistry({
                               "idm.make_code": self._make_code, "idm.redirect": _redirect_fields,
                               "idm.take_code": self._take_code,
                               "idm.issue_tokens": self._issue_tokens}))

    # -- dispatch
    def handle(self, method: str, path: str, query: str, body: bytes,
               content_type: str = "") -> IdmResponse:
        """The answer to one request; never raises on bad input."""
        allowed = _METHODS.get(path)
        if allowed is None:
            return self._not_served(path)
        if method not in allowed:
            return IdmResponse(405, b"method not allowed\n", "text/plain; charset=utf-8",
                               (("Allow", ", ".join(allowed)),))
        if path == JWKS:
            return IdmResponse(200, json.dumps(self.keys.jwks(self.clock())).encode(),
                               "application/jwk-set+json")
        if path == DISCOVERY:
            return _json(200, self.discovery())
        try:
            given = (wire.params(query, "query") if method == "GET"
                     else wire.form_params(body, content_type))
        except DecodeError as exc:
            if path == TOKEN:
                return oauth_error(400, model.FIELD_ERROR, str(exc))
            return _page(400, "Bad request", str(exc))
        if path == TOKEN:
            return self._token(given)
        return self._authorize(model.ENDPOINTS[path][method], given)

    def discovery(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 section 3 metadata."""
        base = self.issuer
        return {"issuer": base, "authorization_endpoint": base + AUTHORIZE,
                "token_endpoint": base + TOKEN, "jwks_uri": base + JWKS,
                "response_types_supported": [model.RESPONSE_TYPE],
                "subject_types_supported": ["public"],
                "grant_types_supported": [model.GRANT_TYPE],
                "id_token_signing_alg_values_supported": ["ES256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "code_challenge_methods_supported": [model.CHALLENGE_METHOD],
                "acr_values_supported": [model.ACR_PASSWORD], "scopes_supported": sorted(SCOPES),
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "acr",
                                     "nonce", MCPTT_ID]}

    def _not_served(self, path: str) -> IdmResponse:
        """404: the model has no step for the request (REQ-IDM-01)."""
        try:
            self.machine(IdmFacts(self.config, self.codes)).feed(
                DictMessage(f"not served: {path[:64]}", {}), now=int(self.clock()))
        except StepRefused as exc:
            return IdmResponse(self.procedure.http_status(exc.step, exc.guard),
                               f"no such IdM resource [{exc.requirement}]\n".encode(),
                               "text/plain; charset=utf-8")
        raise UsageError("the model serves a message it has no step for")

    # -- /authorize
    def _authorize(self, name: str, given: Mapping[str, str]) -> IdmResponse:
        try:
            actions = self.machine(IdmFacts(self.config, self.codes)).feed(
                wire.message(name, given), now=int(self.clock()))
        except StepRefused as exc:
            status, error = model.oauth_answer(exc.guard)
            reason = refusal_reason(exc)
            if status == 302 and error is not None:  # redirect-registered held
                return _redirect(given.get("redirect_uri", ""), {
                    "error": error, "error_description": _printable(reason),
                    **({"state": given["state"]} if given.get("state") else {})})
            if status == 401:
                return _login_form(given, model.G_PASSWORD.reason)
            return _page(400, "Bad request", reason)
        sent = _sent(actions)
        if sent.name == "LOGIN_FORM":
            return _login_form(given, None)
        return _redirect(str(sent.get("redirect_uri")),
                         {"code": str(sent.get("code")), "state": str(sent.get("state"))})

    def _make_code(self, ctx: EffectContext) -> None:
        """A fresh 256-bit code bound to the grant, redirect URI and challenge (REQ-IDM-04)."""
        message = ctx.message
        assert message is not None
        facts = _facts(ctx)
        user = facts.user or self.config.users.get(str(message.get("username")))
        if user is None:
            raise UsageError("no user to make an authorisation code for")
        code = secrets.token_urlsafe(32)
        grant = Grant(user.mc_id, user.mcptt_id, str(message.get("client_id")),
                      facts.idm_words(message.get("scope")), ctx.now, message.get("nonce"))
        facts.codes.add(code, Code(grant, str(message.get("redirect_uri")),
                                   str(message.get("code_challenge")),
                                   ctx.now + self.config.code_lifetime), ctx.now)
        ctx.set_var("code", code)
        ctx.set_var("state", message.get("state"))
        ctx.set_var("redirect_uri", message.get("redirect_uri"))

    # -- /token
    def _token(self, given: Mapping[str, str]) -> IdmResponse:
        """RFC 6749 4.1.3 / 5, RFC 7636 4.5 / 4.6, TS 33.180 B.4.2.4 / B.4.2.5."""
        machine = self.machine(IdmFacts(self.config, self.codes))
        now = int(self.clock())
        try:
            with self._token_lock:  # one presentation takes a code
                machine.feed(wire.message("TOKEN_REQUEST", given), now=now)
            actions = machine.feed(wire.message("CODE_BINDING", given), now=now)
        except StepRefused as exc:
            status, error = model.oauth_answer(exc.guard)
            return oauth_error(status, error or model.FIELD_ERROR, refusal_reason(exc))
        sent = _sent(actions)
        document = {name: sent.get(name) for name in (
            "access_token", "token_type", "expires_in", "id_token", "scope",
            "kms_access_token") if sent.get(name) is not None}
        return _json(200, document)

    def _take_code(self, ctx: EffectContext) -> None:
        """The code is used from now on (REQ-IDM-05)."""
        assert ctx.message is not None
        code = str(ctx.message.get("code"))
        _facts(ctx).codes.mark_used(code)
        ctx.set_var("code", code)

    def _issue_tokens(self, ctx: EffectContext) -> None:
        """Sign the tokens of the code's grant (B.4.2.5, REQ-IDM-07)."""
        entry = _facts(ctx).codes.get(str(ctx.var("code")))
        if entry is None:
            raise UsageError("the code to issue tokens for is not held")
        tokens = issue_tokens(self.keys.signer(), entry.grant, issuer=self.issuer,
                              mcptt_audience=self.config.mcptt_audience,
                              kms_audience=self.config.kms_audience, now=ctx.now,
                              lifetime=self.config.token_lifetime)
        for name, value in (("access_token", tokens.access_token),
                            ("token_type", model.TOKEN_TYPE),
                            ("expires_in", tokens.expires_in), ("id_token", tokens.id_token),
                            ("scope", tokens.scope),
                            ("kms_access_token", tokens.kms_access_token)):
            ctx.set_field(name, value)


def _facts(ctx: EffectContext) -> IdmFacts:
    if not isinstance(ctx.facts, IdmFacts):
        raise UsageError("the idm effects need IdmFacts")
    return ctx.facts


def _redirect_fields(ctx: EffectContext) -> None:
    """The authentication response: the code and the request's state (B.4.2.3)."""
    for name in ("code", "state", "redirect_uri"):
        ctx.set_field(name, ctx.var(name))


def _sent(actions: list[Any]) -> Any:
    """The message the run answers with (its last send)."""
    sends = [a.message for a in actions if isinstance(a, Send)]
    if not sends:
        raise UsageError("the IdM's run sent no answer")
    return sends[-1]


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
