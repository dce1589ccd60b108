"""Public transparency exports: only what has been formally notified; the UN Register's
category totals reconcile to their rows; the mapping of lines to categories is reviewable
data whose rules do what their sources say."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ValidationFailedError
from secassist.identity import service as identity
from secassist.notification.models import Notification
from secassist.reports import transparency
from secassist.reports.transparency import TradeRow
from secassist.storage.uow import read_only, unit_of_work

pytestmark = pytest.mark.usefixtures("demo_db")


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with read_only(session_factory) as s:
        yield s


def _row(designation: str, usml: str, item_type: str, ordered: int = 4, delivered: int = 1) -> TradeRow:
    return TradeRow(
        supplier="United States", recipient="Poland", recipient_code="PL", designation=designation,
        description="", order_year=2024, number_ordered=ordered, number_delivered=delivered,
        delivery_years=(2025,) if delivered else (), status="New", transmittal="24-01",
        notified_on=date(2024, 1, 2), case="PL-B-AAA", line="001", usml_category=usml, item_type=item_type,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("designation", "usml", "item_type", "category"),
    [
        ("M1A2 SEPv3 Abrams main battle tanks", "VII", "vehicle", "I"),
        ("M978A4 fuel tanker trucks", "VII", "vehicle", None),
        ("M113A2 armored personnel carriers and variants", "VII", "vehicle", "II"),
        ("M109A5/A3 155mm self-propelled howitzers", "VII", "vehicle", "III"),
        ("F-16 Block 70 aircraft", "VIII", "aircraft", "IV"),
        ("C-130T aircraft", "VIII", "aircraft", None),
        ("AH-64E Apache attack helicopters", "VIII", "aircraft", "V"),
        ("Multi-Mission Surface Combatant frigates", "VI", "vessel", "VI"),
        ("Patrol vessels", "VI", "vessel", None),
        ("FIM-92 Stinger missiles", "IV", "missile", "VII"),
        ("AIM-120C-8 AMRAAM", "IV", "missile", "VII"),
        ("FGM-148 Javelin missiles", "IV", "missile", None),
        ("AGM-114R Hellfire missiles", "IV", "missile", None),
        ("M1A2 tanks", "XI", "vehicle", None),  # the USML category must agree too
    ],
)
def test_the_mapping_places_lines_as_its_sources_say(
    designation: str, usml: str, item_type: str, category: str | None
) -> None:
    rule = transparency.mapping().category_of(_row(designation, usml, item_type))
    assert (rule.category if rule else None) == category


def test_the_category_totals_reconcile_to_their_rows() -> None:
    rows = [
        _row("M1A2 Abrams tanks", "VII", "vehicle", 10, 4),
        _row("M1A1 Abrams", "VII", "vehicle", 5, 5),
        _row("AIM-120 AMRAAM", "IV", "missile", 40, 0),
        _row("Spare parts", "II", "spare_parts"),
    ]
    reg = transparency.un_register(rows)
    assert transparency.check_reconciled(reg) == []
    totals = {t.category: (t.rows, t.ordered, t.delivered) for t in reg.totals}
    assert totals["I"] == (2, 15, 9)
    assert totals["VII"] == (1, 40, 0)
    assert totals["II"] == (0, 0, 0)
    assert [r.designation for r in reg.unmapped] == ["Spare parts"]
    # The check can fail: a total that is not its rows' sum is named.
    bad = replace(
        reg, totals=[replace(t, delivered=t.delivered + 1) if t.category == "I" else t for t in reg.totals]
    )
    assert transparency.check_reconciled(bad) == ["category I: delivered total differs from its rows"]


def test_only_formally_notified_sales_appear(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:  # take one notice back to informal review
        n = s.scalars(select(Notification).where(Notification.purchaser_country == "PH")).first()
        assert n is not None
        hidden = n.transmittal
        n.formally_notified = False
        n.status = "informal_review"
    with read_only(session_factory) as s:
        p = identity.principal_for(s, identity.user_by_name(s, "pm.officer"))
        notified = {
            x.transmittal for x in s.scalars(select(Notification).where(Notification.formally_notified))
        }
        register = transparency.trade_register(s, actor=p)
        reg = transparency.un_register(register)
    assert register
    assert {r.transmittal for r in register} <= notified
    assert hidden not in {r.transmittal for r in register}
    assert all(r.notified_on is not None for r in register)
    assert transparency.check_reconciled(reg) == []
    assert sum(t.rows for t in reg.totals) + len(reg.unmapped) == len(register)
    assert sum(t.ordered for t in reg.totals) == sum(u.row.number_ordered or 0 for u in reg.rows)


def test_deliveries_come_from_the_registry(session: Session) -> None:
    p = identity.principal_for(session, identity.user_by_name(session, "pm.officer"))
    rows = transparency.trade_register(session, actor=p)
    delivered = [r for r in rows if r.number_delivered]
    assert delivered, "the demo delivers Javelins to Poland"
    for r in delivered:
        assert r.delivery_years
        assert r.number_delivered <= (r.number_ordered or 0)


def test_congress_reads_every_countrys_notified_sales(session: Session) -> None:
    p = identity.principal_for(session, identity.user_by_name(session, "hfac.staff"))
    assert {r.recipient_code for r in transparency.trade_register(session, actor=p)} > {"PL"}


def test_a_bad_mapping_file_names_the_rule() -> None:
    with pytest.raises(ValidationFailedError, match="rule 1: unknown category 'VIII'"):
        transparency.load_mapping(
            "source: x\ncategories:\n"
            + "".join(f"  - {{code: {c}, name: n}}\n" for c in transparency.CATEGORIES)
            + "rules:\n  - {category: VIII, usml: [IV], item_types: [missile], pattern: x, source: s}\n"
        )
    with pytest.raises(ValidationFailedError, match="rule 1: bad pattern"):
        transparency.load_mapping(
            "source: x\ncategories:\n"
            + "".join(f"  - {{code: {c}, name: n}}\n" for c in transparency.CATEGORIES)
            + "rules:\n  - {category: I, usml: [IV], item_types: [missile], pattern: '(', source: s}\n"
        )
