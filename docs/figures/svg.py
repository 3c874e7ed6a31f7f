"""SVG drawing primitives shared by the figures, and the text-width estimate they are sized by.

A :class:`Canvas` collects shapes in user units (px) and writes one standalone SVG document
(``xml.etree``): a white background (readable in a dark theme), an arrowhead marker, a
``<title>`` and a ``<desc>`` holding the figure's text alternative (``role="img"``).  Text is
never measured by a browser here, so every layout sizes itself with :func:`text_width`, an upper
bound of the rendered width; the figure tests hold every ``<text>`` to it.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

#: Fonts the figures name, widest first: the estimate below bounds DejaVu Sans Bold, which is
#: wider than DejaVu Sans, Verdana and Arial at the same size.
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_SIZE = 13
SMALL = 11
LINE = 17  # baseline-to-baseline distance of FONT_SIZE text

#: Advance widths in hundredths of an em of DejaVu Sans Bold (its ``hmtx`` table, rounded up)
#: for printable ASCII, space (32) to tilde (126).
_ASCII = (35, 46, 53, 84, 70, 101, 88, 31, 46, 46, 53, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70,
          70, 70, 70, 70, 40, 40, 84, 84, 84, 59, 100, 78, 77, 74, 84, 69, 69, 83, 84, 38, 38, 78,
          64, 100, 84, 86, 74, 86, 78, 73, 69, 82, 78, 111, 78, 73, 73, 46, 37, 46, 84, 50, 50, 68,
          72, 60, 72, 68, 44, 72, 72, 35, 35, 67, 35, 105, 72, 69, 72, 72, 50, 60, 48, 72, 66, 93,
          65, 66, 59, 72, 37, 72, 84)
_OTHER = 112  # any other character: wider than every glyph above
MARGIN = 1.05  # on top of the table, for hinting and kerning differences between renderers


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An upper bound of the width in px of ``text`` set at ``size`` px in :data:`FONT`."""
    hundredths = sum(_ASCII[ord(ch) - 32] if 32 <= ord(ch) < 127 else _OTHER for ch in text)
    return hundredths / 100 * size * MARGIN


def text_extent(x: float, text: str, anchor: str, size: float) -> tuple[float, float]:
    """Left and right edge of ``text`` drawn at ``x`` with SVG ``text-anchor`` ``anchor``."""
    w = text_width(text, size)
    left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return left, left + w


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


