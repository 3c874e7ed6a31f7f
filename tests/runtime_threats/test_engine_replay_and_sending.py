"""Replay threats against the MIKEY-TICKET KMS's replay cache and the engine's message views,
killing the mutants of ``impl/engine/replay.py`` and ``impl/engine/messages.py`` that
``./dev mutate engine`` found alive.

A KMS keeps each accepted RAND until its message's B-TID or ticket expires, and prunes it only
``EXPIRY_GRACE`` seconds after that expiry, beyond the ``RETAIN`` newest entries (RFC 3830
5.4: a receiver refuses a message it accepted; RFC 6043 5.4 / TS 33.328 6.2.3.8: REQUEST_INIT
replay, guard 'fresh', MIKEY error 1).  Each test derives its clock values from the B-TID's
expiry and these documented constants, and sends real REQUEST_INIT_PSK octets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mckm.impl.engine import DictMessage, StepRefused
from mckm.impl.engine.replay import EXPIRY_GRACE, RETAIN, ReplayCache
from mckm.impl.redact import Secret
from mckm.impl.roles.bsf import BootstrapContext, UserSecuritySettings
from mckm.impl.roles.seal import SealUser
from mckm.impl.roles.ticket.endpoints import Initiator
from mckm.impl.roles.ticket.wire import TicketView
from tests.e2e.seal_fixtures import NOW as SEAL_NOW
from tests.e2e.seal_fixtures import kms as seal_kms
from tests.e2e.ticket_fixtures import ALICE, BOB, CAROL, KMS_A, NOW, World, _octets, context, world

#: when Alice's B-TID (the fixtures' bootstrapping context) expires: her requests' replay expiry
EXPIRES = int(context(ALICE).expires_at)


def _is_replay(call: Callable[[], Any]) -> None:
    """The KMS refuses ``call``'s message as a replay (guard 'fresh', MIKEY error 1)."""
    with pytest.raises(StepRefused) as refused:
        call()
    e = refused.value
    assert (e.guard, e.mikey_error) == ("fresh", 1), str(e)


def _fillers(n: int, expiry: int) -> ReplayCache:
    """A KMS cache that accepted ``n`` other requests held until ``expiry``."""
    return ReplayCache({b"other-%08d" % i: expiry for i in range(n)})


def _late_initiator(w: World, expires_at: int) -> Initiator:
    """Carol bootstrapped again with a B-TID valid until ``expires_at``: her requests are
    accepted at a clock where Alice's B-TID has expired."""
    late = BootstrapContext(b_tid="btid-late@bsf.example", ks=Secret(_octets("Ks late")),
                            rand=_octets("RAND late", 16), impi="impi:carol@b.example",
                            expires_at=expires_at, uss=UserSecuritySettings((CAROL,)))
    w.bsf.provision(late)
    return Initiator(CAROL, KMS_A, late)


def test_a_request_held_until_its_b_tid_expires_is_not_pruned_early_by_a_full_cache() -> None:
    """A full KMS cache prunes only entries expired ``EXPIRY_GRACE`` before now: a request
    whose B-TID is still valid stays, so its replay before that expiry is refused."""
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    kms.replay_cache = _fillers(RETAIN - 1, EXPIRES + 10 * EXPIRY_GRACE)  # valid much longer
    at = EXPIRES - EXPIRY_GRACE // 3  # Alice's B-TID is valid for a while still
    first, second = w.alice.request_ticket(BOB, now=NOW), w.alice.request_ticket(BOB, now=NOW)
    assert kms.receive_request(first, now=at)
    assert kms.receive_request(second, now=at)  # the cache is full: the oldest may be pruned
    assert len(kms.replay_cache) == RETAIN + 1  # nothing expired: nothing pruned
    _is_replay(lambda: kms.receive_request(first, now=at + 1))
    _is_replay(lambda: kms.receive_request(second, now=EXPIRES - 1))  # the last valid second


def test_the_retained_newest_entries_stay_even_expired_so_a_clock_step_back_finds_them() -> None:
    """The ``RETAIN`` newest entries stay whatever their age: a KMS whose clock steps back
    past a B-TID's expiry (an NTP correction) still refuses the replay of a request accepted
    under that B-TID (RFC 3830 5.4), as long as fewer than ``RETAIN`` entries are newer."""
    w = world(bob_kms=KMS_A)
    kms = w.kms[KMS_A]
    later = EXPIRES + 10 * EXPIRY_GRACE
    kms.replay_cache = _fillers(RETAIN - 2, later + 10 * EXPIRY_GRACE)
    carol = _late_initiator(w, later + EXPIRY_GRACE)
    old = w.alice.request_ticket(BOB, now=NOW)
    assert kms.receive_request(old, now=NOW)
    # Alice's entry is now expired by more than EXPIRY_GRACE, but it is among the RETAIN newest
    assert kms.receive_request(carol.request_ticket(BOB, now=later), now=later)
    assert len(kms.replay_cache) == RETAIN
    _is_replay(lambda: kms.receive_request(old, now=NOW + 1))  # the clock stepped back


