"""recreate the statistics triggers on SQLite after 0009

0009 adds appeal.visit_id with a foreign key in batch mode; on SQLite that copies the appeal table, and the copy
has none of the triggers 0005 put on it, so the rollup stopped hearing about new and changed appeals. This revision
puts the same triggers back (dropping any that survived, so it is safe on any SQLite file at 0009) and marks every
day dirty so the rollup is rebuilt from the appeals. PostgreSQL's ALTER TABLE kept its triggers: nothing to do there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("appeal_stats_insert", "appeal_stats_update", "appeal_stats_delete")


def _revision_0005():  # type: ignore[no-untyped-def]
    # The trigger SQL lives in 0005, once; migration files are not a package, so load it by path.
    path = next(Path(__file__).parent.glob("*_0005_*.py"))
    spec = spec_from_file_location("zhuqi_migration_0005", path)
    assert spec and spec.loader
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    r0005 = _revision_0005()
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in r0005._sqlite_triggers():
        op.execute(statement)
    day = r0005.SQLITE_DAY.format(row="appeal")
    op.execute(f"INSERT INTO appeal_stats_dirty (day, street_unit_id) SELECT DISTINCT {day}, street_unit_id FROM appeal")


def downgrade() -> None:
    # 0009's downgrade copies appeal again on SQLite; the triggers it leaves behind are 0009's business.
    pass
