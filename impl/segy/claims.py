"""Seed 003's claims judged: each claim's test (:mod:`mckm.models.segy.claims`) run on the
simulator's counts, the approach model or the z3 rows of :mod:`mckm.proofs.segy`.

Scaling claims compare two runs without calls (connection signalling only) at ``N / 10`` and
``N`` users, ``G`` groups, one key period: a count that grows by ``10 / 2`` or more is one that
grows with the users; one that grows by at most 2 does not.  ``cheaper-per-user`` adds one
user to ``N / 10`` and compares the MC domain's extra messages and connections across
approaches.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from mckm.impl.segy.simulator import Mix, simulate
from mckm.models.segy.approaches import by_number
from mckm.models.segy.claims import CLAIMS, Claim
from mckm.proofs import segy as proofs

#: the scaling runs: connection signalling only
NO_CALLS = Mix(private=0, group=0, groups_per_user=2)
#: the mix whose counts a ``usability`` claim shows
WITH_CALLS = Mix()
#: growth factor thresholds over a tenfold increase of the users
GROWS, BOUNDED = 5.0, 2.0


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    evidence: str
    verdict: str  # supported | refuted | not measurable
    why: str


class Evidence:
    """The measurements and proofs a set of claims needs, each computed once."""

    def __init__(self, users: int = 100_000, groups: int = 1_000) -> None:
        self.users, self.groups = users, groups
        self.small = max(1, users // 10)

    @functools.cache  # noqa: B019 (one Evidence per report)
    def counts(self, approach: int, users: int, mix: Mix = NO_CALLS) -> Mapping[str, int]:
        return simulate(by_number(approach), users, self.groups, 1, mix)

    @functools.cache  # noqa: B019
    def attack(self, approach: int, prop: str) -> dict[str, str] | None:
        props = dict(proofs.PROPERTIES)
        if prop not in props:
            raise KeyError(f"no SeGy property {prop!r} in mckm.proofs.segy.PROPERTIES")
        return proofs.attack(by_number(approach), props[prop])

    def growth(self, approach: int, names: tuple[str, ...]) -> dict[str, tuple[int, int]]:
        lo, hi = self.counts(approach, self.small), self.counts(approach, self.users)
        return {n: (lo[n], hi[n]) for n in names}

    def marginal(self, approach: int, names: tuple[str, ...]) -> int:
        lo, hi = self.counts(approach, self.small), self.counts(approach, self.small + 1)
        return sum(hi[n] - lo[n] for n in names)


def _ratio(lo: int, hi: int) -> float:
    return hi / lo if lo else (1.0 if hi == 0 else float("inf"))


def _growth_text(ev: Evidence, g: Mapping[str, tuple[int, int]]) -> str:
    return "; ".join(f"{n} {lo:,} -> {hi:,} (x{_ratio(lo, hi):.1f})" for n, (lo, hi) in
                     g.items()) + f" from N = {ev.small:,} to {ev.users:,}, G = {ev.groups:,}"


def _proof_text(ev: Evidence, n: int, props: tuple[str, ...]) -> str:
    parts = []
    for p in props:
        cex = ev.attack(n, p)
        parts.append(f"'{p}' holds" if cex is None else
                     f"'{p}' fails: " + ", ".join(f"{k}={v}" for k, v in sorted(cex.items())))
    return "; ".join(parts)


def judge(claim: Claim, ev: Evidence) -> Verdict:
    """The verdict on one claim (module docstring, and the test kinds of the claims model),
    with the claim's unmeasured words named in its why."""
    v = _judge(claim, ev)
    if claim.unmeasured and v.verdict != "not measurable":
        v = Verdict(claim, v.evidence, v.verdict, f"{v.why}; not measured: {claim.unmeasured}")
    return v


