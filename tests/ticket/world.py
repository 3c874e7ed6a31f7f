"""Shared values for the ticket tests: identities, policy, keys (deterministic, no secrets)."""

from __future__ import annotations

from typing import Any

from mckm.impl.codec import Payload
from mckm.impl.roles.ticket import base_ticket as B

ALICE, BOB = "sip:alice@a.example.org", "sip:bob@b.example.org"
KMS_I, KMS_R = "kms.a.example.org", "kms.b.example.org"
PSK_I, PSK_R, TPK = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))
MPK = bytes(range(96, 128))


def policy(**flags: int) -> dict[str, Any]:
    f = {"ticket_type": 1, "subtype": 1, "version": 1, "prf_func": 1, "d": 1, "e": 1, "f": 1,
         "g": 1, "h": 1, "i": 0, "j": 1, "k": 0, "l": 0, "m": 0, "n": 1, "o": 1, "res": 0,
         "tp_data": b"\x00"}
    f.update(flags)
    return f


def tgk(n: int = 1) -> Payload:
    return Payload("KEY_DATA", {"key_type": 0, "kv": 1, "key_data": bytes([n]) * 32, "salt": None,
                                "kv_data": {"spi": bytes([n]) * 4}})


def contents() -> B.TicketContents:
    return B.TicketContents(mpk=B.mpk_key(MPK, b"\x00\x00\x00\x01"), session_keys=(tgk(),),
                            ts_type=0, ts_value=0xE1234567_00000000, rand=bytes(range(32)),
                            tpk_id=b"tpk-2025", thdr_data=b"kms-a")


def ticket(**flags: int) -> Payload:
    return B.seal_ticket(policy(**flags), contents(), tpk=TPK, encr_alg=3, mac_alg=2)
