"""Closed forms of the simulator's counts, per approach, as polynomials in the sizes.

Symbols: ``N`` external users, ``G`` groups, ``K`` key periods, ``m`` groups per user, ``p``
private calls per user and ``c`` group calls per group (each per key period).  Derived:

* ``I`` identities: ``N`` (one per user) or ``1`` (one for all);
* ``H = min(G, N m)``: groups with an external member (user ``u``'s groups are ``u m .. u m +
  m - 1`` mod ``G``: ``N m`` consecutive numbers mod ``G``);
* ``M`` memberships (identity, group): ``N m`` with one identity per user, ``H`` with one
  identity for all.

For a server ``r`` let ``o_r``, ``i_r``, ``j_r``, ``ri_r``, ``rj_r`` be the messages to ``r`` of
the approach's one-off, per-identity, per-membership, per-period-identity and
per-period-membership operations (read off the model).  Then

    msgs(r) = o_r + I i_r + M j_r + K (I ri_r + M rj_r)            (set-up and K rollovers)
    msgs(mcx) += K (p N + c D)     D = M over per-identity connections, H over an
                                   interconnection (one delivery per affiliated identity/group)
    addressing = K p N when the approach is not transparent, else 0
    TLS = sum over servers with messages of I (per identity) + the interconnection channels used
    rollover per period = I (ri summed over servers) + M (rj summed over servers)

The spec page shows each approach's forms (:func:`formulas`); the simulator does not call this.
"""

from __future__ import annotations

from mckm.impl.segy.simulator import Mix
from mckm.models.segy.approaches import Approach
from mckm.models.segy.operations import MC_SERVERS, Operation

_METRIC_OF = {"idm": "idm_messages", "kms": "kms_messages", "gms": "gms_messages",
              "mcx": "mcx_messages", "own_idm": "internal_messages",
              "own_kms": "internal_messages", "iwf": "addressing_messages"}


def _per(ops: tuple[Operation, ...], role: str) -> int:
    return sum(1 for op in ops for msg in op.messages if msg.to == role)


def _obtains(ops: tuple[Operation, ...], what: str) -> bool:
    return any(msg.obtains == what for op in ops for msg in op.messages)


def counts(a: Approach, users: int, groups: int, periods: int, mix: Mix) -> dict[str, int]:
    """The closed form of every count of :data:`~mckm.impl.segy.simulator.METRICS`."""
    n, k, m = users, periods, mix.groups_per_user
    ident = n if a.identities == "per-user" else 1
    h = min(groups, n * m)
    mem = n * m if a.identities == "per-user" else h
    out = {name: 0 for name in _METRIC_OF.values()}
    per_role: dict[str, int] = {}
    for role, metric in _METRIC_OF.items():
        v = (_per(a.once, role) + ident * _per(a.per_identity, role)
             + mem * _per(a.per_membership, role)
             + k * (ident * _per(a.per_period_identity, role)
                    + mem * _per(a.per_period_membership, role)))
        per_role[role] = v
        out[metric] += v
    deliveries = mem if a.connection["mcx"] == "per-identity" else h
    calls = k * (mix.private * n + mix.group * deliveries)
    per_role["mcx"] += calls
    out["mcx_messages"] += calls
    if not a.transparent:
        out["addressing_messages"] += k * mix.private * n
    tls = 0
    channels = set()
    for server in MC_SERVERS:
        if per_role[server] == 0:
            continue
        if a.connection[server] == "per-identity":
            tls += ident
        else:
            channels.add("sip" if server == "mcx" else "http")
    out["tls_connections"] = tls + len(channels)
    out["identities"] = ident
    setup = (*a.per_identity, *a.per_period_identity)
    out["key_sets"] = ident if _obtains(setup, "key-set") else 0
    out["csks"] = ident if _obtains(setup, "csk") else 0
    out["group_joins"] = mem
    out["gmks"] = mem if _obtains((*a.per_membership, *a.per_period_membership), "gmk") else 0
    roles = set(_METRIC_OF)
    out["rollover_per_period"] = (ident * sum(_per(a.per_period_identity, r) for r in roles)
                                  + mem * sum(_per(a.per_period_membership, r) for r in roles))
    tokens = ident * (_obtains(a.per_identity, "access-token")
                      + _obtains(a.per_identity, "partner-token"))
    out["state"] = (ident + tokens + out["key_sets"] + out["gmks"] + out["csks"]
                    + len(a.holding("spk")) + len(a.holding("kms-master"))
                    + len(a.holding("idm-signing-key")))
    return out


def _poly(terms: list[tuple[int, str]]) -> str:
    """``[(2, "N"), (1, "K N")]`` -> ``2 N + K N``; zero terms dropped."""
    parts = []
    for coeff, mono in terms:
        if coeff == 0:
            continue
        if mono == "1":
            parts.append(str(coeff))
        else:
            parts.append(mono if coeff == 1 else f"{coeff} {mono}")
    return " + ".join(parts) or "0"


def formulas(a: Approach) -> dict[str, str]:
    """Each message count of ``a`` as text in N, H, m, K, p, c (module docstring)."""
    ident = "N" if a.identities == "per-user" else "1"
    mem = "N m" if a.identities == "per-user" else "H"

    def mono(*factors: str) -> str:
        fs = [f for f in factors if f != "1"]
        return " ".join(fs) or "1"

    out: dict[str, str] = {}
    for role in ("idm", "kms", "gms", "mcx", "own_idm", "own_kms"):
        terms = [(_per(a.once, role), "1"), (_per(a.per_identity, role), ident),
                 (_per(a.per_membership, role), mem),
                 (_per(a.per_period_identity, role), mono("K", ident)),
                 (_per(a.per_period_membership, role), mono("K", mem))]
        if role == "mcx":
            terms += [(1, "K p N"),
                      (1, mono("K c", mem if a.connection["mcx"] == "per-identity" else "H"))]
        out[role] = _poly(terms)
    out["addressing"] = "0" if a.transparent else "K p N"
    return out
