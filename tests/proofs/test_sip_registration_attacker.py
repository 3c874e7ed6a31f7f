"""SIP registration and service authorisation against a Dolev-Yao attacker
(``mckm.proofs.attacker_sip_registration``): each row holds or fails as its assumption says,
the guards that stop an attack are killed by these rows, and the attack of the model as built
(Gm without IMS AKA: a token read in the clear is presented from the attacker's IMPU) is a
trace the prover gives, gone once Gm is protected, and replayed on real SIP sockets against
the real SIP core and MCPTT server (``tests/sip_core/conftest.py``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.mutants import mutants
from mckm.proofs import attacker_sip_registration as A
from mckm.proofs import cli
from mckm.proofs.attacker_cek import paths, trace
from mckm.proofs.result import ProofResult
from tests.idm.conftest import ALICE
from tests.sip_core.conftest import IMPU_ALICE, IMPU_BOB, World, make_world

OPEN, PROTECTED, UE = (a.name for a in A.ASSUMPTIONS[:3])


@functools.cache
def rows() -> tuple[ProofResult, ...]:
    return tuple(A.prove(quick=True))


def _row(prop: str, assumption: str) -> ProofResult:
    return next(r for r in rows() if r.property.endswith(prop) and r.assumption == assumption)


def _killers(name: str) -> list[tuple[str, str]]:
    return [(r.property, r.assumption) for r in rows() for m in r.mutants
            if m.name == f"{A.PREFIX}{name}" and m.killed]


def test_each_row_holds_or_fails_as_its_assumption_says() -> None:
    assert len(rows()) == len(A.PROPERTIES) * len(A.ASSUMPTIONS)
    for r in rows():
        assert r.as_expected, (r.property, r.assumption, r.counterexample)
    for a in (PROTECTED, UE):  # with Gm protected, everything holds
        assert all(_row(p, a).holds for p in A.PROPERTIES)
    assert [p for p in A.PROPERTIES if not _row(p, OPEN).holds] == [A.AGREEMENT]
    assert all(r.requirements and set(r.requirements) <= set(model.REQUIREMENTS)
               for r in rows())


def test_without_ims_aka_a_token_read_in_the_clear_binds_alice_to_the_attacker() -> None:
    """The agreement attack of the model as built: the server binds the MCPTT ID of an
    honest UE's token, taken from a PUBLISH the attacker composed (not the UE's)."""
    r = _row(A.AGREEMENT, OPEN)
    assert r.counterexample is not None and "TS 33.203" in r.expected_attack
    text = r.counterexample["trace"]
    assert "sends PUBLISH" in text and "accepts PUBLISH (impu" in text
    assert "composed by the attacker" in text and "accepts PUBLISH_ASSERTED" in text
    world = A.World().under(A.ASSUMPTIONS[1])
    assert world.check(A.AGREEMENT) is None  # Gm protected: no such binding


@pytest.mark.parametrize(("guard", "prop", "assumption"), [
    ("step 10: drop token-unused", A.UNUSED, OPEN),  # a token read in the clear, again
    ("step 10: drop through-sip-core", A.THROUGH_CORE, OPEN),  # a PUBLISH not via the core
    ("step 10: drop impu-registered", A.THROUGH_CORE, OPEN),
    ("step 5: drop from-sip-core", A.THROUGH_CORE, OPEN),  # a registration not by the core
    ("step 10: drop token-scope", A.AUTHORISED, UE),  # a compromised UE's unscoped token
])
def test_dropping_a_guard_gives_the_attack_it_stops(guard: str, prop: str,
                                                    assumption: str) -> None:
    killers = _killers(guard)
    assert killers and killers[0] == (f"SIP registration attacker: {prop}", assumption), \
        killers


def test_every_generated_mutant_is_run_under_the_regression_familys_names() -> None:
    ran = {m.name for r in rows() for m in r.mutants}
    assert ran == {f"{A.PREFIX}{m.name}" for m in mutants(model.PROCEDURE, quick=True)}


def test_the_runs_come_from_the_table() -> None:
    assert {tuple(s.number for s, _ in p) for p in paths(model.PROCEDURE, "sip_core",
                                                        "listening")} == {("2", "3", "4"),
                                                                          ("8", "9")}
    assert {tuple(s.number for s, _ in p) for p in paths(model.PROCEDURE, "ue",
                                                        "registered")} == {("7", "12")}
    world = A.World()
    assert world.executable()
    model_ = world.check(A.UNUSED)
    assert model_ is None
    leaked = world.under(A.ASSUMPTIONS[4])
    found = leaked.check(A.AUTHORISED)
    assert found is not None and "accepts PUBLISH_ASSERTED" in " ".join(trace(leaked, found))


def test_the_family_is_registered_with_its_model() -> None:
    assert cli.FAMILIES["sip-registration-attacker"] is A.prove
    assert cli.MODEL_OF["sip-registration-attacker"] == cli.MODEL_OF["sip-registration"]


@pytest.fixture
def sip() -> Iterator[World]:
    yield from make_world()


def test_real_replay_a_token_read_in_a_publish_binds_alice_to_the_attackers_session(
        sip: World) -> None:
    """The expected attack of the model as built, on real SIP sockets: Alice registers; the
    attacker, with no credential at all, registers another served IMPU from its own contact
    (the SIP core takes its word) and presents Alice's access token (read in her PUBLISH,
    clear text over UDP) first. The MCPTT server binds Alice's MCPTT ID to the attacker's IMPU
    and contact, and Alice's own PUBLISH is then refused as a replay."""
    assert "composed by the attacker" in (_row(A.AGREEMENT, OPEN).counterexample or {})["trace"]
    alice = sip.ue(IMPU_ALICE, "alice")
    assert alice.register().status == 200
    token = sip.access_token("alice")  # what Alice's PUBLISH body carries in the clear
    attacker = sip.ue(IMPU_BOB, "mallory")  # any IMPU the SIP core serves
    assert attacker.register().status == 200
    stolen = attacker.publish(token)
    assert stolen.status == 200
    bound = sip.server.bindings()[ALICE]
    assert (bound.impu, bound.session) == (IMPU_BOB, attacker.contact)
    late = alice.publish(token)
    assert (late.status, late.reason) == (403, "Access Token Replayed")
    assert sip.server.bindings()[ALICE].session == attacker.contact != alice.contact
