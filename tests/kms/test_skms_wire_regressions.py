"""Regressions of the SKM-S wire against TS 33.180 D.3.5 and D.2.2, driving the real HTTPS
server with real octets: schema-valid output (extensions namespace, KmsCertificate order,
UserID base64), schema-invalid requests answered 400, SignedKmsRequest signatures verified."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from mckm.impl.engine import StepRefused
from mckm.impl.roles.kms import access_token, messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KMS_SCOPE, KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import KmsService, resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity
from mckm.models.grammar import kms_xml
from mckm.models.procedures import skm_s

ALICE = "sip:alice@example.org"
KMS_URI = "kms.example.org"


@dataclass
class Live:
    server: KmsHttpsServer
    role: KmsRole
    idm: ec.EllipticCurvePrivateKey
    alice: TransportKeys

    def client(self) -> KmsClient:
        token = access_token.issue(self.idm, subject=ALICE, scopes=(KMS_SCOPE,),
                                   issued_at=int(time.time()), lifetime=300)
        return KmsClient(self.server.host, self.server.port, self.server.identity.ca_pem, token)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = SqliteKmsStore(os.path.join(tmp_path_factory.mktemp("kms"), "kms.db"))
    role = KmsRole.open(store, KmsConfig(KMS_URI), standard())
    alice = role.enrol(ALICE)
    idm = ec.generate_private_key(ec.SECP256R1())
    service = KmsService(role, access_token.TokenVerifier(idm.public_key()), "")
    server = KmsHttpsServer(service, make_tls_identity("127.0.0.1"))
    service.base_url = server.base_url
    with server:
        yield Live(server, role, idm, alice)
    store.close()


def _post(live: Live, path: str, body: bytes = b"") -> tuple[int, bytes]:
    client = live.client()
    try:
        return client.post(path, body)
    finally:
        client.close()


def _request(live: Live, path: str, *, signed: bool, url: str | None = None) -> bytes:
    return messages.build_request(ALICE, KMS_URI, time.time(), url or live.server.base_url + path,
                                  live.alice, signed=signed)


@pytest.mark.parametrize("resource", ["init", "keyprov", "certcache"])
def test_every_response_validates_against_the_d35_schema(live: Live, resource: str) -> None:
    """REQ-SKMS-35: every document the KMS writes validates against the D.3.5 schema;
    REQ-SKMS-30: KmsInit among them."""
    status, body = _post(live, resource_path(resource))
    assert status == 200, body
    root = etree.fromstring(body)
    assert kms_xml.schema().validate(root), kms_xml.schema().error_log


def test_trk_id_and_signature_id_are_in_the_extension_namespace(live: Live) -> None:
    status, body = _post(live, resource_path("keyprov"))
    assert status == 200
    response = etree.fromstring(body)[0]
    tail = [etree.QName(e) for e in response][-2:]
    assert [(q.namespace, q.localname) for q in tail] == [
        (kms_xml.EXT_NS, "TrK-ID"), (kms_xml.EXT_NS, "Signature-ID")]
    assert response.find(f"{{{kms_xml.NS}}}TrK-ID") is None


def test_kms_certificate_writes_cert_uri_before_kms_uri(live: Live) -> None:
    """REQ-SKMS-30: KmsInit's certificate elements in the order of KmsCertificateType."""
    status, body = _post(live, resource_path("init"))
    assert status == 200
    certificate = etree.fromstring(body).find(f".//{{{kms_xml.NS}}}KmsCertificate")
    names = [etree.QName(e).localname for e in certificate]
    assert names[:3] == ["CertUri", "KmsUri", "Issuer"]


def test_user_id_is_base64_of_the_uid(live: Live) -> None:
    """REQ-SKMS-31: UserID is the base64 of the UID."""
    status, body = _post(live, resource_path("keyprov"))
    assert status == 200
    key_set = etree.fromstring(body).find(f".//{{{kms_xml.NS}}}KmsKeySet")
    user_id = key_set.findtext(f"{{{kms_xml.NS}}}UserID")
    period = int(key_set.findtext(f"{{{kms_xml.NS}}}KeyPeriodNo"))
    expected = live.role.algorithms.uid(ALICE, KMS_URI, live.role.config.period,
                                        live.role.config.offset, period)
    assert base64.b64decode(user_id, validate=True) == expected


