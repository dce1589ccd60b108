"""policy.scope() against real tables, on whichever backend the suite runs on: the rows a
principal's query returns are exactly the rows the rules let it see."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Boolean, Integer, String, literal, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import NotFoundError
from secassist.identity import queries
from secassist.identity.models import Organization, User
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, scope
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import DEFAULT_ROLE, make_org, make_user, principal_of, scoped, synthetic

ORGS = [
    ("State PM", "state", None),
    ("DSCA", "dod", None),
    ("ODC Poland", "sco", "PL"),
    ("Poland MoD", "partner", "PL"),
    ("Japan MoD", "partner", "JP"),
    ("SFRC staff", "congress", None),
    ("Northwind", "industry", None),
    ("DoD IG", "auditor", None),
]
ALL = {name for name, _, _ in ORGS}


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    """One organization of each kind with two users each; principals by organization."""
    out: dict[str, Principal] = {}
    with unit_of_work(session_factory) as s:
        for name, kind, country in ORGS:
            org = make_org(s, name, kind, country)
            slug = name.lower().replace(" ", "")
            out[name] = principal_of(s, make_user(s, org, f"{slug}.a"))
            make_user(s, org, f"{slug}.b")
    return out


def org_names(s: Session, p: Principal | None) -> set[str]:
    return {o.name for o in queries.list_organizations(s, actor=p)}


def user_orgs(s: Session, p: Principal | None) -> set[str]:
    """The organizations of the users ``p`` can list."""
    ids = {u.organization_id for u in queries.list_users(s, actor=p)}
    return {o.name for o in queries.list_organizations(s, actor=None) if o.id in ids}


@pytest.mark.parametrize(
    ("who", "orgs", "users_of"),
    [
        ("State PM", ALL, ALL),
        ("DSCA", ALL, ALL),
        ("DoD IG", ALL, ALL),
        # Partners and SCOs: organizations of their own country, users of their own organization.
        ("Poland MoD", {"Poland MoD", "ODC Poland"}, {"Poland MoD"}),
        ("ODC Poland", {"Poland MoD", "ODC Poland"}, {"ODC Poland"}),
        ("Japan MoD", {"Japan MoD"}, {"Japan MoD"}),
        # Congress and industry: their own organization; no user directory.
        ("SFRC staff", {"SFRC staff"}, set()),
        ("Northwind", {"Northwind"}, set()),
    ],
)
def test_scoped_organizations_and_users(
    session_factory: sessionmaker[Session],
    world: dict[str, Principal],
    who: str,
    orgs: set[str],
    users_of: set[str],
) -> None:
    p = world[who]
    with read_only(session_factory) as s:
        assert org_names(s, p) == orgs
        assert user_orgs(s, p) == users_of
        # The same answers from policy.scope() applied to a plain select.
        stmt = scope(
            select(Organization.name),
            p,
            "organization",
            org=Organization.id,
            country=Organization.country_code,
        )
        assert set(s.scalars(stmt)) == orgs
        assert len(list(s.scalars(scope(select(User.id), p, "user", org=User.organization_id)))) == 2 * len(
            users_of
        )


def test_system_sees_everything(session_factory: sessionmaker[Session], world: dict[str, Principal]) -> None:
    with read_only(session_factory) as s:
        assert org_names(s, None) == ALL
        assert len(queries.list_users(s, actor=None)) == 2 * len(ORGS)


def test_a_token_without_read_scopes_sees_only_its_own_organization(
    session_factory: sessionmaker[Session], world: dict[str, Principal]
) -> None:
    p = scoped(world["State PM"], {"organization:read", "user:read"})
    with read_only(session_factory) as s:
        assert org_names(s, p) == {"State PM"}
        assert user_orgs(s, p) == set()


def test_out_of_scope_is_indistinguishable_from_missing(
    session_factory: sessionmaker[Session], world: dict[str, Principal]
) -> None:
    pl = world["Poland MoD"]
    with read_only(session_factory) as s:
        japan = next(o for o in queries.list_organizations(s, actor=None) if o.name == "Japan MoD")
        jp_user = queries.list_users(s, actor=None, organization_id=japan.id)[0]
        errors = []
        for call in (
            lambda: queries.visible_organization(s, actor=pl, org_id=japan.id),
            lambda: queries.visible_organization(s, actor=pl, org_id=10_000),
            lambda: queries.visible_user(s, actor=pl, user_id=jp_user.id),
            lambda: queries.visible_user(s, actor=pl, user_id=10_000),
        ):
            with pytest.raises(NotFoundError) as err:
                call()
            errors.append(err.value.to_problem())
        assert errors[0] == errors[1]
        assert errors[2] == errors[3]
        assert queries.visible_organization(s, actor=pl, org_id=pl.org_id).name == "Poland MoD"


# --- rules for records the later domains will hold, on an inline table ----------------------

ROWS = [
    # id, country, notified, contractor org id, pre-decisional
    (1, "PL", True, 7, False),
    (2, "PL", False, 8, False),
    (3, "JP", True, 7, True),
    (4, "JP", False, None, False),
]


def _records() -> Any:
    """ROWS as a subquery (a UNION ALL of literal rows: portable to SQLite and PostgreSQL)."""
    types = (Integer, String, Boolean, Integer, Boolean)
    names = ("id", "country", "notified", "contractor", "pre_decisional")
    selects = [
        select(*(literal(v, t).label(n) for v, t, n in zip(row, types, names, strict=True))) for row in ROWS
    ]
    return union_all(*selects).subquery("records")


@pytest.mark.parametrize(
    ("kind", "org_kind", "resource", "expected"),
    [
        ("partner", OrgKind.partner, "case", {1, 2}),
        ("sco", OrgKind.sco, "equipment", {1, 2}),
        # Own country AND formally notified (published notifications are public record).
        ("partner", OrgKind.partner, "notification", {1}),
        ("sco", OrgKind.sco, "notification", {1}),
        ("congress", OrgKind.congress, "notification", {1, 3}),
        ("congress", OrgKind.congress, "case", set()),
        ("congress", OrgKind.congress, "report", {1, 2, 3, 4}),
        ("industry", OrgKind.industry, "case_line", {1, 3}),
        ("industry", OrgKind.industry, "case", set()),
        ("state", OrgKind.state, "case", {1, 2, 3, 4}),
        ("dod", OrgKind.dod, "case", {1, 2, 3, 4}),
        ("dod", OrgKind.dod, "vetting_note", set()),
        ("auditor", OrgKind.auditor, "vetting_note", {1, 2, 3, 4}),
    ],
)
def test_scope_on_domain_shaped_rows(
    session_factory: sessionmaker[Session], kind: str, org_kind: OrgKind, resource: str, expected: set[int]
) -> None:
    p = synthetic(
        org_kind, DEFAULT_ROLE[org_kind], org_id=7, country="PL" if kind in ("partner", "sco") else None
    )
    r = _records()
    stmt = scope(
        select(r.c.id),
        p,
        resource,
        country=r.c.country,
        notified=r.c.notified,
        contractor=r.c.contractor,
    )
    with read_only(session_factory) as s:
        assert set(s.scalars(stmt)) == expected


def test_missing_rule_column_denies_everything(session_factory: sessionmaker[Session]) -> None:
    r = _records()

    def who(kind: OrgKind) -> Principal:
        return synthetic(kind, DEFAULT_ROLE[kind], org_id=7)

    with read_only(session_factory) as s:
        assert list(s.scalars(scope(select(r.c.id), who(OrgKind.partner), "case"))) == []
        assert list(s.scalars(scope(select(r.c.id), who(OrgKind.congress), "notification"))) == []
        assert list(s.scalars(scope(select(r.c.id), who(OrgKind.industry), "case_line"))) == []
        # A partner's notifications need both columns: either one alone matches nothing
        # (all of the conditions must hold, so a missing one cannot be dropped from an OR).
        partner = who(OrgKind.partner)
        assert list(s.scalars(scope(select(r.c.id), partner, "notification", country=r.c.country))) == []
        assert list(s.scalars(scope(select(r.c.id), partner, "notification", notified=r.c.notified))) == []
        both = scope(select(r.c.id), partner, "notification", country=r.c.country, notified=r.c.notified)
        assert list(s.scalars(both)) == [1]
        # DoD: rows flagged pre-decisional are withheld.
        assert list(s.scalars(scope(select(r.c.id), who(OrgKind.dod), "vetting", pre_decisional=True))) == []
        assert len(list(s.scalars(scope(select(r.c.id), who(OrgKind.dod), "vetting")))) == len(ROWS)
