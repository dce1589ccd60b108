"""Regenerate the screenshot gallery in docs/gallery/ and docs/gallery.md (`make gallery`).

A throwaway SQLite database gets the demo data, `secassist serve` serves it on a free local
port, and Debian's Chromium (through Playwright, as in the browser tests) photographs a few
pages as the stakeholder who uses them. Each PNG is reduced to a 128-colour palette so the
whole gallery stays a few hundred KB in git.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from secassist.demo.dataset import DEMO_USERS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# (file, user, page or (list page, link pattern), viewport, caption). At most eight.
SHOTS: list[tuple[str, str, str | tuple[str, str], dict[str, int], str]] = [
    (
        "state-home",
        "pm.officer",
        "/",
        DESKTOP,
        "State's home: the vetting queue, reviews ending soon, funds by program",
    ),
    (
        "case",
        "dsca.case",
        ("/cases", r"^/cases/[^/?]+$"),
        DESKTOP,
        "A case as the implementing agency sees it: request, lines, vetting, notification, gates, funding",
    ),
    (
        "vetting-proposal",
        "pm.officer",
        ("/vetting", r"^/vetting/proposals/\d+$"),
        DESKTOP,
        "A vetting proposal with its findings and the sign-offs of the named offices",
    ),
    (
        "charts",
        "pm.officer",
        "/charts",
        DESKTOP,
        "Charts drawn on the server as SVG, each with a table view and a text alternative",
    ),
    (
        "notification",
        "hfac.staff",
        ("/notifications", r"^/notifications/\d+$"),
        DESKTOP,
        "Congressional staff: a notification under review with its dates",
    ),
    (
        "audit-entry",
        "ig.auditor",
        "/audit/entries/1",
        DESKTOP,
        "An audit entry with its inclusion proof, checked in the browser against the signed checkpoint",
    ),
    (
        "partner-home-phone",
        "pl.mod",
        "/",
        PHONE,
        "The partner's home on a 390 px phone: its cases, offers awaiting acceptance, transfer requests",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def secassist(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(ROOT / ".venv/bin/secassist"), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def log_in(page: Page, username: str) -> None:
    password = next(u.password for u in DEMO_USERS if u.username == username)
    page.context.clear_cookies()
    page.goto("/login?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def resolve(page: Page, where: str | tuple[str, str]) -> str:
    if isinstance(where, str):
        return where
    list_page, pattern = where
    page.goto(list_page)
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    link = next((h for h in hrefs if re.match(pattern, h)), None)
    if link is None:
        raise SystemExit(f"gallery: no link matching {pattern} on {list_page}")
    return link


def compress(path: Path) -> None:
    """A 128-colour palette PNG: screenshots of flat UI lose nothing a reader would notice."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="secassist-gallery-") as tmp:
        env = {**os.environ, "SECASSIST_DATABASE_URL": f"sqlite:///{tmp}/gallery.db"}
        secassist("db", "upgrade", env=env)
        secassist("demo", "load", env=env)
        port = free_port()
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/secassist"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{base}/login", timeout=2).close()  # noqa: S310 (our own http URL)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("gallery: the server did not start") from None
                    time.sleep(0.2)
            lines = shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=10)
    md = [
        "# Gallery",
        "",
        "Screenshots of the web workbench with the demo data, one stakeholder each.",
        "Regenerate with `make gallery` (scripts/gallery.py); the browser tests save every page",
        "at 1280 and 390 px to `test-artifacts/screens/`.",
        "",
        *lines,
    ]
    (ROOT / "docs" / "gallery.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"gallery: {len(SHOTS)} images, {total // 1024} KB in {OUT.relative_to(ROOT)}")


def shoot(base: str) -> list[str]:
    lines: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for name, user, where, viewport, caption in SHOTS:
                context = browser.new_context(base_url=base, viewport=viewport)  # type: ignore[arg-type]
                page = context.new_page()
                log_in(page, user)
                path = resolve(page, where)
                page.goto(path)
                target = OUT / f"{name}.png"
                page.screenshot(path=str(target))
                compress(target)
                context.close()
                lines += [
                    f"## {caption}",
                    "",
                    f"`{user}` at {viewport['width']} px, `{path}`",
                    "",
                    f"![{caption}](gallery/{name}.png)",
                    "",
                ]
        finally:
            browser.close()
    return lines


if __name__ == "__main__":
    main()
