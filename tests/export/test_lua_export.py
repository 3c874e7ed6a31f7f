"""The Lua dissector exporter reads the grammars: every field and value name is in the file, a
field added to a copy of a grammar appears (and tshark shows it), a construct it cannot render
is refused by name, and broken messages get tshark's Malformed expert error naming the field,
never a Lua error.  A dissector with one mask moved fails the judge (the judge can fail)."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import construct as c
import pytest

from mckm.impl.codec import Message, decode, encode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.codec.export_lua import (
    FILE_NAME,
    field_name,
    lua_expr,
    lua_str,
    render,
    struct_field_name,
)
from mckm.impl.codec.payload_build import build_one
from mckm.impl.errors import DecodeError, UsageError
from mckm.models.grammar import registry
from mckm.models.grammar.dsl import PayloadSpec, StructSpec, uint
from mckm.models.grammar.messages import BY_DATA_TYPE
from mckm.models.grammar.namespaces import ID_ROLE
from mckm.models.grammar.rfc3830 import RAND
from tests.codec.samples import build, sample_messages, sample_payload
from tests.export.test_lua_tshark import ETH_IP_UDP, Judge, _pcap, run_tshark

TEXT = render()[FILE_NAME]


def _with_field(payload: PayloadSpec, extra: StructSpec | None = None) -> PayloadSpec:
    """A copy of ``payload`` with one more field at the end: a 16-bit ``key_epoch``."""
    part = uint("key_epoch", 16, "epoch of the key (a test field)", "test clause 9.9",
                ns=ID_ROLE)
    spec = payload.spec
    grown = StructSpec(spec.name, spec.clause, spec.meaning, (*spec.infos, *part.infos),
                       c.Struct(*spec.grammar.subcons, *part.subcons))
    return dataclasses.replace(payload, spec=grown)


def test_render_returns_one_lua_file() -> None:
    files = render()
    assert list(files) == [FILE_NAME] == ["mckm_mikey.lua"]
    assert 'DissectorTable.get("udp.port"):add(2269, proto)' in TEXT
    assert 'DissectorTable.get("key_mgmt"):add("mikey", proto)' in TEXT


def test_every_grammar_field_and_value_is_a_protofield() -> None:
    declared = set(re.findall(r'ProtoField\.\w+\("([^"]+)"', TEXT))
    expected = set()
    for spec in registry.structures():
        expected.add(struct_field_name(spec))
        for info in spec.infos:
            if info.kind not in ("optional", "choice"):
                expected.add(field_name(spec, info.name))
            if info.namespace is not None:
                for v in info.namespace.values:
                    assert f"[{v.value}] = {lua_str(v.name)}" in TEXT, (info.name, v.name)
    assert expected <= declared
    assert len(declared) == len(re.findall(r"ProtoField\.\w+\(", TEXT))  # each declared once
    for name in ("RANDRkms", "TRANSFER_INIT", "3GPP key parameters", "IDRuidi",
                 "GENERIC-ID", "3GPP Base Ticket"):
        assert lua_str(name) in TEXT
    # the clause of a field is in its description
    assert '"mckm_mikey.tr.ts_role", "ts_role", base.DEC, VS["ts_role"], nil, ' \
           '"meaning of the timestamp (RFC 6043 6.4)")' in TEXT


def test_a_field_added_to_a_copy_of_a_grammar_appears() -> None:
    payloads = tuple(_with_field(p) if p is RAND else p for p in registry.PAYLOADS)
    text = render(payloads=payloads)[FILE_NAME]
    assert "mckm_mikey.rand.key_epoch" not in TEXT
    assert ('ProtoField.uint16("mckm_mikey.rand.key_epoch", "key_epoch", base.DEC, '
            'VS["id_role"], nil, "epoch of the key (a test field) (test clause 9.9)")') in text
    assert '{t = "int", n = "key_epoch", w = 2' in text
    assert text.replace("key_epoch", "") != TEXT.replace("key_epoch", "")


@pytest.mark.interop
def test_tshark_shows_the_added_field(tmp_path: Path) -> None:
    """The grown grammar's dissector reads a message whose RAND has the extra field."""
    grown = _with_field(RAND)
    (tmp_path / FILE_NAME).write_text(render(payloads=tuple(
        grown if p is RAND else p for p in registry.PAYLOADS))[FILE_NAME])
    raw = encode(sample_messages()[0])
    span = next(s for s in decode(raw).layout if s.payload == "RAND")
    fields = decode(raw).get("RAND")
    assert fields is not None
    rand = grown.spec.grammar.build({**fields.fields, "next_payload": raw[span.offset],
                                     "key_epoch": 9})
    message = raw[:span.offset] + rand + raw[span.offset + span.length:]
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, message)]))
    (packet,) = run_tshark(tmp_path / FILE_NAME, tmp_path / "x.pcap")
    shown = [f for f in packet.iter("field") if f.get("name") == "mckm_mikey.rand.key_epoch"]
    assert [(f.get("show"), f.get("showname")) for f in shown] == \
        [("9", "key_epoch: IDRuidr (9)")]
    assert not [f for f in packet.iter("field") if f.get("name") == "mckm_mikey.malformed"]


