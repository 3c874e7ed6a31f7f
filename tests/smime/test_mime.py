"""The MIME and SIP carriage of the CMS object (impl/smime/mime.py; RFC 8551 3.1, 3.2.2, 3.4;
RFC 3261 23.4.3), and the ``cms-kek`` vectors (impl/vectors/kinds_cms.py)."""

from __future__ import annotations

import base64
import json

import pytest

from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.smime import cms, mime
from mckm.impl.transport.sdp_mikey import parse_sip
from mckm.impl.vectors import runner
from mckm.impl.vectors.kinds import KINDS
from tests.smime.helpers import BODY, CEK, KEY_ID, XML

KEYS = {KEY_ID: CEK}


def test_body_part_is_base64_in_short_lines_and_reads_back() -> None:
    """REQ-CEK-08: as a MIME body part, application/pkcs7-mime; smime-type=authEnveloped-data;
    name=smime.p7m, base64 in lines of at most 76 characters."""
    der = mime.seal(BODY, XML, KEY_ID, CEK)
    part = mime.body_part(der)
    head, _, text = part.partition(b"\r\n\r\n")
    assert b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; " \
        b"name=smime.p7m" in head
    assert b"Content-Transfer-Encoding: base64" in head
    lines = text.split(b"\r\n")
    assert all(len(line) <= mime.BASE64_LINE for line in lines)
    assert base64.b64decode(b"".join(lines)) == der
    assert mime.der_of_body_part(part) == der
    assert mime.open_sealed(mime.der_of_body_part(part), KEYS) == (XML, BODY, KEY_ID)


def test_sip_request_carries_the_der_and_reads_back() -> None:
    """REQ-CEK-08: as a SIP body, binary DER with its Content-Type and Content-Disposition;
    base64 transfer encoding accepted."""
    der = mime.seal(BODY, XML, KEY_ID, CEK)
    raw = mime.sip_request(der, from_uri="sip:alice@example.org",
                           to_uri="sip:mcptt-server@example.org")
    message = parse_sip(raw)
    assert message.start == "MESSAGE sip:mcptt-server@example.org SIP/2.0"
    assert message.header("Content-Type") == mime.CONTENT_TYPE
    assert message.header("Content-Disposition") == mime.DISPOSITION
    assert message.body == der
    assert mime.der_of_sip(raw) == der
    b64 = raw.replace(b"Content-Length:", b"Content-Transfer-Encoding: base64\r\nContent-Length:")
    b64 = b64[:b64.index(b"\r\n\r\n") + 4].replace(
        f"Content-Length: {len(der)}".encode(),
        f"Content-Length: {len(base64.b64encode(der))}".encode()) + base64.b64encode(der)
    assert mime.der_of_sip(b64) == der


@pytest.mark.parametrize(("old", "new", "field"), [
    (b"application/pkcs7-mime", b"application/pkcs7-signature", "Content-Type"),
    (b"smime-type=authEnveloped-data", b"smime-type=enveloped-data",
     "Content-Type.smime-type"),
    (b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
     "Content-Transfer-Encoding"),
    (b"\r\n\r\n", b"\r\n", "headers"),
])
def test_body_part_refusals_name_the_field(old: bytes, new: bytes, field: str) -> None:
    """REQ-CEK-08: another media type, smime-type or transfer encoding is refused."""
    part = mime.body_part(mime.seal(b"x", XML, KEY_ID, CEK)).replace(old, new, 1)
    with pytest.raises(DecodeError) as caught:
        mime.der_of_body_part(part)
    assert caught.value.field == field


def test_the_ts_33328_spelling_of_the_smime_type_is_read() -> None:
    """REQ-CEK-08: a body part TS 33.328 I.2.2 writes (smime-type=auth-enveloped-data) opens
    as ours does; what we write stays RFC 8551's authEnveloped-data."""
    der = mime.seal(b"x", XML, KEY_ID, CEK)
    part = mime.body_part(der)
    assert b"smime-type=authEnveloped-data;" in part
    theirs = part.replace(b"smime-type=authEnveloped-data", b"smime-type=auth-enveloped-data", 1)
    assert mime.der_of_body_part(theirs) == der


def test_bad_base64_is_refused() -> None:
    part = mime.body_part(mime.seal(b"x", XML, KEY_ID, CEK)) + b"*"
    with pytest.raises(DecodeError, match="base64"):
        mime.der_of_body_part(part)


def test_sip_body_of_another_type_is_refused() -> None:
    raw = mime.sip_request(b"\x30\x00", from_uri="sip:a@x", to_uri="sip:b@x")
    raw = raw.replace(mime.CONTENT_TYPE.encode(), b"application/sdp")
    with pytest.raises(DecodeError) as caught:
        mime.der_of_sip(raw)
    assert (caught.value.payload, caught.value.field) == ("SIP", "Content-Type")


def test_entity_and_its_refusals() -> None:
    """REQ-CEK-05: the content is the canonical MIME entity (Content-Type, empty line, body)."""
    assert mime.read_entity(mime.entity(XML, BODY)) == (XML, BODY)
    with pytest.raises(UsageError):
        mime.entity("no type\r\nX-Injected: 1", b"")
    with pytest.raises(DecodeError, match="Content-Type"):
        mime.read_entity(b"X-Other: 1\r\n\r\nbody")
    with pytest.raises(DecodeError) as caught:
        mime.open_sealed(cms.protect(b"no headers at all", KEY_ID, CEK), KEYS)
    assert caught.value.payload == "MIME entity"


def test_sealed_content_must_be_id_data() -> None:
    """REQ-CEK-05: a sealed SIP body's content type is id-data."""
    der = cms.protect(mime.entity(XML, b"x"), KEY_ID, CEK, content_type="1.2.840.113549.1.7.2")
    with pytest.raises(DecodeError, match="id-data"):
        mime.open_sealed(der, KEYS)


def test_cms_kek_vectors_pass_and_a_changed_octet_fails() -> None:
    document = json.loads(runner.builtin_files()[0].parent.joinpath("cms-kek.json").read_text())
    assert all(o.failure is None for o in runner.check_document(document, "cms-kek.json"))
    vector = dict(document["vectors"][0])
    assert KINDS["cms-kek"].field("cms") is not None
    cms_hex = bytearray.fromhex(vector["cms"])
    cms_hex[-1] ^= 1
    vector["cms"] = cms_hex.hex()
    failure = runner.run_vector(KINDS["cms-kek"], vector)
    assert failure is not None and "differs first at octet" in failure
    vector = dict(document["vectors"][0], nonce="00" * 12)
    assert runner.run_vector(KINDS["cms-kek"], vector) is not None
