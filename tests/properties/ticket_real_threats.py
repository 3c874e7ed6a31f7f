"""The MIKEY-TICKET scenario threats of ``ticket_world`` made with REAL messages (codec, KDFs,
AES-CM, HMAC, base tickets sealed with the TPK, a BSF): each returns the generator's
:class:`~tests.properties.generator.Attack` whose expected refusal is the tag a guard of the
model ``detects`` (seed 002 B.2.2.2 / B.2.2.3, RFC 6043 4.2.3, 10).

A KMS under attack is what ``endpoints.Kms`` runs: a machine of the KMS's *shared* variables
(its persistent replay cache) put in the state where the model receives the message, so the
generator's "a refusal changed nothing" check covers the replay cache.  Where the attack needs a
new RESOLVE_INIT (fresh RANDRr), the honest responder builds it (:func:`_honest_resolve_init`).

- ``wrong-responder``: Carol (a user of KMS_B) resolves Bob's ticket with her own B-TID and
  NAF key, claiming IDRr Carol (ticket not for her) or Bob (not in her USS); or a KMS_R forwards
  it over Zk for Carol.
- ``expired``: a TRANSFER_INIT reaches the responder after TRe (rejected before any resolve,
  REQ-TKT-26), or a RESOLVE_INIT built in time reaches the KMS after TRe or before TRs.
- ``tampered-ticket``: one bit of the TICKET's Ticket Data flipped - in the TRANSFER_INIT, the
  honest responder re-protects it in its RESOLVE_INIT; or in KMS_R's Zk request.  A flip inside a
  real RESOLVE_INIT, nothing re-protected, is refused by the MAC (tag ``tampered``).
- ``untrusted-kms``: KMS_C asks KMS_A over Zk; KMS_R does not trust the issuer; KMS_C answers.
- ``unauthenticated-zk``: a Zk message on a link that authenticated nobody.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from mckm.impl.engine import RoleMachine, Send
from mckm.impl.roles.ticket.effects import PRF, RAND_OCTETS
from mckm.impl.roles.ticket.facts import naf_id
from mckm.impl.roles.ticket.wire import PayloadBlob, TicketView, ZkLink, build
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN
from mckm.models.procedures.model import Step
from tests.e2e.ticket_fixtures import BOB, CAROL, KMS_A, KMS_B, KMS_C, TRUST, context
from tests.properties.generator import Attack, Delivery, Run, Scenario, play

Threat = Callable[[Scenario, Run, st.DataObject], Attack | None]
VALIDITY = 3600  # effects.DEFAULT_VALIDITY: the KMS variables of the scenario set none


def _one(scn: Scenario) -> bool:
    return bool(scn.procedure.name == ONE_DOMAIN.name)


def _resolver(scn: Scenario) -> str:
    """The role that receives the responder's RESOLVE_INIT."""
    return "kms" if _one(scn) else "kms_r"


def _issuer(scn: Scenario) -> str:
    return "kms" if _one(scn) else "kms_i"


def _step(scn: Scenario, role: str, message: str) -> Step:
    return next(s for s in scn.procedure.steps
                if s.role == role and s.action == "receive" and s.message == message)


def _kms(scn: Scenario, run: Run, role: str, message: str, now: int) -> RoleMachine:
    """The KMS ``role`` as ``endpoints.Kms`` runs it: shared variables (replay cache), in the
    state where it receives ``message``, its clock at ``now``."""
    m = scn.make_machines(run.params, True)[role]
    m.state = _step(scn, role, message).source
    m.facts.clock = now
    return m


def _delivery(run: Run, role: str, message: str) -> Delivery:
    return next(d for d in run.deliveries if d.to == role and d.message.name == message)


def _prefix(scn: Scenario, run: Run, d: Delivery) -> RoleMachine:
    """A fresh, unshared machine of ``d.to`` in the state just before ``d``."""
    return play(scn, scn.make_machines(run.params, False), run.params,
                stop_before=run.deliveries.index(d)).machines[d.to]


