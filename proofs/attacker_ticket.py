"""MIKEY-TICKET (one KMS and two KMS domains) against a Dolev-Yao network attacker: secrecy of
the ticket keys (MPKi/TGK) and of the NAF keys, injective agreement between responder and
initiator, KMS and UE, KMS_R and KMS_I, each row under one threat assumption.

Models seed 002 (TS 33.328 B.2.2.2, B.2.2.3, 6.2.3.8) on RFC 6043 4.2 and 10.  The runs are the
model's own (``mikey_ticket.ONE_DOMAIN`` / ``TWO_DOMAINS``, and every generated mutant in the
same world, selected by ``mutant == k``), read through ``to_z3``: a run of a role follows the
role's table (:meth:`Procedure.table`) from its initial state, at a branching cell taking the
step whose ``when`` holds (the engine's rule); each step of a run may happen or not, and only
after the one before it.  A receive holds its guards and writes what ``VAR_WRITES`` declares; a
send holds its guards and writes its message as ``SENDS`` declares (fields, inkey, the message
it answers, the KEMAC's keys, the Zk peer); a response verifies only over the request the role
sent last (its V covers it, RFC 6043 5.5).  What the key effects make beyond ``VAR_WRITES`` is
:data:`KEY_EFFECTS`, one entry per effect of ``impl/roles/ticket/effects`` with its clause.
No step wiring and no origin axiom: a message reaches a receive only through the attacker.

The attacker delivers every message a receive takes: a replay of any honest send (to anyone,
at any time, more than once, in any order) or one it composed with fields of its choice.
Crypto is a term algebra, each function defined by who can make it true:

- ``MacBy(m, k)``: m is an honest send MACed under k (RFC 6043 5.1.2: the PSK is the GBA Ks_NAF
  of TS 33.220 4.5.2 on Ua, MPKi on the Transfer exchange), or the attacker knows k;
- ``KemacFor(c, k)`` / ``MpkiOf(c, k)``: c is the KEMAC of an honest send enciphered under k
  (with its keys), or the attacker knows k (and the keys it put in c);
- ``TicketSealedBy(t, n)``: t is a ticket an honest run of KMS n issued, or the attacker holds
  n's ticket protection key (TPK; RFC 6043 Appendix A); a ticket it seals has keys it knows;
- ``NdsFrom(m, p)``: m is an honest Zk send by KMS p to the receiving KMS (NDS/IP, TS 33.210:
  authenticated, encrypted, bound to the pair), or the attacker holds p's credentials;
- ``UssHas(b, u)`` (the BSF): a compromised UE's B-TID lists only compromised identities;
- ``ZkKeys``: true (the attacker makes any well-formed clear KEMAC; the answer's binding to the
  forward is the response rule above).

The attacker knows ``NafKey(b, n)`` iff b is a compromised UE's B-TID or it holds KMS n's
secrets; it knows an honest ticket's keys iff it holds the issuing KMS's TPK, or an honest KMS
sent them in a KEMAC under a NAF key it knows, or in clear over Zk to a KMS it holds; it knows
any value it made.  Which secrets it holds is the assumption (:data:`ASSUMPTIONS`); where a row
fails by design, ``expected`` says why.

Bounds (:data:`BOUNDS`): :data:`RUNS` runs of each role from its initial state (initiators at
any entities; the runs of one KMS role at one KMS, its replay cache carried; the runs of one
responder, its replay cache and reusable-ticket store carried), :data:`REUSE_RUNS` run of the
responder's reuse branch and one re-offer by the first initiator (``resumes granted``), all
concurrent; the two-domain procedure crosses domains over Zk.  Message depth one.  Leaves out:
time bounds of ticket validity as a property (its guards are judged by the regression rows of
``ticket-trust``), the replay cache's expiry (``replay_expiry``; the caches here only grow), PK
variants, key forking, more than one Zk hop.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3
from z3 import z3core
from z3.z3consts import Z3_APP_AST

from mckm.models.procedures.expr import Field, Self, Z3Reading
from mckm.models.procedures.mikey_ticket import (
    ONE_DOMAIN,
    SENDS,
    TWO_DOMAINS,
    VAR_WRITES,
    KemacFor,
    MacBy,
    MpkiOf,
    NafKey,
    NdsFrom,
    StoredMpki,
    TicketFor,
    TicketSealedBy,
    TicketTerm,
    UssHas,
)
from mckm.models.procedures.mikey_ticket.terms import ZkKeys
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import Mutant, mutants
from mckm.models.procedures.predicates import TRUSTED
from mckm.proofs.hops import Symbols, rename
from mckm.proofs.result import ProofResult, budgeted, run_mutant, satisfiable, timed

RUNS = 2
REUSE_RUNS = 1
BOUNDS = (f"{RUNS} runs of each role (initiators anywhere, each KMS role at one KMS, one "
          f"responder), {REUSE_RUNS} reuse run, concurrent; message depth 1")

#: role variables the runtime adds to the model's (``impl/roles/ticket/effects``): the ticket
#: keys (MPKi, TGK) a run holds, and the initial message a KMS answers
EXTRA_VARS = {"keys": "blob", "received_init": "msg"}


@dataclass(frozen=True)
class Assumption:
    """Which secrets the attacker holds besides what it sees.  ``expected``: property -> why it
    fails under this assumption (an attack that is a result, not a bug)."""

    name: str
    ue: bool = False  # some UEs' Ks (their NAF keys), never an honest run's parties
    kms: bool = False  # a third KMS: its TPK, Ks_NAF and NDS/IP credentials
    trusted: bool = False  # ... and honest KMSs may trust it
    master: bool = False  # an honest KMS's TPK and Ks_NAF leaked (it still runs honestly)
    expected: Mapping[str, str] = field(default_factory=dict)
    zk_only: tuple[str, ...] = ()  # expected attacks that need Zk (the two-domain procedure)
    quick: bool = True  # its rows judge the mutants in ``mckm prove --quick`` too


SECRECY = "secrecy of MPKi/TGK at a responder and an initiator that completed"
NAF = "secrecy of the NAF key (Ks_NAF) a KMS accepted an honest identity's request under"
AGREE_R = ("injective agreement: a responder's accepted TRANSFER_INIT is one honest initiator "
           "run's (IDRi, IDRr, ticket, RANDRi, MPKi)")
AGREE_I = ("agreement: an initiator's accepted TRANSFER_RESP is an honest responder run's answer "
           "to its TRANSFER_INIT, with the same MPKi")
AGREE_K = ("injective agreement: KMS_R relays an answer of the KMS it asked only if a KMS_I run "
           "received its forward (ticket, IDRr, RANDRr) and answered it")

AGREE_Q = ("injective agreement: a KMS issues a ticket for an honest IDRi only on one honest "
           "initiator run's REQUEST_INIT")
AGREE_S = ("injective agreement: a KMS resolves for an honest IDRr only one honest responder "
           "run's RESOLVE_INIT")
AGREE_Z = ("injective agreement: KMS_I answers a Zk request from an honest KMS only if a KMS_R "
           "run sent it")
#: property -> the requirement ids it covers
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    SECRECY: ("REQ-TKT-13", "REQ-TKT-19", "REQ-TKT-20", "REQ-TKT-22"),
    NAF: ("REQ-TKT-02", "REQ-TKT-07"),
    AGREE_R: ("REQ-TKT-05", "REQ-TKT-22", "REQ-TKT-24", "REQ-TKT-27"),
    AGREE_I: ("REQ-TKT-04",),
    AGREE_K: ("REQ-TKT-16", "REQ-TKT-20"),
    AGREE_Q: ("REQ-TKT-01", "REQ-TKT-02", "REQ-TKT-11"),
    AGREE_S: ("REQ-TKT-06", "REQ-TKT-07", "REQ-TKT-08", "REQ-TKT-09", "REQ-TKT-11"),
    AGREE_Z: ("REQ-TKT-17", "REQ-TKT-18"),
}

_TRUSTED_KMS = ("KMS_I answers over Zk any KMS it trusts with the ticket's keys in clear (seed "
                "002 B.2.2.3 steps 8-10): a trusted compromised KMS that saw the TICKET of a "
                "TRANSFER_INIT resolves it for the responder the ticket names; and KMS_R takes "
                "the keys of any ticket such a KMS seals (its own, naming an honest initiator)")
_TRUSTED_ISSUER = ("KMS_R accepts the keys of any ticket a KMS it trusts issued (6.2.3.8): a "
                   "compromised trusted KMS seals a ticket naming an honest initiator and the "
                   "responder accepts its keys as that initiator's")
_LEAKED = ("the TPK opens every recorded ticket and Ks_NAF every KEMAC of that KMS: the keys of "
           "every ticket it issued, before or after the leak, are the attacker's (RFC 6043 "
           "Appendix A; no forward secrecy)")
_LEAKED_FORGE = ("with the TPK and Ks_NAF the attacker seals its own ticket and answers the "
                 "resolve as the KMS: the responder accepts keys no initiator sent")

_LEAKED_MAC = ("Ks_NAF of the KMS makes the V of any request to it: the attacker asks in any "
               "honest user's name")

ASSUMPTIONS = (
    Assumption("honest parties"),
    Assumption("a compromised UE", ue=True),
    Assumption("a compromised third KMS that the issuing KMS trusts", kms=True, trusted=True,
               expected={SECRECY: _TRUSTED_KMS, AGREE_R: _TRUSTED_ISSUER,
                         AGREE_I: _TRUSTED_KMS},
               zk_only=(SECRECY, AGREE_R, AGREE_I), quick=False),
    Assumption("a compromised third KMS that no honest KMS trusts", kms=True),
    Assumption("a leaked KMS master secret (TPK and Ks_NAF)", master=True, quick=False,
               expected={
        SECRECY: _LEAKED, NAF: _LEAKED, AGREE_R: _LEAKED_FORGE, AGREE_I: _LEAKED_FORGE,
        AGREE_Q: _LEAKED_MAC, AGREE_S: _LEAKED_MAC}),
)


def properties(procedure: Procedure) -> tuple[str, ...]:
    two = procedure.name == TWO_DOMAINS.name
    return (SECRECY, NAF, AGREE_R, AGREE_I, AGREE_Q, AGREE_S,
            *((AGREE_K, AGREE_Z) if two else ()))


class _Inst(Symbols):
    """One step instance of a run: the step's reading with its symbols renamed apart."""

    def __init__(self, procedure: Procedure, step: Step, tag: str) -> None:
        var_types = {**procedure.role(step.role).vars, **EXTRA_VARS}
        z = rename(Z3Reading(procedure.message(step.message).fields, var_types,
                              procedure.policy), tag)
        self.z, self.step, self.tag = z, step, tag
        self.h = z3.Bool(f"{tag}.happened")

    def __call__(self, expr: Any) -> Any:
        return expr.to_z3(self.z)


