"""MIKEY-TICKET key derivations (RFC 6043 5.1, 6.10, A.2) on the RFC 3830 4.1.2 / RFC 6043 6.1
PRF of ``mckm.impl.crypto.mikey_prf``.

Every label is ``constant || ...``; the byte after the CS ID / 0xFF octet and the 32-bit field
says which derivation it is (RFC 6043):

=========  ==========================================================  =====================
purpose    label                                                        clause
=========  ==========================================================  =====================
0x00       c || 0xFF || 0xFFFFFFFF || 0x00 || len16(ID) || ID ||        5.1.1 (MPKr', TGK')
           len8(RANDRkms) || RANDRkms
0x01/0x02  c || 0xFF || CSB ID || 0x01|0x02 || len8(RANDRi) || RANDRi   5.1.2 (initial /
           || len8(RANDRr) || RANDRr                                    response protection)
0x03       c || CS ID || 0xFFFFFFFF || 0x03 || len8(RANDRi) || RANDRi   5.1.3 (TEK etc. from
           || len8(RANDRr) || RANDRr                                    TGK, TGK', GTGK)
0x04       c || 0xFF || 0xFFFFFFFF || 0x04                              6.10 (Vr auth_key)
0x05       c || 0xFF || 0xFFFFFFFF || 0x05 || len8(RAND) || RAND        A.2.1 (TPK keys)
0x06       c || 0xFF || 0xFFFFFFFF || 0x06 || len8(RAND) || RAND        A.2.2 (MPKi, MPKr)
=========  ==========================================================  =====================

Constants: RFC 3830 4.1.3 (from a TGK) and 4.1.4 (from a PSK/envelope key/MPK/TPK) live in
``mikey_prf``; the forking and MPK-split constants are RFC 6043 Table 5.1 and Table A.1.  An
omitted RAND has length octet 0 and no octets.  Keys are returned as bytes and never logged.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum, unique

from mckm.impl.crypto.mikey_prf import (
    MESSAGE_KEY_CS_ID,
    MessageKeyConstant,
    PrfFunc,
    TgkConstant,
    prf,
)
from mckm.impl.errors import PolicyError, UsageError
from mckm.impl.roles.ticket.protection import (
    AUTH_KEY_OCTETS,
    ENCR_KEY_OCTETS,
    ENCR_NULL,
    INVALID_PRF,
    SALT_KEY_OCTETS,
    KemacKeys,
    require_encr_alg,
    require_mac_alg,
)

#: RFC 6043 5.1.1, 5.1.3, 6.10, A.2: the fixed value in the 32-bit CSB ID place.
FIXED_CSB_ID = 0xFFFFFFFF
_U8 = 0xFF
_U16 = 0xFFFF


@unique
class LabelPurpose(IntEnum):
    """The octet that names the derivation in RFC 6043 labels."""

    FORK = 0x00  # 5.1.1
    INITIAL = 0x01  # 5.1.2, initial messages
    RESPONSE = 0x02  # 5.1.2, response messages
    SESSION = 0x03  # 5.1.3
    INITIATOR_DATA = 0x04  # 6.10
    TPK = 0x05  # A.2.1
    MPK_SPLIT = 0x06  # A.2.2


@unique
class ForkConstant(IntEnum):
    """RFC 6043 Table 5.1: constants for forking key derivation."""

    MPKR_PRIME = 0x2B288856
    TGK_PRIME = 0x1512B54A


@unique
class MpkConstant(IntEnum):
    """RFC 6043 Table A.1: constants for MPK key derivation (MIKEY base ticket)."""

    MPKI = 0x220E99A2
    MPKR = 0x1F4D675B


#: PRF outputs of the step in progress, by (inkey, label, bits, PRF); None outside a step.
_STEP_PRF: ContextVar[dict[tuple[bytes, bytes, int, PrfFunc], bytes] | None] = ContextVar(
    "mckm_ticket_step_prf", default=None)


class OneStep:
    """The context of :func:`one_step` (a class, not a generator: it is entered once per
    message a role handles)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _STEP_PRF.set({})

    def __exit__(self, *exc: object) -> None:
        _STEP_PRF.reset(self._token)


