"""The figures behind the charts (issue #15, "Look rather than read"), each read through
the domain's own scoped query with the reader, so a partner's charts hold only its
country's figures, congressional staff see only formally notified notifications, and a
chart is built only when the reader's role holds the permission its records need
(:data:`NEEDS`).

* **Funds** by program × fiscal year × region: the program ledger's allocations to
  countries summed by region (:func:`secassist.programs.oversight.totals`, domain.md §9).
* **Case pipeline**: the mean days a case spends in each phase before closure, and the
  shares offered by the Anticipated Offer Date and within 120 days of the LOR
  (SAMM C5.4.2; :func:`secassist.cases.metrics.case_metrics`).
* **Notifications** per calendar year of formal notification and purchaser country
  (AECA §36(b)).
* **EEUM delinquency** over time: the share of the EEUM-designated value held whose
  inventory was overdue, at each quarter's end (SAMM C8.4;
  :func:`secassist.equipment.monitoring.delinquency`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.cases.lifecycle import MAIN_LINE, Status
from secassist.cases.metrics import case_metrics
from secassist.core.errors import UnknownCodeError
from secassist.equipment import monitoring
from secassist.identity.policy import Principal
from secassist.notification import queries as notification_queries
from secassist.programs import oversight
from secassist.programs.catalog import catalog
from secassist.reference.service import get_reference
from secassist.reports.charts import Bar, Chart, Series, Table, horizontal_bars, line_chart, stacked_columns

# The permission each group of charts needs (a role without it gets no such charts).
NEEDS: dict[str, str] = {
    "funds": "program:read",
    "pipeline": "case:read",
    "notifications": "notification:read",
    "eeum": "equipment:read",
}
TOP_COUNTRIES = 6  # notification columns stack the most frequent purchasers, then "Other"
QUARTERS = 12  # EEUM delinquency: the last twelve quarter ends, then today
# Phases a case waits in on its way to the offer and through execution (not the end states).
PIPELINE = tuple(s for s in MAIN_LINE if s is not Status.closed)


def usd(value: Decimal | int) -> str:
    """Money in a chart label: $1.2B, $340M, $12K, $800."""
    v = Decimal(value)
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K")):
        if abs(v) >= size:
            scaled = v / size
            return f"${scaled:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${v:,.0f}"


def money(value: Decimal) -> str:
    """Money in a table cell, to the cent."""
    return f"${value:,.2f}"


def percent(share: Decimal | int) -> str:
    return f"{Decimal(share) * 100:.0f}%"


def available(permissions: frozenset[str]) -> list[str]:
    """The chart groups a role may see, in page order."""
    return [group for group, needs in NEEDS.items() if needs in permissions]


def funds(session: Session, *, actor: Principal, as_of: date) -> list[Chart]:
    """One chart per program: allocations by fiscal year, stacked by region."""
    ref = get_reference()
    regions = ref.regions()
    names = {p.code: p.name for p in catalog().programs}
    rows = [r for r in oversight.totals(session, actor=actor, as_of=as_of) if r.level == "country"]
    by_program: dict[str, dict[tuple[int, str], list[Decimal]]] = defaultdict(dict)
    for r in rows:
        cell = by_program[r.program].setdefault((r.fiscal_year, r.region or ""), [Decimal(0)] * 3)
        for i, v in enumerate((r.allocated, r.obligated, r.expended)):
            cell[i] += v
    charts = []
    for program, cells in sorted(by_program.items()):
        years = sorted({fy for fy, _ in cells})
        used = sorted({reg for _, reg in cells})
        label = {reg: regions.get(reg, reg or "No region") for reg in used}
        series = [
            Series(label[reg], tuple(cells.get((fy, reg), [Decimal(0)])[0] for fy in years)) for reg in used
        ]
        total = sum((c[0] for c in cells.values()), Decimal(0))
        name = names.get(program, program)
        table = Table(
            caption=f"{name}: allocated, obligated and expended by fiscal year and region",
            columns=("Fiscal year", "Region", "Allocated", "Obligated", "Expended"),
            rows=tuple(
                (f"FY{fy}", label[reg], money(a), money(o), money(e))
                for (fy, reg), (a, o, e) in sorted(cells.items())
            ),
            numeric=(False, False, True, True, True),
        )
        description = (
            f"{name} allocations as of {as_of.isoformat()}, {usd(total)} in all over "
            f"{len(years)} fiscal year(s) (FY{years[0]}–FY{years[-1]}), by region: "
            + "; ".join(f"{s.name} {usd(sum(s.values, Decimal(0)))}" for s in series)
            + "."
        )
        charts.append(
            stacked_columns(
                key=f"chart-funds-{program.lower()}",
                title=f"{name} ({program}): allocations by fiscal year and region",
                description=description,
                categories=[f"FY{fy}" for fy in years],
                series=series,
                fmt=usd,
                table=table,
            )
        )
    return charts


def pipeline(session: Session, *, actor: Principal, as_of: date) -> list[Chart]:
    """Mean dwell per phase (median as a marker), and the offer-timeliness shares."""
    m = case_metrics(session, actor=actor, as_of=as_of)
    if not m.cases:
        return []
    phases = {s.value for s in PIPELINE}
    dwell = [d for d in m.dwell if d.status in phases]
    bars = [
        Bar(
            d.label, d.mean_days, f"{d.mean_days:.0f} days", d.median_days, f"median {d.median_days:.0f} days"
        )
        for d in dwell
    ]
    dwell_table = Table(
        caption="Days in each phase",
        columns=("Phase", "Cases", "Mean days", "Median days", "Longest"),
        rows=tuple(
            (d.label, str(d.cases), f"{d.mean_days:.1f}", f"{d.median_days:.1f}", str(d.max_days))
            for d in dwell
        ),
        numeric=(False, True, True, True, True),
    )
    longest = max(dwell, key=lambda d: d.mean_days, default=None)
    dwell_desc = (
        f"Mean days spent in each phase by the {m.cases} case(s) as of {as_of.isoformat()}, "
        "the median marked on each bar"
        + (
            f"; the longest is {longest.label} at {longest.mean_days:.0f} days on average."
            if longest
            else "."
        )
    )
    shares = [
        ("By the Anticipated Offer Date", m.aod.share, m.aod.met, m.aod.due, m.aod.target),
        (
            "Within 120 days of the LOR",
            m.within_120.share,
            m.within_120.met,
            m.within_120.due,
            m.within_120.target,
        ),
    ]
    share_bars = [
        Bar(
            label,
            share or Decimal(0),
            f"{percent(share)} ({met} of {due})" if share is not None else "none due",
            target,
            f"target {percent(target)}",
        )
        for label, share, met, due, target in shares
    ]
    share_table = Table(
        caption="Offers made on time",
        columns=("Measure", "Met", "Due", "Share", "Target"),
        rows=tuple(
            (label, str(met), str(due), percent(share) if share is not None else "—", percent(target))
            for label, share, met, due, target in shares
        ),
        numeric=(False, True, True, True, True),
    )
    share_desc = "; ".join(
        f"{label}: {percent(share)} ({met} of {due}), target {percent(target)}"
        if share is not None
        else f"{label}: none due yet"
        for label, share, met, due, target in shares
    )
    return [
        horizontal_bars(
            key="chart-dwell",
            title="Case pipeline: days in each phase",
            description=dwell_desc,
            bars=bars,
            table=dwell_table,
        ),
        horizontal_bars(
            key="chart-offer-share",
            title="Case pipeline: share of offers made on time",
            description=share_desc + ".",
            bars=share_bars,
            table=share_table,
            maximum=1,
        ),
    ]


def _country(code: str) -> str:
    if not code:
        return "No country"
    try:
        return get_reference().country(code).name
    except UnknownCodeError:
        try:
            return get_reference().body(code).name
        except UnknownCodeError:
            return code


def notifications(session: Session, *, actor: Principal) -> list[Chart]:
    """Formal notifications per year, stacked by the most frequent purchasers."""
    counts = notification_queries.formal_counts(session, actor=actor)
    if not counts:
        return []
    by_country: dict[str, int] = defaultdict(int)
    for _, cc, n in counts:
        by_country[cc] += n
    top = sorted(by_country, key=lambda cc: (-by_country[cc], cc))[:TOP_COUNTRIES]
    years = list(range(counts[0][0], counts[-1][0] + 1))  # gaps shown as empty years
    cells: dict[tuple[int, str], int] = defaultdict(int)
    for y, cc, n in counts:
        cells[(y, cc if cc in top else "*")] += n
    keys = [*top, "*"] if any(cc not in top for cc in by_country) else top
    series = [
        Series("Other" if cc == "*" else _country(cc), tuple(cells.get((y, cc), 0) for y in years))
        for cc in keys
    ]
    table = Table(
        caption="Formal notifications by year and purchaser",
        columns=("Year", "Purchaser", "Notifications"),
        rows=tuple((str(y), f"{_country(cc)} ({cc})" if cc else _country(cc), str(n)) for y, cc, n in counts),
        numeric=(False, False, True),
    )
    total = sum(by_country.values())
    description = (
        f"{total} formal notification(s) from {years[0]} to {years[-1]}; most to "
        + ", ".join(f"{_country(cc)} ({by_country[cc]})" for cc in top[:3])
        + "."
    )
    return [
        stacked_columns(
            key="chart-notifications",
            title="Congressional notifications per year and purchaser",
            description=description,
            categories=[str(y) for y in years],
            series=series,
            fmt=lambda v: f"{v:,}",
            table=table,
        )
    ]


def quarter_ends(today: date, count: int) -> list[date]:
    """The last ``count`` calendar-quarter ends before ``today``, oldest first, then today."""
    ends: list[date] = []
    month = ((today.month - 1) // 3) * 3 + 1  # first month of this quarter
    end = date(today.year, month, 1) - timedelta(days=1)
    while len(ends) < count:
        ends.append(end)
        end = date(end.year, ((end.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    return [*reversed(ends), today]


def eeum(session: Session, *, actor: Principal, today: date, quarters: int = QUARTERS) -> list[Chart]:
    """The delinquent share of EEUM value held, at each quarter end and today."""
    points = []
    for day in quarter_ends(today, quarters):
        d = monitoring.delinquency(session, actor=actor, as_of=day)
        points.append((day, d.delinquent_share, d.delinquent_value_usd, d.eeum_value_usd))
    points = [p for p in points if p[3]] or points[-1:]  # from the first quarter anything was held
    if not points[-1][3]:
        return []
    table = Table(
        caption="EEUM inventory delinquency",
        columns=("As of", "EEUM value held", "Overdue for inventory", "Share"),
        rows=tuple((d.isoformat(), money(held), money(late), percent(s)) for d, s, late, held in points),
        numeric=(False, True, True, True),
    )
    worst = max(points, key=lambda p: p[1])
    last = points[-1]
    description = (
        f"Share of the EEUM-designated value held whose inventory was overdue, from "
        f"{points[0][0].isoformat()} to {last[0].isoformat()}: {percent(last[1])} now "
        f"({usd(last[2])} of {usd(last[3])}), highest {percent(worst[1])} on {worst[0].isoformat()}."
    )
    return [
        line_chart(
            key="chart-eeum",
            title="EEUM inventory delinquency over time",
            description=description,
            points=[(d.isoformat(), s) for d, s, _, _ in points],
            fmt=percent,
            table=table,
            maximum=max(Decimal("0.1"), worst[1]),
        )
    ]
