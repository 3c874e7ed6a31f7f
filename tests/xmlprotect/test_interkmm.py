"""The InterKMM body (seed 000, TS 33.180 11.2.2 InterSD): build and parse, in clear and
protected under the hop's CSK or SPK, and every refusal of the grammar and of the protection."""

from __future__ import annotations

import itertools
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError, MckmError, PolicyError, UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.xmlprotect import interkmm
from mckm.impl.xmlprotect.encryption import encrypt_octets, protect
from mckm.impl.xmlprotect.interkmm import (
    MAX_KMM_OCTETS,
    InterKmm,
    Protection,
    build,
    parse,
)
from mckm.impl.xmlprotect.keys import Keyring, Xpk
from mckm.impl.xmlprotect.signature import sign_bodies
from tests.xmlprotect.common import CSK, CSK_ID, MC_ID, SPK_ID, ring

KMM = bytes(range(256)) + b"\r\n--not-a-boundary\n\r" + bytes(range(255, -1, -1))
MESSAGE = InterKmm("kmf.iwf.example.net", "sip:mcptt-alice@example.org", KMM,
                   "application/vnd.example.lmr-kmm")


def _protected(xpk_id: int = SPK_ID) -> tuple[str, bytes]:
    return build(MESSAGE, protection=Protection(ring(), xpk_id))


def test_clear_round_trip_keeps_every_octet() -> None:
    """REQ-IKMM-08: the parts of an InterKMM body."""
    content_type, body = build(MESSAGE)
    assert content_type.startswith('multipart/mixed; boundary="interkmm-')
    received = parse(content_type, body)
    assert received.message == MESSAGE and received.xpk_id is None


@pytest.mark.parametrize("xpk_id", [CSK_ID, SPK_ID], ids=["csk", "spk"])
def test_protected_round_trip_hides_the_parameters_and_the_kmm(xpk_id: int) -> None:
    content_type, body = _protected(xpk_id)
    for clear in (b"kmf.iwf.example.net", b"mcptt-alice", KMM[:32]):
        assert clear not in body
    assert b'MimeType="application/vnd.example.lmr-kmm"' in body  # XMLENC11 3.1: in clear
    assert body.count(b"Content-Type: ") == 3
    received = parse(content_type, body, keys=ring())
    assert received.message == MESSAGE and received.xpk_id == xpk_id


def test_the_kmm_never_shows_in_a_repr() -> None:
    assert "kmm=" not in repr(MESSAGE) and repr(KMM[:8])[2:-1] not in repr(MESSAGE)


def test_a_body_framed_by_the_stdlib_email_generator_is_read() -> None:
    """Another producer: email's generator, the KMM in base64 (its binary mode rewrites line
    ends, which is why mckm frames the body itself)."""
    pol = policy.default.clone(linesep="\r\n")
    top = EmailMessage(policy=pol)
    top.set_type("multipart/mixed")
    signalling = EmailMessage(policy=pol)
    signalling.set_content(
        b'<interkmm xmlns="urn:mckm:interkmm"><kmf-id>kmf.iwf.example.net</kmf-id>'
        b"<mcptt-id>sip:mcptt-alice@example.org</mcptt-id></interkmm>",
        maintype="application", subtype="vnd.mckm.interkmm+xml", cte="8bit")
    signalling["Content-ID"] = "<s1@example.net>"
    kmm = EmailMessage(policy=pol)
    kmm.set_content(KMM, maintype="application", subtype="vnd.example.lmr-kmm", cte="base64")
    kmm["Content-ID"] = "<k1@example.net>"
    for part in (signalling, kmm):
        del part["MIME-Version"]
        top.attach(part)
    out = BytesIO()
    BytesGenerator(out, policy=pol).flatten(top)
    head, _, body = out.getvalue().partition(b"\r\n\r\n")
    content_type = next(line for line in head.decode().split("\r\n")
                        if line.startswith("Content-Type:")).split(": ", 1)[1]
    assert parse(content_type, body).message == MESSAGE


