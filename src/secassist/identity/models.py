"""Identity tables. Organizations, users, roles and API tokens are audited; web sessions
are ephemeral and not (their creation is recorded by the login's audit entry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime


class Organization(Base):
    __tablename__ = "identity_organization"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('state', 'dod', 'sco', 'congress', 'industry', 'partner', 'auditor')", name="kind"
        ),
        CheckConstraint("(kind IN ('sco', 'partner')) = (country_code IS NOT NULL)", name="country_for_kind"),
        CheckConstraint(
            "office IS NULL OR (kind = 'state' AND office IN "
            "('political_military', 'human_rights', 'technology_security'))",
            name="office_for_state",
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("reference_country.code"))
    # The vetting review office a State organization is (``permissions.REVIEW_OFFICES``):
    # its users, and only they, sign off for that office.
    office: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "identity_user"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200), info={"secret": True})
    is_active: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The operating-system account the command line maps to this user when no ``--as``
    # names one (``cli.common.acting``).
    os_user: Mapped[str | None] = mapped_column(String(64), unique=True)


class UserRole(Base):
    __tablename__ = "identity_user_role"
    __table_args__ = audited()

    user_id: Mapped[int] = mapped_column(ForeignKey("identity_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored. ``scopes`` narrows the user's permissions."""

    __tablename__ = "identity_api_token"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("identity_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    scopes: Mapped[str] = mapped_column(Text)  # space-separated permissions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A browser session; the cookie holds a random id whose SHA-256 is stored here."""

    __tablename__ = "identity_web_session"
    __table_args__ = (UniqueConstraint("id_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("identity_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
