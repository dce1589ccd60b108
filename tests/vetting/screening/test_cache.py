"""The screening index cache: plain JSON that cannot run code, used only from a private
folder and only when the file is the current user's own; anything else is rebuilt."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from secassist.vetting.screening import cache
from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.matcher import Index
from tests.vetting.screening.conftest import sanctions

LISTS = [sanctions("ofac_sdn_sample_2025"), sanctions("us_csl")]
PLANTED = "Planted Decoy Trading"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECASSIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SECASSIST_SCREENING_CACHE", raising=False)
    return tmp_path / "cache" / "screening"


def _target(folder: Path) -> Path:
    return folder / f"{cache._key(LISTS)}{cache.SUFFIX}"


def _planted() -> Index:
    """A well-formed index that is not the lists': what an attacker would plant."""
    index = Index()
    index.add("us_ofac_sdn", ListEntity(entity_id="planted", name=PLANTED))
    return index.finalize()


def _plant(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = _target(folder)
    target.write_bytes(cache.encode(_planted(), cache._key(LISTS)))
    target.chmod(0o600)
    return target


def _is_real(index: Index) -> bool:
    return not index.match(PLANTED, threshold=0.9) and len(index) == len(cache.build(LISTS))


def _make_foreign(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give ``path`` another owner: really as root; otherwise this process takes another uid."""
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
    else:
        other = os.geteuid() + 1
        monkeypatch.setattr(os, "geteuid", lambda: other)


def test_the_cache_round_trips_and_is_private(folder: Path) -> None:
    built = cache.build(LISTS)
    again = cache.decode(cache.encode(built, "k"), "k")
    for attr in ("ent_list", "ent_id", "ent_name", "name_ent", "name_text", "name_weight", "weight"):
        assert getattr(again, attr) == getattr(built, attr), attr
    assert again.name_toks == built.name_toks
    assert again.name_raw == built.name_raw
    assert again.name_join == built.name_join
    assert dict(again.spelling_names) == dict(built.spelling_names)
    assert again.spelling_token == built.spelling_token
    for q in ("Kalashnikov Koncern", "Daniel Morena", "KOMID", "Evergreen Dental Studios"):
        assert again.match(q) == built.match(q)

    first = cache.index_for_paths(LISTS)
    target = _target(folder)
    assert target.read_bytes().startswith(b'{"format":"3-json"')
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.write_bytes(cache.encode(_planted(), cache._key(LISTS)))  # ours, so it is used
    assert cache.index_for_paths(LISTS).match(PLANTED, threshold=0.9)
    assert first.match("Kalashnikov Koncern") == built.match("Kalashnikov Koncern")
    with pytest.raises(ValueError, match="not a screening index"):
        cache.decode(cache.encode(built, "k"), "another key")


class _Boom:
    """Unpickling this would create the marker file: the cache must never unpickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize(
    "content",
    ["pickle", b"", b"not json", b'{"format":"3-json"', b"[1,2,3]", b'{"format":"2-json","key":"x"}'],
)
def test_a_tampered_cache_is_rebuilt_never_executed(
    folder: Path, tmp_path: Path, content: str | bytes
) -> None:
    marker = tmp_path / "executed"
    target = _plant(folder)
    raw = pickle.dumps(_Boom(marker)) if content == "pickle" else content
    assert isinstance(raw, bytes)
    target.write_bytes(raw)
    assert _is_real(cache.index_for_paths(LISTS))
    assert not marker.exists()
    cache.decode(target.read_bytes(), cache._key(LISTS))  # replaced by a good one


def test_a_cache_with_wrong_references_is_rebuilt(folder: Path) -> None:
    target = _plant(folder)
    good = target.read_text()
    # A name pointing at an entity that does not exist, a spelling no token knows.
    for bad in (
        good.replace('"name_ent":[0]', '"name_ent":[7]'),
        good.replace('"spelling_names":{', '"spelling_names":{"zzz":[0],'),
    ):
        assert bad != good
        target.write_text(bad)
        assert _is_real(cache.index_for_paths(LISTS))


def test_a_foreign_owned_cache_file_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _plant(folder)
    _make_foreign(target, monkeypatch)
    assert _is_real(cache.index_for_paths(LISTS))


def test_a_cache_file_others_may_write_is_refused(folder: Path) -> None:
    target = _plant(folder)
    target.chmod(0o666)
    assert _is_real(cache.index_for_paths(LISTS))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # rebuilt as our own


def test_a_linked_cache_file_is_refused(folder: Path, tmp_path: Path) -> None:
    planted = _plant(folder)
    elsewhere = tmp_path / "elsewhere.json"
    planted.rename(elsewhere)
    planted.symlink_to(elsewhere)
    assert _is_real(cache.index_for_paths(LISTS))


@pytest.mark.parametrize("how", ["world-writable", "foreign"])
def test_a_shared_or_foreign_folder_is_not_used(
    folder: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _plant(folder)
    if how == "world-writable":
        folder.chmod(0o777)
    else:
        _make_foreign(folder, monkeypatch)
    assert _is_real(cache.index_for_paths(LISTS))
    assert cache.private_folder(folder) is None
    assert [p.name for p in folder.iterdir()] == [_target(folder).name]  # nothing written there


def test_an_own_folder_readable_by_others_is_closed(folder: Path) -> None:
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    assert cache.private_folder(folder) == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