@dataclass
class _Send:
    """An honest send: who can use it is decided by ``h`` (it happened)."""

    inst: _Inst
    key: Any | None  # the MAC key term (None: NULL MAC, Zk)
    kemac: Any | None  # the KEMAC blob it carries
    kemac_key: Any | None  # ... enciphered under (None: clear, Zk)
    keys: Any | None  # ... carrying these ticket keys
    zk_to: Any | None


@dataclass
class _Run:
    role: str
    insts: list[_Inst]
    start: dict[str, Any]
    end: dict[str, Any]
    stored_end: Any


def _path(procedure: Procedure, role: str, state: str, branch: int
          ) -> list[tuple[Step, tuple[Step, ...]]]:
    """The role's steps from ``state`` to a final state, taking branch ``branch`` of a cell
    with branches (0: the first, whose ``when`` selects it); each with its cell's steps."""
    r = procedure.role(role)
    table = procedure.table(role)
    out: list[tuple[Step, tuple[Step, ...]]] = []
    while state not in r.final:
        cells = list(table[state].values())
        if not cells:
            break
        if len(cells) != 1:
            raise ValueError(f"{procedure.name}: {role} has {len(cells)} cells in {state}")
        cell = cells[0]
        step = cell[min(branch, len(cell) - 1)] if len(cell) > 1 else cell[0]
        out.append((step, cell))
        state = step.target
    return out


def _rand_field(procedure: Procedure, message: str) -> str | None:
    """The field of ``message`` that the grammar puts in a RANDR payload (RFC 3830 6.11)."""
    spec = procedure.message(message)
    return next((n for n, w in spec.wire.items() if w.path.payload == "RANDR"), None)


