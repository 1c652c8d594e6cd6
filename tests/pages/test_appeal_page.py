"""The appeal page rendered for every state and role: what it shows, what it offers, what it hides."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from app.pages.mobile import present
from tests.pages.conftest import api_action, new_browser, offered

OUTSIDERS = ("hushu_liaison", "gongshu")
INSIDERS = ("xixi_liaison", "xixi_admin", "xihu", "city")
ROLES = INSIDERS + OUTSIDERS
OWNER_UNIT = {"xixi_liaison": "330106012", "xixi_admin": "330106012", "xihu": "330106", "city": "330100"}

# What each role is offered on the page, per state (the owner is 西溪街道 unless the state moved it).
EXPECTED = {
    "submitted": {"xixi_liaison": ["sign", "escalate", "return"], "xixi_admin": ["sign", "escalate", "return"]},
    "in_progress": {r: ["progress", "request_info", "resolve", "extend", "escalate", "return"]
                    for r in ("xixi_liaison", "xixi_admin")},
    "pending_info": {r: ["extend"] for r in ("xixi_liaison", "xixi_admin")},
    "returned": {r: ["escalate"] for r in ("xixi_liaison", "xixi_admin")},
    "resolved": {}, "closed": {}, "rejected": {},
    "escalated": {"xihu": ["sign", "escalate", "return"]},
    "extension_pending": {r: ["progress", "request_info", "resolve", "escalate", "return"]
                          for r in ("xixi_liaison", "xixi_admin")} | {"xihu": ["extend"], "city": ["extend"]},
}


def _drive(client, keys, appeal_id: int, state: str) -> str:
    """Moves a fresh appeal into `state` through the API; returns the owning unit's code."""
    act = lambda role, action, **body: api_action(client, keys, role, appeal_id, action, **body)
    if state in ("in_progress", "pending_info", "resolved", "closed", "extension_pending"):
        act("xixi_liaison", "sign")
    if state == "pending_info":
        act("xixi_liaison", "request_info", note="请补充增容申请受理回执")
    if state in ("resolved", "closed"):
        act("xixi_liaison", "resolve", resolution_code="已解决", public_reply="已协调供电公司完成增容。")
    if state == "closed":
        act("xixi_admin", "close")
    if state == "returned":
        act("xixi_liaison", "return", reason="不属于本街道职责")
    if state == "rejected":
        act("xixi_admin", "reject", reason="不属于受理范围")
    if state == "escalated":
        act("xixi_liaison", "escalate", reason="涉及区级审批")
        return "330106"
    if state == "extension_pending":
        act("xixi_liaison", "extend", days=5, reason="等待联审意见")
    return "330106012"


@pytest.mark.parametrize("state", list(EXPECTED))
def test_actions_offered_are_the_allowed_ones_for_every_state_and_role(state, client, keys, submit, browser_for):
    appeal = submit()
    owner = _drive(client, keys, appeal["id"], state)
    for role in ROLES:
        page = browser_for(role).get(f"/m/appeals/{appeal['number']}")
        if role in OUTSIDERS:
            assert page.status_code == 404 and appeal["number"] not in page.text and appeal["title"] not in page.text
            continue
        assert page.status_code == 200, (state, role, page.text)
        allowed = client.get(f"/api/v1/appeals/{appeal['id']}/allowed-actions", headers=keys[role]).json()["actions"]
        mapped = [a.action.value for a in present.page_actions(
            allowed, member=OWNER_UNIT[role] == owner, extension_pending=state == "extension_pending",
            can_escalate=owner != "330100")]
        assert offered(page.text) == mapped == EXPECTED[state].get(role, []), (state, role, allowed)


def test_page_shows_the_appeal(client, keys, submit, browser_for, clock):
    appeal = submit(impact={"employees_affected": 150, "production_halted": True})
    api_action(client, keys, "xixi_liaison", appeal["id"], "sign")
    api_action(client, keys, "xixi_liaison", appeal["id"], "progress", note="内部协调会已召开", public=False)
    html = browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}").text
    assert appeal["number"] in html and appeal["title"] in html
    assert 'class="chip u-red"' in html and ">红<" in html  # urgency with its colour
    assert "停产停工" in html and "红色理由" in html  # reasons shown
    assert ">能源<" in html and ">办理中<" in html and "街道级" in html and "西溪街道" in html
    assert "办结期限" in html and re.search(r"剩余 \d+ 个工作日", html)  # countdown in working days
    # both timelines, marked; newest first
    assert html.index("内部协调会已召开") < html.index("已签收，正在办理") < html.index("诉求已受理")
    assert 'class="tag int">内部' in html and 'class="tag pub">公开' in html


def test_countdown_follows_the_injected_clock(client, keys, submit, browser_for, clock):
    appeal = submit()
    browser = browser_for("xixi_liaison")
    assert "剩余 10 个工作日" in browser.get(f"/m/appeals/{appeal['number']}").text
    clock.advance(days=30)
    html = browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}").text  # sessions last 8 h
    assert "已超期" in html


