"""tshark as the judge of the generated Lua dissector (``mckm_mikey.lua``).

Every message the project has is written to pcaps twice: as a UDP datagram on port 2269
(IANA, service name mikey) and as ``a=key-mgmt:mikey`` in the SDP offer of a SIP INVITE
(RFC 4567); tshark reads them with ``-X lua_script:mckm_mikey.lua -T pdml``.  The messages: a
sample of every data type (with and without optional payloads, and with each CS ID map type
where the data type allows it), every vendor I_MESSAGE (tests/data, impl/vectors), the messages
the ticket roles exchange (one and two KMSs, Ua and Zk), I_MESSAGEs the SEAL initiator writes,
and held-out messages built with the project's encoder from values no sample uses: here
(RFC 6043 types, 3GPP ticket type, GENERIC-ID maps of several entries, PK variants, an RFC 3830
D-H message with KV data) and the Kaitai judge's corpus (tests/export/corpus.py: every RFC 6043
name-space value the samples leave out).

For each packet: no ``_ws.malformed``, no expert info of error or warning severity (none at
all on the UDP ones), no Lua error; the payload subtrees are ours, in our order, at our offsets
and lengths; and every field of mckm's decode (its JSON form's fields, the SP policy params
and list entries included) is shown with our value, found under its own structure.
"""

from __future__ import annotations

import json
import secrets
import struct
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mckm.impl.codec import Message, Payload, decode, encode
from mckm.impl.codec.chains import decode_chain, decode_inner, encode_chain, encode_key_data
from mckm.impl.codec.export_lua import (
    FILE_NAME,
    PROTO,
    field_name,
    render,
    struct_field_name,
)
from mckm.impl.codec.policy_params import sp_param_list
from mckm.impl.errors import DecodeError
from mckm.impl.transport.sdp_mikey import sdp_with_mikey, sip_invite
from mckm.models.grammar.dsl import StructSpec
from mckm.models.grammar.inner_chains import BY_FIELD
from mckm.models.grammar.messages import RULES
from mckm.models.grammar.registry import BY_NAME
from mckm.models.grammar.rfc3830 import SP_PARAM
from tests.codec.samples import build
from tests.conftest import require_tool

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[2]
VENDOR_FILES = (ROOT / "tests" / "data" / "vendor_vectors.json",
                ROOT / "impl" / "vectors" / "data" / "mikey-sakke-vendor.json")
ETH_IP_UDP = 14 + 20 + 8  # octets before the UDP payload in our frames
FIRST_PAYLOAD = f"{PROTO}.first_payload"


# -- the messages -------------------------------------------------------------------------

def _samples() -> list[tuple[str, bytes]]:
    out = []
    for rule in RULES:
        out.append((f"sample {rule.name}", encode(build(rule))))
        out.append((f"sample {rule.name} minimal", encode(build(rule, optional=False))))
        if "cs_id_map_type" not in rule.hdr:
            for map_type in (1, 2):
                out.append((f"sample {rule.name} map {map_type}",
                            encode(build(rule, map_type=map_type))))
    return out


def _vendor() -> list[tuple[str, bytes]]:
    out: dict[bytes, str] = {}
    for path in VENDOR_FILES:
        data = json.loads(path.read_text())
        for v in data.get("i_messages_published", []):
            out.setdefault(bytes.fromhex(v["i_message_hex"]), f"vendor {v['title']}")
        for v in data.get("vectors", []):
            if "i_message" in v:
                out.setdefault(bytes.fromhex(v["i_message"]), f"vendor {v['source'][-40:]}")
    return [(title, raw) for raw, title in out.items()]


