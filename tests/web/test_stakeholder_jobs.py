"""docs/stakeholder-jobs.md is true (issue #15, "Done when: the closing note lists each
stakeholder's jobs with the page that does it"): the document's tables are the one source of
truth; for every row, the named demo user logs in through the login form, opens the page with
the demo's concrete reference and finds the named form, link, panel or text. Each demo user's
navigation offers no page it is refused."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from secassist.demo.dataset import DEMO_USERS
from secassist.web.render import NAV
from tests.web.test_login import csrf_field
from tests.web.test_pages import nav_links

DOC = Path(__file__).resolve().parents[2] / "docs" / "stakeholder-jobs.md"

# The control column's four forms (the document's header explains them).
FORM = re.compile(r'^form `([^`]+)` · "([^"]+)"(?: · option `([^`]+)`)?$')
LINK = re.compile(r"^link `([^`]+)`$")
PANEL = re.compile(r"^panel `([a-z_]+)`$")
TEXT = re.compile(r'^text "([^"]+)"$')


@dataclass(frozen=True)
class Job:
    stakeholder: str
    job: str
    page: str
    control: str
    login: str

    def __str__(self) -> str:
        return f"{self.stakeholder}: {self.job} ({self.page}, {self.control})"


def _cell_code(cell: str, what: str, line: int) -> str:
    m = re.fullmatch(r"`([^`]+)`", cell)
    if not m:
        raise ValueError(f"{DOC.name} line {line}: the {what} column must be one `code` span, got {cell!r}")
    return m.group(1)


def read_jobs(text: str) -> list[Job]:
    """Every row of the document's job tables (those headed Job | Page | Control | Demo login)."""
    jobs: list[Job] = []
    stakeholder = ""
    in_table = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("## "):
            stakeholder, in_table = line[3:], False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells == ["Job", "Page", "Control", "Demo login"]:
            in_table = True
            continue
        if not in_table or set("".join(cells)) <= set("-: "):
            continue
        if len(cells) != 4:
            raise ValueError(f"{DOC.name} line {number}: a job row has 4 columns, got {len(cells)}")
        job, page, control, login = cells
        if not any(p.match(control) for p in (FORM, LINK, PANEL, TEXT)):
            raise ValueError(f"{DOC.name} line {number}: unreadable control {control!r}")
        page_url, user = _cell_code(page, "page", number), _cell_code(login, "login", number)
        jobs.append(Job(stakeholder, job, page_url, control, user))
    return jobs


JOBS = read_jobs(DOC.read_text(encoding="utf-8"))
LOGINS = sorted({j.login for j in JOBS})


def test_the_document_covers_every_demo_stakeholder() -> None:
    assert len(JOBS) > 50
    demo = {u.username for u in DEMO_USERS}
    assert set(LOGINS) <= demo, f"not demo users: {set(LOGINS) - demo}"
    # Every demo login has at least one job to try: each review office's reviewer included.
    assert demo == set(LOGINS), f"demo users without a job: {demo - set(LOGINS)}"
    text = DOC.read_text(encoding="utf-8")
    assert "## Not on the web yet" in text
    assert "## On the web, but the demo has no record to show it on" in text


def test_a_malformed_row_names_its_line() -> None:
    head = "## X\n\n| Job | Page | Control | Demo login |\n|---|---|---|---|\n"
    with pytest.raises(ValueError, match="line 5: the page column"):
        read_jobs(head + '| a | /x | text "X" | `u` |\n')
    with pytest.raises(ValueError, match="line 5: unreadable control 'button'"):
        read_jobs(head + "| a | `/x` | button | `u` |\n")
    with pytest.raises(ValueError, match="line 5: a job row has 4 columns, got 3"):
        read_jobs(head + '| a | `/x` | text "X" |\n')


