"""Hop-by-hop trust of the MIKEY-TICKET resolve (seed 002 B.2.2.2 / B.2.2.3, 6.2.3.8; RFC 6043 10).

Models: the guards of ``mckm.models.procedures.mikey_ticket`` read through ``to_z3``, one symbol
set per step instance ("hop"), and the model's ``VAR_WRITES`` to carry a role's variables from
one of its steps to the next.  Crypto, BSF and NDS/IP are uninterpreted predicates (Dolev-Yao):
the only origin assumptions are that a RESOLVE_RESP MACed under ``NafKey(b, k)`` was made by KMS
``k`` at its answering step, and that a Zk message whose NDS/IP association authenticates ``p``
was made by KMS ``p`` at its Zk sending step (honest KMSs; secret NAF keys and IPsec keys).
``Trust`` is uninterpreted: each row holds for every trust relation.  Topologies: ``n`` = 1..4
distinct KMSs; every KMS-valued symbol (role URIs, Zk peers, the KMS a ticket names, the
responder's KMS) is one of them, and the responder's and initiator's KMSs range over all of them
(one-domain procedure when they coincide, two-domain otherwise).

Properties: (1) the responder accepts keys only if its own KMS authenticated it (NAF key of its
B-TID, USS holding the IDRr the ticket authorises) and each inter-KMS hop is trusted in the
direction used; (2) KMS_I answers only a KMS it trusts, over an authenticated association;
(3) the keys leave a KMS only enciphered for an authorised responder's B-TID, or in clear to the
KMS that authenticated that responder.  Mutants (from the mutant generator): the five of the
issue, each refuted with a counterexample that ``replay`` runs through the engine.

Leaves out: compromised KMSs or BSF, the initiator side (REQUEST), replays across runs (the
property tests cover them), chains of more than one Zk hop (the model has none).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import z3

from mckm.impl.engine import EffectRegistry, RoleMachine
from mckm.models.procedures.expr import (
    And,
    Eq,
    Expr,
    Field,
    In,
    Msg,
    Not,
    NotIn,
    Now,
    Self,
    Trusted,
)
from mckm.models.procedures.mikey_ticket import (
    ONE_DOMAIN,
    TWO_DOMAINS,
    VAR_WRITES,
    KemacFor,
    MacBy,
    NafKey,
    NdsFrom,
    TicketFor,
    TicketTerm,
    UssHas,
)
from mckm.models.procedures.mikey_ticket.terms import (
    AtMost,
    MpkiOf,
    StoredMpki,
    TicketSealedBy,
    ZkKeys,
)
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant, mutants
from mckm.proofs import regression
from mckm.proofs.hops import Hop, hop
from mckm.proofs.regression import REGRESSION, StepKey
from mckm.proofs.replay import ModelFacts, concretize
from mckm.proofs.result import (
    ProofResult,
    Vacuous,
    counterexample,
    describe,
    requirement_ids,
    run_mutant,
    satisfiable,
    timed,
)

MAX_KMS = 4
ASSUMPTION = f"1..{MAX_KMS} KMSs, any trust relation and user assignment; Dolev-Yao"

def carried(a: Hop, b: Hop) -> list[Any]:
    """``b`` follows ``a`` in the same role: variables as ``a``'s effects left them."""
    writes: dict[str, Expr] = {}
    for e in a.step.effects:
        writes.update(VAR_WRITES.get(e, {}))
    out = [b.v(n) == (a(writes[n]) if n in writes else a.v(n)) for n in b.z.vars]
    return [*out, a.z.now <= b.z.now]


