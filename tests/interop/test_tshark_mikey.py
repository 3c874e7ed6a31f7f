"""tshark as the judge of the MIKEY codec (Wireshark's MIKEY dissector, UDP port 2269).

One pcap holds a message of every data type tshark knows (RFC 3830 types 0-6, SAKKE 26), the
vendor I_MESSAGEs whose CS ID map tshark can read (Empty, SRTP-ID), and the RFC 6043 types.
tshark runs once for the module (``-T pdml``).  For each message: no ``_ws.malformed`` and no
expert warning, every top-level child a known ``mikey.*`` payload, the children's sizes summing
to the message length and matching our layout, and the values tshark shows equal to ours.

Known tshark 4.0 dissector limits (so these are left out of the messages it judges, and checked
by our own tests against the RFC layouts): it does not parse the GENERIC-ID map (RFC 6043), its
CERT dissector reads Cert len from octet 1 (overlapping Cert type), it does not delimit CHASH,
it stops after a DH payload whose KV is not 0 (our samples use KV 0), and it has no dissector
for TR, RANDR, TP and TICKET: for the RFC 6043 data types only the prefix before the first such
payload is judged.
"""

from __future__ import annotations

import json
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mckm.impl.codec import Message, Payload, decode, encode
from tests.codec.samples import sample_messages
from tests.conftest import require_tool

pytestmark = pytest.mark.interop

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor_vectors.json"
RFC3830_AND_SAKKE = (0, 1, 2, 3, 4, 5, 6, 26)
RFC6043 = (11, 12, 13, 14, 15, 16, 17, 18)
UNDISSECTED = {"TR", "RANDR", "TP", "TICKET"}

#: our payload name -> tshark's top-level field
TOP = {"HDR": "mikey.hdr", "T": "mikey.t", "RAND": "mikey.rand", "ID": "mikey.id",
       "IDR": "mikey.idr", "SP": "mikey.sp", "KEMAC": "mikey.kemac", "PKE": "mikey.pke",
       "DH": "mikey.dh", "V": "mikey.v", "ERR": "mikey.err", "GENERAL_EXT": "mikey.ext",
       "SAKKE": "mikey.sakke", "SIGN": "mikey.sign", "CERT": "mikey.cert",
       "CHASH": "mikey.chash"}

#: (our payload, our field) -> tshark field whose value must equal ours
VALUES = {
    ("HDR", "version"): "mikey.version", ("HDR", "data_type"): "mikey.type",
    ("HDR", "v"): "mikey.v.set", ("HDR", "prf_func"): "mikey.prf_func",
    ("HDR", "csb_id"): "mikey.csb_id", ("HDR", "n_cs"): "mikey.cs_count",
    ("HDR", "cs_id_map_type"): "mikey.cs_id_map_type",
    ("T", "ts_type"): "mikey.t.ts_type", ("RAND", "rand"): "mikey.rand.data",
    ("ID", "id_type"): "mikey.id.type", ("ID", "id_data"): "mikey.id.data",
    ("IDR", "id_role"): "mikey.id.role", ("IDR", "id_type"): "mikey.id.type",
    ("IDR", "id_data"): "mikey.id.data",
    ("SP", "policy_no"): "mikey.sp.no", ("SP", "prot_type"): "mikey.sp.proto_type",
    ("KEMAC", "encr_alg"): "mikey.kemac.encr_alg", ("KEMAC", "mac_alg"): "mikey.kemac.mac_alg",
    ("KEMAC", "mac"): "mikey.kemac.mac",
    ("PKE", "c"): "mikey.pke.c", ("PKE", "data"): "mikey.pke.data",
    ("DH", "dh_group"): "mikey.dh.group", ("DH", "dh_value"): "mikey.dh.value",
    ("DH", "kv"): "mikey.dh.kv",
    ("V", "auth_alg"): "mikey.v.auth_alg", ("V", "ver_data"): "mikey.v.ver_data",
    ("ERR", "error_no"): "mikey.err.no",
    ("GENERAL_EXT", "type"): "mikey.ext.type", ("GENERAL_EXT", "data"): "mikey.ext.data",
    ("SAKKE", "sakke_params"): "mikey.sakke.params",
    ("SAKKE", "id_scheme"): "mikey.sakke.idscheme", ("SAKKE", "sakke_data"): "mikey.sakke.data",
    ("SIGN", "s_type"): "mikey.sign.type", ("SIGN", "signature"): "mikey.sign.data",
}


def _judged(message: Message) -> Message:
    """Drop the payloads tshark 4.0 mis-dissects (CERT, CHASH); see the module docstring."""
    message.payloads = [p for p in message.payloads if p.name not in ("CERT", "CHASH")]
    return message


def _messages() -> list[tuple[str, bytes]]:
    samples = sample_messages()
    out = [(f"type {dt} ({samples[dt].data_type_name})", encode(_judged(samples[dt])))
           for dt in RFC3830_AND_SAKKE + RFC6043]
    minimal = sample_messages(optional=False)
    out += [(f"type {dt} minimal", encode(minimal[dt])) for dt in RFC3830_AND_SAKKE]
    for vector in json.loads(VENDOR.read_text())["i_messages_published"]:
        if vector["hdr"]["cs_id_map_type"] in (0, 1):
            out.append((vector["title"], bytes.fromhex(vector["i_message_hex"])))
    return out


