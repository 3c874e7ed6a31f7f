"""The threat catalogue: for each procedure, what an attacker on the network can try against
each security requirement and the refusal the requirement calls for.

Written from the requirement texts (``REQUIREMENTS`` of each model, ``spec/*.md``), never from
the guards: a model that drops a guard keeps its threats, so the endpoint tests built on this
table (``tests/endpoints``) fail.  Each :class:`Threat` names the requirement, the kind of attack
(:data:`KINDS`), the message it targets, what in it is attacked (a field or payload for a
tamper, the party or configuration for the others) and the refusal (:class:`Expected`: the
MIKEY error of RFC 3830 6.12 / RFC 6043 6.9, the HTTP or SIP status the requirement names, and
a word of the reason phrase or OAuth error where the requirement names what it must say).

A requirement with no threat is listed in the catalogue's ``not_attackable`` with the reason
(what the sender does, a functional rule, or a threat covered under another requirement);
``tests/endpoints/test_catalogue.py`` checks that every requirement of a catalogued procedure is
in exactly one of the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mckm.models.grammar.namespaces import ERROR_NO

#: the kinds of attack, each in one line
KINDS: Mapping[str, str] = {
    "replay": "a message the receiver accepted before, delivered to it again",
    "tamper": "octets of the named field or payload changed in transit, nothing re-protected",
    "wrong-identity": "a message naming as its sender a party other than the one who made it",
    "misaddressed": "a well-made message for another receiver or KMS, delivered here",
    "stale": "a well-made message delivered outside the receiver's freshness window",
    "expired": "a ticket, token or code used after the end of its validity",
    "not-yet-valid": "a ticket or token used before the start of its validity",
    "wrong-period": "a message of another key period than the receiver's current one",
    "out-of-order": "a message delivered where the procedure does not expect it",
    "forged-signature": "a message signed or MACed with a key other than the one required",
    "unauthorised": "a sender or requester the receiver's policy does not authorise for this",
    "untrusted-peer": "a KMS the receiver has no trust relation with",
    "wrong-token": "an access token the IdMS did not issue, or that grants something else",
    "key-id-collision": "a second, different key under a key id the receiver already holds",
    "wrong-key": "a well-signed message whose key material is encrypted for another party",
    "reflected": "a message an end point sent, delivered back to it",
}


@dataclass(frozen=True)
class Expected:
    """The refusal a requirement calls for: a MIKEY error number, an HTTP status, or both;
    neither (:data:`DISCARDED`) for a client, which answers nobody and discards the message."""

    mikey_error: int | None = None
    status: int | None = None
    #: a word the reason phrase (SIP) or OAuth error and description (IdM) must hold, where
    #: the requirement says what the refusal names (REQ-SIPREG-06, REQ-IKMM-15, REQ-IDM-02)
    phrase: str = ""

    def __str__(self) -> str:
        parts = [f"reason phrase naming {self.phrase!r}"] if self.phrase else []
        if self.mikey_error is not None:
            name = ERROR_NO.by_value[self.mikey_error].name
            parts.append(f"MIKEY error {self.mikey_error} ({name})")
        if self.status is not None:
            parts.append(f"status {self.status}")
        return ", ".join(parts) or "discarded"


@dataclass(frozen=True)
class Threat:
    """One attack against one requirement: ``target`` is the field or payload a tamper changes,
    or the party or setting the other kinds vary (one short phrase)."""

    requirement: str
    kind: str
    message: str
    target: str
    refusal: Expected
    text: str

    @property
    def name(self) -> str:
        return f"{self.requirement} {self.kind} {self.message}" + (
            f" [{self.target}]" if self.target else "")


@dataclass(frozen=True)
class Catalogue:
    """One procedure's threats, and the requirements no threat is staged against."""

    procedure: str
    threats: tuple[Threat, ...]
    #: requirement id -> why no attacker is staged against it at an endpoint (functional, what
    #: a sender does, covered under another requirement, or "not staged": a hole, named)
    not_attackable: Mapping[str, str] = field(default_factory=dict)


AUTH, TS, ID = (Expected(ERROR_NO.AUTH_FAILURE), Expected(ERROR_NO.INVALID_TS),
                Expected(ERROR_NO.INVALID_ID))
UNSPECIFIED = Expected(ERROR_NO.UNSPECIFIED_ERROR)
DISCARDED = Expected()
TICKET_ERR, TPPAR = Expected(ERROR_NO.INVALID_TICKET), Expected(ERROR_NO.INVALID_TPPAR)

