"""Markdown tables of model facts for the ``spec/`` pages (see ``splice.py`` for the directives).

Each function returns one MyST markdown table (plus at most a one-line legend) read from the
models: requirement texts from the procedures' ``requirements``, the steps and guards that
implement each requirement, the MIKEY error of each guard (named from the grammar's Error no
name space), the step tables, the key purposes and the key-id layout.  No value here is typed
by hand, so a spec page that splices these tables cannot disagree with the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mckm.models.grammar.namespaces import ERROR_NO
from mckm.models.policy.key_id import SK_ID, slots
from mckm.models.policy.key_purposes import default_registry
from mckm.models.procedures.model import Guard, Procedure, Step

NONE = "—"


def cell(text: str) -> str:
    """``text`` made safe for one cell of a markdown table."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A markdown (GFM) table; cells are escaped here."""
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def error_text(number: int | None) -> str:
    """``7 Invalid ID``: a MIKEY error number with its RFC 3830 6.12 / RFC 6043 6.9 name."""
    return NONE if number is None else f"{number} {ERROR_NO.name_of(number)}"


def http_status(guard: Guard) -> int | None:
    """The HTTP status a refusal by ``guard`` is answered with (HTTP roles such as the SKM-S)."""
    status = getattr(guard, "http_status", None)
    return status if isinstance(status, int) else None


def refusal_text(guard: Guard, protocol: str = "HTTP") -> str:
    """What a refusal by ``guard`` carries: its MIKEY error, its ``protocol`` (HTTP or SIP)
    status, or nothing."""
    status = http_status(guard)
    if guard.mikey_error is None and status is not None:
        return f"{protocol} {status}"
    return error_text(guard.mikey_error)


def guard_text(guard: Guard, protocol: str = "HTTP") -> str:
    return f"`{guard.name}` ({refusal_text(guard, protocol)})"


def refusal_kind(procedures: Sequence[Procedure]) -> str:
    """``MIKEY error``, ``HTTP status``, ``SIP status`` or ``error``: what the guards of
    ``procedures`` carry."""
    kinds: set[str] = set()
    for p in procedures:
        guards = [g for s in p.steps for g in s.guards]
        kinds |= {"MIKEY error" for g in guards if g.mikey_error is not None}
        kinds |= {f"{p.status_protocol} status" for g in guards if http_status(g) is not None}
    return kinds.pop() if len(kinds) == 1 else "error"


def requirements_of(procedures: Sequence[Procedure]) -> dict[str, str]:
    """The requirement texts of ``procedures`` (in order); one id must have one text."""
    out: dict[str, str] = {}
    for p in procedures:
        for rid, text in p.requirements.items():
            if out.setdefault(rid, text) != text:
                raise ValueError(f"{rid}: {p.name} words it differently from another procedure")
    return out


def steps_for(p: Procedure, rid: str) -> list[str]:
    """Step numbers of ``p`` that carry ``rid`` (as the step's, an effect's or a guard's), and
    ``any`` when ``rid`` is the procedure's unexpected-message refusal."""
    out = [s.number for s in p.steps if rid in s.all_requirements]
    if p.unexpected.requirement == rid:
        out.append("any")
    return out


def guards_for(procedures: Sequence[Procedure], rid: str) -> list[str]:
    """The guards that refuse for ``rid``, each once, with their MIKEY error."""
    seen: dict[tuple[str, int | None], str] = {}
    for p in procedures:
        for s in p.steps:
            for g in s.guards:
                if g.requirement == rid:
                    seen.setdefault((g.name, g.mikey_error), guard_text(g, p.status_protocol))
        if p.unexpected.requirement == rid:
            key = ("unexpected", p.unexpected.mikey_error)
            seen.setdefault(key, f"{p.unexpected.reason} ({error_text(p.unexpected.mikey_error)})")
    return list(seen.values())


