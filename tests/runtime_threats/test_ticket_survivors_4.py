"""MIKEY-TICKET (RFC 6043; TS 33.328 Annex A; seed 002 B.2.2), survivors of two sampled runs of
``./dev mutate ticket``: the KMS's Zn view of the BSF over mutual TLS (TS 33.220 4.5.3: a NAF
key used only within its lifetime, an unreachable BSF a gateway error naming the clause), the
initiator's chosen CSB ID and RAND (RFC 3830 6.1), a responder refusing a KEMAC sent in the
clear (REQ-TKT-14), KMS_R refusing another data type back over Zk (RFC 6043 6.1) and a BSF
fact that says why it does not hold.  Driven through the role end points with real octets."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mckm.impl.codec import decode
from mckm.impl.errors import PolicyError, UpstreamError, UsageError
from mckm.impl.roles.bsf import Bsf
from mckm.impl.roles.ticket import wire
from mckm.impl.roles.ticket.config import KmsServerConfig
from mckm.impl.roles.ticket.endpoints import Initiator, Kms, error_reply
from mckm.impl.roles.ticket.facts import TicketFacts, naf_id
from mckm.impl.roles.ticket.loopback import BSF_DOMAIN
from mckm.impl.roles.ticket.protection import ENCR_NULL
from mckm.impl.roles.ticket.server import KmsService, build_kms
from mckm.impl.roles.ticket.wire import SPEC, TicketView, error_numbers
from mckm.impl.roles.ticket.zn import RemoteBsf
from mckm.impl.transport.https_bsf import BsfClient, bsf_endpoint
from mckm.impl.transport.https_kms import TlsIdentity
from mckm.impl.transport.https_ticket import (
    DomainCa,
    DomainTrust,
    HttpsEndpoint,
    TicketHttpClient,
    make_domain_ca,
)
from mckm.impl.transport.ticket_http import UPSTREAM_FAILED, HttpRefusal, RequestType
from mckm.models.grammar.namespaces import ERROR_NO, RAND_ROLE
from tests.e2e.ticket_fixtures import ALICE, BOB, KMS_A, KMS_B, NOW, context, forwarded, link, world

AUTH_FAILURE = int(ERROR_NO.value_of("Auth failure"))
INVALID_DT = int(ERROR_NO.value_of("Invalid DT"))
TPK = bytes(range(32))


# -- Zn: the KMS (NAF) asks the BSF over mutual TLS (TS 33.220 4.5.3) ------------------------

@dataclass
class Zn:
    bsf_ca: DomainCa
    naf: TlsIdentity
    endpoint: HttpsEndpoint

    def client(self, port: int | None = None) -> BsfClient:
        """KMS_A's Zn client to the BSF (or to ``port``, where no BSF listens)."""
        return BsfClient(self.endpoint.host, self.endpoint.port if port is None else port,
                         trust=DomainTrust({BSF_DOMAIN: self.bsf_ca.cert_pem}),
                         identity=self.naf, expect_domain=BSF_DOMAIN)


@pytest.fixture(scope="module")
def zn() -> Iterator[Zn]:
    """A BSF Zn endpoint holding Alice's bootstrapping context (its clock: ``NOW``, so the
    BSF itself still answers; the KMS's clock is the ``now`` of each role call)."""
    cas = {d: make_domain_ca(d) for d in (KMS_A, BSF_DOMAIN)}
    bsf = Bsf()
    bsf.provision(context(ALICE))
    endpoint = bsf_endpoint(bsf, cas[BSF_DOMAIN].issue("bsf"), DomainTrust.of(cas[KMS_A]),
                            clock=lambda: float(NOW)).start()
    try:
        yield Zn(cas[BSF_DOMAIN], cas[KMS_A].issue("kms"), endpoint)
    finally:
        endpoint.stop()


