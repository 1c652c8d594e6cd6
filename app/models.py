"""Imports every table model so that SQLModel.metadata (and Alembic) sees the whole schema. Defines nothing."""

from app.accounts.models import AuthSession, BindingRequest, EnterpriseInvitation, EnterpriseUser, UsageCounter
from app.appeals.models import Appeal, AppealEvent, AppealNumberCounter
from app.attachments.models import AppealAttachment, Attachment
from app.core.models import IdempotencyRecord
from app.auth.models import ApiKey, User
from app.enterprises.models import Enterprise
from app.units.models import Unit

__all__ = [
    "ApiKey",
    "Appeal",
    "AppealAttachment",
    "AppealEvent",
    "AppealNumberCounter",
    "Attachment",
    "AuthSession",
    "BindingRequest",
    "Enterprise",
    "EnterpriseInvitation",
    "EnterpriseUser",
    "IdempotencyRecord",
    "Unit",
    "UsageCounter",
    "User",
]
