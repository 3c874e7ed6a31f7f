"""The KMS / SKM-S of TS 33.180 Annex D (``mckm.impl.roles.kms``, spec/skm-s.md) keeps its
contract where the happy path would not show it: replicas sharing one store settle their races
through the store's constraints (one community, one key set per user and period: REQ-SKMS-11,
``mckm.impl.store.kms_store``), a user URI with blanks is never enrolled (``mckm kms enrol``),
the D.2 path and D.3.5 body syntax is answered 400 (REQ-SKMS-03, REQ-SKMS-26), a KmsError
answer reads as one (D.3.1, REQ-SKMS-36) and refusals say why.  Survivors of
``./dev mutate kms``."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from mckm.impl.cli import main
from mckm.impl.engine import DictMessage, StepRefused
from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys, UserKeySet
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import (
    HttpRequest,
    KmsService,
    decode_request,
    decode_response,
    kms_machine,
    resource_path,
)
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity
from mckm.models.procedures import skm_s

ALICE = "sip:alice@example.org"
KMS_URI = "kms.example.org"
CONFIG = KmsConfig(KMS_URI)


@dataclass
class Live:
    """A KMS served over HTTPS on a store file, with Alice enrolled."""

    server: KmsHttpsServer
    role: KmsRole
    idm: ec.EllipticCurvePrivateKey
    alice: TransportKeys

    def token(self) -> str:
        return access_token.issue(self.idm, subject=ALICE, scopes=(KMS_SCOPE,),
                                  issued_at=int(time.time()), lifetime=300)

    def post(self, path: str, body: bytes = b"") -> tuple[int, bytes]:
        client = KmsClient(self.server.host, self.server.port, self.server.identity.ca_pem,
                           self.token())
        try:
            return client.post(path, body)
        finally:
            client.close()

    def checks(self) -> messages.KeyChecks:
        a = self.role.algorithms
        return messages.KeyChecks(self.role.certificate, a.uid, a.validate_ssk,
                                  a.validate_rsk)


def _serve(role: KmsRole, idm: ec.EllipticCurvePrivateKey) -> KmsHttpsServer:
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    return server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = SqliteKmsStore(str(tmp_path_factory.mktemp("kms") / "kms.db"))
    role = KmsRole.open(store, CONFIG, standard())
    alice = role.enrol(ALICE)
    idm = ec.generate_private_key(ec.SECP256R1())
    with _serve(role, idm) as server:
        yield Live(server, role, idm, alice)
    store.close()


def _keyprov(live: Live) -> tuple[ProvisioningClient, str, bytes]:
    """The model client's keyprov request for the current and next period (D.2.4)."""
    client = ProvisioningClient(ALICE, KMS_URI, live.alice, live.server.base_url,
                                live.checks())
    request = client.request("keyprov", token="", now=int(time.time()))
    return client, request.path, request.body


def _fingerprint(key_sets: Any) -> list[tuple[int, bytes, int, bytes, bytes]]:
    out = []
    for k in key_sets:
        assert isinstance(k, UserKeySet)
        out.append((k.period_no, k.uid, k.ssk.reveal(), k.pvt, k.rsk.reveal()))
    return out


# -- replicas on one store ---------------------------------------------------------------------


def test_replicas_starting_at_once_share_the_first_saved_community(tmp_path: Path) -> None:
    """``KmsRole.open`` / kms_store: replicas starting at once on one store create one
    community; the one whose save the store refuses (``community.id`` = 1) loads and serves
    the first one's KSAK/KPAK and z/Z, so both sign and issue under one KMS certificate
    (TS 33.180 5.3, D.3.2).  The race is made certain by starting replica B while replica A
    makes its community keys."""
    db = str(tmp_path / "kms.db")
    base = standard()
    started: list[KmsRole] = []

    def keypair_while_b_starts() -> tuple[Secret[int], bytes]:
        if not started:
            started.append(KmsRole.open(SqliteKmsStore(db), CONFIG, base))
        return base.kms_keypair()

    racing = dataclasses.replace(base, kms_keypair=keypair_while_b_starts)
    store_a = SqliteKmsStore(db)
    try:
        a = KmsRole.open(store_a, CONFIG, racing)
        (b,) = started
        assert a.keys == b.keys and a.certificate == b.certificate
        assert a.algorithms is racing  # A runs with its own algorithms on the loaded community
        assert store_a.count("community") == 1
    finally:
        store_a.close()
        for role in started:
            role.store.close()


