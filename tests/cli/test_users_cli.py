"""``secassist orgs|users|tokens`` against the test database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.identity import service
from secassist.identity.logins import authenticate
from secassist.identity.models import ApiToken
from secassist.identity.tokens import principal_from_token
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user
from tests.support import run_cli

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_CONFLICT, EX_NOPERM = 2, 65, 66, 75, 77
PASSWORD = "a long enough passphrase"


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args, stdin=stdin)


def ok(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    proc = run(env, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return proc


def fails(env: dict[str, str], *args: str, code: int = EX_DATAERR, stdin: str = "") -> str:
    """Run a command that must fail cleanly; return its stderr."""
    proc = run(env, *args, stdin=stdin)
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def as_csv(proc: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(proc.stdout)))


@pytest.fixture
def orgs(app_env: dict[str, str], session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Three organizations, made through the services, and the administrator ``root`` the
    commands act as (``SECASSIST_AS``)."""
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        make_org(s, "Poland MoD", "partner", "PL")
        make_org(s, "Japan MoD", "partner", "JP")
        make_user(s, state, "root", ["admin"], password=PASSWORD)
    return {**app_env, "SECASSIST_AS": "root"}


def add_user(session_factory: sessionmaker[Session], username: str, org: str, *roles: str) -> None:
    with unit_of_work(session_factory) as s:
        o = service.organization_by_name(s, org)
        make_user(s, o, username, list(roles), password=PASSWORD)


# --- orgs ----------------------------------------------------------------------------------


def test_orgs_add_and_list_in_every_format(app_env: dict[str, str]) -> None:
    orgs = app_env
    created = ok(orgs, "orgs", "add", "State PM", "--kind", "state")
    assert created.stdout == ""
    assert "created organization State PM (id 1)" in created.stderr
    ok(orgs, "orgs", "add", "Poland MoD", "--kind", "partner", "--country", "pl")
    ok(orgs, "orgs", "add", "Japan MoD", "--kind", "partner", "--country", "JP")
    rows = as_json(ok(orgs, "orgs", "list", "--format", "json"))
    assert [(r["name"], r["kind"], r["country"], r["users"]) for r in rows] == [
        ("State PM", "state", None, 0),
        ("Poland MoD", "partner", "PL", 0),
        ("Japan MoD", "partner", "JP", 0),
    ]
    table = as_csv(ok(orgs, "orgs", "list", "-f", "csv"))
    assert list(table[0]) == ["id", "name", "kind", "country", "office", "users", "created_at"]
    assert [r["country"] for r in table] == ["", "PL", "JP"]
    shown = ok(orgs, "orgs", "list").stdout
    assert "Organizations" in shown
    assert "Poland MoD" in shown
    assert [r["name"] for r in as_json(ok(orgs, "orgs", "list", "--kind", "partner", "-f", "json"))] == [
        "Poland MoD",
        "Japan MoD",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["Org", "--kind", "ministry"], EX_DATAERR, "kind: 'ministry' is not one of"),
        (["Org", "--kind", "partner"], EX_DATAERR, "country: a partner organization needs a country"),
        (["Org", "--kind", "sco", "--country", "ZZ"], EX_DATAERR, "country: unknown country code 'ZZ'"),
        (
            ["Org", "--kind", "state", "--country", "US"],
            EX_DATAERR,
            "country: a state organization has no country",
        ),
        (["State PM", "--kind", "state"], EX_CONFLICT, "an organization named 'State PM' already exists"),
        (["Org"], EX_USAGE, "--kind"),
    ],
)
def test_orgs_add_errors(orgs: dict[str, str], args: list[str], code: int, message: str) -> None:
    assert message in fails(orgs, "orgs", "add", *args, code=code)


OFFICE_SET = "identity:organization:office_set"


