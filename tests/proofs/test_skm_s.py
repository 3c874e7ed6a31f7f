"""SKM-S proofs: every row holds and is not vacuous, every mutant a row names is refuted, and
each counterexample, replayed through the engine, is accepted by the mutant and refused by the
model with the guard that was dropped.  The replay-to-another-request attack that the
``for-my-request`` mutant lets through is also replayed as real octets: a KmsKeyProv the real
KMS signed for one request, fed to the real client that asked another."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mckm.impl.engine import StepRefused
from mckm.impl.roles.kms.client import ProvisioningClient
from mckm.impl.roles.kms.service import KmsService
from mckm.impl.transport.https_kms import KmsClient, KmsHttpsServer, make_tls_identity
from mckm.models.procedures import skm_s as model
from mckm.models.procedures.expr import TrueExpr
from mckm.proofs import cli, skm_s
from mckm.proofs.result import survivors
from tests.kms.skms_world import KMS_URI, NOW, USERS, world

LATER = NOW + 40 * 86400  # a time of a later key period (the default period is 30 days)
ROWS = [(name, key) for name, row in skm_s.PROPERTIES.items() for key in row.kills]


def test_rows_hold_and_every_named_mutant_is_killed() -> None:
    rows = skm_s.prove(quick=True)
    n = len(skm_s.RESOURCES)
    assert len(rows) == len(skm_s.PROPERTIES) * n and all(r.holds for r in rows)
    assert survivors(rows) == []
    kinds = [r.property.split(",")[0] for r in rows]
    assert kinds.count("SKM-S (protocol") == 3 * n and kinds.count("SKM-S (regression") == 3 * n


def test_protocol_rows_need_the_attacker_model() -> None:
    """Without the origin axiom (a signature proves nothing), the agreement row fails: the
    row's strength comes from composing the steps under the attacker, not from one guard."""
    w = skm_s.World(model.PROCEDURE)
    hyps, goal = skm_s.client_agrees_with_kms(w)
    origin = w.origin_response()
    weakened = [h for h in hyps if not h.eq(origin)]
    assert len(weakened) == len(hyps) - 1
    assert skm_s.counterexample([*w.domain(), *weakened], goal) is not None


@pytest.mark.parametrize(("name", "key"), ROWS, ids=[f"{k[3]}@{n[:30]}" for n, k in ROWS])
def test_counterexample_replays_through_the_engine(name: str, key: tuple[str, ...]) -> None:
    outcome = skm_s.replay(key, skm_s.PROPERTIES[name].prop)  # type: ignore[arg-type]
    assert outcome["mutant"] == "accepted", outcome
    refusal = outcome["model"]
    assert isinstance(refusal, StepRefused), outcome
    mutant = skm_s.required_mutants()[key]  # type: ignore[index]
    assert (refusal.step, refusal.guard) == (mutant.step, mutant.guard), refusal


def test_the_answer_kind_counterexample_is_a_kind_the_codec_reads() -> None:
    """The ``answers-my-request`` counterexample's ``answer`` lies in the domain the codec
    reads (``World.domain``), not an arbitrary int, and is not the KmsKeyProv asked for."""
    key = ("client", "receive", "KEYPROV_RESPONSE", "answers-my-request")
    name = next(n for n, k in ROWS if k == key)
    outcome = skm_s.replay(key, skm_s.PROPERTIES[name].prop)
    got = outcome["message"].get("answer")
    assert got in range(model.ANSWER_NONE, model.ANSWER_OTHER + 1)
    assert got != model.ANSWER_KEYPROV
    assert outcome["model"].guard == "answers-my-request"


def test_the_rows_name_steps_by_role_and_message() -> None:
    for row in skm_s.PROPERTIES.values():
        for role, action, message, guard in row.kills:
            step = model.PROCEDURE.step_for(role, message, action)
            assert guard in [g.name for g in step.guards]


def test_replayed_answer_to_another_request_real_octets() -> None:
    """The ``for-my-request`` counterexample as octets: the KMS answers Alice's keyprov for one
    time; an attacker replays that signed answer to Alice's keyprov for another time.  The
    model's client refuses it (REQ-SKMS-34); the mutant's client installs the wrong period."""
    w = world()
    alice = USERS[0]
    service = KmsService(w.role, w.verifier, "")
    with KmsHttpsServer(service, make_tls_identity("127.0.0.1")) as server:
        service.base_url = server.base_url
        http = KmsClient(server.host, server.port, server.identity.ca_pem, w.tokens[alice])
        try:
            asked = {}
            for label, when in (("old", NOW), ("new", LATER)):
                ntp = (when + 2208988800) << 32
                client = ProvisioningClient(alice, KMS_URI, w.transport[alice],
                                            server.base_url, w.checks)
                request = client.request("keyprov", token=w.tokens[alice], now=NOW,
                                         options={"user_uri": alice, "ntp_time": ntp})
                status, document = http.post(request.path, request.body)
                assert status == 200, document
                asked[label] = (client, document, request.path)
        finally:
            http.close()
    client, _, path = asked["new"]
    old_document = asked["old"][1]
    assert path != asked["old"][2]
    with pytest.raises(StepRefused) as refused:
        client.response("keyprov", old_document, now=NOW)
    assert refused.value.guard == "for-my-request"
    assert refused.value.requirement == "REQ-SKMS-34"

    mutant = skm_s.required_mutants()[("client", "receive", "KEYPROV_RESPONSE",
                                       "for-my-request")]
    victim = ProvisioningClient(alice, KMS_URI, w.transport[alice], "https://127.0.0.1:1",
                                w.checks, procedure=mutant.procedure)
    victim.request("keyprov", token=w.tokens[alice], now=NOW,
                   options={"user_uri": alice, "ntp_time": (LATER + 2208988800) << 32})
    installed = victim.response("keyprov", old_document, now=NOW)["key_sets"]
    # the key set of the period it did not ask for, installed
    assert [k.period_no for k in installed] == [w.role.period_at(NOW)]
    assert w.role.period_at(NOW) != w.role.period_at(LATER)


def test_mutant_guard_is_really_dropped() -> None:
    mutant = skm_s.required_mutants()[("kms", "receive", "KEYPROV_REQUEST", "store-private")]
    step = mutant.procedure.step(mutant.step or "")
    assert any(g.name == "store-private" and isinstance(g.expr, TrueExpr) for g in step.guards)


def test_mckm_prove_runs_and_prints_the_skm_s_rows() -> None:
    assert cli.FAMILIES["skm-s"] is skm_s.prove
    result = CliRunner().invoke(cli.prove, ["--format", "table", "--quick"])
    assert "SKM-S (protocol, keyprov): a signed request with a bad signature is never served" in (
        result.output)
    n = len(skm_s.all_mutants(quick=True))
    rows = len(skm_s.PROPERTIES) * len(skm_s.RESOURCES)
    assert f"skm-s: {rows}/{rows} hold, {n} mutants: " in result.output
    assert "0 unexplained" in result.output
