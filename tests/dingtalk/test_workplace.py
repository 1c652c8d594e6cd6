"""DingTalk as the liaison's workplace, end to end against the faithful fake (never patching our sender):
an appeal reaching 西溪街道 → a work notice and a to-do for its liaison, a card in the street's group; signing
on the card → the to-do is done and the card says who signed, for everyone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.dingtalk import dispatch, handlers
from app.dingtalk.models import DingTalkNoticeDay, DingTalkOp, DingTalkTodo, DingTalkUnionId
from app.units.models import Unit
from tests.dingtalk.workplace import (CARD_URL, GROUP, app_fake, dispatch_round, file_appeal, read, workplace,
                                      workplace_settings)
from tests.fakes.dingtalk_app import FakeDingTalkApp
from tests.helpers import assert_problem

pytestmark = pytest.mark.db


@pytest.fixture
def settings(database_url, tmp_path):  # type: ignore[no-untyped-def]
    return workplace_settings(database_url, tmp_path)


@pytest.fixture(autouse=True)
def _unconfigure_after() -> Iterator[None]:
    yield
    from app.config import Settings

    handlers.configure(Settings())  # other tests' appeals must not write DingTalk rows


@pytest.fixture
def fake(clock) -> FakeDingTalkApp:  # type: ignore[no-untyped-def]
    return app_fake(clock)


class Crash(BaseException):
    """The worker dies right after DingTalk accepted the call, before it could mark the row sent."""


def dies_after_send(fake: FakeDingTalkApp, path_end: str = "/asyncsend_v2") -> httpx.MockTransport:
    """DingTalk takes the call (a work notice by default), then the worker dies before it hears the answer."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = fake.handle(request)
        if request.method == "POST" and request.url.path.endswith(path_end):
            raise Crash
        return answer

    return httpx.MockTransport(handle)


def test_an_appeal_for_xixi_notifies_its_liaison_once_even_across_a_crash(client, keys, clock, db, settings,
                                                                          fake):
    filed = file_appeal(client, keys)
    ops = read(db, select(DingTalkOp).where(DingTalkOp.kind == "notice"))
    assert [op.userid for op in ops] == ["wangxm01"]
    with pytest.raises(Crash):
        dispatch_round(db, settings, clock, workplace(fake, clock, dies_after_send(fake)))
    assert len(fake.received["wangxm01"]) == 1
    assert dispatch_round(db, settings, clock, workplace(fake, clock)) == 0  # leased by the dead worker
    clock.advance(seconds=settings.dispatch_lease_seconds + 1)
    dispatch_round(db, settings, clock, workplace(fake, clock))  # the crashed send is repeated, same bytes …
    assert len(fake.received["wangxm01"]) == 1  # … and DingTalk shows it once
    text = fake.texts_received("wangxm01")[0]
    assert filed["number"] in text and "新诉求待签收" in text and "西溪街道" in text
    [notice] = read(db, select(DingTalkOp).where(DingTalkOp.kind == "notice"))
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert dispatch_round(db, settings, clock, workplace(fake, clock)) == 0  # nothing left to send


def test_over_the_daily_budget_notices_wait_for_one_digest(client, keys, clock, db, settings, fake):
    settings = settings.model_copy(update={"dingtalk_notice_daily_budget": 3})
    place = workplace(fake, clock)
    numbers = [file_appeal(client, keys)["number"] for _ in range(4)]
    dispatch_round(db, settings, clock, place)
    assert len(fake.received["wangxm01"]) == 2  # 3 a day, one kept back for the digest
    held = read(db, select(DingTalkOp).where(DingTalkOp.status == "held"))
    assert len(held) == 2
    clock.advance(days=1)  # the next morning (09:00 China time is 01:00 UTC)
    dispatch_round(db, settings, clock, place)
    texts = fake.texts_received("wangxm01")
    assert len(texts) == 3 and "诉求提醒汇总" in texts[-1]
    assert all(n in texts[-1] for n in numbers[2:])
    assert {op.status for op in read(db, select(DingTalkOp).where(DingTalkOp.kind == "notice"))} == {
        "sent", "digested"}
    assert sum(d.sends for d in read(db, select(DingTalkNoticeDay))) == 3


def test_a_todo_created_on_arrival_is_done_after_signing(client, keys, clock, db, settings, fake):
    place = workplace(fake, clock)
    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    [(key, task)] = fake.todos.items()
    assert key[0] == "union-wangxm01" and task["subject"] == f"签收诉求 {filed['number']}" and task["done"] is False
    assert task["sourceId"].startswith(f"zhuqi:{filed['id']}:sign:")
    assert read(db, select(DingTalkUnionId.union_id)) == ["union-wangxm01"]
    signed = client.post(f"/api/v1/appeals/{filed['id']}/actions/sign", json={}, headers=keys["xixi_liaison"])
    assert signed.status_code == 200, signed.text
    dispatch_round(db, settings, clock, place)
    assert fake.todos[key]["done"] is True and len(fake.todos) == 1
    assert read(db, select(DingTalkTodo.status)) == ["done"]
    assert fake.requests.count(("POST", "/topapi/v2/user/get")) == 1  # the unionId came from our cache after