def one_step() -> OneStep:
    """Within: each derivation (same inkey, label, length and PRF) is computed once and shared
    - a message built and then checked in one step derives its keys once.  The outputs are
    dropped when the step ends: nothing is shared across steps, messages of other runs or peers.
    """
    return OneStep()


def _prf(inkey: bytes, label: bytes, bits: int, prf_func: PrfFunc) -> bytes:
    """``prf`` (RFC 3830 4.1.2), memoised within :func:`one_step` (a pure function)."""
    memo = _STEP_PRF.get()
    if memo is None or type(inkey) is not bytes:
        return bytes(prf(inkey, label, bits, prf_func=prf_func))
    index = (inkey, label, bits, prf_func)
    out = memo.get(index)
    if out is None:
        out = memo[index] = prf(inkey, label, bits, prf_func=prf_func)
    return out


#: PRF func value -> :class:`PrfFunc` (a dict: the enum's own lookup costs more per message)
_PRF_FUNCS: dict[int, PrfFunc] = {int(f): f for f in PrfFunc}


def prf_func_of(value: int) -> PrfFunc:
    """A HDR / Ticket Policy PRF func value as :class:`PrfFunc`, or Invalid PRF (RFC 3830 6.12)."""
    func = _PRF_FUNCS.get(value)
    if func is None:
        raise PolicyError(f"PRF func {value} is not supported", requirement="RFC 6043 6.1",
                          mikey_error=INVALID_PRF)
    return func


#: the 32-bit label constants of each table as octets (RFC 3830 4.1.3, 4.1.4; RFC 6043 Tables
#: 5.1, A.1), by value: a label is built without an enum lookup per derivation
_CONSTANTS: dict[type[IntEnum], dict[int, bytes]] = {
    table: {int(c): int(c).to_bytes(4, "big") for c in table}
    for table in (MessageKeyConstant, TgkConstant, ForkConstant, MpkConstant)}


def _c(table: type[IntEnum], constant: int) -> bytes:
    """The four octets of ``constant``, which must be one of ``table``'s."""
    octets = _CONSTANTS[table].get(constant)
    if octets is None:
        raise UsageError(f"{constant!r} is not a {table.__name__}")
    return octets


def _len8(data: bytes | None, what: str) -> bytes:
    data = b"" if data is None else bytes(data)
    if len(data) > _U8:
        raise UsageError(f"{what} of {len(data)} octets does not fit an 8-bit length")
    return bytes([len(data)]) + data


#: 0xFF || 0xFFFFFFFF || purpose: the fixed middle of the 5.1.1, 6.10 and A.2 labels
_TAILS = {purpose: bytes([MESSAGE_KEY_CS_ID]) + FIXED_CSB_ID.to_bytes(4, "big") + bytes([purpose])
          for purpose in LabelPurpose}


def _tail(purpose: LabelPurpose) -> bytes:
    return _TAILS[purpose]


# -- 5.1.2: keys protecting MIKEY messages -------------------------------------------------------


def _protection_suffix(*, csb_id: int, purpose: LabelPurpose, randri: bytes | None,
                       randrr: bytes | None) -> bytes:
    """What follows the constant in an RFC 6043 5.1.2 label (the same for encr, salt, auth)."""
    if purpose not in (LabelPurpose.INITIAL, LabelPurpose.RESPONSE):
        raise UsageError("5.1.2 labels are for initial (0x01) or response (0x02) messages")
    if not randri and not randrr:
        raise UsageError("at least one of RANDRi and RANDRr is always used (RFC 6043 5.1.2)")
    if not 0 <= csb_id <= FIXED_CSB_ID:
        raise UsageError(f"CSB ID {csb_id} does not fit 32 bits")
    return (bytes([MESSAGE_KEY_CS_ID]) + csb_id.to_bytes(4, "big") + bytes([purpose])
            + _len8(randri, "RANDRi") + _len8(randrr, "RANDRr"))


