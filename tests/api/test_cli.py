"""The `zhuqi` command line, run as a real process on a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys


def _zhuqi(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHUQI_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_seed_then_apikey_prints_key_alone_on_last_line(tmp_path):
    seeded = _zhuqi(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    again = _zhuqi(tmp_path, "seed-demo")
    assert "skipped" in again.stdout
    created = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "330100")
    assert created.returncode == 0, created.stderr
    last = created.stdout.strip().splitlines()[-1]
    assert last.startswith("zq_") and " " not in last and len(last) > 30


def test_apikey_for_unknown_unit_or_wrong_tier_fails_cleanly(tmp_path):
    assert _zhuqi(tmp_path, "seed-demo").returncode == 0
    missing = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "999999")
    assert missing.returncode == 2 and "999999" in missing.stderr and "Traceback" not in missing.stderr
    wrong = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "330106012")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
