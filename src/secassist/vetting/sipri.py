"""Importing the SIPRI Arms Transfers Database trade register, and reading it back as the
:class:`~secassist.vetting.context.RegionalRegister` the regional-stability rule uses.

The register is © SIPRI and is never shipped with secassist: the user imports their own
copy (``secassist vetting sipri-import PATH``). Format (``../shared/data/sipri/SOURCES.md``):
Windows-1252, an 11-line preamble, the header on line 12, ``?`` columns named " ", and two
records broken across two lines by an unquoted newline in ``Comments`` — rejoined here.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import UnknownCodeError, ValidationFailedError
from secassist.identity.policy import Principal, actor_of, require_permission
from secassist.reference.service import ReferenceData, get_reference
from secassist.vetting.context import Holding
from secassist.vetting.decisions_models import SipriHolding, SipriImport
from secassist.vetting.rules.regional import item_key

HEADER = "Recipient,Supplier,Year of order"
FIELDS = 16
MAX_DESIGNATIONS = 5
# SIPRI's short forms that pycountry does not resolve; historical states and non-state
# recipients (names with asterisks) stay unmapped and are listed on the import.
ALIASES = {
    "bosnia-herzegovina": "BA",
    "brunei": "BN",
    "cote d'ivoire": "CI",
    "dr congo": "CD",
    "micronesia": "FM",
    "palestine": "PS",
    "russia": "RU",
    "saint vincent": "VC",
    "turkiye": "TR",
    "uae": "AE",
    "libya gnc": "LY",
}


@dataclass
class _Agg:
    first_year: int
    records: int = 1
    designations: list[str] = field(default_factory=list)


@dataclass
class ParsedRegister:
    generated: str
    records: int = 0
    holdings: dict[tuple[str, str], _Agg] = field(default_factory=dict)  # (country, description)
    unmapped: set[str] = field(default_factory=set)


def _decode(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def country_code(name: str, ref: ReferenceData, cache: dict[str, str | None]) -> str | None:
    """The ISO code of a SIPRI recipient name, or None (non-state, historical, unknown)."""
    if name in cache:
        return cache[name]
    code: str | None = None
    if "*" not in name:
        code = ALIASES.get(name.lower())
        if code is None:
            try:
                code = pycountry.countries.lookup(name).alpha_2
            except LookupError:
                code = None
        if code is not None:
            try:
                ref.country(code)
            except UnknownCodeError:
                code = None
    cache[name] = code
    return code


def parse_register(path: Path, *, ref: ReferenceData | None = None) -> ParsedRegister:
    """Parse a trade-register export; errors name the file and line."""
    ref = ref or get_reference()
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise ValidationFailedError(f"{path}: cannot read: {exc.strerror}", field="path") from None
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines[:40]) if line.startswith(HEADER)), None)
    if start is None:
        raise ValidationFailedError(
            f"{path.name}: no SIPRI trade-register header ({HEADER!r}) in the first 40 lines", field="path"
        )
    generated = next(
        (ln.split(":", 1)[1].strip() for ln in lines[:start] if ln.startswith("Data generated")), ""
    )
    out = ParsedRegister(generated=generated)
    cache: dict[str, str | None] = {}
    i = start + 1
    while i < len(lines):
        lineno = i + 1
        buf = lines[i].rstrip("\r")
        i += 1
        if not buf.strip():
            continue
        row = next(csv.reader([buf]))
        # A record broken by an unquoted newline in Comments: join the next physical line.
        while len(row) < FIELDS and i < len(lines) and lines[i].strip():
            buf = f"{buf} {lines[i].rstrip(chr(13))}"
            i += 1
            row = next(csv.reader([buf]))
        if len(row) != FIELDS:
            raise ValidationFailedError(
                f"{path.name}: line {lineno}: expected {FIELDS} fields, found {len(row)}",
                field="path",
                line=lineno,
            )
        recipient, year, description, designation = row[0].strip(), row[2].strip(), row[7], row[6].strip()
        if not year.isdigit():
            raise ValidationFailedError(
                f"{path.name}: line {lineno}: year of order {year!r} is not a year", field="path", line=lineno
            )
        out.records += 1
        code = country_code(recipient, ref, cache)
        if code is None:
            out.unmapped.add(recipient)
            continue
        key = (code, item_key(description))
        h = out.holdings.get(key)
        if h is None:
            out.holdings[key] = _Agg(int(year), 1, [designation] if designation else [])
        else:
            h.first_year = min(int(year), h.first_year)
            h.records += 1
            if designation and designation not in h.designations and len(h.designations) < MAX_DESIGNATIONS:
                h.designations.append(designation)
    if out.records == 0:
        raise ValidationFailedError(f"{path.name}: no records after the header", field="path")
    return out


def import_register(
    session: Session, *, actor: Principal | None, path: Path, clock: Clock | None = None
) -> SipriImport:
    """Import a register file; it replaces the holdings of any earlier import."""
    if actor is not None:
        require_permission(actor, "vetting:write")
    parsed = parse_register(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    imp = SipriImport(
        file_name=path.name,
        sha256=digest,
        generated=parsed.generated[:100],
        records=parsed.records,
        unmapped_recipients=json.dumps(sorted(parsed.unmapped)),
        holdings=len(parsed.holdings),
        imported_at=now(clock),
        imported_by=actor_of(actor).label,
    )
    session.add(imp)
    session.flush()
    session.execute(delete(SipriHolding).where(SipriHolding.import_id != imp.id))
    session.execute(
        insert(SipriHolding),
        [
            {
                "import_id": imp.id,
                "country_code": code,
                "weapon_description": desc[:200],
                "first_order_year": h.first_year,
                "records": h.records,
                "designations": "; ".join(h.designations)[:2000],
            }
            for (code, desc), h in sorted(parsed.holdings.items())
        ],
    )
    add_recorded(
        session,
        [imp],
        actor=actor_of(actor),
        tag="vetting:sipri:imported",
        subject_type="vetting_sipri_import",
        subject_id=imp.id,
        note={"sha256": digest, "records": parsed.records, "holdings": len(parsed.holdings)},
        clock=clock,
    )
    return imp


def latest_import(session: Session) -> SipriImport | None:
    return session.scalar(select(SipriImport).order_by(SipriImport.id.desc()).limit(1))


class DbRegionalRegister:
    """The latest imported register, read from the database."""

    def __init__(self, session: Session, imp: SipriImport) -> None:
        self.session = session
        self.imp = imp

    @property
    def label(self) -> str:
        imp = self.imp
        return f"SIPRI trade register {imp.file_name} (generated {imp.generated}; sha256 {imp.sha256[:12]})"

    def holdings(
        self, descriptions: Collection[str], countries: Collection[str], *, before_year: int
    ) -> Sequence[Holding]:
        rows = self.session.scalars(
            select(SipriHolding)
            .where(
                SipriHolding.import_id == self.imp.id,
                SipriHolding.weapon_description.in_(sorted(descriptions)),
                SipriHolding.country_code.in_(sorted(countries)),
                SipriHolding.first_order_year <= before_year,
            )
            .order_by(SipriHolding.first_order_year, SipriHolding.country_code)
        )
        return [
            Holding(
                r.country_code, r.weapon_description, r.first_order_year, tuple(r.designations.split("; "))
            )
            for r in rows
        ]
