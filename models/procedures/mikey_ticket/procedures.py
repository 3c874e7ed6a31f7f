"""The two MIKEY-TICKET procedures: :data:`ONE_DOMAIN` (TS 33.328 B.2.2.2) and :data:`TWO_DOMAINS`
(B.2.2.3), their roles and what they leave out."""

from __future__ import annotations

from typing import Any

from mckm.models.procedures.mikey_ticket.messages import MESSAGES
from mckm.models.procedures.mikey_ticket.requirements import CLAUSE, REQUIREMENTS, UNSPECIFIED
from mckm.models.procedures.mikey_ticket.steps import KMS_VARS, UE_VARS, steps
from mckm.models.procedures.model import Procedure, Refusal, Role

_INITIATOR = Role("initiator", "idle", ("done",), {**UE_VARS, "peer": "ident", "mpki": "blob"},
                  {"granted": "a reusable ticket (J flag) is offered again in a new Ticket "
                              "Transfer (RFC 6043 5.3)"})
_RESOLVES = {"issued": "a KMS keeps no per-ticket state: a resolve starts where issuing ends"}
_RESPONDER = Role("responder", "idle", ("answered",),
                  {**UE_VARS, "reusable": "set[blob]", "offer": "msg",
                   "replay_cache": "set[blob]"})
_LEAVES_OUT = (
    "PK variants (TS 33.328 and seed 002 use only the GBA NAF key), key forking (I flag), CSB "
    "updating (RFC 6043 5.2)",
    "building and sending the MIKEY Error message (the refusal carries its number)",
    "one run of each KMS role covers the exchanges of one ticket; a KMS keeps no per-ticket state",
)
_POLICY: dict[str, Any] = {}

ONE_DOMAIN = Procedure(
    name="mikey-ticket-one-kms",
    title="MIKEY-TICKET request, transfer and resolve through one KMS",
    clause=CLAUSE,
    roles=(_INITIATOR, Role("kms", "ready", ("resolved",), KMS_VARS, _RESOLVES), _RESPONDER),
    messages=tuple(m for m in MESSAGES if not m.name.endswith("_ZK")),
    steps=steps("kms", "kms"),
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-TKT-21", UNSPECIFIED),
    policy=_POLICY,
    outcome="initiator, KMS and responder hold the same ticket keys (MPKi, TGK)",
    leaves_out=_LEAVES_OUT,
)

TWO_DOMAINS = Procedure(
    name="mikey-ticket-two-kms",
    title="MIKEY-TICKET resolve across two KMS domains (hop-by-hop trust over Zk)",
    clause=CLAUSE,
    roles=(_INITIATOR, Role("kms_i", "ready", ("resolved",), KMS_VARS, _RESOLVES), _RESPONDER,
           Role("kms_r", "ready", ("resolved",), KMS_VARS)),
    messages=MESSAGES,
    steps=steps("kms_i", "kms_r"),
    requirements=REQUIREMENTS,
    unexpected=Refusal("REQ-TKT-21", UNSPECIFIED),
    policy=_POLICY,
    outcome="initiator, KMS_I, KMS_R and responder hold the same ticket keys (MPKi, TGK)",
    leaves_out=_LEAVES_OUT,
)

PROCEDURES = (ONE_DOMAIN, TWO_DOMAINS)