MESSAGES = _messages()


def _pcap(messages: list[bytes]) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # libpcap, Ethernet
    for i, m in enumerate(messages):
        udp = struct.pack(">HHHH", 2269, 2269, 8 + len(m), 0) + m
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) + udp
        frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip
        out.append(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)
    return b"".join(out)


@pytest.fixture(scope="module")
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[ET.Element]:
    tshark = require_tool("tshark")
    path = tmp_path_factory.mktemp("tshark") / "mikey.pcap"
    path.write_bytes(_pcap([raw for _, raw in MESSAGES]))
    result = subprocess.run([tshark, "-r", str(path), "-T", "pdml", "-d", "udp.port==2269,mikey"],
                            capture_output=True, check=True, timeout=120)
    root = ET.fromstring(result.stdout)
    found = root.findall("packet")
    assert len(found) == len(MESSAGES)
    return found


def _mikey(packet: ET.Element) -> ET.Element:
    protos = [p for p in packet.findall("proto") if p.get("name") == "mikey"]
    assert len(protos) == 1, "tshark did not dissect the datagram as MIKEY"
    return protos[0]


def _tshark_value(field: ET.Element, ours: Any) -> Any:
    if isinstance(ours, bytes):
        return bytes.fromhex(field.get("value", ""))
    show = field.get("show", "")
    return int(show, 0) if show.startswith("0x") else int(show)


def _compare(payload: Payload, element: ET.Element) -> None:
    for (pname, fname), tname in VALUES.items():
        if pname != payload.name:
            continue
        found = [f for f in element.iter("field") if f.get("name") == tname]
        assert found, f"tshark shows no {tname} in {payload.name}"
        ours = payload.fields[fname]
        assert _tshark_value(found[0], ours) == ours, f"{payload.name}.{fname} ({tname})"
    if payload.name == "HDR" and payload.cs_id_map_type == 0:
        shown = [(int(e.find("field[@name='mikey.srtp_id.policy_no']").get("show")),
                  int(e.find("field[@name='mikey.srtp_id.ssrc']").get("show"), 0),
                  int(e.find("field[@name='mikey.srtp_id.roc']").get("show"), 0))
                 for e in element.findall("field[@name='mikey.srtp_id']")]
        assert shown == [(x["policy_no"], x["ssrc"], x["roc"]) for x in payload.cs_id_map_info]
    if payload.name == "T" and payload.ts_type in (0, 1):
        ntp = element.find("field[@name='mikey.t.ntp']")
        assert ntp is not None and int(ntp.get("value"), 16) == payload.ts_value


@pytest.mark.parametrize("index", range(len(MESSAGES)), ids=[t for t, _ in MESSAGES])
def test_tshark_agrees(packets: list[ET.Element], index: int) -> None:
    title, raw = MESSAGES[index]
    packet = packets[index]
    message = decode(raw)
    malformed = [f.get("name") for f in packet.iter("field")
                 if f.get("name", "").startswith("_ws.malformed")
                 or f.get("name") == "_ws.expert"]
    assert not malformed, f"tshark flags {title}: {malformed}"
    mikey = _mikey(packet)
    assert int(mikey.get("size")) == len(raw)
    children = mikey.findall("field")
    ours = [message.hdr, *message.payloads]
    judged = [p for p in ours]
    first_undissected = next((i for i, p in enumerate(ours) if p.name in UNDISSECTED), None)
    if first_undissected is not None:  # RFC 6043: judge the prefix tshark can read
        judged = ours[:first_undissected]
        assert len(judged) >= 2 and children[len(judged)].get("name") == ""
        children = children[: len(judged)]
    else:
        assert sum(int(c.get("size")) for c in children) == len(raw)
    assert [c.get("name") for c in children] == [TOP[p.name] for p in judged]
    for span, child in zip(message.layout, children, strict=False):
        assert (int(child.get("pos")) - 42, int(child.get("size"))) == (span.offset, span.length)
    for payload, child in zip(judged, children, strict=True):
        _compare(payload, child)


def test_every_tshark_data_type_is_judged() -> None:
    judged = {decode(raw).data_type for _, raw in MESSAGES}
    assert set(RFC3830_AND_SAKKE) <= judged


def test_tshark_extracted_octets_decode_with_the_cli(packets: list[ET.Element]) -> None:
    """The UDP payload as tshark extracted it (hex we did not format) decodes with the CLI and
    round-trips through its JSON."""
    from click.testing import CliRunner

    from mckm.impl.codec.cli import codec

    runner = CliRunner()
    for packet, (title, raw) in zip(packets, MESSAGES, strict=True):
        shown = [f.get("show", "") for f in packet.iter("field") if f.get("name") == "udp.payload"]
        assert len(shown) == 1, f"{title}: tshark shows no UDP payload"
        hex_text = shown[0].replace(":", "")
        assert bytes.fromhex(hex_text) == raw
        result = runner.invoke(codec, ["decode", "--raw", hex_text])
        assert result.exit_code == 0, result.output
        back = runner.invoke(codec, ["encode", "-"], input=result.output)
        assert back.exit_code == 0, back.output
        assert back.output.strip() == hex_text
