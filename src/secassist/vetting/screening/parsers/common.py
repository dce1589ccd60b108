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
from pathlib import Path

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
