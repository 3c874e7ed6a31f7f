"""The InterKMM relay of seed 000 on SIP MESSAGE: the supported import path.

The UE, MCX server and IWF end points (:class:`EndPoint`, :class:`McxServer`, :class:`Relay`),
each run by the engine on the procedure model ``mckm.models.procedures.interkmm``; a received
InterKMM message read as the model's :class:`HopMessage`.
"""

from mckm.impl.roles.interkmm import (
    Delivered,
    Directory,
    EndPoint,
    HopFacts,
    HopMessage,
    McxServer,
    Outcome,
    Relay,
)

__all__ = ["Delivered", "Directory", "EndPoint", "HopFacts", "HopMessage", "McxServer",
           "Outcome", "Relay"]
