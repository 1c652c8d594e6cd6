"""pairing, buildings, visits, policies and the enterprise facts of DESIGN §11–12

Existing liaison assignments (enterprise.liaison_user_id) become open pairing rows, so the history starts with them.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 23:09:07.744349
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.db  # noqa: F401


revision: str = '0009'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('visit_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('default_days', sa.Integer(), nullable=False),
    sa.Column('by_key_level', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_policy'))
    )
    op.create_table('policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issuer_unit_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('benefit', sa.String(length=16), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('apply_by', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_unit_id'], ['unit.id'], name=op.f('fk_policy_issuer_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy'))
    )
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_issuer_unit_id'), ['issuer_unit_id'], unique=False)

    op.create_table('building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('manager_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['manager_user_id'], ['app_user.id'], name=op.f('fk_building_manager_user_id_app_user')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['unit.id'], name=op.f('fk_building_street_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building'))
    )
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_manager_user_id'), ['manager_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_building_street_unit_id'), ['street_unit_id'], unique=False)

    op.create_table('policy_push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('pushed_by', sa.String(length=100), nullable=False),
    sa.Column('pushed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('new_deliveries', sa.Integer(), nullable=False),
    sa.Column('pushed_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_push_policy_id_policy')),
    sa.ForeignKeyConstraint(['pushed_by_user_id'], ['app_user.id'], name=op.f('fk_policy_push_pushed_by_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_push'))
    )
    with op.batch_alter_table('policy_push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_push_policy_id'), ['policy_id'], unique=False)

    op.create_table('pairing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('started_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('started_by_user_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=100), nullable=True),
    sa.Column('ended_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ended_by_user_id'], ['app_user.id'], name=op.f('fk_pairing_ended_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_pairing_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['started_by_user_id'], ['app_user.id'], name=op.f('fk_pairing_started_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_pairing_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_pairing_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing'))
    )
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index('ix_pairing_enterprise_id_started_at', ['enterprise_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_pairing_user_id_started_at', ['user_id', 'started_at'], unique=False)
        batch_op.create_index('uq_pairing_open_enterprise', ['enterprise_id'], unique=True, postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('visitor_user_id', sa.Integer(), nullable=False),
    sa.Column('visitor_unit_id', sa.Integer(), nullable=False),
    sa.Column('participant_user_ids', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('policy_ids', sa.JSON(), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('revisit_on', sa.Date(), nullable=True),
    sa.Column('revisit_sent_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_visit_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['unit.id'], name=op.f('fk_visit_street_unit_id_unit')),
    sa.ForeignKeyConstraint(['visitor_unit_id'], ['unit.id'], name=op.f('fk_visit_visitor_unit_id_unit')),
    sa.ForeignKeyConstraint(['visitor_user_id'], ['app_user.id'], name=op.f('fk_visit_visitor_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_enterprise_id_visited_on', ['enterprise_id', 'visited_on'], unique=False)
        batch_op.create_index('ix_visit_revisit_on', ['revisit_on'], unique=False, postgresql_where=sa.text('revisit_sent_at IS NULL'), sqlite_where=sa.text('revisit_sent_at IS NULL'))
        batch_op.create_index('ix_visit_street_unit_id_visited_on', ['street_unit_id', 'visited_on'], unique=False)
        batch_op.create_index('ix_visit_visitor_user_id_visited_on', ['visitor_user_id', 'visited_on'], unique=False)

    op.create_table('policy_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('delivered_at', app.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('interest_appeal_id', sa.Integer(), nullable=True),
    sa.Column('interest_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_amount_cny', sa.BigInteger(), nullable=True),
    sa.Column('outcome_note', sa.String(length=500), nullable=True),
    sa.Column('outcome_at', app.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_policy_delivery_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['interest_appeal_id'], ['appeal.id'], name=op.f('fk_policy_delivery_interest_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_delivery_policy_id_policy')),
    sa.ForeignKeyConstraint(['push_id'], ['policy_push.id'], name=op.f('fk_policy_delivery_push_id_policy_push')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['unit.id'], name=op.f('fk_policy_delivery_street_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_delivery')),
    sa.UniqueConstraint('policy_id', 'enterprise_id', name='uq_policy_delivery_policy_id_enterprise_id')
    )
    with op.batch_alter_table('policy_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_policy_delivery_enterprise_id_read_at', ['enterprise_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_delivery_push_id'), ['push_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_delivery_street_unit_id'), ['street_unit_id'], unique=False)

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appeal_visit_id'), ['visit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appeal_visit_id_visit'), 'visit', ['visit_id'], ['id'])

    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('industry', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('scale', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('employees', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_level', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('building_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_enterprise_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_industry'), ['industry'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enterprise_building_id_building'), 'building', ['building_id'], ['id'])

    op.execute(
        "INSERT INTO pairing (enterprise_id, user_id, unit_id, note, started_at, started_by) "
        "SELECT e.id, e.liaison_user_id, u.unit_id, NULL, e.updated_at, '迁移 (原结对)' "
        "FROM enterprise e JOIN app_user u ON u.id = e.liaison_user_id WHERE e.liaison_user_id IS NOT NULL"
    )



def downgrade() -> None:
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enterprise_building_id_building'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enterprise_industry'))
        batch_op.drop_index(batch_op.f('ix_enterprise_building_id'))
        batch_op.drop_column('building_id')
        batch_op.drop_column('key_level')
        batch_op.drop_column('employees')
        batch_op.drop_column('scale')
        batch_op.drop_column('industry')

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appeal_visit_id_visit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appeal_visit_id'))
        batch_op.drop_column('visit_id')

    with op.batch_alter_table('policy_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_delivery_street_unit_id'))
        batch_op.drop_index(batch_op.f('ix_policy_delivery_push_id'))
        batch_op.drop_index('ix_policy_delivery_enterprise_id_read_at')

    op.drop_table('policy_delivery')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_visitor_user_id_visited_on')
        batch_op.drop_index('ix_visit_street_unit_id_visited_on')
        batch_op.drop_index('ix_visit_revisit_on', postgresql_where=sa.text('revisit_sent_at IS NULL'), sqlite_where=sa.text('revisit_sent_at IS NULL'))
        batch_op.drop_index('ix_visit_enterprise_id_visited_on')

    op.drop_table('visit')
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index('uq_pairing_open_enterprise', postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index('ix_pairing_user_id_started_at')
        batch_op.drop_index(batch_op.f('ix_pairing_unit_id'))
        batch_op.drop_index('ix_pairing_enterprise_id_started_at')

    op.drop_table('pairing')
    with op.batch_alter_table('policy_push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_push_policy_id'))

    op.drop_table('policy_push')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_street_unit_id'))
        batch_op.drop_index(batch_op.f('ix_building_manager_user_id'))

    op.drop_table('building')
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_issuer_unit_id'))

    op.drop_table('policy')
    op.drop_table('visit_policy')
