"""Screening: 100k entities (the real lists plus seeded synthetic names), throughput and
latency of one core, recall and false-positive rate on the labelled set
(:mod:`bench.screening_labels`), side by side with nomenklatura's logic-v2 scoring the same
query–candidate pairs (the candidates secassist's blocking selects), and a plain rapidfuzz
token-sort ratio over every name.

``SECASSIST_BENCH_QUICK=1`` shrinks it to a smoke run (20k entities, a few hundred queries).
``SECASSIST_BENCH_LABEL_SEED=N`` draws the labelled queries with another seed (default 5, the
set the matcher was tuned on, by its TUNE part): a set nobody tuned on, to re-measure on.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.screening_labels import Labelled, defence_negatives, labelled_set, with_context
from secassist.vetting.screening import matcher
from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.matcher import CANDIDATES, DEFAULT_THRESHOLD, Index, Match
from secassist.vetting.screening.normalize import tokens
from secassist.vetting.screening.parsers import parse_path

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
LABEL_SEED = int(os.environ.get("SECASSIST_BENCH_LABEL_SEED", "5"))
SANCTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sanctions"
SIPRI = SANCTIONS.parent / "sipri" / "sipri_trade_register_1950-2023.csv"
FOLDERS = (
    "ofac_sdn_2019-01",
    "ofac_sdn_sample_2025",
    "ofac_consolidated_nonsdn_2025-12",
    "us_csl",
    "bis_dpl",
    "un",
    "opensanctions_ftm",
)
TOTAL = 20_000 if QUICK else 100_000
PER_VARIANT = 40 if QUICK else 300
NEGATIVES = 300 if QUICK else 3000
PEER_THRESHOLD = 0.7  # yente's default match threshold for the logic matchers
SEED = 20251201


def _syllable_words(rng: random.Random, n: int, lo: int, hi: int) -> list[str]:
    onsets = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "st", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ei"]
    codas = ["", "", "n", "r", "s", "l", "m", "k"]
    out: set[str] = set()
    while len(out) < n:
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(lo, hi))
        )
        out.add(word.capitalize())
    return sorted(out)


def synthetic(count: int, *, seed: int = SEED) -> list[ListEntity]:
    """Seeded synthetic parties: invented people and companies, some with an alias."""
    rng = random.Random(seed)
    given = _syllable_words(rng, 3000, 2, 3)
    family = _syllable_words(rng, 20000, 2, 4)
    words = _syllable_words(rng, 8000, 2, 3)
    forms = ["LLC", "LTD", "JSC", "GMBH", "S.A.", "TRADING CO.", "INDUSTRIES", "GROUP", ""]
    out = []
    for i in range(count):
        if rng.random() < 0.6:
            name = f"{rng.choice(family).upper()}, {rng.choice(given)}"
            if rng.random() < 0.4:
                name += f" {rng.choice(given)}"
            e = ListEntity(f"SYN-{i}", name, "Person")
        else:
            name = " ".join([*rng.sample(words, rng.choice((1, 2, 3))), rng.choice(forms)]).strip().upper()
            e = ListEntity(f"SYN-{i}", name, "Organization")
        if rng.random() < 0.3:
            e.aliases.append(f"{rng.choice(family)} {rng.choice(given)}".upper())
        out.append(e)
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _rates(labels: Sequence[Labelled], hit: Callable[[Labelled], bool]) -> tuple[float, float]:
    pos = [lb for lb in labels if lb.entity_id is not None]
    neg = [lb for lb in labels if lb.entity_id is None]
    return sum(map(hit, pos)) / len(pos), sum(map(hit, neg)) / len(neg)


_QUERY_FIELDS = {f.name for f in dataclasses.fields(matcher.Query)}


def match_labelled(index: Index, lb: Labelled, *, context: bool) -> list[Match]:
    """The one way the bench asks the matcher: the query's name, and with ``context`` its
    schema and country through the matcher's public query when that query carries them
    (the yente-shaped context of issue #14); name-only otherwise, so the context rows then
    measure the name-only matcher on the same queries."""
    fields: dict[str, object] = {"names": [lb.query]}
    if context:
        if "schema" in _QUERY_FIELDS and lb.schema:
            fields["schema"] = lb.schema
        for key in ("countries", "country"):
            if key in _QUERY_FIELDS and lb.country:
                fields[key] = [lb.country] if key == "countries" else lb.country
                break
    return index.match(matcher.Query(**fields), threshold=DEFAULT_THRESHOLD, explain=False)  # type: ignore[arg-type]


def context_passed() -> bool:
    return "schema" in _QUERY_FIELDS or "countries" in _QUERY_FIELDS or "country" in _QUERY_FIELDS


PeerScore = Callable[[str, Labelled, bool, tuple[str, str]], float]
FTM_SCHEMA = {"Aircraft": "Airplane"}  # our schema names that FtM spells otherwise


def _peer(by_key: dict[tuple[str, str], ListEntity]) -> tuple[PeerScore, str] | None:
    """nomenklatura's newest logic matcher installed (logic-v2, else logic-v1), called as
    nomenklatura's own tests call it (``LogicV2().compare(query, result,
    LogicV2.default_config())``) and as yente feeds it: the listed entity whole — its
    schema, every name (``name``/``alias``), weak aliases as ``weakAlias``, countries,
    birth dates and identifiers — and the query with its schema and country when the run
    passes context (``LegalEntity`` and no country otherwise).

    Every entity gets its own stable id: logic-v2 memoises the name analysis of an entity
    by its id (``functools.lru_cache`` on ``Entity.__hash__``), so one fixed id for every
    query and every listed entry (as an earlier wrapper did) scores every pair as the first
    one analysed — that, not the matcher, was the peer's ~97 % false hits."""
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
    except ImportError:
        return None
    for name in ("logic-v2", "logic-v1"):
        algo = get_algorithm(name)
        if algo is not None:
            break
    else:
        return None
    cfg = algo.default_config()
    listed: dict[tuple[str, str], object] = {}

    def result(key: tuple[str, str]) -> object:
        got = listed.get(key)
        if got is None:
            ent = by_key[key]
            schema = FTM_SCHEMA.get(ent.schema, ent.schema)
            r = model.make_entity(schema if schema in model.schemata else "LegalEntity")
            r.id = f"{key[0]}:{key[1]}"
            names = ent.names()
            r.add("name", names[0])
            r.add("alias", names[1:], quiet=True)
            r.add("weakAlias", ent.weak_aliases, quiet=True)
            r.add("country", [c.code for c in ent.countries], quiet=True)
            r.add("birthDate", ent.birth_dates, quiet=True)
            r.add("idNumber", [i.value for i in ent.identifiers], quiet=True)
            got = listed[key] = r
        return got

    def score(qid: str, lb: Labelled, context: bool, key: tuple[str, str]) -> float:
        q = model.make_entity(lb.schema if context and lb.schema else "LegalEntity")
        q.id = qid
        q.add("name", lb.query)
        if context and lb.country:
            q.add("country", lb.country)
        return float(algo.compare(q, result(key), cfg).score)  # type: ignore[arg-type]

    return score, f"nomenklatura {name}"


