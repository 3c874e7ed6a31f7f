"""Sequence diagram of a procedure model (``models/procedures``) as SVG.

One lifeline per role, in the model's role order.  Every step is drawn in the model's step
order: a send step is an arrow from its role to its peer labelled with the step number and the
full message name; the guards a step checks are a note beside the lifeline that checks them
(the receiver's, or the sender's before a message leaves), one line per guard with its
requirement id, headed by the step number and the state change.  Steps of one table cell told
apart by their ``when`` condition (the branches of the model) are an ``alt`` frame with one
section per alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from figures.svg import FONT_SIZE, LINE, SMALL, Canvas, embed, ident, text_width
from mckm.models.procedures.model import Procedure, Step

PAD = 12
HEAD_H = 28  # height of a role's box
MIN_GAP = 170  # least distance between two lifelines
NOTE_OFFSET = 10  # a note's distance from its lifeline
GROUP_KEY = tuple[str, str, str, str]


def _key(s: Step) -> GROUP_KEY:
    return (s.role, s.action, s.message, s.source)


def groups(steps: Sequence[Step]) -> list[list[Step]]:
    """The steps in order, consecutive alternatives of one table cell (one of them has a
    ``when``) grouped together; every other step alone."""
    out: list[list[Step]] = []
    for s in steps:
        last = out[-1] if out else None
        if last is not None and _key(last[0]) == _key(s) and any(
                t.when is not None for t in (*last, s)):
            last.append(s)
        else:
            out.append([s])
    return out


def arrow_label(s: Step) -> str:
    return f"{s.number}  {s.message}"


def note_lines(s: Step) -> list[str]:
    """A step's note: its number and state change, then one line per guard."""
    when = ", checked before sending" if s.action == "send" else ""
    head = f"step {s.number}: {s.source} \u2192 {s.target}{when}"
    return [head, *(f"\u2022 {g.name} ({g.requirement})" for g in s.guards)]


def _condition(s: Step) -> str:
    return f"[{s.when.to_text()}]" if s.when is not None else "[otherwise]"


def _needs_note(s: Step) -> bool:
    return s.action == "receive" or bool(s.guards)


@dataclass(frozen=True)
class Layout:
    """Where the lifelines stand."""

    x: dict[str, float]
    head_w: dict[str, float]

    @classmethod
    def of(cls, p: Procedure) -> Layout:
        roles = [r.name for r in p.roles]
        head_w = {r: text_width(r) + 24 for r in roles}
        index = {r: i for i, r in enumerate(roles)}
        gap = float(MIN_GAP)
        for a, b in pairwise(roles):
            gap = max(gap, (head_w[a] + head_w[b]) / 2 + 16)
        for s in p.steps:
            if s.action == "send" and s.peer != s.role:
                span = abs(index[s.role] - index[s.peer])
                gap = max(gap, (text_width(arrow_label(s)) + 36) / span)
        first = PAD + head_w[roles[0]] / 2
        return cls({r: first + i * gap for i, r in enumerate(roles)}, head_w)


def _note(c: Canvas, x: float, y: float, lines: list[str]) -> float:
    """A note whose left edge is ``x``; returns the y below it."""
    w = max(text_width(t) for t in lines) + 16
    h = 8 + LINE * len(lines)
    c.rect(x, y, w, h, fill="#fff8dc", stroke="#b59b4a")
    for i, t in enumerate(lines):
        c.text(x + 8, y + 4 + LINE * i + FONT_SIZE, t, weight="bold" if i == 0 else "normal")
    return y + h


def _arrow(c: Canvas, lay: Layout, s: Step, y: float) -> float:
    """The arrow of send step ``s`` with its label above it; returns the y below it."""
    a, b = lay.x[s.role], lay.x[s.peer]
    label = arrow_label(s)
    if a == b:  # a message to itself: a loop to the right
        c.text(a + 46, y + 22, label)
        c.polyline([(a, y + 10), (a + 40, y + 10), (a + 40, y + 30), (a, y + 30)], arrow=True)
        return y + 40
    c.text((a + b) / 2, y + FONT_SIZE, label, anchor="middle", weight="bold")
    c.line(a, y + 20, b, y + 20, arrow=True, width=1.5)
    return y + 32


