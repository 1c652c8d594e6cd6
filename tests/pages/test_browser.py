"""A real browser: headless Chromium (Debian's package) driven by Playwright's Python package, against uvicorn serving
the app on 127.0.0.1 with a SQLite file: the liaison's page on a phone-sized viewport, the task force's dashboard on a
desktop one.

Skipped only when Chromium or Playwright is not installed — and then loudly (a pytest warning here, a banner from
.ci/run). When .ci/run managed to install both it sets ZHUQI_BROWSER_REQUIRED=1, and a missing browser fails.
Screenshots go to $ZHUQI_SCREENSHOT_DIR (default: the system temp dir), never into the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
DINGTALK_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
               "Mobile/15E148 AliApp(DingTalk/7.6.0) language/zh-Hans")


def _chromium() -> str | None:
    for candidate in (os.environ.get("ZHUQI_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package `playwright` is not installed (pip install playwright)"
    if _chromium() is None:
        return "Chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        message = f"BROWSER TEST NOT RUN: {reason}. The liaison page was NOT checked in a real browser."
        if os.environ.get("ZHUQI_BROWSER_REQUIRED") == "1":
            pytest.fail(message)
        warnings.warn(message, UserWarning, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@dataclass
class Served:
    base_url: str
    app: Any
    engine: Any
    settings: Any
    clock: Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """uvicorn in a thread, serving the real app on its own SQLite file (migrated, demo city seeded)."""
    import uvicorn
    from sqlmodel import Session

    from app import wiring
    from app.config import Settings
    from app.core import migrate
    from app.db import make_engine
    from app.demo import seed_demo
    from app.main import create_app
    from tests.conftest import Clock

    port = _free_port()
    db_file = tmp_path_factory.mktemp("browser") / "zhuqi-browser.db"
    settings = Settings(database_url=f"sqlite:///{db_file}", env="test", secret_key="browser-secret-" + "x" * 32,
                        public_base_url=f"http://127.0.0.1:{port}", dingtalk_app_key="dingappkey",
                        dingtalk_app_secret="dingsecret", dingtalk_corp_id="ding123corp")
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    clock = Clock()
    wiring.install()  # seeding checks USCCs: a module fixture runs before the autouse per-test install
    with Session(engine) as session:
        seed_demo(session, now=clock.now, with_appeals=True)
    app = create_app(settings, engine=engine, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", app, engine, settings, clock)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _link(served: Served, number: str) -> str:
    from sqlmodel import Session, select

    from app.appeals.models import Appeal
    from app.pages.mobile.service import link_for

    with Session(served.engine) as session:
        appeal = session.exec(select(Appeal).where(Appeal.number == number)).one()
        return link_for(session, appeal, now=served.clock.now, settings=served.settings)


def _shot(page: Any, name: str) -> None:
    directory = Path(os.environ.get("ZHUQI_SCREENSHOT_DIR", tempfile.gettempdir()))
    page.screenshot(path=str(directory / f"zhuqi-{name}.png"), full_page=True)


STATUS_NOTE = "Failed to load resource: the server responded with a status of"


def _watch(page: Any) -> list[str]:
    """Collects console errors, page errors and failed static files: a CSP violation, a broken script or a
    missing asset shows up here. (Chromium also logs pages answered with 401/412 on purpose; those are not
    problems, but any static file must load.)"""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith(STATUS_NOTE) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if "/static/" in r.url and r.status != 200 else None)
    return problems


def test_liaison_opens_the_chat_link_on_a_phone_and_signs(chromium: Any, served: Served) -> None:
    number = "ZQ2026-000001"  # the demo's first appeal: 西溪街道, liaison 王晓明
    link = _link(served, number)
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    problems = _watch(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(link)
    assert page.url == f"{served.base_url}/m/appeals/{number}"  # the token left the address bar
    assert page.locator("#status").inner_text() == "待签收"
    assert page.locator("#timeline li").count() == 1
    assert "剩余" in page.locator("#deadlines").inner_text()
    _shot(page, "appeal-before-sign")

    sign = page.get_by_role("button", name="签收", exact=True)
    box = sign.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] >= 40  # a thumb-sized button on a phone
    sign.click()
    page.wait_for_url(f"**/m/appeals/{number}?done=sign")

    assert page.locator(".flash.ok").inner_text() == "已签收"
    assert page.locator("#status").inner_text() == "办理中"
    timeline = page.locator("#timeline li")
    assert timeline.count() == 2
    newest = timeline.first.inner_text()
    assert "签收" in newest and "王晓明（西溪街道）" in newest and "已签收，正在办理" in newest
    assert page.get_by_role("button", name="签收", exact=True).count() == 0
    assert page.locator("summary", has_text="进展").count() == 1
    _shot(page, "appeal-after-sign")

    # nothing from another origin, no console errors (CSP violations would be reported here)
    assert all(url.startswith(served.base_url) for url in requested), requested
    assert problems == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    context.close()


def test_progress_form_and_stale_page_message(chromium: Any, served: Served) -> None:
    number = "ZQ2026-000002"  # 湖墅街道, liaison 李娜
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    problems = _watch(page)
    page.goto(_link(served, number))
    page.get_by_role("button", name="签收", exact=True).click()
    page.wait_for_url("**?done=sign")
    # a second tab signs in with its own link and adds progress first: the first tab's page is now stale
    other = context.new_page()
    other.goto(_link(served, number))
    other.locator("summary", has_text="进展").click()
    other.locator("#progress-note").fill("已联系职业院校")
    other.get_by_role("button", name="进展", exact=True).click()
    other.wait_for_url("**?done=progress")
    page.locator("summary", has_text="进展").click()
    page.locator("#progress-note").fill("我这边的进展")
    with page.expect_navigation():
        page.get_by_role("button", name="进展", exact=True).click()
    assert "诉求刚刚已被他人更新" in page.locator(".flash.err").inner_text()
    assert page.locator("#progress-note").input_value() == "我这边的进展"  # nothing typed is lost
    assert "已联系职业院校" in page.locator("#timeline").inner_text()
    _shot(page, "appeal-stale-412")
    page.get_by_role("button", name="进展", exact=True).click()  # resubmit against the fresh version
    page.wait_for_url("**?done=progress")
    assert "我这边的进展" in page.locator("#timeline li").first.inner_text()
    assert problems == []
    context.close()


def test_dingtalk_sign_in_script_inside_the_dingtalk_webview(chromium: Any, served: Served) -> None:
    """Our page script asks dd.requestAuthCode for a code and posts it; the server exchanges it with (a fake)
    DingTalk. The fake `dd` stands in for DingTalk's container, as the JSAPI would inside the app."""
    from tests.pages.test_dingtalk import FakeDingTalk

    fake = FakeDingTalk()
    served.app.state.http_transport = httpx.MockTransport(fake)
    served.app.state.dingtalk_token_cache = None
    number = "ZQ2026-000001"
    context = chromium.new_context(**PHONE, user_agent=DINGTALK_UA)
    context.add_init_script("""window.dd = {ready: function (f) { f(); }, requestAuthCode: function (o) {
        var ok = o.corpId === 'ding123corp' && o.clientId === 'dingappkey';
        setTimeout(function () { ok ? o.onSuccess({code: 'code-wang'}) : o.onFail({}); }, 10); }};""")
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{served.base_url}/m/appeals/{number}")
    page.wait_for_url(f"**/m/appeals/{number}")
    page.wait_for_selector("#summary")
    assert "王晓明（西溪街道）" in page.locator(".bar").inner_text()  # signed in with the right corpId/clientId
    assert fake.calls["/topapi/v2/user/getuserinfo"] == 1 and fake.calls["/v1.0/oauth2/accessToken"] == 1
    assert problems == []
    _shot(page, "appeal-after-dingtalk-sign-in")
    context.close()