@pytest.mark.parametrize(("body", "element"), [
    # the body of the old unit test: Time and ClientReqUrl are required by KmsRequestType
    (f'<KmsRequest xmlns="{kms_xml.NS}"><UserUri>{ALICE}</UserUri>'
     f"<KmsUri>{KMS_URI}</KmsUri></KmsRequest>", "KmsRequest"),
    # TrK-ID in the base namespace: not an element of KmsRequestType
    (f'<KmsRequest xmlns="{kms_xml.NS}"><UserUri>{ALICE}</UserUri><KmsUri>{KMS_URI}</KmsUri>'
     "<Time>2024-01-01T00:00:00Z</Time><ClientReqUrl>https://x/y</ClientReqUrl>"
     "<TrK-ID>t</TrK-ID></KmsRequest>", "TrK-ID"),
    (f'<KmsRequest xmlns="{kms_xml.NS}"><UserUri>{ALICE}</UserUri><KmsUri>{KMS_URI}</KmsUri>'
     "<Time>yesterday</Time><ClientReqUrl>https://x/y</ClientReqUrl></KmsRequest>", "Time"),
    # a SignedKmsRequest must carry its ds:Signature
    (f'<SignedKmsRequest xmlns="{kms_xml.NS}"><KmsRequest><UserUri>{ALICE}</UserUri>'
     f"<KmsUri>{KMS_URI}</KmsUri><Time>2024-01-01T00:00:00Z</Time>"
     "<ClientReqUrl>https://x/y</ClientReqUrl></KmsRequest></SignedKmsRequest>",
     "SignedKmsRequest"),
])
def test_a_request_that_breaks_the_schema_is_400_naming_line_and_element(
        live: Live, body: str, element: str) -> None:
    """REQ-SKMS-35: a request is validated against the D.3.5 schema before it is used."""
    before = live.role.store.count("key_sets")
    status, answer = _post(live, resource_path("keyprov"), body.encode())
    assert status == 400, answer
    text = answer.decode()
    assert "line 1" in text and f"'{element}'" in text and "D.3.5" in text
    assert live.role.store.count("key_sets") == before


def test_a_kms_response_document_as_request_body_is_400(live: Live) -> None:
    _, response = _post(live, resource_path("init"))
    status, answer = _post(live, resource_path("init"), response)
    assert status == 400 and b"not a KmsRequest" in answer


def test_a_signed_request_with_a_junk_signature_is_refused(live: Live) -> None:
    path = resource_path("keyprov")
    good = _request(live, path, signed=True)
    junk = base64.b64encode(b"\x00" * 32)
    start = good.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    end = good.index(b"</ds:SignatureValue>")
    forged = good[:start] + junk + good[end:]
    assert kms_xml.schema().validate(etree.fromstring(forged))  # valid XML, wrong HMAC
    status, answer = _post(live, path, forged)
    assert status == 403, answer
    assert b"request-signed-by-user" in answer and b"REQ-SKMS-25" in answer


def test_a_signed_request_over_an_altered_body_is_refused(live: Live) -> None:
    path = resource_path("keyprov")
    good = _request(live, path, signed=True)
    root = etree.fromstring(good)
    request = root[0]
    device = etree.Element(f"{{{kms_xml.NS}}}ClientId")
    device.text = "mallory"
    request.insert(3, device)
    status, answer = _post(live, path, etree.tostring(root))
    assert status == 403 and b"digest mismatch" in answer


def test_a_good_signed_request_and_a_plain_request_are_answered(live: Live) -> None:
    path = resource_path("keyprov")
    for signed in (True, False):
        status, answer = _post(live, path, _request(live, path, signed=signed))
        assert status == 200, answer


def test_request_for_another_url_or_stale_time_is_refused(live: Live) -> None:
    path = resource_path("init")
    status, answer = _post(live, path, _request(live, path, signed=True,
                                                url="https://elsewhere/x"))
    assert status == 403 and b"body-url-is-request-url" in answer
    stale = messages.build_request(ALICE, KMS_URI, time.time() - 3600,
                                   live.server.base_url + path, live.alice, signed=True)
    status, answer = _post(live, path, stale)
    assert status == 403 and b"body-time-recent" in answer


