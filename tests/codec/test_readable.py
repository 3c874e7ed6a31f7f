"""``mckm codec decode``: the readable tree by default, today's JSON with ``--raw``.

The vendor I_MESSAGEs (tests/data/vendor_vectors.json) and one message of every modelled data
type (tests/codec/samples.py) go through the real command; each expected value is worked out
here from the octets and the RFC / TS text, not read back from the renderer.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from mckm.impl.codec import Message, Payload, decode, encode
from mckm.impl.codec.chains import encode_chain
from mckm.impl.codec.cli import codec
from mckm.impl.codec.readable import render
from mckm.impl.codec.strategies import message_strategy
from mckm.models.grammar.messages import RULES, MessageRule
from tests.codec.samples import build, sample_messages, sample_payload

HERE = Path(__file__).parent
VECTORS = json.loads((HERE.parent / "data" / "vendor_vectors.json").read_text())[
    "i_messages_published"]
GOLDEN = HERE / "golden"


def _decode(*args: str) -> str:
    result = CliRunner().invoke(codec, ["decode", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _line(text: str, label: str) -> str:
    """The value printed beside ``label`` (first match)."""
    for ln in text.splitlines():
        if ln.strip().startswith(label + " ") or ln.strip() == label:
            return ln.strip()[len(label):].strip()
    raise AssertionError(f"no line {label!r} in\n{text}")


@pytest.mark.parametrize("index", range(len(VECTORS)))
def test_raw_is_todays_json_byte_for_byte(index: int, tmp_path: Path) -> None:
    """--raw prints what ``mckm codec decode`` printed before the readable form (golden files
    written by that version), and ``codec encode`` reads it back to the same octets."""
    hex_text = VECTORS[index]["i_message_hex"]
    raw = _decode("--raw", hex_text)
    assert raw == (GOLDEN / f"vendor_{index + 1}.json").read_text()
    path = tmp_path / "m.json"
    path.write_text(raw)
    back = CliRunner().invoke(codec, ["encode", str(path)])
    assert back.exit_code == 0 and back.output.strip() == hex_text


def test_readable_gmk_message_shows_text_times_ids_and_split_data() -> None:
    vector = VECTORS[0]
    octets = bytes.fromhex(vector["i_message_hex"])
    out = _decode(vector["i_message_hex"])
    message = decode(octets)
    # the default output is not JSON
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    # CSB-ID in hex with the purpose of its 4 most significant bits (TS 33.180 E.1.2): GMK = 0
    csb = message.hdr.fields["csb_id"]
    assert _line(out, "csb_id").startswith(f"0x{csb:08x}  purpose {csb >> 28} GMK")
    assert _line(out, "cs_id").startswith("0x04")
    # T: NTP-UTC, seconds since 1900 in the upper 32 bits (RFC 5905 6), beside the raw value
    ts = message.get("T").fields["ts_value"]  # type: ignore[union-attr]
    when = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=ts >> 32)
    assert _line(out, "ts_value") == (f"{when:%Y-%m-%dT%H:%M:%S}Z  raw 0x{ts:016x}")
    # KMS URIs as text; the UIDs of IDRuidi/IDRuidr in hex
    assert out.count('"kms.mydev.streamwide.com"') == 2
    uid = next(p.fields["id_data"] for p in message.all("IDR") if p.fields["id_role"] == 8)
    assert uid.hex() in out and "IDRuidi" in out
    # SP policy params by their RFC 3830 6.10.1 type names, value as a number
    assert _line(out, "0 Encryption algorithm") == "6"
    assert _line(out, "1 Session Encr. key length") == "16"
    assert _line(out, "20 AEAD authentication tag length") == "16"  # TS 33.180 Table E.2.2-1
    assert "unassigned" not in out
    # SAKKE data split into R (04 || x || y, 257 octets) and H (16 octets), RFC 6508 4
    sed = message.get("SAKKE").fields["sakke_data"]  # type: ignore[union-attr]
    assert _joined(out, "R") == sed[:257].hex() and sed[0] == 4
    assert _line(out, "H") == sed[257:].hex()
    # ECCSI signature r || s || PVT (RFC 6507 3.3)
    sig = message.get("SIGN").fields["signature"]  # type: ignore[union-attr]
    signed = out[out.index("ECCSI signature"):]
    assert _line(signed, "r") == sig[:32].hex() and _line(signed, "s") == sig[32:64].hex()
    assert _joined(signed, "PVT") == sig[64:].hex()


def _joined(text: str, label: str) -> str:
    """The hex printed beside ``label`` and on its continuation lines."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(label + " "))
    column = len(lines[start]) - len(lines[start].lstrip()) + len(label)
    parts = [lines[start].strip()[len(label):].strip()]
    for ln in lines[start + 1:]:
        if not re.fullmatch(r"\s+[0-9a-f]+", ln) or len(ln) - len(ln.lstrip()) <= column:
            break
        parts.append(ln.strip())
    return "".join(parts)


