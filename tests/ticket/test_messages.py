"""MIKEY-TICKET messages built and checked by their model specs (``impl/roles/ticket/wire``):
round trips through the codec, V coverage recomputed by hand from RFC 6043 5.5 Table 5.2, the
message keys of 5.1.2, Zk's NULL MAC (seed 002 B.2.2.3), refusals with their MIKEY errors."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from mckm.impl.codec import decode, encode, encode_key_data
from mckm.impl.errors import DecodeError, MckmError, PolicyError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.ticket import base_ticket as B
from mckm.impl.roles.ticket import wire
from mckm.impl.roles.ticket.base_ticket import TicketKeys
from mckm.impl.roles.ticket.keys import LabelPurpose, message_keys
from mckm.impl.roles.ticket.wire import (
    PayloadBlob,
    TicketView,
    ZkLink,
    build,
    build_error,
    error_numbers,
)
from mckm.models.grammar.namespaces import DATA_TYPE, ERROR_NO, MAC_ALG
from mckm.models.procedures.mikey_ticket import MESSAGES

from .world import ALICE, BOB, KMS_I, KMS_R, PSK_I, PSK_R, policy, ticket

RI, RR = bytes(range(16)), bytes(range(50, 66))
NOW = 3_900_000_000
KEYS = TicketKeys(Secret(bytes(range(100, 132))), Secret(bytes(range(140, 172))))
TP = PayloadBlob.of(B.Payload("TP", policy()))


def request_init(**values: object) -> TicketView:
    return build("REQUEST_INIT", {"t": NOW, "randri": RI, "idri": ALICE, "idrkms": KMS_I,
                                  "tp": TP, "idrpsk": "btid-a", **values},
                 inkey=PSK_I, hdr={"csb_id": 0x11, "prf_func": 1})


def resolve_init(inkey: bytes | None = PSK_R) -> TicketView:
    name = "RESOLVE_INIT" if inkey else "RESOLVE_INIT_ZK"
    values = {"t": NOW, "randrr": RR, "idrr": BOB, "idrkms": KMS_R,
              "ticket": PayloadBlob.of(ticket()), "idrpsk": "btid-b" if inkey else None}
    return build(name, values, inkey=inkey, hdr={"csb_id": 0x22, "prf_func": 1},
                 zk=None if inkey else ZkLink(KMS_R, True, KMS_I))


def received(view: TicketView, **kw: object) -> TicketView:
    return TicketView.decode(view.raw, expect=view.name, **kw)  # type: ignore[arg-type]


def test_every_spec_builds_and_reads_back_its_fields() -> None:
    """REQ-TKT-MSG-06: REQUEST_INIT is sent with V = 1 and #CS = 0; REQ-TKT-MSG-13: IDRpsk
    carries the B-TID.
    """
    init = request_init()
    assert encode(decode(init.raw)) == init.raw
    back = received(init)
    assert {f: back.get(f) for f in ("t", "randri", "idri", "idrkms", "tp", "idrpsk")} == {
        "t": NOW, "randri": RI, "idri": ALICE, "idrkms": KMS_I, "tp": TP, "idrpsk": "btid-a"}
    hdr = back.message.hdr.fields  # RFC 6043 4.2.1.1: V = 1, #CS 0, the Empty map
    assert (hdr["v"], hdr["n_cs"], hdr["csb_id"]) == (1, 0, 0x11)
    assert back.verify(PSK_I) is None  # no KEMAC
    names = {m.name for m in MESSAGES}
    assert names == {"REQUEST_INIT", "REQUEST_RESP", "TRANSFER_INIT", "TRANSFER_RESP",
                     "RESOLVE_INIT", "RESOLVE_INIT_ZK", "RESOLVE_RESP", "RESOLVE_RESP_ZK"}


def test_request_resp_copies_the_header_and_carries_the_keys() -> None:
    """REQ-TKT-MSG-06, REQ-TKT-MSG-08: REQUEST_RESP copies the CSB ID with V = 0, its KEMAC
    opens to MPKi and the TGK, another PSK is error 0, and a response to another request does
    not verify.
    """
    init = received(request_init())
    t = PayloadBlob.of(ticket())
    resp = build("REQUEST_RESP", {"t": NOW + 1, "idrkms": KMS_I, "ticket": t}, inkey=PSK_I,
                 answers=init, kemac=KEYS)
    back = received(resp, answers=init)
    assert back.get("ticket") == t and back.get("kemac").enciphered
    assert back.message.hdr.fields["csb_id"] == 0x11 and back.message.hdr.fields["v"] == 0
    got = back.verify(PSK_I)
    assert got is not None and got.mpki == KEYS.mpki and got.tgk == KEYS.tgk
    with pytest.raises(VerifyError) as exc:  # another PSK (5.5): Auth failure
        received(resp, answers=init).verify(PSK_R)
    assert exc.value.mikey_error == ERROR_NO.AUTH_FAILURE
    other = received(request_init(randri=RR))  # a response to another request
    with pytest.raises(MckmError):
        received(resp, answers=other).verify(PSK_I)


@pytest.mark.parametrize("contents", ["two TGKs", "no MPK", "no TGK"])
def test_a_kemac_with_other_contents_does_not_open(
    contents: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQ-TKT-MSG-08: a REQUEST_RESP whose KEMAC, correctly MACed and enciphered, carries
    anything but MPKi and exactly one TGK gives no ticket keys: the receiver refuses it."""
    init = received(request_init())

    def other_key_data(keys: list[B.Payload]) -> bytes:
        mpk, tgk = keys
        chosen = {"two TGKs": [mpk, tgk, tgk], "no MPK": [tgk], "no TGK": [mpk]}[contents]
        return bytes(encode_key_data(chosen))

    monkeypatch.setattr(wire, "encode_key_data", other_key_data)
    resp = build("REQUEST_RESP", {"t": NOW + 1, "idrkms": KMS_I,
                                  "ticket": PayloadBlob.of(ticket())},
                 inkey=PSK_I, answers=init, kemac=KEYS)
    monkeypatch.undo()
    kemac = decode(resp.raw).get("KEMAC")
    assert kemac is not None and kemac.fields["mac_alg"] == MAC_ALG.NULL
    with pytest.raises(MckmError, match="MPKi and one TGK"):
        received(resp, answers=init).verify(PSK_I)


