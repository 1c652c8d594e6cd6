"""/dashboard rendered with the HTTP client: every role and kind of session, the figures against the statistics API
(the hand-computed data set of tests/stats/dataset.py), reach, escaping and security headers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from sqlmodel import select

from app.appeals.models import Appeal
from app.pages.mobile import service
from app.units.models import Unit
from tests.pages.conftest import csrf_of, new_browser
from tests.stats.dataset import NOW, PERIOD, seed

FIGURE = re.compile(r'<(?:div|span) class="fig2?" data-key="([a-z_]+)" data-value="([^"]*)"[^>]*>\s*'
                    r'(?:<div class="lbl">[^<]*</div>\s*<div class="val">|[^<]*<b>)([^<]*)<')
RANK_ROW = re.compile(r'<tr data-unit="([^"]+)">(.*?)</tr>', re.DOTALL)
CELL = re.compile(r'<td class="nr"(?: data-value="([^"]*)")?>([^<]*)</td>')
ATTENTION = re.compile(r'<a href="/m/appeals/(ZQ[0-9-]+)">')
RATES = ("resolution_rate", "on_time_rate", "first_response_on_time_rate", "satisfaction_rate", "redo_rate",
         "return_rate")


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    """The statistics data set, plus what the attention list needs: A5 and A6 overdue, A9 supervised and overdue,
    A1 supervised but closed long ago (not listed)."""
    clock.set(NOW)
    appeals = seed(city)
    marks = {"A5": {"sla_state": "overdue"}, "A6": {"sla_state": "overdue"},
             "A9": {"sla_state": "overdue", "supervised": True}, "A1": {"supervised": True}}
    for key, values in marks.items():
        row = city.get(Appeal, appeals[key].id)
        for name, value in values.items():
            setattr(row, name, value)
        city.add(row)
    city.commit()
    return {key: a.number for key, a in appeals.items()}


def figures(html: str) -> dict[str, tuple[Any, str]]:
    """data-key → (the API value carried by the page, the text shown)."""
    found = {key: (json.loads(value), text.strip()) for key, value, text in FIGURE.findall(html)}
    assert found, "no figures on the page"
    return found


def shown(value: Any, key: str) -> str:
    """How the page must show an API value: rates as percent with one decimal (as the bulletin), "—" if null."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if key.endswith("_rate") else str(value)


def api_summary(client, key, **params):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/stats/summary", params=params, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def assert_page_matches_api(html: str, api: dict[str, Any]) -> None:
    page = figures(html)
    assert set(page) == {"collected", "resolved", "resolution_rate", "on_time_rate", "satisfaction_rate",
                         "first_response_on_time_rate", "redo_rate", "return_rate", "resolved_at_first_tier_rate",
                         "resolved_within_two_months_rate", "avg_working_days_to_resolve"}
    for key, (value, text) in page.items():
        assert value == api[key], (key, value, api[key])
        assert text == shown(api[key], key), (key, text)
    rows = RANK_ROW.findall(html)
    assert [code for code, _ in rows] == [r["unit_code"] for r in api["by_unit"]]
    for (code, row_html), expected in zip(rows, api["by_unit"], strict=True):
        cells = CELL.findall(row_html)
        assert [text for _, text in cells[:3]] == [str(expected["rank"]), str(expected["collected"]),
                                                  str(expected["resolved"])]
        assert [json.loads(v) for v, _ in cells[3:]] == [expected[k] for k in RATES], code
        assert f">{expected['unit_name']}</a>" in row_html
    assert f"{api['unit_name']}助企服务数据看板" in html


CASES = [  # role, ?unit=, expected unit
    ("city", None, "330100"), ("city", "330105", "330105"), ("xihu", None, "330106"), ("gongshu", None, "330105"),
    ("gongshu", "330105011", "330105011"), ("xixi_admin", None, "330106012"), ("xixi_liaison", None, "330106012"),
    ("hushu_liaison", None, "330105005"), ("city", "330106-RLSB", "330106-RLSB"),
]


@pytest.mark.parametrize(("role", "unit", "expected_unit"), CASES)
@pytest.mark.parametrize("period", [PERIOD, {}], ids=["period", "year-to-date"])
def test_figures_are_the_apis(role, unit, expected_unit, period, client, keys, data, browser_for):
    params = {**period, **({"unit": unit} if unit else {})}
    page = browser_for(role).get("/dashboard", params=params)
    assert page.status_code == 200, page.text
    api = api_summary(client, keys[role], **params)
    assert api["unit_code"] == expected_unit
    assert_page_matches_api(page.text, api)


