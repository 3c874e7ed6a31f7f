"""The MIKEY-TICKET replay-cache invariant (proofs/ticket_replay_invariant.py): each row holds or
fails as its assumption says, the runtime's grace is what makes the bounded-clock rows hold, and
the attacks the failing rows give are replayed on the real endpoints."""

from __future__ import annotations

import pytest

from mckm.impl.engine import StepRefused
from mckm.impl.engine import replay as R
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY
from mckm.models.procedures.mikey_ticket.procedures import ONE_DOMAIN, TWO_DOMAINS
from mckm.models.procedures.mutants import drop_guard_mutants
from mckm.proofs import ticket_replay_invariant as T
from mckm.proofs.result import ProofResult
from tests.e2e.ticket_fixtures import BOB, KMS_A, NOW, World, world

BOUNDED, UNBOUNDED = T.CLOCKS[1], T.CLOCKS[2]


@pytest.fixture(scope="module")
def rows() -> list[ProofResult]:
    return list(T.prove(quick=True))


def test_each_row_holds_or_fails_as_its_assumption_says(rows: list[ProofResult]) -> None:
    assert rows and all(r.as_expected for r in rows), [
        (r.property, r.assumption, r.counterexample) for r in rows if not r.as_expected]
    held = {(r.property.split(":")[0], r.assumption) for r in rows if r.holds}
    for procedure in ("mikey-ticket-one-kms", "mikey-ticket-two-kms"):
        assert (procedure, BOUNDED.name) in held
    responder = [r for r in rows if "responder" in r.property and r.assumption == BOUNDED.name]
    assert len(responder) == 2 and all(r.holds for r in responder)
    assert any("kms" in r.property and r.holds and r.mutants for r in rows)


def test_every_kms_row_under_a_bounded_clock_needs_the_grace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pruning at the expiry itself (the old runtime) lets a clock stepping back within the
    bound reopen a replay: the proof sees it at the KMSs' initial messages."""
    monkeypatch.setattr(T, "EXPIRY_GRACE", 0)
    for procedure in (ONE_DOMAIN, TWO_DOMAINS):
        for role in ("kms", "kms_i", "kms_r"):
            if role in dict(T.caches(procedure)):
                failed = T.check(procedure, role, BOUNDED)
                assert failed is not None and failed[0].startswith("replay accepted"), role


def test_a_nafkey_mac_is_what_bounds_a_request_init_entry() -> None:
    """REQUEST_INIT carries no ticket: only the B-TID's end bounds its RAND's entry, and only
    the NAF-key MAC guard (the BSF refusing an expired B-TID) refuses its replay after it."""
    step = next(n for n, _ in dict(T.caches(ONE_DOMAIN))["kms"]
                if ONE_DOMAIN.step(n).message == "REQUEST_INIT")
    dropped = next(m.procedure for m in drop_guard_mutants(ONE_DOMAIN)
                   if (m.step, m.guard) == (step, "nafkey-mac"))
    failed = T.check(dropped, "kms", BOUNDED)
    assert failed is not None and "REQUEST_INIT" in failed[0]


def _issue(w: World, at: int) -> bytes:
    """Alice's TRANSFER_INIT for Bob with a ticket KMS A issued at ``at``."""
    kms = w.kms[KMS_A]
    return w.alice.receive_request_resp(
        kms.receive_request(w.alice.request_ticket(BOB, now=at), now=at), now=at)


def test_a_replay_past_the_grace_is_refused_early_by_the_responder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past TRe + EXPIRY_GRACE Bob no longer holds the RANDRi; the ticket's validity refuses
    the replayed TRANSFER_INIT before any resolve (REQ-TKT-26; without that guard the proof
    found the replay accepted at step 1, even with a clock that never steps back)."""
    monkeypatch.setattr(R, "RETAIN", 1)  # every accepted message prunes
    w = world(bob_kms=KMS_A)
    transfer = _issue(w, NOW)
    w.bob.receive_transfer_init(transfer, now=NOW)
    later = NOW + DEFAULT_VALIDITY + R.EXPIRY_GRACE + 1
    w.bob.receive_transfer_init(_issue(w, later), now=later)  # prunes the first RANDRi
    with pytest.raises(StepRefused) as refused:
        w.bob.receive_transfer_init(transfer, now=later)
    assert (refused.value.guard, refused.value.requirement) == ("ticket-not-expired",
                                                                  "REQ-TKT-26")


def test_the_unbounded_clock_attack_replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a clock that steps back by more than the grace, a pruned RESOLVE_INIT is
    resolved again: the attack the unbounded row states."""
    monkeypatch.setattr(R, "RETAIN", 1)
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    resolve = w.bob.receive_transfer_init(_issue(w, NOW), now=NOW).octets
    assert isinstance(kms.receive_resolve(resolve, now=NOW), bytes)
    later = NOW + DEFAULT_VALIDITY + R.EXPIRY_GRACE + 1
    fresh = w.bob.receive_transfer_init(_issue(w, later), now=later).octets
    assert isinstance(kms.receive_resolve(fresh, now=later), bytes)  # prunes the first
    assert isinstance(kms.receive_resolve(resolve, now=NOW + 1), bytes)  # the clock stepped back
