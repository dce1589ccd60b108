"""Charts as server-rendered SVG, each with the same figures as a table (issue #15, "Look
rather than read").

A tiny builder over :mod:`xml.etree.ElementTree`, so every chart is well-formed XML by
construction and every label is escaped. Nothing is fetched from outside and no script is
needed to see a chart. Accessibility (WCAG 2.2 SC 1.1.1 non-text content; the WAI-ARIA
``img`` role for SVG): the ``<svg>`` is ``role="img"`` and named by its ``<title>`` and
``<desc>`` (``aria-labelledby``), the description states the figures in words, each mark
carries its own ``<title>`` (a tooltip naming its category and value), and each chart comes
with a :class:`Table` of exactly the figures it draws, for screen readers and for copying.

Colours are presentation attributes (``fill``), not ``style`` attributes, so a
Content-Security-Policy without ``'unsafe-inline'`` styles still draws them; the palette is
Okabe and Ito's, distinguishable under the common colour-vision deficiencies.

Geometry is computed in floats (pixels are not money); the values shown in labels and
tables are the callers' own strings, formatted from their Decimals.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000")
INK = "#1b2430"
GRID = "#d8dde4"
FONT = "system-ui, sans-serif"

Number = Decimal | int


@dataclass(frozen=True)
class Table:
    """The figures a chart draws, as rows of display strings (``numeric``: right-aligned)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class Chart:
    """One chart: its id (unique on the page), title, the description in words, the SVG
    markup, and the table view of the same figures."""

    key: str
    title: str
    description: str
    svg: str
    table: Table


@dataclass(frozen=True)
class Series:
    """One stacked layer of a column chart: its name and a value per category."""

    name: str
    values: tuple[Number, ...]


def nice_ceiling(value: float) -> tuple[float, float]:
    """The axis maximum and tick step for data up to ``value``: the step is 1, 2 or 5 times a
    power of ten, two to five steps to the top (about four)."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.ceil(value / step - 1e-9) * step, step


def _svg(key: str, title: str, description: str, width: int, height: int) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{key}-title {key}-desc",
            "class": "chart",
            "font-family": FONT,
            "font-size": "12",
        },
    )
    ET.SubElement(root, "title", {"id": f"{key}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{key}-desc"}).text = description
    return root


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, "text", {"x": _f(x), "y": _f(y), "fill": INK, **attrs})
    el.text = text
    return el


def _rect(parent: ET.Element, x: float, y: float, w: float, h: float, fill: str, tip: str) -> None:
    el = ET.SubElement(
        parent,
        "rect",
        {"x": _f(x), "y": _f(y), "width": _f(max(w, 0.0)), "height": _f(max(h, 0.0)), "fill": fill},
    )
    ET.SubElement(el, "title").text = tip


def _f(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _done(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


def _legend_layout(names: Sequence[str], width: float) -> tuple[list[tuple[float, int]], int]:
    """Each name's x offset and row, wrapped to ``width`` (about 6.5 px a character)."""
    placed: list[tuple[float, int]] = []
    cx, row = 0.0, 0
    for name in names:
        w = 16 + 6.5 * len(name)
        if cx + w > width and cx > 0:
            cx, row = 0.0, row + 1
        placed.append((cx, row))
        cx += w + 14
    return placed, row + 1 if names else 0


def _legend(
    parent: ET.Element, names: Sequence[str], placed: list[tuple[float, int]], x: float, y: float
) -> None:
    group = ET.SubElement(parent, "g", {"class": "legend"})
    for i, (name, (dx, row)) in enumerate(zip(names, placed, strict=True)):
        cy = y + 18 * row
        swatch = {"x": _f(x + dx), "y": _f(cy - 10), "width": "12", "height": "12", "fill": PALETTE[i % 8]}
        ET.SubElement(group, "rect", swatch)
        _text(group, x + dx + 16, cy, name)


def stacked_columns(
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[Number], str],
    table: Table,
    width: int = 800,
    height: int = 280,
) -> Chart:
    """Columns per category, stacked by series, each column labelled with its total."""
    left, right, top = 64.0, 12.0, 16.0
    names = [s.name for s in series]
    placed, rows = _legend_layout(names, width - left - right)
    height += 18 * rows
    root = _svg(key, title, description, width, height)
    bottom = 30.0 + 18 * rows
    legend_y = height - 18.0 * rows + 6
    plot_h = height - top - bottom
    totals = [sum((Decimal(s.values[i]) for s in series), Decimal(0)) for i in range(len(categories))]
    top_value, step = nice_ceiling(float(max(totals, default=Decimal(0))))
    _axis(root, left, top, width - left - right, plot_h, top_value, step, fmt)
    slot = (width - left - right) / max(len(categories), 1)
    bar = min(slot * 0.7, 56)
    for i, cat in enumerate(categories):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for j, s in enumerate(series):
            v = s.values[i]
            h = plot_h * float(v) / top_value
            if v:
                _rect(root, x, y - h, bar, h, PALETTE[j % 8], f"{cat}, {s.name}: {fmt(v)}")
            y -= h
        _text(root, x + bar / 2, y - 4, fmt(totals[i]), **{"text-anchor": "middle", "font-size": "10"})
        _text(root, x + bar / 2, top + plot_h + 16, cat, **{"text-anchor": "middle"})
    _legend(root, names, placed, left, legend_y)
    return Chart(key, title, description, _done(root), table)


