"""The effects named by the MIKEY-TICKET models (``ticket.*``), on the real message layer.

Most effects are the model's: ``VAR_WRITES`` (what a receive stores) and ``SENDS`` (what a send
writes), evaluated here; ``wire.build`` writes the octets and the step's guards check the view
set as the field ``built``.  Receiving effects take keys the guards verified; none refuses.

Role variables added to the model's: ``request_init`` / ``transfer_init`` (initiator),
``resolve_init`` / ``keys`` (responder), ``keys`` / ``zk_request`` (KMS); ``keys`` is a
:class:`TicketKeys` (MPKi, TGK), the value every role emits as ``key``.  Step parameters
(``RoleMachine.send(params=...)``), all optional: ``csb_id``, ``rand`` (RANDRi / RANDRr),
``reusable`` (J flag wanted).  A KMS's role variable ``validity`` is how long a ticket it issues
is valid (seconds from issue; default one hour).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from mckm.impl.codec import Payload
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.engine.sending import env_of
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket.base_ticket import (
    SPI_OCTETS,
    TGK,
    TicketContents,
    TicketKeys,
    mpk_key,
    seal_ticket,
    tgk_key,
)
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.impl.roles.ticket.policy_data import policy_fields
from mckm.impl.roles.ticket.wire import ENCR, MAC, SPEC, PayloadBlob, TicketView, ZkLink, build
from mckm.models.grammar.namespaces import TS_TYPE
from mckm.models.policy.ticket_policy import UNBOUNDED_END, TicketPolicy
from mckm.models.procedures.mikey_ticket import SENDS, VAR_WRITES

PRF = int(PrfFunc.PRF_HMAC_SHA_256)
KEY_OCTETS, RAND_OCTETS = 32, 16
DEFAULT_VALIDITY = 3600


def _facts(ctx: EffectContext) -> TicketFacts:
    assert isinstance(ctx.facts, TicketFacts), "the ticket effects run on TicketFacts"
    return ctx.facts


def _view(ctx: EffectContext) -> TicketView:
    assert isinstance(ctx.message, TicketView), "a receiving ticket effect reads a TicketView"
    return ctx.message


def _ks_naf(ctx: EffectContext, btid: str, naf: str) -> bytes:
    return _facts(ctx).ks_naf(_facts(ctx).naf_key(btid, naf))


def _send(ctx: EffectContext, inkey: bytes | None, *, answers: TicketView | None = None,
          kemac: TicketKeys | None = None, zk: ZkLink | None = None,
          hdr: dict[str, Any] | None = None, **values: Any) -> TicketView:
    """Build the step's message from ``values`` (T = now); an initial message gets a CSB ID
    (parameter ``csb_id`` or random), the PRF and fresh RANDs (parameter ``rand`` or random)."""
    if answers is None:
        csb_id, rand = ctx.params.get("csb_id"), ctx.params.get("rand")
        hdr = {"csb_id": secrets.randbits(32) if csb_id is None else int(csb_id),
               "prf_func": PRF, **(hdr or {})}
        for name, w in SPEC[ctx.step.message].wire.items():
            if w.path.payload == "RANDR" and values.get(name) is None:
                values[name] = secrets.token_bytes(RAND_OCTETS) if rand is None else bytes(rand)
    view = build(ctx.step.message, {"t": ctx.now, **values}, inkey=inkey, hdr=hdr,
                 answers=answers, kemac=kemac, zk=zk)
    ctx.set_field("built", view)
    return view


def _sender(name: str) -> Callable[[EffectContext], None]:
    """An effect that builds what ``SENDS[name]`` declares (the inkey of a ticket's keys is
    its MPKi); the HDR V flag of a TRANSFER_INIT is its ticket's F flag (RFC 6043 4.2.2.1)."""
    sent = SENDS[name]

    def effect(ctx: EffectContext) -> None:
        env = env_of(ctx)
        fields = {f: e.to_python(env) for f, e in sent.fields.items()}
        key, zk_to, answers, kemac = (None if e is None else e.to_python(env) for e in (
            sent.inkey, sent.zk_to, sent.answers, sent.kemac))
        hdr = {"v": fields["ticket"].payload.fields["f"]} if ctx.step.message == "TRANSFER_INIT" \
            else None
        view = _send(ctx, None if key is None else _facts(ctx).key_bytes(key), hdr=hdr,
                     answers=answers, kemac=kemac,
                     zk=None if zk_to is None else ZkLink(ctx.var("uri"), True, zk_to),
                     **fields)
        if sent.keep:
            ctx.set_var(sent.keep, view)
    return effect


