"""The demo city (`zhuqi serve --demo`) shows the programme's sentence filled in, with figures recomputable from its
rows: cadres of departments paired with its enterprises, months of visits, appeals raised in visits and resolved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.appeals.models import Appeal
from app.demo import seed_demo
from app.pairing.models import Pairing
from app.visits.models import Visit
from tests.conftest import create_keys

pytestmark = pytest.mark.db


def test_demo_sentence_is_filled_in_and_matches_the_rows(client, session, clock):
    assert seed_demo(session, now=clock.now)
    keys = create_keys(session, clock.now)
    since = {"from": "2025-01-01"}  # the demo's visits go back five months from now
    visits = session.exec(select(sa.func.count()).select_from(Visit)).one()
    appeals = session.exec(select(Appeal)).all()
    liaisons = session.exec(select(sa.func.count(sa.distinct(Pairing.user_id)))).one()
    session.commit()  # end the read: SQLite's statistics refresh needs the write lock
    body = client.get("/api/v1/stats/programme", params=since, headers=keys["city"]).json()
    assert (body["liaisons"], body["visits"], body["appeals_collected"]) == (liaisons, visits, len(appeals))
    assert body["appeals_resolved"] == sum(a.resolved_at is not None for a in appeals) > 0
    assert body["sentence"].startswith(f"共选派干部{liaisons}名，服务企业13家，累计走访企业{visits}家次，")
    assert body["visit_overdue"] == 1 and body["enterprises_paired"] == 12 and body["enterprises_total"] == 13
    # every appeal raised in a visit points at it; the 市经信局 cadres' enterprises have their own sentence
    assert all(a.visit_id is not None for a in appeals if a.source == "visit")
    jxj = client.get("/api/v1/stats/programme", params={**since, "unit": "330100-JXJ"}, headers=keys["city"]).json()
    assert jxj["liaisons"] == 2 and jxj["enterprises_served"] == 4