class Chain:
    """The hops of one resolve in ``procedure`` (responder's view last)."""

    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self.two = procedure.name == TWO_DOMAINS.name
        kms_r = "kms_r" if self.two else "kms"  # the responder's KMS
        steps = {"in": procedure.step_for(kms_r, "RESOLVE_INIT")}
        if self.two:
            steps |= {"fwd": procedure.step_for("kms_r", "RESOLVE_INIT_ZK"),
                      "zin": procedure.step_for("kms_i", "RESOLVE_INIT_ZK"),
                      "zout": procedure.step_for("kms_i", "RESOLVE_RESP_ZK"),
                      "back": procedure.step_for("kms_r", "RESOLVE_RESP_ZK"),
                      # another KMS_I run: any KMS answering any forward (a second session)
                      "zin2": procedure.step_for("kms_i", "RESOLVE_INIT_ZK"),
                      "zout2": procedure.step_for("kms_i", "RESOLVE_RESP_ZK")}
        steps |= {"out": procedure.step_for(kms_r, "RESOLVE_RESP"),
                  "resp": procedure.step_for("responder", "RESOLVE_RESP"),
                  "reuse": procedure.step_for("responder", "TRANSFER_INIT", branch=True)}
        self.h = {k: hop(procedure, step, k) for k, step in steps.items()}

    def kms_r_steps(self) -> list[str]:
        return ["in", "fwd", "back", "out"] if self.two else ["in", "out"]

    def role_run(self, keys: list[str]) -> list[Any]:
        out = [g for k in keys for g in self.h[k].guards()]
        for a, b in itertools.pairwise(keys):
            out += carried(self.h[a], self.h[b])
        return out

    def kms_i_run(self) -> list[Any]:
        return self.role_run(["zin", "zout"])

    def origin_zin(self) -> Any:
        """Zk request authenticated as p => made by KMS p (= KMS_R) at its forwarding step."""
        zin, fwd = self.h["zin"], self.h["fwd"]
        return z3.Implies(NdsFrom(Msg(), Field("zk_from")).to_z3(zin.z),
                          z3.And(fwd.v("uri") == zin.f("zk_from"), zin.same_message(fwd)))

    def origin_back(self) -> Any:
        back, zout = self.h["back"], self.h["zout"]
        return z3.Implies(NdsFrom(Msg(), Field("zk_from")).to_z3(back.z),
                          z3.And(zout.v("uri") == back.f("zk_from"), back.same_message(zout),
                                 *self.kms_i_run(), self.origin_zin()))

    def origin_resp(self) -> Any:
        """RESOLVE_RESP MACed under NafKey(b, k) => made by KMS k for B-TID b at its answer."""
        resp, out = self.h["resp"], self.h["out"]
        premise = MacBy(Msg(), NafKey(Self("btid"), Self("kms_uri"))).to_z3(resp.z)
        chain = [*self.role_run(self.kms_r_steps())]
        if self.two:
            chain.append(self.origin_back())
        return z3.Implies(premise, z3.And(out.v("uri") == resp.v("kms_uri"),
                                          out.v("btid") == resp.v("btid"),
                                          resp.same_message(out), *chain))

    def kms_valued(self) -> Iterator[Any]:
        for h in self.h.values():
            ue = h.step.role in ("initiator", "responder")  # a UE's uri and peer are users
            for n in ("kms_uri",) if ue else ("uri", "kms_uri", "issuer", "peer"):
                if n in h.z.vars:
                    yield h.v(n)
            for n in ("zk_from", "zk_to", "idrkms"):
                if n in h.z.fields:
                    yield h.f(n)
            if "ticket" in h.z.fields:
                yield h(TicketTerm(Field("ticket"), "kms"))

    def topology(self, n: int) -> list[Any]:
        ident = self.h["in"].z.Ident
        kms = [z3.Const(f"kms{i}", ident) for i in range(1, n + 1)]
        out = [z3.Distinct(*kms)] if n > 1 else []
        out += [z3.Or([x == k for k in kms]) for x in self.kms_valued()]
        for h in self.h.values():
            out += h.z.domain()
        return out


Property = Callable[[Chain], tuple[list[Any], Any]]


