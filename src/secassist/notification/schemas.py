"""API shapes of notifications (Pydantic 2). Money is a string in JSON."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from secassist.core.types import IsoDate, Money, RowId


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchaser: str = Field(min_length=1, max_length=300)
    purchaser_country: str = Field(min_length=2, max_length=4)
    mde_value: str = Field(description="USD, as a string")
    other_value: str = Field(description="USD, as a string")
    design_construction_value: str = "0"
    case_id: RowId | None = None
    transmittal: str | None = None
    kind: str = "sale"
    implementing_agency: str | None = None
    description: str | None = None
    policy_justification: str | None = None
    sensitivity: str | None = None


class InformalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: IsoDate
    days: int | None = Field(default=None, ge=0, le=365)


class FormalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: IsoDate
    transmittal: str | None = None


class WaiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    justification: str = Field(min_length=1, max_length=20_000)


class DisapprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=100)
    on: IsoDate


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_type: str
    file_name: str
    stated_date: date | None
    imported_at: datetime


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    origin: str
    case_id: int | None
    transmittal: str | None
    section: str | None
    kind: str
    purchaser: str | None
    purchaser_country: str | None
    implementing_agency: str | None
    mde_value: Money | None
    other_value: Money | None
    total_value: Money | None
    design_construction_value: Money | None
    status: str
    informal_review_on: date | None
    informal_review_days: int | None
    formally_notified: bool
    formal_notification_on: date | None
    review_days: int | None
    review_ends_on: date | None
    emergency_waiver: bool
    emergency_justification: str | None
    disapproval_resolution: str | None
    disapproved_on: date | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class RequirementRead(BaseModel):
    required: bool
    section: str | None
    tripped: list[str]
    review_days: int | None
    earliest_offer_date: date | None
    informal_review_days: int | None
    higher_thresholds: bool
    short_review: bool
    thresholds: dict[str, int]
    sources: list[str]
    unconfirmed: list[str]
