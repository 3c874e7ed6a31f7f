"""What the SKM-S key provisioning guarantees against a network attacker (TS 33.180 Annex D).

Models: the KeyProvision exchange of ``mckm.models.procedures.skm_s`` (D.2.4 request, D.3.3
response), four step instances ("hops") read through ``to_z3``: the client sending the request
(``client.req``), the KMS receiving it (``kms.in``) and answering (``kms.out``), and the client
receiving an answer (``client``).  The KMS's variables are carried from ``kms.in`` to
``kms.out`` by the model's ``VAR_WRITES`` and the answer's fields are the model's
``RESPONSE_WRITES``; nothing here restates a guard.

Attacker (Dolev-Yao, as in ``reference/formal_anchors.md`` §2, in its grounded form): the
network delivers to the client any message the attacker can build or has seen.  Every field of
a KMS message is public (URIs, URLs, key ids, times), so the attacker builds any field values;
what it cannot build without the key is an HMAC-SHA256 signature (D.1): the origin axioms say
that a response that verifies under the key named ``k`` is an answer some honest KMS run made
with ``k`` (a replay or redirect of it: the run is any run, for any user, request and time),
unless ``Leaked(k)``; and that a SignedKmsRequest that verifies with a user's InK is a request
that user's client made, unless that InK leaked.  ``InkOf``/``TrkOf`` (KMS, user) -> key id are
injective (one key pair per enrolment, ids unique in the store); the KMS URIs and user URIs
range over an unbounded uninterpreted sort, so any number of KMSs and users is covered.
Compromise: ``Leaked`` is free for every key but the victim's, so every other user and every
other KMS may be compromised; the victim's client and its KMS are honest.  Crypto is perfect
(the ECCSI / SAKKE keys inside a key set are the uninterpreted ``KeySetsValid``).

Rows of two kinds (kept apart, DESIGN.md): **protocol** rows compose the client's and the KMS's
steps under the attacker (agreement of the client with a KMS run; transport-key binding; origin
of a served signed request); **regression** rows check that one step's guards still imply what
its requirements say (REQ-SKMS-22/23/32/34/36/40): they cannot find an attack.  Every row is
checked for non-vacuity (its hypotheses and its goal are satisfiable together), and each
names the mutants (from ``mckm.models.procedures.mutants``) it must kill.

Leaves out: injective agreement: the client does not check the response Time, so a response
replayed to a second, identical request (same ClientReqUrl) is accepted (the key sets are the
same ones, REQ-SKMS-11, so this is not a key-secrecy attack); KMS initialisation and the
certificate resources (the same signature argument applies); the HTTPS layer (TLS is not
modelled: the attacker sees and sends every message); key-period arithmetic (F.2.1).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import z3

from mckm.impl.engine import DictMessage, EffectRegistry, RoleMachine
from mckm.models.procedures import skm_s
from mckm.models.procedures.expr import Expr, Field, In, Msg, Now, Policy, Self, Within
from mckm.models.procedures.model import Action, Procedure
from mckm.models.procedures.mutants import Mutant, drop_guard_mutants, mutants
from mckm.models.procedures.predicates import INK_OF, TRK_OF
from mckm.proofs.hops import Hop, hop
from mckm.proofs.replay import ModelFacts
from mckm.proofs.replay import concretize as replay_concretize
from mckm.proofs.result import (
    ProofResult,
    Vacuous,
    counterexample,
    describe,
    run_mutant,
    satisfiable,
    timed,
)

PROCEDURE = skm_s.PROCEDURE
ASSUMPTION = ("network attacker (replay, redirect, any buildable message); every user and KMS "
              "but the victim's may be compromised; any number of KMSs and users")
REGRESSION = "guard regression: one step's guards (cannot find an attack)"

#: the hops: name -> (role, action, message)
HOPS: dict[str, tuple[str, Action, str]] = {
    "client.req": ("client", "send", "KEYPROV_REQUEST"),
    "kms.in": ("kms", "receive", "KEYPROV_REQUEST"),
    "kms.out": ("kms", "send", "KEYPROV_RESPONSE"),
    "client": ("client", "receive", "KEYPROV_RESPONSE"),
}


def _hop(procedure: Procedure, tag: str, resource: str) -> Hop:
    """The hop ``tag`` of ``HOPS`` for ``resource`` (D.2: init, keyprov, certcache, cert)."""
    role, action, message = HOPS[tag]
    request, response = skm_s.RESOURCES[resource]
    message = request if message.endswith("_REQUEST") else response
    return hop(procedure, procedure.step_for(role, message, action), tag)


class World:
    """The hops of one KeyProvision, the key functions and the attacker's knowledge."""

    def __init__(self, procedure: Procedure, resource: str = "keyprov") -> None:
        self.procedure = procedure
        self.resource = resource
        self.h = {tag: _hop(procedure, tag, resource) for tag in HOPS}
        z = self.h["client"].z
        self.ink = INK_OF.function(z)
        self.trk = TRK_OF.function(z)
        self.leaked = z3.Function("Leaked", z.Ident, z3.BoolSort())

    # -- the roles ---------------------------------------------------------------------------

    def client_config(self) -> list[Any]:
        """The client holds the InK and TrK its user shares with the KMS it is configured
        with, and its request and answer steps are one run (same variables)."""
        c, q = self.h["client"], self.h["client.req"]
        return [c.v("ink_id") == self.ink(c.v("kms_uri"), c.v("uri")),
                c.v("trk_id") == self.trk(c.v("kms_uri"), c.v("uri")),
                *(q.v(n) == c.v(n) for n in ("uri", "kms_uri", "ink_id", "trk_id"))]

    def kms_run(self) -> list[Any]:
        """An honest KMS run: ``kms.in`` accepted (its guards), its effects wrote
        ``VAR_WRITES``, ``kms.out`` answered (its guards) with ``RESPONSE_WRITES``, signed with
        the InK it names."""
        k, s = self.h["kms.in"], self.h["kms.out"]
        writes: dict[str, Expr] = {}
        for effect in k.step.effects:
            writes.update(skm_s.VAR_WRITES.get(effect, {}))
        out = [*k.guards(), *s.guards(), k.z.now <= s.z.now]
        out += [s.v(n) == (k(writes[n]) if n in writes else k.v(n)) for n in s.z.vars]
        out += [s.f(n) == s(e) for n, e in skm_s.RESPONSE_WRITES.items()]
        out.append(s.f("answer") == skm_s.ANSWERS[s.step.message])
        out.append(s(skm_s.ResponseSignedBy(Msg(), skm_s.RESPONSE_WRITES["signature_id"])))
        return out

    # -- the attacker ------------------------------------------------------------------------

    def origin_response(self) -> Any:
        """A response verifying under key ``k`` is an honest KMS run's answer made with ``k``
        (replayed or redirected from any run), or the attacker knows ``k``."""
        c, s = self.h["client"], self.h["kms.out"]
        key = c.v("ink_id")
        made = z3.And(c.z.msg == s.z.msg, *(c.f(n) == s.f(n) for n in c.z.fields),
                      s(skm_s.RESPONSE_WRITES["signature_id"]) == key, *self.kms_run())
        signed = c(skm_s.ResponseSignedBy(Msg(), Self("ink_id")))
        return z3.Implies(signed, z3.Or(self.leaked(key), made))

    def origin_request(self) -> Any:
        """A SignedKmsRequest verifying with user u's InK at this KMS is one u's client made
        (the body fields it covers are the client's), or that InK leaked."""
        k, q = self.h["kms.in"], self.h["client.req"]
        user = k(skm_s.UriText(skm_s.SUBJECT))
        made = z3.And(k.z.msg == q.z.msg,
                      *(k.f(n) == q.f(n) for n in ("body", "body_user", "body_kms", "body_url",
                                                   "body_time")),
                      q.v("uri") == user, q.v("kms_uri") == k.v("uri"))
        signed = k(skm_s.RequestSignedBy(Msg(), skm_s.SUBJECT))
        return z3.Implies(signed, z3.Or(self.leaked(self.ink(k.v("uri"), user)), made))

    def key_pairs(self) -> Iterator[tuple[Any, Any]]:
        c, k, s, q = (self.h[t] for t in ("client", "kms.in", "kms.out", "client.req"))
        yield c.v("kms_uri"), c.v("uri")
        yield s.v("uri"), s.v("subject")
        yield k.v("uri"), k(skm_s.UriText(skm_s.SUBJECT))
        yield q.v("kms_uri"), q.v("uri")

    def injective_keys(self) -> list[Any]:
        """One TrK and one InK per (KMS, user), ids unique (grounded over the hops' pairs)."""
        out = []
        for (a1, a2), (b1, b2) in itertools.combinations(list(self.key_pairs()), 2):
            for fn in (self.ink, self.trk):
                out.append(z3.Implies(fn(a1, a2) == fn(b1, b2), z3.And(a1 == b1, a2 == b2)))
        return out

    def domain(self) -> list[Any]:
        """The readings' range facts, and an answer is one of the kinds the codec reads
        (``skm_s.ANSWER_*``)."""
        kinds = range(skm_s.ANSWER_NONE, skm_s.ANSWER_OTHER + 1)
        return [*(d for h in self.h.values() for d in h.z.domain()),
                *(z3.Or([h.f("answer") == k for k in kinds])
                  for h in self.h.values() if "answer" in h.z.fields)]


