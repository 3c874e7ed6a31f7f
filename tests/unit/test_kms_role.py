"""The KMS / SKM-S role without sockets: key periods, re-provisioning, persistence, atomicity,
the D.3 XML read by the model's client (TrK wrap, InK signature, its guards REQ-SKMS-32..34)
and the D.2 request checks."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from mckm.impl.crypto import uid
from mckm.impl.engine import StepRefused
from mckm.impl.errors import DecodeError, StoreError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import IbcAlgorithms, standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import (
    BASE_PATH,
    HttpRequest,
    KmsService,
    Resource,
    decode_request,
    decode_response,
    kms_machine,
    parse_path,
    resource_path,
)
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.models.procedures import skm_s
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import drop_guard_mutants

NOW = 1_700_000_000.0  # 2023-11-14, inside key period 44448 of 30 days (offset 0)
ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"
CONFIG = KmsConfig("kms.example.org", period=2592000, offset=0)
BASE_URL = "https://kms"


@pytest.fixture(scope="module")
def algorithms() -> IbcAlgorithms:
    return standard()


@pytest.fixture
def role(algorithms: IbcAlgorithms) -> Iterator[KmsRole]:
    store = SqliteKmsStore(":memory:")
    kms = KmsRole.open(store, CONFIG, algorithms, clock=lambda: NOW)
    yield kms
    store.close()


def checks(kms: KmsRole) -> messages.KeyChecks:
    a = kms.algorithms
    return messages.KeyChecks(kms.certificate, a.uid, a.validate_ssk, a.validate_rsk)


def header(kms: KmsRole, user: str, resource: str = "keyprov") -> messages.ResponseHeader:
    """The addressing of an answer to the model client's request for ``resource``."""
    return messages.ResponseHeader(user, kms.certificate.kms_uri, NOW,
                                   BASE_URL + resource_path(resource))


def client_without(resource: str, guard: str) -> Procedure:
    """The model with ``guard`` dropped at the client's receipt of ``resource``'s answer."""
    step = skm_s.PROCEDURE.step_for("client", skm_s.RESOURCES[resource][1], "receive")
    return next(m.procedure for m in drop_guard_mutants(skm_s.PROCEDURE)
                if m.step == step.number and m.guard == guard)


def answer(kms: KmsRole, transport: TransportKeys, resource: str, document: bytes,
           procedure: Procedure = skm_s.PROCEDURE) -> dict[str, Any]:
    """The model's client (TS 33.180 D.2/D.3) asks ``resource`` and is answered with
    ``document``: what it hands out, or StepRefused / DecodeError."""
    client = ProvisioningClient(ALICE, CONFIG.kms_uri, transport, BASE_URL, checks(kms),
                                procedure)
    client.request(resource, token="", now=int(NOW))
    return client.response(resource, document, now=int(NOW))


def refusal(kms: KmsRole, transport: TransportKeys, resource: str,
            document: bytes) -> StepRefused:
    with pytest.raises(StepRefused) as refused:
        answer(kms, transport, resource, document)
    return refused.value


# -- key periods and re-provisioning ----------------------------------------------------------


def test_current_and_next_period_key_sets_are_valid_and_contiguous(role: KmsRole) -> None:
    role.enrol(ALICE)
    current, following = role.key_sets(ALICE, role.current_periods())
    assert following.period_no == current.period_no + 1
    assert current.valid_from <= NOW < current.valid_to == following.valid_from
    assert following.valid_to - following.valid_from == CONFIG.period
    assert current.uid != following.uid
    for key_set in (current, following):
        assert key_set.uid == role.algorithms.uid(ALICE, CONFIG.kms_uri, CONFIG.period,
                                                  CONFIG.offset, key_set.period_no)
        role.algorithms.validate_ssk(role.keys.kpak, key_set.uid, key_set.ssk.reveal(),
                                     key_set.pvt)
        role.algorithms.validate_rsk(role.keys.z_pub, key_set.uid, key_set.rsk.reveal())


