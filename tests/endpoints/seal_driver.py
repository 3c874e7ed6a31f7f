"""SEAL key distribution (seed 004 6.Y.2) on its public end points: :class:`SealUser` objects
with real ECCSI / SAKKE keys of one SKM-S community (``tests/e2e/seal_fixtures``), plus a user
of another SKM-S, an SGM-S, and a receiver configured for PCK only."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

from mckm.impl.crypto import eccsi, sakke
from mckm.impl.errors import MckmError
from mckm.impl.roles.seal import Community, IdForm, SealUser
from mckm.models.procedures import seal_key_distribution
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.e2e.seal_fixtures import NOW, Kms, kms
from tests.endpoints import mikey_spans
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run

# same length, so IDRi can be rewritten in place (URI form)
ALICE, BOB, CAROL = "sip:alice@example.org", "sip:bob@example.org", "sip:carol@example.org"
GMS, OUTSIDER = "sip:sgms@example.org", "sip:mallory@other.example"
OTHER_KMS = "kms.other.example"


@functools.cache
def _other_kms() -> Kms:
    ksak, kpak = eccsi.kms_keypair()
    z, z_pub = sakke.kms_master_key()
    return Kms(Community(OTHER_KMS, kpak, z_pub, id_scheme=kms().community.id_scheme), ksak, z)


@functools.cache
def _boundary() -> int:
    """The first second of the key period after NOW's (TS 33.180 F.2.1)."""
    community = kms().community
    lo, hi = NOW, NOW + 2 * community.key_period
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if community.period_of(mid) == community.period_of(NOW) else (lo, mid)
    return hi


class SealDriver(Driver):
    def __init__(self, procedure: Procedure = seal_key_distribution.PROCEDURE) -> None:
        self.procedure = procedure
        k = kms()
        self.window = int(procedure.policy["replay_window"])

        def user(uri: str, keys: Kms = k, **kw: Any) -> SealUser:
            # cold keyrings: no precomputed tables per user (fast to build, the cold path)
            return SealUser(uri, keys.community, [keys.keys(uri)], procedure=procedure,
                            warm=False, **kw)

        self.users: dict[str, SealUser] = {
            "alice": user(ALICE), "bob": user(BOB, group_servers=[GMS]),
            "bob-pck-only": user(BOB, accepted_purposes=["PCK"]),
            "mallory": user(OUTSIDER, _other_kms()),
            "alice-rogue": user(ALICE),
        }
        # a compromised Alice: K encapsulated to Carol's UID, the I_MESSAGE to Bob signed
        ring = self.users["alice-rogue"].facts.ring
        encapsulate = ring.encapsulate
        carol = k.community.uid(CAROL, k.community.period_of(NOW))
        ring.encapsulate = lambda ssv, uid: encapsulate(ssv, carol)  # type: ignore[method-assign]
        self.runs = 0

    # -- legal runs
    def _send(self, to: str, sender: str = "alice", *, now: int = NOW, to_uri: str = BOB,
              form: IdForm = IdForm.UID, purpose: str = "PCK", **params: Any) -> Delivery:
        user = self.users[sender]
        raw, sk_id = user.send(to_uri, purpose, now=now, id_form=form, **params)
        self.last = (sender, sk_id)
        return Delivery("I_MESSAGE", to, raw, now,
                        {"sender_uri": user.uri if form is IdForm.UID else None})

    def start(self, data: st.DataObject) -> list[Delivery]:
        purpose = data.draw(st.sampled_from(["PCK", "CSK", "SPK"]), label="purpose")
        form = data.draw(st.sampled_from(list(IdForm)), label="IDR form")
        self.runs += 1
        return [self._send("bob", form=form, purpose=purpose, now=NOW + self.runs)]

    def deliver(self, d: Delivery) -> list[Delivery]:
        try:
            self.users[d.to].receive(d.octets, now=d.now, sender_uri=d.context.get("sender_uri"))
        except MckmError as exc:
            raise Refused(Observed.of(exc)) from exc
        return []

    def finish(self, run: Run) -> None:
        sender, sk_id = self.last
        record = self.users["bob"].store.get(sk_id)
        assert record is not None, "the receiver does not hold the key it accepted"
        assert record.key == self.users[sender].initiator_vars["sent_keys"][sk_id]

    def snapshot(self, to: str) -> Any:
        user = self.users[to]
        cache = user.receiver_vars["replay_cache"]
        return (sorted(cache.items()),
                sorted((r.sk_id, r.fingerprint) for r in user.store.all()))

    # -- threats
    def span(self, d: Delivery, target: str) -> tuple[int, int] | None:
        return mikey_spans.span(d.octets, target)

    def delay(self, threat: Threat) -> int | None:
        return self.window + 1 if threat.kind == "stale" else None

    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, target = threat.kind, threat.target
        if kind == "misaddressed":  # made for Carol, delivered to Bob
            return Attack(self._send("bob", to_uri=CAROL))
        if kind == "untrusted-peer":  # a user of another SKM-S (URIs: its UIDs are its KMS's)
            return Attack(self._send("bob", "mallory", form=IdForm.URI))
        if kind == "wrong-key":
            return Attack(self._send("bob", "alice-rogue"))
        if kind == "wrong-period":  # made in the last seconds of a period, received after it
            end = _boundary()
            d = self._send("bob", now=end - 5)
            return Attack(Delivery(d.message, d.to, d.octets, end + 5, d.context))
        if kind == "wrong-identity":  # IDRi rewritten to Carol (URI form, same length)
            d = self._send("bob", form=IdForm.URI)
            assert d.octets.count(ALICE.encode()) == 1
            return Attack(Delivery(d.message, d.to,
                                   d.octets.replace(ALICE.encode(), CAROL.encode()), d.now, {}))
        if kind == "unauthorised" and target == "GMK purpose":  # Alice is no SGM-S
            return Attack(self._send("bob", purpose="GMK"))
        if kind == "unauthorised":  # a CSK to a receiver configured for PCK only
            return Attack(self._send("bob-pck-only", purpose="CSK"))
        if kind == "key-id-collision":  # a second key under the SK-ID Bob holds
            first = self._send("bob", now=NOW + 1)
            _, sk_id = self.last
            second = self._send("bob", now=NOW + 2, sk_id=sk_id, key=bytes(16))
            return Attack(second, (first,))
        return None
