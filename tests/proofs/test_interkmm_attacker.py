"""The InterKMM relay against a Dolev-Yao attacker (``mckm.proofs.attacker_interkmm``): each row
holds or fails as its assumption says, the mutants issue 15 names (integrity dropped on one
hop, a wrong key id accepted, a server that forwards unprotected, and the direction check
dropped: REQ-IKMM-16) are killed by these rows with
the attack they let through, and the quick form stays within its budget.  The traces are
replayed on real sockets in ``tests/interkmm/test_attacker_replays.py``."""

from __future__ import annotations

import functools
import time

import pytest

from mckm.models.procedures import interkmm
from mckm.proofs import attacker_interkmm as A
from mckm.proofs import cli
from mckm.proofs.result import ProofResult, survivors

ASSUME = {a.name: a for a in A.ASSUMPTIONS}
HONEST, UE, IWF, SERVER, CSK, SPK = (a.name for a in A.ASSUMPTIONS)


@functools.cache
def quick() -> tuple[tuple[ProofResult, ...], float]:
    start = time.perf_counter()
    rows = tuple(A.prove(quick=True))
    return rows, time.perf_counter() - start


def _row(prop: str, assumption: str) -> ProofResult:
    return next(r for r in quick()[0] if r.property.endswith(prop) and r.assumption == assumption)


def test_each_row_holds_or_fails_as_its_assumption_says() -> None:
    rows, _ = quick()
    assert len(rows) == len(A.PROPERTIES) * len(A.ASSUMPTIONS)
    for r in rows:
        assert r.as_expected, (r.property, r.assumption, r.counterexample)
    for name in (HONEST, UE, IWF):  # everything holds, the reflection too (REQ-IKMM-16)
        assert all(_row(p, name).holds for p in A.PROPERTIES)
    assert _row(A.REPLAY, SERVER).holds and _row(A.REPLAY, CSK).holds
    assert all(_row(A.REFLECT, a.name).holds for a in A.ASSUMPTIONS)


def test_every_row_names_requirements_of_the_model() -> None:
    rows, _ = quick()
    assert all(r.requirements and set(r.requirements) <= set(interkmm.REQUIREMENTS)
               for r in rows)


def test_a_leaked_key_exposes_its_own_hop_only() -> None:
    assert not _row(A.CSK_HOP, CSK).holds and _row(A.SPK_HOP, CSK).holds
    assert not _row(A.SPK_HOP, SPK).holds and _row(A.CSK_HOP, SPK).holds


def test_the_compromised_server_alters_unnoticed() -> None:
    """The expected attack: an end point accepts, in an honest peer's name, an InterKMM the
    server composed (hop-by-hop protection cannot show it)."""
    r = _row(A.AGREE_IWF, SERVER)
    assert not r.holds and r.counterexample is not None
    assert "accepts INTERKMM_SPK" in r.counterexample["trace"]
    assert "composed by the attacker" in r.counterexample["trace"]


@pytest.mark.parametrize("procedure", ["interkmm-iwf-to-ue", "interkmm-ue-to-iwf"])
def test_the_reflection_is_closed_by_the_end_points_direction_check(procedure: str) -> None:
    """REQ-IKMM-16: the row holds with the end point's direction check; without it (the mutant
    "step 4: drop direction") the counterexample is the closed finding, an end point taking
    its own InterKMM's content."""
    r = _row(A.REFLECT, HONEST)
    assert r.holds and not r.expected_attack
    name = f"{procedure} step 4: drop direction"
    by_name = {m.name: (i, m) for i, m in A.named_mutants(quick=True)}
    world = A.World([by_name[name]]).under(ASSUME[HONEST])
    model = world.check(A.REFLECT, 0)
    assert model is not None and world.check(A.REFLECT) is None
    trace = " / ".join(A.trace(world, model))
    end = "." + procedure.rsplit("-", 1)[1]  # the receiving end point's run
    assert f"{procedure}{end}" in trace and "accepts" in trace
    assert "the content of interkmm-" in trace


