"""The vetting engine's diversion factor, fed from the equipment registry.

:class:`EquipmentDiversionHistory` implements the vetting domain's ``DiversionHistory``
interface: the hand-entered end-use records (``vetting_enduse_record``) plus, from the
equipment domain, each incident (loss, theft, unauthorized access, use or transfer; SAMM
C8.6 [S73]) and the country's EEUM inventory delinquency as of the proposal's date when it
reaches ``delinquency_share`` (DODIG-2024-043 reported 59% [S75]). Each record carries the
figures, so a concern cites them as evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.equipment import monitoring
from secassist.vetting.context import DiversionHistory, EndUseRecord
from secassist.vetting.history import DbDiversionHistory

# secassist's own threshold, not a rule from the sources: a tenth of a country's EEUM value
# overdue is enough to make the diversion factor a concern (reviewers may pass another).
DELINQUENCY_SHARE = Decimal("0.10")


class EquipmentDiversionHistory:
    """End-use history from the equipment registry, on top of the hand-entered records."""

    def __init__(
        self,
        session: Session,
        *,
        base: DiversionHistory | None = None,
        delinquency_share: Decimal = DELINQUENCY_SHARE,
    ) -> None:
        self.session = session
        self.base: DiversionHistory = base if base is not None else DbDiversionHistory(session)
        self.delinquency_share = delinquency_share

    def records(self, countries: Collection[str], *, on: date) -> Sequence[EndUseRecord]:
        out = list(self.base.records(countries, on=on))
        for cc in sorted(countries):
            for inc in monitoring.list_incidents(self.session, actor=None, country=cc):
                if inc.discovered_on > on:
                    continue
                resolved = inc.closed_on if inc.closed_on is not None and inc.closed_on <= on else None
                out.append(
                    EndUseRecord(
                        record_id=inc.id,
                        country=cc,
                        kind="unauthorized_transfer" if inc.kind == "unauthorized_transfer" else "incident",
                        occurred_on=inc.discovered_on,
                        description=f"{inc.kind.replace('_', ' ')}: {inc.description} "
                        f"(discovered {inc.discovered_on}, report due {inc.report_due_on})",
                        resolved_on=resolved,
                        source="equipment registry",
                        evidence=f"equipment:incident:{inc.id}",
                    )
                )
            report = monitoring.delinquency(self.session, actor=None, as_of=on, country=cc)
            for c in report.by_country:
                if c.delinquent_value_usd > 0 and c.delinquent_share >= self.delinquency_share:
                    out.append(
                        EndUseRecord(
                            record_id=0,
                            country=cc,
                            kind="delinquent_inventory",
                            occurred_on=on,
                            description=f"EEUM serial-number inventories delinquent for "
                            f"${c.delinquent_value_usd:,} ({c.delinquent_share * 100:.1f}%) of "
                            f"${c.eeum_value_usd:,} as of {on} ({len(c.items)} of {c.eeum_items} items)",
                            source="equipment registry",
                            evidence=f"equipment:delinquency:{cc}:{on.isoformat()}",
                        )
                    )
        return sorted(out, key=lambda r: (r.occurred_on, r.country, r.record_id))