Property = Callable[[World], tuple[list[Any], Any]]


def client_agrees_with_kms(w: World) -> tuple[list[Any], Any]:
    """Protocol: a key set the client installs comes from a run of the KMS it is configured
    with, for its own user, answering its own request URL, after that KMS checked an IdMS
    token of that user (REQ-SKMS-20/22/33/34; D.1, D.2.2, D.3.1)."""
    c, k, s = w.h["client"], w.h["kms.in"], w.h["kms.out"]
    hyps = [*w.client_config(), *c.guards(), w.origin_response(), *w.injective_keys(),
            z3.Not(w.leaked(c.v("ink_id")))]
    token = Field("token")
    goal = z3.And(s.v("uri") == c.v("kms_uri"), s.v("subject") == c.v("uri"),
                  s.v("request_url") == c.v("request_url"),
                  k(skm_s.TokenValid(token, Now())),
                  k(In(Self("scope"), skm_s.TokenScopes(token))),
                  k(skm_s.UriText(skm_s.SUBJECT)) == c.v("uri"))
    return hyps, goal


def keys_under_own_trk(w: World) -> tuple[list[Any], Any]:
    """Protocol: the client accepts TrK-protected keys only under the TrK it holds, and the KMS
    wrapped them under the TrK it shares with this client (REQ-SKMS-32; D.1, D.3.5.3)."""
    c, s = w.h["client"], w.h["kms.out"]
    hyps = [*w.client_config(), *c.guards(), w.origin_response(), *w.injective_keys(),
            z3.Not(w.leaked(c.v("ink_id")))]
    goal = z3.And(c.f("trk_id") == c.v("trk_id"),
                  s.f("trk_id") == w.trk(c.v("kms_uri"), c.v("uri")))
    return hyps, goal


