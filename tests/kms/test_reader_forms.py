"""The model's client (``ProvisioningClient``: the codec ``decode_response`` then the client step's
guards) takes every form the D.3.5 schema allows (TS 33.180 Table D.3.3.2-1, D.3.2.2): optional
certificate and key-set fields absent, a wrapped PVT, UserID in hex as well as base64, dateTimes
without a zone; and still refuses what its guards refuse (``key-sets-valid``, REQ-SKMS-34)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lxml import etree

from mckm.impl.engine import StepRefused
from mckm.impl.errors import DecodeError
from mckm.impl.roles.kms import messages
from mckm.impl.roles.kms.algorithms import standard
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.model import KmsConfig, TransportKeys
from mckm.impl.roles.kms.role import KmsRole
from mckm.impl.roles.kms.service import decode_response, resource_path
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.models.grammar import kms_xml
from mckm.models.grammar.kms_xml import DS, NS, XSI
from mckm.models.procedures import skm_s

NOW = 1_700_000_000.0
ALICE = "sip:alice@example.org"
BASE_URL = "https://kms"


@pytest.fixture(scope="module")
def kms() -> Iterator[tuple[KmsRole, TransportKeys]]:
    store = SqliteKmsStore(":memory:")
    role = KmsRole.open(store, KmsConfig("kms.example.org"), standard(), clock=lambda: NOW)
    yield role, role.enrol(ALICE)
    store.close()


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _edited(kms: tuple[KmsRole, TransportKeys], edit: Callable[[Any], None],
            kind: str = "keyprov") -> bytes:
    """A response built by the KMS, edited, re-signed with the InK, schema-checked."""
    role, transport = kms
    header = messages.ResponseHeader(ALICE, role.certificate.kms_uri, NOW,
                                     BASE_URL + resource_path(kind))
    if kind == "keyprov":
        xml = messages.build_response(header, transport, key_sets=(
            role.certificate, role.key_sets(ALICE, role.current_periods())))
    else:
        xml = messages.build_response(header, transport, init=role.certificate)
    root = etree.fromstring(xml)
    root.remove(root.find(f"{{{DS}}}Signature"))
    response = root.find(_q("KmsResponse"))
    edit(response)
    messages.sign(root, response, messages.RESPONSE_ID, transport.ink.reveal(), transport.ink_id)
    kms_xml.validate(root)
    return bytes(etree.tostring(root))


def _read(kms: tuple[KmsRole, TransportKeys], xml: bytes,
          kind: str = "keyprov") -> dict[str, Any]:
    """What the model's client hands out for ``xml`` as the answer to its ``kind`` request
    (the codec reads it first: every form here is schema-valid)."""
    role, transport = kms
    decode_response(skm_s.RESOURCES[kind][1], xml)
    a = role.algorithms
    checks = messages.KeyChecks(role.certificate, a.uid, a.validate_ssk, a.validate_rsk)
    client = ProvisioningClient(ALICE, "kms.example.org", transport, BASE_URL, checks)
    client.request(kind, token="", now=int(NOW))
    return client.response(kind, xml, now=int(NOW))


def _refused(kms: tuple[KmsRole, TransportKeys], xml: bytes) -> StepRefused:
    with pytest.raises(StepRefused) as refused:
        _read(kms, xml)
    return refused.value


def _drop(parent: Any, *names: str) -> None:
    for name in names:
        for element in parent.iter(_q(name)):
            element.getparent().remove(element)


def test_key_sets_without_optional_fields(kms: tuple[KmsRole, TransportKeys]) -> None:
    xml = _edited(kms, lambda r: _drop(r.find(f".//{_q('KmsKeyProv')}"), "CertUri", "Issuer",
                                       "ValidFrom", "ValidTo", "Revoked"))
    role = kms[0]
    for key_set in _read(kms, xml)["key_sets"]:
        stored = role.store.key_sets(ALICE, [key_set.period_no])[key_set.period_no]
        assert (key_set.valid_from, key_set.valid_to) == (stored.valid_from, stored.valid_to)
        assert key_set.ssk == stored.ssk


def test_certificate_without_optional_fields(kms: tuple[KmsRole, TransportKeys]) -> None:
    def edit(response: Any) -> None:
        certificate = response.find(f".//{_q('KmsCertificate')}")
        _drop(certificate, "CertUri", "Issuer", "ValidFrom", "ValidTo", "Revoked",
              "ParameterSet")
        del certificate.attrib["Role"]
    (certificate,) = _read(kms, _edited(kms, edit, "init"), "init")["certificates"]
    assert (certificate.cert_uri, certificate.issuer, certificate.valid_from,
            certificate.parameter_set, certificate.revoked, certificate.role) == (
        None, None, None, None, False, None)
    assert certificate.pub_auth_key == kms[0].keys.kpak


def test_hex_user_id_and_zoneless_times(kms: tuple[KmsRole, TransportKeys]) -> None:
    def edit(response: Any) -> None:
        for user_id in response.iter(_q("UserID")):
            user_id.text = base64.b64decode(user_id.text).hex().upper()
        for name in ("ValidFrom", "ValidTo"):
            for element in response.iter(_q(name)):
                element.text = element.text.rstrip("Z")
    assert len(_read(kms, _edited(kms, edit))["key_sets"]) == 2


def test_a_wrapped_pvt_is_read(kms: tuple[KmsRole, TransportKeys]) -> None:
    transport = kms[1]

    def edit(response: Any) -> None:
        for pvt in response.iter(_q("UserPubTokenPVT")):
            octets = bytes.fromhex(pvt.text)
            pvt.text = None
            pvt.set(f"{{{XSI}}}type", "EncKeyContentType")
            algorithm, wrapped = messages.wrap_key(octets, transport)
            encrypted = etree.SubElement(pvt, f"{{{kms_xml.XENC}}}EncryptedKey")
            etree.SubElement(encrypted, f"{{{kms_xml.XENC}}}EncryptionMethod",
                             Algorithm=algorithm)
            data = etree.SubElement(encrypted, f"{{{kms_xml.XENC}}}CipherData")
            etree.SubElement(data, f"{{{kms_xml.XENC}}}CipherValue").text = (
                base64.b64encode(wrapped).decode())
    read = _read(kms, _edited(kms, edit))["key_sets"]
    role = kms[0]
    assert [k.pvt for k in read] == [
        role.store.key_sets(ALICE, [k.period_no])[k.period_no].pvt for k in read]


def test_a_secret_key_in_clear_is_refused(kms: tuple[KmsRole, TransportKeys]) -> None:
    transport = kms[1]

    def edit(response: Any) -> None:
        ssk = next(response.iter(_q("UserSigningKeySSK")))
        encrypted = ssk[0]
        method = encrypted.find(f"{{{kms_xml.XENC}}}EncryptionMethod").get("Algorithm")
        wrapped = base64.b64decode(encrypted.findtext(f".//{{{kms_xml.XENC}}}CipherValue"))
        assert method == messages.KW_AES256
        from mckm.impl.crypto import keywrap
        ssk.remove(encrypted)
        ssk.set(f"{{{XSI}}}type", "KeyContentType")
        ssk.text = keywrap.unwrap(transport.trk.reveal(), wrapped).hex()
    refused = _refused(kms, _edited(kms, edit))
    assert (refused.guard, refused.requirement) == ("key-sets-valid", "REQ-SKMS-34")
    assert "not protected by the TrK" in str(refused)


def test_a_revoked_key_set_is_refused(kms: tuple[KmsRole, TransportKeys]) -> None:
    def edit(response: Any) -> None:
        next(response.iter(_q("Revoked"))).text = "true"
    refused = _refused(kms, _edited(kms, edit))
    assert (refused.guard, refused.requirement) == ("key-sets-valid", "REQ-SKMS-34")
    assert "revoked" in str(refused)


def test_a_response_that_breaks_the_schema_is_refused_before_its_signature(
        kms: tuple[KmsRole, TransportKeys]) -> None:
    """REQ-SKMS-35: the client validates a response against the D.3.5 schema before it uses it."""
    role, transport = kms
    header = messages.ResponseHeader(ALICE, role.certificate.kms_uri, NOW,
                                     BASE_URL + resource_path("init"))
    xml = messages.build_response(header, transport, init=role.certificate)
    broken = xml.replace(b"<KmsUri>", b"<Issuer>x</Issuer><KmsUri>", 1)
    with pytest.raises(DecodeError, match="line 2: Element 'Issuer': This element is not expected"):
        decode_response("INIT_RESPONSE", broken)
    client = ProvisioningClient(ALICE, "kms.example.org", transport, BASE_URL)
    client.request("init", token="", now=int(NOW))
    with pytest.raises(DecodeError, match="line 2: Element 'Issuer'"):
        client.response("init", broken, now=int(NOW))
