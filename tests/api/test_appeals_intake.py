"""Appeal intake, reads, list filters and pagination through the HTTP API."""

from __future__ import annotations

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, assert_problem


class TestSubmitAppeal:
    def test_staff_files_on_behalf_of_enterprise(self, client, keys):
        r = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["number"] == "ZQ2026-000001"
        assert body["status"] == "submitted"
        assert body["tier"] == "street" and body["unit_code"] == "330106012"
        assert body["enterprise_uscc"] == XIXI_ENTERPRISE
        assert body["urgency"] in ("red", "yellow", "green") and body["urgency_reasons"]
        assert body["deadlines"]["respond_by"].endswith("+08:00")
        assert r.headers["etag"] == '"1"'
        assert set(body) >= {"id", "number", "status", "urgency", "urgency_reasons", "sla_state", "tier",
                             "unit_code", "enterprise_uscc", "title", "category", "deadlines", "version",
                             "created_at", "updated_at"}

    def test_first_timeline_event(self, client, keys):
        appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"]).json()
        events = client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=keys["xixi_liaison"]).json()
        assert [e["type"] for e in events["items"]] == ["submitted"]
        event = events["items"][0]
        assert event["to_status"] == "submitted" and event["to_unit_code"] == "330106012"
        assert "西溪街道" in event["note"] and event["actor"].startswith("xixi_liaison")

    def test_numbers_are_unique_and_increasing(self, client, keys):
        numbers = [
            client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["number"]
            for _ in range(3)
        ]
        assert numbers == sorted(numbers) and len(set(numbers)) == 3

    def test_enterprise_of_another_district_is_refused(self, client, keys, session):
        from app.appeals.models import Appeal
        from sqlmodel import select

        r = client.post("/api/v1/appeals", json=appeal_body(HUSHU_ENTERPRISE), headers=keys["xixi_liaison"])
        assert_problem(r, 422, field="enterprise_uscc")
        assert session.exec(select(Appeal)).all() == []

    def test_caller_cannot_set_status_unit_or_urgency(self, client, keys):
        for field, value in (("status", "closed"), ("unit_code", "330100"), ("urgency", "green"),
                             ("number", "ZQ2026-999999"), ("deadlines", {})):
            r = client.post("/api/v1/appeals", json=appeal_body(**{field: value}), headers=keys["city"])
            assert_problem(r, 422, field=field)

    def test_missing_enterprise_for_staff(self, client, keys):
        body = appeal_body()
        del body["enterprise_uscc"]
        assert_problem(client.post("/api/v1/appeals", json=body, headers=keys["city"]), 422,
                       field="enterprise_uscc")


class TestIdempotency:
    def test_replay_returns_first_response(self, client, keys):
        headers = {**keys["city"], "Idempotency-Key": "visit-2026-11-21-001"}
        first = client.post("/api/v1/appeals", json=appeal_body(), headers=headers)
        second = client.post("/api/v1/appeals", json=appeal_body(), headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers.get("idempotent-replayed") == "true"
        listed = client.get("/api/v1/appeals", headers=keys["city"]).json()["items"]
        assert len(listed) == 1

    def test_same_key_other_body_is_422(self, client, keys):
        headers = {**keys["city"], "Idempotency-Key": "k-1"}
        client.post("/api/v1/appeals", json=appeal_body(), headers=headers)
        r = client.post("/api/v1/appeals", json=appeal_body(title="另一个诉求"), headers=headers)
        assert_problem(r, 422, field="Idempotency-Key")

    def test_keys_are_scoped_per_caller(self, client, keys):
        a = client.post("/api/v1/appeals", json=appeal_body(), headers={**keys["city"], "Idempotency-Key": "same"})
        b = client.post("/api/v1/appeals", json=appeal_body(),
                        headers={**keys["xixi_liaison"], "Idempotency-Key": "same"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]


class TestReadAndList:
    def _file(self, client, keys, n=1, **overrides):
        return [client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys["city"]).json()
                for _ in range(n)]

    def test_read_with_etag(self, client, keys):
        appeal = self._file(client, keys)[0]
        r = client.get(f"/api/v1/appeals/{appeal['id']}", headers=keys["xixi_admin"])
        assert r.status_code == 200 and r.headers["etag"] == '"1"'
        assert r.json()["number"] == appeal["number"]

    def test_outside_reach_is_404(self, client, keys):
        appeal = self._file(client, keys)[0]
        assert_problem(client.get(f"/api/v1/appeals/{appeal['id']}", headers=keys["hushu_admin"]), 404)
        assert_problem(client.get(f"/api/v1/appeals/{appeal['id']}", headers=keys["gongshu"]), 404)
        assert_problem(client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=keys["gongshu"]), 404)
        assert client.get(f"/api/v1/appeals/{appeal['id']}", headers=keys["xihu"]).status_code == 200

    def test_cursor_pagination_is_stable_and_complete(self, client, keys):
        filed = self._file(client, keys, n=7)
        seen, cursor = [], None
        while True:
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            page = client.get("/api/v1/appeals", params=params, headers=keys["city"]).json()
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == sorted((a["id"] for a in filed), reverse=True)

    def test_filters(self, client, keys):
        self._file(client, keys, n=2)
        self._file(client, keys, n=1, category="funding", enterprise_uscc=HUSHU_ENTERPRISE)
        get = lambda **p: client.get("/api/v1/appeals", params=p, headers=keys["city"]).json()["items"]  # noqa: E731
        assert len(get(category="funding")) == 1
        assert len(get(unit="330106")) == 2
        assert len(get(unit="330105005")) == 1
        assert len(get(enterprise=HUSHU_ENTERPRISE)) == 1
        assert len(get(status="submitted")) == 3
        assert len(get(status=["closed", "resolved"])) == 0
        assert len(get(tier="street", overdue="false")) == 3
        assert len(get(text="用电")) == 3
        number = get(category="funding")[0]["number"]
        assert [a["number"] for a in get(text=number.lower())] == [number]  # by number: the unique index
        assert get(text=number[:-1] + ("0" if number[-1] != "0" else "1")) == []
        assert len(client.get("/api/v1/appeals", headers=keys["gongshu"]).json()["items"]) == 1

    def test_tampered_cursor_and_bad_limits(self, client, keys):
        self._file(client, keys, n=3)
        page = client.get("/api/v1/appeals", params={"limit": 1}, headers=keys["city"]).json()
        cursor = page["next_cursor"]
        tampered = ("A" if cursor[0] != "A" else "B") + cursor[1:]
        assert_problem(client.get("/api/v1/appeals", params={"cursor": tampered}, headers=keys["city"]), 422,
                       field="cursor")
        units_cursor = client.get("/api/v1/units", params={"limit": 1}, headers=keys["city"]).json()["next_cursor"]
        assert_problem(client.get("/api/v1/appeals", params={"cursor": units_cursor}, headers=keys["city"]), 422,
                       field="cursor")
        for limit in (-1, 0, 201, "x"):
            assert_problem(client.get("/api/v1/appeals", params={"limit": limit}, headers=keys["city"]), 422,
                           field="limit")

    def test_categories(self, client, keys):
        items = client.get("/api/v1/categories", headers=keys["city"]).json()["items"]
        assert {"code": "funding", "label": "资金"} in items and len(items) == 10
