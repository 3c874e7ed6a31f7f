"""The KMS-managed CEK (seed 001) against a Dolev-Yao network attacker: authorised release,
one (user, session) per Key ID, secrecy of the CEK, retired CEKs never accepted again and
injective agreement between the MCPTT client and the MCPTT server, each row under one threat
assumption.

Models seed 001 7.x.1-7.x.3 (REQ-CEK-10..18) on RFC 6750, RFC 7519 and RFC 8446 (TLS).  The
runs are the model's own (``cek.PROCEDURE``, and every generated mutant in the same world,
selected by ``mutant == k``), read through ``to_z3``: a run of a role is one of the paths of
the role's table (:meth:`Procedure.table`) from its initial state (or a state it ``resumes``
in) to a final state, chosen symbolically; at a cell with branches the first step whose
``when`` holds is taken (the engine's rule); each step of a path may happen or not, and only
after the one before it.  A receive holds its guards; what the effects of
``impl/roles/cek`` write (the KMS store, the endpoints' keyrings, the fields of a send) is
:data:`EFFECTS`, one entry per effect with its clause.  No step wiring and no origin axiom: a
message reaches a receive only over its channel, through the attacker.

Channels (the transport of ``impl/roles/cek/https``):

- a request to the KMS travels in TLS that authenticates the KMS only (RFC 8446; the bearer
  token is the client's credential, RFC 6750): a KMS run takes an honest client's request
  (possibly more than once: a retry) or one the attacker composed with fields of its choice;
  the answer goes back to whoever sent the request, so the answer to a composed request is the
  attacker's;
- a push (to the MCPTT server, to a client's notification endpoint) travels in mutual TLS: the
  receiver reads ``peer`` from the verified client certificate.  It takes an honest push (again
  and again: a re-delivery) or one the attacker composed with a certificate it holds, carrying
  a CEK it knows.

Tokens are a term algebra: ``idm(t)`` (the IdM issued t), ``aud(t)`` (for this KMS), ``exp``,
``sub``, ``scopes``.  The signature verifies iff the IdM issued t or the attacker holds the
IdM's signing key.  The attacker holds every token it makes, every token the IdM issued to a
compromised user, every token for another audience, with any scopes (another KMS's access
token reaches that KMS, the MCPTT access token the SIP core and the MCPTT server in PUBLISH:
RFC 8725 3.9) and every expired token (a bearer token leaks after its use: logs, discarded
devices; its lifetime is the bound RFC 6750 5.3 relies on).  ``TokenValid``,
``TokenScopes`` and ``TokenSubject`` read the claims of a verified token only, as the
runtime's ``TokenFacts`` do.  A CEK is fresh at each issue; the attacker knows
one iff a KMS answered it to a request the attacker composed, pushed it to a notification
endpoint the attacker gave, or pushed it to a compromised MCPTT server.

Bounds (:data:`BOUNDS`): :data:`CLIENTS` client entities (symbolic users and sessions, two
users may share a session), each with one run from ``idle`` and one from ``done`` (update,
KMS push, retire); :data:`KMS_RUNS` runs of the KMS (one request or one KMS-started update
each, its store carried), :data:`SERVER_RUNS` runs of the MCPTT server (its keyring carried),
all concurrent; message depth one.  Leaves out: ``nbf``/``iat`` and the JWKS key rollover
(the IdM is honest or its key leaked), the 502 retirement of a CEK the server refused
(``CekService._deliver``: a transport failure, not a model step), the CEK's use on SIP bodies
(``impl/smime``), the SIP registration that gives the MCPTT server its access token.
"""

from __future__ import annotations

import copy
import functools
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import z3

from mckm.impl.roles.cek.service import NEVER  # the issue time of a Key ID never issued
from mckm.models.procedures import cek
from mckm.models.procedures.expr import Expr, Policy
from mckm.models.procedures.model import Procedure, Step
from mckm.models.procedures.mutants import Mutant, mark
from mckm.models.procedures.predicates import (
    CEK_HELD,
    CEK_IS_LIVE,
    CEK_ISSUED_AT,
    CEK_KEY_ID_SEEN,
    CEK_LIVE_FOR,
    TOKEN_SCOPES,
    TOKEN_SUBJECT,
    TOKEN_VALID,
)
from mckm.proofs.hops import Symbols, rename
from mckm.proofs.regression import prefixed_mutants
from mckm.proofs.result import MutantResult, ProofResult, budgeted, decide, satisfiable, timed

PROCEDURE = cek.PROCEDURE
CLIENTS = 2
KMS_RUNS = 3
SERVER_RUNS = 3
BOUNDS = (f"{CLIENTS} clients (2 runs each, users and sessions symbolic), {KMS_RUNS} KMS runs, "
          f"{SERVER_RUNS} MCPTT server runs, concurrent; message depth 1")


@dataclass(frozen=True)
class Assumption:
    """Which credentials the attacker holds besides what it sees.  ``expected``: property ->
    why it fails under this assumption (an attack that is a result, not a bug)."""

    name: str
    ue: bool = False  # some other users' clients: their tokens and TLS certificates
    server: bool = False  # the MCPTT server: its TLS credentials and what is pushed to it
    idm: bool = False  # the IdM's token signing key
    expected: Mapping[str, str] = field(default_factory=dict)
    quick: bool = True  # its rows judge the mutants in ``mckm prove --quick`` too


AUTHORISED = ("a CEK is released (or replaced, or retired) only to the holder of a valid KMS "
              "access token for that user (the IdM issued it, for the KMS, unexpired, key "
              "management scope, subject the user)")
KEY_ID = "a Key ID names exactly one (user, SIP session) at the KMS, the client and the server"
SECRECY = ("no CEK of an honest user reaches anyone but that user's client and the MCPTT "
           "server")
RETIRED = ("a retired CEK is never accepted again: no KMS request naming it after it is "
           "retired, no second push of a Key ID taken by the MCPTT server")
AGREEMENT = ("injective agreement client <-> MCPTT server on (Key ID, user, session, CEK): a "
             "client's CEK is the one the KMS pushed to the server; the server's CEK for an "
             "honest user is for a session that user's client asked for; no Key ID held by "
             "two clients or taken twice by the server")
