"""The generated access matrix: every role × the organization kinds that may hold it ×
every resource × every action, each cell with concrete denials (and, where the rules
allow the cell, the allowance those denials are measured against).

The rules (DESIGN.md "Who uses it", issue #3) are restated independently here, in
``expected_for_own_record``, rather than read back from the policy module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from secassist.core.errors import NotFoundError, PermissionDeniedError
from secassist.identity.permissions import (
    ACTIONS,
    KIND_ROLES,
    RESOURCES,
    ROLE_PERMISSIONS,
    OrgKind,
    Role,
)
from secassist.identity.policy import Principal, Resource, allowed, check, may_read_audit_entry, visible
from tests.identity.factories import scoped, synthetic

HOME, ABROAD = "PL", "JP"
ME, OTHER = 1, 2  # user and organization ids

# Records that belong to a country (a partner or SCO sees its own country's only).
COUNTRY_RECORDS = {
    "case",
    "case_line",
    "program",
    "vetting",
    "notification",
    "equipment",
    "transfer",
    "organization",
    "user",
    "token",
}


@dataclass(frozen=True)
class Cell:
    role: Role
    kind: OrgKind
    resource: str
    action: str

    @property
    def permission(self) -> str:
        return f"{self.resource}:{self.action}"

    def __str__(self) -> str:
        return f"{self.kind.value}-{self.role.value}-{self.resource}-{self.action}"


CELLS = [
    Cell(role, kind, resource, action)
    for kind in OrgKind
    for role in sorted(KIND_ROLES[kind])
    for resource in RESOURCES
    for action in ACTIONS
]


def principal(cell: Cell) -> Principal:
    return synthetic(cell.kind, cell.role, user_id=ME, org_id=ME)


def own_record(p: Principal, resource: str) -> Resource:
    """The most favourable record: the caller's country, organization, token and contract
    line, formally notified."""
    return Resource(
        kind=resource,
        country=p.country or HOME,
        org_id=p.org_id,
        user_id=p.user_id,
        contractor_org_id=p.org_id,
        formally_notified=True,
    )


def expected_for_own_record(cell: Cell) -> bool:
    """The rules, restated: may this role in this kind of organization do the action to
    the most favourable record?"""
    perms = ROLE_PERMISSIONS[cell.role]
    r, kind = cell.resource, cell.kind
    own_identity = r in ("organization", "token")  # one's own organization and tokens
    sees = f"{r}:read" in perms or own_identity
    if kind == OrgKind.dod:
        sees = sees and r != "vetting_note"
    elif kind in (OrgKind.sco, OrgKind.partner):
        sees = sees and r in COUNTRY_RECORDS | {"reference", "report"}
    elif kind == OrgKind.congress:
        sees = sees and (
            r in ("notification", "transfer", "report", "reference", "checkpoint") or own_identity
        )
    elif kind == OrgKind.industry:
        sees = sees and (r in ("case_line", "reference") or own_identity)
    if not sees:
        return False
    if cell.action == "read":
        return True
    return kind != OrgKind.auditor and cell.permission in perms


@dataclass(frozen=True)
class Denial:
    why: str
    principal: Principal
    record: Resource
    hidden: bool  # True: the record must be invisible (404); False: visible, action refused (403)


def denials(cell: Cell) -> list[Denial]:
    p = principal(cell)
    own = own_record(p, cell.resource)
    out: list[Denial] = []

    # A token whose scopes leave this permission out. (For reads of organizations and
    # tokens, a record not the caller's own: those stay readable to their owner.)
    record = own
    if cell.action == "read" and cell.resource in ("organization", "token"):
        record = replace(own, org_id=OTHER, user_id=OTHER)
    narrowed = scoped(p, {cell.permission})
    out.append(
        Denial(
            f"token without {cell.permission}",
            narrowed,
            record,
            hidden=cell.action == "read" or not visible(narrowed, record),
        )
    )

    if cell.kind in (OrgKind.sco, OrgKind.partner) and cell.resource in COUNTRY_RECORDS:
        foreign = replace(own, country=ABROAD, org_id=OTHER, user_id=OTHER)
        out.append(Denial(f"{ABROAD}'s {cell.resource}", p, foreign, hidden=True))
    # Congress, an SCO and a partner read a notification only once formally notified (a
    # published notification is public record: the owner's decision, DESIGN.md "Who uses it").
    if cell.kind in (OrgKind.congress, OrgKind.sco, OrgKind.partner) and cell.resource == "notification":
        out.append(Denial("not yet notified", p, replace(own, formally_notified=False), hidden=True))
        out.append(Denial("notification state unknown", p, replace(own, formally_notified=None), hidden=True))
    if cell.kind == OrgKind.industry and cell.resource == "case_line":
        out.append(Denial("another contractor's line", p, replace(own, contractor_org_id=OTHER), hidden=True))
        out.append(Denial("a line with no contractor", p, replace(own, contractor_org_id=None), hidden=True))
    if cell.kind == OrgKind.dod and cell.resource == "vetting_note":
        out.append(Denial("pre-decisional vetting note", p, own, hidden=True))
    if cell.kind == OrgKind.auditor and cell.action != "read":
        out.append(Denial("auditors write nothing", p, own, hidden=False))
    if not expected_for_own_record(cell) and not any(d.principal is p and d.record is own for d in out):
        out.append(Denial("outside the role's rules", p, own, hidden=not visible(p, own)))
    return out


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_cell(cell: Cell) -> None:
    p = principal(cell)
    own = own_record(p, cell.resource)
    # The allowance the denials are measured against (and the rules, cell by cell).
    assert allowed(p, cell.action, own) is expected_for_own_record(cell)

    found = denials(cell)
    assert found, "every cell needs at least one concrete denial"
    for d in found:
        assert not allowed(d.principal, cell.action, d.record), d.why
        assert visible(d.principal, d.record) is not d.hidden, d.why
        with pytest.raises(NotFoundError if d.hidden else PermissionDeniedError):
            check(d.principal, cell.action, d.record)


def test_the_matrix_covers_every_role_kind_resource_and_action() -> None:
    pairs = {(c.role, c.kind) for c in CELLS}
    assert {r for r, _ in pairs} == set(Role)
    assert {k for _, k in pairs} == set(OrgKind)
    assert len(CELLS) == len(pairs) * len(RESOURCES) * len(ACTIONS)
    # Cells that are allowed on the caller's own record exist, so the token-scope denials
    # are not vacuous.
    assert sum(expected_for_own_record(c) for c in CELLS) > 100


# --- the key allowances, spelled out -------------------------------------------------------


def foreign(resource: str) -> Resource:
    return Resource(
        kind=resource,
        country=ABROAD,
        org_id=OTHER,
        user_id=OTHER,
        contractor_org_id=OTHER,
        formally_notified=False,
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_state_reads_everything(resource: str) -> None:
    p = synthetic(OrgKind.state, Role.policy_officer)
    assert allowed(p, "read", foreign(resource))


@pytest.mark.parametrize("resource", RESOURCES)
def test_dod_reads_everything_but_vetting_notes(resource: str) -> None:
    p = synthetic(OrgKind.dod, Role.case_manager)
    assert allowed(p, "read", foreign(resource)) is (resource != "vetting_note")


def test_dod_never_sees_vetting_notes_whatever_its_roles_grant() -> None:
    p = synthetic(OrgKind.dod, Role.case_manager)
    lenient = replace(p, permissions=p.permissions | {"vetting_note:read", "vetting_note:write"})
    assert not visible(lenient, Resource("vetting_note", country="PL"))
    with pytest.raises(NotFoundError):
        check(lenient, "write", Resource("vetting_note", country="PL"))


@pytest.mark.parametrize("resource", RESOURCES)
def test_auditor_reads_everything_and_writes_nothing(resource: str) -> None:
    p = synthetic(OrgKind.auditor, Role.auditor)
    assert allowed(p, "read", foreign(resource))
    for action in ("write", "approve", "admin"):
        assert not allowed(p, action, foreign(resource))
    # Even a role table that granted a write would not make an auditor write.
    lenient = replace(p, permissions=p.permissions | {f"{resource}:write"})
    assert not allowed(lenient, "write", foreign(resource))


def test_partner_reads_its_own_countrys_case_and_writes_it() -> None:
    p = synthetic(OrgKind.partner, Role.partner_staff, country="PL")
    case = Resource("case", country="PL")
    assert allowed(p, "read", case)
    assert allowed(p, "write", case)
    assert not allowed(p, "approve", case)
    assert not visible(p, Resource("case", country="JP"))
    assert not visible(p, Resource("case", country=None))


def test_sco_reads_its_country_and_the_partner_organization_there() -> None:
    p = synthetic(OrgKind.sco, Role.sco_officer, country="PL")
    assert allowed(p, "write", Resource("equipment", country="PL"))
    assert allowed(p, "read", Resource("organization", org_id=OTHER, country="PL"))
    assert not allowed(p, "read", Resource("organization", org_id=OTHER, country="JP"))
    # Users: only its own organization's, not the partner's people.
    assert allowed(p, "read", Resource("user", org_id=p.org_id, country="PL"))
    assert not allowed(p, "read", Resource("user", org_id=OTHER, country="PL"))


def test_congress_reads_notified_notifications_and_reports_only() -> None:
    p = synthetic(OrgKind.congress, Role.congressional_staff)
    assert allowed(p, "read", Resource("notification", country="PL", formally_notified=True))
    assert not allowed(p, "read", Resource("notification", country="PL", formally_notified=False))
    assert allowed(p, "read", Resource("report"))
    assert not allowed(p, "read", Resource("case", country="PL"))
    assert allowed(p, "read", Resource("organization", org_id=p.org_id))


@pytest.mark.parametrize(
    ("kind", "role"), [(OrgKind.partner, Role.partner_staff), (OrgKind.sco, Role.sco_officer)]
)
def test_partner_and_sco_read_their_countrys_published_notifications_only(kind: OrgKind, role: Role) -> None:
    # The owner's decision: published (formally notified) notifications are public record,
    # readable by every signed-in stakeholder of that country — both conditions, not either.
    p = synthetic(kind, role, country="PL")
    assert allowed(p, "read", Resource("notification", country="PL", formally_notified=True))
    for action in ("write", "approve", "admin"):
        assert not allowed(p, action, Resource("notification", country="PL", formally_notified=True))
    assert not visible(p, Resource("notification", country="PL", formally_notified=False))
    assert not visible(p, Resource("notification", country="PL", formally_notified=None))
    assert not visible(p, Resource("notification", country="JP", formally_notified=True))
    assert not visible(p, Resource("notification", country=None, formally_notified=True))


def test_industry_reads_its_own_lines_only() -> None:
    p = synthetic(OrgKind.industry, Role.contractor, org_id=7)
    assert allowed(p, "read", Resource("case_line", country="PL", contractor_org_id=7))
    assert not allowed(p, "read", Resource("case_line", country="PL", contractor_org_id=8))
    assert not allowed(p, "read", Resource("case", country="PL"))


def test_everyone_may_issue_their_own_tokens_but_auditors() -> None:
    for kind, roles in KIND_ROLES.items():
        for role in roles:
            p = synthetic(kind, role, user_id=5, org_id=3)
            mine = Resource("token", org_id=3, user_id=5)
            assert visible(p, mine)
            assert allowed(p, "write", mine) is (kind != OrgKind.auditor), (kind, role)


def test_deny_by_default() -> None:
    p = synthetic(OrgKind.state, Role.policy_officer)
    assert not visible(p, Resource("no_such_resource"))
    assert not allowed(p, "read", Resource("no_such_resource"))
    assert not allowed(p, "delete", Resource("case", country="PL"))
    nobody = replace(p, permissions=frozenset())
    assert not any(visible(nobody, foreign(r)) for r in RESOURCES)


# --- audit entries: read whole only by who may read the records they hold (issue #11) ---------

# A subject type or table per resource kind, as the log writes them.
AUDIT_NAMES = {
    "organization": ("organization", "identity_organization"),
    "user": ("user", "identity_user"),
    "token": ("token", "identity_api_token"),
    "audit": ("audit_checkpoint", "audit_checkpoint"),
    "reference": ("reference", "reference_dataset"),
    "program": ("program_entry", "program_entry"),
    "case": ("case", "fms_case"),
    "case_line": ("case_line", "fms_case_line"),
    "vetting": ("vetting_decision", "vetting_finding"),
    "vetting_note": ("vetting_note", "vetting_note"),
    "notification": ("notification", "notification_notification"),
}
AUDIT_CELLS = [
    (kind, role, resource)
    for kind in OrgKind
    for role in sorted(KIND_ROLES[kind])
    for resource in AUDIT_NAMES
]


def expected_whole_entry(kind: OrgKind, role: Role, resource: str) -> bool:
    """The rule, restated: ``audit:read``, and every record of the kind readable (State and
    the inspector general: what they may read; DoD: that but pre-decisional notes)."""
    perms = ROLE_PERMISSIONS[role]
    if "audit:read" not in perms or f"{resource}:read" not in perms:
        return False
    if kind == OrgKind.dod:
        return resource != "vetting_note"
    return kind in (OrgKind.state, OrgKind.auditor)


@pytest.mark.parametrize(("kind", "role", "resource"), AUDIT_CELLS, ids=lambda v: str(getattr(v, "value", v)))
def test_audit_entry_cell(kind: OrgKind, role: Role, resource: str) -> None:
    p = synthetic(kind, role)
    subject, table = AUDIT_NAMES[resource]
    expected = expected_whole_entry(kind, role, resource)
    assert may_read_audit_entry(p, subject, frozenset({table})) is expected
    # One table outside the reader's scope redacts the whole entry.
    mixed = may_read_audit_entry(p, subject, frozenset({table, "vetting_note"}))
    assert mixed is (expected and expected_whole_entry(kind, role, "vetting_note"))
    # A token scoped without audit:read reads no entry whole.
    assert not may_read_audit_entry(scoped(p, {"audit:read"}), subject, frozenset({table}))


def test_audit_entries_of_unknown_kinds_are_redacted_for_everyone() -> None:
    ig = synthetic(OrgKind.auditor, Role.auditor)
    assert may_read_audit_entry(ig, "case", frozenset({"fms_case"}))
    assert not may_read_audit_entry(ig, "equipment_widget", frozenset())
    assert not may_read_audit_entry(ig, "case", frozenset({"some_new_table"}))


def test_every_audited_table_has_a_kind_so_its_readers_see_its_entries() -> None:
    # An audited table the policy does not know is redacted for everyone, the inspector
    # general included: a new domain table must be given its kind in identity/policy.py.
    from secassist.audit.canonical import audited_tables
    from secassist.identity.policy import audit_kind
    from secassist.storage.base import load_all_models

    load_all_models()
    unknown = sorted(name for name in audited_tables() if audit_kind(name) is None)
    assert unknown == []


def test_the_audit_matrix_has_both_outcomes_for_each_reader() -> None:
    readers = {(k, r) for k, r, _ in AUDIT_CELLS if "audit:read" in ROLE_PERMISSIONS[r]}
    assert {
        (OrgKind.dod, Role.case_manager),
        (OrgKind.state, Role.admin),
        (OrgKind.auditor, Role.auditor),
    } <= readers
    for k, r in readers - {(OrgKind.auditor, Role.auditor), (OrgKind.state, Role.policy_officer)}:
        assert any(expected_whole_entry(k, r, res) for res in AUDIT_NAMES)
        assert not all(expected_whole_entry(k, r, res) for res in AUDIT_NAMES)
