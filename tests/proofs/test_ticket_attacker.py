"""MIKEY-TICKET against a Dolev-Yao attacker: the rows hold or fail as their assumption says,
mutants that matter are killed by these rows, and the attacks the prover finds are replayed on
real octets against the real KMS endpoints over HTTPS (``loopback``: real TLS, Ua and Zk): the
runtime does what the model does."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator

import pytest

from mckm.impl.errors import MckmError
from mckm.impl.roles.bsf import Bsf
from mckm.impl.roles.ticket import endpoints
from mckm.impl.roles.ticket.effects import PRF
from mckm.impl.roles.ticket.facts import TicketFacts
from mckm.impl.roles.ticket.loopback import Loopback, start_loopback
from mckm.impl.roles.ticket.server import ntp_now
from mckm.impl.roles.ticket.ue_http import fetch_ticket, keys_fingerprint, resolve_ticket
from mckm.impl.roles.ticket.wire import PayloadBlob, TicketView, ZkLink, build, error_numbers
from mckm.impl.transport.https_ticket import DomainTrust, TicketHttpClient
from mckm.impl.transport.ticket_http import RequestType, decode_body
from mckm.models.procedures.mikey_ticket import (
    AUTH_FAILURE,
    INVALID_ID,
    ONE_DOMAIN,
    TWO_DOMAINS,
)
from mckm.models.procedures.mutants import mutants
from mckm.proofs import attacker_ticket as A
from mckm.proofs.result import ProofResult

KMS_A, KMS_B, KMS_C = "kms.a.example", "kms.b.example", "kms.c.example"
ALICE, BOB, CAROL = "sip:alice@a.example", "sip:bob@b.example", "sip:carol@c.example"


@functools.cache
def rows() -> tuple[ProofResult, ...]:
    return tuple(A.prove(quick=True))


def _row(procedure: str, prop: str, assumption: str) -> ProofResult:
    return next(r for r in rows() if procedure in r.property and r.property.endswith(prop)
                and r.assumption == assumption)


def test_each_row_holds_or_fails_as_its_assumption_says() -> None:
    props = len(A.properties(ONE_DOMAIN)) + len(A.properties(TWO_DOMAINS))
    assert len(rows()) == props * len(A.ASSUMPTIONS)
    for r in rows():
        assert r.as_expected, (r.property, r.assumption, r.counterexample)
    honest = [r for r in rows() if r.assumption == A.ASSUMPTIONS[0].name]
    assert honest and all(r.holds for r in honest)
    attacks = [r for r in rows() if not r.holds]
    assert attacks and all(r.counterexample and r.counterexample["trace"] for r in attacks)


@pytest.mark.parametrize(("mutant", "prop"), [
    ("mikey-ticket-one-kms step 4-6: drop nafkey-mac", A.AGREE_S),  # a resolve in Bob's name
    ("mikey-ticket-one-kms step 1: drop fresh", A.AGREE_R),  # one TRANSFER_INIT taken twice
    ("mikey-ticket-one-kms step 8: drop offer-mpki-mac", A.AGREE_R),  # keys for another offer
    ("mikey-ticket-one-kms step 1r: drop stored-mpki-mac", A.AGREE_R),  # a forged reuse
    ("mikey-ticket-two-kms step 8-9: drop trusted-source", A.SECRECY),  # Zk from anyone
    ("mikey-ticket-two-kms step 11: drop from-asked-kms", A.SECRECY),  # keys from another KMS
    ("mikey-ticket-two-kms step 4-5: drop trusts-issuer", A.SECRECY),  # an untrusted issuer
])
def test_dropping_a_guard_gives_the_attack_it_stops(mutant: str, prop: str) -> None:
    killers = [(r.property, r.assumption) for r in rows() for m in r.mutants
               if m.name == mutant and m.killed]
    assert killers and killers[0][0].endswith(prop), killers


def test_secrecy_needs_the_trust_check_of_kms_i_only_against_a_third_kms() -> None:
    """Not a restated guard: without ``trusted-source`` at KMS_I secrecy still holds among
    honest parties (KMS_I answers over NDS/IP to the KMS that asked, and only KMSs ask); with
    a compromised KMS nobody trusts, the attacker asks KMS_I for a ticket it saw in a
    TRANSFER_INIT and reads the keys in the clear Zk answer."""
    muts = mutants(TWO_DOMAINS, quick=True)
    k = next(i for i, m in enumerate(muts) if m.name == "step 8-9: drop trusted-source")
    assert A.World(TWO_DOMAINS, A.ASSUMPTIONS[0], muts).check(A.SECRECY, k) is None
    untrusted = next(a for a in A.ASSUMPTIONS if a.kms and not a.trusted)
    world = A.World(TWO_DOMAINS, untrusted, muts)
    model = world.check(A.SECRECY, k)
    assert model is not None
    assert any("8-9: accepts RESOLVE_INIT_ZK" in line and "(compromised); composed" in line
               for line in A.trace(world, model))


# --------------------------------------------------------------------------- real replays


@pytest.fixture
def two_domains() -> Iterator[Loopback]:
    """KMS_A (Alice), KMS_B (Bob) and KMS_C (Carol) over HTTPS; every KMS trusts every other."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_B, CAROL: KMS_C}) as world:
        yield world


