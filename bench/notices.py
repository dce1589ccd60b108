"""Notice parse throughput: the shared real notices, and 10,000 rendered ones.

The real notices are ``../shared/data/notices/*.txt`` (about 2,000 characters each, read
once, parsed many times); the rendered ones come from ``notification.render`` with seeded
random purchasers, values, numbers and dates (full notices, about 4,000 characters). The
limit is the issue's target of 1,000 notices a second; ratio = secassist / limit (higher
is better). Rendered notices are also checked to parse back to their own values.
``SECASSIST_BENCH_QUICK=1`` shrinks the run to a smoke test.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from secassist.notification.parse import parse_notice
from secassist.notification.render import NoticeContent, render_text

TARGET = 1_000.0  # notices per second (issue #6)
SEED = 20261201
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "notices"
PURCHASERS = [
    "Government of Poland",
    "Kingdom of Saudi Arabia",
    "Republic of Korea",
    "Government of the Philippines",
    "Taipei Economic and Cultural Representative Office in the United States (TECRO)",
    "North Atlantic Treaty Organization",
    "Government of Egypt",
    "Australia",
    "Government of the Netherlands",
    "Republic of Türkiye",
]
JUSTIFICATION = "This proposed sale will support the foreign policy of the United States. " * 5
SENSITIVITY = "The highest level of classification of the defense articles is SECRET. " * 5
AGENCIES = ["Department of the Army", "Department of the Navy", "Department of the Air Force"]


def _rendered(n: int, rng: random.Random) -> list[tuple[NoticeContent, str]]:
    out = []
    alnum = "0123456789ABCDEFGHJK"
    for _ in range(n):
        c = NoticeContent(
            transmittal=f"{rng.randint(0, 9)}{rng.choice(alnum)}-{rng.randint(0, 9)}{rng.choice(alnum)}",
            purchaser=rng.choice(PURCHASERS),
            mde=Decimal(rng.randrange(0, 5_000_000_000, 100_000)),
            other=Decimal(rng.randrange(0, 5_000_000_000, 100_000)),
            dated=date(1997, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30)),
            implementing_agency=rng.choice(AGENCIES),
            mde_items=("Twelve (12) F-16 Block 70 aircraft",),
            non_mde_items=("Spare and repair parts; publications; U.S. Government and contractor support.",),
            policy_justification=JUSTIFICATION,
            sensitivity=SENSITIVITY,
        )
        out.append((c, render_text(c)))
    return out


def _rate(texts: list[str], repeat: int) -> tuple[float, int]:
    start = time.perf_counter()
    for _ in range(repeat):
        for t in texts:
            parse_notice(t)
    elapsed = time.perf_counter() - start
    count = len(texts) * repeat
    return count / elapsed, count


def run() -> None:
    quick = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
    rng = random.Random(SEED)
    shared = [p.read_text(encoding="utf-8") for p in sorted(SHARED.glob("*.txt"))]
    rendered = _rendered(500 if quick else 10_000, rng)
    wrong = 0
    for c, text in rendered:
        got = parse_notice(text)
        if (got.transmittal, got.mde_usd, got.other_usd, got.date) != (
            c.transmittal,
            int(c.mde),
            int(c.other),
            c.dated.isoformat(),
        ):
            wrong += 1
    shared_rate, shared_n = _rate(shared, 4 if quick else 40)
    rendered_rate, rendered_n = _rate([t for _, t in rendered], 1)
    table = Table(title=f"Notice parsing (seed {SEED}; target {TARGET:,.0f} notices/s)")
    for col in ("figure", "secassist", "limit", "ratio"):
        table.add_column(col)
    table.add_row(
        f"shared real notices ({len(shared)} files × {shared_n // max(len(shared), 1)})",
        f"{shared_rate:,.0f} /s",
        f"{TARGET:,.0f} /s",
        f"{shared_rate / TARGET:.1f}×",
    )
    table.add_row(
        f"rendered notices ({rendered_n:,}, ~{sum(len(t) for _, t in rendered) // len(rendered):,} chars)",
        f"{rendered_rate:,.0f} /s",
        f"{TARGET:,.0f} /s",
        f"{rendered_rate / TARGET:.1f}×",
    )
    table.add_row("rendered notices parsed back wrong", str(wrong), "0", "—")
    Console().print(table)
