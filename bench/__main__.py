"""`make bench`: run every benchmark module listed here and print its table."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bench.startup",
    "bench.audit",
    "bench.cases",
    "bench.programs",
    "bench.screening",
    "bench.vetting",
    "bench.notices",
    "bench.equipment",
    "bench.transfers",
]


def main() -> None:
    wanted = sys.argv[1:] or BENCHMARKS
    for name in wanted:
        module = importlib.import_module(name if name.startswith("bench.") else f"bench.{name}")
        module.run()


if __name__ == "__main__":
    main()
