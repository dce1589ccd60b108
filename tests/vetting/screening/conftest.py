"""Screening fixtures: the real list files (``../shared/data/sanctions``), parsed once per
session (``parsed``), and one matcher index over all of them (``index``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secassist.vetting.screening.entities import ParsedList
from secassist.vetting.screening.matcher import Index, build_index
from secassist.vetting.screening.parsers import parse_path
from tests.conftest import SHARED_DATA

SANCTIONS = SHARED_DATA / "sanctions"
FOLDERS = (
    "ofac_sdn_2019-01",
    "ofac_sdn_sample_2025",
    "ofac_consolidated_nonsdn_2025-12",
    "us_csl",
    "bis_dpl",
    "un",
    "opensanctions_ftm",
)


@pytest.fixture(scope="session")
def parsed() -> dict[str, ParsedList]:
    return {f: parse_path(SANCTIONS / f) for f in FOLDERS}


@pytest.fixture(scope="session")
def index(parsed: dict[str, ParsedList]) -> Index:
    return build_index((p.list_name, p.entities) for p in parsed.values())


def sanctions(name: str) -> Path:
    return SANCTIONS / name
