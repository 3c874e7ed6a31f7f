"""The InterKMM relay (both directions) against a Dolev-Yao network attacker: the KMM and the
signalling parameters never cross a hop in clear or under a key the attacker holds, only the
end points and the MCX server read the KMM, the end points agree injectively through the
server, and a replay on either hop is refused; each row under one threat assumption.

Models seed 000 (TR 33.880 7.8.x.3) on TS 33.180 9.3 (XML protection of MC signalling under the
CSK and the SPK).  The runs are the model's own (``interkmm.IWF_TO_UE`` and ``UE_TO_IWF``, and
every generated mutant of either in the same world, selected by ``mutant == k``), read through
``to_z3``: a run of a role follows the role's table (:meth:`Procedure.table`) from its initial
state; each step may happen or not, only after the one before it (an ``auto`` send as soon as
its source state is entered).  A receive holds its guards and writes what
:data:`RECEIVE_WRITES` declares; a send holds its guards and what :data:`SEND_EFFECTS` declares
(one entry per effect of ``impl/roles/interkmm/effects``).  No step wiring and no origin axiom:
a message reaches a receive only through the attacker, and the relay's send is bound to what it
opened by its own send guards (``keeps-*``, ``next-hop-key``), nothing else.

The attacker delivers every message a receive takes, on either hop: an honest send's protected
content (replayed, re-wrapped in another body, redirected to the other hop) or a message it
composed.  Crypto is a term algebra, each predicate defined by who can make it true:

- ``Protected(m)``: what the sending effect made (``originate``/``reprotect``: protected), or,
  for a composed message, the attacker's choice;
- ``Opens(m)`` at a receiver: the XPK named by m is in the receiver's keyring for the hop (an
  end point: its own CSK or SPK; the server: the CSKs it shares with UEs on the CSK hop, the
  SPKs it shares with IWFs on the SPK hop), and m carries the protected content of an honest
  send under that XPK, or is protected under an XPK the attacker holds (XML encryption and the
  HMAC signature of REQ-IKMM-02..07 are keyed: nobody else seals or opens);
- a receive reads the fields of the body that opened, or none (absent, the view's None:
  ``impl/roles/interkmm/view.py``) from a body that does not; a composed body carries KMMs
  the attacker knows, or ciphertext spliced from an honest send;
- the attacker holds an XPK iff it holds the key's owner (a compromised UE or IWF: the key the
  server shares with it), or the key leaked, or it is the MCX server; it knows a KMM iff it
  chose it, or an honest send carried it in clear or under an XPK it holds.

Mutants: every generated one of both models (:func:`all_mutants`), the relay that forwards
unprotected (:func:`effect_mutants`) and, for each receive, integrity dropped on its hop
(:func:`unsigned_mutants`: ``Opens`` without the signatures).

The server's directory (``XpkOf``) is the deployment: a key id names one peer's key, and the
end points' own keys are the ones the server holds for them.  Which secrets the attacker holds
is the assumption (:data:`ASSUMPTIONS`); where a row fails by design, ``expected`` says why.

Bounds (:data:`BOUNDS`): :data:`RUNS` runs of each role of each direction, concurrent: the
originators at one UE and one IWF, the MCX server's relays one after the other at one server
(alternating directions, its replay cache carried), the end points' receives one after the other
(their caches carried); message depth one.  Leaves out: the replay cache's pruning (the caches
here only grow; ``timely`` refuses what pruning forgets), the SIP layer (the attacker delivers
bodies), the KMM's own content, and more than one MCX server.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from mckm.models.procedures import interkmm
from mckm.models.procedures.expr import Expr, Field, Inserted, Policy, Self, Z3Reading
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import Mutant, mutants
from mckm.models.procedures.predicates import (
    IKMM_OPENS,
    IKMM_PROTECTED,
    IKMM_XPK_AVAILABLE,
    IKMM_XPK_OF,
)
from mckm.proofs.attacker_ticket import _applications
from mckm.proofs.hops import Symbols, hop
from mckm.proofs.result import ProofResult, budgeted, run_mutant, satisfiable, timed

RUNS = 2
BOUNDS = (f"{RUNS} runs of each role in each direction (one UE, one IWF, one MCX server), "
          "concurrent; the server's relays and each end point's receives one after the other, "
          "replay caches carried; message depth 1")
PROCEDURES = interkmm.PROCEDURES
#: the hop of each message (the key it travels under)
HOP = {"INTERKMM_CSK": "CSK", "INTERKMM_SPK": "SPK"}
#: what an end point's run names itself by
OWN_ID = {"ue": "mcptt_id", "iwf": "kmf_id"}
#: the fields a receiver reads once the body opened: the protected content of a message
CONTENT = ("kmf_id", "mcptt_id", "xpk_id", "msg_id", "sent", "direction", "kmm", "kmm_type")
#: ... of which the XPK's encryption covers (REQ-IKMM-02, -08): direction, msg-id and sent travel
#: in clear in the signalling part and the KMM's media type in its EncryptedData, under the
#: signature only
ENCRYPTED = ("kmf_id", "mcptt_id", "xpk_id", "kmm")
#: the effect the "server forwards unprotected" mutant puts in place of re-protection
FORWARD_CLEAR = "interkmm.server.forward-clear"
#: the kind of the mutants whose receiver opens a body without checking its signatures
UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Assumption:
    """Which secrets the attacker holds besides what it sees.  ``expected``: property -> why it
    fails under this assumption (an attack that is a result, not a bug)."""

    name: str
    ue: bool = False  # the CSK of some UEs (never the end point of a run)
    iwf: bool = False  # the SPK of a second IWF (another KMF ID the server interworks with)
    server: bool = False  # the MCX server: every CSK and SPK
    csk: bool = False  # the end point UE's CSK leaked (the UE still runs honestly)
    spk: bool = False  # the IWF's SPK leaked
    expected: Mapping[str, str] = field(default_factory=dict)
    quick: bool = True  # its rows judge the mutants in ``mckm prove --quick`` too

    @property
    def flags(self) -> dict[str, bool]:
        return {n: getattr(self, n) for n in FLAGS}


FLAGS = ("ue", "iwf", "server", "csk", "spk")

CSK_HOP = ("the KMM and the signalling parameters (KMF ID, MCPTT ID) of an InterKMM between "
           "honest end points never cross the CSK hop in clear or under a key the attacker "
           "holds")
SPK_HOP = CSK_HOP.replace("CSK hop", "SPK hop")
SECRECY = "secrecy of the KMM: only the UE, the MCX server and the IWF read it"
AGREE_IWF = ("injective agreement: the IWF accepts an InterKMM in an honest user's name only as "
             "one honest UE run sent it (KMF ID, MCPTT ID, KMM, its type, msg-id, sent, "
             "direction), unaltered by the relay and within the replay window")
AGREE_UE = ("injective agreement: a UE accepts an InterKMM from an honest KMF ID only as one "
            "honest IWF run sent it (KMF ID, MCPTT ID, KMM, its type, msg-id, sent, "
            "direction), unaltered by the relay and within the replay window")
REFLECT = ("an end point never accepts an InterKMM it originated itself (sent back to it) as "
           "its peer's")
REPLAY = ("an InterKMM replayed on either hop is refused: no receiver (the MCX server, a UE, "
          "the IWF) accepts the content of one honest send twice")
PROPERTIES = (CSK_HOP, SPK_HOP, SECRECY, AGREE_IWF, AGREE_UE, REFLECT, REPLAY)
#: property -> the requirements it covers (the proof page links them)
REQUIREMENTS: Mapping[str, tuple[str, ...]] = {
    CSK_HOP: ("REQ-IKMM-01", "REQ-IKMM-12"), SPK_HOP: ("REQ-IKMM-01", "REQ-IKMM-12"),
    SECRECY: ("REQ-IKMM-01", "REQ-IKMM-11", "REQ-IKMM-13"),
    AGREE_IWF: ("REQ-IKMM-12", "REQ-IKMM-13", "REQ-IKMM-14"),
    AGREE_UE: ("REQ-IKMM-11", "REQ-IKMM-12", "REQ-IKMM-14"),
    REFLECT: ("REQ-IKMM-14", "REQ-IKMM-16"),
    REPLAY: ("REQ-IKMM-09",)}

_SERVER_READS = ("hop-by-hop protection makes the MCX server a reader: it opens every InterKMM "
                 "under one hop's key and re-protects it under the other's (seed 000 7.8.x.3, "
                 "REQ-IKMM-01); a compromised server holds both keys")
_SERVER_ALTERS = ("a compromised MCX server re-protects whatever it likes under the next hop's "
                  "key: the end point checks only the hop it received on, so an altered KMM or "
                  "parameter, or one the server made up, is accepted as the originator's. Only "
                  "an end-to-end signature by the non-3GPP KMF over the KMM would show it (out "
                  "of seed 000's scope)")
_CSK = ("the CSK protects the UE's hop both ways: with it the attacker reads the KMM on the CSK "
        "hop and seals InterKMMs as the UE (to the server) or as the server (to the UE)")
_SPK = ("the SPK protects the IWF's hop both ways: with it the attacker reads the KMM on the SPK "
        "hop and seals InterKMMs as the IWF (to the server) or as the server (to the IWF)")

#: this family's finding, closed by REQ-IKMM-16 (kept as the row "reflection", which must
#: hold): an InterKMM named no direction and both directions of a hop use one XPK, so an end
#: point's own InterKMM sent back to it opened under its key, named it (addressed) and carried a
#: msg-id its replay cache never saw, and was accepted as its peer's.  The signed direction,
#: checked by the MCX server and the end point, refuses it; the mutant without the end point's
#: check ("step 4: drop direction") is the attack again.
ASSUMPTIONS = (
    Assumption("honest parties"),
    Assumption("a compromised UE (not an end point of the runs)", ue=True),
    Assumption("a compromised second IWF", iwf=True),
    Assumption("a compromised MCX server", server=True, quick=False, expected={
        CSK_HOP: _SERVER_READS, SPK_HOP: _SERVER_READS, SECRECY: _SERVER_READS,
        AGREE_IWF: _SERVER_ALTERS, AGREE_UE: _SERVER_ALTERS}),
    Assumption("the UE's CSK leaked", csk=True, quick=False, expected={
        CSK_HOP: _CSK, SECRECY: _CSK, AGREE_IWF: _CSK, AGREE_UE: _CSK}),
    Assumption("the IWF's SPK leaked", spk=True, quick=False, expected={
        SPK_HOP: _SPK, SECRECY: _SPK, AGREE_IWF: _SPK, AGREE_UE: _SPK}),
)


# --------------------------------------------------------------------------- effects

#: receive effect -> what it writes to the role's variables (impl/roles/interkmm/effects)
RECEIVE_WRITES: Mapping[str, Mapping[str, Expr]] = {
    # REQ-IKMM-09: the accepted msg-id joins the replay cache (pruning left out)
    "interkmm.remember": {"replay_cache": Inserted(Self("replay_cache"), Field("msg_id"))},
    # REQ-IKMM-12: the server keeps what it opened, for its re-protection
    "interkmm.server.keep": {name: Field(name) for name in interkmm.KEPT},
    # REQ-IKMM-14: the KMM handed to the end point's caller (no variable)
    "interkmm.deliver": {},
}


def _originate(w: World, inst: _Inst) -> list[Any]:
    """``interkmm.originate`` (REQ-IKMM-09, -01): a fresh KMM (the caller's secret), a fresh
    msg-id, sent = now, protected; the key and the own id are the send guards'."""
    w.secrets.append((inst, inst.f("kmm")))
    w.ids.append(inst.f("msg_id"))
    return [inst.f("sent") == inst.now, w.prot(inst.msg)]


def _reprotect(w: World, inst: _Inst) -> list[Any]:
    """``interkmm.server.reprotect`` (REQ-IKMM-12): protected under the XPK the send names."""
    return [w.prot(inst.msg)]


def _forward_clear(w: World, inst: _Inst) -> list[Any]:
    """The mutant's relay: what it opened, sent on unprotected."""
    return [z3.Not(w.prot(inst.msg))]


#: send effect -> what it makes of the sent message
SEND_EFFECTS: Mapping[str, Callable[[World, _Inst], list[Any]]] = {
    "interkmm.originate": _originate,
    "interkmm.server.reprotect": _reprotect,
    FORWARD_CLEAR: _forward_clear,
}


def effect_mutants(procedure: Procedure, prefix: str = "") -> list[Mutant]:
    """The relay that forwards unprotected: step 3 (the server's send) with its re-protection
    replaced by :data:`FORWARD_CLEAR`."""
    step = next(s for s in procedure.steps if s.role == "mcx_server" and s.action == "send")
    effects = tuple(FORWARD_CLEAR if e == "interkmm.server.reprotect" else e
                    for e in step.effects)
    return [Mutant(f"{prefix}step {step.number}: forwards unprotected", "effect",
                   procedure.with_step(replace(step, effects=effects)), step.number)]


def unsigned_mutants(procedure: Procedure) -> list[Mutant]:
    """Integrity dropped on one hop: a receive whose ``Opens`` decrypts under the hop's XPK but
    checks no signature (TS 33.180 9.3.5 left out), so what only the signature covers (msg-id,
    sent, the KMM's media type) is the attacker's to change.  The model is unchanged: the world
    reads ``Opens`` of that step so (:meth:`World.define`)."""
    return [Mutant(f"step {s.number}: opens without its signatures", UNSIGNED, procedure,
                   s.number) for s in procedure.steps if s.action == "receive"]


def all_mutants(procedure: Procedure, quick: bool) -> list[Mutant]:
    """Every generated mutant of ``procedure``, the effect mutant and the unsigned mutants, in
    a stable order."""
    return [*mutants(procedure, quick=quick), *effect_mutants(procedure),
            *unsigned_mutants(procedure)]


# --------------------------------------------------------------------------- runs


class _Inst(Symbols):
    """One step instance of a run: the step's reading with its symbols renamed apart."""

    def __init__(self, procedure: Procedure, step: Step, tag: str) -> None:
        self.procedure, self.z, self.step, self.tag = procedure, hop(procedure, step, tag).z, \
            step, tag
        self.h = z3.Bool(f"{tag}.happened")
        self.at = z3.Int(f"{tag}.at")  # its place in the order of events

    def __call__(self, expr: Expr, z: Z3Reading | None = None) -> Any:
        return expr.to_z3(self.z if z is None else z)

    @property
    def hop(self) -> str:
        return HOP[self.step.message]


def _path(procedure: Procedure, role: str) -> list[Step]:
    """The role's steps from its initial state to a final state, read from its table."""
    r = procedure.role(role)
    table = procedure.table(role)
    out: list[Step] = []
    state = r.initial
    while state not in r.final:
        cells = list(table[state].values())
        if len(cells) != 1 or len(cells[0]) != 1:
            raise ValueError(f"{procedure.name}: {role} has no single step in {state}")
        out.append(cells[0][0])
        state = cells[0][0].target
    return out


@dataclass
class _Run:
    role: str
    procedure: Procedure
    insts: list[_Inst]
    end: dict[str, Any]


class World:
    """The bounded runs of both directions with the attacker; ``variants`` are (procedure
    index, mutant) pairs whose steps the world also carries, selected by ``mutant == k``."""

    def __init__(self, variants: Sequence[tuple[int, Mutant]] = ()) -> None:
        self.variants = list(variants)
        self.assumption = ASSUMPTIONS[0]
        self.mut = z3.Int("mutant")
        self.flag = {n: z3.Bool(f"assume.{n}") for n in FLAGS}
        probe = PROCEDURES[0].z3_reading(PROCEDURES[0].steps[0])
        self.Ident, self.Blob, self.Msg = probe.Ident, probe.Blob, probe.Msg
        types = {n: probe.sort(t) for spec in PROCEDURES[0].messages
                 for n, t in spec.fields.items()}
        self.acc = {n: z3.Function(f"ikmm.acc.{n}", self.Msg, s) for n, s in types.items()}
        self.prot = z3.Function("ikmm.protected", self.Msg, z3.BoolSort())
        self.owner = z3.Function("ikmm.key.owner", z3.IntSort(), self.Ident)
        self.is_iwf = z3.Function("ikmm.is-iwf", self.Ident, z3.BoolSort())
        self.held = z3.Function("ikmm.attacker.holds", self.Ident, z3.BoolSort())
        self.xpk_of = IKMM_XPK_OF.function(probe)
        self.available = z3.Function("ikmm.directory.has-key", self.Ident, z3.BoolSort())
        self.hyps: list[Any] = []
        self.sends: list[_Inst] = []
        self.receives: list[_Inst] = []
        self.secrets: list[tuple[_Inst, Any]] = []  # (originator send, its fresh KMM)
        self.ids: list[Any] = []  # fresh msg-ids
        self.entity: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[_Run]] = {r: [] for r in ("ue", "mcx_server", "iwf")}
        self.chains: dict[str, list[_Inst]] = {r: [] for r in self.runs}  # receives, in order
        for role in self.runs:
            ends: dict[str, Any] | None = None
            for i in range(RUNS):
                for p in PROCEDURES:
                    run = self._run(role, p, f"{p.name}.{role}{i}", ends)
                    self.runs[role].append(run)
                    ends = run.end
        self._entities()
        for inst in self.receives:  # Opens and Protected read the receiver's keyring
            opens = self._defined(inst, IKMM_OPENS.function(inst.z)(inst.msg))
            for n in CONTENT:  # the view: no field of a body that does not open (None)
                absent = z3.Const("absent", inst.f(n).sort())
                self.hyps.append(inst.f(n) == z3.If(opens, self.acc[n](inst.msg), absent))
            self.hyps.append(z3.Implies(inst.h, self._defined(inst, z3.And(self._guards(inst)))))
            self.hyps.append(z3.Implies(inst.h, z3.Or(
                self._spliced(inst.msg, inst),
                self.knows_kmm(self.acc["kmm"](inst.msg), inst))))
        self.hyps += [z3.Distinct(*[s.msg for s in self.sends]),
                      z3.Distinct(*[k for _, k in self.secrets]), z3.Distinct(*self.ids)]
        self.goals = self._goals()
        self._instantiate()
        self._solvers: dict[str, z3.Solver] = {}

    # ---------------------------------------------------------------- runs
    def _run(self, role: str, p: Procedure, tag: str, start: dict[str, Any] | None) -> _Run:
        """One run of ``role`` in ``p``; ``start``: the end of the entity's previous run (its
        identity, key and replay cache carried)."""
        path = _path(p, role)
        insts = [_Inst(p, step, f"{tag}.{step.number}") for step in path]
        var_types = insts[0].z.var_types
        begin = {n: z3.Const(f"{tag}.start.{n}", insts[0].z.sort(t))
                 for n, t in var_types.items()}
        for n, t in var_types.items():
            if start is not None and (t.startswith("set[") or n in ("xpk_id", OWN_ID.get(role))):
                begin[n] = start[n]
            elif t.startswith("set["):
                begin[n] = z3.K(insts[0].z.sort(t[4:-1]), z3.BoolVal(False))
        self.entity.setdefault(role, begin)
        cur, ends = dict(begin), []
        for k, (step, inst) in enumerate(zip(path, insts, strict=True)):
            z = inst.z
            self.hyps += [inst.v(n) == cur[n] for n in var_types]
            bound = z.fields if step.action == "send" else ("body_octets",)
            self.hyps += [inst.f(n) == self.acc[n](inst.msg) for n in bound]
            self.hyps += [z3.Implies(inst.h, d) for d in z.domain()]
            if k:
                self.hyps += [z3.Implies(inst.h, insts[k - 1].h), inst.at > insts[k - 1].at]
                if step.auto:  # taken as soon as its source state is entered, at once
                    self.hyps += [z3.Implies(insts[k - 1].h, inst.h),
                                  inst.now == insts[k - 1].now]
            after = dict(cur)
            if step.action == "receive":
                self.receives.append(inst)
                self.chains[role].append(inst)
                for e in step.effects:
                    if e not in RECEIVE_WRITES:
                        raise ValueError(f"{step.label}: effect {e} has no declared writes")
                    after |= {var: inst(expr) for var, expr in RECEIVE_WRITES[e].items()}
            else:
                self.hyps.append(z3.Implies(inst.h, z3.And(self._guards(inst))))
                self.hyps.append(z3.Implies(inst.h, self._send_effects(inst)))
                self.sends.append(inst)
            ends.append(after)
            cur = after
        end = dict(begin)
        for inst, after in zip(insts, ends, strict=True):
            end = {n: z3.If(inst.h, after[n], end[n]) for n in var_types}
        chain = self.chains[role]
        if len(chain) > 1 and chain[-1] in insts:  # one after the other, on one clock
            self.hyps += [chain[-1].now >= chain[-2].now, chain[-1].at > chain[-2].at]
        return _Run(role, p, insts, end)

    def _entities(self) -> None:
        """The deployment: the end points are honest, each holds its own key, which the
        server's directory names for it; a key id names one peer's key."""
        for role in ("ue", "iwf"):
            own, key = self.entity[role][OWN_ID[role]], self.entity[role]["xpk_id"]
            self.hyps += [z3.Not(self.held(own)), self.owner(key) == own, key >= 0,
                          self.xpk_of(own) == key, self.is_iwf(own) == (role == "iwf"),
                          own != z3.Const("absent", self.Ident)]
        # an absent field is None: no key id (the directory answers -1 at worst), no identity
        self.hyps.append(z3.Const("absent", z3.IntSort()) < -1)
        # the two directions are two names, neither absent (REQ-IKMM-16)
        self.hyps.append(z3.Distinct(z3.Const("absent", self.Ident),
                                     *[Policy("direction").to_z3(p.z3_reading(p.steps[0]))
                                       for p in PROCEDURES]))

    # ---------------------------------------------------------------- variants
    def _variant_of(self, inst: _Inst) -> list[tuple[int, Step, Z3Reading]]:
        """(k, the step of variant k, the reading with its policy) for each variant of the
        procedure ``inst`` belongs to."""
        out = []
        for k, (pi, m) in enumerate(self.variants):
            if PROCEDURES[pi].name != inst.procedure.name:
                continue
            if m.step is not None and m.step != inst.step.number:
                continue
            out.append((k, m.procedure.step(inst.step.number),
                        inst.z.with_policy(m.procedure.policy)))
        return out

    def _guards(self, inst: _Inst) -> list[Any]:
        out = []
        variants = self._variant_of(inst)
        for i, g in enumerate(inst.step.guards):
            term = base = inst(g.expr)
            for k, step, z in variants:
                other = inst(step.guards[i].expr, z)
                if not other.eq(base):
                    term = z3.If(self.mut == k, other, term)
            out.append(term)
        return out

    def _send_effects(self, inst: _Inst) -> Any:
        def made(step: Step) -> Any:
            out = []
            for e in step.effects:
                if e not in SEND_EFFECTS:
                    raise ValueError(f"{step.label}: effect {e} has no declaration")
                out += SEND_EFFECTS[e](self, inst)
            return z3.And(*out)
        term = made(inst.step)
        for k, step, _ in self._variant_of(inst):
            if step.effects != inst.step.effects:
                term = z3.If(self.mut == k, made(step), term)
        return term

    # ---------------------------------------------------------------- crypto
    def same(self, a: Any, b: Any) -> Any:
        """Two messages with the same protected content (the envelope may differ)."""
        return z3.And(*[self.acc[n](a) == self.acc[n](b) for n in CONTENT])

    def _before(self, later: _Inst | None) -> list[_Inst]:
        """The sends that may have happened before ``later`` (None: any time)."""
        return self.sends if later is None else [s for s in self.sends if s is not later]

    def _sent_before(self, s: _Inst, later: _Inst | None) -> Any:
        """``s`` happened, before ``later`` in the order of events and on its clock."""
        if later is None:
            return s.h
        return z3.And(s.h, s.at < later.at, s.now <= later.now)

    def _spliced(self, m: Any, later: _Inst | None = None) -> Any:
        """``m`` carries the encrypted parts of an honest send (made before ``later``): the
        attacker splices ciphertext it cannot read into a body of its own."""
        return z3.Or(*[z3.And(self._sent_before(s, later),
                              *[self.acc[n](m) == self.acc[n](s.msg) for n in ENCRYPTED])
                       for s in self._before(later)])

    def corrupt(self, who: Any) -> Any:
        """The attacker holds ``who``'s key (a compromised UE or IWF, by the assumption)."""
        return z3.And(self.held(who), z3.If(self.is_iwf(who), self.flag["iwf"],
                                             self.flag["ue"]))

    def knows_key(self, x: Any) -> Any:
        ue, iwf = self.entity["ue"]["xpk_id"], self.entity["iwf"]["xpk_id"]
        return z3.Or(self.flag["server"], self.corrupt(self.owner(x)),
                     z3.And(self.flag["csk"], x == ue), z3.And(self.flag["spk"], x == iwf))

    def knows_kmm(self, k: Any, later: _Inst | None = None) -> Any:
        """The attacker chose ``k``, or an honest send (before ``later``) carried it in clear
        or under a key it holds."""
        chosen = z3.And(*[k != s for _, s in self.secrets])
        seen = [z3.And(self._sent_before(s, later), self.acc["kmm"](s.msg) == k,
                       z3.Or(z3.Not(self.prot(s.msg)), self.knows_key(self.acc["xpk_id"](s.msg))))
                for s in self._before(later)]
        return z3.Or(chosen, *seen)

    def _ring(self, inst: _Inst, x: Any, *, other_hop: bool = False) -> Any:
        """``x`` is in the keyring ``inst`` opens with (``other_hop``: the server's keyring of
        the next hop, which it protects with)."""
        if inst.step.role != "mcx_server":  # an end point's keyring: its own XPK
            return x == inst.v("xpk_id")
        iwf = self.is_iwf(self.owner(x))
        return iwf if (inst.hop == "SPK") != other_hop else z3.Not(iwf)

    def _defined(self, inst: _Inst, term: Any) -> Any:
        """:meth:`define`, and under each unsigned mutant of ``inst``'s step its reading."""
        out = self.define(inst, term)
        for k, (_, m) in enumerate(self.variants):
            if m.kind == UNSIGNED and m.procedure is inst.procedure \
                    and m.step == inst.step.number:
                out = z3.If(self.mut == k, self.define(inst, term, unsigned=True), out)
        return out

    def define(self, inst: _Inst, term: Any, *, unsigned: bool = False) -> Any:
        """``term`` of ``inst`` with Protected and Opens replaced by who can make them true
        (``unsigned``: Opens decrypts but checks no signature)."""
        m = z3.Var(0, self.Msg)
        x = self.acc["xpk_id"](m)
        covered = ENCRYPTED if unsigned else CONTENT
        sealed = z3.Or(*[z3.And(self._sent_before(s, inst), self.prot(s.msg),
                                *[self.acc[n](m) == self.acc[n](s.msg) for n in covered])
                         for s in self._before(inst)],
                       z3.And(self.prot(m), self.knows_key(x)))
        p = z3.Var(0, self.Ident)
        out = self._ring(inst, self.xpk_of(p), other_hop=True)
        return z3.substitute_funs(
            term, (IKMM_PROTECTED.function(inst.z), self.prot(m)),
            (IKMM_OPENS.function(inst.z), z3.And(self._ring(inst, x), sealed)),
            (IKMM_XPK_AVAILABLE.function(inst.z), z3.And(self.available(p), out)))

    def _instantiate(self) -> None:
        """The directory's key ids (``XpkOf``) each name one peer, over the terms the formulas
        use (quantifier-free)."""
        apps = _applications([*self.hyps, *self.goals.values()], [self.xpk_of])[0]
        self.hyps += [self.owner(a) == a.arg(0) for a in apps]
        self.hyps += [a >= -1 for a in apps]

    # ---------------------------------------------------------------- goals
    def _originators(self, role: str) -> list[_Inst]:
        return [s for s in self.sends if s.step.role == role]

    def peer(self, o: _Inst) -> Any:
        """The other end point an originator's send names."""
        return o.f("kmf_id") if o.step.role == "ue" else o.f("mcptt_id")

    def _goals(self) -> dict[str, Any]:
        goals: dict[str, list[Any]] = {p: [] for p in PROPERTIES}
        origins = [o for o in self.sends if o.step.role != "mcx_server"]
        between_honest = {o.tag: z3.And(o.h, z3.Not(self.corrupt(self.peer(o))))
                          for o in origins}

        def carries(s: _Inst) -> Any:
            return z3.Or(*[z3.And(between_honest[o.tag], self.acc["kmm"](s.msg) == o.f("kmm"))
                           for o in origins])
        for s in self.sends:
            safe = z3.And(self.prot(s.msg), z3.Not(self.knows_key(s.f("xpk_id"))))
            goals[CSK_HOP if s.hop == "CSK" else SPK_HOP].append(
                z3.Implies(z3.And(s.h, carries(s)), safe))
        for o in origins:
            goals[SECRECY].append(z3.Implies(between_honest[o.tag],
                                             z3.Not(self.knows_kmm(o.f("kmm")))))
        window = interkmm.POLICY["replay_window"]
        for prop, receiver, sender, who in ((AGREE_IWF, "iwf", "ue", "mcptt_id"),
                                            (AGREE_UE, "ue", "iwf", "kmf_id")):
            got = list(self.chains[receiver])
            sent = self._originators(sender)

            def match(r: _Inst, o: _Inst, receiver: str = receiver) -> Any:
                """r took o's InterKMM, addressed to r's end point, within the window."""
                own = OWN_ID[receiver]
                return z3.And(o.h, *[r.f(n) == o.f(n) for n in interkmm.KEPT],
                              r.v(own) == o.f(own), r.now - o.now <= window,
                              o.now - r.now <= window)
            own = self._originators(receiver)
            for r in got:
                reflected = z3.Or(*[z3.And(o.h, self.same(r.msg, o.msg)) for o in own])
                goals[REFLECT].append(z3.Not(z3.And(r.h, reflected)))
                goals[prop].append(z3.Implies(z3.And(r.h, z3.Not(self.corrupt(r.f(who)))),
                                              z3.Or(*[match(r, o) for o in sent])))
            for x, y in itertools.combinations(got, 2):
                goals[prop] += [z3.Not(z3.And(x.h, y.h, match(x, o), match(y, o)))
                                for o in sent]
        for chain in self.chains.values():
            for x, y in itertools.combinations(chain, 2):
                goals[REPLAY] += [z3.Not(z3.And(x.h, y.h, s.h, self.same(x.msg, s.msg),
                                                self.same(y.msg, s.msg))) for s in self.sends]
        return {name: z3.And(*gs) for name, gs in goals.items()}

    # ---------------------------------------------------------------- solving
    def assumed(self) -> list[Any]:
        return [self.flag[n] == on for n, on in self.assumption.flags.items()]

    def check(self, goal: str, variant: int = -1) -> z3.ModelRef | None:
        """A counterexample to ``goal`` in the model (-1) or variant ``variant``, or None."""
        if goal not in self._solvers:
            solver = budgeted()
            solver.add(*self.hyps)
            solver.add(z3.Not(self.goals[goal]))
            self._solvers[goal] = solver
        solver = self._solvers[goal]
        verdict = solver.check(self.mut == variant, *self.assumed())
        if verdict == z3.unknown:
            raise RuntimeError(f"z3 gave up: {solver.reason_unknown()}")
        return solver.model() if verdict == z3.sat else None

    def completes(self) -> Any:
        return z3.And([i.h for runs in self.runs.values() for r in runs for i in r.insts])

    def executable(self) -> bool:
        """Every run of every role can complete (else every row holds vacuously)."""
        return satisfiable(*self.hyps, self.completes(), self.mut == -1, *self.assumed())

    def under(self, assumption: Assumption) -> World:
        """The same runs and solvers under another assumption (nothing is rebuilt)."""
        other = copy.copy(self)
        other.assumption = assumption
        return other


