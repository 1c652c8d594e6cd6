"""Page forms: each action goes through the workflow; CSRF, stale versions and refusals come back readable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.conftest import api_action, csrf_of, new_browser, offered, version_of


def _get(browser, number: str):
    page = browser.get(f"/m/appeals/{number}")
    assert page.status_code == 200, page.text
    return page


def _post(browser, number: str, action: str, **fields: Any):
    page = _get(browser, number)
    data = {"csrf": csrf_of(page.text), "version": str(version_of(page.text))} | fields
    return browser.post(f"/m/appeals/{number}/actions/{action}", data=data)


def _appeal(client, keys, appeal_id: int) -> dict[str, Any]:
    return client.get(f"/api/v1/appeals/{appeal_id}", headers=keys["city"]).json()


def _events(client, keys, appeal_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/appeals/{appeal_id}/events", headers=keys["city"]).json()["items"]


def test_sign_redirects_back_and_the_timeline_shows_it(client, keys, submit, browser_for):
    appeal = submit()
    browser = browser_for("xixi_liaison")
    response = _post(browser, appeal["number"], "sign")
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/appeals/{appeal['number']}?done=sign"
    html = browser.get(response.headers["location"]).text
    assert "已签收" in html and ">办理中<" in html and "已签收，正在办理" in html
    assert offered(html) == ["progress", "request_info", "resolve", "extend", "escalate", "return"]
    last = _events(client, keys, appeal["id"])[-1]
    assert (last["type"], last["via"], last["to_status"]) == ("signed", "page", "in_progress")


def test_each_liaison_action_through_the_page(client, keys, submit, browser_for):
    appeal, number = submit(), None
    number = appeal["number"]
    liaison, district = browser_for("xixi_liaison"), browser_for("xihu")
    assert _post(liaison, number, "sign").status_code == 303
    assert _post(liaison, number, "progress", note="已对接供电公司", public="1").status_code == 303  # ticked
    assert _post(liaison, number, "progress", note="内部：等待区里回复").status_code == 303  # unticked → internal
    assert _post(liaison, number, "extend", days="5", reason="等待联审意见").status_code == 303
    assert offered(_get(liaison, number).text) == ["progress", "request_info", "resolve", "escalate", "return"]
    decide = _get(district, number).text
    assert offered(decide) == ["extend"] and "申请延期 5 个工作日" in decide and 'value="approve"' in decide
    assert _post(district, number, "extend", decision="approve").status_code == 303
    assert _post(liaison, number, "request_info", note="请补充受理回执").status_code == 303
    api_action(client, keys, "xixi_liaison", appeal["id"], "supplement", note="企业已补充回执")
    assert _post(liaison, number, "resolve", resolution_code="已解决", public_reply="已送电。").status_code == 303
    events = [(e["type"], e["public"], e["via"]) for e in _events(client, keys, appeal["id"])]
    assert events[1:] == [
        ("signed", True, "page"), ("progress", True, "page"), ("progress", False, "page"),
        ("extension_requested", False, "page"), ("extension_approved", True, "page"),
        ("info_requested", True, "page"), ("supplemented", True, "api"), ("resolved", True, "page")]
    final = _appeal(client, keys, appeal["id"])
    assert final["status"] == "resolved" and final["resolution_code"] == "已解决" and final["counters"]["extensions"] == 1
    html = _get(liaison, number).text
    assert "办结答复（已解决）" in html and "已送电。" in html and offered(html) == []


def test_escalate_and_return(client, keys, submit, browser_for):
    first, second = submit(), submit(title="第二件诉求")
    liaison = browser_for("xixi_liaison")
    assert _post(liaison, first["number"], "escalate", reason="涉及区级审批").status_code == 303
    moved = _appeal(client, keys, first["id"])
    assert (moved["unit_code"], moved["status"]) == ("330106", "submitted")
    assert offered(_get(liaison, first["number"]).text) == []  # still visible to the street (属地), no longer theirs
    assert _post(liaison, second["number"], "return", reason="不属于本街道", target_unit_code="330106").status_code == 303
    assert _appeal(client, keys, second["id"])["status"] == "returned"
    assert "建议改派：西湖区" in _events(client, keys, second["id"])[-1]["note"]


class TestCsrf:
    @pytest.mark.parametrize("csrf", [None, "", "forged-token", "other-session"])
    def test_missing_or_wrong_token_is_403_and_nothing_changes(self, csrf, client, keys, submit, browser_for):
        appeal = submit()
        browser = browser_for("xixi_liaison")
        if csrf == "other-session":
            csrf = csrf_of(_get(browser_for("xixi_liaison"), appeal["number"]).text)
        data = {"version": "1"} | ({"csrf": csrf} if csrf is not None else {})
        response = browser.post(f"/m/appeals/{appeal['number']}/actions/sign", data=data)
        assert response.status_code == 403 and "CSRF" in response.text
        assert response.headers["content-type"].startswith("text/html")
        after = _appeal(client, keys, appeal["id"])
        assert (after["status"], after["version"]) == ("submitted", 1)
        assert len(_events(client, keys, appeal["id"])) == 1

    def test_the_token_of_the_sign_in_form_does_not_work_for_actions(self, app, submit, browser_for):
        appeal = submit()
        browser = browser_for("xixi_liaison")
        pre = csrf_of(new_browser(app).get("/m/").text)
        response = browser.post(f"/m/appeals/{appeal['number']}/actions/sign", data={"csrf": pre, "version": "1"})
        assert response.status_code == 403

    def test_logout_needs_the_token_too(self, client, keys, submit, browser_for):
        appeal = submit()
        browser = browser_for("xixi_liaison")
        assert browser.post("/m/session/logout", data={"csrf": "x"}).status_code == 403
        assert _get(browser, appeal["number"])


def test_stale_version_is_a_readable_412_and_keeps_what_was_typed(client, keys, submit, browser_for):
    appeal = submit()
    browser = browser_for("xixi_liaison")
    assert _post(browser, appeal["number"], "sign").status_code == 303
    page = _get(browser, appeal["number"])
    api_action(client, keys, "xixi_admin", appeal["id"], "progress", note="管理员补充说明")  # someone else, meanwhile
    response = browser.post(f"/m/appeals/{appeal['number']}/actions/progress", data={
        "csrf": csrf_of(page.text), "version": str(version_of(page.text)), "note": "我写的进展", "public": "1"})
    assert response.status_code == 412 and response.headers["content-type"].startswith("text/html")
    assert "诉求刚刚已被他人更新" in response.text and "管理员补充说明" in response.text  # the fresh state
    assert "我写的进展</textarea>" in response.text and '<details id="act-progress" open>' in response.text
    assert version_of(response.text) == version_of(page.text) + 1  # resubmitting now works
    assert [e["note"] for e in _events(client, keys, appeal["id"])].count("我写的进展") == 0


def test_illegal_transition_is_a_readable_409(client, keys, submit, browser_for):
    appeal = submit()
    browser = browser_for("xixi_liaison")
    api_action(client, keys, "xixi_admin", appeal["id"], "sign")
    page = _get(browser, appeal["number"])
    response = browser.post(f"/m/appeals/{appeal['number']}/actions/sign",
                            data={"csrf": csrf_of(page.text), "version": str(version_of(page.text))})
    assert response.status_code == 409
    assert "当前状态不允许此操作" in response.text and "不能签收" in response.text


def test_missing_field_is_a_readable_422(client, keys, submit, browser_for):
    appeal = submit()
    browser = browser_for("xixi_liaison")
    _post(browser, appeal["number"], "sign")
    response = _post(browser, appeal["number"], "resolve", resolution_code="已解决", public_reply="  ")
    assert response.status_code == 422 and "请检查填写内容：答复" in response.text
    assert '<option value="已解决" selected>' in response.text
    response = _post(browser, appeal["number"], "extend", days="abc", reason="x")
    assert response.status_code == 422 and "延期天数" in response.text
    response = _post(browser, appeal["number"], "progress", note="x" * 2001)
    assert response.status_code == 422 and "最多 2000 个字" in response.text
    assert _appeal(client, keys, appeal["id"])["status"] == "in_progress"


def test_not_yours_to_act_is_a_readable_403(client, keys, submit, browser_for):
    appeal = submit()
    browser = browser_for("xihu")  # the district sees it, the street owns it: the page offers nothing
    page = _get(browser, appeal["number"])
    assert offered(page.text) == []
    response = browser.post(f"/m/appeals/{appeal['number']}/actions/sign", data={"csrf": csrf_of(page.text),
                                                                                 "version": "1"})
    assert response.status_code == 403 and "无权" in response.text and "签收" in response.text
    assert _appeal(client, keys, appeal["id"])["status"] == "submitted"


def test_outsiders_and_unknown_actions_get_404_pages(client, keys, submit, browser_for):
    appeal = submit()
    insider, outsider = browser_for("xixi_liaison"), browser_for("hushu_liaison")
    csrf = csrf_of(outsider.get("/m/").text)
    response = outsider.post(f"/m/appeals/{appeal['number']}/actions/sign", data={"csrf": csrf, "version": "1"})
    assert response.status_code == 404 and appeal["title"] not in response.text
    response = _post(insider, appeal["number"], "reroute", target_unit_code="330106")
    assert response.status_code == 404
    assert _appeal(client, keys, appeal["id"])["version"] == 1


def test_without_a_session_a_post_gets_the_sign_in_page(app, submit):
    appeal = submit()
    response = new_browser(app).post(f"/m/appeals/{appeal['number']}/actions/sign", data={"version": "1"})
    assert response.status_code == 401 and "登录已过期" in response.text
