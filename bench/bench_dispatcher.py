"""Dispatcher against a fake DingTalk that enforces 20/min and the 10-minute block (DESIGN §10): 0 messages lost,
0 blocks triggered, ≥ 85% of the allowed rate used while a backlog exists.

Everything real but the vendor and the clock's speed:
- PostgreSQL (`bench_zhuqi_dispatch`, re-created), the demo city, 10 DingTalk channels (加签 secret and keyword, the
  default budget of 18 a minute) on 10 streets, created through the notification service;
- WORKERS `zhuqi worker` processes (`python -m app.cli worker`: sweeper and dispatcher loops) sharing the budget
  through the database;
- the fake robot (tests/fakes/dingtalk_robot.py: 20 per sliding minute per robot, the 21st → 410100 and a 10-minute
  block, signature and keyword checks, msgUuid de-duplication) served by uvicorn on a loopback socket
  (ZHUQI_ALLOW_LOOPBACK_WEBHOOKS).
Time runs SCALE× faster on both sides: the fake's clock (its `clock` parameter) runs SCALE× real time, so its minute
lasts 60/SCALE s and its block 600/SCALE s; the workers count their budget in a window of ZHUQI_RATE_WINDOW_SECONDS =
60/SCALE s and poll, lease and sweep SCALE× more often. Rates below are in the fake's minutes. (The workers sign with
the real time and the fake checks it against its own: the skew, (SCALE-1) × the run's length, stays far inside
DingTalk's hour.) Why ×5 and not faster: see SCALE. The dispatcher's own pause after a throttle answer (10 minutes,
delivery.THROTTLE_BLOCK) is not a setting and is not scaled: after a block, rows wait past the deadline and count
as lost.

Two phases, one fake and the same workers:
1. paced — a backlog of MESSAGES outbox rows (MESSAGES/10 per channel) written by the app's own `record_event`, in
   one transaction, with their digest context cleared: rows the dispatcher may not fold into a digest (a digest page
   has none either), so each needs its own send and the backlog drains at the budget's pace. This is the rate
   figure: per robot, accepted sends in the whole fake minutes from the backlog's commit to the robot's last
   acceptance, / 20 per minute (all robots pooled). The budget of 18 caps it at 90%; what is lost below that is the
   dispatcher's own slack (poll interval, claim, queueing behind other channels in a round, CPU).
2. burst — MESSAGES events through `record_event` as workflow transactions commit them, digest context kept (what
   production does): a backlog above a minute's budget becomes digests, nothing is dropped.
Lost = rows of the phase not delivered: neither accepted by the fake under their own msgUuid nor inside an
accepted digest that lists them (dead, still pending at the deadline, or sent but unknown to the fake). The unique
msgUuids the fake accepted must equal the rows marked sent.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import BENCH_SECRET, REPO, Context, Result, free_port, percentile, stop_group

TITLE = "dispatcher vs the fake DingTalk robot (real sockets, worker processes, time scaled)"
ALLOWED = 20  # DingTalk: 20 messages per robot per minute, the 21st blocks it for 10 minutes
BUDGET = 18  # the channels' per-minute budget: the default for DingTalk (app.notifications.rules)
CHANNELS = 10
MESSAGES = 2_000  # --quick: 1,000
# Fake seconds per real second. Absolute latencies (a worker's poll, claim and queueing: ~0.1-0.2 s per slot
# reuse, ~1.5 s to send the first minute's 180 messages on a busy 2-core machine) grow with it in fake minutes:
# ×10 measured 82-87% where ×5 measures the 90% the budget allows. ×5 is the fastest that keeps them small.
SCALE = 5.0
WORKERS = 2
KEYWORD = "助企"


@dataclass(frozen=True)
class Plan:
    scale: float  # fake seconds per real second
    messages: int

    @property
    def window(self) -> float:
        """Real seconds in one fake minute."""
        return 60.0 / self.scale


class ScaledClock:
    """The fake robot's clock: `scale`× real time from `origin` on."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.origin = time.time()

    def __call__(self) -> float:
        return self.fake(time.time())

    def fake(self, real: float) -> float:
        return self.origin + (real - self.origin) * self.scale


