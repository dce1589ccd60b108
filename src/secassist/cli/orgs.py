"""``secassist orgs``: organizations (State, DoD, SCOs, Congress, industry, partners, auditors)."""

from __future__ import annotations

from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, acting, read_session, uow
from secassist.cli.output import Format, emit_rows

app = typer.Typer(help="Organizations: add, list, set-office.", no_args_is_help=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The organization's unique name.")],
    kind: Annotated[
        str, typer.Option("--kind", help="state, dod, sco, congress, industry, partner or auditor.")
    ],
    country: Annotated[
        str | None, typer.Option("--country", help="ISO alpha-2 code; SCOs and partners only.")
    ] = None,
    office: Annotated[
        str | None,
        typer.Option(
            "--office",
            help="A State organization that is a vetting review office: political_military, "
            "human_rights or technology_security (its users sign off for it).",
        ),
    ] = None,
) -> None:
    """Add an organization."""
    from secassist.identity.service import create_organization

    with uow() as session:
        org = create_organization(
            session, actor=acting(session), name=name, kind=kind, country_code=country, office=office
        )
        oid, oname = org.id, org.name
    typer.echo(f"created organization {oname} (id {oid})", err=True)


@app.command("set-office")
def set_office(
    name: Annotated[str, typer.Argument(help="The State organization's exact name.")],
    office: Annotated[
        str,
        typer.Option(
            "--office",
            help="political_military, human_rights or technology_security (its users sign off for it).",
        ),
    ],
) -> None:
    """Record the vetting review office a State organization is, where none is recorded yet
    (an office already recorded is not changed: exit 75)."""
    from secassist.identity import service

    with uow() as session:
        org = service.organization_by_name(session, name)
        org = service.set_office(session, actor=acting(session), org_id=org.id, office=office)
        oname, ooffice = org.name, org.office
    typer.echo(f"{oname} is now the {ooffice} office", err=True)


@app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option("--kind", help="Only organizations of this kind.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List organizations with their kind, country and number of users."""
    from sqlalchemy import func, select

    from secassist.identity import queries
    from secassist.identity.models import User

    with read_session() as session:
        counts: dict[int, int] = {
            org_id: n
            for org_id, n in session.execute(
                select(User.organization_id, func.count()).group_by(User.organization_id)
            )
        }
        rows = [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "country": o.country_code,
                "office": o.office,
                "users": counts.get(o.id, 0),
                "created_at": o.created_at,
            }
            for o in queries.list_organizations(session, actor=None, kind=kind)
        ]
    emit_rows(
        rows,
        fmt,
        columns=["id", "name", "kind", "country", "office", "users", "created_at"],
        title="Organizations",
    )
