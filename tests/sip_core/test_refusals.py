"""Every refusal of ``sip-registration`` on real sockets: its SIP status and reason phrase from
the model's guard, a Warning naming the guard and the reason, and nothing registered or bound.

Tokens are the real IdM's (a KMS access token is a real token for another audience; a login
without the MCPTT service scope gives a real token without it), or signed with the IdM's own
key with one claim changed (expired), or with another key under the IdM's kid (forged)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from joserfc.jwk import ECKey

from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.roles.sip_core.body import mcptt_info
from mckm.impl.transport import sip_message
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint
from mckm.models.procedures import sip_registration as model
from tests.idm.conftest import ALICE
from tests.sip_core.conftest import IMPU_ALICE, IMPU_BOB, IMPU_STRANGER, T1, World


@pytest.fixture
def peer() -> Iterator[SipEndpoint]:
    with SipEndpoint(None, t1=T1, methods=()) as endpoint:
        yield endpoint


def publish(peer: SipEndpoint, impu: str, token: str, *, event: str = model.EVENT,
            extra: tuple[tuple[str, str], ...] = (), body: bytes | None = None) -> SipMessage:
    return sip_message.request("PUBLISH", "sip:mcptt-server@127.0.0.1", from_uri=impu, to_uri=impu,
                        local=peer.address, transport="UDP", headers=(
                            ("Event", event), *extra,
                            ("Content-Type", model.MCPTT_INFO_TYPE)),
                        body=mcptt_info(token) if body is None else body)


def answer_of(response: SipMessage) -> tuple[int, str]:
    parts = response.start.split(" ", 2)
    return int(parts[1]), parts[2]


def registered_alice(world: World) -> None:
    assert world.ue().register().status == 200


def expect(world: World, got: tuple[int, str], guard: str, response: SipMessage | None) -> None:
    assert got == model.SIP_ANSWERS[guard]
    assert response is not None
    warning = response.header("Warning") or ""
    assert warning.startswith("399 ") and f"guard {guard!r}" in warning, warning
    assert world.server.bindings() == {}


# ---- the access token (REQ-SIPREG-06), each at the MCPTT server through the SIP core


def _expired(world: World) -> str:
    now = int(time.time())
    return world.sign(iat=now - 120, nbf=now - 120, exp=now - 1)


def _forged(world: World) -> str:
    claims = world.sign()  # a valid token's claims, signed again by another key under its kid
    from tests.sip_core.conftest import claims as read

    other = ECKey.generate_key("P-256", parameters={"kid": world.idm.role.keys.current_kid},
                               private=True)
    return access_token.sign(other, read(claims))


TOKENS = {
    "expired": (_expired, "token-valid", "expired"),
    "wrong-audience": (lambda w: w.tokens()["kms_access_token"], "token-valid", "audience"),
    "wrong-issuer": (lambda w: w.sign(iss="https://other-idm.example.org"), "token-valid",
                     "issuer"),
    "not-yet-valid": (lambda w: w.sign(nbf=int(time.time()) + 300), "token-valid", "nbf"),
    "forged": (_forged, "token-valid", "signature"),
    "not-a-jws": (lambda w: "not.a-token", "token-valid", "compact JWS"),
    "wrong-scope": (lambda w: w.tokens(scopes=("openid", KMS_SCOPE))["access_token"],
                    "token-scope", "MCPTT service scope"),
}


@pytest.mark.parametrize("case", sorted(TOKENS))
def test_a_bad_access_token_is_refused_and_nothing_bound(world: World, case: str) -> None:
    make, guard, named = TOKENS[case]
    ue = world.ue()
    assert ue.register().status == 200
    outcome = ue.publish(make(world))
    expect(world, (outcome.status, outcome.reason), guard, outcome.response)
    warning = outcome.response.header("Warning") if outcome.response else None
    assert warning is not None and named in warning and "REQ-SKMS" not in warning
    assert ue.profile is None


def test_a_replayed_token_is_refused_for_another_impu(world: World) -> None:
    token = world.access_token("alice")
    alice, thief = world.ue(IMPU_ALICE), world.ue(IMPU_BOB, "bob")
    assert alice.register().status == 200 and thief.register().status == 200
    assert alice.publish(token).status == 200
    before = world.server.bindings()
    outcome = thief.publish(token)  # Alice's token, captured, presented from Bob's IMPU
    assert (outcome.status, outcome.reason) == model.SIP_ANSWERS["token-unused"]
    assert world.server.bindings() == before == {ALICE: before[ALICE]}
    assert before[ALICE].impu == IMPU_ALICE


def test_no_token_in_the_body_is_refused_naming_the_body(world: World,
                                                         peer: SipEndpoint) -> None:
    registered_alice(world)
    request = publish(peer, IMPU_ALICE, "", body=b"<mcpttinfo/>")
    response = peer.send(request, world.core.address)
    expect(world, answer_of(response), "token-valid", response)
    assert "mcpttinfo" in (response.header("Warning") or "")


# ---- registration and the path (REQ-SIPREG-01, -03, -04, -05)


def test_publish_before_registration_is_refused_at_the_sip_core(world: World,
                                                                 peer: SipEndpoint) -> None:
    response = peer.send(publish(peer, IMPU_ALICE, world.access_token()), world.core.address)
    expect(world, answer_of(response), "publisher-registered", response)


def test_publish_after_deregistration_is_refused(world: World) -> None:
    ue = world.ue()
    assert ue.register().status == 200
    ue.machine.state = "idle"
    assert ue.register(expires=0).status == 200
    ue.machine.state = "registered"  # a UE that believes it is still registered
    outcome = ue.publish(world.access_token())
    expect(world, (outcome.status, outcome.reason), "publisher-registered", outcome.response)


def test_an_impu_the_core_does_not_serve_is_404(world: World) -> None:
    outcome = world.ue(IMPU_STRANGER).register()
    expect(world, (outcome.status, outcome.reason), "impu-served", outcome.response)
    assert world.server.registered() == frozenset()


def test_a_too_brief_registration_is_423(world: World) -> None:
    outcome = world.ue().register(expires=model.MIN_EXPIRES - 1)
    expect(world, (outcome.status, outcome.reason), "expires-acceptable", outcome.response)
    assert outcome.response is not None
    assert outcome.response.header("Min-Expires") == str(model.MIN_EXPIRES)
    assert world.server.registered() == frozenset()


def test_another_event_package_is_489_with_allow_events(world: World,
                                                         peer: SipEndpoint) -> None:
    registered_alice(world)
    request = publish(peer, IMPU_ALICE, world.access_token(), event="presence")
    response = peer.send(request, world.core.address)
    expect(world, answer_of(response), "event-package", response)
    assert response.header("Allow-Events") == model.EVENT


def test_a_publish_that_bypasses_the_core_is_refused(world: World, peer: SipEndpoint) -> None:
    registered_alice(world)  # Alice is registered: only the path is wrong
    request = publish(peer, IMPU_ALICE, world.access_token(),
                      extra=(("P-Asserted-Identity", f"<{IMPU_ALICE}>"),
                             ("Contact", "<sip:evil@127.0.0.1>")))
    response = peer.send(request, world.server.address)
    expect(world, answer_of(response), "through-sip-core", response)


def test_a_third_party_register_not_from_the_core_is_refused(world: World,
                                                             peer: SipEndpoint) -> None:
    request = sip_message.request("REGISTER", world.server.uri, from_uri=world.core.uri,
                           to_uri=IMPU_ALICE, local=peer.address, transport="UDP",
                           headers=(("Contact", f"<{world.core.uri}>"), ("Expires", "600")))
    response = peer.send(request, world.server.address)
    expect(world, answer_of(response), "from-sip-core", response)
    assert world.server.registered() == frozenset()


def test_a_ue_cannot_assert_its_own_identity(world: World, peer: SipEndpoint) -> None:
    """The SIP core drops a P-Asserted-Identity the UE sent and asserts the From it checked:
    Bob, registered, claiming Alice's identity is bound as Bob's IMPU, never Alice's."""
    assert world.ue(IMPU_BOB, "bob").register().status == 200
    request = publish(peer, IMPU_BOB, world.access_token("bob"),
                      extra=(("P-Asserted-Identity", f"<{IMPU_ALICE}>"),))
    response = peer.send(request, world.core.address)
    assert answer_of(response) == model.OK
    assert {b.impu for b in world.server.bindings().values()} == {IMPU_BOB}


