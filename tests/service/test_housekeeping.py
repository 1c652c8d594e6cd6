"""Housekeeping deletes exactly the rows past their retention, on both databases, and the worker runs it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import AuthSession, EnterpriseUser, UsageCounter
from app.chatbot.models import ChatbotMessage
from app.core import housekeeping
from app.core.models import IdempotencyRecord
from app.signin.models import PageLinkToken
from app.units.models import Unit
from app.worker import registered_jobs

pytestmark = pytest.mark.db


def test_rows_past_their_retention_are_deleted_and_the_rest_kept(city: Session, db: Engine, clock):
    session = city
    now = clock.now
    unit_id = session.exec(select(Unit.id).where(Unit.code == "330106012")).one()
    user = EnterpriseUser(provider="wechat", subject="o-test", created_at=now, last_login_at=now)
    session.add(user)
    session.flush()
    for age, suffix in ((timedelta(hours=25), "old"), (timedelta(hours=23), "new")):
        session.add(IdempotencyRecord(caller="k", key=suffix, fingerprint="f", response_status=201,
                                      response_body={}, created_at=now - age))
    for expired, suffix in ((timedelta(days=31), "old"), (timedelta(days=29), "new")):
        session.add(AuthSession(enterprise_user_id=user.id, access_jti=f"a-{suffix}", refresh_jti=f"r-{suffix}",  # type: ignore[arg-type]
                                created_at=now - expired, refreshed_at=now - expired, expires_at=now - expired))
    today = now.date()
    for day in (today - timedelta(days=8), today - timedelta(days=6), today):
        session.add(UsageCounter(scope="appeal_create", subject="u", day=day, count=1))
    for age, suffix in ((timedelta(days=8), "old"), (timedelta(days=1), "new")):
        session.add(ChatbotMessage(msg_id=f"msg-{suffix}", created_at=now - age))
    for expired, suffix in ((timedelta(days=2), "old"), (timedelta(hours=1), "new")):
        session.add(PageLinkToken(jti=f"tok-{suffix}", appeal_number="ZQ2026-000001", unit_id=unit_id,
                                  used_at=now - expired - timedelta(days=1), expires_at=now - expired))
    session.commit()

    deleted = housekeeping.purge(db, now=now)

    assert deleted == {"idempotency_record": 1, "auth_session": 1, "usage_counter": 1, "chatbot_message": 1,
                       "page_session": 0, "page_link_token": 1}
    assert session.exec(select(IdempotencyRecord.key)).all() == ["new"]
    assert session.exec(select(AuthSession.access_jti)).all() == ["a-new"]
    assert sorted(session.exec(select(UsageCounter.day)).all()) == [today - timedelta(days=6), today]
    assert session.exec(select(ChatbotMessage.msg_id)).all() == ["msg-new"]
    assert session.exec(select(PageLinkToken.jti)).all() == ["tok-new"]
    session.rollback()  # end the reads (SQLite: one writer at a time)
    assert housekeeping.purge(db, now=now) == dict.fromkeys(deleted, 0)  # nothing left to do: idempotent


def test_usage_counters_are_cut_by_the_shanghai_calendar_day(clock):
    rule = next(r for r in housekeeping.RULES if r.table == "usage_counter")
    # 2026-03-01 17:00 UTC is already 2026-03-02 in Shanghai: seven days back is 02-23, not 02-22.
    assert housekeeping.cutoff(rule, clock.now.replace(day=1, hour=17)) == date(2026, 2, 23)


def test_the_worker_runs_it():
    assert "housekeeping" in [job.name for job in registered_jobs()]
