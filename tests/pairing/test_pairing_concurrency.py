"""Two admins changing one enterprise's pairing at once (PostgreSQL): they take turns on the enterprise's row, so
both succeed, the history has one row per pairing and exactly one stays open."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.auth.principal import Principal
from app.enterprises.service import get_by_uscc
from app.enums import Role, Tier
from app.pairing import service as pairing
from app.pairing.models import Pairing
from app.pairing.schemas import LiaisonIn
from tests.accounts.test_concurrency import race
from tests.helpers import XIXI_ENTERPRISE
from tests.pairing.helpers import cadre

pytestmark = [pytest.mark.db, pytest.mark.postgres_only]


def test_racing_admins_leave_one_open_pairing(city, db, clock):
    from app.units.service import get_by_code

    unit = get_by_code(city, "330100")
    admin = Principal(role=Role.city_admin, label="市助企专班", unit_id=unit.id, unit_code=unit.code,  # type: ignore[union-attr]
                      unit_path=unit.path, unit_tier=Tier.city)  # type: ignore[union-attr]
    cadres = [cadre(city, clock.now, f"干部{n}") for n in range(4)]
    jobs = [lambda s, c=c: pairing.set_liaison(s, admin, XIXI_ENTERPRISE, LiaisonIn(user_id=c.user_id), now=clock.now)
            for c in cadres]
    results = race(db, jobs)
    assert all(not isinstance(r, Exception) for r in results), results
    enterprise = get_by_uscc(city, XIXI_ENTERPRISE)
    rows = city.exec(select(Pairing).where(Pairing.enterprise_id == enterprise.id)).all()  # type: ignore[union-attr]
    city.refresh(enterprise)
    assert len(rows) == 4 and [r.user_id for r in rows if r.ended_at is None] == [enterprise.liaison_user_id]
