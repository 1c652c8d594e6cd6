"""GET /api/v1/stats/programme on a hand-computed data set (both databases).

On top of the appeals of tests/stats/dataset.py (period P = 2026-11-02 … 2026-11-15, now = 2026-11-16 12:00), the
rows below; every expected figure is worked out in the comments (dates Asia/Shanghai).

Cadres: U1 of 市经信局 (a city department), U2 of 西湖区人力社保局 (a district department), U3 the 西溪 street liaison.
Enterprises: E0 西溪 (key level city: 14 days), E1 湖墅, E2 康桥, E3 城厢, E4 北山 (the demo's), and E5 湖滨,
E6 蒋村, E7 湖滨 (no activity), E8 湖滨 registered 11-16 08:00 (after P).

| pairing | cadre | enterprise | from        | to          | overlaps P | in force at P's end | now |
|---------|-------|------------|-------------|-------------|------------|---------------------|-----|
| P1      | U1    | E0         | 10-01       | –           | yes        | yes                 | yes |
| P2      | U1    | E1         | 10-01       | 11-05 12:00 | yes        | no                  | no  |
| P3      | U2    | E4         | 11-15 10:00 | –           | yes        | yes                 | yes |
| P4      | U3    | E2         | 09-01       | 10-31       | no         | no                  | no  |
| P5      | U3    | E3         | 11-16 08:00 | –           | no         | no                  | yes |
| P6      | U2    | E6         | 06-01       | –           | yes        | yes                 | yes |

Visits: V1 E0 11-01, V2 E1 11-02, V3 E1 11-02 (same day: 2 家次), V4 E1 11-15, V5 E2 10-31, V6 E3 11-16, V7 E5 11-05.

City over P: liaisons {U1, U2} = 2 (P4 ended before, P5 began after); enterprises 8 (E8 registered after P);
paired at the end E0 E4 E6 = 3; served E0–E6 = 7 (E0–E4 filed appeals, E5 visited, E6 paired; E7 nothing); visits
V2 V3 V4 V7 = 4 over E1 E5 = 2; appeals 10 / 4 (dataset) → 40.0%. Overdue today (11-16): E0 (city level, cutoff
11-02: paired 10-01, last visit 11-01) and E6 (30 days, cutoff 10-17: paired 06-01, never visited); E4 paired 11-15,
E3 paired today and visited today → 2.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.enterprises.models import Enterprise
from app.enterprises.uscc import make_uscc
from app.pairing.models import Pairing
from app.units.models import Unit
from app.visits.models import Visit, VisitPolicySetting
from tests.helpers import assert_problem
from tests.stats.dataset import NOW, PERIOD, seed, t

pytestmark = pytest.mark.db


def seed_programme(session: Session) -> dict[str, object]:
    """The pairings and visits above (the demo city and tests/stats/dataset.py must be seeded)."""
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    es = list(session.exec(select(Enterprise).order_by(Enterprise.id)).all())  # type: ignore[arg-type]
    for n, (street, created) in enumerate([("330102001", t(3, 2)), ("330106008", t(3, 2)), ("330102001", t(3, 2)),
                                           ("330102001", t(11, 16, 8))], start=5):
        e = Enterprise(uscc=make_uscc(f"91330100MA2PG{n:04d}"), name=f"测试企业{n}",
                       street_unit_id=units[street].id, contact_name="联系人", contact_mobile="13900000000",
                       created_at=created, updated_at=created)
        session.add(e)
        es.append(e)
    es[0].key_level = "city"
    u1 = User(name="市经信局干部", role="liaison", unit_id=units["330100-JXJ"].id, created_at=t(1, 1))
    u2 = User(name="西湖区人社干部", role="liaison", unit_id=units["330106-RLSB"].id, created_at=t(1, 1))
    session.add_all([u1, u2])
    session.flush()
    u3 = session.exec(select(User).where(User.name == "王晓明")).one()
    for user, e, start, end in [(u1, 0, t(10, 1), None), (u1, 1, t(10, 1), t(11, 5, 12)), (u2, 4, t(11, 15, 10), None),
                                (u3, 2, t(9, 1), t(10, 31)), (u3, 3, t(11, 16, 8), None), (u2, 6, t(6, 1), None)]:
        session.add(Pairing(enterprise_id=es[e].id, user_id=user.id, unit_id=user.unit_id, started_at=start,
                            started_by="测试", ended_at=end, ended_by="测试" if end else None))
    for e, day in [(0, date(2026, 11, 1)), (1, date(2026, 11, 2)), (1, date(2026, 11, 2)), (1, date(2026, 11, 15)),
                   (2, date(2026, 10, 31)), (3, date(2026, 11, 16)), (5, date(2026, 11, 5))]:
        session.add(Visit(enterprise_id=es[e].id, street_unit_id=es[e].street_unit_id, visited_on=day,
                          mode="on_site", visitor_user_id=u1.id, visitor_unit_id=u1.unit_id, summary="走访",
                          created_at=datetime.combine(day, datetime.min.time()).astimezone()))
    session.commit()
    return {"enterprises": es, "users": (u1, u2, u3)}


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    seed(city)
    return seed_programme(city)


def programme(client, key, **params):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/stats/programme", params={**PERIOD, **params}, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


FIGURES = ("liaisons", "enterprises_total", "enterprises_paired", "enterprises_served", "visits",
           "enterprises_visited", "appeals_collected", "appeals_resolved", "visit_overdue")


def figures(body: dict) -> tuple:
    return tuple(body[name] for name in FIGURES)


def test_city_figures_and_sentence(client, keys, data):
    body = programme(client, keys["city"])
    assert body["unit_code"] == "330100"
    assert body["from"] == "2026-11-02T00:00:00+08:00" and body["to"] == "2026-11-16T00:00:00+08:00"
    assert figures(body) == (2, 8, 3, 7, 4, 2, 10, 4, 2)
    assert body["resolution_rate"] == 0.4 and body["pairing_coverage_rate"] == 0.375
    assert body["sentence"] == "共选派干部2名，服务企业7家，累计走访企业4家次，收集企业诉求10个，解决4个，解决率40.0%"


def test_appeal_counts_are_the_summarys(client, keys, data):
    for key, unit in (("city", None), ("xihu", None), ("city", "330105")):
        params = {"unit": unit} if unit else {}
        summary = client.get("/api/v1/stats/summary", params={**PERIOD, **params}, headers=keys[key]).json()
        body = programme(client, keys[key], **params)
        assert (body["appeals_collected"], body["appeals_resolved"]) == (summary["collected"], summary["resolved"])


def test_city_coverage_by_district(client, keys, data):
    rows = {r["unit_code"]: r for r in programme(client, keys["city"])["by_unit"]}
    assert list(rows) == ["330102", "330105", "330106", "330109", "330111", "330182"]
    cols = ("enterprises_total", "enterprises_paired", "enterprises_visited", "visited_in_cadence", "visit_overdue")
    assert tuple(rows["330106"][c] for c in cols) == (3, 3, 0, 1, 2)  # E0 E4 E6; E4 within cadence
    assert tuple(rows["330105"][c] for c in cols) == (2, 0, 1, 0, 0)  # E1 E2; E1 visited
    assert tuple(rows["330102"][c] for c in cols) == (2, 0, 1, 0, 0)  # E5 E7 (E8 registered after P); E5 visited
    assert tuple(rows["330109"][c] for c in cols) == (1, 0, 0, 1, 0)  # E3 paired now (not at P's end), visited today
    assert rows["330106"]["pairing_coverage_rate"] == 1.0 and rows["330111"]["pairing_coverage_rate"] is None


def test_district_counts_its_own_cadres_not_the_citys(client, keys, data):
    # 西湖区: only U2 (西湖区人力社保局) counts; U1 of 市经信局 serves E0 in 西溪 but counts for the city.
    body = programme(client, keys["xihu"])
    assert body["unit_code"] == "330106"
    assert figures(body) == (1, 3, 3, 3, 0, 0, 4, 3, 2)
    assert body["sentence"] == "共选派干部1名，服务企业3家，累计走访企业0家次，收集企业诉求4个，解决3个，解决率75.0%"
    streets = {r["unit_code"]: (r["enterprises_total"], r["visit_overdue"]) for r in body["by_unit"]}
    assert streets == {"330106001": (1, 0), "330106008": (1, 1), "330106012": (1, 1)}


def test_street_figures(client, keys, data):
    body = programme(client, keys["xixi_admin"])
    assert body["unit_code"] == "330106012" and body["by_unit"] == []
    assert figures(body) == (0, 1, 1, 1, 0, 0, 3, 2, 1)  # E0; A1 A2 A10 (A1 A2 resolved)
    assert body["sentence"].endswith("收集企业诉求3个，解决2个，解决率66.7%")


def test_department_figures_are_over_its_cadres_enterprises(client, keys, data):
    # 市经信局: E0 (P1) and E1 (P2) paired with its cadre in P; at P's end only E0; visits V2 V3 V4; appeals of E0
    # and E1 filed in P: A1 A2 A10 A4 A5, resolved A1 A2 A4.
    body = programme(client, keys["city"], unit="330100-JXJ")
    assert figures(body) == (1, 2, 1, 2, 3, 1, 5, 3, 1)
    assert body["by_unit"] == []
    assert body["sentence"] == "共选派干部1名，服务企业2家，累计走访企业3家次，收集企业诉求5个，解决3个，解决率60.0%"


@pytest.mark.parametrize(("params", "expected"), [
    # One day, 11-15: P1 P3 P6 in force (U1 U2); V4; A10 filed (withdrawn); served E0 (P1, A10) E1 (V4) E4 E6.
    ({"from": "2026-11-15", "to": "2026-11-15"}, (2, 8, 3, 4, 1, 1, 1, 0, 2)),
    # 11-03 … 11-14 (`to` inclusive): V2 V3 (11-02) and V4 (11-15) out, V7 in; P3 not yet begun.
    ({"from": "2026-11-03", "to": "2026-11-14"}, (2, 8, 2, 7, 1, 1, 8, 3, 2)),  # A2–A9; A2 A3 A4 resolved
    # Instants: [11-15 10:00, 11-16 09:00): P5 (11-16 08:00) and E8 (registered 11-16 08:00) in; V6 (11-16) and B2
    # (11-16 00:00) in; A10 (11-15 20:00) in. Paired at the end (11-16 09:00): E0 E3 E4 E6. Visits on the local days
    # touched (11-15, 11-16): V4 V6. Served: E0 (P1, A10), E1 (V4, B2), E3 (P5, V6), E4 (P3), E6 (P6).
    ({"from": "2026-11-15T10:00:00+08:00", "to": "2026-11-16T09:00:00+08:00"}, (3, 9, 4, 5, 2, 2, 2, 0, 2)),
])
def test_period_bounds(client, keys, data, params, expected):
    assert figures(programme(client, keys["city"], **params)) == expected


def test_cadence_follows_the_visit_policy(client, keys, data, city):
    # With 30 days for city-level enterprises E0's cutoff is 10-17: its visit of 11-01 is recent enough.
    city.add(VisitPolicySetting(default_days=30, by_key_level={"city": 30}, version=2, updated_at=NOW))
    city.commit()
    assert programme(client, keys["city"])["visit_overdue"] == 1


def test_nothing_collected_sentence(client, keys, data):
    body = programme(client, keys["city"], **{"from": "2026-10-01", "to": "2026-10-31"})
    assert body["appeals_collected"] == 0 and body["resolution_rate"] is None
    assert body["sentence"].endswith("尚未收集企业诉求")


@pytest.mark.parametrize(("key", "unit"), [
    ("xixi_admin", "330106"), ("xixi_admin", "330105005"), ("xihu", "330105"), ("xihu", "330100-JXJ"),
    ("hushu_liaison", "330106012"), ("city", "999999"),
])
def test_unit_outside_reach_is_404(client, keys, data, key, unit):
    assert_problem(client.get("/api/v1/stats/programme", params={"unit": unit}, headers=keys[key]), 404)


def test_district_reads_its_department(client, keys, data):
    body = programme(client, keys["xihu"], unit="330106-RLSB")
    assert figures(body)[:4] == (1, 2, 2, 2)  # U2: E4 and E6


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-16", "to": "2026-11-01"}, "query.from"),
    ({"from": "11/01/2026"}, "query.from"),
])
def test_bad_period_is_422(client, keys, data, params, field):
    assert_problem(client.get("/api/v1/stats/programme", params=params, headers=keys["city"]), 422, field=field)


def test_without_credentials_401(client, data):
    assert client.get("/api/v1/stats/programme").status_code == 401


def test_bulletin_has_the_visits_line(client, keys, data):
    # Week 2026-W46 (11-09 … 11-15): V4 (E1, 11-15); year to date V1–V5 and V7 (V6 is 11-16); paired at the
    # week's end E0 E4 E6 of 8 enterprises; overdue now E0 E6.
    md = client.get("/api/v1/stats/bulletin", params={"week": "2026-W46"}, headers=keys["city"]).json()["markdown"]
    assert "本周走访企业1家次（1家），2026年以来累计走访企业6家次；结对企业3家，结对覆盖率37.5%，目前走访逾期企业2家。" in md