def test_key_parameters_extension_is_read_as_a_protected_payload() -> None:
    """TS 33.180 E.6.1 / 8.5.4.1: message type, date and time, payload ID, sequence number,
    algorithm, 16-octet IV, DPPK-ID (= CSB-ID), then the Payload IE (IEI, 16-bit length)."""
    vector = VECTORS[0]
    message = decode(bytes.fromhex(vector["i_message_hex"]))
    data = next(p.fields["data"] for p in message.all("GENERAL_EXT") if p.fields["type"] == 7)
    out = _decode(vector["i_message_hex"])
    assert "MCData Protected Payload" in out
    assert data[0] == 0x43 and _line(out, "message_type") == (
        "0x43  protected, not authenticated (TS 33.180 8.5.1)")  # bits 7 and 8 of 0b01000011
    assert _line(out, "iv") == data[12:28].hex()
    dppk = int.from_bytes(data[28:32], "big")
    assert dppk == message.hdr.fields["csb_id"]
    assert _line(out, "dppk_id").startswith(f"0x{dppk:08x}  purpose 0 GMK")
    assert "= the CSB-ID" in out
    seconds = int.from_bytes(data[1:6], "big")
    when = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    assert _line(out, "date_time") == f"{when:%Y-%m-%dT%H:%M:%S}Z  raw {seconds}"
    assert _joined(out, "payload") == data[35:].hex()
    assert int.from_bytes(data[33:35], "big") == len(data) - 35


def test_unprotected_key_parameters_of_the_legacy_vector() -> None:
    """The vendor's "legacy format for IWF" carries Table E.6.1-1 in the clear."""
    out = _decode(VECTORS[3]["i_message_hex"])
    assert "NOT protected as E.6.1 requires" in out
    assert _line(out, "key_type") == "1  PCK (TS 33.180 E.6.11)"
    assert "Key Revocation: not revoked" in out
    assert "Security Gateway: not shared with a Security Gateway" in out
    assert _line(out, "activation_time") == "0: the time of the I_MESSAGE"
    assert _line(out, "expiry_time") == "0: never"


def test_extension_data_that_is_neither_is_shown_in_hex_with_the_reason() -> None:
    message = build(next(r for r in RULES if r.data_type == 26))
    odd = Payload("GENERAL_EXT", {"type": 7, "data": bytes.fromhex("0102")})
    bad_self = Payload("GENERAL_EXT", {"type": 6, "data": bytes.fromhex("00ff")})
    message.payloads[-1:-1] = [odd, bad_self]
    out = render(decode(encode(message)))
    assert "0102\n" in out and "neither an MCData Protected Payload nor Key Parameters" in out
    assert "00ff\n" in out and "(not the payloads of TS 33.180 E.5" in out


@pytest.mark.parametrize("data_type", sorted(sample_messages()))
def test_every_data_type_renders_every_payload(data_type: int) -> None:
    message = decode(encode(sample_messages()[data_type]))
    out = render(message)
    heads = [ln for ln in out.splitlines() if ln and not ln.startswith(" ")]
    assert heads[0].startswith("MIKEY message")
    assert [h.split()[0] for h in heads[1:]] == ["HDR", *(p.name for p in message.payloads)]
    assert "Traceback" not in out


