"""Daily limits per caller (OWASP API6: a business flow is not unlimited). The counter row is written in the
caller's transaction, so a rolled-back intake does not use up the quota. Never commits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from app.accounts.models import UsageCounter
from app.auth.principal import Principal
from app.core.time import SHANGHAI
from app.errors import TooManyRequests

DAILY_APPEAL_LIMIT = 20  # appeals one enterprise user may file per Shanghai day
APPEAL_CREATE = "appeal_create"


def shanghai_day(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def seconds_until_next_day(now: datetime) -> int:
    """Seconds from `now` to the next midnight in Asia/Shanghai (at least 1)."""
    local = now.astimezone(SHANGHAI)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return max(1, int((midnight - local).total_seconds() + 0.999))


def _increment(session: Session, scope: str, subject: str, day: date, limit: int) -> bool:
    result = session.exec(
        update(UsageCounter)
        .where(col(UsageCounter.scope) == scope, col(UsageCounter.subject) == subject,
               col(UsageCounter.day) == day, col(UsageCounter.count) < limit)
        .values(count=col(UsageCounter.count) + 1)
    )
    return result.rowcount == 1


def consume_daily(session: Session, *, scope: str, subject: str, limit: int, now: datetime, what: str) -> None:
    day = shanghai_day(now)
    if _increment(session, scope, subject, day, limit):
        return
    if session.get(UsageCounter, (scope, subject, day)) is None:
        try:
            with session.begin_nested():
                session.add(UsageCounter(scope=scope, subject=subject, day=day, count=1))
                session.flush()
            return
        except IntegrityError:  # a concurrent first use of the day inserted it
            if _increment(session, scope, subject, day, limit):
                return
    raise TooManyRequests(f"今日{what}已达上限（{limit} 次），请明天再试",
                          retry_after_seconds=seconds_until_next_day(now))


def consume_appeal_creation(session: Session, principal: Principal, *, now: datetime) -> None:
    """Enterprise users file at most DAILY_APPEAL_LIMIT appeals per day; staff intake is not limited here."""
    if principal.is_enterprise:
        consume_daily(session, scope=APPEAL_CREATE, subject=principal.caller_key, limit=DAILY_APPEAL_LIMIT,
                      now=now, what="提交诉求")
