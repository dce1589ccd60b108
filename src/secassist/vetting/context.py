"""What the rules may know besides the proposal, given as plain values.

The service fills a :class:`RuleContext` from two interfaces: :class:`DiversionHistory`
(the country's end-use record; the equipment domain will feed it, for now a table entered
by hand) and :class:`RegionalRegister` (the SIPRI trade register the user imports). The
rules never touch the database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from secassist.reference.service import ReferenceData
from secassist.vetting.tables import EmbargoTable, TechnologyTable

EndUseKind = Literal["unauthorized_transfer", "delinquent_inventory", "incident"]
END_USE_KINDS: tuple[EndUseKind, ...] = ("unauthorized_transfer", "delinquent_inventory", "incident")


@dataclass(frozen=True)
class EndUseRecord:
    """One entry of a country's end-use history (SAMM C8.6 unauthorized end use, EEUM
    delinquencies; domain.md §7.1 [S73][S74][S75])."""

    record_id: int
    country: str
    kind: EndUseKind
    occurred_on: date
    description: str
    resolved_on: date | None = None
    source: str = ""
    evidence: str | None = None  # the finding's evidence key; default ``enduse:<record_id>``


class DiversionHistory(Protocol):
    """The end-use history of a country up to a date."""

    def records(self, countries: Collection[str], *, on: date) -> Sequence[EndUseRecord]: ...


@dataclass(frozen=True)
class Holding:
    """A country holding a class of weapon per the register (``weapon_description``)."""

    country: str
    weapon_description: str
    first_order_year: int
    designations: tuple[str, ...]


class RegionalRegister(Protocol):
    """Who holds which class of weapon, as far as an imported register knows."""

    @property
    def label(self) -> str: ...

    def holdings(
        self, descriptions: Collection[str], countries: Collection[str], *, before_year: int
    ) -> Sequence[Holding]: ...


@dataclass(frozen=True)
class RegionalFacts:
    """For each item type of the proposal: who in the purchaser's region holds it."""

    register: str  # "SIPRI trade register, imported 2026-12-01 (sha256 …)"
    region: str
    holders: Mapping[str, tuple[Holding, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleContext:
    reference: ReferenceData
    embargoes: EmbargoTable
    technology: TechnologyTable
    end_use: tuple[EndUseRecord, ...] = ()
    regional: RegionalFacts | None = None
