"""h2-style totality of the CEK model on its real runtime, in memory: every message name of the
model (and an unknown one), with fields of any value, fed to the KMS's machine in every state it
starts a run in, and to the MCPTT server's, gives a legal move or a clean refusal
(``MckmError``); a refusal stores nothing."""

from __future__ import annotations

import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from mckm.impl.engine import DictMessage
from mckm.impl.errors import MckmError
from mckm.impl.redact import Secret
from mckm.impl.roles.cek.endpoint import CekKeyring, server_machine
from mckm.impl.roles.cek.service import CekService
from mckm.impl.roles.kms import access_token
from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.store.sqlite_kms import SqliteKmsStore
from mckm.models.procedures import cek as model

IDM = ec.generate_private_key(ec.SECP256R1())
ALICE = "sip:alice@example.org"
TOKEN = access_token.issue(IDM, subject=ALICE, scopes=(KMS_SCOPE,), issued_at=int(time.time()),
                           lifetime=600)
STORE = SqliteKmsStore(":memory:")
SERVICE = CekService(STORE, access_token.TokenVerifier(IDM.public_key()), pusher=None,  # type: ignore[arg-type]
                     server_url="https://unused.example.org")
FIELDS = sorted({f for m in model.MESSAGES for f in m.fields} | {"cek"})
VALUE = st.one_of(st.none(), st.integers(-2, 2**33), st.text(max_size=6), st.just(ALICE),
                  st.just(TOKEN), st.just("ab" * 16), st.just("resync"),
                  st.just(Secret(b"k" * 32)), st.booleans())
NAMES = st.sampled_from([m.name for m in model.MESSAGES] + ["NO_SUCH_MESSAGE"])


@settings(max_examples=300, deadline=None)
@given(name=NAMES, fields=st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=8))
def test_the_kms_moves_or_refuses_and_a_refusal_stores_nothing(name: str,
                                                              fields: dict[str, Any]) -> None:
    before = STORE.count("cek")
    machine = SERVICE.machine()
    try:
        machine.feed(DictMessage(name, fields), now=int(time.time()))
    except MckmError:
        assert STORE.count("cek") == before and machine.state == "listening"
        return
    assert machine.state == "answered" or machine.state in model.PROCEDURE.states("kms")


@settings(max_examples=300, deadline=None)
@given(name=NAMES, fields=st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=8),
       peer=st.sampled_from(["https://kms.example.org", "https://other.example.org"]))
def test_the_server_moves_or_refuses_and_a_refusal_holds_nothing(name: str,
                                                                 fields: dict[str, Any],
                                                                 peer: str) -> None:
    keyring = CekKeyring()
    machine = server_machine(keyring, "https://kms.example.org")
    try:
        machine.feed(DictMessage(name, {**fields, "peer": peer}), now=int(time.time()))
    except MckmError:
        assert keyring.key_ids() == {} and machine.state == "listening"
        return
    assert peer == "https://kms.example.org" and machine.state in ("holding", "dropped")
