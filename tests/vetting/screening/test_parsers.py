"""Each loader on the real files, counts checked against SOURCES.md; damaged copies refused
with the file and line named."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening.entities import ParsedList
from secassist.vetting.screening.parsers import parse_path
from tests.vetting.screening.conftest import sanctions


def _by_id(p: ParsedList) -> dict[str, object]:
    return {e.entity_id: e for e in p.entities}


def test_ofac_sdn_2019(parsed: dict[str, ParsedList]) -> None:
    p = parsed["ofac_sdn_2019-01"]
    assert p.list_name == "us_ofac_sdn"
    assert len(p.entities) == 7379
    rows = {f.name: f.rows for f in p.files}
    assert rows == {"sdn.csv": 7379, "alt.csv": 9682, "add.csv": 11696}
    ents = {e.entity_id: e for e in p.entities}
    assert ents["18782"].name == "ROSOBORONEKSPORT OAO"
    assert ents["16911"].name == "KALASHNIKOV CONCERN"
    assert ents["306"].aliases[:1] == ["NATIONAL BANK OF CUBA"]
    assert "BNC" in ents["306"].weak_aliases  # the remarks' a.k.a. is OFAC's weak alias
    assert all(len(f.sha256) == 64 for f in p.files)


def test_ofac_sample_2025_with_comments(parsed: dict[str, ParsedList]) -> None:
    p = parsed["ofac_sdn_sample_2025"]
    assert len(p.entities) == 17
    assert {f.name for f in p.files} == {"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}
    iran = {e.entity_id: e for e in p.entities}["11195"]
    assert {"IRAN-CON-ARMS-EO", "NPWMD"} <= set(iran.programs)
    kinds = {i.kind for i in iran.identifiers}
    assert {"Registration Number", "National ID No."} <= kinds
    person = {e.entity_id: e for e in p.entities}["10278"]
    assert ("Passport", "P0017003") in {(i.kind, i.value) for i in person.identifiers}


def test_ofac_consolidated_non_sdn(parsed: dict[str, ParsedList]) -> None:
    p = parsed["ofac_consolidated_nonsdn_2025-12"]
    assert p.list_name == "us_ofac_cons"
    assert len(p.entities) == 442  # the DOS EOF byte is no record
    names = {e.entity_id: e.name for e in p.entities}
    assert names["17260"] == "STATE CORPORATION ROSTEC"
    assert names["27016"] == "PRESIDENCY OF DEFENSE INDUSTRIES"


def test_csl_both_layouts(parsed: dict[str, ParsedList]) -> None:
    legacy = parse_path(sanctions("us_csl/csl_2019-12_legacy_format.csv"))
    new = parse_path(sanctions("us_csl/consolidated_2025-06_new_format.csv"))
    assert (len(legacy.entities), legacy.source_format) == (115, "csl_csv")
    assert (len(new.entities), new.source_format) == (13, "csl_2025_csv")
    assert len(parsed["us_csl"].entities) == 128  # the folder: both files
    assert sum("ITAR Debarred" in e.remarks for e in legacy.entities) == 10
    assert legacy.entities[0].name == "ADRIAN MANUEL HERNANDEZ"  # leading space gone
    sino = next(e for e in new.entities if e.name.startswith("Sinobright"))
    assert sino.name == "Sinobright Import and Export Company"  # legal clause cut
    assert len(sino.entity_id) == 56  # the _id hash
    assert legacy.entities[0].entity_id == "1"  # legacy layout: row number


def test_dpl(parsed: dict[str, ParsedList]) -> None:
    p = parsed["bis_dpl"]
    assert len(p.entities) == 546
    assert p.entities[0].name == "ADRIAN MANUEL HERNANDEZ"
    assert p.published == date(2019, 6, 12)  # latest Last_Update (3017-08-22 is a typo)


def test_un(parsed: dict[str, ParsedList]) -> None:
    p = parsed["un"]
    assert p.published == date(2026, 2, 27)
    people = [e for e in p.entities if e.schema == "Person"]
    assert (len(people), len(p.entities) - len(people)) == (730, 273)
    ids = {e.entity_id for e in p.entities}
    assert {"KPe.046", "IRe.011", "KPe.001"} <= ids
    assert "KPe.046 " not in ids


def test_ftm(parsed: dict[str, ParsedList]) -> None:
    p = parsed["opensanctions_ftm"]
    assert p.record_count == 91 + 7
    assert {f.name: f.rows for f in p.files} == {
        "eu_fsf_sample.ftm.jsonl": 7,
        "zala_aero_cluster.ftm.jsonl": 91,
    }
    assert {e.schema for e in p.entities} <= {"Person", "Company", "Organization", "LegalEntity"}
    names = {n for e in p.entities for n in e.names()}
    assert "JSC Kalashnikov Concern" in names


def _copy(src: Path, dst: Path) -> Path:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return dst


def test_truncated_ofac_row_is_refused(tmp_path: Path) -> None:
    d = _copy(sanctions("ofac_sdn_2019-01"), tmp_path / "sdn")
    data = (d / "sdn.csv").read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 30  # mid-row, inside a quoted field
    (d / "sdn.csv").write_bytes(data[:cut])
    with pytest.raises(ValidationFailedError) as err:
        parse_path(d)
    assert "sdn.csv, line " in err.value.message
    assert err.value.detail["line"] == data[:cut].count(b"\n") + 1


def test_corrupt_utf8_names_the_line(tmp_path: Path) -> None:
    f = _copy(sanctions("bis_dpl/dpl_2019-07.txt"), tmp_path / "dpl.txt")
    lines = f.read_bytes().split(b"\n")
    lines[41] = lines[41][:10] + b"\xff\xfe" + lines[41][10:]
    f.write_bytes(b"\n".join(lines))
    with pytest.raises(ValidationFailedError, match=r"dpl.txt, line 42: not valid UTF-8"):
        parse_path(f)


def test_truncated_un_xml(tmp_path: Path) -> None:
    f = _copy(sanctions("un/UN_consolidated_2026-02-27.xml"), tmp_path / "un.xml")
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValidationFailedError, match=r"un.xml, line \d+: malformed XML"):
        parse_path(f)


def test_corrupt_ftm_line(tmp_path: Path) -> None:
    f = _copy(sanctions("opensanctions_ftm/eu_fsf_sample.ftm.jsonl"), tmp_path / "x.ftm.jsonl")
    lines = f.read_text().split("\n")
    lines[3] = lines[3][: len(lines[3]) // 2]
    f.write_text("\n".join(lines))
    with pytest.raises(ValidationFailedError, match=r"x.ftm.jsonl, line 4: not a JSON object"):
        parse_path(f)


def test_wrong_width_csl_row(tmp_path: Path) -> None:
    f = _copy(sanctions("us_csl/csl_2019-12_legacy_format.csv"), tmp_path / "csl.csv")
    lines = f.read_text().split("\n")
    lines[5] = "Entity List (EL) - Bureau of Industry and Security,,,,SHORT ROW"
    f.write_text("\n".join(lines))
    with pytest.raises(ValidationFailedError, match=r"csl.csv, line 6: 5 columns where 28 were expected"):
        parse_path(f)


def test_unrecognised_file(tmp_path: Path) -> None:
    f = tmp_path / "notes.bin"
    f.write_text("hello")
    with pytest.raises(ValidationFailedError, match="not a recognised list file"):
        parse_path(f)
