"""A one-KMS ticket exchange (Alice asks her KMS, transfers to Bob, Bob resolves at the same
KMS) run through the sans-IO roles, its messages checked as octets: the HDR of each message
(REQ-TKT-MSG-06, RFC 6043 4.2), the key each message is protected with (5.1.2) and the V MACs
of the Resolve exchange recomputed by hand (5.5 Table 5.2)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mckm.impl.codec import Payload, decode, decode_key_data, encode_key_data
from mckm.impl.crypto.mikey_prf import PrfFunc
from mckm.impl.engine import StepRefused
from mckm.impl.errors import VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket import wire
from mckm.impl.roles.ticket.endpoints import Initiator, Kms, Responder
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.keys import LabelPurpose, message_keys
from mckm.impl.roles.ticket.protection import AES_CM_256
from mckm.impl.roles.ticket.wire import TicketView
from mckm.models.grammar.namespaces import CS_ID_MAP_TYPE, ERROR_NO, MAC_ALG

from .world import ALICE, BOB, KMS_I, TPK

NOW = 3_900_000_000


def _context(uri: str, n: int) -> BootstrapContext:
    return BootstrapContext(f"btid-{n}@bsf.example.org", Secret(bytes([n]) * 32), bytes([n]) * 16,
                            f"impi-{n}", NOW + 3600, UserSecuritySettings((uri,)))


def _exchange() -> dict[str, bytes]:
    """Alice asks her KMS for a ticket to Bob, transfers it; Bob resolves it at the same KMS."""
    alice, bob = _context(ALICE, 1), _context(BOB, 2)
    bsf = Bsf()
    bsf.provision(alice)
    bsf.provision(bob)
    kms = Kms(KMS_I, tpk=TPK, bsf=bsf)
    initiator, responder = Initiator(ALICE, KMS_I, alice), Responder(BOB, KMS_I, bob)
    out = {"REQUEST_INIT": initiator.request_ticket(BOB, now=NOW)}  # each step 1 s later
    out["REQUEST_RESP"] = kms.receive_request(out["REQUEST_INIT"], now=NOW + 1)
    out["TRANSFER_INIT"] = initiator.receive_request_resp(out["REQUEST_RESP"], now=NOW + 2)
    step = responder.receive_transfer_init(out["TRANSFER_INIT"], now=NOW + 3)
    assert step.to_kms
    out["RESOLVE_INIT"] = step.octets
    resolve_resp = kms.receive_resolve(out["RESOLVE_INIT"], now=NOW + 4)
    assert isinstance(resolve_resp, bytes)
    out["RESOLVE_RESP"] = resolve_resp
    out["TRANSFER_RESP"], keys = responder.receive_resolve_resp(resolve_resp, now=NOW + 5)
    assert initiator.receive_transfer_resp(out["TRANSFER_RESP"], now=NOW + 6) == keys
    return out


def test_v_flag_cs_map_and_copied_header_fields() -> None:
    """REQ-TKT-MSG-06: the V flag, #CS and map of each message sent, and the HDR fields each
    response copies from its request."""
    sent = _exchange()
    hdr = {name: decode(raw).hdr.fields for name, raw in sent.items()}
    ticket = decode(sent["TRANSFER_INIT"]).get("TICKET")
    assert ticket is not None
    f_flag = ticket.fields["f"]
    assert {name: h["v"] for name, h in hdr.items()} == {
        "REQUEST_INIT": 1, "REQUEST_RESP": 0, "TRANSFER_INIT": f_flag, "TRANSFER_RESP": 0,
        "RESOLVE_INIT": 1, "RESOLVE_RESP": 0}
    for name in ("REQUEST_INIT", "RESOLVE_INIT"):
        assert (hdr[name]["n_cs"], hdr[name]["cs_id_map_type"]) == (0, CS_ID_MAP_TYPE.EMPTY_MAP)
    for request, response, copied in (
            ("REQUEST_INIT", "REQUEST_RESP", ("version", "prf_func", "csb_id", "n_cs",
                                              "cs_id_map_type")),
            ("RESOLVE_INIT", "RESOLVE_RESP", ("version", "prf_func", "csb_id", "n_cs",
                                              "cs_id_map_type")),
            ("TRANSFER_INIT", "TRANSFER_RESP", ("version", "prf_func", "csb_id"))):
        assert {k: hdr[response][k] for k in copied} == {k: hdr[request][k] for k in copied}


def test_request_and_resolve_under_the_psk_transfer_under_mpki() -> None:
    """REQ-TKT-MSG-01: REQUEST_INIT / REQUEST_RESP verify under the Initiator's Ks_NAF for its
    KMS, RESOLVE_INIT / RESOLVE_RESP under the Responder's, TRANSFER_INIT / TRANSFER_RESP under
    MPKi; none verifies under another of these keys.  REQ-TKT-MSG-13: on Ua the PSK is the
    Ks_NAF of the UE's bootstrapping context for its KMS's NAF_Id."""
    sent = _exchange()
    alice_psk = _context(ALICE, 1).ue_ks_naf(naf_id(KMS_I))
    bob_psk = _context(BOB, 2).ue_ks_naf(naf_id(KMS_I))
    request = TicketView.decode(sent["REQUEST_INIT"], expect="REQUEST_INIT")
    grant = TicketView.decode(sent["REQUEST_RESP"], answers=request, expect="REQUEST_RESP")
    keys = grant.verify(alice_psk)
    assert keys is not None
    mpki = keys.mpki.reveal()
    transfer = TicketView.decode(sent["TRANSFER_INIT"], expect="TRANSFER_INIT")
    resolve = TicketView.decode(sent["RESOLVE_INIT"], expect="RESOLVE_INIT")
    views = {
        alice_psk: [request, grant],
        bob_psk: [resolve, TicketView.decode(sent["RESOLVE_RESP"], answers=resolve,
                                             expect="RESOLVE_RESP")],
        mpki: [transfer, TicketView.decode(sent["TRANSFER_RESP"], answers=transfer,
                                           expect="TRANSFER_RESP")],
    }
    for key, own in views.items():
        for view in own:
            view.verify(key)
            for other in views.keys() - {key}:
                with pytest.raises(VerifyError):
                    TicketView.decode(view.raw, answers=view.answers, expect=view.name
                                      ).verify(other)


def test_resolve_macs_recomputed_by_hand() -> None:
    """REQ-TKT-MSG-03: RESOLVE_INIT's V is HMAC-SHA-256 under the Responder's initial-message
    auth key (5.1.2, RANDRr) over the message up to the MAC || ID Data(IDRr) || ID Data(IDRkms);
    RESOLVE_RESP's under the response auth key over the response up to its MAC || the whole
    RESOLVE_INIT (Table 5.2)."""
    sent = _exchange()
    init, resp = sent["RESOLVE_INIT"], sent["RESOLVE_RESP"]
    message = decode(init)
    randrr = message.all("RANDR")[0].fields["rand"]
    psk = _context(BOB, 2).ue_ks_naf(naf_id(KMS_I))

    def auth_key(purpose: LabelPurpose) -> bytes:
        key = message_keys(psk, csb_id=message.hdr.fields["csb_id"], purpose=purpose,
                           randri=None, randrr=randrr, encr_alg=0,
                           mac_alg=MAC_ALG.HMAC_SHA_256_256, prf_func=PrfFunc.PRF_HMAC_SHA_256)
        assert key.auth_key is not None
        return key.auth_key

    assert init[-32:] == hmac.new(auth_key(LabelPurpose.INITIAL),
                                  init[:-32] + BOB.encode() + KMS_I.encode(),
                                  hashlib.sha256).digest()
    assert resp[-32:] == hmac.new(auth_key(LabelPurpose.RESPONSE), resp[:-32] + init,
                                  hashlib.sha256).digest()


def test_request_resp_kemac_deciphered_by_hand() -> None:
    """REQ-TKT-MSG-07: REQUEST_RESP's KEMAC is AES-CM-256 under the response keys of the PSK,
    with IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000 and T the response's own timestamp
    (not its request's); counter blocks built by hand with AES-ECB open it to MPKi and the
    TGK."""
    sent = _exchange()
    request, response = decode(sent["REQUEST_INIT"]), decode(sent["REQUEST_RESP"])
    t_request, t_response = (m.get("T").fields["ts_value"]  # type: ignore[union-attr]
                             for m in (request, response))
    assert t_request != t_response
    psk = _context(ALICE, 1).ue_ks_naf(naf_id(KMS_I))
    kemac = response.get("KEMAC")
    assert kemac is not None and kemac.fields["encr_alg"] == AES_CM_256  # RFC 6043 6.2
    keys = message_keys(psk, csb_id=response.hdr.fields["csb_id"],
                        purpose=LabelPurpose.RESPONSE,
                        randri=request.all("RANDR")[0].fields["rand"], randrr=None,
                        encr_alg=AES_CM_256, mac_alg=MAC_ALG.HMAC_SHA_256_256,
                        prf_func=PrfFunc.PRF_HMAC_SHA_256).kemac
    assert keys is not None and len(keys.encr_key) == 32 and len(keys.salt_key) == 14
    iv_in = bytes(2) + response.hdr.fields["csb_id"].to_bytes(4, "big") + \
        t_response.to_bytes(8, "big")
    iv = bytes(a ^ b for a, b in zip(keys.salt_key, iv_in, strict=True))
    data = kemac.fields["encr_data"]
    ecb = Cipher(algorithms.AES(keys.encr_key), modes.ECB()).encryptor()
    stream = b"".join(ecb.update(iv + i.to_bytes(2, "big")) for i in range(len(data) // 16 + 1))
    plain = bytes(a ^ b for a, b in zip(data, stream, strict=False))
    opened = TicketView.decode(sent["REQUEST_RESP"], answers=TicketView.decode(
        sent["REQUEST_INIT"], expect="REQUEST_INIT"), expect="REQUEST_RESP").verify(psk)
    assert opened is not None
    assert [bytes(k.fields["key_data"]) for k in decode_key_data(plain)] == [
        opened.mpki.reveal(), opened.tgk.reveal()]


@pytest.mark.parametrize("contents", ["two TGKs", "no MPK", "no TGK"])
def test_the_initiator_refuses_a_kemac_with_other_contents(
    contents: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQ-TKT-MSG-08: a REQUEST_RESP from the Initiator's own KMS whose KEMAC carries anything
    but MPKi and exactly one TGK is refused by the Initiator (step Q4, MIKEY error 0); it sends
    no TRANSFER_INIT."""
    alice = _context(ALICE, 1)
    bsf = Bsf()
    bsf.provision(alice)
    kms, initiator = Kms(KMS_I, tpk=TPK, bsf=bsf), Initiator(ALICE, KMS_I, alice)
    request = initiator.request_ticket(BOB, now=NOW)

    def other_key_data(keys: list[Payload]) -> bytes:
        mpk, tgk = keys
        chosen = {"two TGKs": [mpk, tgk, tgk], "no MPK": [tgk], "no TGK": [mpk]}[contents]
        return bytes(encode_key_data(chosen))

    monkeypatch.setattr(wire, "encode_key_data", other_key_data)
    response = kms.receive_request(request, now=NOW + 1)
    monkeypatch.undo()
    with pytest.raises(StepRefused, match="MPKi and one TGK") as refused:
        initiator.receive_request_resp(response, now=NOW + 2)
    assert refused.value.mikey_error == ERROR_NO.AUTH_FAILURE


def test_transfer_macs_recomputed_by_hand() -> None:
    """REQ-TKT-MSG-03, REQ-TKT-MSG-05: TRANSFER_INIT's V is HMAC-SHA-256 under MPKi's
    initial-message auth key over the message up to the MAC, less the TICKET's Initiator Data
    length field (5.5), || ID Data(IDRi) || ID Data(IDRr); TRANSFER_RESP (G flag off: no
    RANDRr) under MPKi's response auth key over itself up to the MAC || the whole
    TRANSFER_INIT."""
    sent = _exchange()
    psk = _context(ALICE, 1).ue_ks_naf(naf_id(KMS_I))
    request = TicketView.decode(sent["REQUEST_INIT"], expect="REQUEST_INIT")
    keys = TicketView.decode(sent["REQUEST_RESP"], answers=request,
                             expect="REQUEST_RESP").verify(psk)
    assert keys is not None
    init, resp = sent["TRANSFER_INIT"], sent["TRANSFER_RESP"]
    message = decode(init)
    ticket = next(s for s in message.layout if s.payload == "TICKET")
    assert message.get("TICKET").fields["initiator_data"] == b""  # type: ignore[union-attr]
    assert decode(resp).all("RANDR") == []

    def auth_key(purpose: LabelPurpose) -> bytes:
        key = message_keys(keys.mpki.reveal(), csb_id=message.hdr.fields["csb_id"],
                           purpose=purpose, randri=message.all("RANDR")[0].fields["rand"],
                           randrr=None, encr_alg=0, mac_alg=MAC_ALG.HMAC_SHA_256_256,
                           prf_func=PrfFunc.PRF_HMAC_SHA_256)
        assert key.auth_key is not None
        return key.auth_key

    end = ticket.offset + ticket.length
    covered = init[:end - 2] + init[end:-32]
    assert init[-32:] == hmac.new(auth_key(LabelPurpose.INITIAL),
                                  covered + ALICE.encode() + BOB.encode(),
                                  hashlib.sha256).digest()
    assert resp[-32:] == hmac.new(auth_key(LabelPurpose.RESPONSE), resp[:-32] + init,
                                  hashlib.sha256).digest()
