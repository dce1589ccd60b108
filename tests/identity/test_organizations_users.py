"""Organizations and users: validation naming the field, roles per kind, conflicts, audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.identity import passwords, service
from secassist.identity.models import Organization, User, UserRole
from secassist.identity.permissions import KIND_ROLES, OrgKind, Role
from secassist.reference.models import CountryRow
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import PASSWORD, make_org, make_user, principal_of

# --- organizations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "country", "field", "message"),
    [
        ("ministry", None, "kind", "kind: 'ministry' is not one of state, dod, sco"),
        ("partner", None, "country", "country: a partner organization needs a country"),
        ("sco", "", "country", "country: a sco organization needs a country"),
        ("state", "US", "country", "country: a state organization has no country"),
        ("industry", "PL", "country", "country: a industry organization has no country"),
        ("partner", "XX", "country", "country: unknown country code 'XX'"),
    ],
)
def test_organization_validation_names_the_field(
    session_factory: sessionmaker[Session], kind: str, country: str | None, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailedError) as err, unit_of_work(session_factory) as s:
        make_org(s, "Some organization", kind, country)
    assert err.value.field == field
    assert err.value.message.startswith(message)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_organization_name_is_required_and_bounded(session_factory: sessionmaker[Session], name: str) -> None:
    with pytest.raises(ValidationFailedError) as err, unit_of_work(session_factory) as s:
        make_org(s, name, "state")
    assert err.value.field == "name"


def test_every_kind_can_be_created_and_country_is_normalised(
    session_factory: sessionmaker[Session], tags: Callable[[], list[str]], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        for kind in OrgKind:
            country = " pl " if kind in (OrgKind.sco, OrgKind.partner) else None
            make_org(s, f"{kind.value} org", kind.value, country)
    with read_only(session_factory) as s:
        rows = {o.kind: o.country_code for o in s.scalars(select(Organization))}
        # A fresh database had no countries: the first one needed synced the mirror.
        assert s.scalar(select(func.count()).select_from(CountryRow)) > 200
    assert rows == {k.value: ("PL" if k in (OrgKind.sco, OrgKind.partner) else None) for k in OrgKind}
    logged = tags()
    assert logged.count("reference:data:synced") == 1
    assert logged.count("identity:organization:created") == len(OrgKind) == len(logged) - 1
    audit_ok()


def test_duplicate_organization_name_is_a_conflict(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        make_org(s, "DSCA", "dod")
    with pytest.raises(ConflictError) as err, unit_of_work(session_factory) as s:
        make_org(s, " DSCA ", "dod")
    assert err.value.detail["field"] == "name"


# --- users ---------------------------------------------------------------------------------

ALL_PAIRS = [(kind, role) for kind in OrgKind for role in Role]


@pytest.mark.parametrize(("kind", "role"), ALL_PAIRS, ids=[f"{k.value}-{r.value}" for k, r in ALL_PAIRS])
def test_roles_allowed_per_organization_kind(
    session_factory: sessionmaker[Session], kind: OrgKind, role: Role
) -> None:
    with unit_of_work(session_factory) as s:
        org = make_org(s, "Org", kind.value, "PL" if kind in (OrgKind.sco, OrgKind.partner) else None)
    if role in KIND_ROLES[kind]:
        with unit_of_work(session_factory) as s:
            user = make_user(s, org, "someone", [role.value])
            assert principal_of(s, user).roles == {role}
    else:
        with pytest.raises(ValidationFailedError) as err, unit_of_work(session_factory) as s:
            make_user(s, org, "someone", [role.value])
        assert err.value.field == "roles"
        assert f"a {kind.value} organization cannot grant {role.value}" in err.value.message


@pytest.mark.parametrize(
    ("username", "roles", "password", "field"),
    [
        ("ab", ["policy_officer"], PASSWORD, "username"),
        ("1abc", ["policy_officer"], PASSWORD, "username"),
        ("has space", ["policy_officer"], PASSWORD, "username"),
        ("okname", [], PASSWORD, "roles"),
        ("okname", ["wizard"], PASSWORD, "roles"),
        ("okname", ["policy_officer"], "short-pass", "password"),
        ("okname", ["policy_officer"], "aaaaaaaaaaaaaaaa", "password"),
        ("okname", ["policy_officer"], "ab" * 600, "password"),
    ],
)
def test_user_validation_names_the_field(
    session_factory: sessionmaker[Session], username: str, roles: list[str], password: str, field: str
) -> None:
    with unit_of_work(session_factory) as s:
        org = make_org(s, "State PM", "state")
    with pytest.raises(ValidationFailedError) as err, unit_of_work(session_factory) as s:
        make_user(s, org, username, roles, password=password)
    assert err.value.field == field
    assert err.value.message.startswith(f"{field}:")
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_username_is_a_conflict_whatever_the_case(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        org = make_org(s, "State PM", "state")
        make_user(s, org, "alice")
    with pytest.raises(ConflictError) as err, unit_of_work(session_factory) as s:
        make_user(s, org, "ALICE")
    assert err.value.detail["field"] == "username"


def test_unknown_organization(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(NotFoundError), unit_of_work(session_factory) as s:
        service.create_user(
            s,
            actor=None,
            username="bob",
            display_name="",
            organization_id=99,
            roles=["admin"],
            password=PASSWORD,
        )


def test_user_is_stored_with_an_argon2_hash_roles_and_one_audit_entry(
    session_factory: sessionmaker[Session], tags: Callable[[], list[str]], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        org = make_org(s, "State PM", "state")
        service.create_user(
            s,
            actor=None,
            username="  Pat.Morgan ",
            display_name=" Pat Morgan ",
            organization_id=org.id,
            roles=["policy_officer", "admin", "admin"],
            password=PASSWORD,
        )
    with read_only(session_factory) as s:
        user = s.scalars(select(User)).one()
        assert (user.username, user.display_name, user.is_active) == ("pat.morgan", "Pat Morgan", True)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert passwords.verify_password(user.password_hash, PASSWORD)
        assert sorted(s.scalars(select(UserRole.role))) == ["admin", "policy_officer"]
    assert tags()[-1] == "identity:user:created"
    audit_ok()


def test_services_check_the_actors_permission(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        partner = make_org(s, "Poland MoD", "partner", "PL")
        admin = principal_of(s, make_user(s, state, "admin1", ["admin"]))
        officer = principal_of(s, make_user(s, state, "officer1", ["policy_officer"]))
        pl = principal_of(s, make_user(s, partner, "pl.user"))
    with unit_of_work(session_factory) as s:
        make_org(s, "DSCA", "dod")  # the console
        service.create_organization(s, actor=admin, name="SFRC staff", kind="congress")
        service.create_user(
            s, actor=admin, username="new.one", display_name="", organization_id=partner.id,
            roles=["partner_staff"], password=PASSWORD,
        )  # fmt: skip
        target = service.user_by_name(s, "new.one").id
        service.set_active(s, actor=admin, user_id=target, active=False)
    for actor in (officer, pl):
        with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
            service.create_organization(s, actor=actor, name="Rogue", kind="state")
        with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
            service.create_user(
                s, actor=actor, username="rogue", display_name="", organization_id=partner.id,
                roles=["partner_staff"], password=PASSWORD,
            )  # fmt: skip
        with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
            service.set_active(s, actor=actor, user_id=target, active=True)
