"""The liaison's mobile home after sign-in: the appeals waiting at their unit, most urgent first, each a link to its
page — the same list as the chatbot's 待办, and nothing of another street."""

from __future__ import annotations

import re

import pytest

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body
from tests.pages.conftest import csrf_of

pytestmark = pytest.mark.db


def _file(client, keys, uscc, title, **impact):  # type: ignore[no-untyped-def]
    body = appeal_body(uscc, title=title, description="详细情况见附件。", category="energy")
    if impact:
        body["impact"] = {**body.get("impact", {}), **impact}
    response = client.post("/api/v1/appeals", json=body, headers=keys["city"])
    assert response.status_code == 201, response.text
    return response.json()


def test_home_lists_my_units_todo_most_urgent_first(client, keys, browser_for):  # type: ignore[no-untyped-def]
    green = _file(client, keys, XIXI_ENTERPRISE, "门口道路破损影响货车进出")
    red = _file(client, keys, XIXI_ENTERPRISE, "厂房停电全面停产", production_halted=True)
    other_street = _file(client, keys, HUSHU_ENTERPRISE, "湖墅街道企业招工难")
    html = browser_for("xixi_liaison").get("/m/").text
    assert "西溪街道待办" in html
    numbers = re.findall(r'href="/m/appeals/([^"]+)"', html)
    assert numbers == [red["number"], green["number"]]  # red first; 湖墅's appeal is not on this page
    assert other_street["number"] not in html
    assert "签收期限" in html and "厂房停电全面停产" in html


def test_an_empty_todo_says_so(client, keys, browser_for):  # type: ignore[no-untyped-def]
    html = browser_for("hushu_liaison").get("/m/").text
    assert "湖墅街道待办" in html and "本单位目前没有待签收或办理中的诉求" in html


# --- 我的企业 and the 走访登记 form -------------------------------------------------------------------------------