def _transfer_init(world: Loopback, initiator: str, responder: str) -> bytes:
    kms = world.ua_client(world.home[initiator])
    try:
        return fetch_ticket(world.initiator(initiator), kms, responder, now=ntp_now())
    finally:
        kms.close()


def _resolve(world: Loopback, bob: endpoints.Responder, transfer_init: bytes) -> object:
    kms = world.ua_client(bob.kms_uri)
    try:
        return resolve_ticket(bob, kms, transfer_init, now=ntp_now())[1]
    finally:
        kms.close()


def _zk_as(world: Loopback, evil: str, to: str, transfer_init: bytes
           ) -> tuple[int, bytes, TicketView]:
    """What a KMS holding ``evil``'s credentials does with a TRANSFER_INIT it saw: a
    RESOLVE_INIT over Zk for the ticket's responder, to the KMS that issued it (mutual TLS
    as ``evil``).  The HTTP status, the body and the request sent."""
    ticket = TicketView.decode(transfer_init, expect="TRANSFER_INIT").get("ticket")
    assert isinstance(ticket, PayloadBlob)
    request = build("RESOLVE_INIT_ZK", {
        "t": ntp_now(), "randrr": os.urandom(16), "idrr": BOB, "idrkms": to, "ticket": ticket},
        inkey=None, hdr={"csb_id": secrets.randbits(32), "prf_func": PRF},
        zk=ZkLink(evil, True, to))
    zk = world.kms[to].zk
    assert zk is not None
    client = TicketHttpClient(zk.host, zk.port, trust=DomainTrust({to: world.cas[to].cert_pem}),
                              identity=world.cas[evil].issue("kms"), expect_domain=to)
    try:
        answer = client.post(RequestType.TICKET_RESOLVE, request.raw)
    finally:
        client.close()
    return answer.status, decode_body(answer.body), request  # base64 body (TS 33.328 A.2)


def _zk_keys(body: bytes, request: TicketView, evil: str, to: str) -> str:
    answer = TicketView.decode(body, zk=ZkLink(to, True, evil), answers=request,
                               expect="RESOLVE_RESP_ZK")
    keys = answer.verify(None)
    assert keys is not None
    return keys_fingerprint(keys)


