"""The liaison's mobile home after sign-in: the appeals waiting at their unit, most urgent first, each a link to its
page — the same list as the chatbot's 待办, and nothing of another street."""

from __future__ import annotations

import re

import pytest

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body

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