def test_the_weekly_trend_is_the_timeseries_api(client, keys, data, browser_for):
    html = browser_for("city").get("/dashboard", params=PERIOD).text
    api = client.get("/api/v1/stats/timeseries", params={**PERIOD, "period": "week"}, headers=keys["city"]).json()
    tips = re.findall(r'<g class="wk"><title>([^<]*)</title>', html)
    assert tips == [f"{p['label']}（{int(p['start'][5:7])}月{int(p['start'][8:])}日—{int(p['end'][5:7])}月"
                    f"{int(p['end'][8:])}日）：收集 {p['collected']}，其中已解决 {p['resolved']}" for p in api["items"]]
    assert [p["collected"] for p in api["items"]] == [3, 7]


def test_city_admin_page(data, browser_for):
    html = browser_for("city").get("/dashboard", params=PERIOD).text
    assert "统计区间：2026年11月2日至2026年11月15日" in html and "数据计算时刻 2026-11-16 12:00" in html
    assert html.count("<svg") == 4  # trend, urgency, category, child units
    for chart in ("杭州市 每周收集与解决（按提交周）", "杭州市 紧急程度分布", "杭州市 诉求类别分布", "杭州市 下级单位收集与解决"):
        assert f'aria-label="{chart}"' in html
    assert "<title>红色：3</title>" in html and "<title>能源：3</title>" in html
    assert "<title>西湖区：4（解决 3）</title>" in html
    # overdue or supervised and still being handled, red first then by deadline; A1 (closed) is done
    assert ATTENTION.findall(html) == [data["A5"], data["A9"], data["A6"]]
    assert html.count('<span class="tag sup">督办</span>') == 1
    # the bulletin of the week holding the period's last day, as HTML
    assert "<h2>杭州市助企服务周报</h2>" in html and "2026年第46周" in html and "<h3>一、本周情况</h3>" in html
    assert "本周收集企业诉求7个，解决1个，解决率14.3%" in html and "<table>" in html
    # drill-down links keep the period; the unit picker lists the whole reach
    assert 'href="/dashboard?unit=330106&amp;from=2026-11-02&amp;to=2026-11-15">西湖区</a>' in html
    assert html.count("<option ") == 25 and '<option value="330100" selected>' in html


def test_district_and_street_pages(data, browser_for):
    xihu = browser_for("xihu").get("/dashboard", params=PERIOD).text
    assert ATTENTION.findall(xihu) == []  # 拱墅's and 萧山's appeals are not 西湖's business
    assert "目前没有超期或督办中的诉求" in xihu and "杭州市" not in xihu.split("<main>")[1]
    gongshu = browser_for("gongshu").get("/dashboard", params={**PERIOD, "unit": "330105011"}).text
    assert ATTENTION.findall(gongshu) == [data["A6"]]  # 康桥 only
    assert '<a href="/dashboard?from=2026-11-02&amp;to=2026-11-15">拱墅区</a>' in gongshu  # breadcrumb up to its own
    street = browser_for("xixi_admin").get("/dashboard", params=PERIOD).text
    assert 'id="ranking"' not in street and "西溪街道没有下级区域单位" in street and street.count("<svg") == 4
    assert 'aria-label="西溪街道 办理状态分布（当前状态）"' in street and "<title>已撤回：1</title>" in street
    assert street.count("<option ") == 1


def test_liaison_sees_its_own_units_dashboard_read_only(data, browser_for):
    page = browser_for("hushu_liaison").get("/dashboard", params=PERIOD)
    assert page.status_code == 200 and "湖墅街道助企服务数据看板" in page.text
    assert ATTENTION.findall(page.text) == [data["A5"]]
    forms = re.findall(r'<form[^>]* method="([a-z]+)" action="([^"]+)"', page.text)
    assert forms == [("post", "/m/session/logout"), ("get", "/dashboard")]  # nothing to act on


@pytest.mark.parametrize(("role", "unit"), [("xihu", "330105"), ("xihu", "330105011"), ("xixi_liaison", "330106"),
                                            ("gongshu", "330100"), ("city", "999999"), ("city", "<script>")])
def test_outside_reach_is_a_404_page(role, unit, data, browser_for):
    response = browser_for(role).get("/dashboard", params={"unit": unit})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "单位不存在或不在您的权限范围内" in html and 'data-key="' not in html and "<script>" not in html
    assert "杭州市助企" not in html and "西湖区助企" not in html and "拱墅区助企" not in html


@pytest.mark.parametrize("params", [{"from": "2026-13-01"}, {"from": "2026-11-15", "to": "2026-11-01"},
                                    {"to": "x" * 41}, {"from": "2010-01-01", "to": "2026-01-01"}])
def test_a_bad_period_is_a_422_page(params, data, browser_for):
    response = browser_for("city").get("/dashboard", params=params)
    assert response.status_code == 422 and "日期有误" in response.text and 'data-key="' not in response.text


