"""The effects named by the SEAL key-distribution model (``seal.*``), on the real codec and crypto.

Initiator, step 1 (figure 6.Y.2-1): ``seal.new_key`` (K: 128 random bits, or the GMK the
SGM-S distributes), ``seal.new_sk_id`` (purpose || 28 random bits; for a GMK the CSB-ID is
the member's GUK-ID = GMK-ID XOR salt, TS 33.180 5.2.3 / F.1.3), ``seal.fill_header`` (T,
RAND, IDRi, IDRr, IDRkmsi), ``seal.encapsulate_key`` (SAKKE to UID(IDRr, period(T))),
``seal.sign`` (ECCSI by UID(IDRi, period(T)) over the encoded message) and
``seal.remember_sent_key``.

Receiver, step 2 (figure 6.Y.2-2), run after every guard held: ``seal.remember_rand``
(replay cache), ``seal.decapsulate_key`` (K with the own RSK) and ``seal.store_key`` (by
SK-ID; a GMK under the GMK-ID recovered with the own URI).  The key store write is the last
effect and a single transaction: a refused step stores nothing.

Step parameters (``RoleMachine.send(params=...)``): ``to`` (receiver URI, required),
``purpose`` (name, required), optional ``key``, ``sk_id`` (for a GMK the GMK-ID),
``random`` (28 bits), ``rand``, ``j`` (ECCSI ephemeral, for vectors), ``id_form``
("uid" default, or "uri"), ``kms_r`` (receiver's KMS URI, default the own).
"""

from __future__ import annotations

import secrets
from typing import Any

from mckm.impl.codec import Message, Payload
from mckm.impl.crypto import mckeys
from mckm.impl.engine import EffectContext, EffectRegistry
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.engine.wire import covered, header, payloads, seal
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.facts import SealFacts
from mckm.impl.roles.seal.imessage import (
    BOUND,
    SAKKE_PARAMS_1,
    SIGNATURE_OCTETS,
    IdForm,
    SakkeBlob,
)
from mckm.impl.roles.seal.keystore import KeyRecord, KeyStore
from mckm.models.grammar.namespaces import S_TYPE
from mckm.models.policy import PURPOSES, decode_key_id, encode_key_id, purpose_of
from mckm.models.policy.key_id import RANDOM_BITS
from mckm.models.procedures.seal_key_distribution import I_MESSAGE

KEY_OCTETS = 16  # 128-bit keys (SAKKE parameter set 1 carries n = 128 bits)
RAND_OCTETS = 16  # RFC 3830 6.11: at least 128 bits
GMK = PURPOSES.by_name("GMK").value


def _facts(ctx: EffectContext) -> SealFacts:
    if not isinstance(ctx.facts, SealFacts):
        raise UsageError("the SEAL effects need SealFacts (real crypto)")
    return ctx.facts


def _purpose(ctx: EffectContext) -> int:
    return PURPOSES.by_name(str(ctx.params["purpose"])).value


# -- initiator ---------------------------------------------------------------------------


def new_key(ctx: EffectContext) -> None:
    key = ctx.params.get("key")
    if key is None:
        key = secrets.token_bytes(KEY_OCTETS)
    if not isinstance(key, bytes) or len(key) != KEY_OCTETS:
        raise UsageError(f"the key must be {KEY_OCTETS} octets (SAKKE parameter set 1)")
    ctx.scratch["key"] = Secret(key)


def new_sk_id(ctx: EffectContext) -> None:
    layout = ctx.policy["key_id_layout"]
    purpose = _purpose(ctx)
    sk_id = ctx.params.get("sk_id")
    if sk_id is None:
        random = ctx.params.get("random")
        bits = secrets.randbits(RANDOM_BITS) if random is None else int(random)
        sk_id = encode_key_id(purpose, bits, layout)
    elif decode_key_id(int(sk_id), layout)[0] != purpose:
        raise UsageError(f"SK-ID {int(sk_id):08x} does not carry purpose {ctx.params['purpose']}")
    ctx.scratch["sk_id"] = int(sk_id)
    csb_id = int(sk_id)
    if purpose == GMK:  # TS 33.180 5.2.3: the member's GUK-ID travels, not the GMK-ID
        csb_id = mckeys.gmk_id_to_guk_id(csb_id, ctx.scratch["key"].reveal(),
                                         str(ctx.params["to"]))
    ctx.set_field("csb_id", csb_id)


def fill_header(ctx: EffectContext) -> None:
    rand = ctx.params.get("rand")
    ctx.set_field("t", ctx.now)
    ctx.set_field("rand", secrets.token_bytes(RAND_OCTETS) if rand is None else bytes(rand))
    ctx.set_field("idri", ctx.var("uri"))
    ctx.set_field("idrr", str(ctx.params["to"]))
    ctx.set_field("idrkmsi", _facts(ctx).community.kms_uri)


