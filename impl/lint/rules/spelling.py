"""Misspelled words, checked against an English dictionary and the domain glossary.

The dictionary is pyspellchecker's English word list with regular British respellings accepted
(``organisation``, ``signalling``); the glossary adds 3GPP/IETF terms.  Not checked, because they
are names rather than English: tokens with digits, underscores or dots, upper-case or mixed-case
words (``KMS``, ``IdM``, ``InterKMM``), capitalised words inside a sentence (proper names such as
``Otway-Rees``), URIs and e-mail addresses, single words in quotes (protocol literals such as
``"ticketresolve"``), abbreviations the document defines, and the lines of a CR cover page.
Parts of hyphenated words are checked one by one; a part before a hyphen may also be a bound
prefix (``pre-shared``, ``non-3GPP``), which English writes only attached to a word.  Reported
(warning) once per word, with pyspellchecker's correction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.cover_page_fields import cover_lines
from mckm.impl.lint.definitions import defined
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import distinct_pieces, lines_with_pieces
from mckm.impl.lint.speller import correction, known
from mckm.impl.lint.textutil import sentence_start
from mckm.impl.lint.vocabulary import glossary as vocabulary_glossary

ID = "spelling"

_CHUNK = re.compile(r"[^\s()\[\]{},;!?\"“”]+")
#: Orthographic abbreviations written without their full stop ("etc").
_LATIN = frozenset({"etc", "viz", "cf", "al", "ibid"})
#: Bound prefixes: English attaches them to a word, so they are no words of their own.
_PREFIXES = frozenset({
    "pre", "post", "non", "anti", "inter", "intra", "multi", "sub", "semi", "co", "de", "re",
    "un", "mis", "bi", "tri", "uni", "mid", "over", "under", "hyper", "micro", "macro", "pseudo",
})
_URI = re.compile(r"(?:://|@|^www\.|\.(?:com|org|net|html?|xml|json)$)", re.I)
_NAME_CHARS = re.compile(r"[\d_/=<>*#&+]")
_QUOTED = re.compile(r"[\"“'‘]([A-Za-z-]+)[\"”'’]")


@lru_cache(maxsize=65536)
def _unknown(piece: str) -> tuple[str, ...]:
    """The words of a piece's chunks that :func:`check` reports unless the document defines
    them, as it decides them except for what depends on where a chunk stands (in quotes, at a
    sentence start, reported before): those only ever keep a word from being reported."""
    out: list[str] = []
    glossary = vocabulary_glossary()
    for raw in _CHUNK.findall(piece):
        chunk = raw.strip(".'’‘:")
        if not chunk or _NAME_CHARS.search(chunk) or _URI.search(chunk) or "." in chunk:
            continue
        parts = chunk.split("-")
        for index, part in enumerate(parts):
            word = part.strip("'’")
            if len(word) < 3 or not word.isalpha():
                continue
            if not word[1:].islower() and any(c.isupper() for c in word[1:]):
                continue
            if word.lower() in _LATIN or (index < len(parts) - 1 and word.lower() in _PREFIXES):
                continue
            if glossary.knows(word) or known(word):
                continue
            out.append(word)
    return tuple(out)


def _suspect_lines(doc: Document, doc_defined: set[str]) -> list[int]:
    """The lines with a word that may be reported: each distinct whitespace-separated piece of
    the document is judged once (a chunk never spans whitespace), and :func:`check` reads only
    these lines; the others could only add words to its ``accepted`` memo."""
    suspects = {
        piece
        for piece in distinct_pieces(doc)
        if any(word not in doc_defined for word in _unknown(piece))
    }
    return lines_with_pieces(doc, suspects)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    doc_defined = defined(doc)
    glossary = ctx.glossary
    reported: set[str] = set()
    accepted: set[str] = set()  # words defined, in the glossary or in the dictionary
    form = cover_lines(doc)  # a CR form's names and legends (rule cover-page reads them)
    for ln in _suspect_lines(doc, doc_defined):
        if ln in form:
            continue
        line = doc.lines[ln - 1]
        quoted = {m.start(1) for m in _QUOTED.finditer(line)}
        for m in _CHUNK.finditer(line):
            chunk = m.group().strip(".'’‘:")
            if chunk in accepted:
                continue  # one word, already accepted
            if not chunk or _NAME_CHARS.search(chunk) or _URI.search(chunk):
                continue
            if (
                "." in chunk
                or m.start() + (len(m.group()) - len(m.group().lstrip(".'’‘"))) in quoted
            ):
                continue
            offset = m.start() + m.group().find(chunk)
            pos = 0
            parts = chunk.split("-")
            for index, part in enumerate(parts):
                col = offset + pos
                pos += len(part) + 1
                word = part.strip("'’")
                if len(word) < 3 or word in accepted or not word.isalpha():
                    continue  # (the checks below are filters: their order does not matter)
                if word.lower() in reported:
                    continue
                if not word[1:].islower() and any(c.isupper() for c in word[1:]):
                    continue  # abbreviation or CamelCase name
                if word[0].isupper() and not (
                    pos - len(part) - 1 == 0 and sentence_start(line, m.start())
                ):
                    continue  # a capitalised word inside a sentence is a name
                if word.lower() in _LATIN:
                    continue
                if index < len(parts) - 1 and word.lower() in _PREFIXES:
                    continue
                if word in doc_defined or glossary.knows(word) or known(word):
                    accepted.add(word)
                    continue
                reported.add(word.lower())
                fix = correction(word)
                yield finding(
                    doc, ID, "warning", ln, col + 1, f"'{word}' is not an English word", fix or ""
                )
