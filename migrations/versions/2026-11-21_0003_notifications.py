"""notifications: channels, outbox, send log, admin alerts

Branches from 0001 (0002 is on main); `zhuqi migrate` upgrades to "heads", and the integrator re-chains.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21 09:01:46.570511
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0003'
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=300), nullable=True),
    sa.Column('keyword', sa.String(length=20), nullable=True),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('min_urgency', sa.String(length=10), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('per_minute_budget', sa.Integer(), nullable=False),
    sa.Column('monthly_quota', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('broken_reason', sa.String(length=500), nullable=True),
    sa.Column('blocked_until', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('month_key', sa.String(length=7), nullable=True),
    sa.Column('month_sends', sa.Integer(), nullable=False),
    sa.Column('quota_alert_month', sa.String(length=7), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_channel_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel'))
    )
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_unit_id'), ['unit_id'], unique=False)

    op.create_table('admin_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_admin_alert_channel_id_channel')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_admin_alert_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_alert'))
    )
    with op.batch_alter_table('admin_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_alert_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_admin_alert_unit_id_id', ['unit_id', 'id'], unique=False)

    op.create_table('channel_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_channel_send_channel_id_channel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_send'))
    )
    with op.batch_alter_table('channel_send', schema=None) as batch_op:
        batch_op.create_index('ix_channel_send_channel_id_sent_at', ['channel_id', 'sent_at'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=True),
    sa.Column('event_type', sa.String(length=30), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('digest_hold', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=80), nullable=True),
    sa.Column('lease_until', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('coalesced_into', sa.String(length=40), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_outbox_message_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_outbox_message_channel_id_channel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index('ix_outbox_message_channel_id_status', ['channel_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_message_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_outbox_message_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_due', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_outbox_message_created_at_id')
        batch_op.drop_index('ix_outbox_message_channel_id_status')
        batch_op.drop_index(batch_op.f('ix_outbox_message_appeal_id'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('channel_send', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_send_channel_id_sent_at')

    op.drop_table('channel_send')
    with op.batch_alter_table('admin_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_alert_unit_id_id')
        batch_op.drop_index(batch_op.f('ix_admin_alert_channel_id'))

    op.drop_table('admin_alert')
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_unit_id'))

    op.drop_table('channel')
