"""The effects named by the MIKEY-TICKET models (``ticket.*``), on the real message layer.

Effects that only store values are run from the model's ``VAR_WRITES`` (one home); the others
build messages with :mod:`.messages` (RFC 6043 4.2) or open tickets and KEMACs.  A sending
effect sets the field ``raw`` (the octets) and, for a response, ``answers`` (the initial
message); on Zk also ``zk`` (a :class:`ZkLink` naming this KMS as the sender); the end point's
message factory turns them into a :class:`TicketView`, which the step's guards then check.

Role variables added to the model's: ``request_init`` / ``transfer_init`` (initiator),
``resolve_init`` / ``keys`` (responder; its ``reusable`` store is a
:class:`~mckm.models.policy.ticket_policy.ReusableTicketStore`),
``received_init`` / ``keys`` / ``zk_request`` (KMS); ``keys`` is a :class:`TicketKeys`.  The
value every role emits as ``key`` is the :class:`TicketKeys` (MPKi, TGK) of the ticket.

Step parameters (``RoleMachine.send(params=...)``), all optional: ``csb_id``, ``rand`` (RANDRi /
RANDRr octets), ``reusable`` (J flag wanted).  A KMS's role variable ``validity`` is how long a
ticket it issues is valid (seconds from issue; default one hour).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from mckm.impl.codec import Payload
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket import messages as M
from mckm.impl.roles.ticket.adapter import TicketBlob, TicketView, ZkLink
from mckm.impl.roles.ticket.base_ticket import (
    TGK,
    TicketContents,
    TicketKeys,
    mpk_key,
    seal_ticket,
)
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.impl.roles.ticket.policy_data import policy_fields, policy_of
from mckm.impl.roles.ticket.protection import AES_CM_256, ENCR_NULL, HMAC_SHA_256_256, MAC_NULL
from mckm.models.grammar.namespaces import TS_TYPE
from mckm.models.policy.ticket_policy import UNBOUNDED_END, ReusableTicketStore, TicketPolicy
from mckm.models.procedures.expr import Env
from mckm.models.procedures.mikey_ticket import VAR_WRITES

PRF = int(PrfFunc.PRF_HMAC_SHA_256)
ENCR, MAC = AES_CM_256, HMAC_SHA_256_256  # 256-bit profile (RFC 6043 6.2)
KEY_OCTETS, RAND_OCTETS, SPI_OCTETS = 32, 16, 4
NTP_UTC = TS_TYPE.NTP_UTC
DEFAULT_VALIDITY = 3600


# --------------------------------------------------------------------------- helpers


def _facts(ctx: EffectContext) -> TicketFacts:
    if not isinstance(ctx.facts, TicketFacts):
        raise UsageError("the ticket effects need TicketFacts (real crypto)")
    return ctx.facts


def _view(ctx: EffectContext) -> TicketView:
    if not isinstance(ctx.message, TicketView):
        raise UsageError("a receiving ticket effect needs a TicketView")
    return ctx.message


def _ts(ctx: EffectContext) -> tuple[int, int]:
    return (NTP_UTC, ctx.now << 32)


def _rand(ctx: EffectContext) -> bytes:
    rand = ctx.params.get("rand")
    return secrets.token_bytes(RAND_OCTETS) if rand is None else bytes(rand)


def _csb_id(ctx: EffectContext) -> int:
    csb_id = ctx.params.get("csb_id")
    return secrets.randbits(32) if csb_id is None else int(csb_id)


def _ks_naf(ctx: EffectContext, btid: str, naf: str) -> bytes:
    f = _facts(ctx)
    return f.ks_naf(f.naf_key(btid, naf))


def _out(ctx: EffectContext, built: M.TicketMessage, answers: M.TicketMessage | None = None,
         zk: ZkLink | None = None) -> None:
    ctx.set_field("raw", built.raw)
    ctx.set_field("built", built)
    ctx.set_field("answers", answers)
    ctx.set_field("zk", zk)


def _writer(name: str) -> Callable[[EffectContext], None]:
    """An effect that stores what ``VAR_WRITES[name]`` says, read from the received message."""
    def effect(ctx: EffectContext) -> None:
        env = Env(_view(ctx), ctx.staged_vars(), ctx.policy, ctx.now, ctx.facts)
        for var, expr in VAR_WRITES[name].items():
            ctx.set_var(var, expr.to_python(env))
    return effect


def _kemac_keys(keys: TicketKeys) -> list[Payload]:
    spi = secrets.token_bytes(SPI_OCTETS)
    tgk = Payload("KEY_DATA", {"key_type": TGK, "kv": 1, "key_data": keys.tgk.reveal(),
                               "salt": None, "kv_data": {"spi": spi}})
    return [mpk_key(keys.mpki.reveal(), spi), tgk]


def _ident(uri: str) -> M.Identity:
    return M.Identity.uri(uri)


# --------------------------------------------------------------------------- initiator


def build_request(ctx: EffectContext) -> None:
    """Q1: REQUEST_INIT_PSK with the desired policy (responder = ``peer``), MAC under Ks_NAF."""
    uri, kms, btid = ctx.var("uri"), ctx.var("kms_uri"), ctx.var("btid")
    wanted = TicketPolicy(kms=kms, initiator=uri, responders=frozenset({ctx.var("peer")}),
                          reusable=int(ctx.params.get("reusable", 0)))
    built = M.build_request_init_psk(
        csb_id=_csb_id(ctx), prf_func=PRF, ts=_ts(ctx), randri=_rand(ctx), idri=_ident(uri),
        idrkms=_ident(kms), tp=policy_fields(wanted, prf_func=PRF),
        idrpsk=btid.encode("utf-8"), psk=_ks_naf(ctx, btid, kms), mac_alg=MAC)
    ctx.set_var("request_init", built)
    _out(ctx, built)


_store_ticket = _writer("ticket.initiator.store_ticket")


def store_ticket(ctx: EffectContext) -> None:
    """Q4: keep the TICKET (VAR_WRITES) and the MPKi/TGK of the KEMAC (RFC 6043 4.2.1.6)."""
    _store_ticket(ctx)
    opened = _view(ctx).verify(_ks_naf(ctx, ctx.var("btid"), ctx.var("kms_uri")))
    assert opened.kemac is not None
    keys = TicketKeys.from_kemac(opened.kemac.keys)
    ctx.set_var("keys", keys)
    ctx.set_var("mpki", keys.mpki)


def build_transfer_init(ctx: EffectContext) -> None:
    """T1: TRANSFER_INIT with the TICKET, V from MPKi (RFC 6043 4.2.2.1)."""
    ticket: TicketBlob = ctx.var("ticket")
    keys: TicketKeys = ctx.var("keys")
    built = M.build_transfer_init(csb_id=_csb_id(ctx), prf_func=PRF, ts=_ts(ctx),
                                  randri=_rand(ctx), idri=_ident(ctx.var("uri")),
                                  idrr=_ident(ctx.var("peer")), ticket=ticket.payload,
                                  mpki=keys.mpki.reveal(), mac_alg=MAC)
    ctx.set_var("transfer_init", built)
    _out(ctx, built)


def accept(ctx: EffectContext) -> None:
    """T2: the Transfer exchange verified: the ticket's keys are in use."""
    ctx.emit("key", ctx.var("keys"))


