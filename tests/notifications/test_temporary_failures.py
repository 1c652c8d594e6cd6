"""Temporary versus permanent: a DNS blink or a network error is retried and breaks nothing; a broken channel's
events are kept and delivered — coalesced within the budget — once an admin re-activates it."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from tests.fakes.dingtalk_robot import max_in_window
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


def _channel(client, keys, channel_id: int) -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/channels/{channel_id}", headers=keys["xixi_admin"]).json()


def _drain(db, settings, clock, robot_client, *, max_steps: int = 900) -> None:  # type: ignore[no-untyped-def]
    for _ in range(max_steps):
        dispatch(db, settings, clock, robot_client)
        if not outbox_rows(db, status="pending"):
            return
        clock.advance(seconds=1)
    raise AssertionError("the outbox never drained")


def _all_delivered(db, robot) -> None:  # type: ignore[no-untyped-def]
    """Every event row reached the group itself or inside a digest that was sent."""
    rows = outbox_rows(db)
    by_id = {r.id: r for r in rows}
    accepted = {m["msgUuid"] for m in robot.accepted[TOKEN]}
    for row in rows:
        carrier = by_id[row.coalesced_into] if row.status == "coalesced" else row
        assert carrier.status == "sent" and carrier.id in accepted, (row.status, row.last_error)


def test_dns_failure_at_send_time_is_retried_the_channel_stays_active_and_nothing_is_lost(
    client, keys, db, settings, clock, robot, robot_client, fake_dns
):
    channel = make_channel(client, keys)
    first = file_appeal(client, keys)
    answer = fake_dns.pop("oapi.dingtalk.com")  # the resolver fails: "Name or service not known"
    assert dispatch(db, settings, clock, robot_client) == 0
    [row] = outbox_rows(db)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("dns")
    assert abs(row.next_attempt_at - clock.now - timedelta(seconds=10)) < timedelta(seconds=1)  # the schedule
    assert _channel(client, keys, channel["id"])["state"] == "active" and robot.requests == 0
    assert client.get("/api/v1/alerts", headers=keys["xixi_admin"]).json()["items"] == []

    later = file_appeal(client, keys)  # events during the outage get their rows as usual
    add_events(db, later["id"], 2, clock.now)
    assert dispatch(db, settings, clock, robot_client) == 0  # still failing: retried again, not given up
    assert all(r.status == "pending" for r in outbox_rows(db))

    fake_dns["oapi.dingtalk.com"] = answer  # DNS is back
    clock.advance(seconds=61)
    assert dispatch(db, settings, clock, robot_client) == 4
    assert {m["msgUuid"] for m in robot.accepted[TOKEN]} == {r.id for r in outbox_rows(db)}
    assert all(r.status == "sent" for r in outbox_rows(db)) and robot.rejected == []
    assert first["number"] in json.dumps(robot.accepted[TOKEN], ensure_ascii=False)
    assert _channel(client, keys, channel["id"])["state"] == "active"


def test_network_errors_are_retried_and_break_nothing(client, keys, db, settings, clock, robot, robot_client):
    channel = make_channel(client, keys)
    file_appeal(client, keys)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    dispatch(db, settings, clock, httpx.Client(transport=httpx.MockTransport(refused)))
    [row] = outbox_rows(db)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("transport")
    assert _channel(client, keys, channel["id"])["state"] == "active"
    clock.advance(seconds=11)
    assert dispatch(db, settings, clock, robot_client) == 1


def test_a_long_outage_is_delivered_after_activation_as_digests_without_a_burst(
    client, keys, db, settings, clock, robot, robot_client
):
    """~240 events while the channel was broken: re-activation sends a few digests inside the budget."""
    channel = make_channel(client, keys)
    appeals = [file_appeal(client, keys, impact={"safety_risk": i == 0}) for i in range(4)]
    robot.remove_robot(TOKEN)
    dispatch(db, settings, clock, robot_client)
    assert _channel(client, keys, channel["id"])["state"] == "broken"
    for i in range(60):  # four hours of events on a broken channel
        add_events(db, appeals[i % 4]["id"], 4, clock.now)
        clock.advance(minutes=4)
        dispatch(db, settings, clock, robot_client)
    assert len(outbox_rows(db, status="pending")) == 244 and robot.accepted[TOKEN] == []

    robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    activated = client.post(f"/api/v1/channels/{channel['id']}/activate", headers=keys["xixi_admin"])
    assert activated.status_code == 200
    start = clock.now
    _drain(db, settings, clock, robot_client)

    assert robot.blocks_triggered == 0 and robot.rejected == [(TOKEN, 300001)]  # only the one that broke it
    assert max_in_window([t for t, token, _, _ in robot.log if token == TOKEN]) <= 18
    _all_delivered(db, robot)
    assert 1 <= len(robot.accepted[TOKEN]) <= 20  # a few digest pages, not 244 messages
    assert clock.now - start < timedelta(minutes=2)
