"""Loads the working-day calendar and the SLA/urgency policies in force."""

from __future__ import annotations

from sqlmodel import Session

from app.appeals.urgency import UrgencyPolicy
from app.enums import Urgency
from app.sla.calendar import WorkingCalendar
from app.sla.policy import DEFAULT_POLICIES, SlaPolicy


def load_calendar(session: Session) -> WorkingCalendar:
    return WorkingCalendar()


def policy_for(session: Session, urgency: Urgency) -> SlaPolicy:
    return DEFAULT_POLICIES[urgency]


def urgency_policy(session: Session) -> UrgencyPolicy:
    return UrgencyPolicy()
