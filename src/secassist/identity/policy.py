"""The access policy: "may this actor do this to this record" and "restrict this query".

Deny by default. Two questions are kept apart:

* **visibility** — may the actor know the record exists? If not, the answer is 404, the
  same as for a record that does not exist, so ids cannot be probed;
* **permission** — may it do the action? If it can see the record but not act: 403.

Rules (DESIGN.md "Who uses it"; issue #3):

* State PM sees everything; DoD sees everything except pre-decisional vetting notes.
* An SCO or a partner sees only its own country's records; of its notifications, only
  those formally notified (a published notification is public record: every signed-in
  stakeholder may read those of its own country, partners included — the project owner's
  decision, applying DESIGN.md "Who uses it"; before formal notification the link between
  a country and the items stays internal).
* Congress sees notifications only after formal notification, transfer requests only
  after their §3(d) certification was submitted (the ``formally_notified`` flag), and reports.
* Industry sees only the case lines on which it is the contractor.
* Auditors read everything and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, true
from sqlalchemy.orm import QueryableAttribute

from secassist.audit.service import SYSTEM, Actor
from secassist.core.errors import NotFoundError, PermissionDeniedError
from secassist.identity.permissions import ACTIONS, RESOURCES, OrgKind, Role

S = TypeVar("S", bound=Select[Any])
Column = ColumnElement[Any] | QueryableAttribute[Any]  # a Core column or a mapped attribute

# Resource kinds whose records belong to a country.
COUNTRY_SCOPED = frozenset(
    {
        "case",
        "case_line",
        "program",
        "vetting",
        "notification",
        "equipment",
        "transfer",
        "organization",
        "user",
    }
)


@dataclass(frozen=True)
class Principal:
    """An authenticated actor. ``permissions`` is already narrowed by a token's scopes."""

    user_id: int
    username: str
    org_id: int
    org_name: str
    org_kind: OrgKind
    country: str | None
    roles: frozenset[Role]
    permissions: frozenset[str]
    via_token: bool = False

    @property
    def label(self) -> str:
        return f"{self.username} ({self.org_name})"


def actor_of(p: Principal | None) -> Actor:
    """The audit actor for a principal; ``None`` is the system (the administrator's console,
    a loader). The one place an audit entry's actor is built from who is acting."""
    return SYSTEM if p is None else Actor(label=p.label, user_id=p.user_id, org_id=p.org_id)


@dataclass(frozen=True)
class Resource:
    """What the policy needs to know about a record (or about a kind, for creation)."""

    kind: str
    country: str | None = None
    org_id: int | None = None
    user_id: int | None = None  # the user the record belongs to (a token's holder)
    contractor_org_id: int | None = None
    formally_notified: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def visible(p: Principal, r: Resource) -> bool:
    """May ``p`` know that ``r`` exists? (If not, callers answer 404.)"""
    if r.kind not in RESOURCES:
        return False
    if f"{r.kind}:read" not in p.permissions and not _own_identity(p, r):
        return False
    kind = p.org_kind
    if kind in (OrgKind.state, OrgKind.auditor):
        return True
    if kind == OrgKind.dod:
        return r.kind != "vetting_note"
    if kind in (OrgKind.sco, OrgKind.partner):
        if r.kind in ("organization", "user", "token"):
            return r.org_id == p.org_id or (r.kind == "organization" and r.country == p.country)
        if r.kind == "notification":
            # Public record once formally notified (the owner's decision; DESIGN.md "Who
            # uses it"): own country AND notified, both; an unknown state denies.
            return r.country is not None and r.country == p.country and r.formally_notified is True
        if r.kind in COUNTRY_SCOPED:
            return r.country is not None and r.country == p.country
        return r.kind in ("reference", "report")
    if kind == OrgKind.congress:
        if r.kind in ("notification", "transfer"):
            return r.formally_notified is True
        return r.kind in ("report", "reference", "checkpoint") or _own_identity(p, r)
    if kind == OrgKind.industry:
        if r.kind == "case_line":
            return r.contractor_org_id is not None and r.contractor_org_id == p.org_id
        return r.kind == "reference" or _own_identity(p, r)
    return False


def _own_identity(p: Principal, r: Resource) -> bool:
    # Everyone may see their own organization and the tokens they hold: ``token:write``
    # (issuing one's own tokens) is granted without ``token:read``.
    if r.kind == "organization":
        return r.org_id is not None and r.org_id == p.org_id
    return r.kind == "token" and r.user_id is not None and r.user_id == p.user_id


