"""The `zhuqi` command line, run as a real process on a fresh SQLite file (and in-process where it only wires)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

SECRET = "cli-test-secret-" + "k" * 32
USCC = "91330105MA2CF0002A"  # a demo enterprise (杭州湖墅精密机械有限公司)


def _zhuqi(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHUQI_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "ZHUQI_ENV": "dev",
           "ZHUQI_SECRET_KEY": SECRET, **env}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_seed_then_apikey_prints_key_alone_on_last_line_and_no_alembic_chatter(tmp_path):
    seeded = _zhuqi(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    again = _zhuqi(tmp_path, "seed-demo")
    assert "skipped" in again.stdout
    created = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "330100")
    assert created.returncode == 0, created.stderr
    last = created.stdout.strip().splitlines()[-1]
    assert last.startswith("zq_") and " " not in last and len(last) > 30
    assert created.stderr == ""  # Alembic's "Context impl …"/"Will assume transactional DDL" lines are gone


def test_apikey_for_unknown_unit_or_wrong_tier_fails_cleanly(tmp_path):
    assert _zhuqi(tmp_path, "seed-demo").returncode == 0
    missing = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "999999")
    assert missing.returncode == 2 and "999999" in missing.stderr and "Traceback" not in missing.stderr
    wrong = _zhuqi(tmp_path, "apikey", "create", "--role", "city_admin", "--unit", "330106012")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_apikey_list_and_revoke(tmp_path):
    from app.auth.service import authenticate_api_key
    from app.db import make_engine, session_for
    from app.errors import Unauthenticated

    assert _zhuqi(tmp_path, "seed-demo").returncode == 0
    token = _zhuqi(tmp_path, "apikey", "create", "--role", "liaison", "--unit", "330106012", "--name",
                   "西溪 联络员").stdout.split()[-1]
    listed = _zhuqi(tmp_path, "apikey", "list").stdout.splitlines()
    assert len(listed) == 2 and "西溪 联络员" in listed[1] and "330106012" in listed[1] and token[:10] in listed[1]
    assert token not in "\n".join(listed)  # the key itself is never shown again
    key_id = listed[1].split()[0]

    revoked = _zhuqi(tmp_path, "apikey", "revoke", key_id)
    assert revoked.returncode == 0 and f"revoked API key #{key_id}" in revoked.stdout, revoked.stderr
    assert "already revoked" in _zhuqi(tmp_path, "apikey", "revoke", key_id).stdout
    assert _zhuqi(tmp_path, "apikey", "list").stdout.splitlines()[1].split()[6] != "-"  # revoked at …
    unknown = _zhuqi(tmp_path, "apikey", "revoke", "999")
    assert unknown.returncode == 2 and "999" in unknown.stderr and "Traceback" not in unknown.stderr

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with session_for(engine) as session, pytest.raises(Unauthenticated):
        authenticate_api_key(session, token)
    engine.dispose()


def test_token_create_gives_an_enterprise_user_bound_to_the_enterprise(tmp_path):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    assert _zhuqi(tmp_path, "seed-demo").returncode == 0
    made = _zhuqi(tmp_path, "token", "create", "--enterprise", USCC.lower())
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert "\n" not in token and " " not in token
    again = _zhuqi(tmp_path, "token", "create", "--enterprise", USCC)  # same user, signed in again
    assert again.returncode == 0, again.stderr

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", env="test", secret_key=SECRET,
                        attachments_dir=str(tmp_path / "files"))
    with TestClient(create_app(settings)) as client:
        for bearer in (token, again.stdout.strip()):
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
            assert me.status_code == 200, me.text
            assert me.json()["bound"] and me.json()["enterprise"]["uscc"] == USCC
        assert me.json()["id"] == client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["id"]

    unknown = _zhuqi(tmp_path, "token", "create", "--enterprise", "91330105MA2CF9999X")
    assert unknown.returncode == 2 and "91330105MA2CF9999X" in unknown.stderr and "Traceback" not in unknown.stderr


def test_token_create_and_misconfiguration_in_prod_are_one_line_refusals(tmp_path):
    refused = _zhuqi(tmp_path, "token", "create", "--enterprise", USCC, ZHUQI_ENV="prod", ZHUQI_METRICS_TOKEN="m" * 32)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "prod" in refused.stderr and "生产环境" in refused.stderr

    no_secret = _zhuqi(tmp_path, "serve", ZHUQI_ENV="prod", ZHUQI_SECRET_KEY="", ZHUQI_METRICS_TOKEN="m" * 32)
    assert no_secret.returncode == 2
    assert no_secret.stderr.count("\n") == 1 and "Traceback" not in no_secret.stderr, no_secret.stderr
    assert "配置错误" in no_secret.stderr and "ZHUQI_SECRET_KEY" in no_secret.stderr
    assert not (tmp_path / "cli.db").exists()  # refused before touching the database

    bad_number = _zhuqi(tmp_path, "worker", ZHUQI_SWEEP_INTERVAL_SECONDS="soon")
    assert bad_number.returncode == 2 and bad_number.stderr.count("\n") == 1
    assert "ZHUQI_SWEEP_INTERVAL_SECONDS" in bad_number.stderr


def _walk(parser: argparse.ArgumentParser, name: str = "zhuqi"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _walk(sub, f"{name} {sub_name}")
        else:
            yield name, action


def test_every_option_has_help_and_shows_its_default():
    from app.cli import build_parser

    options = list(_walk(build_parser()))
    assert len(options) > 15
    for command, action in options:
        assert action.help, f"{command} {action.dest}: no help text"
    serve_help = " ".join(build_parser()._subparsers._group_actions[0].choices["serve"].format_help().split())
    assert "(default: 8000)" in serve_help and "(default: 127.0.0.1)" in serve_help
    assert "default: None" not in serve_help


@pytest.mark.parametrize(("env", "explicit", "expected"), [
    ("dev", None, "http://127.0.0.1:8011"),
    ("dev", "https://zhuqi.example.gov.cn", "https://zhuqi.example.gov.cn"),
    ("test", None, "http://127.0.0.1:8000"),
])
def test_serve_port_moves_the_default_public_base_url_in_dev(monkeypatch, tmp_path, env, explicit, expected):
    from app import cli
    from app.config import get_settings
    from app.core import serving

    seen = {}
    monkeypatch.setenv("ZHUQI_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("ZHUQI_ENV", env)
    monkeypatch.setenv("ZHUQI_RUN_WORKERS_IN_PROCESS", "false")
    monkeypatch.setenv("ZHUQI_PUBLIC_BASE_URL", explicit or "restored-after-the-test")
    if explicit is None:
        monkeypatch.delenv("ZHUQI_PUBLIC_BASE_URL")
    # Only the launch of uvicorn is replaced: the test looks at the settings the server would start with.
    monkeypatch.setattr(serving, "run", lambda *a, **k: seen.setdefault("url", get_settings().public_base_url))
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8011" if env == "dev" else "8000"]) == 0
    finally:
        get_settings.cache_clear()
    assert seen["url"] == expected


@pytest.mark.parametrize(("workers", "in_process", "beside", "servers_run_it"), [
    (1, None, False, "true"),     # one process: the worker runs inside it (the app's lifespan)
    (3, None, True, "false"),     # N processes: one worker, in the supervisor; the servers run none
    (3, "false", False, "false"),  # the operator runs `zhuqi worker`: nobody else does
])
def test_serve_runs_one_background_worker_whatever_the_process_count(monkeypatch, tmp_path, workers, in_process,
                                                                      beside, servers_run_it):
    from app import cli, worker
    from app.config import get_settings
    from app.core import serving

    seen = {}
    monkeypatch.setenv("ZHUQI_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("ZHUQI_ENV", "test")
    monkeypatch.setenv("ZHUQI_RUN_WORKERS_IN_PROCESS", in_process or "restored-after-the-test")
    if in_process is None:
        monkeypatch.delenv("ZHUQI_RUN_WORKERS_IN_PROCESS")
    monkeypatch.setattr(worker, "start_beside", lambda settings: seen.setdefault("started", settings))

    def launch(*_: object, **kwargs: object) -> None:  # what uvicorn would be given, and what its processes inherit
        seen.update(kwargs, servers=os.environ["ZHUQI_RUN_WORKERS_IN_PROCESS"])
        if kwargs["beside"] is not None:
            kwargs["beside"]()  # type: ignore[operator]

    monkeypatch.setattr(serving, "run", launch)
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--workers", str(workers)]) == 0
    finally:
        get_settings.cache_clear()
    assert seen["workers"] == workers and seen["servers"] == servers_run_it
    assert ("started" in seen) is beside