def test_a_construct_without_a_dissector_form_is_refused_by_name() -> None:
    odd = StructSpec("RAND", "RFC 3830 6.11", "RAND payload", RAND.spec.infos,
                     c.Struct(*RAND.spec.grammar.subcons, "tail" / c.GreedyBytes))
    payloads = tuple(dataclasses.replace(p, spec=odd) if p is RAND else p
                     for p in registry.PAYLOADS)
    with pytest.raises(UsageError, match=r"RAND\.tail: construct GreedyBytes"):
        render(payloads=payloads)


def test_expressions_translate_or_are_refused() -> None:
    this = c.this
    cond = (this.key_type == 1) | (this.key_type == 3)
    assert lua_expr(cond, "x").lua == '((f["key_type"] == 1) or (f["key_type"] == 3))'
    assert lua_expr((this.a >> 4) & 15, "x").lua == 'bit32.band(bit32.rshift(f["a"], 4), 15)'
    with pytest.raises(UsageError, match=r"KEY_DATA\.salt"):
        lua_expr(this._.outer == 1, "KEY_DATA.salt")
    with pytest.raises(UsageError):
        lua_expr((this.a == 1) | this.b, "x")  # a logical or of a number


def test_lua_strings_escape_quotes_and_non_ascii() -> None:
    assert lua_str('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_str("€\n") == '"\\226\\130\\172\\010"'


def _marks(packet: ET.Element) -> list[str]:
    return [f.get("showname") or "" for f in packet.iter("field")
            if f.get("name") == "_ws.expert" and any(
                x.get("name") == "mckm_mikey.malformed" for x in f.iter("field"))]


@pytest.mark.interop
def test_broken_messages_get_an_expert_error_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(TEXT)
    raw = encode(sample_messages()[14])  # TRANSFER_INIT
    layout = decode(raw).layout
    t = next(s for s in layout if s.payload == "T")
    broken = [
        raw[:-5],  # the V payload cut short
        raw + b"\x00\x00",  # trailing octets
        raw[:2] + b"\x63" + raw[3:],  # HDR Next Payload 99
        raw[:t.offset + 1] + b"\x09" + raw[t.offset + 2:],  # T: TS type 9
        raw[:7],  # inside the HDR
    ]
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, b) for b in broken]))
    packets = run_tshark(tmp_path / FILE_NAME, tmp_path / "x.pcap")
    expected = [r"V\.ver_data \(RFC 3830 6\.9\): 20 octets needed at offset \d+, 15 left",
                r"2 trailing octets after the last payload at offset \d+",
                r"payload type 99 cannot stand in a message's chain",
                r"T\.ts_value \(RFC 3830 6\.6\): ts_type = 9 has no layout",
                r"HDR\.csb_id \(RFC 3830 6\.1\): 4 octets needed at offset 4, 3 left"]
    for packet, pattern in zip(packets, expected, strict=True):
        marks = _marks(packet)
        assert len(marks) == 1 and re.search(pattern, marks[0]), marks
        assert not [f for f in packet.iter("field")
                    if (f.get("name") or "").startswith("_ws.lua")
                    and f.get("name") != "_ws.lua.fake"]


@pytest.mark.interop
def test_a_dissector_with_a_moved_mask_fails_the_judge(tmp_path: Path) -> None:
    """The judge is not vacuous: swap HDR's V and PRF masks and it notices."""
    mutant = TEXT.replace('"mckm_mikey.hdr.v", "v", base.DEC, nil, 0x80,',
                          '"mckm_mikey.hdr.v", "v", base.DEC, nil, 0x1,')
    assert mutant != TEXT
    (tmp_path / FILE_NAME).write_text(mutant)
    raw = encode(sample_messages()[0])
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, raw)]))
    (packet,) = run_tshark(tmp_path / FILE_NAME, tmp_path / "x.pcap")
    with pytest.raises(AssertionError):
        Judge().message(raw, packet, ETH_IP_UDP)


def _unchecked(message: Message) -> bytes:
    """``message`` encoded without the presence check (encode would refuse it)."""
    chain = encode_chain(message.payloads)
    out = bytearray()
    build_one(registry.HDR, message.hdr, chain[0], out)
    return bytes(out) + chain[1:]


@pytest.mark.interop
def test_a_broken_presence_rule_is_the_warning_mckm_decode_gives(tmp_path: Path) -> None:
    """The presence rules go into the dissector as data: a message that breaks one gets an
    expert warning worded as mckm's decoder words its refusal."""
    samples = sample_messages()
    no_v = samples[14]
    no_v.payloads = [p for p in no_v.payloads if p.name != "V"]
    srtp_map = build(BY_DATA_TYPE[11], map_type=0)  # REQUEST_INIT_PSK wants an Empty map
    with_dh = samples[26]
    with_dh.payloads.insert(2, sample_payload("DH"))
    wrong_role = samples[11]
    for p in wrong_role.payloads:
        if p.name == "RANDR":
            p.fields["rand_role"] = 2
    cases = [no_v, srtp_map, with_dh, wrong_role]
    (tmp_path / FILE_NAME).write_text(TEXT)
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, _unchecked(m)) for m in cases]))
    for message, packet in zip(cases, run_tshark(tmp_path / FILE_NAME, tmp_path / "x.pcap"),
                               strict=True):
        raw = _unchecked(message)
        with pytest.raises(DecodeError) as refused:
            decode(raw)
        shown = [f.get("showname") or "" for f in packet.iter("field")
                 if f.get("name") == "_ws.expert"]
        assert shown == [f"Expert Info (Warning/Protocol): {refused.value.reason}"]
        assert not _marks(packet)  # no Malformed mark: every payload was read