# ----------------------------------------------------------------------------- SEAL (seed 004)
_IM = "I_MESSAGE"
SEAL = Catalogue("seal-key-distribution", (
    Threat("REQ-SEAL-KD-06", "misaddressed", _IM, "IDRr",
           ID, "an I_MESSAGE the initiator made for another user is delivered to this one"),
    Threat("REQ-SEAL-KD-07", "untrusted-peer", _IM, "IDRkmsi",
           ID, "a sender of an SKM-S this receiver does not accept"),
    Threat("REQ-SEAL-KD-08", "wrong-period", _IM, "T",
           TS, "made at the end of the last key period, received in the next"),
    Threat("REQ-SEAL-KD-09", "stale", _IM, "T",
           TS, "delivered after the replay window of its T"),
    Threat("REQ-SEAL-KD-09", "replay", _IM, "",
           TS, "the same I_MESSAGE delivered again in its replay window"),
    Threat("REQ-SEAL-KD-10", "tamper", _IM, "RAND", AUTH, "a bit of RAND changed"),
    Threat("REQ-SEAL-KD-10", "tamper", _IM, "CSB-ID", AUTH,
           "a random bit of the SK-ID in CSB-ID changed"),
    Threat("REQ-SEAL-KD-10", "tamper", _IM, "SIGN", AUTH, "a bit of the ECCSI signature changed"),
    Threat("REQ-SEAL-KD-10", "wrong-identity", _IM, "IDRi", AUTH,
           "IDRi rewritten to another user of the community"),
    Threat("REQ-SEAL-KD-10", "tamper", _IM, "SAKKE", AUTH,
           "a bit of the SAKKE encapsulated data changed (the signature covers it)"),
    Threat("REQ-SEAL-KD-11", "wrong-key", _IM, "SAKKE", AUTH,
           "a compromised initiator signs an I_MESSAGE to this receiver whose K it encrypted "
           "to another user's UID"),
    Threat("REQ-SEAL-KD-12", "unauthorised", _IM, "SK-ID purpose",
           UNSPECIFIED, "a key of a purpose the receiver is not configured for"),
    Threat("REQ-SEAL-KD-14", "unauthorised", _IM, "GMK purpose", AUTH,
           "a group key from a user that is not an authorised SGM-S"),
    Threat("REQ-SEAL-KD-15", "key-id-collision", _IM, "CSB-ID", UNSPECIFIED,
           "a second key under an SK-ID the receiver already holds"),
), {
    "REQ-SEAL-KD-01": "functional: the message the key travels in (every legal run)",
    "REQ-SEAL-KD-02": "what the initiator generates; a receiver cannot tell a random field "
                      "from an attacker's (the purpose it can: REQ-SEAL-KD-12)",
    "REQ-SEAL-KD-03": "where the initiator writes the SK-ID (layout, checked by the codec)",
    "REQ-SEAL-KD-04": "what the initiator does; its receiver-side check is REQ-SEAL-KD-11",
    "REQ-SEAL-KD-05": "what the initiator does; its receiver-side check is REQ-SEAL-KD-10",
    "REQ-SEAL-KD-13": "the receiver takes one message per run: a second delivery is a replay "
                      "(REQ-SEAL-KD-09)",
})

