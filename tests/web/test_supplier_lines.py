"""A contractor's list of the case lines it supplies (issue #15): its own lines only (the
scoped query), paged and sorted on the server, exported exactly as filtered, offered in its
navigation; the case pages stay closed to it, and a role without ``case_line:read`` is
refused."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case, CaseLine
from secassist.identity import service as identity
from secassist.storage.uow import read_only
from tests.web.test_funds_pages import login

pytestmark = pytest.mark.usefixtures("demo_db")


def _supplied(factory: sessionmaker[Session], username: str) -> set[tuple[str, str]]:
    """(case, line) of every line naming the user's organization as contractor, read directly."""
    with read_only(factory) as s:
        org = identity.user_by_name(s, username).organization_id
        rows = s.execute(
            select(Case.identifier, CaseLine.number)
            .join(Case, Case.id == CaseLine.case_id)
            .where(CaseLine.contractor_org_id == org)
        )
        return {(ident, number) for ident, number in rows}


def _rows(text: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="line-([A-Z0-9]+-[A-Z]-[A-Z]{3})-(\d+)"', text)


def test_the_contractor_lists_exactly_its_lines_sorted_paged_and_exported(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    expected = _supplied(session_factory, "nds.contracts")
    assert len(expected) >= 3, "the demo contractor should supply several lines"
    with read_only(session_factory) as s:
        assert s.scalar(select(CaseLine.id).where(CaseLine.contractor_org_id.is_(None))) is not None
    login(client, session_factory, "nds.contracts")
    home = client.get("/").text
    assert 'href="/supplier/lines"' in home  # the navigation and the home panel link it
    r = client.get("/supplier/lines")
    assert r.status_code == 200
    assert set(_rows(r.text)) == expected
    assert _rows(r.text) == sorted(_rows(r.text))  # by case, then line
    for word in ("vetting", "Gate", "Funds", "obligat"):
        assert word not in r.text.split("<main", 1)[-1], word
    desc = _rows(client.get("/supplier/lines?sort=-case").text)
    assert [c for c, _ in desc] == sorted((c for c, _ in expected), reverse=True)
    first = client.get("/supplier/lines?per_page=2").text
    second = client.get("/supplier/lines?per_page=2&page=2").text
    assert len(_rows(first)) == 2
    assert not set(_rows(first)) & set(_rows(second))
    assert "page 1 of" in first
    one_case = sorted(expected)[0][0]
    filtered = client.get(f"/supplier/lines?case={one_case.lower()}")
    assert {c for c, _ in _rows(filtered.text)} == {one_case}
    exported = client.get(f"/exports/lines.csv?case={one_case}")
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {(row["case"], row["line"]) for row in table} == {x for x in expected if x[0] == one_case}
    assert set(table[0]) >= {"case", "line", "description", "quantity", "ssc_on"}
    assert client.get("/supplier/lines?sort=value").status_code == 422
    # Still closed: the case and the line's own page (scoping, unchanged).
    ident, number = sorted(expected)[0]
    assert client.get(f"/cases/{ident}").status_code == 404
    assert client.get(f"/cases/{ident}/lines/{int(number)}").status_code == 404


def test_other_roles(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    # A partner reads lines (of its own country's cases) on the case pages: no nav link.
    login(client, session_factory, "pl.mod")
    assert 'href="/supplier/lines"' not in client.get("/").text
    r = client.get("/supplier/lines")
    assert r.status_code == 200
    assert {c.split("-")[0] for c, _ in _rows(r.text)} <= {"PL"}
    # Congressional staff hold no case_line:read.
    login(client, session_factory, "hfac.staff")
    assert client.get("/supplier/lines").status_code == 403
    assert client.get("/exports/lines.csv").status_code == 403