@dataclass
class Canvas:
    """Shapes of one figure; :meth:`svg` writes them sized ``width`` x ``height``.

    ``ident`` prefixes every id of the document (the marker, title and description), so
    several figures can sit inline in one HTML page.
    """

    ident: str
    title: str
    description: str
    items: list[ET.Element] = field(default_factory=list)
    right: float = 0.0  # right edge of everything drawn so far
    bottom: float = 0.0

    def _extend(self, x: float, y: float) -> None:
        self.right, self.bottom = max(self.right, x), max(self.bottom, y)

    def _add(self, tag: str, **attrs: str) -> ET.Element:
        el = ET.Element(tag, {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()})
        self.items.append(el)
        return el

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str = "#ffffff",
             stroke: str = "#333333", dashed: bool = False, rx: float = 0,
             stroke_width: float = 1) -> None:
        attrs = {"x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h), "fill": fill,
                 "stroke": stroke, "stroke_width": _num(stroke_width)}
        if rx:
            attrs["rx"] = _num(rx)
        if dashed:
            attrs["stroke_dasharray"] = "5 3"
        self._add("rect", **attrs)
        self._extend(x + w, y + h)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, arrow: bool = False,
             dashed: bool = False, stroke: str = "#333333", width: float = 1) -> None:
        self.polyline([(x1, y1), (x2, y2)], arrow=arrow, dashed=dashed, stroke=stroke,
                      width=width)

    def polyline(self, points: list[tuple[float, float]], *, arrow: bool = False,
                 dashed: bool = False, stroke: str = "#333333", width: float = 1) -> None:
        """A line through ``points``; ``arrow``: an arrowhead at the last point."""
        attrs = {"points": " ".join(f"{_num(x)},{_num(y)}" for x, y in points), "fill": "none",
                 "stroke": stroke, "stroke_width": _num(width)}
        if dashed:
            attrs["stroke_dasharray"] = "6 4"
        if arrow:
            attrs["marker_end"] = f"url(#{self.ident}-arrow)"
        self._add("polyline", **attrs)
        for x, y in points:
            self._extend(x, y)

    def circle(self, cx: float, cy: float, r: float, *, fill: str = "#333333",
               stroke: str = "none") -> None:
        self._add("circle", cx=_num(cx), cy=_num(cy), r=_num(r), fill=fill, stroke=stroke)
        self._extend(cx + r, cy + r)

    def text(self, x: float, y: float, text: str, *, anchor: str = "start",
             size: float = FONT_SIZE, weight: str = "normal", italic: bool = False,
             fill: str = "#111111", halo: bool = False) -> float:
        """``text`` with its baseline at ``y``; returns its right edge (by :func:`text_width`).
        ``halo``: a white box under the text, so a line behind it does not cross it."""
        attrs = {"x": _num(x), "y": _num(y), "font_size": _num(size)}
        if anchor != "start":
            attrs["text_anchor"] = anchor
        if weight != "normal":
            attrs["font_weight"] = weight
        if italic:
            attrs["font_style"] = "italic"
        if fill != "#111111":
            attrs["fill"] = fill
        left, right = text_extent(x, text, anchor, size)
        if halo:
            self._add("rect", x=_num(left - 2), y=_num(y - size), width=_num(right - left + 4),
                      height=_num(size * 1.3), fill="#ffffff", fill_opacity="0.9")
        self._add("text", **attrs).text = text
        if left < 0:
            raise ValueError(f"{self.ident}: text {text!r} starts left of the figure ({left:.0f})")
        self._extend(right, y + size * 0.3)
        return right

    def svg(self, pad: float = 12) -> str:
        """The standalone SVG document, sized to everything drawn plus ``pad``."""
        width, height = self.right + pad, self.bottom + pad
        root = ET.Element("svg", {
            "xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
            "width": _num(width), "height": _num(height),
            "viewBox": f"0 0 {_num(width)} {_num(height)}", "role": "img",
            "aria-labelledby": f"{self.ident}-title {self.ident}-desc",
            "font-family": FONT, "font-size": str(FONT_SIZE), "class": "mckm-svg"})
        ET.SubElement(root, "title", id=f"{self.ident}-title").text = self.title
        ET.SubElement(root, "desc", id=f"{self.ident}-desc").text = self.description
        defs = ET.SubElement(root, "defs")
        marker = ET.SubElement(defs, "marker", {
            "id": f"{self.ident}-arrow", "viewBox": "0 0 10 10", "refX": "10", "refY": "5",
            "markerWidth": "9", "markerHeight": "9", "markerUnits": "userSpaceOnUse",
            "orient": "auto"})
        ET.SubElement(marker, "path", d="M0,0 L10,5 L0,10 z", fill="#333333")
        ET.SubElement(root, "rect", x="0", y="0", width=_num(width), height=_num(height),
                      fill="#ffffff")
        root.extend(self.items)
        ET.indent(root, space=" ")
        return ET.tostring(root, encoding="unicode")


def ident(*parts: str) -> str:
    """An XML id from ``parts`` (``seq-mikey-ticket-one-kms``)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-").lower()


def embed(svg: str, caption: str) -> str:
    """MyST markdown showing ``svg`` inline, in a box that scrolls sideways when the figure is
    wider than the column, with ``caption`` under it."""
    return ("```{raw} html\n<figure class=\"mckm-figure\"><div class=\"mckm-scroll\">\n"
            f"{svg}\n</div><figcaption>{html.escape(caption)}</figcaption></figure>\n```")
