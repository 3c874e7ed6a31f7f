"""Who a SEAL key is for: the SKM-S community values and the two UID schemes.

A user trusts one SKM-S (KMS) community: its URI, KPAK (RFC 6507), Z (RFC 6508), key period
and offset and the identifier scheme of its certificate (TS 33.180 D.3.2 UserIdFormat).  The
scheme is the value the SAKKE payload carries in its ID scheme field (RFC 6509 4.2), and picks
how a URI and a time become a UID:

* 2, "3GPP MCX hashed UID" (TS 33.180 F.2.1, the default): SHA-256 over URI, KMS URI, key
  period, offset and the key period number ``floor((T - offset) / period)``;
* 1, "tel URI with monthly keys" (RFC 6509 3.2): ``"YYYY-MM" 0x00 tel-URI 0x00``; its key
  period number here is the month index ``12 * (year - 1900) + month - 1`` of T (UTC).

Times are NTP seconds (since 1900-01-01T00:00Z), as in the MIKEY T payload (RFC 3830 6.6).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mckm.impl.crypto import uid as uids
from mckm.impl.errors import UsageError
from mckm.models.grammar.namespaces import SAKKE_ID_SCHEME

if TYPE_CHECKING:
    from mckm.impl.roles.kms.model import KmsCertificate

#: RFC 6509 4.2 / TS 33.180 F.2.1 SAKKE ID scheme values (codec namespace SAKKE_ID_SCHEME).
TEL_URI_MONTHLY = 1
MCX_HASHED_UID = SAKKE_ID_SCHEME.MCX_HASHED_UID_3GPP
DEFAULT_ID_SCHEME = MCX_HASHED_UID


@dataclass(frozen=True)
class Community:
    """The public values of one SKM-S certificate a user trusts (TS 33.180 D.3.2)."""

    kms_uri: str
    kpak: bytes
    z_pub: bytes
    key_period: int = 2592000
    key_period_offset: int = 0
    id_scheme: int = DEFAULT_ID_SCHEME

    @property
    def scheme(self) -> UidScheme:
        return uid_scheme(self.id_scheme)

    def period_of(self, ntp_seconds: int) -> int:
        return self.scheme.period_of(self, ntp_seconds)

    def uid(self, uri: str, period_no: int) -> bytes:
        return self.scheme.uid(self, uri, period_no)

    @classmethod
    def from_certificate(cls, cert: KmsCertificate) -> Community:
        """From the KMS certificate of TS 33.180 D.3.2."""
        return cls(kms_uri=str(cert.kms_uri), kpak=bytes(cert.pub_auth_key),
                   z_pub=bytes(cert.pub_enc_key),
                   key_period=int(cert.user_key_period),
                   key_period_offset=int(cert.user_key_offset),
                   id_scheme=int(cert.user_id_format))


class UidScheme(Protocol):
    """How a URI and a key period number become the identifier that keys are issued for."""

    @property
    def value(self) -> int: ...

    @property
    def name(self) -> str: ...

    def period_of(self, community: Community, ntp_seconds: int) -> int: ...

    def uid(self, community: Community, uri: str, period_no: int) -> bytes: ...


@dataclass(frozen=True)
class McxHashedUid:
    """TS 33.180 F.2.1 (ID scheme 2)."""

    value: int = MCX_HASHED_UID
    name: str = "3GPP MCX hashed UID (TS 33.180 F.2.1)"

    def period_of(self, community: Community, ntp_seconds: int) -> int:
        return uids.key_period_no(ntp_seconds, key_period=community.key_period,
                                  key_period_offset=community.key_period_offset)

    def uid(self, community: Community, uri: str, period_no: int) -> bytes:
        return uids.mcx_uid(uri, community.kms_uri, key_period=community.key_period,
                            key_period_offset=community.key_period_offset,
                            key_period_no=period_no)


@dataclass(frozen=True)
class TelUriMonthly:
    """RFC 6509 3.2 (ID scheme 1); the period number is the month index of T."""

    value: int = TEL_URI_MONTHLY
    name: str = "tel URI with monthly keys (RFC 6509 3.2)"

    def period_of(self, community: Community, ntp_seconds: int) -> int:
        if ntp_seconds < 0:
            raise UsageError("time before the NTP epoch")
        moment = datetime.datetime.fromtimestamp(uids.ntp_to_unix(ntp_seconds), tz=datetime.UTC)
        return 12 * (moment.year - 1900) + moment.month - 1

    def uid(self, community: Community, uri: str, period_no: int) -> bytes:
        year, month0 = divmod(period_no, 12)
        return uids.rfc6509_uid(uri, year=1900 + year, month=month0 + 1)


UID_SCHEMES: dict[int, UidScheme] = {s.value: s for s in (McxHashedUid(), TelUriMonthly())}


def uid_scheme(value: int) -> UidScheme:
    """The scheme for a SAKKE ID scheme value; an unknown value is a UsageError."""
    try:
        return UID_SCHEMES[value]
    except KeyError:
        raise UsageError(f"SAKKE ID scheme {value} is not supported (known: "
                         f"{sorted(UID_SCHEMES)}; RFC 6509 4.2, TS 33.180 F.2.1)") from None