def test_orgs_set_office_fills_a_missing_review_office_once_audited(
    orgs: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    add_user(session_factory, "clerk", "State PM", "policy_officer")
    assert "set-office" in ok(orgs, "orgs", "--help").stdout
    # Only an administrator; nothing is written by a refused command.
    denied = fails({**orgs, "SECASSIST_AS": "clerk"}, "orgs", "set-office", "State PM", "--office",
                   "human_rights", code=EX_NOPERM)  # fmt: skip
    assert "permission" in denied.lower()
    bad = fails(orgs, "orgs", "set-office", "State PM", "--office", "dhr")
    assert "office: one of political_military" in bad
    assert "partner organization is no vetting review office" in fails(
        orgs, "orgs", "set-office", "Poland MoD", "--office", "human_rights"
    )
    fails(orgs, "orgs", "set-office", "No Such Org", "--office", "human_rights", code=EX_NOINPUT)
    with read_only(session_factory) as s:
        assert service.organization_by_name(s, "State PM").office is None
        assert s.scalars(select(AuditEntry).where(AuditEntry.tag == OFFICE_SET)).all() == []

    done = ok(orgs, "orgs", "set-office", "State PM", "--office", "human_rights")
    assert "State PM is now the human_rights office" in done.stderr
    rows = {r["name"]: r for r in as_json(ok(orgs, "orgs", "list", "-f", "json"))}
    assert (rows["State PM"]["office"], rows["Poland MoD"]["office"]) == ("human_rights", None)
    with read_only(session_factory) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.tag == OFFICE_SET)).all()
        assert [(e.actor, e.subject_id) for e in entries] == [
            ("root (State PM)", str(service.organization_by_name(s, "State PM").id))
        ]
    # An office already recorded is not changed in passing (a conflict, not bad input).
    again = fails(orgs, "orgs", "set-office", "State PM", "--office", "political_military", code=EX_CONFLICT)
    assert "already the human_rights office" in again
    with read_only(session_factory) as s:
        assert service.organization_by_name(s, "State PM").office == "human_rights"


# --- users ---------------------------------------------------------------------------------


def test_users_add_reads_the_password_from_stdin(
    orgs: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    proc = ok(
        orgs, "users", "add", "anna", "--org", "Poland MoD", "--role", "partner_staff",
        "--display-name", "Anna Nowak", stdin=PASSWORD + "\nignored second line\n",
    )  # fmt: skip
    assert "created user anna (id 2) in Poland MoD" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="anna", password=PASSWORD).reason == "ok"
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="anna", password="ignored second line").reason == "invalid"


def test_users_add_keeps_spaces_but_not_the_line_ending(
    orgs: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    ok(orgs, "users", "add", "pat", "--org", "State PM", "--role", "admin", stdin=f" {PASSWORD} \r\n")
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="pat", password=f" {PASSWORD} ").reason == "ok"


def test_users_list_in_every_format(orgs: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    add_user(session_factory, "anna", "Poland MoD", "partner_staff")
    ok(
        orgs, "users", "add", "pat", "--org", "State PM", "--role", "admin", "--role", "policy_officer",
        "--display-name", "Pat Morgan", stdin=PASSWORD,
    )  # fmt: skip
    rows = as_json(ok(orgs, "users", "list", "--format", "json"))
    assert rows[2] == {
        "id": 3,
        "username": "pat",
        "display_name": "Pat Morgan",
        "organization": "State PM",
        "kind": "state",
        "country": None,
        "roles": ["admin", "policy_officer"],
        "active": True,
        "locked_until": None,
        "last_login_at": None,
        "os_user": None,
    }
    assert "password" not in json.dumps(rows)
    table = as_csv(ok(orgs, "users", "list", "-f", "csv"))
    assert [(r["username"], r["roles"], r["country"]) for r in table] == [
        ("root", "admin", ""),
        ("anna", "partner_staff", "PL"),
        ("pat", "admin policy_officer", ""),
    ]
    assert "Pat Morgan" in ok(orgs, "users", "list").stdout
    only = as_json(ok(orgs, "users", "list", "--org", "Poland MoD", "-f", "json"))
    assert [r["username"] for r in only] == ["anna"]


def test_users_disable_and_enable(orgs: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    add_user(session_factory, "anna", "Poland MoD", "partner_staff")
    assert "disabled user anna" in ok(orgs, "users", "disable", "ANNA").stderr
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="anna", password=PASSWORD).reason == "disabled"
    assert "enabled user anna" in ok(orgs, "users", "enable", "anna").stderr
    listed = as_json(ok(orgs, "users", "list", "--org", "Poland MoD", "-f", "json"))
    assert listed[0]["active"] is True


ADD = ["anna", "--org", "Poland MoD", "--role"]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        ([*ADD, "partner_staff"], "", EX_DATAERR, "password: empty"),
        ([*ADD, "partner_staff"], "short\n", EX_DATAERR, "password: must be at least 12"),
        ([*ADD, "admin"], PASSWORD, EX_DATAERR, "roles: a partner organization cannot grant admin"),
        (
            ["anna", "--org", "Nowhere", "--role", "admin"],
            PASSWORD,
            EX_DATAERR,
            "--org: no organization named",
        ),
        (
            ["taken", "--org", "State PM", "--role", "admin"],
            PASSWORD,
            EX_CONFLICT,
            "username 'taken' is taken",
        ),
        ([*ADD, "partner_staff", "--password", "x" * 12], "", EX_USAGE, "--password"),
    ],
)
def test_users_add_errors(
    orgs: dict[str, str],
    session_factory: sessionmaker[Session],
    args: list[str],
    stdin: str,
    code: int,
    message: str,
) -> None:
    add_user(session_factory, "taken", "State PM", "admin")
    assert message in fails(orgs, "users", "add", *args, code=code, stdin=stdin)