PROPERTIES = (AUTHORISED, KEY_ID, SECRECY, RETIRED, AGREEMENT)
#: property -> the requirement ids it covers (spec/cek-smime.md, the cek-attacker table)
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    AUTHORISED: ("REQ-CEK-11", "REQ-CEK-12", "REQ-CEK-15", "REQ-CEK-17"),
    KEY_ID: ("REQ-CEK-12", "REQ-CEK-14"),
    SECRECY: ("REQ-CEK-11", "REQ-CEK-14", "REQ-CEK-18"),
    RETIRED: ("REQ-CEK-14", "REQ-CEK-15", "REQ-CEK-17"),
    AGREEMENT: ("REQ-CEK-14", "REQ-CEK-16", "REQ-CEK-18"),
}

_SERVER = ("the MCPTT server is one of the two SIP endpoints of every CEK by design (seed 001 "
           "7.x.2 step 3b: the KMS pushes it the CEK): S/MIME under the CEK hides SIP bodies "
           "from the SIP core, not from the MCPTT server")
_FORGED = ("with the IdM's signing key the attacker signs a KMS access token for any MCPTT ID; "
           "its signature verifies like a genuine one (RFC 7519 7.2), so the KMS issues that "
           "user a CEK and answers it to the attacker")
_FORGED_AGREE = ("... and pushes it to the MCPTT server, which then holds a CEK for a session "
                 "the user never asked for (a forged token is the user's word)")

ASSUMPTIONS = (
    Assumption("honest parties"),
    Assumption("a compromised UE (another user's client)", ue=True),
    Assumption("a compromised MCPTT server", server=True, quick=False,
               expected={SECRECY: _SERVER}),
    Assumption("a leaked IdM signing key", idm=True, quick=False, expected={
        AUTHORISED: _FORGED, SECRECY: _FORGED, AGREEMENT: _FORGED_AGREE}),
)

#: mutants of what the runtime does around the model (issue 14), beyond the generated ones:
#: name -> what it changes
RUNTIME_MUTANTS: Mapping[str, str] = {
    "token fact: audience not checked": "TokenVerifier accepts a token for another audience",
    "token fact: expiry not checked": "TokenVerifier accepts an expired token",
    "effect cek.issue: Key ID reused across users": "the Key ID is one per SIP session, not "
                                                    "fresh per (user, session)",
    "channel: push without mutual TLS": "the push's peer is what the pusher claims, not a "
                                        "verified certificate",
}
_AUD, _EXP, _REUSE, _NO_MTLS = RUNTIME_MUTANTS


#: the prefix of the mutants' names: the one of the family ``cek`` (``proofs.cek``), so that a
#: mutant one family leaves alive counts as killed when the other kills it
PREFIX = "cek "


def all_mutants(quick: bool = False) -> list[Mutant]:
    """The generated mutants of the model, then :data:`RUNTIME_MUTANTS` (the model itself,
    told apart by the world's ``mutant`` selector), named with :data:`PREFIX`."""
    return [*prefixed_mutants(PROCEDURE, PREFIX, quick),
            *[Mutant(f"{PREFIX}{n}", "runtime", PROCEDURE) for n in RUNTIME_MUTANTS]]


# --------------------------------------------------------------------------- runs


def paths(procedure: Procedure, role: str, start: str
          ) -> list[list[tuple[Step, tuple[Step, ...]]]]:
    """Every path of ``role``'s table from ``start`` to a final state (no state twice), each
    step with the branches of its cell tried before it."""
    r = procedure.role(role)
    table = procedure.table(role)
    out: list[list[tuple[Step, tuple[Step, ...]]]] = []

    def walk(state: str, acc: list[tuple[Step, tuple[Step, ...]]], seen: set[str]) -> None:
        for cell in table[state].values():
            for i, step in enumerate(cell):
                nxt = [*acc, (step, cell[:i])]
                if step.target in r.final or step.target in seen or not table[step.target]:
                    out.append(nxt)
                else:
                    walk(step.target, nxt, seen | {step.target})
    walk(start, [], {start})
    return out


class Inst(Symbols):
    """One step of a path of a run: the step's reading with its symbols renamed apart."""

    def __init__(self, procedure: Procedure, step: Step, tag: str) -> None:
        z = rename(procedure.z3_reading(step), tag)
        self.z, self.step, self.tag = z, step, tag
        self.h = z3.Bool(f"{tag}.happened")
        self.pre: dict[str, Any] = {}  # the role's state before the step
        self.request: Any = None  # a send answering a request: the request's message
        self.got: Inst | None = None  # ... and the receive that took it
        self.subs: list[tuple[Any, Any]] | None = None  # its facts (World.define)
        self.entity = 0  # the entity whose run it is
        self.to: Any = None  # a push: who takes it (an Int: client entity, -1 the attacker)


@dataclass
class Run:
    role: str
    entity: int
    paths: list[list[Inst]]
    choice: Any
    end: dict[str, Any]

    def insts(self) -> list[Inst]:
        return [i for p in self.paths for i in p]

    def done(self) -> Any:
        return z3.Or(*[p[-1].h for p in self.paths])


Effect = Callable[[Any, Inst, dict[str, Any], "Inst | None"], None]


