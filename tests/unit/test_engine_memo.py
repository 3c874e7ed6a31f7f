"""The engine keeps each (procedure, role)'s state table and effect check for the next machine
a server builds; a mutant (another procedure object) and a new registration are checked again."""

from __future__ import annotations

import dataclasses

import pytest

from mckm.impl.engine import EffectRegistry, RoleMachine
from mckm.impl.errors import UsageError
from tests.properties.toy_model import TOY


def _effects() -> dict[str, object]:
    return {e: (lambda ctx: None) for s in TOY.steps for e in s.effects}


def test_a_registration_after_a_check_is_seen() -> None:
    registry = EffectRegistry()
    assert registry.missing(TOY, "b")
    for name, fn in _effects().items():
        registry.register(name, fn)  # type: ignore[arg-type]
    assert registry.missing(TOY, "b") == []


def test_a_mutant_is_another_procedure_and_is_checked_again() -> None:
    effects = _effects()
    registry = EffectRegistry(effects)  # type: ignore[arg-type]
    RoleMachine(TOY, "b", vars={"name": "b", "seen": frozenset()}, facts=None,  # type: ignore[arg-type]
                effects=registry)
    extra = dataclasses.replace(TOY.steps[1], effects=(*TOY.steps[1].effects, "toy.unknown"))
    mutant = TOY.with_step(extra)
    with pytest.raises(UsageError, match=r"toy\.unknown"):
        RoleMachine(mutant, extra.role, vars={}, facts=None,  # type: ignore[arg-type]
                    effects=registry)


def test_machines_of_one_procedure_share_its_table_and_mutants_get_their_own() -> None:
    registry = EffectRegistry(_effects())  # type: ignore[arg-type]
    one, two = (RoleMachine(TOY, "a", vars={}, facts=None, effects=registry)  # type: ignore[arg-type]
                for _ in range(2))
    assert one._table is two._table
    mutant = TOY.with_step(dataclasses.replace(TOY.steps[0], text="changed"))
    other = RoleMachine(mutant, "a", vars={}, facts=None, effects=registry)  # type: ignore[arg-type]
    assert other._table is not one._table and other._table == mutant.table("a")
