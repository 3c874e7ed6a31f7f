"""The engine's branches (several steps in one table cell, chosen by ``when``) and the atomic
commit of a step with the automatic sends it triggers, on the toy PING/PONG model."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mckm.impl.engine import DictMessage, EffectContext, EffectRegistry, RoleMachine, Send
from mckm.impl.engine.refusal import StepRefused
from mckm.models.procedures.expr import Eq, Field, In, Self
from mckm.models.procedures.model import Guard, Step
from tests.properties.toy_model import EFFECTS, TOY, NullFacts

# b answers a PING it has seen with PONG at once, without remembering it again (a "reuse")
KNOWN = Step("2k", "b", "receive", "PING", "a", "listening", "answering", "REQ-TOY-01",
             "b answers a known ping", when=In(Field("nonce"), Self("seen")),
             guards=(Guard("addressed", Eq(Field("to"), Self("name")), "REQ-TOY-02",
                           "not for me", 7),),
             effects=("toy.again",))
BRANCHED = dataclasses.replace(TOY, steps=(KNOWN, *TOY.steps))


def _again(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("last", ctx.message.get("nonce"))
    ctx.set_var("reused", True)


def _machine(seen: frozenset[bytes], effects: EffectRegistry | None = None) -> RoleMachine:
    registry = EffectRegistry({**{n: EFFECTS[n] for n in EFFECTS}, "toy.again": _again})
    return RoleMachine(BRANCHED, "b", vars={"name": "bob", "seen": seen}, facts=NullFacts(),
                       effects=effects or registry)


def _ping(nonce: bytes, to: str = "bob") -> DictMessage:
    return DictMessage("PING", {"nonce": nonce, "to": to, "from": "alice"})


def test_first_branch_whose_when_holds_is_taken() -> None:
    fresh = _machine(frozenset())
    assert fresh.step_for(_ping(b"n1"), now=0).number == "2"  # type: ignore[union-attr]
    out = fresh.feed(_ping(b"n1"), now=0)
    assert "reused" not in fresh.vars and fresh.vars["seen"] == {b"n1"}
    known = _machine(frozenset({b"n1"}))
    assert known.step_for(_ping(b"n1"), now=0).number == "2k"  # type: ignore[union-attr]
    out = known.feed(_ping(b"n1"), now=0)
    assert known.vars["reused"] is True and known.state == "answered"
    assert [a.step for a in out if isinstance(a, Send)] == ["3"]


def test_a_branch_refuses_with_its_own_guards() -> None:
    known = _machine(frozenset({b"n1"}))
    with pytest.raises(StepRefused) as exc:
        known.feed(_ping(b"n1", to="carol"), now=0)
    assert (exc.value.step, exc.value.guard) == ("2k", "addressed")
    assert known.state == "listening" and "reused" not in known.vars


def test_the_table_lists_branches_in_order_and_the_model_checks_them() -> None:
    cell = BRANCHED.table("b")["listening"][("receive", "PING")]
    assert [s.number for s in cell] == ["2k", "2"]
    with pytest.raises(ValueError, match="never be taken"):  # a step after a when-less one
        dataclasses.replace(TOY, steps=(*TOY.steps, dataclasses.replace(KNOWN, number="2x")))
    with pytest.raises(ValueError, match="send step cannot read message fields"):
        dataclasses.replace(TOY, steps=tuple(
            dataclasses.replace(s, when=Eq(Field("nonce"), Self("name")))
            if s.number == "1" else s for s in TOY.steps))


def test_a_refused_automatic_send_leaves_the_machine_as_it_was() -> None:
    """Step 2 succeeds, its automatic PONG (step 3) fails: nothing of step 2 is committed."""
    def broken_pong(ctx: EffectContext) -> None:
        ctx.set_field("nonce", None)  # a field the PONG spec requires: refused

    effects = EffectRegistry({**{n: EFFECTS[n] for n in EFFECTS}, "toy.again": _again,
                              "toy.pong": broken_pong})
    machine = _machine(frozenset(), effects)
    before: dict[str, Any] = dict(machine.vars)
    with pytest.raises(StepRefused) as exc:
        machine.feed(_ping(b"n2"), now=0)
    assert exc.value.step == "3"
    assert machine.state == "listening" and dict(machine.vars) == before
