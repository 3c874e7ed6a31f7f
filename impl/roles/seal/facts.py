"""The real crypto facts the SEAL model's guards ask, and the operations its effects use.

:class:`SealFacts` implements :class:`mckm.models.procedures.expr.Facts` for one user of one
SKM-S community: ``uid``/``period_of`` by the community's UID scheme (:mod:`.identities`),
``signed_by`` by ECCSI (RFC 6507 5.2.2) over the signed portion (RFC 3830 5.2), and
``encrypted_to`` by SAKKE (RFC 6508 6.2.2) with the user's RSK for that UID.  Its operations
``sign`` and ``encapsulate`` serve the initiator's effects.

Caches (``warm=True``, the default): per key period the user's :class:`eccsi.Signer` (HS
stored, SSK validated once) and :class:`sakke.Receiver` (RSK validated once, Miller lines and
the [b]P + Z table); one :class:`eccsi.Verifier` per KPAK (it keeps Y for repeated signers);
an :class:`sakke.EncapsulationTarget` per receiver UID sent to more than once.
``warm=False`` uses none of them (the "cold" benchmarks).  The SSV derived by
``encrypted_to`` is kept (redacted) for the ``decapsulate`` of the same step so that the
pairing runs once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.errors import UsageError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal.identities import Community
from mckm.impl.roles.seal.imessage import SAKKE_PARAMS_1, SakkeBlob

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
        self.community = community
        self.warm = warm
        self._keys: dict[bytes, UserKeys] = {}
        self._signers: dict[bytes, eccsi.Signer] = {}
        self._receivers: dict[bytes, sakke.Receiver] = {}
        self._targets: OrderedDict[bytes, sakke.EncapsulationTarget] = OrderedDict()
        self._seen: set[bytes] = set()  # receivers encapsulated to once (table on the 2nd)
        self._verifier = eccsi.Verifier(community.kpak) if warm else None
        self._derived: tuple[SakkeBlob, bytes, Secret[bytes]] | None = None
        for k in keys:
            self.add_keys(k)

    def add_keys(self, keys: UserKeys) -> None:
        """Install a key set; in warm mode the Signer and Receiver are built (and the SSK and
        RSK validated, RFC 6507 5.1.2 / RFC 6508 6.1.2) now."""
        self._keys[keys.uid] = keys
        if self.warm:
            self._signers[keys.uid] = eccsi.Signer(keys.uid, keys.ssk.reveal(), keys.pvt,
                                                   self.community.kpak)
            self._receivers[keys.uid] = sakke.Receiver(keys.uid, keys.rsk.reveal(),
                                                       self.community.z_pub)

    # -- the Facts protocol
    def uid(self, identity: str, period: int) -> bytes:
        if not isinstance(identity, str) or not isinstance(period, int):
            raise UsageError("a UID needs a URI and a key period number")
        return self.community.uid(identity, period)

    def period_of(self, time: int) -> int:
        return self.community.period_of(time)

    def signed_by(self, message: Any, uid: Any) -> bool:
        signature = message.get("sign")
        portion = getattr(message, "signed_portion", None)
        if not isinstance(signature, bytes) or not isinstance(portion, bytes):
            return False
        try:
            if self._verifier is not None:
                self._verifier.verify(portion, signature, bytes(uid))
            else:
                eccsi.Verifier(self.community.kpak, y_table_after=1 << 30,
                               kpak_table_after=1 << 30).verify(portion, signature, bytes(uid))
        except VerifyError:
            return False
        return True

    def encrypted_to(self, blob: Any, uid: Any) -> bool:
        self._derived = None
        if not isinstance(blob, SakkeBlob) or blob.params != SAKKE_PARAMS_1:
            return False
        if blob.id_scheme != self.community.id_scheme:
            return False  # encrypted to an identifier of another scheme
        try:
            ssv = self._derive(blob.data, bytes(uid))
        except (VerifyError, KeyError):
            return False
        self._derived = (blob, bytes(uid), Secret(ssv))
        return True

    # -- operations
    def decapsulate(self, blob: SakkeBlob, uid: bytes) -> Secret[bytes]:
        """The SSV of ``blob`` for our ``uid`` (RFC 6508 6.2.2)."""
        derived, self._derived = self._derived, None
        if derived is not None and derived[0] == blob and derived[1] == uid:
            return derived[2]
        try:
            return Secret(self._derive(blob.data, uid))
        except KeyError:
            raise VerifyError("no RSK for this UID", clause="RFC 6508 6.2.2") from None

    def sign(self, data: bytes, uid: bytes, j: int | None = None) -> bytes:
        """ECCSI signature r || s || PVT by our ``uid`` (RFC 6507 5.2.1)."""
        keys = self._own(uid)
        signer = self._signers.get(uid)
        if signer is not None:
            return signer.sign(data, j)
        signature: bytes = eccsi.sign(data, identity=uid, ssk=keys.ssk.reveal(), pvt=keys.pvt,
                                      kpak=self.community.kpak, j=j)
        return signature

    def encapsulate(self, ssv: bytes, uid: bytes) -> bytes:
        """SAKKE Encapsulated Data to ``uid`` (RFC 6508 6.2.1)."""
        if not self.warm:
            data: bytes = sakke.encapsulate(ssv, identity=uid, z_pub=self.community.z_pub)
            return data
        target = self._targets.get(uid)
        if target is None:
            if uid not in self._seen:  # first message to this receiver: no table yet
                self._seen.add(uid)
                data = sakke.encapsulate(ssv, identity=uid, z_pub=self.community.z_pub)
                return data
            target = self._targets[uid] = sakke.EncapsulationTarget(uid, self.community.z_pub)
            while len(self._targets) > _TARGETS_MAX:
                self._targets.popitem(last=False)
        else:
            self._targets.move_to_end(uid)
        return target.encapsulate(ssv)

    def _own(self, uid: bytes) -> UserKeys:
        try:
            return self._keys[uid]
        except KeyError:
            raise UsageError("no key set installed for this UID (key period not provisioned)"
                             ) from None

    def _derive(self, data: bytes, uid: bytes) -> bytes:
        receiver = self._receivers.get(uid)
        if receiver is not None:
            out: bytes = receiver.derive(data)
            return out
        keys = self._keys[uid]
        out = sakke.derive(data, identity=uid, rsk=keys.rsk.reveal(), z_pub=self.community.z_pub)
        return out

    def __repr__(self) -> str:
        return (f"SealFacts({self.community.kms_uri!r}, {len(self._keys)} key sets, "
                f"warm={self.warm})")


__all__ = ["SealFacts", "UserKeys"]
