"""Indexes that keep the statistics cheap. The statistics own no table: they aggregate `appeal` in SQL.

Declared here (not in app/appeals/models.py) because they exist for the statistics' access paths:
- `(created_at)`: a period over the whole city (the root scope has no unit filter);
- `(street_unit_id, created_at)`: a period within a district or street (属地 scope: `street_unit_id IN (…)`).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.appeals.models import Appeal

_appeal = Appeal.__table__  # type: ignore[attr-defined]

IX_APPEAL_CREATED_AT = sa.Index("ix_appeal_created_at", _appeal.c.created_at)
IX_APPEAL_STREET_CREATED_AT = sa.Index(
    "ix_appeal_street_unit_id_created_at", _appeal.c.street_unit_id, _appeal.c.created_at
)
