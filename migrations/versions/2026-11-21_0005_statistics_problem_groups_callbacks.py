"""statistics indexes, problem groups, phone callbacks

Tables problem_group, problem_group_appeal and callback_task; indexes on appeal for the statistics
(period over the whole city: created_at; within a district or street: street_unit_id, created_at).

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-21 09:03:03.221615
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0005'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('problem_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('resolution_code', sa.String(length=30), nullable=True),
    sa.Column('public_reply', sa.Text(), nullable=True),
    sa.Column('resolved_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_problem_group_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_group'))
    )
    with op.batch_alter_table('problem_group', schema=None) as batch_op:
        batch_op.create_index('ix_problem_group_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_problem_group_unit_id'), ['unit_id'], unique=False)

    op.create_table('callback_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_on', sa.Date(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('needs_redo', sa.Boolean(), nullable=False),
    sa.Column('closed_reason', sa.String(length=100), nullable=True),
    sa.Column('last_attempt_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_caller', sa.String(length=100), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_callback_task_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_callback_task_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_task')),
    sa.UniqueConstraint('appeal_id', 'round', name=op.f('uq_callback_task_appeal_id_round'))
    )
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.create_index('ix_callback_task_unit_id_status_next_try_on', ['unit_id', 'status', 'next_try_on'], unique=False)

    op.create_table('problem_group_appeal',
    sa.Column('appeal_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=100), nullable=False),
    sa.Column('linked_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_problem_group_appeal_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['group_id'], ['problem_group.id'], name=op.f('fk_problem_group_appeal_group_id_problem_group')),
    sa.PrimaryKeyConstraint('appeal_id', name=op.f('pk_problem_group_appeal'))
    )
    with op.batch_alter_table('problem_group_appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_group_appeal_group_id'), ['group_id'], unique=False)

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_appeal_street_unit_id_created_at', ['street_unit_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_street_unit_id_created_at')
        batch_op.drop_index('ix_appeal_created_at')

    with op.batch_alter_table('problem_group_appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_group_appeal_group_id'))

    op.drop_table('problem_group_appeal')
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_task_unit_id_status_next_try_on')

    op.drop_table('callback_task')
    with op.batch_alter_table('problem_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_group_unit_id'))
        batch_op.drop_index('ix_problem_group_kind_id')

    op.drop_table('problem_group')
