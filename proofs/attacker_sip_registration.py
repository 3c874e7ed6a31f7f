"""SIP registration and service authorisation (seed 001 steps 1, 2 and 4) against a
Dolev-Yao network attacker: the MCPTT server binds an MCPTT ID to an IMPU and a SIP session
only for a valid, unused access token of that MCPTT ID, presented in a PUBLISH that the SIP
core forwarded after a third-party registration of the IMPU; and only to the IMPU and session
of a UE of that user.

Models ``sip_registration.PROCEDURE`` (REQ-SIPREG-01..09; RFC 3261 10, TS 24.229 5.4.1.7,
RFC 3903, RFC 3325) with the machinery of :mod:`mckm.proofs.attacker_cek`
(:class:`~mckm.proofs.attacker_cek.TableWorld`): each run is one of its role's paths through
the model's table; guards, sends' guards and the writes of ``impl/roles/sip_core/effects``
(:data:`EFFECTS`) are the model's and the runtime's; every generated mutant of the model is in
the same world (``mutant == k``).

Channels.  Gm (UE - SIP core): as modelled and run, SIP over UDP or TCP with no IMS AKA and no
security association (TS 33.203 is left out): the SIP core takes anyone's word for an IMPU it
serves, and the access token in a PUBLISH body travels in the clear, so the attacker sees every
token an honest UE publishes.  The assumption ``gm`` (IMS AKA and IPsec or TLS on Gm) closes
both: the attacker then speaks only for the IMPUs of compromised UEs and sees no honest token.
Between the SIP core and the MCPTT server (the core network, NDS/IP, TS 33.210) a message
whose top Via is the SIP core's address is the SIP core's, unless the SIP core is compromised.
Tokens are the term algebra of the CEK family (for the MCPTT server as audience).

Bounds (:data:`BOUNDS`): :data:`UES` UEs (a registration run, then a PUBLISH run each;
identities symbolic, one IMPU per UE), :data:`CORE_RUNS` runs of the SIP core and
:data:`SERVER_RUNS` of the MCPTT server (their registrations, tokens used carried), concurrent;
message depth one.  Leaves
out: de-registration (Expires 0) dropping bindings, registration expiry in between (the
registrations hold until a time; no run is long enough to see one lapse unless it is chosen so),
the SIP-ETag refresh of a publication.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from mckm.models.procedures import sip_registration as model
from mckm.models.procedures.mutants import Mutant
from mckm.models.procedures.predicates import (
    SIP_REGISTERED,
    SIP_TOKEN_UNUSED,
    TOKEN_SCOPES,
    TOKEN_SUBJECT,
    TOKEN_VALID,
)
from mckm.proofs.attacker_cek import Inst, TableWorld, table_rows
from mckm.proofs.regression import prefixed_mutants
from mckm.proofs.result import ProofResult, timed

PROCEDURE = model.PROCEDURE
#: the prefix of the family ``sip-registration`` (``proofs.sip_registration``): a mutant one
#: family leaves alive counts as killed when the other kills it
PREFIX = "sip "
UES = 2
CORE_RUNS = 3
SERVER_RUNS = 3
BOUNDS = (f"{UES} UEs (register, then publish), {CORE_RUNS} SIP core runs, {SERVER_RUNS} MCPTT "
          "server runs, concurrent; message depth 1")
#: the Expires an honest UE registers with (``effects.ue_register``'s default)
UE_EXPIRES = 3600
#: the ``until`` of an IMPU with no registration (the runtime: no entry in the dict)
NEVER = -(2**62)


@dataclass(frozen=True)
class Assumption:
    """What the attacker holds and how Gm is protected; ``expected``: property -> why it
    fails under this assumption."""

    name: str
    gm: bool = False  # IMS AKA and a security association on Gm (TS 33.203)
    ue: bool = False  # some other users' UEs: their IMPUs and tokens
    core: bool = False  # the SIP core
    idm: bool = False  # the IdM's token signing key
    expected: Mapping[str, str] = field(default_factory=dict)
    quick: bool = True


AUTHORISED = ("the MCPTT server binds an MCPTT ID only on an access token the IdM issued for "
              "that MCPTT ID, for the MCPTT server, unexpired, with the MCPTT service scope")
UNUSED = "no access token makes two bindings"
THROUGH_CORE = ("a binding comes from a PUBLISH the SIP core forwarded, for an IMPU the SIP "
                "core registered at the server before")
AGREEMENT = ("agreement UE <-> MCPTT server: an honest user's MCPTT ID is bound only to the "
             "IMPU and registered contact (session) of a UE of that user that published the "
             "token")
PROPERTIES = (AUTHORISED, UNUSED, THROUGH_CORE, AGREEMENT)
#: property -> the requirement ids it covers (spec/cek-smime.md, the table of this family)
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    AUTHORISED: ("REQ-SIPREG-06", "REQ-SIPREG-07"),
    UNUSED: ("REQ-SIPREG-06",),
    THROUGH_CORE: ("REQ-SIPREG-03", "REQ-SIPREG-04", "REQ-SIPREG-05"),
    AGREEMENT: ("REQ-SIPREG-07", "REQ-SIPREG-08"),
}

_OPEN_GM = ("without IMS AKA and a Gm security association (TS 33.203, left out of the model) "
            "the access token travels in the clear: the attacker reads Alice's token in her "
            "PUBLISH and presents it first, from an IMPU it registered; the server binds "
            "Alice's MCPTT ID to the attacker's IMPU and session (a bearer token is not bound "
            "to its presenter, RFC 6750 5.2; TS 33.180 protects Gm)")
_CORE = ("a compromised SIP core asserts any IMPU and contact (RFC 3325: the asserted identity "
         "is as good as the node that asserts it) and sees every token in PUBLISH")
_FORGED = ("with the IdM's signing key the attacker signs an access token for any MCPTT ID and "
           "has it bound to its own IMPU and session")

ASSUMPTIONS = (
    Assumption("honest parties, Gm as modelled (no IMS AKA)", expected={AGREEMENT: _OPEN_GM}),
    Assumption("honest parties, Gm protected (IMS AKA, TS 33.203)", gm=True),
    Assumption("a compromised UE, Gm protected", gm=True, ue=True),
    Assumption("a compromised SIP core", gm=True, core=True, quick=False,
               expected={THROUGH_CORE: _CORE, AGREEMENT: _CORE}),
    Assumption("a leaked IdM signing key (and a UE of the attacker's own), Gm protected",
               gm=True, ue=True, idm=True, quick=False,
               expected={AUTHORISED: _FORGED, AGREEMENT: _FORGED}),
)


def all_mutants(quick: bool = False) -> list[Mutant]:
    """Every generated mutant of the model, named as the family ``sip-registration`` names
    them."""
    return prefixed_mutants(PROCEDURE, PREFIX, quick)


class World(TableWorld):
    """The bounded runs of the SIP registration model (and its mutants) with the attacker."""

    prefix = PREFIX
    shown = ("impu", "contact", "expires")

    def __init__(self, procedure: Any = PROCEDURE, variants: Sequence[Mutant] = ()) -> None:
        super().__init__(procedure, variants, ("gm", "ue", "core", "idm"), EFFECTS,
                         ASSUMPTIONS[0])
        Ident, Blob, Int, Bool = self.Ident, self.Blob, z3.IntSort(), z3.BoolSort()
        self.core_uri = z3.Const("core.uri", Ident)
        self.core_address = z3.Const("core.address", Ident)
        self.scope = z3.Const("server.scope", Ident)
        self.event = z3.Const(f"lit:{model.EVENT}", Ident)  # skm_s.Lit
        self.absent = z3.Const("absent", Blob)
        self.as_uri = z3.Function("AsUri", Blob, Ident)
        self.corrupt = z3.Function("attacker.ue", Ident, Bool)
        self.idm = z3.Function("token.idm", Blob, Bool)
        self.aud = z3.Function("token.aud", Blob, Bool)
        self.exp = z3.Function("token.exp", Blob, Int)
        self.sub = z3.Function("token.sub", Blob, Blob)
        self.scopes = z3.Function("token.scopes", Blob, z3.ArraySort(Ident, Bool))
        self.ues: list[dict[str, Any]] = []
        for e in range(UES):
            self._ue(e)
        # an IMPU is one UE's (its subscription's); users may share nothing else
        self.hyps.append(z3.Distinct(*[ue["impu"] for ue in self.ues]))
        self._core()
        self._server()
        for inst in self.receives:
            self._receive(inst)
        if len(self.sends) > 1:
            self.hyps.append(z3.Distinct(*[s.msg for s in self.sends]))
        self.goals = self._goals()
        held = z3.Function("attacker.ue.held", Ident, Bool)
        sub = (self.corrupt, z3.And(self.flags["ue"], held(z3.Var(0, Ident))))
        self.hyps = [z3.substitute_funs(h, sub) for h in self.hyps]
        self.goals = {g: z3.substitute_funs(f, sub) for g, f in self.goals.items()}

    # ---------------------------------------------------------------- runs
    def _ue(self, e: int) -> None:
        ue = {n: z3.Const(f"ue{e}.{n}", s) for n, s in (
            ("impu", self.Ident), ("mcptt_id", self.Ident), ("contact", self.Ident),
            ("token", self.Blob))}
        self.ues.append(ue)
        t = ue["token"]
        self.hyps += [z3.Not(self.corrupt(ue["mcptt_id"])), z3.Not(self.corrupt(ue["impu"])),
                      self.idm(t), self.aud(t), z3.Select(self.scopes(t), self.scope),
                      self.as_uri(self.sub(t)) == ue["mcptt_id"]]
        vars_ = {"impu": ue["impu"], "mcptt_id": ue["mcptt_id"]}
        role = self.procedure.role("ue")
        first = self._run("ue", e, f"ue{e}.0", role.initial, {}, vars_)
        for j, start in enumerate(role.resumes):
            later = self._run("ue", e, f"ue{e}.{j + 1}", start, first.end, vars_)
            reached = z3.Or(*[i.h for i in first.insts() if i.step.target == start])
            self.hyps += [z3.Implies(i.h, reached) for i in later.insts()]
            self.hyps += [z3.Implies(z3.And(i.h, b.h), i.now > b.now)
                          for i in later.insts() for b in first.insts()]

    def _core(self) -> None:
        """:data:`CORE_RUNS` runs of the one SIP core, its registrations carried."""
        Ident = self.Ident
        state = {"c_contact": z3.Array("core.contact", Ident, Ident),
                 "c_until": z3.K(Ident, z3.IntVal(NEVER)),
                 **{f"var.{n}": z3.Const(f"core.none.{n}", s) for n, s in (
                     ("impu", Ident), ("contact", Ident), ("expires", z3.IntSort()))},
                 "var.event": z3.Const("core.none.event", Ident),
                 "var.token": self.absent}
        self.sequential("sip_core", CORE_RUNS, state, {"core_uri": self.core_uri})

    def _server(self) -> None:
        """:data:`SERVER_RUNS` runs of the MCPTT server, its registrations and tokens used
        carried."""
        Ident, Blob = self.Ident, self.Blob
        state = {"s_until": z3.K(Ident, z3.IntVal(NEVER)),
                 "used": z3.K(Blob, z3.BoolVal(False)),
                 **{f"var.{n}": z3.Const(f"server.none.{n}", Ident)
                    for n in ("mcptt_id", "impu", "session")}}
        self.sequential("mcptt_server", SERVER_RUNS, state, {
            "core_uri": self.core_uri, "core_address": self.core_address,
            "scope": self.scope})

    # ---------------------------------------------------------------- facts
    def verified(self, t: Any, now: Any) -> Any:
        """The runtime's TokenVerifier (RFC 7519 7.2, 4.1.3, 4.1.4)."""
        return z3.And(z3.Or(self.idm(t), self.flags["idm"]), self.aud(t), self.exp(t) > now)

    def holds_token(self, t: Any, now: Any) -> Any:
        """The attacker holds ``t``: one it made, a compromised user's, another audience's,
        an expired one; or (Gm open, or the SIP core its own) one an honest UE published."""
        seen = z3.Or(*[z3.And(s.h, s.now <= now, s.f("token") == t) for s in self.sends
                       if s.step.message == "PUBLISH"])
        return z3.Or(z3.Not(self.idm(t)), self.corrupt(self.as_uri(self.sub(t))),
                     z3.Not(self.aud(t)), self.exp(t) <= now,
                     z3.And(z3.Or(z3.Not(self.flags["gm"]), self.flags["core"]), seen))

    def _facts(self, inst: Inst) -> list[tuple[Any, Any]]:
        st = inst.pre
        B, Id, N = self.Blob, self.Ident, z3.IntSort()
        t, n = z3.Var(0, B), z3.Var(1, N)
        subs = [(TOKEN_VALID.function(inst.z), self.verified(t, n)),
                (TOKEN_SCOPES.function(inst.z),
                 z3.If(self.verified(t, inst.now), self.scopes(t), z3.K(Id, z3.BoolVal(False)))),
                (TOKEN_SUBJECT.function(inst.z),
                 z3.If(self.verified(t, inst.now), self.sub(t), self.absent))]
        until = st.get("c_until", st.get("s_until"))
        if until is not None:
            impu, now = z3.Var(1, Id), z3.Var(2, N)
            subs.append((SIP_REGISTERED.function(inst.z), until[impu] > now))
        if "used" in st:
            subs.append((SIP_TOKEN_UNUSED.function(inst.z), z3.Not(st["used"][z3.Var(1, B)])))
        return subs

    # ---------------------------------------------------------------- channels
    def _receive(self, inst: Inst) -> None:
        step, msg = inst.step, inst.msg
        honest = [z3.And(s.h, msg == s.msg, s.now <= inst.now) for s in self.sends
                  if s.step.message == step.message]
        gm, core = self.flags["gm"], self.flags["core"]
        if step.role == "sip_core":  # Gm: open, or only for a compromised UE's IMPU
            made = [z3.Or(z3.Not(gm), self.corrupt(inst.f("impu")))]
            if "token" in inst.z.fields:
                made.append(self.holds_token(inst.f("token"), inst.now))
        elif step.role == "mcptt_server":  # the core network: the SIP core's Via is its own
            made = [z3.Or(inst.f("via") != self.core_address, core)]
            if "token" in inst.z.fields:
                made.append(self.holds_token(inst.f("token"), inst.now))
        else:  # answers to a UE: over Gm
            made = [z3.Or(z3.Not(gm), core)]
        composed = z3.And(self._composed(msg), *made)
        self.hyps.append(z3.Implies(inst.h, z3.Or(*honest, composed)))
        self.hyps += [z3.Implies(inst.h, g) for g in self._guards(inst)]

    # ---------------------------------------------------------------- goals
    def _goals(self) -> dict[str, Any]:
        goals: dict[str, list[Any]] = {p: [] for p in PROPERTIES}
        binds = [i for r in self.runs["mcptt_server"] for i in r.insts()
                 if i.step.message == "PUBLISH_ASSERTED"]
        forwarded = [s for s in self.sends if s.step.message == "PUBLISH_ASSERTED"]
        third = [s for s in self.sends if s.step.message == "THIRD_PARTY_REGISTER"]
        registered = [i for r in self.runs["mcptt_server"] for i in r.insts()
                      if i.step.message == "THIRD_PARTY_REGISTER"]
        publishes = [s for s in self.sends if s.step.message == "PUBLISH"]
        for b in binds:
            t = b.f("token")
            m = self.as_uri(self.sub(t))
            goals[AUTHORISED].append(z3.Implies(b.h, z3.And(
                self.idm(t), self.aud(t), self.exp(t) > b.now,
                z3.Select(self.scopes(t), self.scope))))
            goals[THROUGH_CORE].append(z3.Implies(b.h, z3.And(
                z3.Or(*[z3.And(p.h, p.msg == b.msg) for p in forwarded]),
                z3.Or(*[z3.And(g.h, g.now <= b.now, g.f("impu") == b.f("impu"),
                               g.f("expires") != 0,
                               z3.Or(*[z3.And(s.h, s.msg == g.msg) for s in third]))
                        for g in registered]))))
            goals[AGREEMENT].append(z3.Implies(z3.And(b.h, z3.Not(self.corrupt(m))), z3.Or(*[
                z3.And(ue["mcptt_id"] == m, ue["impu"] == b.f("impu"),
                       ue["contact"] == b.f("contact"),
                       z3.Or(*[z3.And(p.h, p.f("token") == t) for p in publishes
                               if p.entity == e]))
                for e, ue in enumerate(self.ues)])))
        for x, y in itertools.combinations(binds, 2):
            goals[UNUSED].append(z3.Not(z3.And(x.h, y.h, x.f("token") == y.f("token"))))
        return {name: z3.And(*gs) for name, gs in goals.items()}

    def scenario(self) -> list[Any]:
        """Two UEs registered, the first also bound (its profile taken)."""
        return [*[r.done() for r in self.runs["ue"] if r.entity == 0],
                *[r.done() for r in self.runs["ue"][2:3]]]


