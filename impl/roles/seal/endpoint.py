"""SEAL end points on the engine: a user (initiator and receiver) and the group server (SGM-S).

:class:`SealUser` runs the model's two roles with :class:`mckm.impl.engine.RoleMachine`, one
machine per I_MESSAGE, over role variables that persist between messages (replay cache, key
store).  ``send`` returns the encoded I_MESSAGE; ``receive`` decodes and reads it through the
model's spec (:func:`.imessage.read_imessage`), feeds it, and returns the stored
:class:`KeyRecord` or raises a ``MckmError`` (``DecodeError`` for a malformed message,
``StepRefused`` naming the step, guard, requirement and MIKEY error for a refused one).
Receives may run concurrently: each machine runs (and checks signatures, decrypts) on a snapshot
of the receiver's variables, and only its commit is serialised: its replay-cache entry
(:meth:`ReplayCache.onto`) and its key, stored only then, so two copies of one I_MESSAGE are
never both accepted and a refused run stores nothing.

:class:`GroupManagementServer` is the SGM-S of seed 004 6.Y.1: a user of the same SKM-S
(which provisions and so authorises it) that sends one GMK, under one GMK-ID, to each member
in its own I_MESSAGE whose CSB-ID is that member's GUK-ID (TS 33.180 5.2.3).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from mckm.impl.engine import EffectRegistry, Emit, RoleMachine, Send
from mckm.impl.engine.replay import ReplayCache
from mckm.impl.engine.wire import WireView
from mckm.impl.errors import UsageError
from mckm.impl.roles.seal.effects import KEY_OCTETS, registry
from mckm.impl.roles.seal.facts import SealFacts, UserKeys
from mckm.impl.roles.seal.identities import Community
from mckm.impl.roles.seal.imessage import IdForm, read_imessage
from mckm.impl.roles.seal.keystore import KeyRecord, KeyStore, MemoryKeyStore
from mckm.models.policy import PURPOSES, encode_key_id
from mckm.models.policy.key_id import RANDOM_BITS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.seal_key_distribution import PROCEDURE

_EFFECTS = registry()


class SealUser:
    """One SEAL user (a VAL UE or server) of one SKM-S community."""

    def __init__(self, uri: str, community: Community, keys: Iterable[UserKeys] = (), *,
                 store: KeyStore | None = None, trusted_kms: Iterable[str] | None = None,
                 group_servers: Iterable[str] = (),
                 accepted_purposes: Iterable[str] | None = None, warm: bool = True,
                 procedure: Procedure = PROCEDURE, effects: EffectRegistry = _EFFECTS) -> None:
        self.uri = uri
        self.community = community
        self.facts = SealFacts(community, list(keys), warm=warm)
        self.store: KeyStore = store if store is not None else MemoryKeyStore()
        self.procedure = procedure
        self.effects = effects
        purposes = (PURPOSES.values() if accepted_purposes is None
                    else frozenset(PURPOSES.by_name(p).value for p in accepted_purposes))
        self.initiator_vars: dict[str, Any] = {"uri": uri, "kms_uri": community.kms_uri,
                                               "purposes": PURPOSES.values()}
        self.receiver_vars: dict[str, Any] = {
            "uri": uri, "period": None,
            "trusted_kms": frozenset(trusted_kms or (community.kms_uri,)),
            "replay_cache": ReplayCache(), "accepted_purposes": purposes,
            "group_servers": frozenset(group_servers),
            "key_store": self.store,
        }
        self._commit_lock = threading.Lock()  # guards receiver_vars' snapshot and commit

    def add_keys(self, keys: UserKeys) -> None:
        self.facts.add_keys(keys)

    # -- initiator
    def send(self, to: str, purpose: str, *, now: int, id_form: IdForm = IdForm.UID,
             kms_r: str | None = None, **params: Any) -> tuple[bytes, int]:
        """Distribute a key to ``to`` (whose SKM-S is ``kms_r``, default the own): returns
        (I_MESSAGE octets, SK-ID) (step 1)."""
        run_vars = {**self.initiator_vars, "peer": to, "peer_kms": kms_r or self.community.kms_uri}
        machine = RoleMachine(self.procedure, "initiator", vars=run_vars, facts=self.facts,
                              effects=self.effects, message_factory=self._outgoing)
        actions = machine.send("I_MESSAGE", now=now, params={
            "purpose": purpose, "id_form": id_form.value, **params})
        self.initiator_vars.update((k, v) for k, v in run_vars.items() if k not in ("peer",
                                                                                    "peer_kms"))
        sent = next(a for a in actions if isinstance(a, Send))
        sk_id = next(a.value[0] for a in actions if isinstance(a, Emit) and a.name == "key")
        assert isinstance(sent.message, WireView)
        return sent.message.raw, int(sk_id)

    def _outgoing(self, name: str, fields: Mapping[str, Any]) -> WireView:
        raw = fields.get("raw")
        if name != "I_MESSAGE" or not isinstance(raw, bytes):
            raise UsageError("the SEAL initiator effects did not produce an encoded I_MESSAGE")
        return read_imessage(raw, uid_of=self._uid_at, initiator_uri=fields["idri"],
                             responder_uri=fields["idrr"])

    # -- receiver
    def view(self, raw: bytes, *, sender_uri: str | None = None) -> WireView:
        """Decode and read a received I_MESSAGE (DecodeError if malformed)."""
        return read_imessage(raw, uid_of=self._uid_at, initiator_uri=sender_uri,
                             responder_uri=self.uri)

    def receive(self, raw: bytes, *, now: int, sender_uri: str | None = None,
                period: int | None = None) -> KeyRecord:
        """Process an I_MESSAGE at local time ``now`` (NTP seconds) (step 2).  ``sender_uri``
        is the signalling's initiator (SIP From), needed when the IDRs carry UIDs; ``period``
        defaults to the key period of ``now``."""
        message = self.view(raw, sender_uri=sender_uri)
        with self._commit_lock:
            base = dict(self.receiver_vars)
        run_vars = dict(base)  # the current period is this run's, not kept
        run_vars["period"] = self.facts.period_of(now) if period is None else period
        actions = self._receiver(run_vars).feed(message, now=now)  # crypto, unserialised
        record = next(a.value for a in actions if isinstance(a, Emit) and a.name == "record")
        assert isinstance(record, KeyRecord)
        with self._commit_lock:
            self._commit(base, run_vars, message, now, record)
        return record

    def _receiver(self, run_vars: dict[str, Any]) -> RoleMachine:
        return RoleMachine(self.procedure, "receiver", vars=run_vars, facts=self.facts,
                           effects=self.effects)

    def _commit(self, base: Mapping[str, Any], run_vars: dict[str, Any], message: WireView,
                now: int, record: KeyRecord) -> None:
        """Commit a run (the lock held): its key into the store, then its variables.  If
        another receive committed since ``base`` was taken, this run's replay-cache entry is
        re-staged on that cache; if that cache holds the same RAND, or the store now holds
        another key under this id, step 2's guards (``not-replayed``, ``key-fits``) refuse
        this run, and nothing of it is kept."""
        staged, current = run_vars["replay_cache"], self.receiver_vars["replay_cache"]
        if isinstance(staged, ReplayCache) and isinstance(current, ReplayCache) \
                and current is not base["replay_cache"] and staged is not current:
            window = int(self.procedure.policy["replay_window"])
            merged = staged.onto(current, now=now, window=window)
            if merged is None:
                self._refuse_on_commit(run_vars, current, message, now)
            run_vars["replay_cache"] = merged
        held = self.store.get(record.sk_id)
        if held is not None and (held.key != record.key or held.purpose != record.purpose):
            self._refuse_on_commit(run_vars, current, message, now)
        self.store.put(record)  # all or nothing (KeyStore)
        self.receiver_vars.update((k, v) for k, v in run_vars.items()
                                  if k != "period" and v is not base.get(k))

    def _refuse_on_commit(self, run_vars: Mapping[str, Any], current: Any, message: WireView,
                          now: int) -> None:
        """Refuse through step 2's guards on what is committed now (RFC 3830 5.4; REQ-SEAL-KD-15):
        the other guards read what this run read, so ``not-replayed`` or ``key-fits`` refuses."""
        machine = self._receiver({**run_vars, "replay_cache": current})
        step = machine.step_for(message, now=now)
        assert step is not None  # the run took it a moment ago
        machine.check_guards(step, message, now=now)
        raise UsageError(f"{self.procedure.name}: the guards of step {step.number} do not "
                         "refuse what a concurrent receive committed")

    def _uid_at(self, uri: str, t: int) -> bytes:
        return self.facts.uid(uri, self.facts.period_of(t))

    def __repr__(self) -> str:
        return f"SealUser({self.uri!r}, {self.facts!r})"


class GroupManagementServer(SealUser):
    """The SGM-S: distributes a group's GMK to its members (seed 004 6.Y.1, TS 33.180 5.2.3)."""

    def distribute_gmk(self, members: Iterable[str], *, now: int, gmk: bytes | None = None,
                       gmk_id: int | None = None, id_form: IdForm = IdForm.UID
                       ) -> tuple[int, dict[str, bytes]]:
        """One I_MESSAGE per member, all carrying the same GMK and GMK-ID; returns
        (GMK-ID, member URI -> I_MESSAGE)."""
        gmk = secrets.token_bytes(KEY_OCTETS) if gmk is None else gmk
        if gmk_id is None:
            gmk_id = encode_key_id(PURPOSES.by_name("GMK").value, secrets.randbits(RANDOM_BITS))
        out = {}
        for member in members:
            raw, sk_id = self.send(member, "GMK", now=now, id_form=id_form, key=gmk,
                                   sk_id=gmk_id)
            assert sk_id == gmk_id
            out[member] = raw
        return gmk_id, out