def test_a_request_without_a_contact_is_400(world: World, peer: SipEndpoint) -> None:
    """REQ-SIPREG-09: a request the model cannot read (a field missing) is 400, naming the
    field, and registers nothing."""
    request = sip_message.request("REGISTER", "sip:127.0.0.1", from_uri=IMPU_ALICE,
                                  to_uri=IMPU_ALICE, local=peer.address, transport="UDP",
                                  headers=(("Expires", "600"),))
    response = peer.send(request, world.core.address)
    assert answer_of(response) == model.UNEXPECTED_ANSWER
    assert "contact is missing" in (response.header("Warning") or "")
    assert world.server.registered() == frozenset()


def test_other_methods_are_405(world: World, peer: SipEndpoint) -> None:
    request = sip_message.request("SUBSCRIBE", "sip:127.0.0.1", from_uri=IMPU_ALICE,
                           to_uri=IMPU_ALICE, local=peer.address, transport="UDP")
    response = peer.send(request, world.core.address)
    assert answer_of(response) == (405, "Method Not Allowed")
    assert response.header("Allow") == "REGISTER, PUBLISH"


def test_one_token_presented_at_once_from_two_impus_binds_once(world: World) -> None:
    """The server checks and remembers a token under its role's lock: of two PUBLISHes racing
    with one token, exactly one binds and the other is refused as a replay."""
    from concurrent.futures import ThreadPoolExecutor

    token = world.access_token()
    ues = [world.ue(IMPU_ALICE), world.ue(IMPU_BOB, "bob")]
    assert all(ue.register().status == 200 for ue in ues)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda ue: ue.publish(token), ues))
    answers = sorted((o.status, o.reason) for o in outcomes)
    assert answers == [model.OK, model.SIP_ANSWERS["token-unused"]]
    assert list(world.server.bindings()) == [ALICE]
