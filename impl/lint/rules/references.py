"""References both ways: every citation has an entry, every entry is cited, no placeholder entry.

Entries are lines that start with a label ``[n]`` (the label may stand alone on its line, with
the entry's text on the next).  Citations are ``[n]`` anywhere else.  Reported:

* a citation with no entry (error) — only when the document has a reference list at all; a pCR
  that adds no references cites the target specification's list, which the linter cannot see;
* entries that are never cited (note in draft, warning in cr; one finding per list), except in
  a change that holds nothing but a reference list (it shows existing entries as context);
* an entry whose label is a placeholder such as ``[aa]`` (warning in draft, error in cr);
* the same label twice in one list (error), and labels out of numerical order (warning).

* a citation whose number's entry names another document (error): ``RFC 6043 [3]`` or
  ``[3, RFC 6043]`` where entry [3] is RFC 6509 (3GPP TS/TR and IETF RFC numbers are
  compared; an entry that names no such number is not compared).

Requirement ids in brackets (``[R-5.13-001]``) are not references.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import matches
from mckm.impl.lint.structure import REF_LABEL, RefEntry, structure

ID = "references"

#: A document number: an IETF RFC, or a 3GPP TS/TR (``RFC 6509``, ``TS 33.180``, ``TR 33.880``).
_DOC = (
    r"(?:(?P<rfc>RFC)[^\S\n]*(?P<rfcnum>\d{3,5})"
    r"|(?:3GPP[^\S\n]+)?T[SR][^\S\n]*(?P<tsnum>\d{2}\.\d{3}(?:-\d{1,2})?))"
)
#: ``RFC 6043 [3]`` (a document named before its citation) and ``[3, RFC 6043]``.
_NAMED_BEFORE = re.compile(rf"\b{_DOC}[^\S\n]*\[(?P<label>\d{{1,3}})(?:[,\]])")
_NAMED_INSIDE = re.compile(rf"\[(?P<label>\d{{1,3}}),[^\S\n]*{_DOC}[^\]\n]{{0,40}}\]")
_ENTRY_DOC = re.compile(_DOC)
#: (one line: scanned over the whole part, see mckm.impl.lint.scan)
_CITE = re.compile(rf"\[({REF_LABEL}(?:[^\S\n]*[,–-][^\S\n]*{REF_LABEL})*)\]")


def _expand(group: str) -> list[str]:
    labels: list[str] = []
    for part in re.split(r"\s*,\s*", group):
        rng = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part)
        if rng and int(rng.group(1)) < int(rng.group(2)) <= int(rng.group(1)) + 50:
            labels.extend(str(i) for i in range(int(rng.group(1)), int(rng.group(2)) + 1))
        else:
            labels.append(part)
    return labels


def _list_only(doc: Document, group: list[RefEntry]) -> bool:
    """True when the list's segment holds nothing but the list: a change to a references
    clause, which shows existing entries as context."""
    st = structure(doc)
    seg = st.segments[group[0].segment]
    markers = {m.line for m in st.markers}
    return all(
        ln in st.reference_lines or ln in markers or not doc.lines[ln - 1].strip()
        for ln in range(seg.first, min(seg.last, len(doc.lines)) + 1)
    )


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    entries = st.references
    entry_at = {(e.line, e.column) for e in entries}
    cited: dict[str, tuple[int, int]] = {}
    for ln, col, m in matches(doc, _CITE):
        if (ln, col + 1) in entry_at:
            continue
        for label in _expand(m.group(1)):
            cited.setdefault(label, (ln, col + 1))
            if entries and label.isdigit() and label not in {e.label for e in entries}:
                yield finding(
                    doc,
                    ID,
                    "error",
                    ln,
                    col + 1,
                    f"[{label}] is cited but the document has no entry [{label}]",
                    "add the entry to the references or correct the number",
                )
    yield from _named(doc, entries)
    lists: dict[int, list[RefEntry]] = {}
    for e in entries:
        lists.setdefault(e.segment, []).append(e)
    for group in lists.values():
        seen: dict[str, RefEntry] = {}
        last = 0
        for e in group:
            if not e.label.isdigit():
                yield finding(
                    doc,
                    ID,
                    ctx.by_stage("warning", "error"),
                    e.line,
                    e.column,
                    f"reference entry [{e.label}] has a placeholder label",
                    "give it the next free number of the target specification",
                )
            elif e.label in seen:
                yield finding(
                    doc,
                    ID,
                    "error",
                    e.line,
                    e.column,
                    f"reference [{e.label}] is listed twice in this list "
                    f"(also line {doc.at(seen[e.label].line)})",
                    "remove or renumber one",
                )
            elif int(e.label) < last:
                yield finding(
                    doc,
                    ID,
                    "warning",
                    e.line,
                    e.column,
                    f"reference [{e.label}] is listed after [{last}]",
                    "keep the list in numerical order",
                )
            if e.label.isdigit():
                last = max(last, int(e.label))
            seen.setdefault(e.label, e)
        unused = [e for e in group if e.label.isdigit() and e.label not in cited]
        if unused and not _list_only(doc, group):
            labels = ", ".join(f"[{e.label}]" for e in unused)
            yield finding(
                doc,
                ID,
                ctx.by_stage("note", "warning"),
                unused[0].line,
                unused[0].column,
                f"reference{'s' if len(unused) > 1 else ''} {labels} "
                f"{'are' if len(unused) > 1 else 'is'} never cited in this document",
                "cite them where they apply, or drop them from the change",
            )


def _doc_key(m: re.Match[str]) -> tuple[str, str]:
    return ("RFC", m.group("rfcnum")) if m.group("rfc") else ("3GPP", m.group("tsnum"))


def _doc_name(key: tuple[str, str]) -> str:
    return f"RFC {key[1]}" if key[0] == "RFC" else f"TS/TR {key[1]}"


def _named(doc: Document, entries: list[RefEntry]) -> Iterator[Finding]:
    """Citations that name a document whose number differs from their entry's."""
    if not entries:
        return
    names: dict[str, set[tuple[str, str]]] = {}
    for e in entries:
        m = _ENTRY_DOC.search(e.text)
        names.setdefault(e.label, set()).add(_doc_key(m) if m else ("", ""))
    entry_at = {e.line for e in entries}
    for pattern in (_NAMED_BEFORE, _NAMED_INSIDE):
        for ln, col, m in matches(doc, pattern):
            if ln in entry_at:
                continue
            listed = names.get(m.group("label"), set())
            if len(listed) != 1 or ("", "") in listed:
                continue  # no entry, or several lists that disagree, or an entry without number
            (entry,) = listed
            cited = _doc_key(m)
            if cited != entry:
                label = m.group("label")
                yield finding(
                    doc,
                    ID,
                    "error",
                    ln,
                    col + 1,
                    f"{_doc_name(cited)} is cited as [{label}], but entry [{label}] is "
                    f"{_doc_name(entry)}",
                    "correct the number or the document name",
                )