def kms_r_agrees_with_asked_kms(c: Chain) -> tuple[list[Any], Any]:
    """Protocol (KMS_R <-> KMS_I agreement on the forward it made): KMS_R relays keys from a Zk
    answer only if it was made by a run of the KMS that KMS_R forwarded to, answering for the
    responder KMS_R forwarded for.  Two KMS_I runs may have made it (NDS/IP authenticates the
    sender of each): the run that received this forward, and another run of any KMS that
    answered any forward (its own RESOLVE_INIT_ZK from anyone it trusts).  KMS_R's steps are
    composed by its ``VAR_WRITES``; no step's guards alone name the forward's target."""
    h = c.h
    fwd, back = h["fwd"], h["back"]

    def made_by(out: Hop, inp: Hop, origin: list[Any]) -> Any:
        return z3.And(out.v("uri") == back.f("zk_from"), back.same_message(out),
                      *inp.guards(), *out.guards(), *carried(inp, out), *origin)

    origin = z3.Implies(NdsFrom(Msg(), Field("zk_from")).to_z3(back.z),
                        z3.Or(made_by(h["zout"], h["zin"], [c.origin_zin()]),
                              made_by(h["zout2"], h["zin2"], [])))
    hyps = [*c.role_run(["in", "fwd", "back"]), origin]
    goal = z3.Or([z3.And(back.same_message(r), r.v("uri") == fwd.f("zk_to"),
                         r.f("idrr") == fwd.f("idrr"))
                  for r in (h["zout"], h["zout2"])])
    return hyps, goal


def responder_authenticated(c: Chain) -> tuple[list[Any], Any]:
    """(1): the responder accepted keys => its own KMS authenticated it; every hop trusted."""
    h = c.h
    r, kin = h["resp"], h["in"]
    goal = [kin.v("uri") == r.v("kms_uri"),
            kin(MacBy(Msg(), NafKey(Field("idrpsk"), Self("uri")))),
            kin.f("idrpsk") == r.v("btid"), kin.f("idrr") == r.v("uri"),
            kin(UssHas(Field("idrpsk"), Field("idrr"))),
            kin(TicketFor(Field("ticket"), Field("idrr")))]
    if c.two:
        kr, ki = kin.v("uri"), h["zout"].v("uri")
        goal += [h["fwd"].f("zk_to") == ki, r.z.trust(kr, ki), r.z.trust(ki, kr)]
    return [*r.guards(), c.origin_resp()], z3.And(goal)


def kms_i_answers_trusted(c: Chain) -> tuple[list[Any], Any]:
    """(2): KMS_I sent keys over Zk => to a KMS it trusts that asked over authenticated Zk."""
    zin, zout = c.h["zin"], c.h["zout"]
    peer = zout.f("zk_to")
    return c.kms_i_run(), z3.And(zout.z.trust(zout.v("uri"), peer),
                                 zin(NdsFrom(Msg(), Field("zk_from"))), zin.f("zk_from") == peer)


def keys_stay_in_chain(c: Chain) -> tuple[list[Any], Any]:
    """(3): keys leave KMS_R only enciphered for an authorised responder's B-TID; leave KMS_I only
    for the KMS that authenticated that responder."""
    out = c.h["out"]
    goal = [out(KemacFor(Field("kemac"), NafKey(Self("btid"), Self("uri")))),
            out(UssHas(Self("btid"), Field("idrr"))), out(TicketFor(Self("ticket"), Field("idrr")))]
    hyps = c.role_run(c.kms_r_steps())
    if c.two:
        kin, zout = c.h["in"], c.h["zout"]
        hyps += [*c.kms_i_run(), c.origin_zin()]
        goal += [zout.f("zk_to") == kin.v("uri"), kin(UssHas(Field("idrpsk"), Field("idrr")))]
    return hyps, z3.And(goal)


def kms_r_forwards_trusted(c: Chain) -> tuple[list[Any], Any]:
    """(1, per hop): KMS_R sends a RESOLVE_INIT over Zk only to a KMS it trusts."""
    fwd = c.h["fwd"]
    return c.role_run(["in", "fwd"]), fwd.z.trust(fwd.v("uri"), fwd.f("zk_to"))