@contextmanager
def served(app: Any) -> Iterator[int]:
    """An ASGI app on a loopback port (uvicorn in a thread of this process, so its state can be read here)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake robot did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def workers(url: str, plan: Plan, count: int, log_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`zhuqi worker` processes, every interval scaled like the fake's clock; yields once all have started."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZHUQI_DATABASE_URL": url, "ZHUQI_ENV": "test",
           "ZHUQI_SECRET_KEY": BENCH_SECRET, "ZHUQI_ALLOW_LOOPBACK_WEBHOOKS": "true",
           "ZHUQI_RATE_WINDOW_SECONDS": f"{plan.window:g}",
           "ZHUQI_DISPATCH_INTERVAL_SECONDS": f"{1.0 / plan.scale:g}",
           "ZHUQI_DISPATCH_LEASE_SECONDS": f"{60.0 / plan.scale:g}",
           "ZHUQI_SWEEP_INTERVAL_SECONDS": f"{60.0 / plan.scale:g}",
           "NO_PROXY": "127.0.0.1,localhost"}
    log = open(log_path, "ab")  # noqa: SIM115 — closed below
    procs = [subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True) for _ in range(count)]
    try:
        deadline = time.monotonic() + 60
        while log_path.read_text(errors="replace").count("worker started") < count:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise RuntimeError(f"a worker did not start; see {log_path}")
            time.sleep(0.1)
        yield procs
    finally:
        for proc in procs:
            stop_group(proc)
        log.close()


@dataclass
class City:
    engine: sa.Engine
    appeals: list[int]  # one per channel, at the channel's street
    tokens: dict[int, str]  # channel id → robot access_token


def city_admin(session: Any) -> Any:
    """A city admin's Principal (as app.demo files its appeals)."""
    from sqlmodel import col, select

    from app.auth.principal import Principal
    from app.enums import Role, Tier
    from app.units.models import Unit

    city = session.exec(select(Unit).where(col(Unit.parent_id).is_(None))).one()
    return Principal(role=Role.city_admin, label="压测（杭州市）", unit_id=city.id, unit_code=city.code,
                     unit_path=city.path, unit_tier=Tier.city)


def file_appeals(session: Any, root: Any, street: Any, count: int, *, now: datetime, tag: str) -> list[tuple[int, str]]:
    """`count` appeals of a new enterprise at `street`, filed through the appeal service: submitted, owned by the
    street. `tag` (two letters) keeps the enterprises of different callers apart. Returns (id, number) of each."""
    from app.appeals import service as appeals
    from app.appeals.schemas import AppealCreate, ImpactIn
    from app.enterprises.models import Enterprise
    from app.enterprises.uscc import make_uscc
    from app.enums import Category, Source

    enterprise = Enterprise(
        uscc=make_uscc(f"91{street.code[:6]}{tag}{street.id:07d}"), name=f"杭州压测{tag}{street.name}企业有限公司",
        street_unit_id=street.id, contact_name="测试", contact_mobile="13900000000", tags=[], created_at=now,
        updated_at=now)
    session.add(enterprise)
    session.commit()
    filed = []
    for _ in range(count):
        result = appeals.submit_appeal(session, root, AppealCreate(
            title="新厂房用电增容审批迟迟未办", description="新建厂房需增容，申请已提交两个月未有答复，影响投产。",
            category=Category.energy, source=Source.visit, impact=ImpactIn(employees_affected=30),
            enterprise_uscc=enterprise.uscc), now=now)
        filed.append((int(result.body["id"]), str(result.body["number"])))
    return filed


def streets(session: Any) -> list[Any]:
    """The demo city's streets (area units), in id order."""
    from sqlmodel import col, select

    from app.units.models import Unit

    return list(session.exec(select(Unit).where(Unit.tier == "street", Unit.kind == "area")
                             .order_by(col(Unit.id))).all())


