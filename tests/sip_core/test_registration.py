"""Seed 001 steps 1, 2 and 4 end to end on real SIP sockets with real tokens from the real IdM:
REGISTER at the SIP core, its third-party REGISTER at the MCPTT server, the PUBLISH carrying the
access token, the binding and the service authorisation profile."""

from __future__ import annotations

import pytest

from mckm.impl.roles.sip_core.body import parse_profile
from mckm.impl.roles.sip_core.view import uri_of
from mckm.models.procedures import sip_registration as model
from tests.idm.conftest import ALICE, BOB
from tests.sip_core.conftest import IMPU_ALICE, IMPU_BOB, World


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_register_third_party_register_publish_bind(world: World, transport: str) -> None:
    ue = world.ue(transport=transport)
    assert world.server.registered() == frozenset()
    registered = ue.register(expires=600)
    assert (registered.status, registered.reason, registered.refused) == (200, "OK", None)
    assert registered.response is not None
    assert uri_of(registered.response.header("Contact")) == ue.contact
    # step 2: the server heard of the registration before the UE got its 200
    assert world.server.registered() == {IMPU_ALICE}
    assert world.server.bindings() == {}

    token = world.access_token("alice")
    published = ue.publish(token)
    assert (published.status, published.reason, published.refused) == (200, "OK", None)
    response = published.response
    assert response is not None
    assert response.header("Content-Type") == model.PROFILE_TYPE
    profile = parse_profile(response.body)
    assert (profile.mcptt_id, profile.impu, profile.session) == (ALICE, IMPU_ALICE, ue.contact)
    assert 0 < profile.expires <= 600
    assert response.header("SIP-ETag")
    assert ue.profile == profile
    binding = world.server.bindings()[ALICE]
    assert (binding.impu, binding.session, binding.etag) == (
        IMPU_ALICE, ue.contact, response.header("SIP-ETag"))


def test_two_users_each_bound_to_their_own_impu(world: World) -> None:
    alice, bob = world.ue(IMPU_ALICE, "alice"), world.ue(IMPU_BOB, "bob")
    for ue, user in ((alice, "alice"), (bob, "bob")):
        assert ue.register().status == 200
        assert ue.publish(world.access_token(user)).status == 200
    bindings = world.server.bindings()
    assert {k: b.impu for k, b in bindings.items()} == {ALICE: IMPU_ALICE, BOB: IMPU_BOB}


def test_deregistration_drops_the_registration_and_the_binding(world: World) -> None:
    ue = world.ue()
    assert ue.register().status == 200
    assert ue.publish(world.access_token()).status == 200
    assert ALICE in world.server.bindings()
    ue.machine.state = "idle"  # a UE that registers again, with Expires 0
    assert ue.register(expires=0).status == 200
    assert world.server.registered() == frozenset()
    assert world.server.bindings() == {}


def test_two_users_logged_in_through_one_sip_session(world: World) -> None:
    """Seed 001 7.x.1: several MCPTT users through one SIP session each get their own binding
    (and so their own CEK, keyed by user and session); de-registration ends both."""
    ue = world.ue(IMPU_ALICE, "alice")
    assert ue.register().status == 200
    assert ue.publish(world.access_token("alice")).status == 200
    ue.vars["mcptt_id"] = BOB  # Bob's MCPTT client logs in on the same UE, same registration
    ue.machine.state = "registered"
    outcome = ue.publish(world.access_token("bob"))
    assert (outcome.status, outcome.refused) == (200, None)
    assert ue.profile is not None and ue.profile.mcptt_id == BOB
    bindings = world.server.bindings()
    assert {k: (b.impu, b.session) for k, b in bindings.items()} == {
        ALICE: (IMPU_ALICE, ue.contact), BOB: (IMPU_ALICE, ue.contact)}
    assert bindings[ALICE].etag != bindings[BOB].etag
    ue.machine.state = "idle"
    assert ue.register(expires=0).status == 200
    assert world.server.bindings() == {}