def reuse_only_of_accepted(c: Chain) -> tuple[list[Any], Any]:
    """(4), by induction on the responder's store ``reusable``: Inv(R) = every ticket in R was
    accepted at the step receiving RESOLVE_RESP (8 / 12r, whose acceptance gives (1)).  Each
    responder step that writes the store (``VAR_WRITES``) keeps Inv; the reuse branch (1r)
    takes keys only for a ticket in R.  ``Accepted`` is uninterpreted: it holds of the ticket of
    a run whose RESOLVE_RESP step's guards held, and the proof assumes nothing else about it."""
    z = c.h["reuse"].z
    accepted = z3.Function("Accepted", z.Blob, z3.BoolSort())

    def inv(store: Any) -> Any:
        t = z3.Const("reused.t", z.Blob)
        return z3.ForAll([t], z3.Implies(z3.Select(store, t), accepted(t)))

    hyps: list[Any] = []
    goals: list[Any] = []
    for step in c.procedure.steps_of("responder"):
        writes = {v: e for name in step.effects for v, e in VAR_WRITES.get(name, {}).items()}
        if "reusable" not in writes:
            continue
        h = hop(c.procedure, step, f"w{step.number}")
        hyps += [inv(h.v("reusable")), *h.guards()]
        if step.message == "RESOLVE_RESP":
            hyps.append(z3.Implies(z3.And(h.guards()), accepted(h.v("ticket"))))
        goals.append(inv(h(writes["reusable"])))
    r = c.h["reuse"]
    assert r.step.when is not None
    hyps += [inv(r.v("reusable")), r(r.step.when), *r.guards()]
    goals.append(accepted(r.f("ticket")))
    return hyps, z3.And(goals)


PROPERTIES: dict[str, tuple[Property, tuple[Procedure, ...]]] = {
    "KMS_R forwards a resolve only to a KMS it trusts": (kms_r_forwards_trusted, (TWO_DOMAINS,)),
    "responder gets keys only via its own authenticating KMS and trusted hops":
        (responder_authenticated, (ONE_DOMAIN, TWO_DOMAINS)),
    "KMS_R relays a Zk answer only from a run of the KMS it asked, for its own forward "
    "(two KMS_I runs)": (kms_r_agrees_with_asked_kms, (TWO_DOMAINS,)),
    "KMS_I answers only a trusted KMS over authenticated Zk":
        (kms_i_answers_trusted, (TWO_DOMAINS,)),
    "keys reach only the initiator, the responder and the KMSs of the chain":
        (keys_stay_in_chain, (ONE_DOMAIN, TWO_DOMAINS)),
    "a reused ticket's keys are those of a resolve the responder accepted (store induction)":
        (reuse_only_of_accepted, (ONE_DOMAIN, TWO_DOMAINS)),
}


#: property name -> the requirement ids it covers
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "KMS_R forwards a resolve only to a KMS it trusts": ("REQ-TKT-16",),
    "responder gets keys only via its own authenticating KMS and trusted hops":
        ("REQ-TKT-14", "REQ-TKT-16", "REQ-TKT-20"),
    "KMS_R relays a Zk answer only from a run of the KMS it asked, for its own forward "
    "(two KMS_I runs)": ("REQ-TKT-20",),
    "KMS_I answers only a trusted KMS over authenticated Zk": ("REQ-TKT-18", "REQ-TKT-19"),
    "keys reach only the initiator, the responder and the KMSs of the chain":
        ("REQ-TKT-13", "REQ-TKT-19"),
    "a reused ticket's keys are those of a resolve the responder accepted (store induction)":
        ("REQ-TKT-23",),
}


def check(procedure: Procedure, prop: Property) -> tuple[z3.ModelRef | None, Chain, int]:
    """First counterexample over n = 1..MAX_KMS KMSs, or None; also checks non-vacuity."""
    chain = Chain(procedure)
    hyps, goal = prop(chain)
    for n in range(1, MAX_KMS + 1):
        model = counterexample([*chain.topology(n), *hyps], goal)
        if model is not None:
            return model, chain, n
    if not satisfiable(*chain.topology(MAX_KMS), *hyps, goal):
        raise Vacuous(f"{procedure.name}: hypotheses are vacuous")
    return None, chain, MAX_KMS


def _kms(procedure: Procedure) -> str:
    return "kms" if procedure.name == ONE_DOMAIN.name else "kms_r"


#: regression rows (``mckm.proofs.regression``): per step, what its requirements say it
#: checks, in words and in the model's expression language; steps by role, message, action
_TICKET_ISSUED = Eq(TicketTerm(Field("tp"), "kms"), Self("uri"))
_VALID_NOW = And(AtMost(TicketTerm(Field("ticket"), "trs"), Now()),
                 AtMost(Now(), TicketTerm(Field("ticket"), "tre")))
