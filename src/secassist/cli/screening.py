"""``secassist screening``: load lists, match names (no database), screen and dispose.

``screening match`` is a scripting contract: one query name per stdin line, one JSON
object per query on stdout, in order::

    {"query": "...", "matches": [{"list": "...", "entity_id": "...", "name": "...", "score": 0.93}]}

With ``--input jsonl`` each stdin line is a yente-shaped entity instead —
``{"schema": "Organization", "properties": {"name": ["..."], "country": ["pl"],
"birthDate": ["1970-01-01"]}}`` — and each answer line carries the query back and each
match's features (``{name: value}``) and their explanation (``{name: detail}``).
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows, progress

if TYPE_CHECKING:
    from secassist.vetting.screening.matcher import Query
    from secassist.workflows.rescreen import RescreenReport

app = typer.Typer(help="Sanctions and restricted-party screening.", no_args_is_help=True)


_ISO_DATE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")


class MatchInput(StrEnum):
    text = "text"
    jsonl = "jsonl"


ID_PROPERTIES = (
    "idNumber", "passportNumber", "registrationNumber", "imoNumber", "taxNumber", "innCode",
    "ogrnCode", "leiCode", "swiftBic", "vatCode",
)  # fmt: skip


def _strings(props: dict[str, object], key: str, line: int) -> list[str]:
    v = props.get(key, [])
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        from secassist.core.errors import ValidationFailedError

        raise ValidationFailedError(
            f"stdin line {line}: properties.{key} is not a list of strings", field=key
        )
    return [x.strip() for x in items if x.strip()]


def entity_query(raw: str, line: int) -> tuple[dict[str, object], Query]:
    """A yente-shaped entity (one stdin line) as a matcher query."""
    from secassist.core.errors import ValidationFailedError
    from secassist.vetting.screening.matcher import Query

    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailedError(f"stdin line {line}: not JSON ({exc.msg})", field="input") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("properties"), dict):
        raise ValidationFailedError(f"stdin line {line}: needs an object with properties", field="properties")
    schema = obj.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise ValidationFailedError(f"stdin line {line}: schema is not a string", field="schema")
    props = obj["properties"]
    names = [n for k in ("name", "alias", "previousName") for n in _strings(props, k, line)]
    if not names and (_strings(props, "firstName", line) or _strings(props, "lastName", line)):
        names = [" ".join(_strings(props, "firstName", line) + _strings(props, "lastName", line))]
    ids = [i for k in ID_PROPERTIES for i in _strings(props, k, line)]
    if not names and not ids:
        raise ValidationFailedError(f"stdin line {line}: no name and no identifier", field="name")
    countries = [
        c for k in ("country", "nationality", "citizenship", "jurisdiction") for c in _strings(props, k, line)
    ]
    dates = _strings(props, "birthDate", line) or _strings(props, "incorporationDate", line)
    return obj, Query(names=names, identifiers=ids, schema=schema, countries=countries, birth_dates=dates)


class MatchFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    table = "table"


@app.command("match")
def match(
    lists: Annotated[
        list[Path],
        typer.Option("--list", "-l", help="A list file, or a folder holding one list's files (repeatable)."),
    ],
    threshold: Annotated[float | None, typer.Option("--threshold", "-t", help="Minimum score, 0..1.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most matches per query.")] = 10,
    fmt: Annotated[MatchFormat, typer.Option("--format", "-f", help="Output format.")] = MatchFormat.jsonl,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add each match's per-feature explanation.")
    ] = False,
    input_: Annotated[
        MatchInput,
        typer.Option("--input", help="stdin: a name a line (text) or a yente-shaped entity a line (jsonl)."),
    ] = MatchInput.text,
) -> None:
    """Match names (or entities, ``--input jsonl``) read from stdin against list files;
    needs no database."""
    from secassist.core.errors import ValidationFailedError
    from secassist.vetting.screening.cache import index_for_paths
    from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD

    th = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 < th <= 1.0:
        raise ValidationFailedError(f"--threshold {th} is not in (0, 1]", field="--threshold")
    index = index_for_paths(lists)
    out = sys.stdout
    if input_ is MatchInput.jsonl:
        if fmt is not MatchFormat.jsonl:
            raise ValidationFailedError("--input jsonl writes --format jsonl only", field="--format")
        for n, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            obj, q = entity_query(line, n)
            found = index.match(q, threshold=th, limit=limit, explain=True)
            answer: dict[str, object] = {
                "query": obj,
                "matches": [
                    {
                        "list": m.list_name,
                        "entity_id": m.entity_id,
                        "name": m.name,
                        "matched_name": m.matched_name,
                        "score": m.score,
                        "features": {f.name: f.value for f in m.features},
                        "explanation": {f.name: f.detail for f in m.features},
                    }
                    for m in found
                ],
            }
            out.write(json.dumps(answer, ensure_ascii=False) + "\n")
            out.flush()
        return
    rows: list[tuple[str, list[dict[str, object]]]] = []
    for line in sys.stdin:
        query = line.rstrip("\r\n")
        found = index.match(query, threshold=th, limit=limit, explain=explain) if query.strip() else []
        matches = []
        for m in found:
            item: dict[str, object] = {
                "list": m.list_name,
                "entity_id": m.entity_id,
                "name": m.name,
                "score": m.score,
            }
            if explain:
                item["matched_name"] = m.matched_name
                item["features"] = [
                    {"name": f.name, "value": f.value, "detail": f.detail} for f in m.features
                ]
            matches.append(item)
        if fmt is MatchFormat.jsonl:
            out.write(json.dumps({"query": query, "matches": matches}, ensure_ascii=False) + "\n")
            out.flush()
        else:
            rows.append((query, matches))
    if fmt is MatchFormat.json:
        doc = [{"query": q, "matches": ms} for q, ms in rows]
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif fmt is MatchFormat.table:
        flat = [{"query": q, **m} for q, ms in rows for m in ms]
        cols = ["query", "list", "entity_id", "name", "score"]
        emit_rows(flat, Format.table, columns=cols, title="Matches")


@app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="A list file, or a folder holding one list's files.")],
    published: Annotated[
        str | None,
        typer.Option("--published", help="Publication date YYYY-MM-DD (when the format has none)."),
    ] = None,
    rescreen: Annotated[
        bool,
        typer.Option(
            "--rescreen/--no-rescreen", help="Re-screen the parties of open cases, proposals and transfers."
        ),
    ] = True,
) -> None:
    """Load a list version and make it the active one for its list (audited); then re-screen
    every party of every open record against it (continuous screening)."""
    from sqlalchemy import func, select

    from secassist.vetting.screening.models import ScreeningListVersion
    from secassist.vetting.screening.service import load_list
    from secassist.workflows.rescreen import rescreen_open

    when = parse_date(published, option="--published") if published else None
    # Two steps, each one service call: the bar shows which is running and for how long.
    with uow() as session, progress(f"loading {path.name}", total=2 if rescreen else 1) as tick:
        newest = session.scalar(select(func.max(ScreeningListVersion.id))) or 0
        v = load_list(session, actor=acting(session), path=path, published=when)
        tick.advance()
        # The same content again (a rerun after a crash past the commit) is the version
        # already active: nothing was written, and the re-screening already ran with it.
        fresh = v.id > newest
        summary = (
            f"{'loaded' if fresh else 'unchanged, already loaded:'} {v.list_name} version {v.id}: "
            f"{v.entity_count} entities, {v.alias_count} aliases, "
            f"{v.identifier_count} identifiers from {len(v.files)} file(s), "
            f"published {v.published or 'unknown'}"
        )
        report = None
        if rescreen and fresh:
            tick.describe("re-screening open cases, proposals and transfers")
            report = rescreen_open(session, actor=acting(session))
        tick.advance()
    typer.echo(summary)
    if report is not None:
        typer.echo(_report_line(report))


def _report_line(report: RescreenReport) -> str:
    return (
        f"re-screened {report.parties} parties of open records: {report.potential_matches} potential "
        f"matches ({report.new_alerts} new in the offices' queues), {report.carried_clearances} clearances "
        f"and {report.carried_matches} confirmed matches carried over"
    )


@app.command("rescreen")
def rescreen_(
    threshold: Annotated[float | None, typer.Option("--threshold", "-t", help="Minimum score, 0..1.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Re-screen every party of every open case, vetting proposal and transfer request against
    the active lists now (audited: one screening per party) and report the counts."""
    from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD
    from secassist.workflows.rescreen import rescreen_open

    with uow() as session:
        report = rescreen_open(
            session, actor=acting(session), threshold=DEFAULT_THRESHOLD if threshold is None else threshold
        )
    row = {
        "parties_screened": report.parties,
        "potential_matches": report.potential_matches,
        "new_alerts": report.new_alerts,
        "carried_clearances": report.carried_clearances,
        "carried_matches": report.carried_matches,
        "lists": " ".join(report.list_versions),
    }
    emit_rows([row], fmt, columns=list(row), title="Re-screening")


