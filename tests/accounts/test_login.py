"""Mini-program sign-in against fake WeChat and DingTalk endpoints: every vendor answer maps to a clear
problem+json answer, never a 500; session_key never leaves the server."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from app.accounts.models import EnterpriseUser
from tests.accounts.helpers import bearer, wechat_sign_in
from tests.helpers import assert_problem


class TestWeChat:
    def test_first_sign_in_creates_an_unbound_user(self, client, fakes, session):
        r = client.post("/api/v1/auth/wechat", json={"code": fakes.wechat.issue("o-abc", unionid="u-abc")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
        assert body["refresh_expires_in"] == 30 * 86400
        assert body["user"]["bound"] is False and body["user"]["enterprise"] is None
        assert "session_key" not in r.text and "sk-" not in r.text and "o-abc" not in r.text
        user = session.exec(select(EnterpriseUser)).one()
        assert (user.provider, user.subject, user.unionid) == ("wechat", "o-abc", "u-abc")
        assert user.session_key and user.session_key.startswith("sk-")  # kept server-side
        session.rollback()  # release SQLite's lock before the next request
        me = client.get("/api/v1/me", headers=bearer(body))
        assert me.status_code == 200 and me.json()["id"] == user.id

    def test_same_openid_is_the_same_user(self, client, fakes, session):
        first = wechat_sign_in(client, fakes, "o-same")
        second = wechat_sign_in(client, fakes, "o-same")
        assert first["user"]["id"] == second["user"]["id"]
        assert first["access_token"] != second["access_token"]  # two sessions
        assert len(session.exec(select(EnterpriseUser)).all()) == 1

    def test_text_plain_body_still_parses(self, client, fakes):
        fakes.wechat.content_type = "text/plain; charset=utf-8"
        assert wechat_sign_in(client, fakes, "o-text")["user"]["bound"] is False

    def test_replayed_code_is_401_not_500(self, client, fakes):
        code = fakes.wechat.issue("o-replay")
        assert client.post("/api/v1/auth/wechat", json={"code": code}).status_code == 200
        body = assert_problem(client.post("/api/v1/auth/wechat", json={"code": code}), 401,
                              code="invalid_login_code")
        assert "40163" in body["detail"]

    @pytest.mark.parametrize(
        "errcode, status, code",
        [
            (-1, 503, "vendor_unavailable"),
            (40029, 401, "invalid_login_code"),
            (40163, 401, "invalid_login_code"),
            (45011, 429, "rate_limited"),
            (40226, 403, "login_blocked"),
            (40013, 503, "vendor_unavailable"),
            (99999, 502, "vendor_error"),
            ("40029", 401, "invalid_login_code"),
            ("garbage", 502, "vendor_error"),
        ],
    )
    def test_each_errcode(self, client, fakes, session, errcode, status, code):
        fakes.wechat.prime("c1", {"errcode": errcode, "errmsg": "vendor says no"})
        r = client.post("/api/v1/auth/wechat", json={"code": "c1"})
        assert_problem(r, status, code=code)
        if status in (429, 503):
            assert int(r.headers["retry-after"]) >= 1
        if status == 429:
            assert r.headers["retry-after"] == "60"
        assert session.exec(select(EnterpriseUser)).all() == []

    @pytest.mark.parametrize(
        "body, status",
        [
            ({"errcode": 0, "errmsg": "ok"}, 502),  # success without openid
            ({"openid": 12345, "session_key": "x"}, 502),
            ({"openid": "o" * 500}, 502),
            ([], 502),
        ],
    )
    def test_odd_success_bodies(self, client, fakes, body, status):
        fakes.wechat.primed["c2"] = body  # type: ignore[assignment]
        assert_problem(client.post("/api/v1/auth/wechat", json={"code": "c2"}), status)

    def test_non_json_and_transport_errors(self, client, fakes, app):
        app.state.http_transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>gateway</html>"))
        assert_problem(client.post("/api/v1/auth/wechat", json={"code": "x"}), 502, code="vendor_error")
        app.state.http_transport = httpx.MockTransport(lambda r: httpx.Response(502, content=b"bad gateway"))
        assert_problem(client.post("/api/v1/auth/wechat", json={"code": "x"}), 503, code="vendor_unavailable")
        fakes.fail_with = httpx.ConnectTimeout("timed out")
        app.state.http_transport = fakes.transport
        r = client.post("/api/v1/auth/wechat", json={"code": "x"})
        assert_problem(r, 503, code="vendor_unavailable")
        assert r.headers["retry-after"]

    def test_not_configured_is_503(self, client, fakes, app, settings):
        app.state.settings = settings.model_copy(update={"wechat_app_id": ""})
        assert_problem(client.post("/api/v1/auth/wechat", json={"code": "x"}), 503)
        assert fakes.wechat.calls == 0

    @pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 300}, {"code": "a b"}, {"code": 1},
                                      {"code": "x", "openid": "o-forged"}])
    def test_bad_request_bodies(self, client, fakes, body):
        assert_problem(client.post("/api/v1/auth/wechat", json=body), 422)
        assert fakes.wechat.calls == 0

    def test_secret_and_code_stay_out_of_logs(self, client, fakes, caplog):
        import logging

        caplog.set_level(logging.DEBUG)
        code = fakes.wechat.issue("o-log")
        client.post("/api/v1/auth/wechat", json={"code": code})
        assert "wx-test-secret" not in caplog.text and code not in caplog.text


class TestDingTalk:
    def test_sign_in_and_app_token_cached_until_expiry(self, client, fakes, clock, session):
        for n in range(3):
            r = client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("liu01", name="刘洋")})
            assert r.status_code == 200, r.text
        assert fakes.dingtalk.token_calls == 1 and fakes.dingtalk.userinfo_calls == 3
        user = session.exec(select(EnterpriseUser)).one()
        assert (user.provider, user.subject, user.display_name) == ("dingtalk", "liu01", "刘洋")
        assert r.json()["user"]["display_name"] == "刘洋"
        session.rollback()
        clock.advance(hours=2)  # past expiry (7200 s): a new app token is fetched
        r = client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("liu01")})
        assert r.status_code == 200 and fakes.dingtalk.token_calls == 2

    def test_token_refreshed_once_when_vendor_drops_it(self, client, fakes):
        client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("a1")})
        fakes.dingtalk.rotate_token()
        r = client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("a1")})
        assert r.status_code == 200, r.text
        assert fakes.dingtalk.token_calls == 2

    def test_used_auth_code_is_401(self, client, fakes):
        code = fakes.dingtalk.issue("b1")
        assert client.post("/api/v1/auth/dingtalk", json={"auth_code": code}).status_code == 200
        body = assert_problem(client.post("/api/v1/auth/dingtalk", json={"auth_code": code}), 401,
                              code="invalid_login_code")
        assert "40078" in body["detail"]

    def test_bad_app_credentials_are_503(self, client, fakes, app, settings):
        from pydantic import SecretStr

        app.state.settings = settings.model_copy(update={"dingtalk_app_secret": SecretStr("wrong")})
        assert_problem(client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("c1")}), 503)

    def test_wechat_and_dingtalk_users_are_distinct(self, client, fakes, session):
        wechat_sign_in(client, fakes, "same-id")
        client.post("/api/v1/auth/dingtalk", json={"auth_code": fakes.dingtalk.issue("same-id")})
        assert len(session.exec(select(EnterpriseUser)).all()) == 2
