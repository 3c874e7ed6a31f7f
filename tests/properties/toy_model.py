"""A toy procedure whose right answers are known, to test the generator and the engine.

PING/PONG: ``a`` sends PING(nonce, to=b's name) (step 1); ``b`` accepts it only if addressed to
it and its nonce is new (step 2), then answers PONG(nonce) at once (step 3, auto); ``a`` accepts
a PONG only with its own nonce (step 4).  Both emit ``agreed`` = the nonce.  Known answers:
every legal run completes and agrees; a replayed PING is refused by ``fresh-nonce``
(REQ-TOY-03, MIKEY error 1); a PING to the wrong name by ``addressed`` (REQ-TOY-02, error 7);
a PONG to an idle ``a`` is out of order (REQ-TOY-05); a PONG with another nonce by
``own-nonce`` (REQ-TOY-04, error 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from mckm.impl.engine import EffectContext, EffectRegistry, RoleMachine
from mckm.models.procedures.expr import Eq, Field, NotIn, Self
from mckm.models.procedures.model import Guard, MessageSpec, Procedure, Refusal, Role, Step
from tests.properties.generator import Attack, Run, Scenario

TOY = Procedure(
    name="toy-ping-pong",
    title="toy PING/PONG",
    clause="toy clause 1",
    roles=(Role("a", "idle", ("done",), {"nonce": "blob", "name": "ident"}),
           Role("b", "listening", ("answered",), {"name": "ident", "seen": "set[blob]"})),
    messages=(MessageSpec("PING", {"nonce": "blob", "to": "ident", "from": "ident"}),
              MessageSpec("PONG", {"nonce": "blob"})),
    steps=(
        Step("1", "a", "send", "PING", "b", "idle", "waiting", "REQ-TOY-01", "a pings b",
             effects=("toy.ping",)),
        Step("2", "b", "receive", "PING", "a", "listening", "answering", "REQ-TOY-01",
             "b checks the ping",
             guards=(Guard("addressed", Eq(Field("to"), Self("name")), "REQ-TOY-02",
                           "not for me", 7, ("misaddressed",)),
                     Guard("fresh-nonce", NotIn(Field("nonce"), Self("seen")), "REQ-TOY-03",
                           "nonce seen before", 1, ("replay",))),
             effects=("toy.remember",)),
        Step("3", "b", "send", "PONG", "a", "answering", "answered", "REQ-TOY-01", "b pongs",
             effects=("toy.pong",), auto=True),
        Step("4", "a", "receive", "PONG", "b", "waiting", "done", "REQ-TOY-01", "a checks",
             guards=(Guard("own-nonce", Eq(Field("nonce"), Self("nonce")), "REQ-TOY-04",
                           "not my nonce", 0, ("tampered",)),),
             effects=("toy.agree",)),
    ),
    requirements={f"REQ-TOY-0{i}": f"toy requirement {i}" for i in range(1, 6)},
    unexpected=Refusal("REQ-TOY-05", 12),
)


def _ping(ctx: EffectContext) -> None:
    nonce = ctx.params["nonce"] + ctx.params.get("run", 0).to_bytes(4, "big")
    ctx.set_field("nonce", nonce)
    ctx.set_field("to", ctx.params["to"])
    ctx.set_field("from", ctx.var("name"))
    ctx.set_var("nonce", nonce)


def _remember(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("seen", ctx.var("seen") | {ctx.message.get("nonce")})
    ctx.set_var("last", ctx.message.get("nonce"))
    ctx.emit("agreed", ctx.message.get("nonce"))


def _pong(ctx: EffectContext) -> None:
    ctx.set_field("nonce", ctx.var("last"))


def _agree(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.emit("agreed", ctx.message.get("nonce"))


EFFECTS = EffectRegistry({"toy.ping": _ping, "toy.remember": _remember, "toy.pong": _pong,
                          "toy.agree": _agree})


class NullFacts:
    """The toy uses no crypto facts (its guards read fields and role variables only)."""


def scenario(procedure: Procedure = TOY, effects: EffectRegistry = EFFECTS) -> Scenario:
    stores: dict[str, dict[str, Any]] = {}

    def reset() -> None:
        stores["b"] = {"name": "bob", "seen": frozenset()}

    reset()

    def make(params: Mapping[str, Any], shared: bool) -> dict[str, RoleMachine]:
        b_vars = stores["b"] if shared else {"name": "bob", "seen": frozenset()}
        return {"a": RoleMachine(procedure, "a", vars={"name": "alice"}, facts=NullFacts(),
                                 effects=effects),
                "b": RoleMachine(procedure, "b", vars=b_vars, facts=NullFacts(),
                                 effects=effects)}

    def misaddressed(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        ping = run.deliveries[0]
        other = RoleMachine(procedure, "b", vars={"name": "carol", "seen": frozenset()},
                            facts=NullFacts(), effects=effects)
        return Attack(other, ping.message, ping.now, "misaddressed", ping.step)

    params = st.fixed_dictionaries({"nonce": st.binary(min_size=2, max_size=4),
                                    "to": st.just("bob"), "now": st.just(0)})
    return Scenario(procedure, make, ("a", "PING"), params, "agreed",
                    threats={"misaddressed": misaddressed}, reset=reset)
