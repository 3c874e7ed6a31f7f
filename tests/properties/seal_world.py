"""A symbolic crypto layer and fake effects to play the SEAL key-distribution model.

``SymbolicFacts`` is Dolev-Yao in code: a UID is the tuple ``("uid", uri, period)``; a signature
is ``("sig", uid, digest of every other field)``, which only ``sign`` makes; a SAKKE payload is
``("sakke", uid, handle)`` whose key sits in a vault that only ``decapsulate`` with the same
UID opens.  The effects named by the model (``seal.*``) are implemented here on top of it (the
field writes and the replay cache by the engine's generic effects, from the model); the real
ones (ECCSI, SAKKE, TS 33.180 UID) live in ``impl/roles/seal``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from mckm.impl.engine import EffectContext, EffectRegistry, RoleMachine, Send
from mckm.impl.engine.sending import field_writer
from mckm.impl.redact import Secret
from mckm.models.policy import PURPOSES, encode_key_id, purpose_of
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.seal_key_distribution import PROCEDURE, SEND_WRITES
from tests.properties.generator import Attack, Run, Scenario, play

PERIOD = 2592000  # TS 33.179 F.2.1 example key period (s)
OFFSET = 0
KMS = "kms.example.org"
USERS = ("sip:alice@example.org", "sip:bob@example.org", "sip:carol@example.org")


class SymbolicFacts:
    """Symbolic signatures and encryption (see module docstring)."""

    def __init__(self) -> None:
        self._vault: dict[int, Secret[bytes]] = {}

    # -- Facts protocol (what guards ask)
    def uid(self, identity: str, period: int) -> Any:
        return ("uid", identity, period)

    def period_of(self, time: int) -> int:
        return (time - OFFSET) // PERIOD

    def signed_by(self, message: Any, uid: Any) -> bool:
        return bool(message.get("sign") == ("sig", uid, self._digest(message)))

    def encrypted_to(self, blob: Any, uid: Any) -> bool:
        return (isinstance(blob, tuple) and len(blob) == 3 and blob[0] == "sakke"
                and blob[1] == uid and blob[2] in self._vault)

    def key_fits(self, store: Any, message: Any, uid: Any, purpose: Any) -> bool:
        return store is None or message.get("csb_id") not in store  # a store of held ids

    # -- operations (what effects do)
    def sign(self, fields: Mapping[str, Any], uid: Any) -> tuple[Any, ...]:
        return ("sig", uid, self._digest(fields))

    def encapsulate(self, key: Secret[bytes], uid: Any) -> tuple[Any, ...]:
        handle = len(self._vault)
        self._vault[handle] = key
        return ("sakke", uid, handle)

    def decapsulate(self, blob: Any, uid: Any) -> Secret[bytes]:
        assert self.encrypted_to(blob, uid)
        return self._vault[blob[2]]

    @staticmethod
    def _digest(fields: Any) -> str:
        items = sorted((k, repr(fields.get(k))) for k in fields if k != "sign")
        return hashlib.sha256(repr(items).encode()).hexdigest()


def _facts(ctx: EffectContext) -> SymbolicFacts:
    assert isinstance(ctx.facts, SymbolicFacts)
    return ctx.facts


def new_key(ctx: EffectContext) -> None:
    ctx.scratch["key"] = Secret(ctx.params["key"] + ctx.params.get("run", 0).to_bytes(4, "big"))
    purpose = PURPOSES.by_name(ctx.params["purpose"]).value
    ctx.set_field("csb_id", encode_key_id(purpose, ctx.params["random"],
                                          ctx.policy["key_id_layout"]))
    ctx.set_field("rand", ctx.params["rand"] + ctx.params.get("run", 0).to_bytes(4, "big"))


def encapsulate_key(ctx: EffectContext) -> None:
    f = _facts(ctx)
    uid = f.uid(ctx.fields["idrr"], f.period_of(ctx.fields["t"]))
    ctx.set_field("sakke", f.encapsulate(ctx.scratch["key"], uid))


def sign(ctx: EffectContext) -> None:
    f = _facts(ctx)
    uid = f.uid(ctx.fields["idri"], f.period_of(ctx.fields["t"]))
    ctx.set_field("sign", f.sign(ctx.fields, uid))


def remember_sent_key(ctx: EffectContext) -> None:
    ctx.set_var("sent_keys", {**ctx.var("sent_keys", {}), ctx.fields["csb_id"]: ctx.scratch["key"]})
    ctx.emit("key", (ctx.fields["csb_id"], ctx.scratch["key"]))


def remember_rand(ctx: EffectContext) -> None:
    assert ctx.message is not None
    ctx.set_var("replay_cache", ctx.var("replay_cache") | {ctx.message.get("rand")})


def store_key(ctx: EffectContext) -> None:
    assert ctx.message is not None
    f = _facts(ctx)
    key = f.decapsulate(ctx.message.get("sakke"), f.uid(ctx.var("uri"), ctx.var("period")))
    sk_id = ctx.message.get("csb_id")
    ctx.set_var("keys", {**ctx.var("keys", {}), sk_id: key})
    ctx.emit("key", (sk_id, key))


EFFECTS = EffectRegistry({
    "seal.new_key": new_key, "seal.fill_header": field_writer(SEND_WRITES),
    "seal.encapsulate_key": encapsulate_key, "seal.sign": sign,
    "seal.remember_sent_key": remember_sent_key, "seal.remember_rand": remember_rand,
    "seal.store_key": store_key,
})


def initiator_vars(uri: str = USERS[0], peer: str = USERS[1]) -> dict[str, Any]:
    return {"uri": uri, "kms_uri": KMS, "purposes": PURPOSES.values(), "peer": peer,
            "peer_kms": KMS}


def receiver_vars(uri: str, now: int, facts: SymbolicFacts) -> dict[str, Any]:
    return {"uri": uri, "period": facts.period_of(now), "trusted_kms": frozenset({KMS}),
            "replay_cache": frozenset(), "accepted_purposes": PURPOSES.values(),
            "group_servers": frozenset({USERS[0]}), "key_store": None}


def machines(procedure: Procedure, facts: SymbolicFacts, receiver: dict[str, Any]
             ) -> dict[str, RoleMachine]:
    return {"initiator": RoleMachine(procedure, "initiator", vars=initiator_vars(), facts=facts,
                                     effects=EFFECTS),
            "receiver": RoleMachine(procedure, "receiver", vars=receiver, facts=facts,
                                    effects=EFFECTS)}


WINDOW = int(PROCEDURE.policy["replay_window"])
#: times well inside one key period, so that a run and its stale copy share the period
TIMES = st.integers(min_value=3 * PERIOD + 4 * WINDOW, max_value=4 * PERIOD - 4 * WINDOW)

PARAMS = st.fixed_dictionaries({
    "now": TIMES,
    "purpose": st.sampled_from([p.name for p in PURPOSES]),
    "random": st.integers(0, 2**28 - 1),
    "key": st.binary(min_size=12, max_size=12),
    "rand": st.binary(min_size=12, max_size=12),
    "to": st.just(USERS[1]),
})


def scenario(procedure: Procedure = PROCEDURE) -> Scenario:
    facts = SymbolicFacts()
    stores: dict[str, dict[str, Any]] = {}

    def reset() -> None:
        stores.clear()

    def make(params: Mapping[str, Any], shared: bool) -> dict[str, RoleMachine]:
        fresh = receiver_vars(params["to"], params["now"], facts)
        store = stores.setdefault(params["to"], fresh) if shared else fresh
        return machines(procedure, facts, store)

    def receiver_with(run: Run, **changes: Any) -> RoleMachine:
        vars = {**receiver_vars(run.params["to"], run.now, facts), **changes}
        return machines(procedure, facts, vars)["receiver"]

    def misaddressed(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        d = run.deliveries[0]
        carol = receiver_with(run, uri=USERS[2])
        return Attack(carol, d.message, d.now, "misaddressed", d.step)

    def wrong_period(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        shift = data.draw(st.sampled_from([-1, 1]), label="periods") * PERIOD
        late = {**run.params, "now": run.now + shift}
        # an honest initiator whose clock is one key period off signs for its own period
        out = play(scn, make(late, False), late, stop_before=0)
        assert not out.deliveries
        sent = machines(procedure, facts, {})["initiator"].send("I_MESSAGE", now=late["now"],
                                                               params=late)
        assert isinstance(sent[0], Send)
        return Attack(receiver_with(run), sent[0].message, late["now"], "wrong-period",
                      run.deliveries[0].step)

    def stale(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        d = run.deliveries[0]
        delay = data.draw(st.integers(WINDOW + 1, 3 * WINDOW), label="delay")
        return Attack(receiver_with(run), d.message, d.now + delay, "stale", d.step)

    def untrusted_kms(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        d = run.deliveries[0]
        return Attack(receiver_with(run, trusted_kms=frozenset({"other.kms"})), d.message, d.now,
                      "untrusted-kms", d.step)

    def wrong_purpose(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        d = run.deliveries[0]
        sent = purpose_of(d.message.get("csb_id"), procedure.policy["key_id_layout"])
        return Attack(receiver_with(run, accepted_purposes=PURPOSES.values() - {sent}), d.message,
                      d.now, "wrong-purpose", d.step)

    def unauthorised_group_key(scn: Scenario, run: Run, data: st.DataObject) -> Attack:
        # an honest user who is not an authorised SGM-S sends a group key (REQ-SEAL-KD-14)
        gmk = {**run.params, "purpose": "GMK"}
        sent = machines(procedure, facts, {})["initiator"].send("I_MESSAGE", now=gmk["now"],
                                                               params=gmk)
        assert isinstance(sent[0], Send)
        return Attack(receiver_with(run, group_servers=frozenset()), sent[0].message,
                      gmk["now"], "unauthorised-group-key", run.deliveries[0].step)

    return Scenario(procedure, make, ("initiator", "I_MESSAGE"), PARAMS, "key",
                    threats={"misaddressed": misaddressed, "wrong-period": wrong_period,
                             "stale": stale, "untrusted-kms": untrusted_kms,
                             "wrong-purpose": wrong_purpose,
                             "unauthorised-group-key": unauthorised_group_key},
                    reset=reset)