# ----------------------------------------------------------- MIKEY-TICKET (seed 002, RFC 6043)
_UE_SIDE = (
    Threat("REQ-TKT-02", "tamper", "REQUEST_INIT", "RANDRi", AUTH,
           "a bit of RANDRi changed: the V payload no longer verifies under the NAF key"),
    Threat("REQ-TKT-02", "wrong-identity", "REQUEST_INIT", "IDRi", ID,
           "a user asks with its own B-TID and NAF key for a ticket in another user's name"),
    Threat("REQ-TKT-02", "misaddressed", "REQUEST_INIT", "IDRkms", AUTH,
           "a REQUEST_INIT for another KMS: not MACed under this KMS's NAF key"),
    Threat("REQ-TKT-02", "tamper", "REQUEST_RESP", "TICKET", AUTH,
           "a bit of the granted TICKET changed on its way to the initiator"),
    Threat("REQ-TKT-04", "tamper", "TRANSFER_RESP", "V", AUTH,
           "a bit of the TRANSFER_RESP's MAC changed: it does not verify with keys from MPKi"),
    Threat("REQ-TKT-05", "misaddressed", "TRANSFER_INIT", "IDRr", ID,
           "a TRANSFER_INIT for another responder delivered to this one"),
    Threat("REQ-TKT-07", "tamper", "RESOLVE_INIT", "RANDRr", AUTH,
           "a bit of the RESOLVE_INIT changed: its V no longer verifies"),
    Threat("REQ-TKT-08", "wrong-identity", "RESOLVE_INIT", "IDRr", ID,
           "a user resolves with its own B-TID in the name of the intended responder"),
    Threat("REQ-TKT-09", "unauthorised", "RESOLVE_INIT", "IDRr", ID,
           "a user the ticket does not name resolves it in its own name"),
    Threat("REQ-TKT-10", "expired", "RESOLVE_INIT", "TRe", TPPAR,
           "a resolve made after the ticket's validity ended"),
    Threat("REQ-TKT-10", "not-yet-valid", "RESOLVE_INIT", "TRs", TPPAR,
           "a resolve made before the ticket's validity started"),
    Threat("REQ-TKT-11", "replay", "REQUEST_INIT", "", TS,
           "a REQUEST_INIT the KMS served, sent again"),
    Threat("REQ-TKT-11", "replay", "RESOLVE_INIT", "", TS,
           "a RESOLVE_INIT the KMS served, sent again"),
    Threat("REQ-TKT-12", "tamper", "TRANSFER_INIT", "Ticket Data", TICKET_ERR,
           "a bit of the Ticket Data changed before the responder resolves it honestly"),
    Threat("REQ-TKT-14", "tamper", "RESOLVE_RESP", "KEMAC", AUTH,
           "a bit of the RESOLVE_RESP's KEMAC changed on its way to the responder"),
    Threat("REQ-TKT-14", "tamper", "RESOLVE_RESP", "V", AUTH,
           "a bit of the RESOLVE_RESP's MAC changed on its way to the responder"),
    Threat("REQ-TKT-21", "out-of-order", "RESOLVE_RESP", "", UNSPECIFIED,
           "a RESOLVE_RESP delivered to a responder after it completed that run"),
    Threat("REQ-TKT-22", "tamper", "TRANSFER_INIT", "RANDRi", AUTH,
           "a bit of RANDRi changed: the TRANSFER_INIT does not verify with the resolved MPKi"),
    Threat("REQ-TKT-23", "expired", "TRANSFER_INIT", "reused TRe", TPPAR,
           "a reusable ticket the responder holds, offered again after its validity"),
    Threat("REQ-TKT-23", "not-yet-valid", "TRANSFER_INIT", "reused TRs", TPPAR,
           "a reusable ticket the responder holds, offered with a time before its validity"),
    Threat("REQ-TKT-22", "tamper", "TRANSFER_INIT", "reused RANDRi", AUTH,
           "a bit of a reused ticket's TRANSFER_INIT changed: it does not verify with the "
           "MPKi stored with the ticket"),
    Threat("REQ-TKT-24", "replay", "TRANSFER_INIT", "reused", TS,
           "a TRANSFER_INIT reusing a stored ticket, accepted, delivered again"),
    Threat("REQ-TKT-27", "wrong-identity", "TRANSFER_INIT", "reused IDRi", ID,
           "the initiator, who holds the ticket's MPKi, offers it again in another user's "
           "name (IDRi), correctly MACed"),
    Threat("REQ-TKT-05", "misaddressed", "TRANSFER_INIT", "reused IDRr", ID,
           "a reused ticket's TRANSFER_INIT naming another responder, delivered to the one "
           "holding the ticket"),
    Threat("REQ-TKT-24", "replay", "TRANSFER_INIT", "", TS,
           "a TRANSFER_INIT the responder accepted, delivered again"),
    Threat("REQ-TKT-26", "expired", "TRANSFER_INIT", "TRe", TPPAR,
           "a TRANSFER_INIT whose ticket has expired (rejected before any resolve)"),
    Threat("REQ-TKT-27", "wrong-identity", "TRANSFER_INIT", "IDRi", ID,
           "IDRi rewritten to a user other than the one the Ticket Policy names"),
)
_TKT_NOT_ATTACKABLE = {
    "REQ-TKT-01": "functional: the ticket request exchange (every legal run)",
    "REQ-TKT-03": "a granted policy reaches the initiator only under its KMS's MAC "
                  "(REQ-TKT-02 tamper): only a dishonest own KMS could grant another one",
    "REQ-TKT-06": "what the responder sends (its KMS's checks: REQ-TKT-07, -08)",
    "REQ-TKT-13": "what the KMS sends (the responder's checks: REQ-TKT-14)",
    "REQ-TKT-15": "functional: the answer and key derivation (every legal run)",
    "REQ-TKT-25": "the desired policy travels under the initiator's MAC: only the initiator "
                  "itself could name another KMS, and then IDRkms refuses first (REQ-TKT-02)",
}
_ONE_ONLY = {
    "REQ-TKT-16": "two KMS domains only",
    "REQ-TKT-17": "two KMS domains only",
    "REQ-TKT-18": "two KMS domains only",
    "REQ-TKT-19": "two KMS domains only",
    "REQ-TKT-20": "two KMS domains only",
}
TICKET_ONE = Catalogue("mikey-ticket-one-kms", _UE_SIDE, {**_TKT_NOT_ATTACKABLE, **_ONE_ONLY})
TICKET_TWO = Catalogue("mikey-ticket-two-kms", (
    *_UE_SIDE,
    Threat("REQ-TKT-16", "untrusted-peer", "RESOLVE_INIT", "TP IDRkms", TICKET_ERR,
           "a ticket issued by a KMS the responder's KMS does not trust"),
    Threat("REQ-TKT-18", "untrusted-peer", "RESOLVE_INIT_ZK", "Zk source", ID,
           "a KMS the issuing KMS does not trust forwards a resolve over Zk"),
    Threat("REQ-TKT-18", "forged-signature", "RESOLVE_INIT_ZK", "NDS/IP association", AUTH,
           "a Zk resolve on an association that authenticated nobody"),
    Threat("REQ-TKT-18", "misaddressed", "RESOLVE_INIT_ZK", "Zk addressee", ID,
           "a Zk resolve meant for another KMS delivered to this one"),
    Threat("REQ-TKT-09", "unauthorised", "RESOLVE_INIT_ZK", "IDRr", ID,
           "a trusted KMS_R forwards the ticket for a responder the ticket does not name"),
    Threat("REQ-TKT-10", "expired", "RESOLVE_INIT_ZK", "TRe", TPPAR,
           "a Zk resolve reaching the issuing KMS after the ticket's validity ended"),
    Threat("REQ-TKT-10", "not-yet-valid", "RESOLVE_INIT_ZK", "TRs", TPPAR,
           "a Zk resolve reaching the issuing KMS before the ticket's validity started"),
    Threat("REQ-TKT-11", "replay", "RESOLVE_INIT_ZK", "", TS,
           "a Zk resolve the issuing KMS served, sent again on the association"),
    Threat("REQ-TKT-20", "misaddressed", "RESOLVE_RESP_ZK", "IDRr", ID,
           "the Zk answer names another responder than the request KMS_R forwarded"),
    Threat("REQ-TKT-20", "untrusted-peer", "RESOLVE_RESP_ZK", "Zk source", ID,
           "the Zk answer comes from a KMS that was not asked"),
    Threat("REQ-TKT-20", "forged-signature", "RESOLVE_RESP_ZK", "NDS/IP association", AUTH,
           "the Zk answer on an association that authenticated nobody"),
), {**_TKT_NOT_ATTACKABLE,
    "REQ-TKT-17": "what KMS_R sends over Zk (KMS_I's checks: REQ-TKT-18)",
    "REQ-TKT-19": "what KMS_I sends over Zk (KMS_R's checks: REQ-TKT-20)"})

