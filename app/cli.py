"""`zhuqi` command line: serve, worker, migrate, seed-demo, apikey create, export-openapi."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from app.config import get_settings
from app.db import make_engine, session_for
from app.deps import system_clock
from app.enums import Role

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def _wait_for_database() -> None:
    """serve and worker: the database may come up after them (docker-compose, a reboot); raises DatabaseUnavailable
    after ZHUQI_DB_WAIT_SECONDS, which main() reports in one line."""
    from app.core import migrate

    settings = get_settings()
    migrate.wait_for_database(settings.database_url, settings.db_wait_seconds)


def _migrate() -> None:
    from app.core import migrate

    engine = make_engine(get_settings().database_url)
    migrate.upgrade(engine)
    engine.dispose()


def _seed_demo() -> bool:
    from app.demo import seed_demo

    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        seeded = seed_demo(session, now=system_clock())
    engine.dispose()
    return seeded


def cmd_migrate(_: argparse.Namespace) -> int:
    _migrate()
    print("database migrated to head")
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    _migrate()
    print("demo city seeded (杭州市)" if _seed_demo() else "units already exist; demo seed skipped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app.core import serving

    _wait_for_database()
    _migrate()
    if args.demo:
        print("demo city seeded (杭州市)" if _seed_demo() else "units already exist; demo seed skipped")
    # In-process sweeper and dispatcher unless the operator runs `zhuqi worker` separately.
    os.environ.setdefault("ZHUQI_RUN_WORKERS_IN_PROCESS", "true")
    get_settings.cache_clear()
    serving.run("app.main:create_app", host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from app.auth.service import create_api_key
    from app.errors import AppError

    _migrate()
    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        try:
            key, token = create_api_key(session, role=Role(args.role), unit_code=args.unit, name=args.name,
                                        now=system_clock())
        except AppError as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 2
    print(f"created API key #{key.id} ({key.role} @ {args.unit}); it is shown once, store it now:")
    print(token)
    return 0


def cmd_export_openapi(args: argparse.Namespace) -> int:
    from app.main import create_app

    target = Path(args.output) if args.output else OPENAPI_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    spec = create_app().openapi()
    target.write_text(json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.worker import run_worker

    _wait_for_database()
    _migrate()
    return run_worker(get_settings(), once=args.once)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhuqi", description="助企 Zhuqi — enterprise appeals service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then run the API (with the sweeper and dispatcher in-process)")
    serve.add_argument("--demo", action="store_true", help="seed the demo city (杭州市) if the database is empty")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the SLA sweeper and the outbox dispatcher")
    worker.add_argument("--once", action="store_true", help="one sweep and one dispatch round, then exit")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="seed the demo city if the database is empty").set_defaults(func=cmd_seed_demo)

    apikey = sub.add_parser("apikey", help="manage API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="create a key bound to a role and a unit; prints it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.enterprise])
    create.add_argument("--unit", required=True, help="unit code, e.g. 330100")
    create.add_argument("--name", default=None)
    create.set_defaults(func=cmd_apikey_create)

    export = sub.add_parser("export-openapi", help="write openapi/openapi.json from the app")
    export.add_argument("--output", default=None)
    export.set_defaults(func=cmd_export_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.core.migrate import DatabaseUnavailable

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DatabaseUnavailable as exc:
        print(f"zhuqi {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
