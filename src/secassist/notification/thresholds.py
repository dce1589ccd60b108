"""When Congress must be notified, under which section, and for how long it may review.

A pure function of the transaction's destination, date and values, over the reference
data in ``reference/data/notification_thresholds.yaml`` and the group memberships in
``notification_groups.yaml``. Sources: AECA §36(b), §36(c), §3(d) (22 U.S.C. 2776, 2753)
and domain.md §2 notes (a)-(e) [S4][S5][S6][S121][S122][S124].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secassist.core.errors import DateOutOfRangeError, ValidationFailedError
from secassist.reference.loader import load_file
from secassist.reference.schemas import Coverage, Status
from secassist.reference.service import ReferenceData, get_reference

Kind = Literal["sale", "commercial", "retransfer"]
KINDS: tuple[Kind, ...] = ("sale", "commercial", "retransfer")
# The order the tripped thresholds are reported in.
THRESHOLD_NAMES = ("mde", "total", "design_construction", "firearms")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThresholdRule(_Strict):
    kind: Kind
    section: str
    group: Literal["standard", "higher"]
    mde: int = Field(gt=0)
    total: int = Field(gt=0)
    design_construction: int | None = Field(default=None, gt=0)
    firearms: int | None = Field(default=None, gt=0)
    source: str
    status: Status = "confirmed"
    note: str | None = None


class ReviewPeriod(_Strict):
    kind: Kind
    group: Literal["standard", "short"]
    days: int = Field(gt=0)
    source: str


class InformalReview(_Strict):
    group: Literal["standard", "higher"]
    days: int = Field(ge=0)
    source: str
    status: Status = "confirmed"
    note: str | None = None


class ThresholdsFile(_Strict):
    dataset: Literal["notification_thresholds"]
    title: str
    source: str
    coverage: Coverage
    thresholds: list[ThresholdRule]
    review_periods: list[ReviewPeriod]
    informal_review: list[InformalReview]

    @model_validator(mode="after")
    def _complete(self) -> ThresholdsFile:
        for kind in KINDS:
            for group in ("standard", "higher"):
                n = sum(1 for t in self.thresholds if t.kind == kind and t.group == group)
                if n != 1:
                    raise ValueError(f"thresholds: need exactly one rule for {kind}/{group}, found {n}")
            for rgroup in ("standard", "short"):
                n = sum(1 for r in self.review_periods if r.kind == kind and r.group == rgroup)
                if n != 1:
                    raise ValueError(f"review_periods: need exactly one for {kind}/{rgroup}, found {n}")
        if {i.group for i in self.informal_review} != {"standard", "higher"}:
            raise ValueError("informal_review: need one entry for standard and one for higher")
        return self


@lru_cache(maxsize=4)
def load_thresholds(data_dir: Path | None = None) -> ThresholdsFile:
    """The packaged threshold file, validated (a malformed file names the entry)."""
    parsed, _ = load_file(ThresholdsFile, "notification_thresholds.yaml", data_dir)
    return parsed


@dataclass(frozen=True)
class Requirement:
    """The answer: whether notification is required, under what, and the periods."""

    required: bool
    section: str | None
    tripped: tuple[str, ...]
    review_days: int | None
    earliest_offer_date: date | None  # if formally notified on the asked date
    informal_review_days: int | None
    higher_thresholds: bool
    short_review: bool
    thresholds: dict[str, int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()

    def contract(self) -> dict[str, object]:
        """The four keys of the CLI contract, exactly."""
        return {
            "required": self.required,
            "section": self.section,
            "tripped": list(self.tripped),
            "review_days": self.review_days,
        }


def _value(v: Decimal | int | str | None, name: str) -> Decimal:
    if v is None:
        return Decimal(0)
    d = Decimal(str(v))
    if not d.is_finite() or d < 0:
        raise ValidationFailedError(f"{name}: {v!r} must be a non-negative amount", field=name)
    return d


def requirement(
    country: str,
    on: date,
    mde: Decimal | int | str,
    total: Decimal | int | str,
    design_construction: Decimal | int | str | None = None,
    kind: str = "sale",
    *,
    firearms: Decimal | int | str | None = None,
    new_sales_territory: bool = False,
    reference: ReferenceData | None = None,
    data: ThresholdsFile | None = None,
) -> Requirement:
    """Whether a transaction must be notified to Congress before it goes ahead.

    - ``kind="sale"``: an FMS letter of offer, AECA §36(b)(1) (22 U.S.C. 2776(b)): MDE ≥
      $14M, defense articles or services ≥ $50M, design and construction services ≥ $200M;
      $25M / $100M / $300M for NATO member countries, Japan, Australia, the Republic of
      Korea, Israel and New Zealand (§36(b)(6)) [S4][S121].
    - ``kind="commercial"``: a DCS export license, §36(c) (22 U.S.C. 2776(c)): MDE ≥ $14M,
      articles or services ≥ $50M ($25M / $100M for the group), and USML Category I(a)-(g)
      firearms ≥ $1M, kept for the group too (domain.md §2 note (c): default to notifying)
      [S6][S122].
    - ``kind="retransfer"``: third-party transfer consent, §3(d) (22 U.S.C. 2753(d)), with
      the values at original acquisition cost: MDE ≥ $14M or articles/services ≥ $50M
      ($25M / $100M for member countries) [S124].

    Any one threshold met triggers notification (note (b)). NATO as an organization and
    any destination when a new sales territory is authorized get the standard thresholds
    (note (a)); NATO still gets the 15-day review. ``earliest_offer_date`` is ``on`` plus
    the formal review period, i.e. assuming formal notification on ``on``; the informal
    (tiered) review before it is configurable data (UNCONFIRMED lengths).
    """
    if kind not in KINDS:
        raise ValidationFailedError(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    ref = reference or get_reference()
    table = data or load_thresholds()
    if not table.coverage.start <= on <= table.coverage.end:
        raise DateOutOfRangeError(
            f"date {on.isoformat()} is outside the range of notification_thresholds.yaml "
            f"({table.coverage.start.isoformat()} to {table.coverage.end.isoformat()})",
            field="date",
            value=on.isoformat(),
        )
    values = {
        "mde": _value(mde, "mde"),
        "total": _value(total, "total"),
        "design_construction": _value(design_construction, "design_construction"),
        "firearms": _value(firearms, "firearms"),
    }
    if not ref.is_known_party(country):
        raise ValidationFailedError(f"country: unknown country or body {country!r}", field="country")
    higher = not new_sales_territory and ref.in_group("higher_thresholds", country, on)
    short = ref.in_group("short_review", country, on)
    tgroup = "higher" if higher else "standard"
    rule = next(t for t in table.thresholds if t.kind == kind and t.group == tgroup)
    period = next(
        r for r in table.review_periods if r.kind == kind and r.group == ("short" if short else "standard")
    )
    informal = next(i for i in table.informal_review if i.group == tgroup)
    limits: dict[str, int] = {"mde": rule.mde, "total": rule.total}
    if rule.design_construction is not None:
        limits["design_construction"] = rule.design_construction
    if rule.firearms is not None:
        limits["firearms"] = rule.firearms
    tripped = tuple(n for n in THRESHOLD_NAMES if n in limits and values[n] >= limits[n])
    required = bool(tripped)
    unconfirmed = tuple(
        x.note or x.source for x in (rule, informal) if x.status == "UNCONFIRMED" and x.note is not None
    )
    return Requirement(
        required=required,
        section=rule.section if required else None,
        tripped=tripped,
        review_days=period.days if required else None,
        earliest_offer_date=on + timedelta(days=period.days) if required else on,
        informal_review_days=informal.days if required and kind == "sale" else None,
        higher_thresholds=higher,
        short_review=short,
        thresholds=limits,
        sources=(rule.source, period.source),
        unconfirmed=unconfirmed,
    )
