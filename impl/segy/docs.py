"""The tables and plots of the seed 003 spec page, rendered from the models, the simulator,
the claims' verdicts and the ``segy`` proofs (``mckm-segy`` directive of ``docs/splice.py``).

The page's sizes are the issue's: N = 10^5 external users, G = 10^3 groups, one key period,
the default mix (:data:`SIZES`, :class:`~mckm.impl.segy.simulator.Mix`).
"""

from __future__ import annotations

import base64
import functools
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from mckm.impl.segy import claims, closed_form
from mckm.impl.segy.simulator import METRICS, Mix, simulate
from mckm.models.segy.approaches import APPROACHES, KEY_KINDS, Approach
from mckm.models.segy.operations import OPERATIONS, ROLES
from mckm.proofs import segy as proofs

SIZES = {"users": 100_000, "groups": 1_000, "periods": 1}
#: the claims' scaling runs compare N / 10 and N users (linear counts grow tenfold at any N)
CLAIMS_USERS = 10_000
#: the values of N the plots run
SWEEP = (10, 100, 1_000, 10_000, 100_000)
#: the counts plotted on the page
PLOTTED = ("idm_messages", "kms_messages", "gms_messages", "tls_connections",
           "rollover_per_period", "state")


def _cell(text: object) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _ops(ops: Sequence[object]) -> str:
    return ", ".join(getattr(op, "name", "") for op in ops) or "none"


def approaches_table() -> str:
    """The five approaches side by side: a row per aspect of the model."""
    aspects: dict[str, Callable[[Approach], str]] = {
        "seed clause": lambda a: a.clause,
        "identities the SeGy holds": lambda a: ("one for all external users"
                                                if a.identities == "one" else
                                                "one per external user"),
        "security domain of those identities": lambda a: ("the MC domain's" if a.host_domain
                                                          else "its own"),
        "once": lambda a: _ops(a.once),
        "per identity": lambda a: _ops(a.per_identity),
        "per group membership": lambda a: _ops(a.per_membership),
        "per key period": lambda a: _ops((*a.per_period_identity, *a.per_period_membership)),
        "connections to the MC domain": lambda a: "; ".join(
            f"{s}: {m}" for s, m in a.connection.items()),
        "key material held": lambda a: "; ".join(
            f"{h.kind} from {h.issuer} ({h.scope}, {h.periods} period"
            f"{'s' if h.periods == 'all' else ''})" for h in a.holds),
        "external user named by": lambda a: a.attribution,
        "servers it runs": lambda a: ", ".join(a.integrates) or "none",
        "in the clear at the SeGy": lambda a: "; ".join(a.clear),
    }
    return _table(["", *(f"approach {a.number}: {a.title}" for a in APPROACHES)],
                  ([name, *(f(a) for a in APPROACHES)] for name, f in aspects.items()))


def operations_table() -> str:
    """Each operation's messages, the server each goes to and the model or clause it is."""
    rows = []
    for op in OPERATIONS.values():
        for msg in op.messages:
            model = f"{msg.procedure} step {msg.step}" if msg.procedure else ""
            rows.append([op.name, msg.name, msg.to, model, msg.cite, msg.obtains])
    return _table(["operation", "message", "server", "project model", "clause", "leaves held"],
                  rows)


def key_kinds_table() -> str:
    return _table(["key material", "what it opens"], KEY_KINDS.items())


def roles_table() -> str:
    return _table(["role", "what it is"], ROLES.items())


def forms_table() -> str:
    """The closed form of each message count, per approach."""
    forms = {a.number: closed_form.formulas(a) for a in APPROACHES}
    names = {"idm": "IdM", "kms": "KMS", "gms": "GMS", "mcx": "MCX servers",
             "own_idm": "own IdM", "own_kms": "own KMS", "addressing": "in band to the IWF"}
    return _table(["messages to", *(f"approach {a.number}" for a in APPROACHES)],
                  ([label, *(forms[a.number][key] for a in APPROACHES)]
                   for key, label in names.items()))


def _simulated(users: int) -> dict[int, dict[str, int]]:
    return _run(users, SIZES["groups"], SIZES["periods"])


@functools.cache
def _run(users: int, groups: int, periods: int) -> dict[int, dict[str, int]]:
    return {a.number: simulate(a, users, groups, periods, Mix()) for a in APPROACHES}


def simulation_table() -> str:
    sim = _simulated(SIZES["users"])
    return _table(["count", *(f"approach {a.number}" for a in APPROACHES)],
                  ([f"{m}: {METRICS[m]}", *(f"{sim[a.number][m]:,}" for a in APPROACHES)]
                   for m in METRICS))


def claims_table() -> str:
    return claims.markdown(claims.judge_all(CLAIMS_USERS, SIZES["groups"]))


def _columns() -> dict[str, Approach]:
    """The five approaches, then the variants the seed suggests (``proofs.VARIANTS``)."""
    return {**{f"approach {a.number}": a for a in APPROACHES}, **proofs.VARIANTS}


def security_table() -> str:
    """Property x approach: holds, or the counterexample z3 found."""
    rows = []
    for name, prop in proofs.PROPERTIES:
        cells = []
        for a in _columns().values():
            cex = proofs.attack(a, prop)
            cells.append("holds" if cex is None else "attack: " + ", ".join(
                f"{k}={v}" for k, v in sorted(cex.items())))
        rows.append([name, *cells])
    return _table(["a compromised SeGy ...", *_columns()], rows)


def blast_table() -> str:
    """What one compromise exposes in the proofs' universe."""
    total = {"asserts": proofs.USERS, "users": proofs.USERS, "groups": tuple(proofs.MEMBERS),
             "periods": proofs.PERIODS}
    radius = {c: proofs.blast_radius(a) for c, a in _columns().items()}
    labels = {"asserts": "users it can speak as", "users": "users whose calls it reads",
              "groups": "groups it reads", "periods": "key periods it reads"}
    return _table(["exposed", *radius],
                  ([label, *(f"{len(r[k])} of {len(total[k])}: {r[k]}" for r in radius.values())]
                   for k, label in labels.items()))


def plots() -> str:
    """The plots of :data:`PLOTTED` against :data:`SWEEP`, each a PNG inside the page (an HTML
    image with a data URI: the page needs no file beside it, wherever it is built)."""
    from mckm.impl.segy.plots import plot

    data = {n: _simulated(n) for n in SWEEP}
    with tempfile.TemporaryDirectory() as tmp:
        paths = plot(data, Path(tmp), PLOTTED)
        images = {p.stem.removeprefix("segy-"): base64.b64encode(p.read_bytes()).decode()
                  for p in paths if p.suffix == ".png"}
    return "\n\n".join(f'<img alt="{METRICS[m]} against N" '
                        f'src="data:image/png;base64,{images[m]}"/>' for m in PLOTTED)


TABLES: dict[str, Callable[[], str]] = {
    "roles": roles_table, "approaches": approaches_table, "operations": operations_table,
    "key-kinds": key_kinds_table, "forms": forms_table, "simulation": simulation_table,
    "claims": claims_table, "security": security_table, "blast-radius": blast_table,
    "plots": plots,
}


def render(what: str) -> str:
    """The ``mckm-segy WHAT`` block: a table of :data:`TABLES`, or the plots."""
    if what not in TABLES:
        raise ValueError(f"mckm-segy: no table {what!r} (known: {', '.join(TABLES)})")
    return TABLES[what]()
