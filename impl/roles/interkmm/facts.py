"""What the InterKMM guards ask (``INTERKMM_PREDICATES`` of ``models/procedures/predicates``).

A :class:`Directory` is an end point's or the MCX server's configuration: the XPK-ID it shares
with each peer (the CSK-ID of each UE's MCPTT ID, the SPK-ID of each IWF's KMF ID), the KMF IDs
it interworks with and the users affiliated for interworking.  :class:`HopFacts` answers the
guards of one receiving hop: ``keys`` opens what arrives, ``out_keys`` protects what the server
sends on (the other hop's keyring).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mckm.impl.errors import MckmError, PolicyError
from mckm.impl.roles.interkmm.view import HopMessage
from mckm.impl.xmlprotect.interkmm import REQ_PROTECTED
from mckm.impl.xmlprotect.keys import Keyring
from mckm.models.procedures.verdict import YES, Verdict


@dataclass(frozen=True)
class Directory:
    """Who a role knows: XPK-IDs by peer id, known KMF IDs, users affiliated for
    interworking."""

    xpk_ids: Mapping[str, int] = field(default_factory=dict)
    kmf_ids: frozenset[str] = frozenset()
    affiliated: frozenset[str] = frozenset()


def _unprotected(error: MckmError) -> bool:
    """The body failed because it is (partly) in clear: a REQ-IKMM-01 refusal of the codec
    that is not a key mismatch between its parts."""
    return isinstance(error, PolicyError) and error.requirement == REQ_PROTECTED \
        and "different XPKs" not in str(error)


@dataclass(frozen=True)
class HopFacts:
    """The facts of one receiving hop (module docstring)."""

    keys: Keyring
    directory: Directory
    out_keys: Keyring | None = None

    def ikmm_protected(self, message: HopMessage) -> Verdict:
        opened = message.opened
        if isinstance(opened, MckmError) and _unprotected(opened):
            return Verdict.no(str(opened))
        return YES

    def ikmm_opens(self, message: HopMessage) -> Verdict:
        opened = message.opened
        if isinstance(opened, MckmError):
            return Verdict.no(f"{type(opened).__name__}: {opened}")
        return YES

    def ikmm_xpk_of(self, peer: str) -> int:
        return self.directory.xpk_ids.get(peer, -1)

    def ikmm_xpk_available(self, peer: str) -> bool:
        xpk_id = self.directory.xpk_ids.get(peer)
        ring = self.out_keys if self.out_keys is not None else self.keys
        return xpk_id is not None and xpk_id in ring

    def ikmm_kmf_known(self, kmf: str) -> bool:
        return kmf in self.directory.kmf_ids

    def ikmm_affiliated(self, user: str) -> bool:
        return user in self.directory.affiliated
