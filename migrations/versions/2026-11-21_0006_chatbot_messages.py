"""chatbot messages: inbound DingTalk robot messages, de-duplicated on msgId

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-21 09:07:00.184621
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0006'
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chatbot_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('msg_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('verb', sa.String(length=20), nullable=True),
    sa.Column('reply', sa.JSON(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_chatbot_message_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chatbot_message')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_chatbot_message_msg_id'))
    )
    with op.batch_alter_table('chatbot_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chatbot_message_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chatbot_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chatbot_message_created_at'))

    op.drop_table('chatbot_message')