def prepare(url: str, port: int, fake: Any) -> City:
    """Migrates, seeds the demo city, files one appeal per street (before any channel: no messages yet), then
    creates one DingTalk channel per street through the notification service and registers its robot."""
    from app.core import migrate
    from app.db import make_engine, session_for
    from app.demo import seed_demo
    from app.notifications import service
    from app.notifications.schemas import ChannelCreate
    from app.notifications.sender import UrlGuard

    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    guard = UrlGuard(allow_loopback=True)
    with session_for(engine) as session:
        seed_demo(session, now=now, with_appeals=False)
        root = city_admin(session)
        chosen = streets(session)[:CHANNELS]
        appeal_ids = [file_appeals(session, root, street, 1, now=now, tag="MC")[0][0] for street in chosen]
        tokens = {}
        for i, street in enumerate(chosen):
            token, secret = f"bench-robot-{i}", f"SEC{i:02d}" + "0123456789abcdef" * 4
            fake.add_robot(token, secret=secret, keywords=[KEYWORD])
            channel, _ = service.create_channel(
                session, root, street.code,
                ChannelCreate(name=f"{street.name}助企服务群", kind="dingtalk",  # type: ignore[arg-type]
                              url=f"http://127.0.0.1:{port}/robot/send?access_token={token}", secret=secret,
                              keyword=KEYWORD),
                now=now, check_url=guard.check)
            assert channel.per_minute_budget == BUDGET, channel.per_minute_budget
            tokens[channel.id] = token  # type: ignore[index]
    return City(engine, appeal_ids, tokens)


@dataclass(frozen=True)
class Written:
    since: datetime  # before the first row: the phase's rows are the outbox rows created since
    first_commit: float  # real epoch seconds: the backlog exists from here
    last_commit: float
    commits: int


def add_events(city: City, per_appeal: int, *, batch: int, digestible: bool, note: str) -> Written:
    """`per_appeal` reminders on every appeal through record_event (the one way the app writes outbox rows),
    committed `batch` per appeal at a time like workflow transactions. `digestible=False` clears the rows' digest
    context in the same transaction, so they can only go one by one."""
    from sqlmodel import col, update

    from app.appeals.events import record_event
    from app.appeals.models import Appeal
    from app.db import session_for
    from app.notifications.models import OutboxMessage

    since = datetime.now(UTC)
    commits: list[float] = []
    with session_for(city.engine) as session:
        appeals = [session.get(Appeal, a) for a in city.appeals]
        for start in range(0, per_appeal, batch):
            for appeal in appeals:
                for k in range(start, min(start + batch, per_appeal)):
                    record_event(session, appeal, "reminder", now=datetime.now(UTC),  # type: ignore[arg-type]
                                 note=f"{note}第{k + 1}次催办：请尽快签收")
            if not digestible:
                session.exec(update(OutboxMessage).where(col(OutboxMessage.created_at) >= since)
                             .values(context=sa.null()))  # SQL NULL, not JSON null
            session.commit()
            commits.append(time.time())
    return Written(since, commits[0], commits[-1], len(commits))


@dataclass(frozen=True)
class Row:
    id: str
    event_type: str
    status: str
    coalesced_into: str | None


def phase_rows(city: City, written: Written) -> list[Row]:
    with city.engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id, event_type, status, coalesced_into FROM outbox_message "
                                     "WHERE created_at >= :since"), {"since": written.since}).all()
    return [Row(*r) for r in found]


