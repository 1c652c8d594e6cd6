"""The liaison's visit commands in DingTalk: 我的企业 (with overdue marks) and 走访 <信用代码或名称关键词> <走访情况>,
which records an on-site visit today through the visits service — candidates for an ambiguous name, never a guess;
a redelivered message records nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.units.models import Unit
from app.visits.models import Visit
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE


def visits(session) -> list[Visit]:  # type: ignore[no-untyped-def]
    found = list(session.exec(select(Visit).order_by(Visit.id)).all())
    session.expunge_all()  # plain objects: reading them later must not open a transaction (SQLite's lock)
    session.rollback()
    return found


def add_enterprise(session, name: str, prefix: str, street: str = "330106012") -> Enterprise:  # type: ignore[no-untyped-def]
    unit = session.exec(select(Unit).where(Unit.code == street)).one()
    enterprise = Enterprise(uscc=make_uscc(prefix), name=name, street_unit_id=unit.id, contact_name="何先生",  # type: ignore[arg-type]
                            contact_mobile="13912349999", created_at=datetime(2026, 1, 1, tzinfo=UTC),
                            updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add(enterprise)
    session.commit()
    return enterprise


def test_a_visit_from_dingtalk_is_recorded_once(robot, city, session):
    reply = robot.send(f"@助企机器人 走访 {XIXI_ENTERPRISE} 了解新厂房投产进度，企业反映用电增容较慢",
                       msg_id="msgVisit0001", conversation_type="1").json()
    text = reply["markdown"]["text"]
    assert "已登记走访" in text and "杭州西溪智造科技有限公司" in text and "2026-03-02" in text
    assert reply["at"] == {"atUserIds": ["wangxm01"]}
    [visit] = visits(session)
    assert visit.mode == "on_site" and visit.via == "chatbot" and visit.visited_on == date(2026, 3, 2)
    assert visit.summary == "了解新厂房投产进度，企业反映用电增容较慢"

    again = robot.send(f"@助企机器人 走访 {XIXI_ENTERPRISE} 了解新厂房投产进度，企业反映用电增容较慢",
                       msg_id="msgVisit0001", conversation_type="1").json()
    assert again == reply and len(visits(session)) == 1  # DingTalk's redelivery: the same reply, no second visit

    # By a keyword of the name, in the group: recorded, without the name in the group's text.
    text = robot.say("走访 西溪智造 回访用电增容进展")
    assert "已登记走访" in text and "西溪智造科技" not in text
    assert len(visits(session)) == 2


def test_an_ambiguous_or_unknown_enterprise_records_nothing(robot, city, session):
    add_enterprise(session, "杭州西溪智造物流有限公司", "91330106MA2CF0011")
    text = robot.say("走访 西溪智造 了解投产进度", conversation_type="1")
    assert "对应多家企业" in text and "杭州西溪智造科技有限公司" in text and "杭州西溪智造物流有限公司" in text
    assert XIXI_ENTERPRISE in text
    group = robot.say("走访 西溪智造 了解投产进度")
    assert "对应 2 家企业" in group and "西溪智造科技" not in group
    # The whole name is not a guess.
    assert "已登记走访" in robot.say("走访 杭州西溪智造物流有限公司 了解物流仓储需求")
    # Outside the liaison's reach (湖墅街道's enterprise) and unknown: not found.
    assert "未找到企业" in robot.say(f"走访 {HUSHU_ENTERPRISE} 了解情况")
    assert "未找到企业" in robot.say("走访 不存在的公司 了解情况")
    assert "缺少走访情况" in robot.say("走访 西溪智造")
    assert len(visits(session)) == 1


def test_my_enterprises_marks_the_overdue(robot, city, session, clock):
    wang = session.exec(select(Enterprise).where(Enterprise.uscc == XIXI_ENTERPRISE)).one()
    other = add_enterprise(session, "杭州西溪云图信息有限公司", "91330106MA2CF0012")
    other.liaison_user_id = wang.liaison_user_id
    session.add(other)
    session.commit()
    robot.say(f"走访 {XIXI_ENTERPRISE} 例行走访")
    clock.set(datetime(2026, 3, 20, 1, 0, tzinfo=UTC))  # 2026-01-01 + 30 days passed for the never-visited one

    text = robot.say("我的企业", conversation_type="1")
    assert "共 **2** 家，走访超期 **1** 家" in text
    first, second = text.index("杭州西溪云图信息有限公司"), text.index("杭州西溪智造科技有限公司")
    assert first < second  # overdue first
    assert "⚠️走访超期" in text[first:second] and "尚未走访" in text[first:second]
    assert "上次走访 2026-03-02（18 天前）" in text[second:]
    group = robot.say("我的企业")
    assert "共 **2** 家，走访超期 **1** 家" in group and "西溪云图" not in group

    # 陈静 is paired with the demo's 萧山 enterprise since 2026-03-02: 18 days, within its 30.
    assert "共 **1** 家，走访超期 **0** 家" in robot.say("我的企业", sender="chenj04")
