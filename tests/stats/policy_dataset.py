"""A small policy data set for the policy figures of the bulletin and the dashboard, made through the policies'
own service functions (create, push, read, declare interest, record the outcome) at exact times.

Times are Asia/Shanghai. Week 2026-W46 is 11-09 … 11-15, W47 is 11-16 … 11-22; "now" is Wednesday 11-18 12:00.
The demo city's five enterprises: 西溪 (西溪街道, 西湖区), 北山 (北山街道, 西湖区), 湖墅 (湖墅街道, 拱墅区),
康桥 (康桥街道, 拱墅区), 城厢 (城厢街道, 萧山区).

| policy                | issuer | pushed    | delivered to                   | what came of it                               |
|-----------------------|--------|-----------|--------------------------------|-----------------------------------------------|
| P1 数字化改造免费诊断  | 杭州市 | 11-10 W46 | all five                       | 西溪 read, interest, granted 800,000;          |
|                       |        |           |                                | 湖墅 read, granted 12,345; 康桥 read;            |
|                       |        |           |                                | 城厢 not eligible; 北山 nothing                 |
| P2 西湖区稳企惠企     | 西湖区 | 11-17 W47 | 西溪, 北山                     | 西溪 read and interest (11-18)                 |
| P3 拱墅区稳岗扩岗     | 拱墅区 | 11-17 W47 | 湖墅, 康桥                     | 湖墅 read; 康桥 granted 5,000 (unread)         |

Expected (policies, deliveries, reached, read, interested, granted, amount):
- W46 杭州市 (1, 5, 5, 3 → 0.6, 1, 2, 812,345); 西湖区 (1, 2, 2, 1 → 0.5, 1, 1, 800,000);
  西溪街道 (1, 1, 1, 1 → 1.0, 1, 1, 800,000).
- W47 杭州市 (2, 4, 4, 2 → 0.5, 1, 1, 5,000); 西溪街道 (1, 1, 1, 1 → 1.0, 1, 0, 0); 湖墅街道 (1, 1, 1, 1 → 1.0, 0, 0, 0).
- 2026 to the end of W47, 杭州市: (3, 9, 5, 5 → 5/9, 2, 3, 817,345).

`seed_department_policy` adds, for the tests of a department's figures, P4 市人力社保局高校毕业生就业补贴 (issuer
330100-RLSB, a city department), pushed 11-17 W47 to all five: 西溪 read, 湖墅 interest (11-18), 城厢 granted 3,000.
Its figures, W47 and 2026 alike: (1, 5, 5, 2 → 0.4, 1, 1, 3,000); W46: nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enums import Role, Tier
from app.policies import inbox, push
from app.policies import service as policies
from app.policies.models import PolicyDelivery
from app.policies.schemas import InterestIn, OutcomeIn, PolicyCreate
from app.units.models import Unit
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, uscc_of

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=SH).astimezone(UTC)
W46 = {"from": "2026-11-09", "to": "2026-11-15"}
W47 = {"from": "2026-11-16", "to": "2026-11-22"}
BEISHAN_ENTERPRISE = uscc_of("91330106MA2CF0005")
CHENGXIANG_ENTERPRISE = uscc_of("91330109MA2CF0004")


def t(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH).astimezone(UTC)


def admin(session: Session, code: str) -> Principal:
    unit = session.exec(select(Unit).where(Unit.code == code)).one()
    role = {Tier.city: Role.city_admin, Tier.district: Role.district_admin}.get(unit.tier, Role.street_admin)
    return Principal(role=role, label=f"{unit.name}管理员", unit_id=unit.id, unit_code=unit.code, unit_path=unit.path,
                     unit_tier=unit.tier, key_id=900 + unit.id)  # type: ignore[operator]


def enterprise(session: Session, uscc: str) -> Principal:
    row = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).one()
    return Principal(role=Role.enterprise, label=row.name, enterprise_id=row.id)


def publish_and_push(session: Session, issuer: str, title: str, *, at: datetime) -> dict[str, int]:
    """A universal policy of `issuer`, pushed at `at` by its admin; returns the deliveries by USCC."""
    by = admin(session, issuer)
    _, created, _ = policies.create_policy(session, by, PolicyCreate(
        title=title, issuer_unit_code=issuer, summary=f"{title}（测试）", kind="universal", benefit="subsidy",
        valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)), now=at)
    push.push_policy(session, by, created["id"], now=at)
    rows = session.exec(select(Enterprise.uscc, PolicyDelivery.id).join(
        PolicyDelivery, PolicyDelivery.enterprise_id == Enterprise.id).where(  # type: ignore[arg-type]
        PolicyDelivery.policy_id == created["id"])).all()
    session.rollback()
    return dict(rows)


def read(session: Session, uscc: str, delivery_id: int, at: datetime) -> None:
    inbox.mark_read(session, enterprise(session, uscc), delivery_id, now=at)


def interest(session: Session, uscc: str, delivery_id: int, at: datetime) -> None:
    inbox.declare_interest(session, enterprise(session, uscc), delivery_id, InterestIn(note="拟申报"), now=at)


def outcome(session: Session, by: str, delivery_id: int, at: datetime, status: str, amount: int | None = None) -> None:
    inbox.record_outcome(session, admin(session, by), delivery_id, OutcomeIn(status=status, amount_cny=amount),  # type: ignore[arg-type]
                         now=at)


def seed_policies(session: Session) -> None:
    p1 = publish_and_push(session, "330100", "杭州市中小企业数字化改造免费诊断服务", at=t(10, 10))
    assert len(p1) == 5
    read(session, XIXI_ENTERPRISE, p1[XIXI_ENTERPRISE], t(10, 15))
    interest(session, XIXI_ENTERPRISE, p1[XIXI_ENTERPRISE], t(11, 9))
    outcome(session, "330106012", p1[XIXI_ENTERPRISE], t(13, 10), "granted", 800_000)
    read(session, HUSHU_ENTERPRISE, p1[HUSHU_ENTERPRISE], t(12, 9))
    outcome(session, "330105", p1[HUSHU_ENTERPRISE], t(17, 10), "granted", 12_345)  # granted in W47, pushed in W46
    read(session, KANGQIAO_ENTERPRISE, p1[KANGQIAO_ENTERPRISE], t(14, 9))
    outcome(session, "330109", p1[CHENGXIANG_ENTERPRISE], t(14, 10), "not_eligible")

    p2 = publish_and_push(session, "330106", "西湖区稳企惠企专项资金", at=t(17, 10))
    assert set(p2) == {XIXI_ENTERPRISE, BEISHAN_ENTERPRISE}
    interest(session, XIXI_ENTERPRISE, p2[XIXI_ENTERPRISE], t(18, 9))  # a declaration reads the delivery too

    p3 = publish_and_push(session, "330105", "拱墅区稳岗扩岗补贴", at=t(17, 11))
    assert set(p3) == {HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE}
    read(session, HUSHU_ENTERPRISE, p3[HUSHU_ENTERPRISE], t(17, 15))
    outcome(session, "330105011", p3[KANGQIAO_ENTERPRISE], t(18, 10), "granted", 5_000)
    session.rollback()  # end the read the last answer opened: SQLite would hold the app's writers behind it


def seed_department_policy(session: Session) -> None:
    p4 = publish_and_push(session, "330100-RLSB", "市人力社保局高校毕业生就业补贴", at=t(17, 14))
    assert len(p4) == 5
    read(session, XIXI_ENTERPRISE, p4[XIXI_ENTERPRISE], t(17, 16))
    interest(session, HUSHU_ENTERPRISE, p4[HUSHU_ENTERPRISE], t(18, 10))
    outcome(session, "330109", p4[CHENGXIANG_ENTERPRISE], t(18, 11), "granted", 3_000)
    session.rollback()
