"""The InterKMM relay of seed 000 on SIP MESSAGE: the UE, the MCX server and the IWF end points,
each run by the engine on ``mckm.models.procedures.interkmm`` (``view``: a received InterKMM as
the model's message; ``facts``: what the guards ask; ``effects``: what the steps compute;
``nodes``: the SIP end points)."""

from mckm.impl.roles.interkmm.effects import Delivered
from mckm.impl.roles.interkmm.facts import Directory, HopFacts
from mckm.impl.roles.interkmm.nodes import EndPoint, McxServer, Outcome, Relay
from mckm.impl.roles.interkmm.view import HopMessage

__all__ = ["Delivered", "Directory", "EndPoint", "HopFacts", "HopMessage", "McxServer",
           "Outcome", "Relay"]