class TestPii:
    def test_contact_mobile_in_clear_only_for_the_streets_admins(self, submit, browser_for):
        appeal = submit()
        admin = browser_for("xixi_admin").get(f"/m/appeals/{appeal['number']}").text
        assert 'href="tel:13912340001"' in admin
        for role in ("xixi_liaison", "xihu", "city"):
            html = browser_for(role).get(f"/m/appeals/{appeal['number']}").text
            assert "13912340001" not in html and "139****0001" in html, role

    def test_uscc_only_for_units_above_the_enterprises_street(self, client, keys, submit, browser_for, city, clock):
        from app.auth.service import create_api_key

        appeal = submit()
        for role in ("xixi_liaison", "xihu"):
            assert appeal["enterprise_uscc"] in browser_for(role).get(f"/m/appeals/{appeal['number']}").text
        api_action(client, keys, "xihu", appeal["id"], "reroute", target_unit_code="330106-RLSB")
        _, token = create_api_key(city, role="liaison", unit_code="330106-RLSB", name="人社", now=clock.now)
        keys.headers["rlsb"] = {"Authorization": f"Bearer {token}"}
        html = browser_for("rlsb").get(f"/m/appeals/{appeal['number']}").text
        assert appeal["enterprise_uscc"] not in html and appeal["enterprise_uscc"][-4:] in html
        assert "签收" in html and "西湖区人力社保局" in html  # the department owns it now and may act


class TestSecurityHeaders:
    def test_csp_self_only_no_frames_no_referrer(self, submit, browser_for):
        appeal = submit()
        response = browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}")
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "http" not in csp
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_inline_css_is_allowed_by_its_hash_and_nothing_is_loaded_from_elsewhere(self, submit, browser_for):
        appeal = submit()
        response = browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}")
        html = response.text
        css = re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in response.headers["content-security-policy"]
        assert "<script>" not in html and " on" + "click=" not in html and "style=" not in html
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert url.startswith(("/", "#", "tel:")), url

    def test_static_files_are_ours_and_cacheable(self, client):
        js = client.get("/static/m.js?v=1")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert "immutable" in js.headers["cache-control"] and js.headers["x-content-type-options"] == "nosniff"
        assert "requestAuthCode" in js.text and "http" not in js.text.replace("https://", "")
        assert client.get("/static/base.css").status_code == 200
        assert client.get("/static/../config.py").status_code == 404


def test_unknown_or_malformed_number_is_a_404_page(browser_for):
    browser = browser_for("xixi_liaison")
    for number in ("ZQ2026-999999", "x" * 40, "%3Cscript%3E"):
        response = browser.get(f"/m/appeals/{number}")
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
        assert "<script>" not in response.text


def test_no_session_shows_the_sign_in_page_with_dingtalk_login(app, submit, settings):
    appeal = submit()
    settings.dingtalk_corp_id, settings.dingtalk_app_key = "ding123corp", "dingappkey"
    response = new_browser(app).get(f"/m/appeals/{appeal['number']}?action=sign")
    assert response.status_code == 401 and appeal["title"] not in response.text
    html = response.text
    assert 'data-corp-id="ding123corp"' in html and 'data-client-id="dingappkey"' in html
    assert 'action="/m/session/dingtalk"' in html and 'action="/m/session/api-key"' in html
    assert f'name="next" value="/m/appeals/{appeal["number"]}?action=sign"' in html
    assert 'src="/static/m.js?v=' in html and "zq_pre" in response.headers["set-cookie"]


def test_everything_typed_by_people_is_escaped(client, keys, submit, browser_for):
    appeal = submit(title='<script>alert("t")</script>', description='<img src=x onerror=alert(1)>')
    api_action(client, keys, "xixi_liaison", appeal["id"], "sign")
    api_action(client, keys, "xixi_liaison", appeal["id"], "progress", note='"><svg onload=alert(2)>')
    html = browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}").text
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg" not in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html and "&#34;&gt;&lt;svg onload=alert(2)&gt;" in html


def test_a_paired_cadres_note_reads_as_assist_on_the_page(app, client, keys, city, clock, submit, browser_for):
    """The liaison's timeline shows who added a note as 协办 (recorded with the note: the pairing may end)."""
    from tests.helpers import XIXI_ENTERPRISE
    from tests.pages.conftest import sign_in_with_key
    from tests.pairing.helpers import cadre

    jxj = cadre(city, clock.now, "张科")
    client.put(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/liaison", json={"user_id": jxj.user_id}, headers=keys["city"])
    appeal = submit()
    api_action(client, keys, "xixi_liaison", appeal["id"], "sign")
    response = client.post(f"/api/v1/appeals/{appeal['id']}/actions/progress", json={"note": "市经信局已协调"},
                           headers=jxj.headers)
    assert response.status_code == 200, response.text
    browser = new_browser(app)
    sign_in_with_key(browser, jxj.headers["Authorization"])
    for html in (browser.get(f"/m/appeals/{appeal['number']}").text,
                 browser_for("xixi_liaison").get(f"/m/appeals/{appeal['number']}").text):
        assert "张科（市经信局·协办）" in html and "xixi_liaison（西溪街道）" in html
        assert "xixi_liaison（西溪街道·协办）" not in html
    browser.close()
