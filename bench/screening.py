"""Screening: 100k entities (the real lists plus seeded synthetic names), throughput and
latency of one core, recall and false-positive rate on the labelled set
(:mod:`bench.screening_labels`), side by side with nomenklatura's logic-v1 scoring the same
query–candidate pairs (the candidates secassist's blocking selects), and a plain rapidfuzz
token-sort ratio over every name.

``SECASSIST_BENCH_QUICK=1`` shrinks it to a smoke run (20k entities, a few hundred queries).
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz, process
from rich.console import Console
from rich.table import Table

from bench.screening_labels import Labelled, labelled_set
from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.matcher import CANDIDATES, DEFAULT_THRESHOLD, Index
from secassist.vetting.screening.normalize import tokens
from secassist.vetting.screening.parsers import parse_path

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
SANCTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sanctions"
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
PEER_THRESHOLD = 0.7  # yente's default match threshold for logic-v1
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


def _logic_v1() -> tuple[Callable[[str, Sequence[str]], float], str] | None:
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except ImportError:
        return None
    algo = get_algorithm("logic-v1")
    if algo is None:
        return None
    cfg = ScoringConfig.defaults()

    def score(query: str, names: Sequence[str]) -> float:
        q = model.make_entity("LegalEntity")
        q.id = "q"
        q.add("name", query)
        r = model.make_entity("LegalEntity")
        r.id = "r"
        r.add("name", list(names))
        return float(algo.compare(q, r, cfg).score)

    return score, "nomenklatura logic-v1"


def run() -> None:
    console = Console()
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

    all_names = [n for _ln, ents in [*real, ("synthetic", fake)] for e in ents for n in e.names()]
    labels = labelled_set(real, seed=5, per_variant=PER_VARIANT, negatives_n=NEGATIVES)
    # Negatives must be clearly different from the synthetic names too.
    synthetic_words = {t.canon for e in fake for n in e.names() for t in tokens(n)}
    labels = [
        lb
        for lb in labels
        if lb.entity_id is not None or not {t.canon for t in tokens(lb.query)} <= synthetic_words
    ]

    # secassist: one core, every query through blocking and scoring.
    lat: list[float] = []  # CPU seconds of this thread: the machine is shared, wall time is not ours
    wall: list[float] = []
    ours: dict[str, set[tuple[str, str]]] = {}
    for lb in labels:
        t, c = time.perf_counter(), time.thread_time()
        found = index.match(lb.query, threshold=DEFAULT_THRESHOLD, explain=False)
        lat.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
        ours[lb.query] = {(m.list_name, m.entity_id) for m in found}

    def our_hit(lb: Labelled) -> bool:
        got = ours[lb.query]
        return (lb.list_name, lb.entity_id) in got if lb.entity_id is not None else bool(got)

    # Peer: the same query–candidate pairs (secassist's candidates), scored by logic-v1.
    peer = _logic_v1()
    peer_hits: dict[str, set[tuple[str, str]]] = {}
    peer_s = 0.0
    peer_name = "plain rapidfuzz token ratio"
    if peer is not None:
        score, peer_name = peer
        t = time.thread_time()
        for lb in labels:
            qt = tokens(lb.query)
            ents: dict[int, list[str]] = {}
            for n in index.candidates(qt, CANDIDATES) if qt else []:
                ents.setdefault(index.name_ent[n], []).append(index.name_text[n])
            peer_hits[lb.query] = {
                (index.ent_list[e], index.ent_id[e])
                for e, names in ents.items()
                if score(lb.query, names) >= PEER_THRESHOLD
            }
        peer_s = time.thread_time() - t

    def peer_hit(lb: Labelled) -> bool:
        got = peer_hits.get(lb.query, set())
        return (lb.list_name, lb.entity_id) in got if lb.entity_id is not None else bool(got)

    # Baseline: rapidfuzz token-sort ratio, best name over every name, cutoff at 1 % false hits.
    sample = labels if QUICK else [lb for i, lb in enumerate(labels) if i % 3 == 0]
    name_ent = [
        (ln, e.entity_id) for ln, ents in [*real, ("synthetic", fake)] for e in ents for _ in e.names()
    ]
    best: dict[str, tuple[float, tuple[str, str]]] = {}
    t = time.thread_time()
    for lb in sample:
        got = process.extractOne(lb.query, all_names, scorer=fuzz.token_sort_ratio)
        best[lb.query] = (got[1] / 100, name_ent[got[2]]) if got else (0.0, ("", ""))
    fuzzy_s = time.thread_time() - t
    neg_scores = sorted((best[lb.query][0] for lb in sample if lb.entity_id is None), reverse=True)
    cut = neg_scores[max(0, int(len(neg_scores) * 0.01))] + 1e-9 if neg_scores else 1.0
    pos_sample = [lb for lb in sample if lb.entity_id is not None]
    fuzzy_recall = sum(
        best[lb.query][0] >= cut and best[lb.query][1] == (lb.list_name, lb.entity_id) for lb in pos_sample
    ) / max(1, len(pos_sample))

    table = Table(
        title=f"Screening: {len(index):,} entities, {index.name_count:,} names, "
        f"{len(labels):,} labelled queries"
    )
    for col in ("figure", "secassist", "peer or limit", "ratio"):
        table.add_column(col, justify="right" if col != "figure" else "left")
    qps = len(lat) / sum(lat)
    p50, p95 = _pct(lat, 0.5) * 1000, _pct(lat, 0.95) * 1000
    table.add_row("index build (s) / memory (MB RSS)", f"{build_s:.1f} / {index_mb:.0f}", "—", "—")
    table.add_row("throughput, 1 core (queries/CPU-s)", f"{qps:,.0f}", "300 (target)", f"{qps / 300:.2f}x")
    if peer is not None:
        peer_qps = len(labels) / peer_s
        table.add_row(
            f"{peer_name} scoring the same candidates (q/s)",
            f"{qps:,.0f}",
            f"{peer_qps:,.1f}",
            f"{qps / peer_qps:.0f}x",
        )
    table.add_row("latency p50 (ms CPU; wall)", f"{p50:.2f}; {_pct(wall, 0.5) * 1000:.2f}", "—", "—")
    table.add_row(
        "latency p95 (ms CPU; wall)",
        f"{p95:.2f}; {_pct(wall, 0.95) * 1000:.2f}",
        "10 (target)",
        f"{10 / p95:.1f}x under",
    )
    for part in ("tune", "holdout", "all"):
        sub = [lb for lb in labels if part == "all" or lb.part == part]
        r, f = _rates(sub, our_hit)
        if peer is not None:
            pr, pf = _rates(sub, peer_hit)
            table.add_row(
                f"recall, {part} (logic-v1 ≥ {PEER_THRESHOLD})", f"{r:.4f}", f"{pr:.4f}", f"{r / pr:.3f}"
            )
            table.add_row(f"false-positive rate, {part}", f"{f:.4f}", f"{pf:.4f}", "—")
        else:
            table.add_row(f"recall, {part}", f"{r:.4f}", "0.98 (target)", f"{r / 0.98:.3f}")
            table.add_row(f"false-positive rate, {part}", f"{f:.4f}", "0.005 (limit)", "—")
    table.add_row(
        "recall at 1% false hits vs rapidfuzz token-sort over all names",
        f"{_rates(sample, our_hit)[0]:.4f}",
        f"{fuzzy_recall:.4f} ({len(sample) / fuzzy_s:.0f} q/s)",
        f"{_rates(sample, our_hit)[0] / max(fuzzy_recall, 1e-9):.3f}",
    )
    for v in sorted({lb.variant for lb in labels if lb.entity_id is not None}):
        sub = [lb for lb in labels if lb.variant == v]
        r = sum(map(our_hit, sub)) / len(sub)
        pr = sum(map(peer_hit, sub)) / len(sub) if peer is not None else float("nan")
        table.add_row(f"  recall: {v} (n={len(sub)})", f"{r:.3f}", f"{pr:.3f}", "—")
    console.print(table)
    console.print(
        f"threshold {DEFAULT_THRESHOLD}; peer threshold {PEER_THRESHOLD}; token-sort cutoff {cut:.3f}; "
        f"queries {len(labels)} ({sum(lb.entity_id is None for lb in labels)} negatives)"
    )
