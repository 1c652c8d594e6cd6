"""The dispatcher against vendors that behave like the real ones: budgets, blocks, retries, digests, quota."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session

from app.notifications.delivery import RETRY_SCHEDULE
from tests.fakes.dingtalk_robot import max_in_window
from tests.notifications.conftest import (
    TOKEN,
    add_events,
    dispatch,
    file_appeal,
    make_channel,
    outbox_rows,
)


def _run_until_idle(db, settings, clock, client, *, step_s: float = 1.0, max_steps: int = 900) -> None:
    for _ in range(max_steps):
        dispatch(db, settings, clock, client)
        if not outbox_rows(db, status="pending"):
            return
        clock.advance(seconds=step_s)
    raise AssertionError("the outbox never drained")


def _assert_everything_delivered(db, robot, expected_events: int) -> None:
    """Every event row was sent itself or inside a sent digest that lists it; nothing pending or dead."""
    rows = outbox_rows(db)
    by_id = {r.id: r for r in rows}
    events = [r for r in rows if r.event_type != "digest"]
    assert len(events) == expected_events
    accepted = {m["msgUuid"]: m for m in robot.accepted[TOKEN]}
    for row in events:
        assert row.status in ("sent", "coalesced"), (row.status, row.last_error)
        carrier = by_id[row.coalesced_into] if row.status == "coalesced" else row
        assert carrier.status == "sent" and carrier.id in accepted
    for digest in (r for r in rows if r.event_type == "digest"):
        members = [r for r in events if r.coalesced_into == digest.id]
        listed = accepted[digest.id]["markdown"]["text"].count("\n- ")
        assert listed == len(members) > 0
    assert sum(1 for r in rows if r.status == "sent") == len(accepted)


def test_burst_of_500_events_in_a_minute_reaches_the_group_without_a_block(
    client, keys, db, settings, clock, robot, robot_client
):
    make_channel(client, keys)
    appeals = [file_appeal(client, keys, impact={"safety_risk": i == 0}) for i in range(5)]
    start = clock.now
    for second in range(60):  # 500 reminders within one minute, the dispatcher running every second
        count = 500 // 60 + (1 if second < 500 % 60 else 0)
        add_events(db, appeals[second % 5]["id"], count, clock.now)
        dispatch(db, settings, clock, robot_client)
        clock.advance(seconds=1)
    _run_until_idle(db, settings, clock, robot_client)

    assert robot.blocks_triggered == 0 and robot.rejected == []
    assert max_in_window([t for t, token, _, _ in robot.log if token == TOKEN]) <= 18
    _assert_everything_delivered(db, robot, expected_events=505)
    digests = outbox_rows(db, event_type="digest")
    assert 1 <= len(digests) <= 20  # a few digests, not hundreds of messages
    for page in robot.accepted[TOKEN][-len(digests):]:  # each digest lists red before yellow before green
        text = page["markdown"]["text"]
        reds, yellows = text.rfind("🔴"), text.find("🟡")
        assert reds == -1 or yellows == -1 or reds < yellows
    assert clock.now - start < timedelta(minutes=4)


def test_backlog_within_budget_goes_out_one_by_one_and_waits_without_spending_attempts(
    client, keys, db, settings, clock, robot, robot_client
):
    make_channel(client, keys, per_minute_budget=5)
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 4, clock.now)  # 5 messages: exactly one minute's budget
    assert dispatch(db, settings, clock, robot_client) == 5
    add_events(db, appeal["id"], 3, clock.now)
    assert dispatch(db, settings, clock, robot_client) == 0
    waiting = outbox_rows(db, status="pending")
    assert len(waiting) == 3 and all(r.attempts == 0 and r.lease_owner is None for r in waiting)
    assert all(r.next_attempt_at >= clock.now + timedelta(seconds=60) for r in waiting)
    clock.advance(seconds=61)
    assert dispatch(db, settings, clock, robot_client) == 3
    assert outbox_rows(db, event_type="digest") == [] and robot.blocks_triggered == 0


def test_vendor_throttle_blocks_the_channel_without_burning_attempts(
    client, keys, db, settings, clock, robot, robot_client
):
    channel = make_channel(client, keys)
    file_appeal(client, keys)
    robot.block(TOKEN)  # someone else flooded the robot
    assert dispatch(db, settings, clock, robot_client) == 0
    [row] = outbox_rows(db)
    assert row.status == "pending" and row.attempts == 0 and row.last_error.startswith("dingtalk:410100")
    blocked = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()["blocked_until"]
    assert datetime.fromisoformat(blocked) >= clock.now + timedelta(minutes=10)
    requests_so_far = robot.requests
    clock.advance(minutes=5)
    assert dispatch(db, settings, clock, robot_client) == 0 and robot.requests == requests_so_far  # keeps away
    clock.advance(minutes=5, seconds=1)
    assert dispatch(db, settings, clock, robot_client) == 1
    [sent] = outbox_rows(db)
    assert sent.status == "sent" and sent.attempts == 1 and robot.accepted[TOKEN][0]["msgUuid"] == sent.id


def _failing_transport(answer, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(200, json=answer)

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("answer", [{"errcode": -1, "errmsg": "系统繁忙"},
                                    httpx.ConnectTimeout("timed out")], ids=["busy", "timeout"])
def test_retries_follow_the_schedule_with_one_msg_uuid_then_dead_and_alert(client, keys, db, settings, clock, answer):
    make_channel(client, keys)
    file_appeal(client, keys)
    seen: list[httpx.Request] = []
    failing = _failing_transport(answer, seen)
    for attempt, delay in enumerate(RETRY_SCHEDULE, start=1):
        dispatch(db, settings, clock, failing)
        [row] = outbox_rows(db)
        assert row.status == "pending" and row.attempts == attempt
        assert abs(row.next_attempt_at - clock.now - delay) < timedelta(seconds=1)
        clock.advance(seconds=delay.total_seconds() - 2)
        assert dispatch(db, settings, clock, failing) == 0  # not before its time
        clock.advance(seconds=3)
    dispatch(db, settings, clock, failing)
    [dead] = outbox_rows(db)
    assert dead.status == "dead" and dead.attempts == len(RETRY_SCHEDULE) + 1
    uuids = {json.loads(r.content)["msgUuid"] for r in seen}
    assert uuids == {dead.id} and len(seen) == len(RETRY_SCHEDULE) + 1
    [alert] = client.get("/api/v1/alerts", headers=keys["xixi_admin"]).json()["items"]
    assert alert["kind"] == "message_dead" and dead.id in alert["message"]


def test_redirect_is_not_followed_and_breaks_the_channel(client, keys, db, settings, clock):
    channel = make_channel(client, keys)
    file_appeal(client, keys)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["host"])
        return httpx.Response(302, headers={"Location": "http://10.0.0.1/admin"})

    dispatch(db, settings, clock, httpx.Client(transport=httpx.MockTransport(handler)))
    assert seen == ["oapi.dingtalk.com"]
    held = outbox_rows(db)[0]  # the channel is at fault, not the message: held for after re-activation
    assert held.status == "pending" and held.attempts == 0 and held.last_error.startswith("http:302")
    state = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
    assert state["state"] == "broken" and "http:302" in state["broken_reason"]


def test_address_is_checked_again_at_send_time(client, keys, db, settings, clock, robot, robot_client, fake_dns):
    channel = make_channel(client, keys)
    file_appeal(client, keys)
    fake_dns["oapi.dingtalk.com"] = ["106.11.35.100", "192.168.1.10"]  # DNS changed after registration
    dispatch(db, settings, clock, robot_client)
    assert robot.requests == 0 and outbox_rows(db)[0].status == "pending"  # held, not lost
    state = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
    assert state["state"] == "broken" and "ssrf" in state["broken_reason"]


def test_a_bug_while_sending_gives_up_on_the_message_instead_of_looping(client, keys, db, settings, clock):
    from app.notifications.models import Channel

    channel = make_channel(client, keys, kind="webhook", url="https://hooks.example.com/h",
                           secret="whsec_" + base64.b64encode(b"k" * 32).decode(), keyword=None)
    with Session(db) as session:  # a secret that can no longer be decoded (bad data, not bad input)
        row = session.get(Channel, channel["id"])
        row.secret = "whsec_!!not-base64!!"
        session.add(row)
        session.commit()
    file_appeal(client, keys)
    dispatch(db, settings, clock, _capture(200, {}, []))
    [dead] = outbox_rows(db)
    assert dead.status == "dead" and dead.last_error.startswith("internal")


def test_monthly_quota_switches_low_urgency_to_a_daily_digest_and_warns_city_admins_once(
    client, keys, db, settings, clock, robot, robot_client
):
    from app.notifications.models import Channel

    channel = make_channel(client, keys, monthly_quota=10)
    with Session(db) as session:
        row = session.get(Channel, channel["id"])
        row.month_key, row.month_sends = "2026-03", 7
        session.add(row)
        session.commit()
    appeal = file_appeal(client, keys)  # the 8th send reaches 80%
    dispatch(db, settings, clock, robot_client)
    [warning] = client.get("/api/v1/alerts", headers=keys["city"]).json()["items"]
    assert warning["kind"] == "quota_warning" and warning["unit_code"] == "330100" and "80%" in warning["message"]

    add_events(db, appeal["id"], 3, clock.now)  # yellow: held for tomorrow's digest
    red = file_appeal(client, keys, impact={"safety_risk": True})  # red: now
    assert dispatch(db, settings, clock, robot_client) == 1
    held = outbox_rows(db, status="pending")
    tomorrow_0900 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    assert len(held) == 3 and all(r.digest_hold and r.next_attempt_at == tomorrow_0900 for r in held)
    assert robot.accepted[TOKEN][-1]["markdown"]["text"].count(red["number"]) >= 1

    clock.set(tomorrow_0900)
    assert dispatch(db, settings, clock, robot_client) == 1
    digest = robot.accepted[TOKEN][-1]
    assert "诉求汇总" in digest["markdown"]["title"] and digest["markdown"]["text"].count("\n- ") == 3
    assert all(r.status == "coalesced" for r in outbox_rows(db, event_type="reminder"))
    assert len(client.get("/api/v1/alerts", headers=keys["city"]).json()["items"]) == 1  # once a month


def test_channel_may_ask_for_daily_digests_of_low_urgency_events(client, keys, db, settings, clock):
    make_channel(client, keys, events=["submitted", "reminder", "digest"])
    file_appeal(client, keys)
    [row] = outbox_rows(db)
    assert row.digest_hold and row.next_attempt_at == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)


def _capture(status: int, answer: dict, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=answer)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_generic_webhook_is_signed_per_standard_webhooks(client, keys, db, settings, clock):
    key = base64.b64encode(b"k" * 32).decode()
    make_channel(client, keys, kind="webhook", url="https://hooks.example.com/zhuqi", secret=f"whsec_{key}",
                 keyword=None)
    appeal = file_appeal(client, keys)
    seen: list[httpx.Request] = []
    assert dispatch(db, settings, clock, _capture(204, {}, seen)) == 1
    [request] = seen
    msg_id, ts = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    expected = base64.b64encode(hmac.new(b"k" * 32, f"{msg_id}.{ts}.".encode() + request.content,
                                         hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    assert msg_id == outbox_rows(db)[0].id and int(ts) == int(clock.now.timestamp())
    body = json.loads(request.content)
    assert body["type"] == "appeal.submitted" and body["data"]["number"] == appeal["number"]


def test_feishu_signs_in_the_body_and_wecom_sends_markdown(client, keys, db, settings, clock):
    make_channel(client, keys, kind="feishu", secret="demo-secret-1", keyword=None,
                 url="https://open.feishu.cn/open-apis/bot/v2/hook/5c1d2e3f-aaaa-bbbb-cccc-0123456789ab")
    make_channel(client, keys, kind="wecom", secret=None, keyword=None,
                 url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef0123456789")
    file_appeal(client, keys)
    seen: list[httpx.Request] = []
    assert dispatch(db, settings, clock, _capture(200, {"code": 0, "errcode": 0, "msg": "success"}, seen)) == 2
    by_host = {r.headers["host"]: json.loads(r.content) for r in seen}
    feishu = by_host["open.feishu.cn"]
    ts = int(feishu["timestamp"])
    expected = base64.b64encode(hmac.new(f"{ts}\ndemo-secret-1".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu["sign"] == expected and feishu["msg_type"] == "post"
    assert by_host["qyapi.weixin.qq.com"]["msgtype"] == "markdown"


def test_two_workers_racing_never_exceed_the_budget_nor_send_a_row_twice(
    client, keys, db, settings, clock, robot
):
    """Two dispatchers at once (threads; real row locks on PostgreSQL, the writer lock on SQLite)."""
    make_channel(client, keys)
    appeals = [file_appeal(client, keys) for _ in range(3)]
    clients = [httpx.Client(transport=robot.transport()) for _ in range(2)]
    errors: list[BaseException] = []
    sent_by = [0, 0]

    def worker(i: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            sent_by[i] += dispatch(db, settings, clock, clients[i], limit=3, owner=f"worker-{i}")
        except BaseException as exc:  # noqa: BLE001 — surfaced below
            errors.append(exc)

    for round_ in range(200):
        if round_ < 20:  # 120 events in 100 s: more than the budget, so both waiting and digests happen
            add_events(db, appeals[round_ % 3]["id"], 6, clock.now)
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(i, barrier)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        if round_ >= 20 and not outbox_rows(db, status="pending"):
            break
        clock.advance(seconds=5)
    assert robot.blocks_triggered == 0 and robot.rejected == []
    uuids = [u for _, token, _, u in robot.log if token == TOKEN]
    assert len(uuids) == len(set(uuids))  # no message was sent twice
    assert max_in_window([t for t, token, _, _ in robot.log if token == TOKEN]) <= 18
    _assert_everything_delivered(db, robot, expected_events=123)
    if db.dialect.name == "postgresql":
        assert min(sent_by) > 0, sent_by  # both really worked the same channel at once
