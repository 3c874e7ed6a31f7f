"""The payload registry: Next Payload number -> grammar, and name -> grammar.

The chain of a MIKEY message is walked with this table (RFC 3830 6.1): HDR's Next Payload
names the first payload, each payload's Next Payload the one after it, 0 ends the chain and
SIGN (which has no Next Payload field) is always last.
"""

from __future__ import annotations

from mckm.models.grammar import rfc3830, rfc6043, rfc6509
from mckm.models.grammar.dsl import PayloadSpec, StructSpec, all_structs
from mckm.models.grammar.namespaces import PAYLOAD_TYPE

HDR = rfc3830.HDR

#: every payload with a Next Payload number (KEY_DATA appears only inside KEMAC).
PAYLOADS: tuple[PayloadSpec, ...] = rfc3830.PAYLOADS + rfc6043.PAYLOADS + rfc6509.PAYLOADS

BY_NUMBER: dict[int, PayloadSpec] = {p.number: p for p in PAYLOADS if p.number is not None}
BY_NAME: dict[str, PayloadSpec] = {p.name: p for p in (HDR, *PAYLOADS)}

#: payloads that may only appear inside another payload, never in a message's own chain.
NESTED_ONLY = frozenset({"KEY_DATA"})


def structures() -> list[StructSpec]:
    """Every structure (payloads, map entries, sub-structures), each once."""
    out: list[StructSpec] = []
    for p in (HDR, *PAYLOADS):
        for s in all_structs(p.spec):
            if all(s is not o for o in out):
                out.append(s)
    return out


def _check() -> None:
    for number, spec in BY_NUMBER.items():
        if PAYLOAD_TYPE.name_of(number) != spec.name:
            raise AssertionError(f"payload {spec.name} has number {number}, "
                                 f"namespace says {PAYLOAD_TYPE.name_of(number)}")


_check()
