"""SEAL key distribution against a Dolev-Yao network attacker: secrecy of K and agreement
between receiver and initiator, each row under one threat assumption.

The runs are the model's own (``seal_key_distribution.PROCEDURE``, or a mutant of it), read
through ``to_z3``: an honest run of step 1 holds the initiator's guards and writes its fields by
``SEND_WRITES`` and by what its effects declare (K and RAND fresh, K encapsulated to
``RECEIVER_UID``, the message signed by ``INITIATOR_UID``); a run of step 2 holds every guard of
the receiver and hands its variables to the receiver's next run by ``VAR_WRITES``.  No step
wiring and no origin axiom is written here: only the attacker.

The attacker (Dolev-Yao) delivers every message a receiver takes: a replay of an honest one
(to anyone, at any time, more than once) or one it composed with fields of its choice.  Crypto
is a term algebra: ``SignedBy(m, u)`` holds iff m is an honest message signed by u, or the
attacker holds u's signing key; ``EncryptedTo(b, u)`` iff the SAKKE payload b was made for u
(SAKKE encapsulation needs only public values: anyone makes one for any UID); a payload the
attacker presents is an honest one or carries a key the attacker knows; it knows an honest K iff
it holds the RSK that K was encrypted to.  Which keys it holds is the threat assumption.

Bounds: :data:`HONEST_SENDS` runs of step 1 by honest initiators to any peers, and
:data:`RECEIVES` runs of step 2 at one honest receiving entity, one after the other (its replay
cache and key store carried between them); message depth one (SAKKE payloads and signatures
are not nested).  Leaves out: replay-cache pruning across the window (the runtime's
ReplayCache), clock skew between entities, key periods changing between two runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import z3

from mckm.models.procedures.expr import Field, Policy, Purpose, Self, Uid, Z3Reading
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import mutants
from mckm.models.procedures.seal_key_distribution import (
    INITIATOR_UID,
    PROCEDURE,
    RECEIVER_UID,
    SEND_WRITES,
    VAR_WRITES,
)
from mckm.proofs.result import ProofResult, counterexample, run_mutant, satisfiable, timed

#: the receiver's own UID for its current period (what K must be for: REQ-SEAL-KD-04, -11)
OWN_UID = Uid(Self("uri"), Self("period"))
HONEST_SENDS = 2
RECEIVES = 2
BOUNDS = (f"{HONEST_SENDS} honest sends, {RECEIVES} receives at one receiver, "
          "message depth 1")


@dataclass(frozen=True)
class Assumption:
    """Which keys the attacker holds besides what it sees on the network.  ``expected``:
    property -> why it fails under this assumption (an attack that is a result, not a bug)."""

    name: str
    ue: bool = False  # some UEs' SSKs and RSKs (never an honest run's parties)
    kms: bool = False  # a third KMS's KSAK and z (neither the honest parties' own KMS)
    trusted: bool = False  # ... and the receiver trusts such a KMS
    master: bool = False  # the SAKKE master secret z of every KMS: every RSK, past and future
    expected: Mapping[str, str] = field(default_factory=dict)


SECRECY = "secrecy of K"
AGREEMENT = "agreement on IDRi, IDRkmsi, IDRr, SK-ID, RAND, K and the receiver's UID"
RECENT = "recent agreement: the send lies within the replay window of the receive"
INJECTIVE = "injective agreement: one send is accepted once"
GROUP = "a group key (GMK) comes from an honest run of an authorised SGM-S"
#: property -> the requirement ids it covers
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    SECRECY: ("REQ-SEAL-KD-01", "REQ-SEAL-KD-04", "REQ-SEAL-KD-11"),
    AGREEMENT: ("REQ-SEAL-KD-05", "REQ-SEAL-KD-06", "REQ-SEAL-KD-07", "REQ-SEAL-KD-10",
                "REQ-SEAL-KD-03"),
    RECENT: ("REQ-SEAL-KD-08", "REQ-SEAL-KD-09"),
    INJECTIVE: ("REQ-SEAL-KD-09",),
    GROUP: ("REQ-SEAL-KD-14",),
}

_TRUSTED_KMS = ("a receiver that trusts a compromised SKM-S accepts any identity it issues "
                "keys for: trust in an SKM-S is trust in every UID it signs for (TS 33.180 5.1)")

ASSUMPTIONS = (
    Assumption("honest parties"),
    Assumption("a compromised UE", ue=True),
    Assumption("a compromised KMS the receiver does not trust", kms=True),
    Assumption("a compromised KMS the receiver trusts", kms=True, trusted=True, expected={
        SECRECY: _TRUSTED_KMS, AGREEMENT: _TRUSTED_KMS, RECENT: _TRUSTED_KMS,
        GROUP: _TRUSTED_KMS}),
    Assumption("the KMS's SAKKE master secret leaked", master=True, expected={
        SECRECY: "SAKKE has no forward secrecy: the master secret z gives every RSK, so every "
                 "K ever sent, recorded earlier or later, is the attacker's (RFC 6508 2.2)"}),
)


class _Run:
    """One run of a step: its reading's symbols renamed apart (``prefix``)."""

    def __init__(self, z: Z3Reading, prefix: str) -> None:
        consts = [*z.fields.values(), *z.vars.values(), z.msg, z.now]
        self.pairs = [(c, z3.Const(f"{prefix}.{c}", c.sort())) for c in consts]
        self.renamed = dict(self.pairs)
        self.z = z

    def __call__(self, term: Any) -> Any:
        return self.renamed.get(term) if z3.is_const(term) and term in self.renamed \
            else z3.substitute(term, *self.pairs)

    def f(self, name: str) -> Any:
        return self.renamed[self.z.fields[name]]

    def v(self, name: str) -> Any:
        return self.renamed[self.z.vars[name]]

    @property
    def msg(self) -> Any:
        return self.renamed[self.z.msg]

    @property
    def now(self) -> Any:
        return self.renamed[self.z.now]