def test_a_card_click_signs_and_updates_the_card_another_street_changes_nothing(client, keys, clock, db, settings,
                                                                                fake):
    group = client.put("/api/v1/units/330106012/dingtalk-group", json={"open_conversation_id": GROUP},
                       headers=keys["xixi_admin"])
    assert group.status_code == 200 and group.json()["open_conversation_id"] == GROUP, group.text
    place = workplace(fake, clock)
    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    assert fake.card_callbacks["zhuqi"]["callbackUrl"] == "https://zhuqi.example.gov.cn" + CARD_URL  # registered
    [card] = fake.cards.values()
    assert card.open_space_id == f"dtv1.card//IM_GROUP.{GROUP}" and card.callback_type == "HTTP"
    assert card.public["number"] == filed["number"] and card.public["status_text"] == "待签收"
    button = {"action": "sign", "appeal_id": card.public["appeal_id"]}

    def click(userid: str) -> dict[str, Any]:
        url, headers, body = fake.card_click(card.out_track_id, userid, button)
        assert url and url.endswith(CARD_URL)
        answer = client.post(CARD_URL, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        fake.apply_callback_response(card.out_track_id, userid, answer.json())
        return answer.json()

    refused = click("lina02")  # 湖墅街道's liaison: a private refusal, nothing changes
    assert "cardData" not in refused and "不属于您的单位" in refused["userPrivateData"]["cardParamMap"]["message"]
    assert card.public["status_text"] == "待签收" and card.private["lina02"]["message"]
    assert read(db, select(Appeal.status)) == ["submitted"]

    done = click("wangxm01")
    assert done["userPrivateData"]["cardParamMap"]["message"] == f"已签收 {filed['number']}"
    assert read(db, select(Appeal.status)) == ["in_progress"]
    clock.advance(seconds=5)  # our own update waits until the callback's answer is out
    dispatch_round(db, settings, clock, place)
    assert card.public["status_text"] == "已由 王晓明 签收" and card.public["status"] == "办理中"

    again = click("wangxm01")  # answered, not repeated
    assert "不能「签收」" in again["userPrivateData"]["cardParamMap"]["message"]
    events = read(db, select(func.count()).select_from(AppealEvent).where(AppealEvent.type == "signed"))
    assert events == [1] and card.public["status_text"] == "已由 王晓明 签收"


def test_nothing_is_written_when_the_app_is_not_configured(client, keys, db):
    from app.config import Settings

    handlers.configure(Settings())
    file_appeal(client, keys)
    assert read(db, select(func.count()).select_from(DingTalkOp)) == [0]


def test_the_paired_liaison_is_told_too_and_an_extension_is_a_todo_for_the_admin_above(client, keys, clock, db,
                                                                                      settings, fake, session):
    from app.auth.models import User
    from app.enterprises.models import Enterprise
    from app.pairing.models import Pairing
    from tests.helpers import XIXI_ENTERPRISE

    lina = session.exec(select(User).where(User.dingtalk_userid == "lina02")).one()
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == XIXI_ENTERPRISE)).one()
    xihu = session.exec(select(Unit).where(Unit.code == "330106")).one()
    session.add(Pairing(enterprise_id=enterprise.id, user_id=lina.id, unit_id=lina.unit_id, started_at=clock.now,
                        started_by="测试"))
    session.add(User(name="周主任", role="district_admin", unit_id=xihu.id, dingtalk_userid="xihu01",
                     created_at=clock.now))
    session.commit()
    session.close()
    fake.add_user("xihu01", name="周主任")
    place = workplace(fake, clock)
    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    assert len(fake.received["wangxm01"]) == len(fake.received["lina02"]) == 1  # one call for both
    assert [t["subject"] for t in fake.todos.values()] == [f"签收诉求 {filed['number']}"]  # the street signs

    base = f"/api/v1/appeals/{filed['id']}/actions"
    assert client.post(f"{base}/sign", json={}, headers=keys["xixi_liaison"]).status_code == 200
    asked = client.post(f"{base}/extend", json={"days": 3, "reason": "需协调供电公司现场勘查"},
                        headers=keys["xixi_liaison"])
    assert asked.status_code == 200, asked.text
    dispatch_round(db, settings, clock, place)
    extension = {k: t for k, t in fake.todos.items() if k[0] == "union-xihu01"}
    [(key, task)] = extension.items()
    assert task["subject"] == f"审批延期申请 {filed['number']}" and task["done"] is False
    decided = client.post(f"{base}/extend", json={"decision": "approve"}, headers=keys["xihu"])
    assert decided.status_code == 200, decided.text
    dispatch_round(db, settings, clock, place)
    assert fake.todos[key]["done"] is True and all(t["done"] for t in fake.todos.values())