_OWN_NAF = NafKey(Self("btid"), Self("kms_uri"))
_FROM_INITIATOR = Eq(Field("idri"), TicketTerm(Field("ticket"), "initiator"))


def regressions(procedure: Procedure) -> dict[StepKey, dict[str, Expr]]:
    kms_i = "kms" if procedure.name == ONE_DOMAIN.name else "kms_i"
    kms_r = _kms(procedure)
    resolve_in: dict[str, Expr] = {
        "a resolve is served only for an authenticated, fresh request of a responder of the "
        "B-TID whom the ticket authorises, addressed to this KMS, within the ticket's validity "
        "(REQ-TKT-07..11)": And(
            MacBy(Msg(), NafKey(Field("idrpsk"), Self("uri"))), Eq(Field("idrkms"), Self("uri")),
            NotIn(Field("randrr"), Self("replay_cache")),
            UssHas(Field("idrpsk"), Field("idrr")), TicketFor(Field("ticket"), Field("idrr")),
            _VALID_NOW)}
    if procedure.name == ONE_DOMAIN.name:
        resolve_in["a ticket is resolved locally only if this KMS sealed it (REQ-TKT-12)"] = (
            TicketSealedBy(Field("ticket"), Self("uri")))
    else:
        resolve_in["a ticket is forwarded only if another KMS, trusted, issued it "
                   "(REQ-TKT-16)"] = And(
            Not(Eq(TicketTerm(Field("ticket"), "kms"), Self("uri"))),
            Trusted(Self("uri"), TicketTerm(Field("ticket"), "kms")))
    out: dict[StepKey, dict[str, Expr]] = {
        StepKey("initiator", "REQUEST_INIT", "send"): {
            "REQUEST_INIT names the initiator and its own B-TID (REQ-TKT-01)":
                And(Eq(Field("idri"), Self("uri")), Eq(Field("idrpsk"), Self("btid")))},
        StepKey(kms_i, "REQUEST_INIT", "receive"): {
            "a ticket is issued only on a fresh request MACed under the NAF key of a B-TID "
            "whose USS holds IDRi, addressed to this KMS, for a policy naming it "
            "(REQ-TKT-02/11/25)": And(
                MacBy(Msg(), NafKey(Field("idrpsk"), Self("uri"))),
                Eq(Field("idrkms"), Self("uri")), NotIn(Field("randri"), Self("replay_cache")),
                UssHas(Field("idrpsk"), Field("idri")), _TICKET_ISSUED)},
        StepKey("initiator", "REQUEST_RESP", "receive"): {
            "the initiator takes a ticket only from its own KMS, authorising its peer "
            "(REQ-TKT-02/03)": And(MacBy(Msg(), _OWN_NAF),
                                   TicketFor(Field("ticket"), Self("peer")))},
        StepKey("initiator", "TRANSFER_INIT", "send"): {
            "TRANSFER_INIT names the intended responder (REQ-TKT-04)":
                Eq(Field("idrr"), Self("peer"))},
        StepKey("responder", "TRANSFER_INIT", "receive"): {
            "the responder answers only a fresh TRANSFER_INIT addressed to it, from the "
            "ticket's initiator, with a ticket not expired (REQ-TKT-05/24/26/27)":
                And(Eq(Field("idrr"), Self("uri")), _FROM_INITIATOR,
                    NotIn(Field("randri"), Self("replay_cache")),
                    AtMost(Now(), TicketTerm(Field("ticket"), "tre")))},
        StepKey("responder", "TRANSFER_INIT", "receive", branch=True): {
            "a stored ticket is reused only for a fresh TRANSFER_INIT addressed to the "
            "responder, from the ticket's initiator, within the ticket's validity, MACed with "
            "the stored MPKi (REQ-TKT-05/22/23/24/27)": And(
                Eq(Field("idrr"), Self("uri")), _FROM_INITIATOR,
                NotIn(Field("randri"), Self("replay_cache")),
                _VALID_NOW, In(Field("ticket"), Self("reusable")),
                MacBy(Msg(), StoredMpki(Self("reusable"), Field("ticket"))))},
        StepKey("responder", "RESOLVE_INIT", "send"): {
            "RESOLVE_INIT names the responder, its B-TID and the ticket received (REQ-TKT-06)":
                And(Eq(Field("idrr"), Self("uri")), Eq(Field("idrpsk"), Self("btid")),
                    Eq(Field("ticket"), Self("ticket")))},
        StepKey(kms_r, "RESOLVE_INIT", "receive"): resolve_in,
        StepKey(kms_r, "RESOLVE_RESP", "send"): {
            "RESOLVE_RESP names the requester, MACed and its KEMAC enciphered under the "
            "requester's NAF key (REQ-TKT-13)": And(
                Eq(Field("idrr"), Self("requester")),
                MacBy(Msg(), NafKey(Self("btid"), Self("uri"))),
                KemacFor(Field("kemac"), NafKey(Self("btid"), Self("uri"))))},
        StepKey("responder", "RESOLVE_RESP", "receive"): {
            "the responder takes keys only from its own KMS, for itself, readable under its NAF "
            "key, that verify the TRANSFER_INIT offered (REQ-TKT-14/22)": And(
                MacBy(Msg(), _OWN_NAF), KemacFor(Field("kemac"), _OWN_NAF),
                Eq(Field("idrr"), Self("uri")),
                MacBy(Self("offer"), MpkiOf(Field("kemac"), _OWN_NAF)))},
        StepKey("responder", "TRANSFER_RESP", "send"): {
            "TRANSFER_RESP names the responder (REQ-TKT-15)": Eq(Field("idrr"), Self("uri"))},
        StepKey("initiator", "TRANSFER_RESP", "receive"): {
            "the initiator accepts only its peer's answer under keys from MPKi (REQ-TKT-04)":
                And(MacBy(Msg(), Self("mpki")), Eq(Field("idrr"), Self("peer")))},
    }
    if procedure.name == TWO_DOMAINS.name:
        out |= {
            StepKey("kms_r", "RESOLVE_INIT_ZK", "send"): {
                "KMS_R forwards in its own name, to the issuer, the ticket and responder it "
                "matched (REQ-TKT-16/17)": And(
                    Eq(Field("zk_from"), Self("uri")), Eq(Field("zk_to"), Self("issuer")),
                    Eq(Field("ticket"), Self("ticket")), Eq(Field("idrr"), Self("requester")))},
            StepKey("kms_i", "RESOLVE_INIT_ZK", "receive"): {
                "KMS_I resolves over Zk only a fresh, authenticated request of a trusted KMS, "
                "addressed to it, for a ticket it sealed authorising IDRr, within its validity "
                "(REQ-TKT-09..12/18)": And(
                    NdsFrom(Msg(), Field("zk_from")), Trusted(Self("uri"), Field("zk_from")),
                    Eq(Field("zk_to"), Self("uri")), TicketSealedBy(Field("ticket"), Self("uri")),
                    TicketFor(Field("ticket"), Field("idrr")), _VALID_NOW,
                    NotIn(Field("randrr"), Self("replay_cache")))},
            StepKey("kms_i", "RESOLVE_RESP_ZK", "send"): {
                "KMS_I answers in its own name the KMS that asked, for its requester "
                "(REQ-TKT-13/17/19)": And(
                    Eq(Field("zk_from"), Self("uri")), Eq(Field("zk_to"), Self("peer")),
                    Eq(Field("idrr"), Self("requester")))},
            StepKey("kms_r", "RESOLVE_RESP_ZK", "receive"): {
                "KMS_R relays only an authenticated answer of the KMS it asked, for the "
                "responder it forwarded for, with the keys in clear (REQ-TKT-20)": And(
                    NdsFrom(Msg(), Field("zk_from")), Eq(Field("zk_from"), Self("issuer")),
                    Eq(Field("idrr"), Self("requester")), ZkKeys(Msg()))},
        }
    return out


