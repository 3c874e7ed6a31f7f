"""The crypto predicates are declared once (models/procedures/predicates.py): every facts
implementation answers every declared fact, every z3 reading builds the same function, the
runtime reading passes a Verdict through, and the public names build the same nodes."""

from __future__ import annotations

from typing import Any

import pytest
import z3

from mckm.impl.roles.seal.facts import SealFacts
from mckm.impl.roles.ticket.facts import TicketFacts as RealTicketFacts
from mckm.models.procedures import expr, mikey_ticket, predicates
from mckm.models.procedures.expr import Apply, Env, Field, Msg, Self, Z3Reading
from mckm.models.procedures.predicates import (
    PREDICATES,
    SAKKE_PREDICATES,
    TICKET_PREDICATES,
    Predicate,
    missing_facts,
)
from mckm.models.procedures.verdict import Verdict
from mckm.proofs.replay import ModelFacts
from tests.properties.seal_world import SymbolicFacts
from tests.properties.ticket_world import TicketWorld

IMPLEMENTATIONS: list[tuple[str, object, tuple[Predicate, ...]]] = [
    ("impl SealFacts", SealFacts, SAKKE_PREDICATES),
    ("seal_world SymbolicFacts", SymbolicFacts, SAKKE_PREDICATES),
    ("impl TicketFacts", RealTicketFacts, TICKET_PREDICATES),
    ("ticket_world TicketWorld", TicketWorld, TICKET_PREDICATES),
]


def _reading() -> Z3Reading:
    return Z3Reading({"m": "blob"}, {"s": "set[blob]"}, {})


@pytest.mark.parametrize(("label", "impl", "family"), IMPLEMENTATIONS,
                         ids=[i[0] for i in IMPLEMENTATIONS])
def test_every_facts_implementation_answers_every_declared_fact(label: str, impl: object,
                                                                family: Any) -> None:
    assert missing_facts(impl, family) == [], label


def test_the_replay_facts_answer_every_declared_fact() -> None:
    solver = z3.Solver()
    assert solver.check() == z3.sat
    facts = ModelFacts(solver.model(), _reading())
    assert missing_facts(facts, PREDICATES) == []
    assert isinstance(facts.mac_by(object(), "k"), bool)  # the step's own message
    assert isinstance(facts.period_of(7), int)
    with pytest.raises(AttributeError):
        facts.no_such_fact  # noqa: B018


def test_missing_facts_finds_a_gap_and_a_wrong_arity() -> None:
    class Partial:
        def uid(self, identity: Any) -> Any: ...

    problems = missing_facts(Partial, SAKKE_PREDICATES)
    assert any(p.startswith("uid:") for p in problems)
    assert "signed_by: missing" in problems


def test_generated_protocols_have_one_method_per_declared_fact() -> None:
    for proto, family in ((predicates.SakkeFacts, SAKKE_PREDICATES),
                          (predicates.TicketFacts, TICKET_PREDICATES)):
        assert {p.fact for p in family} <= set(vars(proto))
        assert missing_facts(proto, family) == []
    assert mikey_ticket.TicketFacts is predicates.TicketFacts
    assert expr.SakkeFacts is predicates.SakkeFacts
    assert isinstance(TicketWorld(), predicates.TicketFacts)
    assert isinstance(SymbolicFacts(), predicates.SakkeFacts)
    assert not isinstance(object(), predicates.TicketFacts)


def test_one_z3_function_per_predicate() -> None:
    a, b = _reading(), _reading()
    names = set()
    for p in PREDICATES:
        params = list(p.results) if p.param is not None else [None]
        for param in params:
            f, g = p.function(a, param), p.function(b, param)
            assert f.eq(g), p.name  # same name and sorts: the same symbol
            assert f.arity() == len(p.args)
            names.add(f.name())
    assert len(names) == sum(len(p.results) if p.param else 1 for p in PREDICATES)
    assert a.signed_by.eq(predicates.SIGNED_BY.function(a))
    assert a.trust.eq(predicates.TRUSTED.function(a))


def test_public_names_build_the_declared_nodes() -> None:
    node = mikey_ticket.MacBy(Msg(), mikey_ticket.NafKey(Field("m"), Self("s")))
    assert isinstance(node, Apply) and node.predicate is predicates.MAC_BY
    assert node == predicates.MAC_BY(Msg(), predicates.NAF_KEY(Field("m"), Self("s")))
    assert node.to_text() == "MacBy(message, NafKey(m, self.s))"
    term = mikey_ticket.TicketTerm(Field("m"), "tre")
    assert term == predicates.TICKET_TERM(Field("m"), attr="tre")
    assert term.to_text() == "TP(m).tre"
    assert str(term.to_z3(_reading()).decl()) == "TP.tre"
    assert expr.Trusted(Self("s"), Field("m")).to_text() == "trusts(self.s, m)"
    with pytest.raises(TypeError):
        predicates.MAC_BY(Msg())
    with pytest.raises(TypeError):
        predicates.TICKET_TERM(Field("m"))


class _Facts:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def mac_by(self, message: Any, key: Any) -> Any:
        return self.answer

    def naf_key(self, btid: Any, naf: Any) -> Any:
        return ("naf", btid, naf)


def _env(facts: Any) -> Env:
    from mckm.impl.engine import DictMessage

    return Env(DictMessage("X", {"m": "b"}), {"s": "k"}, {}, 0, facts)


def test_runtime_reading_passes_a_verdict_through_and_makes_bools_bool() -> None:
    node = predicates.MAC_BY(Msg(), Self("s"))
    refused = Verdict.no("the MAC differs", 1)
    assert node.to_python(_env(_Facts(refused))) is refused
    assert node.to_python(_env(_Facts(1))) is True
    assert node.to_python(_env(_Facts(None))) is False
    key = predicates.NAF_KEY(Field("m"), Self("s")).to_python(_env(_Facts(None)))
    assert key == ("naf", "b", "k")  # a non-bool answer is returned as it is
