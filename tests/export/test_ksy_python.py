"""Kaitai Struct export judged by the Kaitai Struct compiler and its generated Python parser.

The ``.ksy`` that ``mckm codec export --format ksy`` writes is compiled by the npm
``kaitai-struct-compiler`` (0.11, through ``ksc_compile.js``) for several targets; the Python
parser it generates, with the ``kaitaistruct`` runtime, reads every sample message, every vendor
I_MESSAGE and the held-out RFC 6043 messages of ``corpus``, and each field it reads is compared
with mckm's decode (``fields``).  Hypothesis then draws payloads and messages from the grammar
(``mckm.impl.codec.strategies``) for the same comparison, so every name-space value that selects
a layout (timestamps, MACs, hashes, DH groups, key validity, salts, CS ID maps) is met.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.codec import decode, encode
from mckm.impl.codec.chains import inner_payloads
from mckm.impl.codec.model import Payload
from mckm.impl.codec.payload_build import build_one
from mckm.impl.codec.payload_parse import parse_at
from mckm.impl.codec.strategies import message_strategy, payload_strategy
from mckm.impl.errors import DecodeError, MckmError
from mckm.models.grammar import registry
from mckm.models.grammar.messages import RULES
from tests.export import corpus, fields, judges

pytestmark = pytest.mark.interop

#: targets the compiler must accept the export for (Python and C++ are also run).
TARGETS = ("python", "cpp_stl", "java", "go", "javascript")
MESSAGES = [*corpus.samples(), *corpus.vendor(), *corpus.ticket_roles(), *corpus.held_out()]


@pytest.fixture(scope="module")
def ksy(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return judges.export_ksy(tmp_path_factory.mktemp("ksy"))


@pytest.fixture(scope="module")
def generated(ksy: list[Path], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    files = judges.compile_ksy("python", ksy, tmp_path_factory.mktemp("ksy_python"))
    return judges.load_python(files, "mckm_mikey")


def class_name(type_id: str) -> str:
    """The Python class Kaitai generates for a type id (``key_data`` -> ``KeyData``)."""
    return "".join(word.capitalize() for word in type_id.split("_"))


def parse_message(generated: ModuleType, raw: bytes) -> Any:
    from kaitaistruct import KaitaiStream

    stream = KaitaiStream(io.BytesIO(raw))
    parsed = generated.MckmMikey(stream)
    assert stream.is_eof(), f"the parser stopped at octet {stream.pos()} of {len(raw)}"
    return parsed


def parse_payload(generated: ModuleType, name: str, raw: bytes) -> Any:
    from kaitaistruct import KaitaiStream

    from mckm.impl.codec.export_ksy import type_id

    cls = getattr(generated.MckmMikey, class_name(type_id(registry.BY_NAME[name].spec)))
    stream = KaitaiStream(io.BytesIO(raw))
    parsed = cls(stream)
    assert stream.is_eof(), f"{name}: the parser stopped at octet {stream.pos()} of {len(raw)}"
    return parsed


@pytest.mark.parametrize("target", TARGETS)
def test_compiler_accepts_the_export(ksy: list[Path], target: str, tmp_path: Path) -> None:
    written = judges.compile_ksy(target, ksy, tmp_path)
    assert written and all(p.stat().st_size > 1000 for p in written)


def test_corpus_has_every_kind_of_message() -> None:
    titles = [t for t, _ in MESSAGES]
    assert sum(t.startswith("vendor") for t in titles) >= 4
    assert sum(t.startswith("held-out") for t in titles) >= 10
    judged = {decode(raw).data_type for _, raw in MESSAGES}
    assert {r.data_type for r in RULES} <= judged


@pytest.mark.parametrize("index", range(len(MESSAGES)), ids=[t for t, _ in MESSAGES])
def test_python_parser_reads_what_mckm_decodes(generated: ModuleType, index: int) -> None:
    title, raw = MESSAGES[index]
    ours = fields.from_mckm(decode(raw))
    theirs = fields.from_kaitai(parse_message(generated, raw))
    assert fields.differences(ours, theirs) == [], title
    assert fields.count_fields(ours) > 10


def test_every_payload_is_a_type(generated: ModuleType) -> None:
    from mckm.impl.codec.export_ksy import type_id

    for spec in registry.structures():
        assert hasattr(generated.MckmMikey, class_name(type_id(spec))), spec.name


@settings(max_examples=60)
@given(data=st.data())
def test_drawn_payloads_agree(generated: ModuleType, data: st.DataObject) -> None:
    """Every payload type (KEY_DATA and TR, which stand only inside other payloads, too),
    with fields drawn from the grammar's ranges."""
    spec = data.draw(st.sampled_from(registry.PAYLOADS), label="payload")
    payload: Payload = data.draw(payload_strategy(spec.name))
    out = bytearray()
    try:
        build_one(spec, payload, 0, out)
    except MckmError:
        return  # a draw the encoder's range checks refuse (e.g. SP params that do not tile)
    raw = bytes(out)
    ours, end, _ = parse_at(spec, raw, 0)
    assert end == len(raw)
    if _inner_refused([Payload(spec.name, ours)]):
        with pytest.raises(Exception):  # noqa: B017 - any of the runtime's errors
            parse_payload(generated, spec.name, raw)
        return
    theirs = parse_payload(generated, spec.name, raw)
    assert fields.differences(fields._mckm_struct(spec.spec, ours),
                              fields._kaitai_struct(spec.spec, theirs)) == []