class World:
    """The bounded runs of ``procedure`` with the attacker of ``assumption``."""

    def __init__(self, procedure: Procedure, assumption: Assumption,
                 variants: Sequence[Mutant] = ()) -> None:
        """``variants``: mutants of ``procedure`` whose guards and ``when`` conditions the
        world also carries, selected by ``mutant == k`` (:meth:`check`); -1 is the model."""
        self.procedure, self.assumption = procedure, assumption
        self.variants = list(variants)
        self.mut = z3.Int("mutant")
        self.flags = {n: z3.Bool(f"assume.{n}") for n in ("ue", "kms", "trusted", "master")}
        for m in self.variants:
            if m.step is None:
                raise ValueError(f"{m.name}: only step mutants are carried by a world")
        self._common: list[tuple[Any, Any]] | None = None
        self._me = z3.Const("receiving.kms", procedure.z3_reading(procedure.steps[0]).Ident)
        probe = procedure.z3_reading(procedure.steps[0])
        self.Ident, self.Blob, self.Msg = probe.Ident, probe.Blob, probe.Msg
        Ident, Blob, Msg = self.Ident, self.Blob, self.Msg
        self.corrupt = z3.Function("attacker.ue", Ident, z3.BoolSort())
        self.corrupt_btid = z3.Function("attacker.btid", Blob, z3.BoolSort())
        self.kms_corrupt = z3.Function("attacker.kms", Ident, z3.BoolSort())
        self.leaked = z3.Function("attacker.leaked", Ident, z3.BoolSort())
        self.knows = z3.Function("attacker.knows", Blob, z3.BoolSort())
        self.kind = z3.Function("msg.kind", Msg, z3.IntSort())
        self.answers = z3.Function("msg.answers", Msg, Msg)
        self.tkeys = z3.Function("ticket.keys", Blob, Blob)
        self.clear = z3.Const("kemac.clear", Blob)  # the NULL encryption of a Zk KEMAC
        types: dict[str, z3.SortRef] = {}
        for spec in procedure.messages:
            for n, t in spec.fields.items():
                types.setdefault(n, probe.sort(t))
        self.acc = {n: z3.Function(f"acc.{n}", Msg, s) for n, s in types.items()}
        self.hyps: list[Any] = []
        self.sends: list[_Send] = []
        self.issued: list[tuple[Any, Any, Any, _Inst]] = []  # (ticket, keys, kms uri, inst)
        self.fresh: dict[str, list[Any]] = {"rand": [], "kemac": []}
        self.runs: dict[str, list[_Run]] = {}
        self._key_writes: list[Callable[[], Any]] = []
        self._adv = z3.Function("attacker.mpki", Blob, Blob, Blob)
        self._pending: list[tuple[_Inst, Any, Any]] = []  # receives: (inst, stored, cur)
        roles = [r.name for r in procedure.roles]
        for role in roles:
            self.runs[role] = self._role_runs(role)
        self._honest_entities()
        # receives are defined once every honest send is known
        self.accepted = []
        for inst, stored, _ in self._pending:
            ok = self.define(inst, z3.And(self._guards(inst)), stored)
            self.hyps.append(z3.Implies(inst.h, ok))
            self.accepted.append(ok)
            for s in self.sends:
                self.hyps.append(z3.Implies(inst.z.msg == s.inst.z.msg,
                                            inst.z.now >= s.inst.z.now))
        for key_writes in self._key_writes:
            self.hyps.append(key_writes())
        for what in ("rand", "kemac"):
            if len(self.fresh[what]) > 1:
                self.hyps.append(z3.Distinct(*self.fresh[what]))
        send_msgs = [s.inst.z.msg for s in self.sends]
        if len(send_msgs) > 1:
            self.hyps.append(z3.Distinct(*send_msgs))
        tickets = [t for t, _, _, _ in self.issued]
        keys = [k for _, k, _, _ in self.issued]
        if len(tickets) > 1:
            self.hyps += [z3.Distinct(*tickets), z3.Distinct(*keys)]
        self.goals = self._goals()
        self._instantiate()
        self._solvers: dict[str, z3.Solver] = {}

    # ---------------------------------------------------------------- runs
    def _role_runs(self, role: str) -> list[_Run]:
        """:data:`RUNS` runs from the initial state on the default branches, :data:`REUSE_RUNS`
        on the first branch of a branching cell (one entity for every role but the
        initiator: identity and stores carried), and for the initiator one run from each state
        it ``resumes`` in (a reusable ticket offered again), carrying the whole state of its
        first run.  A KMS needs no resumed run: its runs from ``ready`` resolve after issuing,
        and the replay cache is all it keeps."""
        p = self.procedure
        r = p.role(role)
        default = _path(p, role, r.initial, 1)
        branching = any(len(cell) > 1 for _, cell in default)
        plans = [(r.initial, 1)] * RUNS + ([(r.initial, 0)] * REUSE_RUNS if branching else [])
        runs: list[_Run] = []
        chained = role != "initiator"
        for i, (state, branch) in enumerate(plans):
            start, stored = (runs[-1].end, runs[-1].stored_end) if chained and runs \
                else (None, None)
            runs.append(self._run(f"{role}{i}", _path(p, role, state, branch), start, stored,
                                  whole=False))
        for j, state in enumerate(() if chained else r.resumes):
            before = runs[0]
            runs.append(self._run(f"{role}.{state}{j}", _path(p, role, state, 1), before.end,
                                  before.stored_end, whole=True))
            reached = [i.h for i in before.insts if i.step.target == state]
            self.hyps.append(z3.Implies(runs[-1].insts[0].h, z3.Or(*reached)))
        return runs

    def _run(self, tag: str, path: list[tuple[Step, tuple[Step, ...]]],
             start: dict[str, Any] | None, stored: Any, *, whole: bool) -> _Run:
        p = self.procedure
        insts = [_Inst(p, step, f"{tag}.{step.number}") for step, _ in path]
        first = insts[0]
        var_types = first.z.var_types
        begin: dict[str, Any] = {n: z3.Const(f"{tag}.start.{n}", first.z.sort(t))
                                 for n, t in var_types.items()}
        if start is not None:  # the same entity: identity and stores carried
            for n, t in var_types.items():
                if whole or t.startswith("set[") or n in ("uri", "kms_uri", "btid"):
                    begin[n] = start[n]
        else:
            for n, t in var_types.items():
                if t.startswith("set["):
                    begin[n] = z3.K(first.z.sort(t[4:-1]), z3.BoolVal(False))
        if stored is None:
            stored = z3.Array(f"{tag}.stored", self.Blob, self.Blob)
        cur, ends = dict(begin), []
        last_sent: Any = None
        for k, ((step, cell), inst) in enumerate(zip(path, insts, strict=True)):
            z = inst.z
            self.hyps += [inst.v(n) == cur[n] for n in var_types]
            if k:
                self.hyps.append(z3.Implies(inst.h, insts[k - 1].h))
            self.hyps += [inst.f(n) == self.acc[n](z.msg) for n in z.fields]
            self.hyps.append(self.kind(z.msg) == [m.name for m in p.messages].index(step.message))
            self.hyps += [z3.Implies(inst.h, d) for d in z.domain()]
            after = dict(cur)
            if step.action == "receive":
                self._pending.append((inst, stored, cur))
                if len(cell) > 1:  # the engine takes the first branch whose when holds
                    for other in cell:
                        if other is step:
                            break
                        self.hyps.append(z3.Implies(inst.h, z3.Not(self._when(inst, other))))
                    if step.when is not None:
                        self.hyps.append(z3.Implies(inst.h, self._when(inst, step)))
                layout = p.message(step.message).layout
                if layout is not None and layout.integrity is not None \
                        and layout.integrity.append_request:
                    assert last_sent is not None, f"{step.label} answers no message of the run"
                    self.hyps.append(z3.Implies(inst.h, self.answers(z.msg) == last_sent))
                for e in step.effects:
                    for var, expr in VAR_WRITES.get(e, {}).items():
                        after[var] = self._later(inst, expr.to_z3(z), stored)
                    if e in KEY_EFFECTS:
                        writes, stored = KEY_EFFECTS[e](self, inst, stored, after)
                        after.update(writes)
            else:
                self.hyps.append(z3.Implies(inst.h, z3.And(self._guards(inst))))
                self._sent(inst, step)
                last_sent = z.msg
            ends.append(after)
            cur = after
        end = dict(begin)
        stored_end = stored
        for inst, after in zip(insts, ends, strict=True):
            end = {n: z3.If(inst.h, after[n], end[n]) for n in var_types}
        return _Run(path[0][0].role, insts, begin, end, stored_end)

    def _later(self, inst: _Inst, term: Any, stored: Any) -> Any:
        """A write over the received message, with its crypto defined (deferred: the honest
        sends must all be known first)."""
        holder = z3.Const(f"{inst.tag}.w{len(self._key_writes)}", term.sort())
        self._key_writes.append(lambda: holder == self.define(inst, term, stored))
        return holder

    def _sent(self, inst: _Inst, step: Step) -> None:
        z = inst.z
        sent = next((SENDS[e] for e in step.effects if e in SENDS), None)
        if sent is None:
            raise ValueError(f"{step.label}: no SENDS declaration for its effects")
        self.hyps += [inst.f(n) == inst(e) for n, e in sent.fields.items()]
        if "t" in z.fields:
            self.hyps.append(inst.f("t") == z.now)
        zk_to = None
        if sent.zk_to is not None:  # NDS/IP authenticates the sender: the sending KMS
            zk_to = inst(sent.zk_to)
            self.hyps += [inst.f("zk_to") == zk_to, inst.f("zk_from") == inst.v("uri")]
        if sent.answers is not None:
            self.hyps.append(self.answers(z.msg) == inst(sent.answers))
        else:
            rand = _rand_field(self.procedure, step.message)
            if rand is not None:
                self.fresh["rand"].append(inst.f(rand))
        key = None if sent.inkey is None else inst(sent.inkey)
        kemac = kemac_key = keys = None
        if sent.kemac is not None:
            kemac, keys = inst.f("kemac"), inst(sent.kemac)
            kemac_key = self.clear if key is None else key
            self.fresh["kemac"].append(kemac)
        self.sends.append(_Send(inst, key, kemac, kemac_key, keys, zk_to))

    # ---------------------------------------------------------------- variants
    def _select(self, base: Any, variant: Callable[[Step], Any]) -> Any:
        """``base``, or under ``mutant == k`` what variant k reads (when it differs)."""
        out = base
        for k, m in enumerate(self.variants):
            other = variant(m.procedure.step(m.step)) if m.step is not None else None
            if other is not None and not other.eq(base):
                out = z3.If(self.mut == k, other, out)
        return out

    def _guards(self, inst: _Inst) -> list[Any]:
        step = inst.step

        def reading(i: int) -> Callable[[Step], Any]:
            def of(variant: Step) -> Any:
                if variant.number != step.number:
                    return None
                return inst(variant.guards[i].expr)
            return of
        return [self._select(inst(g.expr), reading(i)) for i, g in enumerate(step.guards)]

    def _when(self, inst: _Inst, step: Step) -> Any:
        assert step.when is not None

        def of(variant: Step) -> Any:
            if variant.number != step.number or variant.when is None:
                return None
            return inst(variant.when)
        return self._select(inst(step.when), of)

    # ---------------------------------------------------------------- crypto
    def define(self, inst: _Inst, term: Any, stored: Any) -> Any:
        """``term`` of ``inst`` with the crypto predicates replaced by who can make them true."""
        z = inst.z
        if self._common is None:
            self._common = self._definitions(z)
        nds, placeholder = self._nds
        ticket = z3.Var(1, self.Blob)
        subs = [*self._common,
                (NdsFrom.function(z), z3.substitute(nds, (placeholder, inst.v("uri")))),
                (StoredMpki.function(z), z3.Select(stored, ticket))]
        return z3.substitute_funs(term, *subs)

    def _definitions(self, z: Z3Reading) -> list[tuple[Any, Any]]:
        """The definitions every receive shares (the honest sends are all known)."""
        m, k = z3.Var(0, self.Msg), z3.Var(1, self.Blob)
        c = z3.Var(0, self.Blob)
        macs = [z3.And(s.inst.h, m == s.inst.z.msg, k == s.key) for s in self.sends
                if s.key is not None]
        kemacs = [s for s in self.sends if s.kemac is not None]
        kemac_for = z3.Or(*[z3.And(s.inst.h, c == s.kemac, k == s.kemac_key) for s in kemacs],
                          self.knows(k))
        mpki = self._adv(c, k)
        for s in kemacs:
            mpki = z3.If(z3.And(s.inst.h, c == s.kemac, k == s.kemac_key), s.keys, mpki)
        t, n = z3.Var(0, self.Blob), z3.Var(1, self.Ident)
        sealed = z3.Or(*[z3.And(j.h, t == tk, n == uri) for tk, _, uri, j in self.issued],
                       self._tpk_known(n))
        p = z3.Var(1, self.Ident)
        nds = z3.Or(*[z3.And(s.inst.h, m == s.inst.z.msg, p == s.inst.f("zk_from"),
                             s.zk_to == self._me)
                      for s in self.sends if s.zk_to is not None],
                    self.kms_corrupt(p))
        self._nds = (nds, self._me)
        return [(MacBy.function(z), z3.Or(*macs, self.knows(k))),
                (KemacFor.function(z), kemac_for), (MpkiOf.function(z), mpki),
                (TicketSealedBy.function(z), sealed), (ZkKeys.function(z), z3.BoolVal(True))]

    def _tpk_known(self, n: Any) -> Any:
        return z3.Or(self.kms_corrupt(n), self.leaked(n))

    def _naf_known(self, term: Any) -> Any:
        """Whether the attacker holds ``NafKey(b, n)`` (``term``)."""
        b, n = term.arg(0), term.arg(1)
        return z3.Or(self.corrupt_btid(b), self.kms_corrupt(n), self.leaked(n))

    def _ticket_leaked(self, key: Any, uri: Any) -> Any:
        """The keys ``key`` of an honest ticket KMS ``uri`` issued are the attacker's: it holds
        the TPK, or an honest send carried them under a key it holds (a KEMAC under a Ks_NAF it
        knows, a clear KEMAC over Zk to a KMS it holds)."""
        ways = [self._tpk_known(uri)]
        for s in self.sends:
            if s.kemac is None:
                continue
            if s.zk_to is not None:
                ways.append(z3.And(s.inst.h, s.keys == key, self.kms_corrupt(s.zk_to)))
            else:
                ways.append(z3.And(s.inst.h, s.keys == key, self._naf_known(s.kemac_key)))
        return z3.Or(*ways)

    # ---------------------------------------------------------------- entities
    def _honest_entities(self) -> None:
        for role, runs in self.runs.items():
            for run in runs:
                v = run.start
                if role in ("initiator", "responder"):
                    self.hyps += [z3.Not(self.corrupt(v["uri"])),
                                  z3.Not(self.corrupt_btid(v["btid"])),
                                  z3.Not(self.kms_corrupt(v["kms_uri"]))]
                else:
                    self.hyps.append(z3.Not(self.kms_corrupt(v["uri"])))
        for role in self.runs:
            if role not in ("initiator", "responder"):
                uris = [r.start["uri"] for r in self.runs[role]]
                self.hyps += [x == uris[0] for x in uris[1:]]

    def _instantiate(self) -> None:
        """The definitions over the terms the formulas use (quantifier-free)."""
        formulas = [*self.hyps, *self.goals.values()]
        z = _reading(self)
        fns = [NafKey.function(z), self.knows, self._adv, self.tkeys, TicketFor.function(z),
               UssHas.function(z), TRUSTED.function(z)]
        found = _applications(formulas, fns)

        def apps(fn: Any) -> list[Any]:
            return found[next(i for i, f in enumerate(fns) if f.eq(fn))]

        naf = [t for t in apps(NafKey.function(_reading(self))) if t.num_args() == 2]
        honest_keys = [k for _, k, _, _ in self.issued]
        leaks = [self._ticket_leaked(k, uri) for _, k, uri, _ in self.issued]
        for t in naf:  # NafKey is injective (a KDF of B-TID and NAF_Id, TS 33.220 4.5.2)
            b_of = z3.Function("naf.btid", self.Blob, self.Blob)
            n_of = z3.Function("naf.naf", self.Blob, self.Ident)
            self.hyps += [b_of(t) == t.arg(0), n_of(t) == t.arg(1)]
        self.hyps += [k != t for k in honest_keys for t in [*naf, self.clear]]
        self.hyps += [self.clear != t for t in naf]
        args = {x.arg(0).get_id(): x.arg(0) for x in apps(self.knows)}
        args |= {x.get_id(): x for x in [*apps(self._adv), *apps(self.tkeys)]}
        for y in args.values():
            is_honest = [y == k for k in honest_keys] + [y == t for t in naf]
            self.hyps.append(self.knows(y) == z3.Or(
                *[z3.And(y == k, lk) for k, lk in zip(honest_keys, leaks, strict=True)],
                *[z3.And(y == t, self._naf_known(t)) for t in naf],
                z3.Not(z3.Or(*is_honest)) if is_honest else z3.BoolVal(True)))
        for x in apps(self._adv):  # a KEMAC the attacker made carries keys it knows
            self.hyps.append(self.knows(x))
        for x in apps(self.tkeys):
            tk = x.arg(0)
            self.hyps.append(z3.Or(*[z3.And(j.h, tk == t) for t, _, _, j in self.issued],
                                   self.knows(x)))
        for t, k, _, _ in self.issued:
            self.hyps.append(self.tkeys(t) == k)
        ticket_for = TicketFor.function(z)
        who = {x.arg(1).get_id(): x.arg(1) for x in apps(ticket_for)}
        for t, _, _, j in self.issued:  # the granted policy: the desired one (RFC 6043 4.2.1.4)
            tp = j.f("tp")
            self.hyps += [ticket_for(t, w) == ticket_for(tp, w) for w in who.values()]
            for attr in ("reusable",):
                f = TicketTerm.function(z, attr)
                self.hyps.append(f(t) == f(tp))
            self.hyps += [TicketTerm.function(z, "kms")(t) == j.v("uri"),
                          TicketTerm.function(z, "initiator")(t) == j.f("idri"),
                          TicketTerm.function(z, "trs")(t) == j.z.now,
                          TicketTerm.function(z, "tre")(t) >= j.z.now]
        for s in self.sends:  # effects.build_request: the desired TP names the peer alone
            if s.inst.step.message == "REQUEST_INIT":
                tp, q = s.inst.f("tp"), s.inst
                self.hyps += [ticket_for(tp, w) == (w == q.v("peer")) for w in who.values()]
                self.hyps += [TicketTerm.function(z, "kms")(tp) == q.v("kms_uri"),
                              TicketTerm.function(z, "initiator")(tp) == q.v("uri")]
        uss = UssHas.function(z)
        for x in apps(uss):  # a compromised UE's B-TID lists its own identities only
            self.hyps.append(z3.Implies(z3.And(x, self.corrupt_btid(x.arg(0))),
                                        self.corrupt(x.arg(1))))
        trust = TRUSTED.function(z)
        for x in apps(trust):  # unless trusted: no honest KMS trusts a compromised one
            self.hyps.append(z3.Implies(z3.Not(self.flags["trusted"]), z3.Implies(
                self.kms_corrupt(x.arg(1)), z3.Not(x))))
        # each kind of secret the attacker holds only under the assumption that gives it
        subs = []
        for f, flag in ((self.corrupt, "ue"), (self.corrupt_btid, "ue"),
                        (self.kms_corrupt, "kms"), (self.leaked, "master")):
            held = z3.Function(f"{f.name()}.held", f.domain(0), z3.BoolSort())
            subs.append((f, z3.And(self.flags[flag], held(z3.Var(0, f.domain(0))))))
        self._held = subs
        self.hyps = [z3.substitute_funs(h, *subs) for h in self.hyps]
        self.goals = {g: z3.substitute_funs(f, *subs) for g, f in self.goals.items()}

    # ---------------------------------------------------------------- goals
    def _goals(self) -> dict[str, Any]:
        goals: dict[str, list[Any]] = {p: [] for p in properties(self.procedure)}
        inits, resps = self.runs["initiator"], self.runs["responder"]
        t1 = [next(i for i in r.insts if i.step.message == "TRANSFER_INIT") for r in inits]
        t2 = [r.insts[-1] for r in inits]
        for r in resps:
            first, last = r.insts[0], r.insts[-1]
            done = z3.And(last.h, z3.Not(self.corrupt(first.f("idri"))))
            keys = last.v("keys")
            goals[SECRECY].append(z3.Implies(done, z3.Not(self.knows(keys))))

            def match(i: int, first: _Inst = first, keys: Any = keys) -> Any:
                s = t1[i]
                return z3.And(s.h, s.f("idri") == first.f("idri"),
                              s.f("idrr") == first.f("idrr"), s.f("ticket") == first.f("ticket"),
                              s.f("randri") == first.f("randri"),
                              s.v("mpki") == keys)
            goals[AGREE_R].append(z3.Implies(done, z3.Or(*[match(i) for i in range(len(inits))])))
            r.match = match  # type: ignore[attr-defined]
        for x, y in itertools.combinations(resps, 2):
            for i in range(len(inits)):
                goals[AGREE_R].append(z3.Not(z3.And(
                    x.insts[-1].h, y.insts[-1].h, x.match(i), y.match(i))))  # type: ignore
        for s, f in zip(t1, t2, strict=True):
            done = z3.And(f.h, z3.Not(self.corrupt(f.v("peer"))))
            goals[SECRECY].append(z3.Implies(done, z3.Not(self.knows(f.v("mpki")))))
            answered = [z3.And(r.insts[-1].h, r.insts[-1].z.msg == f.z.msg,
                               r.insts[-1].v("uri") == f.v("peer"),
                               r.insts[0].z.msg == s.z.msg,
                               r.insts[-1].v("keys") == f.v("mpki")) for r in resps]
            goals[AGREE_I].append(z3.Implies(done, z3.Or(*answered)))
        for role, runs in self.runs.items():
            if role == "initiator" or role == "responder":
                continue
            for run in runs:
                for inst in run.insts:
                    if inst.step.action != "receive" or "idrpsk" not in inst.z.fields:
                        continue
                    who = inst.f("idri") if "idri" in inst.z.fields else inst.f("idrr")
                    key = NafKey(Field("idrpsk"), Self("uri")).to_z3(inst.z)
                    goals[NAF].append(z3.Implies(z3.And(inst.h, z3.Not(self.corrupt(who))),
                                                 z3.Not(self.knows(key))))
        kms_roles = [r for r in self.runs if r not in ("initiator", "responder")]
        self._agree_sent(goals, AGREE_Q, "REQUEST_INIT", "initiator", kms_roles, "idri")
        self._agree_sent(goals, AGREE_S, "RESOLVE_INIT", "responder", kms_roles, "idrr")
        if AGREE_Z in goals:
            self._agree_sent(goals, AGREE_Z, "RESOLVE_INIT_ZK", "kms_r", ["kms_i"], "")
        if AGREE_K in goals:
            kr, ki = self.runs["kms_r"], self.runs["kms_i"]

            def kmatch(x: _Run, y: _Run) -> Any:
                fwd = next(i for i in x.insts if i.step.message == "RESOLVE_INIT_ZK")
                back = next(i for i in x.insts if i.step.message == "RESOLVE_RESP_ZK")
                zin = next(i for i in y.insts if i.step.message == "RESOLVE_INIT_ZK")
                zout = next(i for i in y.insts if i.step.message == "RESOLVE_RESP_ZK")
                return z3.And(zin.h, zout.h, zin.z.msg == fwd.z.msg, zout.z.msg == back.z.msg,
                              zout.v("uri") == fwd.f("zk_to"))
            for x in kr:
                back = next(i for i in x.insts if i.step.message == "RESOLVE_RESP_ZK")
                done = z3.And(back.h, z3.Not(self.kms_corrupt(back.f("zk_from"))))
                goals[AGREE_K].append(z3.Implies(done, z3.Or(*[kmatch(x, y) for y in ki])))
            for x, y in itertools.combinations(kr, 2):
                bx = next(i for i in x.insts if i.step.message == "RESOLVE_RESP_ZK")
                by = next(i for i in y.insts if i.step.message == "RESOLVE_RESP_ZK")
                for w in ki:
                    goals[AGREE_K].append(z3.Not(z3.And(bx.h, by.h, kmatch(x, w), kmatch(y, w))))
        return {name: z3.And(*gs) for name, gs in goals.items()}

    def _agree_sent(self, goals: dict[str, list[Any]], prop: str, message: str, sender: str,
                    receivers: list[str], who: str) -> None:
        """Each ``message`` a receiver accepted for an honest identity (field ``who``; none:
        from an honest KMS over Zk) is an honest ``sender`` run's, and no two receives take
        the same one."""
        sent = [i for r in self.runs[sender] for i in r.insts
                if i.step.message == message and i.step.action == "send"]
        got = [i for role in receivers for r in self.runs[role] for i in r.insts
               if i.step.message == message and i.step.action == "receive"]
        for g in got:
            honest = z3.Not(self.corrupt(g.f(who))) if who else \
                z3.Not(self.kms_corrupt(g.f("zk_from")))
            goals[prop].append(z3.Implies(z3.And(g.h, honest), z3.Or(
                *[z3.And(s.h, s.z.msg == g.z.msg) for s in sent])))
        for x, y in itertools.combinations(got, 2):
            goals[prop].append(z3.Not(z3.And(x.h, y.h, x.z.msg == y.z.msg)))

    # ---------------------------------------------------------------- solving
    def solver(self, goal: str) -> z3.Solver:
        """A budgeted solver holding the hypotheses and the negated goal: one per row, asked
        once per variant (:meth:`check`)."""
        if goal not in self._solvers:
            solver = budgeted()
            solver.add(*self.hyps)
            solver.add(z3.Not(self.goals[goal]))
            self._solvers[goal] = solver
        return self._solvers[goal]

    def check(self, goal: str, variant: int = -1) -> z3.ModelRef | None:
        """A counterexample to ``goal`` in the model (-1) or variant ``variant``, or None
        (z3 giving up is an error, never an answer)."""
        solver = self.solver(goal)
        verdict = solver.check(self.mut == variant, *self.assumed())
        if verdict == z3.unknown:
            raise RuntimeError(f"z3 gave up: {solver.reason_unknown()}")
        return solver.model() if verdict == z3.sat else None

    def solve(self, goal: str) -> z3.ModelRef | None:
        return self.check(goal)

    def completes(self) -> Any:
        """Every run of every role reaches its final step."""
        return z3.And([r.insts[-1].h for runs in self.runs.values() for r in runs])

    def executable(self) -> bool:
        """The runs can all complete (else every row holds vacuously)."""
        return satisfiable(*self.hyps, self.completes(), self.mut == -1, *self.assumed())

    def assumed(self) -> list[Any]:
        """The assumption as literals: which secrets the attacker holds."""
        a = self.assumption
        return [self.flags[n] == on for n, on in (("ue", a.ue), ("kms", a.kms),
                                                   ("trusted", a.trusted),
                                                   ("master", a.master))]

    def under(self, assumption: Assumption) -> World:
        """The same runs and solvers under another assumption (nothing is rebuilt)."""
        other = copy.copy(self)
        other.assumption = assumption
        return other


