"""Each guard of the IdM model (``idm-authorisation``) on the real HTTPS endpoint: a request
that only it refuses is answered with its status, OAuth error and reason (RFC 6749 4.1.2.1,
5.2; RFC 7636 4.4.1, 4.6), and the IdM run on the model's mutant without that guard answers
the same octets otherwise, so each row below fails if its guard is dropped."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from mckm.impl.engine.refusal import StepRefused
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.role import AUTHORIZE
from mckm.impl.transport.https_kms import client_context
from mckm.models.procedures import idm as model
from mckm.models.procedures.mutants import drop_guard_mutants
from tests.idm.conftest import OTHER_CLIENT, PASSWORDS, REDIRECT, World


@dataclass(frozen=True)
class Outcome:
    """What an answer says: status, OAuth error (None for a page or the form), its text."""

    status: int
    error: str | None
    text: str
    location: str = ""


def outcome(answer: client.Answer) -> Outcome:
    location = answer.headers.get("location", "")
    if answer.status == 302:
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return Outcome(302, params.get("error"), params.get("error_description", ""), location)
    if answer.headers.get("content-type", "").startswith("application/json"):
        document = answer.json()
        return Outcome(answer.status, document.get("error"),
                       document.get("error_description", ""), location)
    return Outcome(answer.status, None, answer.body.decode(errors="replace"), location)


def _authorize(**changes: str | None) -> Callable[[World], client.Answer]:
    """Step 2: GET /authorize with one parameter changed."""
    return lambda world: world.session().authorize(**changes)


def _login(password: str = PASSWORDS["alice"], **changes: str | None
           ) -> Callable[[World], client.Answer]:
    """Step 6: the login form posted with one parameter changed (no GET before it)."""
    def run(world: World) -> client.Answer:
        session = world.session()
        return session.request("POST", AUTHORIZE, {
            **session.authorization_params(**changes), "username": "alice",
            "password": password})
    return run


def _code(world: World) -> tuple[client.IdmSession, str]:
    session = world.session()
    answer = session.login("alice", PASSWORDS["alice"])
    assert answer.status == 302, answer.body[:200]
    return session, answer.location_params()["code"]


def _redeem(**changes: str | None) -> Callable[[World], client.Answer]:
    """Steps 10 and 11: a fresh code redeemed with one parameter changed."""
    def run(world: World) -> client.Answer:
        session, code = _code(world)
        return session.redeem(code, **changes)
    return run


def _replayed(world: World) -> client.Answer:
    session, code = _code(world)
    assert session.redeem(code).status == 200
    return session.redeem(code)


def _unknown(world: World) -> client.Answer:
    session, _ = _code(world)
    return session.redeem("c" * 43)


def _late(world: World) -> client.Answer:
    session, code = _code(world)
    world.role.clock = lambda: time.time() + world.role.config.code_lifetime + 1
    try:
        return session.redeem(code)
    finally:
        world.role.clock = time.time


NOT_OURS = "not one registered for the client"
#: (step, guard) -> the request only it refuses, and the status, OAuth error and reason
CASES: dict[tuple[str, str], tuple[Callable[[World], client.Answer], int, str | None, str]] = {
    ("2", "client-registered"): (_authorize(client_id="stranger"), 400, None,
                                 "client_id is missing or not registered"),
    ("2", "redirect-registered"): (_authorize(redirect_uri="https://evil.example/cb"), 400,
                                   None, NOT_OURS),
    ("2", "response-type-code"): (_authorize(response_type="token"), 302,
                                  "unsupported_response_type", "must be code"),
    ("2", "scope-openid"): (_authorize(scope="3gpp:mc:ptt_service"), 302, "invalid_scope",
                            "must include openid"),
    ("2", "scope-defined"): (_authorize(scope="openid 3gpp:mc:everything"), 302,
                             "invalid_scope", "3gpp:mc:everything not defined"),
    ("2", "state-given"): (_authorize(state=None), 302, "invalid_request", "state is required"),
    ("2", "acr-password"): (_authorize(acr_values=None), 302, "invalid_request",
                            "acr_values must include 3gpp:acr:password"),
    ("2", "challenge-given"): (_authorize(code_challenge=None), 302, "invalid_request",
                               "code challenge required"),
    ("2", "challenge-s256"): (_authorize(code_challenge_method="plain"), 302,
                              "invalid_request", "must be S256"),
    ("2", "challenge-form"): (_authorize(code_challenge="short"), 302, "invalid_request",
                              "43 base64url characters"),
    ("6", "client-registered"): (_login(client_id="stranger"), 400, None,
                                 "client_id is missing or not registered"),
    ("6", "redirect-registered"): (_login(redirect_uri="https://evil.example/cb"), 400, None,
                                   NOT_OURS),
    ("6", "response-type-code"): (_login(response_type="token"), 302,
                                  "unsupported_response_type", "must be code"),
    ("6", "scope-openid"): (_login(scope="3gpp:mc:ptt_service"), 302, "invalid_scope",
                            "must include openid"),
    ("6", "scope-defined"): (_login(scope="openid 3gpp:mc:everything"), 302, "invalid_scope",
                             "3gpp:mc:everything not defined"),
    ("6", "state-given"): (_login(state=None), 302, "invalid_request", "state is required"),
    ("6", "acr-password"): (_login(acr_values=None), 302, "invalid_request",
                            "acr_values must include 3gpp:acr:password"),
    ("6", "challenge-given"): (_login(code_challenge=None), 302, "invalid_request",
                               "code challenge required"),
    ("6", "challenge-s256"): (_login(code_challenge_method="plain"), 302, "invalid_request",
                              "must be S256"),
    ("6", "challenge-form"): (_login(code_challenge="short"), 302, "invalid_request",
                              "43 base64url characters"),
    ("6", "password-right"): (_login(password="wrong"), 401, None,
                              "The user name or password is wrong."),
    ("10", "grant-type"): (_redeem(grant_type="password"), 400, "unsupported_grant_type",
                           "must be authorization_code"),
    ("10", "token-request-complete"): (_redeem(code_verifier=None), 400, "invalid_request",
                                       "code_verifier is required"),
    ("10", "token-client-registered"): (_redeem(client_id="stranger"), 401, "invalid_client",
                                        "client_id is not registered"),
    ("10", "code-issued"): (_unknown, 400, "invalid_grant", "is not known"),
    ("10", "code-unused"): (_replayed, 400, "invalid_grant", "already used"),
    ("11", "code-unexpired"): (_late, 400, "invalid_grant", "has expired"),
    ("11", "code-client"): (_redeem(client_id=OTHER_CLIENT), 400, "invalid_grant",
                            "issued to another client"),
    ("11", "code-redirect"): (_redeem(redirect_uri=REDIRECT + "/other"), 400, "invalid_grant",
                              "not the one of the authentication request"),
    ("11", "verifier-form"): (_redeem(code_verifier="not a verifier"), 400, "invalid_grant",
                              "43-128 unreserved characters"),
    ("11", "verifier-matches"): (_redeem(code_verifier=client.new_verifier()), 400,
                                 "invalid_grant", "does not match the code_challenge"),
}


def refused_as_expected(got: Outcome, status: int, error: str | None, reason: str) -> bool:
    return got.status == status and got.error == error and reason in got.text


@pytest.fixture
def mutant_world(world: World) -> Iterator[World]:
    yield world
    world.role.procedure = model.PROCEDURE


def test_every_guard_of_the_idm_has_a_case() -> None:
    guarded = {(s.number, g.name) for s in model.PROCEDURE.steps_of("idm")
               if s.action == "receive" for g in s.guards}
    assert guarded == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"step{k[0]}-{k[1]}")
def test_the_guard_refuses_with_its_status_error_and_reason(world: World,
                                                            key: tuple[str, str]) -> None:
    run, status, error, reason = CASES[key]
    before = len(world.role.codes)
    got = outcome(run(world))
    assert refused_as_expected(got, status, error, reason), got
    assert got.status == model.OAUTH_ANSWERS[key[1]][0]
    assert "code=" not in got.location and "access_token" not in got.text
    if got.status == 400 and got.error is None:  # RFC 6749 4.1.2.1: never redirected
        assert not got.location
    if key[0] in ("2", "6"):  # no code was made
        assert len(world.role.codes) == before


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"step{k[0]}-{k[1]}")
def test_without_the_guard_the_same_request_is_not_so_refused(mutant_world: World,
                                                              key: tuple[str, str]) -> None:
    (mutant,) = [m for m in drop_guard_mutants(model.PROCEDURE)
                 if (m.step, m.guard) == key]
    mutant_world.role.procedure = mutant.procedure
    run, status, error, reason = CASES[key]
    assert not refused_as_expected(outcome(run(mutant_world)), status, error, reason)


def test_the_client_takes_a_code_only_with_its_own_state(world: World) -> None:
    """REQ-IDM-08 (B.4.2.3): an authentication response to a request the client did not make
    (here: its state changed after the request left) is refused by the client's guard."""

    class Forgetful(client.IdmSession):
        def login(self, username: str, password: str, **changes: str | None
                  ) -> client.Answer:
            answer = super().login(username, password, **changes)
            self.state = "another state"
            return answer

    session = world.session()
    forgetful = Forgetful(session.base_url, session.ca_pem, session.client_id,
                          session.redirect_uri, session.scopes)
    with pytest.raises(StepRefused, match="state-is-ours") as refused:
        client.login(forgetful, "alice", PASSWORDS["alice"])
    assert refused.value.requirement == "REQ-IDM-08"


