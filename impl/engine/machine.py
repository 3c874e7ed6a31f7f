"""Run one role of a procedure model as a sans-IO state machine.

Theory of operation (h11 style): the model's table ``state -> (action, message) -> steps`` is
the machine; a cell with several steps is a branch, and the first step whose ``when`` holds is
taken.  :meth:`RoleMachine.feed` takes a received message and the local time; if the table has
no step for it in the current state, or a field is missing or ill-typed, or a guard does not
hold, it raises :class:`~mckm.impl.engine.refusal.StepRefused` and changes nothing.  Otherwise
it runs the step's effects (named functions from an :class:`EffectRegistry`, which the roles in
``impl/roles`` provide), then the send steps the new state makes automatic, and commits all
their variable updates and the final state at once (a refusal of an automatic send undoes the
whole move); it returns the actions: messages to send and values to hand to the caller.
:meth:`RoleMachine.send` does the same for a step in which the role sends: effects build the
message fields, the step's guards check the result, then the message is returned to be sent.
No sockets, no clocks: time is an argument, I/O is the caller's.

Totality: for every state and every input, ``feed`` either makes a legal move or raises a
``MckmError`` (a ``StepRefused``); ``tests/properties`` checks it for every model.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mckm.impl.engine.messages import DictMessage
from mckm.impl.engine.refusal import StepRefused
from mckm.impl.errors import MckmError, UpstreamError, UsageError
from mckm.models.policy.key_id import SK_ID, id_bits
from mckm.models.procedures.expr import Env, Facts, MessageView
from mckm.models.procedures.model import Action as StepAction
from mckm.models.procedures.model import Guard, Procedure, Step
from mckm.models.procedures.verdict import Verdict

# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Send:
    """Send ``message`` to the role ``to`` (the caller moves the bytes)."""

    to: str
    message: MessageView
    step: str


@dataclass(frozen=True)
class Emit:
    """A value an effect hands to the caller (e.g. the established key's id)."""

    name: str
    value: Any


Action = Send | Emit

# --------------------------------------------------------------------------- effects


class EffectContext:
    """What an effect sees: the message, its parameters, the role variables (with the updates
    staged so far) and the facts; what it may do: stage variable updates, set outgoing fields
    and emit values.  Nothing is committed unless the whole step succeeds."""

    def __init__(self, *, step: Step, message: MessageView | None, params: Mapping[str, Any],
                 vars: Mapping[str, Any], policy: Mapping[str, Any], now: int,
                 facts: Facts) -> None:
        self.step = step
        self.message = message
        self.params = dict(params)
        self.policy = policy
        self.now = now
        self.facts = facts
        self.fields: dict[str, Any] = {}
        self.updates: dict[str, Any] = {}
        self.emitted: list[Emit] = []
        self.scratch: dict[str, Any] = {}  # values passed between effects of one step only
        self._vars = vars

    def var(self, name: str, default: Any = None) -> Any:
        if name in self.updates:
            return self.updates[name]
        return self._vars.get(name, default)

    def set_var(self, name: str, value: Any) -> None:
        self.updates[name] = value

    def set_field(self, name: str, value: Any) -> None:
        self.fields[name] = value

    def emit(self, name: str, value: Any) -> None:
        self.emitted.append(Emit(name, value))

    def staged_vars(self) -> Mapping[str, Any]:
        return {**self._vars, **self.updates}


Effect = Callable[[EffectContext], None]
_T = TypeVar("_T")


class _Memo(Generic[_T]):
    """Values computed from a (procedure, role), kept while that very procedure object lives
    in the memo (models are immutable; a mutant is another object).  Bounded: cleared when
    full, as the proofs build many mutants."""

    LIMIT = 512

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], tuple[Procedure, _T]] = {}

    def get(self, procedure: Procedure, role: str) -> _T | None:
        hit = self._items.get((id(procedure), role))
        return hit[1] if hit is not None and hit[0] is procedure else None

    def put(self, procedure: Procedure, role: str, value: _T) -> _T:
        if len(self._items) >= self.LIMIT:
            self._items.clear()
        self._items[(id(procedure), role)] = (procedure, value)
        return value


#: the state table of each (procedure, role), built once: RoleMachine only reads it
_TABLES: _Memo[dict[str, dict[tuple[StepAction, str], tuple[Step, ...]]]] = _Memo()


class EffectRegistry:
    """Effect name (as written in a model) -> function.  ``impl/roles`` fills one per role."""

    def __init__(self, effects: Mapping[str, Effect] | None = None) -> None:
        self._effects: dict[str, Effect] = dict(effects or {})
        #: (procedure, role) pairs found complete, until the next ``register``
        self._complete: _Memo[bool] = _Memo()

    def register(self, name: str, fn: Effect) -> None:
        self._effects[name] = fn
        self._complete = _Memo()

    def __getitem__(self, name: str) -> Effect:
        try:
            return self._effects[name]
        except KeyError:
            raise UsageError(f"no effect function registered for {name!r}") from None

    def missing(self, procedure: Procedure, role: str) -> list[str]:
        """Effect names the model uses for ``role`` that are not registered (a pair found
        complete is not walked again: a server builds a machine per message)."""
        if self._complete.get(procedure, role):
            return []
        wanted = [e for s in procedure.steps_of(role) for e in s.effects]
        out = [e for e in dict.fromkeys(wanted) if e not in self._effects]
        if not out:
            self._complete.put(procedure, role, True)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._effects)