def test_real_attack_a_trusted_compromised_kms_reads_the_keys_of_a_ticket_it_saw(
        two_domains: Loopback) -> None:
    """The expected attack of the two-domain secrecy row, on real octets over HTTPS: KMS_C,
    which KMS_A trusts, resolves over Zk the ticket of Alice's TRANSFER_INIT to Bob and reads
    in KMS_A's clear answer the keys Bob gets from his own resolve."""
    world = two_domains
    offer = _transfer_init(world, ALICE, BOB)
    status, body, request = _zk_as(world, KMS_C, KMS_A, offer)
    assert status == 200
    stolen = _zk_keys(body, request, KMS_C, KMS_A)
    bob_keys = _resolve(world, world.responder(BOB), offer)
    assert stolen == keys_fingerprint(bob_keys)  # type: ignore[arg-type]
    assert not _row("two-kms", A.SECRECY, A.ASSUMPTIONS[2].name).holds


def test_real_replay_an_untrusted_kms_is_refused_and_the_mutant_answers_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The row that holds, and the mutant it kills, on real octets: KMS_A does not trust
    KMS_C and refuses its Zk request with MIKEY error 7 (trusted-source); the mutant without
    that guard answers it with the ticket's keys in clear."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_B, CAROL: KMS_C},
                        untrusted=[(KMS_A, KMS_C)]) as world:
        offer = _transfer_init(world, ALICE, BOB)
        status, body, _ = _zk_as(world, KMS_C, KMS_A, offer)
        assert INVALID_ID in error_numbers(body)  # 200 OK + Error message (TS 33.328 A.2)
        mutant = next(m for m in mutants(TWO_DOMAINS)
                      if m.name == "step 8-9: drop trusted-source")
        monkeypatch.setattr(endpoints, "TWO_DOMAINS", mutant.procedure)
        status, body, request = _zk_as(world, KMS_C, KMS_A, offer)
        assert status == 200
        stolen = _zk_keys(body, request, KMS_C, KMS_A)
        monkeypatch.undo()
        assert stolen == keys_fingerprint(_resolve(world, world.responder(BOB), offer))  # type: ignore[arg-type]


def test_real_attack_a_leaked_tpk_opens_a_recorded_ticket(two_domains: Loopback) -> None:
    """The leaked-master-secret secrecy row on real octets: the TPK of KMS_A opens the TICKET
    of a TRANSFER_INIT recorded on the way, giving the MPKi that Bob resolves."""
    world = two_domains
    offer = _transfer_init(world, ALICE, BOB)
    ticket = TicketView.decode(offer, expect="TRANSFER_INIT").get("ticket")
    assert isinstance(ticket, PayloadBlob)
    tpk = world.kms[KMS_A].kms.facts.tpk
    assert tpk is not None
    contents = TicketFacts(KMS_A, bsf=Bsf(), tpk=tpk).open_ticket(ticket)
    stolen = contents.mpki(int(ticket.payload.fields["prf_func"]))
    bob_keys = _resolve(world, world.responder(BOB), offer)
    assert stolen == bob_keys.mpki.reveal()  # type: ignore[attr-defined]


