"""Read published arms-sale notices: Federal Register notices, Congressional Record prints
of the cover letters, DSCA and State press releases, 1997 to today.

A pure function of the text. The layout of the Federal Register transmittal is in
domain.md §11; what varies in the real texts (dot leaders, label blocks, OCR damage, mirror
artefacts, letter-prefixed numbers, …) is listed in ``shared/data/notices/README.md``. The
texts are often cut short: whatever a text does not state comes back as ``None``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from secassist.notification.names import country_code

FIELDS = (
    "transmittal",
    "aeca_section",
    "purchaser",
    "purchaser_country",
    "mde_usd",
    "other_usd",
    "total_usd",
    "implementing_agency",
    "date",
)


@dataclass(frozen=True)
class ParsedNotice:
    """What one notice text states (``None`` for what it does not)."""

    transmittal: str | None
    aeca_section: str | None
    purchaser: str | None
    purchaser_country: str | None
    mde_usd: int | None
    other_usd: int | None
    total_usd: int | None
    implementing_agency: str | None
    date: str | None  # ISO YYYY-MM-DD

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _lower(text: str) -> str:
    """Lower case with the same length (so positions carry over to the original text)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_LOWER)


def _positions(low: str, needles: tuple[str, ...]) -> list[int]:
    """Where any of the (lower-case) needles occurs, in order. A literal search first and
    an anchored regex match at each hit is far faster than a case-insensitive scan."""
    out: list[int] = []
    for needle in needles:
        pos = low.find(needle)
        while pos != -1:
            out.append(pos)
            pos = low.find(needle, pos + 1)
    return sorted(set(out))


def _matches(pattern: re.Pattern[str], text: str, low: str, *needles: str) -> Iterator[re.Match[str]]:
    for pos in _positions(low, needles):
        m = pattern.match(text, pos)
        if m is not None:
            yield m


def _first(pattern: re.Pattern[str], text: str, low: str, *needles: str) -> re.Match[str] | None:
    return next(_matches(pattern, text, low, *needles), None)


# --- cleaning ----------------------------------------------------------------------

# (needle in the lower-cased text, what to remove): mirror and print artefacts.
_ARTEFACTS = (
    ("[[page", re.compile(r"\[\[Page [^\]]*\]\]", re.IGNORECASE)),  # [[Page S3851]] mid-sentence
    ("[page", re.compile(r"\[Pages? [^\]]*\]", re.IGNORECASE)),  # [Page S5188]
    ("[graphic]", re.compile(r"\[GRAPHIC\]\s*\[TIFF OMITTED\]\s*\S*", re.IGNORECASE)),
    ("billing code", re.compile(r"BILLING CODE [0-9A-Z-]+", re.IGNORECASE)),
    ("protected]", re.compile(r"\[email\s*(?:&#160;)?protected\]", re.IGNORECASE)),
    ("register graphic", re.compile(r"\[Federal Register graphic [^\]]*\]", re.IGNORECASE)),
)
_HYPHENATED = re.compile(r"\b(mil|bil)-\s+(lion)\b", re.IGNORECASE)


