"""Octet fields that hold MIKEY payloads: the one table of them.

The grammars keep these fields as octets (their length is a field of the outer payload); what
the octets hold is declared here, once, with the clause that says so.  The codec's inner-chain
decoders (:mod:`mckm.impl.codec.chains`), the Wireshark dissector and the Kaitai Struct export
(:mod:`mckm.impl.codec.export_lua`, :mod:`mckm.impl.codec.export_ksy`) read this table.

Three kinds of content:

* ``"payloads"``: a First Payload octet, then MIKEY payloads chained by their Next Payload,
  0 after the last (RFC 6043 6.10: TP Data; Initiator Data, which is First Payload, Vi, Vr);
* ``"key_data"``: Key data sub-payloads, Next Payload 20 between them and 0 after the last
  (RFC 3830 6.2, 6.13), readable only when the KEMAC is not encrypted (Encr alg NULL);
* ``"one"``: exactly one payload of the named type (TS 33.180 E.5: a SAKKE-to-self general
  extension holds a full SAKKE payload whose Next Payload "shall be set to zero and ignored").

Empty octets hold nothing to read (Initiator Data is empty unless key forking is used,
RFC 6043 6.10).  Not here, so left as octets: Ticket Data, which starts with a THDR that has no
Next Payload number (RFC 6043 A.1), and the data of a "3GPP key parameters" extension, an MCData
Protected Payload encrypted with the key the message carries (TS 33.180 E.6.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mckm.models.grammar.namespaces import ENCR_ALG, GENERAL_EXT_TYPE

Kind = Literal["payloads", "key_data", "one"]


@dataclass(frozen=True)
class InnerChain:
    """Field ``field`` of payload ``payload`` holds payloads of ``kind``; read only when the
    payload's field ``when[0]`` has the value ``when[1]`` (``None``: always)."""

    payload: str
    field: str
    kind: Kind
    clause: str
    meaning: str
    one: str | None = None  # kind "one": the payload type it holds
    when: tuple[str, int] | None = None

    def __post_init__(self) -> None:
        if (self.kind == "one") != (self.one is not None):
            raise ValueError(f"{self.payload}.{self.field}: 'one' names exactly one payload")

    def holds_payloads(self, fields: Mapping[str, Any]) -> bool:
        """Whether the octets of this field, in a payload with ``fields``, are to be read."""
        if not fields.get(self.field):
            return False
        return self.when is None or fields.get(self.when[0]) == self.when[1]


#: every octet field that holds payloads (see the module docstring).
INNER_CHAINS: tuple[InnerChain, ...] = (
    InnerChain("TP", "tp_data", "payloads", "RFC 6043 6.10",
               "the desired policy's payloads: [IDRkms], [IDRi], [TRs], [TRe], [TRr], "
               "[KEMAC], {IDRapp}, (IDRr)"),
    InnerChain("TICKET", "tp_data", "payloads", "RFC 6043 6.10",
               "the granted policy's payloads (as in TP)"),
    InnerChain("TICKET", "initiator_data", "payloads", "RFC 6043 6.10",
               "Initiator Data with key forking: Vi, then Vr"),
    InnerChain("KEMAC", "encr_data", "key_data", "RFC 3830 6.2, 6.13",
               "Key data sub-payloads, in clear when Encr alg is NULL",
               when=("encr_alg", int(ENCR_ALG.NULL))),
    InnerChain("GENERAL_EXT", "data", "one", "TS 33.180 E.5",
               "a full SAKKE payload encapsulating the key to the initiator itself",
               one="SAKKE", when=("type", int(GENERAL_EXT_TYPE.SAKKE_TO_SELF))),
)

#: (payload, field) -> its declaration.
BY_FIELD: dict[tuple[str, str], InnerChain] = {(x.payload, x.field): x for x in INNER_CHAINS}

#: the payload a "key_data" chain is made of (RFC 3830 6.13).
KEY_DATA_PAYLOAD = "KEY_DATA"


def _check() -> None:
    from mckm.models.grammar.registry import BY_NAME

    for x in INNER_CHAINS:
        spec = BY_NAME.get(x.payload)
        infos = {} if spec is None else {i.name: i for i in spec.spec.infos}
        if x.field not in infos or infos[x.field].kind != "bytes":
            raise AssertionError(f"inner chain {x.payload}.{x.field}: no octet field of that name")
        if x.when is not None and x.when[0] not in infos:
            raise AssertionError(f"inner chain {x.payload}.{x.field}: no field {x.when[0]}")
        if x.one is not None and x.one not in BY_NAME:
            raise AssertionError(f"inner chain {x.payload}.{x.field}: no payload {x.one}")
    if len(BY_FIELD) != len(INNER_CHAINS):
        raise AssertionError("an octet field is declared twice in INNER_CHAINS")


_check()

__all__ = ["BY_FIELD", "INNER_CHAINS", "KEY_DATA_PAYLOAD", "InnerChain", "Kind"]
