"""The typed declarative base shared by every domain's models."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import Any

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


def audited() -> dict[str, Any]:
    """``__table_args__`` marking a table whose every row the audit log must explain:
    ``secassist audit verify`` compares each row with its last after-image."""
    return {"info": {"audited": True}}


def load_all_models() -> MetaData:
    """Import every ``secassist.<package>.models`` module, so the metadata is complete.

    Discovered by convention rather than imported by name: storage sits below the
    domains and must not import them, and a new domain only adds its own ``models.py``.
    """
    import secassist

    for info in pkgutil.iter_modules(secassist.__path__):
        if info.ispkg and importlib.util.find_spec(f"secassist.{info.name}.models") is not None:
            importlib.import_module(f"secassist.{info.name}.models")
    return Base.metadata