def test_a_kms_refuses_a_request_under_a_naf_key_at_the_end_of_its_lifetime(zn: Zn) -> None:
    """TS 33.220 4.5.3 (zn.py): the KMS keeps the BSF's NAF-key answer for its key lifetime
    only - strictly before ``expires_at`` a request is served from it without a Zn trip; at
    ``expires_at`` the context has ended, so a REQUEST_INIT_PSK MACed under that Ks_NAF is
    refused by the guard nafkey-mac (REQ-TKT-02, MIKEY Auth failure) and no ticket is issued."""
    end = int(context(ALICE).expires_at)
    remote = RemoteBsf(zn.client())
    kms = Kms(KMS_A, tpk=TPK, bsf=remote)
    alice = Initiator(ALICE, KMS_A, context(ALICE))
    try:
        for now in (end - 100, end - 1):
            resp = kms.receive_request(alice.request_ticket(BOB, now=now), now=now)
            assert decode(resp).get("TICKET") is not None
        assert remote.lookups == 1  # the second request used the kept answer
        with pytest.raises(PolicyError) as err:
            kms.receive_request(alice.request_ticket(BOB, now=end), now=end)
    finally:
        remote.close()
    assert (getattr(err.value, "guard", None), err.value.requirement,
            err.value.mikey_error) == ("nafkey-mac", "REQ-TKT-02", AUTH_FAILURE)
    assert "expired" in str(err.value)
    assert remote.lookups == 2  # asked the BSF again at the end of the lifetime


def test_a_bsf_that_cannot_be_reached_is_a_gateway_error_naming_ts_33_220(zn: Zn) -> None:
    """zn.py / TS 33.220 4.5.3: with nothing listening where the BSF should be, the Zn lookup
    fails as a gateway error (HTTP 502, requirement TS 33.220 4.5.3) that says the BSF could
    not be reached; a KMS asked for a ticket then raises that gateway error (an UpstreamError:
    no verdict on the request) rather than refusing it."""
    with socket.socket() as closed:  # bound, never listening: a connection is refused
        closed.bind(("127.0.0.1", 0))
        remote = RemoteBsf(zn.client(closed.getsockname()[1]))
        try:
            with pytest.raises(PolicyError) as err:
                remote.lookup(context(ALICE).b_tid, naf_id(KMS_A), now=NOW)
            with pytest.raises(UpstreamError):  # the USS fact too: no verdict without the BSF
                TicketFacts(KMS_A, bsf=remote).uss_has(context(ALICE).b_tid, ALICE)
            alice = Initiator(ALICE, KMS_A, context(ALICE))
            with pytest.raises(PolicyError) as refused:
                Kms(KMS_A, tpk=TPK, bsf=remote).receive_request(
                    alice.request_ticket(BOB, now=NOW), now=NOW)
        finally:
            remote.close()
    assert (err.value.requirement, err.value.http_status) == ("TS 33.220 4.5.3", UPSTREAM_FAILED)
    assert str(err.value).startswith("the BSF could not be reached over Zn")
    assert isinstance(refused.value, UpstreamError)
    assert "the BSF could not be reached over Zn" in str(refused.value)
    assert remote.lookups == 0


# -- the initiator's HDR and RAND (RFC 3830 6.1, 4.2.1.2 of RFC 6043) ------------------------

def test_the_csb_id_and_randri_an_initiator_chooses_are_sent_and_answered() -> None:
    """RFC 3830 6.1 / RFC 6043 4.2.1.2, 4.2.1.5 (effects.py step parameters ``csb_id``,
    ``rand``): the CSB ID and RANDRi the initiator chooses for its REQUEST_INIT_PSK are the
    ones on the wire, and the KMS's REQUEST_RESP carries the same CSB ID."""
    w = world(bob_kms=KMS_A)
    for csb_id, rand in ((0x0BADCAFE, bytes(range(16))), (7, bytes(16))):
        req = w.alice.request_ticket(BOB, now=NOW, csb_id=csb_id, rand=rand)
        sent = decode(req)
        randri = [p.fields["rand"] for p in sent.all("RANDR")
                  if p.fields["rand_role"] == RAND_ROLE.RANDRI]
        assert (sent.hdr.fields["csb_id"], randri) == (csb_id, [rand])
        resp = w.kms[KMS_A].receive_request(req, now=NOW)
        assert decode(resp).hdr.fields["csb_id"] == csb_id


