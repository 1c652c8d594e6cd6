"""Issue 18's "done means", end to end through the API and against the fakes (the DingTalk app, the group robot):
西湖区 publishes a policy for 专精特新 manufacturers with 20–300 employees; the matching enterprise and its cadre hear
of it once, each in their own channel; the enterprise declares interest from the mini-program and the appeal reaches
its street; the dashboard shows how many read it and how much was granted. Also the two API behaviours of §12 no
other test pins: the inbox lists unread first, and the matches list pages by cursor."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.dingtalk.models import DingTalkOp
from app.policies.models import PolicyDelivery, PolicyPush
from tests.dingtalk.test_workplace import (  # noqa: F401  # fixtures: settings, fake, _unconfigure_after
    _unconfigure_after, dispatch_round, fake, read, settings, workplace)
from tests.helpers import XIXI_ENTERPRISE, assert_problem
from tests.notifications.conftest import TOKEN, dispatch, make_channel  # fixtures come through tests/policies/conftest
from tests.pages.conftest import browser_for  # noqa: F401  # fixture
from tests.pages.test_dashboard_policies import panel
from tests.policies.conftest import enterprise_headers
from tests.policies.test_policies_api import create

pytestmark = pytest.mark.db


def test_a_district_policy_reaches_enterprise_and_cadre_once_and_the_dashboard_shows_the_outcome(
        client, keys, facts, settings, clock, db, fake, robot, robot_client, browser_for):
    make_channel(client, keys)  # 西溪街道's group robot
    policy = create(client, keys)  # 西湖区: tags_any 专精特新, industry C, 20–300 employees
    assert policy["target"]["min_employees"] == 20 and policy["target"]["max_employees"] == 300
    for _ in range(2):  # a second push tells nobody anything
        pushed = client.post(f"/api/v1/policies/{policy['id']}/push", headers=keys["xihu"])
        assert pushed.status_code == 201 and pushed.json()["matched"] == 1, pushed.text
    place = workplace(fake, clock)
    dispatch_round(db, settings, clock, place)
    dispatch(db, settings, clock, robot_client)
    # The cadre: one work notice. The group: the street's one digest, with no @ of him.
    [notice] = fake.texts_received("wangxm01")
    assert "您结对的 1 家企业适用此政策" in notice and "专精特新制造企业技术改造补助" in notice
    [group] = robot.accepted[TOKEN]
    assert "本街道 1 家企业" in group["markdown"]["text"] and "at" not in group

    # The enterprise, signed in from the mini-program: its inbox, then a declaration of interest.
    mine = enterprise_headers(facts, settings, clock.now, XIXI_ENTERPRISE)
    [delivery] = client.get("/api/v1/me/policies", headers=mine).json()["items"]
    assert delivery["reasons"] == ["专精特新企业", "行业 C39", "员工 120 人"]
    interest = client.post(f"/api/v1/me/policies/{delivery['id']}/interest", json={"note": "拟申报"}, headers=mine)
    assert interest.status_code == 201, interest.text
    appeal = client.get(f"/api/v1/appeals/{interest.json()['interest_appeal_id']}", headers=keys["xixi_liaison"])
    assert appeal.status_code == 200 and appeal.json()["unit_code"] == "330106012"  # routed to its street
    assert appeal.json()["category"] == "policy" and appeal.json()["source"] == "mini_program"
    done = client.post(f"/api/v1/policy-deliveries/{delivery['id']}/outcome",
                       json={"status": "granted", "amount_cny": 500_000}, headers=keys["xixi_admin"])
    assert done.status_code == 200, done.text

    shown = panel(browser_for("xihu").get("/dashboard").text)
    assert {key: text for key, (_, text) in shown.items()} == {
        "policies": "1项", "enterprises_reached": "1家", "deliveries": "1家次", "read_rate": "100.0%",
        "interested": "1个", "granted": "1笔", "granted_amount_cny": "50万元"}
    # Still once each after everything (the interest's appeal notices are about the appeal, not the policy).
    assert len([op for op in read(db, select(DingTalkOp)) if op.dedupe_key.startswith("policy:")]) == 1


def test_the_inbox_lists_unread_first_then_newest(client, keys, facts, settings, clock):
    first = create(client, keys, title="第一项政策")
    second = create(client, keys, title="第二项政策")
    for policy in (first, second):
        assert client.post(f"/api/v1/policies/{policy['id']}/push", headers=keys["xihu"]).status_code == 201
    mine = enterprise_headers(facts, settings, clock.now, XIXI_ENTERPRISE)
    items = client.get("/api/v1/me/policies", headers=mine).json()["items"]
    assert [i["policy"]["title"] for i in items] == ["第二项政策", "第一项政策"]  # both unread: newest first
    assert client.post(f"/api/v1/me/policies/{items[0]['id']}/read", headers=mine).status_code == 200
    items = client.get("/api/v1/me/policies", headers=mine).json()["items"]
    assert [(i["policy"]["title"], i["read_at"] is None) for i in items] == [("第一项政策", True),
                                                                            ("第二项政策", False)]


def test_matches_page_by_cursor(client, keys, facts):
    policy = create(client, keys, kind="universal", target={}, title="西湖区普惠政策")  # 西溪 and 北山
    url = f"/api/v1/policies/{policy['id']}/matches"
    page1 = client.get(url, params={"limit": 1}, headers=keys["xihu"]).json()
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    page2 = client.get(url, params={"limit": 1, "cursor": page1["next_cursor"]}, headers=keys["xihu"]).json()
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    assert page1["items"][0]["uscc"] != page2["items"][0]["uscc"]
    assert {i["reasons"][0] for i in page1["items"] + page2["items"]} == {"普惠政策"}
    whole = client.get(url, headers=keys["xihu"]).json()
    assert whole["items"] == page1["items"] + page2["items"] and whole["next_cursor"] is None


def test_a_street_admin_cannot_push_a_city_policy_and_nothing_is_written(client, keys, facts):
    policy = create(client, keys, key="city", issuer_unit_code="330100")
    assert_problem(client.post(f"/api/v1/policies/{policy['id']}/push", headers=keys["xixi_admin"]), 403,
                   field="issuer_unit_code")
    assert facts.exec(select(func.count()).select_from(PolicyDelivery)).one() == 0
    assert facts.exec(select(func.count()).select_from(PolicyPush)).one() == 0
