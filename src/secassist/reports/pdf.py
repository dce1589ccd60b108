"""PDF documents: a case summary (the notice PDF is the notification domain's own,
:func:`secassist.notification.render.render_pdf`).

Rendered with fpdf2 (pure Python, pinned in pyproject.toml) in DejaVu Sans from Debian's
``fonts-dejavu-core`` (scripts/bootstrap installs it), which covers the names and the
section signs (§) the notices use; where that font is missing, fpdf2's core Helvetica
is used and text outside Latin-1 is replaced. Every read is the domains' scoped query
with the caller's principal (a case or notice the caller may not see is a 404).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from secassist.cases import queries as case_queries
from secassist.cases.lifecycle import LABELS, Status
from secassist.identity.policy import Principal
from secassist.reports.lists import country_name

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


class _Doc(FPDF):
    def __init__(self, title: str, generated_on: date) -> None:
        super().__init__(format="Letter")
        self.doc_title = title
        self.generated_on = generated_on
        self.set_title(title)
        self.set_creator("secassist")
        # The day, not the wall clock: the same data on the same day give the same bytes.
        self.set_creation_date(datetime.combine(generated_on, time(0), tzinfo=UTC))
        if (FONT_DIR / "DejaVuSans.ttf").exists():
            self.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.add_font("mono", "", str(FONT_DIR / "DejaVuSansMono.ttf"))
            self.has_unicode = True
        else:
            self.has_unicode = False
        self.set_auto_page_break(auto=True, margin=18)
        self.add_page()

    def _font(self, mono: bool = False, bold: bool = False, size: float = 10) -> None:
        if self.has_unicode:
            self.set_font("mono" if mono else "body", "B" if bold and not mono else "", size)
        else:
            self.set_font("Courier" if mono else "Helvetica", "B" if bold else "", size)

    def text_of(self, s: str) -> str:
        return s if self.has_unicode else s.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-14)
        self._font(size=8)
        self.cell(0, 8, self.text_of(f"{self.doc_title} · generated {self.generated_on.isoformat()} · "
                                     f"page {self.page_no()}"), align="C")  # fmt: skip

    def heading(self, text: str, size: float = 15) -> None:
        self._font(bold=True, size=size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def pairs(self, rows: Sequence[tuple[str, str]]) -> None:
        for label, value in rows:
            self._font(bold=True)
            self.cell(48, 6, self.text_of(label))
            self._font()
            self.multi_cell(0, 6, self.text_of(value or "—"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        self._font(bold=True, size=9)
        for h, w in zip(header, widths, strict=True):
            self.cell(w, 6, self.text_of(h), border="B")
        self.ln()
        self._font(size=9)
        for row in rows:
            for cell, w in zip(row, widths, strict=True):
                self.cell(w, 6, self.text_of(cell[: int(w / 1.9)]))
            self.ln()
        self.ln(3)

    def preformatted(self, text: str) -> None:
        self._font(mono=True, size=8.5)
        self.multi_cell(0, 4.2, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _usd(value: object) -> str:
    return f"${value:,.2f}"


def case_summary_pdf(session: Session, *, actor: Principal | None, ref: str, today: date) -> bytes:
    """One case on paper: purchaser, status, values, the lines the actor may see, and the
    timeline of its events."""
    d = case_queries.case_detail(session, actor=actor, ref=ref)
    c = d.case
    doc = _Doc(f"FMS case {c.identifier}", today)
    doc.heading(f"FMS case {c.identifier} — {c.title}")
    doc.pairs([
        ("Purchaser", f"{country_name(c.purchaser_code)} ({c.purchaser_code})"),
        ("Status", LABELS[Status(c.status)]),
        ("Implementing agency", c.implementing_agency),
        ("Financing", c.financing),
        ("Offered on", c.offered_on.isoformat() if c.offered_on else ""),
        ("Accepted on", c.accepted_on.isoformat() if c.accepted_on else ""),
        ("MDE value", _usd(d.mde_value)),
        ("Total value", _usd(d.total_value)),
    ])  # fmt: skip
    doc.heading("Lines", 12)
    doc.grid(
        ["Line", "Description", "USML", "Qty", "Value"],
        [
            [ln.number, ln.description, ln.usml_category or "", str(ln.quantity), _usd(ln.value)]
            for ln in d.lines
        ],
        [14, 98, 16, 18, 40],
    )
    doc.heading("Timeline", 12)
    doc.grid(
        ["Date", "Event", "Detail"],
        [
            [e.occurred_on.isoformat(), (e.to_status or e.kind).replace("_", " "), e.detail or ""]
            for e in d.events
        ],
        [26, 50, 110],
    )
    return doc.bytes()