def test_reprovisioning_returns_the_same_keys(role: KmsRole) -> None:
    role.enrol(ALICE)
    first = role.key_sets(ALICE, role.current_periods())
    again = role.key_sets(ALICE, role.current_periods())
    assert [(k.period_no, k.ssk, k.pvt, k.rsk) for k in first] == [
        (k.period_no, k.ssk, k.pvt, k.rsk) for k in again]
    assert role.store.count("key_sets") == 2


def _service(kms: KmsRole) -> tuple[KmsService, ec.EllipticCurvePrivateKey]:
    idm = ec.generate_private_key(ec.SECP256R1())
    return KmsService(kms, access_token.TokenVerifier(idm.public_key()), "https://kms"), idm


def _bearer(idm: ec.EllipticCurvePrivateKey, subject: str = ALICE,
            scopes: tuple[str, ...] = (KMS_SCOPE,)) -> dict[str, str]:
    signed = access_token.issue(idm, subject=subject, scopes=scopes, issued_at=int(NOW),
                                lifetime=60)
    return {"authorization": "Bearer " + signed}


def test_unenrolled_user_gets_no_keys(role: KmsRole) -> None:
    service, idm = _service(role)
    machine = kms_machine(role, service.verifier)
    message = decode_request(HttpRequest("POST", resource_path("keyprov"), _bearer(idm, BOB)),
                             "https://kms")
    with pytest.raises(StepRefused) as refused:
        machine.feed(message, now=int(NOW))
    assert (refused.value.guard, refused.value.requirement) == ("enrolled", "REQ-SKMS-21")
    assert skm_s.http_status(refused.value.step, refused.value.guard) == 403
    assert machine.state == "listening" and role.store.count("key_sets") == 0
    with pytest.raises(UsageError):  # the role itself is not the place that refuses
        role.key_sets(BOB, role.current_periods())


def test_period_outside_the_certificate_validity_is_refused(role: KmsRole) -> None:
    role.enrol(ALICE)
    service, idm = _service(role)
    far = uid.unix_to_ntp(role.config.valid_to + 2 * role.config.period) << 32
    response = service.handle(HttpRequest("POST", resource_path("keyprov", ALICE, far),
                                          _bearer(idm)))
    assert response.status == 403
    assert b"periods-in-certificate" in response.body and b"REQ-SKMS-13" in response.body
    assert role.store.count("key_sets") == 0
    assert not role.period_allowed(role.period_at(role.config.valid_to) + 1)


# -- persistence and atomicity ----------------------------------------------------------------


def test_store_survives_a_restart_and_is_private(tmp_path: os.PathLike[str],
                                                 algorithms: IbcAlgorithms) -> None:
    """REQ-SKMS-01: the community keys made on first start are kept in the store and read
    back on restart."""
    path = os.path.join(tmp_path, "kms.db")
    store = SqliteKmsStore(path)
    kms = KmsRole.open(store, CONFIG, algorithms, clock=lambda: NOW)
    transport = kms.enrol(ALICE)
    issued = kms.key_sets(ALICE, kms.current_periods())
    store.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    store = SqliteKmsStore(path)
    again = KmsRole.open(store, CONFIG, algorithms, clock=lambda: NOW)
    assert again.keys == kms.keys and again.certificate == kms.certificate
    assert again.transport_keys(ALICE) == transport
    for name in os.listdir(tmp_path):  # the WAL and shared-memory files too
        assert stat.S_IMODE(os.stat(os.path.join(tmp_path, name)).st_mode) == 0o600, name
    reread = again.key_sets(ALICE, again.current_periods())
    assert [(k.ssk, k.rsk, k.pvt, k.uid) for k in reread] == [
        (k.ssk, k.rsk, k.pvt, k.uid) for k in issued]
    with pytest.raises(UsageError, match="belongs to KMS"):
        KmsRole.open(store, dataclasses.replace(CONFIG, kms_uri="other.example.org"),
                     algorithms)
    store.close()


