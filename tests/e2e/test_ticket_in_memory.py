"""MIKEY-TICKET end to end with real crypto, in memory (seed 002 B.2.2.2 / B.2.2.3; RFC 6043
4.2): one KMS and two KMS domains complete with both UEs holding the same MPKi and TGK (and so
the same TEK); each attack is refused with the model's step, guard, requirement and MIKEY error,
and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mckm.impl.codec import Payload, decode, encode
from mckm.impl.crypto.mikey_prf import PrfFunc, TgkConstant
from mckm.impl.engine import StepRefused
from mckm.impl.errors import DecodeError, MckmError
from mckm.impl.roles.ticket.endpoints import Forward, Kms, error_reply
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.keys import session_key
from mckm.impl.roles.ticket.policy_data import policy_fields, policy_of
from mckm.impl.roles.ticket.wire import PayloadBlob, TicketView, build, error_numbers
from mckm.models.grammar.namespaces import DATA_TYPE, ID_ROLE
from mckm.models.policy.ticket_policy import TicketPolicy
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN, TWO_DOMAINS
from tests.e2e.ticket_fixtures import (
    ALICE,
    BOB,
    CAROL,
    KMS_A,
    KMS_B,
    KMS_C,
    NOW,
    TRUST,
    World,
    context,
    link,
    world,
)


def _to_resolve(w: World, responder: str = BOB) -> bytes:
    """Request, transfer: the responder's RESOLVE_INIT_PSK."""
    ri = w.alice.request_ticket(responder, now=NOW)
    ti = w.alice.receive_request_resp(w.kms[KMS_A].receive_request(ri, now=NOW), now=NOW)
    return w.bob.receive_transfer_init(ti, now=NOW).octets


def _resolve(w: World, raw: bytes, kms: str, now: int = NOW) -> bytes:
    out = w.kms[kms].receive_resolve(raw, now=now)
    if isinstance(out, Forward):
        assert out.to == KMS_A
        ans = w.kms[KMS_A].receive_zk_resolve(out.octets, link(kms, KMS_A), now=now)
        out = w.kms[kms].complete(out, ans, link(KMS_A, kms), now=now)
    return out


@pytest.mark.parametrize("bob_kms", [KMS_A, KMS_B], ids=["one-kms", "two-kms"])
def test_initiator_and_responder_hold_the_same_keys(bob_kms: str) -> None:
    w = world(bob_kms=bob_kms)
    rr = _resolve(w, _to_resolve(w), bob_kms)
    tr, k_bob = w.bob.receive_resolve_resp(rr, now=NOW)
    k_alice = w.alice.receive_transfer_resp(tr, now=NOW)
    assert k_alice == k_bob and "redacted" in repr(k_bob)
    assert w.alice.machine is not None and w.alice.machine.done
    assert w.bob.machine is not None and w.bob.machine.done
    randri = w.alice.machine.vars["transfer_init"].get("randri")  # H flag (RFC 6043 5.1.3)
    tek = [session_key(k.tgk.reveal(), TgkConstant.TEK, cs_id=1, randri=randri, randrr=None,
                       outkey_octets=16, prf_func=PrfFunc.PRF_HMAC_SHA_256)
           for k in (k_alice, k_bob)]
    assert tek[0] == tek[1]
    # Zk carried the keys unprotected by MIKEY, Ua enciphered (REQ-TKT-13, 17, 19)
    assert decode(rr).get("KEMAC").fields["encr_alg"] != 0  # type: ignore[union-attr]
    assert decode(tr).data_type == DATA_TYPE.TRANSFER_RESP


def test_two_kms_zk_messages_are_null_mac_and_reuse_idrr_and_ticket() -> None:
    w = world()
    raw = _to_resolve(w)
    fwd = w.kms[KMS_B].receive_resolve(raw, now=NOW)
    assert isinstance(fwd, Forward)
    zk, ua = decode(fwd.octets), decode(raw)
    assert zk.get("V").fields["auth_alg"] == 0  # type: ignore[union-attr]
    assert zk.get("TICKET") == ua.get("TICKET")
    assert [p for p in zk.all("IDR") if p.fields["id_role"] == ID_ROLE.IDRR] == \
        [p for p in ua.all("IDR") if p.fields["id_role"] == ID_ROLE.IDRR]