def test_anonymous_gets_the_sign_in_page_and_comes_back_to_the_same_view(app, keys, data):
    browser = new_browser(app)
    response = browser.get("/dashboard", params={"unit": "330106", **PERIOD})
    assert response.status_code == 401 and 'data-key="' not in response.text
    html = response.text
    assert "登录数据看板" in html and 'action="/m/session/api-key"' in html and 'action="/m/session/dingtalk"' in html
    target = "/dashboard?unit=330106&amp;from=2026-11-02&amp;to=2026-11-15"
    assert f'name="next" value="{target}"' in html
    signed = browser.post("/m/session/api-key", data={"api_key": keys["xihu"]["Authorization"][7:],
                                                      "csrf": csrf_of(html), "next": target.replace("&amp;", "&")})
    assert signed.status_code == 303 and signed.headers["location"] == target.replace("&amp;", "&")
    page = browser.get(signed.headers["location"])
    assert page.status_code == 200 and "西湖区助企服务数据看板" in page.text


def test_a_wrong_key_shows_the_dashboard_sign_in_page_again(app, data):
    browser = new_browser(app)
    html = browser.get("/dashboard").text
    response = browser.post("/m/session/api-key", data={"api_key": "zq_wrong", "csrf": csrf_of(html),
                                                        "next": "/dashboard"})
    assert response.status_code == 401 and "登录数据看板" in response.text and 'role="alert"' in response.text


def _redeem(app, session, settings, clock, number: str, **kw: Any):  # type: ignore[no-untyped-def]
    appeal = session.exec(select(Appeal).where(Appeal.number == number)).one()
    link = service.link_for(session, appeal, now=clock.now, settings=settings, **kw)
    session.commit()
    browser = new_browser(app)
    assert browser.get(link.removeprefix(settings.public_base_url)).status_code == 303
    return browser


@pytest.mark.parametrize("bind_liaison", [True, False], ids=["liaison-link", "group-link"])
def test_a_link_session_is_refused_with_a_clear_page(bind_liaison, app, session, settings, clock, keys, submit):
    appeal = submit()  # 西溪街道, liaison 王晓明
    browser = _redeem(app, session, settings, clock, appeal["number"], bind_liaison=bind_liaison)
    assert browser.get(f"/m/appeals/{appeal['number']}").status_code == 200  # the link works for its appeal …
    assert 'href="/dashboard"' not in browser.get("/m/").text
    response = browser.get("/dashboard")  # … and for nothing else
    assert response.status_code == 403
    html = response.text
    assert "<h1>请使用管理员账号登录</h1>" in html and "当前登录来自消息链接，只能查看单个诉求" in html
    assert 'data-key="' not in html and "西溪街道助企" not in html and 'id="key-form"' in html
    signed = browser.post("/m/session/api-key", data={  # the admin's key, typed into this page, takes over
        "api_key": keys["xixi_admin"]["Authorization"][7:], "csrf": csrf_of(html.split('id="key-form"')[1]),
        "next": "/dashboard"})
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"
    assert browser.get("/dashboard").status_code == 200
    assert 'href="/dashboard"' in browser.get("/m/").text  # the admin's home links to it; a link session's did not


class TestEscapingAndHeaders:
    NAME = '西湖<区>&"\'</svg><script>alert(1)</script>'

    def test_unit_names_are_text_everywhere(self, data, session, browser_for):
        unit = session.exec(select(Unit).where(Unit.code == "330106")).one()
        unit.name = self.NAME
        session.add(unit)
        session.commit()
        for params in (PERIOD, {**PERIOD, "unit": "330106"}):
            html = browser_for("city").get("/dashboard", params=params).text
            assert "<script>alert" not in html and "</svg><script>" not in html and "西湖<区>" not in html
            escaped = "西湖&lt;区&gt;&amp;&#34;&#39;&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
            escaped_py = "西湖&lt;区&gt;&amp;&quot;&#x27;&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
            assert escaped in html or escaped_py in html
            svgs = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
            assert any(escaped_py in svg for svg in svgs)  # the charts (escaped by charts.py)
            bulletin = html.split('id="bulletin"')[1]
            assert escaped_py in bulletin  # the bulletin (escaped by markdown.py)
            assert html.count("<svg") == html.count("</svg>")

    def test_security_headers_and_csp(self, data, browser_for):
        response = browser_for("city").get("/dashboard", params=PERIOD)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp and "http" not in csp
        for css in re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL):
            digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp
        assert response.text.count("<style>") == 2
        for name, value in (("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"),
                            ("cache-control", "no-store"), ("x-content-type-options", "nosniff")):
            assert response.headers[name] == value
        html = response.text
        assert "<script" not in html and "style=" not in html and " on" + "load=" not in html
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert url.startswith("/"), url

    def test_sign_in_and_error_pages_have_the_headers_too(self, app, data, browser_for):
        for response in (new_browser(app).get("/dashboard"),
                         browser_for("xihu").get("/dashboard", params={"unit": "330105"})):
            assert "default-src 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-frame-options"] == "DENY"


def test_dashboard_is_not_in_the_api_contract(app):
    assert not any(path.startswith("/dashboard") for path in app.openapi()["paths"])