def log_in(client: TestClient, username: str) -> None:
    """Through the real login form, with the demo's published password."""
    form = client.get("/login")
    assert form.status_code == 200
    r = client.post(
        "/login",
        data={"username": username, "password": f"demo-{username}!", "csrf": csrf_field(form.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, f"{username} could not log in: {r.status_code}"


def _forms(page: str) -> list[tuple[str, str]]:
    """(action, body) of each form on the page."""
    return [
        (html.unescape(m.group(1)), m.group(2))
        for m in re.finditer(r'<form\b[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>', page, re.S)
    ]


def _buttons(body: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", b)).strip()
        for b in re.findall(r"<button\b[^>]*>(.*?)</button>", body, re.S)
    ]


def missing(job: Job, page: str) -> str | None:
    """Why ``page`` lacks the job's control, or None when it has it."""
    if m := FORM.match(job.control):
        action, button, option = m.groups()
        forms = [body for a, body in _forms(page) if a == action]
        if not forms:
            return f"no form posting to {action}"
        if not any(button in _buttons(body) for body in forms):
            return f"no button {button!r} in the form to {action} (buttons: {[_buttons(b) for b in forms]})"
        if option and not any(re.search(rf'<option value="{re.escape(option)}"', b) for b in forms):
            return f"the form to {action} offers no {option!r}"
        return None
    if m := LINK.match(job.control):
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
        return None if any(h.startswith(m.group(1)) for h in hrefs) else f"no link to {m.group(1)}"
    if m := PANEL.match(job.control):
        return None if f'data-testid="panel-{m.group(1)}"' in page else f"no panel {m.group(1)}"
    m = TEXT.match(job.control)
    assert m
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return None if m.group(1) in text else f"the page does not say {m.group(1)!r}"


@pytest.mark.usefixtures("demo_db")
@pytest.mark.parametrize("username", LOGINS)
def test_each_job_has_its_page_for_the_named_user(client: TestClient, username: str) -> None:
    log_in(client, username)
    failures = []
    for job in (j for j in JOBS if j.login == username):
        r = client.get(job.page, follow_redirects=False)
        if r.status_code != 200:
            failures.append(f"{job}: answered {r.status_code}")
        elif why := missing(job, r.text):
            failures.append(f"{job}: {why}")
    assert not failures, "\n".join(failures)


# Every page any navigation may offer, and the pages behind the jobs above.
SECTIONS = sorted({e.href for e in NAV} | {"/leahy", "/lors", "/admin/organizations", "/admin/tokens"})


@pytest.mark.usefixtures("demo_db")
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_the_navigation_offers_no_refused_page(client: TestClient, username: str) -> None:
    log_in(client, username)
    offered = {href for _, href, _ in nav_links(client.get("/").text)}
    refused = {
        href for href in SECTIONS if client.get(href, follow_redirects=False).status_code in (403, 404)
    }
    assert refused, f"{username} may open every page: the check would prove nothing"
    assert not offered & refused, f"{username}'s navigation offers refused pages {sorted(offered & refused)}"
    for href in offered:
        assert client.get(href, follow_redirects=False).status_code == 200, f"{username}: {href}"


@pytest.mark.usefixtures("demo_db")
def test_the_gaps_listed_are_real(client: TestClient) -> None:
    """The list "Not on the web yet" stays true: when a page closes a gap, this fails and
    the document moves the job into its stakeholder's table."""
    log_in(client, "nds.contracts")
    lines = re.findall(r'data-testid="line-([A-Z0-9]+-[A-Z]-[A-Z]{3})-(\d+)"', client.get("/").text)
    assert lines, "the demo contractor supplies no line"
    for ident, number in lines:  # by policy, not a gap: its lines are at /supplier/lines
        assert client.get(f"/cases/{ident}/lines/{number}").status_code == 404
    client.cookies.clear()
    log_in(client, "ig.auditor")
    # No page signs a checkpoint: neither the home page nor the audit pages post to one.
    for path in ("/", "/audit/entries/1"):
        assert not [a for a, _ in _forms(client.get(path).text) if "checkpoint" in a], path