class TableWorld:
    """Bounded runs of a procedure (and of every variant, ``mutant == k``) from its tables.

    Each run is a symbolic choice among its role's :func:`paths`; each step is gated by
    ``happened``, strictly after the one before it and after every step of the runs its
    entity made before (time orders causality: no message is taken before the steps it
    depends on).  Its guards and ``when`` conditions are the model's or a variant's, its
    writes are ``effects`` (effect -> writer of the role's state and of a send's fields).
    A subclass adds the runs, the channels (what a receive may take), the facts
    (:meth:`_facts`) and the goals; the assumption's flags are literals of each check, so
    one world serves every row."""

    #: the prefix of the variants' names (``_runtime`` looks a runtime mutant up by it)
    prefix = ""
    #: the fields a trace shows of each step
    shown: tuple[str, ...] = ("user", "session", "key_id")

    def __init__(self, procedure: Procedure, variants: Sequence[Mutant],
                 flags: Sequence[str], effects: Mapping[str, Effect],
                 assumption: Any) -> None:
        self.procedure = procedure
        self.variants = list(variants)
        self.effects = effects
        self.assumption = assumption
        self.mut = z3.Int("mutant")
        self.used: set[int] = set()  # the variants whose reading differs somewhere
        self._memo: dict[int, Any] = {}
        self._solvers: dict[str, z3.Solver] = {}
        self.flags = {n: z3.Bool(f"assume.{n}") for n in flags}
        z = procedure.z3_reading(procedure.steps[0])
        self.Ident, self.Blob, self.Msg = z.Ident, z.Blob, z.Msg
        self.kind = z3.Function("msg.kind", z.Msg, z3.IntSort())
        types: dict[str, z3.SortRef] = {}
        for spec in procedure.messages:
            for n, t in spec.fields.items():
                types.setdefault(n, z.sort(t))
        self.acc = {n: z3.Function(f"acc.{n}", z.Msg, s) for n, s in types.items()}
        self.hyps: list[Any] = []
        self.goals: dict[str, Any] = {}
        self.sends: list[Inst] = []
        self.receives: list[Inst] = []
        self.runs: dict[str, list[Run]] = {r.name: [] for r in procedure.roles}

    def _facts(self, inst: Inst) -> list[tuple[Any, Any]]:
        """The predicates ``inst``'s guards ask, as (function, definition) pairs."""
        return []

    def scenario(self) -> list[Any]:
        """What :meth:`executable` asks to be possible."""
        return []

    # ---------------------------------------------------------------- runs
    def _run(self, role: str, entity: int, tag: str, start: str, state: dict[str, Any],
             vars_: dict[str, Any]) -> Run:
        """One run of ``role`` from ``start``: a symbolic choice among its paths, each step
        gated by ``happened``; the role's state (``state``: name -> term) threads through
        ``effects``."""
        choice = z3.Int(f"{tag}.path")
        options = paths(self.procedure, role, start)
        run_paths: list[list[Inst]] = []
        ends: list[tuple[Any, dict[str, Any]]] = []
        for p, path in enumerate(options):
            insts: list[Inst] = []
            cur = dict(state)
            for k, (step, earlier) in enumerate(path):
                inst = Inst(self.procedure, step, f"{tag}.p{p}.{step.number}")
                inst.pre = dict(cur)
                inst.entity = entity
                self.hyps += [z3.Implies(inst.h, choice == p)]
                if k:
                    self.hyps += [z3.Implies(inst.h, insts[-1].h),
                                  z3.Implies(inst.h, inst.now > insts[-1].now)]
                # a variable an effect of the run wrote (state "var.<name>"), else the run's
                self.hyps += [inst.v(n) == cur.get(f"var.{n}", vars_.get(n, inst.v(n)))
                              for n in inst.z.vars]
                self.hyps += [inst.f(n) == self.acc[n](inst.msg) for n in inst.z.fields]
                names = [m.name for m in self.procedure.messages]
                self.hyps.append(self.kind(inst.msg) == names.index(step.message))
                self.hyps += [z3.Implies(inst.h, d) for d in inst.z.domain()]
                for other in earlier:  # the engine takes the first branch whose when holds
                    self.hyps.append(z3.Implies(inst.h, z3.Not(self._when(inst, other))))
                if step.when is not None:
                    self.hyps.append(z3.Implies(inst.h, self._when(inst, step)))
                written = dict(cur)
                for e in step.effects:
                    self.effects[e](self, inst, written, insts[0] if k else None)
                if step.action == "send":  # a send's guards hold; a receive's wait for the
                    self.sends.append(inst)  # channels (every send known)
                    self.hyps += [z3.Implies(inst.h, g) for g in self._guards(inst)]
                else:
                    self.receives.append(inst)
                cur = {n: z3.If(inst.h, written[n], cur[n]) for n in cur}
                insts.append(inst)
            run_paths.append(insts)
            ends.append((choice == p, cur))
        end = dict(state)
        for cond, cur in ends:
            end = {n: z3.If(cond, cur[n], end[n]) for n in end}
        run = Run(role, entity, run_paths, choice, end)
        self.runs[role].append(run)
        return run

    def sequential(self, role: str, runs: int, state: dict[str, Any], vars_: dict[str, Any],
                   reset: Mapping[str, Any] | None = None) -> None:
        """``runs`` runs of ``role`` at one entity, one after the other: each starts in the
        state the one before left (``reset`` overriding), and its steps happen after every
        step of the runs before it."""
        earlier: list[Inst] = []
        for r in range(runs):
            run = self._run(role, 0, f"{role}{r}", self.procedure.role(role).initial,
                            {**state, **(reset or {})}, vars_)
            self.hyps += [z3.Implies(z3.And(i.h, b.h), i.now > b.now)
                          for i in run.insts() for b in earlier]
            earlier += run.insts()
            state = run.end

    # ---------------------------------------------------------------- variants
    def _select(self, inst: Inst, number: str, pick: Callable[[Step], Expr | None]) -> Any:
        """What the model reads for the expression ``pick`` takes of step ``number``, or
        under ``mutant == k`` what variant k reads (when its expression or policy differs)."""
        expr = pick(self.procedure.step(number))
        assert expr is not None
        out = base = self.define(inst, expr.to_z3(inst.z))
        reads_policy = any(isinstance(n, Policy) for n in expr.walk())
        for k, m in enumerate(self.variants):
            if m.kind == "runtime":
                continue
            other = pick(m.procedure.step(number))
            if other is None or (other == expr and not (
                    reads_policy and m.procedure.policy != self.procedure.policy)):
                continue
            reading = self.define(inst, other.to_z3(inst.z.with_policy(m.procedure.policy)))
            if not reading.eq(base):
                out = z3.If(self.mut == k, reading, out)
                self.used.add(k)
        return out

    def _runtime(self, name: str) -> Any:
        """``mutant == k`` for the runtime mutant ``name`` (false if the world lacks it)."""
        k = next((i for i, m in enumerate(self.variants) if m.name == f"{self.prefix}{name}"),
                 None)
        if k is None:
            return z3.BoolVal(False)
        self.used.add(k)
        return self.mut == k

    def _guards(self, inst: Inst) -> list[Any]:
        def guard(i: int) -> Callable[[Step], Expr]:
            return lambda variant: variant.guards[i].expr
        return [self._select(inst, inst.step.number, guard(i))
                for i in range(len(inst.step.guards))]

    def _when(self, inst: Inst, step: Step) -> Any:
        return self._select(inst, step.number, lambda variant: variant.when)

    def define(self, inst: Inst, term: Any) -> Any:
        """``term`` of ``inst`` with the token and store predicates read as the runtime's
        facts over the role's state before the step."""
        if inst.subs is None:
            inst.subs = self._facts(inst)
        if not inst.subs:
            return term
        return z3.substitute_funs(term, *inst.subs)

    def _composed(self, msg: Any) -> Any:
        """``msg`` is no honest send: the attacker made it."""
        key = -1 - msg.get_id()
        if key not in self._memo:
            self._memo[key] = z3.And([msg != s.msg for s in self.sends])
        return self._memo[key]

    # ---------------------------------------------------------------- solving
    def solver(self, goal: str) -> z3.Solver:
        if goal not in self._solvers:
            solver = budgeted()
            solver.add(*self.hyps)
            solver.add(z3.Not(self.goals[goal]))
            self._solvers[goal] = solver
        return self._solvers[goal]

    def check(self, goal: str, variant: int = -1) -> z3.ModelRef | None:
        """A counterexample to ``goal`` in the model (-1) or variant ``variant``, or None."""
        solver = self.solver(goal)
        solver.push()
        solver.add(self.mut == variant, *self.assumed())
        try:
            verdict = decide(solver)
            return solver.model() if verdict == z3.sat else None
        finally:
            solver.pop()

    def assumed(self) -> list[Any]:
        """The assumption as literals: each flag is the assumption's attribute of its name."""
        return [f == bool(getattr(self.assumption, n)) for n, f in self.flags.items()]

    def executable(self) -> bool:
        """The runs can all complete with two users on one session (else every row holds
        vacuously)."""
        return satisfiable(*self.hyps, *self.scenario(), self.mut == -1, *self.assumed())

    def under(self, assumption: Any) -> Self:
        other = copy.copy(self)
        other.assumption = assumption
        return other

