"""Requirement texts live once, in the models' ``REQUIREMENTS``, and do not carry facts of their
own about MIKEY errors: a refusal's number comes from the guard that refuses."""

from __future__ import annotations

import re

import pytest

from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES

#: "error 7", "MIKEY error 0", "(error 1, Invalid TS)", "(0, 7)": a MIKEY error number in a text.
TYPED_ERROR = re.compile(r"\berror\s*(no\.?\s*)?\d+|\(\d{1,2}(, \d{1,2})*\)", re.IGNORECASE)


def errors_of(rid: str) -> set[int]:
    """The MIKEY errors the guards for ``rid`` refuse with, over every procedure declaring it
    (the ticket procedures share their requirements)."""
    out: set[int | None] = set()
    for p in PROCEDURES:
        if rid in p.requirements:
            out |= {g.mikey_error for s in p.steps for g in s.guards if g.requirement == rid}
            out |= {p.unexpected.mikey_error} if p.unexpected.requirement == rid else set()
    return {e for e in out if e is not None}


def named_errors(text: str) -> set[int]:
    """The MIKEY errors a text names ("Invalid ID", "Auth failure", ...)."""
    return {v.value for v in ERROR_NO.values if re.search(rf"\b{re.escape(v.name)}\b", text)}


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_no_requirement_text_types_an_error_number(procedure: Procedure) -> None:
    typed = {rid: text for rid, text in procedure.requirements.items()
             if TYPED_ERROR.search(text)}
    assert not typed, f"error numbers come from the guards, not the text: {typed}"


def test_an_error_a_requirement_names_is_one_its_guards_refuse_with() -> None:
    texts = {rid: text for p in PROCEDURES for rid, text in p.requirements.items()}
    wrong = {rid: sorted(named_errors(text) - errors_of(rid)) for rid, text in texts.items()}
    assert not {rid: errors for rid, errors in wrong.items() if errors}


@pytest.mark.parametrize("text,typed", [
    ("whose IDRr is its own URI (MIKEY error 7, Invalid ID).", True),
    ("from a KMS it trusts (error 7).", True),
    ("MAC of own KMS (0), for itself (7)", True),
    ("in a MIKEY-SAKKE I_MESSAGE (RFC 6509); seed B.2.2.2 steps 9-10 (403 for HTTP)", False),
])
def test_typed_error_numbers_are_found(text: str, typed: bool) -> None:
    assert bool(TYPED_ERROR.search(text)) is typed


def test_error_names_are_found() -> None:
    assert named_errors("refused with Invalid TPpar; else Auth failure") == {15, 0}
    assert named_errors("an invalid timestamp") == set()
