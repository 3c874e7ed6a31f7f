"""Signing key rollover by kid (REQ-IDM-10..13, RFC 7517 4.5): the next key is published before
it signs, the old one stays until its tokens have expired, a relying party refetches the JWKS
for a kid it does not know, and a kid nobody published is refused."""

from __future__ import annotations

import base64
import json
import time

import pytest

from mckm.impl.errors import PolicyError
from mckm.impl.roles.idm import client
from mckm.impl.roles.idm.https import JwksFetcher, https_get
from mckm.impl.roles.kms import access_token
from tests.idm.conftest import KMS_AUD, PASSWORDS, World


def _kids(world: World, offset: float = 0) -> list[str]:
    clock = world.role.clock
    world.role.clock = lambda: time.time() + offset
    try:
        status, body = https_get(world.idm.base_url + "/jwks", world.idm.identity.ca_pem)
    finally:
        world.role.clock = clock
    assert status == 200
    return [key["kid"] for key in json.loads(body)["keys"]]


def _token(world: World) -> str:
    return client.login(world.session(), "alice", PASSWORDS["alice"])["kms_access_token"]


def _kid(token: str) -> str:
    header: dict[str, str] = json.loads(base64.urlsafe_b64decode(
        token.split(".")[0] + "=="))
    return header["kid"]


def _fetcher(world: World, min_interval: float) -> JwksFetcher:
    return JwksFetcher(world.idm.base_url + "/jwks", world.idm.identity.ca_pem,
                       min_interval=min_interval)


def _verifier(world: World, fetcher: JwksFetcher) -> access_token.TokenVerifier:
    return access_token.TokenVerifier(fetcher, audience=KMS_AUD, issuer=world.idm.base_url)


def test_the_next_key_is_published_before_it_signs(world: World) -> None:
    """REQ-IDM-11: the JWKS holds the current and the next key, and a relying party that fetched
    it before the rollover verifies the next key's tokens without a refetch; REQ-IDM-12: the
    retired key stays in the JWKS, and leaves token_lifetime seconds after its retirement."""
    keys = world.role.keys
    old, upcoming = keys.current_kid, keys.next_kid
    assert _kids(world)[:2] == [old, upcoming]  # then any retired keys of earlier tests
    fetcher = _fetcher(world, min_interval=3600)  # no refetch within the test
    verifier = _verifier(world, fetcher)
    before = _token(world)
    assert verifier.verify(before, time.time()).subject
    assert fetcher.fetches == 1

    assert keys.rollover(time.time()) == upcoming
    after = _token(world)
    assert _kid(before) == old and _kid(after) == upcoming
    assert verifier.verify(after, time.time()).subject  # known from the first fetch
    assert verifier.verify(before, time.time()).subject
    assert fetcher.fetches == 1
    assert world.kms_post(after)[0] == 200 and world.kms_post(before)[0] == 200

    kids = _kids(world)
    assert kids[:2] == [upcoming, keys.next_kid] and old in kids
    # the old key stays while a token it signed may be valid, then leaves the JWKS
    assert old in _kids(world, offset=world.role.config.token_lifetime - 5)
    assert old not in _kids(world, offset=world.role.config.token_lifetime + 1)


def test_a_kid_unknown_to_the_fetched_jwks_is_fetched_again(world: World) -> None:
    """REQ-IDM-13: a kid the fetched JWKS does not hold makes the relying party fetch it again."""
    fetcher = _fetcher(world, min_interval=0)
    verifier = _verifier(world, fetcher)
    assert verifier.verify(_token(world), time.time())
    world.role.keys.rollover(time.time())
    world.role.keys.rollover(time.time())  # signs with a key the first fetch never saw
    token = _token(world)
    assert verifier.verify(token, time.time()).subject
    assert fetcher.fetches == 2


def test_an_unknown_kid_is_refused_and_refetches_are_rate_limited(world: World) -> None:
    """REQ-IDM-13: at most one fetch per min_interval; an unknown kid is refused."""
    fetcher = _fetcher(world, min_interval=3600)
    verifier = _verifier(world, fetcher)
    assert verifier.verify(_token(world), time.time())
    world.role.keys.rollover(time.time())
    world.role.keys.rollover(time.time())
    with pytest.raises(PolicyError, match="unknown kid"):
        verifier.verify(_token(world), time.time())
    assert fetcher.fetches == 1  # within min_interval: no second fetch for a new kid


def test_an_idm_that_cannot_be_reached_is_named(world: World) -> None:
    """REQ-IDM-13: an IdM that cannot be read is named in the refusal."""
    fetcher = JwksFetcher("https://127.0.0.1:1/jwks", world.idm.identity.ca_pem)
    with pytest.raises(PolicyError, match="JWKS cannot be read"):
        _verifier(world, fetcher).verify(_token(world), time.time())


def test_the_default_refetch_interval_is_5_s(world: World) -> None:
    """REQ-IDM-13: by default a kid the fetched JWKS does not know makes the relying party
    fetch it again only once 5 s have passed since the last fetch (its clock given here)."""
    now = [1000.0]
    fetcher = JwksFetcher(world.idm.base_url + "/jwks", world.idm.identity.ca_pem,
                          clock=lambda: now[0])
    verifier = _verifier(world, fetcher)
    assert verifier.verify(_token(world), time.time()).subject
    world.role.keys.rollover(time.time())
    world.role.keys.rollover(time.time())  # a kid the first fetch never saw
    token = _token(world)
    now[0] += 4.9
    with pytest.raises(PolicyError, match="unknown kid"):
        verifier.verify(token, time.time())
    assert fetcher.fetches == 1
    now[0] += 0.1
    assert verifier.verify(token, time.time()).subject
    assert fetcher.fetches == 2