VISIT_DATE = re.compile(r'name="visited_on" required value="([0-9-]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def wang(app, city, clock):  # type: ignore[no-untyped-def]
    """A page session of 王晓明 (西溪街道's liaison, paired with 西溪智造) through an API key bound to him: what a
    DingTalk sign-in gives, without the DingTalk fake."""
    from sqlmodel import select

    from app.auth.models import User
    from app.auth.service import create_api_key
    from tests.pages.conftest import new_browser, sign_in_with_key

    user = city.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
    _, token = create_api_key(city, role="liaison", unit_code="330106012", name="王晓明", now=clock.now,
                              user_id=user.id)
    browser = new_browser(app)
    sign_in_with_key(browser, f"Bearer {token}")
    browser.headers_for_api = {"Authorization": f"Bearer {token}"}  # type: ignore[attr-defined]
    yield browser
    browser.close()


def _form(html: str, **fields: str) -> dict[str, str]:
    date_match, key_match = VISIT_DATE.search(html), FORM_KEY.search(html)
    assert date_match and key_match, "no 走访登记 form on the page"
    data = {"csrf": csrf_of(html), "form_key": key_match.group(1), "enterprise_uscc": XIXI_ENTERPRISE,
            "mode": "on_site", "visited_on": date_match.group(1), "summary": "了解企业新厂房投产进度。"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _visits(client, wang):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/visits", headers=wang.headers_for_api)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_my_enterprises_are_listed_for_a_user(wang):  # type: ignore[no-untyped-def]
    html = wang.get("/m/").text
    assert 'id="mine"' in html and "杭州西溪智造科技有限公司" in html and f'data-uscc="{XIXI_ENTERPRISE}"' in html
    assert "尚未走访" in html and "走访登记" in html and 'action="/m/visits"' in html
    assert "上门走访" in html and "能源" in html  # the mode and category choices


def test_a_key_bound_to_no_user_sees_no_my_enterprises(browser_for):  # type: ignore[no-untyped-def]
    browser = browser_for("xixi_liaison")
    html = browser.get("/m/").text
    assert "西溪街道待办" in html and 'id="mine"' not in html and 'action="/m/visits"' not in html
    refused = browser.post("/m/visits", data={"csrf": csrf_of(html), "enterprise_uscc": XIXI_ENTERPRISE,
                                              "mode": "on_site", "visited_on": "2026-01-01", "summary": "走访"})
    assert refused.status_code == 403 and "具体工作人员" in refused.text


def test_the_form_records_a_visit_and_its_appeal_reaches_the_street(client, keys, wang):  # type: ignore[no-untyped-def]
    page = wang.get("/m/").text
    response = wang.post("/m/visits", data=_form(page, mode="phone", appeal_title="新厂房用电增容审批迟迟未办",
                                                 appeal_description="申请已提交两个月未有答复。",
                                                 appeal_category="energy"))
    assert response.status_code == 303 and response.headers["location"] == "/m/?done=visit"
    assert '<div class="flash ok" role="status">走访已登记</div>' in wang.get("/m/?done=visit").text
    [visit] = _visits(client, wang)
    assert (visit["enterprise_uscc"], visit["mode"], visit["via"], visit["visitor"]["name"]) == \
        (XIXI_ENTERPRISE, "phone", "page", "王晓明")
    [appeal_id] = visit["appeal_ids"]
    appeal = client.get(f"/api/v1/appeals/{appeal_id}", headers=keys["xixi_admin"]).json()
    assert (appeal["unit_code"], appeal["source"], appeal["visit_id"]) == ("330106012", "visit", visit["id"])
    assert appeal["title"] == "新厂房用电增容审批迟迟未办" and appeal["category"] == "energy"
    html = wang.get("/m/").text  # now on the street's 待办, and the enterprise has its last visit
    assert appeal["number"] in html and "尚未走访" not in html and "未办结诉求 1 件" in html

    # the same form posted again (a double tap) records nothing more
    assert wang.post("/m/visits", data=_form(page, mode="phone", appeal_title="新厂房用电增容审批迟迟未办",
                                             appeal_description="申请已提交两个月未有答复。",
                                             appeal_category="energy")).status_code == 303
    assert len(_visits(client, wang)) == 1


def test_a_missing_summary_is_422_in_chinese_and_writes_nothing(client, wang):  # type: ignore[no-untyped-def]
    page = wang.get("/m/").text
    response = wang.post("/m/visits", data=_form(page, summary="   ", appeal_title="招工难"))
    assert response.status_code == 422
    assert "请检查填写内容：走访情况摘要：必填" in response.text
    assert 'value="招工难"' in response.text  # nothing typed is lost
    assert _visits(client, wang) == []


def test_a_bad_appeal_or_a_future_date_writes_nothing(client, wang):  # type: ignore[no-untyped-def]
    page = wang.get("/m/").text
    no_description = wang.post("/m/visits", data=_form(page, appeal_title="招工难"))
    assert no_description.status_code == 422 and "诉求描述：必填" in no_description.text
    future = wang.post("/m/visits", data=_form(page, visited_on="2999-01-01"))
    assert future.status_code == 422 and "走访日期" in future.text
    outside = wang.post("/m/visits", data=_form(page, enterprise_uscc=HUSHU_ENTERPRISE))
    assert outside.status_code == 422 and "不在您的权限范围内" in outside.text
    assert _visits(client, wang) == []


def test_csrf_missing_is_403_and_writes_nothing(client, wang):  # type: ignore[no-untyped-def]
    page = wang.get("/m/").text
    data = _form(page)
    del data["csrf"]
    response = wang.post("/m/visits", data=data)
    assert response.status_code == 403 and "CSRF" in response.text
    assert _visits(client, wang) == []


def test_a_chat_link_session_records_no_visit(app, session, settings, clock, submit):  # type: ignore[no-untyped-def]
    """A one-time link opens its own appeal only: no 我的企业, and /m/visits refuses it, even for 王晓明."""
    from tests.pages.conftest import new_browser
    from tests.pages.test_sessions import _link

    appeal = submit()
    browser = new_browser(app)
    assert browser.get(_link(session, settings, clock, appeal["number"])).status_code == 303
    html = browser.get("/m/").text
    assert "王晓明" in html and 'id="mine"' not in html
    refused = browser.post("/m/visits", data={"csrf": csrf_of(html), "enterprise_uscc": XIXI_ENTERPRISE,
                                              "mode": "on_site", "visited_on": "2026-01-01", "summary": "走访"})
    assert refused.status_code == 403
    browser.close()


# --- 同行人员, 宣讲政策 and 回访日期 -------------------------------------------------------------------------------

def _policy(session, clock, title, issuer_code, *, status="active"):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.core.time import shanghai_date
    from app.policies.models import Policy
    from app.units.service import get_by_code

    today = shanghai_date(clock.now)
    policy = Policy(title=title, issuer_unit_id=get_by_code(session, issuer_code).id, kind="universal",
                    benefit="subsidy", valid_from=today - timedelta(days=10), status=status, created_by="测试",
                    created_at=clock.now, updated_at=clock.now)
    session.add(policy)
    session.commit()
    return policy.id


@pytest.fixture
def extras(city, clock):  # type: ignore[no-untyped-def]
    """A colleague of 王晓明 at 西溪街道, and policies in force for 西溪 (西湖区's) and elsewhere (拱墅区's)."""
    from sqlmodel import select

    from app.auth.models import User
    from tests.pairing.helpers import cadre

    return {
        "colleague": cadre(city, clock.now, "孙同行", "330106012").user_id,
        "stranger": city.exec(select(User).where(User.dingtalk_userid == "lina02")).one().id,  # 湖墅街道
        "xihu_policy": _policy(city, clock, "西湖区稳岗补贴", "330106"),
        "gongshu_policy": _policy(city, clock, "拱墅区楼宇经济扶持", "330105"),
        "withdrawn": _policy(city, clock, "已撤回的政策", "330106", status="withdrawn"),
    }


def _plus_days(html: str, days: int) -> str:
    from datetime import date, timedelta

    match = VISIT_DATE.search(html)
    assert match
    return str(date.fromisoformat(match.group(1)) + timedelta(days=days))


def test_the_form_offers_colleagues_and_the_policies_in_force_there(wang, extras):  # type: ignore[no-untyped-def]
    html = wang.get("/m/").text
    assert f'name="participant_user_ids" value="{extras["colleague"]}"' in html and "孙同行" in html
    assert f'value="{extras["stranger"]}"' not in html  # another street's liaison is not offered
    assert f'name="policy_ids" value="{extras["xihu_policy"]}"' in html and "西湖区稳岗补贴" in html
    assert "拱墅区楼宇经济扶持" not in html and "已撤回的政策" not in html
    assert 'name="revisit_on"' in html and "回访日期" in html


def test_the_form_records_participants_policies_and_the_revisit(client, wang, extras):  # type: ignore[no-untyped-def]
    page = wang.get("/m/").text
    revisit = _plus_days(page, 14)
    data = _form(page, revisit_on=revisit)
    data.update(participant_user_ids=[str(extras["colleague"])], policy_ids=[str(extras["xihu_policy"])])
    response = wang.post("/m/visits", data=data)
    assert response.status_code == 303, response.text
    [visit] = _visits(client, wang)
    assert [p["name"] for p in visit["participants"]] == ["孙同行"]
    assert visit["policy_ids"] == [extras["xihu_policy"]] and visit["revisit_on"] == revisit


@pytest.mark.parametrize(("field", "bad", "element", "message"), [
    ("revisit_on", "past", "visit-revisit-err", "应晚于走访日期"),
    ("revisit_on", "far", "visit-revisit-err", "超过一年"),
    ("participant_user_ids", "stranger", "visit-participants-err", "不能作为同行人员"),
    ("participant_user_ids", "abc", "visit-participants-err", "请从列表中选择"),
    ("policy_ids", "999999", "visit-policies-err", "政策 999999 不存在"),
])
def test_a_bad_extra_field_is_422_next_to_the_field_and_keeps_what_was_typed(  # type: ignore[no-untyped-def]
        client, wang, extras, field, bad, element, message):
    page = wang.get("/m/").text
    data = _form(page, summary="了解企业用工情况。", revisit_on=_plus_days(page, 7), appeal_title="招工难",
                 appeal_description="缺普工 30 人。", appeal_category="labour")
    data.update(participant_user_ids=[str(extras["colleague"])], policy_ids=[str(extras["xihu_policy"])])
    value = {"past": _plus_days(page, -1), "far": _plus_days(page, 400), "stranger": str(extras["stranger"])}.get(
        bad, bad)
    data[field] = value if field == "revisit_on" else [*data[field], value]
    response = wang.post("/m/visits", data=data)
    assert response.status_code == 422, response.text
    html = response.text
    error = re.search(rf'<p class="field-err" id="{element}">([^<]+)</p>', html)
    assert error and message in error.group(1), html
    assert html.count('class="field-err"') == 1  # under that field only
    # nothing typed is lost: the text, the date and the ticked boxes
    assert "了解企业用工情况。" in html and "缺普工 30 人。" in html and 'value="招工难"' in html
    kept = data["revisit_on"] if field != "revisit_on" else value
    assert f'name="revisit_on" value="{kept}"' in html
    assert f'name="participant_user_ids" value="{extras["colleague"]}" checked' in html
    assert f'name="policy_ids" value="{extras["xihu_policy"]}" checked' in html
    assert _visits(client, wang) == []
    assert client.get("/api/v1/appeals", headers=wang.headers_for_api).json()["items"] == []
