"""The replay cache's inductive invariant: it holds for a clock that steps back by at most one
window (the pruning rule of two windows is what makes it hold: one window fails), fails for a
clock that steps back further, and that attack replays on the real SealUser."""

from __future__ import annotations

import pytest

from mckm.impl.engine import replay
from mckm.impl.errors import MckmError
from mckm.impl.roles.seal import SealUser
from mckm.models.procedures.seal_key_distribution import PROCEDURE
from mckm.proofs import replay_invariant as R
from tests.e2e.seal_fixtures import NOW, kms

ALICE, BOB = "sip:alice@example.org", "sip:bob@example.org"
WINDOW = int(PROCEDURE.policy["replay_window"])


def test_rows_hold_or_fail_as_the_clock_assumption_says() -> None:
    rows = R.prove(quick=True)
    assert [r.as_expected for r in rows] == [True] * len(R.CLOCKS)
    assert [r.holds for r in rows] == [True, True, False]
    killed = {m.name for r in rows for m in r.mutants if m.killed}
    assert {"step 2: drop timely", "step 2: drop not-replayed"} <= killed


def test_pruning_after_one_window_breaks_the_one_window_clock(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert R.check(PROCEDURE, R.CLOCKS[1]) is None
    monkeypatch.setattr(R, "PRUNE_WINDOWS", 1)
    assert R.check(PROCEDURE, R.CLOCKS[0]) is None  # a monotonic clock needs only one
    assert R.check(PROCEDURE, R.CLOCKS[1]) is not None


@pytest.mark.parametrize(("back_windows", "replayed"), [(1, False), (3, True)])
def test_real_a_clock_stepping_back_past_the_window_reopens_a_pruned_rand(
        monkeypatch: pytest.MonkeyPatch, back_windows: int, replayed: bool) -> None:
    """RETAIN at 1 (the count-based guard aside): A accepted at NOW, B three windows later
    prunes A's RAND; the clock steps back; A again is a replay the real receiver accepts iff
    the step back is over one window, as the row of the unbounded clock says."""
    monkeypatch.setattr(replay, "RETAIN", 1)
    alice = SealUser(ALICE, kms().community, [kms().keys(ALICE)])
    bob = SealUser(BOB, kms().community, [kms().keys(BOB)])
    a, _ = alice.send(BOB, "PCK", now=NOW)
    b, _ = alice.send(BOB, "PCK", now=NOW + 3 * WINDOW)
    bob.receive(a, now=NOW, sender_uri=ALICE)
    bob.receive(b, now=NOW + 3 * WINDOW, sender_uri=ALICE)
    again = NOW + 3 * WINDOW - back_windows * WINDOW
    if replayed:
        bob.receive(a, now=again, sender_uri=ALICE)  # the replay goes through
    else:
        with pytest.raises(MckmError, match="timely"):
            bob.receive(a, now=again, sender_uri=ALICE)
