"""SEAL acceptance proofs: every property holds, every mutant is killed, and each mutant's
counterexample, replayed through the runtime, is accepted by the mutant and refused by the model."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mckm.impl.engine import StepRefused
from mckm.models.procedures.mutants import mutants
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from mckm.proofs import seal_acceptance
from mckm.proofs.cli import prove
from mckm.proofs.docs import render_pages
from mckm.proofs.result import survivors


def test_properties_hold_and_no_mutant_survives() -> None:
    rows = seal_acceptance.prove()
    assert all(r.holds for r in rows)
    assert survivors(rows) == []


@pytest.mark.parametrize("mutant", mutants(PROCEDURE), ids=lambda m: m.name)
def test_counterexample_replays_against_the_runtime(mutant) -> None:
    found = [(key, model, z) for key, (model, z) in seal_acceptance.check(mutant.procedure).items()
             if model is not None]
    assert found, f"{mutant.name} survived"
    (number, _), model, z = found[0]
    outcome = seal_acceptance.replay(mutant, number, model, z)
    assert outcome["mutant"] == "accepted", outcome
    assert isinstance(outcome["model"], StepRefused), outcome


def test_cli_json_and_exit_status() -> None:
    result = CliRunner().invoke(prove, ["--format", "json", "--quick"])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.output)
    keys = {"property", "assumption", "holds", "seconds", "counterexample", "mutants"}
    assert keys <= set(rows[0])


def test_pages_render_from_the_model() -> None:
    pages = render_pages()
    page = pages["model-seal-key-distribution"]
    for g in PROCEDURE.step_for("receiver", "I_MESSAGE").guards:
        assert g.name in page and g.requirement in page
    assert "| property | assumption |" in pages["proofs"]
