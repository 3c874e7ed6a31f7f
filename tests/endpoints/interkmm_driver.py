"""InterKMM relay (seed 000 7.8.x; TS 33.180 9.3.4) on its public end points over real SIP
sockets (TCP): the IWF, the MCX server and the UEs of ``tests/interkmm/world.py`` with their CSKs
and SPKs.  A legal run is one ``send_kmm`` through the relay; both hops are recorded as the
octets of their SIP MESSAGEs (the second tapped at the receiving end point), and the attacker
sends captured or built MESSAGEs in new transactions (``tests/interkmm/wire``).  A refusal's
status and reason phrase are what the generator checks (REQ-IKMM-15: the phrase its guard
names)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from mckm.models.procedures import interkmm as model
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Threat
from tests.endpoints.generator import Attack, Delivery, Driver, Observed, Refused, Run, play
from tests.interkmm.wire import body_of, ntp_now, post, resend
from tests.interkmm.world import ALICE, BOB, CAROL, CSK_BOB, KMF, SPK, world

KMM = b"kmm:" + bytes(range(64))
_TCP = "TCP"


class InterKmmDriver(Driver):
    """``procedure``: ``interkmm.IWF_TO_UE`` or ``UE_TO_IWF`` (or a mutant of one)."""

    def __init__(self, procedure: Procedure = model.IWF_TO_UE) -> None:
        self.procedure = procedure
        self.down = procedure.name == model.IWF_TO_UE.name  # IWF -> server -> UE
        self._world = world(_TCP)
        self.w = self._world.__enter__()
        self.hops: list[bytes] = []  # what the receiving end point's socket got, this run
        self.seen = 0  # ... and in all: a message the relay must refuse never gets there
        receiver = self.w.alice if self.down else self.w.iwf
        receiver.sip.tap = self._tapped
        first, second = ("INTERKMM_SPK", "INTERKMM_CSK") if self.down else \
            ("INTERKMM_CSK", "INTERKMM_SPK")
        self.first, self.second = first, second

    def _tapped(self, raw: bytes, transport: str) -> None:
        self.hops.append(raw)
        self.seen += 1

    def close(self) -> None:
        self._world.__exit__(None, None, None)

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """The end points read ``interkmm.IWF_TO_UE`` / ``UE_TO_IWF`` when they run: the
        mutant is put there for the block."""
        name = "IWF_TO_UE" if self.down else "UE_TO_IWF"
        old = getattr(model, name)
        setattr(model, name, self.procedure)
        try:
            yield
        finally:
            setattr(model, name, old)

    @property
    def sender(self) -> Any:
        return self.w.iwf if self.down else self.w.alice

    @property
    def server_side(self) -> Any:
        return self.w.server.iwf_side if self.down else self.w.server.ue_side

    @property
    def receiver(self) -> Any:
        return self.w.alice if self.down else self.w.iwf

    # -- legal runs
    def start(self, data: st.DataObject) -> list[Delivery]:
        kmm = data.draw(st.binary(min_size=1, max_size=256), label="KMM")
        return [self._originate(kmm)]

    def _originate(self, kmm: bytes, peer: str | None = None, now: int | None = None,
                   sender: Any = None) -> Delivery:
        return Delivery(self.first, "server", b"", ntp_now(),
                        {"kmm": kmm, "peer": peer or (ALICE if self.down else KMF),
                         "sent": now, "sender": sender})

    def deliver(self, d: Delivery) -> list[Delivery]:
        if "kmm" in d.context:  # an end point originates: both hops run
            sender = d.context["sender"] or self.sender
            self.hops.clear()
            outcome = sender.send_kmm(d.context["kmm"], peer=d.context["peer"],
                                      transport=_TCP, now=d.context["sent"])
            status, reason = outcome.status, outcome.reason
            if status == 202:
                self.last = (d.context["kmm"], outcome.request.encode(), list(self.hops))
        elif "post" in d.context:  # a body the attacker built, to the server or end point
            content_type, body = d.context["post"]
            to = self.server_side.address if d.to == "server" else self.receiver.address
            status, reason = post(self.w.bob.sip, to, content_type, body, transport=_TCP)
        else:  # a captured MESSAGE sent again (its body replaced, if given)
            hop1 = d.to == "server"
            sender = self.sender.sip if hop1 else (self.w.server.ue_side if self.down
                                                   else self.w.server.iwf_side)
            to = self.server_side.address if hop1 else self.receiver.address
            status, reason = resend(sender, d.octets, to, transport=_TCP,
                                    body=d.context.get("body"))
        if status not in (200, 202):
            raise Refused(Observed(None, status, f"{status} {reason}", None, reason))
        return []

    def finish(self, run: Run) -> None:
        kmm, _, hops = self.last
        assert len(hops) == 1, "the second hop was not seen at the receiving end point"
        assert self.receiver.delivered[-1].kmm == kmm

    def snapshot(self, to: str) -> Any:
        """What the end points delivered, and how many messages reached the receiving end
        point: a relay that forwards what it should refuse is seen even if the end point
        refuses it in turn."""
        delivered = tuple(len(p.delivered) for p in (self.w.alice, self.w.bob, self.w.iwf))
        return (delivered, self.seen) if to == "server" else delivered

    # -- threats
    def _recorded(self, data: st.DataObject) -> tuple[bytes, bytes]:
        self.finish(play(self, data))
        _, hop1, (hop2,) = self.last
        return hop1, hop2

    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        kind, target = threat.kind, threat.target
        hop = "server" if threat.message == self.first else "receiver"
        if kind in ("replay", "tamper") and target in ("", "CipherValue"):
            hop1, hop2 = self._recorded(data)
            raw = hop1 if hop == "server" else hop2
            d = Delivery(threat.message, hop, raw, ntp_now())
            if kind == "replay":
                return Attack(d)
            body = raw.split(b"\r\n\r\n", 1)[1]
            at = body.rindex(b"</CipherValue>") - 1 - data.draw(st.integers(0, 16),
                                                               label="char")
            swapped = b"A" if body[at:at + 1] != b"A" else b"B"
            return Attack(Delivery(d.message, d.to, d.octets, d.now,
                                   {"body": body[:at] + swapped + body[at + 1:]}))
        if kind == "tamper" and target == "protection":  # the same InterKMM, unprotected
            return Attack(Delivery(threat.message, hop, b"", ntp_now(),
                                   {"post": body_of(KMF, ALICE, KMM, None)}))
        if kind == "tamper":  # a body over the limit
            limit = int(model.POLICY["max_body_octets"])
            return Attack(Delivery(threat.message, hop, b"", ntp_now(),
                                   {"post": ('multipart/mixed; boundary="x"',
                                             b"x" * (limit + 1))}))
        if kind == "stale":
            return Attack(self._originate(KMM, now=ntp_now() - 10 * int(
                model.POLICY["replay_window"])))
        if kind == "misaddressed" and target == "KMF ID":
            return Attack(self._originate(KMM, "kmf.nobody.example") if not self.down else
                          Delivery(threat.message, "server", b"", ntp_now(), {
                              "post": body_of("kmf.nobody.example", ALICE, KMM, self.w.spks,
                                              SPK)}))
        if kind == "unauthorised":  # a user not affiliated for interworking (Bob)
            if self.down:
                return Attack(self._originate(KMM, BOB))
            return Attack(self._originate(KMM, sender=self.w.bob))
        if kind == "misaddressed":  # a user with no CSK at the server (Carol)
            return Attack(self._originate(KMM, CAROL))
        if kind == "reflected":  # REQ-IKMM-16: an InterKMM of the other direction, sent back
            # to the receiver that sent it, or to the server that relayed it to the originator
            got: list[bytes] = []
            self.sender.sip.tap = lambda raw, t: got.append(raw)
            try:
                outcome = self.receiver.send_kmm(KMM, peer=KMF if self.down else ALICE,
                                                 transport=_TCP)
            finally:
                self.sender.sip.tap = None
            assert outcome.status == 202 and len(got) == 1, outcome
            raw = got[0] if hop == "server" else outcome.request.encode()
            return Attack(Delivery(threat.message, hop, raw, ntp_now()))
        if kind == "wrong-identity":  # Bob's CSK, Alice's MCPTT ID
            return Attack(Delivery(threat.message, "server", b"", ntp_now(),
                                   {"post": body_of(KMF, ALICE, os.urandom(32), self.w.csks,
                                                    CSK_BOB)}))
        return None

