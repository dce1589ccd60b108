"""The rule contract, in the style of nomenklatura's matching rules: each factor is a small
pure function, registered with the signals it can observe; the policy profile (data) maps
each signal to an outcome and names the office a concern goes to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import SEVERITY, Finding, Office, Outcome
from secassist.vetting.proposal import Proposal


@dataclass(frozen=True)
class FactorConfig:
    """One factor as a profile weighs it."""

    factor: str
    title: str
    authority: str
    office: Office
    outcomes: Mapping[str, Outcome]
    params: Mapping[str, Any] = field(default_factory=dict)
    status: str = "confirmed"


@dataclass(frozen=True)
class Observation:
    """What a rule saw about one party, item or unit."""

    signal: str
    text: str
    evidence: tuple[str, ...] = ()


RuleFn = Callable[[Proposal, RuleContext, FactorConfig], Finding]


@dataclass(frozen=True)
class RuleSpec:
    factor: str
    fn: RuleFn
    signals: Mapping[str, str]  # signal → what it means

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


RULES: dict[str, RuleSpec] = {}


def rule(factor: str, signals: Mapping[str, str]) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` as the rule of ``factor`` that may return ``signals``."""

    def register(fn: RuleFn) -> RuleFn:
        if factor in RULES:
            raise RuntimeError(f"factor {factor!r} registered twice")
        RULES[factor] = RuleSpec(factor, fn, dict(signals))
        return fn

    return register


def conclude(cfg: FactorConfig, observations: list[Observation], default: Observation) -> Finding:
    """The finding for the worst observation(s) under the profile's mapping; the rationale
    lists every observation at that level, the evidence all of them."""
    if not observations:
        observations = [default]
    worst = max(SEVERITY[cfg.outcomes[o.signal]] for o in observations)
    top = [o for o in observations if SEVERITY[cfg.outcomes[o.signal]] == worst]
    evidence: list[str] = []
    for o in observations:
        evidence += [e for e in o.evidence if e not in evidence]
    signal = top[0].signal
    return Finding(
        factor=cfg.factor,
        outcome=cfg.outcomes[signal],
        rationale=" ".join(dict.fromkeys(o.text for o in top)),
        evidence=tuple(evidence),
        signal=signal,
        authority=cfg.authority,
        office=cfg.office,
    )
