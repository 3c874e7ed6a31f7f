"""MIKEY-TICKET messages (RFC 6043 4.2, 5.4, 5.5; seed 002 B.2.2.2 / B.2.2.3): every builder and
parser round trip through the codec, the one-KMS and two-KMS resolve, key forking, refusals."""

from __future__ import annotations

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.codec.chains import decode_chain, encode_chain
from mckm.impl.codec.model import Message, Payload
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.errors import DecodeError, PolicyError, VerifyError
from mckm.impl.roles.ticket import base_ticket as B
from mckm.impl.roles.ticket import messages as M
from mckm.impl.roles.ticket.keys import ForkConstant, LabelPurpose, fork_key, message_keys
from mckm.impl.roles.ticket.protection import compute_mac

from .world import ALICE, BOB, KMS_I, KMS_R, PSK_I, PSK_R, TPK, policy, ticket

RI, RR, RKMS = bytes(range(32)), bytes(range(50, 82)), bytes(range(90, 122))


def request_init() -> M.RequestInit:
    return M.build_request_init_psk(csb_id=0x11, prf_func=1, ts=(0, 1 << 40), randri=RI,
                                    idri=ALICE, idrkms=KMS_I, tp=policy(), idrpsk=b"btid-a",
                                    psk=PSK_I, mac_alg=2)


def issued(**flags: int) -> tuple[Payload, bytes, bytes]:
    t = ticket(**flags)
    mpki, mpkr = B.open_ticket(t, lambda _: TPK).mpki_mpkr(1)
    return t, mpki, mpkr


def resolve_init(t: Payload, *, psk: bytes | None = PSK_R,
                 kms: M.Identity = KMS_R) -> M.ResolveInit:
    return M.build_resolve_init_psk(csb_id=0x22, prf_func=1, ts=(0, 2 << 40), randrr=RR, idrr=BOB,
                                    idrkms=kms, ticket=t, idrpsk=b"btid-b" if psk else None,
                                    psk=psk, mac_alg=2 if psk else 0)


def test_request_exchange_round_trip() -> None:
    init = request_init()
    assert init.hdr["v"] == 1 and init.hdr["n_cs"] == 0 and init.hdr["cs_id_map_type"] == 1
    assert encode(decode(init.raw)) == init.raw
    seen: list[bytes | None] = []
    got = M.parse_request_init_psk(init.raw, psk_for=lambda i: seen.append(i) or PSK_I,
                                   kms_identity=KMS_I)
    assert seen == [b"btid-a"] and got.identity(M.IDRI) == ALICE
    t, mpki, _mpkr = issued()
    resp = M.build_request_resp(got, ts=(0, 3 << 40), idrkms=KMS_I, ticket=t,
                                keys=[B.mpk_key(mpki, b"\0\0\0\1"), *B.open_ticket(
                                    t, lambda _: TPK).session_keys], psk=PSK_I, encr_alg=3,
                                mac_alg=2)
    assert resp.hdr["v"] == 0 and resp.csb_id == init.csb_id
    back = M.parse_request_resp(resp.raw, init, psk=PSK_I)
    assert back.kemac is not None and back.kemac.mpki == mpki and back.kemac.mpkr is None
    assert back.ticket == t
    assert "redacted" in repr(back.kemac)


def test_one_kms_resolve_and_transfer() -> None:
    t, mpki, _ = issued()
    ti = M.build_transfer_init(csb_id=0x33, prf_func=1, ts=(0, 4 << 40), randri=RI, idri=ALICE,
                               idrr=BOB, ticket=t, mpki=mpki, mac_alg=2)
    assert ti.hdr["v"] == t.fields["f"]
    seen = M.read_transfer_init(ti.raw)
    ri = resolve_init(seen.ticket)  # type: ignore[arg-type]
    kms_view = M.parse_resolve_init_psk(ri.raw, psk_for=lambda _: PSK_R, kms_identity=KMS_R)
    opened = B.open_ticket(kms_view.ticket, lambda _: TPK)  # type: ignore[arg-type]
    rr = M.build_resolve_resp(kms_view, ts=(0, 5 << 40), idrkms=KMS_R,
                              keys=[B.mpk_key(mpki, b"\0\0\0\1"), *opened.session_keys],
                              psk=PSK_R, encr_alg=3, mac_alg=2)
    got = M.parse_resolve_resp(rr.raw, ri, psk=PSK_R)
    assert got.kemac is not None and got.kemac.mpki == mpki
    checked = M.verify_transfer_init(seen, mpki=got.kemac.mpki, responder_identity=BOB)
    tr = M.build_transfer_resp(checked, ts=(0, 6 << 40), mpk=mpki, mac_alg=2, randrr=RR, idrr=BOB)
    M.verify_transfer_resp(M.read_transfer_resp(tr.raw, ti), ti, mpk=mpki)
    with pytest.raises(VerifyError):  # wrong MPK
        M.verify_transfer_init(seen, mpki=bytes(32), responder_identity=BOB)


