"""Imports every table model so that SQLModel.metadata (and Alembic) sees the whole schema. Defines nothing."""

from app.appeals.models import Appeal, AppealEvent, AppealNumberCounter
from app.callbacks.models import CallbackTask
from app.core.models import IdempotencyRecord
from app.auth.models import ApiKey, User
from app.enterprises.models import Enterprise
from app.problems.models import ProblemGroup, ProblemGroupAppeal
from app.stats import models as _stats_indexes  # noqa: F401  (indexes on appeal)
from app.units.models import Unit

__all__ = [
    "ApiKey",
    "Appeal",
    "AppealEvent",
    "AppealNumberCounter",
    "CallbackTask",
    "Enterprise",
    "IdempotencyRecord",
    "ProblemGroup",
    "ProblemGroupAppeal",
    "Unit",
    "User",
]
