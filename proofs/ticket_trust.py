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
from mckm.models.procedures.expr import Expr, Field, Msg, Self
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
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant, drop_guard_mutants, drop_when_mutants
from mckm.proofs.hops import Hop, hop
from mckm.proofs.replay import ModelFacts, concretize
from mckm.proofs.result import MutantResult, ProofResult, counterexample, describe, timed

MAX_KMS = 4
ASSUMPTION = f"1..{MAX_KMS} KMSs, any trust relation and user assignment; Dolev-Yao"

#: (procedure, (role, message) of the step, guard) of the required mutants, made by
#: drop_guard_mutants; a guard of None is the step's branch taken without its ``when``
REQUIRED_MUTANTS: tuple[tuple[Procedure, tuple[str, str], str | None], ...] = (
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
                      "back": procedure.step_for("kms_r", "RESOLVE_RESP_ZK")}
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
    "KMS_I answers only a trusted KMS over authenticated Zk":
        (kms_i_answers_trusted, (TWO_DOMAINS,)),
    "keys reach only the initiator, the responder and the KMSs of the chain":
        (keys_stay_in_chain, (ONE_DOMAIN, TWO_DOMAINS)),
    "a reused ticket's keys are those of a resolve the responder accepted (store induction)":
        (reuse_only_of_accepted, (ONE_DOMAIN, TWO_DOMAINS)),
}


def check(procedure: Procedure, prop: Property) -> tuple[z3.ModelRef | None, Chain, int]:
    """First counterexample over n = 1..MAX_KMS KMSs, or None; also checks non-vacuity."""
    chain = Chain(procedure)
    hyps, goal = prop(chain)
    for n in range(1, MAX_KMS + 1):
        model = counterexample([*chain.topology(n), *hyps], goal)
        if model is not None:
            return model, chain, n
    solver = z3.Solver()
    solver.add(*chain.topology(MAX_KMS), *hyps, goal)
    if solver.check() != z3.sat:
        raise AssertionError(f"{procedure.name}: hypotheses are vacuous")
    return None, chain, MAX_KMS


def required_mutants() -> list[Mutant]:
    wanted = {(proc.name, proc.step_for(role, message, branch=guard is None).number, guard)
              for proc, (role, message), guard in REQUIRED_MUTANTS}
    out = []
    for proc in (ONE_DOMAIN, TWO_DOMAINS):
        for m in [*drop_guard_mutants(proc), *drop_when_mutants(proc)]:
            if (proc.name, m.step, m.guard) in wanted:
                out.append(Mutant(f"{proc.name} {m.name}", m.kind, m.procedure, m.step, m.guard))
    assert len(out) == len(REQUIRED_MUTANTS), "a required mutant is missing from the model"
    return out


def _base(m: Mutant) -> Procedure:
    return ONE_DOMAIN if m.procedure.name == ONE_DOMAIN.name else TWO_DOMAINS


def prove() -> list[ProofResult]:
    rows: list[ProofResult] = []
    muts = required_mutants()
    for name, (prop, procs) in PROPERTIES.items():
        for proc in procs:
            (model, _, _), secs = timed(functools.partial(check, proc, prop))
            row = ProofResult(f"ticket {proc.name}: {name}", ASSUMPTION, model is None, secs,
                              None if model is None else describe(model))
            for m in muts:
                if m.procedure.name != proc.name:
                    continue
                (mm, _, _), ms = timed(functools.partial(check, m.procedure, prop))
                row.mutants.append(MutantResult(m.name, mm is not None,
                                                None if mm is None else describe(mm)))
                row.seconds += ms
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- replay


#: the ticket facts as a z3 counterexample interprets them (generated from the declarations)
TicketModelFacts = ModelFacts


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