def test_a_parameter_given_twice_is_a_codec_error_naming_it(world: World) -> None:
    """RFC 6749 3.1: no parameter twice; the wire refuses before any guard, nothing is taken
    or made: at /token invalid_request naming the field, at /authorize a page (no redirect)."""
    session, code = _code(world)
    form = "&".join([f"grant_type=authorization_code&code={code}&code={code}",
                     f"client_id={session.client_id}",
                     f"redirect_uri={session.redirect_uri}",
                     f"code_verifier={session.verifier}"])
    got = outcome(_post_raw(session, "/token", form.encode()))
    assert (got.status, got.error) == (400, "invalid_request") and "field code" in got.text
    assert session.redeem(code).status == 200  # the code was not taken
    query = session.authorization_params()
    twice = "&".join(f"{k}={v}" for k, v in query.items()) + "&state=again"
    page = outcome(session.request("GET", AUTHORIZE + "?" + twice.replace(" ", "+")))
    assert page.status == 400 and not page.location and "field state" in page.text


def _post_raw(session: client.IdmSession, target: str, body: bytes) -> client.Answer:
    """POST ``body`` as it is (a form the client's urlencode would never write)."""
    parts = urlsplit(session.base_url)
    conn = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443,
                                       context=client_context(session.ca_pem), timeout=10)
    try:
        conn.request("POST", target, body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return client.Answer(response.status,
                             {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()
