"""The threat catalogue (models/procedures/threats.py) against the models' requirement tables:
every requirement of a catalogued procedure is attacked by a threat or listed as not attackable
with its reason (never both), and every threat names a requirement, kind and message the
procedure has."""

from __future__ import annotations

import pytest

from mckm.models.procedures.registry import PROCEDURES, by_name
from mckm.models.procedures.threats import CATALOGUES, DISCARDED, KINDS, Catalogue
from tests.endpoints.worlds import DRIVERS

#: registered procedures with no catalogue yet, and why
NOT_CATALOGUED: dict[str, str] = {}


def test_every_registered_procedure_has_a_catalogue_and_a_driver() -> None:
    names = {p.name for p in PROCEDURES}
    assert set(CATALOGUES) == set(DRIVERS)
    assert set(CATALOGUES) | set(NOT_CATALOGUED) == names, \
        f"no threat catalogue for {sorted(names - set(CATALOGUES) - set(NOT_CATALOGUED))}"
    assert not set(CATALOGUES) & set(NOT_CATALOGUED)


@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_every_requirement_is_attacked_or_said_not_attackable(cat: Catalogue) -> None:
    procedure = by_name(cat.procedure)
    attacked = {t.requirement for t in cat.threats}
    assert not attacked & set(cat.not_attackable), "a requirement both attacked and not"
    missing = set(procedure.requirements) - attacked - set(cat.not_attackable)
    assert not missing, f"{cat.procedure}: no threat and no reason for {sorted(missing)}"
    assert all(reason.strip() for reason in cat.not_attackable.values())


@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_every_threat_names_what_the_procedure_has(cat: Catalogue) -> None:
    procedure = by_name(cat.procedure)
    messages = {m.name for m in procedure.messages}
    for t in cat.threats:
        assert t.requirement in procedure.requirements, t.name
        assert t.kind in KINDS, t.name
        assert t.message in messages, t.name
        receivers = {s.role for s in procedure.steps
                     if s.message == t.message and s.action == "receive"}
        assert t.refusal != DISCARDED or receivers == {"client"}, \
            f"{t.name}: no refusal named, and the message is not a client's to discard"
    names = [t.name for t in cat.threats]
    assert len(names) == len(set(names)), "a threat is listed twice"


def test_a_requirement_left_out_of_the_catalogue_is_found() -> None:
    cat = CATALOGUES["seal-key-distribution"]
    smaller = Catalogue(cat.procedure, tuple(t for t in cat.threats
                                             if t.requirement != "REQ-SEAL-KD-06"),
                        cat.not_attackable)
    with pytest.raises(AssertionError, match="REQ-SEAL-KD-06"):
        test_every_requirement_is_attacked_or_said_not_attackable(smaller)
