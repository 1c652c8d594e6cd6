"""programme speed: appeal (enterprise_id, created_at, resolved_at) replaces (enterprise_id, created_at);
appeal_cohandler (unit_id, appeal_id)

A department's 收集/解决 (DESIGN §11: the appeals of the enterprises its cadres serve) counts, per enterprise, the
period's appeals and the resolved ones: with resolved_at in the index both are index-only probes (231 → 62 ms for
市经信局's year at 1M appeals, bench/RESULTS.md) instead of a scan of the period's appeals joined to the pairings.
The 0012 index is its prefix (the 服务企业 probe uses the new one), so it goes: one index more per intake would
buy nothing.

Who reads an appeal includes the units it was additionally dispatched to (加派, app.appeals.access): the list, read
and timeline ask `appeal_cohandler` by unit, which its primary key (appeal_id, unit_id) cannot answer.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX: a batch ALTER would copy `appeal` on SQLite and drop its statistics triggers.
    op.create_index('ix_appeal_enterprise_id_created_at_resolved_at', 'appeal',
                    ['enterprise_id', 'created_at', 'resolved_at'], unique=False)
    op.drop_index('ix_appeal_enterprise_id_created_at', table_name='appeal')
    op.create_index('ix_appeal_cohandler_unit_id_appeal_id', 'appeal_cohandler', ['unit_id', 'appeal_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_appeal_cohandler_unit_id_appeal_id', table_name='appeal_cohandler')
    op.create_index('ix_appeal_enterprise_id_created_at', 'appeal', ['enterprise_id', 'created_at'], unique=False)
    op.drop_index('ix_appeal_enterprise_id_created_at_resolved_at', table_name='appeal')
