"""IWF -> MCX server -> UE and UE -> MCX server -> IWF over real UDP and TCP sockets on loopback
(seed 000 7.8.x.3): the KMM arrives unchanged, each hop protected under its own key; the
captured octets of both hops never hold the KMM or the parameters in clear."""

from __future__ import annotations

import os

import pytest

from mckm.impl.errors import MckmError
from mckm.impl.transport.sip_message import parse_message
from mckm.impl.xmlprotect.interkmm import InterKmm, parse
from mckm.impl.xmlprotect.keys import Keyring
from tests.interkmm.world import ALICE, CSK_ALICE, KMF, SPK, world


def _captured(raw: list[bytes]) -> tuple[str, bytes]:
    (one,) = raw
    message = parse_message(one)
    return message.header("Content-Type") or "", message.body


def _opens_only_under(content_type: str, body: bytes, keys: Keyring, other: Keyring
                      ) -> InterKmm:
    with pytest.raises(MckmError):
        parse(content_type, body, keys=other)
    return parse(content_type, body, keys=keys).message


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_iwf_to_ue_through_the_server(transport: str) -> None:
    kmm = b"KMM-from-iwf:" + os.urandom(700)
    with world(transport) as w:
        hop1: list[bytes] = []
        hop2: list[bytes] = []
        w.server.iwf_side.tap = lambda raw, t: hop1.append(raw)
        w.alice.sip.tap = lambda raw, t: hop2.append(raw)
        outcome = w.iwf.send_kmm(kmm, peer=ALICE, transport=transport)
        assert (outcome.status, outcome.reason) == (202, "Accepted")
        (got,) = w.alice.delivered
        assert (got.kmm, got.kmf_id, got.mcptt_id, got.xpk_id) == (kmm, KMF, ALICE, CSK_ALICE)
        for raw in (*hop1, *hop2):  # the octets as they arrived on each hop's socket
            assert kmm[13:45] not in raw and ALICE.encode() not in raw
            assert KMF.encode() not in raw
        assert _opens_only_under(*_captured(hop1), w.spks, w.csks).kmm == kmm  # SPK hop
        assert _opens_only_under(*_captured(hop2), w.csks, w.spks).kmm == kmm  # CSK hop


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_ue_to_iwf_through_the_server(transport: str) -> None:
    kmm = b"KMM-from-ue:" + os.urandom(700)
    with world(transport) as w:
        hop1: list[bytes] = []
        hop2: list[bytes] = []
        w.server.ue_side.tap = lambda raw, t: hop1.append(raw)
        w.iwf.sip.tap = lambda raw, t: hop2.append(raw)
        outcome = w.alice.send_kmm(kmm, peer=KMF, transport=transport)
        assert (outcome.status, outcome.reason) == (202, "Accepted")
        (got,) = w.iwf.delivered
        assert (got.kmm, got.kmf_id, got.mcptt_id, got.xpk_id) == (kmm, KMF, ALICE, SPK)
        for raw in (*hop1, *hop2):
            assert kmm[12:44] not in raw and KMF.encode() not in raw
            assert ALICE.encode() not in raw
        assert _opens_only_under(*_captured(hop1), w.csks, w.spks).kmm == kmm  # CSK hop
        assert _opens_only_under(*_captured(hop2), w.spks, w.csks).kmm == kmm  # SPK hop


def test_the_facts_answer_every_declared_interkmm_predicate() -> None:
    from mckm.impl.roles.interkmm import HopFacts
    from mckm.models.procedures.predicates import INTERKMM_PREDICATES, missing_facts
    assert missing_facts(HopFacts, INTERKMM_PREDICATES) == []
