"""Regression tests for what schema-driven fuzzing (tests/fuzz) found: each was a 500 or accepted invalid input."""

from __future__ import annotations

from tests.accounts.helpers import sign_in_headers
from tests.helpers import XIXI_ENTERPRISE, appeal_body, assert_problem


def test_ids_beyond_32_bits_are_422_not_a_driver_overflow(client, keys):
    huge = 2**63
    for path in (f"/api/v1/appeals/{huge}", f"/api/v1/appeals/{huge}/allowed-actions",
                 f"/api/v1/appeals/{huge}/events", f"/api/v1/users/{huge}"):
        assert_problem(client.get(path, headers=keys["city"]), 422, field="path")
    body = {"reason": "重复", "target_appeal_id": huge}
    assert_problem(client.post("/api/v1/appeals/1/actions/merge", json=body, headers=keys["city"]), 422,
                   field="target_appeal_id")


def test_non_ascii_cursor_is_422(client, keys):
    assert_problem(client.get("/api/v1/users", params={"cursor": ".\u0080"}, headers=keys["city"]), 422,
                   field="cursor")
    assert_problem(client.get("/api/v1/appeals", params={"cursor": "给.你"}, headers=keys["city"]), 422,
                   field="cursor")


def test_null_for_a_required_user_field_is_422(client, keys):
    created = client.post("/api/v1/users", json={"name": "赵六", "role": "liaison", "unit_code": "330106012",
                                                 "mobile": "13800009999"}, headers=keys["city"]).json()
    url = f"/api/v1/users/{created['id']}"
    assert_problem(client.patch(url, json={"active": None}, headers=keys["city"]), 422, field="body.active")
    assert_problem(client.patch(url, json={"name": None}, headers=keys["city"]), 422, field="body.name")
    cleared = client.patch(url, json={"mobile": None}, headers=keys["city"])
    assert cleared.status_code == 200 and cleared.json()["mobile"] is None, cleared.text


def test_json_types_are_not_guessed(client, keys):
    calendar = {"overrides": [{"day": "2027-01-01", "workday": 0, "note": "元旦"}]}
    assert_problem(client.put("/api/v1/calendar/2027", json=calendar, headers=keys["city"]), 422, field="workday")
    for impact in ({"employees_affected": "120"}, {"employees_affected": 12.0}, {"safety_risk": "yes"},
                   {"hard_deadline": 0}):
        response = client.post("/api/v1/appeals", json=appeal_body(impact=impact), headers=keys["city"])
        assert_problem(response, 422, field="impact")
    ok = client.post("/api/v1/appeals", json=appeal_body(impact={"employees_affected": 120, "safety_risk": True,
                                                                 "hard_deadline": "2027-01-31"}),
                     headers=keys["city"])
    assert ok.status_code == 201, ok.text


def test_body_that_is_not_utf8_is_422_problem(client, keys):
    response = client.post("/api/v1/appeals", content=b'{"title": "\xff\xfe"}',
                           headers={**keys["city"], "Content-Type": "application/json"})
    assert_problem(response, 422, field="body", code="validation_error")


def test_nul_in_path_or_query_is_422(client, keys):
    for url in ("/api/v1/units?parent_code=%00", "/api/v1/appeals?text=a%00b", "/api/v1/units/33%0001",
                "/api/v1/enterprises/%00"):
        assert_problem(client.get(url, headers=keys["city"]), 422, code="validation_error")


# Found when the fuzzing was extended to every operation and to an enterprise user (issue 11).

MAX_ID = 2**31 - 1


def test_every_integer_in_a_path_or_query_is_bounded_to_32_bits(app):
    checked = 0
    for path, methods in app.openapi()["paths"].items():
        for method, op in methods.items():
            for param in op.get("parameters", []):
                for schema in (param["schema"], *param["schema"].get("anyOf", [])):
                    if schema.get("type") == "integer":
                        assert schema.get("maximum", MAX_ID + 1) <= MAX_ID, (method, path, param)
                        checked += 1
    assert checked > 30


def test_ids_beyond_32_bits_on_the_newer_routes_are_422(client, keys):
    huge = 2**63
    for method, path in (("GET", f"/api/v1/channels/{huge}"), ("DELETE", f"/api/v1/channels/{huge}"),
                         ("POST", f"/api/v1/channels/{huge}/activate"), ("POST", f"/api/v1/alerts/{huge}/acknowledge"),
                         ("GET", f"/api/v1/attachments/{huge}"), ("POST", f"/api/v1/binding-requests/{huge}/reject"),
                         ("GET", f"/api/v1/callback-tasks/{huge}"), ("GET", f"/api/v1/problem-groups/{huge}"),
                         ("GET", f"/api/v1/appeals/{huge}/similar"), ("GET", f"/api/v1/outbox?appeal_id={huge}"),
                         ("GET", f"/api/v1/outbox?channel_id={huge}")):
        assert_problem(client.request(method, path, headers=keys["city"]), 422,
                       field="query" if "?" in path else "path")
    group = client.post("/api/v1/problem-groups", json={"kind": "common", "title": "用电负荷指标不足",
                                                         "description": "多家企业反映用电负荷指标不足。",
                                                         "unit_code": "330105"}, headers=keys["city"])
    assert group.status_code == 201, group.text
    for ids in ([huge], [1, "2"], [0]):
        response = client.post(f"/api/v1/problem-groups/{group.json()['id']}/appeals", json={"appeal_ids": ids},
                               headers=keys["city"])
        assert_problem(response, 422, field="appeal_ids")


