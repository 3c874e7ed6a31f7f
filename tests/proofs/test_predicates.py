"""The crypto predicates are declared once (models/procedures/predicates.py): every facts
implementation answers every declared fact, every z3 reading builds the same function, the
runtime reading passes a Verdict through, and the public names build the same nodes."""

from __future__ import annotations

from typing import Any

import pytest
import z3

from mckm.impl.roles.kms.client import ClientFacts
from mckm.impl.roles.kms.service import KmsFacts
from mckm.impl.roles.seal.facts import SealFacts
from mckm.impl.roles.ticket.facts import TicketFacts as RealTicketFacts
from mckm.models.procedures import expr, mikey_ticket, predicates, skm_s
from mckm.models.procedures.expr import Apply, Env, Field, Msg, Self, Z3Reading
from mckm.models.procedures.predicates import (
    PREDICATES,
    SAKKE_PREDICATES,
    SKMS_CLIENT_PREDICATES,
    SKMS_KMS_PREDICATES,
    SKMS_PREDICATES,
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
    ("impl KmsFacts", KmsFacts, SKMS_KMS_PREDICATES),
    ("impl ClientFacts", ClientFacts, SKMS_CLIENT_PREDICATES),
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
    for proto, family in ((predicates.SkmsKmsFacts, SKMS_KMS_PREDICATES),
                          (predicates.SkmsClientFacts, SKMS_CLIENT_PREDICATES),
                          (skm_s.SkmsFacts, SKMS_PREDICATES)):
        assert {p.fact for p in family} <= set(vars(proto))
        assert missing_facts(proto, family) == []
    assert missing_facts(ClientFacts, SKMS_KMS_PREDICATES) != []  # the families do differ
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


def test_the_skm_s_functions_keep_their_z3_names_and_sorts() -> None:
    """The declarations build the functions the hand-written SKM-S nodes built (the proofs'
    terms and the replay read the same symbols), and the public names are the declarations."""
    z = _reading()
    ident, blob, msg, int_, bool_ = z.Ident, z.Blob, z.Msg, z3.IntSort(), z3.BoolSort()
    expected = {
        "TokenValid": (blob, int_, bool_), "TokenScopes": (blob, z3.ArraySort(ident, bool_)),
        "TokenSubject": (blob, blob), "Enrolled": (blob, bool_),
        "RequestSignedBy": (msg, blob, bool_), "PeriodsAllowed": (blob, int_, bool_),
        "ResponseSignedBy": (msg, ident, bool_), "KeySetsValid": (msg, bool_),
        "StorePrivate": (bool_,), "InkOf": (ident, ident, ident), "TrkOf": (ident, ident, ident),
    }
    assert {p.name for p in SKMS_PREDICATES} == set(expected)
    for p in SKMS_PREDICATES:
        assert p.function(z).eq(z3.Function(p.name, *expected[p.name])), p.name
        assert getattr(skm_s, p.name) is p
    assert skm_s.StorePrivate().to_z3(z).eq(z3.Bool("StorePrivate"))
    assert skm_s.KeyId("TrK", Self("uri"), Field("m")) == predicates.TRK_OF(Self("uri"),
                                                                            Field("m"))
    assert skm_s.G_SCOPE.expr.to_text() == "self.scope in scopes(token)"


def test_the_replay_facts_answer_a_set_valued_fact_as_a_set() -> None:
    z = _reading()
    scopes = predicates.TOKEN_SCOPES.function(z)
    token, granted, other = (z3.Const(n, s) for n, s in (("t", z.Blob), ("g", z.Ident),
                                                          ("o", z.Ident)))
    solver = z3.Solver()
    solver.add(z3.Select(scopes(token), granted), z3.Not(z3.Select(scopes(token), other)))
    assert solver.check() == z3.sat
    model = solver.model()
    facts = ModelFacts(model, z)
    got = facts.token_scopes(str(model.eval(token, model_completion=True)))
    assert isinstance(got, frozenset)
    assert str(model.eval(granted, model_completion=True)) in got
    assert str(model.eval(other, model_completion=True)) not in got


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
