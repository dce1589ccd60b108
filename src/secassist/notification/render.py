"""Write the Federal Register "Arms Sales Notification" transmittal for a case, as text and PDF.

The layout follows domain.md §11 (published under §155 of P.L. 104-164 [S44][S115]): the
wrapper, the cover letter to the Speaker, the transmittal with items (i) prospective
purchaser to (viii) date report delivered to Congress, the MDE / Other / Total table with
the Section 47(6) footnote, the policy justification and the sensitivity-of-technology
annex. Labels (iv)-(viii) are "as commonly cited" (UNCONFIRMED verbatim, domain.md §11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

# Debian's fonts-dejavu-core (a bootstrap package): monospaced, so the value table lines up.
DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")


@dataclass(frozen=True)
class NoticeContent:
    """Everything the transmittal states; built from a case and its notification."""

    transmittal: str
    purchaser: str
    mde: Decimal
    other: Decimal
    dated: date  # the date the report is delivered to Congress
    implementing_agency: str | None  # "Department of the Army", "Defense Logistics Agency", ...
    section: str = "36(b)(1)"
    mde_items: tuple[str, ...] = ()
    non_mde_items: tuple[str, ...] = ()
    prior_cases: tuple[str, ...] = ()
    sales_commission: str = "None known at this time"
    policy_justification: str = ""
    sensitivity: str = ""
    funding_source: str | None = None
    case_identifier: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.mde + self.other


def millions(amount: Decimal) -> str:
    """``$ 665.4 million``: exact, so the parser reads back the same whole dollars."""
    value = (Decimal(amount) / Decimal(1_000_000)).normalize()
    text = f"{value:f}"
    return f"$ {text} million"


def long_date(d: date) -> str:
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def agency_display(name: str | None) -> str | None:
    """``Department of the Army`` → ``Army`` (as the notices print it)."""
    if not name:
        return None
    prefix = "Department of the "
    return name[len(prefix) :] if name.startswith(prefix) else name


_TAKES_THE = (
    "Government",
    "Kingdom",
    "Republic",
    "State",
    "Sultanate",
    "Hashemite",
    "Federal",
    "Commonwealth",
    "Principality",
    "Grand",
    "Islamic",
    "United",
    "Taipei",
    "North",
    "Netherlands",
    "Philippines",
    "NATO",
)


def _with_article(purchaser: str) -> str:
    return f"the {purchaser}" if purchaser.split(" ", 1)[0] in _TAKES_THE else purchaser


def _whose(agency: str | None) -> str:
    shown = agency_display(agency)
    return f"the {shown}'s" if shown else "the"


def _table(c: NoticeContent) -> list[str]:
    width = 50
    rows = [("Major Defense Equipment*", c.mde), ("Other", c.other)]
    lines = [f"{label:.<{width}} {millions(v):>22}" for label, v in rows]
    lines.append(" " * (width + 1) + "-" * 22)
    lines.append(f"{'    Total':.<{width}} {millions(c.total):>22}")
    return lines


def render_text(c: NoticeContent) -> str:
    """The notice as plain text, in the Federal Register layout."""
    sec = c.section
    mde_items = list(c.mde_items) or ["None"]
    non_mde = list(c.non_mde_items) or ["None"]
    cost = millions(c.total)
    out = [
        "DEPARTMENT OF DEFENSE",
        "Office of the Secretary",
        f"[Transmittal No. {c.transmittal}]",
        "",
        "Arms Sales Notification",
        "",
        "AGENCY: Defense Security Cooperation Agency, Department of Defense.",
        "ACTION: Arms sales notice.",
        "SUMMARY: The Department of Defense is publishing the unclassified text of an arms sales",
        "notification.",
        f"SUPPLEMENTARY INFORMATION: This {sec} arms sales notification is published to fulfill the",
        "requirements of section 155 of Public Law 104-164 dated July 21, 1996. The following is a copy",
        f"of a letter to the Speaker of the House of Representatives, Transmittal {c.transmittal} with",
        "attached Policy Justification.",
        "",
        f"    Dated: {long_date(c.dated)}.",
        "",
        "Hon. Speaker of the House of Representatives, Washington, DC.",
        f"  Dear Mr. Speaker: Pursuant to the reporting requirements of Section {sec} of the Arms",
        f"Export Control Act, as amended, we are forwarding herewith Transmittal No. {c.transmittal},",
        f"concerning {_whose(c.implementing_agency)} proposed Letter(s) of Offer and",
        f"Acceptance to {_with_article(c.purchaser)} for defense articles and services estimated to",
        f"cost {cost}.",
        "",
        f"Transmittal No. {c.transmittal}",
        f"Notice of Proposed Issuance of Letter of Offer Pursuant to Section {sec} of the Arms",
        "Export Control Act, as amended",
        f"    (i) Prospective Purchaser: {c.purchaser}",
        "    (ii) Total Estimated Value:",
        *_table(c),
        "    * As defined in Section 47(6) of the Arms Export Control Act.",
    ]
    if c.funding_source:
        out.append(f"    Funding Source: {c.funding_source}")
    out += [
        "    (iii) Description and Quantity or Quantities of Articles or Services under Consideration",
        "for Purchase:",
        "    Major Defense Equipment (MDE):",
        *(f"    {item}" for item in mde_items),
        "    Non-MDE:",
        *(f"    {item}" for item in non_mde),
        f"    (iv) Military Department: {agency_display(c.implementing_agency) or '—'}"
        + (f" ({c.case_identifier})" if c.case_identifier else ""),
        f"    (v) Prior Related Cases, if any: {', '.join(c.prior_cases) or 'None'}",
        f"    (vi) Sales Commission, Fee, etc., Paid, Offered, or Agreed to be Paid: {c.sales_commission}",
        "    (vii) Sensitivity of Technology Contained in the Defense Article or Defense Services",
        "Proposed to be Sold: See Attached Annex",
        f"    (viii) Date Report Delivered to Congress: {long_date(c.dated)}",
        "",
        "POLICY JUSTIFICATION",
        "",
        c.policy_justification or "(none recorded)",
        "",
        f"Transmittal No. {c.transmittal}",
        "Notice of Proposed Issuance of Letter of Offer Pursuant to Section",
        f"{sec} of the Arms Export Control Act",
        "Annex",
        "Item No. vii",
        "(vii) Sensitivity of Technology:",
        c.sensitivity or "(none recorded)",
        "",
    ]
    return "\n".join(out)


def render_pdf(c: NoticeContent) -> bytes:
    """The notice as a PDF (fpdf2; DejaVu Sans Mono when installed, else the core Courier)."""
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(f"Transmittal No. {c.transmittal}")
    pdf.set_author("secassist")
    pdf.add_page()
    unicode_font = DEJAVU_MONO.exists()
    if unicode_font:
        pdf.add_font("DejaVuMono", "", str(DEJAVU_MONO))
        pdf.set_font("DejaVuMono", size=8)
    else:  # pragma: no cover - the Debian font is a bootstrap package
        pdf.set_font("Courier", size=8.5)
    for line in render_text(c).split("\n"):
        text = line if unicode_font else line.encode("latin-1", "replace").decode("latin-1")
        if text.strip():
            pdf.multi_cell(0, 4.2, text, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(3)
    return bytes(pdf.output())
