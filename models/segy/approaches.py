"""The five SeGy approaches of seed 003 (TR 33.880 7.8.1-7.8.5) as data.

Each :class:`Approach` says, once, with the seed step or TS 33.180 clause it comes from:

* which identities the SeGy holds (one for all external users, or one per user) and in which
  security domain (the MC domain's, or its own as an external MC domain);
* what it does, as :mod:`mckm.models.segy.operations`: once, per identity it creates, per group
  membership, per later key period, per call;
* how it reaches each MC domain server: one connection per identity (as an MC client), or one
  interconnection for all (SIP with the SPK, HTTP: seed 003 7.8.3.3 step 4, 7.8.4.3 step 2);
* the key material it holds (:class:`KeyHolding`: kind, issuer, scope, key periods);
* how an MC client learns which external user it talks to (``attribution``);
* where keys or media are in the clear.

The simulator (:mod:`mckm.impl.segy.simulator`) runs these operations; the proofs
(:mod:`mckm.proofs.segy`) read the holdings.  Nothing else restates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mckm.models.segy import operations as ops
from mckm.models.segy.operations import MC_SERVERS, ROLES, Operation

Connection = Literal["per-identity", "interconnection"]
Domain = Literal["mc", "own"]

#: what a key kind opens, for the proofs (TS 33.180 5.3.6, 5.7, 5.4, 5.5; RFC 6507, 6508)
KEY_KINDS: dict[str, str] = {
    "key-set": "SSK and PVT (signs as the identity, RFC 6507) and RSK (opens SAKKE I_MESSAGEs "
               "to it, RFC 6508) of one identity for one key period (TS 33.180 5.3.6)",
    "gmk": "the GMK of a group: its group calls' media keys (TS 33.180 5.7)",
    "csk": "the CSK: signalling between the identity and the MCX server (TS 33.180 5.4)",
    "spk": "the SPK: signalling between servers of two domains (TS 33.180 5.5)",
    "kms-master": "a KMS's master secrets: any key set of its domain, any key period "
                  "(RFC 6507 KSAK, RFC 6508 z_T)",
    "idm-signing-key": "an IdM's token signing key: any access token of its domain "
                       "(TS 33.180 B.2)",
    "access-token": "an access token of one identity (TS 33.180 5.1.2)",
}

Scope = Literal["own-identities", "any-identity", "memberships", "interconnection", "domain"]


@dataclass(frozen=True)
class KeyHolding:
    """Key material the SeGy holds: ``kind`` (a key of :data:`KEY_KINDS`) issued by ``issuer``
    (a role of :data:`~mckm.models.segy.operations.ROLES`, ``provisioned`` for keys put in
    directly, ``segy`` for keys the SeGy makes itself), for ``scope`` (its own identities;
    ``any-identity`` of the domain it asks for; its group memberships; the interconnection; the
    whole ``domain``), in security domain ``domain``, valid for the ``current`` key period or
    ``all``."""

    kind: str
    issuer: str
    scope: Scope
    domain: Domain
    periods: Literal["current", "all"]
    cite: str

    def __post_init__(self) -> None:
        if self.kind not in KEY_KINDS:
            raise ValueError(f"unknown key kind {self.kind!r}")


@dataclass(frozen=True)
class Approach:
    """One approach of seed 003 (module docstring)."""

    number: int
    title: str
    clause: str
    identities: Literal["one", "per-user"]
    domain: Domain
    once: tuple[Operation, ...]
    per_identity: tuple[Operation, ...]
    per_membership: tuple[Operation, ...]
    per_period_identity: tuple[Operation, ...]
    per_period_membership: tuple[Operation, ...]
    connection: dict[str, Connection]
    holds: tuple[KeyHolding, ...]
    attribution: Literal["signature", "in-band name"]
    integrates: tuple[str, ...]
    clear: tuple[str, ...]
    cites: dict[str, str]
    #: with ``in-band name`` attribution, the names an MC client accepts in band from the
    #: SeGy's identity: those of the signer's own security domain (seed 003 7.8.5.4 D5-2: "this
    #: only impacts its own domain"), or ``any``
    in_band_scope: Literal["signer-domain", "any"] = "signer-domain"

    def __post_init__(self) -> None:
        problems = []
        if set(self.connection) != set(MC_SERVERS):
            problems.append(f"connections for {sorted(self.connection)}, not {MC_SERVERS}")
        unknown = set(self.integrates) - set(ROLES)
        issuers = {h.issuer for h in self.holds} - set(ROLES) - {"provisioned", "segy"}
        if unknown or issuers:
            problems.append(f"unknown roles {sorted(unknown | issuers)}")
        if problems:
            raise ValueError(f"approach {self.number}: " + "; ".join(problems))

    @property
    def host_domain(self) -> bool:
        """Whether the SeGy's identities live in the MC domain's security domain, so that it
        depends on that domain to operate (seed 003 7.8.1.1: "a 'host' domain")."""
        return self.domain == "mc"

    @property
    def transparent(self) -> bool:
        """Whether an MC client reaches an external user by that user's own identity, with no
        further signalling (seed 003 7.8.1.4)."""
        return self.identities == "per-user"

    def holding(self, kind: str) -> tuple[KeyHolding, ...]:
        return tuple(h for h in self.holds if h.kind == kind)


_MC_CLIENT_HOLDS = (
    KeyHolding("access-token", "idm", "own-identities", "mc", "current",
               "seed 003 7.8.1.3 step 1; TS 33.180 5.1.2"),
    KeyHolding("key-set", "kms", "own-identities", "mc", "current",
               "seed 003 7.8.1.3 step 2; TS 33.180 5.3.3, 5.3.6"),
    KeyHolding("gmk", "gms", "memberships", "mc", "current",
               "seed 003 7.8.1.3 step 3; TS 33.180 5.7.1"),
)
_CSK = KeyHolding("csk", "segy", "own-identities", "mc", "current",
                  "seed 003 7.8.1.3 step 4; TS 33.180 5.4 (the client makes it)")
_SPK = KeyHolding("spk", "provisioned", "interconnection", "mc", "current",
                  "seed 003 7.8.3.3 step 4, 7.8.4.3 step 2; TS 33.180 5.5")
_OWN_DOMAIN_HOLDS = (
    KeyHolding("kms-master", "own_kms", "domain", "own", "all",
               "seed 003 7.8.4.3 step 1 (integrated KMS) and its NOTE"),
    KeyHolding("idm-signing-key", "own_idm", "domain", "own", "all",
               "seed 003 7.8.4.3 steps 1, 3 (integrated IdM)"),
    KeyHolding("key-set", "own_kms", "own-identities", "own", "current",
               "seed 003 7.8.4.3 step 1: it creates its own users"),
    KeyHolding("access-token", "idm", "own-identities", "mc", "current",
               "seed 003 7.8.4.3 step 3; TS 33.180 B.7 (partner token)"),
    KeyHolding("gmk", "gms", "memberships", "mc", "current",
               "seed 003 7.8.4.3 step 4; TS 33.180 5.7.1"),
    _SPK,
)
_MEDIA_CLEAR = "media and signalling of every call through the gateway, at the SeGy"

_PER_MEMBERSHIP = (ops.JOIN, ops.GMK)

APPROACHES: tuple[Approach, ...] = (
    Approach(
        1, "one MC client for all external users", "seed 003 7.8.1",
        identities="one", domain="mc", once=(),
        per_identity=(ops.LOGIN, ops.PROVISION, ops.CSK_UPLOAD),
        per_membership=_PER_MEMBERSHIP,
        per_period_identity=(ops.REKEY, ops.CSK_UPLOAD), per_period_membership=(ops.GMK,),
        connection=dict.fromkeys(("idm", "kms", "gms", "mcx"), "per-identity"),
        holds=(*_MC_CLIENT_HOLDS, _CSK), attribution="in-band name",
        integrates=(), clear=(_MEDIA_CLEAR,
                              "the external user's identity, in band to the IWF (7.8.1.4)"),
        cites={"identities": "7.8.1.1: the single SeGy identity represents all users",
               "operations": "7.8.1.3 steps 1-4", "attribution": "7.8.1.4"}),
    Approach(
        2, "one MC client per external user", "seed 003 7.8.2",
        identities="per-user", domain="mc", once=(),
        per_identity=(ops.LOGIN, ops.PROVISION, ops.CSK_UPLOAD),
        per_membership=_PER_MEMBERSHIP,
        per_period_identity=(ops.REKEY, ops.CSK_UPLOAD), per_period_membership=(ops.GMK,),
        connection=dict.fromkeys(("idm", "kms", "gms", "mcx"), "per-identity"),
        holds=(*_MC_CLIENT_HOLDS, _CSK), attribution="signature",
        integrates=(), clear=(_MEDIA_CLEAR,),
        cites={"identities": "7.8.2.1: one MC client identity per external identity",
               "operations": "7.8.2.3 steps 1-4 (individually, per identity)"}),
    Approach(
        3, "one migrated MC client per external user", "seed 003 7.8.3",
        identities="per-user", domain="mc", once=(),
        per_identity=(ops.LOGIN, ops.PROVISION),
        per_membership=_PER_MEMBERSHIP,
        per_period_identity=(ops.REKEY,), per_period_membership=(ops.GMK,),
        connection={"idm": "per-identity", "kms": "per-identity", "gms": "per-identity",
                    "mcx": "interconnection"},
        holds=(*_MC_CLIENT_HOLDS, _SPK), attribution="signature",
        integrates=("is_proxy",), clear=(_MEDIA_CLEAR,),
        cites={"identities": "7.8.3.1: one migrated MC client per external identity",
               "operations": "7.8.3.3 steps 1-3 per identity; step 4 with the SPK"}),
    Approach(
        4, "an external MC domain, one identity per external user", "seed 003 7.8.4",
        identities="per-user", domain="own", once=(ops.KMS_CERT,),
        per_identity=(ops.OWN_LOGIN, ops.OWN_PROVISION, ops.TOKEN_EXCHANGE),
        per_membership=_PER_MEMBERSHIP,
        per_period_identity=(ops.OWN_REKEY,), per_period_membership=(ops.GMK,),
        connection=dict.fromkeys(("idm", "kms", "gms", "mcx"), "interconnection"),
        holds=_OWN_DOMAIN_HOLDS, attribution="signature",
        integrates=("own_idm", "own_kms", "is_proxy"),
        clear=(_MEDIA_CLEAR, "the external domain's KMS master secrets, in the SeGy "
                             "(7.8.4.3 step 1 NOTE)"),
        cites={"identities": "7.8.4.3 step 1: its own 'user' for any external user",
               "operations": "7.8.4.3 steps 1-4"}),
    Approach(
        5, "an external MC domain with one user for all", "seed 003 7.8.5",
        identities="one", domain="own", once=(ops.KMS_CERT,),
        per_identity=(ops.OWN_LOGIN, ops.OWN_PROVISION, ops.TOKEN_EXCHANGE),
        per_membership=_PER_MEMBERSHIP,
        per_period_identity=(ops.OWN_REKEY,), per_period_membership=(ops.GMK,),
        connection=dict.fromkeys(("idm", "kms", "gms", "mcx"), "interconnection"),
        holds=_OWN_DOMAIN_HOLDS, attribution="in-band name",
        integrates=("own_idm", "own_kms", "is_proxy"),
        clear=(_MEDIA_CLEAR, "the external domain's KMS master secrets, in the SeGy",
               "the external user's identity, in band (7.8.5.3 step 5)"),
        cites={"identities": "7.8.5.3 step 1: a single 'user' for all external users",
               "operations": "7.8.5.3 steps 1-4"}),
)


def by_number(number: int) -> Approach:
    for approach in APPROACHES:
        if approach.number == number:
            return approach
    raise KeyError(f"no SeGy approach {number} (seed 003 has 1 to 5)")