def test_cert_request_returns_the_root_certificate_or_404(live: Live) -> None:
    """REQ-SKMS-04: a cert request for a KMS whose certificate the KMS does not hold is 404."""
    client = ProvisioningClient(ALICE, KMS_URI, live.alice, live.server.base_url)
    http = live.client()
    try:
        request = client.request("cert", token=http.token, now=int(time.time()),
                                 options={"kms_uri": KMS_URI})
        status, body = http.post(request.path, request.body)
    finally:
        http.close()
    assert status == 200, body
    emitted = client.response("cert", body, now=int(time.time()))
    assert emitted["certificates"] == (live.role.certificate,)
    status, body = _post(live, resource_path("cert", kms_uri="kms.other.org"))
    assert status == 404 and b"certificate-known" in body


def test_wrong_method_is_405_with_allow(live: Live) -> None:
    client = live.client()
    try:
        client._conn.request("GET", resource_path("init"),
                             headers={"Authorization": "Bearer " + client.token})
        response = client._conn.getresponse()
        assert response.status == 405 and response.getheader("Allow") == "POST"
        response.read()
    finally:
        client.close()


def test_the_model_client_provisions_over_https_and_refuses_a_tampered_answer(
        live: Live) -> None:
    a = live.role.algorithms
    checks = messages.KeyChecks(live.role.certificate, a.uid, a.validate_ssk, a.validate_rsk)
    client = ProvisioningClient(ALICE, KMS_URI, live.alice, live.server.base_url, checks)
    http = live.client()
    try:
        request = client.request("keyprov", token=http.token, now=int(time.time()),
                                 body=skm_s.BODY_SIGNED)
        status, answer = http.post(request.path, request.body)
        assert status == 200, answer
        emitted = client.response("keyprov", answer, now=int(time.time()))
        current = live.role.current_periods()
        assert [k.period_no for k in emitted["key_sets"]] == list(current)
        client.request("keyprov", token=http.token, now=int(time.time()))
        tampered = answer.replace(b"<KeyPeriodNo>", b"<KeyPeriodNo>1", 1)
        with pytest.raises(StepRefused) as refused:
            client.response("keyprov", tampered, now=int(time.time()))
        assert (refused.value.guard, refused.value.requirement) == ("signed-with-ink",
                                                                    "REQ-SKMS-33")
    finally:
        http.close()


@pytest.mark.parametrize("dtd", ["internal", "external", "parameter"])
def test_a_request_with_a_dtd_is_400_and_no_entity_is_expanded(
        live: Live, tmp_path_factory: pytest.TempPathFactory, dtd: str) -> None:
    """REQ-SKMS-35: KMS XML is parsed without DTDs, entity expansion or network access: a
    KmsRequest, otherwise good, that declares an entity (internal, an external file, or a
    parameter entity) and uses it in UserUri is refused 400 before any check, nothing of the
    entity's text is echoed, and no key set is stored."""
    secret = tmp_path_factory.mktemp("xxe") / "secret.txt"
    secret.write_text("sip:xxe-marker@example.org")
    declarations = {
        "internal": '<!ENTITY u "sip:xxe-marker@example.org">',
        "external": f'<!ENTITY u SYSTEM "{secret.as_uri()}">',
        "parameter": f'<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;<!ENTITY u "x">',
    }
    path = resource_path("keyprov")
    declaration, _, document = _request(live, path, signed=False).partition(b"?>\n")
    assert declaration.startswith(b"<?xml") and ALICE.encode() in document
    body = (declaration + b"?>\n<!DOCTYPE KmsRequest [" + declarations[dtd].encode() + b"]>\n"
            + document.replace(ALICE.encode(), b"&u;", 1))
    etree.fromstring(body, etree.XMLParser(resolve_entities=False))  # well-formed XML
    before = live.role.store.count("key_sets")
    status, answer = _post(live, path, body)
    assert status == 400 and b"DTD is not allowed" in answer, answer
    assert b"xxe-marker" not in answer and b"Traceback" not in answer
    assert live.role.store.count("key_sets") == before