@app.command("alerts")
def alerts_(
    reference: Annotated[
        str | None, typer.Option("--reference", help="Only alerts on this record (case:12, transfer:3).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The open re-screening alerts: the offices' queue of new potential matches."""
    from secassist.vetting.screening.queries import open_alerts

    with read_session() as session:
        rows = [
            {
                "id": a.id,
                "reference": a.reference,
                "office": a.office or "",
                "country": a.country_code or "",
                "subject": a.subject,
                "screening": a.run_id,
                "list": a.list_name,
                "entity_id": a.entity_id,
                "name": a.entity_name,
                "score": a.score,
            }
            for a in open_alerts(session, actor=None, reference=reference)
        ]
    emit_rows(rows, fmt, title="Screening alerts")


def _version_rows() -> list[dict[str, object]]:
    from secassist.vetting.screening.queries import list_versions

    with read_session() as session:
        return [
            {
                "id": v.id,
                "list": v.list_name,
                "format": v.source_format,
                "published": v.published,
                "entities": v.entity_count,
                "aliases": v.alias_count,
                "identifiers": v.identifier_count,
                "active": v.active,
                "sha256": v.content_sha256[:16],
                "loaded_at": v.loaded_at,
            }
            for v in list_versions(session, actor=None)
        ]


@app.command("lists")
def lists_(fmt: FormatOpt = Format.table) -> None:
    """List loaded list versions (the active one per list is marked)."""
    emit_rows(_version_rows(), fmt, title="Screening list versions")


@app.command("screen")
def screen_(
    names: Annotated[list[str], typer.Argument(help="Names of one party (aliases).")],
    identifier: Annotated[list[str] | None, typer.Option("--id", help="An identifier (repeatable).")] = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="The party's FtM schema: Person, Organization, PublicBody, Vessel..."),
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="The party's country (ISO 3166-1 alpha-2).")
    ] = None,
    birth_date: Annotated[
        list[str] | None,
        typer.Option(
            "--birth-date", help="A birth or incorporation date, ISO (YYYY[-MM[-DD]]) (repeatable)."
        ),
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="What the screening is for.")] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", "-t")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Screen one party against the active lists and keep the screening (audited). The
    context options are scored as the matcher's context features (schema, country, birth
    date, identifiers); without them the party is screened by its names alone."""
    from secassist.core.errors import ValidationFailedError
    from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD, SCHEMA_CLASS
    from secassist.vetting.screening.service import Party, screen

    if schema is not None and schema not in {*SCHEMA_CLASS, "LegalEntity"}:
        known = ", ".join(sorted({*SCHEMA_CLASS, "LegalEntity"}))
        raise ValidationFailedError(f"--schema {schema!r} is not one of {known}", field="--schema")
    code = (country or "").strip()
    if country is not None and not (len(code) == 2 and code.isalpha()):
        raise ValidationFailedError(f"--country {country!r} is not an ISO alpha-2 code", field="--country")
    dates = [d.strip() for d in birth_date or []]
    for d in dates:
        if not _ISO_DATE.fullmatch(d):
            raise ValidationFailedError(
                f"--birth-date {d!r} is not YYYY, YYYY-MM or YYYY-MM-DD", field="--birth-date"
            )
    party = Party(
        names=list(names),
        identifiers=list(identifier or []),
        country=code.upper() or None,
        schema=schema,
        birth_dates=dates,
    )
    with uow() as session:
        run = screen(
            session,
            actor=acting(session),
            parties=[party],
            subject=subject,
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        )
        run_id, status = run.id, run.status
        rows = [
            {k: r[k] for k in ("list", "entity_id", "name", "matched_name", "score")} for r in run.results
        ]
    emit_rows(
        rows, fmt, columns=["list", "entity_id", "name", "matched_name", "score"], title=f"Screening {run_id}"
    )
    typer.echo(f"screening {run_id}: {status}", err=True)


@app.command("dispose")
def dispose(
    screening: Annotated[
        str, typer.Argument(help="The screening's id, or its --subject when only one screening has it.")
    ],
    list_name: Annotated[str, typer.Argument(help="The result's list.")],
    entity_id: Annotated[str, typer.Argument(help="The result's entity id.")],
    disposition: Annotated[str, typer.Option("--as", help="true_match, false_positive or unsure.")],
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
) -> None:
    """Record an analyst's disposition of one result (audited)."""
    from secassist.vetting.screening.queries import find_run, get_run
    from secassist.vetting.screening.service import record_disposition

    with uow() as session:
        run_id = find_run(session, actor=acting(session), ref=screening).id
        record_disposition(
            session,
            actor=acting(session),
            run_id=run_id,
            list_name=list_name,
            entity_id=entity_id,
            disposition=disposition,
            note=note,
        )
        status = get_run(session, actor=acting(session), run_id=run_id).status
    typer.echo(f"screening {run_id}: {status}")
