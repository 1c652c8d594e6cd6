"""The rollup's triggers are on the appeal table after every migration, on either database.

A batch-mode ALTER on SQLite copies the table and silently loses its triggers (0009 did, 0010 repairs it); this
test fails the day another migration does the same."""

import sqlalchemy as sa

TRIGGERS = {"appeal_stats_insert", "appeal_stats_update", "appeal_stats_delete"}


def test_the_appeal_table_carries_the_statistics_triggers(db):  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        if db.dialect.name == "postgresql":
            names = conn.execute(sa.text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'appeal'::regclass AND NOT tgisinternal")).scalars()
        else:
            names = conn.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'appeal'")).scalars()
        assert TRIGGERS <= set(names)
