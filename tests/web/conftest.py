"""Browser fixtures: Debian's Chromium driven by Playwright (its own browser download does
not work here). One Chromium serves the whole run; each test opens its own context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


_RUNNING: list[Browser] = []  # one Chromium per run, whichever module's copy of the fixture asks first


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # A test module that imports this fixture registers a second session fixture; a second
    # sync_playwright() in the same thread fails ("inside the asyncio loop"), so it reuses
    # the Chromium the first one started.
    if _RUNNING:
        yield _RUNNING[0]
        return
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        _RUNNING.append(b)
        try:
            yield b
        finally:
            _RUNNING.clear()
            b.close()
