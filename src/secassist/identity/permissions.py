"""Roles, the organization kinds that may hold them, and the one role → permission table.

A permission is ``resource:action``. Holding a permission is necessary but not
sufficient: :mod:`secassist.identity.policy` also decides which *records* an actor sees
(its country, its contract lines, notified notifications only).
"""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    state = "state"  # Department of State, Bureau of Political-Military Affairs
    dod = "dod"  # DoD implementing agencies and DSCA
    sco = "sco"  # security cooperation office in a partner country
    congress = "congress"  # committee staff
    industry = "industry"  # a prime contractor
    partner = "partner"  # a partner nation's government
    auditor = "auditor"  # inspector general / GAO


# The State offices that review a vetting decision's concerns and sign off on them (the
# vetting engine's ``findings.Office``; tests/vetting keeps the two equal). A State
# organization may be one of them; only its users sign off for it (issue #16).
REVIEW_OFFICES = ("political_military", "human_rights", "technology_security")


class Role(StrEnum):
    admin = "admin"
    policy_officer = "policy_officer"
    case_manager = "case_manager"
    eum_monitor = "eum_monitor"
    sco_officer = "sco_officer"
    congressional_staff = "congressional_staff"
    contractor = "contractor"
    partner_staff = "partner_staff"
    auditor = "auditor"


RESOURCES = (
    "organization",
    "user",
    "token",
    "audit",
    # Signed checkpoints and consistency proofs: hashes and sizes, no record content, so
    # a witness outside the executive branch (committee staff) may fetch them.
    "checkpoint",
    "reference",
    "program",
    "case",
    "case_line",
    "vetting",
    "vetting_note",
    "notification",
    "report",
    "equipment",
    "transfer",
)
ACTIONS = ("read", "write", "approve", "admin")


def _p(resource: str, *actions: str) -> set[str]:
    return {f"{resource}:{a}" for a in actions}


_READ_ALL = set().union(*(_p(r, "read") for r in RESOURCES))

# The one table. Reviewed like law: every change here changes who may do what.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.admin: frozenset(
        _p("organization", "read", "write")
        | _p("user", "read", "write", "admin")
        | _p("token", "read", "write", "admin")
        | _p("audit", "read", "write")
        | _p("reference", "read")
    ),
    Role.policy_officer: frozenset(
        _READ_ALL
        | _p("program", "write", "approve")
        | _p("case", "write")
        | _p("vetting", "write", "approve")
        | _p("vetting_note", "write")
        | _p("notification", "write", "approve")
        | _p("transfer", "write", "approve")
        | _p("token", "write")
    ),
    Role.case_manager: frozenset(
        (_READ_ALL - _p("vetting_note", "read"))
        | _p("case", "write")
        | _p("case_line", "write")
        | _p("equipment", "write")
        | _p("notification", "write")
        | _p("token", "write")
    ),
    Role.eum_monitor: frozenset(
        _p("case", "read")
        | _p("case_line", "read")
        | _p("equipment", "read", "write")
        | _p("transfer", "read")
        | _p("report", "read")
        | _p("reference", "read")
        | _p("organization", "read")
        | _p("token", "write")
    ),
    Role.sco_officer: frozenset(
        _p("case", "read")
        | _p("program", "read")  # its country's allocations and below (policy.scope)
        | _p("case_line", "read")
        | _p("equipment", "read", "write")
        | _p("transfer", "read")
        # Its country's formally notified notifications: public record (policy.visible).
        | _p("notification", "read")
        | _p("report", "read")
        | _p("reference", "read")
        | _p("organization", "read")
        | _p("user", "read")
        | _p("token", "write")
    ),
    Role.congressional_staff: frozenset(
        _p("notification", "read")
        | _p("checkpoint", "read")  # to witness the log (audit/witness.py)
        | _p("transfer", "read")
        | _p("report", "read")
        | _p("reference", "read")
        | _p("token", "write")
    ),
    Role.contractor: frozenset(_p("case_line", "read") | _p("reference", "read") | _p("token", "write")),
    Role.partner_staff: frozenset(
        _p("case", "read", "write")
        | _p("program", "read")  # its country's allocations and below (policy.scope)
        | _p("case_line", "read")
        | _p("equipment", "read", "write")
        | _p("transfer", "read", "write")
        # Its country's formally notified notifications: public record (policy.visible).
        | _p("notification", "read")
        | _p("reference", "read")
        | _p("organization", "read")
        | _p("user", "read")
        | _p("token", "write")
    ),
    Role.auditor: frozenset(_READ_ALL),
}

# Which roles an organization of each kind may grant its users.
KIND_ROLES: dict[OrgKind, frozenset[Role]] = {
    OrgKind.state: frozenset({Role.admin, Role.policy_officer}),
    OrgKind.dod: frozenset({Role.admin, Role.case_manager, Role.eum_monitor}),
    OrgKind.sco: frozenset({Role.sco_officer}),
    OrgKind.congress: frozenset({Role.congressional_staff}),
    OrgKind.industry: frozenset({Role.contractor}),
    OrgKind.partner: frozenset({Role.partner_staff}),
    OrgKind.auditor: frozenset({Role.auditor}),
}


def permissions_for(roles: set[Role] | frozenset[Role]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLE_PERMISSIONS[role]
    return frozenset(out)


ALL_PERMISSIONS = frozenset(f"{r}:{a}" for r in RESOURCES for a in ACTIONS)
