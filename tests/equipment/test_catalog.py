"""The equipment catalog: the packaged files load and cross-check; broken files are refused
naming the file and the entry; EEUM and inventory due dates follow the dated data."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from secassist.core.errors import ReferenceDataError, ValidationFailedError
from secassist.equipment.catalog import CASE_UNIQUE, DATA_DIR, Catalog, add_months, get_catalog


def test_packaged_catalog_loads_with_sources_and_unconfirmed_notes() -> None:
    cat = get_catalog()
    assert {"nvd_monocular", "stinger_missile", "javelin_missile", "small_arms_ammunition"} <= set(
        cat.item_types
    )
    for t in cat.item_types.values():
        assert t.source
        if t.status == "UNCONFIRMED":
            assert t.note
    assert cat.item_type("NVD_Monocular").eeum == "night_vision_device"
    assert cat.item_type("small_arms_ammunition").serialized is False
    assert cat.designations["javelin"].status == "UNCONFIRMED"
    assert cat.designations["stinger"].status == "confirmed"
    assert len(cat.reporting.offices) == 4


def test_item_type_from_a_line_description() -> None:
    cat = get_catalog()
    assert cat.item_type_for("AN/PVS-14 monocular night vision devices").code == "nvd_monocular"
    assert cat.item_type_for("FIM-92 Stinger missiles").code == "stinger_missile"
    with pytest.raises(ValidationFailedError, match="no item type") as e:
        cat.item_type_for("F-16 Block 70")
    assert e.value.field == "item_type"
    with pytest.raises(ValidationFailedError, match="several item types"):
        cat.item_type_for("Stinger and Harpoon missiles")
    with pytest.raises(ValidationFailedError, match="unknown item type"):
        cat.item_type("ray_gun")


def test_eeum_belongs_to_the_line_defaulting_from_the_item_type() -> None:
    cat = get_catalog()
    nvd, carbine = cat.item_type("nvd_monocular"), cat.item_type("carbine")
    assert cat.eeum_designation(nvd, line_eeum=False, on=date(2023, 1, 1)) == "night_vision_device"
    assert cat.eeum_designation(carbine, line_eeum=False, on=date(2023, 1, 1)) is None
    # a case-unique designation makes a routine item EEUM for this line only
    assert cat.eeum_designation(carbine, line_eeum=True, on=date(2023, 1, 1)) == CASE_UNIQUE
    # an item type's own designation wins over the line's case-unique one
    assert cat.eeum_designation(nvd, line_eeum=True, on=date(2023, 1, 1)) == "night_vision_device"


def test_inventory_due_dates() -> None:
    cat = get_catalog()
    assert cat.inventory_due(
        "night_vision_device", delivered_on=date(2023, 1, 10), last_found_on=None
    ) == date(2023, 4, 10)
    assert cat.inventory_due(
        "night_vision_device", delivered_on=date(2023, 1, 10), last_found_on=date(2024, 2, 29)
    ) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    return d


def test_dated_schedules_per_designation(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    text = (d / "eeum.yaml").read_text()
    text = text.replace(
        "  - code: stinger\n",
        "  - code: stinger\n    schedules:\n"
        "      - {from: 2025-01-01, initial_inventory_days: 30,"
        " inventory_interval_months: 6, source: test}\n",
    )
    (d / "eeum.yaml").write_text(text)
    cat = Catalog(d)
    assert cat.inventory_due("stinger", delivered_on=date(2024, 12, 1), last_found_on=None) == date(
        2025, 3, 1
    )
    assert cat.inventory_due("stinger", delivered_on=date(2025, 2, 1), last_found_on=None) == date(2025, 3, 3)
    assert cat.inventory_due(
        "stinger", delivered_on=date(2025, 2, 1), last_found_on=date(2025, 3, 1)
    ) == date(2025, 9, 1)


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("item_types.yaml", "eeum: stinger\n", "eeum: phaser\n", "unknown EEUM designation 'phaser'"),
        ("item_types.yaml", "usml_category: XII\n", "usml_category: XXII\n", "item_types"),
        ("item_types.yaml", '    nsn: "5855-01-432-0524"\n', '    nsn: "12345"\n', "nsn"),
        ("eeum.yaml", "  - code: case_unique\n", "  - code: other_unique\n", "case_unique"),
        (
            "eeum.yaml",
            '    status: UNCONFIRMED\n    note: "secondary report of the IG text"\n',
            "    status: UNCONFIRMED\n",
            "needs a note",
        ),
    ],
)
def test_broken_files_are_refused_naming_the_file(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    d = _copy(tmp_path)
    text = (d / file).read_text()
    assert old in text
    (d / file).write_text(text.replace(old, new, 1))
    with pytest.raises(ReferenceDataError, match=expected) as e:
        Catalog(d)
    assert file in e.value.message