def _ticket_roles() -> list[tuple[str, bytes]]:
    from mckm.impl.roles.ticket.endpoints import Forward
    from tests.e2e.ticket_fixtures import BOB, KMS_A, KMS_B, NOW, link, world

    out = []
    for bob_kms, label in ((KMS_A, "one KMS"), (KMS_B, "two KMSs")):
        w = world(bob_kms=bob_kms)
        ri = w.alice.request_ticket(BOB, now=NOW)
        rr = w.kms[KMS_A].receive_request(ri, now=NOW)
        ti = w.alice.receive_request_resp(rr, now=NOW)
        resolve = w.bob.receive_transfer_init(ti, now=NOW).octets
        sent = [("REQUEST_INIT", ri), ("REQUEST_RESP", rr), ("TRANSFER_INIT", ti),
                ("RESOLVE_INIT Ua", resolve)]
        answer = w.kms[bob_kms].receive_resolve(resolve, now=NOW)
        if isinstance(answer, Forward):
            zk = w.kms[KMS_A].receive_zk_resolve(answer.octets, link(bob_kms, KMS_A), now=NOW)
            sent += [("RESOLVE_INIT Zk", answer.octets), ("RESOLVE_RESP Zk", zk)]
            answer = w.kms[bob_kms].complete(answer, zk, link(KMS_A, bob_kms), now=NOW)
        assert isinstance(answer, bytes)
        tr, _ = w.bob.receive_resolve_resp(answer, now=NOW)
        sent += [("RESOLVE_RESP Ua", answer), ("TRANSFER_RESP", tr)]
        out += [(f"ticket roles, {label}: {name}", raw) for name, raw in sent]
    return out


def _seal() -> list[tuple[str, bytes]]:
    """I_MESSAGEs the SEAL initiator writes (``mckm vectors`` kind mikey-sakke-process: real
    ECCSI and SAKKE; seed 1 carries the identities as URIs, seed 2 as UIDs)."""
    import random

    from mckm.impl.vectors.kinds_mikey_sakke import MIKEY_SAKKE_PROCESS

    out = []
    for seed in (1, 2):
        values = MIKEY_SAKKE_PROCESS.make(random.Random(seed))
        out.append((f"SEAL initiator I_MESSAGE (seed {seed})", bytes(values["i_message"])))
    return out


P = Payload


def _hdr(data_type: int, map_type: int, entries: list[dict[str, Any]] | None,
         **extra: Any) -> Payload:
    fields = {"version": 1, "data_type": data_type, "v": 1, "prf_func": 0,
              "csb_id": 0x9ABCDEF1, "n_cs": len(entries or []), "cs_id_map_type": map_type,
              "cs_id_map_info": entries}
    fields.update(extra)
    return P("HDR", fields)


