"""Chatbot callback at 20 concurrent liaisons (DESIGN §10: p99 ≤ 300 ms), against GET /healthz on the same server
at the same schedule in the same run.

The app is served like production (`python -m app.core.serving`, 2 workers) with ZHUQI_DINGTALK_APP_SECRET set, on
PostgreSQL over a seeded city (`bench.seed`: the demo city, its enterprises and ctx.appeals // 10 appeals in every
state) and, as a second line, on SQLite over the demo city alone. LIAISONS liaisons (users with a DingTalk userId,
two to a street on the first streets) each get TO_SIGN fresh appeals filed through the appeal service and IN_PROGRESS
appeals already signed for. Every request is a callback as DingTalk sends it (chat-protocols §2.1-2.2): raw JSON with
a unique msgId, the liaison's senderStaffId, a leading space left by the @mention, and `timestamp`/`sign` headers
(HMAC-SHA256 of the app secret), computed here independently of app.notifications.signing. Commands mix
待办 / 查询 <编号> / 签收 <编号> / 进展 <编号> <内容> (MIX) on the liaison's own unit's appeals; each 签收 takes an appeal
not signed yet, so it really signs (afterwards the stored replies are counted to prove it).

Two schedules, open loop (bench.loadgen: latency counts from when a request was due, so queueing counts):
- steady: every liaison sends a command a second, interleaved (RATE = 20/s), for 20 s (--quick: 10 s);
- together: all 20 liaisons at the same instant, BURSTS times one second apart — 20 callbacks in flight at once
  (--quick: 8 times).
The target applies to both; the baseline is GET /healthz on the same schedule on the same server. The details also
give each command's latency alone (one request at a time, median of 8): where the time goes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from bench.bench_dispatcher import city_admin, file_appeals, streets
from bench.common import Context, Result, app_env, median, serve
from bench.loadgen import LatencyRun, Request, open_loop

TITLE = "chatbot: signed DingTalk callbacks from 20 liaisons (open loop) vs GET /healthz"
APP_SECRET = "bench-dingtalk-app-secret-" + "c" * 24
PATH = "/api/v1/callbacks/dingtalk"
LIAISONS = 20
RATE = 20.0  # commands a second: each liaison one a second
BURSTS = 20
TO_SIGN = 16  # fresh appeals per liaison for 签收 (~7 of its ~33 commands are 签收; when none is left: 查询)
IN_PROGRESS = 5  # signed appeals per liaison for 进展
MIX = {"待办": 20, "查询": 35, "签收": 20, "进展": 25}
WORKERS = 2


@dataclass
class Liaison:
    staff_id: str
    name: str
    to_sign: list[str]
    in_progress: list[str]
    visible: list[str]  # numbers of its unit's appeals, for 查询
    signed: list[str] = field(default_factory=list)


def prepare(url: str, *, seeded: int, log: Any = print) -> list[Liaison]:
    """The dataset (PostgreSQL: `seeded` appeals via bench.seed; SQLite: the demo city with its appeals), then the
    liaisons and their appeals through the app's own services."""
    from sqlmodel import col, select

    from app.appeals import workflow
    from app.appeals.lifecycle import Action
    from app.appeals.models import Appeal
    from app.appeals.schemas import ActionIn
    from app.auth import service as auth
    from app.auth.models import User
    from app.core import migrate
    from app.db import make_engine, session_for
    from app.demo import seed_demo
    from app.enums import Role

    if seeded:
        from bench.seed import seed

        seed(url, seeded, reuse=False, log=log)  # the caller made the database fresh
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    liaisons = []
    with session_for(engine) as session:
        seed_demo(session, now=now, with_appeals=True)  # no-op on the seeded database (units exist)
        root = city_admin(session)
        where = streets(session)
        for i in range(LIAISONS):
            street = where[i % len(where)]
            user = User(name=f"压测专员{i:02d}", mobile=f"1370000{i:04d}", role=Role.liaison, unit_id=street.id,
                        dingtalk_userid=f"benchliaison{i:02d}", created_at=now)
            session.add(user)
            session.commit()
            principal = auth.principal_for_user(session, user)
            tag = "LA" if i < len(where) else "LB"  # two liaisons on a street: two enterprises
            filed = file_appeals(session, root, street, TO_SIGN + IN_PROGRESS, now=now, tag=tag)
            for appeal_id, _ in filed[TO_SIGN:]:
                workflow.perform_action(session, principal, appeal_id, Action.sign, ActionIn(), now=now, via="api")
            others = session.exec(select(Appeal.number).where(Appeal.unit_id == street.id)
                                  .order_by(col(Appeal.id).desc()).limit(200)).all()
            liaisons.append(Liaison(user.dingtalk_userid or "", user.name, [n for _, n in filed[:TO_SIGN]],
                                    [n for _, n in filed[TO_SIGN:]], list(others)))
    engine.dispose()
    return liaisons


