"""RFC 2046 5.1 multipart bodies as ``impl/xmlprotect/multipart`` reads and writes them: what the
grammar allows is read (and read as the stdlib ``email`` parser reads it), what it does not is
refused naming the part, the field or the offset."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.errors import DecodeError, UsageError
from mckm.impl.xmlprotect.multipart import (
    boundary_of,
    decoded_content,
    frame,
    fresh_boundary,
    parse_media_type,
    split,
)


def _split(body: bytes, boundary: bytes = b"b1") -> list[tuple[tuple[tuple[str, str], ...], bytes]]:
    return [(p.fields, p.content) for p in split(body, boundary, payload="body")]


def test_preamble_padding_folding_and_epilogue() -> None:
    body = (b"a preamble\r\n--b1 \t\r\nContent-Type: a/b;\r\n\tx=y\r\n\r\none\r\n"
            b"--b1\r\n\r\ntwo\r\n--b1--  \r\nan epilogue, --b1 ignored")
    assert _split(body) == [((("content-type", "a/b; x=y"),), b"one"), ((), b"two")]


def test_a_part_without_a_blank_line_is_all_header() -> None:
    assert _split(b"--b1\r\nContent-ID: <a@b>\r\n--b1--") == [((("content-id", "<a@b>"),), b"")]


@pytest.mark.parametrize(("body", "message", "offset"), [
    (b"no delimiter", "no boundary delimiter", 0),
    (b"--b1--\r\n", "before any body part", 0),
    (b"--b1x\r\n\r\none\r\n--b1--", "goes on with octets other than white space", 4),
    (b"--b1\r\n\r\none\r\n--b1", "ends the body \\(no close-delimiter\\)", 17),
    (b"--b1\n\none\n--b1--\n", "ends with a bare LF or CR, not CRLF", 4),
    (b"--b1\r\n\r\none\r\n--b2--", "no close-delimiter --b1-- after part 1", 19),
    (b"--b1\r\n\r\none\r\n--b1-- x\r\n", "after the close-delimiter on its line", 20),
    (b"--b1\r\n\r\none\r\n--b1--x", "after the close-delimiter on its line", 19),
    (b"--b1\r\nX: \xff\r\n\r\none\r\n--b1--", "non-ASCII octet", 9),
    (b"--b1\r\nX: a\nY: b\r\n\r\none\r\n--b1--", "bare CR or LF", 6),
    (b"--b1\r\nX: a\r\n \r\nnot a field\r\n\r\none\r\n--b1--", "is not a header field", 15),
    (b"--b1\r\n folded\r\n\r\none\r\n--b1--", "first header line is a continuation", 6),
])
def test_framing_errors_name_the_offset(body: bytes, message: str, offset: int) -> None:
    with pytest.raises(DecodeError, match=message) as err:
        split(body, b"b1", payload="body")
    assert err.value.offset == offset


def test_a_repeated_mime_field_is_refused() -> None:
    with pytest.raises(DecodeError, match="given twice") as err:
        split(b"--b1\r\nContent-ID: <a@b>\r\ncontent-id: <c@d>\r\n\r\nx\r\n--b1--", b"b1",
              payload="body", names=["first"])
    assert (err.value.payload, err.value.field) == ("first", "Content-ID")


@pytest.mark.parametrize(("value", "name", "params"), [
    ("multipart/mixed; boundary=b1", "multipart/mixed", {"boundary": "b1"}),
    ('Multipart/Mixed ; BOUNDARY="a \\"b\\" c" (comment (nested)) ', "multipart/mixed",
     {"boundary": 'a "b" c'}),
    ("(lead) application/xenc+xml", "application/xenc+xml", {}),
])
def test_media_types_are_read_by_rfc_2045(value: str, name: str, params: dict[str, str]) -> None:
    media_type = parse_media_type(value, payload="p")
    assert (media_type.name, media_type.params) == (name, params)


@pytest.mark.parametrize(("value", "message"), [
    ("multipart", "not type/subtype"),
    ("a/b c", "';' expected"),
    ("a/b; =x", "parameter name expected"),
    ("a/b; x", "'=' expected"),
    ("a/b; x=;", "no token or quoted-string"),
    ("a/b; x=1; X=2", "given twice"),
    ("a/b (open", "comment is not closed"),
])
def test_bad_media_types_are_refused(value: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message) as err:
        parse_media_type(value, payload="p")
    assert err.value.field == "Content-Type"


@pytest.mark.parametrize("boundary", ["", "x" * 71, "ends in space ", "no;semicolon"])
def test_boundaries_off_rfc_2046_are_refused(boundary: str) -> None:
    media_type = parse_media_type(f'multipart/mixed; boundary="{boundary}"', payload="p")
    with pytest.raises(DecodeError, match="boundary"):
        boundary_of(media_type, payload="p")


def test_transfer_encodings() -> None:
    def part(encoding: str, content: bytes) -> bytes:
        (found,) = split(b"--b1\r\nContent-Transfer-Encoding: " + encoding.encode()
                         + b"\r\n\r\n" + content + b"\r\n--b1--", b"b1", payload="body")
        return decoded_content(found, payload="p")

    assert part("BASE64", b"AAEC\r\n/w==") == b"\x00\x01\x02\xff"
    assert part("8bit", b"\xff") == b"\xff"
    for encoding, content, message in (("base64", b"AA!=", "does not decode"),
                                       ("7bit", b"\xff", "over 127"),
                                       ("quoted-printable", b"x", "is not binary")):
        with pytest.raises(DecodeError, match=message) as err:
            part(encoding, content)
        assert err.value.field == "Content-Transfer-Encoding"


def test_the_writer_refuses_a_boundary_inside_a_part() -> None:
    with pytest.raises(UsageError, match="occurs in a part"):
        frame([([], b"x\r\n--b1--")], b"b1")
    with pytest.raises(UsageError, match="RFC 2046"):
        frame([([], b"x")], b"bad;boundary")
    with pytest.raises(UsageError, match="not one line"):
        frame([([("Content-Type", "a/b\r\nX-Injected: 1")], b"x")], b"b1")


_FIELD_VALUE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                       max_size=20)


@settings(max_examples=150)
@given(st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(["X-A", "X-B", "Content-ID"]),
                                             _FIELD_VALUE), max_size=2, unique_by=lambda f: f[0]),
                          st.binary(max_size=64)), min_size=1, max_size=4))
def test_written_bodies_read_back_as_the_stdlib_parser_reads_them(
        parts: list[tuple[list[tuple[str, str]], bytes]]) -> None:
    boundary = fresh_boundary([content for _, content in parts], b"t-")
    body = frame(parts, boundary)
    ours = split(body, boundary, payload="body")
    assert [(p.fields, p.content) for p in ours] == [
        (tuple((n.lower(), v) for n, v in fields), content) for fields, content in parts]
    head = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
    theirs = BytesParser(policy=policy.compat32).parsebytes(head + body).get_payload()
    assert isinstance(theirs, list) and len(theirs) == len(ours)
    for mine, other in zip(ours, theirs, strict=True):
        assert [(k.lower(), v) for k, v in other.items()] == list(mine.fields)
        assert other.get_payload(decode=True) == mine.content
