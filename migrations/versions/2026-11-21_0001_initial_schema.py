"""initial schema: units, users, api keys, enterprises, appeals

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 08:53:41.011831
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Appeal numbers on PostgreSQL come from a sequence (gap-tolerant, never blocks concurrent intake).
        op.execute("CREATE SEQUENCE IF NOT EXISTS appeal_number_seq")

    op.create_table('appeal_number_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_appeal_number_counter'))
    )
    op.create_table('idempotency_record',
    sa.Column('caller', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('caller', 'key', name=op.f('pk_idempotency_record'))
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_created_at'), ['created_at'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_unit_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_path'), ['path'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dingtalk_userid', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_app_user_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('dingtalk_userid', name=op.f('uq_app_user_dingtalk_userid'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_unit_id'), ['unit_id'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_api_key_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_key_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_key_user_id'), ['user_id'], unique=False)

    op.create_table('enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_mobile', sa.String(length=20), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('liaison_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['liaison_user_id'], ['app_user.id'], name=op.f('fk_enterprise_liaison_user_id_app_user')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['unit.id'], name=op.f('fk_enterprise_street_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprise_uscc'))
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_liaison_user_id'), ['liaison_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_street_unit_id'), ['street_unit_id'], unique=False)

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('production_halted', sa.Boolean(), nullable=False),
    sa.Column('safety_risk', sa.Boolean(), nullable=False),
    sa.Column('wage_arrears', sa.Boolean(), nullable=False),
    sa.Column('employees_affected', sa.Integer(), nullable=True),
    sa.Column('amount_cny', sa.BigInteger(), nullable=True),
    sa.Column('hard_deadline', sa.Date(), nullable=True),
    sa.Column('attachment_ids', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('urgency_reasons', sa.JSON(), nullable=False),
    sa.Column('urgency_overridden', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sla_state', sa.String(length=16), nullable=False),
    sa.Column('liaison_user_id', sa.Integer(), nullable=True),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('routed_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('respond_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('plan_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('feedback_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolve_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('original_respond_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('original_resolve_by', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('responded_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('next_due_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('urges', sa.Integer(), nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('reopens', sa.Integer(), nullable=False),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('resolution_code', sa.String(length=30), nullable=True),
    sa.Column('public_reply', sa.Text(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_appeal_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['liaison_user_id'], ['app_user.id'], name=op.f('fk_appeal_liaison_user_id_app_user')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['appeal.id'], name=op.f('fk_appeal_merged_into_id_appeal')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['unit.id'], name=op.f('fk_appeal_street_unit_id_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_appeal_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal')),
    sa.UniqueConstraint('number', name=op.f('uq_appeal_number'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_enterprise_id_id', ['enterprise_id', 'id'], unique=False)
        batch_op.create_index('ix_appeal_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_appeal_street_unit_id_id', ['street_unit_id', 'id'], unique=False)
        batch_op.create_index('ix_appeal_unit_id_id', ['unit_id', 'id'], unique=False)

    op.create_table('appeal_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('from_unit_code', sa.String(length=32), nullable=True),
    sa.Column('to_unit_code', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_appeal_event_actor_user_id_app_user')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_event_appeal_id_appeal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_event'))
    )
    with op.batch_alter_table('appeal_event', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_event_appeal_id_id', ['appeal_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appeal_event', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_event_appeal_id_id')

    op.drop_table('appeal_event')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_unit_id_id')
        batch_op.drop_index('ix_appeal_street_unit_id_id')
        batch_op.drop_index('ix_appeal_status_id')
        batch_op.drop_index('ix_appeal_enterprise_id_id')

    op.drop_table('appeal')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_street_unit_id'))
        batch_op.drop_index(batch_op.f('ix_enterprise_liaison_user_id'))

    op.drop_table('enterprise')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_key_unit_id'))

    op.drop_table('api_key')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_unit_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_path'))
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))

    op.drop_table('unit')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
    op.drop_table('appeal_number_counter')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS appeal_number_seq")
