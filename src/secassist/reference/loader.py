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


class DuplicateKeyError(yaml.constructor.ConstructorError):
    def __init__(self, key: Any, mapping: yaml.MappingNode, key_node: yaml.Node) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", key_node.start_mark)
        self.mapping = mapping


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML with two changes: dates stay text, so an impossible date such as
    2023-02-30 reaches validation and is reported with its entry; and a repeated key is
    an error rather than silently replacing the first (a second ``members:`` would
    otherwise drop a whole list)."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise DuplicateKeyError(key, node, key_node)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    sha256: str


def _path_to(root: yaml.Node, target: yaml.Node) -> str | None:
    """Where ``target`` sits in a composed YAML document, as ``members[3] (code 'FI')``."""
    if root is target:
        return ""
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            sub = _path_to(v, target)
            if sub is not None:
                return f"{k.value}{'.' if sub and not sub.startswith('[') else ''}{sub}"
    elif isinstance(root, yaml.SequenceNode):
        for i, v in enumerate(root.value):
            sub = _path_to(v, target)
            if sub is not None:
                code = (
                    next((cv.value for ck, cv in v.value if ck.value == "code"), None)
                    if isinstance(v, yaml.MappingNode)
                    else None
                )
                label = f"[{i}]" + (f" (code {code!r})" if code is not None else "")
                return f"{label}{'.' if sub and not sub.startswith('[') else ''}{sub}"
    return None


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into ``members[3] (code 'FI').from``."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            label = f"{parts.pop() if parts else ''}[{key}]"
            node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            if isinstance(node, dict) and "code" in node:
                label += f" (code {node['code']!r})"
            parts.append(label)
        elif key == "[key]":  # pydantic's marker for an invalid mapping key
            parts[-1:] = [f"{parts[-1] if parts else ''} (a key)"]
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "<file>"


def read_yaml(path: Path) -> tuple[Any, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(
            f"{path.name}: cannot read reference data file {path}: {exc.strerror}", file=str(path)
        ) from None
    loader = _StrictLoader(data)
    try:
        root = loader.get_single_node()
        raw = loader.construct_document(root) if root is not None else None
    except DuplicateKeyError as exc:
        where = (_path_to(root, exc.mapping) if root is not None else None) or "<top level>"
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ReferenceDataError(
            f"{path.name}: line {line}: entry {where}: {exc.problem}", file=str(path), entry=where
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReferenceDataError(f"{path.name}:{where}: not valid YAML: {problem}", file=str(path)) from None
    finally:
        loader.dispose()
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{path.name}: expected a mapping at the top of the file", file=str(path))
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
