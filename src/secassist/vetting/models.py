"""The vetting domain's ORM models (discovered by ``storage.base.load_all_models``)."""

from secassist.vetting.decisions_models import (  # noqa: F401  (registers the tables)
    EndUseRecordRow,
    SipriHolding,
    SipriImport,
    VettingDecision,
    VettingDetermination,
    VettingFinding,
    VettingNote,
    VettingProposal,
    VettingSignoff,
)
from secassist.vetting.leahy_models import (  # noqa: F401
    LeahyDutyToInform,
    LeahyRemediation,
    LeahyUnit,
    LeahyVetting,
)
from secassist.vetting.screening.models import (  # noqa: F401
    ScreeningDisposition,
    ScreeningEntity,
    ScreeningListVersion,
    ScreeningRun,
)