def _reusable_resolved(w: World, bob_kms: str) -> tuple[Any, bytes]:
    """A reusable ticket resolved once: Bob's keys and Alice's next TRANSFER_INIT with it."""
    ri = w.alice.request_ticket(BOB, now=NOW, reusable=True)
    ti = w.alice.receive_request_resp(w.kms[KMS_A].receive_request(ri, now=NOW), now=NOW)
    first = w.bob.receive_transfer_init(ti, now=NOW)
    assert first.to_kms
    tr, keys = w.bob.receive_resolve_resp(_resolve(w, first.octets, bob_kms), now=NOW)
    assert w.alice.receive_transfer_resp(tr, now=NOW) == keys
    return keys, w.alice.offer_again(now=NOW + 5)


@pytest.mark.parametrize("bob_kms", [KMS_A, KMS_B], ids=["one-kms", "two-kms"])
def test_reusable_ticket_is_answered_without_a_resolve(bob_kms: str) -> None:
    """Seed B.2.2.2 step 1 -> 10, RFC 6043 5.3: the stored keys, no KMS involved."""
    w = world(bob_kms=bob_kms)
    keys, again = _reusable_resolved(w, bob_kms)
    caches = {uri: kms.replay_cache for uri, kms in w.kms.items()}
    second = w.bob.receive_transfer_init(again, now=NOW + 5)
    assert not second.to_kms and second.keys == keys
    assert w.bob.machine is not None and w.bob.machine.done
    assert w.alice.receive_transfer_resp(second.octets, now=NOW + 5) == keys
    assert {uri: kms.replay_cache for uri, kms in w.kms.items()} == caches


def test_non_reusable_ticket_is_resolved_again_and_not_offered_again() -> None:
    w = world(bob_kms=KMS_A)
    ri = w.alice.request_ticket(BOB, now=NOW)
    ti = w.alice.receive_request_resp(w.kms[KMS_A].receive_request(ri, now=NOW), now=NOW)
    rr = _resolve(w, w.bob.receive_transfer_init(ti, now=NOW).octets, KMS_A)
    tr, _ = w.bob.receive_resolve_resp(rr, now=NOW)
    w.alice.receive_transfer_resp(tr, now=NOW)
    assert not w.bob.reusable.entries
    with pytest.raises(MckmError, match="reusable"):
        w.alice.offer_again(now=NOW)
    # the same TRANSFER_INIT again is a replay (RFC 3830 5.4), refused before any resolve
    _refused(lambda: w.bob.receive_transfer_init(ti, now=NOW), None, step="1", guard="fresh",
             requirement="REQ-TKT-24", error=1)


def test_reused_ticket_expired_or_tampered_is_refused_and_nothing_changes() -> None:
    w = world(bob_kms=KMS_A)
    _, again = _reusable_resolved(w, KMS_A)
    store = dict(w.bob.reusable.entries)
    _refused(lambda: w.bob.receive_transfer_init(again, now=NOW + 3601), None, step="1r",
             guard="ticket-not-expired", requirement="REQ-TKT-23", error=15)
    _refused(lambda: w.bob.receive_transfer_init(_flip(again, "V"), now=NOW + 5), None,
             step="1r", guard="stored-mpki-mac", requirement="REQ-TKT-22", error=0)
    assert w.bob.reusable.entries == store
    assert not w.bob.receive_transfer_init(again, now=NOW + 5).to_kms  # accepted once
    _refused(lambda: w.bob.receive_transfer_init(again, now=NOW + 6), None, step="1r",
             guard="fresh", requirement="REQ-TKT-24", error=1)


@pytest.mark.parametrize("bob_kms", [KMS_A, KMS_B], ids=["one-kms", "two-kms"])
def test_transfer_init_is_checked_with_the_resolved_mpki(bob_kms: str) -> None:
    """RFC 6043 4.2.3.6: a TRANSFER_INIT whose V was altered on the way resolves (its V cannot
    be checked before), but the responder then refuses it: nothing stored, no TRANSFER_RESP."""
    w = world(bob_kms=bob_kms)
    ri = w.alice.request_ticket(BOB, now=NOW, reusable=True)
    ti = w.alice.receive_request_resp(w.kms[KMS_A].receive_request(ri, now=NOW), now=NOW)
    rr = _resolve(w, w.bob.receive_transfer_init(_flip(ti, "V"), now=NOW).octets, bob_kms)
    _refused(lambda: w.bob.receive_resolve_resp(rr, now=NOW), None,
             step="8" if bob_kms == KMS_A else "12r", guard="offer-mpki-mac",
             requirement="REQ-TKT-22", error=0)
    assert not w.bob.reusable.entries