class World(TableWorld):
    """The bounded runs of the CEK model and of every mutant (``mutant == k``) with the
    attacker of an assumption (its flags are literals of each check: one world for every
    row)."""

    prefix = PREFIX

    def __init__(self, procedure: Procedure, variants: Sequence[Mutant] = ()) -> None:
        super().__init__(procedure, variants, ("ue", "server", "idm"), EFFECTS, ASSUMPTIONS[0])
        Ident, Blob, Msg = self.Ident, self.Blob, self.Msg
        Int, Bool = z3.IntSort(), z3.BoolSort()
        self.absent = z3.Const("absent", Blob)  # skm_s.Given: no Key ID
        self.kms_id = z3.Const("kms.identity", Ident)
        self.server_id = z3.Const("server.identity", Ident)
        self.scope = z3.Const("kms.scope", Ident)
        self.resync, self.new = z3.Const("lit:resync", Ident), z3.Const("lit:new", Ident)
        self.as_uri = z3.Function("AsUri", Blob, Ident)
        self.corrupt = z3.Function("attacker.ue", Ident, Bool)
        # the token algebra
        self.idm = z3.Function("token.idm", Blob, Bool)
        self.aud = z3.Function("token.aud", Blob, Bool)
        self.exp = z3.Function("token.exp", Blob, Int)
        self.sub = z3.Function("token.sub", Blob, Blob)
        self.scopes = z3.Function("token.scopes", Blob, z3.ArraySort(Ident, Bool))
        self.cek = z3.Function("msg.cek", Msg, Blob)
        self.key_for = z3.Function("mutant.key_id_for", Ident, Blob)
        self.hyps += [
            z3.Distinct(self.resync, self.new), self.kms_id != self.server_id,
            z3.Not(self.corrupt(self.kms_id)), z3.Not(self.corrupt(self.server_id))]
        self.ceks: list[tuple[Any, Inst, Any, Any]] = []  # (CEK, issuing inst, user, session)
        self.kids: list[Any] = []
        self.users: list[Any] = []
        self.sessions: list[Any] = []
        self.key_sessions: list[Any] = []
        self.tokens: list[Any] = []
        for e in range(CLIENTS):
            self._client(e)
        self._kms()
        self._server()
        for inst in self.receives:
            self._receive(inst)
        for values in (self.kids, [c for c, _, _, _ in self.ceks], [s.msg for s in self.sends]):
            if len(values) > 1:
                self.hyps.append(z3.Distinct(*values))
        self.hyps += [k != self.absent for k in self.kids]
        self.hyps += [self.key_for(s) != self.absent for s in self.key_sessions]
        self.goals = self._goals()
        self._held()

    def _client(self, e: int) -> None:
        """Client entity ``e``: an honest user (not compromised) on a session, its token, one
        run from ``idle``, then one from each state it ``resumes`` in."""
        user = z3.Const(f"client{e}.user", self.Ident)
        session = z3.Const(f"client{e}.session", self.Ident)
        token = z3.Const(f"client{e}.token", self.Blob)
        self.users.append(user)
        self.sessions.append(session)
        self.tokens.append(token)
        self.hyps += [z3.Not(self.corrupt(user)), self.idm(token), self.aud(token),
                      z3.Select(self.scopes(token), self.scope),
                      self.as_uri(self.sub(token)) == user]
        vars_ = {"user": user, "session": session, "kms_identity": self.kms_id}
        state = {"key": self.absent, "cek": self.absent}
        role = self.procedure.role("client")
        first = self._run("client", e, f"client{e}.0", role.initial, state, vars_)
        for j, start in enumerate(role.resumes):
            before = first if j == 0 else self.runs["client"][-1]
            later = self._run("client", e, f"client{e}.{j + 1}", start, before.end, vars_)
            reached = z3.Or(*[i.h for i in before.insts() if i.step.target == start])
            self.hyps += [z3.Implies(i.h, reached) for i in later.insts()]
            self.hyps += [z3.Implies(z3.And(i.h, b.h), i.now > b.now)
                          for i in later.insts() for b in before.insts()]

    def _kms(self) -> None:
        """:data:`KMS_RUNS` runs of the one KMS, one after the other, its store carried."""
        Ident, Blob = self.Ident, self.Blob
        none = z3.K(Ident, self.absent)
        state = {"live": z3.K(Ident, none), "known": z3.K(Blob, z3.BoolVal(False)),
                 "issued": z3.K(Blob, z3.IntVal(NEVER)),
                 "owner_u": z3.Array("kms.owner_u", Blob, Ident),
                 "owner_s": z3.Array("kms.owner_s", Blob, Ident),
                 "cekof": z3.Array("kms.cekof", Blob, Blob),
                 "req": z3.K(Blob, z3.IntVal(-1)), "retired": self.absent,
                 "user": z3.Const("kms.none.user", Ident),
                 "session": z3.Const("kms.none.session", Ident), "key_id": self.absent}
        wants = z3.Store(z3.Store(z3.K(Ident, z3.BoolVal(False)), self.resync, True),
                         self.new, True)
        # its user, session and key_id variables are its effects' writes (in the state),
        # read by no guard
        self.sequential("kms", KMS_RUNS, state, {"scope": self.scope, "wants": wants},
                        reset={"retired": self.absent})

    def _server(self) -> None:
        """:data:`SERVER_RUNS` runs of the MCPTT server, one after the other, its keyring
        carried."""
        Ident, Blob = self.Ident, self.Blob
        state = {"srv_key": z3.K(Ident, z3.K(Ident, self.absent)),
                 "seen": z3.K(Blob, z3.BoolVal(False)),
                 "srv_cek": z3.Array("server.cek", Blob, Blob),
                 "srv_u": z3.Array("server.owner_u", Blob, Ident),
                 "srv_s": z3.Array("server.owner_s", Blob, Ident)}
        self.sequential("server", SERVER_RUNS, state, {"kms_identity": self.kms_id})

    # ---------------------------------------------------------------- facts
    def verified(self, t: Any, now: Any) -> Any:
        """The runtime's TokenVerifier: signature (by the IdM, or by the attacker with its
        key), audience, expiry (RFC 7519 7.2, 4.1.3, 4.1.4)."""
        return z3.And(z3.Or(self.idm(t), self.flags["idm"]),
                      z3.Or(self.aud(t), self._runtime(_AUD)),
                      z3.Or(self.exp(t) > now, self._runtime(_EXP)))

    def genuine(self, t: Any, now: Any, user: Any) -> Any:
        """``t`` is a valid KMS access token for ``user`` at ``now``: the property's reading,
        not the guards' (REQ-CEK-11)."""
        return z3.And(self.idm(t), self.aud(t), self.exp(t) > now,
                      z3.Select(self.scopes(t), self.scope), self.as_uri(self.sub(t)) == user)

    def holds_token(self, t: Any, now: Any) -> Any:
        """The attacker holds token ``t`` at ``now`` (module docstring)."""
        return z3.Or(z3.Not(self.idm(t)), self.corrupt(self.as_uri(self.sub(t))),
                     z3.Not(self.aud(t)), self.exp(t) <= now)

    def _facts(self, inst: Inst) -> list[tuple[Any, Any]]:
        st = inst.pre
        B, Id, N = self.Blob, self.Ident, z3.IntSort()
        t, n = z3.Var(0, B), z3.Var(1, N)
        empty = z3.K(Id, z3.BoolVal(False))
        subs = [(TOKEN_VALID.function(inst.z), self.verified(t, n)),
                (TOKEN_SCOPES.function(inst.z),
                 z3.If(self.verified(t, inst.now), self.scopes(t), empty)),
                (TOKEN_SUBJECT.function(inst.z),
                 z3.If(self.verified(t, inst.now), self.sub(t), self.absent))]
        if "live" in st:
            live = st["live"]
            u, s = z3.Var(0, Id), z3.Var(1, Id)
            k, ku, ks = z3.Var(0, B), z3.Var(1, Id), z3.Var(2, Id)
            subs += [(CEK_LIVE_FOR.function(inst.z), live[u][s] != self.absent),
                     (CEK_IS_LIVE.function(inst.z), z3.And(k != self.absent, live[ku][ks] == k)),
                     (CEK_ISSUED_AT.function(inst.z), st["issued"][k])]
        if "srv_key" in st:
            k, ku, ks = z3.Var(0, B), z3.Var(1, Id), z3.Var(2, Id)
            subs += [(CEK_KEY_ID_SEEN.function(inst.z), st["seen"][k]),
                     (CEK_HELD.function(inst.z),
                      z3.And(k != self.absent, st["srv_key"][ku][ks] == k))]
        return subs

    # ---------------------------------------------------------------- channels
    def knows(self, c: Any) -> Any:
        """The attacker knows the CEK ``c``: one it made, or an honest one that reached it."""
        fresh = z3.And([c != x for x, _, _, _ in self.ceks])
        return z3.Or(fresh, *[z3.And(c == x, self._leaked(x)) for x, _, _, _ in self.ceks])

    def _leaked(self, x: Any) -> Any:
        """The honest CEK ``x`` reached the attacker (once every send is known)."""
        if x.get_id() not in self._memo:
            self._memo[x.get_id()] = self._leaks(x)
        return self._memo[x.get_id()]

    def _leaks(self, x: Any) -> Any:
        ways = []
        for s in self.sends:
            if s.step.message == "CEK_RESPONSE":
                ways.append(z3.And(s.h, self.cek(s.msg) == x, self._composed(s.request)))
            elif s.step.message == "CEK_NOTIFY":
                ways.append(z3.And(s.h, self.cek(s.msg) == x, s.to == -1))
            elif s.step.message == "CEK_PUSH":
                ways.append(z3.And(s.h, self.cek(s.msg) == x, self.flags["server"]))
        return z3.Or(*ways)

    def _client_sends(self) -> list[Inst]:
        return [s for s in self.sends if s.step.role == "client"]

    def _peer_held(self, peer: Any) -> Any:
        """A TLS client certificate of ``peer`` is the attacker's (or no mutual TLS)."""
        return z3.Or(self.corrupt(peer), z3.And(self.flags["server"], peer == self.server_id),
                     self._runtime(_NO_MTLS))

    def _receive(self, inst: Inst) -> None:
        """Who can deliver ``inst``'s message over its channel, and its guards."""
        step, msg = inst.step, inst.msg
        honest = [s for s in self.sends if s.step.message == step.message]
        if step.role == "kms":  # TLS authenticating the KMS: honest requests or composed
            ways = [z3.And(s.h, msg == s.msg, s.now <= inst.now) for s in honest]
            ways.append(z3.And(self._composed(msg), self.holds_token(inst.f("token"), inst.now)))
        elif step.message in ("CEK_RESPONSE", "RETIRED"):  # the answer to its own request
            ways = [z3.And(s.h, msg == s.msg, s.now <= inst.now, s.request == inst.request)
                    for s in honest]
        else:  # a push in mutual TLS
            ways = [z3.And(s.h, msg == s.msg, s.now <= inst.now,
                           *([s.to == inst.entity] if step.role == "client" else []))
                    for s in honest]
            ways.append(z3.And(self._composed(msg), self._peer_held(inst.f("peer")),
                               self.knows(self.cek(msg))))
        self.hyps.append(z3.Implies(inst.h, z3.Or(*ways)))
        self.hyps += [z3.Implies(inst.h, g) for g in self._guards(inst)]

    # ---------------------------------------------------------------- goals
    def _goals(self) -> dict[str, Any]:
        goals: dict[str, list[Any]] = {p: [] for p in PROPERTIES}
        kms = [i for r in self.runs["kms"] for i in r.insts()]
        answers = [i for i in kms if i.step.message in ("CEK_RESPONSE", "RETIRED")]
        for a in answers:  # ... on the token of the request the run received
            assert a.got is not None
            goals[AUTHORISED].append(z3.Implies(a.h, self.genuine(
                a.got.f("token"), a.got.now, a.f("user"))))
        # Key IDs: every binding of a Key ID to (user, session) anyone makes or takes
        bindings = [i for i in kms if i.step.message in ("CEK_PUSH", "CEK_NOTIFY",
                                                         "CEK_RESPONSE")]
        bindings += [i for r in self.runs["server"] for i in r.insts()
                     if i.step.message == "CEK_PUSH"]
        bindings += [i for r in self.runs["client"] for i in r.insts()
                     if i.step.action == "receive" and i.step.message != "RETIRED"]
        for x, y in itertools.combinations(bindings, 2):
            goals[KEY_ID].append(z3.Implies(
                z3.And(x.h, y.h, x.f("key_id") == y.f("key_id")),
                z3.And(x.f("user") == y.f("user"), x.f("session") == y.f("session"))))
        holds = [i for r in self.runs["client"] for i in r.insts()
                 if i.step.action == "receive" and i.step.message != "RETIRED"]
        for c, issuer, user, _ in self.ceks:
            honest = z3.And(issuer.h, z3.Not(self.corrupt(user)))
            goals[SECRECY].append(z3.Implies(honest, z3.Not(self._leaked(c))))
            goals[SECRECY] += [z3.Implies(z3.And(h.h, self.cek(h.msg) == c),
                                          h.v("user") == user) for h in holds]
        kms_runs = self.runs["kms"]
        for j, i in itertools.combinations(range(len(kms_runs)), 2):
            retired = kms_runs[j].end["retired"]
            for got in kms_runs[i].insts():
                if got.step.action == "receive" and "key_id" in got.z.fields:
                    goals[RETIRED].append(z3.Implies(
                        z3.And(got.h, retired != self.absent),
                        got.f("key_id") != retired))
        takes = [i for r in self.runs["server"] for i in r.insts()
                 if i.step.message == "CEK_PUSH"]
        for x, y in itertools.combinations(takes, 2):
            goals[RETIRED].append(z3.Not(z3.And(x.h, y.h, x.f("key_id") == y.f("key_id"))))
        pushes = [i for i in kms if i.step.message == "CEK_PUSH"]
        for h in holds:
            goals[AGREEMENT].append(z3.Implies(h.h, z3.Or(*[z3.And(
                p.h, p.f("key_id") == h.f("key_id"), p.f("user") == h.v("user"),
                p.f("session") == h.v("session"), self.cek(p.msg) == self.cek(h.msg))
                for p in pushes])))
        asked = [i for i in self._client_sends() if i.step.message == "CEK_REQUEST"]
        for t in takes:
            goals[AGREEMENT].append(z3.Implies(
                z3.And(t.h, z3.Not(self.corrupt(t.f("user")))),
                z3.And(z3.Or(*[z3.And(p.h, p.f("key_id") == t.f("key_id"),
                                      p.f("user") == t.f("user"),
                                      p.f("session") == t.f("session"),
                                      self.cek(p.msg) == self.cek(t.msg)) for p in pushes]),
                       z3.Or(*[z3.And(q.h, q.f("user") == t.f("user"),
                                      q.f("session") == t.f("session")) for q in asked]))))
        for x, y in itertools.combinations(takes, 2):
            goals[AGREEMENT].append(z3.Not(z3.And(x.h, y.h, x.msg == y.msg)))
        by_entity: dict[int, list[Inst]] = {}
        for r in self.runs["client"]:
            by_entity.setdefault(r.entity, []).extend(
                i for i in r.insts() if i.step.action == "receive"
                and i.step.message != "RETIRED")
        for e, f in itertools.combinations(sorted(by_entity), 2):
            for x in by_entity[e]:
                for y in by_entity[f]:
                    goals[AGREEMENT].append(z3.Not(z3.And(
                        x.h, y.h, x.f("key_id") == y.f("key_id"))))
        return {name: z3.And(*gs) for name, gs in goals.items()}

    def _held(self) -> None:
        """Each credential the attacker holds only under the assumption that gives it."""
        held = z3.Function("attacker.ue.held", self.Ident, z3.BoolSort())
        sub = (self.corrupt, z3.And(self.flags["ue"], held(z3.Var(0, self.Ident))))
        self._held_ue = sub
        self.hyps = [z3.substitute_funs(h, sub) for h in self.hyps]
        self.goals = {g: z3.substitute_funs(f, sub) for g, f in self.goals.items()}

    def scenario(self) -> list[Any]:
        """Two clients of different users on one SIP session, both holding a CEK, every KMS
        and server run completing."""
        first = [r for r in self.runs["client"] if r.paths[0][0].step.source == "idle"]
        return [self.users[0] != self.users[1], self.sessions[0] == self.sessions[1],
                *[r.done() for r in first], *[r.done() for r in self.runs["kms"]],
                *[r.done() for r in self.runs["server"]]]



