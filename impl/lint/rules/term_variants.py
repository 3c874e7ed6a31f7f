"""One term, one spelling: hyphenation and capitalisation must not vary within a document.

Two checks, each reported once per term at the first occurrence of a less frequent form, with
the most frequent form suggested (warning) — unless one of the forms is the glossary's (TR 21.905
and the specifications mckm models, ``impl/lint/data``): then that one is suggested, and the
finding stands at the first other form (``BTID`` 3x, ``B-TID`` 1x: ``B-TID``, as TS 33.220
writes it):

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
from functools import lru_cache
from itertools import chain

from mckm.impl.lint.context import Context, finding
from mckm.impl.lint.cover_page_fields import cover_lines
from mckm.impl.lint.model import Document, Finding
from mckm.impl.lint.scan import pieces
from mckm.impl.lint.speller import american
from mckm.impl.lint.structure import structure
from mckm.impl.lint.textutil import sentence_start
from mckm.impl.lint.vocabulary import Glossary

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
_CAMEL = re.compile(r"[a-z][A-Z]")
_DEFINITION = re.compile(r"^\s*(?:\*\*)?[A-Z][\w /()-]{0,60}?(?:\*\*)?:(?:\*\*)?\s")
_SKIP_LINE = re.compile(
    r"^\s*(?:Figure|Table|\[[^\]]{1,4}\]|3GPP\s+T[SR]|IETF|ETSI|ITU|IEEE|ISO)\b"
)


@lru_cache(maxsize=65536)
def _tokens(piece: str) -> tuple[str, ...]:
    """The tokens of a whitespace-separated piece (pieces recur from part to part)."""
    return tuple(_TOKEN.findall(piece))


@lru_cache(maxsize=65536)
def _abbrev_like(word: str) -> bool:
    """Two or more capitals."""
    return sum(c.isupper() for c in word) >= 2


def _singular(word: str) -> str:
    """``endpoints`` -> ``endpoint``; not ``SIM-S`` (a name's last letter) or ``access``."""
    plural = word.endswith("s") and len(word) > 4 and not word.endswith("ss") and word[-2].isalpha()
    return word[:-1] if plural else word


@lru_cache(maxsize=65536)
def _key(form: str) -> str:
    return _singular(form.lower()).replace("-", "").replace(" ", "")


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
    # The lines compared, as their whitespace-separated pieces (a token never spans whitespace):
    # each distinct piece is tokenised once, and where a token stands (a match object) is looked
    # up only on the lines where a term can start.
    split = pieces(doc)
    cover = cover_lines(doc)
    lines = [
        (ln, line, split[ln - 1])
        for ln, line in enumerate(doc.lines, 1)
        if ln not in st.heading_lines
        and ln not in st.reference_lines
        and ln not in cover
        and not _SKIP_LINE.match(line)
        and not line.lstrip().startswith("|")  # a Markdown table row: cells, not prose
    ]
    piece_counts = Counter(chain.from_iterable(p for _, _, p in lines))
    tokens_of = {piece: _tokens(piece) for piece in piece_counts}
    counts: Counter[str] = Counter()  # each distinct token, how often
    for piece, n in piece_counts.items():
        for token in tokens_of[piece]:
            counts[token] += n
    hyphen_keys = {_key(g) for g in counts if "-" in g and _hyphen_ok(g)}
    # what an n-gram's first token (lower-cased, hyphens dropped) can be if the n-gram's key is
    # a hyphen key: a prefix of one, or one with a plural s; other tokens start no n-gram
    starts = {k[:j] for k in hyphen_keys for j in range(1, len(k) + 1)}
    starts |= {k + "s" for k in hyphen_keys}
    openers = {w for w in counts if w.lower().replace("-", "") in starts}
    capitals = {w for w in counts if w.isalpha() and not w.islower()}  # may start a run
    # what may follow a run's first word (a capital not followed by one of these starts none)
    followers = {
        w
        for w in counts
        if w.isalpha() and len(w) >= 3 and w.lower() not in _FUNCTION and not _abbrev_like(w)
    }
    # A run goes on only over a single space: its first word ends a piece (in ends), the next
    # starts the next piece (in leads).  A piece that is one capitalised word, first on its
    # line after spaces or tabs only, starts a sentence, hence no run.
    # An n-gram of one token is a term when that token's key is a hyphen key; a longer one
    # needs a space after its first token, which then ends a piece (in open_ends).
    whole = {p for p, t in tokens_of.items() if any(_key(w) in hyphen_keys for w in t)}
    open_ends = {p for p, t in tokens_of.items() if t and t[-1] in openers and p.endswith(t[-1])}
    ends = {p for p, t in tokens_of.items() if t and t[-1] in capitals and p.endswith(t[-1])}
    leads = {p for p, t in tokens_of.items() if t and t[0] in followers and p.startswith(t[0])}
    plain = {p for p in ends if p == tokens_of[p][-1] and not _abbrev_like(p)}
    spell: dict[str, Counter[str]] = {}
    spelled = _spellings(counts)
    listed: set[str] = set()
    caps: dict[str, Counter[str]] = {}
    first: dict[tuple[str, str], tuple[int, int]] = {}
    for ln, line, held in lines:
        listing = ln in st.abbreviation_lines
        if (
            whole.isdisjoint(held)
            and open_ends.isdisjoint(held)
            and (listing or ends.isdisjoint(held) or leads.isdisjoint(held))
        ):
            continue
        starting = _starting(line, held, tokens_of, hyphen_keys, starts, listing, whole,
                             open_ends, ends, leads, plain)
        if not starting:
            continue
        toks = list(_TOKEN.finditer(line))  # the same tokens, with their places
        definition = _DEFINITION.match(line)
        body_from = definition.end() if definition else 0
        for i in starting:
            t = toks[i]
            w = t.group()
            # hyphenation: n-grams of 1..3 space-separated tokens that spell a hyphenated term
            for n in (1, 2, 3) if w in openers else ():
                if i + n > len(toks):
                    break
                if n > 1 and line[toks[i + n - 2].end() : toks[i + n - 1].start()] != " ":
                    break
                surface = line[t.start() : toks[i + n - 1].end()]  # the tokens, one space apart
                if n > 1 and surface.lower().replace("-", "").replace(" ", "") not in starts:
                    break  # no longer n-gram spells a hyphen key either
                key = _key(surface)
                if key not in hyphen_keys or _CAMEL.search(surface):
                    continue  # (a camelCase parameter name is no spelling of a term)
                lowered = surface[1:] == surface[1:].lower()
                if listing and not any(map(_abbrev_like, re.split(r"[ -]", surface))):
                    surface = surface.lower()  # (a title-cased expansion, not an abbreviation)
                    listed.add(key)  # expansions name things: open vs hyphen is a real variant
                elif sentence_start(line, t.start()) and lowered:
                    surface = surface.lower()
                surface = surface[:-1] if _singular(surface.lower()) != surface.lower() else surface
                forms = spell.get(key)
                if forms is None:
                    forms = spell[key] = Counter()
                forms[surface] += 1
                first.setdefault((key, surface), (ln, t.start() + 1))
            # capitalisation of multi-word terms (a lower-case word starts none)
            if listing or w not in capitals or t.start() < body_from:
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
                if following[:1].isdigit() and line[toks[j].end() : toks[j + 1].start()] == " ":
                    break  # "MCS Table 5.1.3.1-1": a capital that a number follows names it
                joined = line[toks[j].end() : toks[j + 1].start()] == " " if following else False
                if joined and following[:1].isupper() and not _abbrev_like(following):
                    continue  # do not cut a capitalised run in the middle
                form = " ".join(run)
                key = _singular(form.lower())
                form = form[:-1] if key != form.lower() else form
                forms = caps.get(key)
                if forms is None:
                    forms = caps[key] = Counter()
                forms[form] += 1
                first.setdefault((key, form), (ln, t.start() + 1))
    # where each British/American spelling that is reported first occurs (a lower-case token:
    # the key of one that is also a hyphenation form keeps the earlier of the two places)
    variants = {w for forms in spelled.values() if len(forms) > 1 for w in forms}
    for (key, w), where in _first_tokens(lines, tokens_of, variants, spelled).items():
        first[(key, w)] = min(first.get((key, w), where), where)
    for key, forms in sorted(spell.items()):
        if len(forms) > 1 and (key in listed or not _adjectival(forms)):
            yield _report(doc, key, forms, first, "hyphenation or case", ctx.glossary)
    for key, forms in sorted(spelled.items()):
        if len(forms) > 1:
            yield _report(doc, key, forms, first, "spelling (British/American)", ctx.glossary)
    reported: list[tuple[str, ...]] = []
    for key, forms in sorted(caps.items(), key=lambda kv: (len(kv[0].split()), kv[0])):
        words = tuple(key.split())
        if len(forms) < 2 or key in spell:
            continue
        if any(words[: len(r)] == r for r in reported):
            continue  # "MC clients within" after "MC client"
        reported.append(words)
        yield _report(doc, key, forms, first, "capitalisation", ctx.glossary)


def _spellings(counts: Counter[str]) -> dict[str, Counter[str]]:
    """American spelling -> how often each lower-case word spelled that way, British or
    American, occurs (``signaling`` -> ``signalling`` 3, ``signaling`` 1)."""
    spelled: dict[str, Counter[str]] = {}
    for w, n in counts.items():
        if w.isalpha() and w.islower():
            alt = american(w)
            forms = spelled.get(alt)
            if forms is None:
                forms = spelled[alt] = Counter()
            forms[w] += n
    return spelled


def _starting(
    line: str,
    held: list[str],
    tokens_of: dict[str, tuple[str, ...]],
    hyphen_keys: set[str],
    starts: set[str],
    listing: bool,
    whole: set[str],
    open_ends: set[str],
    ends: set[str],
    leads: set[str],
    plain: set[str],
) -> list[int]:
    """The indices, ascending, of the tokens of a line of pieces ``held`` at which a term can
    start (see :func:`check`): a token whose key is a hyphen key; the last token of a piece
    when the next piece's first token, after a space, may continue a hyphen key (a piece in
    ``open_ends``) or a capitalised run (a piece in ``ends``, the next in ``leads``, unless the
    piece is one capitalised word that opens the line after spaces or tabs only)."""
    out: set[int] = set()
    at = 0
    for k, piece in enumerate(held):
        tokens = tokens_of[piece]
        if piece in whole:
            out.update(at + j for j, w in enumerate(tokens) if _key(w) in hyphen_keys)
        if tokens and k + 1 < len(held):
            after = held[k + 1]
            head = tokens_of[after][0] if tokens_of[after] else ""
            last = at + len(tokens) - 1
            if (
                piece in open_ends
                and head
                and after.startswith(head)
                and (tokens[-1] + head).lower().replace("-", "") in starts
            ):
                out.add(last)
            if (
                not listing
                and piece in ends
                and after in leads
                and not (k == 0 and piece in plain and line.lstrip(" \t").startswith(piece))
            ):
                out.add(last)
        at += len(tokens)
    return sorted(out)


def _first_tokens(
    lines: list[tuple[int, str, list[str]]],
    tokens_of: dict[str, tuple[str, ...]],
    words: set[str],
    spelled: dict[str, Counter[str]],
) -> dict[tuple[str, str], tuple[int, int]]:
    """(American spelling, word) -> line and column of the word's first token, for ``words``."""
    key_of = {w: key for key, forms in spelled.items() for w in forms if w in words}
    holders = {p for p, toks in tokens_of.items() if not words.isdisjoint(toks)}
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for ln, line, held in lines:
        if len(found) == len(key_of):
            break
        if holders.isdisjoint(held):
            continue
        for t in _TOKEN.finditer(line):
            w = t.group()
            if w in key_of and (key_of[w], w) not in found:
                found[(key_of[w], w)] = (ln, t.start() + 1)
    return found


def _report(
    doc: Document,
    key: str,
    variants: Counter[str],
    first: dict[tuple[str, str], tuple[int, int]],
    what: str,
    glossary: Glossary,
) -> Finding:
    """The finding for one term: the glossary's spelling wins over the most frequent one
    (``B-TID``, as TS 33.220 writes it, even where ``BTID`` is more frequent)."""
    ranked = sorted(variants.items(), key=lambda kv: (-kv[1], first[(key, kv[0])]))
    listed = [v for v, _ in ranked if v in glossary.abbreviations]
    top = listed[0] if len(listed) == 1 else ranked[0][0]
    ln, col = min(first[(key, v)] for v, _ in ranked if v != top)
    counts = ", ".join(f"'{v}' {n}x" for v, n in ranked)
    why = f" (the glossary writes {top})" if listed and top == listed[0] else ""
    return finding(
        doc, ID, "warning", ln, col, f"one term, different {what}: {counts}{why}", top
    )
