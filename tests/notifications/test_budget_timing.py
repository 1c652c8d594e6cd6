"""When the budget counts a send: in the configured window (ZHUQI_RATE_WINDOW_SECONDS, shortened only to match
a time-scaled fake robot in bench/bench_dispatcher.py; prod refuses less than the vendors' minute), and never
earlier than the vendor received it, however long the round's claim took."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session, select
from pydantic import ValidationError

from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.notifications.conftest import (
    KEYWORD,
    SECRET,
    TOKEN,
    add_events,
    dispatch,
    file_appeal,
    make_channel,
    outbox_rows,
)


def test_default_window_is_the_vendors_minute_and_prod_refuses_a_shorter_one() -> None:
    from app.config import Settings

    assert Settings().rate_window_seconds == 60
    prod = {"env": "prod", "secret_key": "p" * 40, "metrics_token": "m" * 32}
    assert Settings(**prod, rate_window_seconds=120).rate_window_seconds == 120
    with pytest.raises(ValidationError, match="RATE_WINDOW"):
        Settings(**prod, rate_window_seconds=6)
    with pytest.raises(ValidationError):
        Settings(rate_window_seconds=0)


@pytest.mark.parametrize("window_s", [60.0, 6.0])
def test_budget_counts_in_the_configured_window_against_a_robot_scaled_the_same(
    client, keys, db, settings, clock, window_s
):
    """A fake whose clock runs 60/window times faster has a 60 s window of `window_s` seconds: the dispatcher
    with the same window refills its budget once per window and never trips the fake's block."""
    scale, start = 60.0 / window_s, clock.now.timestamp()
    robot = FakeDingTalkRobot(clock=lambda: start + (clock.now.timestamp() - start) * scale)
    robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    scaled = settings.model_copy(update={"rate_window_seconds": window_s})
    make_channel(client, keys, per_minute_budget=5)
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 4, clock.now)  # 5 messages: one window's budget
    with httpx.Client(transport=robot.transport()) as robot_client:
        assert dispatch(db, scaled, clock, robot_client) == 5
        add_events(db, appeal["id"], 5, clock.now)  # 5 more (not above the budget: no digest)
        clock.advance(seconds=window_s * 0.9)
        assert dispatch(db, scaled, clock, robot_client) == 0  # the window is still full
        waiting = outbox_rows(db, status="pending")
        assert len(waiting) == 5 and all(r.attempts == 0 for r in waiting)
        clock.advance(seconds=window_s * 0.1 + 0.5)
        assert dispatch(db, scaled, clock, robot_client) == 5
    assert robot.blocks_triggered == 0 and robot.rejected == []
    assert len(robot.unique_msg_uuids(TOKEN)) == 10 and outbox_rows(db, event_type="digest") == []


def test_sends_are_logged_no_earlier_than_the_vendor_saw_them_even_after_a_slow_claim(
    client, keys, db, settings, clock, monkeypatch
):
    """The round's clock is `now` plus the real time since `now` — the claim included. Were the claim left
    out, every send of a round with a slow claim (a busy database) would be logged that much too early, its
    slot would free too early, and the next round could put more than 20 into the vendor's minute: a block."""
    from app.notifications import dispatcher
    from app.notifications.models import ChannelSend

    real_claim = dispatcher._claim

    def slow_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        rows = real_claim(*args, **kwargs)
        time.sleep(0.3)
        return rows

    monkeypatch.setattr(dispatcher, "_claim", slow_claim)
    robot = FakeDingTalkRobot()  # the real clock, like the dispatcher's `now` below
    robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    clock.set(datetime.now(UTC))
    make_channel(client, keys)
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 2, clock.now)
    with httpx.Client(transport=robot.transport()) as robot_client:
        assert dispatcher.dispatch_due(db, settings, datetime.now(UTC), client=robot_client) == 3
    received = sorted(t for t, _, code, _ in robot.log if code == 0)
    with Session(db) as session:
        logged = sorted(s.sent_at.timestamp() for s in session.exec(select(ChannelSend)).all())
    assert len(received) == len(logged) == 3
    assert all(mine >= theirs for mine, theirs in zip(logged, received, strict=True)), (logged, received)
