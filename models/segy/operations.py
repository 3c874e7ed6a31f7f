"""The operations a SeGy performs, as the messages each costs: one home for each message.

A :class:`Message` is one request or key delivery between the SeGy and a server, named by the
clause that defines it.  Where the project models the procedure (``mckm.models.procedures``),
the message names that model's step and is checked against it at import (:func:`_step`), so a
renamed or removed step breaks here, not silently in the counts.  An :class:`Operation` is the
ordered messages of one thing the SeGy does (log in, obtain a key set, join a group ...).

Roles (seed 003 7.8.1.3, 7.8.4.3): ``idm``, ``kms``, ``gms``, ``mcx`` are the MC domain's servers;
``own_idm``, ``own_kms`` and ``is_proxy`` are the servers a SeGy integrates when it acts as an
external MC domain (approaches 4 and 5; the IS proxy in approach 3 too); ``iwf`` is the
interworking function beside the SeGy.
"""

from __future__ import annotations

from dataclasses import dataclass

from mckm.models.procedures import seal_key_distribution, skm_s
from mckm.models.procedures.model import Procedure

#: role -> what it is (seed 003 7.8.1.1, 7.8.1.3, 7.8.4.1)
ROLES: dict[str, str] = {
    "idm": "the MC domain's identity management server (IdMS)",
    "kms": "the MC domain's KMS",
    "gms": "the MC domain's group management server",
    "mcx": "the MC domain's MCX servers (SIP)",
    "own_idm": "the IdM integrated in the SeGy (external MC domain)",
    "own_kms": "the KMS integrated in the SeGy (external MC domain)",
    "iwf": "the interworking function beside the SeGy (identity of the external user, in band)",
    "is_proxy": "the external domain's interconnection signalling proxy: the SeGy's end of the "
                "SPK-protected interconnection (TS 33.180 I.3.7; seed 003 7.8.4.1)",
}

#: the MC domain's servers, whose load the seed's scaling claims are about
MC_SERVERS: tuple[str, ...] = ("idm", "kms", "gms", "mcx")

#: key material and credentials, as the simulator stores them (state the SeGy keeps)
OBTAINS = {
    "access-token": "an IdM access token (TS 33.180 5.1.2, B.4)",
    "partner-token": "an access token from a partner domain's IdM (TS 33.180 B.7)",
    "kms-certificate": "a KMS certificate (TS 33.180 5.3.5)",
    "key-set": "a KMS key set: SSK, PVT and RSK of one identity for one key period "
               "(TS 33.180 5.3.6)",
    "gmk": "a GMK of one group for one identity (TS 33.180 5.7)",
    "csk": "a CSK shared with the MCX server (TS 33.180 5.4)",
}


@dataclass(frozen=True)
class Message:
    """One message between the SeGy and ``to`` (the server it is sent to or received from).
    ``procedure`` and ``step`` name the project's model of it, when one exists; ``obtains`` is
    the credential or key it leaves the SeGy holding (a key of :data:`OBTAINS`)."""

    to: str
    name: str
    cite: str
    procedure: str = ""
    step: str = ""
    obtains: str = ""

    def __post_init__(self) -> None:
        if self.to not in ROLES:
            raise ValueError(f"message {self.name!r}: unknown role {self.to!r}")
        if self.obtains and self.obtains not in OBTAINS:
            raise ValueError(f"message {self.name!r}: unknown credential {self.obtains!r}")


@dataclass(frozen=True)
class Operation:
    """One thing the SeGy does, as the messages it costs, in order."""

    name: str
    messages: tuple[Message, ...]
    cite: str


def _step(procedure: Procedure, role: str, message: str) -> tuple[str, str]:
    """(procedure name, step number) of ``role`` sending ``message`` in the project's model."""
    return procedure.name, procedure.step_for(role, message, "send").number


def _skms(request: str, name: str, cite: str, obtains: str = "",
          to: str = "kms") -> Message:
    proc, step = _step(skm_s.PROCEDURE, "client", request)
    return Message(to, name, cite, proc, step, obtains)


def _i_message(to: str, name: str, cite: str, obtains: str) -> Message:
    proc, step = _step(seal_key_distribution.PROCEDURE, "initiator", "I_MESSAGE")
    return Message(to, name, cite, proc, step, obtains)


def _login(to: str) -> Operation:
    return Operation(f"login at {to}", (
        Message(to, "authentication request", "TS 33.180 5.1.2, B.4.2.2"),
        Message(to, "access token request", "TS 33.180 B.4.2.4", obtains="access-token"),
    ), "TS 33.180 5.1.2: the MC client authenticates to the IdMS (OpenID Connect)")


