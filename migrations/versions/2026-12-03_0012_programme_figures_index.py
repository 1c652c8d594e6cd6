"""programme figures: appeal (enterprise_id, created_at), visit (visited_on, street_unit_id, enterprise_id)

服务企业 (DESIGN §11, docs/statistics.md) asks, for an enterprise in scope not paired in the period, whether it
filed an appeal in the period: with (enterprise_id, created_at) one index probe; with only (enterprise_id, id) every
appeal of the enterprise is read. The visits of the period (and of the last weeks, for the cadence) are read as
index-only range scans of (visited_on, street_unit_id, enterprise_id) instead of the whole visit table
(bench/bench_programme.py: 1M appeals, 500k visits, 20k enterprises).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX: a batch ALTER would copy `appeal` on SQLite and drop its statistics triggers.
    op.create_index('ix_appeal_enterprise_id_created_at', 'appeal', ['enterprise_id', 'created_at'], unique=False)
    op.create_index('ix_visit_visited_on_street_enterprise', 'visit', ['visited_on', 'street_unit_id', 'enterprise_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_visit_visited_on_street_enterprise', table_name='visit')
    op.drop_index('ix_appeal_enterprise_id_created_at', table_name='appeal')
