"""Server-side lists and their exports (reports/listing.py, lists.py, exports.py) on the demo
data: pages cut from one sorted, filtered set; an export holds all of it and nothing else;
a partner's export never holds another country's rows; bad parameters name themselves."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import queries as case_queries
from secassist.core.errors import PermissionDeniedError, ValidationFailedError
from secassist.identity import service as identity
from secassist.identity.policy import Principal
from secassist.reports import exports, listing, lists
from secassist.reports.listing import Column
from secassist.storage.uow import read_only

pytestmark = pytest.mark.usefixtures("demo_db")


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with read_only(session_factory) as s:
        yield s


def who(session: Session, username: str) -> Principal:
    return identity.principal_for(session, identity.user_by_name(session, username))


def test_pages_are_cut_from_the_sorted_filtered_set(session: Session) -> None:
    p = who(session, "pm.officer")
    params = {"sort": "-total_value", "per_page": "5"}
    first = listing.view(lists.CASES, session, p, params)
    assert first.total == case_queries.list_cases(session, actor=p).total
    assert first.pages == -(-first.total // 5)
    seen = [
        r
        for n in range(1, first.pages + 1)
        for r in listing.view(lists.CASES, session, p, {**params, "page": str(n)}).rows
    ]
    assert len(seen) == first.total
    values = [r.total_value for r in seen]
    assert values == sorted(values, reverse=True)
    everything = listing.select_rows(lists.CASES, session, p, listing.parse_query(lists.CASES, params))
    assert [r.identifier for r in everything] == [r.identifier for r in seen]
    ascending = listing.view(lists.CASES, session, p, {"sort": "total_value", "per_page": "200"}).rows
    assert [r.total_value for r in ascending] == sorted(values)


def test_filters_reach_the_domain_query(session: Session) -> None:
    p = who(session, "pm.officer")
    implemented = listing.view(lists.CASES, session, p, {"status": "implemented", "per_page": "200"})
    assert implemented.total > 0
    assert {r.status for r in implemented.rows} == {"implemented"}
    assert implemented.total < listing.view(lists.CASES, session, p, {}).total
    pl = listing.view(lists.ITEMS, session, p, {"country": "pl", "per_page": "200"})
    assert pl.query.filters == {"country": "PL"}
    assert {r.holder_country for r in pl.rows} == {"PL"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "password"}, "sort"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "100000"}, "per_page"),
        ({"status": "approved-ish"}, "status"),
        ({"country": "X" * 9}, "country"),
    ],
)
def test_bad_parameters_name_themselves(session: Session, params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailedError) as err:
        listing.view(lists.CASES, session, who(session, "pm.officer"), params)
    assert err.value.message.startswith(f"{field}:")


def test_a_list_needs_its_pages_permission(session: Session) -> None:
    with pytest.raises(PermissionDeniedError):
        listing.view(lists.CASES, session, who(session, "hfac.staff"), {})


# Each list a partner may open, and the column that names the country of each row.
PARTNER_LISTS = {"cases": "purchaser", "transfers": None, "items": "holder_country", "sites": "country",
                 "incidents": "country", "ledger": "country"}  # fmt: skip


@pytest.mark.parametrize(("name", "country_key"), PARTNER_LISTS.items())
def test_a_partners_export_never_holds_another_countrys_rows(
    session: Session, name: str, country_key: str | None
) -> None:
    spec = lists.spec(name)
    query = listing.parse_query(spec, {})
    partner = listing.select_rows(spec, session, who(session, "pl.mod"), query)
    state = listing.select_rows(spec, session, who(session, "pm.officer"), query)
    doc = json.loads(exports.to_json(spec.columns, partner, name=name))
    assert doc["count"] == len(partner)
    assert partner
    if name in ("cases", "items", "sites", "ledger"):  # the demo has other countries' rows here
        assert len(partner) < len(state)
    for row in doc["rows"]:
        if country_key is None:  # a transfer: Poland sends or receives it
            assert "PL" in (row["from_country"], row["to_party"]), row
        else:
            assert row[country_key] == "PL", row


def test_the_three_formats_hold_the_same_rows(session: Session) -> None:
    spec = lists.LEDGER
    rows = listing.select_rows(
        spec, session, who(session, "pm.officer"), listing.parse_query(spec, {"sort": "-amount_usd"})
    )
    assert len(rows) > 10
    as_csv = list(csv.DictReader(io.StringIO(exports.to_csv(spec.columns, rows).decode())))
    as_json = json.loads(exports.to_json(spec.columns, rows, name="ledger"))["rows"]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(spec.columns, rows, title=spec.title))).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == tuple(c.label for c in spec.columns)
    assert len(as_csv) == len(as_json) == len(cells) - 1 == len(rows)
    ids = [r.id for r in rows]
    assert [int(r["id"]) for r in as_csv] == [r["id"] for r in as_json] == [c[0] for c in cells[1:]] == ids
    # Money stays exact: decimal text in CSV and JSON, the same number in XLSX.
    assert [Decimal(r["amount_usd"]) for r in as_csv] == [Decimal(r["amount_usd"]) for r in as_json]
    amounts = [Decimal(r["amount_usd"]) for r in as_json]
    assert amounts == sorted(amounts, reverse=True)
    assert all(isinstance(r["amount_usd"], str) for r in as_json)


def test_text_a_spreadsheet_would_run_is_defused() -> None:
    cols: tuple[Column[dict[str, object]], ...] = (
        Column("t", "T", lambda r: r["t"]),
        Column("n", "N", lambda r: r["n"]),
    )
    rows = [{"t": '=HYPERLINK("http://x")', "n": -5}, {"t": "+1", "n": Decimal("-1.50")}]
    body = exports.to_csv(cols, rows).decode().splitlines()
    assert body[1].startswith("\"'=HYPERLINK")
    assert body[1].endswith(",-5")  # a number is a number, not text
    assert body[2] == "'+1,-1.50"
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(cols, rows, title="t"))).active
    assert sheet is not None
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'
    assert sheet["B3"].value == Decimal("-1.50") or sheet["B3"].value == -1.5
