"""The program list (FMF, IMET, PKO, GPOI, NADR, INCLE, Section 333): reference data in
``programs/data/programs.yaml``, validated when loaded (errors name the file and entry)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secassist.core.errors import ReferenceDataError, ValidationFailedError
from secassist.reference.loader import parse, read_yaml

Status = Literal["confirmed", "UNCONFIRMED"]
Target = Literal["case", "training", "unit"]
TARGETS: tuple[Target, ...] = ("case", "training", "unit")
CATALOG_FILE = Path(str(resources.files("secassist.programs") / "data" / "programs.yaml"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Program(_Strict):
    """One program (appropriation account) and what its obligations may pay for."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")
    name: str
    owner: str
    legal_basis: str
    legal_basis_status: Status = "confirmed"
    funds: str
    targets: tuple[Target, ...] = Field(min_length=1)
    parent: str | None = None
    source: str
    status: Status = "confirmed"
    note: str | None = None


class ProgramsFile(_Strict):
    dataset: Literal["programs"]
    title: str
    source: str
    programs: tuple[Program, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProgramsFile:
        codes = [p.code for p in self.programs]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise ValueError(f"programs[{i}] (code {code!r}): duplicate code")
        for p in self.programs:
            if p.parent is not None and p.parent not in codes:
                raise ValueError(f"program {p.code!r}: unknown parent {p.parent!r}")
        return self


def load_catalog(path: Path | None = None) -> ProgramsFile:
    """Read and validate the program list (default: the packaged file)."""
    path = path or CATALOG_FILE
    raw, _ = read_yaml(path)
    return parse(ProgramsFile, raw, path)


@lru_cache(maxsize=1)
def catalog() -> ProgramsFile:
    """The packaged program list, loaded once."""
    try:
        return load_catalog()
    except ReferenceDataError:
        raise
    except OSError as exc:  # pragma: no cover - a broken installation
        raise ReferenceDataError(f"programs.yaml: {exc}") from None


def program(code: str, *, field: str = "program") -> Program:
    """The program with this code (case-insensitive), or a ValidationFailedError naming ``field``."""
    key = code.strip().upper()
    for p in catalog().programs:
        if p.code == key:
            return p
    known = ", ".join(p.code for p in catalog().programs)
    raise ValidationFailedError(f"{field}: unknown program {code!r} (known: {known})", field=field)
