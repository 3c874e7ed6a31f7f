"""Splice model-generated tables into the ``spec/`` pages (SpecTec style).

A spec page holds prose; where it shows a model fact it holds a fenced ``mckm-*`` directive,
written the way MyST writes any directive::

    ```{mckm-requirements} mikey-ticket-one-kms mikey-ticket-two-kms
    :labels: one KMS, two KMSs
    ```

``docs/generate.py`` copies each page into ``docs/_generated/`` through :func:`expand`, which
replaces every such block by the markdown table ``spec_tables.py`` renders from the models, so
Sphinx never sees the directive.  An unknown ``mckm-*`` name, an unknown procedure or a wrong
argument count is an error that names the page: the build stops rather than show a stale table.

Directives (procedures are named as in ``mckm.models.procedures.registry``):

- ``mckm-requirements PROCEDURE...`` (option ``:labels:`` one comma-separated step-column
  label per procedure): requirement texts, the steps and guards that implement them and the
  MIKEY error of each guard.
- ``mckm-steps PROCEDURE``: the numbered steps, their messages, guards and text.
- ``mckm-errors PROCEDURE...``: each MIKEY error and the guards that refuse with it.
- ``mckm-purposes``: the key purpose table (``models/policy/data/key_purposes.yaml``).
- ``mckm-key-id``: the SK-ID bit layout (``models/policy/key_id.SK_ID``).
- ``mckm-segy TABLE``: seed 003's SeGy tables and plots (``mckm.impl.segy.docs.render``).
- ``mckm-leaves-out PROCEDURE...``: what each model leaves out (``Procedure.leaves_out``).
- ``mckm-sequence PROCEDURE``: the procedure's sequence diagram (``figures/sequence.py``).
- ``mckm-states PROCEDURE [ROLE...]``: the state diagram of each role named, or of every role
  (``figures/states.py``).
- ``mckm-bitlayout [PAYLOAD...]``: the bit layout of each payload grammar named (``KEMAC`` or
  ``srtp-id-entry``), or of every one (``figures/bitlayout.py``).  The figures are inline SVG
  in a raw HTML block, so they need no image file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import spec_tables

from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import by_name

#: A fenced ``{mckm-NAME} args`` block with optional ``:key: value`` lines, then the closing fence.
BLOCK = re.compile(r"^```\{(?P<name>mckm-[a-z-]+)\}[ \t]*(?P<args>[^\n]*)\n"
                   r"(?P<body>(?:[ \t]*:[a-z-]+:[^\n]*\n)*)```[ \t]*$", re.MULTILINE)
OPTION = re.compile(r"^[ \t]*:(?P<key>[a-z-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)
#: Any fence that opens an ``mckm-`` directive, well-formed or not (to catch typos).
ANY_MCKM = re.compile(r"^[ \t]*```\{mckm-", re.MULTILINE)


@dataclass(frozen=True)
class Directive:
    """One spliced directive as written on a page: name, arguments and options."""

    name: str
    args: tuple[str, ...]
    options: Mapping[str, str]

    def procedures(self) -> list[Procedure]:
        return [by_name(a) for a in self.args]


def _procedures(d: Directive, exactly_one: bool = False) -> list[Procedure]:
    if not d.args or (exactly_one and len(d.args) != 1):
        raise ValueError(f"takes {'one procedure' if exactly_one else 'procedures'}, "
                         f"got {len(d.args)}")
    return d.procedures()


def _no_args(d: Directive) -> None:
    if d.args:
        raise ValueError(f"takes no argument, got {' '.join(d.args)}")


def _requirements(d: Directive) -> str:
    labels = [x.strip() for x in d.options.get("labels", "").split(",") if x.strip()]
    return spec_tables.requirements_table(_procedures(d), labels)


def _steps(d: Directive) -> str:
    return spec_tables.steps_table(_procedures(d, exactly_one=True)[0])


def _errors(d: Directive) -> str:
    return spec_tables.errors_table(_procedures(d))


def _purposes(d: Directive) -> str:
    _no_args(d)
    return spec_tables.purposes_table()


def _key_id(d: Directive) -> str:
    _no_args(d)
    return spec_tables.key_id_table()


def _segy(d: Directive) -> str:
    """Seed 003's SeGy tables and plots (``mckm.impl.segy.docs``)."""
    from mckm.impl.segy.docs import render

    if len(d.args) != 1:
        raise ValueError(f"takes one table name, got {len(d.args)}")
    return render(d.args[0])


def _leaves_out(d: Directive) -> str:
    return spec_tables.leaves_out_list(_procedures(d))


def _sequence(d: Directive) -> str:
    from figures import sequence

    return sequence.markdown(_procedures(d, exactly_one=True)[0])


def _states(d: Directive) -> str:
    from figures import states

    if not d.args:
        raise ValueError("takes a procedure, then optionally role names")
    p = by_name(d.args[0])
    roles = d.args[1:] or tuple(r.name for r in p.roles)
    return "\n\n".join(states.markdown(p, p.role(r).name) for r in roles)


def _bitlayout(d: Directive) -> str:
    from figures import bitlayout

    specs = [bitlayout.by_name(a) for a in d.args] or bitlayout.structures()
    return "\n\n".join(bitlayout.markdown(s) for s in specs)


RENDERERS: Mapping[str, Callable[[Directive], str]] = {
    "mckm-requirements": _requirements,
    "mckm-steps": _steps,
    "mckm-errors": _errors,
    "mckm-purposes": _purposes,
    "mckm-key-id": _key_id,
    "mckm-segy": _segy,
    "mckm-leaves-out": _leaves_out,
    "mckm-sequence": _sequence,
    "mckm-states": _states,
    "mckm-bitlayout": _bitlayout,
}
OPTIONS: Mapping[str, frozenset[str]] = {"mckm-requirements": frozenset({"labels"})}


def directives(text: str) -> list[Directive]:
    """The ``mckm-*`` directives of a page, in order."""
    out = []
    for m in BLOCK.finditer(text):
        options = {o["key"]: o["value"] for o in OPTION.finditer(m["body"])}
        out.append(Directive(m["name"], tuple(m["args"].split()), options))
    return out


def expand(text: str, page: str) -> str:
    """``text`` with every ``mckm-*`` directive replaced by its table; errors name ``page``."""
    if len(ANY_MCKM.findall(text)) != len(BLOCK.findall(text)):
        raise ValueError(f"{page}: a ```{{mckm-...}} block is malformed (options are `:key: "
                         "value` lines, then the closing fence)")

    def render(m: re.Match[str]) -> str:
        d = directives(m[0] + "\n")[0]
        try:
            if d.name not in RENDERERS:
                raise ValueError(f"unknown directive (known: {', '.join(RENDERERS)})")
            unknown = set(d.options) - OPTIONS.get(d.name, frozenset())
            if unknown:
                raise ValueError(f"unknown options {sorted(unknown)}")
            return RENDERERS[d.name](d)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{page}: {{{d.name}}} {' '.join(d.args)}: {exc}") from exc

    return BLOCK.sub(render, text)