# ------------------------------------------------------------------ SKM-S (TS 33.180 Annex D)
_KP, _KPR = "KEYPROV_REQUEST", "KEYPROV_RESPONSE"
SKM_S = Catalogue("skm-s-provisioning", (
    Threat("REQ-SKMS-02", "out-of-order", _KP, "method", Expected(status=405),
           "a GET where the resource takes only POST"),
    Threat("REQ-SKMS-20", "wrong-token", _KP, "token signer", Expected(status=401),
           "an access token signed by another key than the IdMS's"),
    Threat("REQ-SKMS-20", "expired", _KP, "token exp", Expected(status=401),
           "an access token whose lifetime has ended"),
    Threat("REQ-SKMS-21", "wrong-token", _KP, "token scope", Expected(status=403),
           "an IdMS token without the KMS scope"),
    Threat("REQ-SKMS-21", "unauthorised", _KP, "token subject", Expected(status=403),
           "an IdMS token for an MC ID not enrolled at this KMS"),
    Threat("REQ-SKMS-22", "wrong-identity", _KP, "path user", Expected(status=403),
           "a user asks for another user's key sets in the path"),
    Threat("REQ-SKMS-22", "wrong-identity", _KP, "UserUri", Expected(status=403),
           "a KmsRequest naming another user"),
    Threat("REQ-SKMS-22", "misaddressed", _KP, "KmsUri", Expected(status=403),
           "a KmsRequest for another KMS"),
    Threat("REQ-SKMS-23", "wrong-token", _KP, "token in URL", Expected(status=400),
           "the bearer token also sent in the request URL"),
    Threat("REQ-SKMS-24", "misaddressed", _KP, "ClientReqUrl", Expected(status=403),
           "a KmsRequest made for another resource"),
    Threat("REQ-SKMS-24", "stale", _KP, "Time", Expected(status=403),
           "a KmsRequest whose Time is outside the request window"),
    Threat("REQ-SKMS-25", "forged-signature", _KP, "SignedKmsRequest", Expected(status=403),
           "a SignedKmsRequest signed with another key than the user's InK"),
    Threat("REQ-SKMS-26", "tamper", _KP, "body", Expected(status=400),
           "a request body that is not KMS XML the schema accepts"),
    Threat("REQ-SKMS-33", "tamper", _KPR, "UserID", DISCARDED,
           "a character of the signed response changed on its way to the client"),
    Threat("REQ-SKMS-34", "misaddressed", _KPR, "ClientReqUrl", DISCARDED,
           "the user's own signed answer to another request (init) given as the keyprov "
           "answer"),
), {
    "REQ-SKMS-01": "functional: the KMS community (every legal run)",
    "REQ-SKMS-03": "path syntax: a malformed path is not an attack on a security property "
                   "(tests/kms test its 400)",
    "REQ-SKMS-04": "a certificate is public: asking for an unknown one gains nothing (404 "
                   "tested in tests/kms)",
    "REQ-SKMS-10": "functional: the content of a key set (every legal keyprov run)",
    "REQ-SKMS-11": "functional: a key set is stable across requests (tests/kms)",
    "REQ-SKMS-12": "atomicity of the store under faults (tests/kms store tests), not a message",
    "REQ-SKMS-13": "needs a KMS certificate that ends before the next key period: a deployment "
                   "setting, tested in tests/kms",
    "REQ-SKMS-30": "what the KMS sends (layout)",
    "REQ-SKMS-31": "what the KMS sends (layout)",
    "REQ-SKMS-32": "keys under another TrK need a KMS that holds another user's TrK: covered "
                   "by the signature (REQ-SKMS-33) for an attacker on the wire",
    "REQ-SKMS-35": "parser hardening: tests/kms and the fuzz target feed DTDs and entities",
    "REQ-SKMS-36": "another answer to the same URL needs the user's InK signature "
                   "(REQ-SKMS-33); an answer to another URL is refused by its ClientReqUrl "
                   "first (REQ-SKMS-34)",
    "REQ-SKMS-40": "the store's file mode: a local setting, tested in tests/kms",
})

