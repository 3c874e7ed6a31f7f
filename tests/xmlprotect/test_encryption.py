"""TS 33.180 9.3.4.2 XML content encryption: round trips and every refusal, with its error."""

from __future__ import annotations

import base64
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from mckm.impl.crypto.mckeys import xpk_confidentiality_key
from mckm.impl.errors import DecodeError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.xmlprotect import names
from mckm.impl.xmlprotect.encryption import protect, unprotect
from mckm.impl.xmlprotect.keys import Keyring, Xpk, key_name, parse_key_name
from mckm.impl.xmlprotect.parsing import MAX_DOCUMENT_OCTETS
from tests.xmlprotect.common import (
    CSK,
    CSK_ID,
    MC_ID,
    MCPTT_NS,
    SIGNALLING,
    SPK_ID,
    TARGETS,
    canonical,
    ring,
)

ONE = (f"{{{MCPTT_NS}}}mcptt-request-uri",)


def _protected(targets: tuple[str, ...] = ONE, xpk_id: int = CSK_ID) -> bytes:
    return protect(SIGNALLING, targets, xpk_id=xpk_id, keys=ring())


def _edit(document: bytes, local: str, ns: str = names.XENC, text: str | None = None,
          attr: tuple[str, str] | None = None) -> bytes:
    root = etree.fromstring(document)
    node = root.find(f".//{{{ns}}}{local}")
    assert node is not None
    if text is not None:
        node.text = text
    if attr is not None:
        node.set(*attr)
    return etree.tostring(root)


def test_round_trip_restores_every_protected_element() -> None:
    protected = _protected(TARGETS, SPK_ID)
    root = etree.fromstring(protected)
    assert len(root.findall(f".//{names.xenc('EncryptedData')}")) == len(TARGETS)
    for value in (b"mcptt-bob", b"mcptt-alice", b"kmf.iwf", b"bold"):
        assert value not in protected
    opened = unprotect(protected, keys=ring())
    assert opened.xpk_ids == (SPK_ID,) * len(TARGETS)
    assert canonical(opened.document) == canonical(SIGNALLING)


def test_the_encrypted_data_is_the_ts_profile() -> None:
    """REQ-IKMM-02: EncryptedData of Type Content, aes128-gcm, CipherValue IV || ciphertext ||
    tag, no AAD; REQ-IKMM-03: under the F.1.4 confidentiality key of the XPK."""
    root = etree.fromstring(_protected())
    data = root.find(f".//{names.xenc('EncryptedData')}")
    assert data is not None and data.getparent().tag == ONE[0]
    assert data.get("Type") == names.TYPE_CONTENT
    assert [c.tag for c in data] == [names.xenc("EncryptionMethod"), names.ds("KeyInfo"),
                                     names.xenc("CipherData")]
    assert data[0].get("Algorithm") == "http://www.w3.org/2009/xmlenc11#aes128-gcm"
    assert data[1][0].tag == names.ds("KeyName") and data[1][0].text == "Kls8TQ=="
    # XMLENC11 5.2.4: IV (12) || ciphertext || tag (16), under the F.1.4 FC 0x51 key
    sealed = base64.b64decode(data[2][0].text or "")
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = xpk_confidentiality_key(CSK, MC_ID, CSK_ID)
    assert AESGCM(key).decrypt(sealed[:12], sealed[12:], None) == b"sip:mcptt-bob@example.org"
    assert len(sealed) == 12 + len(b"sip:mcptt-bob@example.org") + 16


def test_each_element_gets_a_fresh_iv() -> None:
    """REQ-IKMM-02: a fresh 96-bit IV for each element."""
    first, second = _protected(TARGETS), _protected(TARGETS)
    values = [v.text for d in (first, second)
              for v in etree.fromstring(d).iter(names.xenc("CipherValue"))]
    ivs = {base64.b64decode(v or "")[:12] for v in values}
    assert len(ivs) == len(values)


def test_a_repeated_iv_is_refused() -> None:
    with pytest.raises(UsageError, match="IV was given twice"):
        protect(SIGNALLING, TARGETS, xpk_id=CSK_ID, keys=ring(),
                iv_source=itertools.repeat(bytes(12)).__next__)


