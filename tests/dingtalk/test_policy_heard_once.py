"""A paired liaison hears of a policy push once (DESIGN §12, §14), against both fakes: the DingTalk app (work
notices) and the group robot. With work notices configured, a liaison with a DingTalk userid gets the work notice
and the group's digests do not @ them (the street still gets its one digest); a liaison without a userid is still
told in the group. Without work notices, the group @s every paired liaison and no work notice is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.dingtalk.models import DingTalkOp
from tests.dingtalk.test_personal_notices import make_policy, user
from tests.dingtalk.test_workplace import (  # noqa: F401  # fixtures: settings, fake, _unconfigure_after
    _unconfigure_after, dispatch_round, fake, read, settings, workplace)
from tests.notifications.conftest import (  # noqa: F401  # fixtures: fake_dns, robot, robot_client
    TOKEN, dispatch, fake_dns, make_channel, outbox_rows, robot, robot_client)
from tests.policies.conftest import bulk_enterprises

pytestmark = pytest.mark.db


def push_to_three_liaisons(client: Any, keys: Any, city: Session, clock: Any) -> dict[str, Any]:
    """西溪街道's group, and 6 matching enterprises of 西溪 paired with 王晓明 (of 西溪, on DingTalk), 李娜 (of 湖墅街道,
    on DingTalk; her street has no group) and 赵六 (of 西溪, not on DingTalk)."""
    make_channel(client, keys)
    wang, lina = user(city, "wangxm01"), user(city, "lina02")
    zhao = User(name="赵六", role="liaison", unit_id=wang.unit_id, created_at=clock.now)
    city.add(zhao)
    city.commit()
    bulk_enterprises(city, "330106012", 6, now=clock.now, liaison_ids=[wang.id, lina.id, zhao.id])
    pid = make_policy(city, clock.now)
    pushed = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])
    assert pushed.status_code == 201 and pushed.json()["new_deliveries"] == 6, pushed.text
    return dict(pushed.json())


def group_messages(db: Any, settings: Any, clock: Any, robot_client: Any, robot: Any) -> list[dict[str, Any]]:
    assert dispatch(db, settings, clock, robot_client) == len(outbox_rows(db, event_type="policy_digest"))
    assert robot.blocks_triggered == 0 and robot.rejected == []
    return list(robot.accepted[TOKEN])


def at_ids(messages: list[dict[str, Any]]) -> list[str]:
    return sorted(uid for m in messages for uid in m.get("at", {}).get("atUserIds", []))


def test_with_work_notices_a_liaison_on_dingtalk_is_told_in_person_and_not_at_in_the_group(
        client, keys, city, clock, db, settings, fake, robot, robot_client):
    pushed = push_to_three_liaisons(client, keys, city, clock)
    dispatch_round(db, settings, clock, workplace(fake, clock))
    for userid in ("wangxm01", "lina02"):
        [text] = fake.texts_received(userid)
        assert "您结对的 2 家企业适用此政策" in text
    assert [op.dedupe_key for op in read(db, select(DingTalkOp).order_by(DingTalkOp.id))] == [  # type: ignore[arg-type]
        f"policy:{pushed['push_id']}:wangxm01", f"policy:{pushed['push_id']}:lina02"]

    messages = group_messages(db, settings, clock, robot_client, robot)
    texts = [m["markdown"]["text"] for m in messages]
    assert len(messages) == 2  # the street's one digest, and 赵六's (he has no DingTalk userid: the group tells him)
    assert sum("本街道 6 家企业" in t for t in texts) == 1
    assert sum("赵六：您结对的 2 家企业" in t for t in texts) == 1
    assert at_ids(messages) == [] and not any("王晓明" in t or "李娜" in t for t in texts)


def test_without_work_notices_the_group_ats_every_paired_liaison(client, keys, city, clock, db, settings, robot,
                                                                   robot_client):
    from app.config import Settings
    from app.dingtalk import handlers

    handlers.configure(Settings())  # no AgentId: work notices are off
    push_to_three_liaisons(client, keys, city, clock)
    assert read(db, select(DingTalkOp)) == []
    messages = group_messages(db, settings, clock, robot_client, robot)
    texts = [m["markdown"]["text"] for m in messages]
    assert len(messages) == 3  # the street's digest and one per paired liaison of 西溪 (李娜's street has no group)
    assert at_ids(messages) == ["wangxm01"]
    assert sum("本街道 6 家企业" in t for t in texts) == 1
    assert sum("王晓明：您结对的 2 家企业" in t and "@wangxm01" in t for t in texts) == 1
    assert sum("赵六：您结对的 2 家企业" in t for t in texts) == 1
