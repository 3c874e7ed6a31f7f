"""The authorisation code flow with PKCE over real HTTPS (TS 33.180 B.4.2, RFC 7636): the
tokens it gives, and each way a request can be wrong, answered with the OAuth error and the
reason (RFC 6749 4.1.2.1, 5.2) and no code or token handed out."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from mckm.impl.errors import PolicyError
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.https import https_get
from mckm.impl.roles.idm.tokens import KEY_MANAGEMENT_SCOPES
from tests.idm.conftest import (
    ALICE,
    CLIENT,
    KMS_AUD,
    MCPTT_AUD,
    PASSWORDS,
    REDIRECT,
    SCOPES,
    World,
)


def _code(world: World, session: client.IdmSession | None = None) -> tuple[
        client.IdmSession, str]:
    session = session or world.session()
    answer = session.login("alice", PASSWORDS["alice"])
    assert answer.status == 302, answer.body[:200]
    params = answer.location_params()
    assert answer.headers["location"].startswith(REDIRECT + "?")
    assert params["state"] == session.state
    return session, params["code"]


def _refused(answer: client.Answer, status: int, error: str, reason: str) -> None:
    assert answer.status == status, answer.body[:300]
    document = answer.json()
    assert document["error"] == error and reason in document["error_description"], document
    assert "access_token" not in document


def _jwks(world: World) -> KeySet:
    status, body = https_get(world.idm.base_url + "/jwks", world.idm.identity.ca_pem)
    assert status == 200
    return KeySet.import_key_set(json.loads(body))


def test_the_flow_gives_three_tokens_that_verify_with_the_jwks_over_https(world: World) -> None:
    discovery = json.loads(https_get(world.idm.base_url + "/.well-known/openid-configuration",
                                     world.idm.identity.ca_pem)[1])
    assert discovery["issuer"] == world.idm.base_url
    assert discovery["jwks_uri"] == world.idm.base_url + "/jwks"
    assert discovery["code_challenge_methods_supported"] == ["S256"]

    tokens = client.login(world.session(), "alice", PASSWORDS["alice"])
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600
    keys = _jwks(world)
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
    assert id_token.header["kid"] == world.role.keys.current_kid
    claims = id_token.claims
    assert (claims["iss"], claims["aud"], claims["sub"], claims["mcptt_id"]) == (
        world.idm.base_url, CLIENT, "alice", ALICE)
    assert claims["acr"] == "3gpp:acr:password"

    access = jwt.decode(tokens["access_token"], keys, algorithms=["ES256"]).claims
    assert access["aud"] == MCPTT_AUD and access["client_id"] == CLIENT
    assert access["scope"].split() == ["3gpp:mc:ptt_service", "openid"]
    kms = world.verifier().verify(tokens["kms_access_token"], world.role.clock())
    assert (kms.subject, kms.audience, kms.scopes) == (
        ALICE, KMS_AUD, frozenset(SCOPES) & KEY_MANAGEMENT_SCOPES)

    status, body = world.kms_post(tokens["kms_access_token"])
    assert status == 200 and "KmsKeySet" in body


def test_a_wrong_verifier_is_invalid_grant_and_consumes_the_code(world: World) -> None:
    session, code = _code(world)
    _refused(session.redeem(code, code_verifier=client.new_verifier()), 400, "invalid_grant",
             "does not match the code_challenge (RFC 7636 4.6)")
    _refused(session.redeem(code), 400, "invalid_grant", "already used")


def test_a_code_is_single_use(world: World) -> None:
    session, code = _code(world)
    assert session.redeem(code).status == 200
    _refused(session.redeem(code), 400, "invalid_grant", "already used")
    _refused(session.redeem("x" * 43), 400, "invalid_grant", "not known")


def test_a_redirect_uri_not_registered_is_never_redirected_to(world: World) -> None:
    evil = "https://evil.example/cb"
    answer = world.session().authorize(redirect_uri=evil)
    assert answer.status == 400 and "location" not in answer.headers
    assert b"redirect_uri is missing or not one registered" in answer.body
    answer = world.session().login("alice", PASSWORDS["alice"], redirect_uri=evil)
    assert answer.status == 400 and "location" not in answer.headers


def test_a_redirect_uri_other_than_the_requests_is_invalid_grant(world: World) -> None:
    session, code = _code(world)
    _refused(session.redeem(code, redirect_uri=REDIRECT + "/other"), 400, "invalid_grant",
             "redirect_uri is not the one of the authentication request")


def test_a_code_redeemed_by_another_client_id(world: World) -> None:
    session, code = _code(world)
    _refused(session.redeem(code, client_id="stranger"), 401, "invalid_client",
             "not registered")


@pytest.mark.parametrize("user, password", [("alice", "wrong"), ("mallory", "anything"),
                                            ("alice", "")])
def test_a_wrong_password_gets_the_form_again_and_no_code(world: World, user: str,
                                                          password: str) -> None:
    before = len(world.role.codes)
    answer = world.session().login(user, password)
    assert answer.status == 401 and "location" not in answer.headers
    assert b"The user name or password is wrong." in answer.body
    assert len(world.role.codes) == before


@pytest.mark.parametrize("changes, error, reason", [
    ({"code_challenge": None}, "invalid_request", "code challenge required"),
    ({"code_challenge_method": "plain"}, "invalid_request", "must be S256"),
    ({"code_challenge": "short"}, "invalid_request", "43 base64url characters"),
    ({"scope": "3gpp:mc:ptt_service"}, "invalid_scope", "must include openid"),
    ({"scope": "openid 3gpp:mc:everything"}, "invalid_scope", "3gpp:mc:everything"),
    ({"response_type": "token"}, "unsupported_response_type", "must be code"),
    ({"acr_values": None}, "invalid_request", "3gpp:acr:password"),
])
def test_a_bad_authentication_request_is_redirected_with_the_error(
        world: World, changes: dict[str, str | None], error: str, reason: str) -> None:
    session = world.session()
    answer = session.authorize(**changes)
    assert answer.status == 302, answer.body[:200]
    params = answer.location_params()
    assert params["error"] == error and reason in params["error_description"], params
    assert params["state"] == session.state and "code" not in params


def test_a_token_request_missing_the_verifier_or_with_a_bad_grant(world: World) -> None:
    session, code = _code(world)
    _refused(session.redeem(code, code_verifier=None), 400, "invalid_request",
             "code_verifier is required")
    _refused(session.redeem(code, grant_type="password"), 400, "unsupported_grant_type",
             "authorization_code")
    answer = session.request("POST", "/token?grant_type=authorization_code")
    assert answer.status == 400  # no body: not a form
    assert session.redeem(code).status == 200  # none of these consumed the code


def test_the_kms_access_token_is_issued_only_for_a_key_management_scope(world: World) -> None:
    tokens = client.login(world.session(("openid", "3gpp:mc:ptt_service")), "alice",
                          PASSWORDS["alice"])
    assert "kms_access_token" not in tokens
    status, body = world.kms_post(tokens["access_token"])  # the MCPTT server's token
    assert status == 401 and "another audience" in body and "REQ-SKMS-20" in body


def test_the_verifier_refuses_an_id_token(world: World) -> None:
    tokens = client.login(world.session(), "alice", PASSWORDS["alice"])
    with pytest.raises(PolicyError, match="lacks scope"):  # B.2.1: an ID token has no scope
        world.verifier().verify(tokens["id_token"], world.role.clock())