# --------------------------------------------------------------------------- KMS


def replay_expiry(ctx: EffectContext, view: TicketView) -> int:
    """When the model's other guards refuse a replay of ``view`` anyway, so that its RAND may
    leave the replay cache: the end of its B-TID's bootstrapping context (the NAF-key MAC guard
    cannot pass after it, TS 33.220 4.5.3) and, for a resolve, the ticket's TRe (REQ-TKT-10),
    whichever comes first.  The MIKEY-TICKET model has no T window (unlike SEAL's RFC 3830 5.4
    ``|T - now| <= window``), so T itself bounds nothing."""
    ends = [UNBOUNDED_END]
    btid = view.get("idrpsk")
    if isinstance(btid, str):
        ends.append(int(_facts(ctx).naf_answer(btid, ctx.var("uri")).expires_at))
    ticket = view.get("ticket")
    if isinstance(ticket, TicketBlob):
        ends.append(ticket.policy.tre)
    return min(ends)


def remember_rand(ctx: EffectContext) -> None:
    """Add the initial message's RAND (RANDRi of REQUEST_INIT and TRANSFER_INIT, RANDRr of
    RESOLVE_INIT) to the replay cache (RFC 3830 5.4); a KMS also keeps the request it serves.
    The cache (``engine.replay.ReplayCache``, window 0) holds each RAND until its
    :func:`replay_expiry` and always the ``RETAIN`` latest-expiring ones."""
    view = _view(ctx)
    rand = view.get("randrr") if view.name.startswith("RESOLVE_INIT") else view.get("randri")
    held = ctx.var("replay_cache")
    cache = held if isinstance(held, ReplayCache) else ReplayCache(
        dict.fromkeys(held or (), UNBOUNDED_END))  # a plain set: no expiry known
    ctx.set_var("replay_cache", cache.with_entry(rand, replay_expiry(ctx, view), now=ctx.now,
                                                 window=0))
    if ctx.step.role != "responder":
        ctx.set_var("received_init", view.msg)


