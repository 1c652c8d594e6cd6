"""The demo city's "千名干部助千企": cadres dispatched by departments paired with enterprises, a few months of visits.

So that `zhuqi serve --demo` shows the programme's sentence filled in ("共选派干部N名，服务企业N家，累计走访企业N家次，
……"). Rows are inserted directly (pairing and visit are plain tables; the demo has no admin to act through). Dates
are relative to `now` and deterministic, so every demo looks the same: one enterprise is left unpaired after its
pairing ended (coverage below 100%), and one cadre's last visit is old enough to be overdue.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.appeals import service as appeals
from app.appeals import workflow
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn, AppealCreate
from app.auth.principal import Principal
from app.auth.models import User
from app.core.time import SHANGHAI
from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.enums import Category, Role, Source, Tier
from app.pairing.models import Pairing
from app.units.models import Unit
from app.visits.models import Visit

PAIRED_BY = "演示数据（杭州市）"
# (name, mobile, dispatching unit, DingTalk user id)
CADRES = [
    ("刘洋", "13800005555", "330100-JXJ", "liuy05"), ("张伟", "13800006666", "330100-JXJ", "zhangw06"),
    ("黄蕾", "13800007777", "330100-GHZY", "huangl07"), ("周斌", "13800008888", "330100-RLSB", "zhoub08"),
    ("吴昊", "13800009999", "330106-RLSB", "wuh09"), ("徐芳", "13800000000", "330109-JXJ", "xuf10"),
]
# (USCC prefix, name, street, address, key level)
MORE_ENTERPRISES = [
    ("91330106MA2CP0101", "杭州西溪云数据有限公司", "330106012", "杭州市西湖区文二西路 700 号", "city"),
    ("91330105MA2CP0102", "杭州湖墅供应链管理有限公司", "330105005", "杭州市拱墅区湖墅南路 200 号", "district"),
    ("91330105MA2CP0103", "杭州米市巷食品有限公司", "330105001", "杭州市拱墅区米市巷 15 号", None),
    ("91330106MA2CP0104", "杭州蒋村生物医药有限公司", "330106008", "杭州市西湖区蒋村街道紫金港路 9 号", None),
    ("91330109MA2CP0105", "杭州城厢汽配有限公司", "330109001", "杭州市萧山区城厢街道萧然南路 31 号", None),
    ("91330106MA2CP0106", "杭州西溪光电有限公司", "330106012", "杭州市西湖区西溪路 600 号", None),
    ("91330109MA2CP0107", "杭州北干智能装备有限公司", "330109002", "杭州市萧山区北干街道建设一路 66 号", "street"),
    ("91330111MA2CP0108", "杭州富春纸业有限公司", "330111001", "杭州市富阳区富春街道金桥北路 3 号", None),
]
# (cadre index, enterprise: "E<n>" of app.demo.ENTERPRISES or "X<n>" of MORE_ENTERPRISES, started days ago,
#  ended days ago or None, visit every n days, days since the last visit)
PAIRINGS = [
    (0, "E4", 150, None, 21, 6), (0, "X0", 150, None, 12, 3), (1, "X1", 140, None, 18, 9), (1, "X2", 120, None, 28, 14),
    (2, "X3", 150, None, 25, 50), (3, "X7", 150, 90, 20, 0), (3, "X4", 85, None, 16, 2), (4, "X5", 130, None, 24, 11),
    (5, "X6", 110, None, 19, 5),
]
MODES = ("on_site", "on_site", "phone", "video", "on_site", "meeting")
SUMMARIES = (
    "走访企业了解生产经营情况，企业订单饱满，暂无困难。", "电话回访上次反映问题的办理进展，企业表示满意。",
    "宣讲惠企政策（研发费用加计扣除、稳岗返还），指导企业申报。", "座谈了解用工需求，对接职业院校招聘渠道。",
    "了解企业扩产用地需求，协调规划资源部门现场踏勘。", "走访了解融资需求，对接银行开展续贷服务。",
)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


def seed_programme(session: Session, *, now: datetime, liaisons: list[User], enterprises: list[Enterprise]) -> None:
    """Cadres, pairings (the demo's street liaisons included, so `enterprise.liaison_user_id` has its row) and
    visits; the demo appeals raised in visits get the visit that raised them. Commits once."""
    by_code = {u.code: u for u in session.exec(select(Unit)).all()}
    today = now.astimezone(SHANGHAI).date()
    cadres = [User(name=n, mobile=m, role=Role.liaison, unit_id=by_code[u].id, dingtalk_userid=d,  # type: ignore[arg-type]
                   created_at=now - timedelta(days=200)) for n, m, u, d in CADRES]
    more = [Enterprise(uscc=make_uscc(p), name=n, street_unit_id=by_code[s].id, address=a,  # type: ignore[arg-type]
                       contact_name="企业联系人", contact_mobile="13912349999", key_level=k,
                       created_at=now - timedelta(days=200), updated_at=now) for p, n, s, a, k in MORE_ENTERPRISES]
    session.add_all([*cadres, *more])
    session.flush()
    named = {f"E{i}": e for i, e in enumerate(enterprises)} | {f"X{i}": e for i, e in enumerate(more)}
    # The demo's street liaisons are already their enterprises' liaisons: give those pairings their history row.
    for enterprise in enterprises:
        liaison = next((u for u in liaisons if u.id == enterprise.liaison_user_id), None)
        if liaison is not None:
            _pair(session, enterprise, liaison, now - timedelta(days=160), None)
            _visits(session, enterprise, liaison, today, first=today - timedelta(days=150), every=30, last_ago=8)
    for cadre_index, key, started, ended, every, last_ago in PAIRINGS:
        enterprise, cadre = named[key], cadres[cadre_index]
        end_at = now - timedelta(days=ended) if ended is not None else None
        _pair(session, enterprise, cadre, now - timedelta(days=started), end_at)
        if end_at is None:
            enterprise.liaison_user_id = cadre.id
            session.add(enterprise)
            last = today - timedelta(days=last_ago)
        else:
            last = end_at.astimezone(SHANGHAI).date()
        _visits(session, enterprise, cadre, today, first=today - timedelta(days=started - 3), every=every,
                last_ago=(today - last).days)
    session.flush()
    _link_visit_appeals(session, enterprises, now=now)
    session.commit()
    _resolved_visit_appeals(session, named, cadres, now=now)


def _pair(session: Session, enterprise: Enterprise, user: User, started_at: datetime,
          ended_at: datetime | None) -> None:
    session.add(Pairing(enterprise_id=enterprise.id, user_id=user.id, unit_id=user.unit_id,  # type: ignore[arg-type]
                        note="千名干部助千企结对", started_at=started_at, started_by=PAIRED_BY,
                        ended_at=ended_at, ended_by=PAIRED_BY if ended_at is not None else None))


def _visits(session: Session, enterprise: Enterprise, visitor: User, today: date, *, first: date, every: int,
            last_ago: int) -> None:
    """Visits from `first` every `every` days, the last one `last_ago` days before today."""
    last = today - timedelta(days=last_ago)
    day, n = first, 0
    while day <= last:
        _visit(session, enterprise, visitor, day, n)
        day, n = day + timedelta(days=every), n + 1
    if n == 0 or day - timedelta(days=every) != last:
        _visit(session, enterprise, visitor, last, n)


def _visit(session: Session, enterprise: Enterprise, visitor: User, day: date, n: int) -> Visit:
    k = n + (enterprise.id or 0)  # vary the mode and the summary between enterprises and visits
    visit = Visit(enterprise_id=enterprise.id, street_unit_id=enterprise.street_unit_id,  # type: ignore[arg-type]
                  visited_on=day, mode=MODES[k % len(MODES)], visitor_user_id=visitor.id,  # type: ignore[arg-type]
                  visitor_unit_id=visitor.unit_id, summary=SUMMARIES[k % len(SUMMARIES)],
                  via="page", created_at=_start_of(day) + timedelta(hours=17))
    session.add(visit)
    return visit


def _link_visit_appeals(session: Session, enterprises: list[Enterprise], *, now: datetime) -> None:
    """The demo appeals are filed as raised in visits (`source: visit`): each gets today's visit by the
    enterprise's liaison, which the appeal points back at."""
    ids = [e.id for e in enterprises]
    appeals = session.exec(select(Appeal).where(Appeal.source == "visit", col(Appeal.visit_id).is_(None),
                                                col(Appeal.enterprise_id).in_(ids))).all()
    by_id = {e.id: e for e in enterprises}
    for appeal in appeals:
        enterprise = by_id[appeal.enterprise_id]
        visitor = session.get(User, enterprise.liaison_user_id) if enterprise.liaison_user_id else None
        if visitor is None:
            continue
        visit = Visit(enterprise_id=enterprise.id, street_unit_id=enterprise.street_unit_id,  # type: ignore[arg-type]
                      visited_on=now.astimezone(SHANGHAI).date(), mode="on_site", visitor_user_id=visitor.id,  # type: ignore[arg-type]
                      visitor_unit_id=visitor.unit_id, summary=f"走访中企业反映：{appeal.title}", via="page",
                      created_at=now)
        session.add(visit)
        session.flush()
        appeal.visit_id = visit.id
        session.add(appeal)


# Appeals raised in past visits and resolved since, so the demo's 解决率 is not that of three appeals filed today:
# (enterprise, cadre index, days ago, days to resolve, title, category)
PAST_APPEALS = [
    ("X0", 0, 120, 3, "机房扩容需要双回路供电", Category.energy),
    ("X1", 1, 100, 6, "仓储用地租赁续签手续", Category.land),
    ("X3", 2, 140, 4, "研发人员落户及子女入学咨询", Category.talent),
    ("X4", 3, 70, 2, "技术工人社保补贴申报", Category.labour),
    ("X5", 4, 90, 5, "高新技术企业认定政策辅导", Category.policy),
    ("X6", 5, 60, 8, "出口退税进度查询", Category.funding),
]


def _resolved_visit_appeals(session: Session, named: dict[str, Enterprise], cadres: list[User], *,
                            now: datetime) -> None:
    """Filed through the appeals service at the visit's time and resolved by the owning unit days later, so
    their timelines and deadlines are those of real appeals."""
    city = session.exec(select(Unit).where(Unit.code == "330100")).one()
    filer = Principal(role=Role.city_admin, label=PAIRED_BY, unit_id=city.id, unit_code=city.code,
                      unit_path=city.path, unit_tier=Tier.city)
    for key, cadre_index, ago, days, title, category in PAST_APPEALS:
        enterprise, cadre = named[key], cadres[cadre_index]
        filed_at = now - timedelta(days=ago)
        visit = _visit(session, enterprise, cadre, filed_at.astimezone(SHANGHAI).date(), ago)
        session.flush()
        result = appeals.submit_appeal(session, filer, AppealCreate(
            title=title, description=f"{cadre.name}走访时企业反映：{title}，希望协调解决。", category=category,
            source=Source.visit, enterprise_uscc=enterprise.uscc), now=filed_at)
        appeal = session.get(Appeal, result.body["id"])
        assert appeal is not None
        appeal.visit_id = visit.id
        session.add(appeal)
        session.commit()
        owner = session.get(Unit, appeal.unit_id)
        assert owner is not None
        staff = Principal(role=_ADMIN_OF_TIER[owner.tier], label=f"演示数据（{owner.name}）", unit_id=owner.id,
                          unit_code=owner.code, unit_path=owner.path, unit_tier=owner.tier)
        workflow.perform_action(session, staff, appeal.id, Action.sign, ActionIn(), now=filed_at + timedelta(hours=3))  # type: ignore[arg-type]
        workflow.perform_action(session, staff, appeal.id, Action.resolve, ActionIn(  # type: ignore[arg-type]
            resolution_code="已解决", public_reply=f"经协调，{title}事项已办结。"), now=filed_at + timedelta(days=days))


_ADMIN_OF_TIER = {Tier.street: Role.street_admin, Tier.district: Role.district_admin, Tier.city: Role.city_admin}