# --------------------------------------------------------------------------- rows


def trace(world: World, model: z3.ModelRef) -> list[str]:
    """An attack as steps a reader can follow: each step that happened, run by run; each
    receive says whether it took an honest send's content or a message the attacker made."""
    names: dict[str, str] = {}
    for role, label in (("ue", "the UE"), ("iwf", "the IWF")):  # the end points by name
        own = world.entity[role][OWN_ID[role]]
        names[str(model.eval(own, model_completion=True))] = label
    kmms: dict[str, str] = {}

    def val(term: Any) -> str:
        text = str(model.eval(term, model_completion=True))
        if term.sort() == world.Ident:
            text = names.setdefault(text, f"E{len(names) - 1}")
        elif term.sort() == world.Blob:
            text = kmms.setdefault(text, f"K{len(kmms) + 1}")
        return text

    def true(term: Any) -> bool:
        return bool(z3.is_true(model.eval(term, model_completion=True)))

    lines = []
    for runs in world.runs.values():
        for run in runs:
            for inst in run.insts:
                if not true(inst.h):
                    continue
                what = (f"{inst.tag} now {val(inst.now)}: "
                        f"{'sends' if inst.step.action == 'send' else 'accepts'} "
                        f"{inst.step.message} (KMF {val(inst.f('kmf_id'))}, MCPTT "
                        f"{val(inst.f('mcptt_id'))}, XPK {val(inst.f('xpk_id'))}, KMM "
                        f"{val(inst.f('kmm'))}"
                        f"{'' if true(world.prot(inst.msg)) else ', in clear'})")
                if inst.step.action == "receive":
                    source = next((f"the content of {s.tag}" for s in world.sends
                                   if true(z3.And(s.h, world.same(inst.msg, s.msg)))),
                                  "composed by the attacker")
                    what += f": {source}"
                lines.append(what)
    return lines


