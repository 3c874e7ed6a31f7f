"""Generated tests over the PUBLIC endpoints of a procedure, with threats from its catalogue.

A :class:`Driver` knows one procedure's endpoints (the objects and servers a user calls): how
a legal run starts, how a message reaches an endpoint (``deliver``: octets in, the next
messages out, or :class:`Refused`), what an endpoint holds (``snapshot``) and how to stage the
threats that need a party of their own (``forge``).  Everything else is generic:

- :func:`play` runs a legal run delivery by delivery, optionally stopping just before the first
  delivery of a message (the attacker holds it in transit);
- :func:`stage` turns a catalogue :class:`~mckm.models.procedures.threats.Threat` into an
  :class:`Attack` - a ``replay`` or ``out-of-order`` delivers a recorded message again after the
  run, a ``tamper`` flips one bit of the named field in the octets held in transit (the field
  located in the real encoding by :meth:`Driver.span`), ``stale`` / ``expired`` /
  ``not-yet-valid`` / ``wrong-period`` deliver the held message at another time
  (:meth:`Driver.delay`); the rest are the driver's :meth:`Driver.forge`.  A threat that
  neither stages fails the test: every catalogue entry is attacked;
- :func:`check` delivers the attack and checks it is refused with the refusal the catalogue
  names (MIKEY error, status, a word of the reason phrase; and, where the endpoint names one,
  under the threat's requirement) and that the endpoint's snapshot is the same before and
  after.

:func:`state_machine` builds a hypothesis ``RuleBasedStateMachine`` that interleaves legal runs
and catalogue threats on one world, so state left by one run (replay caches, stores) meets the
next.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from mckm.impl.errors import MckmError
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.threats import Catalogue, Threat, catalogue


@dataclass(frozen=True)
class Delivery:
    """One message on its way: its model name, the endpoint it goes to, its octets, the
    receiver's clock, and what the transport says beside the octets (a SIP From, a Zk link)."""

    message: str
    to: str
    octets: bytes
    now: int
    context: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Delivery({self.message} -> {self.to}, {len(self.octets)} octets, t={self.now})"


@dataclass(frozen=True)
class Observed:
    """What a refusal said: its MIKEY error, its HTTP/SIP status and the requirement it names,
    where it has them."""

    mikey_error: int | None = None
    status: int | None = None
    text: str = ""
    requirement: str | None = None
    reason: str = ""  # the status's reason phrase (SIP)

    @classmethod
    def of(cls, exc: MckmError) -> Observed:
        """A sans-IO endpoint's refusal: a role refuses only through a guard, which names its
        requirement (DESIGN: every refusal has a requirement id), so one without is a finding."""
        return cls(exc.mikey_error, getattr(exc, "http_status", None), str(exc),
                   getattr(exc, "requirement", None) or f"none ({type(exc).__name__})")


class Refused(Exception):
    """An endpoint refused a delivery (raised by :meth:`Driver.deliver`)."""

    def __init__(self, observed: Observed) -> None:
        super().__init__(observed.text)
        self.observed = observed


@dataclass
class Run:
    """A legal run: the deliveries made, and the one held back (``held``) if it stopped."""

    deliveries: list[Delivery]
    held: Delivery | None = None
    result: Any = None


@dataclass(frozen=True)
class Attack:
    """The delivery that must be refused (after ``before`` ran, which must be accepted)."""

    delivery: Delivery
    before: tuple[Delivery, ...] = ()


class Driver(ABC):
    """One procedure's endpoints in one world; ``procedure`` is the model they run (a mutant in
    ``test_mutants``)."""

    procedure: Procedure

    @abstractmethod
    def __init__(self, procedure: Procedure) -> None:
        """A world whose endpoints run ``procedure`` (the model, or a mutant of it)."""

    @property
    def catalogue(self) -> Catalogue:
        return catalogue(self.procedure.name)

    @abstractmethod
    def start(self, data: st.DataObject) -> list[Delivery]:
        """A new legal run's first deliveries (the parameters drawn from ``data``)."""

    @abstractmethod
    def deliver(self, d: Delivery) -> list[Delivery]:
        """Give ``d`` to its endpoint; the messages that endpoint sends next (Refused if
        refused)."""

    @abstractmethod
    def finish(self, run: Run) -> None:
        """Check a completed legal run's outcome (every party holds the same keys, ...)."""

    @abstractmethod
    def snapshot(self, to: str) -> Any:
        """What endpoint ``to`` holds (replay cache, stores), comparable with ``==``."""

    def span(self, d: Delivery, target: str) -> tuple[int, int] | None:
        """The bits [start, end) of ``target`` in ``d.octets`` that a tamper may flip."""
        return None

    def delay(self, threat: Threat) -> int | None:
        """Seconds to hold a message for a ``stale``/``expired``/... threat."""
        return None

    def forge(self, threat: Threat, data: st.DataObject) -> Attack | None:
        """An attack the generic kinds cannot make (a party of the attacker's own)."""
        return None

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """The endpoints run :attr:`procedure` inside the block (for a driver whose endpoints
        read the model from a module, not from a parameter)."""
        yield

    def close(self) -> None:  # noqa: B027 - most worlds start nothing
        """Stop what the world started (servers)."""

    @classmethod
    def runs_steps(cls, procedure: Procedure) -> frozenset[str] | None:
        """The steps whose guards this driver's endpoints check under ``procedure`` (None:
        all)."""
        return None