# --------------------------------------------------------------------------- field typing


def _type_ok(type_name: str, value: Any, policy: Mapping[str, Any]) -> bool:
    if type_name in ("int", "time", "key_id"):
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if type_name == "time":
            return value >= 0
        if type_name == "key_id":
            nbits: int = id_bits(policy.get("key_id_layout", SK_ID))
            return 0 <= value < 1 << nbits
        return True
    if type_name == "ident":
        return isinstance(value, str) and value != ""
    if type_name == "blob":
        try:
            hash(value)
        except TypeError:
            return False
        return value is not None
    raise UsageError(f"field type {type_name!r} is not known to the engine")


# --------------------------------------------------------------------------- the machine

_NO_MESSAGE = DictMessage("", {})  # what the when of a send step sees (it reads no fields)


class RoleMachine:
    """One role of one run of a procedure (see module docstring)."""

    def __init__(
        self,
        procedure: Procedure,
        role: str,
        *,
        vars: MutableMapping[str, Any],
        facts: Facts,
        effects: EffectRegistry,
        trusted: Callable[[str, str], bool] = lambda a, b: False,
        message_factory: Callable[[str, Mapping[str, Any]], MessageView] = DictMessage,
        start: str | None = None,
    ) -> None:
        self.procedure = procedure
        self.role = procedure.role(role)
        if start is not None and start != self.role.initial and start not in self.role.resumes:
            raise UsageError(f"{procedure.name}/{role}: a run starts in {self.role.initial!r} "
                             f"or a state the model resumes in, not {start!r}")
        self.vars = vars
        self.facts = facts
        self.effects = effects
        self.trusted = trusted
        self.message_factory = message_factory
        self.state = start or self.role.initial
        self._table = (_TABLES.get(procedure, role)
                       or _TABLES.put(procedure, role, procedure.table(role)))
        missing = effects.missing(procedure, role)
        if missing:
            raise UsageError(f"{procedure.name}/{role}: effects not registered: {missing}")

    @property
    def done(self) -> bool:
        return self.state in self.role.final

    def expected(self) -> tuple[Step, ...]:
        """The steps the table allows in the current state (every branch of a cell)."""
        return tuple(s for cell in self._table[self.state].values() for s in cell)

    def step_for(self, message: MessageView, *, now: int) -> Step | None:
        """The step :meth:`feed` would take for ``message`` (its guards not yet checked), or
        None if the table has none."""
        cell = self._receiving(message)
        return self._select(cell, message, self.vars, now) if cell else None

    # ---- inputs
    def feed(self, message: MessageView, *, now: int) -> list[Action]:
        """Process a received ``message`` at local time ``now`` (NTP seconds)."""
        name = getattr(message, "name", None)
        cell = self._receiving(message)
        if not cell:
            raise self._unexpected(str(name))
        self._check_fields(cell[0], message)  # the steps of a cell share their message
        step = self._select(cell, message, self.vars, now)
        if step is None:
            raise self._unexpected(str(name))
        env = Env(message, self.vars, self.procedure.policy, now, self.facts, self.trusted)
        self._check_guards(step, env)
        ctx = self._context(step, message, {}, now, self.vars)
        self._run_effects(step, ctx)
        return self._commit([(step, ctx)], [], now)

    def send(self, message_name: str, *, now: int, params: Mapping[str, Any] | None = None
             ) -> list[Action]:
        """Take the step in which this role sends ``message_name``; ``params`` go to effects."""
        cell = self._table[self.state].get(("send", message_name), ())
        step = self._select(cell, _NO_MESSAGE, self.vars, now) if cell else None
        if step is None:
            raise UsageError(f"{self.procedure.name}/{self.role.name}: no step sends "
                             f"{message_name} in state {self.state!r}")
        ctx, message = self._send_step(step, params or {}, now, self.vars)
        return self._commit([(step, ctx)], [Send(step.peer, message, step.number)], now)

    def check_guards(self, step: Step, message: MessageView, *, now: int) -> None:
        """Check ``message`` against ``step``'s field types and guards without moving (used to
        replay proof counterexamples, including those of sending steps)."""
        self._check_fields(step, message)
        self._check_guards(step, Env(message, self.vars, self.procedure.policy, now, self.facts,
                                     self.trusted))

    # ---- internals
    def _receiving(self, message: MessageView) -> tuple[Step, ...]:
        """The table cell of the current state for receiving ``message`` (empty if none)."""
        name = getattr(message, "name", None)
        return self._table[self.state].get(("receive", name), ()) if isinstance(name, str) else ()

    def _select(self, cell: tuple[Step, ...], message: MessageView, vars: Mapping[str, Any],
                now: int) -> Step | None:
        """The first step of ``cell`` whose ``when`` holds (model.py: branches)."""
        if len(cell) == 1 and cell[0].when is None:
            return cell[0]
        env = Env(message, vars, self.procedure.policy, now, self.facts, self.trusted)
        for step in cell:
            if step.when is None:
                return step
            try:
                chosen = bool(step.when.to_python(env))
            except MckmError as exc:  # a branch condition that cannot be read: a refusal
                if isinstance(exc, UsageError):
                    raise
                raise self._refuse(step, f"branch condition not readable ({exc})",
                                   step.requirement, self.procedure.unexpected.mikey_error,
                                   None) from exc
            if chosen:
                return step
        return None

    def _send_step(self, step: Step, params: Mapping[str, Any], now: int,
                   vars: Mapping[str, Any]) -> tuple[EffectContext, MessageView]:
        ctx = self._context(step, None, params, now, vars)
        self._run_effects(step, ctx)
        message = self.message_factory(step.message, ctx.fields)
        self._check_fields(step, message)
        env = Env(message, ctx.staged_vars(), self.procedure.policy, now, self.facts, self.trusted)
        self._check_guards(step, env)
        return ctx, message

    def _context(self, step: Step, message: MessageView | None, params: Mapping[str, Any],
                 now: int, vars: Mapping[str, Any]) -> EffectContext:
        return EffectContext(step=step, message=message, params=params, vars=vars,
                             policy=self.procedure.policy, now=now, facts=self.facts)

    def _run_effects(self, step: Step, ctx: EffectContext) -> None:
        """Effects compute and store; they never refuse (every refusal is a guard's): an error
        one raises is a fault (UsageError, StoreError) and leaves the machine as it was."""
        for name in step.effects:
            self.effects[name](ctx)

    def _commit(self, taken: list[tuple[Step, EffectContext]], actions: list[Action], now: int
                ) -> list[Action]:
        """Take the send steps the new state makes automatic, on the staged variables, then
        commit every step's updates and the final state at once: a refusal anywhere in the
        chain (an auto send's effect or guard) leaves the machine as it was."""
        out: list[Action] = [*actions, *taken[-1][1].emitted]
        staged = ChainMap(taken[-1][1].updates, self.vars)
        state = taken[-1][0].target
        while True:
            auto = next((s for cell in self._table[state].values() for s in cell
                         if s.auto and s.action == "send"), None)
            if auto is None:
                break
            ctx, message = self._send_step(auto, {}, now, staged)
            taken.append((auto, ctx))
            out += [Send(auto.peer, message, auto.number), *ctx.emitted]
            staged = ChainMap(ctx.updates, *staged.maps)
            state = auto.target
        for _, ctx in taken:
            self.vars.update(ctx.updates)
        self.state = state
        return out

    def _check_fields(self, step: Step, message: MessageView) -> None:
        spec = self.procedure.message(step.message)
        for field_name, type_name in spec.fields.items():
            try:
                value = message.get(field_name)
            except (KeyError, AttributeError):
                value = None
            if value is None and field_name in spec.optional:
                continue
            if value is None:
                raise self._refuse(step, f"field {field_name} is missing", step.requirement,
                                   self.procedure.unexpected.mikey_error, None)
            if not _type_ok(type_name, value, self.procedure.policy):
                raise self._refuse(step, f"field {field_name} is not a valid {type_name}",
                                   step.requirement, self.procedure.unexpected.mikey_error, None)

    def _check_guards(self, step: Step, env: Env) -> None:
        for guard in step.guards:
            result = self._holds(step, guard, env)
            if not result:
                reason, error = guard.reason, guard.mikey_error
                if isinstance(result, Verdict):  # the fact says why (models/procedures/verdict)
                    reason = f"{reason}: {result.reason}" if result.reason else reason
                    error = error if error is not None else result.error
                raise self._refuse(step, reason, guard.requirement, error, guard.name)

    def _holds(self, step: Step, guard: Guard, env: Env) -> Any:
        try:
            return guard.expr.to_python(env)
        except UpstreamError:  # a party the fact must ask could not be asked: no verdict
            raise
        except MckmError as exc:  # a crypto fact that cannot even be evaluated: a refusal
            raise self._refuse(step, f"{guard.reason} ({exc})", guard.requirement,
                               guard.mikey_error, guard.name) from exc

    def _refuse(self, step: Step, reason: str, requirement: str, mikey_error: int | None,
                guard: str | None) -> StepRefused:
        return StepRefused(reason, procedure=self.procedure.name, state=self.state,
                           message=step.message, clause=self.procedure.clause,
                           requirement=requirement, mikey_error=mikey_error,
                           step=step.number, guard=guard)

    def _unexpected(self, name: str) -> StepRefused:
        allowed = [f"{s.label}" for s in self.expected()] or ["nothing (final state)"]
        refusal = self.procedure.unexpected
        return StepRefused(f"{refusal.reason}; expected {', '.join(allowed)}",
                           procedure=self.procedure.name, state=self.state, message=name,
                           clause=self.procedure.clause, requirement=refusal.requirement,
                           mikey_error=refusal.mikey_error)