def _applications(fn: z3.FuncDeclRef, formulas: list[Any]) -> list[Any]:
    """Every distinct application of ``fn`` in ``formulas``."""
    seen: dict[int, Any] = {}
    stack = list(formulas)
    visited: set[int] = set()
    while stack:
        t = stack.pop()
        if t.get_id() in visited:
            continue
        visited.add(t.get_id())
        if z3.is_app(t):
            if t.decl().eq(fn):
                seen[t.get_id()] = t
            stack.extend(t.children())
    return list(seen.values())


class World:
    """The bounded runs of ``procedure`` with the attacker of ``assumption``: hypotheses (what
    the runs and the attacker can do) and the property goals over them."""

    def __init__(self, procedure: Procedure, assumption: Assumption) -> None:
        a = assumption
        send_step = procedure.step_for("initiator", "I_MESSAGE")
        recv_step = procedure.step_for("receiver", "I_MESSAGE")
        zs = procedure.z3_reading(send_step, procedure.policy)
        zr = procedure.z3_reading(recv_step, procedure.policy)
        ref = zr.with_policy(PROCEDURE.policy)  # properties read the model's policy
        self.key_sort = z3.DeclareSort("Key")
        sakke_key = z3.Function("sakke.key", zr.Blob, self.key_sort)
        sakke_uid = z3.Function("sakke.uid", zr.Blob, zr.UID)
        uid_ident = z3.Function("uid.identity", zr.UID, zr.Ident)
        corrupt = z3.Function("attacker.ue", zr.Ident, z3.BoolSort())
        kms_corrupt = z3.Function("attacker.kms", zr.Ident, z3.BoolSort())
        types = procedure.message(send_step.message).fields
        acc = {n: z3.Function(f"acc.{n}", zr.Msg, zr.sort(t)) for n, t in types.items()}
        hyps: list[Any] = []

        def honest(ident: Any) -> Any:
            return z3.Not(corrupt(ident))

        # honest runs of step 1 (the initiator's guards, SEND_WRITES, the effects' UIDs)
        sends = [_Run(zs, f"send{j}") for j in range(HONEST_SENDS)]
        signer, target, keys, leaked = [], [], [], []
        for s in sends:
            hyps += [s(d) for d in zs.domain()]
            hyps += [s(g.expr.to_z3(zs)) for g in send_step.guards]
            hyps += [s.f(n) == s(e.to_z3(zs)) for n, e in SEND_WRITES.items()]
            hyps += [s.f(n) == acc[n](s.msg) for n in types]
            hyps += [honest(s.v("uri")), z3.Not(kms_corrupt(s.v("kms_uri")))]
            signer.append(s(INITIATOR_UID.to_z3(zs)))
            target.append(s(RECEIVER_UID.to_z3(zs)))
            hyps.append(sakke_uid(s.f("sakke")) == target[-1])
            keys.append(sakke_key(s.f("sakke")))
            leaked.append(z3.Or(z3.BoolVal(a.master), corrupt(uid_ident(target[-1]))))
        for values in (keys, [s.msg for s in sends], [s.f("rand") for s in sends],
                       [s.f("sakke") for s in sends]):
            hyps.append(z3.Distinct(*values))  # fresh per run

        def knows(k: Any) -> Any:
            chosen = z3.And([k != kj for kj in keys])
            return z3.Or(chosen, *[z3.And(k == kj, lj) for kj, lj in zip(keys, leaked,
                                                                          strict=True)])

        # runs of step 2 at one receiver, its variables carried by VAR_WRITES
        written = {v: e for name in recv_step.effects for v, e in VAR_WRITES.get(name, {}).items()}
        recvs = [_Run(zr, f"recv{i}") for i in range(RECEIVES)]
        accepted = []
        for i, r in enumerate(recvs):
            if i == 0:
                empty = z3.K(zr.Blob, z3.BoolVal(False))
                hyps += [r.v("replay_cache") == empty, r.v("key_store") == empty]
            else:
                before = recvs[i - 1]
                hyps.append(r.now >= before.now)
                hyps += [r.v(v) == (before(written[v].to_z3(zr)) if v in written
                                    else before.v(v)) for v in zr.vars]
            hyps += [r(d) for d in zr.domain()]
            hyps += [r.f(n) == acc[n](r.msg) for n in types]
            hyps.append(honest(r.v("uri")))
            # the SGM-Ss are honest; a compromised KMS is one the receiver does not trust
            # (instantiated at every identity the runs name: quantifier-free)
            hyps += [z3.Implies(z3.Select(r.v("group_servers"), who), honest(who))
                     for who in [q.f("idri") for q in (*sends, *recvs)]]
            if not a.trusted:
                hyps += [z3.Implies(kms_corrupt(k), z3.Not(z3.Select(r.v("trusted_kms"), k)))
                         for k in [q.f("idrkmsi") for q in (*sends, *recvs)]]
            hyps += [z3.Implies(r.msg == s.msg, r.now >= s.now) for s in sends]
            blob = r.f("sakke")
            hyps.append(z3.Or(*[blob == s.f("sakke") for s in sends], knows(sakke_key(blob))))
            accepted.append(z3.And([r(g.expr.to_z3(zr)) for g in recv_step.guards]))

        # the crypto: honest signatures and the attacker's keys; SAKKE is public-key
        m, u = z3.Var(0, zr.Msg), z3.Var(1, zr.UID)
        signed = z3.Or(*[z3.And(m == s.msg, u == sj) for s, sj in zip(sends, signer,
                                                                      strict=True)],
                       corrupt(uid_ident(u)), kms_corrupt(acc["idrkmsi"](m)))
        b = z3.Var(0, zr.Blob)
        self._crypto = [(zr.signed_by, signed), (zr.encrypted_to, sakke_uid(b) == u)]
        nobody = z3.BoolVal(False)
        self._crypto += [(f, nobody) for f, on in ((corrupt, a.ue), (kms_corrupt, a.kms))
                         if not on]
        self.hyps = [self.define(h) for h in hyps]
        self.accepted = [self.define(acc_i) for acc_i in accepted]

        def match(r: _Run, j: int) -> Any:
            s = sends[j]
            return z3.And(r.f("idri") == s.f("idri"), r.f("idrkmsi") == s.f("idrkmsi"),
                          r.v("uri") == s.f("idrr"), r.f("csb_id") == s.f("csb_id"),
                          r.f("rand") == s.f("rand"), sakke_key(r.f("sakke")) == keys[j],
                          r(OWN_UID.to_z3(zr)) == target[j])

        window = Policy("replay_window").to_z3(ref)
        gmk = Policy("group_key_purpose").to_z3(ref)
        goals: dict[str, list[Any]] = {SECRECY: [], AGREEMENT: [], RECENT: [], GROUP: []}
        for r, ok in zip(recvs, self.accepted, strict=True):
            from_honest = z3.And(ok, honest(r.f("idri")))
            goals[SECRECY].append(z3.Implies(from_honest, z3.Not(knows(sakke_key(r.f("sakke"))))))
            goals[AGREEMENT].append(z3.Implies(from_honest, z3.Or(
                *[match(r, j) for j in range(HONEST_SENDS)])))
            goals[RECENT].append(z3.Implies(from_honest, z3.Or(*[
                z3.And(match(r, j), r.now - s.now <= window, s.now - r.now <= window)
                for j, s in enumerate(sends)])))
            is_gmk = r(Purpose(Field("csb_id")).to_z3(ref)) == gmk
            goals[GROUP].append(z3.Implies(z3.And(ok, is_gmk), z3.Or(*[
                z3.And(r.msg == s.msg, z3.Select(r.v("group_servers"), s.f("idri")))
                for s in sends])))
        both = z3.And(*self.accepted)
        goals[INJECTIVE] = [z3.Not(z3.And(both, *[match(r, j) for r in recvs]))
                            for j in range(HONEST_SENDS)]
        self.goals = {name: z3.And(*[self.define(g) for g in gs]) for name, gs in goals.items()}
        # a UID names one identity: uid.identity inverts Uid on every UID the runs build
        # (instantiated, so the formulas stay quantifier-free)
        terms = _applications(zr.uid, [*self.hyps, *self.accepted, *self.goals.values()])
        self.hyps += [uid_ident(t) == t.arg(0) for t in terms]
        self.sends, self.recvs, self.ident_sort = sends, recvs, zr.Ident

    def define(self, term: Any) -> Any:
        """``term`` with SignedBy and EncryptedTo replaced by the attacker's crypto."""
        return z3.substitute_funs(term, *self._crypto)

    def solve(self, goal: str) -> z3.ModelRef | None:
        return counterexample(self.hyps, self.goals[goal])

    def executable(self) -> bool:
        """The runs can all complete (else every row holds vacuously)."""
        return satisfiable(*self.hyps, *self.accepted)