def signed_request_is_the_users(w: World) -> tuple[list[Any], Any]:
    """Protocol: the KMS serves a SignedKmsRequest only if the token's user's client made it,
    with the UserUri, KmsUri, ClientReqUrl and Time the KMS reads (REQ-SKMS-25; D.2.2)."""
    k, q = w.h["kms.in"], w.h["client.req"]
    user = k(skm_s.UriText(skm_s.SUBJECT))
    hyps = [*k.guards(), k.f("body") == skm_s.BODY_SIGNED, w.origin_request(),
            *w.injective_keys(), z3.Not(w.leaked(w.ink(k.v("uri"), user)))]
    goal = z3.And(k.z.msg == q.z.msg, q.v("uri") == user,
                  *(k.f(n) == q.f(n) for n in ("body_user", "body_kms", "body_url", "body_time")))
    return hyps, goal


def client_checks_addressing(w: World) -> tuple[list[Any], Any]:
    """Regression (client step): an accepted answer names this client, its KMS, its request
    URL and its TrK, is a KmsKeyProv with no KmsError, and its key sets validate (REQ-SKMS-32,
    REQ-SKMS-34, REQ-SKMS-36)."""
    c = w.h["client"]
    goal = z3.And(*(c.f(f) == c.v(v) for f, v in (("user_uri", "uri"), ("kms_uri", "kms_uri"),
                                                    ("client_req_url", "request_url"),
                                                    ("trk_id", "trk_id"))),
                  c.f("answer") == skm_s.ANSWERS[c.step.message],
                  *([c(skm_s.KeySetsValid(Msg()))] if w.resource == "keyprov" else []))
    return c.guards(), goal


