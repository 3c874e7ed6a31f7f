"""The KMS (SKM-S) role: community keys, the KMS certificate and per-user key sets.

TS 33.180 clause 5.3 / Annex D; TS 33.434 clause 6.Y (seed 004): the SKM-S provisions each
user with "time-limited key material associated with the VAL UE's URI".  For each key period
(TS 33.180 F.2.1, ``UserKeyPeriod``/``UserKeyOffset`` of the certificate) a user gets one
key set: ECCSI SSK+PVT and SAKKE RSK for the UID of (user URI, KMS URI, period, offset,
period number).  A key set, once issued, is stored and handed out again unchanged
(REQ-SKMS-11); the current and the next period are issued together, in one transaction
(REQ-SKMS-12).  No I/O here apart from the store (any
:class:`~mckm.impl.store.kms_store.KmsStore`: several replicas may share one, and its
constraints decide every race between them); the HTTPS adapter lives in
``mckm.impl.transport.https_kms``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mckm.impl.errors import UsageError
from mckm.impl.redact import Secret
from mckm.impl.roles.kms.algorithms import IbcAlgorithms
from mckm.impl.roles.kms.model import (
    CommunityKeys,
    KmsCertificate,
    KmsConfig,
    TransportKeys,
    UserKeySet,
)
from mckm.impl.store.kms_store import DuplicateError, KmsStore

#: default certificate lifetime when none is configured: ten years
DEFAULT_VALIDITY = 10 * 365 * 86400


@dataclass
class KmsRole:
    """A KMS bound to its store; build it with :meth:`open`."""

    config: KmsConfig
    keys: CommunityKeys
    store: KmsStore
    algorithms: IbcAlgorithms
    clock: Callable[[], float] = time.time
    certificate: KmsCertificate = field(init=False)

    def __post_init__(self) -> None:
        self.certificate = KmsCertificate.of(self.config, self.keys)

    @classmethod
    def open(cls, store: KmsStore, config: KmsConfig, algorithms: IbcAlgorithms,
             clock: Callable[[], float] = time.time) -> KmsRole:
        """Load the community from ``store``, or create it there on first start.

        A stored community must match ``config``'s KMS URI and key period: a KMS never
        silently changes the UIDs its users' keys are bound to.  Replicas starting at once on
        one store create one community: the store keeps the first one saved
        (``community.id`` = 1) and the others load it.
        """
        loaded = store.load_community()
        if loaded is not None:
            return cls._loaded(loaded, store, config, algorithms, clock)
        if config.period <= 0 or config.offset < 0:
            raise UsageError("the key period must be positive and the offset non-negative")
        if config.valid_to <= config.valid_from:
            now = int(clock())
            config = KmsConfig(config.kms_uri, config.period, config.offset, config.cert_uri,
                               config.issuer, now, now + DEFAULT_VALIDITY)
        ksak, kpak = algorithms.kms_keypair()
        z, z_pub = algorithms.kms_master_key()
        keys = CommunityKeys(ksak=ksak, kpak=kpak, z=z, z_pub=z_pub)
        try:
            store.save_community(config, keys)
        except DuplicateError:  # another replica saved its community first: use that one
            loaded = store.load_community()
            if loaded is None:
                raise
            return cls._loaded(loaded, store, config, algorithms, clock)
        return cls(config, keys, store, algorithms, clock)

    @classmethod
    def _loaded(cls, loaded: tuple[KmsConfig, CommunityKeys], store: KmsStore,
                config: KmsConfig, algorithms: IbcAlgorithms,
                clock: Callable[[], float]) -> KmsRole:
        stored, keys = loaded
        if (stored.kms_uri, stored.period, stored.offset) != (
                config.kms_uri, config.period, config.offset):
            raise UsageError(
                f"the store belongs to KMS {stored.kms_uri!r} (period {stored.period}, "
                f"offset {stored.offset}), not {config.kms_uri!r} ({config.period}, "
                f"{config.offset})")
        return cls(stored, keys, store, algorithms, clock)

    # -- users -------------------------------------------------------------------------------

    @staticmethod
    def new_transport_keys() -> TransportKeys:
        """A fresh TrK and InK (256-bit, random ids), not yet stored."""
        return TransportKeys(trk_id="trk-" + secrets.token_hex(8),
                             trk=Secret(secrets.token_bytes(32)),
                             ink_id="ink-" + secrets.token_hex(8),
                             ink=Secret(secrets.token_bytes(32)))

    def enrol(self, user_uri: str, keys: TransportKeys | None = None) -> TransportKeys:
        """Register a user with the TrK and InK it shares with this KMS (out of band): ``keys``
        (already delivered, e.g. written by ``mckm kms enrol``) or fresh ones; one transaction."""
        if not user_uri or any(c.isspace() for c in user_uri):
            raise UsageError(f"not a user URI: {user_uri!r}")
        keys = keys if keys is not None else self.new_transport_keys()
        try:
            self.store.enrol(user_uri, keys)
        except DuplicateError as exc:
            if "user_uri" in exc.constraint:
                raise UsageError(f"{user_uri} is already enrolled") from exc
            raise UsageError(f"a TrK or InK id of {user_uri} is already in use "
                             f"({exc.constraint})") from exc
        return keys

    def transport_keys(self, user_uri: str) -> TransportKeys | None:
        """The TrK and InK ``user_uri`` shares with this KMS, or None if it is not enrolled."""
        return self.store.transport_keys(user_uri)

    # -- key periods -------------------------------------------------------------------------

    def period_at(self, unix_time: float) -> int:
        number: int = self.algorithms.period_number(unix_time, self.config.period,
                                                    self.config.offset)
        return number

    def current_periods(self) -> tuple[int, int]:
        """The current and the next key period numbers (REQ-SKMS-10)."""
        current = self.period_at(self.clock())
        return current, current + 1

    def period_allowed(self, period_no: int) -> bool:
        """Key period ``period_no`` overlaps the KMS certificate's validity (REQ-SKMS-13)."""
        start = self.algorithms.period_start(period_no, self.config.period, self.config.offset)
        end = start + self.config.period
        return period_no >= 0 and end > self.config.valid_from and start < self.config.valid_to

    # -- key sets ----------------------------------------------------------------------------

    def issue(self, user_uri: str, period_no: int) -> UserKeySet:
        """Compute (not store) the key set of ``user_uri`` for ``period_no``."""
        cfg = self.config
        uid = self.algorithms.uid(user_uri, cfg.kms_uri, cfg.period, cfg.offset, period_no)
        ssk, pvt = self.algorithms.issue_ssk(self.keys.ksak.reveal(), self.keys.kpak, uid)
        rsk = self.algorithms.issue_rsk(self.keys.z.reveal(), uid)
        start = int(self.algorithms.period_start(period_no, cfg.period, cfg.offset))
        return UserKeySet(user_uri=user_uri, period_no=period_no, uid=uid, valid_from=start,
                          valid_to=start + cfg.period, ssk=ssk, pvt=pvt, rsk=Secret(rsk))

    def key_sets(self, user_uri: str, periods: Sequence[int]) -> list[UserKeySet]:
        """The key sets for ``periods``: stored ones as stored, missing ones issued and stored
        together in one transaction (nothing is stored if any issue fails).

        The checks (enrolment, periods inside the certificate) are the guards of the model
        ``mckm.models.procedures.skm_s``; calling this without them is a caller's mistake.
        """
        if self.transport_keys(user_uri) is None:
            raise UsageError(f"{user_uri} is not enrolled at this KMS")
        if not all(self.period_allowed(p) for p in periods):
            raise UsageError(f"key periods {list(periods)} are not all inside the certificate")
        found = self.store.key_sets(user_uri, periods)
        fresh = [self.issue(user_uri, p) for p in periods if p not in found]
        if fresh:
            try:
                self.store.put_key_sets(fresh)
            except DuplicateError:
                # another request (or replica) stored these periods first: hand out what is
                # stored
                found = self.store.key_sets(user_uri, periods)
                if len(found) != len(set(periods)):
                    raise
                return [found[p] for p in periods]
            found.update((k.period_no, k) for k in fresh)
        return [found[p] for p in periods]
