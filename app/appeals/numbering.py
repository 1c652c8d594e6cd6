"""Human appeal numbers ZQ<year>-<seq>: unique, sortable, gap-tolerant under concurrency.

PostgreSQL: a sequence (never blocks concurrent intakes; a rolled-back intake leaves a gap, which is fine), read
by the appeal's own INSERT: `next_number` returns an SQL expression that `app.db.insert_row` writes and returns
(one round trip fewer per intake than a separate `nextval`; issue 20).
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


# Per year, one expression object: insert_row caches its statement by the expression's identity.
_NUMBER_EXPRESSIONS: dict[int, sa.ColumnElement[str]] = {}
_NUMBER = re.compile(rf"^{PREFIX}\d{{4}}-\d{{6,}}$")


def looks_like_number(text: str) -> bool:
    """An appeal number such as ZQ2026-000123 (searched by number, not inside titles)."""
    return bool(_NUMBER.match(text.strip().upper()))


def format_number(year: int, seq: int) -> str:
    return f"{PREFIX}{year}-{seq:06d}"


def number_expression(year: int) -> sa.ColumnElement[str]:
    """The number as PostgreSQL computes it: format_number's format (at least six digits, never truncated)."""
    expression = _NUMBER_EXPRESSIONS.get(year)
    if expression is None:
        expression = _NUMBER_EXPRESSIONS.setdefault(year, sa.literal_column(
            f"'{PREFIX}{int(year):04d}-' || (SELECT lpad(v::text, greatest(6, length(v::text)), '0') "
            f"FROM nextval('{SEQUENCE_NAME}') AS v)", sa.String))
    return expression


def next_number(session: Session, *, now: datetime) -> str | sa.ColumnElement[str]:
    """The next number: on PostgreSQL an expression for the appeal's INSERT (the number is set on the row when
    the INSERT returns), on SQLite the number itself."""
    year = to_shanghai(now).year
    if is_postgres(session):
        return number_expression(year)
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