def protection_label(constant: MessageKeyConstant, *, csb_id: int, purpose: LabelPurpose,
                     randri: bytes | None, randrr: bytes | None) -> bytes:
    """RFC 6043 5.1.2 label: constant || 0xFF || CSB ID || 0x01|0x02 || RANDRi || RANDRr."""
    return _c(MessageKeyConstant, constant) + _protection_suffix(
        csb_id=csb_id, purpose=purpose, randri=randri, randrr=randrr)


@dataclass(frozen=True, repr=False)
class MessageKeys:
    """encr_key, salt_key and auth_key for one MIKEY message (RFC 3830 4.1.4 constants)."""

    kemac: KemacKeys | None
    auth_key: bytes | None

    def __repr__(self) -> str:
        return "MessageKeys(<redacted>)"


_ENCR, _SALT, _AUTH = (_c(MessageKeyConstant, c) for c in (
    MessageKeyConstant.ENCR_KEY, MessageKeyConstant.SALT, MessageKeyConstant.AUTH_KEY))


def _derive_set(inkey: bytes, suffix: bytes, *, encr_alg: int, mac_alg: int,
                prf_func: PrfFunc) -> MessageKeys:
    """encr_key, salt_key (with a cipher) and auth_key (with a MAC) from ``inkey``, each with
    the label ``constant || suffix`` (RFC 3830 4.1.4 constants)."""
    require_encr_alg(encr_alg)
    require_mac_alg(mac_alg)
    kemac = None
    if encr_alg != ENCR_NULL:
        kemac = KemacKeys(_prf(inkey, _ENCR + suffix, 8 * ENCR_KEY_OCTETS[encr_alg], prf_func),
                          _prf(inkey, _SALT + suffix, 8 * SALT_KEY_OCTETS, prf_func))
    auth_key = None
    if AUTH_KEY_OCTETS[mac_alg]:
        auth_key = _prf(inkey, _AUTH + suffix, 8 * AUTH_KEY_OCTETS[mac_alg], prf_func)
    return MessageKeys(kemac, auth_key)


def message_keys(inkey: bytes, *, csb_id: int, purpose: LabelPurpose, randri: bytes | None,
                 randrr: bytes | None, encr_alg: int, mac_alg: int,
                 prf_func: PrfFunc) -> MessageKeys:
    """RFC 6043 5.1.2: the keys protecting a Ticket Request / Resolve message (inkey = PSK or
    envelope key) or a Ticket Transfer message (inkey = MPKi or MPKr'), with the PRF in HDR."""
    suffix = _protection_suffix(csb_id=csb_id, purpose=purpose, randri=randri, randrr=randrr)
    return _derive_set(inkey, suffix, encr_alg=encr_alg, mac_alg=mac_alg, prf_func=prf_func)


# -- 5.1.1: forked keys --------------------------------------------------------------------------


def fork_label(constant: ForkConstant, *, id_data: bytes, randrkms: bytes) -> bytes:
    """RFC 6043 5.1.1 label: c || 0xFF || 0xFFFFFFFF || 0x00 || len16(ID Data) || ID Data ||
    len8(RANDRkms) || RANDRkms."""
    if len(id_data) > _U16:
        raise UsageError("ID Data longer than a 16-bit length")
    return (_c(ForkConstant, constant) + _tail(LabelPurpose.FORK)
            + len(id_data).to_bytes(2, "big") + bytes(id_data) + _len8(randrkms, "RANDRkms"))


def fork_key(inkey: bytes, constant: ForkConstant, *, id_data: bytes, randrkms: bytes,
             prf_func: PrfFunc) -> bytes:
    """RFC 6043 5.1.1: MPKr' (from MPKr) or TGK' (from a TGK); outkey_len = inkey_len; the PRF
    is the Ticket Policy's; ID Data is that of the IDRr in RESOLVE_RESP / TRANSFER_RESP."""
    label = fork_label(constant, id_data=id_data, randrkms=randrkms)
    return _prf(inkey, label, 8 * len(inkey), prf_func)


# -- 5.1.3: session keys from a TGK / TGK' / GTGK -----------------------------------------------