def _reading(world: World) -> Z3Reading:
    p = world.procedure
    return p.z3_reading(p.steps[0])


def _applications(formulas: list[Any], fns: list[Any]) -> dict[int, list[Any]]:
    """Every distinct application of each of ``fns`` in ``formulas`` (one walk of the DAG
    through z3's C API: the formulas of a world have tens of thousands of nodes)."""
    ctx = formulas[0].ctx if formulas else z3.main_ctx()
    ref = ctx.ref()
    wanted = {z3core.Z3_get_ast_id(ref, z3core.Z3_func_decl_to_ast(ref, f.ast)): i
              for i, f in enumerate(fns)}
    found: dict[int, dict[int, Any]] = {i: {} for i in range(len(fns))}
    visited: set[int] = set()
    stack = [f.as_ast() for f in formulas]
    while stack:
        a = stack.pop()
        ident = z3core.Z3_get_ast_id(ref, a)
        if ident in visited:
            continue
        visited.add(ident)
        if z3core.Z3_get_ast_kind(ref, a) != Z3_APP_AST:
            continue
        app = z3core.Z3_to_app(ref, a)
        decl = z3core.Z3_get_app_decl(ref, app)
        which = wanted.get(z3core.Z3_get_ast_id(ref, z3core.Z3_func_decl_to_ast(ref, decl)))
        if which is not None:
            found[which][ident] = z3.z3._to_expr_ref(a, ctx)
        stack.extend(z3core.Z3_get_app_arg(ref, app, i)
                     for i in range(z3core.Z3_get_app_num_args(ref, app)))
    return {i: list(v.values()) for i, v in found.items()}