# --------------------------------------------------------------------------- refusals


def _refused(call: Callable[[], Any], kms: Kms | None, *, step: str, guard: str | None,
             requirement: str, error: int, procedure: str | None = None) -> StepRefused:
    before = None if kms is None else kms.replay_cache
    with pytest.raises(StepRefused) as exc:
        call()
    e = exc.value
    assert (e.step, e.guard, e.requirement, e.mikey_error) == (step, guard, requirement, error), \
        str(e)
    if procedure is not None:
        assert e.procedure == procedure
    if kms is not None:
        assert kms.replay_cache == before, "a refused message was remembered"
    return e


def _carol_claims_bob(w: World, ticket: Any) -> bytes:
    ctx = context(CAROL)
    return build("RESOLVE_INIT", {"t": NOW, "randrr": b"c" * 16, "idrr": BOB, "idrkms": KMS_B,
                                  "ticket": PayloadBlob.of(ticket), "idrpsk": ctx.b_tid},
                 inkey=ctx.ue_ks_naf(naf_id(KMS_B)), hdr={"csb_id": 7, "prf_func": 1}).raw


def test_wrong_responder_uss_mismatch() -> None:
    w = world()
    ticket = decode(_to_resolve(w)).get("TICKET")
    kms_b = w.kms[KMS_B]
    _refused(lambda: kms_b.receive_resolve(_carol_claims_bob(w, ticket), now=NOW), kms_b,
             step="4-5", guard="uss-match", requirement="REQ-TKT-08", error=7,
             procedure=TWO_DOMAINS.name)


def test_untrusted_kms_both_directions() -> None:
    w = world()
    fwd = w.kms[KMS_B].receive_resolve(_to_resolve(w), now=NOW)
    assert isinstance(fwd, Forward)
    kms_a = w.kms[KMS_A]
    _refused(lambda: kms_a.receive_zk_resolve(fwd.octets, link(KMS_C, KMS_A), now=NOW), kms_a,
             step="8-9", guard="trusted-source", requirement="REQ-TKT-18", error=7)
    lonely = world(trust=TRUST.without(KMS_B, KMS_A))
    raw = _to_resolve(lonely)
    _refused(lambda: lonely.kms[KMS_B].receive_resolve(raw, now=NOW), lonely.kms[KMS_B],
             step="4-5", guard="trusts-issuer", requirement="REQ-TKT-16", error=14)


def test_unauthenticated_zk_both_hops() -> None:
    w = world()
    fwd = w.kms[KMS_B].receive_resolve(_to_resolve(w), now=NOW)
    assert isinstance(fwd, Forward)
    kms_a, kms_b = w.kms[KMS_A], w.kms[KMS_B]
    _refused(lambda: kms_a.receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A,
                                                                authenticated=False), now=NOW),
             kms_a, step="8-9", guard="zk-authenticated", requirement="REQ-TKT-18", error=0)
    ans = kms_a.receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)
    _refused(lambda: kms_b.complete(fwd, ans, link(KMS_A, KMS_B, authenticated=False), now=NOW),
             None, step="11", guard="zk-authenticated", requirement="REQ-TKT-20", error=0)
    _refused(lambda: kms_b.complete(fwd, ans, link(KMS_C, KMS_B), now=NOW), None,
             step="11", guard="from-asked-kms", requirement="REQ-TKT-20", error=7)
    assert isinstance(kms_b.complete(fwd, ans, link(KMS_A, KMS_B), now=NOW), bytes)


