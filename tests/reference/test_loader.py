"""Loading and validating the reference data files.

Each corruption test copies the packaged data directory, breaks one file, and checks that
``ReferenceData`` refuses it with a ReferenceDataError naming the file and the entry.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pycountry
import pytest
import yaml

from secassist.core.errors import ReferenceDataError
from secassist.reference.loader import DATA_DIR
from secassist.reference.service import ReferenceData, get_reference

FILES = [
    "countries.yaml",
    "implementing_agencies.yaml",
    "itar_126_1.yaml",
    "mnna.yaml",
    "nato.yaml",
    "notification_groups.yaml",
    "usml.yaml",
]
# Reference files a domain loads itself (with the same strict loader), not ReferenceData.
DOMAIN_FILES = {"notification_thresholds.yaml": "secassist.notification.thresholds"}

Edit = Callable[[str], str]


def replace(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"fixture drift: {old!r} should occur once in the file"
        return text.replace(old, new)

    return edit


def sub(pattern: str, new: str) -> Edit:
    def edit(text: str) -> str:
        out, n = re.subn(pattern, new, text, flags=re.M)
        assert n == 1, f"fixture drift: {pattern!r} matched {n} times"
        return out

    return edit


def append(extra: str) -> Edit:
    return lambda text: text.rstrip("\n") + "\n" + extra


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def corrupt(data_dir: Path, name: str, edit: Edit) -> None:
    path = data_dir / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


# --- the packaged data ---------------------------------------------------------------


def test_packaged_files_are_all_there() -> None:
    assert sorted(p.name for p in DATA_DIR.glob("*.yaml")) == sorted(FILES + list(DOMAIN_FILES))
    for name, module in DOMAIN_FILES.items():
        assert name in Path(importlib.import_module(module).__file__ or "").read_text()


def test_packaged_data_loads() -> None:
    ref = ReferenceData()
    assert set(ref.files) == set(FILES)
    for name, loaded in ref.files.items():
        assert loaded.path == DATA_DIR / name
        assert loaded.sha256 == hashlib.sha256(loaded.path.read_bytes()).hexdigest()


def test_get_reference_is_cached() -> None:
    assert get_reference() is get_reference()


def test_copied_data_dir_loads_and_agrees(data_dir: Path, reference: ReferenceData) -> None:
    copy = ReferenceData(data_dir=data_dir)
    assert copy.files["nato.yaml"].path == data_dir / "nato.yaml"
    assert copy.files["nato.yaml"].sha256 == reference.files["nato.yaml"].sha256
    on = date(2024, 3, 7)
    assert copy.nato_members(on) == reference.nato_members(on)
    assert copy.group_members("short_review", on) == reference.group_members("short_review", on)


@pytest.mark.parametrize("name", FILES)
def test_dataset_field_matches_file_name(name: str) -> None:
    raw = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
    assert raw["dataset"] == name.removesuffix(".yaml")


class _NoDuplicateKeysLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; the packaged files must have none."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        assert key not in seen, f"duplicate key {key!r} at line {key_node.start_mark.line + 1}"
        seen.add(key)
    return loader.construct_mapping(node)


_NoDuplicateKeysLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@pytest.mark.parametrize("name", FILES)
def test_packaged_files_have_no_duplicate_keys(name: str) -> None:
    yaml.load((DATA_DIR / name).read_text(encoding="utf-8"), Loader=_NoDuplicateKeysLoader)  # noqa: S506


def test_every_iso_country_is_present(reference: ReferenceData) -> None:
    iso = {c.alpha_2 for c in pycountry.countries}
    ours = {c.code for c in reference.countries()}
    assert iso - ours == set()
    assert ours - iso == set()


def test_every_entry_with_an_fms_code_has_a_status() -> None:
    raw = yaml.safe_load((DATA_DIR / "countries.yaml").read_text(encoding="utf-8"))
    with_fms = [e for e in raw["entries"] if e.get("fms_code")]
    assert with_fms, "expected some explicit FMS codes"
    for e in with_fms:
        assert e.get("fms_code_status") in ("confirmed", "UNCONFIRMED"), e


def test_fms_code_differing_from_iso_is_never_assumed(reference: ReferenceData) -> None:
    for c in reference.countries():
        if c.fms_code != c.code:
            assert c.fms_code_status in ("confirmed", "UNCONFIRMED"), c


# --- corrupted copies ----------------------------------------------------------------

# Known loader bugs; strict, so the marks must go when the loader is fixed.

CORRUPTIONS = [
    # bad dates: nato.yaml members[30] is Finland
    pytest.param(
        "nato.yaml",
        replace("{code: FI, from: 2023-04-04", "{code: FI, from: 2023-04-xx"),
        ["nato.yaml", "members[30]", "FI", "from"],
        id="bad-date-text",
    ),
    pytest.param(
        "nato.yaml",
        replace("{code: FI, from: 2023-04-04", "{code: FI, from: 2023-4-4"),
        ["nato.yaml", "members[30]", "FI", "from"],
        id="bad-date-short",
    ),
    pytest.param(
        "nato.yaml",
        replace("{code: FI, from: 2023-04-04", "{code: FI, from: 2023-02-30"),
        ["nato.yaml", "members[30]", "FI", "from"],
        id="bad-date-no-such-day",
    ),
    pytest.param(
        "nato.yaml",
        replace("{code: FI, from: 2023-04-04", "{code: FI, from: 2023-13-04"),
        ["nato.yaml", "members[30]", "FI", "from"],
        id="bad-date-no-such-month",
    ),
    pytest.param(
        "itar_126_1.yaml",
        replace(
            '{code: CF, table: 2, source: "[S61][S31]", amended: [2025-07-07]',
            '{code: CF, table: 2, source: "[S61][S31]", amended: [July 2025]',
        ),
        ["itar_126_1.yaml", "entries[9]", "CF", "amended"],
        id="bad-date-in-list",
    ),
    pytest.param(
        "nato.yaml",
        replace("{code: FI, from: 2023-04-04,", "{code: FI, from: 2023-04-04, status: maybe,"),
        ["nato.yaml", "members[30]", "FI"],
        id="duplicate-field-in-flow-mapping",
    ),
    # unknown codes
    pytest.param(
        "mnna.yaml",
        replace("{code: SA,", "{code: XX,"),
        ["mnna.yaml", "members[20]", "XX", "unknown country code"],
        id="unknown-code-mnna",
    ),
    pytest.param(
        "mnna.yaml",
        replace("{code: TW,", "{code: QQ,"),
        ["mnna.yaml", "treated_as[0]", "QQ", "unknown country code"],
        id="unknown-code-mnna-treated-as",
    ),
    pytest.param(
        "nato.yaml",
        replace("{code: BE,", "{code: be,"),
        ["nato.yaml", "members[0]", "be", "unknown country code"],
        id="lowercase-code-in-file",
    ),
    pytest.param(
        "itar_126_1.yaml",
        replace("{code: BY,", "{code: SU,"),
        ["itar_126_1.yaml", "entries[0]", "SU", "unknown country code"],
        id="unknown-code-itar",
    ),
    pytest.param(
        "notification_groups.yaml",
        sub(r"(short_review:(?:.|\n)*)\{code: NZ,", r"\1{code: QQ,"),
        ["notification_groups.yaml", "groups.short_review.members[4]", "QQ", "unknown country code"],
        id="unknown-code-group",
    ),
    pytest.param(
        "notification_groups.yaml",
        replace("include_bodies: [NATO]", "include_bodies: [NAMO]"),
        ["notification_groups.yaml", "groups.short_review.include_bodies", "NAMO"],
        id="unknown-body-group",
    ),
    pytest.param(
        "notification_groups.yaml",
        replace("  short_review:", "  long_review:"),
        ["notification_groups.yaml", "groups", "long_review"],
        id="unknown-group",
    ),
    # countries
    pytest.param(
        "countries.yaml",
        replace(
            "  - {code: AD, region: EUR}\n", "  - {code: AD, region: EUR}\n  - {code: AD, region: EUR}\n"
        ),
        ["countries.yaml", "entries[1]", "AD", "duplicate"],
        id="duplicate-country",
    ),
    pytest.param(
        "countries.yaml",
        replace("  - {code: AD, region: EUR}\n", "  - {code: AD, region: ZZZ}\n"),
        ["countries.yaml", "entries[0]", "AD", "ZZZ"],
        id="unknown-region",
    ),
    pytest.param(
        "countries.yaml",
        replace(
            "  - {code: AD, region: EUR}\n", "  - {code: AD, region: EUR}\n  - {code: XK, region: EUR}\n"
        ),
        ["countries.yaml", "entries[1]", "XK", "ISO 3166-1"],
        id="not-iso-country",
    ),
    pytest.param(
        "countries.yaml",
        replace(
            "{code: AU, region: EAP, fms_code: AT, fms_code_status: UNCONFIRMED}",
            "{code: AU, region: EAP, fms_code: AT}",
        ),
        ["countries.yaml", "entries[12]", "AU", "fms_code_status"],
        id="fms-code-without-status",
    ),
    pytest.param(
        "countries.yaml",
        replace(
            "  AF: Bureau of African Affairs\n",
            "  AF: Bureau of African Affairs\n  AF: Bureau of Something Else\n",
        ),
        ["countries.yaml", "regions", "AF"],
        id="duplicate-region-key",
    ),
    # windows
    pytest.param(
        "itar_126_1.yaml",
        append('  - {code: KH, table: 2, from: 2025-01-01, source: "test"}\n'),
        ["itar_126_1.yaml", "entries[25]", "KH", "overlaps"],
        id="overlapping-windows-itar",
    ),
    pytest.param(
        "itar_126_1.yaml",
        append('  - {code: CN, table: 2, from: 2027-01-01, source: "test"}\n'),
        ["itar_126_1.yaml", "entries[25]", "CN", "overlaps"],
        id="overlapping-windows-across-tables",
    ),
    pytest.param(
        "nato.yaml",
        replace("bodies:\n", '  - {code: BE, from: 2000-01-01, source: "test"}\nbodies:\n'),
        ["nato.yaml", "members[32]", "BE", "overlaps"],
        id="overlapping-windows-nato",
    ),
    pytest.param(
        "mnna.yaml",
        replace("from: 2012-07-07, until: 2022-07-15", "from: 2022-07-15, until: 2012-07-07"),
        ["mnna.yaml", "members[14]", "AF", "until"],
        id="until-before-from",
    ),
    pytest.param(
        "mnna.yaml",
        replace("from: 2012-07-07, until: 2022-07-15", "from: 2012-07-07, until: 2012-07-07"),
        ["mnna.yaml", "members[14]", "AF", "until"],
        id="until-equals-from",
    ),
    # shape
    pytest.param(
        "nato.yaml",
        replace("  - {code: BE,", "  - {code: BE, colour: red,"),
        ["nato.yaml", "members[0]", "BE", "colour", "Extra inputs"],
        id="extra-field-entry",
    ),
    pytest.param(
        "usml.yaml",
        append("editor: someone\n"),
        ["usml.yaml", "editor", "Extra inputs"],
        id="extra-field-top",
    ),
    pytest.param(
        "nato.yaml",
        replace("coverage: {start: 1949-08-24,", "coverage: {since: 1949-01-01, start: 1949-08-24,"),
        ["nato.yaml", "coverage", "since", "Extra inputs"],
        id="extra-field-coverage",
    ),
    pytest.param(
        "itar_126_1.yaml",
        replace("{code: BY, table: 1,", "{code: BY,"),
        ["itar_126_1.yaml", "entries[0]", "BY", "table", "Field required"],
        id="missing-field-entry",
    ),
    pytest.param(
        "implementing_agencies.yaml",
        replace(
            '{code: D, abbreviation: USAF, name: "Department of the Air Force", ',
            "{code: D, abbreviation: USAF, ",
        ),
        ["implementing_agencies.yaml", "agencies[1]", "name", "Field required"],
        id="missing-field-agency",
    ),
    pytest.param(
        "usml.yaml",
        sub(r"^title:.*\n", ""),
        ["usml.yaml", "title", "Field required"],
        id="missing-field-top",
    ),
    pytest.param(
        "nato.yaml",
        replace("dataset: nato\n", "dataset: mnna\n"),
        ["nato.yaml", "dataset"],
        id="wrong-dataset",
    ),
    pytest.param(
        "nato.yaml",
        replace(
            '{code: FI, from: 2023-04-04, source: "domain.md §10 [S108][S31]", status: UNCONFIRMED',
            '{code: FI, from: 2023-04-04, source: "domain.md §10 [S108][S31]", status: maybe',
        ),
        ["nato.yaml", "members[30]", "FI", "status"],
        id="bad-status",
    ),
    pytest.param(
        "itar_126_1.yaml",
        replace("{code: BY, table: 1,", "{code: BY, table: 3,"),
        ["itar_126_1.yaml", "entries[0]", "BY", "table"],
        id="bad-itar-table",
    ),
    # USML
    pytest.param(
        "usml.yaml",
        sub(r"^  - \{number: 21,.*\n", ""),
        ["usml.yaml", "categories", "XXI"],
        id="usml-20-categories",
    ),
    pytest.param(
        "usml.yaml",
        replace("{number: 21,", "{number: 20,"),
        ["usml.yaml", "categories", "XXI"],
        id="usml-duplicate-category",
    ),
    pytest.param(
        "usml.yaml",
        replace("{number: 21,", "{number: 22,"),
        ["usml.yaml", "categories[20]", "number"],
        id="usml-category-22",
    ),
    # agencies
    pytest.param(
        "implementing_agencies.yaml",
        replace("{code: P,", "{code: B,"),
        ["implementing_agencies.yaml", "agencies", "duplicate letter"],
        id="duplicate-agency-letter",
    ),
    pytest.param(
        "implementing_agencies.yaml",
        replace("{code: P,", "{code: PP,"),
        ["implementing_agencies.yaml", "agencies[2]", "code"],
        id="agency-letter-too-long",
    ),
    # coverage
    pytest.param(
        "nato.yaml",
        replace(
            "coverage: {start: 1949-08-24, end: 2027-12-31}", "coverage: {start: 1949-08-24, end: 1949-08-23}"
        ),
        ["nato.yaml", "coverage", "before start"],
        id="coverage-end-before-start",
    ),
    pytest.param(
        "itar_126_1.yaml",
        replace("coverage: {start: 2024-01-01, end: 2027-12-31}", "coverage: {start: 2024-01-01}"),
        ["itar_126_1.yaml", "coverage", "end", "Field required"],
        id="coverage-without-end",
    ),
]


@pytest.mark.parametrize(("name", "edit", "fragments"), CORRUPTIONS)
def test_corrupted_file_is_refused_naming_file_and_entry(
    data_dir: Path, name: str, edit: Edit, fragments: list[str]
) -> None:
    corrupt(data_dir, name, edit)
    with pytest.raises(ReferenceDataError) as info:
        ReferenceData(data_dir=data_dir)
    message = info.value.message
    assert message.startswith(name), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert info.value.code == "reference.data_invalid"
    assert info.value.exit_code == 65


def test_bad_date_names_file_entry_and_code(data_dir: Path) -> None:
    corrupt(data_dir, "nato.yaml", replace("{code: FI, from: 2023-04-04", "{code: FI, from: 2023-04-xx"))
    with pytest.raises(ReferenceDataError) as info:
        ReferenceData(data_dir=data_dir)
    assert info.value.message.startswith("nato.yaml: entry members[30] (code 'FI').from: ")
    assert info.value.detail["file"] == str(data_dir / "nato.yaml")
    assert info.value.detail["entry"] == "members[30] (code 'FI').from"


def test_validation_error_counts_further_problems(data_dir: Path) -> None:
    corrupt(data_dir, "nato.yaml", replace("{code: BE,", "{code: BE, colour: red, size: big,"))
    with pytest.raises(ReferenceDataError, match=r"and 1 more problems"):
        ReferenceData(data_dir=data_dir)


@pytest.mark.parametrize(
    ("name", "anchor", "broken"),
    [
        ("nato.yaml", "  - {code: BE,", "  - {code: BE, [,"),
        ("usml.yaml", "  - {number: 8,", "\t- {number: 8,"),
        ("mnna.yaml", "treated_as:\n", "treated_as: : :\n"),
    ],
    ids=["unclosed-bracket", "tab-indent", "colons"],
)
def test_invalid_yaml_names_file_and_line(data_dir: Path, name: str, anchor: str, broken: str) -> None:
    text = (data_dir / name).read_text(encoding="utf-8")
    line = text[: text.index(anchor)].count("\n") + 1
    corrupt(data_dir, name, replace(anchor, broken))
    with pytest.raises(ReferenceDataError) as info:
        ReferenceData(data_dir=data_dir)
    assert info.value.message.startswith(f"{name}: line ")
    assert "not valid YAML" in info.value.message
    reported = int(re.search(r"line (\d+)", info.value.message).group(1))  # type: ignore[union-attr]
    assert reported in (line, line + 1)


@pytest.mark.parametrize("content", ["", "- a\n- b\n", "just a string\n"], ids=["empty", "list", "scalar"])
def test_top_level_not_a_mapping(data_dir: Path, content: str) -> None:
    (data_dir / "mnna.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"^mnna\.yaml: expected a mapping"):
        ReferenceData(data_dir=data_dir)


def test_missing_file(data_dir: Path) -> None:
    (data_dir / "usml.yaml").unlink()
    with pytest.raises(ReferenceDataError, match=r"usml\.yaml: cannot read"):
        ReferenceData(data_dir=data_dir)