# -------------------------------------------------------- CEK management (seed 001 7.x.2-3)
def _status(code: int) -> Expected:
    return Expected(status=code)


CEK = Catalogue("cek-management", (
    Threat("REQ-CEK-10", "out-of-order", "CEK_REQUEST", "resource", _status(404),
           "a POST to a resource the KMS does not serve"),
    *(Threat("REQ-CEK-11", kind, message, target, _status(code), text)
      for message, which in (("CEK_REQUEST", ""), ("UPDATE_REQUEST", ""),
                             ("UPDATE_REQUEST", ", want new"), ("RETIRE_REQUEST", ""))
      for kind, target, code, text in (
          ("wrong-token", "token signer", 401, "a KMS access token signed by another key "
                                               "than the IdM's"),
          ("wrong-token", "token scope", 403, "an IdM token that does not grant the key "
                                              "management scope"),
          ("expired", "token exp", 401, "an IdM KMS access token whose exp has passed"),
          ("wrong-identity", "user", 403, "a user's own valid token, another MCPTT ID named"))
      for target in (target + which,)),
    Threat("REQ-CEK-12", "replay", "CEK_REQUEST", "live pair", _status(409),
           "an issue for a (user, session) that has a live CEK"),
    Threat("REQ-CEK-14", "wrong-identity", "CEK_PUSH", "TLS identity", _status(403),
           "a push to the MCPTT server from a TLS identity that is not the KMS's"),
    Threat("REQ-CEK-14", "replay", "CEK_PUSH", "Key ID held before", _status(409),
           "a push under a Key ID the server held before (a retired one)"),
    Threat("REQ-CEK-15", "replay", "UPDATE_REQUEST", "retired Key ID", _status(409),
           "an update naming a Key ID that was retired"),
    Threat("REQ-CEK-15", "replay", "UPDATE_REQUEST", "retired Key ID, want new", _status(409),
           "an update asking a new CEK in place of a Key ID that was retired"),
    Threat("REQ-CEK-15", "out-of-order", "UPDATE_REQUEST", "no live CEK", _status(404),
           "an update without a Key ID for a (user, session) with no live CEK"),
    Threat("REQ-CEK-15", "tamper", "UPDATE_REQUEST", "want", _status(400),
           "an update whose want is neither 'resync' nor 'new'"),
    Threat("REQ-CEK-17", "replay", "RETIRE_REQUEST", "retired Key ID", _status(409),
           "a retire naming a Key ID already retired"),
), {
    **{f"REQ-CEK-0{n}": "the protected SIP body (S/MIME, RFC 5083) is not a message of this "
                        "procedure: its threats (altered ciphertext, tag or wrapped key, an "
                        "unknown Key ID) are tests/smime's, judged by openssl cms"
       for n in range(1, 10)},
    "REQ-CEK-13": "a refused request stores nothing: the store's rows are part of what every "
                  "threat of this catalogue checks is unchanged",
    "REQ-CEK-16": "not staged: a KMS-started update's push to the client's notification "
                  "endpoint, which applies the server's check (REQ-CEK-14's threats)",
    "REQ-CEK-18": "the answer comes on the client's own server-authenticated TLS connection "
                  "to the KMS: only the KMS could answer for another session",
})

