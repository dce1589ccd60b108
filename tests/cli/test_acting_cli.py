"""Who a command acts as (issue #16): ``--as USER``, ``SECASSIST_AS``, or the user the
operating-system account is mapped to; writes without one are refused once accounts exist,
reads need none, and the audit entry names the person."""

from __future__ import annotations

import getpass
import json

from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.uow import unit_of_work
from tests.identity.factories import PASSWORD, make_org, make_user
from tests.support import run_cli

EX_NOPERM = 77


def _actors(app_env: dict[str, str], tag: str) -> list[str]:
    r = run_cli(app_env, "audit", "entries", "--tag", tag, "--format", "json")
    assert r.returncode == 0, r.stderr
    return [e["actor"] for e in json.loads(r.stdout)]


def test_the_first_accounts_are_made_as_the_system_then_a_person_is_needed(app_env: dict[str, str]) -> None:
    assert run_cli(app_env, "orgs", "add", "State PM", "--kind", "state").returncode == 0
    r = run_cli(app_env, "users", "add", "root", "--org", "State PM", "--role", "admin", stdin=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert _actors(app_env, "identity:user:created") == ["system"]
    r = run_cli(app_env, "orgs", "add", "DSCA", "--kind", "dod")
    assert r.returncode == EX_NOPERM
    assert r.stderr.startswith("error [cli.actor_required]: --as: name the user you act as")
    # Reading needs no actor.
    assert run_cli(app_env, "orgs", "list", "--format", "json").returncode == 0
    r = run_cli(app_env, "--as", "root", "orgs", "add", "DSCA", "--kind", "dod")
    assert r.returncode == 0, r.stderr
    r = run_cli({**app_env, "SECASSIST_AS": "root"}, "orgs", "add", "State DRL", "--kind", "state",
                "--office", "human_rights")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _actors(app_env, "identity:organization:created") == [
        "system", "root (State PM)", "root (State PM)"
    ]  # fmt: skip
    office = {
        o["name"]: o["office"] for o in json.loads(run_cli(app_env, "orgs", "list", "-f", "json").stdout)
    }
    assert office == {"State PM": None, "DSCA": None, "State DRL": "human_rights"}


def test_an_unknown_or_disabled_actor_is_refused(
    app_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        make_user(s, state, "root", ["admin"])
        make_user(s, state, "gone", ["admin"])
    r = run_cli(app_env, "--as", "ghost", "orgs", "add", "X", "--kind", "dod")
    assert (r.returncode, r.stderr.strip()) == (
        EX_NOPERM, "error [cli.actor_required]: --as: no user 'ghost' (from --as or SECASSIST_AS)"
    )  # fmt: skip
    assert run_cli(app_env, "--as", "root", "users", "disable", "gone").returncode == 0
    r = run_cli(app_env, "--as", "gone", "orgs", "add", "X", "--kind", "dod")
    assert (r.returncode, r.stderr.strip()) == (
        EX_NOPERM,
        "error [cli.actor_required]: --as: user 'gone' is disabled",
    )
    # The person's permissions apply: a partner's user may not create organizations.
    with unit_of_work(session_factory) as s:
        make_user(s, make_org(s, "MoD Poland", "partner", "PL"), "pl.mod")
    r = run_cli(app_env, "--as", "pl.mod", "orgs", "add", "X", "--kind", "dod")
    assert r.returncode == EX_NOPERM
    assert "permission.denied" in r.stderr


def test_the_operating_system_account_maps_to_a_user(
    app_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    me = getpass.getuser()
    with unit_of_work(session_factory) as s:
        make_user(s, make_org(s, "State PM", "state"), "root", ["admin"])
    r = run_cli(
        app_env, "--as", "root", "users", "add", "pat", "--org", "State PM", "--role", "admin",
        "--os-user", me, stdin=PASSWORD,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    # No --as: the account's user acts.
    assert run_cli(app_env, "orgs", "add", "DSCA", "--kind", "dod").returncode == 0
    assert _actors(app_env, "identity:organization:created")[-1] == "pat (State PM)"
    users = {
        u["username"]: u["os_user"]
        for u in json.loads(run_cli(app_env, "users", "list", "-f", "json").stdout)
    }
    assert users == {"root": None, "pat": me}
    # An account maps to one user only; --as overrides the mapping; the mapping can move.
    r = run_cli(app_env, "users", "map-os-user", "root", me)
    assert (r.returncode, r.stderr.strip()) == (
        75,
        f"error [conflict]: os_user: {me!r} is already mapped to pat",
    )
    assert run_cli(app_env, "users", "map-os-user", "pat").returncode == 0
    assert run_cli(app_env, "--as", "root", "users", "map-os-user", "root", me).returncode == 0
    assert run_cli(app_env, "orgs", "add", "USASAC", "--kind", "dod").returncode == 0
    assert _actors(app_env, "identity:organization:created")[-1] == "root (State PM)"
    assert _actors(app_env, "identity:user:os_user_set") == ["pat (State PM)", "root (State PM)"]
