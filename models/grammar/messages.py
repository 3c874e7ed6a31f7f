"""MIKEY data types (message types) and the payloads each one requires and allows, as data.

Notation of the RFCs: ``[p]`` optional, ``{p}`` zero or more, ``(p)`` one or more.  A rule
lists, for each payload after HDR, how many may appear (``Slot``), which payloads may only be
the last one, and which HDR field values the clause fixes.  The codec checks every rule on
decode and on encode; nothing about presence is written anywhere else.

Decisions (see ``spec/mikey-codec.md``):

* Order between HDR and the last payload is not enforced: the RFCs give an order but also say
  unexpected payloads SHOULD be ignored (RFC 6043 4.2.x), and deployed senders differ.  HDR is
  first by construction, SIGN last by construction (it has no Next Payload), and V, when
  present, must be last (``last_only``).
* GENERAL_EXT (RFC 3830 6.15) is allowed in every data type: it exists to extend any message,
  and TS 33.180 E.5/E.6 put it in the SAKKE I_MESSAGE.
* The Error message rule joins RFC 3830 5.1.2 (``HDR, T, {ERR}, {SP}, [V|SIGNr]``) and
  RFC 6043 5.4 (``HDR, T, (ERR), [V|SIGNx]``; ``HDR, T, (ERR), {SP}, [V]``):
  ``HDR, T, (ERR), {SP}, [V|SIGN]``.  It keeps RFC 6043's one-or-more ERR: an Error message
  without an ERR payload names no error.
* RFC 4650 (DHHMAC, 7-8) and RFC 4738 (RSA-R, 9-10) data types are named but not modelled;
  decode refuses them with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mckm.models.grammar.dsl import Status
from mckm.models.grammar.namespaces import DATA_TYPE

MANY = None  # no upper bound other than the codec's payload-count bound


@dataclass(frozen=True)
class Slot:
    payload: str
    min: int = 0
    max: int | None = 1
    last_only: bool = False  # may appear only as the last payload

    def text(self) -> str:
        if (self.min, self.max) == (1, 1):
            return self.payload
        if (self.min, self.max) == (0, 1):
            return f"[{self.payload}]"
        if self.max is None:
            return f"({self.payload})" if self.min == 1 else f"{{{self.payload}}}"
        return f"{self.payload}x{self.min}..{self.max}"


@dataclass(frozen=True)
class MessageRule:
    data_type: int
    clause: str
    structure: str  # the clause's own notation, for the docs
    slots: tuple[Slot, ...]
    last: tuple[str, ...]  # the last payload must be one of these
    exclusive: tuple[tuple[str, ...], ...] = ()  # at most one of each group
    hdr: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # allowed HDR values
    required_roles: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    status: Status = "recalled"

    @property
    def name(self) -> str:
        return str(DATA_TYPE.name_of(self.data_type))

    def slot(self, payload: str) -> Slot | None:
        for s in self.slots:
            if s.payload == payload:
                return s
        return None


def _s(payload: str, lo: int = 0, hi: int | None = 1, *, last_only: bool = False) -> Slot:
    return Slot(payload, lo, hi, last_only)


EXT = _s("GENERAL_EXT", 0, MANY)
V_LAST = _s("V", 1, 1, last_only=True)
TICKET_HDR = {"n_cs": (0,), "cs_id_map_type": (1,)}  # RFC 6043 4.2.1.1, 4.2.3.1

RULES: tuple[MessageRule, ...] = (
    MessageRule(0, "RFC 3830 3.1", "HDR, T, RAND, [IDi], [IDr], {SP}, KEMAC",
                (_s("T", 1), _s("RAND", 1), _s("ID", 0, 2), _s("SP", 0, MANY), _s("KEMAC", 1),
                 EXT), last=("KEMAC", "GENERAL_EXT"), status="verified"),
    MessageRule(1, "RFC 3830 3.1", "HDR, T, [IDr], V",
                (_s("T", 1), _s("ID", 0, 1), V_LAST, EXT), last=("V",), status="verified"),
    MessageRule(2, "RFC 3830 3.2",
                "HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC, [CHASH], PKE, SIGNi",
                (_s("T", 1), _s("RAND", 1), _s("ID", 0, 2), _s("CERT", 0, MANY),
                 _s("SP", 0, MANY), _s("KEMAC", 1), _s("CHASH", 0, 1), _s("PKE", 1),
                 _s("SIGN", 1), EXT), last=("SIGN",), status="verified"),
    MessageRule(3, "RFC 3830 3.2", "HDR, T, [IDr], V",
                (_s("T", 1), _s("ID", 0, 1), V_LAST, EXT), last=("V",), status="verified"),
    MessageRule(4, "RFC 3830 3.3", "HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi",
                (_s("T", 1), _s("RAND", 1), _s("ID", 0, 2), _s("CERT", 0, MANY),
                 _s("SP", 0, MANY), _s("DH", 1), _s("SIGN", 1), EXT), last=("SIGN",),
                status="verified"),
    MessageRule(5, "RFC 3830 3.3", "HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr",
                (_s("T", 1), _s("ID", 1, 2), _s("CERT", 0, MANY), _s("DH", 2, 2),
                 _s("SIGN", 1), EXT), last=("SIGN",), status="verified"),
    MessageRule(6, "RFC 3830 5.1.2; RFC 6043 5.4", "HDR, T, (ERR), {SP}, [V|SIGN]",
                (_s("T", 1), _s("ERR", 1, MANY), _s("SP", 0, MANY),
                 _s("V", 0, 1, last_only=True), _s("SIGN", 0, 1), EXT),
                last=("ERR", "SP", "V", "SIGN", "GENERAL_EXT"), exclusive=(("V", "SIGN"),),
                status="verified"),
    MessageRule(11, "RFC 6043 4.2.1", "HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V",
                (_s("T", 1), _s("RANDR", 1), _s("IDR", 0, 3), _s("TP", 1), V_LAST, EXT),
                last=("V",), hdr=TICKET_HDR, required_roles={"RANDR": (1,)},
                status="verified"),
    MessageRule(12, "RFC 6043 4.2.1",
                "HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi",
                (_s("T", 1), _s("RANDR", 1), _s("IDR", 0, 2), _s("CERT", 0, MANY), _s("TP", 1),
                 _s("CHASH", 0, 1), _s("PKE", 1), _s("SIGN", 1), EXT),
                last=("SIGN",), hdr=TICKET_HDR, required_roles={"RANDR": (1,)},
                status="verified"),
    MessageRule(13, "RFC 6043 4.2.1", "HDR, T, [IDRkms], TICKET, KEMAC, V",
                (_s("T", 1), _s("IDR", 0, 1), _s("TICKET", 1), _s("KEMAC", 1), V_LAST, EXT),
                last=("V",), status="verified"),
    MessageRule(14, "RFC 6043 4.2.2, 5.2",
                "HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V "
                "(CSB update: HDR, T, [IDRi], [IDRr], {SP}, [KEMAC], V)",
                (_s("T", 1), _s("RANDR", 0, 1), _s("IDR", 0, 2), _s("SP", 0, MANY),
                 _s("TICKET", 0, 1), _s("KEMAC", 0, 1), V_LAST, EXT),
                last=("V",), status="verified"),
    MessageRule(15, "RFC 6043 4.2.2, 5.2",
                "HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V",
                (_s("T", 1), _s("RANDR", 0, 2), _s("IDR", 0, 1), _s("SP", 0, MANY),
                 _s("KEMAC", 0, 1), V_LAST, EXT), last=("V",), status="verified"),
    MessageRule(16, "RFC 6043 4.2.3", "HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V",
                (_s("T", 1), _s("RANDR", 1), _s("IDR", 0, 3), _s("TICKET", 1), V_LAST, EXT),
                last=("V",), hdr=TICKET_HDR, required_roles={"RANDR": (2,)},
                status="verified"),
    MessageRule(17, "RFC 6043 4.2.3",
                "HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr",
                (_s("T", 1), _s("RANDR", 1), _s("IDR", 0, 2), _s("CERT", 0, MANY),
                 _s("TICKET", 1), _s("CHASH", 0, 1), _s("PKE", 1), _s("SIGN", 1), EXT),
                last=("SIGN",), hdr=TICKET_HDR, required_roles={"RANDR": (2,)},
                status="verified"),
    MessageRule(18, "RFC 6043 4.2.3", "HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V",
                (_s("T", 1), _s("IDR", 0, 2), _s("KEMAC", 1), _s("RANDR", 0, 1), V_LAST, EXT),
                last=("V",), status="verified"),
    MessageRule(26, "RFC 6509 2.1; TS 33.180 E.1.2, E.5, E.6.1",
                "HDR, T, RAND, [IDRi], [IDRr], [IDRkmsi], [IDRkmsr], [CERT], {SP}, SAKKE, "
                "{GENERAL_EXT}, SIGN",
                (_s("T", 1), _s("RAND", 1), _s("IDR", 0, 8), _s("CERT", 0, MANY),
                 _s("SP", 0, MANY), _s("SAKKE", 1), _s("SIGN", 1), EXT),
                last=("SIGN",), status="verified"),
)

#: the field that carries the role of each payload with a role indicator (RFC 6043 6.4-6.8).
ROLE_FIELDS = {"IDR": "id_role", "RANDR": "rand_role", "TR": "ts_role"}

BY_DATA_TYPE: dict[int, MessageRule] = {r.data_type: r for r in RULES}

#: data types that have a name but no model here, and why.
NOT_MODELLED: dict[int, str] = {
    7: "RFC 4650 (DHHMAC) is not modelled", 8: "RFC 4650 (DHHMAC) is not modelled",
    9: "RFC 4738 (RSA-R) is not modelled", 10: "RFC 4738 (RSA-R) is not modelled",
}
