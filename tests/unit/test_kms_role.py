"""The KMS / SKM-S role without sockets: key periods, re-provisioning, persistence, atomicity,
the D.3 XML (TrK wrap, InK signature, client-side validation) and the D.2 request checks."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import IbcAlgorithms, standard
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import (
    BASE_PATH,
    HttpRequest,
    KmsService,
    Resource,
    parse_path,
    resource_path,
)
from mckm.impl.store.sqlite_kms import SqliteKmsStore

NOW = 1_700_000_000.0  # 2023-11-14, inside key period 44448 of 30 days (offset 0)
ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"
CONFIG = KmsConfig("kms.example.org", period=2592000, offset=0)


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


def header(kms: KmsRole, user: str) -> messages.ResponseHeader:
    return messages.ResponseHeader(user, kms.certificate.kms_uri, NOW, "https://kms/x")


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


def test_unenrolled_user_gets_no_keys(role: KmsRole) -> None:
    with pytest.raises(PolicyError) as refused:
        role.key_sets(BOB, role.current_periods())
    assert refused.value.http_status == 403
    assert role.store.count("key_sets") == 0


def test_period_outside_the_certificate_validity_is_refused(role: KmsRole) -> None:
    role.enrol(ALICE)
    far = role.period_at(role.config.valid_to) + 1
    with pytest.raises(PolicyError) as refused:
        role.key_sets(ALICE, [far])
    assert refused.value.requirement == "REQ-SKMS-13"
    assert role.store.count("key_sets") == 0


# -- persistence and atomicity ----------------------------------------------------------------


def test_store_survives_a_restart_and_is_private(tmp_path: os.PathLike[str],
                                                 algorithms: IbcAlgorithms) -> None:
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
    with pytest.raises(sqlite3.IntegrityError):
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
    read = messages.read_response(xml, transport, user_uri=ALICE, kms_uri=CONFIG.kms_uri,
                                  client_req_url="https://kms/x", checks=checks(role))
    assert read.kind == "KmsKeyProv"
    assert [(k.period_no, k.ssk, k.rsk, k.pvt, k.uid, k.valid_from, k.valid_to)
            for k in read.key_sets] == [
        (k.period_no, k.ssk, k.rsk, k.pvt, k.uid, k.valid_from, k.valid_to) for k in sets]
    root = etree.fromstring(xml)
    methods = root.findall(f".//{{{messages.XENC}}}EncryptionMethod")
    assert {m.get("Algorithm") for m in methods} == {messages.KW_AES256,
                                                     messages.KW_AES256_PAD}


def test_init_and_certcache_round_trip(role: KmsRole) -> None:
    transport = role.enrol(ALICE)
    xml = messages.build_response(header(role, ALICE), transport, init=role.certificate)
    read = messages.read_response(xml, transport, user_uri=ALICE, kms_uri=CONFIG.kms_uri,
                                  client_req_url="https://kms/x")
    assert read.certificates == (role.certificate,)
    xml = messages.build_response(header(role, ALICE), transport, cert_cache=(0, ()))
    read = messages.read_response(xml, transport, user_uri=ALICE, kms_uri=CONFIG.kms_uri,
                                  client_req_url="https://kms/x")
    assert read.kind == "KmsCertCache" and read.cache_num == 0 and read.certificates == ()


def _keyprov(role: KmsRole) -> tuple[bytes, TransportKeys]:
    transport = role.enrol(ALICE)
    sets = role.key_sets(ALICE, role.current_periods()[:1])
    xml = messages.build_response(header(role, ALICE), transport,
                                  key_sets=(role.certificate, sets))
    return xml, transport


def _read(role: KmsRole, xml: bytes, transport: TransportKeys) -> messages.KmsResponse:
    return messages.read_response(xml, transport, user_uri=ALICE, kms_uri=CONFIG.kms_uri,
                                  client_req_url="https://kms/x", checks=checks(role))


@pytest.mark.parametrize("edit", [
    lambda x: x.replace(ALICE.encode(), b"sip:mallory@example.org", 1),
    lambda x: x.replace(b"<KeyPeriodNo>", b"<KeyPeriodNo>1", 1),
    lambda x: x.replace(b"Revoked>false<", b"Revoked>true<", 1),
])
def test_a_tampered_response_is_refused(role: KmsRole, edit: object) -> None:
    xml, transport = _keyprov(role)
    assert callable(edit)
    with pytest.raises(VerifyError, match="digest"):
        _read(role, edit(xml), transport)


def test_wrong_ink_or_trk_is_refused(role: KmsRole) -> None:
    xml, transport = _keyprov(role)
    other = Secret(bytes(32))
    with pytest.raises(VerifyError, match="InK"):
        _read(role, xml, dataclasses.replace(transport, ink=other))
    with pytest.raises(VerifyError):
        _read(role, xml, dataclasses.replace(transport, trk=other))


def test_signature_wrapping_is_refused(role: KmsRole) -> None:
    xml, transport = _keyprov(role)
    root = etree.fromstring(xml)
    copy = etree.fromstring(etree.tostring(root[0]))
    root.insert(0, copy)
    with pytest.raises(DecodeError, match="exactly one <KmsResponse>"):
        _read(role, etree.tostring(root), transport)


def test_keys_that_do_not_validate_are_refused(role: KmsRole,
                                               algorithms: IbcAlgorithms) -> None:
    transport = role.enrol(ALICE)
    role.algorithms = dataclasses.replace(
        algorithms, issue_rsk=lambda z, identity: algorithms.issue_rsk(z, b"\x00" * 32))
    sets = role.key_sets(ALICE, role.current_periods()[:1])
    xml = messages.build_response(header(role, ALICE), transport,
                                  key_sets=(role.certificate, sets))
    role.algorithms = algorithms
    with pytest.raises(VerifyError):
        _read(role, xml, transport)


def test_malformed_xml_is_a_decode_error(role: KmsRole) -> None:
    transport = role.enrol(ALICE)
    for data in (b"<SignedKmsResponse", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', b"<other/>"):
        with pytest.raises(DecodeError):
            messages.read_response(data, transport, user_uri=ALICE, kms_uri=CONFIG.kms_uri,
                                   client_req_url="u")


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


@pytest.mark.parametrize(("path", "status"), [
    ("/other", 404), (f"{BASE_PATH}/lookup", 404), (f"{BASE_PATH}/init/x", 400),
    (f"{BASE_PATH}/keyprov/sip%3Ax%ZZ", 400), (f"{BASE_PATH}/keyprov/sip%3Ax/123", 400),
    (f"{BASE_PATH}/keyprov/sip%3Ax/D6B4323200000000/x", 400), (f"{BASE_PATH}/certcache/x", 400),
    (f"{BASE_PATH}/keyprov//", 400), (f"{BASE_PATH}/keyprov/%FF", 400),
])
def test_bad_paths(path: str, status: int) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_path(path)
    assert refused.value.http_status == status


def test_service_checks_token_scope_identity_and_body(role: KmsRole) -> None:
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "https://kms")
    role.enrol(ALICE)

    def token(scopes: tuple[str, ...] = (KMS_SCOPE,), subject: str = ALICE) -> dict[str, str]:
        signed = access_token.issue(idm, subject=subject, scopes=scopes, issued_at=int(NOW),
                                    lifetime=60)
        return {"authorization": "Bearer " + signed}

    def post(path: str, headers: dict[str, str], body: bytes = b"") -> int:
        return service.handle(HttpRequest("POST", path, headers, body)).status

    keyprov = resource_path("keyprov")
    assert post(keyprov, {}) == 401
    assert post(keyprov, token(("openid",))) == 403
    assert post(keyprov, token(subject=BOB)) == 403  # not enrolled
    assert post(resource_path("keyprov", BOB), token()) == 403
    request = (f'<KmsRequest xmlns="{messages.NS}"><UserUri>{BOB}</UserUri>'
               f"<KmsUri>{CONFIG.kms_uri}</KmsUri></KmsRequest>").encode()
    assert post(keyprov, token(), request) == 403
    assert post(keyprov, token(), b"<KmsRequest") == 400
    assert service.handle(HttpRequest("GET", keyprov, token())).status == 405
    assert role.store.count("key_sets") == 0
    response = service.handle(HttpRequest("POST", keyprov, token(), request.replace(
        BOB.encode(), ALICE.encode())))
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
    claims = access_token.TokenVerifier(idm.public_key()).verify(result.output.strip(), NOW)
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
    assert result.exit_code != 0 and "belongs to KMS" in result.output