def test_a_sealed_view_answers_for_its_own_key_and_verifies_any_other() -> None:
    """build records the verification under the key it sealed with (the send step's guards
    ask it); what a receiver decodes verifies to the same keys, and another key is checked for
    real on the built view too."""
    init = received(request_init())
    resp = build("REQUEST_RESP", {"t": NOW + 1, "idrkms": KMS_I,
                                  "ticket": PayloadBlob.of(ticket())},
                 inkey=PSK_I, answers=init, kemac=KEYS)
    assert resp.verify(PSK_I) is KEYS
    back = received(resp, answers=init).verify(PSK_I)
    assert back is not None and (back.mpki, back.tgk) == (KEYS.mpki, KEYS.tgk)
    with pytest.raises(VerifyError):
        resp.verify(PSK_R)


def test_v_covers_what_table_5_2_says_recomputed_by_hand() -> None:
    """REQUEST_INIT: HMAC-SHA-256 under the initial-message auth_key of the PSK (5.1.2) over
    the message up to the MAC || ID Data(IDRi) || ID Data(IDRkms); a response: over the
    response up to its MAC || the whole initial message.

    REQ-TKT-MSG-01, REQ-TKT-MSG-03: V recomputed by hand under the 5.1.2 keys of the PSK over Table
    5.2's coverage.
    """
    init = request_init()
    auth = message_keys(PSK_I, csb_id=0x11, purpose=LabelPurpose.INITIAL, randri=RI,
                        randrr=None, encr_alg=0, mac_alg=MAC_ALG.HMAC_SHA_256_256,
                        prf_func=1).auth_key  # type: ignore[arg-type]
    assert auth is not None
    body = init.raw[:-32]
    assert init.raw[-32:] == hmac.new(auth, body + ALICE.encode() + KMS_I.encode(),
                                      hashlib.sha256).digest()
    resp = build("REQUEST_RESP", {"t": NOW, "idrkms": KMS_I, "ticket": PayloadBlob.of(ticket())},
                 inkey=PSK_I, answers=init, kemac=KEYS)
    auth_r = message_keys(PSK_I, csb_id=0x11, purpose=LabelPurpose.RESPONSE, randri=RI,
                          randrr=None, encr_alg=0, mac_alg=MAC_ALG.HMAC_SHA_256_256,
                          prf_func=1).auth_key  # type: ignore[arg-type]
    assert auth_r is not None
    assert resp.raw[-32:] == hmac.new(auth_r, resp.raw[:-32] + init.raw, hashlib.sha256).digest()