def play(driver: Driver, data: st.DataObject, stop_before: str | None = None,
         first: list[Delivery] | None = None) -> Run:
    """A legal run through the endpoints; with ``stop_before``, held just before the first
    delivery of that message."""
    pending = list(driver.start(data) if first is None else first)
    done: list[Delivery] = []
    while pending:
        d = pending.pop(0)
        if d.message == stop_before:
            return Run(done, d)
        try:
            pending[:0] = driver.deliver(d)
        except Refused as exc:
            raise AssertionError(f"a legal run was refused at {d!r}: {exc}") from exc
        done.append(d)
    if stop_before is not None:
        raise AssertionError(f"the legal run never sends {stop_before}")
    return Run(done)


def flip(octets: bytes, bit: int) -> bytes:
    out = bytearray(octets)
    out[bit // 8] ^= 0x80 >> bit % 8
    return bytes(out)


def _held(driver: Driver, threat: Threat, data: st.DataObject) -> Run:
    return play(driver, data, stop_before=threat.message)


def _tamper(driver: Driver, threat: Threat, data: st.DataObject) -> Attack | None:
    run = _held(driver, threat, data)
    assert run.held is not None
    where = driver.span(run.held, threat.target)
    if where is None:
        return None
    bit = data.draw(st.integers(where[0], where[1] - 1), label="bit flipped")
    return Attack(replace(run.held, octets=flip(run.held.octets, bit)))


def _late(driver: Driver, threat: Threat, data: st.DataObject) -> Attack | None:
    seconds = driver.delay(threat)
    if seconds is None:
        return None
    run = _held(driver, threat, data)
    assert run.held is not None
    return Attack(replace(run.held, now=run.held.now + seconds))


def _again(driver: Driver, threat: Threat, data: st.DataObject) -> Attack | None:
    run = play(driver, data)
    sent = [d for d in run.deliveries if d.message == threat.message]
    assert sent, f"the legal run delivered no {threat.message}"
    # an index is drawn, not the delivery: hypothesis prints draws, and a delivery's context
    # may hold a bearer token
    return Attack(sent[data.draw(st.integers(0, len(sent) - 1), label="delivered again")])


GENERIC: Mapping[str, Callable[[Driver, Threat, st.DataObject], Attack | None]] = {
    "tamper": _tamper, "replay": _again, "out-of-order": _again, "stale": _late,
    "expired": _late, "not-yet-valid": _late, "wrong-period": _late,
}


def stage(driver: Driver, threat: Threat, data: st.DataObject) -> Attack:
    """The attack for ``threat``: the driver's own, else the generic kind's."""
    attack = driver.forge(threat, data)
    if attack is None and threat.kind in GENERIC:
        attack = GENERIC[threat.kind](driver, threat, data)
    assert attack is not None, f"{driver.procedure.name}: no way to stage {threat.name}"
    return attack


def check(driver: Driver, threat: Threat, data: st.DataObject) -> Observed:
    """Stage ``threat``, deliver it, and check the refusal and that nothing changed."""
    attack = stage(driver, threat, data)
    for d in attack.before:
        try:
            driver.deliver(d)
        except Refused as exc:
            raise AssertionError(f"{threat.name}: set-up delivery {d!r} refused: {exc}") \
                from exc
    d = attack.delivery
    before = driver.snapshot(d.to)
    try:
        driver.deliver(d)
    except Refused as exc:
        observed = exc.observed
    else:
        raise AssertionError(f"{threat.name}: {d!r} was accepted ({threat.text})")
    want = threat.refusal
    if want.mikey_error is not None:
        assert observed.mikey_error == want.mikey_error, \
            f"{threat.name}: refused with MIKEY error {observed.mikey_error}, the catalogue " \
            f"names {want}: {observed.text}"
    if want.status is not None:
        assert observed.status == want.status, \
            f"{threat.name}: refused with status {observed.status}, the catalogue names " \
            f"{want}: {observed.text}"
    if want.phrase:
        assert want.phrase in observed.reason.lower(), \
            f"{threat.name}: the reason phrase {observed.reason!r} does not name " \
            f"{want.phrase!r}: {observed.text}"
    if observed.requirement is not None:
        assert observed.requirement == threat.requirement, \
            f"{threat.name}: refused under {observed.requirement}: {observed.text}"
    assert driver.snapshot(d.to) == before, f"{threat.name}: the refusal changed {d.to}"
    return observed


def state_machine(driver: Driver,
                  threats: Sequence[Threat] | None = None) -> type[RuleBasedStateMachine]:
    """Legal runs and catalogue threats interleaved on ``driver``'s world, which keeps its
    state (replay caches, stores, reusable tickets) from one example to the next."""
    chosen = list(threats or driver.catalogue.threats)

    class EndpointMachine(RuleBasedStateMachine):
        @initialize()
        def world(self) -> None:
            self.driver = driver
            self.threats = chosen

        @rule(data=st.data())
        def legal_run(self, data: st.DataObject) -> None:
            driver = self.driver
            driver.finish(play(driver, data))

        @rule(data=st.data())
        def threat(self, data: st.DataObject) -> None:
            chosen = data.draw(st.sampled_from(self.threats), label="threat")
            check(self.driver, chosen, data)

    return EndpointMachine