def requirements_table(procedures: Sequence[Procedure], labels: Sequence[str] = ()) -> str:
    """id | requirement | steps (one column per procedure) | guards with their MIKEY errors."""
    labels = list(labels) or (["step"] if len(procedures) == 1 else [p.name for p in procedures])
    if len(labels) != len(procedures):
        raise ValueError(f"{len(labels)} labels for {len(procedures)} procedures")
    rows = []
    for rid, text in requirements_of(procedures).items():
        steps = [", ".join(steps_for(p, rid)) or NONE for p in procedures]
        rows.append([rid, text, *steps, "; ".join(guards_for(procedures, rid)) or NONE])
    legend = (f"A guard marked ({NONE}) carries no error to send: it checks the role's own message "
              "before it leaves, or an answer the role drops.")
    header = ["id", "requirement", *labels, f"refused by guard ({refusal_kind(procedures)})"]
    return table(header, rows) + "\n\n" + legend


def _arrow(s: Step) -> str:
    return f"{s.role} → {s.peer}" if s.action == "send" else f"{s.role} ← {s.peer}"


def steps_table(p: Procedure) -> str:
    """step | roles | message | guards | what the step does (the model's step text)."""
    rows = []
    for s in p.steps:
        text = s.text if s.when is None else f"(taken when {s.when.to_text()}) {s.text}"
        guards = ", ".join(f"`{g.name}`" for g in s.guards) or NONE
        rows.append([s.number, _arrow(s), s.message, guards, text])
    return table(["step", "from → to", "message", "guards", "what the step does"], rows)


def _refusal_key(guard: Guard) -> tuple[int, int] | None:
    """Sort key of what a refusal carries: (0, MIKEY error) or (1, HTTP status); None: nothing."""
    status = http_status(guard)
    if guard.mikey_error is not None:
        return (0, guard.mikey_error)
    return None if status is None else (1, status)


def errors_table(procedures: Sequence[Procedure]) -> str:
    """MIKEY error (or HTTP / SIP status) | the guards that refuse with it and their
    requirements."""
    by_refusal: dict[tuple[int, int], dict[str, tuple[str, list[str]]]] = {}
    for p in procedures:
        for s in p.steps:
            for g in s.guards:
                key = _refusal_key(g)
                if key is not None:
                    entry = by_refusal.setdefault(key, {}).setdefault(
                        f"`{g.name}`", (refusal_text(g, p.status_protocol), []))
                    entry[1].append(g.requirement)
        u = p.unexpected
        if u.mikey_error is not None:
            entry = by_refusal.setdefault((0, u.mikey_error), {}).setdefault(
                u.reason, (error_text(u.mikey_error), []))
            entry[1].append(u.requirement)
    rows = []
    for _, guards in sorted(by_refusal.items()):
        refusal = next(iter(guards.values()))[0]
        rows.append([refusal, "; ".join(f"{name} ({', '.join(sorted(set(reqs)))})"
                                        for name, (_, reqs) in guards.items())])
    kind = refusal_kind(procedures)
    return table([kind, "refused by guard (requirement)"], rows)


def purposes_table() -> str:
    """value | bits | purpose | meaning | status, from the default purpose table."""
    registry = default_registry()
    width = registry.width
    rows = [[str(p.value), f"`{p.value:0{width}b}`", p.name, p.meaning,
             p.status.replace("_", " ")] for p in registry]
    return table(["value", "bits", "purpose", "meaning", "status of the fact"], rows)


def leaves_out_list(procedures: Sequence[Procedure]) -> str:
    """A bullet per thing a model leaves out, named by its model (``Procedure.leaves_out``)."""
    return "\n".join(f"- {p.title}:\n" + "\n".join(f"  - {item}" for item in p.leaves_out)
                     for p in procedures)


def key_id_table() -> str:
    """field | bits | width of the SK-ID layout, most significant field first."""
    fields = sorted(slots(SK_ID).values(), key=lambda s: -s.msb)
    rows = [[f"`{s.name}`", f"{s.msb}..{s.lsb}", str(s.width)] for s in fields]
    return table(["field", "bits", "width"], rows)
