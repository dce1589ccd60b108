"""Vetting: the pure engine's evaluation rate and latency, a full decision record (evaluate,
persist every finding, audit) on SQLite, and importing the real SIPRI register.

There is no peer system to run side by side; each figure is compared with a budget of our
own (stated in the table): interactive use wants an evaluation well under 10 ms and a
recorded decision under 100 ms; an import of the whole register under 10 s. Seeded.
``SECASSIST_BENCH_QUICK=1`` shrinks the runs.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from secassist.reference.service import get_reference
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import upgrade
from secassist.storage.uow import unit_of_work
from secassist.vetting import service, sipri
from secassist.vetting.context import RuleContext
from secassist.vetting.proposal import Proposal, parse_proposal
from secassist.vetting.ruleset import evaluate, get_ruleset
from secassist.vetting.tables import embargoes, technology

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
SEED = 20251107
SIPRI = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "sipri" / "sipri_trade_register_1950-2023.csv"
)
STATUSES = ["clear", "clear", "clear", "false_positive", "potential_match", None]
CATEGORIES = [None, "I", "III", "IV", "VII", "VIII", "XI", "XII"]


def _proposals(n: int, rng: random.Random) -> list[Proposal]:
    codes = [c.code for c in get_reference().countries() if not c.territory]
    out = []
    for i in range(n):
        country = rng.choice(codes)

        def party(role: str, k: int, c: str = country, n: int = i) -> dict[str, Any]:
            st = rng.choice(STATUSES)
            screening = {"status": st, "screening_id": f"b{n}{k}"} if st else None
            return {"name": f"{role} {n}-{k}", "role": role, "country": c, "screening": screening}

        items = [
            {
                "description": rng.choice(["trucks", "Stinger", "radios", "rifles", "F-16"]),
                "item_type": rng.choice(["fighter aircraft", "apc", "portable sam", "truck"]),
                "usml_category": rng.choice(CATEGORIES),
                "mde": rng.random() < 0.4,
                "eeum": rng.random() < 0.2,
                "value": str(rng.randint(1, 500) * 100_000),
            }
            for _ in range(rng.randint(1, 4))
        ]
        out.append(
            parse_proposal(
                {
                    "title": f"bench {i}",
                    "date": f"202{rng.randint(3, 6)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    "purchaser": party("purchaser", 0),
                    "end_users": [party("end_user", k) for k in range(rng.randint(0, 2))],
                    "intermediaries": [party("intermediary", 9, rng.choice(codes))]
                    if rng.random() < 0.2
                    else [],
                    "recipient_units": [
                        {
                            "name": f"unit {i}",
                            "country": country,
                            "leahy": {
                                "status": rng.choice(["approved", "none", "denied"]),
                                "valid_until": "2027-01-01",
                            },
                        }
                    ],
                    "items": items,
                    "financing": [rng.choice(["national", "fmf", "imet", "section_333"])],
                }
            )
        )
    return out


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def run() -> None:
    rng = random.Random(SEED)
    n_pure, n_db = (300, 30) if QUICK else (5_000, 300)
    proposals = _proposals(n_pure, rng)
    ctx = RuleContext(get_reference(), embargoes(), technology())
    rs = get_ruleset()
    for p in proposals[:20]:  # warm the caches (reference data, tables) before timing
        evaluate(p, ctx, rs.for_date(p.date))
    lat: list[float] = []
    t0 = time.perf_counter()
    for p in proposals:
        s = time.perf_counter()
        evaluate(p, ctx, rs.for_date(p.date))
        lat.append(time.perf_counter() - s)
    rate = n_pure / (time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        eng = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(eng)
        factory = make_session_factory(eng)
        t = time.perf_counter()
        with unit_of_work(factory) as s:
            imp = sipri.import_register(s, actor=None, path=SIPRI)
        import_s = time.perf_counter() - t
        rec: list[float] = []
        for p in proposals[:n_db]:
            t = time.perf_counter()
            with unit_of_work(factory) as s:
                pid = service.create_proposal(s, actor=None, proposal=p).id
                service.evaluate_proposal(s, actor=None, proposal_id=pid)
            rec.append(time.perf_counter() - t)
        eng.dispose()

    table = Table(title=f"Vetting ({n_pure} seeded proposals; {n_db} recorded on SQLite)")
    for col in ("figure", "secassist", "peer or limit", "ratio (limit ÷ secassist)"):
        table.add_column(col)
    p50, p95 = _pct(lat, 0.5) * 1000, _pct(lat, 0.95) * 1000
    table.add_row("pure evaluation, 11 factors", f"{rate:,.0f} /s", "—", "—")
    table.add_row(
        "pure evaluation p50 / p95",
        f"{p50:.2f} / {p95:.2f} ms",
        "budget 10 ms (p95)",
        f"{10 / p95:.0f}×",
    )
    r50, r95 = _pct(rec, 0.5) * 1000, _pct(rec, 0.95) * 1000
    table.add_row(
        "proposal + decision recorded (findings, 2 audit entries) p50 / p95",
        f"{r50:.0f} / {r95:.0f} ms",
        "budget 100 ms (p95)",
        f"{100 / r95:.1f}×",
    )
    table.add_row(
        f"SIPRI register import ({imp.records:,} records → {imp.holdings:,} holdings)",
        f"{import_s:.1f} s",
        "budget 10 s",
        f"{10 / import_s:.1f}×",
    )
    Console().print(table)
