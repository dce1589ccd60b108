"""The SVG builder (reports/charts.py) and the figures' pure helpers (reports/figures.py):
valid XML, accessible names, the values drawn and their table, the axis scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from secassist.reports.charts import (
    Bar,
    Chart,
    Series,
    Table,
    horizontal_bars,
    line_chart,
    nice_ceiling,
    stacked_columns,
)
from secassist.reports.figures import percent, quarter_ends, usd

NS = "{http://www.w3.org/2000/svg}"
ASIA = "Asia & <Pacific>"  # escaped in the SVG, read back as written


def parse(chart: Chart) -> ET.Element:
    root = ET.fromstring(chart.svg)  # noqa: S314 -- the builder's own output
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart.key}-title {chart.key}-desc"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None
    assert title.get("id") == f"{chart.key}-title"
    assert title.text == chart.title
    assert desc is not None
    assert desc.text == chart.description
    assert "style=" not in chart.svg  # colours are presentation attributes (CSP: no inline style)
    return root


def tips(root: ET.Element) -> list[str]:
    """The tooltip of every mark (a <title> inside a rect, line or circle)."""
    return [t.text or "" for el in root.iter() if el.tag != f"{NS}svg" for t in el.findall(f"{NS}title")]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def _table(rows: list[tuple[str, ...]]) -> Table:
    return Table("caption", ("a", "b", "c"), tuple(rows), (False, False, True))


def test_stacked_columns_draw_each_value_and_label_each_total() -> None:
    series = [Series("Europe", (Decimal(100), Decimal(0))), Series(ASIA, (Decimal(50), Decimal(25)))]
    rows = [("FY2024", "Europe", "100"), ("FY2024", ASIA, "50"), ("FY2025", ASIA, "25")]
    chart = stacked_columns(
        key="c1",
        title="Funds & more",
        description="Totals: 150 and 25.",
        categories=["FY2024", "FY2025"],
        series=series,
        fmt=lambda v: str(v),
        table=_table(rows),
    )
    root = parse(chart)
    # One mark per non-zero value, each naming its category, series and value.
    assert tips(root) == ["FY2024, Europe: 100", f"FY2024, {ASIA}: 50", f"FY2025, {ASIA}: 25"]
    labels = texts(root)
    assert {"150", "25", "FY2024", "FY2025", "Europe", ASIA} <= set(labels)
    # The table holds exactly the values drawn.
    drawn = {t.split(": ")[1] for t in tips(root)}
    assert drawn == {r[2] for r in chart.table.rows}
    # Heights are proportional: Europe's 100 is twice Asia's 50 in the same column.
    heights = {}
    for rect in root.iter(f"{NS}rect"):
        tip = rect.find(f"{NS}title")
        if tip is not None:
            heights[tip.text] = float(rect.get("height", "0"))
    assert heights["FY2024, Europe: 100"] == pytest.approx(2 * heights[f"FY2024, {ASIA}: 50"], rel=0.02)


def test_horizontal_bars_scale_to_the_maximum_and_mark_the_target() -> None:
    chart = horizontal_bars(
        key="c2",
        title="Shares",
        description="Half met against a target of 80%.",
        bars=[Bar("On time", Decimal("0.5"), "50%", Decimal("0.8"), "target 80%"), Bar("Late", 0, "0%")],
        table=_table([("On time", "1", "50%"), ("Late", "0", "0%")]),
        maximum=1,
    )
    root = parse(chart)
    rects = [r for r in root.iter(f"{NS}rect")]
    assert [float(r.get("width", "0")) for r in rects][1] == 0  # a zero value draws no length
    assert "On time: target 80%" in tips(root)
    assert {"50%", "0%", "On time", "Late"} <= set(texts(root))
    # The bar reaches half the plot; the target tick sits at 80% of it.
    tick = next(root.iter(f"{NS}line"))
    x0 = float(rects[0].get("x", "0"))
    width = float(rects[0].get("width", "0"))
    assert float(tick.get("x1", "0")) - x0 == pytest.approx(width / 0.5 * 0.8, rel=0.01)


def test_a_line_chart_has_a_dot_per_point() -> None:
    points = [("2025-03-31", Decimal("0")), ("2025-06-30", Decimal("0.25")), ("2025-09-30", Decimal("0.1"))]
    chart = line_chart(
        key="c3",
        title="Delinquency",
        description="From 0% to 10%.",
        points=points,
        fmt=percent,
        table=_table([(d, "x", percent(v)) for d, v in points]),
    )
    root = parse(chart)
    assert tips(root) == ["2025-03-31: 0%", "2025-06-30: 25%", "2025-09-30: 10%"]
    poly = next(root.iter(f"{NS}polyline"))
    assert len(poly.get("points", "").split()) == 3


def test_an_empty_chart_is_still_valid() -> None:
    chart = stacked_columns(
        key="c4", title="None", description="Nothing.", categories=[], series=[], fmt=str, table=_table([])
    )
    parse(chart)


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [(0, 1.0, 0.25), (9.8e9, 1e10, 5e9), (4, 4, 1), (21, 30, 10), (0.21, 0.3, 0.1)],
)
def test_axis_tops_are_round(value: float, top: float, step: float) -> None:
    got_top, got_step = nice_ceiling(value)
    assert got_top >= value
    assert got_top == pytest.approx(top)
    assert got_step == pytest.approx(step)


def test_money_and_quarters() -> None:
    assert usd(Decimal("9800000000")) == "$9.8B"
    assert usd(Decimal("40000000")) == "$40M"
    assert usd(Decimal("2500")) == "$2.5K"
    assert usd(Decimal("800")) == "$800"
    assert quarter_ends(date(2026, 12, 7), 3) == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 7),
    ]
    assert quarter_ends(date(2026, 1, 1), 1) == [date(2025, 12, 31), date(2026, 1, 1)]