# --------------------------------------------------------------------------- key effects


def _issue(w: World, inst: _Inst, stored: Any, after: dict[str, Any]) -> tuple[dict[str, Any],
                                                                               Any]:
    """``ticket.kms.issue_ticket`` (RFC 6043 4.2.1.4, Appendix A): a fresh ticket sealed with
    this KMS's TPK, granting the desired policy, carrying fresh MPKi/TGK; the requester's B-TID."""
    t = z3.Const(f"{inst.tag}.issued", w.Blob)
    k = z3.Const(f"{inst.tag}.keys", w.Blob)
    w.issued.append((t, k, inst.v("uri"), inst))
    return {"ticket": t, "keys": k, "btid": inst.f("idrpsk")}, stored


def _open(w: World, inst: _Inst, stored: Any, after: dict[str, Any]) -> tuple[dict[str, Any],
                                                                              Any]:
    """``ticket.kms.open_ticket`` (RFC 6043 A.2): the keys sealed in the ticket."""
    return {"keys": w.tkeys(after["ticket"])}, stored


def _zk_keys(w: World, inst: _Inst, stored: Any, after: dict[str, Any]) -> tuple[dict[str, Any],
                                                                                 Any]:
    """``ticket.kms.take_zk_keys`` (seed 002 B.2.2.3 step 11): the keys of the clear KEMAC."""
    return {"keys": w._later(inst, MpkiOf.function(inst.z)(inst.f("kemac"), w.clear),
                             stored)}, stored