def test_key_info_can_be_left_to_other_means() -> None:
    protected = protect(SIGNALLING, ONE, xpk_id=CSK_ID, keys=ring(), key_info=False)
    assert b"KeyInfo" not in protected
    with pytest.raises(PolicyError, match="no ds:KeyInfo") as err:
        unprotect(protected, keys=ring())
    assert err.value.requirement == "REQ-IKMM-04"
    assert canonical(unprotect(protected, keys=ring(), default_xpk_id=CSK_ID).document) == (
        canonical(SIGNALLING))


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_altered_bit_of_the_cipher_value_is_refused(position: int, bit: int) -> None:
    protected = _protected()
    value = etree.fromstring(protected).find(f".//{names.xenc('CipherValue')}")
    assert value is not None
    sealed = bytearray(base64.b64decode(value.text or ""))
    sealed[position % len(sealed)] ^= 1 << bit
    altered = _edit(protected, "CipherValue", text=base64.b64encode(bytes(sealed)).decode())
    with pytest.raises(VerifyError, match=r"EncryptedData #1 \(line \d+\): the AES-GCM tag"):
        unprotect(altered, keys=ring())


@given(cut=st.integers(min_value=1, max_value=27))
def test_a_cut_cipher_value_is_refused(cut: int) -> None:
    protected = _protected()
    value = etree.fromstring(protected).find(f".//{names.xenc('CipherValue')}")
    assert value is not None
    sealed = base64.b64decode(value.text or "")
    short = base64.b64encode(sealed[:28 - cut]).decode()
    with pytest.raises(DecodeError, match="shorter than a 12-octet IV and a 16-octet tag") as err:
        unprotect(_edit(protected, "CipherValue", text=short), keys=ring())
    assert err.value.field == "CipherValue"


@pytest.mark.parametrize("text", ["not base64!", "QUJD=", "QU JD\u00e9", "QUI=QUJD", "QR=="])
def test_malformed_base64_is_refused(text: str) -> None:
    with pytest.raises(DecodeError, match=r"is not (canonical )?base64") as err:
        unprotect(_edit(_protected(), "CipherValue", text=text), keys=ring())
    assert err.value.field == "CipherValue"
    assert "EncryptedData #1" in str(err.value)


def test_base64_wrapped_over_lines_is_accepted() -> None:
    protected = _protected()
    value = etree.fromstring(protected).find(f".//{names.xenc('CipherValue')}")
    assert value is not None and value.text
    wrapped = "\n".join(value.text[i:i + 8] for i in range(0, len(value.text), 8))
    assert canonical(unprotect(_edit(protected, "CipherValue", text=wrapped),
                               keys=ring()).document) == canonical(SIGNALLING)


def test_unknown_key_id_is_refused() -> None:
    other = 0x2FFFFFFF
    altered = _edit(_protected(), "KeyName", ns=names.DS, text=key_name(other))
    with pytest.raises(PolicyError, match="unknown XPK-ID 0x2fffffff \\(CSK\\)") as err:
        unprotect(altered, keys=ring())
    assert err.value.requirement == "REQ-IKMM-04"


@pytest.mark.parametrize("name", ["AAAA", "AAAAAAAA", "a!b=", ""])
def test_a_key_name_that_is_not_four_base64_octets_is_refused(name: str) -> None:
    with pytest.raises(DecodeError) as err:
        unprotect(_edit(_protected(), "KeyName", ns=names.DS, text=name), keys=ring())
    assert err.value.field == "KeyName"


