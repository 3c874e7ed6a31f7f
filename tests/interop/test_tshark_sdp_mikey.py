"""tshark as the judge of the SIP / SDP carrier of the Ticket Transfer (RFC 4567): a real
INVITE (TRANSFER_INIT in the SDP offer) and 200 OK (TRANSFER_RESP in the answer) over UDP 5060.
tshark's SIP and SDP dissectors must read them without a malformed mark, find the key-mgmt
attribute with protocol id ``mikey``, base64-decode its data to our octets, and hand them to its
MIKEY dissector, which must read the HDR we wrote (data type 14 / 15, CSB ID)."""

from __future__ import annotations

import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from mckm.impl.codec import decode
from mckm.impl.roles.ticket import sip
from mckm.impl.roles.ticket.endpoints import Kms
from tests.conftest import require_tool
from tests.e2e.ticket_fixtures import BOB, NOW, world


def _pcap(datagrams: list[bytes]) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # libpcap, Ethernet
    for i, d in enumerate(datagrams):
        udp = struct.pack(">HHHH", 5060, 5060, 8 + len(d), 0) + d
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([192, 0, 2, 1 + i % 2]), bytes([192, 0, 2, 2 - i % 2])) + udp
        frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip
        out.append(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)
    return b"".join(out)


def _exchange() -> tuple[bytes, bytes, bytes, bytes]:
    """A one-KMS ticket transfer, carried by SIP: INVITE, 200 OK and the two MIKEY messages."""
    w = world(bob_kms="kms.a.example")
    kms: Kms = w.kms["kms.a.example"]
    ri = w.alice.request_ticket(BOB, now=NOW)
    ti = w.alice.receive_request_resp(kms.receive_request(ri, now=NOW), now=NOW)
    invite = sip.invite(ti, from_uri=w.alice.uri, to_uri=BOB)
    request, received = sip.transfer_init_of(invite)
    resolve = w.bob.receive_transfer_init(received, now=NOW)
    out = kms.receive_resolve(resolve.octets, now=NOW)
    assert isinstance(out, bytes)
    tr, _ = w.bob.receive_resolve_resp(out, now=NOW)
    ok = sip.answer(request, tr)
    assert sip.transfer_resp_of(ok) == tr
    return invite, ok, ti, tr


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[ET.Element], list[bytes]]:
    tshark = require_tool("tshark")
    invite, ok, ti, tr = _exchange()
    path = tmp_path_factory.mktemp("tshark") / "sip.pcap"
    path.write_bytes(_pcap([invite, ok]))
    result = subprocess.run([tshark, "-r", str(path), "-T", "pdml"], capture_output=True,
                            check=True, timeout=120)
    packets = ET.fromstring(result.stdout).findall("packet")
    assert len(packets) == 2
    return packets, [ti, tr]


def _fields(packet: ET.Element, name: str) -> list[ET.Element]:
    return [f for f in packet.iter("field") if f.get("name") == name]


@pytest.mark.parametrize("index,data_type,start", [(0, 14, "INVITE"), (1, 15, "SIP/2.0 200")])
def test_tshark_reads_the_mikey_message_in_the_sdp(
        judged: tuple[list[ET.Element], list[bytes]], index: int, data_type: int,
        start: str) -> None:
    packets, mikey = judged
    packet, ours = packets[index], mikey[index]
    assert not _fields(packet, "_ws.malformed"), "tshark marks the packet malformed"
    protos = [p.get("name") for p in packet.iter("proto")]
    assert {"sip", "sdp", "mikey"} <= set(protos), protos
    (kmpid,) = _fields(packet, "sdp.key_mgmt.kmpid")
    assert kmpid.get("show") == "mikey"
    (data,) = _fields(packet, "sdp.key_mgmt.data")
    assert bytes.fromhex(data.get("value") or "") == ours  # tshark's base64 decode = ours
    (shown_type,) = _fields(packet, "mikey.type")
    assert int(shown_type.get("show") or "-1") == data_type == decode(ours).data_type
    (csb,) = _fields(packet, "mikey.csb_id")
    assert int(csb.get("show") or "", 16) == decode(ours).hdr.fields["csb_id"]
    line = _fields(packet, "sip.Request-Line") or _fields(packet, "sip.Status-Line")
    assert line and (line[0].get("show") or "").startswith(start)