# ------------------------------------------------ SIP registration (seed 001; TS 24.229)
SIP_REGISTRATION = Catalogue("sip-registration", (
    Threat("REQ-SIPREG-01", "misaddressed", "REGISTER", "IMPU", _status(404),
           "a REGISTER for an IMPU the SIP core does not serve"),
    Threat("REQ-SIPREG-01", "tamper", "REGISTER", "Expires", _status(423),
           "a REGISTER whose expiry is below the minimum"),
    Threat("REQ-SIPREG-03", "wrong-identity", "THIRD_PARTY_REGISTER", "From, Via",
           _status(403), "a third-party REGISTER to the MCPTT server naming the SIP core in "
                         "From, sent from another address"),
    Threat("REQ-SIPREG-04", "unauthorised", "PUBLISH", "IMPU", _status(403),
           "a PUBLISH for an IMPU that is not registered"),
    Threat("REQ-SIPREG-05", "wrong-identity", "PUBLISH_ASSERTED", "Via", _status(403),
           "a PUBLISH with P-Asserted-Identity sent straight to the MCPTT server"),
    Threat("REQ-SIPREG-05", "tamper", "PUBLISH", "Event", _status(489),
           "a PUBLISH of another event package than poc-settings"),
    # REQ-SIPREG-06: "each refusal is 403 with a reason phrase naming what is wrong"
    Threat("REQ-SIPREG-06", "wrong-token", "PUBLISH", "token signer",
           Expected(status=403, phrase="invalid"),
           "an access token signed by another key under the IdM's kid"),
    Threat("REQ-SIPREG-06", "expired", "PUBLISH", "token exp",
           Expected(status=403, phrase="invalid"), "an access token whose exp has passed"),
    Threat("REQ-SIPREG-06", "wrong-token", "PUBLISH", "token scope",
           Expected(status=403, phrase="scope"), "an IdM token without the MCPTT service scope"),
    Threat("REQ-SIPREG-06", "replay", "PUBLISH", "token",
           Expected(status=403, phrase="replayed"),
           "an access token presented before, presented again"),
), {
    "REQ-SIPREG-02": "functional: the third-party registration (every legal run)",
    "REQ-SIPREG-07": "functional: the binding and profile (every legal run)",
    "REQ-SIPREG-08": "not staged: the answers reach the UE on its own SIP transaction; an "
                     "attacker would have to spoof responses on the UE's socket",
    "REQ-SIPREG-09": "not staged here: a request outside a role's table is tests/sip_core's "
                     "totality test; every threat above checks the status its guard names",
})

# --------------------------------------------------- InterKMM relay (seed 000 7.8.x; 9.3.4)
def _hop(requirement: str, kind: str, message: str, target: str, code: int, phrase: str,
         text: str) -> Threat:
    """An InterKMM threat: refused with ``code`` and a reason phrase naming ``phrase``
    (REQ-IKMM-15: the status and reason phrase its guard names)."""
    return Threat(requirement, kind, message, target, Expected(status=code, phrase=phrase), text)


