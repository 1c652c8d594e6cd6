"""Bad input gets a clear 4xx problem+json naming the problem, writes nothing, and is never a 500."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.appeals.models import Appeal, AppealEvent
from app.enterprises.models import Enterprise
from tests.helpers import appeal_body, assert_problem


def _nothing_written(session) -> None:
    session.expire_all()
    assert session.exec(select(Appeal)).all() == []
    assert session.exec(select(AppealEvent)).all() == []


class TestAppealBadInput:
    def test_malformed_json(self, client, keys, session):
        r = client.post("/api/v1/appeals", content=b'{"title": "x",', headers={**keys["city"],
                        "Content-Type": "application/json"})
        assert_problem(r, 422, code="validation_error")
        _nothing_written(session)

    @pytest.mark.parametrize(
        "overrides, field",
        [
            ({"title": 123}, "title"),
            ({"title": ""}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "x" * 100_000}, "title"),
            ({"title": "停电\x00\x07"}, "title"),
            ({"description": "ok\x1b[31m"}, "description"),
            ({"category": "bribery"}, "category"),
            ({"source": "fax"}, "source"),
            ({"impact": {"employees_affected": -5}}, "employees_affected"),
            ({"impact": {"employees_affected": "many"}}, "employees_affected"),
            ({"impact": {"amount_cny": 10**20}}, "amount_cny"),
            ({"impact": {"hard_deadline": "2026-13-45"}}, "hard_deadline"),
            ({"impact": {"unknown": True}}, "unknown"),
            ({"attachment_ids": list(range(10))}, "attachment_ids"),
            ({"enterprise_uscc": "91330106MA2CF00010"}, "enterprise_uscc"),
            ({"enterprise_uscc": "not-a-code"}, "enterprise_uscc"),
            ({"priority": "high"}, "priority"),
        ],
    )
    def test_field_errors(self, client, keys, session, overrides, field):
        r = client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys["city"])
        body = assert_problem(r, 422, field=field)
        assert field in body["detail"]
        _nothing_written(session)

    def test_wrong_check_digit_is_named(self, client, keys):
        r = client.post("/api/v1/appeals", json=appeal_body(enterprise_uscc="91330106MA2CF0001A"),
                        headers=keys["city"])
        body = assert_problem(r, 422, field="enterprise_uscc")
        assert "校验" in body["detail"] or "check" in body["detail"]

    def test_ten_megabyte_body(self, client, keys, session):
        huge = b'{"title": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        r = client.post("/api/v1/appeals", content=huge, headers={**keys["city"], "Content-Type": "application/json"})
        assert_problem(r, 413, code="payload_too_large")
        _nothing_written(session)

    def test_body_not_an_object(self, client, keys, session):
        for raw in (b"[]", b'"x"', b"null", b"42"):
            r = client.post("/api/v1/appeals", content=raw, headers={**keys["city"],
                            "Content-Type": "application/json"})
            assert_problem(r, 422)
        _nothing_written(session)

    def test_unknown_route_and_method(self, client, keys):
        assert_problem(client.get("/api/v1/nope", headers=keys["city"]), 404)
        assert_problem(client.delete("/api/v1/appeals", headers=keys["city"]), 405)

    def test_non_numeric_id(self, client, keys):
        assert_problem(client.get("/api/v1/appeals/abc", headers=keys["city"]), 422)
        assert_problem(client.get("/api/v1/appeals/99999999", headers=keys["city"]), 404)


class TestAuth:
    def test_missing_and_wrong_key(self, client, keys):
        r = client.get("/api/v1/appeals")
        assert_problem(r, 401, code="unauthenticated")
        assert r.headers["www-authenticate"].startswith("Bearer")
        for header in ("Bearer zq_wrong", "Basic abc", "Bearer ", "zq_123", "Bearer not-a-token"):
            assert_problem(client.get("/api/v1/appeals", headers={"Authorization": header}), 401)

    def test_revoked_key(self, client, keys, session, clock):
        from app.auth.models import ApiKey

        for key in session.exec(select(ApiKey).where(ApiKey.name == "city")).all():
            key.revoked_at = clock.now
            session.add(key)
        session.commit()
        assert_problem(client.get("/api/v1/appeals", headers=keys["city"]), 401)


class TestEnterpriseBadInput:
    def test_enterprise_fields(self, client, keys, session):
        base = {"uscc": "91330106MA2CF0009", "name": "测试企业", "street_code": "330106012",
                "contact_name": "张三", "contact_mobile": "13812341234"}
        from app.enterprises.uscc import make_uscc

        base["uscc"] = make_uscc(base["uscc"])
        cases = [
            ({"uscc": base["uscc"][:-1] + ("0" if base["uscc"][-1] != "0" else "1")}, "uscc"),
            ({"contact_mobile": "12345"}, "contact_mobile"),
            ({"street_code": "330105005"}, "street_code"),  # another district for a 西湖区 admin
            ({"street_code": "999999"}, "street_code"),
            ({"street_code": "330106"}, "street_code"),  # a district, not a street
            ({"name": ""}, "name"),
            ({"tags": ["x" * 50]}, "tags"),
        ]
        for overrides, field in cases:
            r = client.post("/api/v1/enterprises", json={**base, **overrides}, headers=keys["xihu"])
            assert_problem(r, 422, field=field)
        assert session.exec(select(Enterprise).where(Enterprise.name == "测试企业")).all() == []
