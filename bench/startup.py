"""Server start to first answer: `secassist serve` against a bare FastAPI app under uvicorn.

Both are started as fresh processes on loopback; the clock runs from spawn until the
first HTTP 200. The peer is the floor any FastAPI service pays (interpreter, imports,
uvicorn); the ratio is what secassist adds (settings, database ping and migration
check, reference data validation, templates).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

RUNS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _time_to_first_response(cmd: list[str], url_path: str, env: dict[str, str], port: int) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 60
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{url_path}", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"{cmd} never answered")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = {**os.environ, "SECASSIST_DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run(
            [sys.executable, "-m", "secassist", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [sys.executable, "-m", "secassist", "demo", "load"], env=env, check=True, capture_output=True
        )
        peer_app = Path(tmp) / "peer_app.py"
        peer_app.write_text(
            textwrap.dedent(
                """
                from fastapi import FastAPI
                app = FastAPI()
                @app.get("/health")
                def health() -> dict[str, str]:
                    return {"status": "ok"}
                """
            )
        )
        ours, peer = [], []
        for _ in range(RUNS):
            port = _free_port()
            ours.append(
                _time_to_first_response(
                    [sys.executable, "-m", "secassist", "serve", "--port", str(port)],
                    "/api/v1/health",
                    env,
                    port,
                )
            )
            port = _free_port()
            peer.append(
                _time_to_first_response(
                    [sys.executable, "-m", "uvicorn", "--app-dir", tmp, "peer_app:app", "--port", str(port)],
                    "/health",
                    env,
                    port,
                )
            )
    table = Table(title=f"Start to first response (median of {RUNS}, SQLite)")
    for col in ("figure", "secassist", "peer: bare FastAPI+uvicorn", "ratio"):
        table.add_column(col)
    o, p = statistics.median(ours), statistics.median(peer)
    table.add_row("spawn → first HTTP 200", f"{o * 1000:.0f} ms", f"{p * 1000:.0f} ms", f"{o / p:.2f}×")
    Console().print(table)
