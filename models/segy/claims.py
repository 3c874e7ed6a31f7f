"""The advantages and disadvantages seed 003 states for each approach, in its words, each with
what would decide it.

A :class:`Claim` holds the seed's text and a :class:`Test`: what the claim says, as something
:mod:`mckm.impl.segy.claims` can measure with the simulator or read from the proofs of
:mod:`mckm.proofs.segy` or the approach model.  The verdict is computed there; nothing here
says whether a claim is right.

Test kinds:

* ``grows``: the counts named grow in proportion to the external users (the seed's "scaling
  issues", "a large amount of signalling ... for each user");
* ``bounded``: they do not grow with the users ("scalable", "minimal signalling");
* ``cheaper-per-user``: adding one external user costs the MC domain fewer messages and
  connections than with the approaches named in ``than``;
* ``holds`` / ``fails``: the named properties of :data:`mckm.proofs.segy.PROPERTIES` hold /
  have a counterexample on the claim's approach (``fails`` with ``and_holds``: and these
  hold), and the named counts are zero (``holds``);
* ``host-domain`` / ``no-host-domain``: the key sets of the SeGy's identities come from the MC
  domain's KMS / from its own;
* ``integrates``: the SeGy runs servers of its own (an IdM, a KMS ...);
* ``many-csks``: the SeGy holds a CSK per identity towards the same MCX servers;
* ``usability``: a matter of use, not a count (what is counted is shown beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["grows", "bounded", "cheaper-per-user", "holds", "fails", "host-domain",
               "no-host-domain", "integrates", "many-csks", "usability"]

#: the connection signalling the seed's scaling claims are about (calls are traffic, not
#: connection signalling: the scaling runs use a mix without calls)
SIGNALLING = ("idm_messages", "kms_messages", "gms_messages", "mcx_messages",
              "tls_connections")

SPOOF = "asserts no MC domain user's identity to an MC client"
OWN_IDENTITY = "gives each external user an end-to-end identity of its own"
MC_GROUP_CALLS = "reads no group call of an MC domain user"
OTHER_PERIODS = "exposes no key period but the current one"
MC_PRIVATE = "reads no private call between MC domain users"
#: D1-2, D2-2 and D3-2 say the same
HOST_DOMAIN = ("Requires a 'host' domain. Connecting to other systems, the SeGy (and the "
               "external system it represents) appear as part of the MC Domain that supports "
               "it.")


@dataclass(frozen=True)
class Test:
    kind: Kind
    counts: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    than: tuple[int, ...] = ()
    and_holds: tuple[str, ...] = ()  # with ``fails``: properties that must hold beside


@dataclass(frozen=True)
class Claim:
    id: str
    approach: int
    text: str
    test: Test
    #: the words of the claim no count or proof can decide (shown beside the verdict)
    unmeasured: str = ""


CLAIMS: tuple[Claim, ...] = (
    Claim("A1-1", 1, "The approach is simple and scalable for the SeGy and the MC Domain.",
          Test("bounded", (*SIGNALLING, "state")), "'simple'"),
    Claim("D1-1", 1, "There is a security risk of spoofing by the SeGy. By representing "
          "multiple users using one identity, the SeGy is going against the security "
          "principles of the MC system. Controls would have to be put in place to prevent "
          "the SeGy from spoofing identities that it isn't allowed to represent.",
          Test("fails", properties=(SPOOF, OWN_IDENTITY))),
    Claim("D1-2", 1, HOST_DOMAIN, Test("host-domain")),
    Claim("D1-3", 1, "Using a SeGy non-transparently impacts the usability of the gateway.",
          Test("usability", ("addressing_messages",))),
    Claim("D1-4", 1, "To use a SeGy of this type transparently would require modifying "
          "clients to use a different cryptographic identity when dialing external users "
          "behind the SeGy, introducing a major security and configuration impact.",
          Test("fails", properties=(OWN_IDENTITY,)),
          "'a major security and configuration impact'"),
    Claim("A2-1", 2, "The approach is completely transparent to the MC clients and the MC "
          "Domain.", Test("holds", ("addressing_messages",), (OWN_IDENTITY,))),
    Claim("A2-2", 2, "The security principles of the MC System are maintained.",
          Test("holds", properties=(SPOOF, OWN_IDENTITY))),
    Claim("D2-1", 2, "The proposed approach still has scaling issues. A large amount of "
          "connection signalling (to IdM, KMS, GMS, MCX Servers) is required for each user "
          "that the SeGy supports. If the external system is large, it would require the MC "
          "Domain to scale similarly.", Test("grows", ("idm_messages", "kms_messages",
                                                       "gms_messages", "mcx_messages"))),
    Claim("D2-2", 2, HOST_DOMAIN, Test("host-domain")),
    Claim("D2-3", 2, "Connectivity to the MC Domain appears clumsy, using multiple CSKs to "
          "connect to the same server.", Test("many-csks", ("csks", "tls_connections")),
          "'clumsy'"),
    Claim("A3-1", 3, "The approach is completely transparent to the MC clients.",
          Test("holds", ("addressing_messages",), (OWN_IDENTITY,))),
    Claim("A3-2", 3, "The MC Domain only has to setup a single interconnection with an "
          "external MC system.", Test("bounded", ("tls_connections",))),
    Claim("A3-3", 3, "The security principles of the MC System are maintained.",
          Test("holds", properties=(SPOOF, OWN_IDENTITY))),
    Claim("D3-1", 3, "The proposed approach still has scaling issues. A large amount of "
          "connection signalling (to IdM, KMS, GMS) is required for each user that the SeGy "
          "supports. If the external system is large, it would require the MC Domain to scale "
          "similarly.", Test("grows", ("idm_messages", "kms_messages", "gms_messages"))),
    Claim("D3-2", 3, HOST_DOMAIN, Test("host-domain")),
    Claim("A4-1", 4, "No host domain is required. The SeGy acts independently of any "
          "existing MC Domain.", Test("no-host-domain")),
    Claim("A4-2", 4, "Compromise of the SeGy has minimal impact on the security of existing "
          "MC Domains (as only the users of an external system are compromised).",
          Test("holds", properties=(SPOOF, MC_PRIVATE, MC_GROUP_CALLS))),
    Claim("A4-3", 4, "The SeGy can create new external system users on the fly, with "
          "minimal signalling. This allows the SeGy to dynamically scale.",
          Test("cheaper-per-user", SIGNALLING, than=(2, 3)),
          "'dynamically scale' beyond the cost of one more user"),
    Claim("D4-1", 4, "The SeGy needs to support a range of features and servers (IdM, KMS, "
          "GMS, and possibly others) to appear as a full external system (but fewer client "
          "features).",
          Test("integrates")),
    Claim("D4-2", 4, "A large amount of signalling is required to register each external "
          "user to groups in the MC Domain.", Test("grows", ("gms_messages",))),
    Claim("A5-1", 5, "No host domain is required. The SeGy acts independently of any "
          "existing MC Domain.", Test("no-host-domain")),
    Claim("A5-2", 5, "Compromise of the SeGy has minimal impact on the security of existing "
          "MC Domains (as only the users of an external system are compromised).",
          Test("holds", properties=(SPOOF, MC_PRIVATE, MC_GROUP_CALLS))),
    Claim("A5-3", 5, "The SeGy uses minimal signalling to integrate into existing MC "
          "Domains.", Test("bounded", SIGNALLING)),
    Claim("D5-1", 5, "The SeGy needs to support a range of features to appear as a full "
          "external system (but fewer client features).", Test("integrates")),
    Claim("D5-2", 5, "There is a security risk of spoofing by the SeGy. By representing "
          "multiple users using one identity, the SeGy is going against the security "
          "principles of the MC system. The risk is lower as this only impacts its own "
          "domain.", Test("fails", properties=(OWN_IDENTITY,), and_holds=(SPOOF,))),
    Claim("D5-3", 5, "Using a SeGy non-transparently impacts the usability of the gateway.",
          Test("usability", ("addressing_messages",))),
    Claim("D5-4", 5, "To use a SeGy of this type transparently would require modifying "
          "clients to use a different cryptographic identity when dialing external users "
          "behind the SeGy, introducing a security and configuration impact (although this "
          "only impacts one security domain in this case).",
          Test("fails", properties=(OWN_IDENTITY,)), "'a security and configuration impact'"),
)
