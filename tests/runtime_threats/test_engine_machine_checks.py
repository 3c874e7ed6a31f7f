"""The role machine's own checks (mckm.impl.engine.machine), on a toy procedure.

The engine's documented contract (machine.py module docstring; model.py "Branches";
verdict.py): a received message whose field is missing or ill-typed, or whose guard does not
hold or cannot be evaluated, is refused with a ``StepRefused`` that names the step, the
requirement and the MIKEY error (RFC 3830 6.12, RFC 6043 6.9) -- never another exception, and
nothing moves; among the steps of one table cell the first whose ``when`` holds is taken, and
``when`` reads the same message, role variables, policy, clock, facts and trust relation as
the guards.  The field types are those of the models: ``time`` is NTP seconds (RFC 3830 6.6,
never negative), ``key_id`` fits the policy's key-id layout (TS 33.434 6.Y.2: the 32-bit SK-ID
by default), ``ident`` a non-empty URI, ``blob`` immutable octets.

A toy procedure is used because the real roles' codecs only ever hand the engine values their
grammar already typed: the checks here are the engine's last line against a codec or a model
that does not, and no real octets can reach them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import construct as c
import pytest

from mckm.impl.engine import DictMessage, EffectContext, EffectRegistry, RoleMachine
from mckm.impl.engine.refusal import StepRefused
from mckm.impl.errors import DecodeError, UsageError
from mckm.models.procedures.expr import And, Apply, Eq, Field, Now, Policy, Self, Trusted, Within
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from mckm.models.procedures.predicates import predicate
from mckm.models.procedures.verdict import YES, Verdict

PEER = "sip:peer-kms@example.org"
ME = "sip:me-kms@example.org"
GARBLED = "sip:garbled@example.org"  # a name the toy facts cannot even read (DecodeError)
QUIET = "sip:quiet@example.org"  # a peer the facts refuse without saying why

KNOWN = predicate("ToyKnown", ("peer", "ident"), result="bool", fact="known",
                  text="known({peer})", clause="toy")
READABLE = predicate("ToyReadable", ("peer", "ident"), result="bool", fact="readable",
                     text="readable({peer})", clause="toy")
VOUCHED = predicate("ToyVouched", ("peer", "ident"), result="bool", fact="vouched",
                    text="vouched({peer})", clause="toy")


class ToyFacts:
    """Facts of the toy: which peers are known / readable / vouched for."""

    def known(self, peer: str) -> bool:
        if peer == GARBLED:
            raise DecodeError("peer name does not decode")
        return peer == PEER

    def readable(self, peer: str) -> bool:
        if peer == GARBLED:
            raise DecodeError("peer name does not decode")
        return True

    def vouched(self, peer: str) -> Verdict:
        if peer == QUIET:
            return Verdict.no("", 5)  # refused, no reason given, a MIKEY error of its own
        return YES


def _trust(a: str, b: str) -> bool:
    return (a, b) == (PEER, ME)


GUARDED_GUARDS = (
    Guard("readable", Apply(READABLE, (Field("from"),)), "REQ-E-04", "peer name unreadable", 2),
    Guard("vouched", Apply(VOUCHED, (Field("from"),)), "REQ-E-05", "peer not vouched for"),
    Guard("trusted", Trusted(Field("from"), Self("name")), "REQ-E-06", "peer not trusted", 13),
)
BRANCH_WHEN = And(Apply(KNOWN, (Field("from"),)), Eq(Field("from"), Policy("peer")),
                  Within(Field("t"), Now(), Policy("window")),
                  Trusted(Field("from"), Self("name")))

TOY = Procedure(
    name="toy-engine-checks",
    title="toy procedure for the engine's checks",
    clause="toy clause 9",
    roles=(Role("r", "ready", ("done", "branched", "fallback"), {"name": "ident"}),
           Role("p", "idle", ("idle",))),
    messages=(
        MessageSpec("TYPED", {"opt": "ident", "t": "time", "k": "key_id", "i": "ident",
                              "b": "blob", "n": "int"}, optional=frozenset({"opt"})),
        MessageSpec("BRANCH", {"from": "ident", "t": "time"}),
        MessageSpec("ONLY", {"from": "ident"}),
        MessageSpec("GUARDED", {"from": "ident"}),
        MessageSpec("ODD", {"x": "float"}),
    ),
    steps=(
        Step("1", "r", "receive", "TYPED", "p", "ready", "done", "REQ-E-01", "typed fields",
             effects=("toy.note",)),
        Step("2a", "r", "receive", "BRANCH", "p", "ready", "branched", "REQ-E-02",
             "a known, trusted peer within the window", when=BRANCH_WHEN),
        Step("2", "r", "receive", "BRANCH", "p", "ready", "fallback", "REQ-E-02", "anyone else"),
        Step("3", "r", "receive", "ONLY", "p", "ready", "done", "REQ-E-03", "only from me",
             when=Eq(Field("from"), Self("name"))),
        Step("5", "r", "receive", "GUARDED", "p", "ready", "done", "REQ-E-04", "guarded",
             guards=GUARDED_GUARDS),
        Step("6", "r", "receive", "ODD", "p", "ready", "done", "REQ-E-01", "a type unknown"),
    ),
    requirements={f"REQ-E-0{i}": f"toy requirement {i}" for i in range(1, 8)},
    unexpected=Refusal("REQ-E-07", 12),
    policy={"peer": PEER, "window": 30},
)
#: a 16-bit key-id layout (purpose || random), as a deployment's policy may name one
ID16 = c.BitStruct("purpose" / c.BitsInteger(4), "random" / c.BitsInteger(12))
TOY16 = TOY.with_policy(key_id_layout=ID16)


def _note(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("noted", ctx.message.get("i"))


def _registry() -> EffectRegistry:
    registry = EffectRegistry()
    registry.register("toy.note", _note)
    return registry


def _machine(procedure: Procedure = TOY, registry: EffectRegistry | None = None) -> RoleMachine:
    return RoleMachine(procedure, "r", vars={"name": ME}, facts=ToyFacts(),
                       effects=registry or _registry(), trusted=_trust)


GOOD_TYPED: dict[str, Any] = {"t": 0, "k": (1 << 32) - 1, "i": PEER, "b": b"\x00\x01",
                              "n": -5}


def _typed(**changes: Any) -> DictMessage:
    return DictMessage("TYPED", {**GOOD_TYPED, **changes})


class StrictMessage:
    """A message view that raises ``KeyError`` for a field it lacks (as a codec adapter may)."""

    def __init__(self, name: str, fields: Mapping[str, Any]) -> None:
        self.name = name
        self._fields = dict(fields)

    def get(self, field: str) -> Any:
        return self._fields[field]


def _refused(machine: RoleMachine, message: Any, now: int = 1000) -> StepRefused:
    with pytest.raises(StepRefused) as exc:
        machine.feed(message, now=now)
    assert machine.state == "ready" and "noted" not in machine.vars  # nothing moved
    return exc.value


def _why(refusal: StepRefused) -> str:
    """The reason the engine gave, out of the refusal's text (``refused[ by ..]: WHY (clause``)."""
    _, sep, rest = refusal.reason.partition(" refused")
    assert sep and rest.endswith(")")
    why = rest.split(": ", 1)[1]
    return why[:why.rindex(f" ({TOY.clause}")]