@dataclasses.dataclass
class Setup:
    """Everything the benchmark and the tuner (:mod:`bench.screening_tune`) share: the index
    of the real lists plus synthetic names, and the labelled queries."""

    real: list[tuple[str, list[ListEntity]]]
    fake: list[ListEntity]
    index: Index
    build_s: float
    index_mb: float
    labels: list[Labelled]  # positives and negatives (name-only)
    hard: list[Labelled]  # defence negatives, with country and schema (the context run)
    hard_name_only: list[Labelled]  # those not written exactly as a listed name
    contextual: list[Labelled]  # positives with their own and with another country


def prepare() -> Setup:
    lists = [parse_path(SANCTIONS / f) for f in FOLDERS]
    real = [(p.list_name, p.entities) for p in lists]
    n_real = sum(len(e) for _n, e in real)
    fake = synthetic(max(0, TOTAL - n_real))
    gc.collect()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    index = Index()
    for name, ents in [*real, ("synthetic", fake)]:
        index.extend(name, ents)
    index.finalize()
    build_s = time.perf_counter() - t0
    gc.collect()
    index_mb = _rss_mb() - rss0

    labels = labelled_set(real, seed=LABEL_SEED, per_variant=PER_VARIANT, negatives_n=NEGATIVES)
    # Negatives must be clearly different from the synthetic names too.
    synthetic_words = {t.canon for e in fake for n in e.names() for t in tokens(n)}
    labels = [
        lb
        for lb in labels
        if lb.entity_id is not None or not {t.canon for t in tokens(lb.query)} <= synthetic_words
    ]
    hard = defence_negatives(SIPRI)
    # "Ministry of National Defence" (Poland) is written exactly as the DPRK's listed
    # ministry: by its name alone it *is* a match, and only its country and type can tell
    # them apart. Such names are negatives of the context run only; every other defence
    # name is a negative of the name-only run too.
    listed_words = {frozenset(t.canon for t in toks) for toks in index.name_toks}
    hard_name_only = [lb for lb in hard if frozenset(t.canon for t in tokens(lb.query)) not in listed_words]
    contextual = with_context([lb for lb in labels if lb.entity_id is not None], real)
    if QUICK:
        contextual = contextual[: len(contextual) // 4]
    return Setup(real, fake, index, build_s, index_mb, labels, hard, hard_name_only, contextual)


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 180)
    setup = prepare()
    real, fake, index = setup.real, setup.fake, setup.index
    build_s, index_mb = setup.build_s, setup.index_mb
    labels, hard, contextual = setup.labels, setup.hard, setup.contextual
    by_key = {(ln, e.entity_id): e for ln, ents in [*real, ("synthetic", fake)] for e in ents}

    # secassist: one core, every query through blocking and scoring, one function for both
    # the name-only and the context runs.
    lat: list[float] = []  # CPU seconds of this thread: the machine is shared, wall time is not ours
    wall: list[float] = []
    runs: list[tuple[str, list[Labelled], bool]] = [
        ("name-only", [*labels, *setup.hard_name_only], False),
        ("context", [*contextual, *hard], True),
    ]
    ours: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for run_name, subset, context in runs:
        for i, lb in enumerate(subset):
            t, c = time.perf_counter(), time.thread_time()
            found = match_labelled(index, lb, context=context)
            if run_name == "name-only":
                lat.append(time.thread_time() - c)
                wall.append(time.perf_counter() - t)
            ours[(run_name, i)] = {(m.list_name, m.entity_id) for m in found}

    def hit(got: set[tuple[str, str]], lb: Labelled) -> bool:
        return (lb.list_name, lb.entity_id) in got if lb.entity_id is not None else bool(got)

    # Peer: the same query–candidate pairs (the entities secassist's blocking selects,
    # word-boundary candidates included), scored by nomenklatura on the holdout queries (the
    # table's rows; scoring the tuning part too would double the peer's run for nothing).
    peer = _peer(by_key)
    theirs: dict[tuple[str, int], set[tuple[str, str]]] = {}
    peer_s = 0.0
    peer_n = 0
    peer_name = "no peer installed"
    if peer is not None:
        score, peer_name = peer
        t = time.thread_time()
        for run_name, subset, context in runs:
            for i, lb in enumerate(subset):
                if lb.part != "holdout":
                    continue
                qt = tokens(lb.query)
                cands = index.boundary_candidates(qt) + index.candidates(qt, CANDIDATES) if qt else []
                keys = dict.fromkeys(
                    (index.ent_list[index.name_ent[n]], index.ent_id[index.name_ent[n]]) for n in cands
                )
                qid = f"{run_name}:{i}"
                theirs[(run_name, i)] = {k for k in keys if score(qid, lb, context, k) >= PEER_THRESHOLD}
                peer_n += 1
        peer_s = time.thread_time() - t

    def rates(
        run_name: str, pick: Callable[[Labelled], bool], table_: dict[tuple[str, int], set[tuple[str, str]]]
    ) -> float:
        subset = next(sub for n, sub, _c in runs if n == run_name)
        chosen = [(i, lb) for i, lb in enumerate(subset) if pick(lb)]
        chosen = [(i, lb) for i, lb in chosen if (run_name, i) in table_]
        if not chosen:
            return float("nan")
        return sum(hit(table_[(run_name, i)], lb) for i, lb in chosen) / len(chosen)

    table = Table(
        title=f"Screening: {len(index):,} entities, {index.name_count:,} names, "
        f"{len(labels):,} labelled + {len(hard)} defence negatives ({len(hard) - len(setup.hard_name_only)} "
        f"written as a listed name: context run only) + {len(contextual)} context queries"
    )
    for col in ("figure (holdout)", "secassist", peer_name, "target", "ratio to peer"):
        table.add_column(col, justify="right" if col != "figure (holdout)" else "left")
    qps = len(lat) / sum(lat)
    table.add_row("index build (s) / memory (MB RSS)", f"{build_s:.1f} / {index_mb:.0f}", "—", "—", "—")
    peer_qps = peer_n / peer_s if peer_s else float("nan")
    table.add_row(
        "throughput, 1 core (queries/CPU-s)",
        f"{qps:,.0f}",
        f"{peer_qps:,.1f}",
        "≥ 300",
        f"{qps / peer_qps:.0f}x",
    )
    table.add_row(
        "latency p50 / p95 (ms CPU)",
        f"{_pct(lat, 0.5) * 1000:.2f} / {_pct(lat, 0.95) * 1000:.2f}",
        "—",
        "≤ 10 p95",
        "—",
    )

    def holdout(kind: str) -> Callable[[Labelled], bool]:
        def pick(lb: Labelled) -> bool:
            if lb.part != "holdout":
                return False
            if kind == "pos":
                return lb.entity_id is not None
            if kind == "neg":
                return lb.entity_id is None
            if kind == "hard":
                return lb.variant == "defence_negative"
            return lb.variant == kind

        return pick

    def row(label: str, run_name: str, kind: str, target: str) -> None:
        ours_r = rates(run_name, holdout(kind), ours)
        peer_r = rates(run_name, holdout(kind), theirs)
        ratio = f"{ours_r / peer_r:.3f}" if peer_r == peer_r and peer_r else "—"
        table.add_row(label, f"{ours_r:.4f}", f"{peer_r:.4f}", target, ratio)

    row("name-only recall", "name-only", "pos", "≥ 0.98")
    row("name-only false hits (all negatives incl. defence)", "name-only", "neg", "≤ 0.005")
    row("name-only false hits, defence names only", "name-only", "hard", "—")
    mode = "context passed" if context_passed() else "matcher takes no context yet: name only"
    row(f"with context ({mode}): false hits, hard negatives", "context", "hard", "≤ 0.02")
    row("with context: recall, own country", "context", "context_own", "≥ 0.97")
    row("with context: recall, other country", "context", "context_other", "≥ 0.97")
    for v in sorted({lb.variant for lb in labels if lb.entity_id is not None}):
        row(f"  name-only recall: {v}", "name-only", v, "—")
    console.print(table)
    for run_name, subset, _context in runs:
        flagged = [
            f"{lb.query} ({lb.country}) ~ {by_key[k].name if k in by_key else k[1]}"
            for i, lb in enumerate(subset)
            if lb.variant == "defence_negative" and lb.part == "holdout" and ours[(run_name, i)]
            for k in sorted(ours[(run_name, i)])[:1]
        ]
        shown = "; ".join(flagged[:25])
        console.print(f"defence names flagged (holdout, {run_name}): {len(flagged)}: {shown}")
        missed = [
            f"{lb.query} ({lb.country}) for {by_key[(lb.list_name or '', lb.entity_id or '')].name}"
            for i, lb in enumerate(subset)
            if lb.variant == "context_other" and lb.part == "holdout" and not hit(ours[(run_name, i)], lb)
        ]
        if missed:
            console.print(f"listed parties missed with another country (holdout): {'; '.join(missed[:25])}")
    console.print(
        f"threshold {DEFAULT_THRESHOLD}; peer threshold {PEER_THRESHOLD}; "
        f"queries {len(labels)} ({sum(lb.entity_id is None for lb in labels)} negatives), quick={QUICK}, "
        f"label seed {LABEL_SEED}"
    )
