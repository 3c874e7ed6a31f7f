"""The figures drawn from the models (``docs/figures``): each is well-formed SVG of a non-zero
size whose texts fit inside it (by the layouts' own width estimate), whose arrows all carry an
arrowhead and point the way the model says, and which shows every step, guard, state or field
of what it draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from mckm.models.grammar.dsl import StructSpec
from mckm.models.procedures.model import Procedure
from mckm.models.procedures.registry import PROCEDURES, by_name
from tests.docs.site import SPEC, bitlayout, sequence, splice, states, svg

text_extent, text_width = svg.text_extent, svg.text_width

NS = "{http://www.w3.org/2000/svg}"
ROLES = [(p, r.name) for p in PROCEDURES for r in p.roles]


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str
    size: float


@dataclass(frozen=True)
class Parsed:
    """What the tests read back from an SVG document."""

    root: ET.Element
    width: float
    height: float
    texts: list[Text]
    arrows: list[list[tuple[float, float]]]  # polylines with an arrowhead, in document order

    def strings(self) -> list[str]:
        return [t.text for t in self.texts]


def parse(svg: str) -> Parsed:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    texts = [Text(float(e.get("x", "0")), float(e.get("y", "0")), e.text or "",
                  e.get("text-anchor", "start"), float(e.get("font-size", root.get("font-size"))))
             for e in root.iter(f"{NS}text")]
    markers = {m.get("id") for m in root.iter(f"{NS}marker") if m.find(f"{NS}path") is not None}
    arrows = []
    for e in root.iter(f"{NS}polyline"):
        end = e.get("marker-end")
        if end is None:
            continue
        assert re.fullmatch(r"url\(#(.+)\)", end)[1] in markers, end  # type: ignore[index]
        arrows.append([tuple(map(float, p.split(","))) for p in e.get("points", "").split()])
    return Parsed(root, width, height, texts, arrows)  # type: ignore[arg-type]


def check_frame(p: Parsed) -> None:
    """Non-zero size, a title and a text alternative, every text inside the figure."""
    assert p.width > 0 and p.height > 0
    assert p.root.get("viewBox") == f"0 0 {p.root.get('width')} {p.root.get('height')}"
    assert p.root.get("role") == "img"
    title, desc = p.root.find(f"{NS}title"), p.root.find(f"{NS}desc")
    assert title is not None and title.text and desc is not None and desc.text
    for t in p.texts:
        left, right = text_extent(t.x, t.text, t.anchor, t.size)
        assert left >= 0 and right <= p.width, f"{t.text!r} spans {left:.0f}..{right:.0f} of " \
                                               f"{p.width:.0f}"
        assert t.size <= t.y <= p.height, f"{t.text!r} at y {t.y} of {p.height}"


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.name)
def test_sequence_diagram(procedure: Procedure) -> None:
    svg = parse(sequence.figure(procedure))
    check_frame(svg)
    lifeline = {t.text: t.x for t in svg.texts if t.text in {r.name for r in procedure.roles}}
    assert set(lifeline) == {r.name for r in procedure.roles}
    strings = svg.strings()
    sends = [s for s in procedure.steps if s.action == "send"]
    assert len(svg.arrows) == len(sends)
    for s, arrow in zip(sends, svg.arrows, strict=True):
        assert sequence.arrow_label(s) in strings, f"step {s.number}: label cut or missing"
        (x0, _), (x1, _) = arrow[0], arrow[-1]
        assert (x0, x1) == (lifeline[s.role], lifeline[s.peer]), f"step {s.number} direction"
        label = next(t for t in svg.texts if t.text == sequence.arrow_label(s))
        left, right = text_extent(label.x, label.text, label.anchor, label.size)
        assert min(x0, x1) <= left and right <= max(x0, x1), f"step {s.number}: label overhangs"
    for s in procedure.steps:
        shown = [t for t in strings if t.startswith(f"step {s.number}:")
                 or t == sequence.arrow_label(s)]
        assert shown, f"step {s.number} is not in the diagram"
        for g in s.guards:
            assert f"\u2022 {g.name} ({g.requirement})" in strings, (s.number, g.name)
        if s.when is not None:
            assert f"[{s.when.to_text()}]" in strings
    if any(s.when is not None for s in procedure.steps):
        assert "alt" in strings


def test_branches_are_alternatives_of_one_frame() -> None:
    p = by_name("mikey-ticket-one-kms")
    grouped = [[s.number for s in g] for g in sequence.groups(p.steps) if len(g) > 1]
    assert grouped == [["1r", "1"]]
    strings = parse(sequence.figure(p)).strings()
    assert strings.count("alt") == 1 and "[otherwise]" in strings


@pytest.mark.parametrize("procedure,role", ROLES, ids=lambda x: getattr(x, "name", x))
def test_state_diagram(procedure: Procedure, role: str) -> None:
    svg = parse(states.figure(procedure, role))
    check_frame(svg)
    strings = svg.strings()
    assert set(procedure.states(role)) <= set(strings)
    steps = procedure.steps_of(role)
    for s in steps:
        assert any(t.startswith(states.transition_label(s)) for t in strings), s.number
    edges = {(s.source, s.target) for s in steps}
    marks = 1 + sum(1 for st in procedure.states(role) if st in procedure.role(role).resumes)
    assert len(svg.arrows) == len(edges) + marks


def test_state_layers_follow_the_steps() -> None:
    p = by_name("mikey-ticket-one-kms")
    role = p.role("responder")
    col = states.layers(role, p.states("responder"), p.steps_of("responder"))
    assert col == {"idle": 0, "resolving": 1, "waiting": 2, "resolved": 3, "answered": 4}
    cek = by_name("cek-management")  # done -> asked closes a cycle: set aside, not a layer
    col = states.layers(cek.role("client"), cek.states("client"), cek.steps_of("client"))
    assert col["idle"] < col["asked"] < col["done"] < col["leaving"] < col["left"]


@pytest.mark.parametrize("spec", bitlayout.structures(), ids=lambda s: bitlayout.slug(s.name))
def test_bit_layout(spec: StructSpec) -> None:
    svg = parse(bitlayout.figure(spec))
    check_frame(svg)
    strings = " ".join(svg.strings())
    boxes = bitlayout.boxes(spec)
    for info in spec.infos:
        mine = [b for b in boxes if b.field is info]
        assert mine and info.name in strings
        if info.bits.isdigit():
            assert sum(b.bits * b.rows for b in mine) == int(info.bits), info.name
        else:
            assert [b.variable for b in mine] == [True]
    rects = [(float(e.get("x", "0")), float(e.get("y", "0")), float(e.get("width", "0")),
              float(e.get("height", "0"))) for e in svg.root.iter(f"{NS}rect")
             if e.get("x") != "0"]
    for t in svg.texts:
        if t.anchor != "middle" or t.size > t.y - bitlayout.TOP:
            continue  # a bit number, above the rows
        x, _, w, _ = next(r for r in rects if r[0] <= t.x <= r[0] + r[2] and
                          r[1] <= t.y <= r[1] + r[3])
        left, right = text_extent(t.x, t.text, t.anchor, t.size)
        assert x <= left and right <= x + w, f"{t.text!r} overflows its bits"
    cells = {(b.row + r, bit) for b in boxes for r in range(b.rows)
             for bit in range(b.start, b.start + b.bits)}
    assert len(cells) == sum(b.bits * b.rows for b in boxes), "two boxes share a bit"
    solid = [e for e in svg.root.iter(f"{NS}rect") if e.get("stroke-dasharray") is None
             and e.get("fill") == "#ffffff" and e.get("x") != "0"]
    assert sorted(float(e.get("width", "0")) for e in solid) == sorted(
        float(b.bits * bitlayout.BIT) for b in boxes if not b.variable)


def test_hdr_is_drawn_as_rfc_3830_draws_it() -> None:
    hdr = bitlayout.by_name("HDR")
    rows = [[(b.field.name, b.bits) for b in bitlayout.boxes(hdr) if b.row == r] for r in range(3)]
    assert rows == [[("version", 8), ("data_type", 8), ("next_payload", 8), ("v", 1),
                     ("prf_func", 7)], [("csb_id", 32)],
                    [("n_cs", 8), ("cs_id_map_type", 8), ("cs_id_map_info", 16)]]


def test_every_payload_has_its_figure_on_the_codec_page() -> None:
    page = splice.expand((SPEC / "mikey-codec.md").read_text(encoding="utf-8"), "mikey-codec")
    titles = re.findall(r"<title id=\"bits-[^\"]*-title\">Bit layout: ([^<]+) \(", page)
    assert sorted(titles) == sorted(s.name for s in bitlayout.structures())


def figures_of(text: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", text, re.DOTALL)


def test_spec_pages_show_a_sequence_diagram_beside_each_step_table() -> None:
    for page in sorted(Path(SPEC).glob("*.md")):
        found = splice.directives(page.read_text(encoding="utf-8"))
        steps = [d.args for d in found if d.name == "mckm-steps"]
        sequences = [d.args for d in found if d.name == "mckm-sequence"]
        assert steps == sequences, page.name


def test_model_pages_draw_their_sequence_and_states() -> None:
    from mckm.proofs.docs import procedure_page

    for p in PROCEDURES:
        page = splice.expand(procedure_page(p), p.name)
        assert "```text" not in page and "{mckm-" not in page
        assert len(figures_of(page)) == 1 + len(p.roles)
        for figure in figures_of(page):
            check_frame(parse(figure))


@pytest.mark.parametrize("page,message", [
    ("```{mckm-sequence} no-such-procedure\n```\n", "no procedure model 'no-such-procedure'"),
    ("```{mckm-sequence} seal-key-distribution skm-s-provisioning\n```\n", "one procedure"),
    ("```{mckm-states}\n```\n", "takes a procedure"),
    ("```{mckm-states} seal-key-distribution kms\n```\n", "no role 'kms'"),
    ("```{mckm-bitlayout} KEMACC\n```\n", "no payload grammar 'KEMACC'"),
])
def test_a_wrong_figure_directive_names_the_page(page: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^spec/x\.md: ") as info:
        splice.expand(page, "spec/x.md")
    assert message in str(info.value)


def test_a_figure_is_raw_html_with_its_caption() -> None:
    out = splice.expand("```{mckm-bitlayout} SIGN\n```\n", "test.md")
    assert out.startswith("```{raw} html\n<figure class=\"mckm-figure\">")
    assert out.rstrip().endswith("</figcaption></figure>\n```")
    assert len(figures_of(out)) == 1


FONTS = Path("/usr/share/fonts/truetype/dejavu")


@pytest.mark.parametrize("font", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_the_width_estimate_bounds_the_font(font: str) -> None:
    """The estimate is an upper bound of the real advance widths (where the font is here)."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    if not (FONTS / font).exists():
        pytest.skip(f"{font} is not installed")
    face = ttlib.TTFont(str(FONTS / font))
    cmap, hmtx, upm = face.getBestCmap(), face["hmtx"], face["head"].unitsPerEm
    samples = [chr(i) for i in range(32, 127)] + ["RESOLVE_INIT_ZK", "\u2022 mmmm \u2192 WWW"]
    for s in samples:
        real = sum(hmtx[cmap[ord(ch)]][0] for ch in s) / upm * 13
        assert text_width(s) >= real, s


def test_sphinx_shows_the_figures_inline_with_the_site_theme(tmp_path: Path) -> None:
    """One figure of each kind through Sphinx (MyST, furo, warnings are errors): the HTML holds
    the SVG itself and its caption, so no image file or script is needed to see it."""
    from sphinx.cmd.build import build_main

    page = ("# Figures\n\n```{mckm-sequence} seal-key-distribution\n```\n\n"
            "```{mckm-states} seal-key-distribution receiver\n```\n\n"
            "```{mckm-bitlayout} HDR\n```\n")
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser"]\nhtml_theme = "furo"\nexclude_patterns = ["_build"]\n',
        encoding="utf-8")
    (tmp_path / "index.md").write_text(splice.expand(page, "index.md"), encoding="utf-8")
    out = tmp_path / "_build"
    assert build_main(["-q", "-W", "-b", "html", str(tmp_path), str(out)]) == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]* role="img"', html)
    assert len(shown) == 3
    assert html.count("<figcaption>") == 3 and "<img" not in html.split("<article")[1]