def _provision(to: str) -> Operation:
    return Operation(f"key provisioning at {to}", (
        _skms("INIT_REQUEST", "KMSInit request", "TS 33.180 5.3.3 1a, D.2.3",
              "kms-certificate", to),
        _skms("KEYPROV_REQUEST", "KMSKeyProv request", "TS 33.180 5.3.3 1b, D.2.4",
              "key-set", to),
        _skms("CERTCACHE_REQUEST", "KMSCertCache request", "TS 33.180 5.3.3 1c, D.2.5", "",
              to),
    ), "TS 33.180 5.3.3: the key management client obtains the identity's key material")


def _rekey(to: str) -> Operation:
    return Operation(f"key set of the next key period from {to}", (
        _skms("KEYPROV_REQUEST", "KMSKeyProv request", "TS 33.180 5.3.3 1b, 5.3.6",
              "key-set", to),
    ), "TS 33.180 5.3.6: a key set holds the keys of one key period")


#: the MC client's login at the MC domain's IdM (seed 003 7.8.1.3 step 1)
LOGIN = _login("idm")
#: the same login inside the SeGy's own domain (seed 003 7.8.4.3 step 1: created internally)
OWN_LOGIN = _login("own_idm")
#: KMSInit, KMSKeyProv, KMSCertCache at the MC domain's KMS (seed 003 7.8.1.3 step 2)
PROVISION = _provision("kms")
#: the same at the SeGy's integrated KMS (seed 003 7.8.4.3 step 1)
OWN_PROVISION = _provision("own_kms")
REKEY = _rekey("kms")
OWN_REKEY = _rekey("own_kms")
#: the SeGy's domain obtains the MC domain's KMS certificate once (TS 33.180 D.2.6)
KMS_CERT = Operation("the MC domain's KMS certificate", (
    _skms("CERT_REQUEST", "KMS Cert request", "TS 33.180 5.3.3 1e, D.2.6", "kms-certificate"),
), "TS 33.180 5.3.4: an external KMS certificate is needed across security domains")
#: service authorisation in the MC domain for an identity of another domain (TS 33.180 B.7)
TOKEN_EXCHANGE = Operation("partner access token", (
    Message("idm", "token request to the partner IdM", "TS 33.180 B.7.4",
            obtains="partner-token"),
), "seed 003 7.8.4.3 step 3: inter-domain identity management (TS 33.180 B.7)")
#: a group join, answered by the group's GMK for this identity (seed 003 7.8.1.3 step 3)
JOIN = Operation("group join", (
    Message("gms", "group membership request", "seed 003 7.8.1.3 step 3, 7.8.4.3 step 4"),
), "seed 003 7.8.1.3 step 3: the SeGy communicates with the GMS to join groups")
#: the GMS distributes the group's GMK to one member identity, per key period (TS 33.180 5.7)
GMK = Operation("GMK distribution", (
    _i_message("gms", "GMK I_MESSAGE from the GMS", "TS 33.180 5.7.1, 5.2.2", "gmk"),
), "TS 33.180 5.7.1: the GMK is encrypted specifically to each member")
#: the CSK upload to the MCX server (seed 003 7.8.1.3 step 4; TS 33.180 5.4)
CSK_UPLOAD = Operation("CSK upload", (
    _i_message("mcx", "CSK upload I_MESSAGE", "TS 33.180 5.4, E.4", "csk"),
), "TS 33.180 5.4: the client distributes the CSK to the MCX server (SIP)")
#: a private call from an MC client to an external user (TS 33.180 5.6: PCK in the INVITE)
PRIVATE_CALL = Operation("private call to an external user", (
    _i_message("mcx", "SIP INVITE with the PCK I_MESSAGE", "TS 33.180 5.6", ""),
), "TS 33.180 5.6: the PCK travels in the SDP of the SIP INVITE")
#: the external user's identity sent in band when one identity stands for many (seed 7.8.1.4)
ADDRESSING = Operation("external user's identity to the IWF", (
    Message("iwf", "identity of the external user", "seed 003 7.8.1.4, 7.8.5.3 step 5"),
), "seed 003 7.8.1.4: the MC client transmits the identity of the external user to the IWF")
#: one group call delivered to the SeGy (one SIP INVITE per affiliated identity or partner)
GROUP_CALL = Operation("group call delivery", (
    Message("mcx", "group call SIP INVITE", "TS 33.180 5.7; seed 003 7.8.2.3 step 4"),
), "a group call reaches each affiliated identity's connection once")

#: every operation, by name (the docs list them from here)
OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    LOGIN, OWN_LOGIN, PROVISION, OWN_PROVISION, REKEY, OWN_REKEY, KMS_CERT, TOKEN_EXCHANGE,
    JOIN, GMK, CSK_UPLOAD, PRIVATE_CALL, ADDRESSING, GROUP_CALL)}