# --------------------------------------------------------------------------- field types


def test_well_typed_edge_values_are_accepted() -> None:
    """time 0, the largest 32-bit SK-ID, a negative int, optional field absent: all legal."""
    machine = _machine()
    machine.feed(_typed(), now=0)
    assert machine.state == "done" and machine.vars["noted"] == PEER
    # the optional field, when a view raises KeyError for it, is still just absent
    strict = _machine()
    strict.feed(StrictMessage("TYPED", GOOD_TYPED), now=0)
    assert strict.state == "done"


@pytest.mark.parametrize(("field", "value"), [
    ("t", -1),  # NTP time before the epoch
    ("t", "0"),  # not an int at all
    ("n", True),  # a bool is not an int field
    ("k", 1 << 32),  # one past the 32-bit SK-ID
    ("k", -1),
    ("i", ""),  # an empty URI
    ("i", 5),  # not a string
    ("b", bytearray(b"\x00")),  # mutable: not a value a guard may compare and keep
    ("opt", ""),  # an optional field present must still be well typed
])
def test_an_ill_typed_field_is_refused_with_the_steps_requirement(field: str,
                                                                  value: Any) -> None:
    refusal = _refused(_machine(), _typed(**{field: value}))
    assert _why(refusal) == f"field {field} is not a valid {TOY.message('TYPED').fields[field]}"
    assert (refusal.step, refusal.requirement, refusal.mikey_error) == ("1", "REQ-E-01", 12)


def test_a_missing_field_is_refused_even_after_an_absent_optional_one() -> None:
    """``opt`` comes first and is absent; the required ``b`` after it is missing too."""
    fields = {k: v for k, v in GOOD_TYPED.items() if k != "b"}
    for message in (DictMessage("TYPED", fields), StrictMessage("TYPED", fields)):
        refusal = _refused(_machine(), message)
        assert _why(refusal) == "field b is missing"
        assert (refusal.step, refusal.requirement, refusal.mikey_error) == ("1", "REQ-E-01", 12)
    # and an ill-typed field after the absent optional one
    _refused(_machine(), _typed(t=-3))


