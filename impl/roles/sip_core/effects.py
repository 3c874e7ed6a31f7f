"""The ``sip-registration`` effects: they compute and stage the roles' variables, never refuse
(every refusal is a guard's).  Mappings in the variables are replaced, never changed in place,
so a refused run leaves the role as it was.

- ``ue.register`` / ``ue.publish``: the UE's REGISTER (params ``contact``, ``expires``) and
  PUBLISH (param ``token``); ``ue.profile`` keeps the profile of the answer.
- ``core.bind``: the registration of the IMPU (Expires 0 removes it); ``core.third_party``:
  the third-party REGISTER's fields; ``core.answer``: the 200's.
- ``core.assert`` / ``core.forward``: the PUBLISH forwarded with the registered IMPU and
  contact asserted.
- ``server.register``: the third-party registration (Expires 0 removes it and the IMPU's
  bindings); ``server.bind``: the token's MCPTT ID bound to the IMPU and session, the token's
  digest remembered until it expires; ``server.profile``: the 200's profile and SIP-ETag.

A sent message carries the model's fields and, beside them, what the SIP adapter needs
(``body``, ``content_type``).
"""

from __future__ import annotations

import secrets
from typing import Any

from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.roles.sip_core.body import Profile, mcptt_info, profile_body
from mckm.impl.roles.sip_core.facts import Binding, Registration, ServerFacts, token_digest
from mckm.models.procedures import sip_registration as model


def _received(ctx: EffectContext, name: str) -> Any:
    assert ctx.message is not None
    return ctx.message.get(name)


# ---- UE


def ue_register(ctx: EffectContext) -> None:
    ctx.set_field("impu", ctx.var("impu"))
    ctx.set_field("contact", str(ctx.params["contact"]))
    ctx.set_field("expires", int(ctx.params.get("expires", 3600)))


def ue_publish(ctx: EffectContext) -> None:
    token = str(ctx.params["token"])
    ctx.set_field("impu", ctx.var("impu"))
    ctx.set_field("event", model.EVENT)
    ctx.set_field("token", token)
    ctx.set_field("content_type", model.MCPTT_INFO_TYPE)
    ctx.set_field("body", mcptt_info(token))


def ue_profile(ctx: EffectContext) -> None:
    assert ctx.message is not None
    get = ctx.message.get
    ctx.set_var("profile", Profile(get("mcptt_id"), get("impu"), get("session"),
                                   get("expires")))


# ---- SIP core


def core_bind(ctx: EffectContext) -> None:
    impu, contact = str(_received(ctx, "impu")), str(_received(ctx, "contact"))
    expires = int(_received(ctx, "expires"))
    registrations = dict(ctx.var("registrations") or {})
    if expires == 0:
        registrations.pop(impu, None)
    else:
        registrations[impu] = Registration(contact, ctx.now + expires)
    ctx.set_var("registrations", registrations)
    for name, value in (("impu", impu), ("contact", contact), ("expires", expires)):
        ctx.set_var(name, value)


def core_third_party(ctx: EffectContext) -> None:
    ctx.set_field("impu", ctx.var("impu"))
    ctx.set_field("core", ctx.var("core_uri"))
    ctx.set_field("via", ctx.var("core_address"))
    ctx.set_field("expires", ctx.var("expires"))


def core_answer(ctx: EffectContext) -> None:
    for name in ("impu", "contact", "expires"):
        ctx.set_field(name, ctx.var(name))


def core_assert(ctx: EffectContext) -> None:
    impu = str(_received(ctx, "impu"))
    ctx.set_var("impu", impu)
    found = ctx.var("registrations").get(impu)  # None only in a model without the guard
    ctx.set_var("contact", found.contact if found is not None else impu)
    ctx.set_var("publish", (_received(ctx, "event"), _received(ctx, "token")))


def core_forward(ctx: EffectContext) -> None:
    event, token = ctx.var("publish")
    ctx.set_field("impu", ctx.var("impu"))
    ctx.set_field("contact", ctx.var("contact"))
    ctx.set_field("via", ctx.var("core_address"))
    ctx.set_field("event", event)
    ctx.set_field("token", token)


# ---- MCPTT server


def server_register(ctx: EffectContext) -> None:
    impu, expires = str(_received(ctx, "impu")), int(_received(ctx, "expires"))
    registrations = dict(ctx.var("registrations") or {})
    bindings = dict(ctx.var("bindings") or {})
    if expires == 0:
        registrations.pop(impu, None)
        bindings = {k: b for k, b in bindings.items() if b.impu != impu}
    else:
        registrations[impu] = Registration(str(_received(ctx, "core")), ctx.now + expires)
    ctx.set_var("registrations", registrations)
    ctx.set_var("bindings", bindings)


def server_bind(ctx: EffectContext) -> None:
    facts = ctx.facts
    assert isinstance(facts, ServerFacts)
    token = str(_received(ctx, "token"))
    mcptt_id, impu = facts.token_subject(token), str(_received(ctx, "impu"))
    registration = ctx.var("registrations")[impu]
    until = min(registration.until, ctx.now + model.PUBLISH_EXPIRES)
    binding = Binding(mcptt_id, impu, str(_received(ctx, "contact")), until,
                      secrets.token_hex(8))
    ctx.set_var("bindings", {**(ctx.var("bindings") or {}), mcptt_id: binding})
    used = {d: exp for d, exp in (ctx.var("tokens_used") or {}).items() if exp > ctx.now}
    ctx.set_var("tokens_used", {**used, token_digest(token): facts.token_expires(token)})
    for name in ("mcptt_id", "impu", "session"):
        ctx.set_var(name, getattr(binding, name))
    ctx.set_var("binding", binding)


def server_profile(ctx: EffectContext) -> None:
    binding: Binding = ctx.var("binding")
    expires = max(0, binding.until - ctx.now)
    for name in ("mcptt_id", "impu", "session"):
        ctx.set_field(name, getattr(binding, name))
    ctx.set_field("expires", expires)
    ctx.set_field("etag", binding.etag)
    ctx.set_field("content_type", model.PROFILE_TYPE)
    ctx.set_field("body", profile_body(Profile(binding.mcptt_id, binding.impu,
                                               binding.session, expires)))


EFFECTS = EffectRegistry({
    "ue.register": ue_register, "ue.publish": ue_publish, "ue.profile": ue_profile,
    "core.bind": core_bind, "core.third_party": core_third_party, "core.answer": core_answer,
    "core.assert": core_assert, "core.forward": core_forward,
    "server.register": server_register, "server.bind": server_bind,
    "server.profile": server_profile,
})