def _with_longer_ticket(raw: bytes, kms: str) -> bytes:
    """Bob (holding a valid NAF key) extends his ticket's validity and re-MACs RESOLVE_INIT."""
    ua = decode(raw)
    ticket = ua.get("TICKET")
    assert ticket is not None
    policy = policy_of(ticket.fields)
    longer = type(policy)(**{**policy.__dict__, "tre": policy.tre + 10 * 3600})
    ticket.fields.update(policy_fields(longer, prf_func=ticket.fields["prf_func"]))
    ctx = context(BOB)
    return build("RESOLVE_INIT", {"t": NOW, "randrr": b"t" * 16, "idrr": BOB, "idrkms": kms,
                                  "ticket": PayloadBlob.of(ticket), "idrpsk": ctx.b_tid},
                 inkey=ctx.ue_ks_naf(naf_id(kms)), hdr={"csb_id": 9, "prf_func": 1}).raw


def test_tampered_ticket_refused_by_the_issuing_kms() -> None:
    w = world(bob_kms=KMS_A)
    kms_a = w.kms[KMS_A]
    forged = _with_longer_ticket(_to_resolve(w), KMS_A)
    _refused(lambda: kms_a.receive_resolve(forged, now=NOW), kms_a, step="4-6",
             guard="issued-here", requirement="REQ-TKT-12", error=14, procedure=ONE_DOMAIN.name)
    w2 = world()
    fwd = w2.kms[KMS_B].receive_resolve(_with_longer_ticket(_to_resolve(w2), KMS_B), now=NOW)
    assert isinstance(fwd, Forward)  # KMS_R cannot check another KMS's seal
    _refused(lambda: w2.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW),
             w2.kms[KMS_A], step="8-9", guard="issued-here", requirement="REQ-TKT-12", error=14)


def _flip(raw: bytes, payload: str, back: int = 1) -> bytes:
    span = next(s for s in decode(raw).layout if s.payload == payload)
    out = bytearray(raw)
    out[span.offset + span.length - back] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("bob_kms", [KMS_A, KMS_B], ids=["one-kms", "two-kms"])
def test_tampered_kemac_or_mac(bob_kms: str) -> None:
    w = world(bob_kms=bob_kms)
    rr = _resolve(w, _to_resolve(w), bob_kms)
    step = "8" if bob_kms == KMS_A else "12r"
    for bad in (_flip(rr, "KEMAC", back=2), _flip(rr, "V")):  # encrypted data; MAC
        _refused(lambda bad=bad: w.bob.receive_resolve_resp(bad, now=NOW), None, step=step,
                 guard="own-kms-protected", requirement="REQ-TKT-14", error=0)
    assert w.bob.machine is not None and w.bob.machine.state == "waiting"
    assert not w.bob.reusable.entries
    ri = w.alice.request_ticket(BOB, now=NOW)
    _refused(lambda: w.kms[KMS_A].receive_request(_flip(ri, "V"), now=NOW), w.kms[KMS_A],
             step="Q2", guard="nafkey-mac", requirement="REQ-TKT-02", error=0)


def test_replayed_resolve_init() -> None:
    w = world(bob_kms=KMS_A)
    raw = _to_resolve(w)
    kms_a = w.kms[KMS_A]
    assert isinstance(kms_a.receive_resolve(raw, now=NOW), bytes)
    _refused(lambda: kms_a.receive_resolve(raw, now=NOW + 1), kms_a, step="4-6", guard="fresh",
             requirement="REQ-TKT-11", error=1)


@pytest.mark.parametrize("bob_kms", [KMS_A, KMS_B], ids=["one-kms", "two-kms"])
def test_expired_ticket(bob_kms: str) -> None:
    w = world(bob_kms=bob_kms)
    raw = _to_resolve(w)
    kms = w.kms[bob_kms]
    _refused(lambda: kms.receive_resolve(raw, now=NOW + 3601), kms,
             step="4-6" if bob_kms == KMS_A else "4-5", guard="ticket-not-expired",
             requirement="REQ-TKT-10", error=15)


def test_misaddressed_transfer_and_malformed_octets() -> None:
    w = world()
    ri = w.alice.request_ticket(BOB, now=NOW)
    ti = w.alice.receive_request_resp(w.kms[KMS_A].receive_request(ri, now=NOW), now=NOW)
    _refused(lambda: w.carol.receive_transfer_init(ti, now=NOW), None, step="1",
             guard="addressed", requirement="REQ-TKT-05", error=7)
    assert w.carol.machine is None
    with pytest.raises(DecodeError) as exc:
        w.kms[KMS_A].receive_request(ri[:-3], now=NOW)
    assert getattr(exc.value, "mikey_error", None) == 12
    with pytest.raises(MckmError) as err:  # a TRANSFER_INIT sent to the KMS: Invalid DT
        w.kms[KMS_A].receive_request(ti, now=NOW)
    assert err.value.mikey_error == 11  # type: ignore[attr-defined]


