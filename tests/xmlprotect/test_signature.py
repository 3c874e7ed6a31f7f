"""TS 33.180 9.3.5 XML HMAC signatures over MIME bodies: round trips and every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from mckm.impl.crypto.mckeys import xpk_integrity_key
from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.xmlprotect import names
from mckm.impl.xmlprotect.keys import Keyring, Xpk
from mckm.impl.xmlprotect.signature import (
    cid_url,
    content_id_of,
    sign_bodies,
    verify_bodies,
)
from tests.xmlprotect.common import CSK, CSK_ID, MC_ID, SIGNALLING, SPK_ID, ring

BODIES = {"signalling@ue.example.org": SIGNALLING,
          "resource-lists@ue.example.org": b'<resource-lists xmlns="urn:ietf:params:xml:ns:'
                                           b'resource-lists"/>'}


def _signed(xpk_id: int = CSK_ID) -> bytes:
    return sign_bodies(BODIES, xpk_id=xpk_id, keys=ring())


def _tree(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def test_each_body_gets_its_own_verifying_signature() -> None:
    """REQ-IKMM-06: one ds:Signature per XML body, its Reference the body's cid: URL."""
    signed = _signed()
    root = _tree(signed)
    signatures = root.findall(names.ds("Signature"))
    assert len(signatures) == 2
    uris = [s.find(f"{names.ds('SignedInfo')}/{names.ds('Reference')}").get("URI")
            for s in signatures]
    assert uris == ["cid:signalling@ue.example.org", "cid:resource-lists@ue.example.org"]
    assert verify_bodies(signed, BODIES, keys=ring()) == (CSK_ID, CSK_ID)


def test_the_signature_value_is_hmac_sha256_of_the_exclusive_c14n_signed_info() -> None:
    """A second computation: the digest and the MAC from hashlib/hmac and lxml's C14N.
    REQ-IKMM-06: SHA-256 digest of the body's octets, HMAC-SHA256 of the exclusive C14N
    SignedInfo; REQ-IKMM-03: under the F.1.4 integrity key."""
    signature = _tree(_signed())[0]
    signed_info = signature[0]
    digest = signed_info.find(f"{names.ds('Reference')}/{names.ds('DigestValue')}").text
    assert base64.b64decode(digest or "") == hashlib.sha256(SIGNALLING).digest()
    key = xpk_integrity_key(CSK, MC_ID, CSK_ID)
    copy = etree.fromstring(etree.tostring(signed_info))
    mac = hmac.new(key, etree.tostring(copy, method="c14n", exclusive=True), "sha256").digest()
    assert base64.b64decode(signature[1].text or "") == mac
    assert signature[2][0].text == "Kls8TQ=="


