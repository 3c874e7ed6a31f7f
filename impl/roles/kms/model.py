"""What a KMS (SKM-S) holds and hands out: community keys, its certificate, user key sets.

TS 33.180 clause 5.3 and Annex D.3 (read via the TS 33.179/33.180 D.3 copies; element lists
partly single-source, see ``spec/skm-s.md``); TS 33.434 clause 6.Y (seed 004) calls the same
server the SEAL Key Management Server.  Secret values are :class:`~mckm.impl.redact.Secret`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mckm.impl.redact import Secret

#: TS 33.180 B.x / TS 24.482: scope an IdMS access token carries for the MCPTT KMS (recalled,
#: see spec/skm-s.md, REQ-SKMS-21).
KMS_SCOPE = "3gpp:mc:ptt_key_management_service"


@dataclass(frozen=True)
class KmsConfig:
    """How a KMS is set up: its URI, certificate identity and key period (TS 33.180 D.3.2)."""

    kms_uri: str
    #: UserKeyPeriod and UserKeyOffset of the KMS certificate, in seconds
    period: int = 2592000
    offset: int = 0
    cert_uri: str | None = None
    issuer: str | None = None
    #: certificate validity, Unix seconds
    valid_from: int = 0
    valid_to: int = 0

    @property
    def certificate_uri(self) -> str:
        return self.cert_uri or f"cert1.{self.kms_uri}"

    @property
    def certificate_issuer(self) -> str:
        return self.issuer or self.kms_uri


@dataclass(frozen=True)
class CommunityKeys:
    """The KMS master secrets and public keys (RFC 6507 4.2 KSAK/KPAK, RFC 6508 2.2 z/Z)."""

    ksak: Secret[int]
    kpak: bytes
    z: Secret[int]
    z_pub: bytes


@dataclass(frozen=True)
class KmsCertificate:
    """The public KMS certificate of TS 33.180 D.3.2 (one per user community).

    The fields the schema (D.3.5.1 KmsCertificateType) makes optional are ``None`` when a
    certificate read from a peer leaves them out; Revoked absent reads as not revoked.
    """

    kms_uri: str
    cert_uri: str | None
    issuer: str | None
    valid_from: int | None
    valid_to: int | None
    revoked: bool
    user_key_period: int
    user_key_offset: int
    pub_enc_key: bytes
    pub_auth_key: bytes
    role: str | None = "Root"
    #: 2 = the 3GPP MC hashed UID of TS 33.180 F.2.1 (Table D.3.2.2-1: "Shall contain the
    #: value '2'")
    user_id_format: str = "2"
    parameter_set: int | None = 1

    @classmethod
    def of(cls, config: KmsConfig, keys: CommunityKeys) -> KmsCertificate:
        return cls(
            kms_uri=config.kms_uri,
            cert_uri=config.certificate_uri,
            issuer=config.certificate_issuer,
            valid_from=config.valid_from,
            valid_to=config.valid_to,
            revoked=False,
            user_key_period=config.period,
            user_key_offset=config.offset,
            pub_enc_key=keys.z_pub,
            pub_auth_key=keys.kpak,
        )


@dataclass(frozen=True)
class UserKeySet:
    """One user's keys for one key period (TS 33.180 D.3.3 KmsKeySet)."""

    user_uri: str
    period_no: int
    uid: bytes
    valid_from: int
    valid_to: int
    ssk: Secret[int]
    pvt: bytes
    rsk: Secret[bytes]


@dataclass(frozen=True)
class TransportKeys:
    """The keys a client shares with its KMS for the D.1 security extension.

    The TrK confidentiality-protects user keys; the InK keys the HMAC-SHA256 signature of the
    response (TS 33.180 D.1: "signed using the shared Integrity key (InK) or Transport Key
    (TrK)").  Both are 256-bit AES/HMAC keys provisioned out of band at enrolment.
    """

    trk_id: str
    trk: Secret[bytes]
    ink_id: str
    ink: Secret[bytes]
