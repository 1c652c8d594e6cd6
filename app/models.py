"""Imports every table model so that SQLModel.metadata (and Alembic) sees the whole schema. Defines nothing."""

from app.appeals.models import (
    Appeal,
    AppealCohandler,
    AppealEvent,
    AppealNumberCounter,
    AppealStep,
    ExtensionRequest,
)
from app.core.models import IdempotencyRecord
from app.auth.models import ApiKey, User
from app.enterprises.models import Enterprise
from app.pages.models import PageLinkToken, PageSession
from app.sla.models import CalendarOverride, Setting, SlaPolicyRecord
from app.units.models import Unit

__all__ = [
    "ApiKey",
    "Appeal",
    "AppealCohandler",
    "AppealEvent",
    "AppealNumberCounter",
    "AppealStep",
    "CalendarOverride",
    "ExtensionRequest",
    "Setting",
    "SlaPolicyRecord",
    "Enterprise",
    "IdempotencyRecord",
    "PageLinkToken",
    "PageSession",
    "Unit",
    "User",
]
