"""The keys of TS 33.180 9.3: an XPK (CSK or SPK) named by its XPK-ID, and the two keys it gives.

TS 33.180 9.3.3: between an MC client and its MC domain the XPK is the 128-bit CSK and the XPK-ID
the CSK-ID; between servers (an MCX server and the IWF for an InterKMM, seed 000) it is the
128-bit SPK and the SPK-ID.  The confidentiality key (FC 0x51) and the integrity key (FC 0x52)
are derived from the XPK by F.1.4 with P0 = the MC service user ID and P1 = the XPK-ID; so a
:class:`Keyring` entry holds the XPK with the MC service user ID it is used for.

On the wire (9.3.4.2, 9.3.5) the XPK-ID is ``ds:KeyName`` = base64 of its 4 octets, big-endian;
its 4 most significant bits are the purpose tag (Annex G), CSK (2) or SPK (3) for signalling.
Keys are :class:`~mckm.impl.redact.Secret` and appear in no repr, log or error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from mckm.impl.crypto.mckeys import KEY_ID_BITS, xpk_confidentiality_key, xpk_integrity_key
from mckm.impl.errors import DecodeError, PolicyError, UsageError
from mckm.impl.redact import Secret
from mckm.impl.xmlprotect import base64text
from mckm.models.policy.key_id import purpose_of
from mckm.models.policy.key_purposes import PURPOSES

KEY_ID_OCTETS = KEY_ID_BITS // 8
#: Annex G Table G-1: the purposes whose keys protect application signalling (XML and SRTCP).
SIGNALLING_PURPOSES = ("CSK", "SPK")
#: the XPK length TS 33.180 9.3.3 gives the CSK and the SPK (128 bits).
XPK_OCTETS = 16


def key_name(xpk_id: int) -> str:
    """TS 33.180 9.3.4.2: the ``ds:KeyName`` of an XPK-ID, base64 of its 4 octets."""
    _check_id(xpk_id)
    return base64text.encode(xpk_id.to_bytes(KEY_ID_OCTETS, "big"))


def parse_key_name(text: str | None, where: str) -> int:
    """The XPK-ID a ``ds:KeyName`` names: strict base64 of exactly 4 octets."""
    raw = base64text.decode(text, payload=where, field="KeyName")
    if len(raw) != KEY_ID_OCTETS:
        raise DecodeError(f"an XPK-ID is {KEY_ID_OCTETS} octets, {text!r} holds {len(raw)}",
                          payload=where, field="KeyName")
    return int.from_bytes(raw, "big")


def _check_id(xpk_id: int) -> None:
    if isinstance(xpk_id, bool) or not isinstance(xpk_id, int) or not 0 <= xpk_id < 1 << 32:
        raise UsageError(f"an XPK-ID is an integer in 0..2**32-1, got {xpk_id!r}")


def _purpose_name(xpk_id: int) -> str:
    purpose = PURPOSES.by_value(purpose_of(xpk_id))
    return purpose.name if purpose else f"unassigned purpose {purpose_of(xpk_id)}"


@dataclass(frozen=True)
class Xpk:
    """One XPK: the key (secret), the MC service user ID its keys are derived for (F.1.4 P0)."""

    key: Secret[bytes]
    mc_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, Secret):
            raise UsageError("an XPK must be given as a Secret")
        raw = self.key.reveal()
        if not isinstance(raw, bytes) or len(raw) != XPK_OCTETS:
            raise UsageError(f"an XPK (CSK or SPK) is {XPK_OCTETS} octets (TS 33.180 9.3.3)")
        if not isinstance(self.mc_id, str) or not self.mc_id:
            raise UsageError("the MC service user ID of an XPK must be a non-empty string")


@dataclass(frozen=True)
class DerivedKeys:
    """The F.1.4 keys of one XPK: ``confidentiality`` (FC 0x51) and ``integrity`` (FC 0x52)."""

    xpk_id: int
    confidentiality: Secret[bytes]
    integrity: Secret[bytes]


@dataclass
class Keyring(Mapping[int, Xpk]):
    """XPK-ID -> :class:`Xpk`; the receiver's lookup for the key a ``KeyName`` names.

    A key id whose purpose tag is not CSK or SPK is refused when added (Annex G).  The derived
    keys are computed once per XPK-ID.
    """

    entries: Mapping[int, Xpk]
    _derived: dict[int, DerivedKeys] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        entries = dict(self.entries)
        for xpk_id, xpk in entries.items():
            _check_id(xpk_id)
            if _purpose_name(xpk_id) not in SIGNALLING_PURPOSES:
                raise UsageError(f"XPK-ID {xpk_id:#010x} has the purpose tag of "
                                 f"{_purpose_name(xpk_id)}, not CSK or SPK (TS 33.180 Annex G)")
            if not isinstance(xpk, Xpk):
                raise UsageError(f"XPK-ID {xpk_id:#010x}: an Xpk expected")
        self.entries = entries

    def __getitem__(self, xpk_id: int) -> Xpk:
        return self.entries[xpk_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        ids = ", ".join(f"{i:#010x}" for i in self.entries)
        return f"Keyring([{ids}])"

    def keys_for(self, xpk_id: int, requirement: str) -> DerivedKeys:
        """The derived keys of ``xpk_id``; an id not in the ring is a PolicyError."""
        found = self._derived.get(xpk_id)
        if found is not None:
            return found
        xpk = self.entries.get(xpk_id)
        if xpk is None:
            raise PolicyError(f"unknown XPK-ID {xpk_id:#010x} ({_purpose_name(xpk_id)}): no "
                              "CSK or SPK with that id", requirement=requirement)
        raw = xpk.key.reveal()
        found = DerivedKeys(xpk_id, Secret(xpk_confidentiality_key(raw, xpk.mc_id, xpk_id)),
                            Secret(xpk_integrity_key(raw, xpk.mc_id, xpk_id)))
        self._derived[xpk_id] = found
        return found