def test_a_units_group_is_set_by_its_admins_only(client, keys):
    url = "/api/v1/units/330106012/dingtalk-group"
    assert_problem(client.get(url, headers=keys["xixi_admin"]), 404)
    assert_problem(client.put(url, json={"open_conversation_id": "https://evil"}, headers=keys["xixi_admin"]), 422,
                   field="open_conversation_id")
    assert_problem(client.put(url, json={"open_conversation_id": GROUP, "x": 1}, headers=keys["xixi_admin"]), 422)
    assert_problem(client.put(url, json={"open_conversation_id": GROUP}, headers=keys["hushu_admin"]), 404)
    assert_problem(client.put(url, json={"open_conversation_id": GROUP}, headers=keys["xixi_liaison"]), 403)
    assert client.put(url, json={"open_conversation_id": GROUP}, headers=keys["xihu"]).status_code == 200
    assert client.get(url, headers=keys["xixi_admin"]).json()["open_conversation_id"] == GROUP
    assert client.delete(url, headers=keys["xixi_admin"]).status_code == 200
    assert_problem(client.get(url, headers=keys["xixi_admin"]), 404)


def test_finished_rows_and_past_budget_days_are_pruned(client, keys, clock, db, settings, fake):
    file_appeal(client, keys)
    dispatch_round(db, settings, clock, workplace(fake, clock))
    assert read(db, select(func.count()).select_from(DingTalkNoticeDay)) == [1]
    clock.advance(days=31)
    assert dispatch.prune(db, clock.now) == 2  # the notice and the to-do; nothing else had finished
    assert read(db, select(func.count()).select_from(DingTalkNoticeDay)) == [0]
    assert dispatch.prune(db, clock.now) == 0  # at most once an hour


def test_an_escalation_moves_the_sign_todo_to_the_district_which_signs_through_its_admins(
        client, keys, clock, db, settings, fake, session):
    from app.auth.models import User

    xihu = session.exec(select(Unit).where(Unit.code == "330106")).one()
    session.add(User(name="周主任", role="district_admin", unit_id=xihu.id, dingtalk_userid="xihu01",
                     created_at=clock.now))
    session.commit()
    session.close()
    fake.add_user("xihu01", name="周主任")
    place = workplace(fake, clock)
    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    up = client.post(f"/api/v1/appeals/{filed['id']}/actions/escalate", json={"reason": "涉及区级审批权限"},
                     headers=keys["xixi_admin"])
    assert up.status_code == 200, up.text
    dispatch_round(db, settings, clock, place)
    todos = {k[0]: t for k, t in fake.todos.items()}
    assert todos["union-wangxm01"]["done"] is True  # the street's step is over
    assert todos["union-xihu01"]["done"] is False and todos["union-xihu01"]["subject"].startswith("签收诉求")
    assert "诉求已提级" in fake.texts_received("xihu01")[0]


def test_a_token_dingtalk_revoked_early_is_refreshed_and_the_notice_still_goes(client, keys, clock, db, settings,
                                                                               fake):
    place = workplace(fake, clock)
    file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    fake.expire_tokens()  # the next topapi call answers errcode 88 / sub_code 40014
    clock.advance(minutes=1)
    file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    assert len(fake.received["wangxm01"]) == 2 and fake.tokens_issued == 2
    assert {op.status for op in read(db, select(DingTalkOp))} == {"sent"}


def test_each_appeal_and_step_is_new_content_so_one_day_delivers_every_notice(client, keys, clock, db, settings,
                                                                              fake):
    """DingTalk delivers the same content to a user once a day and still answers success (the fake enforces it):
    arrival, 督办 and a recolour to red of one appeal within the same minute, and a second appeal, all arrive."""
    place = workplace(fake, clock)
    first = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    base = f"/api/v1/appeals/{first['id']}/actions"
    assert client.post(f"{base}/supervise", json={"note": "市专班关注"}, headers=keys["city"]).status_code == 200
    dispatch_round(db, settings, clock, place)
    red = client.post(f"{base}/recolor", json={"urgency": "red", "reason": "企业停产风险"}, headers=keys["city"])
    assert red.status_code == 200, red.text
    dispatch_round(db, settings, clock, place)
    second = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)
    sent = read(db, select(DingTalkOp).where(DingTalkOp.kind == "notice", DingTalkOp.userid == "wangxm01"))
    assert len(sent) == 4 and {op.status for op in sent} == {"sent"}
    texts = fake.texts_received("wangxm01")
    assert len(texts) == len(set(texts)) == 4  # what DingTalk showed: every one, none dropped as a repeat
    assert [first["number"] in t for t in texts] == [True, True, True, False] and second["number"] in texts[3]
    assert "督办" in texts[1] and "红" in texts[2]