def session_label(constant: TgkConstant, *, cs_id: int, randri: bytes | None,
                  randrr: bytes | None) -> bytes:
    """RFC 6043 5.1.3 label: c || CS ID || 0xFFFFFFFF || 0x03 || RANDRi || RANDRr."""
    if not 0 <= cs_id <= _U8:
        raise UsageError(f"CS ID {cs_id} does not fit 8 bits")
    if not randri and not randrr:
        raise UsageError("at least one of RANDRi and RANDRr MUST be used (RFC 6043 5.1.3)")
    return (_c(TgkConstant, constant) + bytes([cs_id]) + FIXED_CSB_ID.to_bytes(4, "big")
            + bytes([LabelPurpose.SESSION]) + _len8(randri, "RANDRi") + _len8(randrr, "RANDRr"))


def session_key(tgk: bytes, constant: TgkConstant, *, cs_id: int, randri: bytes | None,
                randrr: bytes | None, outkey_octets: int, prf_func: PrfFunc) -> bytes:
    """RFC 6043 5.1.3: TEK / encr / auth / salt key for a crypto session, with the HDR's PRF.
    RANDRi is passed iff the H flag is set, RANDRr iff the G flag is set."""
    return _prf(tgk, session_label(constant, cs_id=cs_id, randri=randri, randrr=randrr),
                8 * outkey_octets, prf_func)


# -- 6.10: Initiator Data Vr -----------------------------------------------------------------------


def initiator_data_auth_key(mpkr: bytes, *, mac_alg: int, prf_func: PrfFunc) -> bytes | None:
    """RFC 6043 6.10: the Vr auth_key, from the unforked MPKr, label c || 0xFF || 0xFFFFFFFF ||
    0x04 with the RFC 3830 4.1.4 auth constant.  The PRF is the Ticket Policy's (the one that
    handles MPKr, 5.1.1) - a project decision, REQ-TKT-MSG-05."""
    return _derive_set(mpkr, _tail(LabelPurpose.INITIATOR_DATA), encr_alg=ENCR_NULL,
                       mac_alg=mac_alg, prf_func=prf_func).auth_key


# -- Appendix A.2: MIKEY base ticket -------------------------------------------------------------


def tpk_label(constant: MessageKeyConstant, rand: bytes) -> bytes:
    """RFC 6043 A.2.1 label: c || 0xFF || 0xFFFFFFFF || 0x05 || len8(RAND) || RAND."""
    return _c(MessageKeyConstant, constant) + _tpk_suffix(rand)


def _tpk_suffix(rand: bytes) -> bytes:
    """What follows the constant in an RFC 6043 A.2.1 label."""
    return _tail(LabelPurpose.TPK) + _len8(rand, "RAND")


def tpk_keys(tpk: bytes, *, rand: bytes, encr_alg: int, mac_alg: int,
             prf_func: PrfFunc) -> MessageKeys:
    """RFC 6043 A.2.1: encr_key, salt_key and auth_key from the TPK, with the Ticket Policy PRF."""
    return _derive_set(tpk, _tpk_suffix(rand), encr_alg=encr_alg, mac_alg=mac_alg,
                       prf_func=prf_func)


def mpk_split_label(constant: MpkConstant, rand: bytes) -> bytes:
    """RFC 6043 A.2.2 label: c || 0xFF || 0xFFFFFFFF || 0x06 || len8(RAND) || RAND."""
    return _c(MpkConstant, constant) + _tail(LabelPurpose.MPK_SPLIT) + _len8(rand, "RAND")


def mpk_part(mpk: bytes, constant: MpkConstant, *, rand: bytes, prf_func: PrfFunc) -> bytes:
    """RFC 6043 A.2.2: MPKi or MPKr (by ``constant``) from the base ticket's MPK, as long as
    the MPK."""
    return _prf(mpk, mpk_split_label(constant, rand), 8 * len(mpk), prf_func)


def split_mpk(mpk: bytes, *, rand: bytes, prf_func: PrfFunc) -> tuple[bytes, bytes]:
    """RFC 6043 A.2.2: (MPKi, MPKr) from the base ticket's MPK; each as long as the MPK."""
    return (mpk_part(mpk, MpkConstant.MPKI, rand=rand, prf_func=prf_func),
            mpk_part(mpk, MpkConstant.MPKR, rand=rand, prf_func=prf_func))
