"""Dropping a guard fails a catalogue threat's test: each receiving step's refusing guard is
dropped from the model the endpoints run (``mutants.drop_guard_mutants``), and the catalogue's
threats are run against the endpoints until one fails.

A guard whose drop no threat notices is listed in :data:`NOT_CAUGHT` with the reason (another
guard refuses the same threats with the same error, or the catalogue has no threat for it):
the test fails if the list is wrong either way, so a new hole or a new kill is seen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.mutants import Mutant, drop_guard_mutants
from mckm.models.procedures.registry import by_name
from mckm.models.procedures.threats import CATALOGUES, Threat
from tests.endpoints.generator import Driver, check
from tests.endpoints.worlds import DRIVERS, MUTANT_DRIVERS

#: one example, no shrinking: the first failure is the answer (one example is a whole run)
ONE = settings(max_examples=1, deadline=None, derandomize=True, database=None,
               phases=(Phase.generate,), report_multiple_bugs=False,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])

#: (procedure, step, guard) -> why no catalogue threat fails without the guard
_ONE, _TWO, _SKMS = "mikey-ticket-one-kms", "mikey-ticket-two-kms", "skm-s-provisioning"
_CEK = "cek-management"
_IKMM = ("interkmm-iwf-to-ue", "interkmm-ue-to-iwf")
_INK = ("implied by signed-with-ink against an attacker on the wire: the whole response is "
        "signed with the user's InK, which only the user and its KMS hold (REQ-SKMS-34's "
        "fields cannot be changed without the signature failing)")
_NAF = ("implied by nafkey-mac against an attacker on the wire: the NAF key is derived for the "
        "KMS's own NAF-Id (TS 33.220 4.5.2), so a message made for another KMS never carries a "
        "MAC this KMS accepts; only the UE itself could MAC one naming another KMS")
_KEMAC = ("implied by own-kms-protected: the RESOLVE_RESP MAC covers the KEMAC, so only the "
          "responder's own KMS could send a KEMAC it cannot read")
_FOR_ME = ("implied by own-kms-protected: the KMS MACs its answer under the NAF key of the "
           "requester's B-TID, whose USS names the requester (REQ-TKT-08); another responder's "
           "answer does not verify")
_MAC = ("equivalent at the endpoint: the fact behind kemac-readable (same requirement, same "
        "Auth failure) verifies the RESOLVE_RESP's MAC as well ('MAC verification failed'), "
        "so a changed MAC or KEMAC is refused by either guard alone")
NOT_CAUGHT: dict[tuple[str, str, str], str] = {
    (_ONE, "8", "own-kms-protected"): _MAC,
    (_TWO, "12r", "own-kms-protected"): _MAC,
    (_ONE, "Q2", "addressed-kms"): _NAF,
    (_ONE, "4-6", "addressed-kms"): _NAF,
    (_TWO, "4-5", "addressed-kms"): _NAF,
    (_ONE, "Q2", "desired-policy"): "REQ-TKT-25 is not attackable (threats.py)",
    (_ONE, "Q4", "granted-policy"): "REQ-TKT-03 is not attackable (threats.py)",
    (_ONE, "8", "kemac-readable"): _KEMAC,
    (_TWO, "12r", "kemac-readable"): _KEMAC,
    (_ONE, "8", "for-me"): _FOR_ME,
    (_TWO, "12r", "for-me"): _FOR_ME,
    (_ONE, "T2", "from-peer"): "hole: a TRANSFER_RESP naming another responder needs MPKi, "
                               "which only the responder and the KMSs hold; the catalogue has "
                               "no compromised-responder threat",
    (_TWO, "4-5", "issued-elsewhere"): "not a check against an attacker: endpoints.Kms runs "
                                       "ONE_DOMAIN for a ticket naming this KMS, so TWO_DOMAINS "
                                       "4-5 never sees one",
    (_SKMS, "6", "store-private"): "REQ-SKMS-40 is not attackable (threats.py: file mode)",
    (_SKMS, "6", "periods-in-certificate"): "REQ-SKMS-13 is not attackable (threats.py)",
    (_SKMS, "8", "addressed"): _INK,
    (_SKMS, "8", "from-my-kms"): _INK,
    (_SKMS, "8", "under-my-trk"): _INK,
    (_SKMS, "8", "key-sets-valid"): _INK,
    (_SKMS, "8", "answers-my-request"): "REQ-SKMS-36 is not attackable (threats.py): the "
                                        "answer to another request is refused by its "
                                        "ClientReqUrl first (for-my-request)",
    (_CEK, "2", "no-live-cek"): "equivalent at the endpoint: the store's constraint (one "
                                "live CEK per user and session) refuses the second issue with "
                                "the same 409 naming REQ-CEK-12 (CekService.handle)",
    (_CEK, "7", "want-known"): "implied by step 7's when: the resync branch is taken only for "
                               "want = 'resync'",
    (_CEK, "7", "live-cek-exists"): "implied by step 7's when and key-id-live: the resync "
                                    "branch needs the named Key ID's issue time, and that Key "
                                    "ID live for the pair",
    ("sip-registration", "10", "impu-registered"): "implied by the SIP core's "
        "publisher-registered for every PUBLISH that passes through-sip-core (only the SIP "
        "core's address reaches step 10)",
    **{(d, "2", "identified"): "not staged (hole: a faulty sender): a protected InterKMM "
                               "without msg-id or sent needs the hop key, which only the "
                               "sending end point holds" for d in _IKMM},
    **{(d, "4", g): "not staged (hole: a compromised MCX server): the second hop is made "
                    "under the end point's own key by the relay alone, which refuses such "
                    "messages first; an attacker's copy of a real one is a replay"
       for d in _IKMM for g in ("own-key", "addressed", "identified", "timely")},
    (_IKMM[0], "2", "spk-of-kmf"): "not staged: the world has one IWF with one SPK, so there "
                                   "is no other SPK to protect under",
    (_IKMM[1], "2", "spk-available"): "not staged: the world has no interworking KMF without "
                                      "an SPK (tests/interkmm/world.py)",
    **{("idm-authorisation", n, "client-registered"): "implied by redirect-registered: an "
       "unregistered client has no registered redirect URI, so the same 400 page (REQ-IDM-02)"
       for n in ("2", "6")},
    ("idm-authorisation", "10", "code-issued"): "the later code checks refuse a code never "
        "issued with the same invalid_grant, and REQ-IDM-05 names no reason for it",
    ("idm-authorisation", "11", "verifier-form"): "a malformed verifier never matches the "
        "challenge: verifier-matches refuses it with the same invalid_grant (REQ-IDM-06 names "
        "no phrase for either)",
    (_TWO, "11", "zk-keys-clear"): "hole: the Zk answer has no MIKEY integrity (NDS/IP "
                                   "protects it, REQ-TKT-19); the catalogue has no threat on "
                                   "its form (a KMS_I answering without a clear KEMAC)",
}


def _refusing(procedure: Procedure, steps: frozenset[str] | None) -> list[Mutant]:
    """Drop mutants of the guards that refuse a received message with a MIKEY error or an
    HTTP status (the security checks; a send step's guards check what the role itself writes),
    in the steps the endpoints run under this model (``steps``; None: all)."""
    out = []
    for m in drop_guard_mutants(procedure):
        if steps is not None and m.step not in steps:
            continue
        step = procedure.step(str(m.step))
        guard = next(g for g in step.guards if g.name == m.guard)
        if step.action == "receive" and (guard.mikey_error is not None
                                         or guard.http_status is not None
                                         or step.role == "client"):
            out.append(m)
    return out


def _threats_for(procedure: Procedure, mutant: Mutant) -> list[Threat]:
    """Every threat of the catalogue, those most likely to need the guard first (its
    requirement, then its step's message): a threat acts on one message and may be refused at
    a later step (a Ticket Data flipped in TRANSFER_INIT is refused by the issuing KMS)."""
    step = procedure.step(str(mutant.step))
    guard = next(g for g in step.guards if g.name == mutant.guard)
    return sorted(CATALOGUES[procedure.name].threats,
                  key=lambda t: (t.requirement != guard.requirement, t.message != step.message))


def _attack(driver: Driver, threat: Threat) -> Callable[[], None]:
    @ONE
    @given(st.data())
    def attack(data: st.DataObject) -> None:
        check(driver, threat, data)

    return attack


def _caught(make: type[Driver], base: Procedure, mutant: Mutant) -> str | None:
    """The name of the first threat whose test fails against the mutant's endpoints."""
    driver = make(mutant.procedure)
    try:
        with driver.using():
            for threat in _threats_for(base, mutant):
                try:
                    _attack(driver, threat)()
                except HypothesisException:
                    raise  # the test itself is broken, not the endpoint
                except Exception:  # accepted, wrong refusal, changed state, crash: it fails
                    return threat.name
    finally:
        driver.close()
    return None


CASES = [(name, m) for name, driver in MUTANT_DRIVERS.items()
         for m in _refusing(by_name(name), driver.runs_steps(by_name(name)))]


@pytest.mark.parametrize(("procedure", "mutant"), CASES,
                         ids=[f"{n}: {m.name}" for n, m in CASES])
def test_dropping_a_guard_fails_a_threat(procedure: str, mutant: Mutant) -> None:
    base = by_name(procedure)
    caught = _caught(MUTANT_DRIVERS[procedure], base, mutant)
    key = (procedure, str(mutant.step), str(mutant.guard))
    if key in NOT_CAUGHT:
        assert caught is None, f"{mutant.name} is now caught by {caught}: drop it from NOT_CAUGHT"
    else:
        assert caught is not None, f"{procedure} {mutant.name}: no catalogue threat fails"


def test_the_unmutated_model_passes_every_threat() -> None:
    """The control: the same loop on the model itself catches nothing."""
    for procedure, make in MUTANT_DRIVERS.items():
        driver = make(by_name(procedure))
        try:
            for threat in CATALOGUES[procedure].threats:
                _attack(driver, threat)()
        finally:
            driver.close()


def test_every_driver_runs_mutants() -> None:
    assert set(MUTANT_DRIVERS) == set(DRIVERS)
