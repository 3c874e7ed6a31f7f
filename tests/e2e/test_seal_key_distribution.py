"""SEAL key distribution end to end with real crypto through the engine (seed 004, TS 33.434
6.Y.2): PCK, GMK via the SGM-S to two members, CSK, SPK; both IDR forms; both UID schemes;
refusals with the model's step, guard, requirement and MIKEY error; nothing stored on refusal."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mckm.impl.codec import decode, encode
from mckm.impl.engine import RoleMachine, StepRefused
from mckm.impl.errors import DecodeError, VerifyError
from mckm.impl.redact import Secret
from mckm.impl.roles.seal import (
    MCX_HASHED_UID,
    TEL_URI_MONTHLY,
    GroupManagementServer,
    IdForm,
    SealUser,
    UserKeys,
)
from mckm.impl.store.sqlite_keys import SqliteKeyStore
from mckm.models.policy import PURPOSES, purpose_of
from tests.e2e.seal_fixtures import NOW, kms

ALICE, BOB, CAROL = "sip:alice@example.org", "sip:bob@example.org", "sip:carol@example.org"
GMS = "sip:sgms@example.org"
TEL_A, TEL_B = "tel:+447700900123", "tel:+447700900456"


def _user(uri: str, scheme: int = MCX_HASHED_UID, **kw: object) -> SealUser:
    k = kms(scheme)
    return SealUser(uri, k.community, [k.keys(uri)], **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", ["PCK", "CSK", "SPK"])
@pytest.mark.parametrize("form", [IdForm.UID, IdForm.URI])
def test_key_reaches_the_receiver_under_its_sk_id(purpose: str, form: IdForm) -> None:
    alice, bob = _user(ALICE), _user(BOB)
    raw, sk_id = alice.send(BOB, purpose, now=NOW, id_form=form)
    message = decode(raw)
    roles = sorted(p.id_role for p in message.all("IDR"))
    assert roles == ([6, 7, 8, 9] if form is IdForm.UID else [1, 2, 6, 7])
    assert message.hdr.csb_id == sk_id  # REQ-SEAL-KD-03
    assert purpose_of(sk_id) == PURPOSES.by_name(purpose).value  # REQ-SEAL-KD-02
    record = bob.receive(raw, now=NOW + 5, sender_uri=ALICE if form is IdForm.UID else None)
    assert (record.sk_id, record.purpose_name, record.peer) == (sk_id, purpose, ALICE)
    assert record.key == alice.initiator_vars["sent_keys"][sk_id]
    assert bob.store.get(sk_id) == record
    assert "redacted" in repr(record.key)


def test_gmk_via_the_sgm_s_reaches_two_members_under_one_gmk_id() -> None:
    gms = GroupManagementServer(GMS, kms().community, [kms().keys(GMS)])
    members = {ALICE: _user(ALICE, group_servers=[GMS]), BOB: _user(BOB, group_servers=[GMS])}
    gmk_id, messages = gms.distribute_gmk(members, now=NOW)
    csb_ids = {m: decode(raw).hdr.csb_id for m, raw in messages.items()}
    assert len(set(csb_ids.values())) == 2 and gmk_id not in csb_ids.values()  # GUK-IDs
    held = {m: u.receive(messages[m], now=NOW, sender_uri=GMS) for m, u in members.items()}
    assert {r.sk_id for r in held.values()} == {gmk_id}
    assert len({r.key for r in held.values()}) == 1
    assert all(r.purpose_name == "GMK" and r.csb_id == csb_ids[m] for m, r in held.items())


def test_gmk_from_a_user_who_is_not_an_sgm_s_is_refused() -> None:
    gms = GroupManagementServer(GMS, kms().community, [kms().keys(GMS)])
    _, messages = gms.distribute_gmk([BOB], now=NOW)
    # Bob's configuration names no SGM-S: the same GMK, validly signed by GMS, is refused
    _refused(_user(BOB), messages[BOB], guard="group-key-from-sgms", sender=GMS, error=0)
    # and Alice, an ordinary user, cannot push a group key to Bob either (REQ-SEAL-KD-14)
    raw, _ = _user(ALICE).send(BOB, "GMK", now=NOW)
    _refused(_user(BOB, group_servers=[GMS]), raw, guard="group-key-from-sgms", error=0)


def test_tel_uri_scheme_keyed_by_the_sakke_id_scheme() -> None:
    alice, bob = _user(TEL_A, TEL_URI_MONTHLY), _user(TEL_B, TEL_URI_MONTHLY)
    for form in IdForm:
        raw, sk_id = alice.send(TEL_B, "PCK", now=NOW, id_form=form)
        assert decode(raw).get("SAKKE").id_scheme == TEL_URI_MONTHLY
        assert bob.receive(raw, now=NOW, sender_uri=TEL_A).sk_id == sk_id
    # a message claimed under the hashed scheme: the receiver's keys are for scheme 1
    raw, _ = alice.send(TEL_B, "PCK", now=NOW)
    message = decode(raw)
    message.get("SAKKE").fields["id_scheme"] = MCX_HASHED_UID
    _refused(bob, encode(message), guard="signed-by-initiator")


def _refused(user: SealUser, raw: bytes, *, guard: str | None, now: int = NOW,
             sender: str | None = ALICE, error: int | None = None) -> StepRefused:
    before = (dict(user.receiver_vars), len(user.store.all()))
    with pytest.raises(StepRefused) as exc:
        user.receive(raw, now=now, sender_uri=sender)
    assert exc.value.guard == guard, str(exc.value)
    if error is not None:
        assert exc.value.mikey_error == error
    assert exc.value.requirement.startswith("REQ-SEAL-KD-")
    assert (dict(user.receiver_vars), len(user.store.all())) == before
    return exc.value


def test_refusals_name_the_guard_and_store_nothing(tmp_path) -> None:
    alice = _user(ALICE)
    store = SqliteKeyStore(tmp_path / "keys.db")
    bob = _user(BOB, store=store, accepted_purposes=["PCK", "GMK"])
    carol = _user(CAROL)
    raw, sk_id = alice.send(BOB, "PCK", now=NOW)
    _refused(carol, raw, guard="addressed", error=7)                     # REQ-SEAL-KD-06
    _refused(_user(BOB, trusted_kms=["other.kms"]), raw, guard="acceptable-kms", error=7)
    _refused(bob, raw, guard="timely", now=NOW + 301, error=1)         # REQ-SEAL-KD-09
    _refused(bob, raw, guard="signed-by-initiator", sender=CAROL, error=0)  # From != IDR UID
    _refused(bob, raw, guard="signed-by-initiator", sender=None, error=0)
    csk, _ = alice.send(BOB, "CSK", now=NOW)
    _refused(bob, csk, guard="known-purpose", error=12)                 # REQ-SEAL-KD-12
    to_carol, _ = alice.send(CAROL, "PCK", now=NOW, id_form=IdForm.URI)
    m = decode(to_carol)
    m.all("IDR")[1].fields["id_data"] = BOB.encode()                    # re-addressed
    _refused(bob, encode(m), guard="signed-by-initiator", error=0)
    assert bob.receive(raw, now=NOW, sender_uri=ALICE).sk_id == sk_id
    _refused(bob, raw, guard="not-replayed", error=1)                   # RFC 3830 5.4
    assert [r.sk_id for r in SqliteKeyStore(tmp_path / "keys.db").all()] == [sk_id]
    with pytest.raises(DecodeError):
        bob.receive(raw[:-1], now=NOW, sender_uri=ALICE)


def test_wrong_key_period_is_refused() -> None:
    alice, bob = _user(ALICE), _user(BOB)
    period = kms().community.key_period
    late = NOW + period  # an initiator one key period ahead signs for its own period
    alice.add_keys(kms().keys(ALICE, late))
    raw, _ = alice.send(BOB, "PCK", now=late)
    _refused(bob, raw, guard="current-period", error=1)  # bob's clock: NOW


def test_a_second_key_under_a_held_sk_id_is_refused_by_the_model(tmp_path) -> None:
    """REQ-SEAL-KD-15: Carol (a valid user) sends Bob another key under the SK-ID Bob holds
    from Alice: the guard key-fits refuses it and the stored key stays; the same key again
    (a retransmission with a new RAND) fits."""
    alice, carol = _user(ALICE), _user(CAROL)
    bob = _user(BOB, store=SqliteKeyStore(tmp_path / "keys.db"))
    raw, sk_id = alice.send(BOB, "PCK", now=NOW)
    held = bob.receive(raw, now=NOW, sender_uri=ALICE)
    clash, _ = carol.send(BOB, "PCK", now=NOW, sk_id=sk_id)
    _refused(bob, clash, guard="key-fits", sender=CAROL, error=12)
    key = alice.initiator_vars["sent_keys"][sk_id].reveal()
    again, _ = alice.send(BOB, "PCK", now=NOW, sk_id=sk_id, key=key)
    assert bob.receive(again, now=NOW, sender_uri=ALICE).key == held.key
    assert [r.key for r in SqliteKeyStore(tmp_path / "keys.db").all()] == [held.key]


def _concurrently(bob: SealUser, messages: list[bytes]) -> list[object]:
    """Each message received by its own thread, all released at once: the record or the
    refusal of each."""
    barrier = threading.Barrier(len(messages))

    def receive(raw: bytes) -> object:
        barrier.wait()
        try:
            return bob.receive(raw, now=NOW, sender_uri=ALICE)
        except StepRefused as exc:
            return exc

    with ThreadPoolExecutor(len(messages)) as pool:
        return list(pool.map(receive, messages))


def test_concurrent_receives_keep_every_replay_cache_entry() -> None:
    """Issue 13: receives on one receiver at the same time each commit their RAND (RFC 3830
    5.4), so every one of those I_MESSAGEs replayed afterwards is refused by not-replayed."""
    alice, bob = _user(ALICE), _user(BOB)
    for _ in range(3):
        sent = [alice.send(BOB, "PCK", now=NOW) for _ in range(6)]
        held = _concurrently(bob, [raw for raw, _ in sent])
        assert [getattr(r, "sk_id", r) for r in held] == [sk_id for _, sk_id in sent]
        for raw, _ in sent:
            _refused(bob, raw, guard="not-replayed", error=1)


class _InLockstep(SealUser):
    """A receiver whose next ``runs`` machines all finish checking their messages (each on
    its snapshot of the receiver's variables) before any of them commits: the runs check side
    by side, and only their commits are serialised (the endpoint's concurrency contract)."""

    def __init__(self, uri: str, runs: int, **kw: object) -> None:
        keys = kms()
        super().__init__(uri, keys.community, [keys.keys(uri)], **kw)  # type: ignore[arg-type]
        self._barrier, self._left = threading.Barrier(runs), runs

    def _receiver(self, run_vars: dict[str, Any]) -> RoleMachine:
        machine = super()._receiver(run_vars)
        if self._left > 0:
            self._left -= 1
            feed, barrier = machine.feed, self._barrier

            def together(*args: Any, **kwargs: Any) -> Any:
                try:
                    return feed(*args, **kwargs)
                finally:
                    barrier.wait()
            machine.feed = together  # type: ignore[method-assign]
        return machine


def _side_by_side(bob: SealUser, messages: list[bytes], sender: str) -> list[object]:
    with ThreadPoolExecutor(len(messages)) as pool:
        return list(pool.map(_outcome, [bob] * len(messages), messages, [sender] * len(messages)))


def _outcome(bob: SealUser, raw: bytes, sender: str) -> object:
    try:
        return bob.receive(raw, now=NOW, sender_uri=sender)
    except StepRefused as exc:
        return exc


def test_a_run_refused_at_its_commit_stores_no_key() -> None:
    """RFC 3830 5.4 and the endpoint's all-or-nothing receive: two I_MESSAGEs with one RAND (a
    signer reusing it) checked side by side: one is accepted; the other is refused by
    not-replayed when it commits, and its key is not in the store."""
    alice = _user(ALICE)
    for _ in range(3):
        bob = _InLockstep(BOB, 2)
        rand = os.urandom(16)
        sent = [alice.send(BOB, "PCK", now=NOW, rand=rand) for _ in range(2)]
        held = _side_by_side(bob, [raw for raw, _ in sent], ALICE)
        kept = [r for r in held if not isinstance(r, StepRefused)]
        assert [getattr(r, "guard", None) for r in held].count("not-replayed") == 1, held
        assert [r.sk_id for r in bob.store.all()] == [r.sk_id for r in kept]  # type: ignore


def test_i_messages_checked_side_by_side_each_keep_their_rand() -> None:
    """RFC 3830 5.4: two I_MESSAGEs checked side by side (each on a snapshot without the other's
    RAND) are both accepted, and both RANDs are in the committed cache: a replay of either is
    refused by not-replayed."""
    alice = _user(ALICE)
    for _ in range(3):
        bob = _InLockstep(BOB, 2)
        sent = [alice.send(BOB, "PCK", now=NOW) for _ in range(2)]
        held = _side_by_side(bob, [raw for raw, _ in sent], ALICE)
        assert [getattr(r, "sk_id", r) for r in held] == [sk_id for _, sk_id in sent]
        for raw, _ in sent:
            _refused(bob, raw, guard="not-replayed", error=1)


def test_two_keys_under_one_sk_id_side_by_side_keep_the_first_committed() -> None:
    """REQ-SEAL-KD-15 (TS 33.434 6.Y.2: the key is stored by its SK-ID): two different keys
    under one SK-ID checked side by side: the one committed first is kept, the other is
    refused by key-fits (MIKEY error 12), never a store error, and the store holds one key."""
    alice, carol = _user(ALICE), _user(CAROL)
    for _ in range(3):
        bob = _InLockstep(BOB, 2)
        first, sk_id = alice.send(BOB, "PCK", now=NOW)
        clash, _ = carol.send(BOB, "PCK", now=NOW, sk_id=sk_id)
        with ThreadPoolExecutor(2) as pool:
            held = list(pool.map(_outcome, [bob, bob], [first, clash], [ALICE, CAROL]))
        refused = [r for r in held if isinstance(r, StepRefused)]
        assert [(r.guard, r.mikey_error) for r in refused] == [("key-fits", 12)], held
        kept = next(r for r in held if not isinstance(r, StepRefused))
        assert bob.store.all() == [kept]


def test_one_i_message_received_twice_at_once_is_accepted_once() -> None:
    alice, bob = _user(ALICE), _user(BOB)
    for _ in range(3):
        raw, sk_id = alice.send(BOB, "PCK", now=NOW)
        held = _concurrently(bob, [raw, raw])
        refused = [r for r in held if isinstance(r, StepRefused)]
        assert [getattr(r, "sk_id", None) for r in held].count(sk_id) == 1, held
        assert [r.guard for r in refused] == ["not-replayed"]
        _refused(bob, raw, guard="not-replayed", error=1)


def test_a_receive_reads_the_uids_of_the_key_period_it_is_given() -> None:
    """``receive(period=)`` (the key period whose UIDs the message is read with, TS 33.180
    F.2.1; default the period of ``now``): an I_MESSAGE to this period's UID is refused when
    read as the next period's, and accepted as this period's."""
    alice, bob = _user(ALICE), _user(BOB)
    raw, sk_id = alice.send(BOB, "PCK", now=NOW)
    period = bob.facts.period_of(NOW)
    with pytest.raises(StepRefused) as refused:
        bob.receive(raw, now=NOW, sender_uri=ALICE, period=period + 1)
    assert refused.value.guard is not None and bob.store.all() == []
    assert bob.receive(raw, now=NOW, sender_uri=ALICE, period=period).sk_id == sk_id


def test_a_cold_receiver_holding_only_its_rsk_takes_a_key() -> None:
    """A receiver given only its RSK (no SSK or PVT: it never signs, as a conformance vector's
    receiver) installs it cold (``warm=False`` builds no Signer, so nothing asks for the SSK)
    and decapsulates K (RFC 6508 6.2.2)."""
    keys, alice = kms(), _user(ALICE)
    full = keys.keys(BOB)
    rsk_only = UserKeys(BOB, full.period_no, full.uid, Secret(0), b"", full.rsk)
    bob = SealUser(BOB, keys.community, [rsk_only], warm=False)
    raw, sk_id = alice.send(BOB, "PCK", now=NOW)
    assert bob.receive(raw, now=NOW, sender_uri=ALICE).sk_id == sk_id


@pytest.mark.parametrize("warm", [True, False])
def test_a_key_that_does_not_validate_is_not_installed_warm_or_cold(warm: bool) -> None:
    """RFC 6507 5.1.2 ("Every SSK MUST be validated before being installed") and RFC 6508
    6.1.2, warm or cold: an SSK or an RSK issued for another identity is a VerifyError naming
    its clause, and nothing of that key set is installed - the user can neither sign nor
    receive in that key period."""
    keys, alice = kms(), _user(ALICE)
    own, other = keys.keys(BOB), keys.keys(ALICE)
    wrong_ssk = UserKeys(BOB, own.period_no, own.uid, other.ssk, other.pvt, own.rsk)
    wrong_rsk = UserKeys(BOB, own.period_no, own.uid, own.ssk, own.pvt, other.rsk)
    raw, _ = alice.send(BOB, "PCK", now=NOW)
    for bad, clause in ((wrong_ssk, "RFC 6507 5.1.2"), (wrong_rsk, "RFC 6508 6.1.2")):
        bob = SealUser(BOB, keys.community, [], warm=warm)
        with pytest.raises(VerifyError) as err:
            bob.facts.add_keys(bad)
        assert clause in str(err.value)
        with pytest.raises(StepRefused):  # no key set for this period: nothing to decapsulate
            bob.receive(raw, now=NOW, sender_uri=ALICE)
        assert bob.store.all() == []
