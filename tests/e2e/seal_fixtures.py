"""A SKM-S community with users for the SEAL end-to-end tests (keys issued directly)."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.crypto.uid import unix_to_ntp
from mckm.impl.redact import Secret
from mckm.impl.roles.seal import MCX_HASHED_UID, Community, UserKeys

KMS_URI = "kms.example.org"
#: 2025-06-15T12:00:00Z, well inside a 30-day period and a month
NOW = unix_to_ntp(int(datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC).timestamp()))


@dataclass
class Kms:
    community: Community
    ksak: Secret[int]
    z: Secret[int]

    def keys(self, uri: str, now: int = NOW) -> UserKeys:
        period = self.community.period_of(now)
        uid = self.community.uid(uri, period)
        ssk, pvt = eccsi.issue_ssk(self.ksak.reveal(), self.community.kpak, uid)
        return UserKeys(uri, period, uid, ssk, pvt,
                        Secret(sakke.issue_rsk(self.z.reveal(), uid)))


def kms(id_scheme: int = MCX_HASHED_UID) -> Kms:
    """One KMS per UID scheme for the whole test session."""
    return _kms(id_scheme)


@functools.cache
def _kms(id_scheme: int) -> Kms:
    ksak, kpak = eccsi.kms_keypair()
    z, z_pub = sakke.kms_master_key()
    return Kms(Community(KMS_URI, kpak, z_pub, id_scheme=id_scheme), ksak, z)
