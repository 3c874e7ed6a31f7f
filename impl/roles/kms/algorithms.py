"""The identity-based operations a KMS performs, gathered so the role names them once.

The KMS of TS 33.180 clause 5.3 / Annex D (the SKM-S of TS 33.434, seed 004) needs:

* the community keys: ECCSI KSAK/KPAK (RFC 6507 section 4.2) and SAKKE z/Z (RFC 6508 section 2.2);
* per-user keys for one key period: ECCSI SSK and PVT (RFC 6507 section 5.1.1) and SAKKE RSK
  (RFC 6508 section 2.2), all bound to the UID of TS 33.180 F.2.1;
* the receiving client's checks of those keys (RFC 6507 section 5.1.2, RFC 6508 section 6.1.2).

:func:`standard` binds them to ``mckm.impl.crypto``.  Tests of the role may pass other callables
(for example to force a failure half-way), but the shipped role always uses :func:`standard`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mckm.impl.redact import Secret


@dataclass(frozen=True)
class IbcAlgorithms:
    """ECCSI, SAKKE and UID operations, with the signatures of ``mckm.impl.crypto``."""

    kms_keypair: Callable[[], tuple[Secret[int], bytes]]
    kms_master_key: Callable[[], tuple[Secret[int], bytes]]
    issue_ssk: Callable[[int, bytes, bytes], tuple[Secret[int], bytes]]
    issue_rsk: Callable[[int, bytes], bytes]
    validate_ssk: Callable[[bytes, bytes, int, bytes], None]
    validate_rsk: Callable[[bytes, bytes, bytes], None]
    #: UID of TS 33.180 F.2.1 from (user URI, KMS URI, key period, offset, period number)
    uid: Callable[[str, str, int, int, int], bytes]
    #: key period number (TS 33.180 F.2.1) of a Unix time, given (period, offset)
    period_number: Callable[[float, int, int], int]
    #: Unix time at which key period ``number`` starts, given (period, offset)
    period_start: Callable[[int, int, int], float]
    #: Unix time of a 64-bit NTP timestamp (RFC 5905 section 6)
    ntp64_to_unix: Callable[[int], float]


def standard() -> IbcAlgorithms:
    """The algorithms of ``mckm.impl.crypto`` (imported on first use)."""
    from mckm.impl.crypto import eccsi, sakke, uid

    def kms_keypair() -> tuple[Secret[int], bytes]:
        pair: tuple[Secret[int], bytes] = eccsi.kms_keypair()
        return pair

    def kms_master_key() -> tuple[Secret[int], bytes]:
        pair: tuple[Secret[int], bytes] = sakke.kms_master_key()
        return pair

    signers: dict[bytes, Any] = {}  # KPAK -> eccsi.Kms, which checks KPAK = [KSAK]G once

    def issue_ssk(ksak: int, kpak: bytes, identity: bytes) -> tuple[Secret[int], bytes]:
        kms = signers.get(kpak)
        if kms is None:
            kms = signers[kpak] = eccsi.Kms(ksak, kpak)
        issued: tuple[Secret[int], bytes] = kms.issue_ssk(identity)
        return issued

    def user_uid(user_uri: str, kms_uri: str, period: int, offset: int, number: int) -> bytes:
        value: bytes = uid.mcx_uid(user_uri, kms_uri, key_period=period,
                                   key_period_offset=offset, key_period_no=number)
        return value

    def period_number(unix_time: float, period: int, offset: int) -> int:
        number: int = uid.key_period_no(uid.unix_to_ntp(int(unix_time)), key_period=period,
                                        key_period_offset=offset)
        return number

    def period_start(number: int, period: int, offset: int) -> float:
        start: int = uid.ntp_to_unix(number * period + offset)
        return float(start)

    def ntp64_to_unix(value: int) -> float:
        seconds: int = uid.ntp_to_unix(value >> 32)
        return seconds + (value & 0xFFFFFFFF) / 2**32

    return IbcAlgorithms(
        kms_keypair=kms_keypair,
        kms_master_key=kms_master_key,
        issue_ssk=issue_ssk,
        issue_rsk=sakke.issue_rsk,
        validate_ssk=eccsi.validate_ssk,
        validate_rsk=sakke.validate_rsk,
        uid=user_uid,
        period_number=period_number,
        period_start=period_start,
        ntp64_to_unix=ntp64_to_unix,
    )
