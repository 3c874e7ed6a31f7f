"""Requirement ids as anchors and links on every page of the site.

``link(text, defining=...)`` rewrites a page's markdown before Sphinx reads it: where a ``spec/``
page defines a requirement (the first cell of a table row, or a bold lead, ``**REQ-...``) the
id becomes the role ``{req}``, an anchor named after the id with a link to the id's row of the
traceability matrix; every other mention becomes a ``{ref}`` to that anchor.  Code (fenced
blocks, inline code) and headings are left as written.  Sphinx itself then enforces the rest:
an id defined twice is a duplicate label, an id mentioned but defined nowhere an undefined
label, and the build runs with warnings as errors.

This module is also the Sphinx extension that defines the roles ``req`` and ``req-trace`` (the
matrix row's anchor, linking back to the definition).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: a requirement id: REQ-, one or more upper-case words, a number
ID = r"REQ-[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*-\d+"
_MENTION = re.compile(rf"(?<![\w`-])({ID})(?![\w-])")
#: a line that defines the id it starts with: a table row's first cell or a bold lead
_DEFINES = re.compile(rf"^(\| |- \*\*|\*\*)({ID})(?![\w-])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)*\1")


def label(rid: str) -> str:
    """The Sphinx label of a requirement's definition."""
    return rid.lower()


def trace_label(rid: str) -> str:
    """The Sphinx label of a requirement's row in the traceability matrix."""
    return f"trace-{rid.lower()}"


@dataclass
class Linked:
    """A page with its requirement ids linked: the ids it defines and mentions, in order."""

    text: str
    defines: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)


def _refs(segment: str, known: Callable[[str], bool], out: Linked) -> str:
    def ref(m: re.Match[str]) -> str:
        rid = m[1]
        out.mentions.append(rid)
        return f"{{ref}}`{rid} <{label(rid)}>`" if known(rid) else rid

    return _MENTION.sub(ref, segment)


def _line(line: str, defining: bool, known: Callable[[str], bool], out: Linked) -> str:
    head = ""
    m = _DEFINES.match(line) if defining else None
    if m and known(m[2]):
        out.defines.append(m[2])
        head, line = f"{m[1]}{{req}}`{m[2]}`", line[m.end():]
    pieces, last = [], 0
    for code in _CODE_SPAN.finditer(line):
        pieces += [_refs(line[last:code.start()], known, out), code[0]]
        last = code.end()
    pieces.append(_refs(line[last:], known, out))
    return head + "".join(pieces)


def link(text: str, *, defining: bool, known: Callable[[str], bool]) -> Linked:
    """``text`` with the requirement ids ``known`` accepts linked (see the module docstring);
    an id ``known`` refuses stays text, and is still listed as a mention."""
    out = Linked("")
    lines, fence = [], ""
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence:
            fence = "" if m and m[1] == fence else fence
            lines.append(line)
        elif m:
            fence = m[1]
            lines.append(line)
        elif line.lstrip().startswith("#") or line.lstrip().startswith("<"):
            lines.append(line)
        else:
            lines.append(_line(line, defining, known, out))
    out.text = "\n".join(lines)
    return out


def mentioned(text: str) -> Iterable[str]:
    """Every requirement id in ``text`` (code included), in order."""
    return (m[1] for m in _MENTION.finditer(text))


# ---------------------------------------------------------------------- the Sphinx extension


def _target(env: Any, name: str, title: str) -> Any:
    from docutils import nodes

    env.get_domain("std").note_hyperlink_target(name, env.docname, name, title)
    return nodes.target("", "", ids=[name])


def _xref(target: str, text: str) -> Any:
    from docutils import nodes
    from sphinx import addnodes

    return addnodes.pending_xref("", nodes.inline(text, text), refdomain="std", reftype="ref",
                                 reftarget=target, refexplicit=True, refwarn=True)


def _req_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
              options: Any = None, content: Any = ()) -> tuple[list[Any], list[Any]]:
    """``{req}`REQ-X``: the definition's anchor, the id, and a link to its matrix row."""
    from docutils import nodes

    rid = text.strip()
    env = inliner.document.settings.env
    return [_target(env, label(rid), rid), nodes.strong(rid, rid), nodes.Text(" "),
            _xref(trace_label(rid), "(trace)")], []


def _trace_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                options: Any = None, content: Any = ()) -> tuple[list[Any], list[Any]]:
    """``{req-trace}`REQ-X``: the matrix row's anchor and a link to the definition."""
    rid = text.strip()
    env = inliner.document.settings.env
    return [_target(env, trace_label(rid), rid), _xref(label(rid), rid)], []


def setup(app: Any) -> dict[str, Any]:
    app.add_role("req", _req_role)
    app.add_role("req-trace", _trace_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
