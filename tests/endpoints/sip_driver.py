"""SIP registration and service authorisation (seed 001; TS 24.229, RFC 3261, 3903) on its public
end points over real SIP sockets: the SIP core, the MCPTT server and a UE (``SipUe``) with the
real IdM's tokens (the world of ``tests/sip_core/conftest.py``, ``make_world``).  The attacker
is a SIP end point of its own (``SipEndpoint``) sending requests it builds; a refusal's SIP
status and its Warning's requirement id are what the generator checks."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from hypothesis import strategies as st

from mckm.impl.roles.kms.model import KMS_SCOPE
from mckm.impl.roles.sip_core import SipUe
from mckm.impl.transport import sip_message
from mckm.impl.transport.sdp_mikey import SipMessage
from mckm.impl.transport.sip_message import SipEndpoint
from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run, play
from tests.idm.conftest import ALICE
from tests.sip_core.conftest import IMPU_ALICE, IMPU_BOB, IMPU_STRANGER, T1, make_world
from tests.sip_core.test_refusals import _expired, _forged, publish

_REQUIREMENT = re.compile(r"(REQ-SIPREG-\d+)")


class SipDriver(Driver):
    def __init__(self, procedure: Procedure = model.PROCEDURE) -> None:
        self.procedure = procedure
        self._world = contextlib.contextmanager(make_world)(procedure, procedure)
        self.world = self._world.__enter__()
        self.peer = SipEndpoint(None, t1=T1, methods=()).start()
        self.ues: dict[str, SipUe] = {}

    def close(self) -> None:
        self.peer.close()
        self._world.__exit__(None, None, None)

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """The SIP core's and the MCPTT server's steps (the UE runs the model itself)."""
        return frozenset(s.number for s in procedure.steps if s.role != "ue")

    def _ue(self, impu: str = IMPU_ALICE) -> SipUe:
        ue = self.ues.get(impu)
        if ue is None:
            ue = self.ues[impu] = self.world.ue(impu)
        ue.machine.state = "idle"  # a new registration from the same UE
        return ue

    def _register(self, impu: str = IMPU_ALICE, expires: int = 3600) -> Delivery:
        return Delivery("REGISTER", "core", b"", int(time.time()),
                        {"ue": impu, "expires": expires})

    def _raw(self, message: str, request: SipMessage, to: str) -> Delivery:
        return Delivery(message, to, request.encode(), int(time.time()), {"request": request})

    # -- legal runs: register, then publish a fresh token
    def start(self, data: st.DataObject) -> list[Delivery]:
        return [self._register()]

    def deliver(self, d: Delivery) -> list[Delivery]:
        if "request" in d.context:
            to = self.world.core.address if d.to == "core" else self.world.server.address
            response = self.peer.send(d.context["request"], to)
            _, code, reason = [*response.start.split(" ", 2), ""][:3]
            status, warning = int(code), response.header("Warning")
        else:
            ue = self._ue(d.context["ue"]) if d.message == "REGISTER" else \
                self.ues[d.context["ue"]]
            outcome = ue.register(d.context["expires"]) if d.message == "REGISTER" else \
                ue.publish(d.context["token"])
            status, reason = outcome.status, outcome.reason
            warning = outcome.response.header("Warning") if outcome.response else None
            if status == 200 and outcome.refused is not None:
                raise AssertionError(f"the UE refused a 200: {outcome.refused}")
        if status != 200:
            found = _REQUIREMENT.search(warning or "")
            raise Refused(Observed(None, status, warning or "",
                                   found.group(1) if found else None, reason))
        if d.message == "REGISTER" and d.context.get("expires"):
            return [Delivery("PUBLISH", "core", b"", d.now,
                             {"ue": d.context["ue"], "token": self.world.access_token()})]
        return []

    def finish(self, run: Run) -> None:
        binding = self.world.server.bindings()[ALICE]
        assert binding.impu == IMPU_ALICE
        profile = self.ues[IMPU_ALICE].profile
        assert profile is not None and profile.mcptt_id == ALICE

    def snapshot(self, to: str) -> Any:
        return (sorted((k, repr(v)) for k, v in self.world.server.bindings().items()),
                sorted(self.world.server.registered()))

    # -- threats
    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, message, target = threat.kind, threat.message, threat.target
        if message == "REGISTER" and kind == "misaddressed":
            return Attack(self._register(IMPU_STRANGER))
        if message == "REGISTER":  # an expiry below the minimum
            return Attack(self._register(expires=model.MIN_EXPIRES - 1))
        if message == "THIRD_PARTY_REGISTER":  # to the server, From the core, Via the attacker
            request = sip_message.request(
                "REGISTER", self.world.server.uri, from_uri=self.world.core.uri,
                to_uri=IMPU_BOB, local=self.peer.address, transport="UDP",
                headers=(("Contact", f"<{self.world.core.uri}>"), ("Expires", "3600")))
            return Attack(self._raw(message, request, "server"))
        if message == "PUBLISH_ASSERTED":  # a PUBLISH straight to the server
            held = play(self, data, stop_before="PUBLISH").held
            assert held is not None
            contact = self.ues[IMPU_ALICE].contact
            request = publish(self.peer, IMPU_ALICE, held.context["token"],
                              extra=(("P-Asserted-Identity", f"<{IMPU_ALICE}>"),
                                     ("Contact", f"<{contact}>")))
            return Attack(self._raw(message, request, "server"))
        if kind == "unauthorised":  # a PUBLISH for an IMPU nobody registered
            request = publish(self.peer, IMPU_BOB, self.world.access_token("bob"))
            return Attack(self._raw(message, request, "core"))
        if kind == "replay":  # the token of a completed run, captured, sent again
            run = play(self, data)
            self.finish(run)
            token = run.deliveries[-1].context["token"]
            return Attack(self._raw(message, publish(self.peer, IMPU_ALICE, token), "core"))
        held = play(self, data, stop_before="PUBLISH").held
        assert held is not None
        if kind == "tamper":  # another event package
            request = publish(self.peer, IMPU_ALICE, held.context["token"], event="presence")
            return Attack(self._raw(message, request, "core"))
        token = {"token signer": lambda: _forged(self.world),
                 "token exp": lambda: _expired(self.world),
                 "token scope": lambda: self.world.tokens(
                     scopes=("openid", KMS_SCOPE))["access_token"]}.get(target)
        if token is None:
            return None
        return Attack(Delivery(held.message, held.to, b"", held.now,
                               {**held.context, "token": token()}))
