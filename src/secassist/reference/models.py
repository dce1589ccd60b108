"""Reference data mirrored into the database, so domain rows can reference it by key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime


class CountryRow(Base):
    __tablename__ = "reference_country"
    __table_args__ = audited()

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(8), index=True)
    fms_code: Mapped[str] = mapped_column(String(2))
    territory: Mapped[bool] = mapped_column(Boolean, default=False)


class DatasetVersion(Base):
    """Which version (content hash) of each reference file the database was synced from."""

    __tablename__ = "reference_dataset"
    __table_args__ = audited()

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int]
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())
