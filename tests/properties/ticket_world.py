"""A symbolic world to play the MIKEY-TICKET models: MACs, KEMACs, tickets, a BSF, NDS/IP on Zk.

Dolev-Yao in code, like ``seal_world``: a V payload is ``("mac", key, digest of the other
fields)``, made only by ``mac``; a KEMAC is ``("kemac", key, handle)`` whose keys sit in a vault;
a ticket is ``("ticket", policy, handle, seal)`` with ``seal = ("tpk", kms, digest)``; a Zk
message carries ``nds = ("nds", sender, digest)`` made by the sending KMS's NDS/IP association.
The BSF maps a B-TID to its USS.  Effects that only store values are run from the model's
``VAR_WRITES``; the real effects will live in ``impl/roles/ticket``.  The facts methods answer
the predicates declared in ``models/procedures/predicates.py`` (``tests/proofs/test_predicates``
checks that they answer every one).

Topologies: one KMS (alice and bob at ``KMS_A``) and two KMSs (alice at ``KMS_A``, bob at
``KMS_B``, with ``KMS_A``/``KMS_B`` trusting each other); ``KMS_C`` is a third KMS nobody trusts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from mckm.impl.engine import EffectContext, EffectRegistry, RoleMachine
from mckm.impl.errors import DecodeError
from mckm.impl.redact import Secret
from mckm.models.policy.ticket_policy import ReusableTicketStore, TicketPolicy
from mckm.models.policy.trust import TrustRelation
from mckm.models.procedures.expr import Env
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS, VAR_WRITES
from mckm.models.procedures.model import Procedure
from tests.properties.generator import Attack, Run, Scenario, play

KMS_A, KMS_B, KMS_C = "kms.a.example", "kms.b.example", "kms.c.example"
ALICE, BOB, CAROL = "sip:alice@a.example", "sip:bob@b.example", "sip:carol@b.example"
BTID = {ALICE: "btid-alice@bsf", BOB: "btid-bob@bsf", CAROL: "btid-carol@bsf"}
VALIDITY = 3600
TRUST = TrustRelation.of([(KMS_A, KMS_B)], mutual=True)


def _digest(fields: Any, skip: str) -> str:
    items = sorted((k, repr(fields.get(k))) for k in fields if k != skip)
    return hashlib.sha256(repr(items).encode()).hexdigest()


def _policy_of(ticket: Any) -> TicketPolicy:
    if (isinstance(ticket, tuple) and len(ticket) == 4 and ticket[0] == "ticket"
            and isinstance(ticket[1], TicketPolicy)):
        return ticket[1]
    raise DecodeError("not a TICKET payload", payload="TICKET", field="ticket")


class TicketWorld:
    """Symbolic facts (the guards' ``TicketFacts``) and the operations effects use."""

    def __init__(self) -> None:
        self.vault: dict[int, Secret[bytes]] = {}
        self.uss = {BTID[u]: frozenset({u}) for u in BTID}

    # -- TicketFacts
    def naf_key(self, btid: Any, naf_id: str) -> Any:
        return ("naf", btid, naf_id)

    def mac_by(self, message: Any, key: Any) -> bool:
        return bool(message.get("v") == ("mac", key, _digest(message, "v")))

    def kemac_for(self, kemac: Any, key: Any) -> bool:
        return (isinstance(kemac, tuple) and len(kemac) == 3 and kemac[0] == "kemac"
                and kemac[1] == key and kemac[2] in self.vault)

    def uss_has(self, btid: Any, identity: str) -> bool:
        return identity in self.uss.get(btid, frozenset())

    def nds_from(self, message: Any, peer: str) -> bool:
        return bool(message.get("nds") == ("nds", peer, _digest(message, "nds")))

    def ticket_sealed_by(self, ticket: Any, kms: str) -> bool:
        try:
            policy = _policy_of(ticket)
        except DecodeError:
            return False
        return ticket[3] == self._seal(kms, policy, ticket[2]) and ticket[2] in self.vault

    def ticket_authorises(self, ticket: Any, identity: str) -> bool:
        return _policy_of(ticket).authorises(identity)

    def ticket_term(self, ticket: Any, attr: str) -> Any:
        if isinstance(ticket, tuple) and len(ticket) == 4 and ticket[0] == "tp" and attr == "kms":
            return ticket[3]  # a desired policy names its KMS
        return _policy_of(ticket).term(attr)

    def zk_keys(self, message: Any) -> bool:
        kemac = message.get("kemac")
        return (isinstance(kemac, tuple) and len(kemac) == 2 and kemac[0] == "clear"
                and kemac[1] in self.vault)

    def mpki_of(self, kemac: Any, key: Any) -> Any:
        return ("mpk", kemac[2]) if self.kemac_for(kemac, key) else None

    def stored_mpki(self, store: Any, ticket: Any) -> Any:
        entry = store.keys(ticket)
        return None if entry is None else ("mpk", entry[1])

    # -- operations
    @staticmethod
    def _seal(kms: str, policy: TicketPolicy, handle: int) -> tuple[Any, ...]:
        return ("tpk", kms, hashlib.sha256(repr((policy, handle)).encode()).hexdigest())

    def issue(self, kms: str, policy: TicketPolicy, keys: Secret[bytes]) -> tuple[Any, ...]:
        handle = len(self.vault)
        self.vault[handle] = keys
        return ("ticket", policy, handle, self._seal(kms, policy, handle))

    @staticmethod
    def mac(fields: Mapping[str, Any], key: Any) -> tuple[Any, ...]:
        return ("mac", key, _digest(fields, "v"))

    @staticmethod
    def nds(fields: Mapping[str, Any], sender: str) -> tuple[Any, ...]:
        return ("nds", sender, _digest(fields, "nds"))

    def facts_for(self, env: Env) -> TicketWorld:
        return self


def _w(ctx: EffectContext) -> TicketWorld:
    assert isinstance(ctx.facts, TicketWorld)
    return ctx.facts


def _msg(ctx: EffectContext) -> Any:
    assert ctx.message is not None
    return ctx.message


def _writer(name: str) -> Any:
    def effect(ctx: EffectContext) -> None:
        env = Env(_msg(ctx), ctx.staged_vars(), ctx.policy, ctx.now, ctx.facts)
        for var, expr in VAR_WRITES[name].items():
            ctx.set_var(var, expr.to_python(env))
    return effect


def _unique(ctx: EffectContext, tag: str) -> bytes:
    """Honest randomness: unique per run (auto and receiving steps get no parameters, so the
    ticket's vault handle, unique in the world, stands in for the run number there)."""
    ticket = ctx.var("ticket")
    handle = ticket[2] if isinstance(ticket, tuple) else len(_w(ctx).vault)
    return f"{tag}|{ctx.var('uri')}|{ctx.params.get('run', 0)}|{ctx.params.get('nonce', 0)}|" \
           f"{handle}".encode()


# ---- initiator
def build_request(ctx: EffectContext) -> None:
    w = _w(ctx)
    f = {"t": ctx.now, "randri": _unique(ctx, "randri"), "idri": ctx.var("uri"),
         "idrkms": ctx.var("kms_uri"),
         "tp": ("tp", frozenset({ctx.var("peer")}), int(ctx.params.get("reusable", 0)),
                ctx.var("kms_uri")),
         "idrpsk": ctx.var("btid")}
    f["v"] = w.mac(f, w.naf_key(ctx.var("btid"), ctx.var("kms_uri")))
    for k, v in f.items():
        ctx.set_field(k, v)


def open_request_kemac(ctx: EffectContext) -> None:
    handle = _msg(ctx).get("kemac")[2]
    ctx.set_var("mpki", ("mpk", handle))
    ctx.set_var("keys", _w(ctx).vault[handle])


def build_transfer_init(ctx: EffectContext) -> None:
    f = {"t": ctx.now, "randri": _unique(ctx, "randri-t"), "idri": ctx.var("uri"),
         "idrr": ctx.var("peer"), "ticket": ctx.var("ticket")}
    f["v"] = _w(ctx).mac(f, ctx.var("mpki"))
    for k, v in f.items():
        ctx.set_field(k, v)


def accept(ctx: EffectContext) -> None:
    ctx.emit("key", ctx.var("keys"))


# ---- KMS
def remember_rand(ctx: EffectContext) -> None:
    m = _msg(ctx)
    rand = m.get("randrr") if m.name.startswith("RESOLVE_INIT") else m.get("randri")
    ctx.set_var("replay_cache", ctx.var("replay_cache") | {rand})
    ctx.set_var("randrr", rand)


def issue_ticket(ctx: EffectContext) -> None:
    m, w = _msg(ctx), _w(ctx)
    responders = m.get("tp")[1]
    policy = TicketPolicy(kms=ctx.var("uri"), initiator=m.get("idri"), responders=responders,
                          trs=ctx.now - 60, tre=ctx.now + VALIDITY,
                          reusable=int(m.get("tp")[2]))
    keys = Secret(b"MPKi+TGK|" + _unique(ctx, "keys") + m.get("randri"))
    ticket = w.issue(ctx.var("uri"), policy, keys)
    ctx.set_var("ticket", ticket)
    ctx.set_var("btid", m.get("idrpsk"))
    ctx.emit("key", keys)


def build_request_resp(ctx: EffectContext) -> None:
    w = _w(ctx)
    ticket, key = ctx.var("ticket"), w.naf_key(ctx.var("btid"), ctx.var("uri"))
    f = {"t": ctx.now, "idrkms": ctx.var("uri"), "ticket": ticket,
         "kemac": ("kemac", key, ticket[2])}
    f["v"] = w.mac(f, key)
    for k, v in f.items():
        ctx.set_field(k, v)


def open_ticket(ctx: EffectContext) -> None:
    ctx.set_var("handle", ctx.var("ticket")[2])


def build_resolve_resp(ctx: EffectContext) -> None:
    w = _w(ctx)
    key = w.naf_key(ctx.var("btid"), ctx.var("uri"))
    f = {"t": ctx.now, "idrkms": ctx.var("uri"), "idrr": ctx.var("requester"),
         "kemac": ("kemac", key, ctx.var("handle"))}
    f["v"] = w.mac(f, key)
    for k, v in f.items():
        ctx.set_field(k, v)


def build_zk_request(ctx: EffectContext) -> None:
    f = {"t": ctx.now, "randrr": b"fwd|" + ctx.var("randrr"), "idrr": ctx.var("requester"),
         "idrkms": ctx.var("issuer"), "ticket": ctx.var("ticket"), "zk_from": ctx.var("uri"),
         "zk_to": ctx.var("issuer")}
    f["nds"] = _w(ctx).nds(f, ctx.var("uri"))
    for k, v in f.items():
        ctx.set_field(k, v)


def build_zk_resp(ctx: EffectContext) -> None:
    f = {"t": ctx.now, "idrkms": ctx.var("uri"), "kemac": ("clear", ctx.var("handle")),
         "idrr": ctx.var("requester"), "zk_from": ctx.var("uri"), "zk_to": ctx.var("peer")}
    f["nds"] = _w(ctx).nds(f, ctx.var("uri"))
    for k, v in f.items():
        ctx.set_field(k, v)


def take_zk_keys(ctx: EffectContext) -> None:
    handle = _msg(ctx).get("kemac")[1]
    ctx.set_var("handle", handle)
    ctx.emit("key", _w(ctx).vault[handle])


# ---- responder
def build_resolve_init(ctx: EffectContext) -> None:
    w = _w(ctx)
    f = {"t": ctx.now, "randrr": _unique(ctx, "randrr"), "idrr": ctx.var("uri"),
         "idrkms": ctx.var("kms_uri"), "ticket": ctx.var("ticket"), "idrpsk": ctx.var("btid")}
    f["v"] = w.mac(f, w.naf_key(ctx.var("btid"), ctx.var("kms_uri")))
    for k, v in f.items():
        ctx.set_field(k, v)


def open_kemac(ctx: EffectContext) -> None:
    handle = _msg(ctx).get("kemac")[2]
    ctx.set_var("handle", handle)
    ctx.set_var("keys", _w(ctx).vault[handle])


def store_reusable(ctx: EffectContext) -> None:
    ticket = ctx.var("ticket")
    ctx.set_var("reusable", ctx.var("reusable").with_entry(
        ticket, (ctx.var("keys"), ctx.var("handle")), _policy_of(ticket)))


def reuse_keys(ctx: EffectContext) -> None:
    keys, handle = ctx.var("reusable").keys(ctx.var("ticket"))
    ctx.set_var("keys", keys)
    ctx.set_var("handle", handle)


def build_transfer_resp(ctx: EffectContext) -> None:
    f = {"t": ctx.now, "idrr": ctx.var("uri")}
    f["v"] = _w(ctx).mac(f, ("mpk", ctx.var("handle")))
    for k, v in f.items():
        ctx.set_field(k, v)
    ctx.emit("key", ctx.var("keys"))


EFFECTS = EffectRegistry({
    **{name: _writer(name) for name in VAR_WRITES},
    "ticket.initiator.build_request": build_request,
    "ticket.initiator.build_transfer_init": build_transfer_init,
    "ticket.initiator.accept": accept,
    "ticket.kms.remember_rand": remember_rand,
    "ticket.kms.issue_ticket": issue_ticket,
    "ticket.kms.build_request_resp": build_request_resp,
    "ticket.kms.open_ticket": open_ticket,
    "ticket.kms.build_resolve_resp": build_resolve_resp,
    "ticket.kms.build_zk_request": build_zk_request,
    "ticket.kms.build_zk_resp": build_zk_resp,
    "ticket.kms.take_zk_keys": take_zk_keys,
    "ticket.responder.remember_rand": remember_rand,
    "ticket.responder.build_resolve_init": build_resolve_init,
    "ticket.responder.open_kemac": open_kemac,
    "ticket.responder.store_reusable": store_reusable,
    "ticket.responder.reuse_keys": reuse_keys,
    "ticket.responder.build_transfer_resp": build_transfer_resp,
})
_store_ticket = EFFECTS["ticket.initiator.store_ticket"]
EFFECTS.register("ticket.initiator.store_ticket",
                 lambda ctx: (_store_ticket(ctx), open_request_kemac(ctx))[-1])


def ue_vars(uri: str, kms: str) -> dict[str, Any]:
    return {"uri": uri, "kms_uri": kms, "btid": BTID[uri], "ticket": None}


def kms_vars(uri: str) -> dict[str, Any]:
    return {"uri": uri, "replay_cache": frozenset(), "requester": None, "btid": None,
            "ticket": None, "issuer": None, "peer": None}


def home(procedure: Procedure) -> dict[str, str]:
    """Role -> its KMS URI in the topology of ``procedure``."""
    if procedure.name == ONE_DOMAIN.name:
        return {"initiator": KMS_A, "kms": KMS_A, "responder": KMS_A}
    return {"initiator": KMS_A, "kms_i": KMS_A, "responder": KMS_B, "kms_r": KMS_B}


def resolving_kms(procedure: Procedure) -> str:
    return "kms" if procedure.name == ONE_DOMAIN.name else "kms_r"


def machines(procedure: Procedure, world: TicketWorld, stores: Mapping[str, dict[str, Any]],
             trust: TrustRelation = TRUST) -> dict[str, RoleMachine]:
    return {r.name: RoleMachine(procedure, r.name, vars=stores[r.name], facts=world,
                                effects=EFFECTS, trusted=trust.trusts)
            for r in procedure.roles}


def fresh_stores(procedure: Procedure, responder: str = BOB) -> dict[str, dict[str, Any]]:
    where = home(procedure)
    out: dict[str, dict[str, Any]] = {}
    for r in procedure.roles:
        if r.name == "initiator":
            out[r.name] = {**ue_vars(ALICE, where[r.name]), "peer": responder, "mpki": None}
        elif r.name == "responder":
            out[r.name] = {**ue_vars(responder, where[r.name]), "reusable": ReusableTicketStore(),
                           "offer": None, "replay_cache": frozenset()}
        else:
            out[r.name] = kms_vars(where[r.name])
    return out


PARAMS = st.fixed_dictionaries({
    "now": st.integers(min_value=3_900_000_000, max_value=3_900_100_000),
    "nonce": st.integers(0, 2**32),
    "reusable": st.integers(0, 1),
})


def scenario(procedure: Procedure = TWO_DOMAINS) -> Scenario:
    world = TicketWorld()
    shared: dict[str, dict[str, Any]] = {}
    reuse = procedure.step_for("responder", "TRANSFER_INIT", branch=True)  # seed step 1 -> 10

    def reset() -> None:
        shared.clear()

    def make(params: Mapping[str, Any], share: bool) -> dict[str, RoleMachine]:
        fresh = fresh_stores(procedure)
        if share:
            # a user's replay cache (KMS) persists across runs; the rest is per run
            for role, store in fresh.items():
                if "replay_cache" in store:
                    keep = shared.setdefault(role, {"replay_cache": frozenset()})
                    fresh[role] = _SharedCache(store, keep)
        return machines(procedure, world, fresh)

    def prefix_machine(run: Run, role: str, message: str) -> RoleMachine | None:
        """A fresh machine of ``role`` in the state where it receives ``message``."""
        idx = next((i for i, d in enumerate(run.deliveries)
                    if d.to == role and d.message.name == message), None)
        if idx is None:
            return None
        return play(scen, make(run.params, False), run.params, stop_before=idx).machines[role]

    def delivery(run: Run, role: str, message: str) -> Any:
        return next(d for d in run.deliveries if d.to == role and d.message.name == message)

    def wrong_responder(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        kms = resolving_kms(procedure)
        target = prefix_machine(run, kms, "RESOLVE_INIT")
        d = delivery(run, kms, "RESOLVE_INIT")
        claim = data.draw(st.sampled_from([CAROL, BOB]), label="IDRr claimed by carol")
        f = {**dict(d.message), "idrr": claim, "idrpsk": BTID[CAROL]}
        f["v"] = world.mac(f, world.naf_key(BTID[CAROL], home(procedure)[kms]))
        assert target is not None
        return Attack(target, type(d.message)("RESOLVE_INIT", f), d.now, "wrong-responder",
                      d.step)

    def reuser(run: Run) -> RoleMachine | None:
        """A fresh responder run whose store holds this run's ticket (if it is reusable)."""
        store = run.machines["responder"].vars["reusable"]
        if not store.entries:
            return None
        stores = fresh_stores(procedure)
        stores["responder"]["reusable"] = store
        return machines(procedure, world, stores)["responder"]

    def expired(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        late = data.draw(st.integers(VALIDITY + 1, 3 * VALIDITY), label="late by")
        target = reuser(run)
        if target is not None and data.draw(st.booleans(), label="reused at the responder"):
            d = delivery(run, "responder", "TRANSFER_INIT")
            return Attack(target, d.message, d.now + late, "expired", reuse)
        kms = resolving_kms(procedure)
        target = prefix_machine(run, kms, "RESOLVE_INIT")
        d = delivery(run, kms, "RESOLVE_INIT")
        assert target is not None
        return Attack(target, d.message, d.now + late, "expired", d.step)

    def tampered_reuse(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        """A TRANSFER_INIT with a reusable ticket the responder holds, its other fields changed
        without MPKi: the stored MPKi does not verify it (RFC 6043 5.3)."""
        target = reuser(run)
        if target is None:
            return None
        d = delivery(run, "responder", "TRANSFER_INIT")
        field = data.draw(st.sampled_from(["t", "randri", "idri"]), label="field changed")
        value = {"t": d.message.get("t") + 1, "randri": b"forged",
                 "idri": CAROL}[field]
        return Attack(target, d.message.replace(**{field: value}), d.now, "tampered", reuse)

    def tampered_ticket(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        """The responder (or KMS_R, which cannot check it) passes on a TICKET whose policy was
        changed: the KMS that issued it refuses it."""
        name = "RESOLVE_INIT" if procedure.name == ONE_DOMAIN.name else "RESOLVE_INIT_ZK"
        role = "kms" if procedure.name == ONE_DOMAIN.name else "kms_i"
        target = prefix_machine(run, role, name)
        d = delivery(run, role, name)
        ticket = d.message.get("ticket")
        change = data.draw(st.sampled_from(["tre", "responders", "kms"]), label="policy field")
        policy: TicketPolicy = ticket[1]
        new = {"tre": {"tre": policy.tre + 10 * VALIDITY},
               "responders": {"responders": policy.responders | {CAROL}},
               "kms": {"kms": KMS_C}}[change]
        forged = (ticket[0], TicketPolicy(**{**policy.__dict__, **new}), ticket[2], ticket[3])
        f = {**dict(d.message), "ticket": forged}
        if name == "RESOLVE_INIT":
            f["v"] = world.mac(f, world.naf_key(f["idrpsk"], home(procedure)[role]))
        else:
            f["nds"] = world.nds(f, f["zk_from"])
        assert target is not None
        return Attack(target, type(d.message)(name, f), d.now, "tampered-ticket", d.step)

    def untrusted_kms(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        if procedure.name == ONE_DOMAIN.name:
            return None
        if data.draw(st.booleans(), label="third KMS asks KMS_I"):
            target = prefix_machine(run, "kms_i", "RESOLVE_INIT_ZK")
            d = delivery(run, "kms_i", "RESOLVE_INIT_ZK")
            f = {**dict(d.message), "zk_from": KMS_C}
            f["nds"] = world.nds(f, KMS_C)
            assert target is not None
            return Attack(target, type(d.message)(d.message.name, f), d.now, "untrusted-kms",
                          d.step)
        d = delivery(run, "kms_r", "RESOLVE_INIT")
        stores = fresh_stores(procedure)
        target = machines(procedure, world, stores, TRUST.without(KMS_B, KMS_A))["kms_r"]
        return Attack(target, d.message, d.now, "untrusted-kms", d.step)

    def unauthenticated_zk(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
        if procedure.name == ONE_DOMAIN.name:
            return None
        role, name = data.draw(st.sampled_from([("kms_i", "RESOLVE_INIT_ZK"),
                                                ("kms_r", "RESOLVE_RESP_ZK")]), label="hop")
        target = prefix_machine(run, role, name)
        d = delivery(run, role, name)
        assert target is not None
        return Attack(target, d.message.replace(nds=("no NDS/IP association",)), d.now,
                      "unauthenticated-zk", d.step)

    scen = Scenario(procedure, make, ("initiator", "REQUEST_INIT"), PARAMS, "key",
                    threats={"wrong-responder": wrong_responder, "expired": expired,
                             "tampered-reuse": tampered_reuse,
                             "tampered-ticket": tampered_ticket, "untrusted-kms": untrusted_kms,
                             "unauthenticated-zk": unauthenticated_zk},
                    reset=reset)
    return scen


class _SharedCache(dict):  # type: ignore[type-arg]
    """A run's KMS variables whose replay cache is the KMS's own, shared by its runs."""

    def __init__(self, store: dict[str, Any], keep: dict[str, Any]) -> None:
        super().__init__(store)
        self._keep = keep
        super().__setitem__("replay_cache", keep["replay_cache"])

    def update(self, *args: Any, **kw: Any) -> None:  # the engine commits with update()
        super().update(*args, **kw)
        self._keep["replay_cache"] = self["replay_cache"]
