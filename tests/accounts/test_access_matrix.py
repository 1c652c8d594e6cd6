"""The access matrix (OWASP API1/API5), generated from the app's route table.

Roles: anonymous, enterprise A (西溪智造, 西溪街道), enterprise B (湖墅精密, 拱墅区), an enterprise user not yet
bound, the liaison of 西溪街道, the admin of another district (拱墅区 330105) and the city admin.

- Every route must have an entry in POLICY: a new route without one fails `test_every_route_has_a_policy`.
- Anonymous callers get 401 on every route except the public ones, checked for every route in the table.
- Enterprise A acting on B's appeal or attachment through any route with such an id gets 404.
- POLICY gives the status DESIGN §8 implies for each role on A's objects (outside reach → 404, a role that
  may never use the route → 403, unbound enterprise users → 403 except /me, binding and sign-in).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from app.enterprises.uscc import make_uscc
from tests.accounts.helpers import enterprise_appeal, png_bytes, upload
from tests.accounts.matrix_pairing import pairing_policy
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body

ROLES = ("anonymous", "unbound", "ent_b", "gongshu_admin", "xixi_liaison", "ent_a", "city")
PUBLIC_PATHS = {"/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC_PREFIXES = ("/api/v1/auth/", "/api/v1/callbacks/")
TOKEN_REQUIRED = {("POST", "/api/v1/auth/logout")}
XIXI_NAME = "杭州西溪智造科技有限公司"
LOOPBACK_ROBOT = "http://127.0.0.1:9/robot/send?access_token=matrix"


@dataclass
class NotifyObjects:
    channel: int
    broken: int
    dead: str
    alert: int


def _notify_objects(session: Any, now: Any) -> NotifyObjects:
    """A 西溪街道 channel, a broken one, a dead message and an alert, for the per-id notification routes."""
    from app.dingtalk.models import DingTalkGroup
    from app.notifications.models import AdminAlert, Channel, OutboxMessage
    from app.units.service import get_by_code

    unit_id = get_by_code(session, "330106012").id
    common = dict(unit_id=unit_id, kind="dingtalk", url=LOOPBACK_ROBOT, events=["submitted"], per_minute_budget=18,
                  created_at=now, updated_at=now)
    channel, broken = Channel(**common), Channel(**common, state="broken", broken_reason="token removed")
    session.add_all([channel, broken])
    session.flush()
    dead = OutboxMessage(id="msg_matrixdead", channel_id=broken.id, event_type="submitted", urgency="red",
                         payload={"msgtype": "text", "text": {"content": "诉求"}}, dedupe_key="matrix:dead",
                         status="dead", next_attempt_at=now, created_at=now)
    alert = AdminAlert(unit_id=unit_id, kind="channel_broken", channel_id=broken.id, message="渠道已停用", created_at=now)
    group = DingTalkGroup(unit_id=unit_id, open_conversation_id="cidMatrixGroup==", created_at=now)
    session.add_all([dead, alert, group])
    session.commit()
    return NotifyObjects(channel.id, broken.id, dead.id, alert.id)


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    appeal_a: int
    appeal_b: int
    attachment_a: int
    attachment_b: int
    binding_request: int
    liaison_user_id: int
    fakes: Any
    sign_in: Callable[[str], dict[str, Any]]
    notify: NotifyObjects
    group: int = 0
    callback_task: int = 0
    building: int = 0
    policy: int = 0  # a 西湖区 universal policy pushed to 西溪智造 (A) but not to 湖墅精密 (B)
    delivery: int = 0  # A's delivery of it


@dataclass(frozen=True)
class Case:
    expect: dict[str, int]
    params: Callable[[World], dict[str, Any]] = lambda w: {}
    body: Callable[[World, str], Any] | None = None
    multipart: bool = False
    check: Callable[[World, str, Any], None] | None = None
    query: str = ""


def expect(anonymous: int = 401, unbound: int = 403, ent_b: int = 403, gongshu_admin: int = 403,
           xixi_liaison: int = 403, ent_a: int = 403, city: int = 403) -> dict[str, int]:
    return dict(anonymous=anonymous, unbound=unbound, ent_b=ent_b, gongshu_admin=gongshu_admin,
                xixi_liaison=xixi_liaison, ent_a=ent_a, city=city)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


READ_A = expect(ent_b=404, gongshu_admin=404, xixi_liaison=200, ent_a=200, city=200)
STAFF_READ = expect(gongshu_admin=200, xixi_liaison=200, city=200)
ADMIN_ON_XIXI = expect(gongshu_admin=404, city=200)
ADMIN_ON_XIXI_201 = expect(gongshu_admin=404, city=201)
SIGNED_IN = expect(unbound=200, ent_b=200, gongshu_admin=200, xixi_liaison=200, ent_a=200, city=200)
ENTERPRISE_SELF = expect(unbound=200, ent_b=200, ent_a=200)
POLICY_EDIT = expect(ent_b=404, gongshu_admin=404, xixi_liaison=403, ent_a=403, city=200)
_counter = iter(range(100, 10_000))


def _policy_body() -> dict[str, Any]:
    return {"title": "数字化改造普惠服务", "issuer_unit_code": "330106", "summary": "免费诊断", "kind": "universal",
            "benefit": "other", "valid_from": "2026-01-01"}


def _policy_objects(client: Any, keys: Any, ent_a: dict[str, str]) -> tuple[int, int]:
    policy = client.post("/api/v1/policies", json=_policy_body(), headers=keys["city"]).json()["id"]
    client.post(f"/api/v1/policies/{policy}/push", headers=keys["city"])
    return policy, client.get("/api/v1/me/policies", headers=ent_a).json()["items"][0]["id"]


def _fresh_code() -> str:
    return str(next(_counter))


def _no_foreign_appeals(w: World, role: str, response: Any) -> None:
    ids = {a["id"] for a in response.json()["items"]}
    if role in ("ent_b", "gongshu_admin"):
        assert w.appeal_a not in ids
    if role == "ent_a":
        assert w.appeal_b not in ids and {a["enterprise_uscc"] for a in response.json()["items"]} == {XIXI_ENTERPRISE}


def _within_gongshu(w: World, role: str, response: Any) -> None:
    if role == "gongshu_admin":
        assert all(e["street_code"].startswith("330105") for e in response.json()["items"])


def _no_foreign_requests(w: World, role: str, response: Any) -> None:
    if role == "gongshu_admin":
        assert response.json()["items"] == []


POLICY: dict[tuple[str, str], Case] = {
    # Public
    ("GET", "/"): Case(everyone(200)),
    ("GET", "/healthz"): Case(everyone(200)),
    ("GET", "/readyz"): Case(everyone(200)),
    ("GET", "/metrics"): Case(everyone(200)),
    ("GET", "/openapi.json"): Case(everyone(200)),
    ("GET", "/docs"): Case(everyone(200)),
    ("GET", "/docs/oauth2-redirect"): Case(everyone(200)),
    ("GET", "/redoc"): Case(everyone(200)),
    # Sign-in (public; the bearer header, if any, is ignored)
    ("POST", "/api/v1/auth/wechat"): Case(everyone(200), body=lambda w, r: {"code": w.fakes.wechat.issue("o-" + r)}),
    ("POST", "/api/v1/auth/dingtalk"): Case(everyone(200),
                                            body=lambda w, r: {"auth_code": w.fakes.dingtalk.issue("d-" + r)}),
    ("POST", "/api/v1/auth/refresh"): Case(everyone(200), body=lambda w, r: {
        "refresh_token": w.sign_in("o-refresh-" + r + _fresh_code())["refresh_token"]}),
    ("POST", "/api/v1/auth/logout"): Case(ENTERPRISE_SELF),
    # DingTalk callbacks authenticate by signature, not bearer (tests/chatbot covers signed requests): here an
    # unsigned robot callback is refused (401) and an unsigned card callback without a body is a 422.
    ("POST", "/api/v1/callbacks/dingtalk"): Case(everyone(401)),
    ("POST", "/api/v1/callbacks/dingtalk/card"): Case(everyone(422)),
    # Enterprise self-service and binding
    ("GET", "/api/v1/me"): Case(ENTERPRISE_SELF),
    ("POST", "/api/v1/me/binding"): Case(expect(unbound=200, ent_b=409, ent_a=409),
                                         body=lambda w, r: {"uscc": XIXI_ENTERPRISE, "name": XIXI_NAME}),
    ("POST", "/api/v1/enterprises/{uscc}/invitations"): Case(ADMIN_ON_XIXI_201,
                                                             params=lambda w: {"uscc": XIXI_ENTERPRISE}),
    ("GET", "/api/v1/binding-requests"): Case(expect(gongshu_admin=200, city=200), check=_no_foreign_requests),
    ("POST", "/api/v1/binding-requests/{request_id}/approve"): Case(
        ADMIN_ON_XIXI, params=lambda w: {"request_id": w.binding_request}),
    ("POST", "/api/v1/binding-requests/{request_id}/reject"): Case(
        ADMIN_ON_XIXI, params=lambda w: {"request_id": w.binding_request}),
    # Attachments
    ("POST", "/api/v1/attachments"): Case(expect(ent_b=201, gongshu_admin=201, xixi_liaison=201, ent_a=201, city=201),
                                          multipart=True),
    ("GET", "/api/v1/attachments/{attachment_id}"): Case(READ_A, params=lambda w: {"attachment_id": w.attachment_a}),
    # Appeals
    ("GET", "/api/v1/categories"): Case(SIGNED_IN),
    ("GET", "/api/v1/appeals"): Case(expect(ent_b=200, gongshu_admin=200, xixi_liaison=200, ent_a=200, city=200),
                                     check=_no_foreign_appeals),
    ("POST", "/api/v1/appeals"): Case(
        expect(ent_b=201, gongshu_admin=422, xixi_liaison=201, ent_a=201, city=201),
        body=lambda w, r: enterprise_appeal() if r.startswith("ent") or r == "unbound" else appeal_body()),
    ("GET", "/api/v1/appeals/{appeal_id}"): Case(READ_A, params=lambda w: {"appeal_id": w.appeal_a}),
    ("GET", "/api/v1/appeals/{appeal_id}/events"): Case(READ_A, params=lambda w: {"appeal_id": w.appeal_a}),
    ("GET", "/api/v1/appeals/{appeal_id}/allowed-actions"): Case(READ_A, params=lambda w: {"appeal_id": w.appeal_a}),
    # Workflow actions: 催办 is the enterprise's own; staff may not urge, other enterprises do not see the appeal.
    ("POST", "/api/v1/appeals/{appeal_id}/actions/{action}"): Case(
        expect(ent_b=404, gongshu_admin=404, xixi_liaison=403, ent_a=200, city=403),
        params=lambda w: {"appeal_id": w.appeal_a, "action": "urge"}, body=lambda w, r: {"note": "请尽快处理"}),
    # Rules (SLA policies, urgency thresholds, calendar): staff read, only the city admin writes.
    ("GET", "/api/v1/sla-policies"): Case(STAFF_READ),
    ("GET", "/api/v1/sla-policies/{urgency}"): Case(STAFF_READ, params=lambda w: {"urgency": "red"}),
    ("PUT", "/api/v1/sla-policies/{urgency}"): Case(expect(city=200), params=lambda w: {"urgency": "red"},
                                                    body=lambda w, r: {"respond": {"amount": 24, "unit": "hours"},
                                                                       "resolve": {"amount": 3, "unit": "working_days"}}),
    ("GET", "/api/v1/urgency-policy"): Case(STAFF_READ),
    ("PUT", "/api/v1/urgency-policy"): Case(expect(city=200), body=lambda w, r: {}),
    ("GET", "/api/v1/calendar/{year}"): Case(STAFF_READ, params=lambda w: {"year": 2027}),
    ("PUT", "/api/v1/calendar/{year}"): Case(expect(city=200), params=lambda w: {"year": 2027},
                                             body=lambda w, r: {"overrides": []}),
    # Chat channels, outbox and alerts: admins whose subtree holds the unit.
    ("POST", "/api/v1/units/{code}/channels"): Case(ADMIN_ON_XIXI_201, params=lambda w: {"code": "330106012"},
                                                   body=lambda w, r: {"kind": "dingtalk", "url": LOOPBACK_ROBOT,
                                                                      "events": ["submitted"]}),
    ("GET", "/api/v1/units/{code}/channels"): Case(ADMIN_ON_XIXI, params=lambda w: {"code": "330106012"}),
    ("GET", "/api/v1/channels/{channel_id}"): Case(ADMIN_ON_XIXI, params=lambda w: {"channel_id": w.notify.channel}),
    ("PATCH", "/api/v1/channels/{channel_id}"): Case(ADMIN_ON_XIXI, params=lambda w: {"channel_id": w.notify.channel},
                                                    body=lambda w, r: {"name": "西溪街道助企群"}),
    ("DELETE", "/api/v1/channels/{channel_id}"): Case(ADMIN_ON_XIXI,
                                                      params=lambda w: {"channel_id": w.notify.channel}),
    ("POST", "/api/v1/channels/{channel_id}/test"): Case(ADMIN_ON_XIXI,
                                                         params=lambda w: {"channel_id": w.notify.channel}),
    ("POST", "/api/v1/channels/{channel_id}/activate"): Case(ADMIN_ON_XIXI,
                                                             params=lambda w: {"channel_id": w.notify.broken}),
    ("PUT", "/api/v1/units/{code}/dingtalk-group"): Case(ADMIN_ON_XIXI, params=lambda w: {"code": "330106012"},
                                                         body=lambda w, r: {"open_conversation_id": "cidMatrix2=="}),
    ("GET", "/api/v1/units/{code}/dingtalk-group"): Case(ADMIN_ON_XIXI, params=lambda w: {"code": "330106012"}),
    ("DELETE", "/api/v1/units/{code}/dingtalk-group"): Case(ADMIN_ON_XIXI, params=lambda w: {"code": "330106012"}),
    ("GET", "/api/v1/outbox"): Case(expect(gongshu_admin=200, city=200)),
    ("POST", "/api/v1/outbox/{msg_id}/redeliver"): Case(ADMIN_ON_XIXI, params=lambda w: {"msg_id": w.notify.dead}),
    ("GET", "/api/v1/alerts"): Case(expect(gongshu_admin=200, city=200)),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Case(ADMIN_ON_XIXI,
                                                            params=lambda w: {"alert_id": w.notify.alert}),
    # Statistics: staff, each for its own subtree (the default unit is the caller's).
    ("GET", "/api/v1/stats/summary"): Case(STAFF_READ),
    ("GET", "/api/v1/stats/timeseries"): Case(STAFF_READ),
    ("GET", "/api/v1/stats/programme"): Case(STAFF_READ),
    ("GET", "/api/v1/stats/export.csv"): Case(STAFF_READ),
    ("GET", "/api/v1/stats/bulletin"): Case(STAFF_READ),
    # Common problems and similar appeals
    ("GET", "/api/v1/appeals/{appeal_id}/similar"): Case(expect(gongshu_admin=404, xixi_liaison=200, city=200),
                                                        params=lambda w: {"appeal_id": w.appeal_a}),
    ("GET", "/api/v1/problem-lists"): Case(STAFF_READ, query="?kind=common"),
    ("POST", "/api/v1/problem-groups"): Case(expect(gongshu_admin=422, city=201), body=lambda w, r: {
        "kind": "common", "title": "夏季用电负荷指标不足", "description": "多家企业反映限电", "unit_code": "330106"}),
    ("GET", "/api/v1/problem-groups/{group_id}"): Case(expect(gongshu_admin=404, xixi_liaison=404, city=200),
                                                      params=lambda w: {"group_id": w.group}),
    ("POST", "/api/v1/problem-groups/{group_id}/appeals"): Case(
        ADMIN_ON_XIXI, params=lambda w: {"group_id": w.group}, body=lambda w, r: {"appeal_ids": [w.appeal_a]}),
    ("POST", "/api/v1/problem-groups/{group_id}/assign"): Case(
        ADMIN_ON_XIXI, params=lambda w: {"group_id": w.group}, body=lambda w, r: {"unit_code": "330100"}),
    # The world's group has no appeals: the city admin gets past authorisation and is refused by state (409).
    ("POST", "/api/v1/problem-groups/{group_id}/resolve"): Case(
        expect(gongshu_admin=404, city=409), params=lambda w: {"group_id": w.group},
        body=lambda w, r: {"resolution_code": "已解决", "public_reply": "已统一协调解决"}),
    # Phone callbacks (回访): staff of the district that owes the call, and above.
    ("GET", "/api/v1/callback-tasks"): Case(STAFF_READ),
    ("GET", "/api/v1/callback-tasks/{task_id}"): Case(expect(gongshu_admin=404, xixi_liaison=404, city=200),
                                                     params=lambda w: {"task_id": w.callback_task}),
    ("POST", "/api/v1/callback-tasks/{task_id}/outcome"): Case(
        expect(gongshu_admin=404, xixi_liaison=404, city=200), params=lambda w: {"task_id": w.callback_task},
        body=lambda w, r: {"outcome": "not_reached"}),
    # Enterprises
    ("GET", "/api/v1/enterprises"): Case(STAFF_READ, check=_within_gongshu),
    ("POST", "/api/v1/enterprises"): Case(expect(gongshu_admin=422, city=201), body=lambda w, r: {
        "uscc": make_uscc("91330106MA2CF0099"), "name": "杭州新登记科技有限公司", "street_code": "330106012",
        "contact_name": "林海", "contact_mobile": "13912345678"}),
    ("GET", "/api/v1/enterprises/{uscc}"): Case(READ_A, params=lambda w: {"uscc": XIXI_ENTERPRISE}),
    ("PATCH", "/api/v1/enterprises/{uscc}"): Case(ADMIN_ON_XIXI, params=lambda w: {"uscc": XIXI_ENTERPRISE},
                                                  body=lambda w, r: {"address": "杭州市西湖区西溪路 520 号"}),
    # Units
    ("GET", "/api/v1/units"): Case(STAFF_READ),
    ("POST", "/api/v1/units"): Case(expect(gongshu_admin=422, city=201), body=lambda w, r: {
        "code": "330106099", "name": "新设街道", "tier": "street", "parent_code": "330106"}),
    ("POST", "/api/v1/units/import"): Case(expect(gongshu_admin=422, city=201), body=lambda w, r: {"units": [
        {"code": "330106098", "name": "新设街道二", "tier": "street", "parent_code": "330106"}]}),
    ("GET", "/api/v1/units/{code}"): Case(expect(gongshu_admin=404, xixi_liaison=200, city=200),
                                          params=lambda w: {"code": "330106012"}),
    ("PATCH", "/api/v1/units/{code}"): Case(ADMIN_ON_XIXI, params=lambda w: {"code": "330106012"},
                                            body=lambda w, r: {"name": "西溪街道"}),
    # Staff users
    ("GET", "/api/v1/users"): Case(expect(gongshu_admin=200, city=200)),
    ("POST", "/api/v1/users"): Case(expect(gongshu_admin=422, city=201), body=lambda w, r: {
        "name": "周新", "role": "liaison", "unit_code": "330106012"}),
    ("GET", "/api/v1/users/{user_id}"): Case(ADMIN_ON_XIXI, params=lambda w: {"user_id": w.liaison_user_id}),
    ("PATCH", "/api/v1/users/{user_id}"): Case(ADMIN_ON_XIXI, params=lambda w: {"user_id": w.liaison_user_id},
                                               body=lambda w, r: {"name": "王晓明"}),
    ("POST", "/api/v1/users/{user_id}/api-keys"): Case(ADMIN_ON_XIXI_201,
                                                       params=lambda w: {"user_id": w.liaison_user_id}),
    # 走访台账 (DESIGN §11). The matrix's staff keys are bound to no user: nobody to name as the visitor → 403.
    ("POST", "/api/v1/visits"): Case(expect(), body=lambda w, r: {
        "enterprise_uscc": XIXI_ENTERPRISE, "visited_on": "2026-03-01", "mode": "on_site", "summary": "例行走访"}),
    ("GET", "/api/v1/visits"): Case(STAFF_READ),
    ("GET", "/api/v1/visits/export.csv"): Case(STAFF_READ),
    ("GET", "/api/v1/visits/export.xlsx"): Case(STAFF_READ),
    ("GET", "/api/v1/visits/{visit_id}"): Case(expect(gongshu_admin=404, xixi_liaison=404, city=404),
                                               params=lambda w: {"visit_id": 2_000_000}),
    ("GET", "/api/v1/enterprises/{uscc}/visits"): Case(expect(gongshu_admin=404, xixi_liaison=200, city=200),
                                                       params=lambda w: {"uscc": XIXI_ENTERPRISE}),
    # Policies (DESIGN §12)
    ("POST", "/api/v1/policies"): Case(expect(city=201), body=lambda w, r: _policy_body()),
    ("GET", "/api/v1/policies"): Case(expect(ent_b=200, gongshu_admin=200, xixi_liaison=200, ent_a=200, city=200)),
    ("GET", "/api/v1/policies/{policy_id}"): Case(READ_A, params=lambda w: {"policy_id": w.policy}),
    ("PATCH", "/api/v1/policies/{policy_id}"): Case(POLICY_EDIT, params=lambda w: {"policy_id": w.policy},
                                                    body=lambda w, r: {"title": "数字化改造普惠服务（修订）"}),
    ("POST", "/api/v1/policies/{policy_id}/withdraw"): Case(POLICY_EDIT, params=lambda w: {"policy_id": w.policy}),
    ("POST", "/api/v1/policies/{policy_id}/push"): Case(
        expect(ent_b=404, gongshu_admin=404, xixi_liaison=403, ent_a=403, city=201),
        params=lambda w: {"policy_id": w.policy}),
    ("GET", "/api/v1/policies/{policy_id}/matches"): Case(expect(gongshu_admin=404, xixi_liaison=200, city=200),
                                                          params=lambda w: {"policy_id": w.policy}),
    ("GET", "/api/v1/enterprises/{uscc}/policies"): Case(READ_A, params=lambda w: {"uscc": XIXI_ENTERPRISE}),
    ("GET", "/api/v1/enterprises/{uscc}/service-package"): Case(READ_A, params=lambda w: {"uscc": XIXI_ENTERPRISE}),
    ("GET", "/api/v1/me/service-package"): Case(expect(ent_b=200, ent_a=200)),
    ("GET", "/api/v1/me/policies"): Case(expect(ent_b=200, ent_a=200)),
    ("POST", "/api/v1/me/policies/{delivery_id}/read"): Case(expect(ent_b=404, ent_a=200),
                                                            params=lambda w: {"delivery_id": w.delivery}),
    ("POST", "/api/v1/me/policies/{delivery_id}/interest"): Case(expect(ent_b=404, ent_a=201),
                                                                params=lambda w: {"delivery_id": w.delivery}),
    ("POST", "/api/v1/policy-deliveries/{delivery_id}/outcome"): Case(
        expect(ent_b=404, gongshu_admin=404, xixi_liaison=403, ent_a=404, city=200),
        params=lambda w: {"delivery_id": w.delivery}, body=lambda w, r: {"status": "declined"}),
    ("GET", "/api/v1/stats/policies"): Case(STAFF_READ),
}


POLICY.update(pairing_policy(Case, expect))


# HTML pages sign in with a cookie session, not a bearer token; tests/pages proves their access rules.
COOKIE_PAGES = ("/m/", "/dashboard")


def app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    routes = set()
    for route in iter_route_contexts(app.routes):
        if route.path.startswith(COOKIE_PAGES):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                routes.add((method, route.path))
    return routes


def is_public(method: str, path: str) -> bool:
    return path in PUBLIC_PATHS or (path.startswith(PUBLIC_PREFIXES) and (method, path) not in TOKEN_REQUIRED)


@pytest.fixture
def world(client, keys, fakes, enterprise_user, session) -> World:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.auth.models import User
    from tests.accounts.helpers import wechat_sign_in

    headers = {"anonymous": {}, "xixi_liaison": keys["xixi_liaison"], "gongshu_admin": keys["gongshu"],
               "city": keys["city"], "ent_a": enterprise_user("o-a", XIXI_ENTERPRISE),
               "ent_b": enterprise_user("o-b", HUSHU_ENTERPRISE), "unbound": enterprise_user("o-unbound")}
    attachment_a = upload(client, headers["ent_a"], png_bytes()).json()["id"]
    attachment_b = upload(client, headers["ent_b"], png_bytes(seed=3)).json()["id"]
    appeal_a = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[attachment_a]),
                           headers=headers["ent_a"]).json()["id"]
    appeal_b = client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[attachment_b]),
                           headers=headers["ent_b"]).json()["id"]
    request = client.post("/api/v1/me/binding", json={"uscc": XIXI_ENTERPRISE, "name": XIXI_NAME},
                          headers=headers["unbound"]).json()["binding_request"]["id"]
    liaison = session.exec(select(User).where(User.name == "王晓明")).one().id
    session.rollback()
    notify = _notify_objects(session, client.app.state.clock())
    group = client.post("/api/v1/problem-groups", json={"kind": "common", "title": "用电指标不足",
                        "description": "多家企业反映", "unit_code": "330106"}, headers=keys["city"]).json()["id"]
    resolved_appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["id"]
    for action, body in (("sign", {}), ("resolve", {"resolution_code": "已解决", "public_reply": "已解决"})):
        client.post(f"/api/v1/appeals/{resolved_appeal}/actions/{action}", json=body, headers=keys["xixi_liaison"])
    task = client.get("/api/v1/callback-tasks", headers=keys["city"]).json()["items"][0]["id"]
    building = client.post("/api/v1/buildings", json={"name": "西溪大厦", "street_code": "330106012"},
                           headers=keys["city"]).json()["id"]
    return World(headers, appeal_a, appeal_b, attachment_a, attachment_b, request, liaison, fakes,
                 lambda openid: wechat_sign_in(client, fakes, openid), notify, group, task, building,
                 *_policy_objects(client, keys, headers["ent_a"]))


def _send(client, method: str, path: str, headers: dict[str, str], body: Any,  # type: ignore[no-untyped-def]
          multipart: bool):
    if multipart:
        return client.request(method, path, headers=headers, files={"file": ("现场照片.png", png_bytes(seed=7))})
    return client.request(method, path, headers=headers, json=body)


def test_every_route_has_a_policy(app):
    missing = sorted(app_routes(app) - POLICY.keys())
    stale = sorted(POLICY.keys() - app_routes(app))
    assert not missing, f"routes without an access policy in POLICY (add them): {missing}"
    assert not stale, f"POLICY entries for routes that no longer exist: {stale}"


def test_anonymous_is_401_everywhere_but_the_public_routes(app, client):
    """Generated for every route of the app, with or without a POLICY entry."""
    for method, path in sorted(app_routes(app)):
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = client.request(method, url)
        if path.startswith("/api/v1/callbacks/"):  # signed by DingTalk, not bearer: refused unsigned, never run
            assert r.status_code in (401, 422, 503) and "www-authenticate" not in r.headers, (method, path)
        elif is_public(method, path):
            assert r.status_code != 401, (method, path)
        else:
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_enterprise_a_gets_404_on_b_objects_through_every_route(app, client, world):
    """Generated: every route naming an appeal or an attachment, any method, B's object → 404 for A."""
    fill = {"appeal_id": world.appeal_b, "attachment_id": world.attachment_b, "action": "urge"}
    checked = 0
    for method, path in sorted(app_routes(app)):
        names = re.findall(r"\{([^}:]+)", path)
        if not ({"appeal_id", "attachment_id"} & set(names)):
            continue
        url = path.format(**{n: fill.get(n, "x") for n in names})
        body = None if method == "GET" else {"note": "请尽快处理"}
        r = client.request(method, url, headers=world.headers["ent_a"], json=body)
        if r.status_code == 403:  # a staff-only route: refused for the role, whoever's object it names
            own = client.request(method, url.replace(str(world.appeal_b), str(world.appeal_a)),
                                 headers=world.headers["ent_a"], json=body)
            assert own.status_code == 403, (method, url, own.text)
            continue
        assert r.status_code == 404, (method, url, r.text)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("route", sorted(POLICY), ids=lambda r: f"{r[0]} {r[1]}")
def test_access(route, client, world):
    method, path = route
    case = POLICY[route]
    url = path.format(**case.params(world)) + case.query
    problems = []
    for role in ROLES:
        body = case.body(world, role) if case.body else None
        r = _send(client, method, url, world.headers[role], body, case.multipart)
        if r.status_code != case.expect[role]:
            problems.append(f"{role}: {r.status_code} (expected {case.expect[role]}) {r.text[:200]}")
            continue
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), (role, r.text)
        elif case.check:
            case.check(world, role, r)
    assert not problems, f"{method} {path}:\n" + "\n".join(problems)
