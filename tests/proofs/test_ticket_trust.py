"""Ticket trust proofs: every property holds for 1..4 KMSs, each of the issue's mutants is refuted,
and its counterexample, replayed through the engine, is accepted by the mutant and refused by the
model with the guard that was dropped."""

from __future__ import annotations

import pytest

from mckm.impl.engine import StepRefused
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant
from mckm.proofs import ticket_trust
from mckm.proofs.docs import render_pages
from mckm.proofs.result import survivors

#: mutants whose counterexample is replayed through the engine: (procedure, (role, message),
#: guard; None: the branch taken without its when).  ``prove`` runs every generated mutant.
REPLAYED: tuple[tuple[Procedure, tuple[str, str], str | None], ...] = (
    (ONE_DOMAIN, ("kms", "RESOLVE_INIT"), "uss-match"),
    (TWO_DOMAINS, ("kms_r", "RESOLVE_INIT"), "uss-match"),
    (TWO_DOMAINS, ("kms_i", "RESOLVE_INIT_ZK"), "trusted-source"),
    (TWO_DOMAINS, ("kms_i", "RESOLVE_INIT_ZK"), "zk-authenticated"),
    (TWO_DOMAINS, ("kms_r", "RESOLVE_INIT_ZK"), "forward-to-issuer"),
    (ONE_DOMAIN, ("responder", "RESOLVE_RESP"), "own-kms-protected"),
    (TWO_DOMAINS, ("responder", "RESOLVE_RESP"), "own-kms-protected"),
    (ONE_DOMAIN, ("responder", "TRANSFER_INIT"), None),  # reuse without its store lookup
    (TWO_DOMAINS, ("responder", "TRANSFER_INIT"), None),
)


def replayed() -> list[Mutant]:
    wanted = {(proc.name, proc.step_for(role, message, branch=guard is None).number, guard)
              for proc, (role, message), guard in REPLAYED}
    out = [m for m in ticket_trust.all_mutants(quick=True)
           if (m.procedure.name, m.step, m.guard) in wanted]
    assert len(out) == len(REPLAYED)
    return out


def test_properties_hold_and_no_mutant_is_unexplained() -> None:
    rows = ticket_trust.prove(quick=True)
    assert rows and all(r.holds for r in rows)
    assert survivors(rows) == []
    assert {m.name for r in rows for m in r.mutants} == {
        m.name for m in ticket_trust.all_mutants(quick=True)}


def test_the_agreement_row_needs_the_second_kms_i_run() -> None:
    """Dropping KMS_R's from-asked-kms is a counterexample only because another KMS_I run may
    have made the answer: the row composes two runs, it does not restate the guard."""
    mutant = next(m for m in ticket_trust.all_mutants(quick=True)
                  if m.procedure.name == TWO_DOMAINS.name and m.guard == "from-asked-kms")
    model, _, _ = ticket_trust.check(mutant.procedure, ticket_trust.kms_r_agrees_with_asked_kms)
    assert model is not None
    for prop, procs in ticket_trust.PROPERTIES.values():
        if prop is not ticket_trust.kms_r_agrees_with_asked_kms and any(
                p.name == TWO_DOMAINS.name for p in procs):
            assert ticket_trust.check(mutant.procedure, prop)[0] is None


@pytest.mark.parametrize("mutant", replayed(), ids=lambda m: m.name)
def test_counterexample_replays_against_the_runtime(mutant) -> None:
    found = []
    for prop, procs in ticket_trust.PROPERTIES.values():
        if prop is ticket_trust.kms_r_agrees_with_asked_kms:
            continue  # its counterexamples live in the second KMS_I run's symbols
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
