"""One pure function per policy factor. Importing this package registers them all in
:data:`~secassist.vetting.rules.base.RULES`, in the order below."""

from secassist.vetting.rules import (
    assessments,
    burden_sharing,
    diversion,
    embargo,
    human_rights,
    itar,
    leahy,
    regional,
    screening,
    technology,
)
from secassist.vetting.rules.base import RULES, FactorConfig, RuleSpec

FACTORS = (
    itar.itar_126_1,
    embargo.un_arms_embargo,
    screening.screening,
    leahy.leahy,
    human_rights.human_rights,
    diversion.diversion,
    technology.technology_security,
    regional.regional_stability,
    assessments.nonproliferation,
    assessments.partner_capacity,
    burden_sharing.burden_sharing,
)

__all__ = ["FACTORS", "RULES", "FactorConfig", "RuleSpec"]