def _kemac_keys(var: str = "") -> Callable[[World, _Inst, Any, dict[str, Any]],
                                           tuple[dict[str, Any], Any]]:
    def effect(w: World, inst: _Inst, stored: Any, after: dict[str, Any]
               ) -> tuple[dict[str, Any], Any]:
        """The keys of the KEMAC under the NAF key of the own KMS (RFC 6043 4.2.1.6,
        4.2.3.6)."""
        term = MpkiOf(Field("kemac"), NafKey(Self("btid"), Self("kms_uri"))).to_z3(inst.z)
        keys = w._later(inst, term, stored)
        return ({"keys": keys} | ({var: keys} if var else {})), stored
    return effect


def _reuse(w: World, inst: _Inst, stored: Any, after: dict[str, Any]) -> tuple[dict[str, Any],
                                                                               Any]:
    """``ticket.responder.reuse_keys`` (RFC 6043 5.3): the keys stored with the ticket."""
    return {"keys": z3.Select(stored, inst.f("ticket"))}, stored


def _store(w: World, inst: _Inst, stored: Any, after: dict[str, Any]) -> tuple[dict[str, Any],
                                                                               Any]:
    """``ticket.responder.store_reusable`` keeps the keys with the ticket (J flag; seed 002
    B.2.2.2 step 8): the values of the store ``VAR_WRITES`` declares."""
    ticket = inst.v("ticket")
    flag = TicketTerm(Self("ticket"), "reusable").to_z3(inst.z) != 0
    return {}, z3.If(z3.And(inst.h, flag), z3.Store(stored, ticket, after["keys"]), stored)


