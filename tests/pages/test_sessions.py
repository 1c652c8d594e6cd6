"""Signing in to the pages: one-time link tokens, API keys, session lifetime and logout."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from app.appeals.models import Appeal
from app.auth.models import ApiKey, User
from app.pages.mobile import service as mobile
from app.signin import service, tokens
from app.signin.models import PageLinkToken, PageSession
from tests.pages.conftest import api_action, csrf_of, new_browser, offered, sign_in_with_key


def _appeal_row(session, number: str) -> Appeal:
    session.expire_all()
    appeal = session.exec(select(Appeal).where(Appeal.number == number)).one()
    session.rollback()
    return appeal


def _link(session, settings, clock, number: str, **kw) -> str:
    url = mobile.link_for(session, _appeal_row(session, number), now=clock.now, settings=settings, **kw)
    session.commit()
    return url.removeprefix(settings.public_base_url)


def _user_id(session, dingtalk_userid: str) -> int:
    user_id = session.exec(select(User.id).where(User.dingtalk_userid == dingtalk_userid)).one()
    session.rollback()  # SQLite: a reading transaction holds the write lock the app's requests need
    return user_id


class TestLinkFor:
    def test_bound_to_the_liaison_when_they_work_in_the_owning_unit(self, session, settings, clock, submit):
        appeal = submit()
        url = mobile.link_for(session, _appeal_row(session, appeal["number"]), now=clock.now, settings=settings)
        assert url.startswith(f"https://zhuqi.example.gov.cn/m/appeals/{appeal['number']}?t=")
        claims = tokens.read_link_token(settings.secret_key.get_secret_value(), url.split("?t=")[1],
                                        number=appeal["number"], now=clock.now)
        assert claims.user_id == _user_id(session, "wangxm01")
        assert claims.expires_at == clock.now + timedelta(hours=72)

    def test_bound_to_the_unit_otherwise(self, session, settings, clock, client, keys, submit):
        appeal = submit()
        api_action(client, keys, "xixi_liaison", appeal["id"], "escalate", reason="区级审批")
        url = mobile.link_for(session, _appeal_row(session, appeal["number"]), now=clock.now, settings=settings)
        claims = tokens.read_link_token(settings.secret_key.get_secret_value(), url.split("?t=")[1],
                                        number=appeal["number"], now=clock.now)
        assert claims.user_id is None and claims.unit_id == _appeal_row(session, appeal["number"]).unit_id
        assert mobile.link_for(session, _appeal_row(session, appeal["number"]), now=clock.now, settings=settings,
                                bind_liaison=False) != url


class TestLinkToken:
    def test_opens_the_page_once_as_the_liaison_and_leaves_the_address_bar(self, app, session, settings, clock,
                                                                              submit, client, keys):
        appeal = submit()
        link = _link(session, settings, clock, appeal["number"])
        browser = new_browser(app)
        response = browser.get(link)
        assert response.status_code == 303 and response.headers["location"] == f"/m/appeals/{appeal['number']}"
        assert response.headers["referrer-policy"] == "no-referrer"
        cookie = response.headers["set-cookie"]
        for attribute in ("zq_session=", "HttpOnly", "Secure", "SameSite=lax", "Path=/", "Max-Age=28800"):
            assert attribute in cookie, cookie
        page = browser.get(response.headers["location"])
        assert page.status_code == 200 and "王晓明（西溪街道）" in page.text
        assert offered(page.text) == ["sign", "escalate", "return"]
        signed = browser.post(f"/m/appeals/{appeal['number']}/actions/sign",
                              data={"csrf": csrf_of(page.text), "version": "1"})
        assert signed.status_code == 303
        last = client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=keys["city"]).json()["items"][-1]
        assert (last["type"], last["actor"], last["via"]) == ("signed", "王晓明（西溪街道）", "page")
        # the same link again: this browser is signed in already, so it simply opens the page …
        assert browser.get(link).headers["location"] == f"/m/appeals/{appeal['number']}"
        # … anyone else gets the sign-in page: single use
        reused = new_browser(app).get(link)
        assert reused.status_code == 401 and "已被使用" in reused.text and appeal["title"] not in reused.text

    def test_keeps_the_sign_action_focus(self, app, session, settings, clock, submit):
        appeal = submit()
        response = new_browser(app).get(_link(session, settings, clock, appeal["number"]) + "&action=sign")
        assert response.headers["location"] == f"/m/appeals/{appeal['number']}?action=sign"

    def test_expires_after_72_hours(self, app, session, settings, clock, submit):
        appeal = submit()
        link = _link(session, settings, clock, appeal["number"])
        clock.advance(hours=72, seconds=1)
        response = new_browser(app).get(link)
        assert response.status_code == 401 and "链接已过期" in response.text
        assert "zq_session" not in response.headers.get("set-cookie", "")

    def test_works_until_it_expires(self, app, session, settings, clock, submit):
        appeal = submit()
        link = _link(session, settings, clock, appeal["number"])
        clock.advance(hours=71, minutes=59)
        assert new_browser(app).get(link).status_code == 303

    def test_only_for_its_own_appeal(self, app, session, settings, clock, submit):
        first, second = submit(), submit(title="第二件")
        link = _link(session, settings, clock, first["number"])
        response = new_browser(app).get(link.replace(first["number"], second["number"]))
        assert response.status_code == 401 and "链接与该诉求不符" in response.text
        assert new_browser(app).get(link).status_code == 303  # a refused attempt does not use the token up

    def test_tampered_link_is_refused(self, app, session, settings, clock, submit):
        appeal = submit()
        link = _link(session, settings, clock, appeal["number"])
        response = new_browser(app).get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
        assert response.status_code == 401 and "链接无效" in response.text

    def test_a_link_session_opens_only_its_appeals(self, app, session, settings, clock, submit):
        first, second = submit(), submit(title="第二件")
        browser = new_browser(app)
        browser.get(_link(session, settings, clock, first["number"]))
        assert browser.get(f"/m/appeals/{first['number']}").status_code == 200
        assert browser.get(f"/m/appeals/{second['number']}").status_code == 401  # not this session's appeal
        assert browser.get(_link(session, settings, clock, second["number"])).status_code == 303
        assert browser.get(f"/m/appeals/{second['number']}").status_code == 200  # the scope grew …
        assert browser.get(f"/m/appeals/{first['number']}").status_code == 200  # … the first still opens
        assert session.exec(select(PageSession)).one().scope == [first["number"], second["number"]]

    def test_unit_bound_link_may_look_not_act_and_sees_pii_masked(self, app, session, settings, clock, submit,
                                                                  client, keys):
        appeal = submit()
        api_action(client, keys, "xixi_liaison", appeal["id"], "escalate", reason="区级审批")
        browser = new_browser(app)
        browser.get(_link(session, settings, clock, appeal["number"]))
        page = browser.get(f"/m/appeals/{appeal['number']}")
        assert page.status_code == 200 and "西湖区（群链接查看）" in page.text and offered(page.text) == []
        assert "以查看身份打开本页" in page.text
        assert appeal["enterprise_uscc"] not in page.text and "陈*" in page.text and "139****0001" in page.text
        response = browser.post(f"/m/appeals/{appeal['number']}/actions/sign",
                                data={"csrf": csrf_of(page.text), "version": str(appeal["version"] + 1)})
        assert response.status_code == 403 and "只能查看" in response.text
        assert client.get(f"/api/v1/appeals/{appeal['id']}", headers=keys["city"]).json()["status"] == "submitted"

    def test_deactivating_the_user_ends_the_session(self, app, session, settings, clock, submit, client, keys):
        appeal = submit()
        browser = new_browser(app)
        browser.get(_link(session, settings, clock, appeal["number"]))
        user_id = _user_id(session, "wangxm01")
        assert client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=keys["xixi_admin"]).status_code == 200
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 401

    def test_used_tokens_are_recorded_and_old_rows_purged(self, app, session, settings, clock, submit, db):
        from app.core import housekeeping

        appeal = submit()
        new_browser(app).get(_link(session, settings, clock, appeal["number"]))
        assert len(session.exec(select(PageLinkToken)).all()) == 1
        clock.advance(days=5)
        new_browser(app).get(_link(session, settings, clock, appeal["number"]))
        session.rollback()
        housekeeping.purge(db, now=clock.now)  # the worker's job
        session.expire_all()
        assert len(session.exec(select(PageLinkToken)).all()) == 1  # the expired one is gone
        assert len(session.exec(select(PageSession)).all()) == 1


class TestApiKeySignIn:
    def test_sign_in_goes_to_next_and_stores_no_key(self, app, session, keys, submit):
        appeal = submit()
        browser = new_browser(app)
        sign_in_with_key(browser, keys["xihu"]["Authorization"], f"/m/appeals/{appeal['number']}")
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 200
        row = session.exec(select(PageSession)).one()
        key = keys["xihu"]["Authorization"].removeprefix("Bearer ")
        assert row.kind == "api_key" and row.api_key_id is not None and row.scope is None
        assert key not in browser.cookies.get("zq_session", "") and key not in str(row.model_dump())

    def test_bad_key_system_key_and_missing_csrf(self, app, keys):
        browser = new_browser(app)
        csrf = csrf_of(browser.get("/m/").text)
        bad = browser.post("/m/session/api-key", data={"api_key": "zq_nope", "csrf": csrf})
        assert bad.status_code == 401 and "API key 无效" in bad.text
        system = browser.post("/m/session/api-key", data={
            "api_key": keys["system"]["Authorization"].removeprefix("Bearer "), "csrf": csrf})
        assert system.status_code == 403 and "系统密钥" in system.text
        no_csrf = new_browser(app).post("/m/session/api-key", data={
            "api_key": keys["xihu"]["Authorization"].removeprefix("Bearer ")})
        assert no_csrf.status_code == 403 and "zq_session" not in no_csrf.headers.get("set-cookie", "")

    def test_next_cannot_leave_the_site(self, app, keys):
        browser = new_browser(app)
        response = browser.post("/m/session/api-key", data={
            "api_key": keys["xihu"]["Authorization"].removeprefix("Bearer "), "csrf": csrf_of(browser.get("/m/").text),
            "next": "https://evil.example/m/"})
        assert response.status_code == 303 and response.headers["location"] == "/m/"

    def test_revoking_the_key_ends_the_session(self, app, session, keys, submit, clock):
        appeal = submit()
        browser = new_browser(app)
        sign_in_with_key(browser, keys["xihu"]["Authorization"])
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 200
        session.execute(sa.update(ApiKey).where(ApiKey.name == "xihu").values(revoked_at=clock.now))
        session.commit()
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 401


class TestSessionLifetime:
    def test_sessions_last_eight_hours(self, app, keys, submit, clock):
        appeal = submit()
        browser = new_browser(app)
        sign_in_with_key(browser, keys["xixi_liaison"]["Authorization"])
        clock.advance(hours=7, minutes=59)
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 200
        clock.advance(minutes=1)
        assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 401

    def test_logout_revokes_the_session_on_the_server(self, app, keys, submit):
        appeal = submit()
        browser = new_browser(app)
        sign_in_with_key(browser, keys["xixi_liaison"]["Authorization"])
        stolen = browser.cookies["zq_session"]
        control = new_browser(app)
        control.cookies.set("zq_session", stolen)
        assert control.get(f"/m/appeals/{appeal['number']}").status_code == 200  # the cookie alone opens it …
        home = browser.get("/m/")
        assert home.status_code == 200 and "xixi_liaison（西溪街道）" in home.text
        response = browser.post("/m/session/logout", data={"csrf": csrf_of(home.text)})
        assert response.status_code == 200 and "已退出" in response.text
        assert 'zq_session=""' in response.headers["set-cookie"]
        replay = new_browser(app)
        replay.cookies.set("zq_session", stolen)
        assert replay.get(f"/m/appeals/{appeal['number']}").status_code == 401  # … not after logout

    def test_cookie_not_secure_on_plain_http_deployments(self, app, settings, keys):
        settings.public_base_url = "http://127.0.0.1:8000"
        browser = new_browser(app)
        csrf = csrf_of(browser.get("/m/").text)
        response = browser.post("/m/session/api-key", data={
            "api_key": keys["xihu"]["Authorization"].removeprefix("Bearer "), "csrf": csrf})
        assert response.status_code == 303 and "Secure" not in response.headers["set-cookie"]

    def test_garbage_cookie_is_no_session(self, app, submit):
        appeal = submit()
        for value in ("x", "y" * 500, ""):
            browser = new_browser(app)
            browser.cookies.set("zq_session", value)
            assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 401


def test_racing_redemptions_of_one_link_let_exactly_one_in(db, session, settings, clock, submit):
    """Two browsers open the same link at the same moment: the primary key on page_link_token.jti decides."""
    import threading

    from sqlmodel import Session

    appeal = submit()
    token = _link(session, settings, clock, appeal["number"]).split("?t=")[1]
    barrier, results = threading.Barrier(2), []

    def redeem() -> None:
        with Session(db, expire_on_commit=False) as own:
            barrier.wait()
            try:
                service.redeem_link(own, secret=settings.secret_key.get_secret_value(), token=token,
                                    number=appeal["number"], now=clock.now, current=None)
                results.append("in")
            except service.LinkRefused as exc:
                results.append(exc.reason.value)

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["in", "used"]
    session.expire_all()
    assert len(session.exec(select(PageSession)).all()) == 1
