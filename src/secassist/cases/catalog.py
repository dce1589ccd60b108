"""The cases domain's own reviewable data: line item types, AOD groups and targets.

YAML under ``cases/data/``, validated on load (same loader and error style as
``reference/``); values the sources do not confirm are marked UNCONFIRMED in the files.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from secassist.core.errors import ValidationFailedError
from secassist.reference.loader import load_file

DATA_DIR = Path(__file__).parent / "data"
Status = Literal["confirmed", "UNCONFIRMED"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemType(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    title: str
    service: bool
    design_construction: bool = False


class ItemTypesFile(_Strict):
    dataset: Literal["fms_item_types"]
    title: str
    source: str
    status: Status = "confirmed"
    note: str | None = None
    item_types: list[ItemType]


class AodGroup(_Strict):
    code: str = Field(pattern=r"^[A-Z]$")
    days: int | None = Field(default=None, ge=1)
    status: Status = "confirmed"
    note: str | None = None


class Target(_Strict):
    value: Decimal
    source: str
    note: str | None = None


class Targets(_Strict):
    aod_share: Target
    days_120_share: Target
    days_120: Target


class MetricsFile(_Strict):
    dataset: Literal["fms_case_metrics"]
    title: str
    source: str
    aod_groups: list[AodGroup]
    modification_group_from: dict[str, str] = {}
    targets: Targets


class Catalog:
    """Item types and AOD groups, loaded once."""

    def __init__(self, data_dir: Path | None = None) -> None:
        d = data_dir or DATA_DIR
        self.items_file, _ = load_file(ItemTypesFile, "fms_item_types.yaml", d)
        self.metrics, _ = load_file(MetricsFile, "fms_case_metrics.yaml", d)
        self.item_types = {i.code: i for i in self.items_file.item_types}
        self.aod_groups = {g.code: g for g in self.metrics.aod_groups}

    def item_type(self, code: str) -> ItemType:
        try:
            return self.item_types[code.strip().lower()]
        except KeyError:
            raise ValidationFailedError(
                f"item_type: unknown item type {code!r}; one of {', '.join(sorted(self.item_types))}",
                field="item_type",
            ) from None

    def aod_group(self, code: str) -> AodGroup:
        try:
            return self.aod_groups[code.strip().upper()]
        except KeyError:
            raise ValidationFailedError(
                f"aod_group: unknown AOD group {code!r}; one of {', '.join(sorted(self.aod_groups))}",
                field="aod_group",
            ) from None


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The packaged catalog (loaded on first use, never at import time)."""
    return Catalog()
