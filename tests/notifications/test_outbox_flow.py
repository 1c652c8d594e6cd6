"""From a change to a group message: the outbox row commits with the change, the dispatcher delivers it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.enterprises.pii import contains_pii
from tests.fakes.dingtalk_robot import effective_mentions
from tests.helpers import XIXI_ENTERPRISE, assert_problem

LIAISON_MOBILE = "13800001111"  # the mobile of the liaison of 西溪街道 (wangxm01)
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


def test_filed_appeal_reaches_the_group_signed_chinese_and_pii_free(client, keys, db, settings, clock, robot,
                                                                   robot_client):
    channel = make_channel(client, keys)
    appeal = file_appeal(client, keys)
    [row] = outbox_rows(db)
    assert (row.channel_id, row.appeal_id, row.event_type, row.status) == (channel["id"], appeal["id"],
                                                                          "submitted", "pending")
    assert row.id.startswith("msg_") and row.attempts == 0 and row.dedupe_key.endswith(f":{channel['id']}")

    assert dispatch(db, settings, clock, robot_client) == 1
    assert robot.rejected == [] and robot.blocks_triggered == 0
    [message] = robot.accepted[TOKEN]
    assert message["msgUuid"] == row.id
    card = message["actionCard"]  # submitted: the liaison must act, so a card with 查看/签收 buttons
    assert card["title"].startswith("新诉求待签收") and appeal["number"] in card["text"]
    assert "西溪街道" in card["text"] and "能源" in card["text"]
    view_url = card["btns"][0]["actionURL"]
    assert view_url.startswith(f"https://zhuqi.example.gov.cn/m/appeals/{appeal['number']}?t=")
    # The link opens the liaison's page: its one-time token signs the liaison in (then the clean URL).
    opened = client.get(view_url.removeprefix("https://zhuqi.example.gov.cn"), follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].endswith(f"/m/appeals/{appeal['number']}")
    text = json.dumps(message, ensure_ascii=False)
    assert not contains_pii(text) and XIXI_ENTERPRISE not in text and "西溪智造" not in text

    [sent] = outbox_rows(db)
    assert sent.status == "sent" and sent.attempts == 1 and sent.sent_at is not None and sent.lease_owner is None
    assert dispatch(db, settings, clock, robot_client) == 0


def test_red_item_ats_the_liaison_by_userid_and_no_mobile_is_anywhere_in_the_payload(
    client, keys, db, settings, clock, robot, robot_client
):
    make_channel(client, keys)
    appeal = file_appeal(client, keys, impact={"safety_risk": True})
    assert appeal["urgency"] == "red"
    dispatch(db, settings, clock, robot_client)
    [message] = robot.accepted[TOKEN]
    assert message["msgtype"] == "markdown" and message["at"] == {"atUserIds": ["wangxm01"], "isAtAll": False}
    assert effective_mentions(message) == ["wangxm01"] and "存在安全隐患" in message["markdown"]["text"]
    [row] = outbox_rows(db)
    for stored in (message, row.payload, row.context):  # what the group got, and what waits in the outbox
        dumped = json.dumps(stored, ensure_ascii=False)
        assert LIAISON_MOBILE not in dumped and "atMobiles" not in dumped and not contains_pii(dumped)


def test_red_items_in_a_digest_at_by_userid_and_a_liaison_without_one_gets_no_at(
    client, keys, db, settings, clock, robot, robot_client
):
    from app.auth.models import User

    make_channel(client, keys, per_minute_budget=2)
    appeal = file_appeal(client, keys, impact={"safety_risk": True})
    add_events(db, appeal["id"], 5, clock.now)  # 6 red rows for a budget of 2: one digest
    dispatch(db, settings, clock, robot_client)
    [digest] = robot.accepted[TOKEN]
    assert "诉求汇总" in digest["markdown"]["title"] and digest["at"]["atUserIds"] == ["wangxm01"]
    assert LIAISON_MOBILE not in json.dumps(digest, ensure_ascii=False)

    with Session(db) as session:  # the liaison has no DingTalk userid: no @ at all (never the mobile instead)
        liaison = session.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
        liaison.dingtalk_userid = None
        session.add(liaison)
        session.commit()
    file_appeal(client, keys, impact={"safety_risk": True})
    clock.advance(seconds=61)
    dispatch(db, settings, clock, robot_client)
    last = robot.accepted[TOKEN][-1]
    assert "at" not in last and LIAISON_MOBILE not in json.dumps(last, ensure_ascii=False)


def test_wecom_red_message_carries_no_mobile_mention(client, keys, db, settings, clock):
    make_channel(client, keys, kind="wecom", secret=None, keyword=None,
                 url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef0123456789")
    file_appeal(client, keys, impact={"safety_risk": True})
    [row] = outbox_rows(db)
    dumped = json.dumps(row.payload, ensure_ascii=False)
    assert LIAISON_MOBILE not in dumped and "mentioned_mobile_list" not in dumped
    # Users hold no WeCom userid, and the DingTalk one is another namespace: no @ rather than a wrong one.
    assert "wangxm01" not in dumped and row.payload["msgtype"] == "markdown"


def test_internal_channel_may_show_the_enterprise_name(client, keys, db, settings, clock, robot, robot_client):
    make_channel(client, keys, internal=True)
    file_appeal(client, keys)
    dispatch(db, settings, clock, robot_client)
    text = json.dumps(robot.accepted[TOKEN][0], ensure_ascii=False)
    assert "杭州西溪智造科技有限公司" in text and not contains_pii(text)


def test_only_subscribed_active_channels_of_the_units_involved_get_a_row(client, keys, db):
    make_channel(client, keys, events=["escalated"])
    make_channel(client, keys, min_urgency="red")
    make_channel(client, keys, unit="330105005", key="hushu_admin")  # another street
    file_appeal(client, keys)
    assert outbox_rows(db) == []
    file_appeal(client, keys, impact={"safety_risk": True})
    assert [r.urgency for r in outbox_rows(db)] == ["red"]  # only the min_urgency=red channel


def test_escalation_notifies_both_groups(client, keys, db, clock):
    from app.appeals.events import record_event
    from app.appeals.models import Appeal

    street = make_channel(client, keys)
    district = make_channel(client, keys, unit="330106", key="xihu", name="西湖区助企专班群")
    appeal = file_appeal(client, keys)
    with Session(db, expire_on_commit=False) as session:
        row = session.get(Appeal, appeal["id"])
        record_event(session, row, "escalated", now=clock.now, from_unit_code="330106012", to_unit_code="330106",
                     note="签收超期，提级至区级")
        session.commit()
    escalated = outbox_rows(db, event_type="escalated")
    assert sorted(r.channel_id for r in escalated) == sorted([street["id"], district["id"]])
    assert len({r.dedupe_key for r in escalated}) == 2


def test_an_error_before_commit_leaves_neither_the_appeal_nor_its_outbox_row(client, keys, db, monkeypatch):
    from app.appeals import service as appeals_service
    from app.appeals.models import Appeal
    from app.notifications.models import OutboxMessage

    make_channel(client, keys)

    def boom(*_args, **_kwargs):
        raise RuntimeError("crash after the outbox row was added, before commit")

    monkeypatch.setattr(appeals_service, "to_read", boom)
    r = client.post("/api/v1/appeals", json={"title": "测试", "description": "测试", "category": "other",
                                             "enterprise_uscc": XIXI_ENTERPRISE}, headers=keys["xixi_admin"])
    assert r.status_code == 500
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Appeal)).one() == 0
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    monkeypatch.undo()
    file_appeal(client, keys)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Appeal)).one() == 1
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 1


class TestOutboxAdmin:
    def test_list_filter_and_reach(self, client, keys, db, settings, clock, robot_client):
        channel = make_channel(client, keys)
        first = file_appeal(client, keys)
        file_appeal(client, keys)
        dispatch(db, settings, clock, robot_client)
        file_appeal(client, keys)
        page = client.get("/api/v1/outbox", params={"limit": 2}, headers=keys["xixi_admin"]).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = client.get("/api/v1/outbox", params={"limit": 2, "cursor": page["next_cursor"]},
                          headers=keys["xixi_admin"]).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert len({i["id"] for i in page["items"] + rest["items"]}) == 3
        pending = client.get("/api/v1/outbox", params={"status": "pending"}, headers=keys["xixi_admin"]).json()
        assert [i["status"] for i in pending["items"]] == ["pending"]
        by_appeal = client.get("/api/v1/outbox", params={"appeal_id": first["id"], "channel_id": channel["id"]},
                               headers=keys["city"]).json()
        assert [i["appeal_id"] for i in by_appeal["items"]] == [first["id"]]
        assert by_appeal["items"][0]["status"] == "sent" and by_appeal["items"][0]["unit_code"] == "330106012"
        assert client.get("/api/v1/outbox", headers=keys["hushu_admin"]).json()["items"] == []
        assert_problem(client.get("/api/v1/outbox", headers=keys["xixi_liaison"]), 403)
        assert_problem(client.get("/api/v1/outbox", params={"cursor": "forged.abc"}, headers=keys["city"]), 422)

    def test_permanent_error_breaks_channel_holds_its_messages_and_activation_delivers_them(
        self, client, keys, db, settings, clock, robot, robot_client
    ):
        channel = make_channel(client, keys)
        file_appeal(client, keys)
        robot.remove_robot(TOKEN)  # the robot was removed from the group
        dispatch(db, settings, clock, robot_client)
        [held] = outbox_rows(db)
        assert held.status == "pending" and held.last_error.startswith("dingtalk:300001") and held.attempts == 0
        broken = client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()
        assert broken["state"] == "broken" and "300001" in broken["broken_reason"]
        [alert] = client.get("/api/v1/alerts", headers=keys["xixi_admin"]).json()["items"]
        assert alert["kind"] == "channel_broken" and alert["channel_id"] == channel["id"]
        assert "已停用" in alert["message"] and "启用后补发" in alert["message"] and alert["unit_code"] == "330106012"
        assert client.get("/api/v1/alerts", headers=keys["hushu_admin"]).json()["items"] == []

        later = [file_appeal(client, keys) for _ in range(2)]  # a broken channel still gets its rows: held
        assert len(outbox_rows(db, status="pending")) == 3
        requests = robot.requests
        clock.advance(minutes=5)
        assert dispatch(db, settings, clock, robot_client) == 0 and robot.requests == requests  # nothing claimed
        assert client.get("/readyz").json()["checks"]["dispatcher"]["due_messages"] == 0  # held is not lag

        robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])  # fixed: the robot is back in the group
        activated = client.post(f"/api/v1/channels/{channel['id']}/activate", headers=keys["xixi_admin"]).json()
        assert activated["state"] == "active" and activated["broken_reason"] is None
        assert dispatch(db, settings, clock, robot_client) == 3
        assert {m["msgUuid"] for m in robot.accepted[TOKEN]} == {r.id for r in outbox_rows(db)}
        text = json.dumps(robot.accepted[TOKEN], ensure_ascii=False)
        assert all(a["number"] in text for a in later)

        ack = client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=keys["xixi_admin"])
        assert ack.status_code == 200 and ack.json()["acknowledged_at"]
        open_alerts = client.get("/api/v1/alerts", params={"unacknowledged": True}, headers=keys["xixi_admin"])
        assert open_alerts.json()["items"] == []

    def test_a_message_the_vendor_refuses_is_dead_and_can_be_redelivered(
        self, client, keys, db, settings, clock, robot, robot_client
    ):
        channel = make_channel(client, keys)
        file_appeal(client, keys)
        robot.max_body = 100  # the vendor refuses this message (460101 body too big), not the channel
        dispatch(db, settings, clock, robot_client)
        [dead] = outbox_rows(db)
        assert dead.status == "dead" and dead.last_error.startswith("dingtalk:460101") and dead.attempts == 1
        assert client.get(f"/api/v1/channels/{channel['id']}", headers=keys["xixi_admin"]).json()["state"] == "active"
        [alert] = client.get("/api/v1/alerts", headers=keys["xixi_admin"]).json()["items"]
        assert alert["kind"] == "message_dead" and dead.id in alert["message"]

        robot.max_body = 20_000
        assert_problem(client.post(f"/api/v1/outbox/{dead.id}/redeliver", headers=keys["hushu_admin"]), 404)
        r = client.post(f"/api/v1/outbox/{dead.id}/redeliver", headers=keys["xixi_admin"])
        assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["attempts"] == 0
        assert_problem(client.post(f"/api/v1/outbox/{dead.id}/redeliver", headers=keys["xixi_admin"]), 409)
        assert dispatch(db, settings, clock, robot_client) == 1
        assert [m["msgUuid"] for m in robot.accepted[TOKEN]] == [dead.id]  # the same id as the first attempt


def test_readyz_reports_dispatcher_lag_and_metrics_count_sends(client, keys, db, settings, clock, robot_client):
    make_channel(client, keys)
    file_appeal(client, keys)
    clock.advance(seconds=120)
    check = client.get("/readyz").json()["checks"]["dispatcher"]
    assert check == {"status": "ok", "lag_seconds": 120.0, "due_messages": 1}
    clock.advance(minutes=10)
    assert client.get("/readyz").json()["checks"]["dispatcher"]["status"] == "lagging"
    dispatch(db, settings, clock, robot_client)
    assert client.get("/readyz").json()["checks"]["dispatcher"]["due_messages"] == 0
    assert 'zhuqi_notifications_sent_total{kind="dingtalk"}' in client.get("/metrics").text


def test_an_enterprise_urge_reaches_the_group_as_a_reminder(client, keys, db, clock):
    make_channel(client, keys, events=["reminder"])
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 1, clock.now, event_type="urged")
    [row] = outbox_rows(db)
    assert row.event_type == "reminder" and row.payload["markdown"]["title"].startswith("诉求催办提醒")


@pytest.mark.parametrize("event_type", ["comment", "recolored"])
def test_events_outside_the_notification_list_are_ignored(client, keys, db, clock, event_type):
    make_channel(client, keys)
    appeal = file_appeal(client, keys)
    add_events(db, appeal["id"], 1, clock.now + timedelta(seconds=1), event_type=event_type)
    assert [r.event_type for r in outbox_rows(db)] == ["submitted"]