PROPERTIES = (SECRECY, AGREEMENT, RECENT, INJECTIVE, GROUP)


def trace(world: World, model: z3.ModelRef) -> list[str]:
    """An attack as steps a reader can follow: each honest send, then each message the
    receiver accepted and whether it is a replay of a send or composed by the attacker."""
    names: dict[str, str] = {}

    def val(term: Any) -> str:
        text = str(model.eval(term, model_completion=True))
        if term.sort() == world.ident_sort:  # z3's Ident!val!7 -> a stable short name
            text = names.setdefault(text, f"E{len(names) + 1}")
        return text

    lines = []
    for j, s in enumerate(world.sends):
        lines.append(f"send {j}: {val(s.v('uri'))} -> {val(s.f('idrr'))} (IDRkmsi "
                     f"{val(s.f('idrkmsi'))}, SK-ID {val(s.f('csb_id'))}, T {val(s.f('t'))})")
    for i, (r, ok) in enumerate(zip(world.recvs, world.accepted, strict=True)):
        if not z3.is_true(model.eval(ok, model_completion=True)):
            continue
        source = next((f"replay of send {j}" for j, s in enumerate(world.sends)
                       if z3.is_true(model.eval(r.msg == s.msg, model_completion=True))),
                      "composed by the attacker")
        lines.append(f"receive {i} at {val(r.v('uri'))}, now {val(r.now)}: accepts IDRi "
                     f"{val(r.f('idri'))} (IDRkmsi {val(r.f('idrkmsi'))}, SK-ID "
                     f"{val(r.f('csb_id'))}): {source}")
    return lines


