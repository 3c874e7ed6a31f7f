"""The procedure model format: roles, states, numbered steps, messages, guards, effects.

A :class:`Procedure` is data, in the manner of h11's state tables: for each role, the table
``state -> (action, message) -> step`` (see :meth:`Procedure.table`) is the whole machine.
A :class:`Step` is one numbered step of the specification clause: the role that acts, whether
it sends or receives, the message (by name, a :class:`MessageSpec` whose fields map onto a
grammar in ``models/grammar``), the state it leaves and enters, the :class:`Guard` s it checks in
order and the effects (names of functions that live in ``impl/roles``) it runs.  Each guard
names the requirement it enforces and the MIKEY error (RFC 3830 6.12 / RFC 6043 6.9) a refusal
carries.  The runtime (``impl/engine``), the property tests, the proofs and the docs all read
this one object; :mod:`mckm.models.procedures.mutants` derives broken variants of it.

Branches: several steps may share one table cell (role, state, action, message) when the clause
branches on what the role knows (seed 002 B.2.2.2 step 1: a reusable ticket already resolved
goes straight to step 10).  Each but the last has a ``when`` condition; the engine takes the
first step whose ``when`` holds, and only then checks that step's guards.  ``when`` selects, it
never refuses: a refusal is always a guard's, with its requirement and MIKEY error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mckm.models.grammar.namespaces import DATA_TYPE
from mckm.models.grammar.wire import Layout, Wire
from mckm.models.procedures.expr import Expr, Self, Z3Reading, field_names

Action = Literal["send", "receive"]


@dataclass(frozen=True)
class MessageSpec:
    """A message as the procedure sees it: abstract fields with their types and, for a message
    on the wire, where each lives in the grammar (``wire``: field -> :class:`Wire`, a path
    resolved against ``models/grammar`` at import and a converter) and what the grammar says
    of the whole message (``layout``: data type, payload order, copied header fields, what the
    SIGN or V covers).  The runtime's generic view and builder (``mckm.impl.engine.wire``) read
    exactly this; ``paths`` is its text for the docs.  Build with :meth:`on_wire`."""

    name: str
    fields: Mapping[str, str]
    grammar: str = ""
    paths: Mapping[str, str] = field(default_factory=dict)
    clause: str = ""
    wire: Mapping[str, Wire] = field(default_factory=dict)
    layout: Layout | None = None
    optional: frozenset[str] = frozenset()  # fields a message may lack (the engine allows None)

    def __post_init__(self) -> None:
        if self.layout is not None:
            DATA_TYPE.value_of(self.layout.data_type)  # KeyError at import if unknown

    @classmethod
    def on_wire(cls, name: str, clause: str, layout: Layout, wire: Mapping[str, Wire], *,
                optional: tuple[str, ...] = ()) -> MessageSpec:
        data_type = DATA_TYPE.value_of(layout.data_type)
        return cls(name, {f: w.type for f, w in wire.items()},
                   f"mikey: {layout.data_type} (data type {data_type})",
                   {f: w.text for f, w in wire.items()}, clause, dict(wire), layout,
                   frozenset(optional))


#: the HTTP status of a refusal that no guard made: a field missing or ill-typed
FIELD_REFUSAL_STATUS = 400
#: the HTTP status of an unexpected message: a resource the table does not have
UNEXPECTED_STATUS = 404


@dataclass(frozen=True)
class Guard:
    """A named check of a step.  ``detects`` tags the threats it is there to stop
    (``replay``, ``misaddressed``, ``wrong-period``, ``stale``, ``tampered`` ...), which the
    property tests use to know which refusal to expect.  ``http_status`` is the status an HTTP
    role answers a refusal by this guard with (the SKM-S of TS 33.180 Annex D), where one
    applies.

    ``equivalent`` is empty, or the one-line reason why a mutant of this guard (dropped, or
    reading another field of the same type: :mod:`mckm.models.procedures.mutants`) that no
    proof of ``mckm prove`` kills is not a finding, in a form a reviewer can check against the
    model: ``implied by ...`` (another guard, a write or a grammar rule makes the check
    redundant), ``defence in depth: ...`` or ``not modelled: ...`` (what the proofs leave out,
    and what covers it instead).  ``mckm prove`` lists these marks apart from the kills."""

    name: str
    expr: Expr
    requirement: str
    reason: str
    mikey_error: int | None = None
    detects: tuple[str, ...] = ()
    http_status: int | None = None
    equivalent: str = ""


@dataclass(frozen=True)
class Step:
    """One numbered step of the clause, seen from the role that performs it."""

    number: str
    role: str
    action: Action
    message: str
    peer: str
    source: str
    target: str
    requirement: str
    text: str
    guards: tuple[Guard, ...] = ()
    effects: tuple[str, ...] = ()
    implements: tuple[str, ...] = ()  # further requirements its effects realise
    auto: bool = False  # a send step taken as soon as its source state is entered
    when: Expr | None = None  # selects this step among the steps of its table cell (branches)

    @property
    def all_requirements(self) -> tuple[str, ...]:
        out = [self.requirement, *self.implements, *(g.requirement for g in self.guards)]
        return tuple(dict.fromkeys(out))

    @property
    def label(self) -> str:
        arrow = "->" if self.action == "send" else "<-"
        return f"step {self.number} ({self.role} {arrow} {self.peer}: {self.message})"


@dataclass(frozen=True)
class Role:
    """A role: its initial state, final states and typed variables (what ``Self(...)`` reads).
    ``resumes`` names the other states a run of the role may start in, each with the reason
    (e.g. a KMS that keeps no per-ticket state starts a resolve where issuing left off)."""

    name: str
    initial: str
    final: tuple[str, ...]
    vars: Mapping[str, str] = field(default_factory=dict)
    resumes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """The requirement and MIKEY error of a message the table does not allow in a state."""

    requirement: str
    mikey_error: int | None
    reason: str = "message not allowed in this state"


@dataclass(frozen=True)
class Procedure:
    """A whole procedure model (see module docstring)."""

    name: str
    title: str
    clause: str
    roles: tuple[Role, ...]
    messages: tuple[MessageSpec, ...]
    steps: tuple[Step, ...]
    requirements: Mapping[str, str]
    unexpected: Refusal
    policy: Mapping[str, Any] = field(default_factory=dict)
    outcome: str = ""
    leaves_out: tuple[str, ...] = ()
    #: the protocol whose status codes the guards' ``http_status`` hold: HTTP for the KMSs
    #: (TS 33.180 Annex D, TS 33.328 Annex A), SIP for a relay answering a SIP MESSAGE
    status_protocol: str = "HTTP"

    def __post_init__(self) -> None:
        self.validate()

    # ---- lookups
    def role(self, name: str) -> Role:
        for r in self.roles:
            if r.name == name:
                return r
        raise KeyError(f"{self.name}: no role {name!r}")

    def message(self, name: str) -> MessageSpec:
        for m in self.messages:
            if m.name == name:
                return m
        raise KeyError(f"{self.name}: no message {name!r}")

    def step(self, number: str) -> Step:
        for s in self.steps:
            if s.number == number:
                return s
        raise KeyError(f"{self.name}: no step {number!r}")

    def http_status(self, step: str | None, guard: str | None) -> int:
        """The status an HTTP role answers a refusal at ``step`` by ``guard`` with: the
        guard's, :data:`UNEXPECTED_STATUS` for a message the table does not expect (no such
        resource in this state), :data:`FIELD_REFUSAL_STATUS` for a refusal no guard made (a
        field missing or ill-typed)."""
        if step is None:
            return UNEXPECTED_STATUS
        for g in self.step(step).guards:
            if g.name == guard and g.http_status is not None:
                return g.http_status
        return FIELD_REFUSAL_STATUS

    def step_for(self, role: str, message: str, action: Action | None = None, *,
                 branch: bool = False, source: str | None = None) -> Step:
        """The one step in which ``role`` sends or receives ``message``: code and proofs name
        steps by role and message, never by the clause's numbering.

        ``action`` is needed only if the role both sends and receives ``message``; ``source``
        only if the role does so in several states.  In a table cell with branches (module
        docstring), the step without ``when`` is the default; ``branch=True`` selects the step
        with a ``when`` instead (there must be exactly one)."""
        found = [s for s in self.steps if s.role == role and s.message == message
                 and (action is None or s.action == action)
                 and (source is None or s.source == source)
                 and (s.when is not None) == branch]
        if len(found) != 1:
            what = f"{role} {action or 'sends or receives'} {message}" + (
                f" in state {source}" if source else "") + (" (branch)" if branch else "")
            raise KeyError(f"{self.name}: {len(found)} steps where {what}"
                           + (": give action or source" if found else ""))
        return found[0]

    def steps_of(self, role: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.role == role)

    def states(self, role: str) -> tuple[str, ...]:
        r = self.role(role)
        seen = [r.initial]
        for s in self.steps_of(role):
            for st in (s.source, s.target):
                if st not in seen:
                    seen.append(st)
        return tuple(seen)

    def table(self, role: str) -> dict[str, dict[tuple[Action, str], tuple[Step, ...]]]:
        """``state -> (action, message) -> steps``: the role's machine, h11 style; a cell holds
        one step, or the branches of one (see module docstring), in the order they are tried."""
        out: dict[str, dict[tuple[Action, str], tuple[Step, ...]]] = {
            st: {} for st in self.states(role)}
        for s in self.steps_of(role):
            cell = (s.action, s.message)
            out[s.source][cell] = (*out[s.source].get(cell, ()), s)
        return out

    def z3_reading(self, step: Step, policy: Mapping[str, Any] | None = None) -> Z3Reading:
        """Symbols for proving things about ``step``'s guards."""
        return Z3Reading(self.message(step.message).fields, self.role(step.role).vars,
                         self.policy if policy is None else policy)

    # ---- derived variants (mutants, deployments)
    def with_step(self, new: Step) -> Procedure:
        steps = tuple(new if s.number == new.number else s for s in self.steps)
        return dataclasses.replace(self, steps=steps)

    def with_policy(self, **changes: Any) -> Procedure:
        return dataclasses.replace(self, policy={**self.policy, **changes})

    # ---- well-formedness: the checks a model must pass before anything runs it
    def validate(self) -> None:
        names = {r.name for r in self.roles}
        msgs = {m.name for m in self.messages}
        numbers = [s.number for s in self.steps]
        problems = []
        if len(set(numbers)) != len(numbers):
            problems.append("step numbers repeat")
        open_cells: set[tuple[str, str, str, str]] = set()  # cells whose last step has no when
        for s in self.steps:
            where = f"step {s.number}"
            if s.role not in names or s.peer not in names:
                problems.append(f"{where}: unknown role")
            if s.message not in msgs:
                problems.append(f"{where}: unknown message {s.message!r}")
                continue
            key = (s.role, s.source, s.action, s.message)
            if key in open_cells:
                problems.append(f"{where}: follows a step for {s.message} in state {s.source} "
                                "that has no when condition (it would never be taken)")
            if s.when is None:
                open_cells.add(key)
            elif s.action == "send" and field_names(s.when):
                problems.append(f"{where}: the when of a send step cannot read message fields")
            for req in (s.requirement, *s.implements):
                if req not in self.requirements:
                    problems.append(f"{where}: requirement {req} is not declared")
            spec_fields = set(self.message(s.message).fields)
            role_vars = set(self.role(s.role).vars) if s.role in names else set()
            exprs = [(f"guard {g.name}", g.expr) for g in s.guards]
            exprs += [("when", s.when)] if s.when is not None else []
            for g in s.guards:
                if g.requirement not in self.requirements:
                    problems.append(f"{where} guard {g.name}: undeclared {g.requirement}")
            for what, expr in exprs:
                missing = field_names(expr) - spec_fields
                if missing:
                    problems.append(f"{where} {what}: unknown fields {sorted(missing)}")
                unknown = {n.name for n in expr.walk() if isinstance(n, Self)} - role_vars
                if unknown:
                    problems.append(f"{where} {what}: unknown role vars {sorted(unknown)}")
        for r in self.roles:
            unknown = set(r.resumes) - set(self.states(r.name)) if r.name in names else set()
            if unknown:
                problems.append(f"role {r.name}: resumes unknown states {sorted(unknown)}")
        if self.unexpected.requirement not in self.requirements:
            problems.append("unexpected-message requirement is not declared")
        if problems:
            raise ValueError(f"procedure {self.name}: " + "; ".join(problems))
