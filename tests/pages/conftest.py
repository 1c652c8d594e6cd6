"""Fixtures for the page tests: browsers (HTTP clients with their own cookie jars) signed in as a role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import appeal_body

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
ACTION_IDS = re.compile(r'id="act-([a-z_]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def version_of(html: str) -> int:
    match = VERSION.search(html)
    assert match, "no version on the page"
    return int(match.group(1))


def offered(html: str) -> list[str]:
    return ACTION_IDS.findall(html)


def new_browser(app: Any) -> TestClient:
    # https, because session cookies are Secure when PUBLIC_BASE_URL is https (as in the test settings)
    return TestClient(app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=True)


def sign_in_with_key(browser: TestClient, authorization: str, next_path: str = "/m/") -> None:
    page = browser.get("/m/")
    response = browser.post("/m/session/api-key", data={
        "api_key": authorization.removeprefix("Bearer "), "csrf": csrf_of(page.text), "next": next_path})
    assert response.status_code == 303, response.text


@pytest.fixture
def browser_for(app: Any, keys: Any) -> Iterator[Callable[[str], TestClient]]:
    """browser_for("xixi_liaison") → a client signed in on the pages with that role's API key."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        browser = new_browser(app)
        sign_in_with_key(browser, keys[role]["Authorization"])
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.close()


@pytest.fixture
def submit(client: TestClient, keys: Any) -> Callable[..., dict[str, Any]]:
    """Files an appeal through the API (as the street admin unless told otherwise); returns its JSON."""

    def make(role: str = "xixi_admin", **overrides: Any) -> dict[str, Any]:
        response = client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys[role])
        assert response.status_code == 201, response.text
        return response.json()

    return make


def api_action(client: TestClient, keys: Any, role: str, appeal_id: int, action: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/appeals/{appeal_id}/actions/{action}", json=body, headers=keys[role])
    assert response.status_code == 200, response.text
    return response.json()