def _interkmm(procedure: str, first: str, second: str, other_relay: str,
              relay_threats: tuple[Threat, ...]) -> Catalogue:
    """One direction: ``first`` is the hop to the MCX server, ``second`` the hop onwards;
    ``other_relay`` the relay rule of the other direction."""
    return Catalogue(procedure, (
        _hop("REQ-IKMM-01", "tamper", first, "CipherValue", 403, "authentic",
             "one base64 character of the KMM's CipherValue changed on the first hop"),
        _hop("REQ-IKMM-01", "tamper", second, "CipherValue", 403, "authentic",
             "one base64 character of the KMM's CipherValue changed on the second hop"),
        _hop("REQ-IKMM-01", "tamper", first, "protection", 403, "protected",
             "the InterKMM sent without its hop protection"),
        _hop("REQ-IKMM-09", "stale", first, "sent", 403, "stale",
             "an InterKMM whose sent time is ten replay windows old"),
        _hop("REQ-IKMM-09", "replay", first, "", 403, "replayed",
             "a relayed InterKMM sent to the MCX server again"),
        _hop("REQ-IKMM-09", "replay", second, "", 403, "replayed",
             "a delivered InterKMM sent to the end point again"),
        _hop("REQ-IKMM-01", "tamper", second, "protection", 403, "protected",
             "an InterKMM without hop protection sent straight to the end point"),
        _hop("REQ-IKMM-10", "tamper", first, "body size", 413, "too large",
             "a body over the stated limit"),
        _hop("REQ-IKMM-10", "tamper", second, "body size", 413, "too large",
             "a body over the stated limit sent straight to the end point"),
        _hop("REQ-IKMM-16", "reflected", first, "direction", 403, "wrong direction",
             "what the MCX server relayed to the originator (the other direction), sent back "
             "to the server"),
        _hop("REQ-IKMM-16", "reflected", second, "direction", 403, "wrong direction",
             "the end point's own InterKMM (the other direction), sent back to it"),
        *relay_threats,
    ), {
        **{f"REQ-IKMM-0{n}": "the protected body's format (XML Encryption, XML-DSig, MIME "
                             "parts): tests/xmlprotect and tests/interkmm, judged by xmlsec1"
           for n in range(2, 9)},
        other_relay: "the other direction's relay rule",
        "REQ-IKMM-12": "what the relay itself sends: its send guards (keeps-kmm, next-hop-key) "
                       "stop an altering relay (tests/interkmm test_the_relay_cannot_alter...)",
        "REQ-IKMM-14": "an end point opens only under its own key: another's InterKMM is "
                       "refused as not authentic (the REQ-IKMM-01 threats)",
        "REQ-IKMM-15": "the answer's status and phrase are what every threat above checks",
    })


INTERKMM_IWF_TO_UE = _interkmm(
    "interkmm-iwf-to-ue", "INTERKMM_SPK", "INTERKMM_CSK", "REQ-IKMM-13", (
        _hop("REQ-IKMM-11", "misaddressed", "INTERKMM_SPK", "KMF ID", 404, "unknown",
             "an InterKMM naming a KMF ID the MCX server does not interwork with"),
        _hop("REQ-IKMM-11", "unauthorised", "INTERKMM_SPK", "MCPTT ID", 403, "affiliated",
             "an InterKMM for a user not affiliated for interworking"),
        _hop("REQ-IKMM-11", "misaddressed", "INTERKMM_SPK", "CSK", 480, "not available",
             "an InterKMM for a user the server holds no CSK of"),
    ))
INTERKMM_UE_TO_IWF = _interkmm(
    "interkmm-ue-to-iwf", "INTERKMM_CSK", "INTERKMM_SPK", "REQ-IKMM-11", (
        _hop("REQ-IKMM-13", "misaddressed", "INTERKMM_CSK", "KMF ID", 404, "unknown",
             "an InterKMM for a KMF ID the MCX server does not interwork with"),
        _hop("REQ-IKMM-13", "unauthorised", "INTERKMM_CSK", "MCPTT ID", 403, "affiliated",
             "an InterKMM from a user not affiliated for interworking"),
        _hop("REQ-IKMM-13", "wrong-identity", "INTERKMM_CSK", "CSK", 403, "wrong csk",
             "an InterKMM naming Alice, protected under Bob's CSK"),
    ))

# ------------------------------------------------- IdM (TS 33.180 B.4; RFC 6749 4.1, RFC 7636)
def _oauth(code: int, error: str) -> Expected:
    """``error``: the OAuth error (RFC 6749 4.1.2.1, 5.2), or "page" for an error page that is
    not redirected (4.1.2.1: an unverified client or redirect URI)."""
    return Expected(status=code, phrase=error)