def test_store_refuses_a_file_others_can_read(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "open.db")
    with open(path, "wb"):
        pass
    os.chmod(path, 0o644)
    with pytest.raises(UsageError, match="readable by others"):
        SqliteKmsStore(path)


def test_failure_while_issuing_the_next_period_stores_nothing(
        role: KmsRole, algorithms: IbcAlgorithms) -> None:
    role.enrol(ALICE)
    calls = []

    def failing_rsk(z: int, identity: bytes) -> bytes:
        calls.append(identity)
        if len(calls) == 2:
            raise RuntimeError("HSM unavailable")
        return algorithms.issue_rsk(z, identity)

    role.algorithms = dataclasses.replace(algorithms, issue_rsk=failing_rsk)
    with pytest.raises(RuntimeError):
        role.key_sets(ALICE, role.current_periods())
    assert role.store.count("key_sets") == 0
    role.algorithms = algorithms
    assert len(role.key_sets(ALICE, role.current_periods())) == 2


def test_store_writes_all_rows_or_none(role: KmsRole) -> None:
    role.enrol(ALICE)
    good, other = role.key_sets(ALICE, role.current_periods())
    broken = dataclasses.replace(other, period_no=other.period_no + 5, uid=b"short")
    fine = dataclasses.replace(good, period_no=good.period_no + 4)
    with pytest.raises(StoreError, match="CHECK constraint failed"):
        role.store.put_key_sets([fine, broken])
    assert role.store.count("key_sets") == 2
    assert role.store.key_sets(ALICE, [fine.period_no]) == {}


# -- the D.3 XML ------------------------------------------------------------------------------


def test_keyprov_xml_round_trip_unwraps_and_validates(role: KmsRole) -> None:
    transport = role.enrol(ALICE)
    sets = role.key_sets(ALICE, role.current_periods())
    xml = messages.build_response(header(role, ALICE), transport,
                                  key_sets=(role.certificate, sets))
    assert b"Secret(" not in xml and format(sets[0].ssk.reveal(), "X") not in xml.decode()
    read = answer(role, transport, "keyprov", xml)["key_sets"]
    assert [(k.period_no, k.ssk, k.rsk, k.pvt, k.uid, k.valid_from, k.valid_to)
            for k in read] == [
        (k.period_no, k.ssk, k.rsk, k.pvt, k.uid, k.valid_from, k.valid_to) for k in sets]
    root = etree.fromstring(xml)
    methods = root.findall(f".//{{{messages.XENC}}}EncryptionMethod")
    assert {m.get("Algorithm") for m in methods} == {messages.KW_AES256,
                                                     messages.KW_AES256_PAD}


def test_init_and_certcache_round_trip(role: KmsRole) -> None:
    transport = role.enrol(ALICE)
    xml = messages.build_response(header(role, ALICE, "init"), transport, init=role.certificate)
    assert answer(role, transport, "init", xml)["certificates"] == (role.certificate,)
    xml = messages.build_response(header(role, ALICE, "certcache"), transport,
                                  cert_cache=(0, ()))
    assert decode_response("CERTCACHE_RESPONSE", xml).get("client_req_url") == (
        BASE_URL + resource_path("certcache"))
    assert answer(role, transport, "certcache", xml)["certificates"] == ()


def _keyprov(role: KmsRole) -> tuple[bytes, TransportKeys]:
    transport = role.enrol(ALICE)
    sets = role.key_sets(ALICE, role.current_periods()[:1])
    xml = messages.build_response(header(role, ALICE), transport,
                                  key_sets=(role.certificate, sets))
    return xml, transport


