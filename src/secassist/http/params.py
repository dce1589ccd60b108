"""Bounded parameter types shared by the API routes.

Every integer a client sends is stored in, or compared with, an integer column: row ids
are INTEGER (32-bit on PostgreSQL), the audit log's sequence numbers BIGINT. Python's
integers are unbounded, so without a bound a 20-digit id reaches the database driver and
fails there (SQLite's OverflowError, PostgreSQL's "integer out of range") as an HTTP
500. These types check the range at the edge, where the answer is a 422 naming the
parameter, and publish the bounds in the OpenAPI document so a client (or a fuzzer)
knows them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from secassist.core.types import MAX_FISCAL_YEAR, MAX_INT64, MAX_ROW_ID, MIN_FISCAL_YEAR

# A row's id in a path: ids start at 1.
Id = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The row's id.")]
# An audit log sequence number (the log starts at 0).
Seq = Annotated[int, Path(ge=0, le=MAX_INT64, description="The entry's sequence number.")]
# An id used as a filter in the query string.
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
# A page's start: how many rows to skip.
Offset = Annotated[int, Query(ge=0, le=MAX_INT64, description="Rows to skip.")]
# Keyset paging: rows with an id greater than this.
AfterId = Annotated[int | None, Query(ge=0, le=MAX_ROW_ID, description="Rows with an id greater than this.")]
FiscalYear = Annotated[int | None, Query(ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR, description="Fiscal year.")]
