"""The effects named by the SEAL key-distribution model (``seal.*``), on the real codec and crypto.

Step 1 (figure 6.Y.2-1): ``new_key`` (K, the SK-ID in CSB-ID, RAND), the generic writer of the
model's ``SEND_WRITES``, ``encapsulate_key`` and ``sign`` (to and by the model's UIDs), then
``remember_sent_key``.  Step 2 (figure 6.Y.2-2), after every guard held: the generic replay
cache insertion, then ``store_key`` (the record, which the endpoint stores at the commit).
Step parameters (``RoleMachine.send(params=...)``): ``purpose`` (name, required), optional
``key``, ``sk_id`` (for a GMK the GMK-ID), ``random`` (28 bits), ``rand``, ``j`` (ECCSI
ephemeral, for vectors), ``id_form`` ("uid" default, or "uri").
"""

from __future__ import annotations

import secrets

from mckm.impl.crypto import mckeys
from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.engine.sending import build_sealed, field_writer, replay_writer, value
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.facts import SAKKE_PARAMS_1, SealFacts
from mckm.impl.roles.seal.imessage import BOUND, IdForm
from mckm.impl.roles.seal.keystore import KeyRecord, stored_sk_id
from mckm.models.policy import PURPOSES, decode_key_id, encode_key_id, purpose_of
from mckm.models.policy.key_id import RANDOM_BITS
from mckm.models.procedures import seal_key_distribution as model

KEY_OCTETS = 16  # 128-bit keys (SAKKE parameter set 1 carries n = 128 bits)
RAND_OCTETS = 16  # RFC 3830 6.11: at least 128 bits
GMK = PURPOSES.by_name("GMK").value


def _facts(ctx: EffectContext) -> SealFacts:
    if not isinstance(ctx.facts, SealFacts):
        raise UsageError("the SEAL effects need SealFacts (real crypto)")
    return ctx.facts


def new_key(ctx: EffectContext) -> None:
    """K; its SK-ID (REQ-SEAL-KD-02) in CSB-ID (REQ-SEAL-KD-03); RAND (RFC 3830 6.11)."""
    key, sk_id, rand = (ctx.params.get(n) for n in ("key", "sk_id", "rand"))
    key = secrets.token_bytes(KEY_OCTETS) if key is None else key
    if not isinstance(key, bytes) or len(key) != KEY_OCTETS:
        raise UsageError(f"the key must be {KEY_OCTETS} octets (SAKKE parameter set 1)")
    purpose = PURPOSES.by_name(str(ctx.params["purpose"])).value
    layout = ctx.policy["key_id_layout"]
    if sk_id is None:
        random = ctx.params.get("random")
        sk_id = encode_key_id(purpose, secrets.randbits(RANDOM_BITS) if random is None
                              else int(random), layout)
    elif decode_key_id(int(sk_id), layout)[0] != purpose:
        raise UsageError(f"SK-ID {int(sk_id):08x} does not carry purpose {ctx.params['purpose']}")
    ctx.scratch.update(key=Secret(key), sk_id=int(sk_id))
    ctx.set_field("csb_id", int(sk_id) if purpose != GMK else  # TS 33.180 5.2.3: the GUK-ID
                  mckeys.gmk_id_to_guk_id(int(sk_id), key, str(ctx.var("peer"))))
    ctx.set_field("rand", secrets.token_bytes(RAND_OCTETS) if rand is None else bytes(rand))


def encapsulate_key(ctx: EffectContext) -> None:
    f = _facts(ctx)
    data = f.ring.encapsulate(ctx.scratch["key"].reveal(), value(ctx, model.RECEIVER_UID))
    ctx.set_field("sakke", model.SakkePayload(SAKKE_PARAMS_1, f.community.id_scheme, data))


def sign(ctx: EffectContext) -> None:
    """Write the I_MESSAGE by its spec and sign what SIGN covers (RFC 6509 2.1, 4.3); the UID
    form puts UID(IDRi) and UID(IDRr) in IDR roles 8 / 9 (TS 33.180 E.1)."""
    ring, values, j = _facts(ctx).ring, dict(ctx.fields), ctx.params.get("j")
    uid_i = value(ctx, model.INITIATOR_UID)
    if IdForm(ctx.params.get("id_form", IdForm.UID.value)) is IdForm.UID:
        values["idri"], values["idrr"] = uid_i, value(ctx, model.RECEIVER_UID)
    octets = model.ECCSI_SIGNATURE_OCTETS
    raw = build_sealed(model.I_MESSAGE, values, bound=BOUND, octets=octets,
                       tag=lambda portion: ring.sign(portion, uid_i, None if j is None else int(j)))
    ctx.set_field("sign", raw[-octets:])
    ctx.set_field("raw", raw)


def remember_sent_key(ctx: EffectContext) -> None:
    sk_id, key = ctx.scratch["sk_id"], ctx.scratch["key"]
    ctx.set_var("sent_keys", {**ctx.var("sent_keys", {}), sk_id: key})
    ctx.emit("key", (sk_id, key))


def store_key(ctx: EffectContext) -> None:
    """K with the own UID's RSK (guard encrypted-to-receiver) as the record to store by its id
    (guard key-fits: the SK-ID, a GMK by its GMK-ID, TS 33.180 5.2.3).  The effect computes;
    the endpoint stores the record when the run commits (``SealUser.receive``), so a run
    refused at its commit (a concurrent copy of its RAND) stores nothing."""
    m = ctx.message
    assert m is not None
    key = _facts(ctx).ring.decapsulate(m.get("sakke").data, value(ctx, model.RECEIVER_UID))
    csb_id = int(m.get("csb_id"))
    purpose = purpose_of(csb_id, ctx.policy["key_id_layout"])
    sk_id = stored_sk_id(csb_id, purpose, key, str(ctx.var("uri")))
    record = KeyRecord(sk_id, purpose, key, csb_id, str(m.get("idri")), int(ctx.var("period")))
    ctx.emit("key", (sk_id, key))
    ctx.emit("record", record)


def registry() -> EffectRegistry:
    """Every ``seal.*`` effect of the model."""
    return EffectRegistry({
        "seal.new_key": new_key, "seal.fill_header": field_writer(model.SEND_WRITES),
        "seal.encapsulate_key": encapsulate_key, "seal.sign": sign,
        "seal.remember_sent_key": remember_sent_key,
        "seal.remember_rand": replay_writer(), "seal.store_key": store_key})
