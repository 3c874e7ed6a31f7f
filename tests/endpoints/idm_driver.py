"""IdM authorisation code flow (TS 33.180 B.4, seed 001 step 3a; RFC 6749 4.1, RFC 7636) on its
public end points: the IdM behind its real HTTPS server and the client's ``IdmSession``.  A
legal run is the authentication request, the login form posted back, and the code redeemed at
/token.  A refusal's HTTP status and its OAuth error (RFC 6749 4.1.2.1, 5.2; the reason phrase
checked by the generator) are what the catalogue names; a redirect is never made where RFC 6749
4.1.2.1 forbids it."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from hypothesis import strategies as st

from mckm.impl.errors import MckmError
from mckm.impl.roles.idm import client, wire
from mckm.impl.roles.idm.https import IdmHttpsServer
from mckm.impl.roles.idm.role import AUTHORIZE, IdmRole
from mckm.impl.transport.https_kms import make_tls_identity
from mckm.models.procedures import idm as model
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run, play
from tests.idm.conftest import CLIENT, OTHER_CLIENT, PASSWORDS, REDIRECT, SCOPES, idm_config

#: what each catalogue target changes in an authentication request / the login form
AUTH_FAULTS: dict[str, dict[str, str | None]] = {
    "client_id": {"client_id": "stranger"},
    "redirect_uri": {"redirect_uri": "https://evil.example/cb"},
    "response_type": {"response_type": "token"},
    "scope openid": {"scope": "3gpp:mc:ptt_service"},
    "scope undefined": {"scope": "openid 3gpp:mc:everything"},
    "state": {"state": None},
    "acr_values": {"acr_values": None},
    "code_challenge": {"code_challenge": None},
    "code_challenge_method": {"code_challenge_method": "plain"},
    "code_challenge form": {"code_challenge": "short"},
}
#: ... and in a token request
TOKEN_FAULTS: dict[str, dict[str, str | None]] = {
    "grant_type": {"grant_type": "password"},
    "code_verifier missing": {"code_verifier": None},
    "unregistered client": {"client_id": "stranger"},
    "client_id": {"client_id": OTHER_CLIENT},
    "redirect_uri": {"redirect_uri": REDIRECT + "/other"},
    "code_verifier form": {"code_verifier": "not a verifier"},
    "code_verifier": {"code_verifier": client.new_verifier()},
}


class IdmDriver(Driver):
    def __init__(self, procedure: Procedure = model.PROCEDURE) -> None:
        self.procedure = procedure
        self.role = IdmRole.create(idm_config())
        self.role.procedure = procedure
        self.idm = IdmHttpsServer(self.role, make_tls_identity("127.0.0.1")).start()
        self.tokens: dict[str, Any] = {}

    def close(self) -> None:
        self.idm.stop()

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """The IdM's steps (the client's guards run on ``client``'s module model)."""
        return frozenset(s.number for s in procedure.steps if s.role == "idm")

    def session(self, client_id: str = CLIENT, redirect: str = REDIRECT) -> client.IdmSession:
        return client.IdmSession(self.idm.base_url, self.idm.identity.ca_pem, client_id,
                                 redirect, SCOPES)

    # -- legal runs: /authorize (the form), the login, /token
    def start(self, data: st.DataObject) -> list[Delivery]:
        user = data.draw(st.sampled_from(sorted(PASSWORDS)), label="user")
        s = self.session()
        return [Delivery("AUTH_REQUEST", "idm", b"", int(time.time()),
                         {"session": s, "user": user, "params": {}})]

    def deliver(self, d: Delivery) -> list[Delivery]:
        s: client.IdmSession = d.context["session"]
        if d.message == "AUTH_REQUEST":
            target = d.context.get("target") or AUTHORIZE + "?" + urlencode(
                s.authorization_params(**d.context["params"]))
            answer = s.request(d.context.get("method", "GET"), target)
            self._refused(answer, d)
            return [Delivery("LOGIN", "idm", b"", d.now, {**d.context, "form": answer.body})]
        if d.message == "LOGIN":
            user = d.context["user"]
            password = d.context.get("password", PASSWORDS[user])
            answer = s.request("POST", AUTHORIZE, {
                **s.authorization_params(**d.context["params"]), "username": user,
                "password": password})
            self._refused(answer, d, ok=302)
            return [Delivery("AUTH_RESPONSE", "client", b"", d.now,
                             {**d.context, "answer": answer.location_params()})]
        if d.message == "AUTH_RESPONSE":
            params = d.context["answer"]
            try:
                client._client_machine("logging-in", s.state).feed(
                    wire.message("AUTH_RESPONSE", params), now=int(time.time()))
            except MckmError as exc:
                raise Refused(Observed.of(exc)) from exc
            return [Delivery("TOKEN_REQUEST", "idm", b"", d.now,
                             {**d.context, "code": params["code"], "changes": {}})]
        # TOKEN_REQUEST, at the IdM's clock moved on by ``late`` seconds
        late = int(d.context.get("late", 0))
        if late:
            self.role.clock = lambda: time.time() + late
        try:
            answer = s.redeem(d.context["code"], **d.context["changes"])
        finally:
            self.role.clock = time.time
        self._refused(answer, d)
        self.tokens = answer.json()
        return []

    @staticmethod
    def _refused(answer: client.Answer, d: Delivery, ok: int = 200) -> None:
        """Refused: its status, and the OAuth error (of a redirect's query or a JSON body) as
        the reason phrase; a redirect that carries an error is a refusal too."""
        location = answer.headers.get("location", "")
        error = ""
        if answer.status == 302:
            query = parse_qs(urlsplit(location).query)
            error = " ".join((query.get(k) or [""])[0] for k in ("error", "error_description"))
        elif answer.headers.get("content-type", "").startswith("application/json"):
            document = answer.json()
            error = f"{document.get('error', '')} {document.get('error_description', '')}"
        error = error.strip()
        if answer.status == ok and not error:
            return
        if answer.status in (400, 401) and not error and location:
            raise AssertionError(f"{d!r}: a {answer.status} page that redirects")
        raise Refused(Observed(None, answer.status, answer.body[:200].decode(errors="replace"),
                               None, error or "page"))

    def finish(self, run: Run) -> None:
        assert self.tokens.get("token_type") == model.TOKEN_TYPE
        assert self.tokens.get("access_token") and self.tokens.get("kms_access_token")

    def snapshot(self, to: str) -> Any:
        """Live codes (an authentication refused makes none; a token request consumes its
        code whatever the outcome, REQ-IDM-05, so /token's snapshot is the codes made)."""
        return len(self.role.codes) if to == "idm" else None

    # -- threats
    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, message, target = threat.kind, threat.message, threat.target
        if message in ("AUTH_REQUEST", "LOGIN"):
            held = play(self, data, stop_before=message).held
            assert held is not None
            context: dict[str, Any] = {**held.context, "params": AUTH_FAULTS.get(target, {})}
            if kind == "out-of-order":
                context["target"] = "/userinfo" if target == "path" else AUTHORIZE
                context["method"] = "GET" if target == "path" else "DELETE"
            if message == "LOGIN" and target == "password":
                context["password"] = "not the password"
            return Attack(Delivery(held.message, held.to, b"", held.now, context))
        if message == "AUTH_RESPONSE":  # an authentication response to another request
            held = play(self, data, stop_before=message).held
            assert held is not None
            other = self.session()
            other_params = other.login("bob", PASSWORDS["bob"]).location_params()
            return Attack(Delivery(held.message, held.to, b"", held.now,
                                   {**held.context, "answer": other_params}))
        held = play(self, data, stop_before="TOKEN_REQUEST").held
        assert held is not None
        if kind == "replay":  # redeemed once, presented again
            self.deliver(held)
            return Attack(held)
        if target == "code":  # a code never issued
            return Attack(Delivery(held.message, held.to, b"", held.now,
                                   {**held.context, "code": "c" * 43}))
        if kind == "expired":  # redeemed after the code's lifetime
            return Attack(Delivery(held.message, held.to, b"", held.now, {
                **held.context, "late": self.role.config.code_lifetime + 1}))
        return Attack(Delivery(held.message, held.to, b"", held.now,
                               {**held.context, "changes": TOKEN_FAULTS[target]}))
