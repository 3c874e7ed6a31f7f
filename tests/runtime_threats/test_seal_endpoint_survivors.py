"""The SEAL user endpoint (TS 33.434 6.Y.2 seed 004, MIKEY-SAKKE I_MESSAGE of RFC 6509 / TS 33.180
E) keeps its contract where a sloppy endpoint would still pass the happy path: refusals say why
(models/procedures/verdict: "the runtime knows why"), a second GMK under a held GMK-ID is refused
by the model (REQ-SEAL-KD-15), key sets are validated when installed (RFC 6507 5.1.2, RFC 6508
6.1.2), a broken effects registry is a UsageError, and only the model's persistent role variables
are kept between messages.  Survivors of ``./dev mutate seal``."""

from __future__ import annotations

import dataclasses

import pytest

from mckm.impl.engine import Effect, EffectContext, StepRefused
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.roles.seal import GroupManagementServer, SealUser, UserKeys
from mckm.impl.roles.seal import effects as seal_effects
from mckm.impl.roles.seal.effects import registry
from mckm.impl.roles.seal.facts import SAKKE_PARAMS_1, SealFacts
from mckm.models.procedures import seal_key_distribution as model
from tests.e2e.seal_fixtures import NOW, kms

ALICE, BOB, CAROL = "sip:alice@example.org", "sip:bob@example.org", "sip:carol@example.org"
GMS = "sip:sgms@example.org"


def _user(uri: str, **kw: object) -> SealUser:
    return SealUser(uri, kms().community, [kms().keys(uri)], **kw)  # type: ignore[arg-type]


def _refusal(bob: SealUser, raw: bytes, sender: str = ALICE) -> StepRefused:
    with pytest.raises(StepRefused) as exc:
        bob.receive(raw, now=NOW, sender_uri=sender)
    return exc.value


def _initiator_with(encapsulate: Effect) -> SealUser:
    """Alice, a valid user who signs what her own (rogue) SAKKE effect wrote."""
    effects = registry()
    effects.register("seal.encapsulate_key", encapsulate)
    return _user(ALICE, effects=effects)


def test_a_signed_i_message_with_an_unsupported_sakke_parameter_set_is_refused_saying_so(
) -> None:
    """RFC 6509 4.2: SAKKE parameter set 1 only.  Alice signs an I_MESSAGE whose SAKKE payload
    claims set 2: guard encrypted-to-receiver refuses it and says which set it was given."""

    def set_two(ctx: EffectContext) -> None:
        seal_effects.encapsulate_key(ctx)
        ctx.set_field("sakke", ctx.fields["sakke"]._replace(params=2))

    raw, _ = _initiator_with(set_two).send(BOB, "PCK", now=NOW)
    bob = _user(BOB)
    refused = _refusal(bob, raw)
    assert refused.guard == "encrypted-to-receiver" and refused.mikey_error == 0
    assert "SAKKE parameter set 2 is not supported" in str(refused)
    assert bob.store.all() == []


def test_a_sakke_payload_for_another_uid_is_refused_saying_it_does_not_decapsulate() -> None:
    """RFC 6508 6.2.2 / REQ-SEAL-KD-11: Alice signs an I_MESSAGE to Bob whose SSV is encrypted
    to Carol's UID; Bob's refusal says the payload does not decapsulate."""
    carol_uid = kms().community.uid(CAROL, kms().community.period_of(NOW))

    def to_carol(ctx: EffectContext) -> None:
        facts = ctx.facts
        assert isinstance(facts, SealFacts)
        data = facts.ring.encapsulate(ctx.scratch["key"].reveal(), carol_uid)
        ctx.set_field("sakke", model.SakkePayload(SAKKE_PARAMS_1, facts.community.id_scheme,
                                                  data))

    raw, _ = _initiator_with(to_carol).send(BOB, "PCK", now=NOW)
    bob = _user(BOB)
    refused = _refusal(bob, raw)
    assert refused.guard == "encrypted-to-receiver"
    assert "the SAKKE payload does not decapsulate" in str(refused)
    assert bob.store.all() == []


