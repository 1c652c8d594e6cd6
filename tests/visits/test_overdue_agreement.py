"""The SQL `visit_overdue` filter agrees with the pure rule (app.visits.cadence.visit_status) on every case, the
Shanghai day boundary included, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.principal import Principal
from app.enterprises import service
from app.enterprises.models import Enterprise
from app.enums import Role, Tier
from app.pairing.models import Pairing
from app.visits import overdue
from app.visits.models import Visit

pytestmark = pytest.mark.db
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai

# (key level, pairing started at (UTC) or None, days before TODAY of the last visit or None)
CASES = [
    (None, datetime(2026, 5, 1, 15, 59, tzinfo=UTC), None),  # 23:59 Shanghai on 5-1: due 5-31, overdue on 6-1
    (None, datetime(2026, 5, 1, 16, 0, tzinfo=UTC), None),  # 00:00 Shanghai on 5-2: due 6-1, not overdue
    ("city", datetime(2026, 1, 1, tzinfo=UTC), 14),  # visited exactly 14 days ago: due today
    ("city", datetime(2026, 1, 1, tzinfo=UTC), 15),
    ("district", datetime(2026, 5, 20, tzinfo=UTC), 100),  # a visit before the pairing: the pairing's start counts
    ("street", None, 400),  # unpaired: never overdue
    ("district", datetime(2026, 1, 1, tzinfo=UTC), 22),
]


def test_sql_filter_equals_the_pure_rule(city):
    from app.visits import policy_service

    from app.auth.models import User

    base = city.exec(select(Enterprise).order_by(Enterprise.id)).first()
    user_id = city.exec(select(User.id).order_by(User.id)).first()
    # One enterprise per case, beside the demo's (whose liaison columns carry no pairing row: never overdue).
    rows = []
    for index, (level, started, visited) in enumerate(CASES):
        e = Enterprise(uscc=f"CASE{index:014d}", name=f"用例{index}", street_unit_id=base.street_unit_id,
                       contact_name="x", contact_mobile="13900000000", key_level=level, created_at=NOW, updated_at=NOW)
        city.add(e)
        city.flush()
        if started is not None:
            e.liaison_user_id = user_id
            city.add(Pairing(enterprise_id=e.id, user_id=user_id, unit_id=base.street_unit_id, started_at=started,
                             started_by="测试"))
        if visited is not None:
            city.add(Visit(enterprise_id=e.id, street_unit_id=base.street_unit_id,
                           visited_on=TODAY - timedelta(days=visited), mode="phone", visitor_user_id=user_id,
                           visitor_unit_id=base.street_unit_id, summary="电话回访", created_at=NOW))
        rows.append(e)
    city.commit()
    facts = overdue.visit_statuses(city, rows, TODAY)
    expected = {e.uscc for e in rows if facts[e.id].status.overdue}  # type: ignore[index]
    root = Principal(role=Role.city_admin, label="市", unit_path="/330100/", unit_tier=Tier.city)
    found = service.list_enterprises(city, root, reach_ids=None, filters=service.ListFilters(), after_id=None,
                                     limit=200, extra=overdue.overdue_clause(city, TODAY))
    assert {e.uscc for e, _ in found} == expected
    assert expected == {"CASE00000000000000", "CASE00000000000003", "CASE00000000000006"}
    assert policy_service.current(city)[1] is None  # the defaults: 30 days; city 14, district 21