NAMED = (
    # integrity dropped on one hop: the signatures unchecked, a send's ciphertext is accepted
    # again under a new msg-id
    ("interkmm-iwf-to-ue step 2: opens without its signatures", HONEST, A.AGREE_UE),
    ("interkmm-iwf-to-ue step 4: opens without its signatures", HONEST, A.AGREE_UE),
    ("interkmm-ue-to-iwf step 2: opens without its signatures", HONEST, A.AGREE_IWF),
    ("interkmm-ue-to-iwf step 4: opens without its signatures", HONEST, A.AGREE_IWF),
    # a wrong key id accepted: another UE's CSK, another IWF's SPK
    ("interkmm-ue-to-iwf step 2: drop csk-of-user", UE, A.AGREE_IWF),
    ("interkmm-iwf-to-ue step 2: drop spk-of-kmf", IWF, A.AGREE_UE),
    # the server forwards unprotected, or under another peer's key
    ("interkmm-iwf-to-ue step 3: forwards unprotected", HONEST, A.CSK_HOP),
    ("interkmm-ue-to-iwf step 3: forwards unprotected", HONEST, A.SPK_HOP),
    ("interkmm-iwf-to-ue step 3: drop next-hop-key", UE, A.CSK_HOP),
    # the relay alters, a replay goes through
    ("interkmm-ue-to-iwf step 3: drop keeps-kmm", HONEST, A.AGREE_IWF),
    ("interkmm-ue-to-iwf step 4: drop fresh", HONEST, A.REPLAY),
    ("interkmm-iwf-to-ue step 2: drop fresh", HONEST, A.REPLAY),
    # the direction check dropped (REQ-IKMM-16): an end point takes its own InterKMM back
    ("interkmm-iwf-to-ue step 4: drop direction", HONEST, A.REFLECT),
    ("interkmm-ue-to-iwf step 4: drop direction", HONEST, A.REFLECT),
    ("interkmm-ue-to-iwf step 1: drop writes-direction", HONEST, A.REFLECT),
)


@functools.cache
def named_world() -> A.World:
    """One world carrying the mutants of :data:`NAMED`, variant k the k-th."""
    by_name = {m.name: (i, m) for i, m in A.named_mutants(quick=False)}
    return A.World([by_name[name] for name, _, _ in NAMED])


@pytest.mark.parametrize(("k", "mutant", "assumption", "prop"),
                         [(k, *named) for k, named in enumerate(NAMED)])
def test_each_named_mutant_gives_the_attack_it_stops(k: int, mutant: str, assumption: str,
                                                      prop: str) -> None:
    """The mutant has a counterexample to the row; the model has none."""
    world = named_world().under(ASSUME[assumption])
    assert world.check(prop, k) is not None, mutant
    assert world.check(prop) is None


def test_the_quick_form_kills_the_named_quick_mutants_and_is_quick() -> None:
    rows, seconds = quick()
    killed = {m.name for r in rows for m in r.mutants if m.killed}
    for name in ("interkmm-iwf-to-ue step 4: opens without its signatures",
                 "interkmm-iwf-to-ue step 2: drop spk-of-kmf",
                 "interkmm-ue-to-iwf step 2: drop csk-of-user",
                 "interkmm-iwf-to-ue step 3: forwards unprotected",
                 "interkmm-ue-to-iwf step 3: forwards unprotected",
                 "interkmm-ue-to-iwf step 4: drop fresh",
                 "interkmm-iwf-to-ue step 4: drop direction",
                 "interkmm-ue-to-iwf step 4: drop direction"):
        assert name in killed, name
    assert seconds < 30, seconds  # measured about 9 s on the 2-core machine under load


def test_every_survivor_is_killed_by_the_regression_rows_of_the_model() -> None:
    """What these rows leave alive (checks that only change the SIP answer or the deployment:
    size, protected, affiliated, known-kmf ...; and ``authentic``: a body that does not open
    has no fields, so ``own-key`` or ``csk-of-user`` refuses it anyway), the ``interkmm``
    family kills."""
    from mckm.proofs import interkmm as regression
    rows, _ = quick()
    alive = set(survivors(list(rows)))
    assert alive, "every mutant killed: the regression rows are then redundant"
    regression_alive = set(survivors(regression.prove(quick=True)))
    assert not alive & regression_alive
    assert "interkmm-ue-to-iwf step 4: drop authentic" in alive


def test_the_family_is_run_by_mckm_prove() -> None:
    assert cli.FAMILIES["interkmm-attacker"] is A.prove
    assert cli.MODEL_OF["interkmm-attacker"] == cli.MODEL_OF["interkmm"] == "InterKMM"
    assert A.PROCEDURES == interkmm.PROCEDURES


def test_the_spec_table_says_what_the_rows_found() -> None:
    """spec/interkmm.md "Properties and what a compromised MCX server can do": each cell
    (holds / fails) is the verdict of its row, the columns in the order of ASSUMPTIONS."""
    from pathlib import Path
    page = (Path(__file__).parents[2] / "spec" / "interkmm.md").read_text(encoding="utf-8")
    section = page.split("## Properties and what a compromised MCX server can do", 1)[1]
    table = [line for line in section.splitlines()
             if line.startswith("| ") and not line.startswith("| property")]
    assert len(table) == len(A.PROPERTIES)
    for prop, line in zip(A.PROPERTIES, table, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")][2:]
        assert len(cells) == len(A.ASSUMPTIONS), line
        for a, cell in zip(A.ASSUMPTIONS, cells, strict=True):
            assert cell.startswith("holds") == _row(prop, a.name).holds, (prop, a.name, cell)
