"""Generic effects a procedure model's tables drive, for any procedure.

* :func:`value` of a model expression in an effect, and :func:`field_writer`: a send step's
  field writes, declared in the model as expressions (e.g. ``seal_key_distribution.
  SEND_WRITES``), evaluated in order over the role's variables, the clock and the fields
  written before;
* :func:`build_sealed`: the message of a ``MessageSpec`` written from its field values by the
  generic builder (:mod:`.wire`) and closed by its integrity payload, whose value (a signature
  or MAC) is computed over exactly the octets the layout's ``Integrity`` declares;
* :func:`replay_writer`: a received message's RAND joins the role's replay cache (RFC 3830 5.4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mckm.impl.codec import Payload
from mckm.impl.engine.machine import Effect, EffectContext
from mckm.impl.engine.messages import DictMessage
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.engine.wire import Bound, covered, header, payloads, seal
from mckm.models.procedures.expr import Env, Expr
from mckm.models.procedures.model import MessageSpec


def env_of(ctx: EffectContext) -> Env:
    """What a model expression reads in an effect: the received message, or in a send step
    the fields written so far; the staged variables, the policy, the clock, the facts."""
    message = ctx.message if ctx.message is not None else DictMessage(ctx.step.message,
                                                                      ctx.fields)
    return Env(message, ctx.staged_vars(), ctx.policy, ctx.now, ctx.facts)


def value(ctx: EffectContext, expr: Expr) -> Any:
    """``expr`` evaluated in the effect's context (:func:`env_of`)."""
    return expr.to_python(env_of(ctx))


def field_writer(writes: Mapping[str, Expr]) -> Effect:
    """An effect that sets each field of ``writes`` to its expression's :func:`value`."""
    def effect(ctx: EffectContext) -> None:
        for name, expr in writes.items():  # a later write may read an earlier one's field
            ctx.set_field(name, value(ctx, expr))
    return effect


def build_sealed(spec: MessageSpec, values: Mapping[str, Any], *, bound: Bound, octets: int,
                 tag: Callable[[bytes], bytes], **cover: Any) -> bytes:
    """``spec`` written for ``values``, its integrity payload (the wire of the layout's
    ``Integrity`` payload, through its converter) carrying ``tag(covered octets)`` of
    ``octets`` octets (``cover``: what :func:`covered` needs beyond the message)."""
    assert spec.layout is not None and spec.layout.integrity is not None
    integrity = spec.layout.integrity
    name, w = next((n, w) for n, w in spec.wire.items() if w.path.payload == integrity.payload)
    assert w.conv.write is not None
    draft = w.conv.write(bytes(octets))
    value_field = next(f for f, v in draft.items() if v == bytes(octets))
    body = payloads(spec, {**values, name: None}, bound=bound)
    raw, _ = seal(header(spec, values), body, Payload(integrity.payload, draft), value_field,
                  octets, lambda raw, message: tag(covered(integrity, raw, message, **cover)))
    return raw


def replay_writer(rand: str = "rand", t: str = "t", var: str = "replay_cache") -> Effect:
    """An effect that adds the message's ``rand`` (with its ``t``) to the role's ``var``, pruned
    by the policy's ``replay_window`` (:class:`ReplayCache`)."""
    def effect(ctx: EffectContext) -> None:
        assert ctx.message is not None
        when = ctx.message.get(t)
        cache = ctx.var(var)
        cache = ReplayCache.of(cache, when)
        ctx.set_var(var, cache.with_entry(ctx.message.get(rand), when, now=ctx.now,
                                          window=int(ctx.policy["replay_window"])))
    return effect


__all__ = ["build_sealed", "env_of", "field_writer", "replay_writer", "value"]
