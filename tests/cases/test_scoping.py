"""Who sees which cases and lines; id guessing outside one's scope is 404, like a missing id."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors, queries, service
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError
from secassist.storage.uow import unit_of_work
from tests.cases.factories import World, add_lines, open_case


@pytest.fixture
def cases(session_factory: sessionmaker[Session], clock: FixedClock, world: World) -> dict[str, int]:
    with unit_of_work(session_factory) as s:
        out = {
            "pl": open_case(s, world.dod, clock),
            "jp": open_case(s, world.dod, clock, purchaser="JP"),
            "nato": open_case(s, world.dod, clock, purchaser="NATO"),
        }
        add_lines(s, world.dod, out["pl"], clock, contractor=world.industry_org_id)
        add_lines(s, world.dod, out["jp"], clock)
    return out


def _visible(s: Session, actor: object, ids: dict[str, int]) -> set[str]:
    seen = set()
    for name, cid in ids.items():
        try:
            service.get_case(s, actor=actor, case_id=cid)  # type: ignore[arg-type]
            seen.add(name)
        except NotFoundError:
            pass
    return seen


def test_who_sees_which_case(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as s:
        assert _visible(s, world.pl, cases) == {"pl"}
        assert _visible(s, world.pl_sco, cases) == {"pl"}
        assert _visible(s, world.jp, cases) == {"jp"}
        assert _visible(s, world.dod, cases) == {"pl", "jp", "nato"}
        assert _visible(s, world.state, cases) == {"pl", "jp", "nato"}
        assert _visible(s, world.auditor, cases) == {"pl", "jp", "nato"}
        assert _visible(s, world.congress, cases) == set()
        assert _visible(s, world.industry, cases) == set()
        listed = {r.case.id for r in queries.list_cases(s, actor=world.pl).items}
        assert listed == {cases["pl"]}
        assert queries.list_cases(s, actor=world.congress).total == 0
        assert queries.list_cases(s, actor=world.auditor).total == 3


def test_guessing_ids_and_identifiers_is_404_like_a_missing_case(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as s:
        jp = service.get_case(s, actor=None, case_id=cases["jp"])
        for ref in (str(cases["jp"]), jp.identifier, "999999", "JA-D-ZZZ"):
            with pytest.raises(NotFoundError) as e:
                queries.case_detail(s, actor=world.pl, ref=ref)
            assert e.value.message == "case not found"
        # writing to another country's case is also a 404, not a 403
        with pytest.raises(NotFoundError):
            service.advance(s, actor=world.pl, case_id=cases["jp"], to="accepted", initial_deposit="1")


def test_industry_sees_only_its_lines(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as s:
        mine = queries.visible_lines(s, actor=world.industry)
        assert [(ln.description, ident) for ln, ident in mine] == [("Pilot training", "PL-D-AAA")]
        assert queries.visible_lines(s, actor=world.other_industry) == []
        assert len(queries.visible_lines(s, actor=world.pl)) == 2
        assert len(queries.visible_lines(s, actor=world.dod)) == 4


def test_auditors_and_purchasers_cannot_develop_cases(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as s:
        with pytest.raises(PermissionDeniedError):
            service.advance(s, actor=world.auditor, case_id=cases["pl"], to="lor_complete")
        with pytest.raises(PermissionDeniedError):
            service.advance(s, actor=world.pl, case_id=cases["pl"], to="lor_complete")
        with pytest.raises(PermissionDeniedError):
            service.add_line(
                s, actor=world.pl, case_id=cases["pl"], item_type="training", description="x", quantity=1,
                unit_cost="1",
            )  # fmt: skip
        # a partner files its own country's requests only
        with pytest.raises(PermissionDeniedError):
            lors.receive_lor(
                s, actor=world.pl, purchaser="JP", request_type="loa", financing="national",
                received_on=service.get_case(s, actor=None, case_id=cases["pl"]).created_at.date(),
            )  # fmt: skip