def _clean(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    low = _lower(text)
    for needle, pattern in _ARTEFACTS:
        if needle in low:
            text = pattern.sub(" ", text)
    if "il-" in low:
        text = _HYPHENATED.sub(r"\1\2", text)
    return " ".join(text.split())


# --- amounts -----------------------------------------------------------------------

# A number as printed, with OCR damage: "$l.5" (lower-case L for 1), "O" for zero.
_NUM = r"(?:\d|[lI](?=[\d.,])|\.(?=\d))[\dlIO]*(?:,\s?\d{3})*(?:\.[\dlIO]+)?"
_UNIT = r"(?:(?i:million|billion|thousand|mil\.)|M\b|B\b)"
# Each pattern starts with a literal or a digit, so the scan for it is fast.
_DOLLAR = re.compile(rf"\$\s*(?P<n>{_NUM})(?:\s*(?P<u>{_UNIT}))?")  # "$ 665.4 million", "$l.5 billion"
_FIGURE = re.compile(r"\d+(?:,\s?\d{3})*(?:\.\d+)?")  # "52" in "Other 52 million" (or bare, in a table)
_UNIT_AFTER = re.compile(r"\s*(?P<u>(?i:million|billion))\b")
_MULT = {"million": 10**6, "mil.": 10**6, "m": 10**6, "billion": 10**9, "b": 10**9, "thousand": 10**3}


@dataclass(frozen=True)
class _Amount:
    number: Decimal
    unit: str | None
    start: int
    end: int

    def dollars(self, default_unit: str | None) -> int | None:
        unit = self.unit or default_unit
        if unit is None and self.number < 100_000:
            unit = "million"  # a bare small figure in a notice is in millions
        value = self.number * _MULT[unit.lower()] if unit else self.number
        return int(value.to_integral_value())


def _number(raw: str) -> Decimal | None:
    digits = raw.replace("l", "1").replace("I", "1").replace("O", "0").replace(",", "").replace(" ", "")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _amounts(text: str, *, bare: bool = False) -> list[_Amount]:
    """Amounts in order: "$…" with or without a unit, "N million", and (``bare``, inside
    the value table) a figure standing alone ("Other 52")."""
    out: list[_Amount] = []
    spans: list[tuple[int, int]] = []
    for m in _DOLLAR.finditer(text):
        number = _number(m.group("n"))
        if number is not None:
            unit = m.group("u")
            out.append(_Amount(number, unit.lower() if unit else None, m.start(), m.end()))
            spans.append((m.start(), m.end()))
    for m in _FIGURE.finditer(text):
        start, end = m.start(), m.end()
        if any(a <= start < b for a, b in spans):
            continue
        unit = _UNIT_AFTER.match(text, end)
        before = text[start - 1] if start else " "
        if unit is not None and not (before.isalnum() or before == "."):
            number = _number(m.group(0))
            if number is not None:
                out.append(_Amount(number, unit.group("u").lower(), start, unit.end()))
        elif bare:
            after = text[end : end + 1] or " "
            if not (before.isalnum() or before in "(.,$-_" or after.isalnum() or after in ")(,-_"):
                number = _number(m.group(0))
                if number is not None:
                    out.append(_Amount(number, None, start, end))
    out.sort(key=lambda a: a.start)
    return out


# --- the value table ---------------------------------------------------------------

_TABLE_START = re.compile(r"Total\s+Estimated\s+(?:Value|Cost)\s*:?", re.IGNORECASE)
_TABLE_ENDS = ("iii)", "description and quantity", "(iv)", "military department")
_FOOTNOTES = (
    ("as defined", re.compile(r"As\s+defined\s+in\s+Section\s+47\(6\)[^.$]*\.?", re.IGNORECASE)),
    ("funding source", re.compile(r"Funding\s+Source\s*:\s*(?:[A-Z][\w-]*\s*){1,4}\.?", re.IGNORECASE)),
)
# Matched on the lower-cased table text.
_LABEL = re.compile(
    r"\b(?:(?P<mde>major\s+defen[cs]e\s+equipment|mde)|(?P<other>non-mde|other|sustainment)|(?P<total>total))\b"
)


def _table(text: str, low: str) -> tuple[bool, int | None, int | None, int | None]:
    """(found, mde, other, total) from the (ii) Total Estimated Value table."""
    start = _first(_TABLE_START, text, low, "total estimated")
    if start is None:
        return False, None, None, None
    body = text[start.end() : start.end() + 700]
    body_low = _lower(body)
    ends = [i for i in (body_low.find(x) for x in _TABLE_ENDS) if i >= 0]
    if ends:
        body = body[: min(ends)]
    body_low = _lower(body)
    for needle, pattern in _FOOTNOTES:
        if needle in body_low:
            body = pattern.sub(lambda m: " " * len(m.group(0)), body)  # keep the positions
    body_low = _lower(body)
    amounts = _amounts(body, bare=True)
    labels: list[tuple[str, int]] = []
    last_end = -1
    for m in _matches(_LABEL, body_low, body_low, "major", "mde", "other", "sustainment", "total", "non-mde"):
        if m.start() < last_end:
            continue  # "mde" inside "non-mde"
        last_end = m.end()
        kind = m.lastgroup or ""
        # "Major Defense Equipment (MDE)*": one row named twice, no amount in between.
        if labels and labels[-1][0] == kind and not any(labels[-1][1] < a.start < m.start() for a in amounts):
            continue
        labels.append((kind, m.start()))
    if not labels or not amounts:
        return bool(labels), None, None, None
    units = {a.unit for a in amounts if a.unit}
    default = "million" if "million" in units else (units.pop() if len(units) == 1 else None)
    values: dict[str, int] = {}
    for (kind, _), amount in zip(labels, amounts, strict=False):
        dollars = amount.dollars(default)
        if dollars is None:
            continue
        values[kind] = values.get(kind, 0) + dollars if kind == "other" else values.get(kind, dollars)
    return True, values.get("mde"), values.get("other"), values.get("total")


_COST = re.compile(
    r"(?:estimated\s+(?:total\s+)?(?:program\s+|case\s+)?(?:to\s+)?(?:cost|value)"
    r"|total\s+estimated\s+(?:cost|value)|valued\s+at)"
    r"(?:\s+(?:is|of|was|at|will\s+be))?\s*(?:approximately\s+|about\s+|up\s+to\s+|an\s+estimated\s+)?"
    rf"(?=\$|{_NUM}\s*(?i:million|billion))",
    re.IGNORECASE,
)


def _stated_total(text: str, low: str) -> int | None:
    for m in _matches(_COST, text, low, "estimated", "total estimated", "valued at"):
        found = _amounts(text[m.end() : m.end() + 40])
        if found and found[0].start == 0:
            return found[0].dollars(None)
    return None


# --- transmittal number and section ------------------------------------------------

_NUMBER = r"[0-9][0-9A-Z]-[0-9][0-9A-Z]"
_TRANSMITTAL = re.compile(
    rf"\bTransmittal(?:s|\s+N[oO0]s?\.?|\s+numbers?)?\s*[:.]?\s*"
    rf"(?P<num>{_NUMBER})(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_RSAT = re.compile(rf"Notification\s+Number\s*:?\s*RSAT\s*(?P<num>{_NUMBER})(?![0-9A-Za-z])", re.IGNORECASE)
_SECTION = re.compile(
    r"(?P<base>36|3)\s*\(\s*(?P<sub>[a-d])\s*\)(?P<rest>(?:\s*\(\s*(?:\d{1,2}|[lI]|[A-Z])\s*\))*)"
)
_PARENT = re.compile(r"\s*,?\s*(?:of\s+the\s+)?AECA\s+(?:certification|Transmittal)", re.IGNORECASE)
_PREAMBLE = re.compile(r"\s*of\s+the\s+Arms\s+Export\s+Control\s+Act\s+requires", re.IGNORECASE)


def _transmittal(text: str, low: str) -> str | None:
    for m in _matches(_TRANSMITTAL, text, low, "transmittal"):
        before = low[max(0, m.start() - 16) : m.start()]
        if before.endswith(("aeca ", "certification ")):
            continue  # the parent sale's number cited by a 36(b)(5) report
        return m.group("num").upper()
    rsat = _first(_RSAT, text, low, "notification number")
    return rsat.group("num").upper() if rsat else None


def _section(text: str, low: str) -> str | None:
    bare: str | None = None
    for m in _matches(_SECTION, text, low, "36(", "36 (", "3(d", "3 (d"):
        if m.start() > 0 and (text[m.start() - 1].isdigit() or text[m.start() - 1] == "("):
            continue
        if _PARENT.match(text, m.end()) or text[max(0, m.start() - 14) : m.start()].lower().endswith(
            "certification "
        ):
            continue
        subs = re.findall(r"\(\s*([^)\s]+)\s*\)", m.group("rest"))
        if m.group("base") == "3" and m.group("sub") != "d":
            continue
        if subs:
            subs[0] = "1" if subs[0] in ("l", "I") else subs[0]
            return f"{m.group('base')}({m.group('sub')})" + "".join(f"({s})" for s in subs)
        if bare is None and not _PREAMBLE.match(text, m.end()):
            bare = f"{m.group('base')}({m.group('sub')})"
    return bare


# --- purchaser ---------------------------------------------------------------------

_ITEM_I = re.compile(r"Purchaser\s*:\s*", re.IGNORECASE)  # "(i) Prospective Purchaser:", "(i) Purchaser:"
_ITEM_I_END = re.compile(
    r"\s*(?:\(ii\)|\bii\)|\(2\)|Total\s+Estimated\s+Value|Sec\.\s*36|\bpursuant\s+to\b)", re.IGNORECASE
)
_LOA_TO = re.compile(
    r"Letters?\s*(?:\(s\))?\s+of\s+Offer\s+and\s+Acceptance(?:\s*\(LOAs?\))?\s+to\s+(?:the\s+)?",
    re.IGNORECASE,
)
_SALE_TO = re.compile(
    r"(?:Foreign\s+Military\s+Sales?(?:\s*\(FMS\))?|\bFMS\b|Direct\s+Commercial\s+Sales?(?:\s*\(DCS\))?"
    r"|possible\s+sale)\s+to\s+(?:the\s+)?",
    re.IGNORECASE,
)
_REQUESTED = re.compile(
    r"\b(?:The\s+)?((?:Government|Kingdom|Republic)\s+of\s+(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,4})"
    r"\s+has\s+requested"
)
_CUT = re.compile(r"\s+(?:for|of|to|in\s+order|with|through)\s+|\s*[,;]\s*|\.\s|\.$|$", re.IGNORECASE)


def _trim(name: str) -> str:
    return name.strip().strip(".,;:- ").strip()


def _name_after(text: str, at: int, *, stop_for: bool) -> str | None:
    window = text[at : at + 200]
    if stop_for:
        m = re.search(r"\s+for\s+", window)
        if m is not None:
            return _trim(window[: m.start()]) or None
    # The shortest prefix that names a country ("Government of Chile" in "… of radars").
    for cut in _CUT.finditer(window):
        candidate = _trim(window[: cut.start()])
        if candidate and country_code(candidate):
            return candidate
    return None


def _purchaser(text: str, low: str) -> str | None:
    m = _first(_ITEM_I, text, low, "purchaser")
    if m is not None:
        rest = text[m.end() : m.end() + 300]
        end = _ITEM_I_END.search(rest)
        name = _trim(rest[: end.start()] if end else rest)
        if name:
            return name
    loa = _first(_LOA_TO, text, low, "letter")
    if loa is not None:
        after = _name_after(text, loa.end(), stop_for=True)
        if after:
            return after
    for sale in _matches(
        _SALE_TO, text, low, "foreign military sale", "fms", "direct commercial sale", "possible sale"
    ):
        after = _name_after(text, sale.end(), stop_for=False)
        if after:
            return after
    for pos in _positions(low, (" has requested",)):
        requested = _REQUESTED.search(text, max(0, pos - 150), pos + 15)
        if requested is not None:
            return _trim(requested.group(1))
    return None


# --- implementing agency -----------------------------------------------------------

_AGENCY_LABEL = re.compile(r"(?:Implementing\s+Agency|Military\s+Department)\s*:\s*", re.IGNORECASE)
_AGENCY_VALUE = re.compile(r"[A-Za-z][A-Za-z&'.-]*(?:\s+(?:of\s+the\s+|of\s+)?[A-Z][A-Za-z&'.-]*)*")
_CONCERNING = re.compile(
    r"concerning\s+the\s+((?:Department\s+of\s+the\s+)?[A-Z][A-Za-z.&-]*(?:\s+(?:of\s+)?[A-Z][A-Za-z.&-]*){0,5})"
    r"'s?\s+proposed",
)
_AGENCY_STOP = re.compile(r"\s+(?:Prior|Sales|Funding|Date|Sensitivity|Description)\b.*$")


def _normalise_agency(name: str) -> str | None:
    name = _AGENCY_STOP.sub("", name)
    name = re.sub(r"^(?:the\s+)?(?:U\.\s?S\.\s+|United\s+States\s+)?(?:Department\s+of\s+the\s+)?", "", name)
    name = _trim(name)
    return name or None


def _agency(text: str, low: str) -> str | None:
    for m in _matches(_AGENCY_LABEL, text, low, "implementing agency", "military department"):
        v = _AGENCY_VALUE.match(text, m.end())
        if v is not None:
            name = _normalise_agency(v.group(0))
            if name:
                return name
    concerning = _first(_CONCERNING, text, low, "concerning the")
    return _normalise_agency(concerning.group(1)) if concerning else None


# --- dates -------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"  # noqa: E501
_DATE = (
    rf"(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}}),?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH})\.?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))"
)
# In order of preference: (where, needles in the lower-cased text, pattern matched at each).
# "clean" reads the cleaned text; "line" the raw text, at the start of a line only;
# "issue" the cleaned text just before the needle.
_DATE_RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("clean", ("dated:",), re.compile(rf"Dated:\s*{_DATE}", re.IGNORECASE)),  # Federal Register
    ("line", ("date:",), re.compile(rf"Date:\s*{_DATE}", re.IGNORECASE)),  # Record re-hosts
    (
        "clean",
        ("congressional record", "federal register"),
        re.compile(
            rf"(?:Congressional\s+Record|Federal\s+Register),?\s+Volume\s+\d+,?\s+(?:Number|Issue)\s+\d+\s*"
            rf"\((?:[A-Z][a-z]+day,\s+)?{_DATE}\)",
            re.IGNORECASE,
        ),
    ),
    (  # the older GPO header: "[Congressional Record: July 17, 2009 (Senate)]"
        "clean",
        ("congressional record:", "federal register:"),
        re.compile(rf"(?:Congressional\s+Record|Federal\s+Register):\s*{_DATE}", re.IGNORECASE),
    ),
    (
        "clean",
        ("(senate", "(house", "(extensions"),
        re.compile(
            rf"\((?:Senate|House(?:\s+of\s+Representatives)?|Extensions\s+of\s+Remarks)\s*-\s*{_DATE}\)"
        ),
    ),
    (
        "line",
        ("washington",),
        re.compile(rf"WASHINGTON(?:\s*,?\s*D\.\s?C\.)?\s*[,\-–—]+\s*{_DATE}", re.IGNORECASE),
    ),
    ("clean", ("issued",), re.compile(rf"issued\s+(?:on\s+)?{_DATE}", re.IGNORECASE)),
    ("line", ("date ",), re.compile(rf"date\s+{_DATE}", re.IGNORECASE)),
)
_DATE_LINE = re.compile(rf"{_DATE}\.?")  # a letter's date on a line of its own


def _to_date(m: re.Match[str]) -> str | None:
    try:
        if m.group("y3"):
            return date(int(m.group("y3")), int(m.group("m3")), int(m.group("d3"))).isoformat()
        if m.group("y1"):
            y, mon, d = m.group("y1"), m.group("m1"), m.group("d1")
        else:
            y, mon, d = m.group("y2"), m.group("m2"), m.group("d2")
        return date(int(y), _MONTHS[mon.lower().rstrip(".")], int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def _at_line_start(raw: str, pos: int) -> bool:
    start = raw.rfind("\n", 0, pos) + 1
    return not raw[start:pos].strip(" \t")


def _date(raw: str, clean: str, low: str) -> str | None:
    raw_low = _lower(raw)
    for where, needles, pattern in _DATE_RULES:
        if where == "issue":  # the date comes before the needle: search a window
            for pos in _positions(low, needles):
                m = pattern.search(clean, max(0, pos - 30), pos + 9)
                if m is not None and (found := _to_date(m)):
                    return found
            continue
        text, lowered = (raw, raw_low) if where == "line" else (clean, low)
        for m in _matches(pattern, text, lowered, *needles):
            if where == "line" and not _at_line_start(raw, m.start()):
                continue
            found = _to_date(m)
            if found:
                return found
    for line in raw.split("\n"):
        line = line.strip()
        if 8 <= len(line) <= 22 and (line[-1:].isdigit() or line.endswith(".")):
            m = _DATE_LINE.fullmatch(line)
            if m is not None and (found := _to_date(m)):
                return found
    return None


# --- the whole notice --------------------------------------------------------------


def parse_notice(text: str) -> ParsedNotice:
    """Everything one notice text states; ``None`` for what it does not."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    clean = _clean(raw)
    low = _lower(clean)
    _has_table, mde, other, total = _table(clean, low)
    if total is None:
        total = _stated_total(clean, low)
    purchaser = _purchaser(clean, low)
    return ParsedNotice(
        transmittal=_transmittal(clean, low),
        aeca_section=_section(clean, low),
        purchaser=purchaser,
        purchaser_country=country_code(purchaser),
        mde_usd=mde,
        other_usd=other,
        total_usd=total,
        implementing_agency=_agency(clean, low),
        date=_date(raw, clean, low),
    )
