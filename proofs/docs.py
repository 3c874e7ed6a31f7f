"""Pages generated from the procedure models and the proofs (MyST markdown, plain tables and
fenced text only, so that the Sphinx build stays warning-free).

``render_pages()`` returns ``{page name: markdown}``: per procedure a page with its roles, the
state table of each role with its state diagram, the step table (requirements, guards,
effects) and the sequence diagram (the ``mckm-sequence`` and ``mckm-states`` directives, drawn
by ``docs/figures`` when ``docs/generate.py`` splices the page); and one page with the proof
table.
"""

from __future__ import annotations

import functools

from mckm.models.procedures.cek import PROCEDURE as CEK
from mckm.models.procedures.idm import PROCEDURE as IDM
from mckm.models.procedures.interkmm import PROCEDURES as INTERKMM_PROCEDURES
from mckm.models.procedures.mikey_ticket import ONE_DOMAIN as TICKET_ONE_KMS
from mckm.models.procedures.mikey_ticket import TWO_DOMAINS as TICKET_TWO_KMS
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.seal_key_distribution import PROCEDURE as SEAL
from mckm.models.procedures.sip_registration import PROCEDURE as SIP_REGISTRATION
from mckm.models.procedures.skm_s import PROCEDURE as SKMS
from mckm.proofs.result import ProofResult

PROCEDURES: tuple[Procedure, ...] = (SEAL, TICKET_ONE_KMS, TICKET_TWO_KMS, SKMS, CEK,
                                     SIP_REGISTRATION, IDM, *INTERKMM_PROCEDURES)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def procedure_page(p: Procedure) -> str:
    out = [f"# Model: {p.title}", "", f"Clause: {p.clause}", "",
           f"Outcome: {p.outcome}", ""]
    out += ["## Sequence", "", f"```{{mckm-sequence}} {p.name}", "```", ""]  # docs/figures
    out += [f"Branch: step {s.number} ({s.role} {s.action}s {s.message} in state {s.source}) "
            f"is taken when `{_cell(s.when.to_text())}`, then goes to {s.target}."
            for s in p.steps if s.when is not None]
    out += [""] if any(s.when is not None for s in p.steps) else []
    out += ["## Steps", "", "| step | role | action | message | from → to | requirements | "
            "guards (in order) | effects |", "|---|---|---|---|---|---|---|---|"]
    for s in p.steps:
        guards = "; ".join(f"{g.name}: `{_cell(g.expr.to_text())}` ({g.requirement}"
                           + (f", MIKEY error {g.mikey_error}" if g.mikey_error is not None
                              else "") + ")" for g in s.guards) or "—"
        if s.when is not None:
            guards = f"taken when `{_cell(s.when.to_text())}`; {guards}"
        out.append(f"| {s.number} | {s.role} | {s.action} {'to' if s.action == 'send' else 'from'}"
                   f" {s.peer} | {s.message} | {s.source} → {s.target} | "
                   f"{', '.join(s.all_requirements)} | {guards} | "
                   f"{', '.join(f'`{e}`' for e in s.effects) or '—'} |")
    out += ["", f"A message not in a role's table for its state is refused "
                f"({p.unexpected.requirement}, MIKEY error {p.unexpected.mikey_error}).", ""]
    for r in p.roles:
        out += [f"## State table: {r.name}", "", f"```{{mckm-states}} {p.name} {r.name}", "```",
                "", "| state | input | step | next state |",
                "|---|---|---|---|"]
        for state, cells in p.table(r.name).items():
            if not cells:
                out.append(f"| {state} | (none{', final' if state in r.final else ''}) | — | — |")
            for (action, msg), steps in cells.items():
                for s in steps:
                    when = f" if {s.when.to_text()}" if s.when is not None else ""
                    out.append(f"| {state} | {action} {msg}{_cell(when)} | {s.number} | "
                               f"{s.target} |")
        out.append("")
    out += ["## Messages", ""]
    for m in p.messages:
        out += [f"### {m.name}", "", f"Grammar: {m.grammar} ({m.clause})", "",
                "| field | type | grammar path |", "|---|---|---|"]
        out += [f"| {f} | {t} | {_cell(m.paths.get(f, ''))} |" for f, t in m.fields.items()]
        out.append("")
    out += ["## Requirements", "", "| id | text |", "|---|---|"]
    out += [f"| {k} | {_cell(v)} |" for k, v in p.requirements.items()]
    out += ["", "## Left out", ""] + [f"- {x}" for x in p.leaves_out] + [""]
    return "\n".join(out)


@functools.cache
def quick_results() -> dict[str, list[ProofResult]]:
    """``mckm prove --quick``, run once per build: the proof page and the traceability matrix
    both read it."""
    from mckm.proofs.cli import run_all

    return run_all(quick=True)


def proofs_page() -> str:
    """The proof table and the equivalence marks, from ``mckm prove --quick`` (the page is
    built with the docs; the full run, with the field-swap mutants, is ``mckm prove``)."""
    from mckm.models.procedures.mutants import marked_guards
    from mckm.proofs.cli import render_equivalents, render_table, summary

    results = quick_results()
    _, notes = summary(results)
    marks = ["| model | step | guard | reason |", "|---|---|---|---|"]
    marks += [f"| {p.name} | {number} | {guard} | {_cell(reason)} |"
              for p in PROCEDURES for (number, guard), reason in marked_guards(p).items()]
    return "\n".join([
        "# Proofs", "", "Generated by `mckm prove --quick` (z3): every drop-guard, drop-when and "
        "policy mutant of every model.  `mckm prove` also runs the field-swap mutants.", "",
        render_table(results), "", *[f"- {n}" for n in notes], "",
        "## The families: what each proves, its bounds, its assumptions", "",
        *families_section(), "",
        "## Attacks found", "",
        "Rows that fail under their assumption by design: the attack is a result (the "
        "trace is the prover's, E1, E2, ... name identities).", "",
        *[f"- **{r.property}** under *{r.assumption}*: {r.expected_attack}. Trace: "
          f"{(r.counterexample or {}).get('trace', '')}"
          for rows in results.values() for r in rows if r.expected_attack and not r.holds],
        "",
        "## Equivalence marks", "",
        "Guards whose mutants no proof kills carry a mark in the model (`Guard.equivalent`): "
        "the reason a reviewer can check.", "", *marks, "",
        "## Mutants explained by a mark", "", render_equivalents(results), ""])


def families_section() -> list[str]:
    """Per family of ``mckm prove``: its module's first paragraph (what it proves), its bounds
    (``BOUNDS``; a family without is inductive or a per-step regression, as it says) and its
    threat assumptions in words (``ASSUMPTIONS``)."""
    import inspect
    import sys

    from mckm.proofs.cli import FAMILIES

    out = []
    for name, prove in FAMILIES.items():
        module = sys.modules[prove.__module__]
        first = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
        out += [f"### {name}", "", first, ""]
        bounds = getattr(module, "BOUNDS", "")
        if bounds:
            out += [f"Bounds: {bounds}", ""]
        assumptions = [getattr(a, "name", str(a)) for a in getattr(module, "ASSUMPTIONS", ())]
        if assumptions:
            out += ["Assumptions: " + "; ".join(assumptions) + ".", ""]
    return out


def render_pages() -> dict[str, str]:
    pages = {f"model-{p.name}": procedure_page(p) for p in PROCEDURES}
    pages["proofs"] = proofs_page()
    return pages