@settings(max_examples=60)
@given(data=st.data())
def test_drawn_messages_agree(generated: ModuleType, data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(RULES), label="data type")
    message = data.draw(message_strategy(rule))
    try:
        raw = encode(message)
        decoded = decode(raw)
    except MckmError:
        return
    if _inner_refused(decoded.payloads):
        with pytest.raises(Exception):  # noqa: B017 - any of the runtime's errors
            parse_message(generated, raw)
        return
    assert fields.differences(fields.from_mckm(decoded),
                              fields.from_kaitai(parse_message(generated, raw))) == []


def _inner_refused(payloads: list[Payload]) -> bool:
    """Whether mckm's chain decoders refuse the payloads inside one of these payloads."""
    try:
        for p in payloads:
            inner_payloads(p)
    except DecodeError:
        return True
    return False


def test_inner_chains_are_compared() -> None:
    """The corpus has payloads inside octet fields of every kind the grammar declares (TP Data,
    Initiator Data, Key data in clear, SAKKE-to-self), so the comparison above reaches them."""
    from mckm.models.grammar.inner_chains import BY_FIELD

    met = set()
    for _, raw in MESSAGES:
        form = fields.from_mckm(decode(raw))
        for p in form["payloads"]:
            for (name, field) in BY_FIELD:
                if p["payload"] == name and p["fields"].get(fields.inner_key(field)):
                    met.add((name, field))
    assert met == set(BY_FIELD), met


@pytest.mark.parametrize("index", range(len(corpus.bad_inner())),
                         ids=[t for t, _ in corpus.bad_inner()])
def test_python_parser_refuses_what_mckm_refuses_inside(generated: ModuleType,
                                                        index: int) -> None:
    """Payloads inside an octet field that mckm's chain decoders refuse (stray octets after
    Initiator Data's V, a TP Data IDR cut short, Key data followed by a T) fail the parse."""
    from kaitaistruct import KaitaiStructError

    title, raw = corpus.bad_inner()[index]
    decoded = decode(raw)
    assert _inner_refused(decoded.payloads), title
    with pytest.raises((KaitaiStructError, EOFError)):
        parse_message(generated, raw)


def test_python_parser_refuses_an_unknown_next_payload(generated: ModuleType) -> None:
    """A Next Payload with no layout cannot be delimited: the generated parser refuses it, as
    mckm does (RFC 3830 6.1; the ``valid`` of the export)."""
    from kaitaistruct import KaitaiStructError

    raw = bytearray(corpus.samples()[0][1])
    raw[2] = 99  # HDR's Next Payload
    with pytest.raises(MckmError):
        decode(bytes(raw))
    with pytest.raises(KaitaiStructError):
        parse_message(generated, bytes(raw))


def test_python_parser_refuses_octets_after_the_last_payload(generated: ModuleType) -> None:
    from kaitaistruct import ValidationExprError

    raw = corpus.vendor()[0][1] + b"\x00"
    with pytest.raises(MckmError, match="trailing"):
        decode(raw)
    with pytest.raises(ValidationExprError):
        parse_message(generated, raw)