def test_error_reply_carries_the_refusal_number() -> None:
    w = world(bob_kms=KMS_A)
    raw = _to_resolve(w)
    with pytest.raises(StepRefused) as exc:
        w.kms[KMS_A].receive_resolve(raw, now=NOW + 3601)
    reply = error_reply(raw, exc.value, now=NOW)
    assert reply is not None
    assert error_numbers(reply) == (15,)
    assert decode(reply).hdr.fields["csb_id"] == decode(raw).hdr.fields["csb_id"]
    assert error_reply(b"\x01", exc.value, now=NOW) is None
    assert encode(decode(reply)) == reply


def test_kms_replay_cache_entries_expire_with_what_the_model_refuses_anyway(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mckm.impl.engine import replay

    w = world(bob_kms=KMS_A)
    kms_a = w.kms[KMS_A]
    raw = _to_resolve(w)
    assert isinstance(kms_a.receive_resolve(raw, now=NOW), bytes)
    # RANDRi of the request until Alice's bootstrapping context ends (a day in the fixtures);
    # RANDRr of the resolve until the ticket ends (its TRe, one hour)
    assert sorted(e - NOW for e in kms_a.replay_cache.values()) == [3600, 86400]
    # once nothing has to be retained, an entry past its expiry is dropped on the next insert;
    # its message is still refused, by the ticket's end of validity (REQ-TKT-10)
    monkeypatch.setattr(replay, "RETAIN", 0)
    later = NOW + 3601
    kms_a.replay_cache = kms_a.replay_cache.with_entry(b"\x01" * 16, later + 10, now=later,
                                                       window=0)
    assert sorted(e - NOW for e in kms_a.replay_cache.values()) == [3611, 86400]
    _refused(lambda: kms_a.receive_resolve(raw, now=later), kms_a, step="4-6",
             guard="ticket-not-expired", requirement="REQ-TKT-10", error=15)


def test_views_cut_payload_octets_as_the_encoder_writes_them() -> None:
    """The model's ticket / kemac / tp octets are cut from the received message; they equal the
    payloads encoded on their own (Next Payload 0)."""
    from mckm.impl.roles.ticket.base_ticket import encode_payload
    from mckm.impl.roles.ticket.wire import TicketView

    w = world(bob_kms=KMS_A)
    ri = w.alice.request_ticket(BOB, now=NOW)
    resp = w.kms[KMS_A].receive_request(ri, now=NOW)
    ti = w.alice.receive_request_resp(resp, now=NOW)
    for raw, name, field, payload in ((ti, "TRANSFER_INIT", "ticket", "TICKET"),
                                      (ri, "REQUEST_INIT", "tp", "TP"),
                                      (resp, "REQUEST_RESP", "kemac", "KEMAC")):
        view = TicketView.decode(raw, expect=name)
        value = view[field]
        octets = value.octets
        assert octets == encode_payload(decode(raw).get(payload)), name  # type: ignore[arg-type]


def test_kms_grants_only_a_desired_policy_that_names_it() -> None:
    """REQ-TKT-25 (RFC 6043 4.2.1.4, 6.10): Alice, with her valid NAF key, asks KMS_A for a
    ticket whose desired TP Data names KMS_B: Invalid TPpar, nothing remembered."""
    w = world(bob_kms=KMS_A)
    alice = context(ALICE)
    tp = policy_fields(TicketPolicy(kms=KMS_B, initiator=ALICE, responders=frozenset({BOB})),
                       prf_func=1)
    raw = build("REQUEST_INIT", {"t": NOW, "randri": b"r" * 16, "idri": ALICE, "idrkms": KMS_A,
                                 "tp": PayloadBlob.of(Payload("TP", tp)), "idrpsk": alice.b_tid},
                inkey=alice.ue_ks_naf(naf_id(KMS_A)), hdr={"csb_id": 3, "prf_func": 1}).raw
    kms_a = w.kms[KMS_A]
    _refused(lambda: kms_a.receive_request(raw, now=NOW), kms_a, step="Q2",
             guard="desired-policy", requirement="REQ-TKT-25", error=15)


def test_zk_answer_must_carry_the_keys_in_clear_for_the_forwarded_request() -> None:
    """Seed 002 B.2.2.3 step 11 (REQ-TKT-20): KMS_I's answer, re-encoded with an enciphered
    KEMAC and a real MAC, or answering another request, gives KMS_R no keys to re-encipher."""
    w = world()
    fwd = w.kms[KMS_B].receive_resolve(_to_resolve(w), now=NOW)
    assert isinstance(fwd, Forward)
    ans = w.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)
    request = TicketView.decode(fwd.octets, zk=link(KMS_B, KMS_A))
    answer = TicketView.decode(ans, zk=link(KMS_A, KMS_B), answers=request)
    keys = answer.verify(None)
    values = {"t": NOW, "idrkms": KMS_A, "idrr": BOB}
    enciphered = build("RESOLVE_RESP_ZK", values, inkey=bytes(32), answers=request, kemac=keys)
    other = TicketView.decode(fwd.octets[:4] + b"\x00\x00\x00\x09" + fwd.octets[8:],
                              zk=link(KMS_B, KMS_A))  # another CSB ID (HDR octets 4-7)
    misdirected = build("RESOLVE_RESP_ZK", values, inkey=None, answers=other, kemac=keys)
    for raw in (enciphered.raw, misdirected.raw):
        _refused(lambda raw=raw: w.kms[KMS_B].complete(fwd, raw, link(KMS_A, KMS_B), now=NOW),  # type: ignore[misc]
                 None, step="11", guard="zk-keys-clear", requirement="REQ-TKT-20", error=12)
    assert isinstance(w.kms[KMS_B].complete(fwd, ans, link(KMS_A, KMS_B), now=NOW), bytes)


