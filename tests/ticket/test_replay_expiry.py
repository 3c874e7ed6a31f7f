"""The MIKEY-TICKET KMS's replay cache and a clock that steps back (RFC 3830 5.4, REQ-TKT-11).

The KMS keeps each RAND until its ticket or B-TID expires (``effects.replay_expiry``).  Pruned
at that expiry itself, an entry was gone as soon as the clock passed it: a clock then stepped
back behind the expiry (an NTP correction) found the ticket valid again and the RAND unknown,
and accepted the replay.  Entries now stay ``EXPIRY_GRACE`` seconds past their expiry; beyond
it they go (memory stays bounded) and the ticket's validity refuses the replay anyway.
``RETAIN`` is 1 here so that every accepted message prunes (the runtime keeps 4,096 newest).
"""

from __future__ import annotations

import pytest

from mckm.impl.engine import StepRefused
from mckm.impl.engine import replay as R
from mckm.impl.roles.ticket.effects import DEFAULT_VALIDITY
from mckm.impl.roles.ticket.endpoints import Kms
from mckm.impl.roles.ticket.wire import TicketView
from tests.e2e.ticket_fixtures import BOB, KMS_A, NOW, World, world


def _resolved(w: World, kms: Kms, at: int) -> tuple[bytes, bytes]:
    """A ticket of Alice for Bob issued at ``at`` and resolved at once: (RESOLVE_INIT, RANDRr)."""
    ti = w.alice.receive_request_resp(
        kms.receive_request(w.alice.request_ticket(BOB, now=at), now=at), now=at)
    resolve = w.bob.receive_transfer_init(ti, now=at).octets
    assert isinstance(kms.receive_resolve(resolve, now=at), bytes)
    rand = TicketView.decode(resolve, expect="RESOLVE_INIT").get("randrr")
    assert isinstance(rand, bytes)
    return resolve, rand


def _refused(call: object, guard: str) -> StepRefused:
    assert callable(call)
    with pytest.raises(StepRefused) as refused:
        call()
    assert refused.value.guard == guard, str(refused.value)
    return refused.value


def test_a_clock_stepped_back_within_the_grace_finds_the_resolve_still_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "RETAIN", 1)
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    resolve, rand = _resolved(w, kms, NOW)
    expiry = NOW + DEFAULT_VALIDITY  # the ticket's TRe; the B-TID lasts a day
    later = expiry + 60  # then the clock steps back from here by a minute over an hour
    _resolved(w, kms, later)  # an accepted message at ``later`` prunes what it may
    error = _refused(lambda: kms.receive_resolve(resolve, now=NOW + 1), "fresh")
    assert (error.requirement, error.mikey_error) == ("REQ-TKT-11", 1)
    assert rand in kms.replay_cache


def test_past_the_grace_the_entry_goes_and_the_ticket_validity_refuses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "RETAIN", 1)
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    resolve, rand = _resolved(w, kms, NOW)
    later = NOW + DEFAULT_VALIDITY + R.EXPIRY_GRACE + 1
    _resolved(w, kms, later)
    assert rand not in kms.replay_cache  # bounded: pruned once past its expiry and the grace
    error = _refused(lambda: kms.receive_resolve(resolve, now=later), "ticket-not-expired")
    assert error.mikey_error is not None
