"""Index list files for ``secassist screening match``, with an on-disk cache.

Parsing the full OFAC, UN and other files and indexing them takes seconds; a script that
runs ``match`` many times should not pay that each time. The built index is kept under
the user's cache folder (``$SECASSIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/secassist``,
else ``~/.cache/secassist``), keyed by the SHA-256 of every input file's bytes and the
algorithm version, so a changed file or matcher never reuses a stale index. Set
``SECASSIST_SCREENING_CACHE=0`` to turn it off.

The cache folder's path is predictable and may sit in a shared place, so nothing read
from it can run code: the index is stored as plain JSON (strings, numbers, lists — never
pickle) and validated while it is rebuilt into an :class:`Index`; a file that does not
parse, names another key or has the wrong shape is rebuilt. And a screening answer must
not come from someone else's file: the folder must be a real directory owned by the
current user and closed to group and others (it is created ``0700``), and a cache file
must be a regular file owned by the current user and writable by no one else. Otherwise
the index is built afresh and the cache is left alone.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening.matcher import ALGORITHM, Index
from secassist.vetting.screening.normalize import Token
from secassist.vetting.screening.parsers import parse_path

CACHE_FORMAT = "3-json"  # 3: entity context (schema, countries, dates), weak names
SUFFIX = ".index.json"


def _cache_dir() -> Path | None:
    if os.environ.get("SECASSIST_SCREENING_CACHE", "1") == "0":
        return None
    base = os.environ.get("SECASSIST_CACHE_DIR")
    if base:
        return Path(base) / "screening"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "secassist" / "screening"


def _code_hash() -> str:
    """The matcher's and the parsers' code: an index built by other code (or from lists
    read another way) is never reused."""
    from secassist.vetting.screening import entities, matcher, normalize, parsers

    h = hashlib.sha256()
    for module in (entities, matcher, normalize):
        h.update(Path(module.__file__ or "").read_bytes())
    for f in sorted(Path(parsers.__file__ or "").parent.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()


def _key(paths: Sequence[Path]) -> str:
    h = hashlib.sha256(f"{ALGORITHM}\0{CACHE_FORMAT}\0{_code_hash()}\n".encode())
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


# --- the file format: JSON only, so reading it can never run code ------------------------


def encode(index: Index, key: str) -> bytes:
    """A finalized index as compact JSON; tokens are stored once and named by position."""
    ids: dict[Token, int] = {}

    def tid(t: Token) -> int:
        n = ids.get(t)
        if n is None:
            n = ids[t] = len(ids)
        return n

    name_toks = [[tid(t) for t in toks] for toks in index.name_toks]
    spelling_token = {c: tid(t) for c, t in index.spelling_token.items()}
    doc = {
        "format": CACHE_FORMAT,
        "key": key,
        "tokens": [[t.text, t.canon, t.phonetic, t.numeric, list(t.keys)] for t in ids],
        "ent_list": index.ent_list,
        "ent_id": index.ent_id,
        "ent_name": index.ent_name,
        "name_ent": index.name_ent,
        "name_text": index.name_text,
        "name_toks": name_toks,
        "name_join": index.name_join,
        "name_raw": index.name_raw,
        "spelling_names": index.spelling_names,
        "key_spellings": index.key_spellings,
        "ids": index.ids,
        "weight": index.weight,
        "name_weight": index.name_weight,
        "spelling_token": spelling_token,
        "ent_schema": index.ent_schema,
        "ent_countries": index.ent_countries,
        "ent_dates": index.ent_dates,
        "ent_has_ids": index.ent_has_ids,
        "name_weak": index.name_weak,
        "name_info": index.name_info,
        "joined_names": index.joined_names,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


class _BadCacheError(Exception):
    """The cache file is not an index this code wrote for this key."""


def _strs(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _BadCacheError
    return v


def _pair(v: Any) -> tuple[str, str]:
    if not isinstance(v, list) or len(v) != 2 or not isinstance(v[0], str) or not isinstance(v[1], str):
        raise _BadCacheError
    return (v[0], v[1])


def _int_lists(v: Any, bound: int) -> dict[str, list[int]]:
    if not isinstance(v, dict):
        raise _BadCacheError
    for k, xs in v.items():
        if not isinstance(k, str) or not isinstance(xs, list):
            raise _BadCacheError
        if not all(type(x) is int and 0 <= x < bound for x in xs):
            raise _BadCacheError
    return v


def decode(raw: bytes, key: str) -> Index:
    """The index in ``raw`` (from :func:`encode`); :class:`ValueError` unless it is one,
    for ``key``, in every part the matcher reads."""
    # Millions of small lists and strings, none of them in a cycle: the cyclic collector
    # would only rescan them over and over (it doubles the load time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _decode(raw, key)
    finally:
        if collecting:
            gc.enable()


def _decode(raw: bytes, key: str) -> Index:
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT or doc.get("key") != key:
            raise _BadCacheError
        tokens: list[Token] = []
        for row in doc["tokens"]:
            text, canon, phonetic, numeric, keys = row
            if not (isinstance(numeric, bool) and isinstance(text, str) and isinstance(canon, str)):
                raise _BadCacheError
            if not isinstance(phonetic, str):
                raise _BadCacheError
            # A token's blocking keys only feed Index.finalize (key_spellings is stored).
            if type(keys) is not list:
                raise _BadCacheError
            tokens.append(Token(text, canon, phonetic, numeric, tuple(keys)))
        index = Index()
        index.ent_list = _strs(doc["ent_list"])
        index.ent_id = _strs(doc["ent_id"])
        index.ent_name = _strs(doc["ent_name"])
        entities = len(index.ent_id)
        if len(index.ent_list) != entities or len(index.ent_name) != entities:
            raise _BadCacheError
        index.name_text = _strs(doc["name_text"])
        names = len(index.name_text)
        name_ent = doc["name_ent"]
        if not isinstance(name_ent, list) or not all(type(e) is int and 0 <= e < entities for e in name_ent):
            raise _BadCacheError
        index.name_ent = name_ent
        index.name_toks = [tuple(tokens[i] for i in _ints(row, len(tokens))) for row in doc["name_toks"]]
        index.name_join = [_pair(p) for p in doc["name_join"]]
        index.name_raw = [tuple(_pair(p) for p in forms) for forms in doc["name_raw"]]
        weights = doc["name_weight"]
        if not isinstance(weights, list) or not all(isinstance(w, float | int) for w in weights):
            raise _BadCacheError
        index.name_weight = [float(w) for w in weights]
        if {len(index.name_ent), len(index.name_toks), len(index.name_join), len(index.name_raw)} != {names}:
            raise _BadCacheError
        if len(index.name_weight) != names:
            raise _BadCacheError
        index.spelling_names = _int_lists(doc["spelling_names"], names)
        index.ids = _int_lists(doc["ids"], entities)
        key_spellings = doc["key_spellings"]
        if not isinstance(key_spellings, dict):
            raise _BadCacheError
        if not all(type(v) is list for v in key_spellings.values()):
            raise _BadCacheError
        index.key_spellings = key_spellings  # each spelling in it is checked below
        weight = doc["weight"]
        if not isinstance(weight, dict) or not all(isinstance(w, float | int) for w in weight.values()):
            raise _BadCacheError
        index.weight = {k: float(w) for k, w in weight.items()}
        spelling_token = doc["spelling_token"]
        if not isinstance(spelling_token, dict):
            raise _BadCacheError
        positions = _ints(list(spelling_token.values()), len(tokens))
        index.spelling_token = {c: tokens[i] for c, i in zip(spelling_token, positions, strict=True)}
        # Every spelling a key or a name points at must be known, or match() would fail later.
        known = index.spelling_token.keys()
        if not known >= index.spelling_names.keys() or not known >= index.weight.keys():
            raise _BadCacheError
        if any(c not in known for cs in index.key_spellings.values() for c in cs):
            raise _BadCacheError
        index.ent_schema = _strs(doc["ent_schema"])
        index.ent_countries = [_strs(c) for c in doc["ent_countries"]]
        index.ent_dates = [_strs(d) for d in doc["ent_dates"]]
        has_ids = doc["ent_has_ids"]
        if not isinstance(has_ids, list) or not all(isinstance(b, bool) for b in has_ids):
            raise _BadCacheError
        index.ent_has_ids = has_ids
        if {len(index.ent_schema), len(index.ent_countries), len(index.ent_dates), len(has_ids)} != {
            entities
        }:
            raise _BadCacheError
        weak = doc["name_weak"]
        if not isinstance(weak, list) or not all(isinstance(b, bool) for b in weak):
            raise _BadCacheError
        info = doc["name_info"]
        if not isinstance(info, list) or not all(isinstance(x, float | int) for x in info):
            raise _BadCacheError
        if len(weak) != names or len(info) != names:
            raise _BadCacheError
        index.name_weak = weak
        index.name_info = [float(x) for x in info]
        index.joined_names = _int_lists(doc["joined_names"], names)
        index._seen = {(index.ent_list[e], index.ent_id[e]): e for e in range(entities)}
        return index
    except (_BadCacheError, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        raise ValueError("not a screening index cache for these lists") from exc


def _ints(v: Any, bound: int) -> list[int]:
    if not isinstance(v, list) or not all(type(x) is int and 0 <= x < bound for x in v):
        raise _BadCacheError
    return v


# --- where the cache lives, and whose it is ---------------------------------------------


def _private(st: os.stat_result, kind: int) -> bool:
    """Owned by this user, of the expected kind, and writable by no one else."""
    return (
        stat.S_IFMT(st.st_mode) == kind
        and st.st_uid == os.geteuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def private_folder(folder: Path) -> Path | None:
    """``folder``, created ``0700`` if missing, when it is a directory (not a link) owned by
    this user and writable by no one else (then closed to ``0700``); None when it may hold
    someone else's files."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        st = os.lstat(folder)
        if not _private(st, stat.S_IFDIR):
            return None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Ours and writable by no one else (e.g. made 0755 by an older version): nothing
            # in it can be someone else's, so close it rather than lose the cache.
            os.chmod(folder, 0o700)
    except OSError:
        return None
    return folder


def _read_own(target: Path) -> bytes | None:
    """The bytes of ``target`` when it is this user's regular file (links not followed)."""
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not _private(os.fstat(fh.fileno()), stat.S_IFREG):
            return None
        return fh.read()


def index_for_paths(paths: Sequence[Path]) -> Index:
    """The index over ``paths``, from the cache when the same files were indexed before by
    this user (see the module docstring for what is refused)."""
    wanted = _cache_dir()
    folder = private_folder(wanted) if wanted is not None else None
    if folder is None:
        return build(paths)
    key = _key(paths)
    target = folder / f"{key}{SUFFIX}"
    raw = _read_own(target)
    if raw is not None:
        try:
            return decode(raw, key)
        except ValueError:
            pass  # damaged, outdated or not ours: rebuild it
    index = build(paths)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")  # 0600, ours
        with os.fdopen(fd, "wb") as fh:
            fh.write(encode(index, key))
        os.replace(tmp, target)
    except OSError:
        pass  # no writable cache: still answer
    return index
