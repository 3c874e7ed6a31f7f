"""The docs page of the linter's rules, generated from the rule registry.

``render_pages()`` returns ``{"lint-rules": markdown}``: one table of rule ids and purposes and,
per rule, its documented behaviour (the rule module's docstring), so the page cannot drift from
the code.
"""

from __future__ import annotations

from mckm.impl.lint.rules import all_rules


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_pages() -> dict[str, str]:
    """``{"lint-rules": MyST markdown}``."""
    rules = all_rules()
    out = [
        "# `mckm lint` rules",
        "",
        "Generated from `mckm.impl.lint.rules`; see the specification page *lint* for the",
        "stage-dependent severities and the ignore file.",
        "",
        "| rule id | purpose |",
        "|---|---|",
    ]
    out += [f"| `{r.id}` | {_cell(r.summary)} |" for r in rules]
    for r in rules:
        out += ["", f"## `{r.id}`", "", r.summary, ""]
        if r.description:
            out += ["```text", r.description, "```"]
    return {"lint-rules": "\n".join(out) + "\n"}
