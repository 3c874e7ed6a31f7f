"""Seed 003's SeGy security family: rows read from the approach models, mutants caught."""

from __future__ import annotations

import dataclasses
import functools

from mckm.models.segy.approaches import APPROACHES, by_number
from mckm.proofs import cli, segy
from mckm.proofs.result import ProofResult, survivors


@functools.cache
def rows() -> tuple[ProofResult, ...]:
    return tuple(segy.prove())


def test_registered_as_a_family_of_mckm_prove():
    assert cli.FAMILIES["segy"] is segy.prove
    ok, notes = cli.summary({"segy": list(rows())})
    assert ok, notes


def test_a_row_per_property_and_approach_each_as_expected():
    assert len(rows()) == len(segy.PROPERTIES) * len(APPROACHES)
    for row in rows():
        assert row.as_expected, (row.property, row.assumption, row.counterexample)
        assert row.holds == (row.counterexample is None)


def test_every_mutant_is_caught_by_a_row():
    ran = {m.name for r in rows() for m in r.mutants}
    assert ran == {f"segy {name}" for name in segy.MUTANTS}
    assert survivors(list(rows())) == []


def test_counterexamples_name_the_universe():
    spoof = next(r for r in rows() if r.property.endswith("asserts no MC domain user's identity"
                                                          " to an MC client")
                 and r.assumption.startswith("approach 1 "))
    assert spoof.counterexample is not None
    assert int(spoof.counterexample["mc_user"]) in segy.NATIVE


def test_the_rows_follow_the_model_not_a_table():
    # give approach 2 the attribution of approach 1 and its one identity: the spoofing and the
    # shared identity of approach 1 appear on it
    a2 = dataclasses.replace(by_number(2), identities="one", attribution="in-band name")
    props = dict(segy.PROPERTIES)
    assert segy.attack(a2, props["asserts no MC domain user's identity to an MC client"])
    assert segy.attack(a2, props["gives each external user an end-to-end identity of its own"])
    assert segy.attack(by_number(2), props["gives each external user an end-to-end identity "
                                           "of its own"]) is None


def test_blast_radius():
    radius = {a.number: segy.blast_radius(a) for a in APPROACHES}
    mixed = [u for u in segy.MEMBERS[0] if u in segy.NATIVE]
    for n, r in radius.items():
        assert set(segy.EXTERNAL) <= set(r["users"])
        assert set(mixed) <= set(r["users"])       # MC users of a group with an external member
        assert 2 not in r["groups"]                # the MC-only group stays closed
        assert r["periods"] == ([segy.CURRENT] if n <= 3 else list(segy.PERIODS))
    assert set(radius[1]["asserts"]) == set(segy.USERS)
    assert all(radius[n]["asserts"] == list(segy.EXTERNAL) for n in (2, 3, 4, 5))


def test_the_seeds_note_a_separate_kms_closes_the_other_periods():
    props = dict(segy.PROPERTIES)
    periods = props["exposes no key period but the current one"]
    a4 = by_number(4)
    assert segy.attack(a4, periods) is not None
    assert segy.attack(segy.separate_kms(a4), periods) is None
    assert segy.VARIANTS["approach 4, KMS separate (7.8.4.3 NOTE)"] == segy.separate_kms(a4)
