"""Policies through the API by role (DESIGN §12): publish with field-named refusals, versioned edits, matches with
reasons, push, the enterprise's inbox (its own deliveries only), interest as a routed appeal, outcome, figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from app.appeals.models import Appeal
from app.policies.models import Policy, PolicyDelivery
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, assert_problem
from tests.policies.conftest import enterprise_headers

pytestmark = pytest.mark.db


def policy_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "专精特新制造企业技术改造补助", "issuer_unit_code": "330106",
        "summary": "对 20–300 人的专精特新制造企业技术改造项目，按设备投资额 10% 给予补助。",
        "url": "https://www.hzxh.gov.cn/policy/1", "kind": "targeted", "benefit": "subsidy",
        "target": {"tags_any": ["专精特新"], "industries": ["C"], "min_employees": 20, "max_employees": 300},
        "valid_from": "2026-01-01", "valid_to": "2026-12-31", "apply_by": "2026-10-31",
    }
    body.update(overrides)
    return body


def create(client, keys, key: str = "xihu", **overrides: Any) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/policies", json=policy_body(**overrides), headers=keys[key])
    assert r.status_code == 201, r.text
    return r.json()


BAD = [
    ({"target": {"tags_any": ["专精特新"], "min_employees": 300, "max_employees": 20}}, "body.target.min_employees"),
    ({"target": {"industries": ["C99"]}}, "body.target.industries[0]"),
    ({"target": {"scales": ["huge"]}}, "body.target.scales[0]"),
    ({"valid_from": "2026-06-01", "valid_to": "2026-05-31", "apply_by": None}, "body.valid_to"),
    ({"kind": "targeted", "target": {}}, "body.target"),
    ({"kind": "universal"}, "body.target"),
    ({"apply_by": "2027-03-01"}, "body.apply_by"),
    ({"url": "http://example.com/p"}, "body.url"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD)
def test_bad_policies_are_422_naming_the_field_and_write_nothing(client, keys, city, overrides, field):
    body = assert_problem(client.post("/api/v1/policies", json=policy_body(**overrides), headers=keys["xihu"]),
                          422, field=field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])  # Chinese
    assert city.exec(select(func.count()).select_from(Policy)).one() == 0


@pytest.mark.parametrize(("key", "issuer"), [("xixi_admin", "330100"), ("xixi_admin", "330106"),
                                             ("gongshu", "330106"), ("xixi_liaison", "330106012")])
def test_only_admins_of_the_issuer_or_above_publish(client, keys, city, key, issuer):
    r = client.post("/api/v1/policies", json=policy_body(issuer_unit_code=issuer), headers=keys[key])
    assert_problem(r, 403, field="body.issuer_unit_code")
    assert city.exec(select(func.count()).select_from(Policy)).one() == 0


def test_create_honours_idempotency_key(client, keys, city):
    headers = {**keys["xihu"], "Idempotency-Key": "pol-1"}
    first = client.post("/api/v1/policies", json=policy_body(), headers=headers)
    again = client.post("/api/v1/policies", json=policy_body(), headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and first.headers["etag"] == '"1"'
    assert_problem(client.post("/api/v1/policies", json=policy_body(title="另一项政策"), headers=headers), 422,
                   field="header.Idempotency-Key")
    assert city.exec(select(func.count()).select_from(Policy)).one() == 1


def test_versioned_edits_and_withdrawal(client, keys, city):
    policy = create(client, keys, key="city", issuer_unit_code="330106")  # an admin above the issuer may publish
    url = f"/api/v1/policies/{policy['id']}"
    got = client.get(url, headers=keys["xixi_admin"])  # a city-wide reader below: the policy covers it
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json()["scope_unit_code"] == "330106"
    assert client.get(url, headers=keys["hushu_admin"]).status_code == 404  # 拱墅区 is outside the scope
    r = client.patch(url, json={"title": "技术改造补助（修订）"}, headers={**keys["xihu"], "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    assert_problem(client.patch(url, json={"title": "再改"}, headers={**keys["xihu"], "If-Match": '"1"'}), 412)
    assert_problem(client.patch(url, json={"target": {"min_employees": 9, "max_employees": 1}},
                                headers=keys["xihu"]), 422, field="body.target.min_employees")
    assert_problem(client.patch(url, json={"title": "街道改"}, headers=keys["xixi_admin"]), 403)
    w = client.post(f"{url}/withdraw", headers={**keys["xihu"], "If-Match": '"2"'})
    assert w.status_code == 200 and w.json()["status"] == "withdrawn" and w.json()["version"] == 3
    assert_problem(client.post(f"{url}/withdraw", headers=keys["xihu"]), 409)
    assert_problem(client.post(f"{url}/push", headers=keys["xihu"]), 409, field="status")


def test_matches_push_inbox_interest_outcome_and_figures(client, keys, facts, settings, clock):
    policy = create(client, keys)  # 西湖区: 专精特新 manufacturers of 20–300
    pid = policy["id"]
    r = client.get(f"/api/v1/policies/{pid}/matches", headers=keys["xihu"])
    assert r.status_code == 200, r.text
    [match] = r.json()["items"]
    assert match["uscc"] == XIXI_ENTERPRISE and match["reasons"] == ["专精特新企业", "行业 C39", "员工 120 人"]
    assert client.get(f"/api/v1/policies/{pid}/matches", headers=keys["xixi_liaison"]).json()["items"] == [match]

    assert_problem(client.post(f"/api/v1/policies/{pid}/push", headers=keys["xixi_admin"]), 403,
                   field="issuer_unit_code")  # a street admin cannot push the district's policy
    first = client.post(f"/api/v1/policies/{pid}/push", headers={**keys["xihu"], "Idempotency-Key": "p1"})
    assert first.status_code == 201 and first.json()["matched"] == 1 and first.json()["new_deliveries"] == 1
    replay = client.post(f"/api/v1/policies/{pid}/push", headers={**keys["xihu"], "Idempotency-Key": "p1"})
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    again = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])
    assert again.json()["matched"] == 1 and again.json()["new_deliveries"] == 0
    assert facts.exec(select(func.count()).select_from(PolicyDelivery)).one() == 1
    facts.rollback()  # end the read: SQLite would hold the app's writers behind it

    mine = enterprise_headers(facts, settings, clock.now, XIXI_ENTERPRISE)
    other = enterprise_headers(facts, settings, clock.now, HUSHU_ENTERPRISE)
    [delivery] = client.get("/api/v1/me/policies", headers=mine).json()["items"]
    assert delivery["policy"]["id"] == pid and delivery["read_at"] is None and delivery["reasons"][0] == "专精特新企业"
    assert client.get("/api/v1/me/policies", headers=other).json()["items"] == []
    did = delivery["id"]
    for path in ("read", "interest"):  # another enterprise's delivery does not exist for it
        assert_problem(client.post(f"/api/v1/me/policies/{did}/{path}", headers=other), 404)
    assert_problem(client.post(f"/api/v1/me/policies/{did}/read", headers=keys["xixi_admin"]), 403)
    assert client.post(f"/api/v1/me/policies/{did}/read", headers=mine).json()["read_at"] is not None

    interest = client.post(f"/api/v1/me/policies/{did}/interest", json={"note": "今年拟投设备 800 万元"}, headers=mine)
    assert interest.status_code == 201, interest.text
    appeal = facts.get(Appeal, interest.json()["interest_appeal_id"])
    assert appeal is not None and appeal.category == "policy" and appeal.status == "submitted"
    assert appeal.source == "mini_program" and "技术改造补助" in appeal.title and "800 万元" in appeal.description
    appeal_id = appeal.id
    facts.rollback()
    assert client.get(f"/api/v1/appeals/{appeal_id}", headers=keys["xixi_liaison"]).json()["unit_code"] == "330106012"
    twice = client.post(f"/api/v1/me/policies/{did}/interest", json={}, headers=mine)
    assert twice.status_code == 200 and twice.json()["interest_appeal_id"] == appeal_id

    out = f"/api/v1/policy-deliveries/{did}/outcome"
    assert_problem(client.post(out, json={"status": "granted"}, headers=keys["xixi_admin"]), 422,
                   field="body.amount_cny")
    assert_problem(client.post(out, json={"status": "granted", "amount_cny": 1}, headers=keys["hushu_admin"]), 404)
    assert_problem(client.post(out, json={"status": "granted", "amount_cny": 1}, headers=mine), 404)
    done = client.post(out, json={"status": "granted", "amount_cny": 800_000, "note": "首批拨付"},
                       headers=keys["xixi_admin"])
    assert done.status_code == 200 and done.json()["outcome"] == "granted"

    stats = client.get("/api/v1/stats/policies", params={"unit": "330106"}, headers=keys["xihu"]).json()
    assert stats == {"unit_code": "330106", "policies": 1, "deliveries": 1, "enterprises_reached": 1,
                     "read_rate": 1.0, "interested": 1, "granted": 1, "granted_amount_cny": 800_000}
    gongshu = client.get("/api/v1/stats/policies", headers=keys["gongshu"]).json()
    assert gongshu["deliveries"] == 0 and gongshu["read_rate"] is None
    assert_problem(client.get("/api/v1/stats/policies", params={"unit": "330106"}, headers=keys["gongshu"]), 404)


def test_service_package_and_policies_of_an_enterprise(client, keys, facts, settings, clock):
    create(client, keys, key="city", issuer_unit_code="330100-JXJ", kind="universal", target={},
           title="杭州市中小企业数字化改造普惠服务", benefit="other")  # a city department's policy covers the city
    create(client, keys)
    create(client, keys, title="拱墅区规上企业用工补贴", issuer_unit_code="330105", key="city",
           target={"tags_any": ["规上企业"]})
    mine = enterprise_headers(facts, settings, clock.now, XIXI_ENTERPRISE)
    package = client.get("/api/v1/me/service-package", headers=mine).json()
    assert [p["title"] for p in package["universal"]] == ["杭州市中小企业数字化改造普惠服务"]
    assert [(t["policy"]["title"], t["reasons"][0]) for t in package["targeted"]] == [
        ("专精特新制造企业技术改造补助", "专精特新企业")]
    assert package["liaison"]["name"] == "王晓明" and package["liaison"]["mobile_masked"] != "13800001111"
    assert package["open_appeals"] == 0 and package["last_visit_on"] is None
    staff = client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/service-package", headers=keys["xixi_liaison"])
    assert staff.json() == package
    assert_problem(client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/service-package", headers=keys["gongshu"]), 404)
    hushu = client.get(f"/api/v1/enterprises/{HUSHU_ENTERPRISE}/policies", headers=keys["gongshu"]).json()["items"]
    assert [(i["policy"]["title"], i["reasons"]) for i in hushu] == [
        ("拱墅区规上企业用工补贴", ["规上企业"]), ("杭州市中小企业数字化改造普惠服务", ["普惠政策"])]
    assert_problem(client.get(f"/api/v1/enterprises/{KANGQIAO_ENTERPRISE}/policies", headers=mine), 404)


def test_expired_policy_is_not_pushed(client, keys, facts, clock):
    policy = create(client, keys)
    clock.set(clock.now.replace(year=2027))
    assert_problem(client.post(f"/api/v1/policies/{policy['id']}/push", headers=keys["xihu"]), 409, field="valid_to")
    clock.set(clock.now.replace(year=2026) - timedelta(days=70))  # 2025-12: not yet in force
    assert_problem(client.post(f"/api/v1/policies/{policy['id']}/push", headers=keys["xihu"]), 409,
                   field="valid_from")
    assert facts.exec(select(func.count()).select_from(PolicyDelivery)).one() == 0
