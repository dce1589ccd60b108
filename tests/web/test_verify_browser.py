"""Browser-side proof verification (static/verify.js) in Debian's Chromium: WebCrypto's
SHA-256 and Ed25519 check a genuine proof as "verified", and each kind of tampering with
what the page hands the script — the entry, a path hash, the signed note, the key — as
"failed", naming why. The server's own "verified" plays no part."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit.keys import verifier_key
from secassist.audit.models import AuditEntry
from secassist.core.config import Settings
from secassist.demo.dataset import DEMO_USERS
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]
AUDITOR = next(u for u in DEMO_USERS if u.username == "ig.auditor")

# Rewrites one field of a proof box's data (the JSON verify.js reads) in the page.
TAMPER = """([seq, change]) => {
  const box = document.querySelector(`[data-testid="verify-${seq}"]`);
  const d = JSON.parse(box.getAttribute("data-verify-proof"));
  if (change === "entry") { const e = JSON.parse(d.entry); e.tag += "x"; d.entry = JSON.stringify(e); }
  if (change === "path") { d.path[0] = (d.path[0][0] === "0" ? "1" : "0") + d.path[0].slice(1); }
  if (change === "note") {
    d.note = d.note.replace(/\\n(\\d+)\\n/, (m, n) => "\\n" + (Number(n) + 1) + "\\n");
  }
  if (change === "index") { d.leaf_index += 1; }
  box.setAttribute("data-verify-proof", JSON.stringify(d));
}"""
RESTORE = """([seq, saved]) => document.querySelector(`[data-testid="verify-${seq}"]`)
  .setAttribute("data-verify-proof", saved)"""


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The key directory named explicitly (PostgreSQL has no database file to sit beside)."""
    return Settings(database_url=db_url, env="development", audit_key_path=tmp_path / "keys")


@pytest.fixture
def signed(session_factory: sessionmaker[Session], settings: Settings) -> int:
    """A checkpoint signed over the demo's log; its tree size."""
    with unit_of_work(session_factory) as s:
        return cp.create(s, settings=settings).tree_size


def _seq(factory: sessionmaker[Session], tag: str) -> int:
    with read_only(factory) as s:
        return s.scalars(select(AuditEntry.seq).where(AuditEntry.tag == tag).limit(1)).one()


def _log_in(page: Page, path: str) -> None:
    page.goto(f"/login?next={path}")
    fill_login(page, AUDITOR.username, AUDITOR.password)


def _recheck(page: Page) -> None:
    page.get_by_test_id("verify-button").click()


def test_a_genuine_proof_verifies_and_tampered_ones_fail(
    page: Page, session_factory: sessionmaker[Session], signed: int
) -> None:
    seq = _seq(session_factory, "case:case:created")
    _log_in(page, f"/audit/entries/{seq}")
    result: Locator = page.get_by_test_id(f"verify-result-{seq}")
    expect(result).to_have_text(
        f"verified: entry {seq} is in the tree of {signed} entries signed by secassist.local/audit "
        "(checked from the entry's content)"
    )
    box = page.get_by_test_id(f"verify-{seq}")
    genuine = box.get_attribute("data-verify-proof")
    assert genuine
    expected = {
        "entry": "failed: the entry's content does not hash to its leaf hash",
        "path": "failed: the path does not lead to the signed root",
        "note": "failed: the checkpoint's signature does not verify",
        "index": "failed: the path does not lead to the signed root",
    }
    for change, message in expected.items():
        page.evaluate(TAMPER, [seq, change])
        _recheck(page)
        expect(result).to_have_text(message)
        expect(box).to_have_attribute("data-verify-state", "failed")
        page.evaluate(RESTORE, [seq, genuine])
        _recheck(page)
        expect(result).to_contain_text("verified: entry")
    # A key the reader holds that did not sign this checkpoint.
    other = verifier_key("secassist.local/audit", Ed25519PrivateKey.generate().public_key())
    page.get_by_label("The log's public key to check against").fill(other)
    _recheck(page)
    expect(result).to_contain_text("failed: the checkpoint was signed by key secassist.local/audit+")
    expect(result).to_contain_text("not by the key given")
    page.set_viewport_size({"width": 390, "height": 900})  # usable on a phone: no sideways scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_home_form_and_the_trace_verify_in_the_browser(
    page: Page, session_factory: sessionmaker[Session], signed: int
) -> None:
    _log_in(page, f"/?entry={signed - 1}")
    last = page.get_by_test_id(f"verify-result-{signed - 1}")
    expect(last).to_contain_text(f"verified: entry {signed - 1}")
    with read_only(session_factory) as s:
        serial = s.scalars(select(Item.serial).order_by(Item.id).limit(1)).one()
    page.goto(f"/equipment/items/{serial}")
    boxes = page.locator("[data-verify-proof] output")
    expect(boxes.first).to_contain_text("verified: entry")
    count = boxes.count()
    assert count >= 2  # the delivery and its case, at least
    for i in range(count):
        expect(boxes.nth(i)).to_contain_text("verified: entry")
