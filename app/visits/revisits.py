"""The 回头看 step (DESIGN §11): on a visit's `revisit_on` day, one reminder to the visitor and to the enterprise's
street group.

The worker's `revisit_job` finds visits whose day has come and whose reminder has not gone out (partial index
`ix_visit_revisit_on`), marks each with a compare-and-set on `revisit_sent_at` and publishes `RevisitDue` in the
same transaction; the notifications side hears it and writes the outbox rows (app.notifications.revisits). So the
reminder and the mark commit together or not at all, and two workers racing send it once: the loser's
compare-and-set changes no row and publishes nothing (and the outbox's dedupe key would refuse a second row).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.core import events, metrics
from app.core.time import SHANGHAI
from app.db import is_postgres, session_for
from app.visits.models import Visit

log = logging.getLogger("app.visits.revisits")
BATCH = 200


@dataclass(frozen=True)
class RevisitDue:
    """A visit's 回头看 day has come. Published once per visit, in the transaction that marks it sent."""

    visit_id: int
    enterprise_id: int
    street_unit_id: int
    visitor_user_id: int
    visitor_unit_id: int
    visited_on: date
    revisit_on: date
    mode: str
    now: datetime


def due_revisits(session: Session, *, now: datetime, limit: int = BATCH) -> int:
    """One batch: marks and publishes the revisits due by today (Asia/Shanghai); returns how many."""
    today = now.astimezone(SHANGHAI).date()
    query = (select(Visit).where(col(Visit.revisit_on) <= today, col(Visit.revisit_sent_at).is_(None))
             .order_by(col(Visit.revisit_on), col(Visit.id)).limit(limit))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    done = 0
    for visit in session.exec(query).all():
        marked = session.execute(sa.update(Visit).where(col(Visit.id) == visit.id, col(Visit.revisit_sent_at).is_(None))
                                 .values(revisit_sent_at=now).execution_options(synchronize_session=False))
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker sent it
        assert visit.id is not None and visit.revisit_on is not None
        events.publish(session, RevisitDue(
            visit_id=visit.id, enterprise_id=visit.enterprise_id, street_unit_id=visit.street_unit_id,
            visitor_user_id=visit.visitor_user_id, visitor_unit_id=visit.visitor_unit_id,
            visited_on=visit.visited_on, revisit_on=visit.revisit_on, mode=visit.mode, now=now))
        done += 1
    session.commit()
    if done:
        metrics.inc("zhuqi_revisit_reminders_total", amount=done, help_text="回头看 reminders published")
    return done


def revisit_job(engine: Engine, settings: Settings, now: datetime) -> int:
    """The worker's job: batches until a round finds nothing (bounded, so it never starves the other jobs)."""
    total = 0
    for _ in range(20):
        with session_for(engine) as session:
            done = due_revisits(session, now=now)
        total += done
        if done < BATCH:
            break
    return total
