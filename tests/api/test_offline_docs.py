"""/docs and /redoc open on an intranet (DESIGN §13): every asset their HTML references is served by the app itself,
no absolute URL to another host appears, and `/` says what the service is and links to the docs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

ABSOLUTE = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _parse(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_only_local_assets(client, page):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not ABSOLUTE.search(r.text), ABSOLUTE.findall(r.text)
    parsed = _parse(r.text)
    assert any(ref.endswith(".js") for ref in parsed.refs), parsed.refs
    for ref in parsed.refs:
        asset = client.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 1000, ref
        if ref.endswith(".css"):
            assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", asset.text), "CSS pulls a remote file"
    # The spec the page loads is ours, and Swagger UI's online validator badge (validator.swagger.io) is off.
    assert "/openapi.json" in "".join(parsed.scripts) or 'spec-url="/openapi.json"' in r.text
    if page == "/docs":
        assert '"validatorUrl": null' in r.text
        assert client.get("/docs/oauth2-redirect").status_code == 200


def test_home_page_html_links_docs(client):
    r = client.get("/", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "助企" in r.text
    refs = _parse(r.text).refs
    assert {"/docs", "/redoc", "/readyz"} <= set(refs)
    assert all(client.get(ref).status_code == 200 for ref in refs)


def test_home_page_json_for_scripts(client):
    body = client.get("/", headers={"Accept": "application/json"}).json()
    assert body["service"] == "zhuqi" and body["links"]["/docs"] == "/docs" and body["api"] == "/api/v1"