def test_a_single_signature_as_the_whole_body_is_accepted() -> None:
    one = {"a@x": SIGNALLING}
    signature = _tree(sign_bodies(one, xpk_id=SPK_ID, keys=ring()))[0]
    assert verify_bodies(etree.tostring(signature), one, keys=ring()) == (SPK_ID,)


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_altered_bit_of_a_body_is_refused(position: int, bit: int) -> None:
    signed = _signed()
    body = bytearray(SIGNALLING)
    body[position % len(body)] ^= 1 << bit
    with pytest.raises(VerifyError, match=re.escape("digest of 'cid:signalling@ue.example.org'")):
        verify_bodies(signed, {**BODIES, "signalling@ue.example.org": bytes(body)}, keys=ring())


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_altered_bit_of_a_signature_value_is_refused(position: int, bit: int) -> None:
    root = _tree(_signed())
    value = root[1][1]
    mac = bytearray(base64.b64decode(value.text or ""))
    mac[position % 32] ^= 1 << bit
    value.text = base64.b64encode(bytes(mac)).decode()
    with pytest.raises(VerifyError, match=r"Signature #2 \(line \d+\): SignatureValue does not"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_an_altered_digest_value_is_refused_by_the_mac() -> None:
    root = _tree(_signed())
    digest = root[0][0][2][1]
    digest.text = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(VerifyError, match="SignatureValue does not verify"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_a_body_without_signature_is_refused() -> None:
    signed = sign_bodies({"signalling@ue.example.org": SIGNALLING}, xpk_id=CSK_ID, keys=ring())
    expected = re.escape("<resource-lists@ue.example.org> carries no signature")
    with pytest.raises(PolicyError, match=expected) as err:
        verify_bodies(signed, BODIES, keys=ring())
    assert err.value.requirement == "REQ-IKMM-07"


def test_a_signature_for_a_body_not_in_the_message_is_refused() -> None:
    with pytest.raises(PolicyError, match="names no body of the message"):
        verify_bodies(_signed(), {"signalling@ue.example.org": SIGNALLING}, keys=ring())


def test_a_body_signed_twice_is_refused() -> None:
    root = _tree(_signed())
    root.append(etree.fromstring(etree.tostring(root[0])))
    with pytest.raises(PolicyError, match="signed twice"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_another_key_is_refused() -> None:
    other = Keyring({CSK_ID: Xpk(Secret(bytes(16)), MC_ID)})
    with pytest.raises(VerifyError, match="does not verify under XPK-ID 0x2a5b3c4d"):
        verify_bodies(_signed(), BODIES, keys=other)
    with pytest.raises(PolicyError, match="unknown XPK-ID"):
        verify_bodies(_signed(), BODIES, keys=Keyring({SPK_ID: Xpk(Secret(CSK), MC_ID)}))


def _first_signed_info() -> tuple[etree._Element, etree._Element]:
    root = _tree(_signed())
    return root, root[0][0]


@pytest.mark.parametrize(("child", "algorithm", "message"), [
    (1, "http://www.w3.org/2000/09/xmldsig#hmac-sha1", "SignatureMethod"),
    (1, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "SignatureMethod"),
    (0, "http://www.w3.org/2006/12/xml-c14n11", "CanonicalizationMethod"),
    (0, "http://www.w3.org/2001/10/xml-exc-c14n#WithComments", "CanonicalizationMethod"),
])
def test_other_algorithms_are_refused(child: int, algorithm: str, message: str) -> None:
    root, signed_info = _first_signed_info()
    signed_info[child].set("Algorithm", algorithm)
    with pytest.raises(PolicyError, match=message) as err:
        verify_bodies(etree.tostring(root), BODIES, keys=ring())
    assert err.value.requirement == "REQ-IKMM-07"


def test_another_digest_is_refused() -> None:
    root, signed_info = _first_signed_info()
    signed_info[2][0].set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
    with pytest.raises(PolicyError, match="DigestMethod"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_a_truncated_hmac_is_refused() -> None:
    root, signed_info = _first_signed_info()
    etree.SubElement(signed_info[1], names.ds("HMACOutputLength")).text = "128"
    with pytest.raises(PolicyError, match="HMACOutputLength"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_transforms_are_refused() -> None:
    root, signed_info = _first_signed_info()
    transforms = etree.Element(names.ds("Transforms"))
    etree.SubElement(transforms, names.ds("Transform"),
                     Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116")
    signed_info[2].insert(0, transforms)
    with pytest.raises(PolicyError, match="Transforms are refused"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


def test_two_references_in_one_signature_are_refused() -> None:
    root, signed_info = _first_signed_info()
    signed_info.append(etree.fromstring(etree.tostring(signed_info[2])))
    with pytest.raises(PolicyError, match="2 References"):
        verify_bodies(etree.tostring(root), BODIES, keys=ring())


@pytest.mark.parametrize("document", [
    b"<other/>",
    b'<signatures xmlns="urn:mckm:xmlprotect:signatures"><x/></signatures>',
    b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue/></Signature>',
    b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
])
def test_a_malformed_signature_body_is_refused(document: bytes) -> None:
    with pytest.raises(DecodeError):
        verify_bodies(document, BODIES, keys=ring())


def test_malformed_base64_in_a_signature_is_refused() -> None:
    root = _tree(_signed())
    root[0][1].text = "!!"
    with pytest.raises(DecodeError, match="not base64") as err:
        verify_bodies(etree.tostring(root), BODIES, keys=ring())
    assert err.value.field == "SignatureValue"


def test_key_info_left_to_other_means() -> None:
    root = _tree(_signed())
    for signature in root:
        signature.remove(signature[2])
    document = etree.tostring(root)
    with pytest.raises(PolicyError, match="no ds:KeyInfo"):
        verify_bodies(document, BODIES, keys=ring())
    assert verify_bodies(document, BODIES, keys=ring(), default_xpk_id=CSK_ID) == (CSK_ID,) * 2


@given(st.text(alphabet=st.characters(codec="ascii", blacklist_categories=("Cc",)),
               min_size=1).filter(lambda s: "<" not in s and ">" not in s))
def test_cid_urls_round_trip(content_id: str) -> None:
    assert content_id_of(cid_url(content_id)) == content_id


def test_cid_url_refuses_angle_brackets() -> None:
    with pytest.raises(UsageError):
        cid_url("<a@b>")
    assert content_id_of("http://a") is None