def _held_out() -> list[tuple[str, bytes]]:
    """Hand-built messages (RFC 6043 and RFC 3830) with values no sample uses."""
    generic = [
        {"cs_id": 7, "prot_type": 0, "s": 0, "ps": [3, 4, 5],
         "session_data": bytes.fromhex("0badf00d"), "spi": b""},
        {"cs_id": 9, "prot_type": 0, "s": 1, "ps": [6],
         "session_data": bytes.fromhex("feedface00000007beef"), "spi": bytes(range(9))},
    ]
    policy = {"ticket_type": 2, "subtype": 7, "version": 3, "prf_func": 0, "d": 0,
              "e": 0, "f": 1, "g": 1, "h": 0, "i": 1, "j": 0, "k": 1, "l": 1, "m": 1,
              "n": 0, "o": 0, "res": 0,
              "tp_data": encode_chain([
                  P("IDR", {"id_role": 3, "id_type": 2, "id_data": b"\x00kms\xff"}),
                  P("TR", {"ts_role": 4, "ts_type": 3, "ts_value": 86_400})])}
    ticket = {**policy, "ticket_data": bytes(range(255, 155, -1)),
              "initiator_data": encode_chain([P("V", {"auth_alg": 1, "ver_data": b"i" * 20}),
                                              P("V", {"auth_alg": 2, "ver_data": b"r" * 32})])}
    key_data = encode_key_data([
        P("KEY_DATA", {"key_type": 4, "kv": 0, "key_data": bytes(range(100, 132)),
                       "salt": None, "kv_data": None}),
        P("KEY_DATA", {"key_type": 5, "kv": 1, "key_data": bytes(16),
                       "salt": {"salt_data": b"\x5a" * 12}, "kv_data": {"spi": b""}})])
    transfer_init = Message(_hdr(14, 2, generic), [
        P("T", {"ts_type": 2, "ts_value": 0x01020304}),
        P("RANDR", {"rand_role": 1, "rand": bytes(range(23))}),
        P("IDR", {"id_role": 5, "id_type": 2, "id_data": b"app-\x01"}),
        P("IDR", {"id_role": 2, "id_type": 0, "id_data": b"bob@realm.example"}),
        P("SP", {"policy_no": 3, "prot_type": 0,
                 "policy_params": bytes.fromhex("050101060400000010") + bytes([11, 1, 10,
                                                                             12, 0])}),
        P("TICKET", ticket),
        P("KEMAC", {"encr_alg": 2, "encr_data": bytes(range(40)), "mac_alg": 2,
                    "mac": bytes(range(32, 64))}),
        P("GENERAL_EXT", {"type": 0, "data": b"vendor \xe2\x82\xac"}),
        P("V", {"auth_alg": 2, "ver_data": bytes(range(1, 33))}),
    ])
    resolve_pk = Message(_hdr(17, 1, None), [
        P("T", {"ts_type": 1, "ts_value": 0xE1E2E3E4F5F6F7F8}),
        P("RANDR", {"rand_role": 2, "rand": b"\x99" * 16}),
        P("IDR", {"id_role": 2, "id_type": 1, "id_data": b"sip:held-out@example.net"}),
        P("CERT", {"cert_type": 3, "certificate": bytes(range(256)) + bytes(44)}),
        P("IDR", {"id_role": 3, "id_type": 1, "id_data": b"kms.held-out.example"}),
        P("TICKET", {**ticket, "ticket_type": 0xF001, "initiator_data": b""}),
        P("CHASH", {"hash_func": 1, "hash": bytes(range(16))}),
        P("PKE", {"c": 2, "data": bytes(range(200))}),
        P("SIGN", {"s_type": 1, "signature": bytes(range(256))}),
    ])
    request_resp = Message(_hdr(13, 0, [{"policy_no": 5, "ssrc": 1, "roc": 0xFFFFFFFF},
                                        {"policy_no": 6, "ssrc": 2, "roc": 3}]), [
        P("T", {"ts_type": 3, "ts_value": 0xFFFFFFFE}),
        P("IDR", {"id_role": 3, "id_type": 0, "id_data": b"kms@realm"}),
        P("TICKET", ticket),
        P("KEMAC", {"encr_alg": 0, "encr_data": key_data, "mac_alg": 0, "mac": b""}),
        P("V", {"auth_alg": 0, "ver_data": b""}),
    ])
    error = Message(_hdr(6, 1, None), [
        P("T", {"ts_type": 0, "ts_value": 1}),
        P("ERR", {"error_no": 14, "reserved": 0}),
        P("ERR", {"error_no": 15, "reserved": 0}),
        P("V", {"auth_alg": 1, "ver_data": b"\xee" * 20}),
    ])
    to_self = encode_chain([P("SAKKE", {"sakke_params": 1, "id_scheme": 2,
                                         "sakke_data": b"\x04" + bytes(range(200, 256)) * 4
                                         + bytes(48)})])[1:]
    sakke_to_self = Message(_hdr(26, 2, generic[1:]), [
        P("T", {"ts_type": 0, "ts_value": 0xEC898DA912345678}),
        P("RAND", {"rand": bytes(range(64, 80))}),
        P("IDR", {"id_role": 8, "id_type": 2, "id_data": bytes(range(32))}),
        P("IDR", {"id_role": 9, "id_type": 2, "id_data": bytes(range(32, 64))}),
        P("IDR", {"id_role": 6, "id_type": 1, "id_data": b"kms.i.example"}),
        P("IDR", {"id_role": 7, "id_type": 1, "id_data": b"kms.r.example"}),
        P("SAKKE", {"sakke_params": 1, "id_scheme": 2, "sakke_data": b"\x04" + bytes(272)}),
        P("GENERAL_EXT", {"type": 6, "data": to_self}),
        P("SIGN", {"s_type": 2, "signature": bytes(range(129))}),
    ])
    dh_init = Message(_hdr(4, 1, None), [
        P("T", {"ts_type": 0, "ts_value": 0x0102030405060708}),
        P("RAND", {"rand": b"\x01" * 32}),
        P("ID", {"id_type": 0, "id_data": b"alice@realm"}),
        P("DH", {"dh_group": 0, "dh_value": bytes(range(192)), "reserved": 0, "kv": 2,
                 "kv_data": {"valid_from": b"\x00\x01", "valid_to": b"\x7f\xff\xff"}}),
        P("SIGN", {"s_type": 0, "signature": b"\x42" * 128}),
    ])
    return [("held-out TRANSFER_INIT (3GPP ticket, GENERIC-ID x2)", encode(transfer_init)),
            ("held-out RESOLVE_INIT_PK (CERT, CHASH MD5, PKE, RSA-PSS)", encode(resolve_pk)),
            ("held-out REQUEST_RESP (SRTP-ID x2, NULL KEMAC)", encode(request_resp)),
            ("held-out Error (RFC 6043 errors)", encode(error)),
            ("held-out SAKKE I_MESSAGE with SAKKE-to-self (TS 33.180 E.5)",
             encode(sakke_to_self)),
            ("held-out D-H init (KV interval)", encode(dh_init))]


