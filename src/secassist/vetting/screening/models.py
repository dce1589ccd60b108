"""Screening tables: loaded list versions (and their entities, compactly), screenings and
analysts' dispositions. Every table is audited.

Scores and thresholds are kept as decimal strings (``"0.9312"``): the audit log refuses
binary floats.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import secassist.identity.models  # noqa: F401  (the users these rows' foreign keys name)
from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime

DISPOSITIONS = ("true_match", "false_positive", "unsure")


class ScreeningListVersion(Base):
    """One load of one list: which files (with SHA-256), as of when, how many entries.
    At most one version of a list is active: the one screenings use."""

    __tablename__ = "screening_list_version"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column(String(64), index=True)
    source_format: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(1000))
    published: Mapped[date | None] = mapped_column(Date())
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, sha256, size, rows}]
    content_sha256: Mapped[str] = mapped_column(String(64))  # over the files' hashes, in order
    record_count: Mapped[int] = mapped_column(Integer)
    entity_count: Mapped[int] = mapped_column(Integer)
    alias_count: Mapped[int] = mapped_column(Integer)
    identifier_count: Mapped[int] = mapped_column(Integer)
    orphan_rows: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(300))


class ScreeningEntity(Base):
    """The entities of a list version, stored compactly: one gzip'd JSON document.

    ``payload`` is kept in the audit log as its SHA-256 (``info={"secret": True}``, the
    log's hashed-column mechanism): the log stays small, and a changed byte still shows
    in ``secassist audit verify``.
    """

    __tablename__ = "screening_entity"
    __table_args__ = audited()

    version_id: Mapped[int] = mapped_column(ForeignKey("screening_list_version.id"), primary_key=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary, info={"secret": True})


class ScreeningRun(Base):
    """One screening: the query, the list versions and algorithm used, the results."""

    __tablename__ = "screening_run"
    __table_args__ = (
        CheckConstraint("status IN ('clear', 'potential_match', 'match')", name="status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("identity_user.id"))
    actor: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(300))  # what the screening is for (a case, a party)
    country_code: Mapped[str | None] = mapped_column(String(3))  # the party's country, when known
    query: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # {"parties": [{"names": [...], "identifiers": [...]}]}
    list_versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{id, list_name, content_sha256}]
    algorithm: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[str] = mapped_column(String(8))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    hit_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # clear | potential_match (unresolved) | match


class ScreeningDisposition(Base):
    """An analyst's decision on one result of a screening (the latest one counts)."""

    __tablename__ = "screening_disposition"
    __table_args__ = (
        CheckConstraint("disposition IN ('true_match', 'false_positive', 'unsure')", name="disposition"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("screening_run.id"), index=True)
    list_name: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    disposition: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("identity_user.id"))
    actor: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScreeningAlert(Base):
    """A potential match that a re-screening found, in the responsible office's queue.

    Continuous screening (issue #14) re-screens the parties of open cases, proposals and
    transfer requests when a list version is loaded; a result that no analyst has cleared
    for the same, unchanged listed entry becomes an alert naming the record it touches
    (``reference``: ``case:12``, ``transfer:3``) and the office that must look at it. It is
    closed when an analyst records a disposition on the screening's result.
    """

    __tablename__ = "screening_alert"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("screening_run.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100), index=True)  # case:12 | transfer:3 | proposal:5
    subject: Mapped[str] = mapped_column(String(300))
    country_code: Mapped[str | None] = mapped_column(String(3), index=True)
    office: Mapped[str | None] = mapped_column(String(200))  # the responsible office, when registered
    list_name: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    entity_name: Mapped[str] = mapped_column(String(500))
    score: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