_AR, _TR = "AUTH_REQUEST", "TOKEN_REQUEST"
#: REQ-IDM-02's faults of an authentication request, each with the answer it names
_AUTH_FAULTS = (
    ("wrong-identity", "client_id", _oauth(400, "page"), "a client that is not registered"),
    ("misaddressed", "redirect_uri", _oauth(400, "page"),
     "a redirect URI the client did not register"),
    ("tamper", "response_type", _oauth(302, "unsupported_response_type"),
     "response_type other than code"),
    ("tamper", "scope openid", _oauth(302, "invalid_scope"), "a scope without openid"),
    ("tamper", "scope undefined", _oauth(302, "invalid_scope"),
     "a scope value B.4.2.2 does not define"),
    ("tamper", "state", _oauth(302, "invalid_request"), "no state (CSRF protection)"),
    ("tamper", "acr_values", _oauth(302, "invalid_request"), "no 3gpp:acr:password"),
    ("tamper", "code_challenge", _oauth(302, "code challenge required"), "no PKCE challenge"),
    ("tamper", "code_challenge_method", _oauth(302, "invalid_request"),
     "a PKCE challenge of method plain"),
    ("tamper", "code_challenge form", _oauth(302, "invalid_request"),
     "a PKCE challenge that is not 43 base64url characters"),
)
#: REQ-IDM-06's faults of a token request
_TOKEN_FAULTS = (
    ("tamper", "grant_type", _oauth(400, "unsupported_grant_type"), "grant_type password"),
    ("tamper", "code_verifier missing", _oauth(400, "invalid_request"), "no code_verifier"),
    ("unauthorised", "unregistered client", _oauth(401, "invalid_client"),
     "a client that is not registered"),
    ("wrong-identity", "client_id", _oauth(400, "invalid_grant"),
     "a code redeemed by another registered client"),
    ("misaddressed", "redirect_uri", _oauth(400, "invalid_grant"),
     "another redirect URI than the authentication request's"),
    ("tamper", "code_verifier form", _oauth(400, "invalid_grant"),
     "a verifier that is not 43-128 unreserved characters"),
    ("forged-signature", "code_verifier", _oauth(400, "invalid_grant"),
     "the PKCE verifier of another flow"),
)
IDM = Catalogue("idm-authorisation", (
    Threat("REQ-IDM-01", "out-of-order", _AR, "path", _status(404),
           "a GET of a path the IdM does not serve"),
    Threat("REQ-IDM-01", "out-of-order", _AR, "method", _status(405),
           "a method /authorize does not take"),
    *(Threat("REQ-IDM-02", kind, message, target, refusal, f"{where}: {text}")
      for message, where in ((_AR, "GET /authorize"),
                             ("LOGIN", "the login form posted without the GET"))
      for kind, target, refusal, text in _AUTH_FAULTS),
    Threat("REQ-IDM-03", "wrong-identity", "LOGIN", "password", _status(401),
           "a login with a wrong password"),
    Threat("REQ-IDM-04", "expired", _TR, "code lifetime", _oauth(400, "invalid_grant"),
           "a code redeemed after its lifetime"),
    Threat("REQ-IDM-05", "replay", _TR, "", _oauth(400, "already used"),
           "a code redeemed, presented again"),
    Threat("REQ-IDM-05", "tamper", _TR, "code", _oauth(400, "invalid_grant"),
           "a code the IdM never issued"),
    *(Threat("REQ-IDM-06", kind, _TR, target, refusal, text)
      for kind, target, refusal, text in _TOKEN_FAULTS),
    Threat("REQ-IDM-08", "wrong-identity", "AUTH_RESPONSE", "state", DISCARDED,
           "an authentication response to another flow given to the client (CSRF)"),
), {
    "REQ-IDM-07": "functional: the token response (every legal run)",
    **{r: "the IdM's signing keys and their publication (tests/idm: JWKS, rollover, fetch "
          "limits)" for r in ("REQ-IDM-10", "REQ-IDM-11", "REQ-IDM-12", "REQ-IDM-13")},
    **{r: "the token's checks at a relying party: the wrong-token threats of the SKM-S, CEK "
          "and SIP registration catalogues, and tests/idm" for r in
       ("REQ-IDM-20", "REQ-IDM-21", "REQ-IDM-22", "REQ-IDM-23")},
})

#: every catalogue, by procedure name
CATALOGUES: Mapping[str, Catalogue] = {c.procedure: c for c in (SEAL, TICKET_ONE, TICKET_TWO,
                                                                 SKM_S, CEK,
                                                                 SIP_REGISTRATION,
                                                                 INTERKMM_IWF_TO_UE,
                                                                 INTERKMM_UE_TO_IWF, IDM)}


def catalogue(procedure: str) -> Catalogue:
    try:
        return CATALOGUES[procedure]
    except KeyError:
        raise KeyError(f"no threat catalogue for {procedure!r} "
                       f"(catalogued: {', '.join(CATALOGUES)})") from None
