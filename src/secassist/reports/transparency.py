"""Public transparency exports, built only from what has been formally notified to Congress.

* A SIPRI-style trade register: one row per major-defence-equipment line of a formally
  notified case (AECA §36(b)(1) notices name the MDE and its quantity), with the case's
  acceptance year as the order year and the deliveries recorded against the line; and one
  row per formally notified notice with no case here (an imported Federal Register notice),
  whose items are known only from its text.
* The UN Register of Conventional Arms (UNGA res. 46/36 L): the trade-register rows the
  reviewable mapping in ``reports/data/unroca.yaml`` places in categories I–VII, and each
  category's totals, which are computed from those rows so they reconcile by construction —
  and :func:`check_reconciled` proves it on any register handed to it.

Nothing that has not been formally notified appears: a draft or an informal-review
notification (the tiered review is confidential) yields no row. Every read goes through
the domains' scoped queries with the caller's principal.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from secassist.cases import queries as case_queries
from secassist.cases.catalog import get_catalog
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import queries as equipment_queries
from secassist.identity.policy import Principal
from secassist.notification import queries as notification_queries
from secassist.reports.listing import Column
from secassist.reports.lists import country_name

SUPPLIER = "United States"
CATEGORIES = ("I", "II", "III", "IV", "V", "VI", "VII")


@dataclass(frozen=True)
class TradeRow:
    """One row of the SIPRI-style register (SIPRI's columns, plus where it comes from)."""

    supplier: str
    recipient: str
    recipient_code: str | None
    designation: str
    description: str
    order_year: int | None
    number_ordered: int | None
    number_delivered: int
    delivery_years: tuple[int, ...]
    status: str
    transmittal: str | None
    notified_on: date | None
    case: str | None
    line: str | None
    usml_category: str | None
    item_type: str | None


@dataclass(frozen=True)
class Rule:
    category: str
    usml: frozenset[str]
    item_types: frozenset[str]
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None
    source: str

    def matches(self, row: TradeRow) -> bool:
        return (
            (row.usml_category or "") in self.usml
            and (row.item_type or "") in self.item_types
            and self.pattern.search(row.designation) is not None
            and (self.exclude is None or self.exclude.search(row.designation) is None)
        )


@dataclass(frozen=True)
class Mapping:
    """The UN Register categories and the rules that place a row in one."""

    categories: dict[str, str]  # code -> name
    rules: tuple[Rule, ...]
    source: str

    def category_of(self, row: TradeRow) -> Rule | None:
        return next((r for r in self.rules if r.matches(row)), None)


def _field(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise ValidationFailedError(f"unroca.yaml {where}: {key} is missing", field=key)
    return entry[key]


def load_mapping(text: str) -> Mapping:
    """Parse and validate the mapping file (errors name the rule and field)."""
    doc = yaml.safe_load(text)
    cats = {str(_field(c, "code", f"category {i + 1}")): str(_field(c, "name", f"category {i + 1}"))
            for i, c in enumerate(_field(doc, "categories", "top"))}  # fmt: skip
    if tuple(cats) != CATEGORIES:
        raise ValidationFailedError(
            f"unroca.yaml: categories must be {', '.join(CATEGORIES)}", field="categories"
        )
    rules = []
    for i, r in enumerate(_field(doc, "rules", "top")):
        where = f"rule {i + 1}"
        category = str(_field(r, "category", where))
        if category not in cats:
            raise ValidationFailedError(
                f"unroca.yaml {where}: unknown category {category!r}", field="category"
            )
        try:
            pattern = re.compile(str(_field(r, "pattern", where)), re.IGNORECASE)
            exclude = re.compile(str(r["exclude"]), re.IGNORECASE) if r.get("exclude") else None
        except re.error as exc:
            raise ValidationFailedError(f"unroca.yaml {where}: bad pattern: {exc}", field="pattern") from None
        rules.append(
            Rule(category, frozenset(map(str, _field(r, "usml", where))),
                 frozenset(map(str, _field(r, "item_types", where))), pattern, exclude,
                 str(_field(r, "source", where)))
        )  # fmt: skip
    return Mapping(categories=cats, rules=tuple(rules), source=str(_field(doc, "source", "top")))


@functools.cache
def mapping() -> Mapping:
    """The packaged mapping (``reports/data/unroca.yaml``)."""
    return load_mapping(resources.files("secassist.reports").joinpath("data/unroca.yaml").read_text())


def trade_register(session: Session, *, actor: Principal | None) -> list[TradeRow]:
    """The SIPRI-style register of what ``actor`` may see that has been formally notified."""
    types = {code: t.title for code, t in get_catalog().item_types.items()}
    out: list[TradeRow] = []
    for n in notification_queries.list_notifications(session, actor=actor, limit=100_000):
        if not n.formally_notified:
            continue
        recipient = country_name(n.purchaser_country) or n.purchaser or ""
        notice = TradeRow(
            supplier=SUPPLIER, recipient=recipient, recipient_code=n.purchaser_country,
            designation=n.description or "", description="", order_year=None, number_ordered=None,
            number_delivered=0, delivery_years=(), status="New", transmittal=n.transmittal,
            notified_on=n.formal_notification_on, case=None, line=None, usml_category=None, item_type=None,
        )  # fmt: skip
        detail = None
        if n.case_id is not None:
            try:
                detail = case_queries.case_detail(session, actor=actor, ref=n.case_id)
            except NotFoundError:
                detail = None  # the notice is visible to this role, the case is not
        if detail is None:
            out.append(notice)  # an imported notice: its items are known from its text only
            continue
        accepted = detail.case.accepted_on
        for line in detail.lines:
            if not line.mde:
                continue  # §36(b)(1) notices name the major defense equipment
            by_year = equipment_queries.line_deliveries_by_year(session, line.id)
            out.append(
                replace(
                    notice, designation=line.description,
                    description=types.get(line.item_type, line.item_type),
                    order_year=accepted.year if accepted else None, number_ordered=line.quantity,
                    number_delivered=sum(by_year.values()), delivery_years=tuple(by_year),
                    case=detail.case.identifier, line=line.number, usml_category=line.usml_category,
                    item_type=line.item_type,
                )
            )  # fmt: skip
    return sorted(out, key=lambda r: (r.recipient, r.notified_on or date.min, r.case or "", r.line or ""))


@dataclass(frozen=True)
class UnrocaRow:
    """A trade-register row placed in a UN Register category, and the rule that did it."""

    category: str
    row: TradeRow
    rule: str


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    name: str
    rows: int
    ordered: int
    delivered: int


@dataclass(frozen=True)
class UnRegister:
    rows: list[UnrocaRow]
    totals: list[CategoryTotal]
    unmapped: list[TradeRow]  # formally notified rows no rule places (for review)


def un_register(register: Sequence[TradeRow], m: Mapping | None = None) -> UnRegister:
    """Place each register row in its UN Register category (first matching rule) and total
    the categories from exactly those rows."""
    m = m or mapping()
    rows: list[UnrocaRow] = []
    unmapped: list[TradeRow] = []
    for r in register:
        rule = m.category_of(r)
        if rule is None:
            unmapped.append(r)
        else:
            rows.append(UnrocaRow(rule.category, r, rule.source))
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for u in rows:
        a = acc[u.category]
        a[0] += 1
        a[1] += u.row.number_ordered or 0
        a[2] += u.row.number_delivered
    totals = [CategoryTotal(c, m.categories[c], *acc[c]) for c in CATEGORIES]
    return UnRegister(
        rows=sorted(rows, key=lambda u: CATEGORIES.index(u.category)), totals=totals, unmapped=unmapped
    )


def check_reconciled(reg: UnRegister) -> list[str]:
    """Each way the totals fail to add up to the rows (empty when they reconcile)."""
    problems = []
    for t in reg.totals:
        mine = [u.row for u in reg.rows if u.category == t.category]
        if t.rows != len(mine):
            problems.append(f"category {t.category}: {t.rows} rows stated, {len(mine)} listed")
        if t.ordered != sum(r.number_ordered or 0 for r in mine):
            problems.append(f"category {t.category}: ordered total differs from its rows")
        if t.delivered != sum(r.number_delivered for r in mine):
            problems.append(f"category {t.category}: delivered total differs from its rows")
    return problems


TRADE_COLUMNS: tuple[Column[TradeRow], ...] = (
    Column("supplier", "Supplier", lambda r: r.supplier),
    Column("recipient", "Recipient", lambda r: r.recipient),
    Column("designation", "Weapon designation", lambda r: r.designation),
    Column("description", "Weapon description", lambda r: r.description),
    Column("order_year", "Year of order", lambda r: r.order_year),
    Column("number_ordered", "Number ordered", lambda r: r.number_ordered),
    Column("number_delivered", "Number delivered", lambda r: r.number_delivered),
    Column("delivery_years", "Year(s) of delivery", lambda r: "; ".join(map(str, r.delivery_years))),
    Column("status", "Status", lambda r: r.status),
    Column("transmittal", "Transmittal", lambda r: r.transmittal),
    Column("notified_on", "Formally notified", lambda r: r.notified_on),
)

UNROCA_COLUMNS: tuple[Column[UnrocaRow], ...] = (
    Column("category", "Category", lambda u: u.category),
    Column("recipient", "Importer State", lambda u: u.row.recipient),
    Column("number_delivered", "Number of items", lambda u: u.row.number_delivered),
    Column("number_ordered", "Number ordered", lambda u: u.row.number_ordered),
    Column("designation", "Description of items", lambda u: u.row.designation),
    Column("delivery_years", "Year(s) of delivery", lambda u: "; ".join(map(str, u.row.delivery_years))),
    Column("transmittal", "Transmittal", lambda u: u.row.transmittal),
    Column("rule", "Mapped by", lambda u: u.rule),
)