def allowed(p: Principal, action: str, r: Resource) -> bool:
    """May ``p`` do ``action`` to ``r``? (Visibility included; deny by default.)"""
    if action not in ACTIONS or not visible(p, r):
        return False
    if action != "read" and p.org_kind == OrgKind.auditor:
        return False  # auditors write nothing, whatever a role table might say
    return action == "read" or f"{r.kind}:{action}" in p.permissions


def check(p: Principal, action: str, r: Resource, *, what: str = "record") -> None:
    """Raise NotFoundError when ``r`` is invisible to ``p``, PermissionDeniedError when
    visible but the action is not allowed."""
    if not visible(p, r):
        raise NotFoundError(f"{what} not found")
    if not allowed(p, action, r):
        raise PermissionDeniedError(f"{p.username} may not {action} this {r.kind}")


def require_permission(p: Principal, permission: str) -> None:
    """Raise PermissionDeniedError unless ``p`` holds ``permission`` (auditors: reads only)."""
    if permission not in p.permissions or (
        p.org_kind == OrgKind.auditor and not permission.endswith(":read")
    ):
        raise PermissionDeniedError(f"{p.username} lacks the permission {permission}")


def scope(
    stmt: S,
    p: Principal,
    kind: str,
    *,
    country: Column | None = None,
    org: Column | None = None,
    contractor: Column | None = None,
    notified: Column | None = None,
    pre_decisional: bool = False,
) -> S:
    """Restrict ``stmt`` to the rows of ``kind`` that ``p`` may see.

    Pass the columns the rule needs: ``country`` (ISO code column), ``org`` (owning
    organization id), ``contractor`` (contractor organization id), ``notified`` (boolean:
    formally notified). A rule whose column is missing denies everything.
    """
    return stmt.where(_condition(p, kind, country, org, contractor, notified, pre_decisional))


@dataclass(frozen=True)
class RowRule:
    """Which rows of one kind an actor may see: every row, or the rows matching any one
    of the flagged conditions — every one of them when ``all_of`` is set — (none flagged:
    no row). :func:`scope` turns it into SQL; a read that runs precompiled statements
    (``storage.prepared``) binds its values, and must honour ``all_of`` and
    ``notified_only`` as well as ``by_country`` (or refuse a rule that sets them)."""

    everything: bool = False
    by_country: str | None = None  # rows whose country column equals this code
    by_org: int | None = None  # rows owned by this organization
    by_contractor: int | None = None  # case lines whose contractor is this organization
    notified_only: bool = False  # notifications formally notified
    # Every flagged condition must hold (AND), not any one (OR): an SCO's or a partner's
    # notifications are its own country's AND formally notified (the owner's decision
    # that published notifications are public record; DESIGN.md "Who uses it").
    all_of: bool = False


NOTHING = RowRule()
EVERYTHING = RowRule(everything=True)


def row_rule(p: Principal, kind: str, *, pre_decisional: bool = False) -> RowRule:
    """The rows of ``kind`` that ``p`` may see (the rules in this module's docstring)."""
    if kind not in RESOURCES or f"{kind}:read" not in p.permissions:
        return RowRule(by_org=p.org_id) if kind == "organization" else NOTHING
    k = p.org_kind
    if k in (OrgKind.state, OrgKind.auditor):
        return EVERYTHING
    if k == OrgKind.dod:
        # DoD sees everything but pre-decisional vetting notes (the kind, or rows flagged so).
        return NOTHING if kind == "vetting_note" or pre_decisional else EVERYTHING
    if k in (OrgKind.sco, OrgKind.partner):
        if kind in ("user", "token"):
            return RowRule(by_org=p.org_id)
        if kind == "organization":
            return RowRule(by_org=p.org_id, by_country=p.country)
        if kind == "notification":
            # Public record once formally notified, of its own country only (the owner's
            # decision; DESIGN.md "Who uses it"): both conditions, not either.
            return RowRule(by_country=p.country, notified_only=True, all_of=True) if p.country else NOTHING
        if kind in COUNTRY_SCOPED:
            return RowRule(by_country=p.country) if p.country else NOTHING
        return EVERYTHING if kind in ("reference", "report") else NOTHING
    if k == OrgKind.congress:
        if kind in ("notification", "transfer"):
            return RowRule(notified_only=True)
        if kind == "organization":
            return RowRule(by_org=p.org_id)
        return EVERYTHING if kind in ("report", "reference") else NOTHING
    if k == OrgKind.industry:
        if kind == "case_line":
            return RowRule(by_contractor=p.org_id)
        if kind == "organization":
            return RowRule(by_org=p.org_id)
        return EVERYTHING if kind == "reference" else NOTHING
    return NOTHING