def test_every_route_that_can_refuse_declares_403(app):
    """A route behind get_principal answers 403 to an enterprise user not yet bound (and require_staff/require_admin
    to roles that may not use it); GET /units and /units/{code}, /problem-groups/{id}, the appeal reads,
    /enterprises/{uscc} and /attachments/{id} answered an undeclared 403."""
    from fastapi.routing import APIRoute, iter_route_contexts

    from app.auth.deps import get_principal, require_admin, require_staff

    def calls(dependant):  # type: ignore[no-untyped-def]
        yield dependant.call
        for sub in dependant.dependencies:
            yield from calls(sub)

    spec = app.openapi()["paths"]
    checked = 0
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, APIRoute) and original.include_in_schema and \
                {get_principal, require_staff, require_admin} & set(calls(original.dependant)):
            for method in original.methods:
                assert "403" in spec[route.path][method.lower()]["responses"], (method, route.path)
                checked += 1
    assert checked > 50


def test_enterprise_users_get_the_declared_403(client, keys, city, settings, clock):
    secret = settings.secret_key.get_secret_value()
    unbound = sign_in_headers(city, secret, clock.now, "fuzz-unbound")
    bound = sign_in_headers(city, secret, clock.now, "fuzz-bound", XIXI_ENTERPRISE)
    for path in ("/api/v1/appeals", "/api/v1/appeals/1", f"/api/v1/enterprises/{XIXI_ENTERPRISE}"):
        assert_problem(client.get(path, headers=unbound), 403, code="forbidden")
    for path in ("/api/v1/units", "/api/v1/units/330106012", "/api/v1/problem-groups/1"):
        assert_problem(client.get(path, headers=bound), 403, code="forbidden")


def test_multipart_body_without_boundary_is_422_problem(client, keys):
    """Starlette answered 400 (undeclared), before authentication too."""
    for headers in ({}, keys["city"]):
        response = client.post("/api/v1/attachments", content=b"--x\r\n",
                               headers={**headers, "Content-Type": "multipart/form-data"})
        assert_problem(response, 422, field="body", code="validation_error")


def test_dates_are_yyyy_mm_dd_text_only(client, keys):
    """`?due_by=0` was read as a Unix timestamp (1970-01-01); a JSON "0" or a datetime string too."""
    assert_problem(client.get("/api/v1/callback-tasks", params={"due_by": "0"}, headers=keys["xihu"]), 422,
                   field="due_by")
    assert client.get("/api/v1/callback-tasks", params={"due_by": "2026-03-02"}, headers=keys["xihu"]).status_code \
        == 200
    for day in ("0", "2027-01-01T00:00:00", "1700000000"):
        response = client.post("/api/v1/appeals", json=appeal_body(impact={"hard_deadline": day}),
                               headers=keys["city"])
        assert_problem(response, 422, field="impact")
        calendar = {"overrides": [{"day": day, "workday": True, "note": "调休"}]}
        assert_problem(client.put("/api/v1/calendar/2027", json=calendar, headers=keys["city"]), 422, field="day")


def test_json_types_are_not_guessed_on_the_newer_routes(client, keys):
    channel = {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=x"}
    for bad in ({"internal": 1}, {"per_minute_budget": "18"}, {"monthly_quota": 3000.0}):
        response = client.post("/api/v1/units/330106012/channels", json={**channel, **bad}, headers=keys["xixi_admin"])
        assert_problem(response, 422, field=next(iter(bad)))
    response = client.post(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/invitations", json={"valid_days": "7"},
                           headers=keys["xixi_admin"])
    assert_problem(response, 422, field="valid_days")


def test_robot_error_code_is_a_number_or_a_short_string(app, db, settings, clock):
    """A 21-digit errorCode string was read as the number 0 and the message processed."""
    import base64
    import hashlib
    import hmac

    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from app.main import create_app

    secret = "fuzz-robot-secret"
    signed_app = create_app(settings.model_copy(update={"dingtalk_app_secret": SecretStr(secret)}), engine=db,
                            clock=clock)
    timestamp = str(int(clock.now.timestamp() * 1000))
    sign = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    headers = {"timestamp": timestamp, "sign": sign.decode()}
    body = {"msgId": "msg-fuzz-1", "msgtype": "text", "text": {"content": "帮助"}, "senderStaffId": "nobody"}
    with TestClient(signed_app) as client:
        response = client.post("/api/v1/callbacks/dingtalk", json={**body, "errorCode": "0" * 21}, headers=headers)
        assert_problem(response, 422, field="errorCode")
        for code in (0, "0", "40035"):
            ok = client.post("/api/v1/callbacks/dingtalk", json={**body, "msgId": f"msg-{code!r}", "errorCode": code},
                             headers=headers)
            assert ok.status_code == 200, ok.text