def _messages() -> list[tuple[str, bytes]]:
    """All of the above, and the Kaitai judge's held-out corpus (tests/export/corpus.py),
    each message once."""
    from tests.export.corpus import held_out

    seen: dict[bytes, str] = {}
    for title, raw in (*_samples(), *_vendor(), *_ticket_roles(), *_seal(), *_held_out(),
                       *held_out()):
        seen.setdefault(raw, title)
    return [(title, raw) for raw, title in seen.items()]


def inner_chain_problem(raw: bytes) -> str | None:
    """``PAYLOAD.field`` of the first octet field declared in models/grammar/inner_chains.py
    whose payloads mckm's decoder (chains.py) refuses, or None."""
    for payload in decode(raw).payloads:
        for (name, field), chain in BY_FIELD.items():
            if payload.name != name or not chain.holds_payloads(payload.fields):
                continue
            try:
                decode_inner(chain, payload.fields[field])
            except DecodeError:
                return f"{name}.{field}"
    return None


#: every message, and apart those whose inner chain mckm's decoder refuses (then tshark must
#: refuse it too, naming the same field).
EVERY = _messages()
MESSAGES = [(t, raw) for t, raw in EVERY if inner_chain_problem(raw) is None]
BAD_INNER = [(t, raw) for t, raw in EVERY if inner_chain_problem(raw) is not None]


# -- pcaps and tshark ---------------------------------------------------------------------

def _pcap(datagrams: list[tuple[int, bytes]]) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # libpcap, Ethernet
    for i, (port, d) in enumerate(datagrams):
        udp = struct.pack(">HHHH", port, port, 8 + len(d), 0) + d
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) + udp
        frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip
        out.append(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)
    return b"".join(out)


def _invite(raw: bytes) -> bytes:
    sdp = sdp_with_mikey(raw, user="-", address="192.0.2.1", port=49_170,
                         session_id=secrets.randbits(32))
    return sip_invite(from_uri="sip:alice@a.example", to_uri="sip:bob@b.example",
                      call_id=secrets.token_hex(12), via="192.0.2.1", sdp=sdp).encode()