def _solve_chain(procedure: Procedure, prop: Property) -> z3.ModelRef | None:
    return check(procedure, prop)[0]


def _solve_regression(procedure: Procedure, reference: Procedure, key: StepKey,
                      statement: Expr) -> z3.ModelRef | None:
    return regression.check(procedure, reference, key, statement)


def _chain_formula(procedure: Procedure, prop: Property) -> Any:
    hyps, goal = prop(Chain(procedure))
    return z3.And(*hyps, goal)


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property and regression row, each run on every generated mutant of its model
    (``quick``: no field-swap mutants)."""
    rows: list[ProofResult] = []
    muts = {p.name: mutants(p, quick=quick) for p in (ONE_DOMAIN, TWO_DOMAINS)}
    dead: set[str] = set()

    def add(row: ProofResult, proc: Procedure, base: Any, formula: Callable[[Procedure], Any],
            solve: Callable[[Procedure], z3.ModelRef | None]) -> None:
        for m in muts[proc.name]:
            row.mutants.append(run_mutant(
                m, proc, dead, base, functools.partial(formula, m.procedure),
                functools.partial(solve, m.procedure), f"{proc.name} "))
        row.seconds += sum(x.seconds for x in row.mutants)
        rows.append(row)

    for name, (prop, procs) in PROPERTIES.items():
        for proc in procs:
            (model, _, _), secs = timed(functools.partial(check, proc, prop))
            add(ProofResult(f"ticket {proc.name}: {name}", ASSUMPTION, model is None, secs,
                            None if model is None else describe(model),
                            requirements=REQUIREMENTS[name]),
                proc, _chain_formula(proc, prop),
                functools.partial(_chain_formula, prop=prop),
                functools.partial(_solve_chain, prop=prop))
    for proc in (ONE_DOMAIN, TWO_DOMAINS):
        for key, statements in regressions(proc).items():
            for name, statement in statements.items():
                model, secs = timed(functools.partial(regression.check, proc, proc, key,
                                                      statement))

                def reg_formula(p: Procedure, k: StepKey = key, st: Expr = statement,
                                ref: Procedure = proc) -> Any:
                    hyps, goal = regression.formula(p, ref, k, st)
                    return z3.And(*hyps, goal)

                add(ProofResult(f"ticket {proc.name} (regression) {key.text(proc)}: {name}",
                                REGRESSION, model is None, secs,
                                None if model is None else describe(model),
                                requirements=requirement_ids(name)
                                or key.step(proc).all_requirements),
                    proc, reg_formula(proc), reg_formula,
                    functools.partial(_solve_regression, reference=proc, key=key,
                                      statement=statement))
    return rows


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of both ticket models, named as ``prove`` names them."""
    return [Mutant(f"{p.name} {m.name}", m.kind, m.procedure, m.step, m.guard)
            for p in (ONE_DOMAIN, TWO_DOMAINS) for m in mutants(p, quick=quick)]