def test_a_key_set_stored_first_by_another_replica_is_handed_out_unchanged(
        tmp_path: Path) -> None:
    """REQ-SKMS-11/12 with two replicas on one store: replica A looks for Alice's key sets,
    finds none and issues them; meanwhile replica B answers Alice's keyprov and stores its own.
    A's store write is refused (one key set per user and period) and A answers with what B
    stored: over HTTPS Alice receives from A the very SSK, PVT and RSK B sent her."""
    db = str(tmp_path / "kms.db")
    idm = ec.generate_private_key(ec.SECP256R1())
    base = standard()
    store_b = SqliteKmsStore(db)
    b = KmsRole.open(store_b, CONFIG, base)
    alice = b.enrol(ALICE)
    replica_b = _serve(b, idm)
    answers_b: list[tuple[int, bytes]] = []
    emitted_b: dict[str, Any] = {}

    def issue_while_b_answers(ksak: int, kpak: bytes,
                              identity: bytes) -> tuple[Secret[int], bytes]:
        if not answers_b:  # A has read the store (nothing) and is issuing
            live_b = Live(replica_b, b, idm, alice)
            client_b, path, body = _keyprov(live_b)
            answers_b.append(live_b.post(path, body))
            emitted_b.update(client_b.response("keyprov", answers_b[0][1],
                                               now=int(time.time())))
        return base.issue_ssk(ksak, kpak, identity)

    store_a = SqliteKmsStore(db)
    a = KmsRole.open(store_a, CONFIG, dataclasses.replace(base, issue_ssk=issue_while_b_answers))
    try:
        with replica_b, _serve(a, idm) as replica_a:
            live_a = Live(replica_a, a, idm, alice)
            client_a, path, body = _keyprov(live_a)
            status, answer = live_a.post(path, body)
            assert answers_b and answers_b[0][0] == 200
            assert status == 200, answer
            emitted_a = client_a.response("keyprov", answer, now=int(time.time()))
        assert _fingerprint(emitted_a["key_sets"]) == _fingerprint(emitted_b["key_sets"])
        assert [k.period_no for k in emitted_a["key_sets"]] == list(a.current_periods())
        assert store_a.count("key_sets") == 2
    finally:
        store_a.close()
        store_b.close()


def test_the_role_hands_out_the_other_replicas_key_sets_after_losing_the_race(
        tmp_path: Path) -> None:
    """REQ-SKMS-11: ``KmsRole.key_sets`` (what ``mckm kms`` issuing and the keyprov effect
    call) returns, after the store refused its own fresh key sets, the ones the other replica
    stored, in the order of the periods asked for."""
    db = str(tmp_path / "kms.db")
    base = standard()
    store_b = SqliteKmsStore(db)
    b = KmsRole.open(store_b, CONFIG, base)
    b.enrol(ALICE)
    by_b: list[UserKeySet] = []

    def issue_while_b_stores(ksak: int, kpak: bytes,
                             identity: bytes) -> tuple[Secret[int], bytes]:
        if not by_b:
            by_b.extend(b.key_sets(ALICE, b.current_periods()))
        return base.issue_ssk(ksak, kpak, identity)

    store_a = SqliteKmsStore(db)
    a = KmsRole.open(store_a, CONFIG, dataclasses.replace(base, issue_ssk=issue_while_b_stores))
    try:
        current, following = a.current_periods()
        got = a.key_sets(ALICE, [following, current])
        assert by_b, "replica B did not store first"
        assert _fingerprint(got) == _fingerprint([by_b[1], by_b[0]])
    finally:
        store_a.close()
        store_b.close()


# -- enrolment and the role's configuration ------------------------------------------------------


@pytest.mark.parametrize("user", ["sip:alice @example.org", "sip:alice@example.org\t", ""])
def test_enrol_cli_refuses_a_user_uri_with_blanks_or_none(tmp_path: Path, user: str) -> None:
    """``mckm kms enrol`` (TS 33.180 D.1: the TrK/InK are bound to the user's MC ID, a URI,
    RFC 3986 has no blanks): a --user with whitespace, or empty, is an input error (exit 2)
    that names it; no key file is written and nobody is enrolled."""
    db, out = tmp_path / "kms.db", tmp_path / "alice.json"
    result = CliRunner().invoke(main, ["kms", "enrol", "--db", str(db), "--user", user,
                                       "--out", str(out), "--kms-uri", KMS_URI])
    assert result.exit_code == 2, result.output
    assert "not a user URI" in result.stderr
    assert not out.exists() and list(tmp_path.glob(".alice.json.*")) == []
    store = SqliteKmsStore(str(db))
    try:
        assert store.count("users") == 0
    finally:
        store.close()