def kms_refuses_exposure(w: World) -> tuple[list[Any], Any]:
    """Regression (KMS step): a request is served only from an owner-only store and never with
    its bearer token in the URL (REQ-SKMS-40, REQ-SKMS-23)."""
    k = w.h["kms.in"]
    goal = z3.And(k(skm_s.StorePrivate()),
                  z3.Not(k(skm_s.Mentions(Field("url"), Field("token")))))
    return k.guards(), goal


def kms_serves_only_the_asking_user(w: World) -> tuple[list[Any], Any]:
    """Regression (KMS step): a request is served only when POSTed (REQ-SKMS-02) for the
    token's enrolled user (REQ-SKMS-21), a path or KmsRequest naming no other user and no other
    KMS, a ClientReqUrl that is the URL posted to, a Time within the model's request window
    (REQ-SKMS-22/24); keyprov only for periods within the certificate (REQ-SKMS-13), cert only
    for a certificate the KMS holds (REQ-SKMS-04)."""
    k = w.h["kms.in"]
    ref = k.z.with_policy(skm_s.PROCEDURE.policy)
    user = skm_s.SUBJECT
    parts: list[Expr] = [
        In(Field("method"), Self("methods")), skm_s.Enrolled(user),
        skm_s.absent_or(Field("path_user"), user), skm_s.absent_or(Field("body_user"), user),
        skm_s.absent_or(Field("body_kms"), Self("uri")),
        skm_s.absent_or(Field("body_url"), Field("url")),
        skm_s.Implies(skm_s.Given(Field("body_time")),
                      Within(Field("body_time"), Now(), Policy("request_window")))]
    if w.resource == "keyprov":
        parts.append(skm_s.PeriodsAllowed(Field("time"), Now()))
    if w.resource == "cert":
        parts.append(In(Field("cert_kms"), Self("certificates")))
    return k.guards(), z3.And([e.to_z3(ref) for e in parts])


@dataclass(frozen=True)
class Row:
    prop: Property
    kind: str  # "protocol" or "regression"
    #: (role, action, message, guard) of the mutants this row must kill
    kills: tuple[tuple[str, str, str, str], ...]


_C = ("client", "receive", "KEYPROV_RESPONSE")
_K = ("kms", "receive", "KEYPROV_REQUEST")

