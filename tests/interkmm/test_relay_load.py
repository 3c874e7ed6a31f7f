"""The relay load benchmark (bench/interkmm_relay.py) on a small budget: every MESSAGE through
the MCX server answered 202, the UE (in the generator's process) holding the KMM under its CSK,
over UDP (1 KiB) and TCP (64 KiB), with the server's and the peers' CPU reported apart."""

from __future__ import annotations

import pytest

from mckm.bench.interkmm_relay import relay_load
from mckm.bench.load import LoadBudget
from tests.conftest import require_tool


@pytest.mark.parametrize("kmm,name", [(1024, "interkmm-relay-1k"),
                                      (64 * 1024, "interkmm-relay-64k")])
def test_the_load_benchmark_relays_every_message(kmm: int, name: str) -> None:
    result = relay_load(kmm, LoadBudget(24, 30.0), in_flight=4)
    figures = result.as_json()
    assert figures["name"] == name and figures["messages"] == 24
    assert figures["ops_per_s"] > 0 and figures["p50_ms"] <= figures["p99_ms"]
    assert figures["server_cpu_ms"] > 0 and figures["peers_cpu_ms"] > 0


def test_sipp_as_the_ue_takes_every_relayed_message() -> None:
    """sipp, the external judge, is the UE: it takes and answers every relayed 1 KiB MESSAGE
    over UDP (its exit status 0 after exactly ``count``)."""
    require_tool("sipp")
    figures = relay_load(1024, LoadBudget(40, 30.0), in_flight=4, ue="sipp").as_json()
    assert figures["messages"] == 40 and figures["sipp_exit"] == 0
    assert figures["sipp_messages"] == 40 and figures["sipp_per_s"] > 0


def test_the_sip_step_benchmark_answers_202_and_sends_the_body_on() -> None:
    from mckm.bench.interkmm_relay import POOL, relay_sip
    from mckm.impl.transport.sip_message import parse_message

    step = relay_sip()
    for _ in range(POOL + 2):  # past the pool: the messages come round again
        onward, answer = step()
    assert isinstance(onward, bytes) and isinstance(answer, bytes)
    sent, accepted = parse_message(onward), parse_message(answer)
    assert sent.start == "MESSAGE sip:ue SIP/2.0" and len(sent.body) > 1024
    assert accepted.start == "SIP/2.0 202 Accepted"
    assert accepted.header("CSeq") == "1 MESSAGE"