# -- the responder's KEMAC (RFC 6043 4.2.3.5-6, REQ-TKT-14) -----------------------------------

def test_a_responder_refuses_ticket_keys_sent_in_a_clear_kemac(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 6043 4.2.3.5-6 / REQ-TKT-14: the KEMAC of a RESOLVE_RESP is enciphered under the
    responder's NAF key.  One whose V verifies under that key but whose KEMAC carries MPKi and
    the TGK under the NULL encryption (the keys readable on Ua) is refused by the guard
    kemac-readable (MIKEY Auth failure); no keys are given out."""
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    ti = w.alice.receive_request_resp(
        kms.receive_request(w.alice.request_ticket(BOB, now=NOW), now=NOW), now=NOW)
    step = w.bob.receive_transfer_init(ti, now=NOW)
    genuine_raw = kms.receive_resolve(step.octets, now=NOW)
    assert isinstance(genuine_raw, bytes) and w.bob.machine is not None
    resolve_init = w.bob.machine.vars["resolve_init"]
    ks_naf = context(BOB).ue_ks_naf(naf_id(KMS_A))
    genuine = TicketView.decode(genuine_raw, answers=resolve_init, expect="RESOLVE_RESP")
    keys = genuine.verify(ks_naf)
    values = {n: genuine.get(n) for n in SPEC["RESOLVE_RESP"].wire if n not in ("kemac", "v")}
    with monkeypatch.context() as m:  # a KMS that leaves the KEMAC unenciphered
        m.setattr(wire, "ENCR", ENCR_NULL)
        clear = wire.build("RESOLVE_RESP", values, inkey=ks_naf, answers=resolve_init,
                           kemac=keys)
    kemac = clear.get("kemac")
    assert kemac is not None and not kemac.enciphered
    with pytest.raises(PolicyError) as err:
        w.bob.receive_resolve_resp(clear.raw, now=NOW)
    assert (getattr(err.value, "guard", None), err.value.requirement,
            err.value.mikey_error) == ("kemac-readable", "REQ-TKT-14", AUTH_FAILURE)
    _, got = w.bob.receive_resolve_resp(genuine_raw, now=NOW)  # the refusal changed nothing
    assert got == keys


# -- KMS_R's answer from KMS_I over Zk (RFC 6043 6.1, 10) ------------------------------------

def test_kms_r_refuses_another_data_type_back_from_kms_i_with_invalid_dt() -> None:
    """RFC 6043 6.1, 10 / seed 002 B.2.2.3 step 11 (endpoints.py: PolicyError 11 for another
    message): KMS_R expects a RESOLVE_RESP from KMS_I over Zk; its own forwarded RESOLVE_INIT
    reflected back is another data type - Invalid DT (11) under RFC 6043 6.1, answered with an
    Error message carrying 11; the genuine answer still completes the resolve."""
    w = world()
    fwd = forwarded(w)
    with pytest.raises(PolicyError) as err:
        w.kms[KMS_B].complete(fwd, fwd.octets, link(KMS_A, KMS_B), now=NOW)
    assert (err.value.requirement, err.value.mikey_error) == ("RFC 6043 6.1", INVALID_DT)
    reply = error_reply(fwd.octets, err.value, now=NOW)
    assert reply is not None and error_numbers(reply) == (INVALID_DT,)
    answer = w.kms[KMS_A].receive_zk_resolve(fwd.octets, link(KMS_B, KMS_A), now=NOW)
    resolve_resp = w.kms[KMS_B].complete(fwd, answer, link(KMS_A, KMS_B), now=NOW)
    transfer_resp, keys = w.bob.receive_resolve_resp(resolve_resp, now=NOW)
    assert w.alice.receive_transfer_resp(transfer_resp, now=NOW) == keys


# -- the USS fact a KMS asks (TS 33.220 4.5.3; facts.py) -------------------------------------

def test_the_uss_fact_says_why_the_bsf_gave_no_uss() -> None:
    """facts.py (a fact that does not hold answers its reason) / TS 33.220 4.5.3: a KMS asking
    whether a B-TID's USS lists an identity gets a refusal naming the BSF's reason - an
    unknown B-TID, a context that has ended - or that the USS does not list the identity."""
    bsf = Bsf()
    bsf.provision(context(ALICE))
    facts = TicketFacts(KMS_A, bsf=bsf)
    btid = context(ALICE).b_tid
    with facts.step(NOW):
        unknown = facts.uss_has("btid-nobody@bsf.example", ALICE)
        unlisted = facts.uss_has(btid, BOB)
        assert facts.uss_has(btid, ALICE)
    with facts.step(int(context(ALICE).expires_at)):
        ended = facts.uss_has(btid, ALICE)
    assert not unknown and "is unknown to the BSF" in unknown.reason
    assert not ended and "has expired" in ended.reason
    assert not unlisted and unlisted.reason == f"the USS of {btid} does not list {BOB}"



def test_a_kms_whose_bsf_cannot_be_reached_answers_502_not_a_mikey_refusal(zn: Zn) -> None:
    """TS 33.328 A.3 (server.py: "the BSF unreachable is a 502"): a KMS that cannot ask the BSF
    over Zn for the NAF key has not judged the request - it answers HTTP 502 with no MIKEY
    Error message, so the UE is not told "Auth failure" for keys that may be good; nothing is
    issued, and the same KMS answers the next request the same way."""
    with socket.socket() as closed:  # bound, never listening: a connection is refused
        closed.bind(("127.0.0.1", 0))
        remote = RemoteBsf(zn.client(closed.getsockname()[1]))
        ca = make_domain_ca(KMS_A)
        service = KmsService(Kms(KMS_A, tpk=TPK, bsf=remote), ca.issue("kms")).start()
        alice = Initiator(ALICE, KMS_A, context(ALICE))
        try:
            with contextlib.closing(TicketHttpClient(service.ua.host, service.ua.port,
                                                     ca_pem=ca.cert_pem)) as ua:
                for _ in range(2):
                    with pytest.raises(HttpRefusal) as refused:
                        ua.send(RequestType.TICKET_REQUEST, alice.request_ticket(BOB, now=NOW))
                    assert (refused.value.status, refused.value.mikey_errors) == (
                        UPSTREAM_FAILED, ())
        finally:
            service.stop()
            remote.close()


def test_a_kms_config_whose_db_is_not_a_store_is_refused_naming_the_field(tmp_path: Path) -> None:
    """A KMS's config file (``ticket kms-serve``): a ``db`` that is not a store URL or path is a
    UsageError naming the field and saying why - never a traceback or an unnamed error."""
    ca = make_domain_ca(KMS_A)
    identity = ca.issue("kms")
    files = {"kms.pem": identity.cert_pem, "kms.key": identity.key_pem, "ca.pem": ca.cert_pem}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "kms.key").chmod(0o600)
    config = KmsServerConfig(KMS_A, str(tmp_path / "kms.pem"), str(tmp_path / "kms.key"),
                             str(tmp_path / "ca.pem"), "127.0.0.1:1", BSF_DOMAIN,
                             str(tmp_path / "ca.pem"), db="ftp://x/kms.db")
    with pytest.raises(UsageError) as err:
        build_kms(config)
    assert str(err.value).startswith("field db (ftp://x/kms.db): ftp:// is not a store URL")
