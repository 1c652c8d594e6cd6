"""The visits service on both databases: one transaction for the visit and its appeals, reach by street, pairing
and building, nothing written on a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlmodel import func, select

from app.appeals.models import Appeal
from app.auth.models import User
from app.auth.service import principal_for_user
from app.enterprises.models import Enterprise
from app.errors import Forbidden, InvalidInput
from app.pairing.models import Building
from app.units.models import Unit
from app.visits import service
from app.visits.schemas import VisitAppealIn, VisitCreate
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE
from tests.visits.conftest import BEISHAN_ENTERPRISE, add_user

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def user(session, dingtalk: str) -> User:  # type: ignore[no-untyped-def]
    return session.exec(select(User).where(User.dingtalk_userid == dingtalk)).one()


def data(uscc: str = XIXI_ENTERPRISE, **overrides: object) -> VisitCreate:
    body: dict[str, object] = {"enterprise_uscc": uscc, "visited_on": "2026-03-01", "mode": "phone",
                               "summary": "电话了解复工情况"}
    body.update(overrides)
    return VisitCreate.model_validate(body)


def appeal(category: str = "energy", **extra: object) -> dict[str, object]:
    return {"title": "用电增容", "description": "增容审批慢", "category": category, **extra}


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_visit_with_appeals_is_one_transaction(city):
    wang = principal_for_user(city, user(city, "wangxm01"))
    result = service.record_visit(city, wang, data(appeals=[appeal(), appeal("labour")]), now=NOW)
    assert result.status_code == 201 and not result.replayed
    rows = city.exec(select(Appeal).order_by(Appeal.id)).all()
    assert [a.visit_id for a in rows] == [result.body["id"]] * 2 and {a.source for a in rows} == {"visit"}
    assert result.body["appeal_ids"] == [a.id for a in rows]


def test_a_refused_visit_writes_nothing(city):
    wang = principal_for_user(city, user(city, "wangxm01"))
    with pytest.raises(InvalidInput) as refused:
        service.record_visit(city, wang, data(appeals=[appeal(), appeal(attachment_ids=[77])]), now=NOW)
    assert refused.value.errors[0].field.startswith("body.appeals.1.")
    city.rollback()
    assert count(city, Appeal) == 0 and count(city, service.Visit) == 0
    with pytest.raises(ValidationError):
        VisitAppealIn.model_validate(appeal("weather"))
    with pytest.raises(ValidationError):
        data(summary=" \n ")


@pytest.mark.parametrize(("visited_on", "revisit_on", "field"), [
    ("2026-03-03", None, "body.visited_on"),  # tomorrow in Shanghai
    ("1999-12-31", None, "body.visited_on"),
    ("2026-03-01", "2026-03-01", "body.revisit_on"),
    ("2026-03-01", "2027-03-05", "body.revisit_on"),
])
def test_dates(city, visited_on, revisit_on, field):
    wang = principal_for_user(city, user(city, "wangxm01"))
    with pytest.raises(InvalidInput) as refused:
        service.record_visit(city, wang, data(visited_on=visited_on, revisit_on=revisit_on), now=NOW)
    assert refused.value.errors[0].field == field
    # Today in Shanghai is fine even when it is still yesterday in UTC.
    late = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 01:00 on 3 March in Shanghai
    assert service.record_visit(city, wang, data(visited_on="2026-03-03"), now=late).status_code == 201


def test_reach_by_street_pairing_and_building(city):
    cadre = add_user(city, "刘洋", "liaison", "330100-JXJ", NOW)
    as_cadre = principal_for_user(city, cadre)
    beishan = city.exec(select(Enterprise).where(Enterprise.uscc == BEISHAN_ENTERPRISE)).one()
    street = city.get(Unit, beishan.street_unit_id)
    assert not service.enterprise_in_reach(city, as_cadre, beishan, street)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        service.record_visit(city, as_cadre, data(BEISHAN_ENTERPRISE), now=NOW)
    city.rollback()

    beishan.liaison_user_id = cadre.id
    city.add(beishan)
    city.commit()
    assert service.enterprise_in_reach(city, as_cadre, beishan, street)  # type: ignore[arg-type]
    assert service.record_visit(city, as_cadre, data(BEISHAN_ENTERPRISE), now=NOW).status_code == 201

    # A 楼长 reaches every enterprise of the building.
    manager = add_user(city, "楼长老吴", "liaison", "330100-GHZY", NOW)
    hushu = city.exec(select(Enterprise).where(Enterprise.uscc == HUSHU_ENTERPRISE)).one()
    building = Building(name="湖墅大厦", street_unit_id=hushu.street_unit_id, manager_user_id=manager.id,
                        created_at=NOW, updated_at=NOW)
    city.add(building)
    city.flush()
    hushu.building_id = building.id
    city.add(hushu)
    city.commit()
    assert service.record_visit(city, principal_for_user(city, manager), data(HUSHU_ENTERPRISE),
                                now=NOW).status_code == 201

    # The pairing ended, the reach ends.
    beishan.liaison_user_id = None
    city.add(beishan)
    city.commit()
    with pytest.raises(InvalidInput):
        service.record_visit(city, as_cadre, data(BEISHAN_ENTERPRISE), now=NOW)
    city.rollback()


def test_participants_must_be_in_reach(city):
    wang = principal_for_user(city, user(city, "wangxm01"))
    li = user(city, "lina02")
    colleague = add_user(city, "赵敏", "liaison", "330106012", NOW)
    district = add_user(city, "西湖区干部", "district_admin", "330106", NOW)
    with pytest.raises(InvalidInput) as refused:
        service.record_visit(city, wang, data(participant_user_ids=[colleague.id, li.id]), now=NOW)
    assert refused.value.errors[0].field == "body.participant_user_ids.1"
    city.rollback()
    done = service.record_visit(city, wang, data(participant_user_ids=[colleague.id, district.id, colleague.id]),
                                now=NOW)
    assert [p["user_id"] for p in done.body["participants"]] == [colleague.id, district.id]


def test_only_a_user_records(city):
    from app.auth.principal import Principal
    from app.enums import Role

    keyed = Principal(role=Role.street_admin, label="西溪街道", unit_path="/330100/330106/330106012/", key_id=1)
    with pytest.raises(Forbidden):
        service.record_visit(city, keyed, data(), now=NOW)
    city.rollback()
    assert service.today_in_shanghai(NOW) == date(2026, 3, 2)