def _rows(built: World, muts: list[Mutant], a: Assumption, quick: bool, dead: set[str],
          build_s: float) -> list[ProofResult]:
    world = built.under(a)
    if not world.executable():
        raise AssertionError(f"InterKMM attacker model under {a.name!r}: the runs cannot "
                             "complete")
    rows = []
    for prop in PROPERTIES:
        model, solve_s = timed(functools.partial(world.check, prop))
        expected = a.expected.get(prop, "")
        row = ProofResult(f"InterKMM attacker: {prop}", a.name, model is None,
                          build_s / len(PROPERTIES) / len(ASSUMPTIONS) + solve_s,
                          None if model is None else {"trace": " / ".join(trace(world, model))},
                          expected_attack=expected, requirements=REQUIREMENTS[prop])
        rows.append(row)
        if expected or (quick and not a.quick):  # mutants are judged by rows that hold
            continue
        base = z3.And(*world.hyps, world.goals[prop])
        for k, m in enumerate(muts):
            row.mutants.append(run_mutant(
                m, _procedure_of(m), dead, base, functools.partial(_selected, base, world, k),
                functools.partial(world.check, prop, k)))
            row.seconds += row.mutants[-1].seconds
    return rows


def _procedure_of(m: Mutant) -> Procedure:
    return next(p for p in PROCEDURES if m.name.startswith(p.name))


