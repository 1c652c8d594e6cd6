"""`zhuqi` command line: serve, worker, migrate, seed-demo, apikey create|list|revoke, token create,
dingtalk-group set|show|clear, export-openapi.

Every option has a help text and shows its default (`zhuqi serve --help`). A configuration error at start-up (a
missing secret in prod, a malformed number) is one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from functools import partial
from pathlib import Path

from pydantic import ValidationError

import app.models  # noqa: F401  # every table in the metadata before a mapper configures (appeal.visit_id -> visit)
from app.config import Env, get_settings
from app.core.principal import Principal
from app.db import make_engine, session_for
from app.deps import system_clock
from app.enums import Role

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def _wait_for_database() -> None:
    """serve, worker, migrate: the database may come up after them (docker-compose, a reboot); DatabaseUnavailable
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
    _wait_for_database()  # docker-compose's one-shot migrate may start before PostgreSQL accepts connections
    _migrate()
    print("database migrated to head")
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    _migrate()
    print("demo city seeded (杭州市)" if _seed_demo() else "units already exist; demo seed skipped")
    return 0


def _url_host(host: str) -> str:
    """The address a browser on this machine reaches a server bound to `host` at."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def cmd_serve(args: argparse.Namespace) -> int:
    from app.core import serving

    if get_settings().env is Env.dev and "ZHUQI_PUBLIC_BASE_URL" not in os.environ:
        # Links in chat messages and pages must point at the port this server listens on, not the default 8000.
        os.environ["ZHUQI_PUBLIC_BASE_URL"] = f"http://{_url_host(args.host)}:{args.port}"
        get_settings.cache_clear()
    _wait_for_database()
    _migrate()
    if args.demo:
        print("demo city seeded (杭州市)" if _seed_demo() else "units already exist; demo seed skipped")
    # In-process sweeper and dispatcher unless the operator runs `zhuqi worker` separately.
    os.environ.setdefault("ZHUQI_RUN_WORKERS_IN_PROCESS", "true")
    get_settings.cache_clear()
    beside = None
    if args.workers > 1 and get_settings().run_workers_in_process:
        # One worker for the server, not one per server process: N loops would be safe, but N DingTalk Stream
        # connections are not what anyone asked for. The supervisor runs it; the spawned processes inherit `false`.
        from app.worker import start_beside

        settings = get_settings()
        os.environ["ZHUQI_RUN_WORKERS_IN_PROCESS"] = "false"
        get_settings.cache_clear()
        beside = partial(start_beside, settings)
    serving.run("app.main:create_app", host=args.host, port=args.port, workers=args.workers, beside=beside)
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from app.auth.service import create_api_key

    _migrate()
    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        key, token = create_api_key(session, role=Role(args.role), unit_code=args.unit, name=args.name,
                                    now=system_clock())
    print(f"created API key #{key.id} ({key.role} @ {args.unit}); it is shown once, store it now:")
    print(token)
    return 0


def cmd_apikey_list(_: argparse.Namespace) -> int:
    from app.auth.service import list_api_keys

    _migrate()
    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        rows = list_api_keys(session)
    engine.dispose()
    print(f"{'id':>4}  {'prefix':<10}  {'role':<14}  {'unit':<10}  {'created (UTC)':<16}  {'revoked (UTC)':<16}  name")
    for key, unit in rows:
        revoked = _minute(key.revoked_at) if key.revoked_at else "-"
        print(f"{key.id:>4}  {key.prefix:<10}  {key.role:<14}  {unit.code:<10}  {_minute(key.created_at):<16}  "
              f"{revoked:<16}  {key.name}")
    return 0


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    from app.auth.service import revoke_api_key

    _migrate()
    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        key, changed = revoke_api_key(session, args.id, now=system_clock())
    engine.dispose()
    if changed:
        print(f"revoked API key #{key.id} ({key.prefix}…, {key.name}); running servers refuse it within "
              f"{get_settings().cache_seconds:g} s")
    else:
        print(f"API key #{key.id} ({key.prefix}…) was already revoked")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from app.accounts import enterprise_trial

    settings = get_settings()
    if settings.env is Env.prod:
        print("zhuqi token create: 生产环境禁止签发试用令牌 (refused in prod: dev and test only)", file=sys.stderr)
        return 2
    _migrate()
    engine = make_engine(settings.database_url)
    with session_for(engine) as session:
        token, enterprise = enterprise_trial.token_for(session, args.enterprise,
                                                       secret=settings.signing_secret,
                                                       now=system_clock())
    engine.dispose()
    print(f"enterprise user bound to {enterprise.name} ({enterprise.uscc}); access token valid 2 h for servers "
          "with this ZHUQI_SECRET_KEY:", file=sys.stderr)
    print(token)
    return 0


def _operator() -> Principal:
    """Who a command acts as: the operator at the machine, reaching every unit (like the demo seed)."""
    return Principal(role=Role.system, label="命令行（zhuqi）", unit_path="/")


def cmd_dingtalk_group(args: argparse.Namespace) -> int:
    """The unit's DingTalk group for appeal cards, through the use cases of PUT/GET/DELETE
    /api/v1/units/{code}/dingtalk-group (same checks, same answer shape, printed as JSON)."""
    from app.core.messages_zh import field_message
    from app.dingtalk import service
    from app.dingtalk.schemas import DingTalkGroupIn, group_read

    data = None
    if args.dingtalk_group_command == "set":
        try:
            data = DingTalkGroupIn(open_conversation_id=args.open_conversation_id)
        except ValidationError as exc:
            problems = [f"{'.'.join(map(str, e['loc']))}: {field_message(dict(e))}" for e in exc.errors()]
            print(f"{_name(args)}: {'; '.join(problems)}", file=sys.stderr)
            return 2
    _migrate()
    engine = make_engine(get_settings().database_url)
    with session_for(engine) as session:
        if data is not None:
            group, unit = service.set_group(session, _operator(), args.unit, data, now=system_clock())
        elif args.dingtalk_group_command == "show":
            group, unit = service.get_group(session, _operator(), args.unit)
        else:
            group, unit = service.delete_group(session, _operator(), args.unit)
        answer = group_read(group, unit).model_dump(mode="json")
    engine.dispose()
    if args.dingtalk_group_command == "clear":
        print(f"单位 {unit.code} 的钉钉群登记已取消（已发出的卡片仍可使用）", file=sys.stderr)
    print(json.dumps(answer, ensure_ascii=False))
    return 0


def cmd_export_openapi(args: argparse.Namespace) -> int:
    from app.main import create_app

    target = Path(args.output)
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


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (required options, flags, None)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required or action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def _command(sub: argparse._SubParsersAction, name: str, text: str, func) -> argparse.ArgumentParser:  # type: ignore[type-arg,no-untyped-def]
    command = sub.add_parser(name, help=text, description=text, formatter_class=_Help)
    command.set_defaults(func=func)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhuqi", description="助企 Zhuqi — enterprise appeals service. Settings come "
                                     "from ZHUQI_* environment variables (see the README).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _command(sub, "serve", "migrate, then run the API (with the sweeper, the dispatchers and, in DingTalk "
                     "Stream mode, the Stream connection in-process — once, whatever --workers is — unless "
                     "ZHUQI_RUN_WORKERS_IN_PROCESS=false)", cmd_serve)
    serve.add_argument("--demo", action="store_true", help="seed the demo city (杭州市) if the database is empty")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000,
                       help="port to listen on; in dev it also sets ZHUQI_PUBLIC_BASE_URL unless that is set")
    serve.add_argument("--workers", type=int, default=1, help="server processes sharing the port; with more than "
                       "one, the background worker runs in the supervisor process, not in each of them")

    worker = _command(sub, "worker", "run the SLA sweeper, the outbox dispatcher and housekeeping", cmd_worker)
    worker.add_argument("--once", action="store_true", help="one round of every job, then exit")

    _command(sub, "migrate", "upgrade the database to the latest schema (safe to run beside other processes)",
             cmd_migrate)
    _command(sub, "seed-demo", "seed the demo city if the database is empty", cmd_seed_demo)

    apikey = sub.add_parser("apikey", help="manage API keys", description="manage API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True, metavar="ACTION")
    create = _command(apikey_sub, "create", "create a key bound to a role and a unit; prints it once",
                      cmd_apikey_create)
    create.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.enterprise],
                        help="what the key may do")
    create.add_argument("--unit", required=True, help="unit code the key acts for, e.g. 330100")
    create.add_argument("--name", default=None, help="a label shown in `apikey list` (default: ROLE@UNIT)")
    _command(apikey_sub, "list", "list keys: id, prefix, role, unit, created, revoked, name (never the key)",
             cmd_apikey_list)
    revoke = _command(apikey_sub, "revoke", "revoke a key by its id (see `apikey list`)", cmd_apikey_revoke)
    revoke.add_argument("id", type=int, help="the key's id")

    token = sub.add_parser("token", help="bearer tokens for trying the API locally (dev and test only)",
                           description="bearer tokens for trying the API locally (dev and test only)")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    enterprise = _command(token_sub, "create", "print an access token of an enterprise (mini-program) user bound "
                          "to an enterprise; refused in prod", cmd_token_create)
    enterprise.add_argument("--enterprise", required=True, metavar="USCC",
                            help="统一社会信用代码 of a registered enterprise, e.g. 91330106MA2CF0001M")

    group = sub.add_parser("dingtalk-group", help="the DingTalk group where a unit's appeal cards go",
                           description="the DingTalk group where a unit's appeal cards go (DESIGN §14); the same "
                           "use cases as /api/v1/units/{code}/dingtalk-group, acting as the operator")
    group_sub = group.add_subparsers(dest="dingtalk_group_command", required=True, metavar="ACTION")
    group_set = _command(group_sub, "set", "register (or replace) the unit's group; prints it as JSON",
                         cmd_dingtalk_group)
    group_set.add_argument("unit", metavar="UNIT_CODE", help="the unit's code, e.g. 330106012")
    group_set.add_argument("open_conversation_id", metavar="OPEN_CONVERSATION_ID",
                           help="the group's openConversationId (cid…); the app robot must be in the group")
    for action, text in (("show", "print the unit's group as JSON"),
                         ("clear", "remove the unit's group (cards already sent keep working)")):
        _command(group_sub, action, text, cmd_dingtalk_group).add_argument(
            "unit", metavar="UNIT_CODE", help="the unit's code, e.g. 330106012")

    export = _command(sub, "export-openapi", "write the OpenAPI document from the app", cmd_export_openapi)
    export.add_argument("--output", default=str(OPENAPI_PATH), help="file to write")
    return parser


def _config_error(exc: ValidationError) -> str:
    """pydantic's multi-line report as one line naming the environment variables."""
    parts = []
    for error in exc.errors():
        name = "ZHUQI_" + "_".join(str(p) for p in error["loc"]).upper() if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if name and name not in message else message)
    return "; ".join(parts)


def _name(args: argparse.Namespace) -> str:
    """`zhuqi apikey revoke`: how error lines name the command."""
    words = [args.command, getattr(args, "apikey_command", None), getattr(args, "token_command", None),
             getattr(args, "dingtalk_group_command", None)]
    return " ".join(["zhuqi", *(w for w in words if w)])


def main(argv: list[str] | None = None) -> int:
    from app.core.logging import configure_logging
    from app.core.migrate import DatabaseUnavailable
    from app.errors import AppError

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"{_name(args)}: 配置错误 (configuration error): {_config_error(exc)}", file=sys.stderr)
        return 2
    # Every command logs like the server: one JSON object per line in prod (`zhuqi worker` included), text in dev.
    configure_logging(settings.effective_log_format)
    from app import wiring

    wiring.install(settings)
    try:
        return int(args.func(args) or 0)
    except DatabaseUnavailable as exc:
        print(f"{_name(args)}: {exc}", file=sys.stderr)
        return 1
    except AppError as exc:  # a refusal the service explains (unknown unit, unknown enterprise …)
        print(f"{_name(args)}: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
