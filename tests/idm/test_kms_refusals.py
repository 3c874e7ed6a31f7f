"""The KMS refusing tokens of a real IdM over HTTPS (TS 33.180 5.1.3.1, B.11.2; REQ-SKMS-20/21/22,
REQ-IDM-20..23): forged, tampered, expired, early, wrong issuer, audience, scope, subject, kid
and algorithm -- each a 401 or 403 naming the reason through the model's guard, and no key set
stored."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from mckm.impl.roles.idm import client
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from tests.idm.conftest import ALICE, BOB, PASSWORDS, SCOPES, World


def _tokens(world: World, user: str = "alice", scopes: tuple[str, ...] = SCOPES
            ) -> dict[str, str]:
    return client.login(world.session(scopes), user, PASSWORDS[user])


def _claims(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


@contextmanager
def _idm_clock(world: World, offset: float) -> Iterator[None]:
    """The IdM's clock ``offset`` seconds off the KMS's for the tokens issued inside."""
    world.role.clock = lambda: time.time() + offset
    try:
        yield
    finally:
        world.role.clock = time.time


def _refused(world: World, token: str, status: int, reason: str, *,
             user_uri: str | None = None) -> None:
    before = world.store.count("key_sets")
    got, body = world.kms_post(token, user_uri)
    assert got == status, body[:300]
    assert reason in body, body
    assert ("REQ-SKMS-20" if status == 401 else "REQ-SKMS-2") in body
    assert world.store.count("key_sets") == before


def _stranger(kid: str | None) -> ECKey:
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    return access_token.signing_key(key, kid) if kid else key


CASES: list[tuple[str, Callable[[World], str], int, str]] = [
    ("forged with the IdM's kid",
     lambda w: access_token.sign(_stranger(w.role.keys.current_kid),
                                 _claims(_tokens(w)["kms_access_token"])),
     401, "signature does not verify"),
    ("tampered mcptt_id",
     lambda w: (lambda t: t.split(".")[0] + "." + base64.urlsafe_b64encode(json.dumps(
         {**_claims(t), "mcptt_id": BOB}).encode()).rstrip(b"=").decode() + "."
         + t.split(".")[2])(_tokens(w)["kms_access_token"]),
     401, "signature does not verify"),
    ("unknown kid",
     lambda w: access_token.sign(_stranger("not-the-idms"),
                                 _claims(_tokens(w)["kms_access_token"])),
     401, "unknown kid (not in the IdM's JWKS)"),
    ("no kid, several keys",
     lambda w: access_token.sign(ec.generate_private_key(ec.SECP256R1()),
                                 _claims(_tokens(w)["kms_access_token"])),
     401, "names no kid"),
    ("right key, another issuer",
     lambda w: access_token.sign(w.role.keys.signer(), {
         **_claims(_tokens(w)["kms_access_token"]), "iss": "https://idm.elsewhere"}),
     401, "another issuer (iss)"),
    ("the MCPTT server's access token", lambda w: _tokens(w)["access_token"],
     401, "another audience"),
    ("the ID token", lambda w: _tokens(w)["id_token"], 401, "lacks scope"),
    ("HS256", lambda w: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", 401, "must be signed ES256"),
]


@pytest.mark.parametrize("name, make, status, reason", CASES, ids=[c[0] for c in CASES])
def test_the_kms_refuses(world: World, name: str, make: Callable[[World], str], status: int,
                         reason: str) -> None:
    """REQ-IDM-21: a token of another issuer, the MCPTT server's access token (another audience)
    and the ID token (no scope) are refused by the KMS."""
    _refused(world, make(world), status, reason)


def test_an_expired_token_is_refused(world: World) -> None:
    """REQ-IDM-22: exp gets no leeway."""
    with _idm_clock(world, -3600):  # lifetime 600 s: expired 3000 s ago
        token = _tokens(world)["kms_access_token"]
    _refused(world, token, 401, "has expired")


def test_a_token_from_an_idm_clock_ahead_beyond_the_leeway_is_refused(world: World) -> None:
    """REQ-IDM-22: iat up to the stated skew ahead is served, beyond it refused."""
    with _idm_clock(world, access_token.LEEWAY + 60):
        token = _tokens(world)["kms_access_token"]
    _refused(world, token, 401, "in the future (iat)")
    with _idm_clock(world, access_token.LEEWAY // 2):  # within the stated skew: served
        token = _tokens(world)["kms_access_token"]
    assert world.kms_post(token)[0] == 200


def test_a_token_without_the_kms_scope_is_forbidden(world: World) -> None:
    """REQ-IDM-23: scope must include 3gpp:mc:ptt_key_management_service (403)."""
    tokens = _tokens(world, scopes=("openid", "3gpp:mc:video_key_management_service"))
    assert _claims(tokens["kms_access_token"])["scope"] != KMS_SCOPE
    _refused(world, tokens["kms_access_token"], 403, "does not grant the KMS scope")


def test_a_token_for_another_mc_id_is_forbidden(world: World) -> None:
    """REQ-IDM-23: mcptt_id must be the MC ID the request is for, and enrolled at the KMS (403)."""
    token = _tokens(world)["kms_access_token"]
    _refused(world, token, 403, "not the token's MC ID", user_uri=BOB)
    assert world.kms_post(token, ALICE)[0] == 200
    _refused(world, _tokens(world, "bob")["kms_access_token"], 403, "not enrolled")


def test_a_token_is_a_bearer_token_served_again_within_its_lifetime(world: World) -> None:
    """RFC 6750: the same token may be presented again until ``exp`` (the one-time thing is
    the authorisation code, test_code_flow)."""
    token = _tokens(world)["kms_access_token"]
    assert [world.kms_post(token)[0] for _ in range(2)] == [200, 200]


@pytest.mark.parametrize("claim", ["iss", "aud", "mcptt_id", "scope", "exp"])
def test_a_token_without_a_required_claim_is_refused(world: World, claim: str) -> None:
    """REQ-IDM-21: mcptt_id, scope, exp, iss and aud are required: the IdM's own key signs the
    KMS access token's claims without ``claim``, and the KMS refuses it (401)."""
    claims = _claims(_tokens(world)["kms_access_token"])
    del claims[claim]
    _refused(world, access_token.sign(world.role.keys.signer(), claims), 401, f"lacks {claim}")
