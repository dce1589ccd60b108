"""Read a list from a path: a list file, or a folder holding one list's files.

The format is recognised from the file names and the first bytes, never guessed
silently: an unrecognised path is refused.
"""

from __future__ import annotations

from pathlib import Path

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening.entities import ParsedList
from secassist.vetting.screening.parsers.ftm import parse_ftm
from secassist.vetting.screening.parsers.ofac import parse_ofac
from secassist.vetting.screening.parsers.tables import parse_csl, parse_dpl
from secassist.vetting.screening.parsers.un import parse_un

_OFAC = {"sdn.csv": "sdn", "alt.csv": "sdn", "add.csv": "sdn", "sdn_comments.csv": "sdn"}


def _sniff(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(512).lstrip(b"\xef\xbb\xbf").lstrip()


def _file_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name in _OFAC:
        return "ofac_sdn"
    if name.startswith("cons_") and name.endswith(".csv"):
        return "ofac_cons"
    if name.endswith((".jsonl", ".ftm.json")) or name.endswith(".json"):
        return "ftm"
    head = _sniff(path)
    if head.startswith(b"<?xml") or head.startswith(b"<CONSOLIDATED_LIST"):
        return "un"
    if head.startswith((b"_id,", b'"_id",', b"source,entity_number", b'"source","entity_number"')):
        return "csl"
    if head.startswith(b'"Name"\t'):
        return "dpl"
    return None


def parse_path(path: str | Path) -> ParsedList:
    """Parse the list at ``path`` (a file, or a folder holding one list's files)."""
    p = Path(path)
    if not p.exists():
        raise ValidationFailedError(f"{p}: no such file or folder", field=str(p))
    files = (
        sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
    )
    kinds = {k for f in files if (k := _file_kind(f))}
    if p.is_dir() and len(kinds) > 1:
        raise ValidationFailedError(
            f"{p}: holds files of several lists ({', '.join(sorted(kinds))}); give one list's file or folder",
            field=str(p),
        )
    if not kinds:
        raise ValidationFailedError(f"{p}: not a recognised list file", field=str(p))
    kind = kinds.pop()
    folder = p if p.is_dir() else p.parent
    if kind == "ofac_sdn":
        return parse_ofac(folder, prefix="sdn")
    if kind == "ofac_cons":
        return parse_ofac(folder, prefix="cons")
    if kind == "ftm":
        return parse_ftm([f for f in files if _file_kind(f) == "ftm"])
    parser = {"un": parse_un, "csl": parse_csl}.get(kind, parse_dpl)
    parts = [parser(f) for f in files if _file_kind(f) == kind]
    return _merge(parts)


def _merge(parts: list[ParsedList]) -> ParsedList:
    """One list from several files of it (e.g. a CSL folder with both layouts)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    seen: set[str] = set()
    entities = []
    for part in parts:
        for e in part.entities:
            if e.entity_id not in seen:
                seen.add(e.entity_id)
                entities.append(e)
    dates = [p.published for p in parts if p.published]
    return ParsedList(
        list_name=first.list_name,
        source_format="+".join(sorted({p.source_format for p in parts})),
        published=max(dates) if dates else None,
        files=[f for p in parts for f in p.files],
        entities=entities,
        record_count=sum(p.record_count for p in parts),
    )