def _writer(name: str) -> Callable[[EffectContext], None]:
    """An effect that stores what ``VAR_WRITES[name]`` says, read from the received message."""
    def effect(ctx: EffectContext) -> None:
        env = env_of(ctx)
        for var, expr in VAR_WRITES[name].items():
            ctx.set_var(var, expr.to_python(env))
    return effect


# --------------------------------------------------------------------------- initiator


def build_request(ctx: EffectContext) -> None:
    """Q1: REQUEST_INIT_PSK with the desired policy (responder = ``peer``), MAC under Ks_NAF."""
    uri, kms, btid = ctx.var("uri"), ctx.var("kms_uri"), ctx.var("btid")
    wanted = TicketPolicy(kms=kms, initiator=uri, responders=frozenset({ctx.var("peer")}),
                          reusable=int(ctx.params.get("reusable", 0)))
    tp = PayloadBlob.of(Payload("TP", policy_fields(wanted, prf_func=PRF)))
    ctx.set_var("request_init", _send(ctx, _ks_naf(ctx, btid, kms), idri=uri, idrkms=kms,
                                      tp=tp, idrpsk=btid))


def store_ticket(ctx: EffectContext) -> None:
    """Q4: keep the TICKET (VAR_WRITES) and the MPKi/TGK of the KEMAC (RFC 6043 4.2.1.6)."""
    _writer("ticket.initiator.store_ticket")(ctx)
    keys = _view(ctx).verify(_ks_naf(ctx, ctx.var("btid"), ctx.var("kms_uri")))
    ctx.set_var("keys", keys)
    ctx.set_var("mpki", keys.mpki if keys else None)


# --------------------------------------------------------------------------- KMS


def replay_expiry(ctx: EffectContext, view: TicketView) -> int:
    """When the model's other guards refuse a replay of ``view`` anyway, so that its RAND may
    leave the replay cache: the end of its B-TID's bootstrapping context (the NAF-key MAC guard
    cannot pass after it, TS 33.220 4.5.3) and, for a resolve, the ticket's TRe (REQ-TKT-10),
    whichever comes first.  The MIKEY-TICKET model has no T window, so T bounds nothing."""
    ends = [UNBOUNDED_END]
    btid = view.get("idrpsk")
    if isinstance(btid, str):
        ends.append(int(_facts(ctx).naf_answer(btid, ctx.var("uri")).expires_at))
    ticket = view.get("ticket")
    if isinstance(ticket, PayloadBlob):
        ends.append(ticket.policy.tre)
    return min(ends)


def remember_rand(ctx: EffectContext) -> None:
    """Add the initial message's RAND (RANDRi of REQUEST_INIT and TRANSFER_INIT, RANDRr of
    RESOLVE_INIT) to the replay cache (RFC 3830 5.4) until its :func:`replay_expiry` (and
    ``EXPIRY_GRACE`` after it: a clock stepping back that much finds it still held); a KMS
    also keeps the request it serves."""
    view = _view(ctx)
    rand = view.get("randrr") if view.name.startswith("RESOLVE_INIT") else view.get("randri")
    cache = ReplayCache.of(ctx.var("replay_cache"), UNBOUNDED_END)  # a set: no expiry known
    ctx.set_var("replay_cache", cache.with_expiring_entry(rand, replay_expiry(ctx, view),
                                                          now=ctx.now))
    if ctx.step.role != "responder":
        ctx.set_var("received_init", view)