PROPERTIES: dict[str, Row] = {
    "a key set the client installs was issued by its KMS, for its user and request, on a "
    "valid token": Row(client_agrees_with_kms, "protocol",
                       ((*_C, "signed-with-ink"), (*_C, "for-my-request"),
                        (*_K, "token-valid"), (*_K, "token-scope"))),
    "a TrK-protected answer is accepted only under the client's own TrK":
        Row(keys_under_own_trk, "protocol", ((*_C, "signed-with-ink"),)),
    "a signed request with a bad signature is never served":
        Row(signed_request_is_the_users, "protocol", ((*_K, "request-signed-by-user"),)),
    "the client's answer step checks user, KMS, request URL, TrK-ID, the answer kind and the "
    "key sets":
        Row(client_checks_addressing, "regression",
            ((*_C, "addressed"), (*_C, "from-my-kms"), (*_C, "for-my-request"),
             (*_C, "under-my-trk"), (*_C, "answers-my-request"), (*_C, "key-sets-valid"))),
    "the KMS serves only from an owner-only store and never a token-in-URL request":
        Row(kms_refuses_exposure, "regression", ((*_K, "store-private"),
                                                 (*_K, "token-not-in-url"))),
    "the KMS serves only a POST for the token's enrolled user, addressed to it, posted to the "
    "URL it names, recent; periods and certificates it can serve":
        Row(kms_serves_only_the_asking_user, "regression", ()),
}
#: the resources every row is proved for (D.2.3-D.2.6); the ``kills`` keys name keyprov steps
RESOURCES = tuple(skm_s.RESOURCES)


def formula(procedure: Procedure, prop: Property, resource: str = "keyprov") -> Any:
    world = World(procedure, resource)
    hyps, goal = prop(world)
    return z3.And(*world.domain(), *hyps, goal)


def check(procedure: Procedure, prop: Property, resource: str = "keyprov"
          ) -> tuple[z3.ModelRef | None, World]:
    """A counterexample of ``prop`` on ``procedure``, or None; refuses a vacuous row."""
    world = World(procedure, resource)
    hyps, goal = prop(world)
    hyps = [*world.domain(), *hyps]
    model = counterexample(hyps, goal)
    if model is None and not satisfiable(*hyps, goal):
        raise Vacuous(f"{procedure.name}: the hypotheses are vacuous")
    return model, world


def required_mutants() -> dict[tuple[str, str, str, str], Mutant]:
    """The mutants the rows name, made by ``drop_guard_mutants`` (nothing re-typed)."""
    wanted = {key for row in PROPERTIES.values() for key in row.kills}
    out: dict[tuple[str, str, str, str], Mutant] = {}
    for m in drop_guard_mutants(PROCEDURE):
        step = PROCEDURE.step(m.step or "")
        key = (step.role, step.action, step.message, m.guard or "")
        if key in wanted:
            out[key] = m
    missing = wanted - out.keys()
    assert not missing, f"mutants named by the rows are not in the model: {missing}"
    return out


def requirements(row: Row) -> tuple[str, ...]:
    """The requirement ids of the guards ``row`` must kill (the KMS's request step's, for a row
    that names none)."""
    ids = [g.requirement for role, action, message, name in row.kills
           for g in PROCEDURE.step_for(role, message, "send" if action == "send" else "receive")
           .guards if g.name == name]
    return tuple(dict.fromkeys(ids)) or PROCEDURE.step_for("kms", "KEYPROV_REQUEST",
                                                           "receive").all_requirements


def _solve(procedure: Procedure, prop: Property, resource: str) -> z3.ModelRef | None:
    return check(procedure, prop, resource)[0]


