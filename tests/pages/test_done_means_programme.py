"""Issue 17's "done means", in one story: a city admin pairs a 市经信局 cadre with a 西溪街道 enterprise; the cadre
logs a visit from the page, the appeal it raised reaches 西溪街道 and the cadre follows it there; the dashboard shows
the programme's sentence with figures recomputed here from the rows."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.appeals.models import Appeal
from app.pairing.models import Pairing
from app.stats.periods import resolve_period
from app.stats.programme import percent_of
from app.visits.models import Visit
from tests.helpers import XIXI_ENTERPRISE
from tests.pages.conftest import csrf_of, new_browser, sign_in_with_key
from tests.pairing.helpers import cadre

pytestmark = pytest.mark.db

VISIT_DATE = re.compile(r'name="visited_on" required value="([0-9-]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
SENTENCE = re.compile(r'<p class="sentence" id="programme-sentence">([^<]*)</p>')


def _recomputed(session, period) -> str:  # type: ignore[no-untyped-def]
    """The sentence from the rows, by docs/statistics.md's definitions (the whole city, the default period)."""
    pairings = [p for p in session.exec(select(Pairing)).all()
                if p.started_at < period.end and (p.ended_at is None or p.ended_at > period.start)]
    visits = [v for v in session.exec(select(Visit)).all() if period.first_day <= v.visited_on <= period.last_day]
    appeals = [a for a in session.exec(select(Appeal)).all() if period.start <= a.created_at < period.end]
    served = ({p.enterprise_id for p in pairings} | {v.enterprise_id for v in visits}
              | {a.enterprise_id for a in appeals})
    resolved = sum(a.resolved_at is not None for a in appeals)
    session.commit()  # end the read: SQLite's statistics refresh needs the write lock
    return (f"共选派干部{len({p.user_id for p in pairings})}名，服务企业{len(served)}家，累计走访企业{len(visits)}家次，"
            f"收集企业诉求{len(appeals)}个，解决{resolved}个，解决率{percent_of(resolved, len(appeals))}")


def test_a_department_cadre_visits_a_street_enterprise_and_follows_its_appeal(app, client, keys, city, clock,
                                                                              browser_for):
    # 1. the city admin pairs a 市经信局 cadre with 西溪智造 (西溪街道)
    zhao = cadre(city, clock.now, "赵经信")
    paired = client.put(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/liaison", json={"user_id": zhao.user_id},
                        headers=keys["city"])
    assert paired.status_code == 200, paired.text

    # 2. the cadre signs in on the page, finds the enterprise under 我的企业 and logs a visit that raises an appeal
    page = new_browser(app)
    sign_in_with_key(page, zhao.headers["Authorization"])
    html = page.get("/m/").text
    assert 'id="mine"' in html and "杭州西溪智造科技有限公司" in html
    date_match, key_match = VISIT_DATE.search(html), FORM_KEY.search(html)
    assert date_match and key_match
    logged = page.post("/m/visits", data={
        "csrf": csrf_of(html), "form_key": key_match.group(1), "enterprise_uscc": XIXI_ENTERPRISE,
        "mode": "on_site", "visited_on": date_match.group(1), "summary": "上门了解企业扩产用电需求。",
        "appeal_title": "新厂房用电增容审批迟迟未办", "appeal_description": "申请已提交两个月未有答复。",
        "appeal_category": "energy"})
    assert logged.status_code == 303 and logged.headers["location"] == "/m/?done=visit"
    [visit] = client.get("/api/v1/visits", headers=zhao.headers).json()["items"]
    assert (visit["visitor"]["unit_code"], visit["via"]) == ("330100-JXJ", "page")
    [appeal_id] = visit["appeal_ids"]

    # 3. the appeal reaches 西溪街道, which works on it; the cadre (not of the street) follows it and adds a note
    street = client.get(f"/api/v1/appeals/{appeal_id}", headers=keys["xixi_liaison"]).json()
    assert (street["unit_code"], street["source"], street["visit_id"]) == ("330106012", "visit", visit["id"])
    for action, body in (("sign", {}), ("progress", {"note": "已约供电公司现场查看"})):
        r = client.post(f"/api/v1/appeals/{appeal_id}/actions/{action}", json=body, headers=keys["xixi_liaison"])
        assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/appeals/{appeal_id}/actions/progress", json={"note": "市经信局协调电力公司"},
                    headers=zhao.headers)
    assert r.status_code == 200, r.text
    events = client.get(f"/api/v1/appeals/{appeal_id}/events", headers=zhao.headers).json()["items"]
    notes = [(e["note"], e["assist"]) for e in events if e["type"] == "progress"]
    assert notes == [("已约供电公司现场查看", False), ("市经信局协调电力公司", True)]
    assert appeal_id in [a["id"] for a in client.get("/api/v1/appeals", headers=zhao.headers).json()["items"]]
    page.close()

    # 4. the city's dashboard shows the sentence, and the rows give the same figures
    expected = _recomputed(city, resolve_period(None, None, now=clock.now))
    assert "共选派干部" in expected and "累计走访企业1家次" in expected  # the cadre's visit, the only one this year
    assert SENTENCE.findall(browser_for("city").get("/dashboard").text) == [expected]
    assert client.get("/api/v1/stats/programme", headers=keys["city"]).json()["sentence"] == expected
