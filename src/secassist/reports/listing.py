"""Server-side paging, sorting and filtering of the lists the adapters show, one typed
:class:`ListSpec` per list.

A spec names the list's columns (which are also the export's columns), the sort keys it
allows, the filters it takes (with their allowed values) and its page-size cap. Its
``fetch`` reads every row the filters select through the owning domain's *scoped* query —
access scoping lives in the domains' queries, never here — and this module sorts and pages
what came back. The page a browser shows and the file an export writes are both cut from
:func:`select_rows`, so an export holds exactly the filtered set (all of its pages) and
nothing a scoped query did not return.

Query parameters: ``sort`` (a column key, ``-key`` for descending), ``page`` (from 1),
``per_page`` (up to the spec's cap) and one parameter per filter. An unknown sort key, a
value outside a filter's choices or a page that is not a positive number is refused with
:class:`ValidationFailedError` naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal, require_permission

R = TypeVar("R")

#: The parameters every list understands besides its own filters.
RESERVED = frozenset({"sort", "page", "per_page"})


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its stable key (sort parameter and export header), a human label, and
    how to read its value from a row (plain values: str, int, Decimal, date, bool, None)."""

    key: str
    label: str
    get: Callable[[R], Any]
    sortable: bool = True


@dataclass(frozen=True)
class Filter:
    """One filter parameter. ``choices`` closes the set of accepted values (None: free text
    up to ``max_length``); ``upper`` normalises codes (country, agency) before use."""

    name: str
    label: str
    choices: tuple[str, ...] | None = None
    max_length: int = 100
    upper: bool = False

    def clean(self, raw: str) -> str | None:
        value = raw.strip()
        if not value:
            return None
        if len(value) > self.max_length:
            raise ValidationFailedError(f"{self.name}: at most {self.max_length} characters", field=self.name)
        if self.upper:
            value = value.upper()
        if self.choices is not None and value not in self.choices:
            raise ValidationFailedError(
                f"{self.name}: {value!r} is not one of {', '.join(self.choices)}", field=self.name
            )
        return value


Fetch = Callable[[Session, Principal, Mapping[str, str]], Sequence[R]]


@dataclass(frozen=True)
class ListSpec(Generic[R]):
    """A list: its name (the export's file name and the /exports/<name> path), title,
    columns, filters, default sort (``-key`` for descending) and page sizes. ``fetch``
    returns every row the cleaned filters select, through the domain's scoped query;
    ``permission`` is the one the list's page requires, checked before any read."""

    name: str
    title: str
    permission: str
    columns: tuple[Column[R], ...]
    filters: tuple[Filter, ...]
    fetch: Fetch[R]
    default_sort: str
    page_size: int = 50
    max_page_size: int = 200

    def column(self, key: str) -> Column[R] | None:
        return next((c for c in self.columns if c.key == key), None)

    def sort_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.sortable)


@dataclass(frozen=True)
class ListQuery:
    """The cleaned query of one list: filters in force, sort, page, page size."""

    filters: dict[str, str]
    sort: str
    descending: bool
    page: int
    per_page: int

    def params(self, **changes: object) -> str:
        """This query as a URL query string (empty filters left out), with ``changes``
        applied — e.g. ``params(page=2)`` for the next page's link."""
        values: dict[str, object] = {
            **self.filters,
            "sort": ("-" if self.descending else "") + self.sort,
            "page": self.page,
            "per_page": self.per_page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def filter_params(self) -> str:
        """The filters and sort only: what an export link carries (an export has no page)."""
        sort = ("-" if self.descending else "") + self.sort
        return urlencode({**self.filters, "sort": sort})

    def sort_link(self, key: str) -> str:
        """The query that sorts by ``key``; ascending first, descending when already so."""
        desc = self.sort == key and not self.descending
        return self.params(sort=("-" if desc else "") + key, page=1)


def _positive(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailedError(f"{name}: {raw!r} is not a whole number", field=name) from None
    if value < 1:
        raise ValidationFailedError(f"{name}: must be 1 or more", field=name)
    return value


def parse_query(spec: ListSpec[Any], params: Mapping[str, str]) -> ListQuery:
    """Clean the raw query parameters against ``spec`` (unknown parameters are ignored, so
    a page may carry its own, e.g. ``as_of``)."""
    filters: dict[str, str] = {}
    for f in spec.filters:
        raw = params.get(f.name)
        if raw is not None and (value := f.clean(raw)) is not None:
            filters[f.name] = value
    sort = (params.get("sort") or "").strip() or spec.default_sort
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in spec.sort_keys():
        raise ValidationFailedError(
            f"sort: {key!r} is not one of {', '.join(spec.sort_keys())}", field="sort"
        )
    per_page = _positive(params.get("per_page"), "per_page", spec.page_size)
    if per_page > spec.max_page_size:
        raise ValidationFailedError(f"per_page: at most {spec.max_page_size}", field="per_page")
    page = _positive(params.get("page"), "page", 1)
    return ListQuery(filters=filters, sort=key, descending=descending, page=page, per_page=per_page)


def _sort_value(value: Any) -> tuple[int, Any]:
    """An order over mixed column values: missing values last, text case-insensitively."""
    if value is None:
        return (2, "")
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, datetime | date | int | Decimal | float):
        return (0, value)
    return (1, str(value).casefold())


def select_rows(spec: ListSpec[R], session: Session, actor: Principal, query: ListQuery) -> list[R]:
    """Every row the query's filters select, in the query's order — what an export holds,
    and what the pages of :func:`view` are cut from."""
    require_permission(actor, spec.permission)
    rows = list(spec.fetch(session, actor, query.filters))
    col = spec.column(query.sort)
    assert col is not None  # parse_query checked the key
    present = [r for r in rows if col.get(r) is not None]
    missing = [r for r in rows if col.get(r) is None]
    # Python's sort is stable: ties keep the domain query's own order.
    present.sort(key=lambda r: _sort_value(col.get(r)), reverse=query.descending)
    return present + missing  # missing values last in either direction


@dataclass(frozen=True)
class ListView(Generic[R]):
    """One page of a list, with what a template needs for its sort links, pager and
    export links."""

    spec: ListSpec[R]
    query: ListQuery
    rows: list[R]
    total: int
    pages: int = field(default=1)

    @property
    def export_query(self) -> str:
        return self.query.filter_params()


def view(spec: ListSpec[R], session: Session, actor: Principal, params: Mapping[str, str]) -> ListView[R]:
    """The page of ``spec`` that ``params`` asks for (a page past the end is empty)."""
    query = parse_query(spec, params)
    rows = select_rows(spec, session, actor, query)
    start = (query.page - 1) * query.per_page
    pages = max(1, -(-len(rows) // query.per_page))
    return ListView(spec, query, rows[start : start + query.per_page], len(rows), pages)