def robot_sign(timestamp: str, secret: str = APP_SECRET) -> str:
    """chat-protocols §2.1: base64(HMAC-SHA256(appSecret, timestamp + "\\n" + appSecret)), not URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def command(liaison: Liaison, rng: random.Random, verb: str | None = None) -> str:
    """A command of the mix (or of `verb`); 签收 takes an appeal the liaison has not signed yet, if one is left."""
    verb = verb or rng.choices(list(MIX), weights=list(MIX.values()))[0]
    if verb == "签收" and liaison.to_sign:
        number = liaison.to_sign.pop()
        liaison.signed.append(number)
        return f"签收 {number}"
    if verb == "进展":
        return f"进展 {rng.choice(liaison.in_progress)} 已与供电公司对接，本周内完成现场勘查"
    if verb == "待办":
        return "待办"
    return f"查询 {rng.choice(liaison.visible + liaison.in_progress)}"


_msg_ids = itertools.count(1)


def callback(liaison: Liaison, content: str) -> Request:
    """One callback as DingTalk sends it, signed now, with its own msgId."""
    now_ms = int(time.time() * 1000)
    body = {
        "conversationId": "cidBenchGroup==", "chatbotCorpId": "dingbenchcorp", "chatbotUserId": "$:LWCP_v1:$bench",
        "msgId": f"msgbench{next(_msg_ids):09d}", "senderNick": liaison.name, "isAdmin": False,
        "senderStaffId": liaison.staff_id, "createAt": now_ms, "conversationType": "2",
        "senderId": "$:LWCP_v1:$sender", "conversationTitle": "助企服务专员群", "isInAtList": True,
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=bench",
        "sessionWebhookExpiredTime": now_ms + 5_400_000, "msgtype": "text",
        "text": {"content": " " + content},  # the leading space the @mention leaves
    }
    timestamp = str(now_ms)
    return Request("POST", PATH, json.dumps(body, ensure_ascii=False).encode(), {
        "Content-Type": "application/json; charset=utf-8", "timestamp": timestamp, "sign": robot_sign(timestamp)})


def callbacks(liaisons: list[Liaison], count: int, rng: random.Random) -> list[Request]:
    """`count` callbacks of the mix, liaison i % 20 sending the i-th."""
    return [callback(liaisons[i % len(liaisons)], command(liaisons[i % len(liaisons)], rng)) for i in range(count)]


def each_verb(liaisons: list[Liaison], rng: random.Random, per_verb: int = 8) -> dict[str, list[Request]]:
    return {verb: [callback(liaisons[k], command(liaisons[k], rng, verb)) for k in range(per_verb)] for verb in MIX}


def one_by_one(base: str, probes: dict[str, list[Request]]) -> dict[str, float]:
    """Median latency of each command alone (one request at a time, nothing else of ours running)."""
    medians = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for verb, requests in probes.items():
            times = []
            for request in requests:
                started = time.perf_counter()
                response = client.post(request.path, content=request.body, headers=request.headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and response.json()["msgtype"] == "markdown", response.text
            medians[verb] = median(times)
    return medians


def together(base: str, requests: list[Request], bursts: int) -> LatencyRun:
    """`bursts` times, all LIAISONS requests due at the same instant (one second apart); latencies pooled."""
    pooled: LatencyRun | None = None
    for b in range(bursts):
        started = time.monotonic()
        batch = requests[b * LIAISONS:(b + 1) * LIAISONS]
        run = open_loop(base, batch, rate=1e6, seconds=(len(batch) + 0.5) / 1e6, connections=LIAISONS)
        if pooled is None:
            pooled = run
        else:
            pooled.latencies_ms += run.latencies_ms
            pooled.statuses.update(run.statuses)
            pooled.errors += run.errors
            pooled.sent += run.sent
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    assert pooled is not None
    pooled.seconds, pooled.rate = float(bursts), float(LIAISONS)
    return pooled


def replies(url: str) -> Counter[str]:
    """What the stored replies say the commands did (verb, or <verb>_refused)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT verb, count(*) FROM chatbot_message WHERE sender LIKE 'benchliaison%' "
                                    "GROUP BY verb")).all()
    engine.dispose()
    return Counter({str(verb): int(n) for verb, n in rows})


