"""The SIP core and the MCPTT server of seed 001 steps 1, 2 and 4 on real SIP sockets, each run
by the engine on ``mckm.models.procedures.sip_registration`` (``view``: SIP requests as the
model's messages; ``facts``: what the guards ask; ``effects``: what the steps compute;
``body``: the mcptt-info and profile bodies; ``nodes``: the UE, SIP core and MCPTT server)."""

from mckm.impl.roles.sip_core.nodes import McpttSipServer, Outcome, SipCore, SipUe

__all__ = ["McpttSipServer", "Outcome", "SipCore", "SipUe"]