def encapsulate_key(ctx: EffectContext) -> None:
    f = _facts(ctx)
    uid = f.uid(ctx.fields["idrr"], f.period_of(ctx.fields["t"]))
    data = f.encapsulate(ctx.scratch["key"].reveal(), uid)
    ctx.set_field("sakke", SakkeBlob(SAKKE_PARAMS_1, f.community.id_scheme, data))


def sign(ctx: EffectContext) -> None:
    """Write the I_MESSAGE by its spec and sign what SIGN covers (RFC 6509 2.1, 4.3)."""
    f = _facts(ctx)
    values = dict(ctx.fields)
    period = f.period_of(values["t"])
    uid_i = f.uid(values["idri"], period)
    if IdForm(ctx.params.get("id_form", IdForm.UID.value)) is IdForm.UID:
        values["idri"], values["idrr"] = uid_i, f.uid(values["idrr"], period)
    values["idrkmsr"] = str(ctx.params.get("kms_r", f.community.kms_uri))
    j = ctx.params.get("j")
    integrity = I_MESSAGE.layout.integrity if I_MESSAGE.layout else None
    assert integrity is not None

    def signature(raw: bytes, message: Message) -> bytes:
        portion = covered(integrity, raw, message)
        return f.sign(portion, uid_i, None if j is None else int(j))

    raw, _ = seal(header(I_MESSAGE, values), payloads(I_MESSAGE, values, bound=BOUND),
                  Payload("SIGN", {"s_type": S_TYPE.ECCSI}), "signature", SIGNATURE_OCTETS,
                  signature)
    ctx.set_field("sign", raw[-SIGNATURE_OCTETS:])
    ctx.set_field("raw", raw)


def remember_sent_key(ctx: EffectContext) -> None:
    sk_id, key = ctx.scratch["sk_id"], ctx.scratch["key"]
    ctx.set_var("sent_keys", {**ctx.var("sent_keys", {}), sk_id: key})
    ctx.emit("key", (sk_id, key))


# -- receiver ----------------------------------------------------------------------------


def _message(ctx: EffectContext) -> Any:
    if ctx.message is None:
        raise UsageError("a receiving effect needs the message")
    return ctx.message


def remember_rand(ctx: EffectContext) -> None:
    m = _message(ctx)
    cache = ctx.var("replay_cache")
    if not isinstance(cache, ReplayCache):
        cache = ReplayCache({r: m.get("t") for r in cache})
    window = int(ctx.policy["replay_window"])
    ctx.set_var("replay_cache", cache.with_entry(m.get("rand"), m.get("t"), now=ctx.now,
                                                 window=window))


def decapsulate_key(ctx: EffectContext) -> None:
    m = _message(ctx)
    f = _facts(ctx)
    ctx.scratch["key"] = f.decapsulate(m.get("sakke"), f.uid(ctx.var("uri"), ctx.var("period")))


def store_key(ctx: EffectContext) -> None:
    m = _message(ctx)
    layout = ctx.policy["key_id_layout"]
    csb_id = int(m.get("csb_id"))
    purpose = purpose_of(csb_id, layout)
    key: Secret[bytes] = ctx.scratch["key"]
    sk_id = csb_id
    if purpose == GMK:  # TS 33.180 5.2.3: GMK-ID = GUK-ID XOR the own salt
        sk_id = mckeys.guk_id_to_gmk_id(csb_id, key.reveal(), str(ctx.var("uri")))
    record = KeyRecord(sk_id=sk_id, purpose=purpose, key=key, csb_id=csb_id,
                       peer=str(m.get("idri")), period_no=int(ctx.var("period")))
    store: KeyStore | None = ctx.var("key_store")
    if store is not None:
        store.put(record)  # last effect, one transaction
    ctx.emit("key", (sk_id, key))
    ctx.emit("record", record)


INITIATOR_EFFECTS = {
    "seal.new_key": new_key, "seal.new_sk_id": new_sk_id, "seal.fill_header": fill_header,
    "seal.encapsulate_key": encapsulate_key, "seal.sign": sign,
    "seal.remember_sent_key": remember_sent_key,
}
RECEIVER_EFFECTS = {
    "seal.remember_rand": remember_rand, "seal.decapsulate_key": decapsulate_key,
    "seal.store_key": store_key,
}


def registry() -> EffectRegistry:
    """Every ``seal.*`` effect of the model."""
    return EffectRegistry({**INITIATOR_EFFECTS, **RECEIVER_EFFECTS})
