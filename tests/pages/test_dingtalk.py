"""DingTalk H5 免登 against an httpx.MockTransport fake: token caching, bad codes, the sign-in route."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from app.accounts.vendors import AppTokenCache, VendorClients
from app.config import Settings
from app.signin.dingtalk import BadAuthCode, DingTalkError, DingTalkNotConfigured, identify
from tests.pages.conftest import csrf_of, new_browser, offered

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class FakeDingTalk:
    """Just enough of api.dingtalk.com and oapi.dingtalk.com (chat-protocols §3.1)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.codes = {"code-wang": {"userid": "wangxm01", "name": "王晓明"},
                      "code-stranger": {"userid": "stranger99", "name": "张三"}}
        self.used: set[str] = set()
        self.tokens: set[str] = set()
        self.reject_next_token = False
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("down", request=request)
        path = request.url.path
        self.calls[path] += 1
        body = json.loads(request.content or b"{}")
        if path == "/v1.0/oauth2/accessToken":
            if body != {"appKey": "dingappkey", "appSecret": "dingsecret"}:
                return httpx.Response(400, json={"code": "invalidClientIdOrSecret", "message": "无效的clientId或secret"})
            token = f"tok{self.calls[path]}"
            self.tokens.add(token)
            return httpx.Response(200, json={"accessToken": token, "expireIn": 7200})
        if path == "/topapi/v2/user/getuserinfo":
            token = request.url.params.get("access_token")
            if token not in self.tokens or self.reject_next_token:
                self.reject_next_token = False
                return httpx.Response(200, json={"errcode": 40014, "errmsg": "不合法的access_token"})
            code = body.get("code")
            if code not in self.codes or code in self.used:
                return httpx.Response(200, json={"errcode": 40078, "errmsg": "不存在的临时授权码"})
            self.used.add(code)
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "result": self.codes[code]})
        return httpx.Response(404)


@pytest.fixture
def fake() -> FakeDingTalk:
    return FakeDingTalk()


class _Login:
    """The page's exchange over the shared vendor client, as the route builds it (one token cache)."""

    def __init__(self, fake: FakeDingTalk, *, key: str = "dingappkey", secret: str = "dingsecret") -> None:
        settings = Settings(dingtalk_app_key=key, dingtalk_app_secret=SecretStr(secret))
        self.clients = VendorClients(settings, token_cache=AppTokenCache(), transport=httpx.MockTransport(fake))

    def identify(self, code: str, *, now: datetime):  # type: ignore[no-untyped-def]
        return identify(self.clients, code, now=now)

    def app_token(self, *, now: datetime) -> str:
        return self.clients._dingtalk_app_token(now)


def _client(fake: FakeDingTalk, secret: str = "dingsecret") -> _Login:
    return _Login(fake, secret=secret)


class TestClient:
    def test_exchanges_a_code_for_the_userid(self, fake):
        identity = _client(fake).identify("code-wang", now=NOW)
        assert (identity.userid, identity.name) == ("wangxm01", "王晓明")

    def test_app_token_is_cached_until_shortly_before_it_expires(self, fake):
        client = _client(fake)
        fake.codes |= {f"c{i}": {"userid": f"u{i}"} for i in range(3)}
        client.identify("c0", now=NOW)
        client.identify("c1", now=NOW + timedelta(minutes=114))
        assert fake.calls["/v1.0/oauth2/accessToken"] == 1 and fake.calls["/topapi/v2/user/getuserinfo"] == 2
        client.identify("c2", now=NOW + timedelta(minutes=115))  # within 5 minutes of the 2 h expiry: renew
        assert fake.calls["/v1.0/oauth2/accessToken"] == 2

    def test_used_or_unknown_code_is_40078(self, fake):
        client = _client(fake)
        client.identify("code-wang", now=NOW)
        for code in ("code-wang", "nonsense"):
            with pytest.raises(BadAuthCode):
                client.identify(code, now=NOW)

    def test_a_rejected_app_token_is_renewed_once(self, fake):
        client = _client(fake)
        client.app_token(now=NOW)
        fake.reject_next_token = True
        assert client.identify("code-wang", now=NOW).userid == "wangxm01"
        assert fake.calls["/v1.0/oauth2/accessToken"] == 2 and fake.calls["/topapi/v2/user/getuserinfo"] == 2

    def test_bad_app_credentials(self, fake):
        with pytest.raises(DingTalkError, match="凭证有误"):
            _client(fake, secret="wrong").identify("code-wang", now=NOW)

    def test_unreachable(self, fake):
        fake.down = True
        with pytest.raises(DingTalkError, match="连接失败"):
            _client(fake).identify("code-wang", now=NOW)

    def test_not_configured(self, fake):
        client = _Login(fake, key="", secret="")
        with pytest.raises(DingTalkNotConfigured):
            client.identify("code-wang", now=NOW)
        assert not fake.calls


