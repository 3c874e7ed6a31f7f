"""The public import paths (``mckm.codec``, ``mckm.seal``, ``mckm.ticket``, ``mckm.interkmm``,
``mckm.crypto``, ``mckm.secret``, ``mckm.__version__``) do what a library user needs, with no
``mckm.impl`` import in this file: a vector round trip, an I_MESSAGE created and processed, a
one-KMS ticket exchange in memory."""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path

import pytest

import mckm
from mckm.codec import DecodeError, decode, encode, from_json, render, to_json
from mckm.crypto import eccsi, sakke, unix_to_ntp
from mckm.seal import Community, SealUser, StepRefused, UserKeys
from mckm.secret import Secret
from mckm.ticket import BootstrapContext, Bsf, Initiator, Kms, Responder, UserSecuritySettings

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "data" / "vendor_vectors.json").read_text())[
    "i_messages_published"]
PUBLIC = ("mckm.codec", "mckm.seal", "mckm.ticket", "mckm.interkmm", "mckm.crypto",
          "mckm.secret")


def test_version_is_the_project_version() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert mckm.__version__ == declared
    assert mckm.Secret is Secret


@pytest.mark.parametrize("name", PUBLIC)
def test_public_modules_export_what_they_list(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    for attr in module.__all__:
        value = getattr(module, attr)
        assert value is not None, f"{name}.{attr}"
        if callable(value):  # classes and functions: the API reference shows their docstring
            assert value.__doc__, f"{name}.{attr} has no docstring for the API reference"
    assert module.__doc__


@pytest.mark.parametrize("vector", VECTORS, ids=[v["title"] for v in VECTORS])
def test_codec_round_trip_on_vendor_vectors(vector: dict[str, str]) -> None:
    octets = bytes.fromhex(vector["i_message_hex"])
    message = decode(octets)
    assert encode(message) == octets
    assert encode(from_json(json.loads(json.dumps(to_json(message))))) == octets
    assert '"kms.mydev.streamwide.com"' in render(message)
    with pytest.raises(DecodeError, match="offset"):
        decode(octets[:-1])


NOW = unix_to_ntp(1_750_000_000)


def _community_and_keys() -> tuple[Community, dict[str, UserKeys]]:
    ksak, kpak = eccsi.kms_keypair()
    z, z_pub = sakke.kms_master_key()
    community = Community("kms.example.org", kpak, z_pub)
    keys = {}
    for uri in ("sip:alice@example.org", "sip:bob@example.org"):
        period = community.period_of(NOW)
        uid = community.uid(uri, period)
        ssk, pvt = eccsi.issue_ssk(ksak.reveal(), kpak, uid)
        keys[uri] = UserKeys(uri, period, uid, ssk, pvt, Secret(sakke.issue_rsk(z.reveal(), uid)))
    return community, keys


def test_seal_i_message_created_and_processed() -> None:
    community, keys = _community_and_keys()
    alice = SealUser("sip:alice@example.org", community, [keys["sip:alice@example.org"]])
    bob = SealUser("sip:bob@example.org", community, [keys["sip:bob@example.org"]])
    raw, sk_id = alice.send("sip:bob@example.org", "CSK", now=NOW)
    assert decode(raw).hdr.csb_id == sk_id
    tampered = bytearray(raw)
    tampered[-10] ^= 1  # inside the ECCSI signature
    with pytest.raises(StepRefused, match="guard"):
        bob.receive(bytes(tampered), now=NOW, sender_uri="sip:alice@example.org")
    record = bob.receive(raw, now=NOW, sender_uri="sip:alice@example.org")
    assert record.purpose_name == "CSK" and record.sk_id == sk_id
    assert record.key == alice.initiator_vars["sent_keys"][sk_id]
    assert record.key.reveal().hex() not in repr(record)


def test_one_kms_ticket_exchange_in_memory() -> None:
    t = 3_900_000_000
    bsf = Bsf()
    contexts = {}
    for seed, uri in enumerate(("sip:alice@a.example", "sip:bob@a.example"), start=1):
        name = uri.split(":")[1]
        contexts[uri] = BootstrapContext(
            b_tid=f"btid-{name}@bsf.example", ks=Secret(bytes([seed]) * 32),
            rand=bytes([seed]) * 16, impi=f"impi:{name}", expires_at=t + 60,
            uss=UserSecuritySettings((uri,)))
        bsf.provision(contexts[uri])
    kms = Kms("kms.a.example", tpk=bytes(32), bsf=bsf)
    alice = Initiator("sip:alice@a.example", "kms.a.example", contexts["sip:alice@a.example"])
    bob = Responder("sip:bob@a.example", "kms.a.example", contexts["sip:bob@a.example"])
    ti = alice.receive_request_resp(kms.receive_request(alice.request_ticket(
        "sip:bob@a.example", now=t), now=t), now=t)
    step = bob.receive_transfer_init(ti, now=t)
    rr = kms.receive_resolve(step.octets, now=t)
    assert isinstance(rr, bytes)
    tr, bob_keys = bob.receive_resolve_resp(rr, now=t)
    assert alice.receive_transfer_resp(tr, now=t) == bob_keys
    assert "redacted" in repr(bob_keys)
    assert decode(tr).data_type_name == "TRANSFER_RESP"
