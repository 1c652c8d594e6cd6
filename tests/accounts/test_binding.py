"""Binding an enterprise user to its enterprise: invitation codes (single use, expiring) or a binding request
approved by the street's admin. Unbound users reach only /me, binding and sign-in routes."""

from __future__ import annotations

import pytest

from app.accounts.binding import hash_code, names_match
from tests.accounts.helpers import enterprise_appeal
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, assert_problem

XIXI_NAME = "杭州西溪智造科技有限公司"


def invite(client, headers, uscc=XIXI_ENTERPRISE, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/enterprises/{uscc}/invitations", json=body or None, headers=headers)


def bind(client, headers, uscc=XIXI_ENTERPRISE, name=XIXI_NAME, **extra):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/me/binding", json={"uscc": uscc, "name": name, **extra}, headers=headers)


@pytest.mark.parametrize("given, registered, same", [
    ("杭州西溪智造科技有限公司", "杭州西溪智造科技有限公司", True),
    (" 杭州西溪智造 科技有限公司 ", "杭州西溪智造科技有限公司", True),
    ("杭州某某(集团)有限公司", "杭州某某（集团）有限公司", True),
    ("ABC杭州有限公司", "abc杭州有限公司", True),
    ("杭州西溪智造有限公司", "杭州西溪智造科技有限公司", False),
])
def test_names_match(given, registered, same):
    assert names_match(given, registered) is same


def test_code_hash_ignores_dashes_spaces_and_case():
    assert hash_code("k7qf-3mzp x2hd", "s") == hash_code("K7QF3MZPX2HD", "s") != hash_code("K7QF3MZPX2HD", "t")


class TestInvitations:
    def test_who_may_issue(self, client, keys, enterprise_user):
        r = invite(client, keys["xixi_admin"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["enterprise_uscc"] == XIXI_ENTERPRISE and len(body["code"]) == 14
        assert body["expires_at"].endswith("+08:00")
        assert invite(client, keys["city"], valid_days=3).status_code == 201
        assert invite(client, keys["xihu"]).status_code == 201
        assert_problem(invite(client, keys["xixi_liaison"]), 403)
        assert_problem(invite(client, keys["hushu_admin"]), 404)
        assert_problem(invite(client, keys["gongshu"]), 404)
        assert_problem(invite(client, enterprise_user("o-a", XIXI_ENTERPRISE)), 403)
        assert_problem(invite(client, keys["city"], uscc="91330106MA2CF99990"), 404)
        assert_problem(invite(client, keys["city"], valid_days=90), 422, field="valid_days")
        assert_problem(invite(client, keys["city"], code="MINE-MINE-MINE"), 422, field="code")

    def test_code_binds_once(self, client, keys, enterprise_user, session):
        from app.accounts.models import EnterpriseInvitation

        code = invite(client, keys["xixi_admin"]).json()["code"]
        first, second = enterprise_user("o-1"), enterprise_user("o-2")
        assert_problem(client.get("/api/v1/appeals", headers=first), 403)
        r = bind(client, first, invitation_code=code.lower())
        assert r.status_code == 200, r.text
        me = r.json()
        assert me["bound"] is True and me["enterprise"]["uscc"] == XIXI_ENTERPRISE
        assert me["enterprise"]["street_code"] == "330106012"
        assert client.get("/api/v1/appeals", headers=first).status_code == 200
        assert_problem(bind(client, second, invitation_code=code), 422, field="invitation_code")
        assert_problem(bind(client, first, invitation_code=code), 409)
        stored = session.exec(__import__("sqlmodel").select(EnterpriseInvitation)).one()
        assert code not in (stored.code_hash, stored.created_by) and stored.used_at is not None

    def test_expired_and_foreign_codes(self, client, keys, enterprise_user, clock):
        user = enterprise_user("o-1")
        hushu_code = invite(client, keys["hushu_admin"], uscc=HUSHU_ENTERPRISE).json()["code"]
        assert_problem(bind(client, user, invitation_code=hushu_code), 422, field="invitation_code")
        code = invite(client, keys["xixi_admin"], valid_days=1).json()["code"]
        clock.advance(days=1)
        user = enterprise_user("o-1")  # a fresh sign-in: the first access token has expired meanwhile
        assert_problem(bind(client, user, invitation_code=code), 422, field="invitation_code")
        assert_problem(bind(client, user, invitation_code="ZZZZ-ZZZZ-ZZZZ"), 422, field="invitation_code")

    def test_enterprise_must_match(self, client, keys, enterprise_user):
        user = enterprise_user("o-1")
        code = invite(client, keys["xixi_admin"]).json()["code"]
        assert_problem(bind(client, user, name="杭州西溪智造有限公司", invitation_code=code), 422, field="name")
        assert_problem(bind(client, user, uscc="91330106MA2CF99990", invitation_code=code), 422, field="uscc")
        assert_problem(bind(client, user, uscc="91330106MA2CF0001X", invitation_code=code), 422, field="uscc")
        assert_problem(bind(client, user, invitation_code=code, enterprise_id=1), 422, field="enterprise_id")
        assert bind(client, user, name="杭州西溪智造科技有限公司 ", invitation_code=code).status_code == 200

    def test_several_users_per_enterprise(self, client, keys, enterprise_user):
        users = [enterprise_user(f"o-{n}") for n in range(2)]
        for user in users:
            code = invite(client, keys["xixi_admin"]).json()["code"]
            assert bind(client, user, invitation_code=code).status_code == 200
        filed = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=users[0]).json()
        assert client.get(f"/api/v1/appeals/{filed['id']}", headers=users[1]).status_code == 200


class TestBindingRequests:
    def test_request_then_approve(self, client, keys, enterprise_user):
        user = enterprise_user("o-1")
        r = bind(client, user, applicant_name="陈立", applicant_mobile="13912340001", note="本人为公司行政负责人")
        assert r.status_code == 200 and r.json()["bound"] is False
        assert r.json()["binding_request"]["status"] == "pending"
        assert bind(client, user).json()["binding_request"]["id"] == r.json()["binding_request"]["id"]  # idempotent
        assert_problem(bind(client, user, uscc=HUSHU_ENTERPRISE, name="杭州湖墅精密机械有限公司"), 409)
        assert_problem(client.get("/api/v1/appeals", headers=user), 403)

        mine = client.get("/api/v1/binding-requests", headers=keys["xixi_admin"]).json()["items"]
        assert len(mine) == 1 and mine[0]["applicant_mobile"] == "13912340001"  # the street's own admin
        above = client.get("/api/v1/binding-requests", headers=keys["xihu"]).json()["items"]
        assert above[0]["applicant_mobile"] == "139****0001"
        assert client.get("/api/v1/binding-requests", headers=keys["gongshu"]).json()["items"] == []
        assert_problem(client.get("/api/v1/binding-requests", headers=keys["xixi_liaison"]), 403)
        assert_problem(client.get("/api/v1/binding-requests", headers=user), 403)

        request_id = mine[0]["id"]
        assert_problem(client.post(f"/api/v1/binding-requests/{request_id}/approve", headers=keys["gongshu"]), 404)
        assert_problem(client.post(f"/api/v1/binding-requests/{request_id}/approve",
                                   headers=keys["xixi_liaison"]), 403)
        r = client.post(f"/api/v1/binding-requests/{request_id}/approve", json={"reason": "已电话核实"},
                        headers=keys["xixi_admin"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved" and r.json()["decided_by"].startswith("xixi_admin")
        assert_problem(client.post(f"/api/v1/binding-requests/{request_id}/reject", headers=keys["xixi_admin"]), 409)
        assert client.get("/api/v1/me", headers=user).json()["bound"] is True
        assert client.get("/api/v1/appeals", headers=user).status_code == 200
        assert client.get("/api/v1/binding-requests", headers=keys["xixi_admin"]).json()["items"] == []
        done = client.get("/api/v1/binding-requests", params={"status": "approved"}, headers=keys["xixi_admin"])
        assert [i["id"] for i in done.json()["items"]] == [request_id]

    def test_reject_shows_reason(self, client, keys, enterprise_user):
        user = enterprise_user("o-1")
        request_id = bind(client, user).json()["binding_request"]["id"]
        r = client.post(f"/api/v1/binding-requests/{request_id}/reject", json={"reason": "经核实非本企业员工"},
                        headers=keys["city"])
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        me = client.get("/api/v1/me", headers=user).json()
        assert me["bound"] is False and me["binding_request"]["reason"] == "经核实非本企业员工"
        assert bind(client, user).json()["binding_request"]["status"] == "pending"  # may ask again

    def test_code_cancels_a_pending_request(self, client, keys, enterprise_user):
        user = enterprise_user("o-1")
        request_id = bind(client, user).json()["binding_request"]["id"]
        code = invite(client, keys["xixi_admin"]).json()["code"]
        me = bind(client, user, invitation_code=code).json()
        assert me["bound"] is True and me["binding_request"]["status"] == "cancelled"
        assert_problem(client.post(f"/api/v1/binding-requests/{request_id}/approve", headers=keys["city"]), 409)

    def test_unknown_request_and_pagination(self, client, keys, enterprise_user):
        assert_problem(client.post("/api/v1/binding-requests/999/approve", headers=keys["city"]), 404)
        for n in range(3):
            bind(client, enterprise_user(f"o-{n}"))
        page = client.get("/api/v1/binding-requests", params={"limit": 2}, headers=keys["city"]).json()
        rest = client.get("/api/v1/binding-requests", params={"cursor": page["next_cursor"]},
                          headers=keys["city"]).json()
        ids = [i["id"] for i in page["items"] + rest["items"]]
        assert ids == sorted(ids) and len(ids) == 3


class TestUnboundUsers:
    def test_only_me_binding_and_auth(self, client, keys, enterprise_user):
        user = enterprise_user("o-unbound")
        assert client.get("/api/v1/me", headers=user).status_code == 200
        assert client.get("/api/v1/categories", headers=user).status_code == 200
        for method, path in (("GET", "/api/v1/appeals"), ("POST", "/api/v1/appeals"), ("GET", "/api/v1/appeals/1"),
                             ("GET", "/api/v1/appeals/1/events"), ("GET", "/api/v1/attachments/1"),
                             ("GET", f"/api/v1/enterprises/{XIXI_ENTERPRISE}"), ("GET", "/api/v1/units")):
            body = assert_problem(client.request(method, path, headers=user, json=enterprise_appeal()), 403)
            assert "请先绑定企业" in body["detail"]

    def test_staff_cannot_bind(self, client, keys):
        assert_problem(bind(client, keys["xixi_admin"]), 403)
