"""statistics rollup and indexes, problem groups, phone callbacks

Tables problem_group, problem_group_appeal and callback_task. For the statistics: the daily rollup
appeal_stats_day, its change log appeal_stats_dirty filled by triggers on appeal (every INSERT, UPDATE of a column the
figures read, and DELETE, from any code path), and indexes on appeal (created_at; street_unit_id, created_at; the
unanswered ones). Existing appeals are queued so the first statistics request builds the rollup.

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
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The Asia/Shanghai (fixed UTC+8) filing day of an appeal, as app.stats.queries.local_day compiles it.
PG_DAY = "CAST(floor((date_part('epoch', {row}.created_at) + 28800) / 86400) AS integer)"
SQLITE_DAY = "CAST(julianday({row}.created_at, '+8 hours') - 2440587.5 AS INTEGER)"
# The columns the figures read: an UPDATE that changes none of them leaves the rollup alone.
STAT_COLUMNS = ("created_at", "street_unit_id", "tier", "category", "urgency", "status", "responded_at",
                "resolved_at", "original_respond_by", "original_resolve_by", "rating", "reopens", "returns",
                "escalations")


def _postgresql_triggers() -> list[str]:
    new_day, old_day = PG_DAY.format(row="n"), PG_DAY.format(row="o")
    changed = (f"({', '.join('o.' + c for c in STAT_COLUMNS)}) IS DISTINCT FROM "
               f"({', '.join('n.' + c for c in STAT_COLUMNS)})")
    moved = "(o.created_at, o.street_unit_id) IS DISTINCT FROM (n.created_at, n.street_unit_id)"
    function = f"""
CREATE FUNCTION appeal_stats_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO appeal_stats_dirty (day, street_unit_id)
        SELECT DISTINCT {new_day}, n.street_unit_id FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO appeal_stats_dirty (day, street_unit_id)
        SELECT DISTINCT {old_day}, o.street_unit_id FROM old_rows o;
    ELSE
        INSERT INTO appeal_stats_dirty (day, street_unit_id)
        SELECT DISTINCT d.day, d.street_unit_id FROM (
            SELECT {new_day} AS day, n.street_unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}
            UNION ALL
            SELECT {old_day}, o.street_unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {moved}
        ) d;
    END IF;
    RETURN NULL;
END
$$"""
    each = "FOR EACH STATEMENT EXECUTE FUNCTION appeal_stats_mark_dirty()"
    return [
        function,
        f"CREATE TRIGGER appeal_stats_insert AFTER INSERT ON appeal REFERENCING NEW TABLE AS new_rows {each}",
        ("CREATE TRIGGER appeal_stats_update AFTER UPDATE ON appeal "
         f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {each}"),
        f"CREATE TRIGGER appeal_stats_delete AFTER DELETE ON appeal REFERENCING OLD TABLE AS old_rows {each}",
    ]


def _sqlite_triggers() -> list[str]:
    insert = "INSERT INTO appeal_stats_dirty (day, street_unit_id)"
    new_day, old_day = SQLITE_DAY.format(row="NEW"), SQLITE_DAY.format(row="OLD")
    return [
        (f"CREATE TRIGGER appeal_stats_insert AFTER INSERT ON appeal BEGIN "
         f"{insert} VALUES ({new_day}, NEW.street_unit_id); END"),
        (f"CREATE TRIGGER appeal_stats_update AFTER UPDATE OF {', '.join(STAT_COLUMNS)} ON appeal BEGIN "
         f"{insert} VALUES ({new_day}, NEW.street_unit_id); "
         f"{insert} SELECT {old_day}, OLD.street_unit_id "
         "WHERE OLD.created_at IS NOT NEW.created_at OR OLD.street_unit_id IS NOT NEW.street_unit_id; END"),
        (f"CREATE TRIGGER appeal_stats_delete AFTER DELETE ON appeal BEGIN "
         f"{insert} VALUES ({old_day}, OLD.street_unit_id); END"),
    ]


def upgrade() -> None:
    op.create_table('appeal_stats_day',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('street_unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('collected', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('responded_on_time', sa.Integer(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('redone', sa.Integer(), nullable=False),
    sa.Column('ever_resolved', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('first_tier', sa.Integer(), nullable=False),
    sa.Column('within_two_months', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('urgency_red', sa.Integer(), nullable=False),
    sa.Column('urgency_yellow', sa.Integer(), nullable=False),
    sa.Column('urgency_green', sa.Integer(), nullable=False),
    sa.Column('category_funding', sa.Integer(), nullable=False),
    sa.Column('category_land', sa.Integer(), nullable=False),
    sa.Column('category_labour', sa.Integer(), nullable=False),
    sa.Column('category_talent', sa.Integer(), nullable=False),
    sa.Column('category_energy', sa.Integer(), nullable=False),
    sa.Column('category_approval', sa.Integer(), nullable=False),
    sa.Column('category_market', sa.Integer(), nullable=False),
    sa.Column('category_supply_chain', sa.Integer(), nullable=False),
    sa.Column('category_policy', sa.Integer(), nullable=False),
    sa.Column('category_other', sa.Integer(), nullable=False),
    sa.Column('tier_street', sa.Integer(), nullable=False),
    sa.Column('tier_district', sa.Integer(), nullable=False),
    sa.Column('tier_city', sa.Integer(), nullable=False),
    sa.Column('status_submitted', sa.Integer(), nullable=False),
    sa.Column('status_in_progress', sa.Integer(), nullable=False),
    sa.Column('status_pending_info', sa.Integer(), nullable=False),
    sa.Column('status_returned', sa.Integer(), nullable=False),
    sa.Column('status_resolved', sa.Integer(), nullable=False),
    sa.Column('status_closed', sa.Integer(), nullable=False),
    sa.Column('status_rejected', sa.Integer(), nullable=False),
    sa.Column('status_withdrawn', sa.Integer(), nullable=False),
    sa.Column('status_merged', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'street_unit_id', name=op.f('pk_appeal_stats_day'))
    )
    op.create_table('appeal_stats_dirty',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_stats_dirty'))
    )
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
        batch_op.create_index('ix_appeal_unanswered_created_at', ['created_at'], unique=False,
                              postgresql_where=sa.text('responded_at IS NULL'),
                              sqlite_where=sa.text('responded_at IS NULL'))

    # Last, after every batch operation on appeal (SQLite batch mode may copy the table, which drops triggers).
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)
    day = (PG_DAY if postgres else SQLITE_DAY).format(row="appeal")
    op.execute(f"INSERT INTO appeal_stats_dirty (day, street_unit_id) SELECT DISTINCT {day}, street_unit_id FROM appeal")



def downgrade() -> None:
    for name in ("appeal_stats_insert", "appeal_stats_update", "appeal_stats_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON appeal" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS appeal_stats_mark_dirty()")
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_unanswered_created_at', postgresql_where=sa.text('responded_at IS NULL'),
                            sqlite_where=sa.text('responded_at IS NULL'))
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
    op.drop_table('appeal_stats_dirty')
    op.drop_table('appeal_stats_day')
