"""One user's MIKEY-SAKKE key material and the ECCSI / SAKKE operations on it (TS 33.180 D.3.3).

:class:`KeyRing` holds the user's key sets (UID, SSK, PVT, RSK per key period) and, warm (the
default), per key period the user's ECCSI Signer and SAKKE Receiver, one Verifier per KPAK, a
SAKKE table per receiver sent to more than once, and the SSV last derived (so a step's guard
and effect run the pairing once); ``warm=False`` keeps none of them (the "cold" benchmarks).
Warm or cold, every key is validated once when installed (RFC 6507 5.1.2 / RFC 6508 6.1.2).
Crypto only: what a guard asks is :class:`~.facts.SealFacts`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.identities import Community

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


class KeyRing:
    """One user's key sets and the crypto operations on them (see module docstring)."""

    def __init__(self, community: Community, keys: list[UserKeys] | tuple[UserKeys, ...] = (),
                 *, warm: bool = True) -> None:
        self.community, self.warm = community, warm
        self._keys: dict[bytes, UserKeys] = {}
        self._signers: dict[bytes, eccsi.Signer] = {}
        self._receivers: dict[bytes, sakke.Receiver] = {}
        self._targets: OrderedDict[bytes, sakke.EncapsulationTarget] = OrderedDict()
        self._seen: set[bytes] = set()  # receivers encapsulated to once (table on the 2nd)
        self.verifier = eccsi.Verifier(community.kpak) if warm else eccsi.Verifier(
            community.kpak, y_table_after=1 << 30, kpak_table_after=1 << 30)
        self._derived: tuple[bytes, bytes, Secret[bytes]] | None = None
        for k in keys:
            self.add_keys(k)

    def add_keys(self, keys: UserKeys) -> None:
        """Install a key set, each key it holds validated first (RFC 6507 5.1.2: "Every SSK
        MUST be validated before being installed"; RFC 6508 6.1.2); a key that does not
        validate is a VerifyError and installs nothing.  Warm, the Signer and Receiver the
        validation builds are kept; cold, a set may hold only its SSK (a sender that never
        receives) or only its RSK (a receiver that never signs)."""
        kpak, z_pub = self.community.kpak, self.community.z_pub
        if self.warm:
            signer = eccsi.Signer(keys.uid, keys.ssk.reveal(), keys.pvt, kpak)
            receiver = sakke.Receiver(keys.uid, keys.rsk.reveal(), z_pub)
            self._signers[keys.uid], self._receivers[keys.uid] = signer, receiver
        else:
            if keys.pvt:
                eccsi.validate_ssk(kpak, keys.uid, keys.ssk.reveal(), keys.pvt)
            if keys.rsk.reveal():
                sakke.validate_rsk(z_pub, keys.uid, keys.rsk.reveal())
        self._keys[keys.uid] = keys

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

    def decapsulate(self, data: bytes, uid: bytes) -> Secret[bytes]:
        """The SSV of SAKKE Encapsulated Data ``data`` for our ``uid`` (RFC 6508 6.2.2): the one
        last derived if it is for the same data, else derived now (VerifyError if it does not
        decapsulate or no RSK is installed for ``uid``)."""
        if self._derived is not None and self._derived[:2] == (data, uid):
            return self._derived[2]
        receiver, keys = self._receivers.get(uid), self._keys.get(uid)
        if receiver is not None:
            ssv = bytes(receiver.derive(data))
        elif keys is None:
            raise VerifyError("no RSK for this UID (key period not provisioned)",
                              clause="RFC 6508 6.2.2")
        else:
            ssv = bytes(sakke.derive(data, identity=uid, rsk=keys.rsk.reveal(),
                                     z_pub=self.community.z_pub))
        self._derived = (data, uid, Secret(ssv))
        return self._derived[2]

    def __repr__(self) -> str:
        return f"KeyRing({len(self._keys)} key sets, warm={self.warm})"


__all__ = ["KeyRing", "UserKeys"]
