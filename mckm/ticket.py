"""MIKEY-TICKET (RFC 6043) with the TS 33.328 KMS procedures (seed 002): the supported import path.

Sans-IO parties: an :class:`Initiator` and a :class:`Responder` (each with the GBA
:class:`BootstrapContext` a :class:`Bsf` provisioned) and one or more :class:`Kms`.  Each method
takes the octets of the message received and returns the octets to send; the exchange ends with
both UEs holding the same :class:`TicketKeys` (MPKi and TGK, as :class:`~mckm.secret.Secret`).
A KMS that must ask the initiator's KMS returns a :class:`Forward` (Zk, TS 33.328 B.2.2.3) to
carry over a :class:`ZkLink` between KMSs that a :class:`TrustRelation` allows.
:func:`start_loopback` runs the same parties over real HTTPS on 127.0.0.1.
"""

from mckm.impl.engine import StepRefused
from mckm.impl.roles.bsf import BootstrapContext, Bsf, UserSecuritySettings
from mckm.impl.roles.ticket.base_ticket import TicketKeys
from mckm.impl.roles.ticket.endpoints import (
    Forward,
    Initiator,
    Kms,
    Responder,
    ResponderStep,
    error_reply,
)
from mckm.impl.roles.ticket.loopback import Loopback, start_loopback
from mckm.impl.roles.ticket.wire import ZkLink
from mckm.models.policy.trust import TrustRelation

__all__ = ["BootstrapContext", "Bsf", "Forward", "Initiator", "Kms", "Loopback", "Responder",
           "ResponderStep", "StepRefused", "TicketKeys", "TrustRelation", "UserSecuritySettings",
           "ZkLink", "error_reply", "start_loopback"]