def _honest_resolve_init(scn: Scenario, run: Run, transfer_init: TicketView, now: int
                         ) -> TicketView:
    """The RESOLVE_INIT the honest responder of ``run`` builds at ``now`` for
    ``transfer_init`` (its own MAC, a fresh RANDRr)."""
    responder = _prefix(scn, run, _delivery(run, "responder", "TRANSFER_INIT"))
    actions = responder.feed(transfer_init, now=now)
    send = next(a for a in actions if isinstance(a, Send))
    assert isinstance(send.message, TicketView) and send.message.name == "RESOLVE_INIT"
    return send.message


def _flip_ticket_data(view: TicketView, bit: int) -> bytes:
    """The octets of ``view`` with bit ``bit`` (mod its size) of the TICKET payload's Ticket
    Data flipped (RFC 6043 6.10: opaque to all but the issuing KMS)."""
    raw, ticket = bytes(view.raw), view.message.get("TICKET")
    assert ticket is not None
    data = bytes(ticket.fields["ticket_data"])
    at = raw.find(data)
    assert at > 0 and raw.find(data, at + 1) < 0, "Ticket Data not found once in the message"
    bit %= 8 * len(data)
    octet = at + bit // 8
    return raw[:octet] + bytes([raw[octet] ^ (0x80 >> bit % 8)]) + raw[octet + 1:]


def _zk(view: TicketView, link: ZkLink, answers: TicketView | None = None) -> TicketView:
    """The octets of a real Zk message received on another ``link``."""
    return TicketView.decode(view.raw, zk=link, answers=answers, expect=view.name)


