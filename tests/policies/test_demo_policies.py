"""The demo city has 普惠 and 个性 policies that match its enterprises, and pushed ones in their inboxes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.demo import seed_demo
from app.enterprises.models import Enterprise
from app.policies.models import Policy, PolicyDelivery
from app.visits.service_package import service_package
from app.auth.principal import Principal
from app.enums import Role
from tests.helpers import XIXI_ENTERPRISE

pytestmark = pytest.mark.db


def test_demo_policies_match_the_demo_enterprises(session: Session, clock) -> None:
    assert seed_demo(session, now=clock.now)
    policies = session.exec(select(Policy)).all()
    assert {p.kind for p in policies} == {"universal", "targeted"} and len(policies) == 5
    xixi = session.exec(select(Enterprise).where(Enterprise.uscc == XIXI_ENTERPRISE)).one()
    mine = session.exec(select(PolicyDelivery).where(PolicyDelivery.enterprise_id == xixi.id)).all()
    assert len(mine) == 2  # the city's 普惠 service and 西湖区's 专精特新 subsidy were pushed
    enterprise = Principal(role=Role.enterprise, label="企业", enterprise_id=xixi.id, enterprise_user_id=1)
    package = service_package(session, enterprise, None, now=clock.now)
    assert [p.title for p in package.universal] == ["杭州市中小企业数字化改造免费诊断服务"]
    assert [(t.policy.title, t.reasons) for t in package.targeted] == [
        ("西湖区专精特新中小企业技术改造补助", ["专精特新企业", "行业 C39", "员工 120 人"])]
    assert package.open_appeals == 1 and package.liaison is not None
