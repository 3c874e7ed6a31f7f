"""The MCX server's sans-IO relay (:class:`~mckm.impl.roles.interkmm.Relay`), which the SIP
server runs and the ``interkmm-relay-step`` benchmark counts: real protected bodies in, the
onward body out under the next hop's key, refusals as the model's guards."""

from __future__ import annotations

import time

import pytest

from mckm.bench import interkmm_relay
from mckm.impl.engine import StepRefused
from mckm.impl.roles.interkmm import Directory, Relay
from mckm.impl.xmlprotect.interkmm import InterKmm, Protection, build, parse
from mckm.impl.xmlprotect.keys import Keyring
from tests.interkmm.world import ALICE, BOB, CSK_ALICE, CSK_BOB, KMF, SPK, ring

NOW = int(time.time()) + 2_208_988_800


def _relay() -> tuple[Relay, Keyring, Keyring]:
    csks = ring((CSK_ALICE, ALICE), (CSK_BOB, BOB))
    spks = ring((SPK, ALICE))
    directory = Directory({ALICE: CSK_ALICE, BOB: CSK_BOB, KMF: SPK}, frozenset({KMF}),
                          frozenset({ALICE}))
    return Relay(csks=csks, spks=spks, directory=directory), csks, spks


def test_an_iwf_kmm_leaves_under_the_users_csk_once() -> None:
    relay, csks, spks = _relay()
    kmm = bytes(range(256)) * 3
    sent = InterKmm(KMF, ALICE, kmm, "application/vnd.example.kmm", "m" * 32, NOW, "iwf-to-ue")
    content_type, body = build(sent, protection=Protection(spks, SPK))
    onward = relay.process("iwf", content_type, body, now=NOW)
    assert kmm[:32] not in onward.get("body")
    opened = parse(onward.get("content_type"), onward.get("body"), keys=csks)
    assert opened.xpk_id == CSK_ALICE and opened.message == sent
    with pytest.raises(StepRefused) as err:
        relay.process("iwf", content_type, body, now=NOW)
    assert err.value.guard == "fresh"


def test_a_user_not_affiliated_is_refused() -> None:
    relay, _, spks = _relay()
    sent = InterKmm(KMF, BOB, b"kmm", "application/octet-stream", "n" * 32, NOW, "iwf-to-ue")
    with pytest.raises(StepRefused) as err:
        relay.process("iwf", *build(sent, protection=Protection(spks, SPK)), now=NOW)
    assert err.value.guard == "affiliated"


def test_the_step_benchmark_relays_past_its_pool() -> None:
    step = interkmm_relay.relay_step()
    for _ in range(interkmm_relay.POOL + 2):  # a replayed msg-id would raise StepRefused
        onward = step()
    assert onward.get("mcptt_id") == interkmm_relay.USER  # type: ignore[attr-defined]


def test_the_other_direction_on_a_hop_is_refused_statelessly() -> None:
    """REQ-IKMM-16: an SPK-hop InterKMM whose signed direction is ue-to-iwf (what the server
    itself sends the IWF) is refused on the IWF side with guard ``direction``, 403 Wrong
    Direction, and nothing is kept: the same msg-id in the hop's direction is relayed after."""
    from mckm.models.procedures import interkmm as model

    relay, _, spks = _relay()
    wrong = InterKmm(KMF, ALICE, b"kmm", "application/octet-stream", "d" * 32, NOW, "ue-to-iwf")
    with pytest.raises(StepRefused) as err:
        relay.process("iwf", *build(wrong, protection=Protection(spks, SPK)), now=NOW)
    assert (err.value.guard, err.value.requirement) == ("direction", "REQ-IKMM-16")
    assert model.sip_answer(err.value.guard) == (403, "Wrong Direction")
    right = InterKmm(KMF, ALICE, b"kmm", "application/octet-stream", "d" * 32, NOW, "iwf-to-ue")
    onward = relay.process("iwf", *build(right, protection=Protection(spks, SPK)), now=NOW)
    assert onward.get("direction") == "iwf-to-ue" and onward.get("mcptt_id") == ALICE