@pytest.mark.parametrize("edit", [
    lambda x: x.replace(ALICE.encode(), b"sip:mallory@example.org", 1),
    lambda x: x.replace(b"<KeyPeriodNo>", b"<KeyPeriodNo>1", 1),
    lambda x: x.replace(b"Revoked>false<", b"Revoked>true<", 1),
])
def test_a_tampered_response_is_refused(role: KmsRole, edit: object) -> None:
    """REQ-SKMS-33: the InK signature is checked first; a changed octet is a digest mismatch."""
    xml, transport = _keyprov(role)
    assert callable(edit)
    refused = refusal(role, transport, "keyprov", edit(xml))
    assert (refused.guard, refused.requirement) == ("signed-with-ink", "REQ-SKMS-33")
    assert "digest mismatch" in str(refused)


def test_wrong_ink_or_trk_is_refused(role: KmsRole) -> None:
    xml, transport = _keyprov(role)
    other = Secret(bytes(32))
    refused = refusal(role, dataclasses.replace(transport, ink=other), "keyprov", xml)
    assert (refused.guard, refused.requirement) == ("signed-with-ink", "REQ-SKMS-33")
    assert "HMAC-SHA256 under the InK" in str(refused)
    refused = refusal(role, dataclasses.replace(transport, trk=other), "keyprov", xml)
    assert (refused.guard, refused.requirement) == ("key-sets-valid", "REQ-SKMS-34")


@pytest.mark.parametrize(("guard", "requirement", "user", "kms_uri", "url", "trk_id"), [
    ("addressed", "REQ-SKMS-34", BOB, None, None, None),
    ("from-my-kms", "REQ-SKMS-34", ALICE, "kms.other.org", None, None),
    ("for-my-request", "REQ-SKMS-34", ALICE, None, BASE_URL + "/elsewhere", None),
    ("under-my-trk", "REQ-SKMS-32", ALICE, None, None, "other-trk"),
])
def test_a_signed_answer_for_another_request_is_refused_by_its_guard(
        role: KmsRole, guard: str, requirement: str, user: str, kms_uri: str | None,
        url: str | None, trk_id: str | None) -> None:
    """REQ-SKMS-32/34 (D.3.1, D.3.5.3): a KmsInit signed with this client's InK but addressed
    to another user, from another KMS, for another URL or under another TrK is refused by
    that guard; the same octets are accepted by the model without it."""
    transport = role.enrol(ALICE)
    at = header(role, user, "init")
    at = dataclasses.replace(at, kms_uri=kms_uri or at.kms_uri,
                             client_req_url=url or at.client_req_url)
    keys = dataclasses.replace(transport, trk_id=trk_id or transport.trk_id)
    xml = messages.build_response(at, keys, init=role.certificate)
    refused = refusal(role, transport, "init", xml)
    assert (refused.guard, refused.requirement) == (guard, requirement)
    accepted = answer(role, transport, "init", xml, client_without("init", guard))
    assert accepted["certificates"] == (role.certificate,)


ERROR = (500, "the KMS failed")


@pytest.mark.parametrize(("resource", "body", "gap"), [
    ("keyprov", "init", {"key_sets": 0}),
    ("keyprov", "key_sets+error", {"key_sets": 1}),
    ("init", "init+error", {"certificates": 0}),
    ("init", "error", {"certificates": 0}),
    ("certcache", "init", {"certificates": 1}),
    ("cert", "key_sets", {"certificates": 0}),
])
def test_an_answer_of_another_kind_or_with_a_kms_error_is_refused_by_its_guard(
        role: KmsRole, resource: str, body: str, gap: dict[str, Any]) -> None:
    """REQ-SKMS-36 (D.2.3-D.2.6, D.3.1): a response signed with this client's InK and
    addressed to its request is refused by ``answers-my-request`` when it is not the answer
    asked for, or carries a KmsError; the model without that guard accepts the same octets
    (a keyprov answered with no key sets, a KmsError taken for an answer) and its effects
    raise nothing."""
    transport = role.enrol(ALICE)
    kinds: dict[str, Any] = {
        "init": role.certificate, "error": ERROR, "key_sets": (
            role.certificate, role.key_sets(ALICE, role.current_periods()[:1]) if
            resource == "keyprov" else ())}
    at = header(role, ALICE, resource)
    if resource == "cert":
        at = dataclasses.replace(at, client_req_url=BASE_URL + resource_path(
            "cert", kms_uri=CONFIG.kms_uri))
    xml = messages.build_response(at, transport, **{k: kinds[k] for k in body.split("+")})
    refused = refusal(role, transport, resource, xml)
    assert (refused.guard, refused.requirement) == ("answers-my-request", "REQ-SKMS-36")
    accepted = answer(role, transport, resource, xml,
                      client_without(resource, "answers-my-request"))
    ((name, count),) = gap.items()
    assert len(accepted[name]) == count and "answered" in accepted


