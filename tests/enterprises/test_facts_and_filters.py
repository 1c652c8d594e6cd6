"""Enterprise facts (industry per GB/T 4754-2017, scale, employees, key level, building) and the list filters of
DESIGN §11 (visit_overdue, unpaired, unit), plus the liaison's own list with its overdue flag."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.enterprises.uscc import make_uscc
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, assert_problem, uscc_of
from tests.pairing.helpers import cadre

URL = "/api/v1/enterprises"
CHENGXIANG_ENTERPRISE = uscc_of("91330109MA2CF0004")


def _new(**facts: object) -> dict[str, object]:
    return {"uscc": make_uscc("91330106MA2CF0099"), "name": "杭州新登记科技有限公司", "street_code": "330106012",
            "contact_name": "林海", "contact_mobile": "13912345678", **facts}


class TestFacts:
    def test_create_with_facts_normalised_and_named(self, client, keys):
        r = client.post(URL, json=_new(industry=" c39 ", scale="medium", employees=120, key_level="district"),
                        headers=keys["xixi_admin"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["industry"], body["industry_name"]) == ("C39", "计算机、通信和其他电子设备制造业")
        assert (body["scale"], body["employees"], body["key_level"]) == ("medium", 120, "district")
        section = client.patch(f"{URL}/{body['uscc']}", json={"industry": "I"}, headers=keys["xihu"]).json()
        assert (section["industry"], section["industry_name"]) == ("I", "信息传输、软件和信息技术服务业")

    @pytest.mark.parametrize("facts, field, words", [
        ({"industry": "C99"}, "industry", "大类"),
        ({"industry": "39"}, "industry", "C39"),
        ({"industry": "I39"}, "industry", "属于门类 C"),
        ({"industry": "C391"}, "industry", "过细"),
        ({"scale": "huge"}, "scale", None),
        ({"employees": -1}, "employees", None),
        ({"employees": "12"}, "employees", None),
        ({"key_level": "province"}, "key_level", None),
        ({"building_id": 99999}, "body.building_id", "楼宇"),
    ])
    def test_bad_facts_are_422_naming_the_field(self, client, keys, facts, field, words):
        body = assert_problem(client.post(URL, json=_new(**facts), headers=keys["city"]), 422, field=field)
        if words:
            assert words in str(body)
        assert_problem(client.get(f"{URL}/{_new()['uscc']}", headers=keys["city"]), 404)  # nothing written

    def test_edit_and_clear_by_admins_in_reach_only(self, client, keys, city, clock):
        url = f"{URL}/{XIXI_ENTERPRISE}"
        r = client.patch(url, json={"industry": "C34", "scale": "small", "employees": 80, "key_level": "street"},
                         headers=keys["xixi_admin"])
        assert r.status_code == 200 and r.json()["industry"] == "C34"
        cleared = client.patch(url, json={"industry": None, "employees": None}, headers=keys["city"]).json()
        assert cleared["industry"] is None and cleared["employees"] is None and cleared["scale"] == "small"
        assert_problem(client.patch(url, json={"name": None}, headers=keys["city"]), 422, field="body.name")
        assert_problem(client.patch(url, json={"scale": "large"}, headers=keys["gongshu"]), 404)
        assert_problem(client.patch(url, json={"scale": "large"}, headers=keys["xixi_liaison"]), 403)
        paired = cadre(city, clock.now, "张科")
        client.put(f"{url}/liaison", json={"user_id": paired.user_id}, headers=keys["city"])
        assert_problem(client.patch(url, json={"scale": "large"}, headers=paired.headers), 403)

    def test_liaison_through_the_enterprise_routes_keeps_the_history(self, client, keys, city, clock):
        a, b = cadre(city, clock.now, "张科"), cadre(city, clock.now, "刘洋")
        created = client.post(URL, json=_new(liaison_user_id=a.user_id), headers=keys["city"]).json()
        client.patch(f"{URL}/{created['uscc']}", json={"liaison_user_id": b.user_id}, headers=keys["city"])
        client.patch(f"{URL}/{created['uscc']}", json={"liaison_user_id": None}, headers=keys["city"])
        history = client.get(f"{URL}/{created['uscc']}/pairings", headers=keys["city"]).json()["items"]
        assert [(p["user_name"], p["ended_at"] is not None) for p in history] == [("刘洋", True), ("张科", True)]
        admin = cadre(city, clock.now, "钱主任", "330106012", role="street_admin")
        assert_problem(client.post(URL, json=_new(uscc=make_uscc("91330106MA2CF0098"), liaison_user_id=admin.user_id),
                                   headers=keys["city"]), 422, field="body.liaison_user_id")


def _visit(session, uscc: str, user_id: int, on: date) -> None:  # type: ignore[no-untyped-def]
    from app.auth.models import User
    from app.enterprises.service import get_by_uscc
    from app.visits.models import Visit

    enterprise = get_by_uscc(session, uscc)
    user = session.get(User, user_id)
    session.add(Visit(enterprise_id=enterprise.id, street_unit_id=enterprise.street_unit_id, visited_on=on,
                      mode="on_site", visitor_user_id=user_id, visitor_unit_id=user.unit_id, summary="走访",
                      created_at=enterprise.created_at))
    session.commit()


class TestFilters:
    @pytest.fixture
    def paired(self, client, keys, city, clock):  # type: ignore[no-untyped-def]
        jxj = cadre(city, clock.now, "张科")
        for uscc in (XIXI_ENTERPRISE, HUSHU_ENTERPRISE):
            assert client.put(f"{URL}/{uscc}/liaison", json={"user_id": jxj.user_id},
                              headers=keys["city"]).status_code == 200
        client.patch(f"{URL}/{HUSHU_ENTERPRISE}", json={"key_level": "city"}, headers=keys["city"])  # 14 days
        for uscc in (KANGQIAO_ENTERPRISE, CHENGXIANG_ENTERPRISE):  # the demo's other pairings end
            assert client.delete(f"{URL}/{uscc}/liaison", headers=keys["city"]).status_code == 200
        return jxj

    def _usccs(self, client, headers, **params) -> list[str]:  # type: ignore[no-untyped-def]
        r = client.get(URL, params={"limit": 200, **params}, headers=headers)
        assert r.status_code == 200, r.text
        return sorted(e["uscc"] for e in r.json()["items"])

    def test_unpaired_and_unit(self, client, keys, paired):
        assert self._usccs(client, keys["city"], unpaired="false") == sorted([XIXI_ENTERPRISE, HUSHU_ENTERPRISE])
        assert XIXI_ENTERPRISE not in self._usccs(client, keys["city"], unpaired="true")
        assert self._usccs(client, keys["city"], unit="330105", unpaired="false") == [HUSHU_ENTERPRISE]
        assert self._usccs(client, keys["city"], unit="330105") == sorted([HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE])
        assert_problem(client.get(URL, params={"unit": "330106"}, headers=keys["gongshu"]), 404)
        assert_problem(client.get(URL, params={"unit": "no-such"}, headers=keys["city"]), 404)

    def test_visit_overdue_follows_the_cadence(self, client, keys, city, clock, paired):
        today = clock.now.date()
        assert self._usccs(client, keys["city"], visit_overdue="true") == []
        clock.advance(days=15)  # past 14 days (城市级重点企业), within the default 30
        assert self._usccs(client, keys["city"], visit_overdue="true") == [HUSHU_ENTERPRISE]
        hushu = client.get(f"{URL}/{HUSHU_ENTERPRISE}", headers=keys["city"]).json()
        assert hushu["visit_overdue"] is True and hushu["next_visit_due_on"] == str(today + timedelta(days=14))
        _visit(city, HUSHU_ENTERPRISE, paired.user_id, today + timedelta(days=10))
        assert self._usccs(client, keys["city"], visit_overdue="true") == []
        clock.advance(days=16)  # day 31: 西溪 (default 30) overdue, 湖墅 visited on day 10 + 14 = due day 24
        assert self._usccs(client, keys["city"], visit_overdue="true") == sorted([XIXI_ENTERPRISE, HUSHU_ENTERPRISE])
        not_overdue = self._usccs(client, keys["city"], visit_overdue="false")
        assert KANGQIAO_ENTERPRISE in not_overdue and XIXI_ENTERPRISE not in not_overdue  # unpaired: never overdue
        client.put("/api/v1/visit-policy", json={"default_days": 60, "by_key_level": {"city": 30}},
                   headers=keys["city"])
        assert self._usccs(client, keys["city"], visit_overdue="true") == []
        # The liaison's own list: overdue first, with the days since the last visit.
        mine = client.get("/api/v1/me/enterprises", headers=paired.headers).json()["items"]
        assert [(m["uscc"], m["via"], m["visit_overdue"]) for m in mine] == [
            (HUSHU_ENTERPRISE, "pairing", False), (XIXI_ENTERPRISE, "pairing", False)]
        assert mine[0]["days_since"] == 21 and mine[1]["last_visited_on"] is None
        assert mine[1]["paired_since"] == str(today)

    def test_me_enterprises_refusals(self, client, keys, paired, enterprise_headers):
        assert_problem(client.get("/api/v1/me/enterprises", headers=keys["xixi_liaison"]), 403)  # key without a user
        assert_problem(client.get("/api/v1/me/enterprises", headers=enterprise_headers), 403)
        assert client.get("/api/v1/me/enterprises", headers=keys["xixi_liaison"]).headers["content-type"].startswith(
            "application/problem+json")


@pytest.fixture
def enterprise_headers(city, settings, clock):  # type: ignore[no-untyped-def]
    from tests.accounts.helpers import sign_in_headers

    return sign_in_headers(city, settings.secret_key.get_secret_value(), clock.now, "o-me", XIXI_ENTERPRISE)
