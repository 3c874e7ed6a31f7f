"""REQ-SIPREG-09's first and last parts: a message a role does not expect in its state is
refused by the model's ``unexpected`` refusal (no guard), answered 400 Bad Request with a
Warning naming the requirement, and changes nothing the role holds.  (The guards' own SIP
answers are judged by ``test_model.py::test_the_guard_is_what_refuses``.)"""

from __future__ import annotations

import pytest

from mckm.impl.engine import DictMessage, StepRefused
from mckm.impl.roles.sip_core import view
from mckm.impl.roles.sip_core.facts import ServerFacts
from mckm.impl.roles.sip_core.nodes import refusal, unix_now
from mckm.impl.transport.sdp_mikey import SipMessage
from tests.sip_core.conftest import World


def _request() -> SipMessage:
    return SipMessage("PUBLISH sip:mcptt@127.0.0.1 SIP/2.0", (
        ("Via", "SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK1"), ("Max-Forwards", "70"),
        ("From", "<sip:a@x>;tag=1"), ("To", "<sip:a@x>"), ("Call-ID", "c@x"),
        ("CSeq", "1 PUBLISH")), b"")


@pytest.mark.parametrize("name", ["REGISTER", "PUBLISH", "PUBLISH_OK", "REGISTER_OK"])
def test_the_server_refuses_a_message_it_never_receives(world: World, name: str) -> None:
    """REQ-SIPREG-09: the MCPTT server receives only THIRD_PARTY_REGISTER and PUBLISH_ASSERTED;
    any other message is refused with the requirement and no guard, answered 400 Bad Request
    with a Warning naming REQ-SIPREG-09, and the server's variables stay as they were."""
    before = dict(world.server.state.vars)
    facts = ServerFacts(world.server.verifier, world.server.clock)
    with pytest.raises(StepRefused) as caught:
        world.server.state.feed(DictMessage(name, {}), facts, unix_now())
    assert (caught.value.requirement, caught.value.guard) == ("REQ-SIPREG-09", None)
    assert world.server.state.vars == before
    answer = refusal(_request(), caught.value, "127.0.0.1")
    assert answer.start == "SIP/2.0 400 Bad Request"
    assert "REQ-SIPREG-09" in (answer.header("Warning") or "")


def test_a_registered_ue_refuses_a_second_register_answer(world: World) -> None:
    """REQ-SIPREG-09: a UE that is registered does not expect a REGISTER answer: the real
    200 it got, fed again, is refused and the UE stays registered."""
    ue = world.ue()
    outcome = ue.register()
    assert outcome.status == 200 and outcome.response is not None
    assert ue.machine.state == "registered"
    with pytest.raises(StepRefused) as caught:
        ue.machine.feed(view.register_ok(outcome.response), now=unix_now())
    assert (caught.value.requirement, caught.value.guard) == ("REQ-SIPREG-09", None)
    assert ue.machine.state == "registered"