@pytest.fixture(scope="module")
def dissector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = render()
    folder = tmp_path_factory.mktemp("lua")
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder / FILE_NAME


def run_tshark(lua: Path, pcap: Path) -> list[ET.Element]:
    tshark = require_tool("tshark")
    result = subprocess.run([tshark, "-X", f"lua_script:{lua}", "-r", str(pcap), "-T", "pdml"],
                            capture_output=True, check=True, timeout=300)
    assert b"Lua: Error" not in result.stderr, result.stderr.decode(errors="replace")
    return ET.fromstring(result.stdout).findall("packet")


@pytest.fixture(scope="module")
def packets(dissector: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, list[ET.Element]]:
    require_tool("tshark")
    folder = tmp_path_factory.mktemp("pcap")
    out = {}
    for carrier, datagrams in (("udp", [(2269, raw) for _, raw in MESSAGES]),
                               ("sdp", [(5060, _invite(raw)) for _, raw in MESSAGES])):
        path = folder / f"{carrier}.pcap"
        path.write_bytes(_pcap(datagrams))
        out[carrier] = run_tshark(dissector, path)
        assert len(out[carrier]) == len(MESSAGES)
    return out


# -- the comparison -----------------------------------------------------------------------

def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [f for f in element.findall("field") if f.get("name") == name]


def _one(element: ET.Element, name: str) -> ET.Element:
    found = _children(element, name)
    assert len(found) == 1, f"tshark shows {len(found)} {name} under {element.get('name')}"
    return found[0]


def _int(field: ET.Element) -> int:
    return int(field.get("show") or "", 0)


def _octets(field: ET.Element) -> bytes:
    return bytes.fromhex(field.get("value") or "")


class Judge:
    """Compares one decoded structure with tshark's subtree, counting the fields checked."""

    def __init__(self) -> None:
        self.fields = 0

    def struct(self, spec: StructSpec, fields: dict[str, Any], element: ET.Element) -> None:
        assert element.get("name") == struct_field_name(spec)
        for info in spec.infos:
            if not info.in_object:
                continue
            value = fields[info.name]
            name = field_name(spec, info.name)
            where = f"{spec.name}.{info.name}"
            if info.kind == "uint":
                assert _int(_one(element, name)) == value, where
            elif info.kind == "bytes":
                shown = _one(element, name)
                assert _octets(shown) == value, where
                if info.sub is not None:
                    self.sequence(info.sub, value, shown)
                else:
                    self.inner(spec, info.name, fields, shown)
            elif info.kind == "list":
                assert [_int(x) for x in _children(element, name)] == list(value), where
            elif info.kind == "optional":
                assert info.sub is not None
                found = _children(element, struct_field_name(info.sub))
                assert len(found) == (0 if value is None else 1), where
                if value is not None:
                    self.struct(info.sub, value, found[0])
            else:
                assert info.cases is not None and info.key is not None
                case = info.cases[fields[info.key]]
                if case is None:
                    assert value is None
                    continue
                found = _children(element, struct_field_name(case))
                items = value if info.count_field is not None else [value]
                assert len(found) == len(items), where
                for item, shown in zip(items, found, strict=True):
                    self.struct(case, item, shown)
            self.fields += 1

    def inner(self, spec: StructSpec, name: str, fields: dict[str, Any],
              element: ET.Element) -> None:
        """An octet field that holds payloads (models/grammar/inner_chains.py) against
        chains.py."""
        declared = BY_FIELD.get((spec.name, name))
        octets = fields[name]
        structs = [f for f in element.findall("field") if f.get("name") != FIRST_PAYLOAD]
        if declared is None or not declared.holds_payloads(fields):
            assert not structs, f"{spec.name}.{name}: tshark reads a chain in it"
            return
        ours = decode_inner(declared, octets)
        if declared.kind == "payloads":
            assert _int(_one(element, FIRST_PAYLOAD)) == octets[0]
        assert [f.get("name") for f in structs] == \
            [struct_field_name(BY_NAME[p.name].spec) for p in ours]
        for payload, shown in zip(ours, structs, strict=True):
            self.struct(BY_NAME[payload.name].spec, payload.fields, shown)

    def sequence(self, spec: StructSpec, octets: bytes, element: ET.Element) -> None:
        """A field whose octets are a sequence of ``spec`` (the SP policy params)."""
        assert spec is SP_PARAM, f"no decode to compare {spec.name} with"
        ours = sp_param_list(octets)
        found = _children(element, struct_field_name(spec))
        assert len(found) == len(ours)
        for item, shown in zip(ours, found, strict=True):
            self.struct(spec, item, shown)

    def message(self, raw: bytes, packet: ET.Element, base: int) -> None:
        message = decode(raw)
        (proto,) = [p for p in packet.iter("proto") if p.get("name") == "mckm_mikey"]
        assert int(proto.get("size") or -1) == len(raw)
        shown = proto.findall("field")
        ours = [message.hdr, *message.payloads]
        assert [s.get("name") for s in shown] == \
            [struct_field_name(BY_NAME[p.name].spec) for p in ours]
        for span, element in zip(message.layout, shown, strict=True):
            assert (int(element.get("pos") or -1) - base, int(element.get("size") or -1)) == \
                (span.offset, span.length), span.payload
        for payload, element in zip(ours, shown, strict=True):
            self.struct(BY_NAME[payload.name].spec, payload.fields, element)