def test_a_run_starts_only_where_the_model_lets_it() -> None:
    """A KMS resolve starts in ``issued`` and a reuse in ``granted`` because the model's roles
    say so (``Role.resumes``); any other start is the caller's error."""
    from mckm.impl.engine import RoleMachine
    from mckm.impl.errors import UsageError
    from mckm.impl.roles.ticket.effects import registry

    kms = ONE_DOMAIN.role("kms")
    assert set(kms.resumes) == {"issued"} and set(ONE_DOMAIN.role("responder").resumes) == set()
    with pytest.raises(UsageError):
        RoleMachine(ONE_DOMAIN, "kms", vars={}, facts=None, effects=registry(),  # type: ignore[arg-type]
                    start="granting")


def test_initiator_refuses_a_granted_policy_for_another_responder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """REQ-TKT-03 (RFC 6043 4.2.1.6): Alice asks KMS_A for a ticket to Bob; a dishonest KMS_A
    (its ticket issuing made to grant Carol instead) answers with a REQUEST_RESP that is
    well formed and MACed under Alice's NAF key: Alice refuses it at Q4 by granted-policy,
    Invalid TPpar, keeps no ticket and builds no TRANSFER_INIT; the honest KMS's answer to the
    same request is accepted."""
    from mckm.impl.roles.ticket import effects

    w = world()
    request = w.alice.request_ticket(BOB, now=NOW)
    honest = effects.TicketPolicy
    with monkeypatch.context() as dishonest:
        dishonest.setattr(effects, "TicketPolicy", lambda **fields: honest(
            **{**fields, "responders": frozenset({CAROL})}))
        for_carol = w.kms[KMS_A].receive_request(request, now=NOW)
    ticket = decode(for_carol).get("TICKET")
    assert ticket is not None and policy_of(ticket.fields).responders == frozenset({CAROL})
    _refused(lambda: w.alice.receive_request_resp(for_carol, now=NOW), None, step="Q4",
             guard="granted-policy", requirement="REQ-TKT-03", error=15)
    assert w.alice.machine is not None and w.alice.machine.state == "requesting"
    assert w.alice.machine.vars.get("ticket") is None
    granted = world().kms[KMS_A].receive_request(request, now=NOW)
    transfer_init = w.alice.receive_request_resp(granted, now=NOW)
    assert decode(transfer_init).data_type == DATA_TYPE.TRANSFER_INIT
