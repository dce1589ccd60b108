"""Tune the matcher's context constants on the TUNE split only (issue #14).

``python -m bench.screening_tune`` (``SECASSIST_BENCH_QUICK=1`` for a smoke run) builds the
benchmark's index and labelled queries (:func:`bench.screening.prepare`), keeps the queries
whose entry (positives) or name (negatives) hashes to ``part="tune"``, scores each query's
candidate names once on the name alone (:meth:`~secassist.vetting.screening.matcher.Index.name_scores`),
then re-applies only the context step (:meth:`~secassist.vetting.screening.matcher.Index.context`)
under each candidate setting of the constants below: a seeded random search of
``SAMPLES`` settings in the ranges of :data:`SPACE`, plus the current setting.

The loss asks first for the issue's targets with a margin (name-only recall ≥ 0.985 and
false hits ≤ 0.004; with context, recall ≥ 0.975 with the own and with another country
and hard-negative false hits ≤ 0.018),
each shortfall costing 10 per unit, then for the fewest hard-negative false hits with
context and on the name alone. Ties go to the setting nearest the current one. The
holdout split is never read here: ``python -m bench screening`` reports it.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bench.screening import Setup, prepare
from bench.screening_labels import Labelled
from secassist.vetting.screening import matcher
from secassist.vetting.screening.matcher import (
    CONTEXT_REACH,
    DEFAULT_THRESHOLD,
    NameCandidate,
    Query,
    QueryContext,
)

SEED = 20251207
SAMPLES = 300
# name: (low, high); every one read by Index.context at call time.
SPACE: dict[str, tuple[float, float]] = {
    "TYPE_PENALTY": (0.1, 0.4),
    "COUNTRY_AGREE": (0.0, 0.1),
    "COUNTRY_MIN": (0.0, 0.12),
    "COUNTRY_GENERIC": (0.1, 0.5),
    "COUNTRY_GENERIC_PERSON": (0.0, 0.3),
    "SHORT_1": (1.5, 3.0),
    "SHORT_2": (1.0, 2.0),
    "WHOLE_NAME_INFO": (0.41, 0.7),
}


@dataclass
class Prepared:
    lb: Labelled
    query: Query
    ctx: QueryContext
    cands: list[NameCandidate]


def _query(lb: Labelled, context: bool) -> Query:
    if not context:
        return Query(names=[lb.query])
    return Query(names=[lb.query], schema=lb.schema, countries=[lb.country] if lb.country else [])


def _prepare(setup: Setup, subset: Sequence[Labelled], context: bool) -> list[Prepared]:
    # Context raises a score by at most COUNTRY_AGREE (+ a date, none here): names further
    # below the threshold than the matcher's own reach can never pass.
    out = []
    for lb in subset:
        if lb.part != "tune":
            continue
        q = _query(lb, context)
        out.append(
            Prepared(lb, q, QueryContext.of(q), setup.index.name_scores(q, DEFAULT_THRESHOLD - CONTEXT_REACH))
        )
    return out


def _hits(index: matcher.Index, p: Prepared) -> set[tuple[str, str]]:
    got: set[tuple[str, str]] = set()
    for c in p.cands:
        scored = index.context(
            p.query, p.ctx, c.entity, c.name, c.query_tokens, c.score, c.query_words, c.query_raw
        )
        if scored is not None and scored[0] >= DEFAULT_THRESHOLD:
            got.add((index.ent_list[c.entity], index.ent_id[c.entity]))
    return got


def _rate(index: matcher.Index, items: Sequence[Prepared]) -> float:
    if not items:
        return float("nan")
    hit = 0
    for p in items:
        got = _hits(index, p)
        hit += (p.lb.list_name, p.lb.entity_id) in got if p.lb.entity_id is not None else bool(got)
    return hit / len(items)


def evaluate(index: matcher.Index, plain: list[Prepared], ctx: list[Prepared]) -> dict[str, float]:
    def pick(items: list[Prepared], variant: str) -> list[Prepared]:
        if variant == "pos":
            return [p for p in items if p.lb.entity_id is not None]
        if variant == "neg":
            return [p for p in items if p.lb.entity_id is None]
        return [p for p in items if p.lb.variant == variant]

    return {
        "recall": _rate(index, pick(plain, "pos")),
        "false_hits": _rate(index, pick(plain, "neg")),
        "hard_name_only": _rate(index, pick(plain, "defence_negative")),
        "hard_context": _rate(index, pick(ctx, "defence_negative")),
        "recall_own": _rate(index, pick(ctx, "context_own")),
        "recall_other": _rate(index, pick(ctx, "context_other")),
    }


def loss(r: dict[str, float]) -> float:
    short = (
        max(0.0, 0.985 - r["recall"])
        + max(0.0, r["false_hits"] - 0.004)
        + max(0.0, 0.975 - r["recall_own"])
        + max(0.0, 0.975 - r["recall_other"])
        + max(0.0, r["hard_context"] - 0.018)
    )
    return 10 * short + r["hard_context"] + 0.5 * r["hard_name_only"]


def _set(values: dict[str, float]) -> None:
    for k, v in values.items():
        setattr(matcher, k, v)


def run() -> None:
    setup = prepare()
    plain = _prepare(setup, [*setup.labels, *setup.hard_name_only], False)
    ctx = _prepare(setup, [*setup.contextual, *setup.hard], True)
    current = {k: float(getattr(matcher, k)) for k in SPACE}
    rng = random.Random(SEED)
    settings = [current] + [
        {k: round(rng.uniform(lo, hi), 3) for k, (lo, hi) in SPACE.items()} for _ in range(SAMPLES)
    ]

    def distance(s: dict[str, float]) -> float:
        return sum(abs(s[k] - current[k]) / (hi - lo) for k, (lo, hi) in SPACE.items())

    scored = []
    for s in settings:
        _set(s)
        r = evaluate(setup.index, plain, ctx)
        scored.append((round(loss(r), 5), distance(s), s, r))
    _set(current)
    scored.sort(key=lambda x: (x[0], x[1]))
    print(
        f"tune split: {len(plain)} name-only queries, {len(ctx)} context queries; "
        f"seed {SEED}, {SAMPLES} samples + the current setting"
    )
    for label, (lo_, _d, s, r) in [
        ("current", next(x for x in scored if x[2] is current)),
        *[(f"#{i + 1}", x) for i, x in enumerate(scored[:5])],
    ]:
        figures = " ".join(f"{k}={v:.4f}" for k, v in r.items())
        consts = " ".join(f"{k}={v}" for k, v in s.items())
        print(f"{label:8} loss={lo_:.4f} {figures}\n         {consts}")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
