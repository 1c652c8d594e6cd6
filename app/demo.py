"""The demo city (Hangzhou) so a newcomer can try the service at once: `zhuqi serve --demo`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.appeals import service as appeals
from app.appeals.schemas import AppealCreate, ImpactIn
from app.auth.models import User
from app.auth.principal import Principal
from app.demo_programme import seed_programme
from app.demo_policies import seed_policies
from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.enums import Category, Role, Source, Tier, UnitKind
from app.units import service as units
from app.units.schemas import UnitCreate
from app.units.models import Unit

CITY = ("330100", "杭州市")
DISTRICTS = [
    ("330106", "西湖区"), ("330105", "拱墅区"), ("330109", "萧山区"), ("330111", "富阳区"), ("330182", "建德市"),
    ("330102", "上城区"),
]
STREETS = [
    ("330106012", "西溪街道", "330106"), ("330106001", "北山街道", "330106"), ("330106008", "蒋村街道", "330106"),
    ("330105005", "湖墅街道", "330105"), ("330105011", "康桥街道", "330105"), ("330105001", "米市巷街道", "330105"),
    ("330109001", "城厢街道", "330109"), ("330109002", "北干街道", "330109"),
    ("330111001", "富春街道", "330111"), ("330111002", "东洲街道", "330111"),
    ("330182001", "新安江街道", "330182"), ("330182002", "洋溪街道", "330182"),
    ("330102001", "湖滨街道", "330102"),
]
DEPARTMENTS = [
    ("330100-JXJ", "市经信局", Tier.city, "330100"), ("330100-GHZY", "市规划资源局", Tier.city, "330100"),
    ("330100-RLSB", "市人力社保局", Tier.city, "330100"), ("330106-RLSB", "西湖区人力社保局", Tier.district, "330106"),
    ("330109-JXJ", "萧山区经信局", Tier.district, "330109"),
]
LIAISONS = [
    ("王晓明", "13800001111", "330106012", "wangxm01"),
    ("李娜", "13800002222", "330105005", "lina02"),
    ("赵强", "13800003333", "330105011", "zhaoq03"),
    ("陈静", "13800004444", "330109001", "chenj04"),
]
ENTERPRISES = [
    ("91330106MA2CF0001", "杭州西溪智造科技有限公司", "330106012", "杭州市西湖区西溪路 518 号", "陈立", "13912340001",
     ["规上企业", "专精特新"], 0),
    ("91330105MA2CF0002", "杭州湖墅精密机械有限公司", "330105005", "杭州市拱墅区湖墅南路 88 号", "周敏", "13912340002",
     ["规上企业"], 1),
    ("91330105MA2CF0003", "杭州康桥新材料有限公司", "330105011", "杭州市拱墅区康桥路 12 号", "吴涛", "13912340003",
     ["外贸"], 2),
    ("91330109MA2CF0004", "杭州萧山城厢纺织有限公司", "330109001", "杭州市萧山区城厢街道人民路 5 号", "孙丽",
     "13912340004", ["外贸", "规上企业"], 3),
    ("91330106MA2CF0005", "杭州北山文创设计有限公司", "330106001", "杭州市西湖区北山路 20 号", "郑洁", "13912340005",
     [], None),
]
APPEALS = [
    (0, "新厂房用电增容审批迟迟未办", "新建厂房需增容至 2000kVA，申请已提交两个月未有答复，影响年底投产。", Category.energy,
     ImpactIn(employees_affected=120, amount_cny=5_000_000)),
    (1, "数控车床熟练工招聘困难", "今年订单增长，缺少熟练数控车床操作工约 30 人，希望协助对接职业院校。", Category.labour,
     ImpactIn(employees_affected=30)),
    (3, "出口订单回款慢导致资金周转困难", "海外客户回款周期拉长，流动资金缺口约 800 万元，希望协调银行续贷。",
     Category.funding, ImpactIn(amount_cny=8_000_000, wage_arrears=False)),
]


def seed_demo(session: Session, *, now: datetime, with_appeals: bool = True) -> bool:
    """Seeds the demo city unless units already exist. Returns True when it seeded."""
    if session.exec(select(Unit).limit(1)).first() is not None:
        return False
    root = Principal(role=Role.system, label="演示数据", unit_path="/")
    batch = [UnitCreate(code=CITY[0], name=CITY[1], tier=Tier.city, kind=UnitKind.area)]
    batch += [UnitCreate(code=c, name=n, tier=Tier.district, parent_code=CITY[0]) for c, n in DISTRICTS]
    batch += [UnitCreate(code=c, name=n, tier=Tier.street, parent_code=p) for c, n, p in STREETS]
    batch += [UnitCreate(code=c, name=n, tier=t, kind=UnitKind.department, parent_code=p) for c, n, t, p in DEPARTMENTS]
    units.import_units(session, root, batch, now=now)
    by_code = {u.code: u for u in session.exec(select(Unit)).all()}
    liaisons = []
    for name, mobile, unit_code, dingtalk in LIAISONS:
        user = User(name=name, mobile=mobile, role=Role.liaison, unit_id=by_code[unit_code].id,  # type: ignore[arg-type]
                    dingtalk_userid=dingtalk, created_at=now)
        session.add(user)
        liaisons.append(user)
    session.flush()
    enterprises = []
    for prefix, name, street, address, contact, mobile, tags, liaison in ENTERPRISES:
        enterprise = Enterprise(
            uscc=make_uscc(prefix), name=name, street_unit_id=by_code[street].id,  # type: ignore[arg-type]
            address=address, contact_name=contact, contact_mobile=mobile, tags=tags,
            liaison_user_id=liaisons[liaison].id if liaison is not None else None, created_at=now, updated_at=now,
        )
        session.add(enterprise)
        enterprises.append(enterprise)
    session.commit()
    if not with_appeals:
        return True
    city_staff = Principal(role=Role.city_admin, label="演示数据（杭州市）", unit_id=by_code[CITY[0]].id,
                           unit_code=CITY[0], unit_path=by_code[CITY[0]].path, unit_tier=Tier.city)
    for index, title, description, category, impact in APPEALS:
        appeals.submit_appeal(session, city_staff, AppealCreate(
            title=title, description=description, category=category, source=Source.visit, impact=impact,
            enterprise_uscc=enterprises[index].uscc,
        ), now=now)
    seed_programme(session, now=now, liaisons=liaisons, enterprises=enterprises)  # cadres, pairings, visits
    seed_policies(session, now=now)  # 普惠 and 个性 policies (DESIGN §12)
    return True