def test_unknown_user(orgs: dict[str, str]) -> None:
    assert "no user named 'ghost'" in fails(orgs, "users", "disable", "ghost", code=EX_NOINPUT)
    assert "no user named 'ghost'" in fails(orgs, "tokens", "issue", "ghost", "--name", "x", code=EX_NOINPUT)


# --- tokens --------------------------------------------------------------------------------


@pytest.fixture
def anna(orgs: dict[str, str], session_factory: sessionmaker[Session]) -> dict[str, str]:
    add_user(session_factory, "anna", "Poland MoD", "partner_staff")
    return orgs


def test_tokens_issue_prints_the_token_once(
    anna: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    proc = ok(
        anna,
        "tokens",
        "issue",
        "anna",
        "--name",
        "ci",
        "--scope",
        "case:read",
        "--scope",
        "user:read",
        "--days",
        "7",
    )
    raw = proc.stdout.strip()
    assert proc.stdout == raw + "\n"
    assert raw.startswith("sa_")
    assert "issued token 1 for anna: 2 permissions" in proc.stderr
    assert raw not in proc.stderr
    with read_only(session_factory) as s:
        p = principal_from_token(s, raw)
        assert p.permissions == {"case:read", "user:read"}
        token = s.scalars(select(ApiToken)).one()
        assert (token.expires_at - token.created_at).days == 7
        token_hash = token.token_hash

    listed = ok(anna, "tokens", "list", "-f", "json")
    assert raw not in listed.stdout
    assert token_hash not in listed.stdout
    (row,) = as_json(listed)
    assert row["username"] == "anna"
    assert row["name"] == "ci"
    assert row["status"] == "active"
    assert row["scopes"] == ["case:read", "user:read"]
    assert "hash" not in json.dumps(row)
    assert raw.startswith(row["prefix"])


def test_tokens_list_revoke_and_formats(anna: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    add_user(session_factory, "piotr", "Poland MoD", "partner_staff")
    raw = ok(anna, "tokens", "issue", "anna", "--name", "first").stdout.strip()
    ok(anna, "tokens", "issue", "piotr", "--name", "second")
    rows = as_csv(ok(anna, "tokens", "list", "-f", "csv"))
    assert [(r["id"], r["username"], r["status"]) for r in rows] == [
        ("2", "piotr", "active"),
        ("1", "anna", "active"),
    ]
    assert "case:read" in rows[1]["scopes"].split()
    assert [r["name"] for r in as_json(ok(anna, "tokens", "list", "anna", "-f", "json"))] == ["first"]
    assert "API tokens" in ok(anna, "tokens", "list").stdout

    assert "revoked token 1" in ok(anna, "tokens", "revoke", "1").stderr
    assert as_json(ok(anna, "tokens", "list", "anna", "-f", "json"))[0]["status"] == "revoked"
    with read_only(session_factory) as s, pytest.raises(Exception, match="invalid or expired token"):
        principal_from_token(s, raw)


ISSUE = ["issue", "anna", "--name", "x"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([*ISSUE, "--scope", "audit:read"], EX_DATAERR, "scopes: anna does not hold 'audit:read'"),
        ([*ISSUE, "--scope", "case:fly"], EX_DATAERR, "scopes: unknown permission 'case:fly'"),
        ([*ISSUE, "--days", "0"], EX_DATAERR, "days: between 1 and 365"),
        (["issue", "anna"], EX_USAGE, "--name"),
        (["revoke", "99"], EX_NOINPUT, "token not found"),
    ],
)
def test_tokens_errors(anna: dict[str, str], args: list[str], code: int, message: str) -> None:
    assert message in fails(anna, "tokens", *args, code=code)
