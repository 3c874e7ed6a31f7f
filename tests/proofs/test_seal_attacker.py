"""SEAL against a Dolev-Yao attacker: the rows hold or fail as their assumption says, the
mutants that matter to secrecy and agreement are killed by these rows (not only by the
regression rows), and the attacks the prover finds are replayed on the real SealUser with real
ECCSI/SAKKE octets: the runtime does what the model does."""

from __future__ import annotations

import functools

import pytest

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.errors import MckmError
from mckm.impl.roles.seal import Community, SealUser
from mckm.impl.roles.seal.imessage import IdForm
from mckm.models.procedures.mutants import mutants
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from mckm.proofs import attacker_seal as A
from mckm.proofs.result import ProofResult
from tests.e2e.seal_fixtures import NOW, Kms, kms

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"


@functools.cache
def rows() -> tuple[ProofResult, ...]:
    return tuple(A.prove(quick=True))


def _row(prop: str, assumption: str) -> ProofResult:
    return next(r for r in rows() if r.property.endswith(prop) and r.assumption == assumption)


def test_each_row_holds_or_fails_as_its_assumption_says() -> None:
    assert len(rows()) == len(A.PROPERTIES) * len(A.ASSUMPTIONS)
    for r in rows():
        assert r.as_expected, (r.property, r.assumption, r.counterexample)
    for a in A.ASSUMPTIONS[:3]:  # honest, compromised UE, untrusted compromised KMS
        assert all(_row(p, a.name).holds for p in A.PROPERTIES)


@pytest.mark.parametrize(("guard", "prop"), [
    ("signed-by-initiator", A.SECRECY),  # the attacker's own K under an honest IDRi
    ("addressed", A.AGREEMENT),  # a message for someone else accepted
    ("current-period", A.AGREEMENT),  # K for another UID of the receiver
    ("timely", A.RECENT),  # an old message delivered late
    ("not-replayed", A.INJECTIVE),  # one send accepted twice
    ("acceptable-kms", A.SECRECY),  # a third KMS's key signs for anyone
    ("group-key-from-sgms", A.GROUP),
])
def test_dropping_a_guard_gives_the_attack_it_stops(guard: str, prop: str) -> None:
    """Each mutant is killed by an attacker row, under the first assumption that lets it."""
    name = f"step 2: drop {guard}"
    killers = [(r.property, r.assumption) for r in rows() for m in r.mutants
               if m.name == name and m.killed]
    assert killers and killers[0][0].endswith(prop), killers


def test_the_compromised_trusted_kms_attack_is_an_impersonation() -> None:
    """The trace the prover gives: the receiver accepts a message it believes is from an
    honest identity, composed by the attacker with the trusted-but-compromised KMS."""
    r = _row(A.AGREEMENT, "a compromised KMS the receiver trusts")
    assert not r.holds and r.counterexample is not None
    assert "composed by the attacker" in r.counterexample["trace"]


def _forged(kms_keys: Kms, claimed: str, to: str) -> bytes:
    """An I_MESSAGE from ``claimed`` to ``to``, signed with an SSK that ``kms_keys`` (held by
    the attacker) issued for ``claimed``."""
    forger = SealUser(claimed, kms_keys.community, [kms_keys.keys(claimed)])
    raw, _ = forger.send(to, "PCK", now=NOW, id_form=IdForm.URI)  # IDRs carry URIs (RFC 6509)
    return raw


def _other_kms(uri: str) -> Kms:
    ksak, kpak = eccsi.kms_keypair()
    z, z_pub = sakke.kms_master_key()
    return Kms(Community(uri, kpak, z_pub, id_scheme=kms().community.id_scheme), ksak, z)


def test_real_attack_a_compromised_trusted_kms_impersonates_anyone() -> None:
    """The expected attack of the model, on real octets: with the KSAK of the KMS the receiver
    trusts, the attacker signs as Alice and Bob accepts the attacker's K as Alice's."""
    bob = SealUser(BOB, kms().community, [kms().keys(BOB)])
    record = bob.receive(_forged(kms(), ALICE, BOB), now=NOW, sender_uri=ALICE)
    assert record.peer == ALICE