@pytest.fixture
def dingtalk_app(app, settings, fake):
    settings.dingtalk_app_key, settings.dingtalk_corp_id = "dingappkey", "ding123corp"
    settings.dingtalk_app_secret = SecretStr("dingsecret")
    app.state.http_transport = httpx.MockTransport(fake)
    return app


def _sign_in(browser, code: str, next_path: str = "/m/"):
    csrf = csrf_of(browser.get(next_path).text)
    return browser.post("/m/session/dingtalk", data={"code": code, "csrf": csrf, "next": next_path})


class TestSignInRoute:
    def test_a_registered_liaison_gets_a_session(self, dingtalk_app, fake, submit):
        appeal = submit()
        browser = new_browser(dingtalk_app)
        page_path = f"/m/appeals/{appeal['number']}"
        response = _sign_in(browser, "code-wang", page_path)
        assert response.status_code == 303 and response.headers["location"] == page_path
        assert "HttpOnly" in response.headers["set-cookie"]
        page = browser.get(page_path)
        assert page.status_code == 200 and "王晓明（西溪街道）" in page.text
        assert offered(page.text) == ["sign", "escalate", "return"]

    def test_the_app_token_is_shared_by_requests(self, dingtalk_app, fake, submit):
        fake.codes["code-wang-2"] = fake.codes["code-wang"]
        assert _sign_in(new_browser(dingtalk_app), "code-wang").status_code == 303
        assert _sign_in(new_browser(dingtalk_app), "code-wang-2").status_code == 303
        assert fake.calls["/v1.0/oauth2/accessToken"] == 1

    def test_unknown_user_is_told_to_ask_the_admin_with_their_userid(self, dingtalk_app, fake):
        response = _sign_in(new_browser(dingtalk_app), "code-stranger")
        assert response.status_code == 403 and "zq_session" not in response.headers.get("set-cookie", "")
        assert "钉钉账号未登记" in response.text and "stranger99" in response.text and "管理员" in response.text

    def test_deactivated_user_is_unknown(self, dingtalk_app, client, keys, session):
        from sqlmodel import select

        from app.auth.models import User

        user_id = session.exec(select(User.id).where(User.dingtalk_userid == "wangxm01")).one()
        session.rollback()
        client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=keys["xixi_admin"])
        assert _sign_in(new_browser(dingtalk_app), "code-wang").status_code == 403

    def test_bad_code_shows_the_sign_in_page_again(self, dingtalk_app, fake, city):
        browser = new_browser(dingtalk_app)
        assert _sign_in(browser, "code-wang").status_code == 303
        again = _sign_in(new_browser(dingtalk_app), "code-wang")  # codes are single-use
        assert again.status_code == 401 and "登录码无效或已使用" in again.text and 'id="dd-login"' in again.text

    def test_missing_code_or_csrf(self, dingtalk_app, fake):
        browser = new_browser(dingtalk_app)
        csrf = csrf_of(browser.get("/m/").text)
        assert browser.post("/m/session/dingtalk", data={"csrf": csrf}).status_code == 401
        assert browser.post("/m/session/dingtalk", data={"code": "code-wang"}).status_code == 403
        assert browser.post("/m/session/dingtalk", data={"code": "code-wang", "csrf": "x"}).status_code == 403
        assert not fake.calls  # nothing reached DingTalk

    def test_dingtalk_down_is_a_readable_502(self, dingtalk_app, fake):
        fake.down = True
        response = _sign_in(new_browser(dingtalk_app), "code-wang")
        assert response.status_code == 502 and "钉钉登录服务连接失败，请稍后重试" in response.text

    def test_sign_in_page_carries_what_the_script_needs(self, dingtalk_app):
        html = new_browser(dingtalk_app).get("/m/").text
        assert 'data-corp-id="ding123corp"' in html and 'data-client-id="dingappkey"' in html
        assert 'data-jsapi="/static/vendor/dingtalk.open.js"' in html and "dingtalk.com" not in html