def wrong_responder(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    d = _delivery(run, _resolver(scn), "RESOLVE_INIT")
    ticket = d.message.get("ticket")
    assert isinstance(ticket, PayloadBlob)
    if not _one(scn) and data.draw(st.booleans(), label="KMS_R forwards for carol"):
        built = build("RESOLVE_INIT_ZK", {"t": run.now, "randrr": bytes(RAND_OCTETS),
                                          "idrr": CAROL, "idrkms": KMS_A, "ticket": ticket},
                      inkey=None, hdr={"csb_id": 1, "prf_func": PRF})
        view = TicketView.decode(built.raw, zk=ZkLink(KMS_B, True, KMS_A),
                                 expect="RESOLVE_INIT_ZK")
        target = _kms(scn, run, "kms_i", view.name, run.now)
        return Attack(target, view, run.now, "wrong-responder", _step(scn, "kms_i", view.name))
    kms = KMS_A if _one(scn) else KMS_B
    claim = data.draw(st.sampled_from([CAROL, BOB]), label="IDRr claimed by carol")
    carol = context(CAROL)
    rand = data.draw(st.binary(min_size=RAND_OCTETS, max_size=RAND_OCTETS), label="RANDRr")
    built = build("RESOLVE_INIT", {"t": run.now, "randrr": rand, "idrr": claim, "idrkms": kms,
                                   "ticket": ticket, "idrpsk": carol.b_tid},
                  inkey=carol.ue_ks_naf(naf_id(kms)), hdr={"csb_id": 2, "prf_func": PRF})
    view = TicketView.decode(built.raw, expect="RESOLVE_INIT")
    return Attack(_kms(scn, run, d.to, view.name, run.now), view, run.now, "wrong-responder",
                  d.step)


def expired(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    shift = data.draw(st.one_of(st.integers(VALIDITY + 1, 3 * VALIDITY),
                                st.integers(-VALIDITY, -1)), label="seconds after issue")
    when = run.now + shift
    if not _one(scn) and data.draw(st.booleans(), label="at KMS_I over Zk"):
        d = _delivery(run, "kms_i", "RESOLVE_INIT_ZK")
        return Attack(_kms(scn, run, d.to, d.message.name, when), d.message, when, "expired",
                      d.step)
    d = _delivery(run, "responder", "TRANSFER_INIT")
    if shift > VALIDITY and data.draw(st.booleans(), label="at the responder"):  # REQ-TKT-26
        return Attack(_prefix(scn, run, d), d.message, when, "expired", d.step)
    view = _honest_resolve_init(scn, run, d.message, d.now)  # built in time, resolved late
    role = _resolver(scn)
    return Attack(_kms(scn, run, role, view.name, when), view, when, "expired",
                  _step(scn, role, view.name))


def tampered_ticket(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    bit = data.draw(st.integers(0, 2**16), label="bit of the Ticket Data")
    where = data.draw(st.sampled_from(
        ["transfer-init", "resolve-init"] + ([] if _one(scn) else ["zk"])), label="where")
    if where == "resolve-init":  # a real RESOLVE_INIT flipped, nothing re-protected: its MAC
        d = _delivery(run, _resolver(scn), "RESOLVE_INIT")
        view = TicketView.decode(_flip_ticket_data(d.message, bit), expect=d.message.name)
        return Attack(_kms(scn, run, d.to, view.name, d.now), view, d.now, "tampered", d.step)
    if where == "zk":  # KMS_R (which cannot check the seal) passes a flipped TICKET on
        d = _delivery(run, "kms_i", "RESOLVE_INIT_ZK")
        view = TicketView.decode(_flip_ticket_data(d.message, bit),
                                 zk=d.message.zk, expect=d.message.name)
        return Attack(_kms(scn, run, d.to, view.name, d.now), view, d.now, "tampered-ticket",
                      d.step)
    # flipped on the way to the responder, who cannot check it and resolves it honestly
    ti = _delivery(run, "responder", "TRANSFER_INIT").message
    flipped = TicketView.decode(_flip_ticket_data(ti, bit), expect="TRANSFER_INIT")
    view = _honest_resolve_init(scn, run, flipped, run.now)
    if _one(scn):
        return Attack(_kms(scn, run, "kms", view.name, run.now), view, run.now,
                      "tampered-ticket", _step(scn, "kms", view.name))
    kms_r = _kms(scn, run, "kms_r", view.name, run.now)
    send = next(a for a in kms_r.feed(view, now=run.now) if isinstance(a, Send))
    assert isinstance(send.message, TicketView) and send.message.name == "RESOLVE_INIT_ZK"
    return Attack(_kms(scn, run, "kms_i", send.message.name, run.now), send.message, run.now,
                  "tampered-ticket", _step(scn, "kms_i", send.message.name))


def untrusted_kms(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    if _one(scn):
        return None
    hop = data.draw(st.sampled_from(["kms_c-asks", "issuer-untrusted", "kms_c-answers"]),
                    label="hop")
    if hop == "kms_c-asks":
        d = _delivery(run, "kms_i", "RESOLVE_INIT_ZK")
        view = _zk(d.message, ZkLink(KMS_C, True, KMS_A))
        return Attack(_kms(scn, run, d.to, view.name, d.now), view, d.now, "untrusted-kms",
                      d.step)
    if hop == "issuer-untrusted":
        ti = _delivery(run, "responder", "TRANSFER_INIT").message
        view = _honest_resolve_init(scn, run, ti, run.now)
        target = _kms(scn, run, "kms_r", view.name, run.now)
        target.trusted = TRUST.without(KMS_B, KMS_A).trusts
        return Attack(target, view, run.now, "untrusted-kms", _step(scn, "kms_r", view.name))
    d = _delivery(run, "kms_r", "RESOLVE_RESP_ZK")
    target = _prefix(scn, run, d)
    view = _zk(d.message, ZkLink(KMS_C, True, KMS_B), target.vars["zk_request"])
    return Attack(target, view, d.now, "untrusted-kms", d.step)


def unauthenticated_zk(scn: Scenario, run: Run, data: st.DataObject) -> Attack | None:
    if _one(scn):
        return None
    if data.draw(st.booleans(), label="request to KMS_I"):
        d = _delivery(run, "kms_i", "RESOLVE_INIT_ZK")
        view = _zk(d.message, ZkLink(KMS_B, False, KMS_A))
        return Attack(_kms(scn, run, d.to, view.name, d.now), view, d.now,
                      "unauthenticated-zk", d.step)
    d = _delivery(run, "kms_r", "RESOLVE_RESP_ZK")
    target = _prefix(scn, run, d)
    view = _zk(d.message, ZkLink(KMS_A, False, KMS_B), target.vars["zk_request"])
    return Attack(target, view, d.now, "unauthenticated-zk", d.step)


THREATS: dict[str, Threat] = {
    "wrong-responder": wrong_responder, "expired": expired, "tampered-ticket": tampered_ticket,
    "untrusted-kms": untrusted_kms, "unauthenticated-zk": unauthenticated_zk,
}
