"""What other domains may know of a case: plain, frozen facts, no ORM objects.

Domains must not import each other, so the offer gates (in ``workflows/``) read a case
through these values; ``cases.service.case_facts`` builds them from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class LineFacts:
    """One case line as the gates see it."""

    line_id: int
    number: str  # "001", "002", ...
    item_type: str
    description: str
    usml_category: str | None  # roman numeral, "I".."XXI", or None for services
    mde: bool
    sme: bool
    eeum: bool  # enhanced end-use monitoring designated (case-unique MASL)
    quantity: int
    unit_cost: Decimal
    value: Decimal
    contractor_org_id: int | None


@dataclass(frozen=True)
class CaseFacts:
    """A case's identity, purchaser, financing and derived values on a date."""

    case_id: int
    identifier: str  # CC-I-XXX
    version: int  # optimistic-locking version of the case row
    status: str
    purchaser_code: str  # ISO alpha-2 country, or a NATO body code (e.g. "NATO", "NSPA")
    purchaser_is_body: bool
    financing: str  # "national" | "fmf" | "mixed"
    implementing_agency: str  # one-letter IA code
    loa_type: str  # "defined_order" | "blanket_order" | "clssa"
    end_users: tuple[str, ...]
    lines: tuple[LineFacts, ...]
    mde_value: Decimal
    other_value: Decimal
    total_value: Decimal
    design_construction_value: Decimal
    lor_complete_on: date | None
    # Added by the cases domain (compatible: defaults, at the end).
    title: str = ""
    country_code: str | None = None  # ISO alpha-2 of a country purchaser; None for a NATO body
    offered_on: date | None = None
    offer_expires_on: date | None = None
    transmittal: str | None = None  # §36(b) transmittal number once notified
    accepted_on: date | None = None  # the purchaser signed the LOA (deliveries follow it)