def test_inner_payloads_are_decoded_and_key_octets_are_not_printed() -> None:
    """A NULL-encrypted KEMAC's Key data (RFC 3830 6.13) and TP Data (RFC 6043 6.10) are shown
    as their payloads; the key and salt octets only with --raw."""
    messages = sample_messages().values()
    keyed = encode(next(m for m in messages if m.get("KEMAC") is not None))
    out = _decode(keyed.hex())
    assert out.count("KEY_DATA") == 2
    assert bytes(range(16)).hex() not in out and bytes(range(14)).hex() not in out
    assert "16 octets of key, not shown" in out and "14 octets of key, not shown" in out
    assert bytes(range(16)).hex() in _decode("--raw", keyed.hex())
    policy = _decode(encode(next(m for m in messages if m.get("TP") is not None)).hex())
    inner = policy[policy.index("tp_data"):]
    assert '"kms.example.org"' in inner  # the IDRkms inside TP Data
    assert _line(inner, "ts_role") == "3  TRe"


@pytest.mark.parametrize("ts_type, value, shown", [
    (0, (0xEC898DA8 << 32) | 0x80000000, "2025-10-02T23:47:52.500000Z  raw 0xec898da880000000"),
    (1, 0xEC898DA8 << 32, "2025-10-02T23:47:52 (local time, no zone)  raw 0xec898da800000000"),
    (2, 7, "7 (counter)  raw 0x00000007"),
    (3, 0xEC898DA8, "2025-10-02T23:47:52Z  raw 0xec898da8"),
])
def test_timestamp_types(ts_type: int, value: int, shown: str) -> None:
    """RFC 3830 6.6, RFC 6043 6.3: NTP-UTC and NTP with a 2^-32 fraction, COUNTER, NTP-UTC-32."""
    assert datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=0xEC898DA8) == datetime.datetime(2025, 10, 2, 23, 47, 52, tzinfo=datetime.UTC)
    message = build(next(r for r in RULES if r.data_type == 26))
    t = next(p for p in message.payloads if p.name == "T")
    t.fields.update(ts_type=ts_type, ts_value=value)
    assert _line(render(decode(encode(message))), "ts_value") == shown


def test_rekeying_interval_is_a_duration() -> None:
    """RFC 6043 6.4: TRr (role 4) is a rekeying interval, not a point in time."""
    message = next(m for m in sample_messages().values() if m.get("TP") is not None)
    tr = sample_payload("TR")
    tr.fields.update(ts_role=4, ts_type=3, ts_value=3600)
    tp = message.get("TP")
    assert tp is not None
    tp.fields["tp_data"] = encode_chain([tr])
    out = render(decode(encode(message)))
    assert _line(out[out.index("tp_data"):], "ts_value") == (
        "3600 s (rekeying interval)  raw 0x00000e10")


def test_bad_input_keeps_its_clear_error() -> None:
    for args in (["0x011a0501"], ["--raw", "011a0501"]):
        result = CliRunner().invoke(codec, ["decode", *args])
        assert result.exit_code == 1
        assert "offset 4, payload HDR, field csb_id" in result.output
        assert "Traceback" not in result.output


def test_sakke_to_self_extension_shows_its_sakke_payload() -> None:
    """TS 33.180 E.5: a full SAKKE payload, its own Next Payload 0, encapsulated to the
    initiator; shown as a SAKKE payload with R and H."""
    message = build(next(r for r in RULES if r.data_type == 26))
    inner = Payload("SAKKE", {"sakke_params": 1, "id_scheme": 2,
                              "sakke_data": b"\x04" + bytes(range(256)) + bytes(16)})
    to_self = Payload("GENERAL_EXT", {"type": 6, "data": encode_chain([inner])[1:]})
    message.payloads.insert(len(message.payloads) - 1, to_self)
    out = render(decode(encode(message)))
    nested = out[out.index("6  SAKKE-to-self"):]
    assert _line(nested, "data") == "1 payload(s), TS 33.180 E.5"
    assert _joined(nested, "R") == (b"\x04" + bytes(range(256))).hex()
    assert _line(nested, "H") == bytes(16).hex()


@pytest.mark.parametrize("rule", RULES, ids=[str(r.data_type) for r in RULES])
def test_any_message_the_grammar_can_make_renders(rule: MessageRule) -> None:
    """Rendering never fails on a message that decoded: every payload heading is printed."""

    @settings(max_examples=15, deadline=None)
    @given(message_strategy(rule))
    def check(message: Message) -> None:
        decoded = decode(encode(message))
        out = render(decoded)
        assert out.count("\n") >= 2 + len(decoded.payloads)
        assert "MIKEY message" in out.splitlines()[0]

    check()
