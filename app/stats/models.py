"""Storage for the statistics: a daily rollup kept up to date incrementally, and indexes on `appeal`.

- `appeal_stats_day`: per (Asia/Shanghai filing day, street) the stored counts of app.stats.figures.Counts and the
  distribution by urgency, category, tier and status. A summary over whole days reads a few thousand of these rows
  instead of aggregating every appeal (DESIGN §10: 1M appeals in ≤ 500 ms).
- `appeal_stats_dirty`: (day, street) buckets whose appeals changed since the rollup last caught up. Database
  triggers on `appeal` (migration 0005) append to it on every INSERT, UPDATE and DELETE, whatever code path wrote:
  the ORM, a Core UPDATE of the sweeper, COPY. Append-only, no unique key: writers never wait on each other.
  app/stats/rollup.py consumes it and recomputes those buckets from `appeal`.
- Indexes on `appeal`: `(created_at)` and `(street_unit_id, created_at)` for periods that are not whole days (and the
  export); `(created_at) WHERE responded_at IS NULL` for the live "first response overdue" count.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.appeals.models import Appeal
from app.enums import Category, Status, Tier, Urgency
from app.stats.figures import STORED_MEASURES

# Distribution columns: urgency_red … status_merged (an unknown future code is simply not distributed).
DIMENSION_COLUMNS: dict[str, tuple[str, str]] = {
    f"{dim}_{code.value}": (dim, code.value)
    for dim, codes in (("urgency", Urgency), ("category", Category), ("tier", Tier), ("status", Status))
    for code in codes
}

appeal_stats_day = sa.Table(
    "appeal_stats_day",
    SQLModel.metadata,
    sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),  # local days since 1970-01-01
    sa.Column("street_unit_id", sa.Integer, primary_key=True, autoincrement=False),
    *[sa.Column(name, sa.Integer, nullable=False) for name in (*STORED_MEASURES, *DIMENSION_COLUMNS)],
)

appeal_stats_dirty = sa.Table(
    "appeal_stats_dirty",
    SQLModel.metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("day", sa.Integer, nullable=False),
    sa.Column("street_unit_id", sa.Integer, nullable=False),
)

_appeal = Appeal.__table__  # type: ignore[attr-defined]

IX_APPEAL_CREATED_AT = sa.Index("ix_appeal_created_at", _appeal.c.created_at)
IX_APPEAL_STREET_CREATED_AT = sa.Index(
    "ix_appeal_street_unit_id_created_at", _appeal.c.street_unit_id, _appeal.c.created_at
)
IX_APPEAL_UNANSWERED = sa.Index(
    "ix_appeal_unanswered_created_at",
    _appeal.c.created_at,
    postgresql_where=_appeal.c.responded_at.is_(None),
    sqlite_where=_appeal.c.responded_at.is_(None),
)