def test_two_kms_resolve_with_zk_null_mac_and_reencoding() -> None:
    t, mpki, _ = issued()
    ua = resolve_init(t)
    at_r = M.parse_resolve_init_psk(ua.raw, psk_for=lambda _: PSK_R, kms_identity=KMS_R)
    # step 6: KMS_R -> KMS_I, TICKET and IDRr reused, not integrity protected (NULL MAC)
    zk = M.build_resolve_init_psk(csb_id=0x44, prf_func=1, ts=(0, 7 << 40), randrr=RKMS,
                                  idrr=at_r.identity(M.IDRR), idrkms=KMS_I,  # type: ignore[arg-type]
                                  ticket=at_r.ticket, idrpsk=None, psk=None, mac_alg=0)  # type: ignore[arg-type]
    assert zk.v.fields == {"auth_alg": 0, "ver_data": b""} and not zk.protected
    at_i = M.parse_resolve_init_psk(zk.raw, psk_for=None, kms_identity=KMS_I)
    with pytest.raises(PolicyError) as err:  # a NULL MAC is never accepted on Ua
        M.parse_resolve_init_psk(zk.raw, psk_for=lambda _: PSK_R, kms_identity=KMS_I)
    assert err.value.mikey_error == 3
    opened = B.open_ticket(at_i.ticket, lambda _: TPK)  # type: ignore[arg-type]
    keys = [B.mpk_key(mpki, b"\0\0\0\1"), *opened.session_keys]
    zr = M.build_resolve_resp(at_i, ts=(0, 8 << 40), idrkms=KMS_I, keys=keys, psk=None,
                              encr_alg=0, mac_alg=0)
    assert zr.message.get("KEMAC").fields["encr_alg"] == 0  # type: ignore[union-attr]
    inner = M.parse_resolve_resp(zr.raw, zk, psk=None)
    assert inner.kemac is not None
    # step 12: KMS_R re-encodes and protects for the responder
    outer = M.build_resolve_resp(at_r, ts=(0, 9 << 40), idrkms=KMS_R, keys=inner.kemac.keys,
                                 psk=PSK_R, encr_alg=3, mac_alg=2)
    got = M.parse_resolve_resp(outer.raw, ua, psk=PSK_R)
    assert got.kemac is not None and got.kemac.keys == tuple(keys)
    with pytest.raises(PolicyError):  # a protected answer is not taken as the Zk one
        M.parse_resolve_resp(outer.raw, zk, psk=None)


def test_key_forking_initiator_data_and_modifier() -> None:
    t, mpki, mpkr = issued(i=1)
    ti = M.build_transfer_init(csb_id=0x55, prf_func=1, ts=(0, 1 << 40), randri=RI, idri=ALICE,
                               idrr=BOB, ticket=t, mpki=mpki, mpkr=mpkr, mac_alg=2)
    tk = ti.ticket
    assert tk is not None and tk.fields["initiator_data"][0] == 9
    assert M.verify_initiator_data(tk, mpkr) == ti.v.fields["ver_data"]  # KMS, 4.2.3.4
    with pytest.raises(VerifyError):
        M.verify_initiator_data(tk, bytes(32))
    seen = M.verify_transfer_init(M.read_transfer_init(ti.raw), mpki=mpki, responder_identity=BOB)
    mpkr_f = fork_key(mpkr, ForkConstant.MPKR_PRIME, id_data=BOB.id_data, randrkms=RKMS,
                      prf_func=PrfFunc.PRF_HMAC_SHA_256)
    tr = M.build_transfer_resp(seen, ts=(0, 2 << 40), mpk=mpkr_f, mac_alg=2, randrr=RR, idrr=BOB,
                               randrkms=RKMS)
    got = M.read_transfer_resp(tr.raw, ti)
    fork = fork_key(mpkr, ForkConstant.MPKR_PRIME, id_data=got.identity(M.IDRR).id_data,  # type: ignore[union-attr]
                    randrkms=got.rand(M.RANDRKMS) or b"", prf_func=PrfFunc.PRF_HMAC_SHA_256)
    M.verify_transfer_resp(got, ti, mpk=fork)
    with pytest.raises(VerifyError):
        M.verify_transfer_resp(got, ti, mpk=mpkr)
    # a different Vi in the Initiator Data is refused by the responder (4.2.3.6)
    _vi, vr = decode_chain(tk.fields["initiator_data"])
    forged = Payload("TICKET", {**tk.fields, "initiator_data": encode_chain(
        [Payload("V", {"auth_alg": 2, "ver_data": bytes(32)}), vr])})
    msg = decode(ti.raw)
    raw = encode(Message(msg.hdr, [forged if p.name == "TICKET" else p for p in msg.payloads]))
    with pytest.raises(PolicyError, match="Vi"):
        M.verify_transfer_init(M.read_transfer_init(raw), mpki=mpki, responder_identity=BOB)


