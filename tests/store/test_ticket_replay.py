"""Replicas of one MIKEY-TICKET KMS share its replay cache through the KMS store (SQLite and a
real PostgreSQL server): a REQUEST_INIT or RESOLVE_INIT one replica accepted is refused as a
replay by the other (RFC 3830 5.4, guard 'fresh', REQ-TKT-11, MIKEY error 1), and of two
replicas receiving the same message at once exactly one accepts it.  Without the shared store
the second replica accepts the replay: the test would fail."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mckm.impl.engine import StepRefused
from mckm.impl.roles.ticket.endpoints import Kms
from mckm.impl.store.kms_store import KmsStore
from mckm.impl.store.open import open_kms_store
from tests.e2e.ticket_fixtures import BOB, KMS_A, NOW, TRUST, World, _octets, world


@pytest.fixture
def stores(target: str) -> Iterator[Callable[[], KmsStore]]:
    opened: list[KmsStore] = []

    def open_one() -> KmsStore:
        opened.append(open_kms_store(target))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


def _replica(w: World, shared: KmsStore | None) -> Kms:
    """Another process of KMS A: the same URI, TPK and BSF, its own memory."""
    return Kms(KMS_A, tpk=_octets("TPK " + KMS_A), bsf=w.bsf, trust=TRUST, shared=shared)


def _replicas(stores: Callable[[], KmsStore]) -> tuple[World, Kms, Kms]:
    w = world(bob_kms=KMS_A)
    first, second = _replica(w, stores()), _replica(w, stores())
    w.kms[KMS_A] = first
    return w, first, second


def _is_replay(call: Callable[[], Any]) -> None:
    with pytest.raises(StepRefused) as refused:
        call()
    e = refused.value
    assert (e.guard, e.requirement, e.mikey_error) == ("fresh", "REQ-TKT-11", 1), str(e)


def test_a_request_one_replica_accepted_is_a_replay_at_the_other(
        stores: Callable[[], KmsStore]) -> None:
    w, first, second = _replicas(stores)
    ri = w.alice.request_ticket(BOB, now=NOW)
    assert first.receive_request(ri, now=NOW)
    _is_replay(lambda: second.receive_request(ri, now=NOW + 1))
    _is_replay(lambda: first.receive_request(ri, now=NOW + 1))
    assert first.shared is not None and first.shared.replay_seen(_rand_of(first, ri))
    assert _replica(w, None).receive_request(ri, now=NOW + 1)  # alone, it would accept


def test_a_resolve_one_replica_accepted_is_a_replay_at_the_other(
        stores: Callable[[], KmsStore]) -> None:
    w, first, second = _replicas(stores)
    ri = w.alice.request_ticket(BOB, now=NOW)
    ti = w.alice.receive_request_resp(first.receive_request(ri, now=NOW), now=NOW)
    resolve = w.bob.receive_transfer_init(ti, now=NOW).octets
    assert isinstance(second.receive_resolve(resolve, now=NOW), bytes)
    _is_replay(lambda: first.receive_resolve(resolve, now=NOW + 1))


def test_two_replicas_receiving_one_message_at_once_accept_it_once(
        stores: Callable[[], KmsStore]) -> None:
    w, first, second = _replicas(stores)
    messages = [w.alice.request_ticket(BOB, now=NOW) for _ in range(12)]
    outcomes: dict[int, list[str]] = {i: [] for i in range(len(messages))}
    start = threading.Barrier(2)

    def replica(kms: Kms) -> None:
        for i, ri in enumerate(messages):
            start.wait()
            try:
                kms.receive_request(ri, now=NOW)
                outcomes[i].append("accepted")
            except StepRefused as e:
                outcomes[i].append(f"refused by {e.guard}")

    threads = [threading.Thread(target=replica, args=(k,)) for k in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(sorted(o) == ["accepted", "refused by fresh"] for o in outcomes.values()), \
        outcomes
    assert first.shared is not None and first.shared.count("replay") == len(messages)


def _rand_of(kms: Kms, raw: bytes) -> bytes:
    from mckm.impl.roles.ticket.wire import TicketView

    rand = TicketView.decode(raw, expect="REQUEST_INIT").get("randri")
    assert isinstance(rand, bytes) and rand in kms.replay_cache
    return rand


def test_a_replica_that_looked_before_the_other_committed_refuses_at_its_claim(
        stores: Callable[[], KmsStore]) -> None:
    """The race itself, made certain: the second replica's guard reads the table before the
    first replica's claim commits; its own claim is then refused by the database, and the step
    run again is refused by the guard, with nothing remembered."""

    class LookedEarly:
        def __init__(self, store: KmsStore) -> None:
            self.store, self.looks, self.claims = store, 0, []

        def replay_seen(self, rand: bytes) -> bool:
            self.looks += 1
            return self.looks > 1 and self.store.replay_seen(rand)

        def replay_claim(self, rand: bytes, expires: int, now: int) -> bool:
            self.claims.append(self.store.replay_claim(rand, expires, now))
            return self.claims[-1]

    w, first, _ = _replicas(stores)
    early = LookedEarly(stores())
    second = _replica(w, early)  # type: ignore[arg-type]
    ri = w.alice.request_ticket(BOB, now=NOW)
    assert first.receive_request(ri, now=NOW)
    before = dict(second.replay_cache)
    _is_replay(lambda: second.receive_request(ri, now=NOW))
    assert early.claims == [False] and early.looks >= 2
    assert dict(second.replay_cache) == before
