"""Pairing history and reach at the service level, on SQLite and PostgreSQL (ZHUQI_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.appeals import access
from app.appeals import service as appeals
from app.appeals.models import Appeal
from app.appeals.schemas import AppealCreate
from app.auth.models import User
from app.auth.service import principal_for_user
from app.core import reach
from app.enterprises.service import get_by_uscc
from app.errors import Conflict, InvalidInput, NotFound
from app.pairing import handlers
from app.pairing import service as pairing
from app.pairing.models import Pairing
from app.pairing.schemas import LiaisonIn, PairingImportItem
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body
from tests.pairing.helpers import cadre

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def wiring():  # type: ignore[no-untyped-def]
    handlers.register()


@pytest.fixture
def admin(city):  # type: ignore[no-untyped-def]
    from app.auth.principal import Principal
    from app.enums import Role, Tier
    from app.units.service import get_by_code

    unit = get_by_code(city, "330106")
    return Principal(role=Role.district_admin, label="西湖区助企专班", unit_id=unit.id, unit_code=unit.code,
                     unit_path=unit.path, unit_tier=Tier.district)


def _principal(session, user_id):  # type: ignore[no-untyped-def]
    return principal_for_user(session, session.get(User, user_id))


def test_history_rows_and_one_open_pairing(city, clock, admin):
    a, b = cadre(city, clock.now, "张科"), cadre(city, clock.now, "刘洋", "330106-RLSB")
    first = pairing.set_liaison(city, admin, XIXI_ENTERPRISE, LiaisonIn(user_id=a.user_id), now=clock.now)
    assert first.unit_code == "330100-JXJ" and first.started_by == "西湖区助企专班"
    later = clock.advance(days=2)
    pairing.set_liaison(city, admin, XIXI_ENTERPRISE, LiaisonIn(user_id=b.user_id, note="调整"), now=later)
    rows = pairing.history(city, admin, XIXI_ENTERPRISE)
    assert [(r.user_id, r.ended_at is None) for r in rows] == [(b.user_id, True), (a.user_id, False)]
    assert rows[1].ended_at == later and rows[1].ended_by == "西湖区助企专班"
    assert get_by_uscc(city, XIXI_ENTERPRISE).liaison_user_id == b.user_id  # type: ignore[union-attr]
    # The database refuses a second open row, whatever the service does (two admins racing).
    enterprise = get_by_uscc(city, XIXI_ENTERPRISE)
    city.add(Pairing(enterprise_id=enterprise.id, user_id=a.user_id, unit_id=1, started_at=later,  # type: ignore[arg-type]
                     started_by="x"))
    with pytest.raises(IntegrityError):
        city.commit()
    city.rollback()
    pairing.end_liaison(city, admin, XIXI_ENTERPRISE, now=clock.advance(days=1))
    assert all(r.ended_at is not None for r in pairing.history(city, admin, XIXI_ENTERPRISE))
    with pytest.raises(Conflict):
        pairing.end_liaison(city, admin, XIXI_ENTERPRISE, now=clock.now)


def test_refusals_write_nothing(city, clock, admin):
    a = cadre(city, clock.now, "张科")
    with pytest.raises(NotFound):
        pairing.set_liaison(city, admin, HUSHU_ENTERPRISE, LiaisonIn(user_id=a.user_id), now=clock.now)
    items = [PairingImportItem(uscc=XIXI_ENTERPRISE, user_id=a.user_id),
             PairingImportItem(uscc=HUSHU_ENTERPRISE, user_id=a.user_id)]
    with pytest.raises(InvalidInput) as caught:
        pairing.import_pairings(city, admin, items, now=clock.now)
    assert caught.value.errors[0].field == "body.items[1].uscc"
    city.rollback()
    assert city.exec(select(sa.func.count()).select_from(Pairing)).one() == 0


def test_reach_follows_the_pairing(city, clock, admin):
    a = cadre(city, clock.now, "张科")
    principal = _principal(city, a.user_id)
    enterprise = get_by_uscc(city, XIXI_ENTERPRISE)
    system = admin
    filed = appeals.submit_appeal(city, system, AppealCreate(**appeal_body()), now=clock.now)
    appeal_id = filed.body["id"]

    def visible() -> list[int]:
        return [x.id for x in city.exec(select(Appeal).where(access.visibility_clause(principal, []))).all()]

    assert not reach.grants(city, principal, enterprise.id) and visible() == []  # type: ignore[arg-type]
    pairing.set_liaison(city, admin, XIXI_ENTERPRISE, LiaisonIn(user_id=a.user_id), now=clock.now)
    assert reach.grants(city, principal, enterprise.id) and visible() == [appeal_id]  # type: ignore[arg-type]
    pairing.end_liaison(city, admin, XIXI_ENTERPRISE, now=clock.now + timedelta(days=1))
    assert not reach.grants(city, principal, enterprise.id) and visible() == []  # type: ignore[arg-type]


def test_keys_without_a_user_get_no_extra_clause(city, admin):
    assert reach.granted_enterprise_ids(admin) is None  # scripts and plain keys keep their plain subtree query
