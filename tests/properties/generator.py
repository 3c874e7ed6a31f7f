"""Build a hypothesis ``RuleBasedStateMachine`` from a procedure model.

The generated machine plays legal runs of the procedure between in-memory role machines
(``impl/engine``) and checks that every run completes with all roles agreeing on the outcome;
then it attacks recorded runs with threats and checks each is refused with the refusal the
*model* names (the guard that ``detects`` the threat: its requirement id and MIKEY error), or,
for a message out of order, the model's unexpected-message refusal.  Nothing about the expected
errors is typed here: it is all read from the model.

Generic threats, derived from the model alone:
- ``replay``: a delivered message delivered again to a new run of the same receiving user;
- ``duplicate``: a delivered message fed again to the machine that consumed it (now in a later
  state): out of order;
- ``out-of-order``: a message whose receiving step does not start in the role's initial state,
  fed to a fresh machine;
- ``tamper``: one field of a delivered message changed; refused by some guard of that step
  (only for steps with a guard that ``detects`` ``tampered``, i.e. that claim integrity).
A scenario adds its own threats (misaddressed, wrong period, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from mckm.impl.engine import DictMessage, Emit, RoleMachine, Send, StepRefused
from mckm.models.procedures.model import Procedure, Step


@dataclass
class Delivery:
    step: Step
    to: str
    message: Any
    now: int


@dataclass
class Run:
    """A completed legal run: its machines, what was delivered, and the emitted values."""

    machines: dict[str, RoleMachine]
    deliveries: list[Delivery]
    emitted: dict[str, list[Emit]]
    params: Mapping[str, Any]
    now: int


@dataclass(frozen=True)
class Attack:
    """What a threat produced: the machine to feed, the message, the time, what to expect."""

    machine: RoleMachine
    message: Any
    now: int
    expect: str  # a guard ``detects`` tag, "unexpected", or "any-guard"
    step: Step | None = None


@dataclass
class Scenario:
    """How to play a procedure: fresh machines for a run, the first send step, parameters."""

    procedure: Procedure
    #: fresh machines for one run; ``shared`` = reuse the users' persistent role variables
    #: (replay caches ...) rather than brand-new ones
    make_machines: Callable[[Mapping[str, Any], bool], dict[str, RoleMachine]]
    start: tuple[str, str]
    params: st.SearchStrategy[dict[str, Any]]
    outcome: str  # name of the Emit every role must produce, with equal values
    threats: dict[str, Callable[[Scenario, Run, st.DataObject], Attack | None]] = field(
        default_factory=dict)
    #: forget every user's persistent variables (called at the start of each example)
    reset: Callable[[], None] = lambda: None


def play(scn: Scenario, machines: dict[str, RoleMachine], params: Mapping[str, Any],
         stop_before: int | None = None) -> Run:
    """Run the procedure from its start step until no message is in flight (or until
    ``stop_before`` messages have been delivered)."""
    role, message = scn.start
    now = int(params["now"])
    emitted: dict[str, list[Emit]] = {r: [] for r in machines}
    deliveries: list[Delivery] = []
    queue = [(role, a) for a in machines[role].send(message, now=now, params=params)]
    while queue:
        actor, action = queue.pop(0)
        if isinstance(action, Emit):
            emitted[actor].append(action)
            continue
        assert isinstance(action, Send)
        target = machines[action.to]
        step = target.step_for(action.message, now=now)
        assert step is not None, f"legal run: {action.to} cannot receive {action.message.name}"
        if stop_before is not None and len(deliveries) == stop_before:
            break
        deliveries.append(Delivery(step, action.to, action.message, now))
        queue.extend((action.to, a) for a in target.feed(action.message, now=now))
    return Run(machines, deliveries, emitted, params, now)


def _tamper(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    protected = [d for d in run.deliveries if any("tampered" in g.detects for g in d.step.guards)]
    if not protected:  # the model claims no integrity for any message of this run
        return None
    d = data.draw(st.sampled_from(protected), label="delivery")
    # a fresh, unshared run of the same parameters, stopped just before this delivery
    prefix = play(scn, scn.make_machines(run.params, False), run.params,
                  stop_before=run.deliveries.index(d))
    fresh = prefix.machines[d.to]
    spec = scn.procedure.message(d.step.message)
    name = data.draw(st.sampled_from(sorted(spec.fields)), label="field")
    old = d.message.get(name)
    others = [m.message.get(name) for m in run.deliveries if m.message.get(name) != old]
    new = data.draw(st.sampled_from([*others, _different(old)]), label="new value")
    return Attack(fresh, DictMessage(d.message.name, {**dict(d.message), name: new}), d.now,
                  "any-guard", d.step)


def _different(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str | bytes):
        return ("tampered", value)
    if isinstance(value, int):
        return value ^ 1
    if isinstance(value, str):
        return value + "x"
    return value + b"\x00"


def _replay(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = data.draw(st.sampled_from(run.deliveries), label="delivery")
    if not any("replay" in g.detects for g in d.step.guards):
        return None
    fresh = scn.make_machines(run.params, True)[d.to]
    if fresh.state != d.step.source:
        return None
    return Attack(fresh, d.message, d.now, "replay", d.step)


def _duplicate(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = data.draw(st.sampled_from(run.deliveries), label="delivery")
    return Attack(run.machines[d.to], d.message, d.now, "unexpected", d.step)


def _out_of_order(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    late = [d for d in run.deliveries if d.step.source != scn.procedure.role(d.to).initial]
    if not late:
        return None
    d = data.draw(st.sampled_from(late), label="delivery")
    return Attack(scn.make_machines(run.params, True)[d.to], d.message, d.now, "unexpected", d.step)


GENERIC_THREATS = {"replay": _replay, "duplicate": _duplicate, "out-of-order": _out_of_order,
                   "tamper": _tamper}


def check_refusal(scn: Scenario, attack: Attack, exc: StepRefused) -> None:
    """The refusal is the one the model names for this threat."""
    proc = scn.procedure
    if attack.expect == "unexpected":
        assert exc.step is None, f"expected an out-of-order refusal, got {exc}"
        assert exc.requirement == proc.unexpected.requirement
        assert exc.mikey_error == proc.unexpected.mikey_error
        return
    assert attack.step is not None
    assert exc.step == attack.step.number, f"refused at the wrong step: {exc}"
    if attack.expect == "any-guard":
        assert exc.requirement in attack.step.all_requirements
        return
    guards = [g for g in attack.step.guards if attack.expect in g.detects]
    assert guards, f"model has no guard that detects {attack.expect!r}"
    assert exc.guard in {g.name for g in guards}, f"{attack.expect}: refused by {exc.guard}: {exc}"
    g = next(g for g in guards if g.name == exc.guard)
    assert (exc.requirement, exc.mikey_error) == (g.requirement, g.mikey_error)


def build_state_machine(scn: Scenario) -> type[RuleBasedStateMachine]:
    """The stateful test for ``scn`` (use ``.TestCase`` with pytest)."""
    threats = {**GENERIC_THREATS, **scn.threats}

    class ProcedureMachine(RuleBasedStateMachine):
        runs = Bundle("runs")

        @initialize()
        def reset(self) -> None:
            scn.reset()
            self.completed: list[Run] = []

        @rule(target=runs, params=scn.params)
        def legal_run(self, params: dict[str, Any]) -> Run:
            # honest randomness never repeats across runs: effects mix this run number in
            params = {**params, "run": len(self.completed)}
            try:
                run = play(scn, scn.make_machines(params, True), params)
            except StepRefused as exc:
                raise AssertionError(f"a legal run was refused: {exc}") from exc
            for role, m in run.machines.items():
                assert m.done, f"{role} stopped in state {m.state!r}"
            values = [[e.value for e in run.emitted[r] if e.name == scn.outcome]
                      for r in run.machines]
            assert all(len(v) == 1 for v in values), f"missing outcome {scn.outcome}: {values}"
            assert all(v == values[0] for v in values), "roles disagree on the outcome"
            self.completed.append(run)
            return run

        @rule(run=runs, threat=st.sampled_from(sorted(threats)), data=st.data())
        def attack(self, run: Run, threat: str, data: st.DataObject) -> None:
            attack = threats[threat](scn, run, data)
            if attack is None:
                return
            before = (attack.machine.state, dict(attack.machine.vars))
            try:
                attack.machine.feed(attack.message, now=attack.now)
            except StepRefused as exc:
                check_refusal(scn, attack, exc)
                assert (attack.machine.state, dict(attack.machine.vars)) == before, \
                    "a refusal changed the role's state"
            else:
                raise AssertionError(f"threat {threat!r} was accepted: {attack.message!r}")

        @invariant()
        def completed_runs_stay_final(self) -> None:
            for run in self.completed:
                for role, m in run.machines.items():
                    assert m.done, f"an attack moved a finished {role} to {m.state!r}"

    ProcedureMachine.__name__ = f"Generated_{scn.procedure.name.replace('-', '_')}"
    return ProcedureMachine
