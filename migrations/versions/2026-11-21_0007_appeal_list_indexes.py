"""appeal list: index for the category + urgency filter

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-21 11:05:00

Measured by bench/bench_reads.py over 1M appeals: a street admin filtering by category and urgency (street 3% of
appeals x urgency 12% x category 10%) walked the primary key backwards through ~140k rows (84 ms in PostgreSQL);
with (category, urgency, id) it walks only the matching rows, newest first (4.7 ms), and the city-wide filter goes
from 1.2 ms to 0.3 ms. The other list filters stay on the primary key, status or unit indexes (EXPLAIN in
bench/RESULTS.md). down_revision is 0002 on this branch; the integrator re-chains it after the other branches'
revisions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX: no batch table copy on SQLite, which would drop the statistics triggers on `appeal`.
    op.create_index('ix_appeal_category_urgency_id', 'appeal', ['category', 'urgency', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_appeal_category_urgency_id', table_name='appeal')