def test_a_second_gmk_under_a_held_gmk_id_is_refused_by_key_fits() -> None:
    """REQ-SEAL-KD-15, TS 33.180 5.2.3: the GMK-ID a member stores a GMK by is the GUK-ID
    unmasked with the member's own URI; a second, different GMK the SGM-S sends under that
    GMK-ID is refused by the model's guard key-fits (naming the id), not by the store."""
    gms = GroupManagementServer(GMS, kms().community, [kms().keys(GMS)])
    bob = _user(BOB, group_servers=[GMS])
    gmk_id, first = gms.distribute_gmk([BOB], now=NOW, gmk=bytes(16))
    held = bob.receive(first[BOB], now=NOW, sender_uri=GMS)
    _, second = gms.distribute_gmk([BOB], now=NOW, gmk=bytes(range(16)), gmk_id=gmk_id)
    refused = _refusal(bob, second[BOB], sender=GMS)
    assert (refused.guard, refused.mikey_error) == ("key-fits", 12)
    assert f"a different key is already held under SK-ID {gmk_id:08x}" in str(refused)
    assert bob.store.all() == [held]


def _mismatched_keys(uri: str) -> UserKeys:
    """``uri``'s key set carrying another user's SSK and PVT (not issued for its UID)."""
    own, other = kms().keys(uri), kms().keys(CAROL)
    return dataclasses.replace(own, ssk=other.ssk, pvt=other.pvt)


def test_a_key_set_whose_ssk_is_not_for_its_uid_is_refused_when_installed() -> None:
    """RFC 6507 5.1.2: "Every SSK MUST be validated before being installed": a SealUser and
    its SealFacts (both warm by default) refuse a key set whose SSK/PVT belong to another UID
    when they are given it, before any message is signed with it."""
    bad = _mismatched_keys(BOB)
    with pytest.raises(VerifyError):
        SealUser(BOB, kms().community, [bad])
    with pytest.raises(VerifyError):
        SealFacts(kms().community, [bad])


def test_an_effects_registry_that_does_not_encode_the_i_message_is_a_usage_error() -> None:
    """The endpoint's errors are MckmErrors: an effects registry whose ``seal.sign`` leaves no
    encoded I_MESSAGE (RFC 6509 2.1) is reported as a UsageError, not a crash in the decoder."""

    def sign_without_octets(ctx: EffectContext) -> None:
        seal_effects.sign(ctx)
        ctx.set_field("raw", None)

    effects = registry()
    effects.register("seal.sign", sign_without_octets)
    with pytest.raises(UsageError, match="did not produce an encoded I_MESSAGE"):
        _user(ALICE, effects=effects).send(BOB, "PCK", now=NOW)


def test_only_the_models_persistent_role_variables_are_kept_between_messages() -> None:
    """The endpoint runs one machine per I_MESSAGE over the model's role variables (the
    receiver's: seal_key_distribution PROCEDURE); what belongs to one message is not kept: the
    receiver's key period is each receive's own (of its ``now``), the initiator's peer and its
    SKM-S each send's own."""
    receiver_role = next(r for r in model.PROCEDURE.roles if r.name == "receiver")
    alice, bob = _user(ALICE), _user(BOB)
    assert set(bob.receiver_vars) == set(receiver_role.vars)
    assert bob.receiver_vars["period"] is None
    raw, _ = alice.send(BOB, "PCK", now=NOW, kms_r=kms().community.kms_uri)
    bob.receive(raw, now=NOW, sender_uri=ALICE)
    assert set(bob.receiver_vars) == set(receiver_role.vars)
    assert bob.receiver_vars["period"] is None
    assert not {"peer", "peer_kms"} & set(alice.initiator_vars)