@pytest.mark.parametrize("algorithm", [
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm "])
def test_another_algorithm_is_refused(algorithm: str) -> None:
    """REQ-IKMM-02: another EncryptionMethod is refused."""
    altered = _edit(_protected(), "EncryptionMethod", attr=("Algorithm", algorithm))
    expected = re.escape("is not http://www.w3.org/2009/xmlenc11#aes128-gcm")
    with pytest.raises(PolicyError, match=expected) as err:
        unprotect(altered, keys=ring())
    assert err.value.requirement == "REQ-IKMM-05"


def test_another_type_is_refused() -> None:
    """REQ-IKMM-02: another EncryptedData Type is refused."""
    altered = _edit(_protected(), "EncryptedData",
                    attr=("Type", "http://www.w3.org/2001/04/xmlenc#EncryptedKey"))
    with pytest.raises(PolicyError, match="neither #Content nor #Element"):
        unprotect(altered, keys=ring())


def test_a_cipher_reference_is_refused() -> None:
    root = etree.fromstring(_protected())
    data = root.find(f".//{names.xenc('CipherData')}")
    assert data is not None
    data.remove(data[0])
    etree.SubElement(data, names.xenc("CipherReference"), URI="http://example.org/c")
    with pytest.raises(PolicyError, match="CipherReference is not accepted"):
        unprotect(etree.tostring(root), keys=ring())


def test_key_info_other_than_one_key_name_is_refused() -> None:
    root = etree.fromstring(_protected())
    info = root.find(f".//{names.ds('KeyInfo')}")
    assert info is not None
    etree.SubElement(info, names.ds("RetrievalMethod"), URI="http://example.org/k")
    with pytest.raises(PolicyError, match="found KeyName, RetrievalMethod"):
        unprotect(etree.tostring(root), keys=ring())


def test_elements_out_of_order_are_refused() -> None:
    root = etree.fromstring(_protected())
    data = root.find(f".//{names.xenc('EncryptedData')}")
    assert data is not None
    data.append(data[0])  # EncryptionMethod moved after CipherData
    with pytest.raises(DecodeError, match="unexpected element") as err:
        unprotect(etree.tostring(root), keys=ring())
    assert err.value.field == "EncryptionMethod"


def test_an_element_type_must_decrypt_to_one_element() -> None:
    protected = _protected()
    altered = _edit(protected, "EncryptedData", attr=("Type", names.TYPE_ELEMENT))
    with pytest.raises(DecodeError, match="exactly one element"):
        unprotect(altered, keys=ring())


DTDS = [
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    b'<!DOCTYPE a SYSTEM "http://example.org/a.dtd"><a/>',
    b'<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><a>&b;</a>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
]


@pytest.mark.parametrize("document", DTDS)
def test_a_document_with_a_dtd_is_refused_both_ways(document: bytes) -> None:
    with pytest.raises(DecodeError, match="DTD is not allowed") as err:
        unprotect(document, keys=ring())
    assert err.value.field == "DOCTYPE"
    with pytest.raises(DecodeError, match="DTD is not allowed"):
        protect(document, ["a"], xpk_id=CSK_ID, keys=ring())


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(DecodeError, match="line 2, column"):
        unprotect(b"<a>\n<b></a>", keys=ring())


def test_an_oversized_document_is_refused_before_parsing() -> None:
    big = b"<a>" + b"x" * MAX_DOCUMENT_OCTETS + b"</a>"
    with pytest.raises(DecodeError, match="over the limit"):
        unprotect(big, keys=ring())


def test_a_decrypted_entity_reference_is_refused() -> None:
    """Plaintext that names an entity (no DTD can define it) does not become XML."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = xpk_confidentiality_key(CSK, MC_ID, CSK_ID)
    iv = bytes(range(12))
    sealed = iv + AESGCM(key).encrypt(iv, b"&xxe;", None)
    altered = _edit(_protected(), "CipherValue", text=base64.b64encode(sealed).decode())
    with pytest.raises(DecodeError, match="decrypted content is not well-formed"):
        unprotect(altered, keys=ring())


def test_protect_refuses_what_it_cannot_do() -> None:
    with pytest.raises(UsageError, match="no element named"):
        protect(SIGNALLING, ["{urn:x}absent"], xpk_id=CSK_ID, keys=ring())
    with pytest.raises(UsageError, match="no element names"):
        protect(SIGNALLING, [], xpk_id=CSK_ID, keys=ring())
    with pytest.raises(PolicyError, match="unknown XPK-ID"):
        protect(SIGNALLING, ONE, xpk_id=0x20000009, keys=ring())


def test_the_keyring_holds_only_signalling_keys_and_never_shows_them() -> None:
    """REQ-IKMM-03: a key id whose purpose tag is neither CSK nor SPK is refused; the XPK is 128
    bits."""
    with pytest.raises(UsageError, match="purpose tag of GMK, not CSK or SPK"):
        Keyring({0x0ABCDEF0: Xpk(Secret(CSK), MC_ID)})
    with pytest.raises(UsageError, match="16 octets"):
        Xpk(Secret(CSK + CSK), MC_ID)
    keys = ring()
    shown = repr(keys) + repr(keys[CSK_ID]) + repr(keys.keys_for(CSK_ID, "x"))
    for secret in (CSK, xpk_confidentiality_key(CSK, MC_ID, CSK_ID)):
        assert secret.hex() not in shown and repr(secret) not in shown
    assert "0x2a5b3c4d" in repr(keys)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_key_name_round_trips(xpk_id: int) -> None:
    assert parse_key_name(key_name(xpk_id), "x") == xpk_id
    assert len(base64.b64decode(key_name(xpk_id))) == 4


@given(st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")),
                                   st.sampled_from("\r\n\t")), max_size=40))
def test_any_text_content_round_trips(text: str) -> None:
    """Every character XML 1.0 allows, a carriage return too (sent as ``&#13;``)."""
    root = etree.fromstring(SIGNALLING)
    target = root.find(f".//{ONE[0]}")
    assert target is not None
    target.text = text
    document = etree.tostring(root, encoding="UTF-8")
    opened = unprotect(protect(document, ONE, xpk_id=CSK_ID, keys=ring()), keys=ring())
    assert canonical(opened.document) == canonical(document)
    found = etree.fromstring(opened.document).find(f".//{ONE[0]}")
    assert found is not None and (found.text or "") == text
