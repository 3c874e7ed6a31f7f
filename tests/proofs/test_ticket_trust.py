"""Ticket trust proofs: every property holds for 1..4 KMSs, each of the issue's mutants is refuted,
and its counterexample, replayed through the engine, is accepted by the mutant and refused by the
model with the guard that was dropped."""

from __future__ import annotations

import pytest

from mckm.impl.engine import StepRefused
from mckm.proofs import ticket_trust
from mckm.proofs.docs import render_pages
from mckm.proofs.result import survivors


def test_properties_hold_and_no_required_mutant_survives() -> None:
    rows = ticket_trust.prove()
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []
    assert {m.name for r in rows for m in r.mutants} == {
        m.name for m in ticket_trust.required_mutants()}


@pytest.mark.parametrize("mutant", ticket_trust.required_mutants(), ids=lambda m: m.name)
def test_counterexample_replays_against_the_runtime(mutant) -> None:
    found = []
    for prop, procs in ticket_trust.PROPERTIES.values():
        if any(p.name == mutant.procedure.name for p in procs):
            model, chain, n = ticket_trust.check(mutant.procedure, prop)
            if model is not None:
                found.append((model, chain, n))
    assert found, f"{mutant.name} survived"
    model, chain, n = found[0]
    assert 1 <= n <= ticket_trust.MAX_KMS
    outcome = ticket_trust.replay(mutant, model, chain)
    assert outcome["mutant"] == "accepted", outcome
    if mutant.kind == "when":  # the model resolves at the KMS instead of reusing
        resolve = mutant.procedure.step_for("responder", "TRANSFER_INIT")
        assert outcome["model"] == f"takes step {resolve.number}", outcome
        return
    refusal = outcome["model"]
    assert isinstance(refusal, StepRefused), outcome
    assert (refusal.step, refusal.guard) == (mutant.step, mutant.guard), refusal


def test_ticket_pages_render_from_the_models() -> None:
    pages = render_pages()
    page = pages["model-mikey-ticket-two-kms"]
    for guard in ("trusted-source", "zk-authenticated", "forward-to-issuer", "uss-match"):
        assert guard in page
    assert "ticket mikey-ticket-two-kms" in pages["proofs"]
