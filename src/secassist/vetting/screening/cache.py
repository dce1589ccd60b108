"""Index list files for ``secassist screening match``, with an on-disk cache.

Parsing the full OFAC, UN and other files and indexing them takes a couple of seconds; a
script that runs ``match`` many times should not pay that each time. The built index is
pickled under the user's cache folder (``$SECASSIST_CACHE_DIR``, else
``$XDG_CACHE_HOME/secassist``, else ``~/.cache/secassist``), keyed by the SHA-256 of every
input file's bytes and the algorithm version, so a changed file or matcher never reuses a
stale index. The cache only ever holds what this process wrote itself; set
``SECASSIST_SCREENING_CACHE=0`` to turn it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening.matcher import ALGORITHM, Index
from secassist.vetting.screening.parsers import parse_path

CACHE_FORMAT = "1"


def _cache_dir() -> Path | None:
    if os.environ.get("SECASSIST_SCREENING_CACHE", "1") == "0":
        return None
    base = os.environ.get("SECASSIST_CACHE_DIR")
    if base:
        return Path(base) / "screening"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "secassist" / "screening"


def _key(paths: Sequence[Path]) -> str:
    h = hashlib.sha256(f"{ALGORITHM}\0{CACHE_FORMAT}\n".encode())
    for p in paths:
        if not p.exists():
            raise ValidationFailedError(f"{p}: no such file or folder", field=str(p))
        files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
        h.update(f"{p.resolve()}\n".encode())
        for f in files:
            h.update(f"{f.name}\0{hashlib.sha256(f.read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def build(paths: Sequence[Path]) -> Index:
    """Parse every path and index its entities (each path one list)."""
    index = Index()
    for p in paths:
        parsed = parse_path(p)
        index.extend(parsed.list_name, parsed.entities)
    return index.finalize()


def index_for_paths(paths: Sequence[Path]) -> Index:
    """The index over ``paths``, from the cache when the same files were indexed before."""
    folder = _cache_dir()
    if folder is None:
        return build(paths)
    target = folder / f"{_key(paths)}.pickle"
    if target.exists():
        try:
            with target.open("rb") as fh:
                cached = pickle.load(fh)  # noqa: S301 (our own cache file, keyed by content hash)
            if isinstance(cached, Index):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass  # a damaged or outdated cache entry: rebuild it
    index = build(paths)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # no writable cache: still answer
    return index
