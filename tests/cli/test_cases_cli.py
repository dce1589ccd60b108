"""``secassist cases`` as a real process: intake, lines, the offer, lists in every format,
bad input named by field. The case is developed in-process (services) to keep it fast."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors, service
from secassist.notification import service as notification
from secassist.storage.uow import unit_of_work
from secassist.workflows.notification_case import prepare_for_case
from tests.identity.factories import make_org, make_user
from tests.support import run_cli
from tests.vetting.factories import clear_vetting


def test_cases_from_intake_to_offer(app_env: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    r = run_cli(
        app_env, "cases", "intake", "--purchaser", "PL", "--financing", "national", "--reference", "PL-1",
        "--articles", "HIMARS", "--end-user", "Land Forces",
    )  # fmt: skip
    assert (r.returncode, r.stdout.strip()) == (0, "LOR 1 received; complete"), r.stderr
    r = run_cli(
        app_env, "cases", "open", "1", "--agency", "B", "--loa-type", "defined_order", "--title", "HIMARS"
    )
    assert (r.returncode, r.stdout.strip()) == (0, "PL-B-AAA"), r.stderr
    r = run_cli(
        app_env, "cases", "add-line", "PL-B-AAA", "--item-type", "vehicle", "--description", "M142 launcher",
        "--quantity", "18", "--unit-cost", "5500000", "--usml", "IV", "--mde", "--sme",
    )  # fmt: skip
    assert r.stdout.strip() == "line 001 added: 99000000.00", r.stderr
    with unit_of_work(session_factory) as s:
        for to in ("lor_complete", "in_development", "written", "reviewed", "proposed"):
            service.advance(s, actor=None, case_id=1, to=to)
        # $99M of MDE for Poland needs §36(b)(1) notification: its 15-day review has run.
        n = prepare_for_case(s, actor=None, case_id=1)
        notification.record_formal_notification(
            s, actor=None, notification_id=n.id, on=date.today() - timedelta(days=20)
        )
    clear_vetting(session_factory, 1, date.today())
    # Accounts exist now: each change names the person making it (issue #16).
    with unit_of_work(session_factory) as s:
        make_user(s, make_org(s, "DSCA", "dod"), "dsca.case", ["case_manager"])
        make_user(s, make_org(s, "MoD Poland", "partner", "PL"), "pl.mod", ["partner_staff"])
    offer = ["cases", "advance", "PL-B-AAA", "--to", "offered", "--oed", "2099-01-31", "--version", "7"]
    r = run_cli(app_env, *offer)
    assert r.returncode == 77
    assert "error [cli.actor_required]: --as: name the user you act as" in r.stderr
    app_env = {**app_env, "SECASSIST_AS": "dsca.case"}
    r = run_cli(app_env, *offer)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "PL-B-AAA is offered (version 8)"
    entries = run_cli(app_env, "audit", "entries", "--tag", "case:status:offered", "--format", "json").stdout
    assert [e["actor"] for e in json.loads(entries)] == ["dsca.case (DSCA)"]

    listed = json.loads(run_cli(app_env, "cases", "list", "--format", "json").stdout)
    assert [(c["identifier"], c["status"], c["mde_value"]) for c in listed] == [
        ("PL-B-AAA", "offered", "99000000.00")
    ]
    out = run_cli(
        app_env, "cases", "list", "--status", "offered", "--country", "PL", "--format", "csv"
    ).stdout
    assert next(csv.DictReader(io.StringIO(out)))["total_value"] == "99000000.00"
    shown = json.loads(run_cli(app_env, "cases", "show", "PL-B-AAA", "--format", "json").stdout)
    assert shown["next_statuses"] == ["accepted", "cancelled", "offer_expired", "restated"]
    assert "offered" in shown["events"][-1]["to_status"]
    table = run_cli(app_env, "cases", "timeline", "1", "--format", "table").stdout
    assert "Proposed (P)" in table
    m = json.loads(run_cli(app_env, "cases", "metrics", "--format", "json").stdout)
    assert (m["cases"], m["offered"]) == (1, 1)

    # The purchaser's acceptance: the agency records it only naming the signed LOA.
    accept = ["cases", "advance", "PL-B-AAA", "--to", "accepted", "--deposit", "1000000"]
    r = run_cli(app_env, *accept)
    assert r.returncode == 65
    assert "acceptance_document: recording the purchaser's acceptance on its behalf" in r.stderr
    r = run_cli(app_env, "--as", "pl.mod", *accept)
    assert (r.returncode, r.stdout.strip()) == (0, "PL-B-AAA is accepted (version 9)"), r.stderr
    shown = json.loads(run_cli(app_env, "cases", "show", "PL-B-AAA", "--format", "json").stdout)
    assert (shown["status"], shown["acceptance_document"]) == ("accepted", None)


def test_bad_input_exits_with_the_field_named(
    app_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    r = run_cli(app_env, "cases", "intake", "--purchaser", "Atlantis", "--financing", "fmf")
    assert (r.returncode, r.stderr.strip()) == (
        65, "error [validation.failed]: purchaser: unknown country or NATO body 'Atlantis'",
    )  # fmt: skip
    with unit_of_work(session_factory) as s:
        lor = lors.receive_lor(
            s, actor=None, purchaser="JP", request_type="loa", financing="national", received_on=date.today()
        )
        service.create_case(
            s, actor=None, lor_id=lor.id, implementing_agency="P", loa_type="clssa", title="Spares"
        )
    r = run_cli(
        app_env, "cases", "add-line", "JA-P-AAA", "--item-type", "spare_parts", "--description", "x",
        "--quantity", "1", "--unit-cost", "-3",
    )  # fmt: skip
    assert (r.returncode, r.stderr.strip()) == (65, "error [validation.failed]: unit_cost: '-3' is negative")
    r = run_cli(app_env, "cases", "advance", "JA-P-AAA", "--to", "closed")
    assert r.returncode == 65
    assert "to: a case that is lor_received cannot become closed" in r.stderr
    r = run_cli(app_env, "cases", "gates", "XX-Y-ZZZ", "--format", "csv")
    assert (r.returncode, r.stderr.strip()) == (66, "error [not_found]: case not found")


def test_open_names_the_lor_by_the_purchasers_reference(app_env: dict[str, str]) -> None:
    for purchaser, ref in (("PL", "PL-24-17"), ("JP", "JA-7"), ("JP", "JA-7")):
        r = run_cli(app_env, "cases", "intake", "--purchaser", purchaser, "--financing", "national",
                    "--reference", ref, "--articles", "x", "--end-user", "Army")  # fmt: skip
        assert r.returncode == 0, r.stderr
    opening = ("--agency", "B", "--loa-type", "defined_order", "--title", "Javelin")
    r = run_cli(app_env, "cases", "open", "--lor-ref", "PL-24-17", *opening)
    assert (r.returncode, r.stdout.strip()) == (0, "PL-B-AAA"), r.stderr
    r = run_cli(app_env, "cases", "open", "--lor-ref", "JA-7", *opening)
    assert (r.returncode, r.stderr.strip()) == (
        65, "error [validation.failed]: lor_ref: reference 'JA-7' names LORs 2, 3; give the LOR id"
    )  # fmt: skip
    r = run_cli(app_env, "cases", "open", "--lor-ref", "NO-1", *opening)
    assert (r.returncode, r.stderr.strip()) == (
        66,
        "error [not_found]: lor_ref: no LOR with reference 'NO-1'",
    )
    r = run_cli(app_env, "cases", "open", "3", "--lor-ref", "JA-7", *opening)
    assert r.returncode == 65
    assert "give the LOR's id or --lor-ref, not both" in r.stderr
    r = run_cli(app_env, "cases", "open", "3", *opening)
    assert (r.returncode, r.stdout.strip()) == (0, "JA-B-AAA"), r.stderr