def _rows(c: Canvas, lay: Layout, steps: list[Step], y: float) -> float:
    for s in steps:
        if s.action == "send":
            if s.guards:
                y = _note(c, lay.x[s.role] + NOTE_OFFSET, y, note_lines(s)) + 8
            y = _arrow(c, lay, s, y)
        else:
            y = _note(c, lay.x[s.role] + NOTE_OFFSET, y, note_lines(s)) + 12
    return y


def _right_of(lay: Layout, steps: list[Step]) -> float:
    """The right edge of what ``steps`` draw."""
    right = max(lay.x.values()) + 20
    for s in steps:
        if _needs_note(s):
            right = max(right, lay.x[s.role] + NOTE_OFFSET + 16
                        + max(text_width(t) for t in note_lines(s)))
        if s.action == "send":
            right = max(right, (lay.x[s.role] + lay.x[s.peer]) / 2
                        + text_width(arrow_label(s)) / 2)
    return right


def _alternatives(c: Canvas, lay: Layout, group: list[Step], y: float) -> float:
    """An ``alt`` frame, one section per step of ``group``; returns the y below it."""
    top, left = y, PAD / 2
    right = max(_right_of(lay, group), *(left + 60 + text_width(_condition(s)) for s in group))
    for i, s in enumerate(group):
        if i:
            c.line(left, y, right + 8, y, dashed=True)
        indent = left + (44 if i == 0 else 6)
        c.text(indent, y + 15, _condition(s), italic=True)
        y = _rows(c, lay, [s], y + 24)
    c.rect(left, top, right + 8 - left, y - top, fill="none", stroke="#555555")
    c.rect(left, top, 34, 20, fill="#eeeeee", stroke="#555555")
    c.text(left + 6, top + 15, "alt", weight="bold")
    return y + 12


def description(p: Procedure) -> str:
    """The text alternative of the diagram: the steps in words."""
    out = [f"Sequence diagram of {p.title} ({p.clause}); roles: "
           f"{', '.join(r.name for r in p.roles)}."]
    for s in p.steps:
        verb = (f"sends {s.message} to {s.peer}" if s.action == "send"
                else f"receives {s.message} from {s.peer}")
        when = f" when {s.when.to_text()}" if s.when is not None else ""
        guards = (f", checking {', '.join(f'{g.name} ({g.requirement})' for g in s.guards)}"
                  if s.guards else "")
        out.append(f"Step {s.number}: {s.role} {verb}{when}{guards}.")
    return " ".join(out)


def figure(p: Procedure) -> str:
    """The SVG document of ``p``'s sequence diagram."""
    lay = Layout.of(p)
    c = Canvas(ident("seq", p.name), f"Sequence: {p.title}", description(p))
    y: float = PAD + HEAD_H + 16
    for group in groups(p.steps):
        if len(group) > 1 or group[0].when is not None:
            y = _alternatives(c, lay, group, y)
        else:
            y = _rows(c, lay, group, y)
    drawn = len(c.items)
    for r in p.roles:  # the lifelines and role boxes, behind everything drawn above
        x, w = lay.x[r.name], lay.head_w[r.name]
        c.line(x, PAD + HEAD_H, x, y + 4, dashed=True, stroke="#888888")
        c.rect(x - w / 2, PAD, w, HEAD_H, fill="#e8eef7", stroke="#34495e", rx=4)
        c.text(x, PAD + 19, r.name, anchor="middle", weight="bold")
    c.items[:] = c.items[drawn:] + c.items[:drawn]
    c.text(PAD, y + 4 + SMALL, f"model: {p.name} ({p.clause})", size=SMALL, fill="#555555")
    return c.svg()


def caption(p: Procedure) -> str:
    return (f"Sequence of {p.title}, drawn from the model {p.name}: an arrow is a message sent, "
            "with its step number; a note is the guards a step checks, each with its "
            "requirement; an alt frame holds the branches of one step (its when condition).")


def markdown(p: Procedure) -> str:
    """The diagram as a spec page shows it (inline SVG with its caption)."""
    return embed(figure(p), caption(p))
