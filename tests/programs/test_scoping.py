"""Who sees what: partners and SCOs their own country's allocations and below; State, DoD
and auditors everything; another country's ids answer 404, like missing ones."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import NotFoundError
from secassist.identity.policy import Principal
from secassist.programs import oversight, queries, service
from secassist.storage.uow import read_only, unit_of_work
from tests.programs.factories import appropriation, case_target

CASE_LINE = {"PL": (1, 1), "JP": (2, 3)}  # the fms_cases fixture


@pytest.fixture
def books(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(session_factory) as s:
        appr = appropriation(s)
        ids = {"appr": appr.id}
        for code in ("PL", "JP"):
            a = service.allocate(
                s, actor=None, appropriation_id=appr.id, country=code, amount="100", on=date(2024, 4, 1)
            )
            o = service.obligate(
                s,
                actor=None,
                appropriation_id=appr.id,
                country=code,
                amount="50",
                on=date(2024, 5, 1),
                target=case_target(*CASE_LINE[code]),
            )
            ids[f"{code}_alloc"], ids[f"{code}_oblig"] = a.id, o.id
    return ids


def test_partners_and_scos_see_their_own_country_only(
    session_factory: sessionmaker[Session], people: dict[str, Principal], books: dict[str, int]
) -> None:
    with read_only(session_factory) as s:
        for who in ("pl", "pl_sco"):
            p = people[who]
            assert {e.country_code for e in queries.list_entries(s, actor=p)} == {"PL"}
            assert queries.get_entry(s, actor=p, entry_id=books["PL_oblig"]).country_code == "PL"
            for guess in (books["JP_alloc"], books["JP_oblig"], 99_999):
                with pytest.raises(NotFoundError, match="not found"):
                    queries.get_entry(s, actor=p, entry_id=guess)
            with pytest.raises(NotFoundError):
                queries.get_appropriation(s, actor=p, appropriation_id=books["appr"])
            assert queries.list_appropriations(s, actor=p) == []
            rows = oversight.totals(s, actor=p, as_of=date(2024, 12, 31))
            assert [(r.level, r.country) for r in rows] == [("country", "PL")]
        jp_rows = oversight.totals(s, actor=people["jp"], as_of=date(2024, 12, 31))
        assert [r.country for r in jp_rows] == ["JP"]
        assert (
            oversight.case_funding(s, actor=people["jp"], case_id=2, as_of=date(2024, 12, 31)).obligated == 50
        )


@pytest.mark.parametrize("who", ["state", "dod", "auditor"])
def test_state_dod_and_auditors_see_everything(
    session_factory: sessionmaker[Session], people: dict[str, Principal], books: dict[str, int], who: str
) -> None:
    with read_only(session_factory) as s:
        p = people[who]
        assert {e.country_code for e in queries.list_entries(s, actor=p)} == {None, "PL", "JP"}
        assert queries.get_appropriation(s, actor=p, appropriation_id=books["appr"]).program == "FMF"
        rows = oversight.totals(s, actor=p, as_of=date(2024, 12, 31))
        # EAP before EUR: ordered by region, then country.
        assert [(r.level, r.country) for r in rows] == [
            ("program", None),
            ("country", "JP"),
            ("country", "PL"),
        ]
        assert rows[0].obligated == 100
