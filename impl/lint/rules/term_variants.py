"""One term, one spelling: hyphenation and capitalisation must not vary within a document.

Two checks, each reported once per term at the first occurrence of a less frequent form, with
the most frequent form suggested (warning):

* hyphenation — ``end-point`` / ``endpoint``, ``B-TID`` / ``BTID``, ``NAF-key`` / ``NAF-Key``,
  ``Push-to-Talk`` / ``Push to Talk`` (a plural ``s`` and a capital at the start of a sentence
  are ignored; lower-case open and hyphenated forms such as "end to end" / "end-to-end" are
  not compared, as the hyphen marks a compound modifier);
* British and American spellings of one word, ``signalling`` / ``signaling``;
* capitalisation of multi-word terms that begin with an abbreviation or with a capitalised word
  inside a sentence — ``MC Domain`` / ``MC domain``, ``Identity Management Server`` /
  ``Identity Management server``.  A capitalised run is compared whole (``MC Security Gateway``
  is not a form of ``MC security``).  Headings, captions, reference entries and the defined term
  of a definition (``Home KMS: ...``) are not compared; in the abbreviations clause, whose
  expansions are title-cased by convention, only hyphenation is compared.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.speller import american
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import sentence_start

ID = "term-variants"

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "and",
        "or",
        "with",
        "from",
        "as",
        "is",
        "are",
        "be",
        "was",
        "were",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "if",
        "then",
        "than",
        "not",
        "no",
        "so",
        "such",
        "into",
        "onto",
        "via",
        "per",
        "within",
        "between",
        "over",
        "under",
        "through",
        "without",
        "across",
        "about",
        "after",
        "before",
        "during",
        "using",
        "which",
        "who",
        "whom",
        "whose",
        "where",
        "when",
        "while",
        "also",
        "only",
        "each",
        "all",
        "any",
        "both",
        "other",
        "can",
        "could",
        "will",
        "would",
        "may",
        "might",
        "shall",
        "should",
        "must",
        "has",
        "have",
        "had",
        "been",
        "being",
        "does",
        "did",
        "do",
    ]
)
_SKIP_LINE = re.compile(
    r"^\s*(?:Figure|Table|\[[^\]]{1,4}\]|3GPP\s+T[SR]|IETF|ETSI|ITU|IEEE|ISO)\b"
)


def _abbrev_like(word: str) -> bool:
    """Two or more capitals (a lower-case tail has none: the common case, decided fast)."""
    if word[1:].islower():
        return False
    return sum(c.isupper() for c in word) >= 2


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 4 and not word.endswith("ss") else word


def _key(form: str) -> str:
    return _singular(form.lower().replace("-", "").replace(" ", ""))


def _hyphen_ok(token: str) -> bool:
    parts = token.split("-")
    return (
        len(parts) > 1 and not any(p.isdigit() for p in parts) and any(p.isalpha() for p in parts)
    )


def _adjectival(variants: Counter[str]) -> bool:
    """Only open and hyphenated lower-case forms: "one source" and "a one-source idea" are both
    right (noun phrase and compound modifier), so they are not a variant pair."""
    return all(" " in v or "-" in v for v in variants) and all(v == v.lower() for v in variants)


def check(doc: Document, ctx: Context) -> Iterator[Finding]:
    st = structure(doc)
    lines: list[tuple[int, str, list[re.Match[str]], int]] = []
    for ln, line in enumerate(doc.lines, 1):
        if ln in st.heading_lines or _SKIP_LINE.match(line):
            continue
        definition = re.match(r"^\s*[A-Z][\w /()-]{0,60}?:\s", line)
        lines.append((ln, line, list(_TOKEN.finditer(line)), definition.end() if definition else 0))
    hyphen_keys = {
        _key(g)
        for _, _, toks, _ in lines
        for t in toks
        if "-" in (g := t.group()) and _hyphen_ok(g)
    }
    # what an n-gram's first token (lower-cased, hyphens dropped) can be if the n-gram's key is
    # a hyphen key: a prefix of one, or one with a plural s; other tokens start no n-gram
    starts = {k[:j] for k in hyphen_keys for j in range(1, len(k) + 1)}
    starts |= {k + "s" for k in hyphen_keys}
    spell: dict[str, Counter[str]] = {}
    spelled: dict[str, Counter[str]] = {}
    listed: set[str] = set()
    caps: dict[str, Counter[str]] = {}
    first: dict[tuple[str, str], tuple[int, int]] = {}
    for ln, line, toks, body_from in lines:
        for i, t in enumerate(toks):
            # hyphenation: n-grams of 1..3 space-separated tokens that spell a hyphenated term
            w = t.group()
            for n in (1, 2, 3) if w.lower().replace("-", "") in starts else ():
                if i + n > len(toks):
                    break
                if n > 1 and line[toks[i + n - 2].end() : toks[i + n - 1].start()] != " ":
                    break
                surface = " ".join(x.group() for x in toks[i : i + n])
                key = _key(surface)
                if key not in hyphen_keys:
                    continue
                lowered = surface[1:] == surface[1:].lower()
                if ln in st.abbreviation_lines:
                    surface = surface.lower()
                    listed.add(key)  # expansions name things: open vs hyphen is a real variant
                elif sentence_start(line, t.start()) and lowered:
                    surface = surface.lower()
                surface = surface[:-1] if _singular(surface.lower()) != surface.lower() else surface
                spell.setdefault(key, Counter())[surface] += 1
                first.setdefault((key, surface), (ln, t.start() + 1))
            if w.isalpha() and w.islower():
                alt = american(w)
                if alt != w:
                    spelled.setdefault(alt, Counter())[w] += 1  # rare: British/American
                    first.setdefault((alt, w), (ln, t.start() + 1))
                elif (seen := spelled.get(w)) is not None and w in seen:
                    seen[w] += 1  # the common case: a word seen before, no new Counter
                else:
                    spelled.setdefault(w, Counter())[w] += 1
                    first.setdefault((w, w), (ln, t.start() + 1))
            # capitalisation of multi-word terms
            if t.start() < body_from or not w.isalpha() or ln in st.abbreviation_lines:
                continue
            if not (_abbrev_like(w) or (w[0].isupper() and not sentence_start(line, t.start()))):
                continue
            if i > 0 and line[toks[i - 1].end() : t.start()] == " ":
                prev = toks[i - 1].group()
                if _abbrev_like(prev) or (
                    prev[:1].isupper() and not sentence_start(line, toks[i - 1].start())
                ):
                    continue  # inside a longer name ("Primary MCPTT System")
            run = [w]
            for j in range(i + 1, min(i + 4, len(toks))):
                if line[toks[j - 1].end() : toks[j].start()] != " ":
                    break
                nxt = toks[j].group()
                if (
                    not nxt.isalpha()
                    or nxt.lower() in _FUNCTION
                    or _abbrev_like(nxt)
                    or len(nxt) < 3
                ):
                    break
                run.append(nxt)
                following = toks[j + 1].group() if j + 1 < len(toks) else ""
                joined = line[toks[j].end() : toks[j + 1].start()] == " " if following else False
                if joined and following[:1].isupper() and not _abbrev_like(following):
                    continue  # do not cut a capitalised run in the middle
                form = " ".join(run)
                key = _singular(form.lower())
                form = form[:-1] if key != form.lower() else form
                caps.setdefault(key, Counter())[form] += 1
                first.setdefault((key, form), (ln, t.start() + 1))
    for key, variants in sorted(spell.items()):
        if len(variants) > 1 and (key in listed or not _adjectival(variants)):
            yield _report(doc, key, variants, first, "hyphenation or case")
    for key, variants in sorted(spelled.items()):
        if len(variants) > 1:
            yield _report(doc, key, variants, first, "spelling (British/American)")
    reported: list[tuple[str, ...]] = []
    for key, variants in sorted(caps.items(), key=lambda kv: (len(kv[0].split()), kv[0])):
        words = tuple(key.split())
        if len(variants) < 2 or key in spell:
            continue
        if any(words[: len(r)] == r for r in reported):
            continue  # "MC clients within" after "MC client"
        reported.append(words)
        yield _report(doc, key, variants, first, "capitalisation")


def _report(
    doc: Document,
    key: str,
    variants: Counter[str],
    first: dict[tuple[str, str], tuple[int, int]],
    what: str,
) -> Finding:
    ranked = sorted(variants.items(), key=lambda kv: (-kv[1], first[(key, kv[0])]))
    top = ranked[0][0]
    ln, col = min(first[(key, v)] for v, _ in ranked[1:])
    counts = ", ".join(f"'{v}' {n}x" for v, n in ranked)
    return finding(doc, ID, "warning", ln, col, f"one term, different {what}: {counts}", top)