def test_the_answer_read_is_the_signed_one(role: KmsRole) -> None:
    """The ``answer`` field the guard reads is checked against the signed KmsResponse by
    ``signed-with-ink`` (REQ-SKMS-33): a message whose field was changed is refused there."""
    transport = role.enrol(ALICE)
    xml = messages.build_response(header(role, ALICE, "init"), transport, init=role.certificate)
    assert decode_response("INIT_RESPONSE", xml).get("answer") == skm_s.ANSWER_INIT
    client = ProvisioningClient(ALICE, CONFIG.kms_uri, transport, BASE_URL, checks(role))
    client.request("init", token="", now=int(NOW))
    machine = client._machine
    assert machine is not None
    forged = decode_response("INIT_RESPONSE", xml).replace(answer=skm_s.ANSWER_ERROR)
    with pytest.raises(StepRefused) as refused:
        machine.feed(forged, now=int(NOW))
    assert refused.value.guard == "signed-with-ink"


def test_signature_wrapping_is_refused(role: KmsRole) -> None:
    xml, transport = _keyprov(role)
    root = etree.fromstring(xml)
    copy = etree.fromstring(etree.tostring(root[0]))
    root.insert(0, copy)
    with pytest.raises(DecodeError, match="line 1: Element 'KmsResponse'"):
        answer(role, transport, "keyprov", etree.tostring(root))


def test_keys_that_do_not_validate_are_refused(role: KmsRole,
                                               algorithms: IbcAlgorithms) -> None:
    transport = role.enrol(ALICE)
    role.algorithms = dataclasses.replace(
        algorithms, issue_rsk=lambda z, identity: algorithms.issue_rsk(z, b"\x00" * 32))
    sets = role.key_sets(ALICE, role.current_periods()[:1])
    xml = messages.build_response(header(role, ALICE), transport,
                                  key_sets=(role.certificate, sets))
    role.algorithms = algorithms
    refused = refusal(role, transport, "keyprov", xml)
    assert (refused.guard, refused.requirement) == ("key-sets-valid", "REQ-SKMS-34")


def test_malformed_xml_is_a_decode_error(role: KmsRole) -> None:
    transport = role.enrol(ALICE)
    for data in (b"<SignedKmsResponse", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', b"<other/>"):
        with pytest.raises(DecodeError):
            answer(role, transport, "init", data)


# -- the D.2 request handling -----------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    (f"{BASE_PATH}/init", Resource("init")),
    (f"{BASE_PATH}/keyprov", Resource("keyprov")),
    (f"{BASE_PATH}/keyprov/sip%3Auser%40example.org", Resource("keyprov", "sip:user@example.org")),
    (f"{BASE_PATH}/keyprov/sip%3Auser%40example.org/D6B4323200000000",
     Resource("keyprov", "sip:user@example.org", 0xD6B4323200000000)),
    (f"{BASE_PATH}/certcache", Resource("certcache")),
    (f"{BASE_PATH}/certcache/7", Resource("certcache", cache_num=7)),
])
def test_parse_path(path: str, expected: Resource) -> None:
    assert parse_path(path) == expected
    assert resource_path(expected.kind, expected.user_uri, expected.ntp_time,
                         expected.cache_num).upper() == path.upper()