def test_a_seal_receiver_keeps_each_rand_with_its_t_so_a_full_cache_prunes_by_age() -> None:
    """The SEAL receiver remembers an accepted I_MESSAGE's RAND with its T (RFC 3830 5.4: it
    is kept while T is inside the allowed skew), so a full cache drops old entries by T, never
    the young one of an I_MESSAGE whose replay the window would still accept."""
    alice_uri, bob_uri = "sip:alice@example.org", "sip:bob@example.org"
    k = seal_kms()
    alice = SealUser(alice_uri, k.community, [k.keys(alice_uri)])
    bob = SealUser(bob_uri, k.community, [k.keys(bob_uri)])
    window = int(bob.procedure.policy["replay_window"])
    bob.receiver_vars["replay_cache"] = _fillers(RETAIN - 1, SEAL_NOW - 10 * window)  # old Ts
    first, _ = alice.send(bob_uri, "PCK", now=SEAL_NOW)
    second, _ = alice.send(bob_uri, "PCK", now=SEAL_NOW)
    bob.receive(first, now=SEAL_NOW, sender_uri=alice_uri)
    bob.receive(second, now=SEAL_NOW, sender_uri=alice_uri)  # full: one old entry goes
    cache = bob.receiver_vars["replay_cache"]
    assert len(cache) == RETAIN
    assert sorted(cache.values())[-2:] == [SEAL_NOW, SEAL_NOW]  # the I_MESSAGEs' T
    with pytest.raises(StepRefused) as refused:
        bob.receive(first, now=SEAL_NOW + window, sender_uri=alice_uri)
    assert (refused.value.guard, refused.value.mikey_error) == ("not-replayed", 1)


def test_expired_entries_beyond_the_retained_newest_are_pruned_to_exactly_retain() -> None:
    """Bounded memory (the cache's contract): entries expired more than ``EXPIRY_GRACE``
    before now go once more than ``RETAIN`` are held; the ``RETAIN`` newest stay."""
    now = 1_000_000
    expired = {i.to_bytes(4, "big"): now - EXPIRY_GRACE - 1 - i for i in range(RETAIN + 5)}
    cache = ReplayCache(expired).with_expiring_entry(b"new", now + 1, now=now)
    assert len(cache) == RETAIN
    newest = sorted(expired, key=expired.__getitem__, reverse=True)[:RETAIN - 1]
    assert set(cache) == {b"new", *newest}
    edge = {b"edge": now - EXPIRY_GRACE, **{i.to_bytes(4, "big"): now for i in range(RETAIN)}}
    kept = ReplayCache(edge).with_expiring_entry(b"new", now, now=now)
    assert b"edge" in kept  # a clock EXPIRY_GRACE back finds it not yet expired: it stays


def test_a_dropped_staging_leaves_the_committed_expiring_cache_as_it_was() -> None:
    """A KMS step refused after staging its RAND must leave the committed cache usable and
    unchanged (ReplayCache: "a staged cache that is dropped leaves no trace"), and the next
    step extends it."""
    committed = ReplayCache().with_expiring_entry(b"accepted", 5_000, now=1_000)
    staged = committed.with_expiring_entry(b"refused", 5_000, now=1_000)  # step refused
    assert b"refused" in staged and b"accepted" in staged
    assert b"accepted" in committed and b"refused" not in committed
    assert dict(committed) == {b"accepted": 5_000} and len(committed) == 1
    assert repr(committed) == "ReplayCache(1 entries)"
    nxt = committed.with_expiring_entry(b"next", 6_000, now=1_001)
    assert dict(nxt) == {b"accepted": 5_000, b"next": 6_000}


def test_equal_caches_hash_equal() -> None:
    """A role's variables may be hashed (the engine's blob check hashes a value): a cache is
    hashable, and caches with the same entries hash alike (the Python data model)."""
    a = ReplayCache({b"r1": 10}).with_expiring_entry(b"r2", 20, now=0)
    b = ReplayCache({b"r2": 20, b"r1": 10})
    assert dict(a) == dict(b) and hash(a) == hash(b)


def test_a_decoded_message_reads_an_absent_field_as_the_default_given() -> None:
    """A message view is a read-only mapping (FieldsView): ``get(field, default)`` answers
    the default for a field the message lacks, as for any Mapping; a REQUEST_INIT_PSK
    (RFC 6043 4.2.1) carries no TICKET payload."""
    w = world(bob_kms=KMS_A)
    view = TicketView.decode(w.alice.request_ticket(BOB, now=NOW), expect="REQUEST_INIT")
    marker = object()
    assert view.get("no such field", marker) is marker
    assert view.get("randri", marker) is not marker
    message = DictMessage("I_MESSAGE", {"rand": b"r"})
    assert message.get("t", 7) == 7 and message.get("rand", 7) == b"r"


def test_messages_are_equal_by_name_and_fields_and_hash_alike() -> None:
    """DictMessage is an immutable value (a name and its fields): equal when both match,
    unequal when either differs, hashable consistently with equality."""
    m = DictMessage("I_MESSAGE", {"rand": b"r", "t": 1})
    same = DictMessage("I_MESSAGE", {"t": 1, "rand": b"r"})
    assert m == same and hash(m) == hash(same) and len({m, same}) == 1
    assert m != m.replace(t=2)
    assert m != DictMessage("RESPONSE", {"rand": b"r", "t": 1})
    assert m != DictMessage("RESPONSE", {"rand": b"r", "t": 2})
    assert m != {"rand": b"r", "t": 1}