def _selected(base: Any, world: World, k: int) -> Any:
    return z3.And(base, world.mut == k)


def named_mutants(quick: bool) -> list[tuple[int, Mutant]]:
    """(procedure index, mutant) for every mutant of both models, named as the regression
    family ``interkmm`` names them (``<procedure> <mutant>``)."""
    return [(i, Mutant(f"{p.name} {m.name}", m.kind, m.procedure, m.step, m.guard))
            for i, p in enumerate(PROCEDURES) for m in all_mutants(p, quick)]


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property under every assumption, each on every mutant of both models (``quick``:
    the drop, policy and effect mutants, judged under the assumptions marked ``quick``)."""
    variants = named_mutants(quick)
    world, build_s = timed(functools.partial(World, variants))
    muts = [m for _, m in variants]
    dead: set[str] = set()
    return [row for a in ASSUMPTIONS for row in _rows(world, muts, a, quick, dead, build_s)]


__all__ = ["AGREE_IWF", "AGREE_UE", "ASSUMPTIONS", "BOUNDS", "CSK_HOP", "PROPERTIES", "REFLECT",
           "REPLAY", "REQUIREMENTS", "SECRECY", "SPK_HOP", "Assumption", "World",
           "all_mutants", "effect_mutants", "named_mutants", "prove", "trace",
           "unsigned_mutants"]
