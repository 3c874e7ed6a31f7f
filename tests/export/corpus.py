"""The messages the exported parsers are judged on.

* ``samples``: one message of every modelled data type (with and without optional payloads),
  as the round-trip and tshark tests use them (``tests/codec/samples.py``);
* ``vendor``: every vendor-published I_MESSAGE the project holds (``tests/data/vendor_vectors
  .json`` and the ``mckm vectors`` file ``mikey-sakke-vendor.json``), octets we did not write;
* ``ticket_roles``: MIKEY-TICKET messages as mckm's ticket roles build them from their model
  specs (a sealed MIKEY Base Ticket, AES-CM-256 and HMAC-SHA-256, a V over the message);
* ``held_out``: RFC 6043 messages built here with mckm's encoder, each carrying a grammar value
  that no sample uses (every name-space value of the RFC 6043 payloads and of the GENERIC-ID
  map that the samples leave out, plus layouts the samples do not have).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mckm.impl.codec import Message, Payload, decode, encode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.errors import MckmError
from mckm.models.grammar import registry, rfc6043
from mckm.models.grammar.dsl import StructSpec
from tests.codec.samples import sample_messages

ROOT = Path(__file__).resolve().parents[2]
VENDOR_FILES = (ROOT / "tests" / "data" / "vendor_vectors.json",
                ROOT / "impl" / "vectors" / "data" / "mikey-sakke-vendor.json")
RFC6043_TYPES = tuple(range(11, 19))
RFC6043_PAYLOADS = tuple(p.name for p in rfc6043.PAYLOADS)


def samples() -> list[tuple[str, bytes]]:
    out = [(f"sample type {dt} ({m.data_type_name})", encode(m))
           for dt, m in sample_messages().items()]
    out += [(f"sample type {dt} minimal", encode(m))
            for dt, m in sample_messages(optional=False).items()]
    return out


def vendor() -> list[tuple[str, bytes]]:
    """Every vendor I_MESSAGE, each once (the two files share some)."""
    seen: dict[bytes, str] = {}
    for path in VENDOR_FILES:
        data = json.loads(path.read_text())
        for item in data.get("i_messages_published", []):
            seen.setdefault(bytes.fromhex(item["i_message_hex"]), f"vendor {item['title']}")
        for item in data.get("vectors", []):
            if "i_message" in item:
                label = item.get("name") or item.get("id") or item["source"].split(")")[0]
                seen.setdefault(bytes.fromhex(item["i_message"]), f"vendor {label}")
    return [(title, raw) for raw, title in seen.items()]


def ticket_roles() -> list[tuple[str, bytes]]:
    from tests.ticket.test_messages import request_init, resolve_init

    views = (request_init(), resolve_init(), resolve_init(None))
    return [(f"ticket role {v.name}", v.raw) for v in views]


def _used_values() -> set[tuple[str, str, int]]:
    """(structure, field, value) of every enumerated field in the samples."""
    used: set[tuple[str, str, int]] = set()
    for m in (*sample_messages().values(), *sample_messages(optional=False).values()):
        for p in (m.hdr, *m.payloads):
            _collect(registry.BY_NAME[p.name].spec, p.fields, used)
    return used


def _collect(spec: StructSpec, fields: dict[str, Any], used: set[tuple[str, str, int]]) -> None:
    for info in spec.infos:
        value = fields.get(info.name)
        if info.namespace is not None and isinstance(value, int):
            used.add((spec.name, info.name, value))
        if info.cases is not None and info.key is not None and value is not None:
            case = info.cases.get(fields[info.key])
            if case is not None:
                for v in value if isinstance(value, list) else [value]:
                    _collect(case, v, used)


def _ticket_message() -> Message:
    """A sample REQUEST_RESP (TR? IDR, TICKET, KEMAC): RFC 6043 payloads to vary."""
    return copy.deepcopy(sample_messages()[13])


def _variants() -> Iterator[tuple[str, Message]]:
    """Messages that each set one enumerated field of an RFC 6043 payload (or of the GENERIC-ID
    map) to a value the samples do not use."""
    used = _used_values()
    base_by_payload = {name: m for dt, m in sorted(sample_messages().items(), reverse=True)
                       for name in RFC6043_PAYLOADS
                       if dt in RFC6043_TYPES and m.get(name) is not None}
    for name in base_by_payload:  # TR stands only inside TP data: see test_ksy_payloads
        spec = registry.BY_NAME[name].spec
        for info in spec.infos:
            if info.namespace is None or info.derived:
                continue
            for v in info.namespace.values:
                if (spec.name, info.name, v.value) in used:
                    continue
                message = copy.deepcopy(base_by_payload[name])
                payload = message.get(name)
                assert payload is not None
                payload.fields[info.name] = v.value
                if info.name == "ts_type":  # the value's width follows the type (RFC 6043 6.3)
                    payload.fields["ts_value"] &= (1 << (v.size or 64)) - 1
                yield f"held-out {name}.{info.name} = {v.value} ({v.name})", message
    entry = registry.BY_NAME["HDR"].spec.infos
    generic = next(i for i in entry if i.name == "cs_id_map_info").cases
    assert generic is not None and generic[2] is not None
    for info in generic[2].infos:
        if info.namespace is None:
            continue
        for v in info.namespace.values:
            if (generic[2].name, info.name, v.value) not in used:
                message = _ticket_message()
                message.hdr.fields.update(cs_id_map_type=2, n_cs=1, cs_id_map_info=[
                    {"cs_id": 7, "prot_type": v.value, "s": 0, "ps": [1],
                     "session_data": b"", "spi": b""}])
                yield f"held-out GENERIC-ID {info.name} = {v.value}", message


def _layouts() -> Iterator[tuple[str, Message]]:
    """Layouts no sample has: a GENERIC-ID map of three sessions with several policies and no
    ROC/SEQ, a 3GPP ticket with every flag set and key forking, NTP-UTC-32 and COUNTER
    timestamps with roles TRs/TRr, a RANDRkms, IDRs by byte string and UID roles, a
    SAKKE-to-self extension holding a SAKKE payload."""
    m = _ticket_message()
    m.hdr.fields.update(cs_id_map_type=2, n_cs=3, csb_id=0xF0000001, prf_func=0, cs_id_map_info=[
        {"cs_id": i, "prot_type": 0, "s": i % 2, "ps": list(range(i + 1)),
         "session_data": bytes(range(4 + 6 * (i % 2))), "spi": bytes([i]) * i}
        for i in range(3)])
    yield "held-out GENERIC-ID map, 3 sessions", m

    m = _ticket_message()
    ticket = m.get("TICKET")
    assert ticket is not None
    flags = {k: 1 for k in "efghijklmno"}
    tp_data = encode_chain([
        Payload("IDR", {"id_role": 3, "id_type": 2, "id_data": bytes(range(7))}),
        Payload("IDR", {"id_role": 8, "id_type": 2, "id_data": bytes(range(32))}),
        Payload("TR", {"ts_role": 2, "ts_type": 3, "ts_value": 0xEC898DA8}),
        Payload("TR", {"ts_role": 4, "ts_type": 2, "ts_value": 3600}),
        Payload("RANDR", {"rand_role": 3, "rand": bytes(range(32))}),
    ])
    ticket.fields.update(ticket_type=2, subtype=2, version=3, prf_func=0x55, d=0, **flags,
                         tp_data=tp_data, ticket_data=bytes(range(100, 200)),
                         initiator_data=initiator_data())
    yield "held-out 3GPP ticket, all flags, key forking", m

    m = copy.deepcopy(sample_messages()[26])
    sakke = m.get("SAKKE")
    assert sakke is not None
    to_self = encode_chain([Payload("SAKKE", {**sakke.fields, "id_scheme": 2})])[1:]
    m.payloads.insert(m.payloads.index(sakke) + 1,
                      Payload("GENERAL_EXT", {"type": 6, "data": to_self}))
    yield "held-out SAKKE-to-self extension (TS 33.180 E.5)", m

    m = _ticket_message()
    t = m.get("T")
    if t is not None:
        t.fields.update(ts_type=2, ts_value=0xFFFFFFFF)
    for p in m.payloads:
        if p.name == "IDR":
            p.fields.update(id_type=2, id_data=bytes(range(32)))
    yield "held-out COUNTER timestamp, byte-string IDR", m


def initiator_data() -> bytes:
    """Initiator Data as key forking carries it: First Payload, Vi, Vr (RFC 6043 6.10), both V
    with HMAC-SHA-256-256 (RFC 6043 6.2); the MACs are stand-ins, the layout is real."""
    return encode_chain([Payload("V", {"auth_alg": 2, "ver_data": bytes(range(32))}),
                         Payload("V", {"auth_alg": 2, "ver_data": bytes(range(32, 64))})])


def bad_inner() -> list[tuple[str, bytes]]:
    """Messages mckm's top-level decode reads but whose inner payloads it refuses (chains.py):
    an Initiator Data whose V has MAC alg NULL, then 20 stray octets; a TP Data whose IDR is
    cut short; a NULL-encrypted KEMAC whose Key data is followed by a T.  Each judge must
    refuse them as mckm does."""
    out = []
    m = _ticket_message()
    ticket = m.get("TICKET")
    assert ticket is not None
    ticket.fields.update(i=1, initiator_data=bytes.fromhex("09" + "00" * 20))
    out.append(("bad Initiator Data (V, 18 stray octets)", encode(m)))
    m = _ticket_message()
    ticket = m.get("TICKET")
    assert ticket is not None
    ticket.fields["tp_data"] = bytes([14, 3, 1, 0])  # First Payload IDR, the IDR cut short
    out.append(("bad TP Data (IDR cut short)", encode(m)))
    m = _ticket_message()
    kemac = m.get("KEMAC")
    assert kemac is not None
    key = bytes([5, 0x20]) + len(b"k" * 16).to_bytes(2, "big") + b"k" * 16  # Next Payload 5
    kemac.fields.update(encr_alg=0, encr_data=key, mac_alg=0, mac=b"")
    out.append(("bad Key data (followed by type 5)", encode(m)))
    return out


def held_out() -> list[tuple[str, bytes]]:
    """The held-out messages mckm's encoder builds and its decoder reads back (a variant the
    presence rules refuse, e.g. a role the data type requires, is left out)."""
    out = []
    for title, message in (*_variants(), *_layouts()):
        try:
            raw = encode(message)
            decode(raw)
        except MckmError:
            continue
        out.append((title, raw))
    return out
