"""IWF -> MCX server -> UE and UE -> MCX server -> IWF over real UDP and TCP sockets on loopback
(seed 000 7.8.x.3): the KMM arrives unchanged, each hop protected under its own key; the
captured octets of both hops never hold the KMM or the parameters in clear."""

from __future__ import annotations

import os

import pytest

from mckm.impl.xmlprotect.interkmm import parse
from tests.interkmm.world import ALICE, CSK_ALICE, KMF, SPK, world


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_iwf_to_ue_through_the_server(transport: str) -> None:
    kmm = b"KMM-from-iwf:" + os.urandom(700)
    with world(transport) as w:
        outcome = w.iwf.send_kmm(kmm, peer=ALICE, transport=transport)
        assert (outcome.status, outcome.reason) == (202, "Accepted")
        (got,) = w.alice.delivered
        assert (got.kmm, got.kmf_id, got.mcptt_id, got.xpk_id) == (kmm, KMF, ALICE, CSK_ALICE)
        # the first hop, as sent: protected under the SPK, nothing in clear
        first = outcome.request.encode()
        assert kmm not in first and kmm[13:40] not in first and ALICE.encode() not in first
        opened = parse(outcome.request.header("Content-Type") or "", outcome.request.body,
                       keys=w.spks)
        assert opened.xpk_id == SPK and opened.message.kmm == kmm


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_ue_to_iwf_through_the_server(transport: str) -> None:
    kmm = b"KMM-from-ue:" + os.urandom(700)
    with world(transport) as w:
        outcome = w.alice.send_kmm(kmm, peer=KMF, transport=transport)
        assert (outcome.status, outcome.reason) == (202, "Accepted")
        (got,) = w.iwf.delivered
        assert (got.kmm, got.kmf_id, got.mcptt_id, got.xpk_id) == (kmm, KMF, ALICE, SPK)
        first = outcome.request.encode()
        assert kmm not in first and KMF.encode() not in first
        assert parse(outcome.request.header("Content-Type") or "", outcome.request.body,
                     keys=w.csks).xpk_id == CSK_ALICE


def test_the_facts_answer_every_declared_interkmm_predicate() -> None:
    from mckm.impl.roles.interkmm import HopFacts
    from mckm.models.procedures.predicates import INTERKMM_PREDICATES, missing_facts
    assert missing_facts(HopFacts, INTERKMM_PREDICATES) == []
