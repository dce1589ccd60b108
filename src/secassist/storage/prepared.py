"""Read statements compiled once and run on the driver's cursor.

The hot reads (the bearer-token check every API request makes, the case list, one case
with its timeline) are written as SQLAlchemy Core selects like every other query, so
they stay portable and the access policy's columns stay typed. What they skip is the
per-call work that dominates a millisecond read: building the expression, its cache
key, the ORM's identity map and instance loading. :class:`Prepared` compiles the select
once per dialect, binds parameters by name, and converts each result column with the
same processor SQLAlchemy itself would apply (``Money`` back to ``Decimal``, SQLite's
date text to ``date``, UTC put back on timestamps), so a row here equals the row the
ORM would load.

The statement runs on the session's own connection, inside the transaction the session
began: a read through :class:`Prepared` sees exactly what the session sees.

Where it is used, and why there only (``bench/`` measures each against a raw-driver peer;
every other read is an ordinary session query):

* :mod:`secassist.cases.queries` — the case list and one case's detail (lines,
  amendments, events), read into :mod:`secassist.cases.records`: through the ORM these
  ran 3.7-66x the peer, here 1.5-3x (``python -m bench cases``).
* :mod:`secassist.identity.tokens` — the bearer-token principal every API request
  resolves (``python -m bench cases`` pays it in every HTTP request it times).
* :mod:`secassist.audit.service` — the tree size and the entry an inclusion proof reads,
  held to the proof latency limit of ``bench/audit.py`` (p50 <= 2 ms at 10^7 entries).

* :mod:`secassist.equipment.monitoring` — the delinquency report's listing of the
  delinquent items (~5*10^5 rows at 10^6 items; ``python -m bench equipment``).
Add a use only with a benchmark that shows the ORM path far from its peer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None
Converter = Callable[[Sequence[Any]], tuple[Any, ...]]


def _row_converter(procs: Sequence[Processor]) -> Converter:
    """One function turning a driver row into a tuple of converted values, written out
    for these columns (``lambda r: (p0(r[0]), r[1], …)``): a loop over the columns per
    row cost more than the conversions themselves."""
    if not any(procs):
        return tuple
    names = {f"p{i}": p for i, p in enumerate(procs) if p is not None}
    items = ", ".join(f"p{i}(r[{i}])" if p is not None else f"r[{i}]" for i, p in enumerate(procs))
    convert: Converter = eval(f"lambda r: ({items},)", {"__builtins__": {}, **names})  # noqa: S307 - built from column positions only
    return convert


def connection_of(session: Session) -> Connection:
    """The session's connection in its transaction, after flushing its pending changes."""
    session.flush()
    return session.connection()


@dataclass(frozen=True)
class _Bind:
    name: str  # as rendered in the SQL
    key: str  # as the caller passes it (bindparam("key")); literals carry their value
    required: bool
    default: Any
    process: Processor


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # bind names in order (positional paramstyles), else None
    binds: tuple[_Bind, ...]


class Prepared:
    """A Core ``SELECT`` compiled once per dialect; :meth:`all` runs it on the DBAPI
    cursor of a session's connection and returns tuples in the select's column order."""

    def __init__(self, stmt: Select[*tuple[Any, ...]]) -> None:
        self._stmt = stmt
        self._types = [c.type for c in stmt.selected_columns]
        self._compiled: dict[str, _Compiled] = {}
        self._converters: dict[str, Converter] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self._stmt.compile(dialect=dialect)
            binds = tuple(
                _Bind(
                    name=name,
                    key=bind.key,
                    required=bind.required,
                    default=bind.value,
                    process=bind.type.dialect_impl(dialect).bind_processor(dialect),
                )
                for bind, name in compiled.bind_names.items()
            )
            names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            found = self._compiled[dialect.name] = _Compiled(compiled.string, names, binds)
        return found

    def _converter(self, dialect: Dialect, description: Sequence[Any]) -> Converter:
        """The row converter for this statement on ``dialect``, made at the first execution
        from the driver's column type codes (a statement's columns keep their types)."""
        found = self._converters.get(dialect.name)
        if found is None:
            procs: list[Processor] = [
                t.dialect_impl(dialect).result_processor(dialect, d[1])
                for t, d in zip(self._types, description, strict=True)
            ]
            found = self._converters[dialect.name] = _row_converter(procs)
        return found

    def all(self, on: Session | Connection, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row, converted as the ORM would convert it. Given a session, its
        pending ORM changes are flushed first, as the ORM's own queries do (autoflush);
        several reads in a row can share :func:`connection_of` instead."""
        conn = connection_of(on) if isinstance(on, Session) else on
        dialect = conn.dialect
        c = self._compile(dialect)
        given = params or {}
        values: dict[str, Any] = {}
        for b in c.binds:
            if b.key in given:
                value = given[b.key]
            elif b.required:
                raise KeyError(f"prepared statement needs the parameter {b.key!r}")
            else:
                value = b.default  # a literal written into the statement
            values[b.name] = value if b.process is None else b.process(value)
        args: Any = values if c.names is None else tuple(values[n] for n in c.names)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(c.sql, args)
            rows = cursor.fetchall()
            convert = self._converter(dialect, cursor.description)
        finally:
            cursor.close()
        return list(map(convert, rows))

    def first(
        self, on: Session | Connection, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        """The first row, or None."""
        rows = self.all(on, params)
        return rows[0] if rows else None