# --------------------------------------------------------------------------- effects



def _identify(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.identify``: the request names (user, session) and maybe a Key ID."""
    st["user"], st["session"] = inst.f("user"), inst.f("session")
    st["key_id"] = inst.f("key_id") if "key_id" in inst.z.fields else w.absent


def _new_key(w: World, inst: Inst, st: dict[str, Any], user: Any, session: Any,
             requester: Any) -> None:
    """A fresh 256-bit CEK under a fresh Key ID, stored live for (user, session) (REQ-CEK-12,
    -13); the Key ID mutant takes one Key ID per session instead."""
    fresh = z3.Const(f"{inst.tag}.new.key_id", w.Blob)
    c = z3.Const(f"{inst.tag}.new.cek", w.Blob)
    w.kids.append(fresh)
    w.ceks.append((c, inst, user, session))
    w.key_sessions.append(session)
    kid = z3.If(w._runtime(_REUSE), w.key_for(session), fresh)
    st["live"] = z3.Store(st["live"], user, z3.Store(st["live"][user], session, kid))
    st["known"] = z3.Store(st["known"], kid, True)
    st["issued"] = z3.Store(st["issued"], kid, inst.now)
    st["owner_u"] = z3.Store(st["owner_u"], kid, user)
    st["owner_s"] = z3.Store(st["owner_s"], kid, session)
    st["cekof"] = z3.Store(st["cekof"], kid, c)
    st["req"] = z3.Store(st["req"], kid, requester)
    st["key_id"] = kid


def _requester(w: World, inst: Inst) -> Any:
    """Who sent the request ``inst`` took: client entity e, or -1 (the attacker)."""
    out: Any = z3.IntVal(-1)
    for s in w._client_sends():
        out = z3.If(inst.msg == s.msg, _entity(w, s), out)
    return out


def _entity(w: World, inst: Inst) -> int:
    return next(r.entity for r in w.runs["client"] if inst in r.insts())


def _issue(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.issue`` (REQ-CEK-12)."""
    _new_key(w, inst, st, st["user"], st["session"], _requester(w, inst))


def _rekey(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.rekey``: retire the live CEK of (user, session), issue a new one (REQ-CEK-15,
    -16); KMS-started (no request) for a live (user, session) the operator names."""
    if inst.step.action == "send":
        st["user"] = z3.Const(f"{inst.tag}.operator.user", w.Ident)
        st["session"] = z3.Const(f"{inst.tag}.operator.session", w.Ident)
    live = st["live"][st["user"]][st["session"]]
    w.hyps.append(z3.Implies(inst.h, live != w.absent))  # else UsageError: no run
    st["retired"] = live
    _new_key(w, inst, st, st["user"], st["session"], st["req"][live])


def _resend(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.resend``: the same CEK (REQ-CEK-15 resync): nothing changes."""


def _retire(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.retire``: the record of the Key ID is retired, its Key ID kept (REQ-CEK-17)."""
    k = st["key_id"]
    u, s = st["owner_u"][k], st["owner_s"][k]
    gone = z3.If(st["live"][u][s] == k, w.absent, st["live"][u][s])
    st["live"] = z3.Store(st["live"], u, z3.Store(st["live"][u], s, gone))
    st["retired"] = k


def _push(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``cek.push`` / ``cek.answer``: the fields of the stored record of the run's Key ID;
    the peer of a push is the KMS's verified certificate; an answer answers the run's
    request, a push to the client goes to the record's notification endpoint."""
    if inst.step.action != "send":
        return
    k = st["key_id"]
    w.hyps += [inst.f("user") == st["owner_u"][k], inst.f("session") == st["owner_s"][k],
               inst.f("key_id") == k]
    if "peer" in inst.z.fields:
        w.hyps.append(inst.f("peer") == w.kms_id)
    if inst.step.message in ("CEK_PUSH", "CEK_NOTIFY", "CEK_RESPONSE"):
        w.hyps.append(w.cek(inst.msg) == st["cekof"][k])
    if inst.step.message == "CEK_NOTIFY":
        inst.to = st["req"][k]
    if first is not None and first.step.action == "receive":
        inst.got, inst.request = first, first.msg


def _request(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``client.request``: its user, session and token; the Key ID it holds; a want of its
    choice (REQ-CEK-10, -15, -17)."""
    e = inst.entity
    w.hyps += [inst.f("user") == inst.v("user"), inst.f("session") == inst.v("session"),
               inst.f("token") == w.tokens[e],
               z3.Implies(inst.h, w.exp(w.tokens[e]) > inst.now)]
    if "key_id" in inst.z.fields:
        w.hyps.append(inst.f("key_id") == st["key"])
    if "want" in inst.z.fields:
        w.hyps.append(z3.Or(inst.f("want") == w.resync, inst.f("want") == w.new))


def _client_hold(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``client.hold``: the CEK and Key ID of the answer or push (REQ-CEK-18, -16)."""
    st["key"], st["cek"] = inst.f("key_id"), w.cek(inst.msg)
    if first is not None:
        inst.request = first.msg


def _client_drop(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``client.drop`` (REQ-CEK-17)."""
    st["key"] = w.absent
    if first is not None:
        inst.request = first.msg


def _hold(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``endpoint.hold``: the server keeps the CEK for (user, session), replacing the
    session's old one, and remembers the Key ID (REQ-CEK-14)."""
    k, u, s = inst.f("key_id"), inst.f("user"), inst.f("session")
    st["srv_key"] = z3.Store(st["srv_key"], u, z3.Store(st["srv_key"][u], s, k))
    st["seen"] = z3.Store(st["seen"], k, True)
    st["srv_cek"] = z3.Store(st["srv_cek"], k, w.cek(inst.msg))
    st["srv_u"] = z3.Store(st["srv_u"], k, u)
    st["srv_s"] = z3.Store(st["srv_s"], k, s)


def _drop(w: World, inst: Inst, st: dict[str, Any], first: Inst | None) -> None:
    """``endpoint.drop``: the live CEK under the Key ID goes; the Key ID stays seen."""
    k = inst.f("key_id")
    u, s = st["srv_u"][k], st["srv_s"][k]
    gone = z3.If(st["srv_key"][u][s] == k, w.absent, st["srv_key"][u][s])
    st["srv_key"] = z3.Store(st["srv_key"], u, z3.Store(st["srv_key"][u], s, gone))


#: effect -> what it writes (the role's state, a send's fields): impl/roles/cek
EFFECTS: Mapping[str, Effect] = {
    "cek.identify": _identify, "cek.issue": _issue, "cek.rekey": _rekey,
    "cek.resend": _resend, "cek.retire": _retire, "cek.push": _push, "cek.answer": _push,
    "client.request": _request, "client.hold": _client_hold, "client.drop": _client_drop,
    "endpoint.hold": _hold, "endpoint.drop": _drop,
}


# --------------------------------------------------------------------------- rows


def trace(world: TableWorld, model: z3.ModelRef) -> list[str]:
    """An attack as steps a reader can follow: each step that happened, run by run, with the
    fields ``world.shown``; each receive says whether it took an honest send or a message the
    attacker composed."""
    names: dict[str, str] = {}

    def val(term: Any) -> str:
        text = str(model.eval(term, model_completion=True))
        if term.sort() == world.Ident:
            text = names.setdefault(text, f"E{len(names) + 1}")
        elif term.sort() == world.Blob:
            text = names.setdefault(text, f"B{len(names) + 1}")
        return text

    def true(term: Any) -> bool:
        return bool(z3.is_true(model.eval(term, model_completion=True)))

    lines = []
    for role, runs in world.runs.items():
        for i, run in enumerate(runs):
            for inst in run.insts():
                if not true(inst.h):
                    continue
                who = ", ".join(f"{n} {val(inst.f(n))}" for n in world.shown
                                if n in inst.z.fields)
                what = f"{role}{i} step {inst.step.number} at {val(inst.now)}"
                if inst.step.action == "send":
                    lines.append(f"{what}: sends {inst.step.message} ({who})")
                    continue
                source = next((f"from {s.tag}" for s in world.sends
                               if true(inst.msg == s.msg)), "composed by the attacker")
                lines.append(f"{what}: accepts {inst.step.message} ({who}; {source})")
    return lines


def judge(world: TableWorld, prop: str, muts: list[Mutant], dead: set[str]
          ) -> list[MutantResult]:
    """Every mutant on one row: one solver asked for any mutant not yet killed whose
    reading differs (``mutant`` free among them), each answer a kill, until none is left
    (unsat: the rest survive this row); a mutant in ``dead`` is not solved again."""
    out: dict[int, MutantResult] = {}
    alive = []
    for k, m in enumerate(muts):
        equivalent = mark(world.procedure, m)
        if m.name in dead:
            out[k] = MutantResult(m.name, False, None, equivalent, "killed by an earlier row")
        elif k not in world.used:  # the world reads it as the model: nothing to solve
            out[k] = MutantResult(m.name, False, None, equivalent)
        else:
            alive.append(k)
    solver = world.solver(prop)
    solver.push()
    solver.add(*world.assumed(), z3.Or(*[world.mut == k for k in alive]) if alive
               else z3.BoolVal(False))
    try:
        while alive:
            start = time.perf_counter()
            if decide(solver) == z3.unsat:
                break
            model = solver.model()
            k = model.eval(world.mut, model_completion=True).as_long()
            out[k] = MutantResult(muts[k].name, True, {"trace": " / ".join(trace(world, model))},
                                  mark(world.procedure, muts[k]),
                                  seconds=time.perf_counter() - start)
            dead.add(muts[k].name)
            alive.remove(k)
            solver.add(world.mut != k)
    finally:
        solver.pop()
    for k in alive:
        out[k] = MutantResult(muts[k].name, False, None, mark(world.procedure, muts[k]))
    return [out[k] for k in range(len(muts))]


def table_rows(title: str, built: TableWorld, properties: Mapping[str, tuple[str, ...]],
               assumptions: Sequence[Any], muts: list[Mutant], quick: bool, build_s: float
               ) -> list[ProofResult]:
    """Every property (-> the requirement ids it covers) under every assumption (each with
    ``name``, ``expected``, ``quick``), the mutants judged by the rows that hold (``quick``:
    under the assumptions marked so)."""
    dead: set[str] = set()
    rows = []
    for a in assumptions:
        world = built.under(a)
        if not world.executable():
            raise AssertionError(f"{title} under {a.name!r}: the runs cannot complete")
        for prop in properties:
            model, solve_s = timed(functools.partial(world.check, prop))
            expected = a.expected.get(prop, "")
            row = ProofResult(f"{title}: {prop}", a.name, model is None,
                              build_s / len(properties) / len(assumptions) + solve_s,
                              None if model is None
                              else {"trace": " / ".join(trace(world, model))},
                              expected_attack=expected, requirements=properties[prop])
            rows.append(row)
            if expected or (quick and not a.quick):  # mutants are judged by rows that hold
                continue
            row.mutants, judge_s = timed(functools.partial(judge, world, prop, muts, dead))
            row.seconds += judge_s
    return rows


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property under every assumption, each on every generated mutant of the model
    and every runtime mutant (a mutant killed by an earlier row is not solved again);
    ``quick``: no field-swap mutants, judged under the assumptions marked ``quick``."""
    muts = all_mutants(quick)
    world, build_s = timed(functools.partial(World, PROCEDURE, muts))
    return table_rows("CEK attacker", world, REQUIREMENTS, ASSUMPTIONS, muts, quick, build_s)


__all__ = ["AGREEMENT", "ASSUMPTIONS", "AUTHORISED", "BOUNDS", "EFFECTS", "KEY_ID", "PREFIX",
           "PROPERTIES", "REQUIREMENTS", "RETIRED", "RUNTIME_MUTANTS", "SECRECY", "Assumption",
           "Inst", "Run", "TableWorld", "World", "all_mutants", "judge", "paths", "prove",
           "table_rows", "trace"]
