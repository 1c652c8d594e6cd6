"""`kill -9` of a real `zhuqi worker` mid-dispatch, 20 times in a loop over 2,000 DingTalk messages: 0 lost, and a
message sent twice is only ever the same `msgUuid` again (the group shows it once).

The messages come from the real path: 200 signed DingTalk channels of 西溪街道 (in the database through the channel
service, as the API creates them) and 10 appeals filed there, whose "submitted" events each put one outbox row per
channel in the outbox (app.notifications.outbox.enqueue_for_event): 2,000 rows, 10 per robot.

The fake robot (tests/fakes/dingtalk_robot.py, unchanged rules: signature, 20 per sliding minute then a 10-minute
block, msgUuid de-duplication) runs on a real socket in this process. Why 200 robots × 10: a robot takes 20 messages
a minute, so 2,000 messages to 10 robots would take 10 minutes whatever the dispatcher does. With 10 per robot plus
the re-sends a kill causes (at most one extra attempt per kill, and a kill only hits the robot it was sending to),
every robot's share fits one minute of its budget (18) and the run is bounded by the dispatcher's own speed, not the
vendor's limit. The rules are not weakened (a dispatcher that re-sent in a loop would still meet 410100 and a block
here); the budget under a backlog is what tests/notifications and bench/bench_dispatcher.py measure. The time goes to
21 worker start-ups (imports and the migration check, ~1.5 s each) and 2,000 sends (two short transactions each, and
a claim per 50); see _commit_without_flush_wait for the one database setting.

The 20 kills are of three kinds, in a seeded random order (ZHUQI_CRASH_SEED reproduces a run):
  - "timer": at a random moment after the worker started sending (claim, reserve, send or ack: wherever it is);
  - "in_flight": the n-th request reaches the robot, the worker dies and the robot never sees the request (lost in
    the network): a dispatcher that marked a message sent before the vendor accepted it loses it here;
  - "accepted": the robot accepted the n-th new message, the worker dies before the reply: that message must be sent
    again, with the same msgUuid.
Then one last worker drains the outbox."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.crash.conftest import served
from tests.fakes.dingtalk_robot import FakeDingTalkRobot, max_in_window
from tests.helpers import XIXI_ENTERPRISE, appeal_body

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only]

CHANNELS = 200
APPEALS = 10
MESSAGES = CHANNELS * APPEALS
KILLS = 20
MODES = ["timer"] * 8 + ["in_flight"] * 6 + ["accepted"] * 6
UNIT = "330106012"  # 西溪街道: XIXI_ENTERPRISE's street, where its appeals are routed
WORKER_ENV = {
    "ZHUQI_ALLOW_LOOPBACK_WEBHOOKS": "true",
    "ZHUQI_DISPATCH_INTERVAL_SECONDS": "0.05",
    "ZHUQI_DISPATCH_LEASE_SECONDS": "2",  # a killed worker's messages come due again after 2 s
    "NO_PROXY": "127.0.0.1,localhost",
}


class KillSwitchRobot(FakeDingTalkRobot):
    """The fake robot, plus one-shot triggers that SIGKILL the worker: when the n-th request arrives, dropping that
    request unseen (the robot's rules, counters and log never see it: it was lost in the network), or when the
    robot has accepted the n-th new message, before the reply goes out."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = 0
        self._trigger: tuple[int, Callable[[], None]] | None = None
        self._trigger_lock = threading.Lock()

    def kill_on_arrival(self, after: int, kill: Callable[[], None]) -> None:
        with self._trigger_lock:
            self._trigger = (self.arrivals + after, kill)

    def kill_on_accept(self, after: int, kill: Callable[[], None]) -> None:
        left = [after]

        def on_accept(_token: str, _payload: dict) -> None:
            left[0] -= 1
            if left[0] == 0:
                self.on_accept = None
                kill()  # before the reply goes out: the worker never hears that the robot accepted it

        self.on_accept = on_accept

    async def _send(self, request: Request) -> JSONResponse:
        with self._trigger_lock:
            self.arrivals += 1
            fire = self._trigger if self._trigger and self.arrivals >= self._trigger[0] else None
            if fire:
                self._trigger = None
        if fire:
            fire[1]()
            return JSONResponse({"errcode": -1, "errmsg": "系统繁忙"})  # nobody is left to read it
        return await super()._send(request)


@pytest.fixture
def served_robot() -> Iterator[tuple[KillSwitchRobot, int]]:
    """On a real loopback socket and the real clock (the worker signs with the real time)."""
    fake = KillSwitchRobot()
    with served(fake.app) as port:
        yield fake, port


def _robots_and_outbox(crash_db, fake: KillSwitchRobot, port: int) -> dict[int, str]:
    """200 signed robots (channels through the channel service) and 10 appeals whose "submitted" events fill the
    outbox. Returns channel id → robot token."""
    from app.appeals.schemas import AppealCreate
    from app.appeals.service import submit_appeal
    from app.auth.service import authenticate_api_key
    from app.db import session_for
    from app.notifications import service
    from app.notifications.schemas import ChannelCreate
    from app.notifications.sender import UrlGuard

    guard = UrlGuard(allow_loopback=True)
    now = datetime.now(UTC)
    tokens = {}
    with session_for(crash_db.engine) as session:
        admin = authenticate_api_key(session, crash_db.tokens["xixi_admin"])
        for i in range(CHANNELS):
            token, secret = f"crash-robot-{i:03d}", f"SEC{i:03d}" + "0123456789abcdef" * 3
            fake.add_robot(token, secret=secret)
            data = ChannelCreate(name=f"西溪街道助企群{i:03d}", kind="dingtalk", secret=secret, events=["submitted"],
                                 url=f"http://127.0.0.1:{port}/robot/send?access_token={token}")
            channel, _ = service.create_channel(session, admin, UNIT, data, now=now, check_url=guard.check)
            tokens[channel.id] = token
        city = authenticate_api_key(session, crash_db.tokens["city"])
        for _ in range(APPEALS):
            submit_appeal(session, city, AppealCreate(**appeal_body(XIXI_ENTERPRISE)), now=now)
    return tokens


def _commit_without_flush_wait(crash_db) -> None:
    """synchronous_commit = off for the workers' sessions (new connections) on this test's own database. A commit
    still returns only once it is done and visible to every session, and it survives the death of the client that
    made it: only a crash of PostgreSQL itself could lose the last few of them, and this test never stops
    PostgreSQL. What it saves is the WAL flush per commit (two per message), which on a busy shared disk is most of
    a dispatch round."""
    with crash_db.engine.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        conn.commit()


def _delivered(fake: KillSwitchRobot) -> int:
    return sum(len(v) for v in fake.accepted.values())


def _outbox(crash_db) -> list:
    with crash_db.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT id, channel_id, status, attempts, payload FROM outbox_message")))


def _unsent(crash_db) -> int:
    with crash_db.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM outbox_message WHERE status <> 'sent'")).scalar_one())


def _wait(predicate: Callable[[], bool], timeout: float, what: str, logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{logs()}")
        time.sleep(0.05)


def test_kill_9_worker_20_times_over_2000_messages_loses_none(crash_db, procs, served_robot):
    started = time.monotonic()
    fake, port = served_robot
    seed = int(os.environ.get("ZHUQI_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
    rng = random.Random(seed)
    _commit_without_flush_wait(crash_db)
    tokens = _robots_and_outbox(crash_db, fake, port)
    rows = _outbox(crash_db)
    assert len(rows) == MESSAGES and {r.status for r in rows} == {"pending"}
    setup = time.monotonic() - started

    modes = list(MODES)
    rng.shuffle(modes)
    kills: list[tuple[str, int]] = []  # (mode, messages the robots had accepted when the worker died)
    for mode in modes:
        worker = procs.worker(crash_db, **WORKER_ENV)
        kill = worker.kill  # SIGKILL, of this process only
        arrivals = fake.arrivals
        if mode == "timer":
            _wait(lambda: fake.arrivals > arrivals, 180, "the worker to start sending", procs.log_text)
            time.sleep(rng.uniform(0, 0.4))
            kill()
        elif mode == "in_flight":
            fake.kill_on_arrival(rng.randint(1, 30), kill)
        else:
            fake.kill_on_accept(rng.randint(1, 30), kill)
        try:
            code = worker.wait(timeout=180)  # includes the worker's start-up, seconds on a busy machine
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{mode} kill never came (outbox drained?)\n{procs.log_text()}") from None
        assert code == -signal.SIGKILL, f"the worker exited by itself ({code})\n{procs.log_text()}"
        kills.append((mode, _delivered(fake)))
    assert kills[-1][1] < MESSAGES, f"the outbox was drained before the last kill: {kills}"
    killing = time.monotonic() - started - setup

    # The database says "sent" only after the robot answered: once no row is left unsent, the robots have all they
    # will ever get, and what follows says precisely what is missing or doubled.
    last = procs.worker(crash_db, **WORKER_ENV)
    _wait(lambda: _unsent(crash_db) == 0, 180, "the last worker to drain the outbox", procs.log_text)
    procs.stop(last)
    assert last.returncode == 0, procs.log_text()

    rows = _outbox(crash_db)
    assert Counter(r.status for r in rows) == {"sent": MESSAGES}  # none dead, none coalesced into digests
    by_token: dict[str, dict[str, dict]] = {t: {} for t in tokens.values()}
    for row in rows:
        by_token[tokens[row.channel_id]][row.id] = row.payload
    for token, expected in by_token.items():
        shown = fake.accepted[token]
        uuids = [m["msgUuid"] for m in shown]
        assert len(uuids) == len(set(uuids)), f"{token}: the group shows a message twice"
        assert set(uuids) == set(expected), f"{token}: shown {len(uuids)} of its {len(expected)} messages"
        for message in shown:
            assert {k: v for k, v in message.items() if k != "msgUuid"} == expected[message["msgUuid"]]
    unique = {m["msgUuid"] for shown in fake.accepted.values() for m in shown}
    assert len(unique) == MESSAGES

    # Every request the robots answered: each carried the msgUuid of an outbox row of that robot's channel, so
    # every second delivery of a message is the same msgUuid again (de-duplicated), never a new message.
    seen: set[tuple[str, str]] = set()
    duplicates = 0
    for _, token, code, uuid in fake.log:
        assert code == 0, f"{token} answered {code}"  # no 410100, no signature or content error
        assert uuid in by_token[token], f"{token} got msgUuid {uuid!r}, which is not one of its outbox rows"
        duplicates += (token, uuid) in seen
        seen.add((token, uuid))
    assert fake.rejected == [] and fake.blocks_triggered == 0
    worst = max(max_in_window([t for t, tok, _, _ in fake.log if tok == token]) for token in by_token)
    assert worst <= 20
    accepted_kills = sum(mode == "accepted" for mode, _ in kills)
    assert len(kills) == KILLS
    assert duplicates >= accepted_kills  # each of those messages was accepted, never acknowledged, and sent again
    attempts = sum(r.attempts for r in rows)
    print(f"\nseed {seed}: {MESSAGES} messages to {CHANNELS} robots, {len(kills)} kills "
          f"{dict(Counter(m for m, _ in kills))} at {[n for _, n in kills]} delivered; "
          f"{len(fake.log)} requests answered, {len(unique)} unique msgUuids, {duplicates} duplicate deliveries "
          f"(same msgUuid), {fake.arrivals - len(fake.log)} requests cut off by a kill, {attempts} attempts; "
          f"busiest robot {worst}/min; 0 blocks. setup {setup:.1f} s, kill loop {killing:.1f} s, "
          f"total {time.monotonic() - started:.1f} s")