def test_transfer_init_v_leaves_out_the_initiator_data() -> None:
    """RFC 6043 5.5: TRANSFER_INIT's MAC does not cover the TICKET's Initiator Data.

    REQ-TKT-MSG-05: TRANSFER_INIT's MAC leaves out the TICKET's Initiator Data and covers RANDRi.
    """
    fields = dict(ticket(i=1).fields)
    view = build("TRANSFER_INIT", {"t": NOW, "randri": RI, "idri": ALICE, "idrr": BOB,
                                   "ticket": PayloadBlob.of(B.Payload("TICKET", fields))},
                 inkey=bytes(32), hdr={"csb_id": 5, "prf_func": 1})
    assert received(view).verify(bytes(32)) is None
    with_data = {**fields, "initiator_data": b"\x55" * 12}
    again = build("TRANSFER_INIT", {"t": NOW, "randri": RI, "idri": ALICE, "idrr": BOB,
                                    "ticket": PayloadBlob.of(B.Payload("TICKET", with_data))},
                  inkey=bytes(32), hdr={"csb_id": 5, "prf_func": 1})
    assert again.raw[-32:] == view.raw[-32:]  # same MAC: the Initiator Data is not covered
    flipped = bytearray(view.raw)
    flipped[view.raw.index(RI)] ^= 1  # inside RANDRi: covered
    with pytest.raises(VerifyError):
        TicketView.decode(bytes(flipped), expect="TRANSFER_INIT").verify(bytes(32))


def test_zk_messages_carry_the_null_mac_and_a_clear_kemac() -> None:
    """Seed 002 B.2.2.3 steps 6-11: no MIKEY protection on Zk; a protected message is not
    taken for an unprotected one, nor the reverse (REQ-TKT-MSG-12)."""
    link = ZkLink(KMS_R, True, KMS_I)
    zk_init = received(resolve_init(None), zk=link)
    assert zk_init.message.get("V").fields["auth_alg"] == MAC_ALG.NULL  # type: ignore[union-attr]
    assert zk_init.verify(None) is None
    with pytest.raises(PolicyError):
        received(resolve_init(None), zk=link).verify(PSK_R)
    with pytest.raises(PolicyError):
        received(resolve_init()).verify(None)
    answer = build("RESOLVE_RESP_ZK", {"t": NOW, "idrkms": KMS_I, "idrr": BOB}, inkey=None,
                   answers=zk_init, kemac=KEYS, zk=ZkLink(KMS_I, True, KMS_R))
    back = received(answer, zk=ZkLink(KMS_I, True, KMS_R), answers=zk_init)
    assert not back.get("kemac").enciphered
    keys = back.verify(None)
    assert keys is not None and keys.tgk == KEYS.tgk


def test_refusals_name_their_mikey_error() -> None:
    """REQ-TKT-MSG-11: wrong data type is error 11, bytes that do not decode error 12, a
    non-NULL KEMAC MAC and any flipped covered bit do not verify; REQ-TKT-MSG-08: the KEMACs
    carry the NULL MAC.
    """
    init = request_init()
    with pytest.raises(PolicyError) as wrong_type:
        TicketView.decode(init.raw, expect="RESOLVE_INIT")
    assert wrong_type.value.mikey_error == ERROR_NO.INVALID_DT
    with pytest.raises(DecodeError) as garbage:
        TicketView.decode(init.raw[:-3], expect="REQUEST_INIT")
    assert garbage.value.mikey_error == ERROR_NO.UNSPECIFIED_ERROR  # type: ignore[attr-defined]
    resp = build("REQUEST_RESP", {"t": NOW, "idrkms": KMS_I, "ticket": PayloadBlob.of(ticket())},
                 inkey=PSK_I, answers=received(init), kemac=KEYS)
    message = decode(resp.raw)
    message.get("KEMAC").fields["mac_alg"] = MAC_ALG.HMAC_SHA_256_256  # type: ignore[union-attr]
    message.get("KEMAC").fields["mac"] = bytes(32)  # type: ignore[union-attr]
    with pytest.raises(MckmError):  # 4.2.1.5: the KEMAC's MAC is NULL, V carries the MAC
        TicketView.decode(bytes(encode(message)), answers=received(init)).verify(PSK_I)
    for bit in range(0, 8 * len(init.raw), 13):  # every covered octet matters
        flipped = bytearray(init.raw)
        flipped[bit // 8] ^= 0x80 >> bit % 8
        with pytest.raises(MckmError):
            TicketView.decode(bytes(flipped), expect="REQUEST_INIT").verify(PSK_I)


def test_error_message() -> None:
    """RFC 6043 5.4: HDR (version, PRF, CSB ID of the failed message; V = 0), T, ERR.

    REQ-TKT-MSG-06: the Error message copies the failed message's CSB ID and carries the error
    numbers.
    """
    init = request_init()
    raw = build_error(decode(init.raw), now=NOW, errors=[ERROR_NO.INVALID_ID,
                                                         ERROR_NO.AUTH_FAILURE])
    message = decode(raw)
    assert message.data_type == DATA_TYPE.ERROR and message.hdr.fields["csb_id"] == 0x11
    assert error_numbers(raw) == (ERROR_NO.INVALID_ID, ERROR_NO.AUTH_FAILURE)
    with pytest.raises(DecodeError):
        error_numbers(init.raw)
