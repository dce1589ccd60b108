"""Policy profiles (``data/profiles.yaml``): which factors a date's policy weighs, how each
signal maps to an outcome, and the authority cited. Validated on load against the rules
themselves: every factor must exist and every signal its rule can return must be mapped."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from secassist.core.errors import ReferenceDataError, ValidationFailedError
from secassist.reference.loader import parse, read_yaml
from secassist.reference.schemas import Status, _Strict
from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding, Office, Outcome, Recommendation, recommend
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules import RULES, FactorConfig, RuleSpec
from secassist.vetting.tables import DATA_DIR

FILE = "profiles.yaml"


class FactorDefaults(_Strict):
    title: str
    authority: str
    office: Office
    outcomes: dict[str, Outcome]
    params: dict[str, Any] = Field(default_factory=dict)
    status: Status = "confirmed"


class FactorOverride(_Strict):
    factor: str
    authority: str | None = None
    office: Office | None = None
    outcomes: dict[str, Outcome] | None = None
    params: dict[str, Any] | None = None
    status: Status | None = None


class ProfileEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    authority: str
    from_: date = Field(alias="from")
    until: date | None = None
    status: Status = "confirmed"
    note: str | None = None
    factors: list[str | FactorOverride] = Field(min_length=1)


class ProfilesFile(_Strict):
    dataset: Literal["vetting_profiles"]
    title: str
    source: str
    factors: dict[str, FactorDefaults]
    profiles: list[ProfileEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Profile:
    """A versioned rule set in force from ``starts`` (inclusive) until ``ends`` (exclusive)."""

    id: str
    title: str
    authority: str
    starts: date
    ends: date | None
    status: str
    note: str | None
    factors: tuple[FactorConfig, ...]
    digest: str  # SHA-256 of the profiles file it came from

    def in_force(self, on: date) -> bool:
        return self.starts <= on and (self.ends is None or on < self.ends)

    @property
    def version(self) -> str:
        return f"{self.id}@{self.digest[:12]}"


@dataclass(frozen=True)
class Evaluation:
    profile: Profile
    findings: tuple[Finding, ...]
    recommendation: Recommendation
    offices: tuple[Office, ...]


class RuleSet:
    """All profiles, ordered by start date, without gaps or overlaps."""

    def __init__(self, profiles: list[Profile]) -> None:
        self.profiles = sorted(profiles, key=lambda p: p.starts)

    def for_date(self, on: date) -> Profile:
        """The profile in force on ``on``; a date before the first is an error."""
        for p in self.profiles:
            if p.in_force(on):
                return p
        raise ValidationFailedError(
            f"date: no policy profile is in force on {on.isoformat()} "
            f"(profiles start {self.profiles[0].starts.isoformat()})",
            field="date",
        )

    def get(self, profile_id: str) -> Profile:
        for p in self.profiles:
            if p.id == profile_id:
                return p
        raise ValidationFailedError(f"profile: unknown profile {profile_id!r}", field="profile")

    @staticmethod
    def rule(factor: str) -> RuleSpec:
        return RULES[factor]


def evaluate(proposal: Proposal, ctx: RuleContext, profile: Profile) -> Evaluation:
    """Run every factor of ``profile`` on ``proposal``: pure, no database."""
    findings = tuple(RULES[cfg.factor].fn(proposal, ctx, cfg) for cfg in profile.factors)
    rec, offices = recommend(findings)
    return Evaluation(profile, findings, rec, offices)


def _err(path: Path, entry: str, problem: str) -> ReferenceDataError:
    return ReferenceDataError(f"{path.name}: entry {entry}: {problem}", file=str(path), entry=entry)


def load_ruleset(data_dir: Path | None = None) -> RuleSet:
    """Read and validate ``profiles.yaml`` (errors name the file and the entry)."""
    path = (data_dir or DATA_DIR) / FILE
    raw, digest = read_yaml(path)
    data = parse(ProfilesFile, raw, path)
    for name, d in data.factors.items():
        if name not in RULES:
            raise _err(path, f"factors.{name}", "no rule implements this factor")
        _check_outcomes(path, f"factors.{name}.outcomes", RULES[name], d.outcomes)
    profiles: list[Profile] = []
    for i, p in enumerate(data.profiles):
        where = f"profiles[{i}] ({p.id})"
        configs: list[FactorConfig] = []
        for j, f in enumerate(p.factors):
            o = f if isinstance(f, FactorOverride) else FactorOverride(factor=f)
            if o.factor not in data.factors:
                raise _err(path, f"{where}.factors[{j}]", f"unknown factor {o.factor!r}")
            d = data.factors[o.factor]
            outcomes = {**d.outcomes, **(o.outcomes or {})}
            _check_outcomes(path, f"{where}.factors[{j}].outcomes", RULES[o.factor], outcomes)
            configs.append(
                FactorConfig(
                    factor=o.factor,
                    title=d.title,
                    authority=o.authority or d.authority,
                    office=o.office or d.office,
                    outcomes=outcomes,
                    params={**d.params, **(o.params or {})},
                    status=o.status or d.status,
                )
            )
        if len({c.factor for c in configs}) != len(configs):
            raise _err(path, f"{where}.factors", "a factor is listed twice")
        if p.until is not None and p.until <= p.from_:
            raise _err(path, where, f"until {p.until} is not after from {p.from_}")
        profiles.append(
            Profile(p.id, p.title, p.authority, p.from_, p.until, p.status, p.note, tuple(configs), digest)
        )
    ordered = sorted(profiles, key=lambda x: x.starts)
    if len({p.id for p in ordered}) != len(ordered):
        raise _err(path, "profiles", "duplicate profile id")
    for a, b in itertools.pairwise(ordered):
        if a.ends != b.starts:
            raise _err(
                path, f"profiles ({b.id})", f"must start when {a.id} ends ({a.ends}), no gap or overlap"
            )
    return RuleSet(ordered)


def _check_outcomes(path: Path, entry: str, spec: RuleSpec, outcomes: dict[str, Outcome]) -> None:
    missing = sorted(set(spec.signals) - set(outcomes))
    extra = sorted(set(outcomes) - set(spec.signals))
    if missing:
        raise _err(path, entry, f"signals not mapped to an outcome: {', '.join(missing)}")
    if extra:
        raise _err(path, entry, f"unknown signals: {', '.join(extra)}")


@lru_cache(maxsize=1)
def get_ruleset() -> RuleSet:
    """The packaged rule set, loaded once on first use."""
    return load_ruleset()
