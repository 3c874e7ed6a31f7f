"""The IdM client of a native MC client (TS 33.180 B.4.2; 5.1.2.3.2 with a user name and
password): the authorisation code flow with PKCE over HTTPS, one step per method so that a
test can change any of them.

:func:`login` runs the whole flow and returns the token response.  The login form is read
with :class:`html.parser.HTMLParser` (its hidden fields are posted back as they came).
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from mckm.impl.engine.machine import EffectRegistry, RoleMachine
from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.roles.idm import wire
from mckm.impl.roles.idm.role import AUTHORIZE, TOKEN
from mckm.impl.roles.idm.wire import s256
from mckm.impl.transport.https_kms import client_context
from mckm.models.procedures import idm as model

_FORM = "application/x-www-form-urlencoded"


def new_verifier() -> str:
    """A fresh RFC 7636 4.1 code_verifier: 43 base64url characters (256 random bits)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


class _FormReader(HTMLParser):
    """The ``<input>`` names and values of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            values = dict(attrs)
            if values.get("name"):
                self.fields[str(values["name"])] = values.get("value") or ""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, header fields (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def location_params(self) -> dict[str, str]:
        """The query parameters of a redirect's Location (the authentication response)."""
        query = urlsplit(self.headers.get("location", "")).query
        return {name: values[0] for name, values in parse_qs(query).items()}


@dataclass
class IdmSession:
    """One authorisation code flow against the IdM at ``base_url`` (HTTPS, trusting
    ``ca_pem``) for the registered client ``client_id`` / ``redirect_uri``."""

    base_url: str
    ca_pem: bytes
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    verifier: str = field(default_factory=new_verifier, repr=False)
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def request(self, method: str, target: str, form: dict[str, str] | None = None
                ) -> Answer:
        """One HTTPS request to the IdM (a form body for POST)."""
        parts = urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise UsageError(f"{self.base_url}: not an https URL")
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443,
                                           context=client_context(self.ca_pem), timeout=10)
        try:
            body = urlencode(form).encode() if form is not None else None
            headers = {"Content-Type": _FORM} if form is not None else {}
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                          response.read())
        finally:
            conn.close()

    def authorization_params(self, **changes: str | None) -> dict[str, str]:
        """The authentication request of TS 33.180 B.4.2.2 (``changes`` replace or, with
        None, remove parameters)."""
        params: dict[str, str | None] = {
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "scope": " ".join(self.scopes),
            "state": self.state, "acr_values": "3gpp:acr:password",
            "code_challenge": s256(self.verifier), "code_challenge_method": "S256",
            **changes}
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, **changes: str | None) -> Answer:
        """GET /authorize (B.4.2.2): the login form, or an error."""
        return self.request("GET", AUTHORIZE + "?" + urlencode(self.authorization_params(
            **changes)))

    def login(self, username: str, password: str, **changes: str | None) -> Answer:
        """Fetch the form and post it back with the credentials (5.1.2.3.2 steps 3a, 3b)."""
        form = self.authorize(**changes)
        if form.status != 200:
            return form
        reader = _FormReader()
        reader.feed(form.body.decode())
        return self.request("POST", AUTHORIZE, {**reader.fields, "username": username,
                                                   "password": password})

    def redeem(self, code: str, **changes: str | None) -> Answer:
        """POST /token (B.4.2.4): the code and the verifier for the tokens (B.4.2.5)."""
        form: dict[str, str | None] = {
            "grant_type": "authorization_code", "code": code, "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "code_verifier": self.verifier, **changes}
        return self.request("POST", TOKEN, {k: v for k, v in form.items() if v is not None})


def _client_machine(start: str, state: str) -> RoleMachine:
    """The model's ``client`` in ``start`` (it sent the login form, or its code)."""
    return RoleMachine(model.PROCEDURE, "client", vars={"state": state}, facts=None,
                       effects=EffectRegistry(), start=start)


def login(session: IdmSession, username: str, password: str) -> dict[str, Any]:
    """The whole flow: the token response (PolicyError naming the step the IdM refused; the
    engine's StepRefused for an answer the client's guards refuse)."""
    answer = session.login(username, password)
    params = answer.location_params()
    if answer.status != 302 or "code" not in params:
        reason = params.get("error_description") or (
            "the user name or password is wrong" if answer.status == 401 else "no code")
        raise PolicyError(f"IdM login refused (HTTP {answer.status}): {reason}",
                          requirement="REQ-IDM-03", http_status=answer.status)
    _client_machine("logging-in", session.state).feed(  # B.4.2.3: only our own state
        wire.message("AUTH_RESPONSE", params), now=int(time.time()))
    tokens = session.redeem(params["code"])
    if tokens.status != 200:
        raise PolicyError(f"IdM token request refused (HTTP {tokens.status}): "
                          f"{tokens.body.decode(errors='replace')[:200]}",
                          requirement="REQ-IDM-06", http_status=tokens.status)
    try:
        document: dict[str, Any] = tokens.json()
    except ValueError as exc:
        raise PolicyError("IdM token response: not JSON", requirement="REQ-IDM-07") from exc
    if not isinstance(document, dict):
        raise PolicyError("IdM token response: not a JSON object", requirement="REQ-IDM-07")
    _client_machine("redeeming", session.state).feed(
        wire.message("TOKEN_RESPONSE", {k: v for k, v in document.items()
                                        if isinstance(v, str)}), now=int(time.time()))
    return document