def measure(ctx: Context, db: str, url: str, *, seeded: int, dataset: str) -> list[Result]:
    started = time.monotonic()
    liaisons = prepare(url, seeded=seeded, log=ctx.log)
    ctx.log(f"chatbot {db}: dataset and {LIAISONS} liaisons ready in {time.monotonic() - started:.0f} s")
    seconds = 10 if ctx.quick else 20
    bursts = 8 if ctx.quick else BURSTS
    rng = random.Random(7)
    probes = each_verb(liaisons, rng)  # first, so every 签收 of it has an appeal to sign
    warm = callbacks(liaisons, 2 * LIAISONS, rng)
    steady = callbacks(liaisons, int(RATE * seconds), rng)
    burst = callbacks(liaisons, bursts * LIAISONS, rng)
    health = [Request("GET", "/healthz")]
    env = app_env(url, ZHUQI_DINGTALK_APP_SECRET=APP_SECRET)
    with serve("app.main:create_app", env, workers=WORKERS, log_path=ctx.workdir / f"uvicorn-chatbot-{db}.log") as base:
        open_loop(base, warm, rate=RATE, seconds=len(warm) / RATE, connections=LIAISONS)
        open_loop(base, health * 40, rate=RATE, seconds=2, connections=LIAISONS)
        alone = one_by_one(base, probes)
        runs = {
            "steady": open_loop(base, steady, rate=RATE, seconds=seconds, connections=LIAISONS),
            "steady healthz": open_loop(base, health, rate=RATE, seconds=seconds, connections=LIAISONS),
            "together": together(base, burst, bursts),
            "together healthz": together(base, health * (bursts * LIAISONS), bursts),
        }
    done = replies(url)
    signed = sum(len(lz.signed) for lz in liaisons)
    lines = [f"{name}: {run.summary()}" for name, run in runs.items()]
    lines.append(f"replies by verb: {dict(sorted(done.items()))}; 签收 sent {signed}")
    lines.append("each command alone (median of 8, one at a time): "
                 + ", ".join(f"{verb} {ms:.1f} ms" for verb, ms in alone.items()))
    ctx.detail(f"chatbot on {db}", "\n".join(lines))
    for line in lines:
        ctx.log(f"chatbot {db} {line}")
    # Every callback answered 200, as the command it was (a refusal is stored as <verb>_refused, an unknown
    # sender without a verb), and every 签收 really signed.
    bad = sum(run.sent - run.ok + run.errors for run in runs.values())
    worked = done.get("sign", 0) == signed and set(done) <= {"todo", "query", "sign", "progress"}
    results = []
    for name, base_name, what in (("steady", "steady healthz", f"{RATE:.0f}/s: each liaison one command a second"),
                                  ("together", "together healthz", f"{LIAISONS} at the same instant × {bursts}")):
        run, ref = runs[name], runs[base_name]
        results.append(Result(
            f"chatbot.{db}.p99_{name}", run.p99, "ms", "≤ 300 ms", run.p99 <= 300 and bad == 0 and worked,
            baseline=f"{what}; p50 {run.p50:.1f} ms; GET /healthz same schedule p50 {ref.p50:.1f} p99 {ref.p99:.1f} ms",
            detail=dataset if bad == 0 and worked else f"{dataset}; non-200/errors {bad}; replies {dict(done)}"))
    return results


def run(ctx: Context) -> list[Result]:
    seeded = ctx.appeals // 10
    results = measure(ctx, "postgresql", ctx.fresh_pg("bench_zhuqi_chatbot"), seeded=seeded,
                      dataset=f"{seeded:,} seeded appeals")
    return results + measure(ctx, "sqlite", ctx.sqlite_url("bench_chatbot"), seeded=0, dataset="demo city")
