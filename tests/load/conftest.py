"""Real `zhuqi serve` processes on PostgreSQL (the crash tests' database and process fixtures)."""

from tests.crash.conftest import crash_db, procs  # noqa: F401