def _condition(
    p: Principal,
    kind: str,
    country: Column | None,
    org: Column | None,
    contractor: Column | None,
    notified: Column | None,
    pre_decisional: bool,
) -> ColumnElement[bool]:
    rule = row_rule(p, kind, pre_decisional=pre_decisional)
    if rule.everything:
        return true()
    # A condition whose column the caller did not pass matches nothing (deny by default):
    # under ``any`` it drops out of the OR; under ``all_of`` it makes the AND false.
    flagged: list[ColumnElement[bool] | None] = []
    if rule.by_org is not None:
        flagged.append(None if org is None else org == rule.by_org)
    if rule.by_country is not None:
        flagged.append(None if country is None else country == rule.by_country)
    if rule.by_contractor is not None:
        flagged.append(None if contractor is None else contractor == rule.by_contractor)
    if rule.notified_only:
        flagged.append(None if notified is None else notified.is_(True))
    conds = [c for c in flagged if c is not None]
    if rule.all_of:
        return and_(*conds) if conds and len(conds) == len(flagged) else false()
    return or_(*conds) if conds else false()


# --- audit entries ---------------------------------------------------------------------

# The record kind behind an audit entry's subject type or a table in its payload, by
# prefix (first match wins; more specific first). A name that matches none denies.
_AUDIT_KINDS: tuple[tuple[str, str], ...] = (
    ("vetting_note", "vetting_note"),
    ("fms_case_line", "case_line"),
    ("case_line", "case_line"),
    ("fms_", "case"),
    ("case", "case"),
    ("lor", "case"),
    ("identity_api_token", "token"),
    ("token", "token"),
    ("identity_organization", "organization"),
    ("organization", "organization"),
    ("identity_", "user"),
    ("user", "user"),  # also username_sha256 (failed logins)
    ("vetting", "vetting"),
    ("leahy", "vetting"),
    ("screening", "vetting"),
    ("notification", "notification"),
    ("transfer", "transfer"),
    ("program", "program"),
    # The equipment registry's audited tables (also its subject types), named in full so
    # that a new equipment table stays unknown, hence redacted, until it is added here.
    *(
        (t, "equipment")
        for t in (
            "equipment_site_inspection",
            "equipment_site",
            "equipment_unit",
            "equipment_item",
            "equipment_lot",
            "equipment_inventory",
            "equipment_custody_event",
            "equipment_incident",
            "equipment_lot_event",
            "equipment_routine_check",
        )
    ),
    ("reference", "reference"),
    ("audit", "audit"),
)


def audit_kind(name: str) -> str | None:
    """The policy's resource kind for an audit subject type or table name (None: unknown)."""
    return next((kind for prefix, kind in _AUDIT_KINDS if name.startswith(prefix)), None)


def may_read_audit_entry(p: Principal, subject_type: str, tables: frozenset[str]) -> bool:
    """May ``p`` read an audit entry in full (actor, subject id, after-images)?

    The log keeps every record's after-image forever, so reading an entry is reading the
    record: only an actor who may read *every* record of each kind the entry touches, under
    this module's rules, sees it whole. A rule that depends on the row (a country, a
    contract, a notification's state) would need the record, which the entry may no
    longer match, so it denies. Everyone else with ``audit:read`` gets the leaf hash, tag,
    time and proof: enough to verify the log (RFC 9162), nothing to read. Hence a DoD case
    manager does not read pre-decisional vetting notes through the log (DESIGN.md "Who
    uses it"), an administrator without case permissions does not read cases, and the
    inspector general, who reads everything, reads every entry (issue #11).
    """
    if "audit:read" not in p.permissions:
        return False
    for name in (subject_type, *tables):
        kind = audit_kind(name)
        if kind is None or not row_rule(p, kind).everything:
            return False
    return True
