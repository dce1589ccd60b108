"""An audit log entry's page (issue #15): the entry (whole, or redacted outside the reader's
scope, as the API shows it), the server's check of its inclusion proof against the latest
signed checkpoint, and the same check run in the reader's browser by ``static/verify.js``.

Readers of the log (``audit:read``: auditors, State, DoD, administrators) only; anyone else
gets the same 404 page as a missing entry. An entry is shown whole only to a reader who may
read every record it touches (:func:`secassist.identity.policy.may_read_audit_entry`); to
anyone else it is its number, time, tag and leaf hash, which is all a proof needs.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.audit import queries
from secassist.core.errors import NotFoundError
from secassist.http.deps import ReadSessionDep
from secassist.identity.policy import may_read_audit_entry
from secassist.reports.home import check_proof
from secassist.reports.proofs import browser_proofs, signed_checkpoint
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

READ = "audit:read"
MAX_SEQ = 2**53 - 1  # sequence numbers are exact JSON integers


@router.get("/audit/entries/{seq}", response_class=HTMLResponse)
def entry(seq: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One entry, its proof checked by the server and, in the page, by the browser."""
    if web_user is None:
        return RedirectResponse(f"/login?next=/audit/entries/{seq}", status_code=303)
    p = web_user.principal
    if READ not in p.permissions or not 0 <= seq <= MAX_SEQ:
        raise NotFoundError("page not found")
    row = queries.get_entry(session, seq)
    doc = queries.entry_json(row)
    tables = frozenset(str(r["table"]) for r in doc["payload"]["rows"])
    whole = may_read_audit_entry(p, doc["subject"]["type"], tables)
    signed = signed_checkpoint(session, request.app.state.settings)
    server = check_proof(session, seq, signed.row) if signed is not None else None
    browser = browser_proofs(session, actor=p, seqs=[seq], signed=signed).get(seq) if signed else None
    return page(
        request,
        "audit_entry.html",
        active="",
        entry=row,
        whole=whole,
        leaf_hash=queries.leaf_of(row).hex(),
        payload=json.dumps(doc["payload"], indent=2, ensure_ascii=False) if whole else "",
        signed=signed,
        server=server,
        browser=browser,
    )