def test_outside_dingtalk_the_sign_in_page_explains_the_ways_in(chromium: Any, served: Served) -> None:
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{served.base_url}/m/appeals/ZQ2026-000003")
    assert page.locator("#outside").is_visible()  # our script ran (CSP allowed it) and saw no DingTalk
    assert "请在钉钉中打开此页面" in page.locator("#outside").inner_text()
    assert page.locator("#dd-status").is_hidden()
    _shot(page, "sign-in-outside-dingtalk")
    assert problems == []
    context.close()


def test_district_admin_signs_in_and_the_dashboard_shows_the_apis_figures(chromium: Any, served: Served) -> None:
    from sqlmodel import Session

    from app.auth.service import create_api_key
    from tests.helpers import appeal_body

    with Session(served.engine) as session:
        _, admin_key = create_api_key(session, role="district_admin", unit_code="330106", name="看板", now=served.clock.now)
        _, street_key = create_api_key(session, role="street_admin", unit_code="330106012", name="西溪",
                                       now=served.clock.now)
    with httpx.Client(base_url=served.base_url, headers={"Authorization": f"Bearer {street_key}"}) as street:
        # one more appeal of 西溪街道, signed and resolved, so that the rates are not all empty
        created = street.post("/api/v1/appeals", json=appeal_body(title="看板测试：办结一件")).json()
        for action, body in (("sign", {}), ("resolve", {"resolution_code": "已解决", "public_reply": "已办结。"})):
            assert street.post(f"/api/v1/appeals/{created['id']}/actions/{action}", json=body).status_code == 200

    context = chromium.new_context(**DESKTOP)
    page = context.new_page()
    problems = _watch(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{served.base_url}/dashboard")
    assert page.locator("h1").inner_text() == "登录数据看板"
    page.locator("#api_key").fill(admin_key)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{served.base_url}/dashboard")
    page.wait_for_selector("#headline")

    api = httpx.get(f"{served.base_url}/api/v1/stats/summary", headers={"Authorization": f"Bearer {admin_key}"}).json()
    assert api["unit_name"] == "西湖区" and api["collected"] >= 2 and api["resolved"] >= 1
    cards = page.locator("#headline .fig, #secondary .fig2")
    seen = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        key, value = card.get_attribute("data-key"), card.get_attribute("data-value")
        text = card.locator(".val, b").inner_text()
        expected = api[key]
        shown = "—" if expected is None else f"{expected * 100:.1f}%" if key.endswith("_rate") else str(expected)
        assert (json.loads(value), text) == (expected, shown), key
        seen[key] = text
    assert {"collected", "resolved", "resolution_rate", "on_time_rate", "satisfaction_rate",
            "first_response_on_time_rate", "redo_rate"} <= set(seen)
    assert page.locator("#unit-name").inner_text() == "西湖区助企服务数据看板"
    ranking = page.locator("#ranking tbody tr")
    assert [ranking.nth(i).get_attribute("data-unit") for i in range(ranking.count())] == \
        [row["unit_code"] for row in api["by_unit"]]
    urgency = page.locator("#by-urgency g.row > title").all_text_contents()
    assert urgency == [f"{label}：{api['by_urgency'][code]}" for code, label in
                       (("red", "红色"), ("yellow", "黄色"), ("green", "绿色"))]
    trend = page.locator("#trend svg").bounding_box()
    assert trend is not None and trend["width"] > 1100 and trend["height"] > 200  # drawn, at the page's width
    assert "助企服务周报" in page.locator("#bulletin").inner_text()
    _shot(page, "dashboard-district-admin")

    assert all(url.startswith(served.base_url) for url in requested), requested
    assert problems == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the dashboard is {width}px wide on a 1366px screen"
    context.close()


def test_liaison_records_a_visit_from_the_home_page_on_a_phone(chromium: Any, served: Served) -> None:
    """王晓明 signs in, sees 我的企业 (西溪智造, his pairing) and registers a visit with a colleague, a policy explained,
    a revisit date and the appeal it raised; a revisit date the service refuses comes back under its field."""
    from sqlmodel import Session, select

    from app.auth.models import User
    from app.auth.service import create_api_key

    with Session(served.engine) as session:
        user = session.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
        _, key = create_api_key(session, role="liaison", unit_code="330106012", name="王晓明", now=served.clock.now,
                                user_id=user.id)
        session.add(User(name="钱同行", role="street_admin", unit_id=user.unit_id, created_at=served.clock.now))
        session.commit()  # a colleague to take along (the demo's 西溪街道 has no other staff)
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{served.base_url}/m/")
    page.locator("summary", has_text="使用 API key 登录").click()
    page.locator("#api_key").fill(key)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_selector("#mine")
    mine = page.locator("#mine li", has_text="杭州西溪智造科技有限公司")
    assert mine.count() == 1 and "西溪街道" in mine.inner_text() and "最近走访" in mine.inner_text()

    page.locator("#visit-enterprise").select_option(label="杭州西溪智造科技有限公司")
    page.locator("#visit-mode").select_option("phone")
    page.locator("#visit-summary").fill("电话了解企业扩产进度，企业反映招工困难。")
    page.locator("summary", has_text="走访中收集到诉求").click()
    page.locator("#appeal-title").fill("数控车床熟练工招聘困难")
    page.locator("#appeal-description").fill("扩产后需新增熟练工 30 名，近两月招聘不到。")
    page.locator("#appeal-category").select_option("labour")
    page.locator("#visit-participants summary").click()
    page.locator("#visit-participants input[type=checkbox]").first.check()
    page.locator("#visit-policies summary").click()
    page.locator("#visit-policies input[type=checkbox]").first.check()
    today = page.locator("#visit-date").input_value()
    page.locator("#visit-revisit").fill(today)  # allowed by the picker, refused by the service: not after the visit
    submit = page.get_by_role("button", name="提交走访登记", exact=True)
    box = submit.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] >= 40
    submit.click()
    error = page.locator("#visit-revisit-err")
    assert "应晚于走访日期" in error.inner_text() and error.is_visible()
    assert page.locator("#visit-summary").input_value() == "电话了解企业扩产进度，企业反映招工困难。"
    assert page.locator("#visit-participants input:checked").count() == 1
    _shot(page, "visit-form-error")
    revisit = str(date.fromisoformat(today) + timedelta(days=7))
    page.locator("#visit-revisit").fill(revisit)
    page.get_by_role("button", name="提交走访登记", exact=True).click()
    page.wait_for_url("**/m/?done=visit")
    assert page.locator(".flash.ok").inner_text() == "走访已登记"
    _shot(page, "home-after-visit")

    uscc = page.locator("#mine li", has_text="杭州西溪智造科技有限公司").get_attribute("data-uscc")
    visits = httpx.get(f"{served.base_url}/api/v1/enterprises/{uscc}/visits",
                       headers={"Authorization": f"Bearer {key}"}).json()["items"]
    newest = next(v for v in visits if v["summary"] == "电话了解企业扩产进度，企业反映招工困难。")
    assert (newest["mode"], newest["via"], len(newest["appeal_ids"])) == ("phone", "page", 1)
    assert (len(newest["participants"]), len(newest["policy_ids"]), newest["revisit_on"]) == (1, 1, revisit)
    assert "数控车床熟练工招聘困难" in page.locator("#todo").inner_text()  # the raised appeal waits at 西溪街道
    assert problems == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    context.close()