def test_key_ids_are_checked_against_the_policys_layout() -> None:
    """TS 33.434 6.Y.2: the width of a key id is the policy's layout's, not always 32 bits."""
    wide = _machine(TOY16)
    refusal = _refused(wide, _typed(k=1 << 16))
    assert _why(refusal) == "field k is not a valid key_id"
    ok = _machine(TOY16)
    ok.feed(_typed(k=(1 << 16) - 1), now=0)
    assert ok.state == "done"


def test_a_field_type_the_engine_does_not_know_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="field type 'float' is not known"):
        _machine().feed(DictMessage("ODD", {"x": 1.5}), now=0)


# --------------------------------------------------------------------------- branches


def _branch(frm: str = PEER, t: int = 1000) -> DictMessage:
    return DictMessage("BRANCH", {"from": frm, "t": t})


def test_when_reads_policy_clock_facts_and_trust() -> None:
    """The branch is taken only when every part of its ``when`` holds: the peer is known to
    the facts, is the policy's peer, its time is within the window of ``now``, and trusted."""
    machine = _machine()
    assert machine.step_for(_branch(), now=1010).number == "2a"  # type: ignore[union-attr]
    machine.feed(_branch(), now=1010)
    assert machine.state == "branched"
    for msg, now in ((_branch(), 1100), (_branch(frm="sip:other@example.org"), 1000)):
        other = _machine()
        assert other.step_for(msg, now=now).number == "2"  # type: ignore[union-attr]
        other.feed(msg, now=now)
        assert other.state == "fallback"


def test_a_single_step_whose_when_fails_is_unexpected() -> None:
    """A cell of one step with a ``when``: if it does not hold, the table has no step."""
    machine = _machine()
    assert machine.step_for(DictMessage("ONLY", {"from": PEER}), now=0) is None
    refusal = _refused(machine, DictMessage("ONLY", {"from": PEER}))
    assert (refusal.step, refusal.requirement, refusal.mikey_error) == (None, "REQ-E-07", 12)
    machine.feed(DictMessage("ONLY", {"from": ME}), now=0)
    assert machine.state == "done"


def test_an_unreadable_branch_condition_is_a_refusal_of_that_step() -> None:
    refusal = _refused(_machine(), _branch(frm=GARBLED))
    assert _why(refusal).startswith("branch condition not readable (")
    assert (refusal.step, refusal.requirement, refusal.mikey_error) == ("2a", "REQ-E-02", 12)


# --------------------------------------------------------------------------- guards


def _guarded(frm: str) -> DictMessage:
    return DictMessage("GUARDED", {"from": frm})


def test_an_unevaluable_guard_is_a_refusal_by_that_guard() -> None:
    refusal = _refused(_machine(), _guarded(GARBLED))
    assert _why(refusal).startswith("peer name unreadable (")
    assert (refusal.step, refusal.guard, refusal.requirement, refusal.mikey_error) == (
        "5", "readable", "REQ-E-04", 2)


def test_a_verdict_without_reason_keeps_the_guards_and_gives_its_error() -> None:
    """verdict.py: the verdict's error is taken where the guard declares none; no reason, no
    addition to the guard's."""
    refusal = _refused(_machine(), _guarded(QUIET))
    assert (_why(refusal), refusal.guard, refusal.mikey_error) == (
        "peer not vouched for", "vouched", 5)


def test_check_guards_reads_the_trust_relation() -> None:
    machine = _machine()
    step = TOY.step("5")
    machine.check_guards(step, _guarded(PEER), now=0)  # trusted: no refusal
    with pytest.raises(StepRefused) as exc:
        machine.check_guards(step, _guarded("sip:other@example.org"), now=0)
    assert (exc.value.guard, exc.value.mikey_error) == ("trusted", 13)
    assert machine.state == "ready"


# --------------------------------------------------------------------------- effects


def test_registered_effects_run_and_missing_ones_stop_the_machine() -> None:
    incomplete = EffectRegistry()
    for _ in range(2):  # a pair found incomplete is not remembered as complete
        with pytest.raises(UsageError, match=r"toy\.note"):
            _machine(registry=incomplete)
    with pytest.raises(UsageError, match=r"no effect function registered for 'toy\.note'"):
        incomplete["toy.note"]
    registry = _registry()
    for _ in range(2):
        machine = _machine(registry=registry)
        machine.feed(_typed(), now=0)
        assert machine.vars["noted"] == PEER