def _remember_rand(w: World, inst: _Inst, stored: Any, after: dict[str, Any]
                   ) -> tuple[dict[str, Any], Any]:
    """``remember_rand`` (RFC 3830 5.4): the initial message's RANDR joins the replay cache; a
    KMS keeps the request it answers."""
    rand = _rand_field(w.procedure, inst.step.message)
    assert rand is not None
    writes = {"replay_cache": z3.Store(inst.v("replay_cache"), inst.f(rand), True)}
    if inst.step.role != "responder":  # a KMS answers the request it takes
        writes["received_init"] = inst.z.msg
    return writes, stored


#: effect -> what it writes beyond ``VAR_WRITES``: the keys and stores of impl/roles/ticket
KEY_EFFECTS: Mapping[str, Callable[[World, _Inst, Any, dict[str, Any]],
                                   tuple[dict[str, Any], Any]]] = {
    "ticket.kms.issue_ticket": _issue,
    "ticket.kms.open_ticket": _open,
    "ticket.kms.take_zk_keys": _zk_keys,
    "ticket.kms.remember_rand": _remember_rand,
    "ticket.responder.remember_rand": _remember_rand,
    "ticket.initiator.store_ticket": _kemac_keys("mpki"),
    "ticket.responder.open_kemac": _kemac_keys(),
    "ticket.responder.reuse_keys": _reuse,
    "ticket.responder.store_reusable": _store,
}


