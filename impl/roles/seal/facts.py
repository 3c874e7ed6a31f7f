"""The real crypto facts the SEAL model's guards ask, and the operations its effects use.

:class:`SealFacts` answers the SAKKE terms for one user of one SKM-S community: ``uid`` and
``period_of`` by the community's UID scheme (:mod:`.identities`), ``signed_by`` by ECCSI (RFC
6507 5.2.2) over what SIGN covers, ``encrypted_to`` by SAKKE (RFC 6508 6.2.2) with the user's
RSK; each fact answers a :class:`Verdict` that says why not.  Caches (``warm=True``): per key
period the user's ECCSI Signer and SAKKE Receiver (keys validated once), one Verifier, a SAKKE
table per receiver sent to more than once, and the SSV ``encrypted_to`` derived, for the
``decapsulate`` of the same step; ``warm=False`` uses none (the "cold" benchmarks).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.engine.wire import WireView, covered
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.identities import Community
from mckm.models.grammar.namespaces import SAKKE_PARAMS
from mckm.models.procedures.seal_key_distribution import I_MESSAGE, SakkePayload
from mckm.models.procedures.verdict import YES, Verdict

SAKKE_PARAMS_1 = SAKKE_PARAMS.value_of("Parameter Set 1")
_TARGETS_MAX = 64


@dataclass(frozen=True)
class UserKeys:
    """One user's key set for one key period (TS 33.180 D.3.3): UID, SSK, PVT, RSK."""

    uri: str
    period_no: int
    uid: bytes
    ssk: Secret[int]
    pvt: bytes
    rsk: Secret[bytes]

    def __repr__(self) -> str:
        return f"UserKeys({self.uri!r}, period {self.period_no}, uid={self.uid.hex()[:16]}…)"


class SealFacts:
    """Facts and crypto operations for one user (see module docstring)."""

    def __init__(self, community: Community, keys: list[UserKeys] | tuple[UserKeys, ...] = (),
                 *, warm: bool = True) -> None:
        self.community, self.warm = community, warm
        self._keys: dict[bytes, UserKeys] = {}
        self._signers: dict[bytes, eccsi.Signer] = {}
        self._receivers: dict[bytes, sakke.Receiver] = {}
        self._targets: OrderedDict[bytes, sakke.EncapsulationTarget] = OrderedDict()
        self._seen: set[bytes] = set()  # receivers encapsulated to once (table on the 2nd)
        self._verifier = eccsi.Verifier(community.kpak) if warm else None
        self._derived: tuple[SakkePayload, bytes, Secret[bytes]] | None = None
        for k in keys:
            self.add_keys(k)

    def add_keys(self, keys: UserKeys) -> None:
        """Install a key set; warm, its Signer and Receiver are built (the SSK and RSK
        validated, RFC 6507 5.1.2 / RFC 6508 6.1.2) now."""
        self._keys[keys.uid] = keys
        if self.warm:
            kpak, z_pub = self.community.kpak, self.community.z_pub
            self._signers[keys.uid] = eccsi.Signer(keys.uid, keys.ssk.reveal(), keys.pvt, kpak)
            self._receivers[keys.uid] = sakke.Receiver(keys.uid, keys.rsk.reveal(), z_pub)

    # -- the facts the model's terms ask
    def uid(self, identity: str, period: int) -> bytes:
        if not isinstance(identity, str) or not isinstance(period, int):
            raise UsageError("a UID needs a URI and a key period number")
        return self.community.uid(identity, period)

    def period_of(self, time: int) -> int:
        return self.community.period_of(time)

    def signed_by(self, message: Any, uid: Any) -> Verdict:
        signature = message.get("sign")
        if not isinstance(signature, bytes) or not isinstance(message, WireView):
            return Verdict.no("no ECCSI SIGN payload")
        assert I_MESSAGE.layout is not None and I_MESSAGE.layout.integrity is not None
        portion = covered(I_MESSAGE.layout.integrity, message.raw, message.message)
        verifier = self._verifier or eccsi.Verifier(
            self.community.kpak, y_table_after=1 << 30, kpak_table_after=1 << 30)
        try:
            verifier.verify(portion, signature, bytes(uid))
        except VerifyError as exc:
            return Verdict.no(f"the ECCSI signature does not verify (RFC 6507 5.2.2: {exc})")
        return YES

    def encrypted_to(self, blob: Any, uid: Any) -> Verdict:
        self._derived = None
        if not isinstance(blob, SakkePayload) or blob.params != SAKKE_PARAMS_1:
            return Verdict.no(f"SAKKE parameter set {getattr(blob, 'params', None)} is not "
                              "supported (RFC 6509 4.2: set 1)")
        if blob.id_scheme != self.community.id_scheme:
            return Verdict.no(f"SAKKE ID scheme {blob.id_scheme} is not the community's "
                              f"{self.community.id_scheme}")
        try:
            ssv = self._derive(blob.data, bytes(uid))
        except VerifyError as exc:
            return Verdict.no(f"the SAKKE payload does not decapsulate (RFC 6508 6.2.2: {exc})")
        self._derived = (blob, bytes(uid), Secret(ssv))
        return YES

    # -- operations
    def decapsulate(self, blob: SakkePayload, uid: bytes) -> Secret[bytes]:
        """The SSV of ``blob`` for our ``uid`` (RFC 6508 6.2.2)."""
        derived, self._derived = self._derived, None
        if derived is not None and derived[:2] == (blob, uid):
            return derived[2]
        return Secret(self._derive(blob.data, uid))

    def sign(self, data: bytes, uid: bytes, j: int | None = None) -> bytes:
        """ECCSI signature r || s || PVT by our ``uid`` (RFC 6507 5.2.1)."""
        if uid not in self._keys:
            raise UsageError("no key set installed for this UID (key period not provisioned)")
        keys = self._keys[uid]
        signer = self._signers.get(uid) or eccsi.Signer(
            uid, keys.ssk.reveal(), keys.pvt, self.community.kpak, validate=False)
        return signer.sign(data, j)

    def encapsulate(self, ssv: bytes, uid: bytes) -> bytes:
        """SAKKE Encapsulated Data to ``uid`` (RFC 6508 6.2.1); warm, with a table for a
        receiver from the second message to it on."""
        target = self._targets.get(uid)
        if target is None and self.warm and uid in self._seen:
            target = self._targets[uid] = sakke.EncapsulationTarget(uid, self.community.z_pub)
            while len(self._targets) > _TARGETS_MAX:
                self._targets.popitem(last=False)
        if target is None:
            self._seen.add(uid)
            data: bytes = sakke.encapsulate(ssv, identity=uid, z_pub=self.community.z_pub)
            return data
        self._targets.move_to_end(uid)
        return target.encapsulate(ssv)

    def _derive(self, data: bytes, uid: bytes) -> bytes:
        receiver, keys = self._receivers.get(uid), self._keys.get(uid)
        if receiver is not None:
            return bytes(receiver.derive(data))
        if keys is None:
            raise VerifyError("no RSK for this UID (key period not provisioned)",
                              clause="RFC 6508 6.2.2")
        return bytes(sakke.derive(data, identity=uid, rsk=keys.rsk.reveal(),
                                  z_pub=self.community.z_pub))

    def __repr__(self) -> str:
        return (f"SealFacts({self.community.kms_uri!r}, {len(self._keys)} key sets, "
                f"warm={self.warm})")


__all__ = ["SealFacts", "UserKeys"]