def issue_ticket(ctx: EffectContext) -> None:
    """Q2: grant a policy (responders as desired, validity from now) and seal a base ticket with
    a fresh MPK and TGK under the TPK (RFC 6043 4.2.1.4, Appendix A)."""
    view, tpk = _view(ctx), _facts(ctx).tpk
    assert tpk is not None, "a KMS issuing tickets holds its TPK"
    wanted = view.get("tp").policy  # readable: guard desired-policy
    granted = TicketPolicy(kms=ctx.var("uri"), initiator=view.get("idri"),
                           responders=wanted.responders, trs=ctx.now,
                           tre=ctx.now + int(ctx.var("validity") or DEFAULT_VALIDITY),
                           reusable=wanted.reusable)
    spi = secrets.token_bytes(SPI_OCTETS)
    tgk = tgk_key(secrets.token_bytes(KEY_OCTETS), spi)
    contents = TicketContents(mpk=mpk_key(secrets.token_bytes(KEY_OCTETS), spi),
                              session_keys=(tgk,), ts_type=TS_TYPE.NTP_UTC,
                              ts_value=ctx.now << 32, rand=secrets.token_bytes(RAND_OCTETS))
    ticket = seal_ticket(policy_fields(granted, prf_func=PRF), contents, tpk=tpk.reveal(),
                         encr_alg=ENCR, mac_alg=MAC)
    keys = TicketKeys(Secret(contents.mpki(PRF)), Secret(tgk.fields["key_data"]))
    ctx.set_var("ticket", PayloadBlob.of(ticket))
    ctx.set_var("btid", view.get("idrpsk"))
    ctx.set_var("keys", keys)
    ctx.emit("key", keys)


def open_ticket(ctx: EffectContext) -> None:
    """Resolve: the keys of the base ticket this KMS's TPK opens (guard issued-here: it opens
    and carries MPKi and one TGK; RFC 6043 A.2)."""
    ticket: PayloadBlob = ctx.var("ticket")
    contents = _facts(ctx).open_ticket(ticket)
    tgk = next(k for k in contents.session_keys if k.fields["key_type"] == TGK)
    mpki = contents.mpki(int(ticket.payload.fields["prf_func"]))
    ctx.set_var("keys", TicketKeys(Secret(mpki), Secret(bytes(tgk.fields["key_data"]))))


def take_zk_keys(ctx: EffectContext) -> None:
    """Step 11: the keys from KMS_I's clear KEMAC (guard zk-keys-clear), to re-encipher in
    step 12."""
    keys = _view(ctx).verify(None)
    ctx.set_var("keys", keys)
    ctx.emit("key", keys)


# --------------------------------------------------------------------------- responder

def open_kemac(ctx: EffectContext) -> None:
    """Step 8 / 12r: MPKi and the TGK of the KEMAC (guards own-kms-protected, kemac-readable)."""
    ctx.set_var("keys", _view(ctx).verify(_ks_naf(ctx, ctx.var("btid"), ctx.var("kms_uri"))))


def reuse_keys(ctx: EffectContext) -> None:
    """Step 1r: the keys stored with the reused ticket (RFC 6043 5.3: same modifier, so the
    same keys)."""
    ctx.set_var("keys", ctx.var("reusable").keys(ctx.var("ticket")))  # when: it is stored


def build_transfer_resp(ctx: EffectContext) -> None:
    """Steps 9-10: TRANSFER_RESP (SENDS), and the keys are in use."""
    _sender("ticket.responder.build_transfer_resp")(ctx)
    emit_keys(ctx)


def emit_keys(ctx: EffectContext) -> None:
    """Steps 9-10 / T2: the Transfer exchange is done; the ticket's keys are in use."""
    ctx.emit("key", ctx.var("keys"))


EFFECTS: dict[str, Callable[[EffectContext], None]] = {
    **{name: _writer(name) for name in VAR_WRITES},
    **{name: _sender(name) for name in SENDS},
    "ticket.initiator.build_request": build_request,
    "ticket.initiator.store_ticket": store_ticket,
    "ticket.initiator.accept": emit_keys,
    "ticket.kms.remember_rand": remember_rand,
    "ticket.kms.issue_ticket": issue_ticket,
    "ticket.kms.open_ticket": open_ticket,
    "ticket.kms.take_zk_keys": take_zk_keys,
    "ticket.responder.remember_rand": remember_rand,
    "ticket.responder.open_kemac": open_kemac,
    "ticket.responder.reuse_keys": reuse_keys,
    "ticket.responder.build_transfer_resp": build_transfer_resp,
}


def registry() -> EffectRegistry:
    """Every ``ticket.*`` effect of ``ONE_DOMAIN`` and ``TWO_DOMAINS``."""
    return EffectRegistry(EFFECTS)


__all__ = ["EFFECTS", "TicketKeys", "registry"]
