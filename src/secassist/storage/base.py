"""The typed declarative base shared by every domain's models."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names: Alembic's batch mode on SQLite can only alter a
# constraint it can name, and autogenerate can only compare named constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all_models() -> MetaData:
    """Import every module that defines tables, so the metadata is complete.

    Called by migrations and ``db check``; a domain that adds models adds its import here.
    """
    import secassist.reference.models  # noqa: F401

    return Base.metadata
