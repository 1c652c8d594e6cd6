"""Demo policies (普惠 and 个性) for the demo city, with the enterprise facts they match on, so a newcomer sees
matches, a service package and an inbox at once (`zhuqi serve --demo`). Dates follow the seeding day, so the
demo never shows only expired policies."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.enums import Role
from app.policies import push
from app.policies.models import Policy
from app.policies.rules import local_today
from app.units.models import Unit

# Facts for the demo enterprises (set only where the seed left them empty).
FACTS: dict[str, dict[str, Any]] = {
    "91330106MA2CF0001": {"industry": "C39", "scale": "medium", "employees": 120, "key_level": "district"},
    "91330105MA2CF0002": {"industry": "C34", "scale": "medium", "employees": 260, "key_level": "street"},
    "91330105MA2CF0003": {"industry": "C26", "scale": "small", "employees": 45},
    "91330109MA2CF0004": {"industry": "C17", "scale": "medium", "employees": 380, "key_level": "district"},
    "91330106MA2CF0005": {"industry": "M74", "scale": "micro", "employees": 12},
}

# (issuer, title, kind, benefit, target, summary, pushed in the demo)
POLICIES: list[tuple[str, str, str, str, dict[str, Any], str, bool]] = [
    ("330100-JXJ", "杭州市中小企业数字化改造免费诊断服务", "universal", "other", {},
     "市经信局组织服务机构为中小企业免费开展数字化改造诊断，出具诊断报告和改造方案，企业可通过结对干部预约。", True),
    ("330106", "西湖区专精特新中小企业技术改造补助", "targeted", "subsidy",
     {"tags_any": ["专精特新"], "industries": ["C"], "min_employees": 20, "max_employees": 300},
     "对员工 20–300 人的专精特新制造业企业实施的技术改造项目，按设备投资额的 10% 给予补助，单个项目最高 200 万元。", True),
    ("330105", "拱墅区规上工业企业稳岗扩岗补贴", "targeted", "talent",
     {"tags_any": ["规上企业"], "industries": ["C"]},
     "规上工业企业当年新招用并稳定就业 6 个月以上的员工，按每人 2000 元给予一次性扩岗补贴。", False),
    ("330100", "杭州市外贸企业出口信用保险保费补助", "targeted", "finance", {"tags_any": ["外贸"]},
     "对投保短期出口信用保险的外贸企业，按实缴保费的 50% 给予补助，单家企业年度最高 50 万元。", False),
    ("330109-JXJ", "萧山区纺织印染企业绿色化改造奖励", "targeted", "subsidy",
     {"industries": ["C17"], "scales": ["large", "medium"]},
     "对完成节能降碳、印染废水提标改造并通过验收的大中型纺织企业，按项目投资额的 8% 给予奖励。", False),
]


def _set_facts(session: Session, now: datetime) -> None:
    for prefix, facts in FACTS.items():
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == make_uscc(prefix))).first()
        if enterprise is None:
            continue
        for name, value in facts.items():
            if getattr(enterprise, name) is None:
                setattr(enterprise, name, value)
        enterprise.updated_at = now
        session.add(enterprise)


def seed_policies(session: Session, *, now: datetime) -> None:
    """Adds the demo policies once (none exist yet) and pushes the ones marked for it."""
    if session.exec(select(Policy).limit(1)).first() is not None:
        return
    _set_facts(session, now)
    today = local_today(now)
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    to_push = []
    for issuer, title, kind, benefit, target, summary, pushed in POLICIES:
        if issuer not in units:
            continue
        policy = Policy(title=title, issuer_unit_id=units[issuer].id, summary=summary, kind=kind,  # type: ignore[arg-type]
                        benefit=benefit, target=target, valid_from=today - timedelta(days=60),
                        valid_to=date(today.year + 1, 12, 31), apply_by=today + timedelta(days=90),
                        created_by="演示数据", created_at=now, updated_at=now)
        session.add(policy)
        if pushed:
            to_push.append(policy)
    session.commit()
    root = Principal(role=Role.system, label="演示数据", unit_path="/", key_id=0)
    for policy in to_push:
        push.push_policy(session, root, policy.id, now=now)  # type: ignore[arg-type]
