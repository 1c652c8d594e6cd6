"""Policies at scale (DESIGN §10, §12): matching one policy over 20k enterprises ≤ 200 ms, against a `count(*)` of
the same enterprises in the same run; a push to 10k enterprises enqueued in ≤ 10 s, then dispatched to a fake
DingTalk robot per street (20/min and the 10-minute block enforced): 0 blocks, nothing lost.

    python -m bench --only policies            # PostgreSQL (bench_zhuqi_policies, re-created) and SQLite
    python bench/bench_policies.py [--sqlite-only]

Dataset (seeded-random, fixed seed): the demo city (13 streets), 20,000 enterprises spread over the streets with
facts — tags (专精特新 12%, 规上企业 50%, 外贸 20%, 高新技术企业 15%), GB/T 4754 industry (60% manufacturing),
scale, employees (1–1,000), key level — 300 liaisons in the streets pairing 70% of the enterprises, and one
DingTalk channel per street. Matching is timed in-process on the service function the API calls
(`app.policies.matches.all_matches`: SQL prefilter + pure matcher with reasons), 15 times per case after a warm-up,
as the API process runs it: with the start-up heap frozen out of the cyclic collector (app.main's lifespan,
ZHUQI_GC_FREEZE, on by default); the universal case is also timed without (INFO).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench.common import BENCH_SECRET, Context, Result, percentile  # noqa: E402

TITLE = "policy matching over 20k enterprises and a push to 10k (digests to a fake DingTalk robot)"
ENTERPRISES = 20_000
LIAISONS = 300
REPEAT = 15
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
TAGS = {"专精特新": 0.12, "规上企业": 0.5, "外贸": 0.2, "高新技术企业": 0.15}
SECRET = "SEC0123456789abcdef0123456789abcdef"
KEYWORD = "政策"

# name → (issuer, kind, target): the cases timed
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "targeted, city-wide (专精特新 or 高新 manufacturers, 20–300)": (
        "330100", "targeted", {"tags_any": ["专精特新", "高新技术企业"], "industries": ["C"], "min_employees": 20,
                               "max_employees": 300}),
    "targeted, city-wide, scale + key level (SQL narrows)": (
        "330100", "targeted", {"scales": ["medium", "large"], "key_levels": ["city", "district"]}),
    "universal, city-wide (every enterprise gets reasons)": ("330100", "universal", {}),
    "targeted, one district (规上企业)": ("330106", "targeted", {"tags_any": ["规上企业"]}),
}
PUSH_CASE = ("330100", "targeted", {"tags_any": ["规上企业"]})  # ≈ 10k of the 20k


def _seed(engine: sa.Engine) -> dict[str, int]:
    from app.auth.models import User
    from app.demo import seed_demo
    from app.enterprises.industry import DIVISIONS
    from app.enterprises.models import Enterprise
    from app.enterprises.uscc import make_uscc
    from app.enums import Role
    from app.notifications.models import Channel
    from app.units.models import Unit

    rng = random.Random(18)
    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, now=NOW, with_appeals=False)
        streets = list(session.exec(select(Unit).where(Unit.tier == "street", Unit.kind == "area")).all())
        liaisons = [User(name=f"干部{i:03d}", role=Role.liaison, unit_id=streets[i % len(streets)].id,  # type: ignore[arg-type]
                         dingtalk_userid=f"gb{i:03d}", created_at=NOW) for i in range(LIAISONS)]
        session.add_all(liaisons)
        session.flush()
        manufacturing = [f"C{d}" for d, (section, _) in DIVISIONS.items() if section == "C"]
        others = [f"{section}{d}" for d, (section, _) in DIVISIONS.items() if section != "C"]
        rows = []
        for i in range(ENTERPRISES):
            street = streets[i % len(streets)]
            paired = [u for u in liaisons if u.unit_id == street.id]
            rows.append({
                "uscc": make_uscc(f"91330100BP{i:07d}"), "name": f"杭州测试企业{i}", "street_unit_id": street.id,
                "address": "", "contact_name": "联系人", "contact_mobile": "13900000000",
                "tags": [t for t, share in TAGS.items() if rng.random() < share],
                "liaison_user_id": rng.choice(paired).id if paired and rng.random() < 0.7 else None,
                "industry": rng.choice(manufacturing) if rng.random() < 0.6 else rng.choice(others),
                "scale": rng.choice(["large", "medium", "small", "small", "micro", "micro"]),
                "employees": rng.randint(1, 1000), "key_level": rng.choice([None, None, None, "street", "district",
                                                                             "city"]),
                "created_at": NOW, "updated_at": NOW,
            })
        for start in range(0, len(rows), 2000):
            session.execute(sa.insert(Enterprise), rows[start:start + 2000])
        for street in streets:
            session.add(Channel(unit_id=street.id, name=f"{street.name}助企群", kind="dingtalk",  # type: ignore[arg-type]
                                url=f"https://oapi.dingtalk.com/robot/send?access_token=t{street.code}",
                                secret=SECRET, keyword=KEYWORD, events=["submitted"], per_minute_budget=18,
                                monthly_quota=3000, created_at=NOW, updated_at=NOW))
        session.commit()
        return {street.code: street.id for street in streets}  # type: ignore[misc]


def _policy(session: Session, issuer: str, kind: str, target: dict[str, Any], title: str) -> Any:
    from app.policies.models import Policy
    from app.units.models import Unit

    unit = session.exec(select(Unit).where(Unit.code == issuer)).one()
    policy = Policy(title=title, issuer_unit_id=unit.id, summary="基准测试政策", kind=kind, benefit="subsidy",  # type: ignore[arg-type]
                    target=target, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), created_by="bench",
                    url="https://www.hangzhou.gov.cn/policy/bench", created_at=NOW, updated_at=NOW)
    session.add(policy)
    session.commit()
    return policy


def _ms(fn: Any, *, frozen: bool = True) -> tuple[list[float], Any]:
    """Times `fn` as the API process runs it: with the objects alive at start-up frozen out of the cyclic
    collector (app.main's lifespan, ZHUQI_GC_FREEZE, on by default), or, with `frozen=False`, without."""
    times, out = [], None
    if frozen:
        gc.collect()
        gc.freeze()
    try:
        fn()  # warm-up: statement caches, first connection
        for _ in range(REPEAT):
            t = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t) * 1000)
    finally:
        if frozen:
            gc.unfreeze()
    return times, out


