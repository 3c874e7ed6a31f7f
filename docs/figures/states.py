"""State diagram of one role of a procedure model (``models/procedures``) as SVG.

The states are the role's (``Procedure.states``); every step of the role is a transition from
its source to its target state, labelled with the step number, ``sends`` or ``receives`` and the
message.  Layout, layered left to right: back edges (found by a depth-first walk from the
initial state, in step order) are set aside, every other state goes one column right of its
furthest predecessor.  A transition to the next column is a straight arrow with its label at
its middle; every other one (skipping columns, going back, to itself, or whose label would
collide) runs along its own lane under the states, through the gaps between columns, so no two
labels overlap and no line crosses a state.  A filled dot points at the initial state, a hollow
one at each state a run may also start in (``Role.resumes``); final states have a double border.
A step taken only under a ``when`` condition carries a letter, spelt out under the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from figures.svg import FONT_SIZE, LINE, SMALL, Canvas, embed, ident, text_width
from mckm.models.procedures.model import Procedure, Role, Step

PAD = 12
BOX_H = 30
ROW_GAP = 64  # between the tops of two states of one column
CHANNEL = 7  # between two lane lines in a gap
START_W = 40  # room left of the first column for the initial dot


def transition_label(s: Step, mark: str = "") -> str:
    verb = "sends" if s.action == "send" else "receives"
    return f"{s.number} {verb} {s.message}{f' [{mark}]' if mark else ''}"


def _back_edges(role: Role, states: Sequence[str], steps: Sequence[Step]) -> set[str]:
    """Numbers of the steps that close a cycle (depth first from the initial state)."""
    back: set[str] = set()
    done: set[str] = set()
    stack: list[str] = []

    def visit(state: str) -> None:
        stack.append(state)
        for s in steps:
            if s.source != state:
                continue
            if s.target in stack:
                back.add(s.number)
            elif s.target not in done:
                visit(s.target)
        stack.pop()
        done.add(state)

    for start in (role.initial, *states):
        if start not in done:
            visit(start)
    return back


def layers(role: Role, states: Sequence[str], steps: Sequence[Step]) -> dict[str, int]:
    """Column of each state: one right of its furthest predecessor (back edges left out)."""
    back = _back_edges(role, states, steps)
    forward = [s for s in steps if s.number not in back and s.source != s.target]
    col = {st: 0 for st in states}
    for _ in states:  # longest path on a DAG: relax len(states) times
        for s in forward:
            col[s.target] = max(col[s.target], col[s.source] + 1)
    return col


@dataclass
class Edge:
    source: str
    target: str
    labels: list[str] = field(default_factory=list)


@dataclass
class Place:
    col: int
    row: int
    x: float = 0.0  # left edge
    y: float = 0.0  # top edge
    w: float = 0.0


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def figure(p: Procedure, role_name: str) -> str:
    """The SVG document of the state diagram of ``role_name`` in ``p``."""
    role = p.role(role_name)
    states = p.states(role_name)
    steps = p.steps_of(role_name)
    marks = {s.number: chr(ord("a") + i) for i, s in
             enumerate(t for t in steps if t.when is not None)}
    edges: dict[tuple[str, str], Edge] = {}
    for s in steps:
        edges.setdefault((s.source, s.target), Edge(s.source, s.target)).labels.append(
            transition_label(s, marks.get(s.number, "")))
    col = layers(role, states, steps)
    places: dict[str, Place] = {}
    for st in states:
        places[st] = Place(col[st], sum(1 for q in places.values() if q.col == col[st]),
                           w=text_width(st) + 24)
    ncols = max(col.values()) + 1
    col_w = [max(q.w for q in places.values() if q.col == k) for k in range(ncols)]

    def adjacent(e: Edge) -> bool:
        return places[e.target].col == places[e.source].col + 1

    gaps = [60.0] * (ncols + 1)  # gap i is left of column i; gap ncols right of the last
    for e in edges.values():
        if adjacent(e):
            k = places[e.target].col
            gaps[k] = max(gaps[k], max(text_width(t) for t in e.labels) + 24)
    lane_room = len(edges) * CHANNEL + 16  # every edge might need a channel in a gap
    gaps = [max(g, lane_room) for g in gaps]
    into_first = sum(1 for e in edges.values() if places[e.target].col == 0)
    x: float = PAD + START_W + CHANNEL * into_first
    col_x = []
    for k in range(ncols):
        x += gaps[k] if k else 0
        col_x.append(x)
        x += col_w[k]
    top = PAD + 30
    for q in places.values():
        q.x = col_x[q.col] + (col_w[q.col] - q.w) / 2
        q.y = top + q.row * ROW_GAP
    boxes = [(q.x, q.y, q.x + q.w, q.y + BOX_H) for q in places.values()]

    c = Canvas(ident("states", p.name, role_name), f"States of {role_name} in {p.title}",
               description(p, role_name, marks))
    placed: list[tuple[float, float, float, float]] = []
    lanes: list[Edge] = []
    labels: list[tuple[float, float, str, str]] = []  # drawn after every line, so none crosses
    for e in edges.values():
        src, dst = places[e.source], places[e.target]
        if not adjacent(e):
            lanes.append(e)
            continue
        x1, y1, x2, y2 = src.x + src.w, src.y + BOX_H / 2, dst.x, dst.y + BOX_H / 2
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        w = max(text_width(lbl) for lbl in e.labels)
        box = (mx - w / 2, my - 4 - LINE * len(e.labels), mx + w / 2, my - 2)
        if any(_overlaps(box, b) for b in (*placed, *boxes)):
            lanes.append(e)
            continue
        placed.append(box)
        c.line(x1, y1, x2, y2, arrow=True, width=1.3)
        for i, lbl in enumerate(reversed(e.labels)):
            labels.append((mx, my - 6 - LINE * i, lbl, "middle"))

    bottom = max(b[3] for b in boxes)
    lowest = {st for st, q in places.items()
              if not any(o.col == q.col and o.row > q.row for o in places.values())}
    # a lane leaves or enters a state that has nothing under it through its bottom edge, spread
    # over the edge; any other state through the gap beside its column
    ends: dict[str, list[tuple[int, str]]] = {}
    for i, e in enumerate(lanes):
        for st, way in ((e.source, "out"), (e.target, "in")):
            if st in lowest:
                ends.setdefault(st, []).append((i, way))

    def bottom_x(st: str, i: int, way: str) -> float:
        q, mine = places[st], ends[st]
        k = mine.index((i, way))
        return q.x + q.w * (k + 1) / (len(mine) + 1)

    right_used = [0] * (ncols + 1)  # channels taken in each gap, from its left side
    left_used = [0] * (ncols + 1)  # from its right side
    lane_y = bottom + 12
    for i, e in enumerate(lanes):
        src, dst = places[e.source], places[e.target]
        lane_y += LINE * len(e.labels) + 10
        if e.source in lowest:
            out_x = bottom_x(e.source, i, "out")
            head = [(out_x, src.y + BOX_H)]
        else:
            right_used[src.col + 1] += 1
            out_x = col_x[src.col] + col_w[src.col] + CHANNEL * right_used[src.col + 1]
            y_out = src.y + BOX_H / 2 + min(right_used[src.col + 1], 3) * 4 - 6
            head = [(src.x + src.w, y_out), (out_x, y_out)]
        if e.target in lowest:
            in_x = bottom_x(e.target, i, "in")
            tail = [(in_x, dst.y + BOX_H)]
        else:
            left_used[dst.col] += 1
            in_x = col_x[dst.col] - CHANNEL * left_used[dst.col]
            y_in = dst.y + BOX_H / 2 + min(left_used[dst.col], 3) * 4 - 6
            tail = [(in_x, y_in), (dst.x, y_in)]
        c.polyline([*head, (out_x, lane_y), (in_x, lane_y), *tail], arrow=True,
                   stroke="#555555")
        for j, lbl in enumerate(reversed(e.labels)):
            labels.append((min(out_x, in_x) + 6, lane_y - 5 - LINE * j, lbl, "start"))
    for lx, ly, lbl, anchor in labels:
        c.text(lx, ly, lbl, anchor=anchor, halo=True)

    for st, q in places.items():  # the states, over the lines
        final = st in role.final
        c.rect(q.x, q.y, q.w, BOX_H, fill="#e8eef7", stroke="#34495e", rx=6,
               stroke_width=1.5)
        if final:
            c.rect(q.x + 3, q.y + 3, q.w - 6, BOX_H - 6, fill="none", stroke="#34495e", rx=4)
        c.text(q.x + q.w / 2, q.y + 20, st, anchor="middle", weight="bold")
        if st == role.initial:
            c.circle(q.x - 30, q.y + BOX_H / 2, 6)
            c.line(q.x - 24, q.y + BOX_H / 2, q.x, q.y + BOX_H / 2, arrow=True)
        elif st in role.resumes:
            c.circle(q.x + q.w / 2, q.y - 22, 6, fill="#ffffff", stroke="#333333")
            c.circle(q.x + q.w / 2, q.y - 22, 3.5, fill="#333333")
            c.line(q.x + q.w / 2, q.y - 16, q.x + q.w / 2, q.y, arrow=True)
    y = max(lane_y, bottom) + 14
    for s in steps:
        if s.number in marks:
            assert s.when is not None
            c.text(PAD, y + FONT_SIZE, f"[{marks[s.number]}] step {s.number} is taken when "
                   f"{s.when.to_text()}")
            y += LINE
    c.text(PAD, y + SMALL + 2, f"role {role_name} of model {p.name}; double border: final "
           "state; dot with a ring: a state a run may also start in", size=SMALL,
           fill="#555555")
    return c.svg()


def description(p: Procedure, role_name: str, marks: dict[str, str] | None = None) -> str:
    role = p.role(role_name)
    out = [f"State diagram of {role_name} in {p.title}: states "
           f"{', '.join(p.states(role_name))}; initial {role.initial}; final "
           f"{', '.join(role.final)}."]
    out += [f"A run may also start in {st} ({why})." for st, why in role.resumes.items()]
    for s in p.steps_of(role_name):
        when = f" when {s.when.to_text()}" if s.when is not None else ""
        out.append(f"{s.source} to {s.target}: step {s.number} "
                   f"{'sends' if s.action == 'send' else 'receives'} {s.message}{when}.")
    return " ".join(out)


def caption(p: Procedure, role_name: str) -> str:
    return (f"States of the {role_name} in {p.title}, drawn from the model {p.name}: each "
            "transition is a step, with its number and the message it sends or receives.")


def markdown(p: Procedure, role_name: str) -> str:
    """The diagram as a page shows it (inline SVG with its caption)."""
    return embed(figure(p, role_name), caption(p, role_name))
