"""Rendered notices read back by the parser to the same values (a property test), and the
PDF is a real PDF whose text parses the same."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pycountry
import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secassist.notification.names import country_code
from secassist.notification.parse import parse_notice
from secassist.notification.render import NoticeContent, agency_display, render_pdf, render_text

SIMPLE_NAMES = sorted(
    {
        (getattr(c, "common_name", None) or c.name, c.alpha_2)
        for c in pycountry.countries
        if "," not in (getattr(c, "common_name", None) or c.name) and "(" not in c.name
    }
)
SPECIAL = [
    ("Taipei Economic and Cultural Representative Office in the United States (TECRO)", "TW"),
    ("North Atlantic Treaty Organization", "NATO"),
    ("NATO Support and Procurement Agency (NSPA)", "NATO"),
    ("Government of the Republic of Korea", "KR"),
    ("Kingdom of Saudi Arabia", "SA"),
]
AGENCIES = [
    "Department of the Army",
    "Department of the Navy",
    "Department of the Air Force",
    "Defense Logistics Agency",
    "Missile Defense Agency",
]


@st.composite
def purchasers(draw: st.DrawFn) -> tuple[str, str]:
    if draw(st.booleans()):
        return draw(st.sampled_from(SPECIAL))
    name, code = draw(st.sampled_from(SIMPLE_NAMES))
    prefix = draw(st.sampled_from(["", "Government of "]))
    return f"{prefix}{name}", code


contents = st.builds(
    NoticeContent,
    transmittal=st.from_regex(r"\A[0-9][0-9A-Z]-[0-9][0-9A-Z]\Z"),
    purchaser=st.just(""),
    mde=st.integers(0, 60_000_000_000).map(Decimal),
    other=st.integers(0, 60_000_000_000).map(Decimal),
    dated=st.dates(date(1997, 1, 1), date(2030, 12, 31)),
    implementing_agency=st.sampled_from(AGENCIES),
    mde_items=st.lists(
        st.sampled_from(["Twelve (12) F-16 Block 70 aircraft", "Eight (8) AN/TPQ-53 radars"]), max_size=2
    ).map(tuple),
    non_mde_items=st.just(("Spare and repair parts; publications; other related elements of support.",)),
    policy_justification=st.just("This proposed sale will support the foreign policy of the United States."),
    sensitivity=st.just("The highest level of classification of defense articles is SECRET."),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=contents, purchaser=purchasers())
def test_every_rendered_notice_parses_back_to_its_values(
    content: NoticeContent, purchaser: tuple[str, str]
) -> None:
    name, code = purchaser
    c = NoticeContent(**{**content.__dict__, "purchaser": name})
    got = parse_notice(render_text(c))
    assert got.transmittal == c.transmittal
    assert got.aeca_section == "36(b)(1)"
    assert got.purchaser == name
    assert got.purchaser_country == code == country_code(name)
    assert (got.mde_usd, got.other_usd, got.total_usd) == (int(c.mde), int(c.other), int(c.total))
    assert got.implementing_agency == agency_display(c.implementing_agency)
    assert got.date == c.dated.isoformat()


def test_the_text_has_every_item_and_the_footnote() -> None:
    c = NoticeContent(
        "26-01",
        "Government of Poland",
        Decimal(31_000_000),
        Decimal(30_000_000),
        date(2026, 3, 3),
        "Department of the Army",
        sensitivity="SECRET annex text",
        policy_justification="Poland is a NATO ally.",
    )
    text = render_text(c)
    for item in ("(i)", "(ii)", "(iii)", "(iv)", "(v)", "(vi)", "(vii)", "(viii)"):
        assert f"{item} " in text
    assert "As defined in Section 47(6)" in text
    assert "$ 61 million" in text
    assert "POLICY JUSTIFICATION" in text
    assert "Poland is a NATO ally." in text
    assert "SECRET annex text" in text


def test_pdf_is_a_pdf_whose_text_parses_the_same() -> None:
    c = NoticeContent(
        "25-0A",
        "Republic of Türkiye",
        Decimal(665_400_000),
        Decimal(12_345_678),
        date(2025, 11, 7),
        "Department of the Air Force",
    )
    data = render_pdf(c)
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    got = parse_notice(text)
    assert (got.transmittal, got.purchaser_country, got.total_usd) == ("25-0A", "TR", 677_745_678)
    assert (got.mde_usd, got.other_usd) == (665_400_000, 12_345_678)
    assert got.date == "2025-11-07"