def test_transfer_init_mac_covers_everything_but_initiator_data() -> None:
    t, mpki, mpkr = issued(i=1)
    ti = M.build_transfer_init(csb_id=0x55, prf_func=1, ts=(0, 1 << 40), randri=RI, idri=ALICE,
                               idrr=BOB, ticket=t, mpki=mpki, mpkr=mpkr, mac_alg=1)
    raw = bytearray(ti.raw)
    raw[20] ^= 0x01  # inside RANDRi
    with pytest.raises((VerifyError, DecodeError)):
        M.verify_transfer_init(M.read_transfer_init(bytes(raw)), mpki=mpki,
                               responder_identity=BOB)


def test_refusals_with_mikey_error_numbers() -> None:
    init = request_init()
    with pytest.raises(PolicyError) as err:  # wrong identity
        M.parse_request_init_psk(init.raw, psk_for=lambda _: PSK_I, kms_identity=KMS_R)
    assert err.value.mikey_error == 7
    with pytest.raises(VerifyError) as verr:  # wrong MAC (wrong PSK)
        M.parse_request_init_psk(init.raw, psk_for=lambda _: PSK_R, kms_identity=KMS_I)
    assert verr.value.mikey_error == 0
    with pytest.raises(PolicyError) as err:  # wrong data type
        M.parse_resolve_init_psk(init.raw, psk_for=lambda _: PSK_I, kms_identity=KMS_I)
    assert err.value.mikey_error == 11
    tampered = bytearray(init.raw)
    tampered[-1] ^= 0x80
    with pytest.raises(VerifyError):
        M.parse_request_init_psk(bytes(tampered), psk_for=lambda _: PSK_I, kms_identity=KMS_I)
    for bad in (init.raw[:-5], _without_randr(init.raw)):  # truncated; RANDRi missing
        with pytest.raises(M.MalformedMessage) as merr:
            M.parse_request_init_psk(bad, psk_for=lambda _: PSK_I, kms_identity=KMS_I)
        assert merr.value.mikey_error == 12


def _without_randr(raw: bytes) -> bytes:
    """Cut the RANDR payload out of the octets and relink (the codec refuses to encode it)."""
    msg = decode(raw)
    span = next(s for s in msg.layout if s.payload == "RANDR")
    out = bytearray(raw[: span.offset] + raw[span.offset + span.length:])
    # the payload before RANDR is T; its Next Payload octet is the first octet of its span
    t_span = next(s for s in msg.layout if s.payload == "T")
    out[t_span.offset] = raw[span.offset]  # RANDR's own Next Payload (IDR)
    return bytes(out)


def test_omitted_identity_uses_known_one_or_is_refused() -> None:
    """RFC 6043 5.5 appends Identity_i even when IDRi is left out (4.2.1.2 MAY): the MAC is
    computed here independently over message || ID Data(i) || ID Data(kms)."""
    init = request_init()
    msg = decode(init.raw)
    without = [p for p in msg.payloads if not (p.name == "IDR" and p.fields["id_role"] == M.IDRI)]
    raw = encode(Message(msg.hdr, without))
    mkeys = message_keys(PSK_I, csb_id=0x11, purpose=LabelPurpose.INITIAL, randri=RI,
                         randrr=None, encr_alg=0, mac_alg=2, prf_func=PrfFunc.PRF_HMAC_SHA_256)
    tag = compute_mac(2, mkeys.auth_key, raw[:-32] + ALICE.id_data + KMS_I.id_data)
    raw = raw[:-32] + tag
    with pytest.raises(PolicyError) as err:
        M.parse_request_init_psk(raw, psk_for=lambda _: PSK_I, kms_identity=KMS_I)
    assert err.value.mikey_error == 7
    M.parse_request_init_psk(raw, psk_for=lambda _: PSK_I, kms_identity=KMS_I,
                             initiator_identity=ALICE)
    with pytest.raises(VerifyError):
        M.parse_request_init_psk(raw, psk_for=lambda _: PSK_I, kms_identity=KMS_I,
                                 initiator_identity=BOB)


def test_error_message() -> None:
    init = request_init()
    plain = M.build_error(init, ts=(0, 9), errors=[0, 7])
    got = M.parse_error(plain.raw)
    assert got.errors == (0, 7) and got.csb_id == init.csb_id and got.hdr["v"] == 0
    key = bytes(32)
    signed = M.build_error(init, ts=(0, 9), errors=[14], mac_alg=2, auth_key=key)
    assert M.parse_error(signed.raw, auth_key=key).errors == (14,)
    with pytest.raises(VerifyError):
        M.parse_error(signed.raw, auth_key=bytes(range(32)))
