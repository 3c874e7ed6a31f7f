"""The InterKMM effects (``mckm.models.procedures.interkmm``): they compute and store, never
refuse (every refusal is a guard's).

- ``interkmm.originate``: the originator's InterKMM (params ``kmm``, ``kmm_type`` and ``peer``,
  the other end's KMF ID or MCPTT ID), with a fresh ``msg-id`` and ``sent`` = now
  (REQ-IKMM-09), the procedure's ``direction`` (REQ-IKMM-16), protected under the role's own
  XPK (``vars["xpk_id"]``).
- ``interkmm.remember``: the accepted ``msg-id`` joins the replay cache until its window ends.
- ``interkmm.server.keep``: the MCX server keeps what it opened (REQ-IKMM-12).
- ``interkmm.server.reprotect``: the kept InterKMM protected under the key of the next hop's
  peer (the UE's CSK or the IWF's SPK); the step's send guards check the result.
- ``interkmm.deliver``: the end point hands the KMM to its caller (:class:`Delivered`).

A sent message carries the model's fields and, beside them, ``content_type`` and ``body``: the
octets the SIP adapter puts in the MESSAGE.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.roles.interkmm.facts import HopFacts
from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build
from mckm.impl.xmlprotect.keys import Keyring
from mckm.models.procedures.interkmm import KEPT


@dataclass(frozen=True)
class Delivered:
    """A KMM an end point accepted: from / for whom, under which XPK, and the octets."""

    kmf_id: str
    mcptt_id: str
    xpk_id: int
    kmm_type: str
    kmm: bytes = field(repr=False)


def _emit_fields(ctx: EffectContext, message: InterKmm, keys: Keyring, xpk_id: int) -> None:
    content_type, body = build(message, protection=Protection(keys, xpk_id))
    for name in KEPT:
        value = getattr(message, name)
        ctx.set_field(name, value.encode("ascii") if name == "msg_id" else value)
    ctx.set_field("xpk_id", xpk_id)
    ctx.set_field("body_octets", len(body))
    ctx.set_field("content_type", content_type)
    ctx.set_field("body", body)


def _facts(ctx: EffectContext) -> HopFacts:
    facts = ctx.facts
    assert isinstance(facts, HopFacts)
    return facts


def originate(ctx: EffectContext) -> None:
    own_id = ctx.var("mcptt_id") if ctx.step.role == "ue" else ctx.var("kmf_id")
    peer = str(ctx.params["peer"])
    kmf_id, mcptt_id = (peer, own_id) if ctx.step.role == "ue" else (own_id, peer)
    message = InterKmm(kmf_id, mcptt_id, bytes(ctx.params["kmm"]),
                       str(ctx.params.get("kmm_type", "application/octet-stream")),
                       secrets.token_hex(16), ctx.now, str(ctx.policy["direction"]))
    _emit_fields(ctx, message, _facts(ctx).keys, int(ctx.var("xpk_id")))


def remember(ctx: EffectContext) -> None:
    assert ctx.message is not None
    window = int(ctx.policy["replay_window"])
    cache = ReplayCache.of(ctx.var("replay_cache"), ctx.now + 2 * window)
    ctx.set_var("replay_cache", cache.with_entry(ctx.message.get("msg_id"),
                                                 ctx.message.get("sent"), now=ctx.now,
                                                 window=window))


def keep(ctx: EffectContext) -> None:
    assert ctx.message is not None
    for name in KEPT:
        ctx.set_var(name, ctx.message.get(name))


def reprotect(ctx: EffectContext) -> None:
    facts = _facts(ctx)
    values: dict[str, Any] = {name: ctx.var(name) for name in KEPT}
    values["msg_id"] = values["msg_id"].decode("ascii")
    message = InterKmm(**values)
    next_peer = message.mcptt_id if ctx.step.peer == "ue" else message.kmf_id
    assert facts.out_keys is not None
    _emit_fields(ctx, message, facts.out_keys, facts.ikmm_xpk_of(next_peer))


def deliver(ctx: EffectContext) -> None:
    assert ctx.message is not None
    get = ctx.message.get
    ctx.emit("kmm", Delivered(get("kmf_id"), get("mcptt_id"), get("xpk_id"), get("kmm_type"),
                              get("kmm")))


EFFECTS = EffectRegistry({
    "interkmm.originate": originate,
    "interkmm.remember": remember,
    "interkmm.server.keep": keep,
    "interkmm.server.reprotect": reprotect,
    "interkmm.deliver": deliver,
})
