"""Channel administration: CRUD within reach, write-only secrets, SSRF refusals, test messages."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import assert_problem
from tests.notifications.conftest import KEYWORD, SECRET, TOKEN, channel_body, make_channel


class TestCreateAndRead:
    def test_defaults_by_kind_and_secret_never_returned(self, client, keys):
        created = make_channel(client, keys)
        assert created["kind"] == "dingtalk" and created["unit_code"] == "330106012"
        assert created["per_minute_budget"] == 18 and created["monthly_quota"] == 3000
        assert created["state"] == "active" and created["has_secret"] is True
        assert created["min_urgency"] == "green" and "submitted" in created["events"]
        assert "secret" not in created and SECRET not in str(created)
        assert TOKEN not in created["url"] and "access_token=" in created["url"]  # the URL is a credential too
        again = client.get(f"/api/v1/channels/{created['id']}", headers=keys["xixi_admin"]).json()
        assert again == created
        listed = client.get("/api/v1/units/330106012/channels", headers=keys["xihu"]).json()
        assert [c["id"] for c in listed["items"]] == [created["id"]] and SECRET not in str(listed)

    @pytest.mark.parametrize("kind, url, budget, quota", [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef0123456789", 18, None),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/5c1d2e3f-aaaa-bbbb-cccc-0123456789ab", 90, None),
        ("webhook", "https://hooks.example.com/zhuqi", 60, None),
    ])
    def test_other_kinds(self, client, keys, kind, url, budget, quota):
        secret = {"wecom": None, "feishu": "feishu-secret-123", "webhook": "whsec_" + "A" * 32}[kind]
        created = make_channel(client, keys, kind=kind, url=url, secret=secret, keyword=None)
        assert created["per_minute_budget"] == budget and created["monthly_quota"] == quota
        assert "5c1d2e3f-aaaa" not in created["url"] and "abcdef0123456789" not in created["url"]

    def test_explicit_null_quota_means_unlimited(self, client, keys):
        assert make_channel(client, keys, monthly_quota=None)["monthly_quota"] is None

    def test_patch_changes_subscription_and_revalidates(self, client, keys):
        cid = make_channel(client, keys)["id"]
        r = client.patch(f"/api/v1/channels/{cid}", json={"events": ["escalated", "overdue"], "min_urgency": "red",
                                                            "internal": True}, headers=keys["xixi_admin"])
        assert r.status_code == 200, r.text
        assert r.json()["events"] == ["escalated", "overdue"] and r.json()["min_urgency"] == "red"
        bad = client.patch(f"/api/v1/channels/{cid}", json={"url": "http://oapi.dingtalk.com/robot/send?access_token=x"},
                           headers=keys["xixi_admin"])
        assert_problem(bad, 422, field="body.url")
        assert_problem(client.patch(f"/api/v1/channels/{cid}", json={"per_minute_budget": 25},
                                    headers=keys["xixi_admin"]), 422, field="body.per_minute_budget")
        assert_problem(client.patch(f"/api/v1/channels/{cid}", json={"events": None}, headers=keys["xixi_admin"]),
                       422, field="body.events")

    def test_delete(self, client, keys):
        cid = make_channel(client, keys)["id"]
        assert client.delete(f"/api/v1/channels/{cid}", headers=keys["xixi_admin"]).status_code == 200
        assert_problem(client.get(f"/api/v1/channels/{cid}", headers=keys["xixi_admin"]), 404)


class TestReach:
    def test_outside_reach_is_404_and_liaisons_are_refused(self, client, keys):
        cid = make_channel(client, keys)["id"]
        assert_problem(client.get(f"/api/v1/channels/{cid}", headers=keys["hushu_admin"]), 404)
        assert_problem(client.patch(f"/api/v1/channels/{cid}", json={"internal": True},
                                    headers=keys["gongshu"]), 404)
        assert_problem(client.delete(f"/api/v1/channels/{cid}", headers=keys["hushu_admin"]), 404)
        assert_problem(client.post("/api/v1/units/330106012/channels", json=channel_body(),
                                   headers=keys["hushu_admin"]), 404)
        assert_problem(client.get("/api/v1/units/330106012/channels", headers=keys["gongshu"]), 404)
        assert_problem(client.get(f"/api/v1/channels/{cid}", headers=keys["xixi_liaison"]), 403)
        assert client.get(f"/api/v1/channels/{cid}", headers=keys["city"]).status_code == 200


class TestInputRules:
    @pytest.mark.parametrize("url, why", [
        ("http://oapi.dingtalk.com/robot/send?access_token=x", "https"),
        ("https://evil.example.org/robot/send?access_token=x", "allowlist"),
        ("https://10.0.0.5/robot/send?access_token=x", "private ip"),
        ("https://oapi.dingtalk.com/other?access_token=x", "path"),
        ("https://oapi.dingtalk.com/robot/send", "no token"),
        ("https://user:pw@oapi.dingtalk.com/robot/send?access_token=x", "userinfo"),
    ])
    def test_ssrf_refusals(self, client, keys, url, why):
        r = client.post("/api/v1/units/330106012/channels", json=channel_body(url=url), headers=keys["xixi_admin"])
        assert_problem(r, 422, field="body.url")

    def test_allowlisted_host_resolving_to_private_address_is_refused(self, client, keys):
        r = client.post("/api/v1/units/330106012/channels", headers=keys["xixi_admin"],
                        json=channel_body(kind="webhook", url="https://intranet.example.com/hook",
                                          secret="whsec_" + "A" * 32, keyword=None))
        body = assert_problem(r, 422, field="body.url")
        assert "10.20.30.40" in body["detail"]

    def test_secret_rules(self, client, keys):
        wecom = channel_body(kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k123456789")
        assert_problem(client.post("/api/v1/units/330106012/channels", json=wecom, headers=keys["xixi_admin"]),
                       422, field="body.secret")
        hook = channel_body(kind="webhook", url="https://hooks.example.com/h", secret=None)
        assert_problem(client.post("/api/v1/units/330106012/channels", json=hook, headers=keys["xixi_admin"]),
                       422, field="body.secret")
        bad_b64 = channel_body(kind="webhook", url="https://hooks.example.com/h", secret="whsec_not*base64!")
        assert_problem(client.post("/api/v1/units/330106012/channels", json=bad_b64, headers=keys["xixi_admin"]),
                       422, field="body.secret")

    @pytest.mark.parametrize("extra", [{"per_minute_budget": 21}, {"events": []}, {"events": ["nope"]},
                                       {"kind": "sms"}, {"unexpected": 1}, {"min_urgency": "purple"}])
    def test_bad_bodies_are_422(self, client, keys, extra):
        r = client.post("/api/v1/units/330106012/channels", json=channel_body(**extra), headers=keys["xixi_admin"])
        assert_problem(r, 422)


class TestSendTestMessage:
    def test_reports_vendor_answer_and_uses_budget(self, client, keys, robot, use_robot):
        cid = make_channel(client, keys)["id"]
        r = client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"])
        assert r.status_code == 200, r.text
        assert r.json() == {"ok": True, "outcome": "sent", "code": "dingtalk:0", "detail": "ok", "http_status": 200,
                            "vendor_answer": {"errcode": 0, "errmsg": "ok"}}
        [message] = robot.accepted[TOKEN]
        assert KEYWORD in message["text"]["content"] and "西溪街道" in message["text"]["content"]
        for _ in range(17):
            assert client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"]).json()["ok"]
        over = client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"])
        assert_problem(over, 429)
        assert int(over.headers["Retry-After"]) >= 1 and robot.blocks_triggered == 0

    def test_vendor_error_is_reported_not_raised(self, client, keys, robot, use_robot):
        cid = make_channel(client, keys, keyword="别的词")["id"]  # the robot wants 诉求
        body = client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"]).json()
        assert body["ok"] is False and body["code"] == "dingtalk:310000"
        assert body["vendor_answer"]["errmsg"] == "keywords not in content"

    def test_throttled_robot_keeps_the_channel_away(self, client, keys, robot, use_robot):
        cid = make_channel(client, keys)["id"]
        robot.block(TOKEN)
        body = client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"]).json()
        assert body["outcome"] == "throttled" and body["code"] == "dingtalk:410100"
        assert client.get(f"/api/v1/channels/{cid}", headers=keys["xixi_admin"]).json()["blocked_until"]
        assert_problem(client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"]), 429)
        assert robot.requests == 1

    def test_redirect_to_internal_address_is_not_followed(self, app, client, keys):
        from app.notifications.router import get_http_client

        seen: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            # Connected to the checked address, by name for the vendor (Host) and for TLS (SNI).
            assert request.url.host == "106.11.35.100" and request.extensions["sni_hostname"] == "oapi.dingtalk.com"
            if request.headers["host"] == "oapi.dingtalk.com":
                return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
            return httpx.Response(200, json={"errcode": 0})

        app.dependency_overrides[get_http_client] = lambda: httpx.Client(transport=httpx.MockTransport(handler))
        cid = make_channel(client, keys)["id"]
        body = client.post(f"/api/v1/channels/{cid}/test", headers=keys["xixi_admin"]).json()
        assert body["ok"] is False and body["code"] == "http:302"
        assert len(seen) == 1 and all("169.254" not in u for u in seen)


def test_activate_only_broken_channels(client, keys):
    cid = make_channel(client, keys)["id"]
    assert_problem(client.post(f"/api/v1/channels/{cid}/activate", headers=keys["xixi_admin"]), 409)
