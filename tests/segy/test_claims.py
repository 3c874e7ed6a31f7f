"""Seed 003's claims: every advantage and disadvantage has a row, its verdict computed."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from pathlib import Path

from click.testing import CliRunner

from mckm.impl.cli import main
from mckm.impl.segy.claims import Evidence, judge, judge_all
from mckm.models.segy import approaches
from mckm.models.segy.claims import CLAIMS
from mckm.proofs import segy as proofs

SEED = next((Path(__file__).parents[1] / "data" / "seeds").glob("003_*.txt"))


@functools.cache
def verdicts():
    return {v.claim.id: v for v in judge_all(users=2_000, groups=100)}


def test_every_claim_of_the_seed_has_a_row_in_its_words():
    text = SEED.read_text(encoding="utf-8")
    ids = re.findall(r"^([AD][1-5]-[1-4])\.?\s*$", text, re.M)
    assert ids and ids == [c.id for c in CLAIMS]
    flat = " ".join(text.split())
    for c in CLAIMS:
        assert c.text in flat, c.id


def test_every_property_a_claim_names_exists():
    names = {n for n, _ in proofs.PROPERTIES}
    for c in CLAIMS:
        assert set(c.test.properties) | set(c.test.and_holds) <= names, c.id


def test_verdicts_come_from_the_numbers_and_proofs():
    v = verdicts()
    assert {x.verdict for x in v.values()} <= {"supported", "refuted", "not measurable"}
    assert v["D2-1"].verdict == "supported" and "x10.0" in v["D2-1"].evidence
    assert v["A3-2"].verdict == "refuted"           # per-identity TLS to IdM, KMS, GMS
    assert v["A4-2"].verdict == v["A5-2"].verdict == "refuted"   # MC users of mixed groups
    assert "group_of_mc_user=" in v["A4-2"].evidence
    assert v["D1-3"].verdict == "not measurable"


def test_a_changed_model_changes_the_verdict(monkeypatch):
    # approach 3 with its IdM, KMS and GMS traffic over the interconnection too: then the MC
    # domain does have a single interconnection, and the verdict on A3-2 follows
    a3 = approaches.by_number(3)
    single = dataclasses.replace(a3, connection=dict.fromkeys(a3.connection,
                                                              "interconnection"))
    monkeypatch.setattr("mckm.impl.segy.claims.by_number",
                        lambda n: single if n == 3 else approaches.by_number(n))
    claim = next(c for c in CLAIMS if c.id == "A3-2")
    assert judge(claim, Evidence(2_000, 100)).verdict == "supported"


def test_cli_claims_json():
    result = CliRunner().invoke(main, ["segy", "claims", "-N", "1000", "-G", "50",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["claim"] for r in rows] == [c.id for c in CLAIMS]
