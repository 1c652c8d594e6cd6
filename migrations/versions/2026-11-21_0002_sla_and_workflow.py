"""sla policies, calendar overrides, workflow steps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:58:14.911309
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_override',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_override'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('sla_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('durations', sa.JSON(), nullable=False),
    sa.Column('rating_window_days', sa.Integer(), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policy')),
    sa.UniqueConstraint('urgency', 'version', name='uq_sla_policy_urgency_version')
    )
    op.create_table('appeal_cohandler',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('added_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_cohandler_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_appeal_cohandler_unit_id_unit')),
    sa.PrimaryKeyConstraint('appeal_id', 'unit_id', name=op.f('pk_appeal_cohandler'))
    )
    op.create_table('appeal_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('done_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_step_appeal_id_appeal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_step')),
    sa.UniqueConstraint('appeal_id', 'key', name='uq_appeal_step_appeal_id_key')
    )
    op.create_table('extension_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_extension_request_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_extension_request_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_request'))
    )
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.create_index('ix_extension_request_appeal_id_status', ['appeal_id', 'status'], unique=False)

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_resolve_by', app.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolve_started_at', app.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supervised_at', app.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_appeal_next_due_at', ['next_due_at'], unique=False, postgresql_where=sa.text('next_due_at IS NOT NULL'), sqlite_where=sa.text('next_due_at IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_next_due_at', postgresql_where=sa.text('next_due_at IS NOT NULL'), sqlite_where=sa.text('next_due_at IS NOT NULL'))
        batch_op.drop_column('supervised_at')
        batch_op.drop_column('resolve_started_at')
        batch_op.drop_column('unit_resolve_by')

    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_index('ix_extension_request_appeal_id_status')

    op.drop_table('extension_request')
    op.drop_table('appeal_step')
    op.drop_table('appeal_cohandler')
    op.drop_table('sla_policy')
    op.drop_table('setting')
    op.drop_table('calendar_override')
