"""Reading a list file safely: bytes, hash, strict decoding and CSV rows with line numbers.

Every refusal is a :class:`ValidationFailedError` naming the file (``field``) and the
line, so an operator can find the damage in a truncated or corrupted download.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from rigour.territories import lookup_territory

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening.entities import Identifier, SourceFile

DOS_EOF = b"\x1a"


def refuse(path: Path, line: int | None, message: str) -> ValidationFailedError:
    """The error for a damaged list file: names the file and the line."""
    where = f"{path.name}, line {line}" if line is not None else path.name
    return ValidationFailedError(f"{where}: {message}", field=str(path), line=line)


def read_text(path: Path) -> tuple[str, SourceFile]:
    """The file's text (strict UTF-8, BOM and a trailing DOS EOF byte removed) and its hash."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailedError(f"{path}: cannot read ({exc.strerror})", field=str(path)) from None
    digest = hashlib.sha256(data).hexdigest()
    body = data.rstrip(DOS_EOF) if data.endswith(DOS_EOF) else data
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise refuse(path, line, f"not valid UTF-8 ({exc.reason})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise refuse(path, line, "contains a NUL byte (a damaged or binary file)")
    rows = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return text, SourceFile(name=path.name, sha256=digest, size=len(data), rows=rows)


def csv_rows(
    path: Path, text: str, *, columns: int | tuple[int, ...], delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, row)`` for each non-empty row, refusing a row of the wrong width or
    an unterminated quoted field (the usual sign of a truncated file)."""
    widths = (columns,) if isinstance(columns, int) else columns
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise refuse(path, start, f"malformed CSV ({exc})") from None
        line = start
        start = reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) not in widths:
            want = " or ".join(str(w) for w in widths)
            raise refuse(path, line, f"{len(row)} columns where {want} were expected (truncated?)")
        yield line, row


NULL = "-0-"


def clean(value: str) -> str:
    """A field's value without padding, OFAC's ``-0-`` null as empty."""
    v = value.strip()
    return "" if v == NULL else v


_SPACES = re.compile(r"\s+")


def squash(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def norm_id(value: str) -> str:
    """An identifier's comparable form: letters and digits only, upper case."""
    v = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return v[3:] if v.startswith("IMO") and v[3:].isdigit() else v


def identifier(kind: str, value: str) -> Identifier | None:
    v = squash(value)
    return Identifier(kind=squash(kind), value=v) if len(norm_id(v)) >= 4 else None


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 (lower case) of a country name or code as lists write it
    (``Russia``, ``Korea, North``, ``IR``), by ``rigour``'s territory database; None when
    it names no country (``undetermined``, a region)."""
    v = squash(value).strip(" .,")
    if not v:
        return None
    t = lookup_territory(v)
    code = t.code if t is not None else None
    return code[:2] if code and (len(code) == 2 or code[2] == "-") else None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAY_MON_YEAR = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_MON_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def birth_dates(value: str) -> list[str]:
    """A written birth date as ISO prefixes (``1970-01-31``, ``1970-01``, ``1970``):
    ``01 Jan 1970``, ``Jan 1970``, ``1970-01-31``, ``01/31/1970``; ``circa 1960`` and
    ``1960 to 1962`` give their years. Unreadable text gives nothing."""
    v = squash(value).strip(" .;")
    v = re.sub(r"^(?:circa|c\.|approximately|about)\s+", "", v, flags=re.IGNORECASE)
    years = _YEAR.findall(v)
    if len(years) == 2 and "to" in v.lower() and int(years[1]) - int(years[0]) <= 10:
        return [str(y) for y in range(int(years[0]), int(years[1]) + 1)]
    if m := _DAY_MON_YEAR.match(v):
        mon = _MONTHS.get(m.group(2).lower())
        if mon:
            try:
                return [date(int(m.group(3)), mon, int(m.group(1))).isoformat()]
            except ValueError:
                return [m.group(3)]
    if (m := _MON_YEAR.match(v)) and (mon := _MONTHS.get(m.group(1).lower())):
        return [f"{m.group(2)}-{mon:02d}"]
    if m := _US.match(v):
        try:
            return [date(int(m.group(3)), int(m.group(1)), int(m.group(2))).isoformat()]
        except ValueError:
            return [m.group(3)]
    if (m := _ISO.match(v)) and (len(v) == m.end() or not v[m.end()].isdigit()):
        return [m.group(0)]
    return years[:4]