def _matching(engine: sa.Engine, label: str, ctx: Context | None) -> list[Result]:
    from app.policies.matches import all_matches

    results = []
    with Session(engine, expire_on_commit=False) as session:
        count_sql = sa.text("SELECT count(*) FROM enterprise e JOIN unit u ON u.id = e.street_unit_id "
                            "WHERE u.path LIKE '/330100/%'")
        base, total = _ms(lambda: session.execute(count_sql).scalar_one())
        base_p50 = statistics.median(base)
        results.append(Result(f"policies: count(*) baseline, {label}", base_p50, "ms", "—", None,
                              detail=f"{total:,} enterprises, p99 {percentile(base, 99):.1f} ms"))
        for name, (issuer, kind, target) in CASES.items():
            policy = _policy(session, issuer, kind, target, name[:60])
            for frozen in (True, False) if kind == "universal" else (True,):
                times, matches = _ms(lambda: all_matches(session, policy, today=NOW.date()), frozen=frozen)
                p50, p99 = statistics.median(times), percentile(times, 99)
                results.append(Result(
                    f"policies: match, {label}", p99, "ms", "≤ 200 ms" if frozen else "—", p99 <= 200 if frozen else None,
                    baseline=f"count(*) p50 {base_p50:.1f} ms; ×{p50 / base_p50:.1f} at p50",
                    detail=f"{name}: {len(matches):,} matched, p50 {p50:.1f} ms, rounds over 200 ms "
                           f"{sum(t > 200 for t in times)}/{len(times)}"
                           + ("" if frozen else "; start-up heap NOT frozen (not how the API runs)")))
    return results