def _formula(world: Callable[[], World], prop: str) -> Any:
    return z3.And(*world().hyps, world().goals[prop])


def _solve(world: Callable[[], World], prop: str) -> z3.ModelRef | None:
    return world().solve(prop)


def _rows(a: Assumption, quick: bool, dead: set[str]) -> list[ProofResult]:
    """Every property under ``a``; the runs of each mutant are built once for all rows."""
    world, build_s = timed(functools.partial(World, PROCEDURE, a))
    if not world.executable():
        raise AssertionError(f"SEAL attacker model under {a.name!r}: the runs cannot complete")
    worlds = {m.name: (m, functools.cache(functools.partial(World, m.procedure, a)))
              for m in mutants(PROCEDURE, quick=quick)}
    rows = []
    for prop in PROPERTIES:
        model, solve_s = timed(functools.partial(world.solve, prop))
        expected = a.expected.get(prop, "")
        row = ProofResult(f"SEAL attacker: {prop}", a.name, model is None,
                          build_s / len(PROPERTIES) + solve_s,
                          None if model is None else {"trace": " / ".join(trace(world, model))},
                          expected_attack=expected, requirements=REQUIREMENTS[prop])
        rows.append(row)
        if expected:  # the row fails by design: mutants are judged by the rows that hold
            continue
        base = z3.And(*world.hyps, world.goals[prop])
        for m, built in worlds.values():
            row.mutants.append(run_mutant(m, PROCEDURE, dead, base,
                                          functools.partial(_formula, built, prop),
                                          functools.partial(_solve, built, prop)))
            row.seconds += row.mutants[-1].seconds
    return rows


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property under every assumption, each on every generated mutant (a mutant killed
    by an earlier row is not solved again)."""
    dead: set[str] = set()
    return [row for a in ASSUMPTIONS for row in _rows(a, quick, dead)]


__all__ = ["ASSUMPTIONS", "BOUNDS", "PROPERTIES", "Assumption", "World", "prove", "trace"]
