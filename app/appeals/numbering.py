"""Human appeal numbers ZQ<year>-<seq>: unique, sortable, gap-tolerant under concurrency.

PostgreSQL: a sequence (never blocks concurrent intakes; a rolled-back intake leaves a gap, which is fine).
SQLite: a per-year counter row; writers are serialised there anyway.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from app.appeals.models import AppealNumberCounter
from app.core.time import to_shanghai
from app.db import is_postgres

PREFIX = "ZQ"
SEQUENCE_NAME = "appeal_number_seq"


_NEXTVAL = sa.select(sa.func.nextval(SEQUENCE_NAME))
_NUMBER = re.compile(rf"^{PREFIX}\d{{4}}-\d{{6,}}$")


def looks_like_number(text: str) -> bool:
    """An appeal number such as ZQ2026-000123 (searched by number, not inside titles)."""
    return bool(_NUMBER.match(text.strip().upper()))


def format_number(year: int, seq: int) -> str:
    return f"{PREFIX}{year}-{seq:06d}"


def next_number(session: Session, *, now: datetime) -> str:
    year = to_shanghai(now).year
    if is_postgres(session):
        seq = session.connection().execute(_NEXTVAL).scalar_one()
        return format_number(year, int(seq))
    updated = session.execute(
        sa.update(AppealNumberCounter)
        .where(AppealNumberCounter.year == year)  # type: ignore[arg-type]
        .values(last_value=AppealNumberCounter.last_value + 1)  # type: ignore[operator]
        .returning(AppealNumberCounter.last_value)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if updated is None:
        session.add(AppealNumberCounter(year=year, last_value=1))
        session.flush()
        updated = 1
    return format_number(year, int(updated))
