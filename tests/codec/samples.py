"""One valid message of every modelled data type, built from the presence rules.

Used by the round-trip tests, the tshark judge and the fuzz target's seeds.  The payload values
are ordinary (NULL encryption, fixed octets); what varies per data type comes from
``models/grammar/messages.py``: the payloads each rule requires, then its optional ones.
"""

from __future__ import annotations

from mckm.impl.codec.chains import encode_chain, encode_key_data
from mckm.impl.codec.model import Message, Payload
from mckm.models.grammar.messages import RULES, MessageRule

P = Payload


def _key_data() -> bytes:
    return encode_key_data([
        P("KEY_DATA", {"key_type": 3, "kv": 1, "key_data": bytes(range(16)),
                       "salt": {"salt_data": bytes(range(14))},
                       "kv_data": {"spi": b"\x12\x34\x56\x78"}}),
        P("KEY_DATA", {"key_type": 6, "kv": 2, "key_data": bytes(16), "salt": None,
                       "kv_data": {"valid_from": b"\x00\x00", "valid_to": b"\xff\xff"}}),
    ])


def _policy(with_ticket: bool) -> dict[str, object]:
    idr = P("IDR", {"id_role": 3, "id_type": 1, "id_data": b"kms.example.org"})
    tr = P("TR", {"ts_role": 3, "ts_type": 3, "ts_value": 0xEC898DA8})
    fields: dict[str, object] = {
        "ticket_type": 1, "subtype": 1, "version": 1, "prf_func": 1, "d": 1,
        "e": 1, "f": 1, "g": 0, "h": 1, "i": 0, "j": 1, "k": 0, "l": 0, "m": 0, "n": 1, "o": 1,
        "res": 0, "tp_data": encode_chain([idr, tr])}
    if with_ticket:
        fields["ticket_data"] = bytes(range(40))
        fields["initiator_data"] = b""
    return fields


def sample_payload(name: str, *, role: int = 1) -> Payload:
    values: dict[str, dict[str, object]] = {
        "T": {"ts_type": 0, "ts_value": 0xEC898DA800000000},
        "RAND": {"rand": bytes(range(16, 32))},
        "ID": {"id_type": 1, "id_data": b"sip:alice@example.org"},
        "IDR": {"id_role": role, "id_type": 1, "id_data": b"sip:alice@example.org"},
        "CERT": {"cert_type": 0, "certificate": b"\x30\x03\x02\x01\x01"},
        "CHASH": {"hash_func": 2, "hash": bytes(range(32))},
        "KEMAC": {"encr_alg": 0, "encr_data": _key_data(), "mac_alg": 1, "mac": bytes(20)},
        "PKE": {"c": 1, "data": bytes(range(64))},
        "DH": {"dh_group": 1, "dh_value": bytes(range(96)), "reserved": 0, "kv": 0,
               "kv_data": None},
        "SIGN": {"s_type": 2, "signature": bytes(range(129))},
        "V": {"auth_alg": 1, "ver_data": bytes(range(20))},
        "SP": {"policy_no": 0, "prot_type": 0,
               "policy_params": bytes.fromhex("000101010110020101040101")},
        "ERR": {"error_no": 3, "reserved": 0},
        "GENERAL_EXT": {"type": 7, "data": bytes.fromhex("0100000001")},
        "SAKKE": {"sakke_params": 1, "id_scheme": 2, "sakke_data": b"\x04" + bytes(272)},
        "TR": {"ts_role": 1, "ts_type": 0, "ts_value": 0xEC898DA800000000},
        "RANDR": {"rand_role": role, "rand": bytes(range(16))},
        "TP": _policy(False),
        "TICKET": _policy(True),
    }
    return P(name, dict(values[name]))


def hdr(data_type: int, map_type: int = 0) -> Payload:
    maps: dict[int, tuple[int, object]] = {
        0: (1, [{"policy_no": 0, "ssrc": 0xCAFEBABE, "roc": 0}]),
        1: (0, None),
        2: (1, [{"cs_id": 1, "prot_type": 0, "s": 1, "ps": [0],
                 "session_data": bytes.fromhex("cafebabe000000000001"), "spi": b"\x01\x02"}]),
    }
    n_cs, info = maps[map_type]
    return P("HDR", {"version": 1, "data_type": data_type, "v": 0, "prf_func": 1,
                     "csb_id": 0x2DDD5BF0, "n_cs": n_cs, "cs_id_map_type": map_type,
                     "cs_id_map_info": info})


def build(rule: MessageRule, *, optional: bool = True, map_type: int | None = None) -> Message:
    """A message of ``rule``: every required payload, plus one of each optional one."""
    roles = {p: r[0] for p, r in rule.required_roles.items()}
    body: list[Payload] = []
    tail: list[Payload] = []
    exclusive_taken: set[str] = set()
    for slot in rule.slots:
        count = slot.min if slot.min or not optional else 1
        if slot.min == 0 and any(slot.payload in g for g in rule.exclusive):
            group = next(g for g in rule.exclusive if slot.payload in g)
            if exclusive_taken & set(group):
                count = 0
            elif count:
                exclusive_taken.add(slot.payload)
        for _ in range(count):
            p = sample_payload(slot.payload, role=roles.get(slot.payload, 1))
            (tail if slot.payload in ("SIGN", "V") else body).append(p)
    if map_type is None:
        map_type = rule.hdr.get("cs_id_map_type", (0,))[0]
    if rule.last[0] not in ("SIGN", "V") and tail == []:
        body = [p for p in body if p.name != rule.last[0]] + \
               [p for p in body if p.name == rule.last[0]]
        body = [p for p in body if p.name != "GENERAL_EXT"] + \
               [p for p in body if p.name == "GENERAL_EXT"]
    return Message(hdr(rule.data_type, map_type), body + tail)


def sample_messages(*, optional: bool = True) -> dict[int, Message]:
    return {rule.data_type: build(rule, optional=optional) for rule in RULES}
