"""Work notices that concern no appeal, against the faithful fake (DESIGN §14): a visit's 回头看 day reaches its
visitor, a policy push reaches each paired liaison once — through the DingTalk outbox like the appeal notices (one
send per (event, user), the same bytes on a retry, the per-user daily budget, content that differs per item)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.auth.service import create_api_key
from app.dingtalk.models import DingTalkOp
from app.visits.revisits import revisit_job
from tests.dingtalk.test_workplace import (  # noqa: F401  # fixtures: settings, fake, _unconfigure_after
    Crash, _unconfigure_after, dies_after_send, dispatch_round, fake, file_appeal, read, settings, workplace)
from tests.helpers import XIXI_ENTERPRISE

pytestmark = pytest.mark.db
REVISIT_DAY = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # 09:00 China time


def user(session: Session, userid: str) -> User:
    return session.exec(select(User).where(User.dingtalk_userid == userid)).one()


def visitor_headers(session: Session, now: datetime) -> dict[str, str]:
    wang = user(session, "wangxm01")
    _, token = create_api_key(session, role="liaison", unit_code="330106012", name="王晓明的密钥", now=now,
                              user_id=wang.id)
    return {"Authorization": f"Bearer {token}"}


def register_visit(client, headers, visited_on: str,  # type: ignore[no-untyped-def]
                   revisit_on: str = "2026-03-16") -> int:
    body = {"enterprise_uscc": XIXI_ENTERPRISE, "visited_on": visited_on, "mode": "on_site",
            "summary": "了解企业新厂房投产进度，企业反映用电增容审批较慢。", "revisit_on": revisit_on}
    response = client.post("/api/v1/visits", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_two_revisits_due_reach_the_visitor_once_each_even_across_a_crash(client, keys, city, clock, db, settings,
                                                                           fake):
    headers = visitor_headers(city, clock.now)
    first = register_visit(client, headers, "2026-03-01")
    second = register_visit(client, headers, "2026-03-02")
    clock.set(REVISIT_DAY)
    assert revisit_job(db, settings, clock.now) == 2
    ops = read(db, select(DingTalkOp).order_by(DingTalkOp.id))  # type: ignore[arg-type]
    assert [(op.kind, op.userid, op.dedupe_key, op.appeal_id) for op in ops] == [
        ("notice", "wangxm01", f"revisit:{first}:wangxm01", None),
        ("notice", "wangxm01", f"revisit:{second}:wangxm01", None)]
    with pytest.raises(Crash):
        dispatch_round(db, settings, clock, workplace(fake, clock, dies_after_send(fake)))
    assert len(fake.received["wangxm01"]) == 1
    clock.advance(seconds=settings.dispatch_lease_seconds + 1)
    dispatch_round(db, settings, clock, workplace(fake, clock))  # the crashed one again (dropped), the other new
    texts = fake.texts_received("wangxm01")
    assert len(texts) == 2  # two visits, two deliveries: the content names the visit, so neither is dropped
    assert all("回头看提醒" in t and "西溪智造" in t and "2026-03-16" in t for t in texts)
    assert f"记录 {first} 号" in texts[0] and f"记录 {second} 号" in texts[1]
    assert "https://zhuqi.example.gov.cn/m/" in texts[0]
    assert {(op.status, op.attempts) for op in read(db, select(DingTalkOp))} == {("sent", 1), ("sent", 2)}
    assert revisit_job(db, settings, clock.now) == 0  # each visit's step fires once
    assert dispatch_round(db, settings, clock, workplace(fake, clock)) == 0


def test_a_revisit_notice_over_the_users_budget_waits_for_the_morning_digest(client, keys, city, clock, db,
                                                                             settings, fake):
    settings = settings.model_copy(update={"dingtalk_notice_daily_budget": 3})
    place = workplace(fake, clock)
    headers = visitor_headers(city, clock.now)
    register_visit(client, headers, "2026-03-01", revisit_on="2026-03-02")
    numbers = [file_appeal(client, keys)["number"] for _ in range(2)]  # two appeal notices: today's budget
    assert revisit_job(db, settings, clock.now) == 1
    dispatch_round(db, settings, clock, place)
    texts = fake.texts_received("wangxm01")
    assert len(texts) == 2 and all(n in t for n, t in zip(numbers, texts, strict=True))
    [held] = read(db, select(DingTalkOp).where(DingTalkOp.status == "held"))
    assert held.dedupe_key.startswith("revisit:")
    clock.advance(days=1)
    dispatch_round(db, settings, clock, place)
    digest = fake.texts_received("wangxm01")[-1]
    assert "诉求提醒汇总" in digest and "回头看提醒 杭州西溪智造" in digest


def make_policy(session: Session, now: datetime) -> int:
    from datetime import date

    from app.policies.models import Policy
    from app.units.models import Unit

    unit = session.exec(select(Unit).where(Unit.code == "330106")).one()
    policy = Policy(title="专精特新制造企业技术改造补助", issuer_unit_id=unit.id,  # type: ignore[arg-type]
                    summary="补助", kind="targeted",
                    benefit="subsidy", target={"tags_any": ["专精特新"], "industries": ["C"], "min_employees": 20,
                                               "max_employees": 300}, url="https://www.hangzhou.gov.cn/p/1",
                    apply_by=date(2026, 6, 30), valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                    created_by="test", created_at=now, updated_at=now)
    session.add(policy)
    session.commit()
    return policy.id  # type: ignore[return-value]


def test_each_paired_liaison_gets_one_digest_per_push_and_a_repush_tells_only_of_new_enterprises(
        client, keys, city, clock, db, settings, fake):
    from tests.policies.conftest import bulk_enterprises

    wang, lina = user(city, "wangxm01"), user(city, "lina02")
    unpaired_userid = User(name="赵六", role="liaison", unit_id=wang.unit_id, created_at=clock.now)  # no DingTalk id
    city.add(unpaired_userid)
    city.commit()
    bulk_enterprises(city, "330106012", 6, now=clock.now, liaison_ids=[wang.id, lina.id, unpaired_userid.id])
    pid = make_policy(city, clock.now)
    place = workplace(fake, clock)

    pushed = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])
    assert pushed.status_code == 201 and pushed.json()["new_deliveries"] == 6, pushed.text
    ops = read(db, select(DingTalkOp).order_by(DingTalkOp.id))  # type: ignore[arg-type]
    push_id = pushed.json()["push_id"]
    assert [(op.userid, op.dedupe_key) for op in ops] == [
        ("wangxm01", f"policy:{push_id}:wangxm01"), ("lina02", f"policy:{push_id}:lina02")]
    dispatch_round(db, settings, clock, place)
    for userid in ("wangxm01", "lina02"):
        [text] = fake.texts_received(userid)
        assert "您结对的 2 家企业适用此政策" in text and "《专精特新制造企业技术改造补助》" in text
        assert "申报截止：2026-06-30" in text and "https://www.hangzhou.gov.cn/p/1" in text

    bulk_enterprises(city, "330106012", 2, now=clock.now, start=100, liaison_ids=[wang.id])
    again = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])  # same minute, same policy
    assert again.json()["new_deliveries"] == 2
    dispatch_round(db, settings, clock, place)
    texts = fake.texts_received("wangxm01")
    assert len(texts) == 2 and "您结对的 2 家企业" in texts[1]  # a new push is new content: delivered, not dropped
    assert len(fake.received["lina02"]) == 1  # nothing new for her

    nothing_new = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])
    assert nothing_new.json()["new_deliveries"] == 0
    assert len(read(db, select(DingTalkOp))) == 3 and {op.status for op in read(db, select(DingTalkOp))} == {"sent"}


def test_nothing_is_written_for_revisits_or_pushes_when_the_app_is_not_configured(client, keys, city, clock, db,
                                                                                  settings):
    from app.config import Settings
    from app.dingtalk import handlers

    headers = visitor_headers(city, clock.now)
    register_visit(client, headers, "2026-03-01")
    handlers.configure(Settings())
    clock.set(REVISIT_DAY)
    assert revisit_job(db, settings, clock.now) == 1
    assert read(db, select(DingTalkOp)) == []