def issue_ticket(ctx: EffectContext) -> None:
    """Q2: grant a policy (responders as desired, validity from now) and seal a base ticket with
    a fresh MPK and TGK under the TPK (RFC 6043 4.2.1.4, Appendix A)."""
    view, f = _view(ctx), _facts(ctx)
    if f.tpk is None:
        raise UsageError("a KMS issuing tickets needs its TPK")
    tp = view.msg.message.get("TP")
    assert tp is not None
    wanted = policy_of(tp.fields, initiator=view.get("idri"))
    granted = TicketPolicy(kms=ctx.var("uri"), initiator=view.get("idri"),
                           responders=wanted.responders, trs=ctx.now,
                           tre=ctx.now + int(ctx.var("validity") or DEFAULT_VALIDITY),
                           reusable=wanted.reusable)
    spi = secrets.token_bytes(SPI_OCTETS)
    tgk = Payload("KEY_DATA", {"key_type": TGK, "kv": 1, "key_data": secrets.token_bytes(
        KEY_OCTETS), "salt": None, "kv_data": {"spi": spi}})
    contents = TicketContents(mpk=mpk_key(secrets.token_bytes(KEY_OCTETS), spi),
                              session_keys=(tgk,), ts_type=NTP_UTC, ts_value=ctx.now << 32,
                              rand=secrets.token_bytes(RAND_OCTETS))
    ticket = seal_ticket(policy_fields(granted, prf_func=PRF), contents, tpk=f.tpk.reveal(),
                         encr_alg=ENCR, mac_alg=MAC)
    mpki, _mpkr = contents.mpki_mpkr(PRF)
    keys = TicketKeys(Secret(mpki), Secret(bytes(tgk.fields["key_data"])))
    ctx.set_var("ticket", TicketBlob.of(ticket))
    ctx.set_var("btid", view.get("idrpsk"))
    ctx.set_var("keys", keys)
    ctx.emit("key", keys)


def build_request_resp(ctx: EffectContext) -> None:
    """Q3: REQUEST_RESP with the TICKET and the KEMAC (MPKi, TGK) under Ks_NAF (4.2.1.5)."""
    uri, init = ctx.var("uri"), ctx.var("received_init")
    ticket: TicketBlob = ctx.var("ticket")
    built = M.build_request_resp(_as(M.RequestInit, init), ts=_ts(ctx), idrkms=_ident(uri),
                                 ticket=ticket.payload, keys=_kemac_keys(ctx.var("keys")),
                                 psk=_ks_naf(ctx, ctx.var("btid"), uri), encr_alg=ENCR,
                                 mac_alg=MAC)
    _out(ctx, built, init)


def open_ticket(ctx: EffectContext) -> None:
    """Resolve: open the base ticket with this KMS's TPK; MPKi from the MPK (RFC 6043 A.2)."""
    contents = _facts(ctx).open_ticket(ctx.var("ticket"))
    mpki, _mpkr = contents.mpki_mpkr(int(ctx.var("ticket").payload.fields["prf_func"]))
    tgks = [k for k in contents.session_keys if k.fields["key_type"] == TGK]
    if len(tgks) != 1:
        raise UsageError("the ticket must carry one TGK")
    ctx.set_var("keys", TicketKeys(Secret(mpki), Secret(bytes(tgks[0].fields["key_data"]))))


def build_resolve_resp(ctx: EffectContext) -> None:
    """Steps 7 / 12: RESOLVE_RESP to the responder, KEMAC under its Ks_NAF (4.2.3.5)."""
    uri, init = ctx.var("uri"), ctx.var("received_init")
    built = M.build_resolve_resp(_as(M.ResolveInit, init), ts=_ts(ctx), idrkms=_ident(uri),
                                 keys=_kemac_keys(ctx.var("keys")),
                                 psk=_ks_naf(ctx, ctx.var("btid"), uri), encr_alg=ENCR,
                                 mac_alg=MAC, idrr=_ident(ctx.var("requester")))
    _out(ctx, built, init)


def build_zk_request(ctx: EffectContext) -> None:
    """Steps 6-7: a new RESOLVE_INIT_PSK for the issuing KMS, IDRr and TICKET reused, NULL MAC
    (the Zk link protects it; REQ-TKT-MSG-12)."""
    uri, issuer = ctx.var("uri"), ctx.var("issuer")
    ticket: TicketBlob = ctx.var("ticket")
    built = M.build_resolve_init_psk(csb_id=_csb_id(ctx), prf_func=PRF, ts=_ts(ctx),
                                     randrr=_rand(ctx), idrr=_ident(ctx.var("requester")),
                                     idrkms=_ident(issuer), ticket=ticket.payload, idrpsk=None,
                                     psk=None, mac_alg=MAC_NULL)
    ctx.set_var("zk_request", built)
    _out(ctx, built, zk=ZkLink(uri, True, issuer))