def _push(engine: sa.Engine, label: str, settings: Any) -> list[Result]:
    import httpx

    from app.auth.principal import Principal
    from app.enums import Role
    from app.notifications import policy_digest, sender
    from app.notifications.dispatcher import dispatch_due
    from app.notifications.models import Channel, OutboxMessage
    from app.policies import push
    from app.policies.models import PolicyDelivery
    from tests.fakes.dingtalk_robot import FakeDingTalkRobot

    policy_digest.register()
    clock = [NOW + timedelta(minutes=5)]
    robot = FakeDingTalkRobot(clock=lambda: clock[0].timestamp())
    with Session(engine, expire_on_commit=False) as session:
        for channel in session.exec(select(Channel)).all():
            robot.add_robot(channel.url.rsplit("=", 1)[1], secret=SECRET, keywords=[KEYWORD])
        policy = _policy(session, *PUSH_CASE, title="规上企业稳岗扩岗补贴（基准）")
        admin = Principal(role=Role.city_admin, label="bench", unit_path="/330100/", unit_code="330100", key_id=1)
        t = time.perf_counter()
        _, body, _ = push.push_policy(session, admin, policy.id, now=clock[0])
        enqueue_s = time.perf_counter() - t
        delivered = session.execute(sa.select(sa.func.count()).select_from(PolicyDelivery)
                                    .where(PolicyDelivery.policy_id == policy.id)).scalar_one()
        rows = session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one()
    sender.resolve_host = lambda host: ["106.11.35.100"]  # the fake robot stands in for oapi.dingtalk.com
    deadline = clock[0] + timedelta(minutes=30)
    with httpx.Client(transport=robot.transport()) as client:
        while clock[0] < deadline:
            dispatch_due(engine, settings, clock[0], client=client, rand=lambda: 0.5)
            with Session(engine) as session:
                pending = session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.status == "pending")).scalar_one()
            if pending == 0:
                break
            clock[0] += timedelta(seconds=5)
    with Session(engine) as session:
        sent = session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.status == "sent")).scalar_one()
    accepted = sum(len(v) for v in robot.accepted.values())
    minutes = (clock[0] - NOW - timedelta(minutes=5)).total_seconds() / 60
    detail = (f"{body['new_deliveries']:,} deliveries ({delivered:,} rows) → {rows} outbox rows (13 street digests + "
              f"paired liaisons'), {accepted} accepted by the fake in {minutes:.1f} fake minutes")
    return [
        Result(f"policies: push 10k enqueue, {label}", enqueue_s, "s", "≤ 10 s", enqueue_s <= 10, detail=detail),
        Result(f"policies: push lost / blocks, {label}", rows - sent + robot.blocks_triggered, "", "0 / 0",
               rows == sent == accepted and robot.blocks_triggered == 0,
               detail=f"lost {rows - sent}, blocks {robot.blocks_triggered}, rejected {len(robot.rejected)}"),
    ]


def _run_on(url: str, label: str) -> list[Result]:
    import app.models  # noqa: F401
    from app.config import Settings
    from app.core import migrate
    from app.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    _seed(engine)
    settings = Settings(database_url=url, env="test", secret_key=BENCH_SECRET, allow_loopback_webhooks=True,
                        public_base_url="https://zhuqi.example.gov.cn")
    try:
        return _matching(engine, label, None) + _push(engine, label, settings)
    finally:
        engine.dispose()


def run(ctx: Context) -> list[Result]:
    results = _run_on(ctx.fresh_pg("bench_zhuqi_policies"), "PostgreSQL")
    return results + _run_on(ctx.sqlite_url("policies"), "SQLite")


if __name__ == "__main__":
    context = Context()
    try:
        found = (_run_on(context.sqlite_url("policies"), "SQLite") if "--sqlite-only" in sys.argv else run(context))
        for result in found:
            print(result.line(), flush=True)
    finally:
        context.cleanup()