def test_keys_require_protection_and_protection_requires_keys() -> None:
    content_type, body = build(MESSAGE)
    with pytest.raises(PolicyError, match="not protected") as err:
        parse(content_type, body, keys=ring())
    assert err.value.requirement == "REQ-IKMM-01"
    with pytest.raises(UsageError, match="keys are needed"):
        parse(*_protected())


@settings(max_examples=200)
@given(st.data())
def test_any_altered_bit_is_refused_or_changes_nothing(data: st.DataObject) -> None:
    content_type, body = _protected()
    position = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    altered = bytearray(body)
    altered[position] ^= 1 << bit
    try:
        received = parse(content_type, bytes(altered), keys=ring())
    except MckmError:
        return
    assert received.message == MESSAGE  # only framing the signatures do not cover changed


def test_an_altered_kmm_part_is_refused_by_its_signature() -> None:
    content_type, body = _protected()
    start = body.index(b"<CipherValue>", body.index(b"application/xenc+xml")) + 20
    altered = body[:start] + bytes([body[start] ^ 0x01]) + body[start + 1:]
    with pytest.raises(VerifyError, match="digest of 'cid:kmm-"):
        parse(content_type, altered, keys=ring())


def _assemble(parts: list[tuple[str, str | None, bytes]], extra: bytes = b"") -> tuple[str, bytes]:
    out = b""
    for media_type, content_id, data in parts:
        out += b"--b1\r\nContent-Type: " + media_type.encode() + b"\r\n"
        if content_id:
            out += b"Content-ID: <" + content_id.encode() + b">\r\n"
        out += extra + b"\r\n" + data + b"\r\n"
    return 'multipart/mixed; boundary="b1"', out + b"--b1--\r\n"


SIGNALLING = (b'<interkmm xmlns="urn:mckm:interkmm"><kmf-id>kmf.iwf.example.net</kmf-id>'
              b"<mcptt-id>sip:mcptt-alice@example.org</mcptt-id></interkmm>")
CLEAR = [(interkmm.SIGNALLING_TYPE, "s@x", SIGNALLING), ("application/octet-stream", "k@x", KMM)]