def test_real_refusal_a_compromised_ue_cannot_offer_its_ticket_as_another_initiator() -> None:
    """The compromised-UE rows on real octets: Carol gets a ticket to Bob in her own name,
    rewrites IDRi to Alice and MACs the TRANSFER_INIT with her MPKi.  Before REQ-TKT-27 Bob
    resolved it and took Carol's keys as Alice's (the prover's finding); now Bob refuses it
    before any resolve, as the model does: IDRi is not the ticket's initiator."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_A, CAROL: KMS_A}) as world:
        carol = world.initiator(CAROL)
        kms = world.ua_client(KMS_A)
        try:
            fetch_ticket(carol, kms, BOB, now=ntp_now())
        finally:
            kms.close()
        assert carol.machine is not None
        keys = carol.machine.vars["keys"]
        ticket = carol.machine.vars["ticket"]
        forged = build("TRANSFER_INIT", {
            "t": ntp_now(), "randri": os.urandom(16), "idri": ALICE, "idrr": BOB,
            "ticket": ticket}, inkey=carol.facts.key_bytes(keys),
            hdr={"csb_id": secrets.randbits(32), "prf_func": PRF,
                 "v": ticket.payload.fields["f"]})
        bob = world.responder(BOB)
        with pytest.raises(MckmError, match="ticket-initiator"):
            bob.receive_transfer_init(forged.raw, now=ntp_now())
        assert _row("one-kms", A.AGREE_R, A.ASSUMPTIONS[1].name).holds


def test_real_replay_a_transfer_init_is_taken_once(two_domains: Loopback) -> None:
    """Injective agreement on real octets: Bob takes Alice's TRANSFER_INIT once; its replay
    is refused by ``fresh`` (RANDRi already accepted, REQ-TKT-24)."""
    world = two_domains
    offer = _transfer_init(world, ALICE, BOB)
    bob = world.responder(BOB)
    _resolve(world, bob, offer)
    with pytest.raises(MckmError, match="fresh"):
        bob.receive_transfer_init(offer, now=ntp_now())


def test_the_family_is_in_mckm_prove() -> None:
    from mckm.proofs import cli

    assert cli.FAMILIES["ticket-attacker"] is A.prove
    assert cli.MODEL_OF["ticket-attacker"] == cli.MODEL_OF["ticket-trust"]


def test_real_replay_the_fresh_mutant_takes_one_transfer_init_twice(
        two_domains: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    """The injective-agreement counterexample of the mutant without ``fresh`` at step 1, on
    real octets: its responder resolves Alice's one TRANSFER_INIT twice over HTTPS (two runs
    agreeing with one initiator run); the model's refuses the second (test above)."""
    world = two_domains
    offer = _transfer_init(world, ALICE, BOB)
    mutant = next(m for m in mutants(TWO_DOMAINS) if m.name == "step 1: drop fresh")
    monkeypatch.setattr(endpoints, "TWO_DOMAINS", mutant.procedure)
    bob = world.responder(BOB)
    first = _resolve(world, bob, offer)
    second = _resolve(world, bob, offer)
    assert keys_fingerprint(first) == keys_fingerprint(second)  # type: ignore[arg-type]
    assert any(m.name == f"{TWO_DOMAINS.name} step 1: drop fresh" and m.killed
               for r in rows() for m in r.mutants)


def test_real_replay_the_nafkey_mac_mutant_resolves_for_anyone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The counterexample of the mutant without ``nafkey-mac`` at 4-6 (KMS <- responder
    agreement), on real octets over HTTPS: a RESOLVE_INIT in Bob's name, with Bob's B-TID and
    Alice's ticket but MACed under a key the attacker made up, is refused by the model's KMS
    with MIKEY error 0 (Auth failure) and resolved by the mutant's."""
    with start_loopback({ALICE: KMS_A, BOB: KMS_A}) as world:
        offer = _transfer_init(world, ALICE, BOB)
        ticket = TicketView.decode(offer, expect="TRANSFER_INIT").get("ticket")
        forged = build("RESOLVE_INIT", {
            "t": ntp_now(), "randrr": os.urandom(16), "idrr": BOB, "idrkms": KMS_A,
            "ticket": ticket, "idrpsk": world.contexts[BOB].b_tid},
            inkey=os.urandom(32), hdr={"csb_id": secrets.randbits(32), "prf_func": PRF})
        kms = world.ua_client(KMS_A)
        try:
            refused = kms.post(RequestType.TICKET_RESOLVE, forged.raw)
            assert AUTH_FAILURE in error_numbers(decode_body(refused.body))  # 200 OK, A.2
            mutant = next(m for m in mutants(ONE_DOMAIN)
                          if m.name == "step 4-6: drop nafkey-mac")
            monkeypatch.setattr(endpoints, "ONE_DOMAIN", mutant.procedure)
            kms.send(RequestType.TICKET_RESOLVE, forged.raw)  # an Error message would raise
        finally:
            kms.close()