def _axis(
    root: ET.Element,
    left: float,
    top: float,
    plot_w: float,
    plot_h: float,
    top_value: float,
    step: float,
    fmt: Callable[[Number], str],
) -> None:
    grid = ET.SubElement(root, "g", {"aria-hidden": "true"})
    ticks = round(top_value / step)
    for t in range(ticks + 1):
        v = step * t
        y = top + plot_h - plot_h * v / top_value
        ET.SubElement(
            grid, "line", {"x1": _f(left), "x2": _f(left + plot_w), "y1": _f(y), "y2": _f(y), "stroke": GRID}
        )
        _text(
            grid, left - 6, y + 4, fmt(Decimal(str(round(v, 6)))), **{"text-anchor": "end", "font-size": "10"}
        )


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, value, the value as shown, and an optional marker
    (a second figure drawn as a tick on the bar, e.g. the median or a target)."""

    label: str
    value: Number
    shown: str
    marker: Number | None = None
    marker_label: str = ""


def horizontal_bars(
    *,
    key: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    table: Table,
    maximum: Number | None = None,
    width: int = 800,
) -> Chart:
    """One bar per row, label on the left, value at the bar's end; ``maximum`` fixes the scale
    (1 for shares), else the largest value or marker sets it."""
    label_w, right, row = 250.0, 120.0, 26.0
    height = int(16 + row * max(len(bars), 1) + 8)
    root = _svg(key, title, description, width, height)
    biggest = max([float(b.value) for b in bars] + [float(b.marker or 0) for b in bars], default=0.0)
    scale_max = float(maximum) if maximum is not None else (biggest or 1.0)
    plot_w = width - label_w - right
    for i, b in enumerate(bars):
        y = 12 + row * i
        _text(root, label_w - 8, y + 13, _clip(b.label, 36), **{"text-anchor": "end"})
        w = plot_w * float(b.value) / scale_max
        _rect(root, label_w, y, w, 18, PALETTE[0], f"{b.label}: {b.shown}")
        _text(root, label_w + w + 6, y + 13, b.shown)
        if b.marker is not None:
            mx = label_w + plot_w * float(b.marker) / scale_max
            tick = ET.SubElement(
                root,
                "line",
                {
                    "x1": _f(mx),
                    "x2": _f(mx),
                    "y1": _f(y - 3),
                    "y2": _f(y + 21),
                    "stroke": PALETTE[5],
                    "stroke-width": "3",
                },
            )
            ET.SubElement(tick, "title").text = f"{b.label}: {b.marker_label}"
    return Chart(key, title, description, _done(root), table)


def line_chart(
    *,
    key: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, Number]],
    fmt: Callable[[Number], str],
    table: Table,
    maximum: Number | None = None,
    width: int = 800,
    height: int = 260,
) -> Chart:
    """One series over time: a polyline with a labelled dot per point."""
    root = _svg(key, title, description, width, height)
    left, right, top, bottom = 64.0, 24.0, 16.0, 36.0
    plot_w, plot_h = width - left - right, height - top - bottom
    biggest = max((float(v) for _, v in points), default=0.0)
    top_value, step = nice_ceiling(float(maximum) if maximum is not None else biggest)
    _axis(root, left, top, plot_w, plot_h, top_value, step, fmt)
    gap = plot_w / max(len(points) - 1, 1)
    xy = [(left + gap * i, top + plot_h - plot_h * float(v) / top_value) for i, (_, v) in enumerate(points)]
    if len(xy) > 1:
        ET.SubElement(
            root,
            "polyline",
            {
                "points": " ".join(f"{_f(x)},{_f(y)}" for x, y in xy),
                "fill": "none",
                "stroke": PALETTE[0],
                "stroke-width": "2",
            },
        )
    every = max(1, math.ceil(len(points) / 8))  # at most eight axis labels
    for i, ((label, v), (x, y)) in enumerate(zip(points, xy, strict=True)):
        dot = ET.SubElement(root, "circle", {"cx": _f(x), "cy": _f(y), "r": "4", "fill": PALETTE[0]})
        ET.SubElement(dot, "title").text = f"{label}: {fmt(v)}"
        if i % every == 0 or i == len(points) - 1:
            anchor = (
                "end" if i == len(points) - 1 and i else "start" if i == 0 and len(points) > 1 else "middle"
            )
            _text(root, x, top + plot_h + 16, label, **{"text-anchor": anchor, "font-size": "10"})
    return Chart(key, title, description, _done(root), table)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
