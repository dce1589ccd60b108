"""The request mix of `make load` (run by locust from :mod:`bench.load`, never imported by it).

Reads ``LOAD_CONFIG`` (tokens per role, ids to request) and writes ``LOAD_RESULT`` at the
end: per-operation counts, requests/s, p50/p95/p99, status codes; read and write totals;
errors (transport failures and every 5xx except a 503 with ``Retry-After``); 503 answers
without ``Retry-After`` (also counted as errors).

The users are ``FastHttpUser`` (geventhttpclient), not ``HttpUser`` (python-requests): the
generator shares the machine's cores with the server, and requests costs several times
more CPU per request, which the server would lose."""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.stats import StatsEntry

CONFIG: dict[str, Any] = json.loads(open(os.environ["LOAD_CONFIG"]).read())  # noqa: SIM115
TOKENS: dict[str, str] = CONFIG["tokens"]
STATUSES: dict[str, Counter[str]] = defaultdict(Counter)
PROBLEMS = {"errors": 0, "missing_retry_after": 0}


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


class Reader(FastHttpUser):
    """Case lists and pages, case detail, item lists and traces, ledger entries, transfers."""

    weight = int(CONFIG["read_weight"])
    wait_time = between(0.0, 0.05)

    def _get(self, name: str, path: str, role: str) -> None:
        self.client.get(f"/api/v1{path}", name=f"R {name}", headers=_auth(role))

    @task(3)
    def case_list(self) -> None:
        role = random.choice(["case_manager", "partner", "congress"])
        self._get(f"cases list ({role})", f"/cases?limit=50&offset={random.choice([0, 0, 50])}", role)

    @task(3)
    def case_page(self) -> None:
        self._get("case page", f"/cases/{random.choice(CONFIG['case_refs'])}", "case_manager")

    @task(1)
    def case_timeline(self) -> None:
        self._get("case timeline", f"/cases/{random.choice(CONFIG['case_refs'])}/timeline", "case_manager")

    @task(2)
    def item_list(self) -> None:
        self._get("items list", "/equipment/items?limit=50", "eum_monitor")

    @task(3)
    def trace(self) -> None:
        self._get("item trace", f"/equipment/items/{random.choice(CONFIG['serials'])}/trace", "eum_monitor")

    @task(1)
    def ledger(self) -> None:
        self._get("ledger entries", "/programs/entries", "case_manager")

    @task(1)
    def transfers(self) -> None:
        self._get("transfers list", "/transfers?limit=50", "policy")


class Writer(FastHttpUser):
    """Screening runs, ledger obligations, transfer requests on items already requested."""

    weight = 1
    wait_time = between(0.0, 0.2)

    def _post(self, name: str, path: str, role: str, body: dict[str, Any]) -> None:
        self.client.post(f"/api/v1{path}", name=f"W {name}", headers=_auth(role), json=body)

    @task(2)
    def screening(self) -> None:
        names = ["Ivan Petrov", "Acme Trading LLC", "Maria Gonzalez", "Kim Jong Un", "Global Arms Ltd"]
        body = {"subject": "load", "parties": [{"names": [random.choice(names)], "country": "PL"}]}
        self._post("screening", "/screening/screenings", "policy", body)

    @task(2)
    def obligation(self) -> None:
        # A dollar at a time from a demo FMF allocation to a line of an FMF case of its
        # country (bench.load._discover); once the allocation is spent, the honest answer is
        # a 422 refusal naming the amount.
        o = CONFIG["obligation"]
        if not o:
            return
        body = o | {"amount": "1.00", "memo": "load"}
        self._post("obligation", "/programs/obligations", "policy", body)

    @task(1)
    def transfer(self) -> None:
        # Poland's MoD asks consent to retransfer two items it holds; an item already in an
        # open request must lose with 409 (the registry's one-place-at-a-time rule).
        t = CONFIG["transfer"]
        if not t:
            return
        body = {
            "from_country": t["from_country"],
            "to": t["to"],
            "kind": "retransfer",
            "on": datetime.now(UTC).date().isoformat(),
            "end_use": "load test",
            "serials": random.sample(t["serials"], min(2, len(t["serials"]))),
        }
        self._post("transfer request", "/transfers", "partner", body)


@events.request.add_listener
def _count(name: str, response: Any, exception: Any, **_: Any) -> None:
    if exception is not None and response is None:
        STATUSES[name]["transport"] += 1
        PROBLEMS["errors"] += 1
        return
    code = response.status_code if response is not None else 0
    STATUSES[name][str(code)] += 1
    if code == 503 and response.headers.get("Retry-After"):
        return  # an orderly "come back later" is the degradation asked for (issue #16)
    if code == 503:
        # Without Retry-After a 503 is an outage, not a degradation: an error, and counted apart.
        PROBLEMS["missing_retry_after"] += 1
    if code >= 500 or code == 0:
        PROBLEMS["errors"] += 1


def _row(entry: StatsEntry, span: float) -> dict[str, Any]:
    """Rates over the whole step's span (an operation's own first-to-last span overstates rare ones)."""
    if not entry.num_requests:
        return {"count": 0, "rps": 0.0, "p50": None, "p95": None, "p99": None}
    return {
        "count": entry.num_requests,
        "rps": entry.num_requests / span,
        "p50": entry.get_response_time_percentile(0.50),
        "p95": entry.get_response_time_percentile(0.95),
        "p99": entry.get_response_time_percentile(0.99),
    }


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    stats = environment.runner.stats
    ops: dict[str, Any] = {}
    span = max((stats.total.last_request_timestamp or 0) - stats.total.start_time, 1.0)
    totals = {kind: StatsEntry(stats, kind, "", use_response_times_cache=False) for kind in ("R", "W")}
    for (name, _method), entry in stats.entries.items():
        ops[name] = _row(entry, span) | {"statuses": dict(STATUSES[name])}
        totals[name[0]].extend(entry)
    result = {
        "operations": ops,
        "totals": {"read": _row(totals["R"], span), "write": _row(totals["W"], span)},
        **PROBLEMS,
    }
    with open(os.environ["LOAD_RESULT"], "w") as fh:
        json.dump(result, fh)
