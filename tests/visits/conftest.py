"""People for the 走访台账 tests: API keys bound to users (a visit is always somebody's), on the demo city.

- wang: 王晓明, liaison of 西溪街道, paired with 西溪智造 (the demo's liaison)
- li: 李娜, liaison of 湖墅街道 (another district)
- jxj: 刘洋, a 市经信局 cadre paired with 北山文创 (a 西湖区 enterprise: the dispatching unit is not its street)
- jxj_unpaired: 孙伟, a 市经信局 cadre paired with nothing
- xixi_admin_user / city_admin_user: admins as users
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.auth.service import create_api_key
from app.enterprises.models import Enterprise
from app.units.models import Unit
from tests.helpers import uscc_of

BEISHAN_ENTERPRISE = uscc_of("91330106MA2CF0005")  # 杭州北山文创设计有限公司, 北山街道 (西湖区), unpaired in the demo


@dataclass
class People:
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]

    def __getitem__(self, name: str) -> dict[str, str]:
        return self.headers[name]


def add_user(session: Session, name: str, role: str, unit_code: str, now, dingtalk: str | None = None) -> User:  # type: ignore[no-untyped-def]
    unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
    user = User(name=name, role=role, unit_id=unit.id, dingtalk_userid=dingtalk, created_at=now)  # type: ignore[arg-type]
    session.add(user)
    session.commit()
    return user


def pair(session: Session, uscc: str, user: User) -> None:
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).one()
    enterprise.liaison_user_id = user.id
    session.add(enterprise)
    session.commit()


@pytest.fixture
def people(city: Session, clock) -> People:  # type: ignore[no-untyped-def]
    now = clock.now
    users = {
        "wang": city.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one(),
        "li": city.exec(select(User).where(User.dingtalk_userid == "lina02")).one(),
        "jxj": add_user(city, "刘洋", "liaison", "330100-JXJ", now, dingtalk="liuy05"),
        "jxj_unpaired": add_user(city, "孙伟", "liaison", "330100-JXJ", now, dingtalk="sunw06"),
        "xixi_admin_user": add_user(city, "钱芳", "street_admin", "330106012", now),
        "city_admin_user": add_user(city, "周建", "city_admin", "330100", now),
    }
    pair(city, BEISHAN_ENTERPRISE, users["jxj"])
    headers, ids = {}, {}
    for name, user in users.items():
        unit = city.get(Unit, user.unit_id)
        _, token = create_api_key(city, role=user.role, unit_code=unit.code, name=name, now=now,  # type: ignore[arg-type, union-attr]
                                  user_id=user.id)
        headers[name] = {"Authorization": f"Bearer {token}"}
        ids[name] = user.id  # type: ignore[assignment]
    return People(headers, ids)


def visit_body(uscc: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "enterprise_uscc": uscc,
        "visited_on": "2026-03-01",
        "mode": "on_site",
        "summary": "了解企业新厂房投产进度，企业反映用电增容审批较慢。",
    }
    body.update(overrides)
    return body


def raised(title: str = "新厂房用电增容审批迟迟未办", **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"title": title, "description": "新建厂房需增容至 2000kVA，申请已提交两个月未有答复。",
                               "category": "energy", "impact": {"employees_affected": 10}}
    body.update(overrides)
    return body