def prove(quick: bool = False) -> list[ProofResult]:
    """Every row for every resource, each run on every generated mutant of the model
    (``quick``: no field-swap mutants); a mutant an earlier row killed is not solved again."""
    rows: list[ProofResult] = []
    muts = mutants(PROCEDURE, quick=quick)
    dead: set[str] = set()
    for name, row in PROPERTIES.items():
        for resource in RESOURCES:
            (model, _), secs = timed(functools.partial(check, PROCEDURE, row.prop, resource))
            label = f"SKM-S ({row.kind}, {resource}): {name}"
            result = ProofResult(label, ASSUMPTION if row.kind == "protocol" else REGRESSION,
                                 model is None, secs, None if model is None else describe(model),
                                 requirements=requirements(row))
            base = formula(PROCEDURE, row.prop, resource)
            for m in muts:
                result.mutants.append(run_mutant(
                    m, PROCEDURE, dead, base,
                    functools.partial(formula, m.procedure, row.prop, resource),
                    functools.partial(_solve, m.procedure, row.prop, resource),
                    "skm-s "))
            result.seconds += sum(x.seconds for x in result.mutants)
            rows.append(result)
    return rows


def all_mutants(quick: bool = False) -> list[Mutant]:
    return [Mutant(f"skm-s {m.name}", m.kind, m.procedure, m.step, m.guard)
            for m in mutants(PROCEDURE, quick=quick)]


# --------------------------------------------------------------------------- replay


class SkmsModelFacts(ModelFacts):
    """The declared facts read off the counterexample (``ModelFacts``), with the SKM-S's absent
    optional field: a runtime ``ABSENT`` or None is the z3 constant ``absent`` of the
    argument's sort, as ``skm_s.Given`` reads it."""

    def term(self, type_name: str, v: Any) -> Any:
        if v is None or (v == skm_s.ABSENT and type_name in ("blob", "ident")):
            return z3.Const("absent", self.z.sort(type_name))
        return super().term(type_name, v)


def concretize(model: z3.ModelRef, h: Hop) -> tuple[DictMessage, dict[str, Any], int]:
    """The hop's message, role variables and time in the counterexample
    (``replay.concretize``), with the two readings of the SKM-S model that are not facts: an
    absent optional field as the runtime writes it (None, or ``ABSENT`` for a blob), and
    ``Mentions(url, token)`` as a URL that carries the token."""
    message, role_vars, now = replay_concretize(model, h.z, h.step, PROCEDURE)
    spec = PROCEDURE.message(h.step.message)
    fields = dict(message.items())
    for n, c in h.z.fields.items():
        absent = z3.is_true(model.eval(c == z3.Const("absent", c.sort()), model_completion=True))
        if absent and n in spec.optional:
            fields[n] = None
        elif absent and h.z.field_types[n] == "blob":
            fields[n] = skm_s.ABSENT
    if "url" in fields and fields.get("token"):
        mentions = skm_s.Mentions(Field("url"), Field("token")).to_z3(h.z)
        if z3.is_true(model.eval(mentions, model_completion=True)):
            fields["url"] = f"{fields['url']}/{fields['token']}"
    return DictMessage(h.step.message, fields), role_vars, now


def replay(key: tuple[str, str, str, str], prop: Property) -> dict[str, Any]:
    """The mutant ``key``'s counterexample to ``prop`` through the engine, at the mutated
    step: the mutant's role machine accepts the message, the model's refuses it (by the
    dropped guard).  Returns what each did and the counterexample's message."""
    mutant = required_mutants()[key]
    model, world = check(mutant.procedure, prop)
    if model is None:
        raise AssertionError(f"{mutant.name} survives")
    h = next(x for x in world.h.values() if x.step.number == mutant.step)
    message, role_vars, now = concretize(model, h)
    facts = SkmsModelFacts(model, h.z)
    noop = EffectRegistry({e: (lambda ctx: None) for s in PROCEDURE.steps for e in s.effects})
    outcome: dict[str, Any] = {"message": message, "vars": role_vars}
    for label, proc in (("mutant", mutant.procedure), ("model", PROCEDURE)):
        machine = RoleMachine(proc, h.step.role, vars=dict(role_vars), facts=facts, effects=noop)
        machine.state = h.step.source
        try:
            machine.check_guards(proc.step(h.step.number), message, now=now)
            outcome[label] = "accepted"
        except Exception as exc:  # the refusal is the expected outcome; report any other
            outcome[label] = exc
    return outcome