# --------------------------------------------------------------------------- rows


def trace(world: World, model: z3.ModelRef) -> list[str]:
    """An attack as steps a reader can follow: each step that happened, in run order; each
    receive says whether it took a replay of an honest send or a message the attacker made."""
    names: dict[str, str] = {}

    def val(term: Any) -> str:
        text = str(model.eval(term, model_completion=True))
        if term.sort() == world.Ident:
            text = names.setdefault(text, f"E{len(names) + 1}")
        return text

    def held(ident: Any) -> str:
        """" (compromised)" for an identity whose secrets the attacker holds."""
        marks = (world.corrupt, world.kms_corrupt)
        held = z3.Or(*[z3.substitute_funs(f(ident), *world._held) for f in marks])
        return " (compromised)" if z3.is_true(model.eval(held, model_completion=True)) else ""

    lines = []
    for role, runs in world.runs.items():
        for i, run in enumerate(runs):
            for inst in run.insts:
                if not z3.is_true(model.eval(inst.h, model_completion=True)):
                    continue
                what = f"{role}{i} at {val(inst.v('uri'))} step {inst.step.number}"
                if inst.step.action == "send":
                    lines.append(f"{what}: sends {inst.step.message}")
                    continue
                source = next((f"replay of {s.inst.tag}" for s in world.sends
                               if z3.is_true(model.eval(inst.z.msg == s.inst.z.msg,
                                                        model_completion=True))),
                              "composed by the attacker")
                who = [f"{n} {val(inst.f(n))}{held(inst.f(n))}"
                       for n in ("idri", "idrr", "zk_from") if n in inst.z.fields]
                lines.append(f"{what}: accepts {inst.step.message} ({', '.join(who)}; "
                             f"{source})")
    return lines


def _rows(built: World, muts: list[Mutant], a: Assumption, quick: bool, dead: set[str],
          build_s: float) -> list[ProofResult]:
    """Every property of the world's procedure under ``a``; the world carries the model and
    every generated mutant, each row asks its solver once per mutant not yet killed."""
    world = built.under(a)
    procedure = world.procedure
    if not world.executable():
        raise AssertionError(f"{procedure.name} attacker model under {a.name!r}: the runs "
                             "cannot complete")
    props = properties(procedure)
    rows = []
    for prop in props:
        model, solve_s = timed(functools.partial(world.check, prop))
        expected = a.expected.get(prop, "")
        if procedure.name == ONE_DOMAIN.name and prop in a.zk_only:
            expected = ""
        row = ProofResult(f"ticket {procedure.name} attacker: {prop}", a.name, model is None,
                          build_s / len(props) / len(ASSUMPTIONS) + solve_s,
                          None if model is None else {"trace": " / ".join(trace(world, model))},
                          expected_attack=expected, requirements=REQUIREMENTS[prop])
        rows.append(row)
        if expected or (quick and not a.quick):  # mutants are judged by rows that hold
            continue
        base = z3.And(*world.hyps, world.goals[prop])
        for k, m in enumerate(muts):
            row.mutants.append(run_mutant(
                m, procedure, dead, base, functools.partial(_selected, base, world, k),
                functools.partial(world.check, prop, k), f"{procedure.name} "))
            row.seconds += row.mutants[-1].seconds
    return rows


def _selected(base: Any, world: World, k: int) -> Any:
    return z3.And(base, world.mut == k)


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property of both procedures under every assumption, each on every generated
    mutant of its procedure (``quick``: the drop and when mutants, judged under the
    assumptions marked ``quick``)."""
    dead: set[str] = set()
    rows = []
    for p in (ONE_DOMAIN, TWO_DOMAINS):
        muts = mutants(p, quick=quick)
        world, build_s = timed(functools.partial(World, p, ASSUMPTIONS[0], muts))
        rows += [row for a in ASSUMPTIONS for row in _rows(world, muts, a, quick, dead, build_s)]
    return rows


__all__ = ["AGREE_I", "AGREE_K", "AGREE_Q", "AGREE_R", "AGREE_S", "AGREE_Z", "ASSUMPTIONS",
           "BOUNDS", "KEY_EFFECTS", "NAF", "SECRECY", "Assumption", "World", "properties",
           "prove", "trace"]