@pytest.mark.parametrize("period, offset", [(0, 0), (-86400, 0), (86400, -1)])
def test_a_new_kms_with_no_key_period_is_refused_saying_why(period: int, offset: int) -> None:
    """TS 33.180 F.2.1: UserKeyPeriod is positive and UserKeyOffset not negative; a KMS
    created with others is refused with a reason naming the key period, and creates no
    community."""
    store = SqliteKmsStore(":memory:")
    try:
        with pytest.raises(UsageError) as refused:
            KmsRole.open(store, KmsConfig(KMS_URI, period, offset), standard())
        assert "key period" in str(refused.value).lower()
        assert store.load_community() is None
    finally:
        store.close()


# -- the D.2 path and the D.3.5 request body -----------------------------------------------------


@pytest.mark.parametrize("options", ["/1/2", "/0/0/0"])
def test_certcache_with_more_than_one_option_is_400(live: Live, options: str) -> None:
    """TS 33.180 D.2.5 (REQ-SKMS-03): ``/certcache[/<cache number>]`` takes at most one
    option; more is a malformed path, 400, not a cache request."""
    status, body = live.post(resource_path("certcache") + options)
    assert status == 400, body
    assert b"REQ-SKMS-03" in body


def _plain_request(live: Live, path: str) -> bytes:
    return messages.build_request(ALICE, KMS_URI, time.time(), live.server.base_url + path,
                                  live.alice)


def test_a_request_with_two_trk_ids_is_400(live: Live) -> None:
    """TS 33.180 D.3.5.3: "there shall be a maximum occurance of one TrK-ID" (REQ-SKMS-26): a
    KmsRequest with two TrK-ID extensions is 400 naming the field, and nothing is issued."""
    path = resource_path("keyprov")
    document = _plain_request(live, path)
    doubled, count = re.subn(rb"(<ext:TrK-ID>[^<]*</ext:TrK-ID>)", rb"\1\1", document)
    assert count == 1
    before = live.role.store.count("key_sets")
    status, body = live.post(path, doubled)
    assert status == 400, body
    assert b"field TrK-ID" in body and b"at most once" in body
    assert live.role.store.count("key_sets") == before


def test_a_time_the_kms_cannot_read_is_400_naming_the_time_element(live: Live) -> None:
    """REQ-SKMS-26 and DecodeError's contract (it names the payload and the field): a
    schema-valid xsd:dateTime the KMS does not read (24:00:00) is 400 naming KmsRequest and
    its <Time> element."""
    path = resource_path("keyprov")
    document = re.sub(rb"<Time>[^<]*</Time>", b"<Time>2023-11-14T24:00:00Z</Time>",
                      _plain_request(live, path))
    status, body = live.post(path, document)
    assert status == 400, body
    assert b"payload KmsRequest, field Time: <Time> is a dateTime" in body


# -- answers and refusals ----------------------------------------------------------------------


def test_a_kms_error_answer_reads_as_a_kms_error_and_is_refused(live: Live) -> None:
    """TS 33.180 D.3.1 (spec/skm-s.md, REQ-SKMS-36): a KmsResponse carrying a KmsError, beside
    a KmsInit, is the model's answer 4 (a KmsError), not other content, and the client hands
    nothing out."""
    client = ProvisioningClient(ALICE, KMS_URI, live.alice, live.server.base_url)
    request = client.request("init", token="", now=int(time.time()))
    header = messages.ResponseHeader(ALICE, KMS_URI, time.time(),
                                     live.server.base_url + request.path)
    document = messages.build_response(header, live.alice, init=live.role.certificate,
                                       error=(7, "try later"))
    assert decode_response("INIT_RESPONSE", document)["answer"] == skm_s.ANSWER_ERROR
    with pytest.raises(StepRefused) as refused:
        client.response("init", document, now=int(time.time()))
    assert (refused.value.guard, refused.value.requirement) == ("answers-my-request",
                                                                "REQ-SKMS-36")


def test_a_signed_body_without_its_document_is_refused_saying_so(live: Live) -> None:
    """REQ-SKMS-25 (models/procedures/verdict: the fact says why): a keyprov message that says
    its body is a SignedKmsRequest but carries no document to verify (as a model replay's
    message does) is refused by ``request-signed-by-user``, naming the missing body."""
    request = HttpRequest("POST", resource_path("keyprov"),
                          {"authorization": "Bearer " + live.token()})
    message = decode_request(request, live.server.base_url)
    forged = DictMessage(message.name, {**message, "body": skm_s.BODY_SIGNED})
    machine = kms_machine(live.role, access_token.TokenVerifier(live.idm.public_key()))
    with pytest.raises(StepRefused) as refused:
        machine.feed(forged, now=int(time.time()))
    assert refused.value.guard == "request-signed-by-user"
    assert "no SignedKmsRequest body" in str(refused.value)