def build_zk_resp(ctx: EffectContext) -> None:
    """Step 10: RESOLVE_RESP to the asking KMS, KEMAC not enciphered, NULL MAC."""
    uri, init = ctx.var("uri"), ctx.var("received_init")
    built = M.build_resolve_resp(_as(M.ResolveInit, init), ts=_ts(ctx), idrkms=_ident(uri),
                                 keys=_kemac_keys(ctx.var("keys")), psk=None, encr_alg=ENCR_NULL,
                                 mac_alg=MAC_NULL, idrr=_ident(ctx.var("requester")))
    _out(ctx, built, init, ZkLink(uri, True, ctx.var("peer")))


def take_zk_keys(ctx: EffectContext) -> None:
    """Step 11: the keys from KMS_I's clear KEMAC (to re-encipher in step 12)."""
    opened = _view(ctx).verify(None)
    assert opened.kemac is not None
    keys = TicketKeys.from_kemac(opened.kemac.keys)
    ctx.set_var("keys", keys)
    ctx.emit("key", keys)


# --------------------------------------------------------------------------- responder

def build_resolve_init(ctx: EffectContext) -> None:
    """Steps 2-3: RESOLVE_INIT_PSK to the own KMS, B-TID in IDRpsk, MAC under Ks_NAF."""
    uri, kms, btid = ctx.var("uri"), ctx.var("kms_uri"), ctx.var("btid")
    ticket: TicketBlob = ctx.var("ticket")
    built = M.build_resolve_init_psk(csb_id=_csb_id(ctx), prf_func=PRF, ts=_ts(ctx),
                                     randrr=_rand(ctx), idrr=_ident(uri), idrkms=_ident(kms),
                                     ticket=ticket.payload, idrpsk=btid.encode("utf-8"),
                                     psk=_ks_naf(ctx, btid, kms), mac_alg=MAC)
    ctx.set_var("resolve_init", built)
    _out(ctx, built)


def open_kemac(ctx: EffectContext) -> None:
    """Step 8 / 12r: MPKi and the TGK from the KEMAC (its guards have checked the RESOLVE_RESP
    and the TRANSFER_INIT with that MPKi)."""
    opened = _view(ctx).verify(_ks_naf(ctx, ctx.var("btid"), ctx.var("kms_uri")))
    assert opened.kemac is not None
    ctx.set_var("keys", TicketKeys.from_kemac(opened.kemac.keys))


def store_reusable(ctx: EffectContext) -> None:
    """Step 8: keep a ticket whose policy has the J flag, with its keys (seed B.2.2.2)."""
    ticket: TicketBlob = ctx.var("ticket")
    ctx.set_var("reusable", _store(ctx).with_entry(ticket, ticket.policy, ctx.var("keys")))


def reuse_keys(ctx: EffectContext) -> None:
    """Step 1r: the keys stored with the reused ticket (RFC 6043 5.3: same modifier, so the
    same keys)."""
    ctx.set_var("keys", _store(ctx).keys(ctx.var("ticket")))


def build_transfer_resp(ctx: EffectContext) -> None:
    """Steps 9-10: TRANSFER_RESP, V from MPKi (4.2.2.3); the keys are now in use."""
    keys: TicketKeys = ctx.var("keys")
    offer: TicketView = ctx.var("offer")
    init = offer.verify(keys.mpki.reveal())  # checked by the step's guard; cached in the view
    built = M.build_transfer_resp(_as(M.TransferInit, init), ts=_ts(ctx),
                                  mpk=keys.mpki.reveal(), mac_alg=MAC,
                                  idrr=_ident(ctx.var("uri")))
    _out(ctx, built, init)
    ctx.emit("key", keys)


def _store(ctx: EffectContext) -> ReusableTicketStore:
    store = ctx.var("reusable")
    return store if isinstance(store, ReusableTicketStore) else ReusableTicketStore()


def _as(kind: type[Any], msg: M.TicketMessage) -> Any:
    return msg if isinstance(msg, kind) else kind(msg.message, msg.raw, msg.kemac)


EFFECTS: dict[str, Callable[[EffectContext], None]] = {
    **{name: _writer(name) for name in VAR_WRITES},
    "ticket.initiator.build_request": build_request,
    "ticket.initiator.store_ticket": store_ticket,
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
}


def registry() -> EffectRegistry:
    """Every ``ticket.*`` effect of ``ONE_DOMAIN`` and ``TWO_DOMAINS``."""
    return EffectRegistry(EFFECTS)


__all__ = ["EFFECTS", "TicketKeys", "registry"]