# --------------------------------------------------------------------------- replay


#: the ticket facts as a z3 counterexample interprets them (generated from the declarations)
TicketModelFacts = ModelFacts


def _base(m: Mutant) -> Procedure:
    return ONE_DOMAIN if m.procedure.name == ONE_DOMAIN.name else TWO_DOMAINS


def replay(mutant: Mutant, model: z3.ModelRef, chain: Chain) -> dict[str, Any]:
    """The mutated step's counterexample through the engine: the mutant's role machine accepts
    it; the model's refuses it (a dropped guard) or takes another step (a dropped when)."""
    h = next(x for x in chain.h.values() if x.step.number == mutant.step)
    message, role_vars, now = concretize(model, h.z, h.step, mutant.procedure)
    facts = ModelFacts(model, h.z)
    noop = EffectRegistry({e: (lambda ctx: None) for s in mutant.procedure.steps
                           for e in s.effects})
    outcome: dict[str, Any] = {}
    for label, proc in (("mutant", mutant.procedure), ("model", _base(mutant))):
        machine = RoleMachine(proc, h.step.role, vars=dict(role_vars), facts=facts, effects=noop,
                              trusted=facts.trusted)
        machine.state = h.step.source
        try:
            taken = (machine.step_for(message, now=now) if h.step.action == "receive"
                     else proc.step(h.step.number))  # a branch mutant changes the choice
            if taken is None or taken.number != h.step.number:
                outcome[label] = f"takes step {taken.number if taken else None}"
                continue
            machine.check_guards(taken, message, now=now)
            outcome[label] = "accepted"
        except Exception as exc:  # the refusal is the expected outcome; report any other
            outcome[label] = exc
    return outcome