def wait_drained(city: City, written: Written, timeout: float) -> float:
    """Waits until no row of the phase is pending; returns the seconds waited (timeout: rows stay pending)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with city.engine.connect() as conn:
            pending = conn.execute(sa.text("SELECT count(*) FROM outbox_message WHERE created_at >= :since AND "
                                           "status = 'pending'"), {"since": written.since}).scalar_one()
        if pending == 0:
            break
        time.sleep(0.25)
    return time.monotonic() - started


@dataclass
class Outcome:
    events: int  # outbox rows the phase's events wrote
    lost: int
    sent_rows: int  # rows marked sent (events sent alone + digests)
    accepted: int  # unique msgUuids of the phase the fake accepted
    digests: int
    resends: int  # accepted requests repeating a msgUuid (at-least-once, de-duplicated by the fake)
    rejected: int  # fake answers other than ok during the phase
    blocks: int
    max_per_minute: int  # most requests to one robot in any sliding fake minute
    drain_min: float  # fake minutes from the last commit to the last acceptance
    rate_used: float  # accepted per whole fake minute of backlog / ALLOWED (all channels)
    rate_min: float  # the lowest channel's
    windows: int
    reuse_lag_ms: tuple[float, float]  # real ms a freed slot waited for its next send: median, p95
    commits: int = 0  # transactions that wrote the phase's events

    def line(self, *, paced: bool) -> str:
        text = (f"{self.events} event rows, lost {self.lost}, sent rows {self.sent_rows} = unique msgUuids accepted "
                f"{self.accepted}, digests {self.digests}, resends {self.resends}, rejected {self.rejected}, blocks "
                f"{self.blocks}, max {self.max_per_minute} per fake minute per robot, drained "
                f"{self.drain_min:.1f} fake min after the last commit")
        if paced:
            text += (f", rate used {self.rate_used:.1%} (lowest robot {self.rate_min:.1%}, {self.windows} "
                     f"robot-minutes of backlog), a freed slot reused after {self.reuse_lag_ms[0]:.0f} ms real "
                     f"(median; p95 {self.reuse_lag_ms[1]:.0f} ms)")
        return text


def _lost(rows: list[Row], accepted: set[str], payloads: dict[str, dict[str, Any]]) -> int:
    """Event rows delivered neither under their own msgUuid nor listed in an accepted digest."""
    by_id = {r.id: r for r in rows}
    events = [r for r in rows if r.event_type != "digest"]
    lost = 0
    for row in events:
        carrier = by_id.get(row.coalesced_into or "") if row.status == "coalesced" else row
        if carrier is None or carrier.status != "sent" or carrier.id not in accepted:
            lost += 1
    for digest in (r for r in rows if r.event_type == "digest" and r.id in payloads):
        members = sum(1 for r in events if r.coalesced_into == digest.id)
        listed = sum(1 for ln in payloads[digest.id]["markdown"]["text"].split("\n") if ln.startswith("- "))
        lost += max(0, members - listed)  # a digest listing fewer items than it swallowed loses the rest
    return lost


def _rate_used(times_by_token: dict[str, list[float]], t0: float) -> tuple[int, int, float]:
    """Per robot, the whole fake minutes from the backlog's commit to its last acceptance: (accepted in them,
    allowed in them, the lowest robot's share)."""
    used = allowed = 0
    lowest = 1.0
    for times in times_by_token.values():
        n = math.floor((max(times) - t0) / 60) if times else 0
        if n >= 1:
            mine = sum(1 for t in times if t < t0 + 60 * n)
            used, allowed = used + mine, allowed + ALLOWED * n
            lowest = min(lowest, mine / (ALLOWED * n))
    return used, allowed, lowest


def _reuse_lag_ms(times_by_token: dict[str, list[float]], budget: int, scale: float) -> tuple[float, float]:
    """How long after a slot freed (a send's minute ended) the send that took it came, in real ms: the
    dispatcher's own slack (poll interval, claim, queueing), which the time scale magnifies in fake minutes."""
    lags = []
    for times in times_by_token.values():
        ordered = sorted(times)
        lags += [(ordered[i + budget] - ordered[i] - 60) / scale * 1000 for i in range(len(ordered) - budget)]
    return (percentile(lags, 50), percentile(lags, 95)) if lags else (float("nan"), float("nan"))


def evaluate(city: City, fake: Any, clock: ScaledClock, written: Written, log_from: int,
             blocks_before: int) -> Outcome:
    from tests.fakes.dingtalk_robot import max_in_window

    rows = phase_rows(city, written)
    ids = {r.id for r in rows}
    log = fake.log[log_from:]
    accepted_at: dict[str, tuple[float, str]] = {}  # msgUuid → (fake time, token) of its first acceptance
    resends = 0
    for t, token, code, uuid in log:
        if code == 0 and uuid in ids:
            resends += uuid in accepted_at
            accepted_at.setdefault(uuid, (t, token))
    payloads = {p["msgUuid"]: p for kept in fake.accepted.values() for p in kept if p["msgUuid"] in ids}
    times_by_token = {token: [t for t, tok in accepted_at.values() if tok == token] for token in city.tokens.values()}
    used, allowed, lowest = _rate_used(times_by_token, clock.fake(written.first_commit))
    last = max((t for t, _ in accepted_at.values()), default=clock.fake(written.last_commit))
    return Outcome(
        events=sum(1 for r in rows if r.event_type != "digest"), lost=_lost(rows, set(accepted_at), payloads),
        sent_rows=sum(1 for r in rows if r.status == "sent"), accepted=len(accepted_at),
        digests=sum(1 for r in rows if r.event_type == "digest"), resends=resends,
        rejected=sum(1 for _, _, code, _ in log if code != 0), blocks=fake.blocks_triggered - blocks_before,
        max_per_minute=max((max_in_window([t for t, tok, _, _ in log if tok == token])
                            for token in city.tokens.values()), default=0),
        drain_min=(last - clock.fake(written.last_commit)) / 60, rate_used=used / allowed if allowed else 0.0,
        rate_min=lowest if allowed else 0.0, windows=allowed // ALLOWED,
        reuse_lag_ms=_reuse_lag_ms(times_by_token, BUDGET, clock.scale),
    )