@pytest.mark.parametrize("path", [
    f"{BASE_PATH}/init/x", f"{BASE_PATH}/keyprov/sip%3Ax%ZZ", f"{BASE_PATH}/keyprov/sip%3Ax/123",
    f"{BASE_PATH}/keyprov/sip%3Ax/D6B4323200000000/x", f"{BASE_PATH}/certcache/x",
    f"{BASE_PATH}/keyprov//", f"{BASE_PATH}/keyprov/%FF", f"{BASE_PATH}/cert",
])
def test_bad_paths_are_decode_errors(path: str) -> None:
    with pytest.raises(DecodeError, match="REQ-SKMS-03"):
        parse_path(path)


@pytest.mark.parametrize("path", ["/other", f"{BASE_PATH}/lookup", f"{BASE_PATH}/redirect/x"])
def test_resources_not_served_are_404_by_the_model(role: KmsRole, path: str) -> None:
    assert parse_path(path).kind not in skm_s.RESOURCES
    service, idm = _service(role)
    response = service.handle(HttpRequest("POST", path, _bearer(idm)))
    assert response.status == 404 and b"REQ-SKMS-02" in response.body


def test_service_checks_token_scope_identity_and_body(role: KmsRole) -> None:
    service, idm = _service(role)
    transport = role.enrol(ALICE)

    def post(path: str, headers: dict[str, str], body: bytes = b"") -> int:
        return service.handle(HttpRequest("POST", path, headers, body)).status

    keyprov = resource_path("keyprov")
    url = "https://kms" + keyprov
    assert post(keyprov, {}) == 401
    assert post(keyprov, _bearer(idm, scopes=("openid",))) == 403
    assert post(keyprov, _bearer(idm, BOB)) == 403  # not enrolled
    assert post(resource_path("keyprov", BOB), _bearer(idm)) == 403
    for_bob = messages.build_request(BOB, CONFIG.kms_uri, NOW, url)
    assert post(keyprov, _bearer(idm), for_bob) == 403
    other_kms = messages.build_request(ALICE, "kms.other.org", NOW, url)
    assert post(keyprov, _bearer(idm), other_kms) == 403
    assert post(keyprov, _bearer(idm), b"<KmsRequest") == 400
    assert service.handle(HttpRequest("GET", keyprov, _bearer(idm))).status == 405
    assert role.store.count("key_sets") == 0
    signed = messages.build_request(ALICE, CONFIG.kms_uri, NOW, url, transport, signed=True)
    response = service.handle(HttpRequest("POST", keyprov, _bearer(idm), signed))
    assert response.status == 200 and role.store.count("key_sets") == 2


# -- the command line -------------------------------------------------------------------------


def test_cli_issue_token_and_enrol(tmp_path: os.PathLike[str]) -> None:
    from click.testing import CliRunner
    from cryptography.hazmat.primitives import serialization

    from mckm.impl.roles.kms.cli import kms

    runner = CliRunner()
    key_file = os.path.join(tmp_path, "idm.pem")
    result = runner.invoke(kms, ["issue-token", "--idm-key", key_file, "--user", ALICE])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with open(key_file, "rb") as handle:
        idm = serialization.load_pem_private_key(handle.read(), password=None)
    assert isinstance(idm, ec.EllipticCurvePrivateKey)
    claims = access_token.TokenVerifier(idm.public_key()).verify(result.output.strip(),
                                                                 time.time())  # iat = now
    assert claims.subject == ALICE and KMS_SCOPE in claims.scopes

    db, out = os.path.join(tmp_path, "kms.db"), os.path.join(tmp_path, "alice.json")
    result = runner.invoke(kms, ["enrol", "--db", db, "--user", ALICE, "--out", out,
                                 "--kms-uri", CONFIG.kms_uri])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with open(out, encoding="utf-8") as handle:
        assert handle.read() not in result.output
    result = runner.invoke(kms, ["enrol", "--db", db, "--user", ALICE, "--out", out,
                                 "--kms-uri", "other.example.org"])
    assert result.exit_code == 2 and "belongs to KMS" in result.output  # an input error
