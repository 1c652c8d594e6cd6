"""Feishu custom bots against a fake that enforces their rules: 5 a second and 100 a minute per robot,
the body-signed timestamp (19021 when it is more than an hour off), keywords and hook ids."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.notifications.delivery import RETRY_SCHEDULE
from tests.fakes.dingtalk_robot import max_in_window
from tests.fakes.feishu_robot import FakeFeishuRobot
from tests.notifications.conftest import add_events, dispatch, file_appeal, make_channel, outbox_rows

HOOK = "5c1d2e3f-aaaa-bbbb-cccc-0123456789ab"
FEISHU_SECRET = "feishu-demo-secret"


@pytest.fixture
def skew() -> list[float]:
    return [0.0]


@pytest.fixture
def feishu(clock, skew) -> FakeFeishuRobot:  # type: ignore[no-untyped-def]
    fake = FakeFeishuRobot(clock=lambda: clock.now.timestamp() + skew[0])
    fake.add_robot(HOOK, secret=FEISHU_SECRET, keywords=["诉求"])
    return fake


@pytest.fixture
def feishu_client(feishu: FakeFeishuRobot):  # type: ignore[no-untyped-def]
    with httpx.Client(transport=feishu.transport()) as client:
        yield client


def _feishu_channel(client, keys) -> dict:  # type: ignore[no-untyped-def]
    return make_channel(client, keys, kind="feishu", secret=FEISHU_SECRET, keyword=None,
                        url=f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}")


def test_a_round_of_many_messages_keeps_to_five_a_second(client, keys, db, settings, clock, feishu, feishu_client):
    _feishu_channel(client, keys)  # budget 90 a minute: the backlog below is not coalesced
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 39, clock.now)  # 40 rows, all due in the first round (which claims 50)
    rounds = 0
    while outbox_rows(db, status="pending"):
        sent = dispatch(db, settings, clock, feishu_client)
        assert sent <= 5 and feishu.rejected == []  # never a 11232 from the robot
        clock.advance(seconds=1)
        rounds += 1
        assert rounds < 60
    assert feishu.rejected == [] and len(feishu.accepted[HOOK]) == 40
    times = [t for t, _, _ in feishu.log]
    assert max_in_window(times, 1.0) <= 5 and max_in_window(times, 60.0) <= 90
    assert outbox_rows(db, event_type="digest") == [] and all(r.status == "sent" for r in outbox_rows(db))


def test_the_fake_enforces_the_limit_the_dispatcher_keeps(clock, feishu, feishu_client):
    """The limit is real in the fake: a sixth request within a second is refused with 11232."""
    answers = [feishu_client.post(f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}",
                                  json={"msg_type": "text", "content": {"text": "诉求"}}).json()
               for _ in range(6)]
    assert [a.get("code") for a in answers][-1] == 11232


def test_timestamp_out_of_window_19021_is_re_signed_and_retried_not_a_broken_channel(
    client, keys, db, settings, clock, skew, feishu, feishu_client
):
    channel = _feishu_channel(client, keys)
    file_appeal(client, keys)
    skew[0] = 2 * 3600.0  # Feishu's clock and ours are two hours apart (our host's clock was wrong)
    assert dispatch(db, settings, clock, feishu_client) == 0
    [row] = outbox_rows(db)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("feishu:19021")
    state = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
    assert state["state"] == "active"

    skew[0] = 0.0  # NTP fixed the clock
    clock.advance(seconds=11)
    assert dispatch(db, settings, clock, feishu_client) == 1
    first, second = feishu.bodies
    assert int(second["timestamp"]) == int(clock.now.timestamp()) != int(first["timestamp"])  # signed afresh
    assert second["sign"] != first["sign"] and feishu.accepted[HOOK] == [second]


def test_19021_on_every_attempt_means_a_wrong_secret_the_channel_breaks_and_the_message_is_held(
    client, keys, db, settings, clock, feishu, feishu_client
):
    channel = make_channel(client, keys, kind="feishu", secret="not-the-robot-secret", keyword=None,
                           url=f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}")
    file_appeal(client, keys)
    for delay in (*RETRY_SCHEDULE, timedelta(0)):
        dispatch(db, settings, clock, feishu_client)
        clock.advance(seconds=delay.total_seconds() * 1.2 + 1)
    assert len(feishu.bodies) == len(RETRY_SCHEDULE) + 1
    state = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
    assert state["state"] == "broken" and "19021" in state["broken_reason"]
    [held] = outbox_rows(db)
    assert held.status == "pending" and held.attempts == 0  # kept for after the secret is fixed


@pytest.mark.parametrize(("code", "hook_known", "keywords"), [(19001, False, ()), (19024, True, ("专属关键词",))])
def test_bad_hook_or_missing_keyword_breaks_the_channel(client, keys, db, settings, clock, feishu_client, feishu,
                                                        code, hook_known, keywords):
    if hook_known:
        feishu.add_robot(HOOK, secret=FEISHU_SECRET, keywords=keywords)
    else:
        feishu._robots.clear()
    channel = _feishu_channel(client, keys)
    file_appeal(client, keys)
    dispatch(db, settings, clock, feishu_client)
    state = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
    assert state["state"] == "broken" and str(code) in state["broken_reason"]
