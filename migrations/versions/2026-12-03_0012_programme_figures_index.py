"""programme figures: appeal (enterprise_id, created_at)

服务企业 (DESIGN §11, docs/statistics.md) asks, for each enterprise in scope, whether it filed an appeal in the
period. With (enterprise_id, created_at) that is one index probe per enterprise (20k enterprises, 1M appeals:
bench/bench_programme.py); with only (enterprise_id, id) every appeal of the enterprise is read. The other probes
have their indexes already: pairing (enterprise_id, started_at) and visit (enterprise_id, visited_on), 0009.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX: a batch ALTER would copy `appeal` on SQLite and drop its statistics triggers.
    op.create_index('ix_appeal_enterprise_id_created_at', 'appeal', ['enterprise_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_appeal_enterprise_id_created_at', table_name='appeal')