def _expert(packet: ET.Element) -> Iterator[tuple[str, str]]:
    """(field name, severity) of every mark tshark puts on a packet."""
    for f in packet.iter("field"):
        name = f.get("name") or ""
        if name.startswith("_ws.malformed") or (name.startswith("_ws.lua")
                                                 and name != "_ws.lua.fake"):  # hidden marker
            yield name, "error"
        elif name == "_ws.expert":
            severity = next((x.get("showname") or "" for x in f.iter("field")
                             if x.get("name") == "_ws.expert.severity"), "")
            yield f"{name}: {f.get('showname')}", severity.split(": ")[-1].lower()
        elif name == "mckm_mikey.malformed":
            yield name, "error"


@pytest.mark.parametrize("index", range(len(MESSAGES)), ids=[t for t, _ in MESSAGES])
def test_tshark_shows_every_field_over_udp(packets: dict[str, list[ET.Element]],
                                           index: int) -> None:
    title, raw = MESSAGES[index]
    packet = packets["udp"][index]
    marks = list(_expert(packet))
    assert not marks, f"tshark marks {title}: {marks}"
    judge = Judge()
    judge.message(raw, packet, ETH_IP_UDP)
    assert judge.fields > 0


@pytest.mark.parametrize("index", range(len(MESSAGES)), ids=[t for t, _ in MESSAGES])
def test_tshark_shows_every_field_in_sdp_key_mgmt(packets: dict[str, list[ET.Element]],
                                                  index: int) -> None:
    title, raw = MESSAGES[index]
    packet = packets["sdp"][index]
    marks = [(n, s) for n, s in _expert(packet) if s not in ("chat", "note", "comment")]
    assert not marks, f"tshark marks the INVITE carrying {title}: {marks}"
    protos = [p.get("name") for p in packet.iter("proto")]
    assert {"sip", "sdp", "mckm_mikey"} <= set(protos) and "mikey" not in protos, protos
    (kmpid,) = [f for f in packet.iter("field") if f.get("name") == "sdp.key_mgmt.kmpid"]
    assert kmpid.get("show") == "mikey"
    judge = Judge()
    judge.message(raw, packet, 0)  # the base64-decoded data is its own data source


def test_every_data_type_and_payload_is_judged() -> None:
    decoded = [decode(raw) for _, raw in MESSAGES]
    assert {r.data_type for r in RULES} <= {m.data_type for m in decoded}
    met = {p.name for m in decoded for p in m.payloads}
    assert met == {s.payload for r in RULES for s in r.slots}