# --------------------------------------------------------------------------- effects

Writes = dict[str, Any]


def _register(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``ue.register``: REGISTER of its IMPU with its contact (RFC 3261 10.2)."""
    ue = w.ues[inst.entity]
    w.hyps += [inst.f("impu") == ue["impu"], inst.f("contact") == ue["contact"],
               inst.f("expires") == UE_EXPIRES]


def _publish(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``ue.publish``: PUBLISH (poc-settings) of its token from its IMPU (TS 24.379 7.2.1A)."""
    ue = w.ues[inst.entity]
    w.hyps += [inst.f("impu") == ue["impu"], inst.f("event") == w.event,
               inst.f("token") == ue["token"]]


def _nothing(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``ue.profile``: the profile is kept; nothing the properties read."""


def _core_bind(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``core.bind``: the IMPU bound to the contact until now + Expires (0: unbound)."""
    impu, contact, expires = inst.f("impu"), inst.f("contact"), inst.f("expires")
    st["c_contact"] = z3.Store(st["c_contact"], impu, contact)
    st["c_until"] = z3.Store(st["c_until"], impu,
                             z3.If(expires == 0, NEVER, inst.now + expires))
    st["var.impu"], st["var.contact"], st["var.expires"] = impu, contact, expires


def _core_send(names: Sequence[str]) -> Any:
    def effect(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
        """``core.third_party`` / ``core.answer`` / ``core.forward``: the registration or
        publication of the run, from the SIP core's address."""
        w.hyps += [inst.f(n) == st[f"var.{n}"] for n in names]
        if "via" in inst.z.fields:
            w.hyps.append(inst.f("via") == w.core_address)
        if "core" in inst.z.fields:
            w.hyps.append(inst.f("core") == w.core_uri)
    return effect


def _core_assert(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``core.assert``: the publisher's IMPU and its registered contact (RFC 3325 9.1)."""
    impu = inst.f("impu")
    st["var.impu"] = impu  # the contact of its registration; none (a mutant): the IMPU
    st["var.contact"] = z3.If(st["c_until"][impu] != NEVER, st["c_contact"][impu], impu)
    st["var.event"], st["var.token"] = inst.f("event"), inst.f("token")


def _server_register(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``server.register``: the IMPU registered until now + Expires (0: dropped)."""
    expires = inst.f("expires")
    st["s_until"] = z3.Store(st["s_until"], inst.f("impu"),
                             z3.If(expires == 0, NEVER, inst.now + expires))


def _server_bind(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``server.bind``: the token's MCPTT ID bound to the IMPU and session; the token used."""
    t = inst.f("token")
    st["used"] = z3.Store(st["used"], t, True)
    st["var.mcptt_id"] = w.as_uri(w.sub(t))
    st["var.impu"], st["var.session"] = inst.f("impu"), inst.f("contact")


def _server_profile(w: World, inst: Inst, st: Writes, first: Inst | None) -> None:
    """``server.profile``: the profile of the binding just made."""
    w.hyps += [inst.f(n) == st[f"var.{n}"] for n in ("mcptt_id", "impu", "session")]


#: effect -> what it writes: impl/roles/sip_core/effects
EFFECTS: Mapping[str, Any] = {
    "ue.register": _register, "ue.publish": _publish, "ue.profile": _nothing,
    "core.bind": _core_bind, "core.third_party": _core_send(("impu", "expires")),
    "core.answer": _core_send(("impu", "contact", "expires")),
    "core.assert": _core_assert,
    "core.forward": _core_send(("impu", "contact", "event", "token")),
    "server.register": _server_register, "server.bind": _server_bind,
    "server.profile": _server_profile,
}


def prove(quick: bool = False) -> list[ProofResult]:
    """Every property under every assumption, each on every generated mutant of the model
    (``quick``: no field-swap mutants, judged under the assumptions marked ``quick``)."""
    muts = all_mutants(quick)
    world, build_s = timed(functools.partial(World, PROCEDURE, muts))
    return table_rows("SIP registration attacker", world, REQUIREMENTS, ASSUMPTIONS, muts,
                      quick, build_s)


__all__ = ["AGREEMENT", "ASSUMPTIONS", "AUTHORISED", "BOUNDS", "EFFECTS", "PREFIX",
           "PROPERTIES", "REQUIREMENTS", "THROUGH_CORE", "UNUSED", "Assumption", "World",
           "all_mutants", "prove"]
