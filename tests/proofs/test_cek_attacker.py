"""The KMS-managed CEK against a Dolev-Yao attacker (``mckm.proofs.attacker_cek``): each row
holds or fails as its assumption says, the mutants issue 14 names (audience, expiry, Key ID
reuse, push without mutual TLS) and the guards that matter are killed by these rows, and the
attacks come with a trace a reader can follow.  The attacks replayed as octets on the real CEK
service are in ``tests/cek/test_attacker_replays.py``."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from mckm.models.procedures import cek
from mckm.models.procedures.mutants import mutants
from mckm.proofs import attacker_cek as A
from mckm.proofs import cek as cek_regression
from mckm.proofs import cli
from mckm.proofs.result import ProofResult


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
    for a in A.ASSUMPTIONS[:2]:  # honest parties, a compromised UE: everything holds
        assert all(_row(p, a.name).holds for p in A.PROPERTIES)
    attacks = [r for r in rows() if not r.holds]
    assert attacks and all(r.counterexample and r.counterexample["trace"] for r in attacks)
    assert all(r.requirements and set(r.requirements) <= set(cek.REQUIREMENTS) for r in rows())


def test_a_leaked_idm_key_breaks_authorisation_but_not_key_ids_or_retirement() -> None:
    leaked = "a leaked IdM signing key"
    assert {p for p in A.PROPERTIES if not _row(p, leaked).holds} == {
        A.AUTHORISED, A.SECRECY, A.AGREEMENT}
    assert _row(A.KEY_ID, leaked).holds and _row(A.RETIRED, leaked).holds
    trace = _row(A.AUTHORISED, leaked).counterexample
    assert trace is not None and "composed by the attacker" in trace["trace"]


def test_a_compromised_server_gets_the_cek_by_design_and_nothing_more() -> None:
    server = "a compromised MCPTT server"
    assert [p for p in A.PROPERTIES if not _row(p, server).holds] == [A.SECRECY]
    assert "by design" in _row(A.SECRECY, server).expected_attack


@pytest.mark.parametrize(("name", "prop", "assumption"), [
    ("token fact: audience not checked", A.AUTHORISED, "honest parties"),
    ("token fact: expiry not checked", A.AUTHORISED, "honest parties"),
    ("channel: push without mutual TLS", A.KEY_ID, "honest parties"),
    ("step 5: drop key-id-never-held", A.RETIRED, "honest parties"),
    ("step 15: drop key-id-live", A.RETIRED, "honest parties"),  # a retried retire
    ("step 2: drop token-subject-is-user", A.AUTHORISED, "a compromised UE (another user's "
                                                         "client)"),
    ("step 5: drop pushed-by-the-kms", A.KEY_ID, "a compromised UE (another user's client)"),
    ("step 13: drop pushed-by-the-kms", A.KEY_ID, "a compromised UE (another user's client)"),
])
def test_the_mutants_that_matter_are_killed_by_an_attacker_row(name: str, prop: str,
                                                                assumption: str) -> None:
    """The first row to kill each is the property it breaks, under the weakest assumption
    that lets it (rows run honest parties first)."""
    killers = _killers(name)
    assert killers and killers[0] == (f"CEK attacker: {prop}", assumption), killers


def test_key_id_reuse_across_users_is_killed_and_breaks_uniqueness() -> None:
    """The mutant that gives every user of a SIP session the same Key ID: killed, and on its
    own it breaks the Key ID row (two users' bindings under one Key ID)."""
    assert _killers("effect cek.issue: Key ID reused across users")
    muts = [m for m in A.all_mutants(quick=True) if m.name.startswith("cek effect")]
    world = A.World(A.PROCEDURE, muts)
    model = world.check(A.KEY_ID, 0)
    assert model is not None and world.check(A.KEY_ID) is None


def test_every_generated_mutant_and_each_runtime_mutant_is_run() -> None:
    ran = {m.name.removeprefix(A.PREFIX) for r in rows() for m in r.mutants}
    assert {m.name for m in mutants(cek.PROCEDURE, quick=True)} | set(A.RUNTIME_MUTANTS) == ran
    regression = {m.name for m in cek_regression.all_mutants(quick=True)}
    assert regression <= {m.name for r in rows() for m in r.mutants}  # one name per mutant
    for name in A.RUNTIME_MUTANTS:
        assert _killers(name), name


def test_the_runs_come_from_the_table() -> None:
    """The KMS's paths are the model's: one per request kind and branch, and the
    KMS-started update; a client resumes from ``done``."""
    kms = {tuple(s.number for s, _ in p) for p in A.paths(cek.PROCEDURE, "kms", "listening")}
    assert kms == {("2", "3", "4"), ("7", "9"), ("8", "3", "4"), ("11", "12"),
                   ("15", "16", "17")}
    branch = next(p for p in A.paths(cek.PROCEDURE, "kms", "listening") if p[0][0].number == "8")
    assert [s.number for s in branch[0][1]] == ["7"]  # tried first: its when must fail
    client = {tuple(s.number for s, _ in p) for p in A.paths(cek.PROCEDURE, "client", "done")}
    assert client == {("10", "6"), ("13",), ("14", "19")}


def test_two_users_on_one_session_can_complete() -> None:
    world = A.World(A.PROCEDURE)
    assert world.executable()
    issue = cek.PROCEDURE.step("2")
    backwards = dataclasses.replace(cek.G_NONE_LIVE, expr=cek.G_HAS_LIVE.expr)
    broken = A.World(cek.PROCEDURE.with_step(dataclasses.replace(
        issue, guards=(*issue.guards[:-1], backwards))))
    assert not broken.executable()  # a KMS that issues only over a live CEK never issues


def test_the_family_is_registered_with_its_model() -> None:
    assert cli.FAMILIES["cek-attacker"] is A.prove
    assert cli.MODEL_OF["cek-attacker"] == cli.MODEL_OF["cek"] == "CEK"