@pytest.mark.parametrize(("parts", "message"), [
    (CLEAR[:1], "1 parts"),
    (CLEAR * 2, "4 parts"),
    ([("application/xml", "s@x", SIGNALLING), CLEAR[1]], "not application/vnd.mckm.interkmm\\+xml"),
    ([(interkmm.SIGNALLING_TYPE, None, SIGNALLING), CLEAR[1]], "no Content-ID"),
    ([CLEAR[0], ("application/octet-stream", "s@x", KMM)], "given twice"),
    ([CLEAR[0], ("multipart/mixed", "k@x", KMM)], "a nested multipart is not allowed"),
    ([CLEAR[0], ("message/sip", "k@x", KMM)], "a nested multipart is not allowed"),
    ([CLEAR[0], ("application/octet-stream", "k@x", b"")], "the KMM is empty"),
    ([CLEAR[0], ("application/octet-stream", "k@x", b"x" * (MAX_KMM_OCTETS + 1))],
     "over the limit of 65536"),
    ([(interkmm.SIGNALLING_TYPE, "s@x", b"<interkmm xmlns='urn:mckm:interkmm'><mcptt-id>a"
       b"</mcptt-id><kmf-id>b</kmf-id></interkmm>"), CLEAR[1]], "with kmf-id, mcptt-id"),
    ([(interkmm.SIGNALLING_TYPE, "s@x", SIGNALLING.replace(b"kmf.iwf", b" kmf.iwf")), CLEAR[1]],
     "surrounding spaces"),
    ([(interkmm.SIGNALLING_TYPE, "s@x", b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'),
      CLEAR[1]], "DTD is not allowed"),
    ([CLEAR[0], (interkmm.PROTECTED_KMM_TYPE, "k@x", KMM)], "without signatures"),
])
def test_a_body_off_the_grammar_is_refused(parts: list[tuple[str, str | None, bytes]],
                                           message: str) -> None:
    """REQ-IKMM-08: a body off the grammar (part count, order, media types, Content-IDs,
    nesting, KMM size, element order) is refused."""
    with pytest.raises((DecodeError, PolicyError), match=message):
        parse(*_assemble(parts))


@pytest.mark.parametrize(("content_type", "body", "message"), [
    ("multipart/mixed", b"--b1\r\n\r\nx\r\n--b1--\r\n", "without a boundary"),
    ("text/plain", b"x", "not multipart/mixed"),
    ('multipart/mixed; boundary="b1"', b"--b1\r\nContent-Type: a/b\r\n\r\nx",
     "no close-delimiter"),
    ('multipart/mixed; boundary="b1"\r\nX: y', b"", "one header line"),
    ('multipart/mixed; boundary="b1"', b"x" * (interkmm.MAX_BODY_OCTETS + 1), "over the limit"),
])
def test_malformed_framing_is_refused(content_type: str, body: bytes, message: str) -> None:
    """REQ-IKMM-08: MIME defects are refused; REQ-IKMM-10: a body over the limit is refused
    before it is opened."""
    with pytest.raises(DecodeError, match=message):
        parse(content_type, body)


def test_bad_transfer_encoding_and_content_id_are_named() -> None:
    with pytest.raises(DecodeError, match="quoted-printable") as err:
        parse(*_assemble(CLEAR, extra=b"Content-Transfer-Encoding: quoted-printable\r\n"))
    assert err.value.field == "Content-Transfer-Encoding"
    with pytest.raises(DecodeError, match="not <id-left@id-right>"):
        parse(*_assemble([(interkmm.SIGNALLING_TYPE, "no-at-sign", SIGNALLING), CLEAR[1]]))


def _signed(signalling: bytes, kmm: bytes, keys: Keyring, xpk_id: int) -> tuple[str, bytes]:
    signatures = sign_bodies({"s@x": signalling, "k@x": kmm}, xpk_id=xpk_id, keys=keys)
    return _assemble([(interkmm.SIGNALLING_TYPE, "s@x", signalling),
                      (interkmm.PROTECTED_KMM_TYPE, "k@x", kmm),
                      (interkmm.SIGNATURES_TYPE, None, signatures)])


def test_signed_but_clear_parameters_are_refused() -> None:
    kmm = encrypt_octets(KMM, "application/octet-stream", xpk_id=SPK_ID, keys=ring())
    with pytest.raises(PolicyError, match="kmf-id is not encrypted") as err:
        parse(*_signed(SIGNALLING, kmm, ring(), SPK_ID), keys=ring())
    assert err.value.requirement == "REQ-IKMM-01"


def test_a_clear_kmm_in_a_signed_message_is_refused() -> None:
    signalling = protect(SIGNALLING, (interkmm.KMF_ID, interkmm.MCPTT_ID), xpk_id=SPK_ID,
                         keys=ring())
    signatures = sign_bodies({"s@x": signalling, "k@x": KMM}, xpk_id=SPK_ID, keys=ring())
    body = _assemble([(interkmm.SIGNALLING_TYPE, "s@x", signalling),
                      ("application/octet-stream", "k@x", KMM),
                      (interkmm.SIGNATURES_TYPE, None, signatures)])
    with pytest.raises(PolicyError, match="the KMM is not encrypted"):
        parse(*body, keys=ring())


def test_parts_under_different_keys_are_refused() -> None:
    signalling = protect(SIGNALLING, (interkmm.KMF_ID, interkmm.MCPTT_ID), xpk_id=CSK_ID,
                         keys=ring())
    kmm = encrypt_octets(KMM, "application/octet-stream", xpk_id=SPK_ID, keys=ring())
    with pytest.raises(PolicyError, match="different XPKs: 0x2a5b3c4d, 0x3123abcd"):
        parse(*_signed(signalling, kmm, ring(), SPK_ID), keys=ring())


def test_a_kmm_without_mime_type_is_refused() -> None:
    signalling = protect(SIGNALLING, (interkmm.KMF_ID, interkmm.MCPTT_ID), xpk_id=SPK_ID,
                         keys=ring())
    kmm = encrypt_octets(KMM, "no-slash", xpk_id=SPK_ID, keys=ring())
    with pytest.raises(DecodeError, match="is not a media type") as err:
        parse(*_signed(signalling, kmm, ring(), SPK_ID), keys=ring())
    assert err.value.field == "MimeType"


def test_another_keyring_cannot_read_it() -> None:
    other = Keyring({SPK_ID: Xpk(Secret(CSK), MC_ID)})
    with pytest.raises(VerifyError, match="SignatureValue does not verify"):
        parse(*_protected(), keys=other)


def test_build_refuses_bad_messages() -> None:
    with pytest.raises(UsageError, match="over the limit"):
        InterKmm("k", "m", b"x" * (MAX_KMM_OCTETS + 1))
    with pytest.raises(UsageError, match="control characters"):
        InterKmm("k\n", "m", b"x")
    with pytest.raises(UsageError, match="kmm_type"):
        InterKmm("k", "m", b"x", "multipart/mixed")
    with pytest.raises(UsageError, match="IV was given twice"):
        build(MESSAGE, protection=Protection(ring(), SPK_ID),
              iv_source=itertools.repeat(bytes(12)).__next__)


NAMED = InterKmm("kmf.iwf.example.net", "sip:mcptt-alice@example.org", KMM,
                 "application/vnd.example.lmr-kmm", "a" * 32, 3_900_000_000, "iwf-to-ue")


@pytest.mark.parametrize("xpk_id", [None, CSK_ID], ids=["clear", "protected"])
def test_the_direction_is_read_back_signed_and_in_clear(xpk_id: int | None) -> None:
    """REQ-IKMM-16: direction travels after mcptt-id and before msg-id, in clear but under the
    part's signature (changing it breaks the signature)."""
    protection = None if xpk_id is None else Protection(ring(), xpk_id)
    content_type, body = build(NAMED, protection=protection)
    assert body.index(b"<direction>iwf-to-ue</direction>") < body.index(b"<msg-id>")
    keys = None if xpk_id is None else ring()
    assert parse(content_type, body, keys=keys).message == NAMED
    flipped = body.replace(b"<direction>iwf-to-ue<", b"<direction>ue-to-iwf<")
    if xpk_id is None:
        assert parse(content_type, flipped).message.direction == "ue-to-iwf"
    else:
        with pytest.raises(VerifyError):
            parse(content_type, flipped, keys=keys)


@pytest.mark.parametrize(("old", "new", "field"), [
    (b"<direction>iwf-to-ue</direction>", b"<direction>sideways</direction>", "direction"),
    (b"<direction>iwf-to-ue</direction>", b"<direction> iwf-to-ue</direction>", "direction"),
    (b"<direction>iwf-to-ue</direction>", b"", "interkmm"),
    (b"<direction>iwf-to-ue</direction><msg-id>" + b"a" * 32 + b"</msg-id>",
     b"<msg-id>" + b"a" * 32 + b"</msg-id><direction>iwf-to-ue</direction>", "interkmm"),
])
def test_a_direction_off_the_grammar_is_refused_naming_it(old: bytes, new: bytes,
                                                          field: str) -> None:
    """REQ-IKMM-16, -08: direction is one of two words, required with msg-id and sent, in its
    place; otherwise the signalling part is refused naming the field."""
    content_type, body = build(NAMED)
    assert old in body
    with pytest.raises(DecodeError) as caught:
        parse(content_type, body.replace(old, new))
    assert caught.value.payload == "signalling part" and caught.value.field == field


def test_build_refuses_a_direction_without_its_id_or_off_the_two_words() -> None:
    with pytest.raises(UsageError, match="all or none"):
        InterKmm("k", "m", b"x", "application/octet-stream", "a" * 32, 1)
    with pytest.raises(UsageError, match="all or none"):
        InterKmm("k", "m", b"x", direction="ue-to-iwf")
    with pytest.raises(UsageError, match="direction: one of iwf-to-ue, ue-to-iwf"):
        InterKmm("k", "m", b"x", "application/octet-stream", "a" * 32, 1, "to-the-moon")
