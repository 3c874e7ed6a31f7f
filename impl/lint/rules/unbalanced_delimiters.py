"""Brackets and double quotes must open and close within a paragraph, in matching styles.

Each paragraph (a line of a ``.txt`` or ``.docx``; a block of lines in Markdown) is scanned for
``()``, ``[]``, ``{}`` and double quotes (straight ``"``, curly ``“ ”``, and ``''`` used as a
double quote).  Reported (warning): a closing bracket with no opener, an opener never closed, a
bracket closed by the wrong kind, and a quotation opened in one style and closed in another
(``"ticketresolve”``) or never closed.  A list label such as ``a)`` or ``1)`` at the start of a
paragraph is not a bracket; single quotes are not checked (they double as apostrophes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import lines_with

ID = "unbalanced-delimiters"

_PAIRS = {")": "(", "]": "[", "}": "{"}
_LABEL = re.compile(r"^\s*(?:\(?[0-9]{1,3}[a-z]?|\(?[a-zA-Z]{1,2}|\(?[ivx]{1,4})\)\s")
_URL = re.compile(r"https?://\S+")
#: Every character the scan reacts to ("''" reads as a double quote).
_DELIMITERS = ("(", ")", "[", "]", "{", "}", '"', "“", "”", "'")
_DELIMITER = re.compile(r"[()\[\]{}\"“”]")


def _paragraphs(doc: Document) -> Iterator[list[tuple[int, str]]]:
    """Paragraphs as (line, text) lists, without the lines that hold no delimiter."""
    markdown = doc.path.lower().endswith((".md", ".markdown"))
    if not markdown:  # a paragraph per line: only lines with a delimiter matter
        for ln in lines_with(doc, _DELIMITERS):
            yield [(ln, doc.lines[ln - 1])]
        return
    block: list[tuple[int, str]] = []
    for ln, line in enumerate(doc.lines, 1):
        if line.strip():
            block.append((ln, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    for para in _paragraphs(doc):
        stack: list[tuple[str, int, int]] = []
        for idx, (ln, raw) in enumerate(para):
            line = _URL.sub(lambda m: " " * len(m.group()), raw.replace("''", '" '))
            start = 0
            if idx == 0:
                lab = _LABEL.match(line)
                start = lab.end() if lab else 0
            for d in _DELIMITER.finditer(line, start):
                ch, col = d.group(), d.start()
                if ch in "([{“":
                    stack.append((ch, ln, col + 1))
                elif ch == '"':
                    if stack and stack[-1][0] in '"“':
                        opener = stack.pop()
                        if opener[0] == "“":
                            yield _quote_style(doc, ln, col + 1, opener)
                    else:
                        stack.append((ch, ln, col + 1))
                elif ch == "”":
                    if stack and stack[-1][0] in '"“':
                        opener = stack.pop()
                        if opener[0] == '"':
                            yield _quote_style(doc, ln, col + 1, opener)
                    else:
                        yield finding(
                            doc,
                            ID,
                            "warning",
                            ln,
                            col + 1,
                            "closing quote ” without an opening quote",
                            "add “",
                        )
                elif ch in _PAIRS:
                    if stack and stack[-1][0] == _PAIRS[ch]:
                        stack.pop()
                    elif stack and stack[-1][0] in "([{":
                        o = stack.pop()
                        yield finding(
                            doc,
                            ID,
                            "warning",
                            ln,
                            col + 1,
                            f"'{o[0]}' opened on line {doc.at(o[1])} column {o[2]} is closed "
                            f"by '{ch}'",
                            f"close it with '{ {'(': ')', '[': ']', '{': '}'}[o[0]] }'",
                        )
                    else:
                        yield finding(
                            doc,
                            ID,
                            "warning",
                            ln,
                            col + 1,
                            f"'{ch}' has no matching '{_PAIRS[ch]}'",
                            f"add '{_PAIRS[ch]}' or delete '{ch}'",
                        )
        for ch, ln, col in stack:
            what = "quotation" if ch in '"“' else f"'{ch}'"
            yield finding(
                doc,
                ID,
                "warning",
                ln,
                col,
                f"{what} is never closed",
                "close it in the same paragraph",
            )


def _quote_style(doc: Document, ln: int, col: int, opener: tuple[str, int, int]) -> Finding:
    closer = "”" if opener[0] == '"' else '"'
    return finding(
        doc,
        ID,
        "warning",
        ln,
        col,
        f"quotation opened with {opener[0]} (column {opener[2]}) is closed with {closer}",
        'use one quote style: “...” or "..."',
    )