def _judge(claim: Claim, ev: Evidence) -> Verdict:
    t, n = claim.test, claim.approach
    a = by_number(n)
    if t.kind in ("grows", "bounded"):
        g = ev.growth(n, t.counts)
        ratios = {k: _ratio(*v) for k, v in g.items()}
        if t.kind == "grows":
            off = [k for k, r in ratios.items() if r < GROWS]
            why = ("each grows in proportion to the users" if not off else
                   f"{', '.join(off)} do(es) not grow with the users")
        else:
            off = [k for k, r in ratios.items() if r > BOUNDED]
            why = ("none grows with the users (bounded by the groups)" if not off else
                   f"{', '.join(off)} grow(s) with the users")
        return Verdict(claim, _growth_text(ev, g), "refuted" if off else "supported", why)
    if t.kind == "cheaper-per-user":
        mine = ev.marginal(n, t.counts)
        others = {o: ev.marginal(o, t.counts) for o in t.than}
        text = (f"one more user costs the MC domain {mine} messages and connections; "
                + ", ".join(f"approach {o}: {v}" for o, v in others.items()))
        ok = all(mine < v for v in others.values())
        return Verdict(claim, text, "supported" if ok else "refuted",
                       "fewer than the per-identity approaches, but still per user"
                       if ok else "not fewer than every per-identity approach")
    if t.kind in ("holds", "fails"):
        failing = [p for p in t.properties if ev.attack(n, p) is not None]
        must_hold = t.properties if t.kind == "holds" else t.and_holds
        broken = [p for p in must_hold if ev.attack(n, p) is not None]
        counts = ev.counts(n, ev.users, WITH_CALLS) if t.counts else {}
        nonzero = [c for c in t.counts if counts[c]]
        text = _proof_text(ev, n, (*t.properties, *t.and_holds)) + "".join(
            f"; {c} = {counts[c]:,}" for c in t.counts)
        if t.kind == "holds":
            ok = not broken and not nonzero
            why = ("proven on the model" if ok else
                   "counterexample: " + ", ".join([*broken, *nonzero]))
        else:
            missing = [p for p in t.properties if p not in failing]
            ok = not missing and not broken
            why = ("z3 finds the attack the claim describes" if ok else
                   "no attack: " + ", ".join(missing) if missing else
                   "attack beyond the claim: " + ", ".join(broken))
        return Verdict(claim, text, "supported" if ok else "refuted", why)
    if t.kind in ("host-domain", "no-host-domain"):
        issuers = sorted({h.issuer for h in a.holding("key-set")})
        text = f"key sets of its identities from {', '.join(issuers)} (model: " + "; ".join(
            h.cite for h in a.holding("key-set")) + ")"
        hosted = "kms" in issuers
        ok = hosted == (t.kind == "host-domain")
        extra = sorted({h.issuer for h in a.holds if h.issuer in ("idm", "gms")})
        why = ("its identities live in the MC domain's security domain" if hosted else
               "its identities live in its own security domain; it still obtains "
               + " and ".join(extra) + " credentials from the MC domain")
        return Verdict(claim, text, "supported" if ok else "refuted", why)
    if t.kind == "integrates":
        ok = bool(set(a.integrates) & {"own_idm", "own_kms"})
        masters = [h.kind for h in a.holds if h.scope == "domain"]
        return Verdict(claim, f"integrates {', '.join(a.integrates) or 'nothing'}; holds "
                       f"{', '.join(masters) or 'no domain secrets'}",
                       "supported" if ok else "refuted",
                       "it runs its own IdM and KMS (and their master secrets)" if ok else
                       "it runs no server of its own")
    if t.kind == "many-csks":
        c = ev.counts(n, ev.users)
        ok = c["csks"] == c["identities"] > 1
        return Verdict(claim, f"{c['csks']:,} CSKs and {c['tls_connections']:,} TLS "
                       f"connections for N = {ev.users:,}", "supported" if ok else "refuted",
                       "a CSK per identity to the same MCX servers" if ok else
                       "not a CSK per identity")
    c = ev.counts(n, ev.users, WITH_CALLS)
    return Verdict(claim, "; ".join(f"{k} = {c[k]:,}" for k in t.counts) +
                   f" (N = {ev.users:,}, one private call per user)", "not measurable",
                   "usability is not a count; what is counted is the extra in-band message "
                   "per private call")


def judge_all(users: int = 100_000, groups: int = 1_000) -> list[Verdict]:
    ev = Evidence(users, groups)
    return [judge(c, ev) for c in CLAIMS]


def markdown(verdicts: list[Verdict]) -> str:
    lines = ["| claim | the seed's words | evidence | verdict | why |", "|---|---|---|---|---|"]
    for v in verdicts:
        cells = [v.claim.id, v.claim.text, v.evidence, v.verdict, v.why]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