def phase(ctx: Context, city: City, fake: Any, clock: ScaledClock, plan: Plan, name: str, *,
          digestible: bool) -> Outcome:
    per_appeal = plan.messages // len(city.appeals)
    log_from, blocks_before = len(fake.log), fake.blocks_triggered
    written = add_events(city, per_appeal, batch=10 if digestible else per_appeal, digestible=digestible,
                         note=f"（{name}）")
    # The deadline, after which a row still pending counts as lost: one by one at BUDGET a minute the backlog needs
    # per_appeal / BUDGET fake minutes (allow 1.5× that); digests need a few minutes whatever the backlog.
    minutes = 5 if digestible else 1.5 * per_appeal / BUDGET
    waited = wait_drained(city, written, timeout=minutes * plan.window + 30)
    outcome = evaluate(city, fake, clock, written, log_from, blocks_before)
    outcome.commits = written.commits
    ctx.log(f"dispatcher {name}: events in {written.commits} commit(s) over "
            f"{written.last_commit - written.first_commit:.1f} s; "
            f"{outcome.line(paced=not digestible)} (waited {waited:.0f} s)")
    return outcome


def run(ctx: Context) -> list[Result]:
    from tests.fakes.dingtalk_robot import FakeDingTalkRobot

    plan = Plan(scale=SCALE, messages=MESSAGES // 2 if ctx.quick else MESSAGES)
    url = ctx.fresh_pg("bench_zhuqi_dispatch")
    clock = ScaledClock(plan.scale)
    fake = FakeDingTalkRobot(clock=clock)
    log_path = ctx.workdir / "workers-dispatch.log"
    with served(fake.app) as port:
        city = prepare(url, port, fake)
        with workers(url, plan, WORKERS, log_path):
            paced = phase(ctx, city, fake, clock, plan, "paced", digestible=False)
            burst = phase(ctx, city, fake, clock, plan, "burst", digestible=True)
    city.engine.dispose()
    setup = (f"{CHANNELS} robots, budget {BUDGET}/min each, {WORKERS} `zhuqi worker` processes, PostgreSQL, time "
             f"×{plan.scale:g} (a fake minute = {plan.window:g} s)")
    ctx.detail("dispatcher", f"{setup}\npaced: {paced.line(paced=True)}\nburst: {burst.line(paced=False)}")
    lost, blocks = paced.lost + burst.lost, paced.blocks + burst.blocks
    counted = paced.sent_rows == paced.accepted and burst.sent_rows == burst.accepted
    return [
        Result("dispatcher.lost", lost, "msgs", "0", lost == 0 and counted,
               baseline=f"paced: {paced.events:,} rows, {paced.accepted:,} msgUuids accepted = {paced.sent_rows:,} "
                        f"rows sent; burst: {burst.events:,} rows → {burst.digests} digests + "
                        f"{burst.sent_rows - burst.digests} alone, {burst.accepted} accepted = {burst.sent_rows} sent"),
        Result("dispatcher.blocks_triggered", blocks, "", "0", blocks == 0,
               baseline=f"fake rejected {paced.rejected + burst.rejected} requests; most per robot in any fake minute "
                        f"{max(paced.max_per_minute, burst.max_per_minute)} (limit {ALLOWED})"),
        Result("dispatcher.rate_used_backlog", paced.rate_used * 100, "%", "≥ 85%", paced.rate_used >= 0.85,
               baseline=f"accepted per whole fake minute of backlog / {ALLOWED}, {paced.windows} robot-minutes; "
                        f"lowest robot {paced.rate_min:.1%}; the budget of {BUDGET} caps it at "
                        f"{BUDGET / ALLOWED:.0%}; a freed slot reused after {paced.reuse_lag_ms[0]:.0f} ms real "
                        f"(median)", detail=setup),
        Result("dispatcher.burst_drain", burst.drain_min, "min", "info", None,
               baseline=f"{burst.events:,} events in {burst.commits} commits → {burst.digests} digests + "
                        f"{burst.sent_rows - burst.digests} alone; fake minutes from the last commit to the last "
                        f"acceptance"),
    ]
