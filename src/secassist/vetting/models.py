"""The vetting domain's ORM models (discovered by ``storage.base.load_all_models``)."""

from secassist.vetting.screening.models import (  # noqa: F401  (registers the tables)
    ScreeningDisposition,
    ScreeningEntity,
    ScreeningListVersion,
    ScreeningRun,
)
