"""enterprise accounts and attachments: mini-program users, sign-in sessions, invitations, binding requests,
daily usage counters, attachments and their appeal links

Only new tables, so it can be re-chained after 0002/0003 freely.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21 09:01:35.089981
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0004'
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('usage_counter',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'subject', 'day', name=op.f('pk_usage_counter'))
    )
    op.create_table('enterprise_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('unionid', sa.String(length=128), nullable=True),
    sa.Column('session_key', sa.String(length=128), nullable=True),
    sa.Column('display_name', sa.String(length=50), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('bound_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_user_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_user')),
    sa.UniqueConstraint('provider', 'subject', name=op.f('uq_enterprise_user_provider_subject'))
    )
    with op.batch_alter_table('enterprise_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_user_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_user_unionid'), ['unionid'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('original_name', sa.String(length=120), nullable=False),
    sa.Column('uploader', sa.String(length=80), nullable=False),
    sa.Column('owner_enterprise_id', sa.Integer(), nullable=True),
    sa.Column('owner_enterprise_user_id', sa.Integer(), nullable=True),
    sa.Column('uploader_user_id', sa.Integer(), nullable=True),
    sa.Column('uploader_unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_enterprise_id'], ['enterprise.id'], name=op.f('fk_attachment_owner_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['owner_enterprise_user_id'], ['enterprise_user.id'], name=op.f('fk_attachment_owner_enterprise_user_id_enterprise_user')),
    sa.ForeignKeyConstraint(['uploader_unit_id'], ['unit.id'], name=op.f('fk_attachment_uploader_unit_id_unit')),
    sa.ForeignKeyConstraint(['uploader_user_id'], ['app_user.id'], name=op.f('fk_attachment_uploader_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_owner_enterprise_id'), ['owner_enterprise_id'], unique=False)
        batch_op.create_index('ix_attachment_uploader_sha256', ['uploader', 'sha256'], unique=False)

    op.create_table('auth_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_user_id', sa.Integer(), nullable=False),
    sa.Column('access_jti', sa.String(length=64), nullable=False),
    sa.Column('refresh_jti', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_user_id'], ['enterprise_user.id'], name=op.f('fk_auth_session_enterprise_user_id_enterprise_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_session')),
    sa.UniqueConstraint('access_jti', name=op.f('uq_auth_session_access_jti')),
    sa.UniqueConstraint('refresh_jti', name=op.f('uq_auth_session_refresh_jti'))
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_session_enterprise_user_id'), ['enterprise_user_id'], unique=False)

    op.create_table('binding_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_user_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applicant_name', sa.String(length=50), nullable=True),
    sa.Column('applicant_mobile', sa.String(length=20), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['app_user.id'], name=op.f('fk_binding_request_decided_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_binding_request_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['enterprise_user_id'], ['enterprise_user.id'], name=op.f('fk_binding_request_enterprise_user_id_enterprise_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_binding_request'))
    )
    with op.batch_alter_table('binding_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_binding_request_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_binding_request_enterprise_user_id'), ['enterprise_user_id'], unique=False)
        batch_op.create_index('ix_binding_request_status_id', ['status', 'id'], unique=False)

    op.create_table('enterprise_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('used_by_enterprise_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id'], name=op.f('fk_enterprise_invitation_created_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_invitation_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['used_by_enterprise_user_id'], ['enterprise_user.id'], name=op.f('fk_enterprise_invitation_used_by_enterprise_user_id_enterprise_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_invitation')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_enterprise_invitation_code_hash'))
    )
    with op.batch_alter_table('enterprise_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_invitation_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('appeal_attachment',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_attachment_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_appeal_attachment_attachment_id_attachment')),
    sa.PrimaryKeyConstraint('appeal_id', 'attachment_id', name=op.f('pk_appeal_attachment'))
    )
    with op.batch_alter_table('appeal_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_attachment_attachment_id'), ['attachment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appeal_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_attachment_attachment_id'))

    op.drop_table('appeal_attachment')
    with op.batch_alter_table('enterprise_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_invitation_enterprise_id'))

    op.drop_table('enterprise_invitation')
    with op.batch_alter_table('binding_request', schema=None) as batch_op:
        batch_op.drop_index('ix_binding_request_status_id')
        batch_op.drop_index(batch_op.f('ix_binding_request_enterprise_user_id'))
        batch_op.drop_index(batch_op.f('ix_binding_request_enterprise_id'))

    op.drop_table('binding_request')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_enterprise_user_id'))

    op.drop_table('auth_session')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_uploader_sha256')
        batch_op.drop_index(batch_op.f('ix_attachment_owner_enterprise_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('enterprise_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_user_unionid'))
        batch_op.drop_index(batch_op.f('ix_enterprise_user_enterprise_id'))

    op.drop_table('enterprise_user')
    op.drop_table('usage_counter')