def test_real_attack_a_compromised_untrusted_kms_is_refused() -> None:
    """The row that holds, on real octets: a third KMS's keys sign for Alice; Bob refuses the
    message whether it names that KMS (not trusted) or Bob's own (the signature fails)."""
    evil = _other_kms("evil-kms.example.org")
    bob = SealUser(BOB, kms().community, [kms().keys(BOB)])
    forged = _forged(evil, ALICE, BOB)
    with pytest.raises(MckmError, match="acceptable-kms"):
        bob.receive(forged, now=NOW, sender_uri=ALICE)
    lying = _other_kms(kms().community.kms_uri)  # claims the honest KMS's URI
    with pytest.raises(MckmError, match="signed-by-initiator"):
        bob.receive(_forged(lying, ALICE, BOB), now=NOW, sender_uri=ALICE)


def test_real_attack_a_leaked_master_secret_opens_recorded_messages() -> None:
    """SAKKE's lack of forward secrecy, on real octets: an I_MESSAGE recorded before the leak
    opens with the RSK the leaked z gives for Bob's UID."""
    alice = SealUser(ALICE, kms().community, [kms().keys(ALICE)])
    bob = SealUser(BOB, kms().community, [kms().keys(BOB)])
    raw, _ = alice.send(BOB, "PCK", now=NOW)
    held = bob.receive(raw, now=NOW, sender_uri=ALICE)
    message = bob.view(raw, sender_uri=ALICE)
    uid = kms().community.uid(BOB, kms().community.period_of(NOW))
    rsk = sakke.issue_rsk(kms().z.reveal(), uid)  # what the leaked z gives the attacker
    stolen = sakke.derive(message.get("sakke").data, identity=uid, rsk=rsk,
                          z_pub=kms().community.z_pub)
    assert stolen == held.key.reveal()


def test_real_replay_the_not_replayed_mutant_accepts_one_send_twice() -> None:
    """The injective-agreement counterexample of the mutant without ``not-replayed``, on real
    octets: the mutant's receiver accepts the same I_MESSAGE twice, the model's refuses."""
    mutant = next(m for m in mutants(PROCEDURE) if m.name == "step 2: drop not-replayed")
    alice = SealUser(ALICE, kms().community, [kms().keys(ALICE)])
    raw, _ = alice.send(BOB, "PCK", now=NOW)
    weak = SealUser(BOB, kms().community, [kms().keys(BOB)], procedure=mutant.procedure)
    weak.receive(raw, now=NOW, sender_uri=ALICE)
    weak.receive(raw, now=NOW + 1, sender_uri=ALICE)
    model = SealUser(BOB, kms().community, [kms().keys(BOB)])
    model.receive(raw, now=NOW, sender_uri=ALICE)
    with pytest.raises(MckmError, match="not-replayed"):
        model.receive(raw, now=NOW + 1, sender_uri=ALICE)
    row = _row(A.INJECTIVE, "honest parties")
    assert any(m.name == mutant.name and m.killed for m in row.mutants)


def test_secrecy_needs_the_addressing_only_against_a_compromised_ue() -> None:
    """Not a restated guard: without ``addressed`` secrecy still holds among honest parties (the
    honest initiator encrypts K to UID(IDRr)), but a compromised UE's message from Alice is
    redirected to another receiver, who accepts a K the attacker can read."""
    m = next(x for x in mutants(PROCEDURE) if x.name == "step 2: drop addressed")
    assert A.World(m.procedure, A.ASSUMPTIONS[0]).solve(A.SECRECY) is None
    world = A.World(m.procedure, A.ASSUMPTIONS[1])
    model = world.solve(A.SECRECY)
    assert model is not None and "replay of send" in " ".join(A.trace(world, model))
