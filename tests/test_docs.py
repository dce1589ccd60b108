"""The docs stay true to the tree: the directory map of docs/architecture.md is the one
``scripts/dirmap.py`` generates, every module has a docstring to describe it by, and the
glossary is linked from where a newcomer starts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _dirmap() -> ModuleType:
    # scripts/ is not a package (the generator is a development tool, not shipped).
    spec = importlib.util.spec_from_file_location("dirmap", ROOT / "scripts" / "dirmap.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dirmap", module)
    spec.loader.exec_module(module)
    return module


dirmap = _dirmap()


def test_directory_map_is_current() -> None:
    document = dirmap.DOC.read_text(encoding="utf-8")
    diff = dirmap.differences(document)
    assert not diff, "the directory map is out of date; run `make docs`:\n" + "\n".join(diff)


def test_every_module_and_package_is_in_the_map() -> None:
    document = dirmap.DOC.read_text(encoding="utf-8")
    mapped = document.split(dirmap.START)[1].split(dirmap.END)[0]
    for path in sorted(dirmap.PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        shown = path.parent if path.name == "__init__.py" else path
        rel = shown.relative_to(dirmap.PACKAGE.parent).as_posix()
        rel += "/" if shown.is_dir() else ""
        assert f"`{rel}`" in mapped, f"{rel} is missing from the directory map"


def test_a_module_without_a_docstring_is_named(tmp_path: Path) -> None:
    bare = tmp_path / "bare.py"
    bare.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(dirmap.MissingDocstringError, match=r"bare\.py: no module docstring"):
        dirmap.module_summary(bare)


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("One line.", "One line."),
        ("A sentence wrapped\n    over two lines. Then more.", "A sentence wrapped over two lines."),
        ("Rules, e.g. ITAR. Second.", "Rules, e.g. ITAR."),
        ("``code`` and :class:`~a.B` here.\n\nBody.", "`code` and `a.B` here."),
        ("No full stop\n\nBody.", "No full stop"),
    ],
)
def test_summary_is_the_first_sentence(docstring: str, expected: str) -> None:
    assert dirmap.summary(docstring) == expected


def test_a_stale_map_is_reported_line_by_line() -> None:
    document = dirmap.DOC.read_text(encoding="utf-8")
    stale = document.replace("| `secassist/cli/db.py` |", "| `secassist/cli/old.py` |")
    assert stale != document
    diff = dirmap.differences(stale)
    assert any(line.startswith("-| `secassist/cli/old.py`") for line in diff), diff
    assert any(line.startswith("+| `secassist/cli/db.py`") for line in diff), diff


def test_glossary_is_linked_from_readme_and_architecture() -> None:
    assert (ROOT / "docs" / "glossary.md").exists()
    assert "docs/glossary.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(glossary.md)" in dirmap.DOC.read_text(encoding="utf-8")
