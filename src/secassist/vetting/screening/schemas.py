"""Input and read shapes of screening: yente's ``/match`` request, screenings, dispositions,
list versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD
from secassist.vetting.screening.service import MAX_NOTE


class EntityExample(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str | None = None
    schema_: str = Field("LegalEntity", alias="schema")
    properties: dict[str, str | list[Any]]


class EntityMatchQuery(BaseModel):
    weights: dict[str, float] = Field(
        default_factory=dict, description="Accepted for yente compatibility; unused."
    )
    queries: dict[str, EntityExample] = Field(min_length=1, max_length=50)


class VersionOut(BaseModel):
    id: int
    list_name: str
    source_format: str
    published: date | None
    files: list[dict[str, Any]]
    content_sha256: str
    entity_count: int
    alias_count: int
    identifier_count: int
    active: bool
    loaded_at: datetime
    loaded_by: str


class PartyIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    names: list[str] = Field(default_factory=list, max_length=20)
    identifiers: list[str] = Field(default_factory=list, max_length=20)
    country: str | None = Field(None, max_length=3)
    schema_: str | None = Field(None, alias="schema", max_length=40)  # FtM: Person, Organization...
    birth_dates: list[str] = Field(default_factory=list, max_length=10)


class ScreenIn(BaseModel):
    parties: list[PartyIn] = Field(min_length=1, max_length=20)
    subject: str | None = Field(None, max_length=300)
    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)


class DispositionOut(BaseModel):
    id: int
    list_name: str
    entity_id: str
    disposition: str
    note: str
    actor: str
    at: datetime


class RunOut(BaseModel):
    id: int
    at: datetime
    actor: str
    subject: str | None
    query: dict[str, Any]
    list_versions: list[dict[str, Any]]
    algorithm: str
    threshold: str
    results: list[dict[str, Any]]
    status: str
    dispositions: list[DispositionOut]


class DispositionIn(BaseModel):
    list: str = Field(min_length=1, max_length=64)
    entity_id: str = Field(min_length=1, max_length=200)
    disposition: str = Field(description="true_match, false_positive or unsure")
    note: str = Field("", max_length=MAX_NOTE)
