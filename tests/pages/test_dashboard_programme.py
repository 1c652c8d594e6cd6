"""/dashboard shows the programme's sentence and the coverage table by child unit, the very figures of
GET /api/v1/stats/programme (the hand-computed data set of tests/stats/test_programme_api.py)."""

from __future__ import annotations

import re

import pytest

from tests.stats.dataset import NOW, PERIOD, seed
from tests.stats.test_programme_api import seed_programme

pytestmark = pytest.mark.db

SENTENCE = re.compile(r'<p class="sentence" id="programme-sentence">([^<]*)</p>')
ROW = re.compile(r'<tr data-cov="([^"]+)"><td><a href="[^"]*">([^<]*)</a></td>(.*?)</tr>', re.DOTALL)
CELL = re.compile(r'<td class="nr" data-value="([^"]*)">([^<]*)</td>')


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    seed(city)
    return seed_programme(city)


def test_city_page_shows_the_sentence_and_coverage(client, keys, data, browser_for):
    html = browser_for("city").get("/dashboard", params=PERIOD).text
    api = client.get("/api/v1/stats/programme", params=PERIOD, headers=keys["city"]).json()
    assert SENTENCE.findall(html) == [api["sentence"]]
    assert api["sentence"] == "共选派干部2名，服务企业7家，累计走访企业4家次，收集企业诉求10个，解决4个，解决率40.0%"
    rows = {code: (name, CELL.findall(cells)) for code, name, cells in ROW.findall(html)}
    assert list(rows) == [r["unit_code"] for r in api["by_unit"]]
    name, cells = rows["330106"]
    assert name == "西湖区"
    assert cells == [("3", "3"), ("3", "3"), ("1.0", "100.0%"), ("0", "0"), ("1", "1"), ("2", "2")]
    assert rows["330111"][1][2] == ("null", "—")  # no enterprise: no coverage rate


def test_street_page_has_the_sentence_without_a_table(data, browser_for):
    html = browser_for("xixi_admin").get("/dashboard", params=PERIOD).text
    assert SENTENCE.findall(html) == ["共选派干部0名，服务企业1家，累计走访企业0家次，收集企业诉求3个，解决2个，解决率66.7%"]
    assert 'id="coverage"' not in html


def test_without_appeals_the_sentence_says_so(city, keys, clock, browser_for):
    clock.set(NOW)
    html = browser_for("city").get("/dashboard", params=PERIOD).text
    assert SENTENCE.findall(html) == ["共选派干部0名，服务企业0家，累计走访企业0家次，尚未收集企业诉求"]
