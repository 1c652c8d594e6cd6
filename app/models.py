"""Imports every table model so that SQLModel.metadata (and Alembic) sees the whole schema. Defines nothing."""

from app.appeals.models import Appeal, AppealEvent, AppealNumberCounter
from app.core.models import IdempotencyRecord
from app.auth.models import ApiKey, User
from app.enterprises.models import Enterprise
from app.notifications.models import AdminAlert, Channel, ChannelSend, OutboxMessage
from app.units.models import Unit

__all__ = [
    "AdminAlert",
    "ApiKey",
    "Appeal",
    "AppealEvent",
    "AppealNumberCounter",
    "Channel",
    "ChannelSend",
    "Enterprise",
    "IdempotencyRecord",
    "OutboxMessage",
    "Unit",
    "User",
]