def test_an_inner_chain_mckm_refuses_is_refused_by_the_dissector(dissector: Path,
                                                               tmp_path: Path) -> None:
    """Where chains.py refuses a TP Data / Initiator Data / Key data chain, tshark marks the
    message Malformed at that field (and at nothing else)."""
    from tests.export.corpus import bad_inner

    bad_tp = build(next(r for r in RULES if r.name == "TRANSFER_INIT"))
    ticket = bad_tp.get("TICKET")
    assert ticket is not None
    ticket.fields["tp_data"] = bytes([14, 3, 1, 0])  # First Payload IDR, the IDR cut short
    cases = [*BAD_INNER, ("TP Data cut short", encode(bad_tp)), *bad_inner()]
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, raw) for _, raw in cases]))
    for (title, raw), packet in zip(cases, run_tshark(dissector, tmp_path / "x.pcap"),
                                    strict=True):
        marks = [n for n, s in _expert(packet) if n.startswith("_ws.expert")]
        where = inner_chain_problem(raw)
        assert len(marks) == 1 and f"{where} (" in marks[0], (title, marks)


def test_display_filters_select_what_mckm_decodes(dissector: Path, tmp_path: Path) -> None:
    """The fields are real Wireshark fields: ``-Y`` on one of them (a TR inside TP Data, an
    RFC 6043 payload Wireshark's own dissector lacks) selects exactly the messages whose mckm
    decode has it."""
    tshark = require_tool("tshark")
    pcap = tmp_path / "x.pcap"
    pcap.write_bytes(_pcap([(2269, raw) for _, raw in MESSAGES]))
    result = subprocess.run([tshark, "-X", f"lua_script:{dissector}", "-r", str(pcap),
                             "-Y", f"{field_name(BY_NAME['TR'].spec, 'ts_role')} == 4",
                             "-T", "fields", "-e", "frame.number"],
                            capture_output=True, text=True, check=True, timeout=120)
    shown = [int(n) - 1 for n in result.stdout.split()]
    ours = [i for i, (_, raw) in enumerate(MESSAGES)
            if any(p.name == "TR" and p.fields["ts_role"] == 4
                   for q in decode(raw).payloads if q.name in ("TP", "TICKET")
                   for p in decode_chain(q.fields["tp_data"]))]
    assert shown == ours and ours


def test_sakke_to_self_inner_next_payload_is_ignored(dissector: Path, tmp_path: Path) -> None:
    """TS 33.180 E.5: the Next Payload of the SAKKE inside a SAKKE-to-self extension "shall be
    set to zero and ignored": with 5 there, mckm reads the SAKKE and so does the dissector,
    with no mark; a SAKKE cut short is still Malformed."""
    from tests.export.corpus import held_out

    raw = next(r for t, r in held_out() if t.startswith("held-out SAKKE-to-self"))
    message = decode(raw)
    ext = next(p for p in message.payloads if p.name == "GENERAL_EXT" and p.fields["type"] == 6)
    data = bytearray(ext.fields["data"])
    data[0] = 5
    ext.fields["data"] = bytes(data)
    ignored = encode(message)
    ext.fields["data"] = bytes(data[:-1])
    cut = encode(message)
    (tmp_path / "x.pcap").write_bytes(_pcap([(2269, ignored), (2269, cut)]))
    shown, bad = run_tshark(dissector, tmp_path / "x.pcap")
    assert not list(_expert(shown))
    judge = Judge()
    judge.message(ignored, shown, ETH_IP_UDP)
    sakke = struct_field_name(BY_NAME["SAKKE"].spec)
    assert sum(f.get("name") == sakke for f in shown.iter("field")) == 2
    assert [n for n, _ in _expert(bad) if n.startswith("_ws.expert")]
