"""pages: browser sessions (page_session) and used one-time link tokens (page_link_token)

Branches from 0002 on purpose: other features add 0003–0007 concurrently; `zhuqi` upgrades to "heads".

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-21 09:09:57.831610
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0008'
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('page_link_token',
    sa.Column('jti', sa.String(length=32), nullable=False),
    sa.Column('appeal_number', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_page_link_token_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_page_link_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_page_link_token'))
    )
    with op.batch_alter_table('page_link_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_link_token_expires_at'), ['expires_at'], unique=False)

    op.create_table('page_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_page_session_api_key_id_api_key')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_page_session_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_page_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_session'))
    )
    with op.batch_alter_table('page_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_session_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('page_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_page_session_expires_at'))

    op.drop_table('page_session')
    with op.batch_alter_table('page_link_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_link_token_expires_at'))

    op.drop_table('page_link_token')
