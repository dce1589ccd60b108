"""Read and validate the reference data files.

A malformed file fails with a :class:`ReferenceDataError` that names the file and the
entry (list position and code), never a bare pydantic or YAML traceback.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from secassist.core.errors import ReferenceDataError

M = TypeVar("M", bound=BaseModel)

DATA_DIR = Path(str(resources.files("secassist.reference") / "data"))


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    sha256: str


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into 'members[3] (code FI).from'."""
    parts: list[str] = []
    node = raw
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]"]
            if isinstance(node, list) and 0 <= key < len(node):
                node = node[key]
                if isinstance(node, dict) and "code" in node and i < len(loc):
                    parts[-1] += f" (code {node['code']!r})"
            else:
                node = None
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "<file>"


def read_yaml(path: Path) -> tuple[Any, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read reference data file: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReferenceDataError(f"{path.name}:{where}: not valid YAML: {problem}", file=str(path)) from None
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{path.name}: expected a mapping at the top of the file")
    return raw, hashlib.sha256(data).hexdigest()


def parse(model: type[M], raw: Any, path: Path) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _describe_location(raw, tuple(first["loc"]))
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ReferenceDataError(
            f"{path.name}: entry {where}: {first['msg']}{more}", file=str(path), entry=where
        ) from None


def load_file(model: type[M], name: str, data_dir: Path | None = None) -> tuple[M, LoadedFile]:
    path = (data_dir or DATA_DIR) / name
    raw, digest = read_yaml(path)
    return parse(model, raw, path), LoadedFile(path=path, sha256=digest)
