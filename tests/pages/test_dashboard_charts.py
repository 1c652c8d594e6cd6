"""The dashboard's pure parts without a browser or a database: SVG charts, the bulletin's markdown, figures, ranges."""

from __future__ import annotations

import itertools
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.pages.dashboard import board, charts, markdown

EVIL = '<script>alert("x")</script> & <b>'


class Collector(HTMLParser):
    """Parses markup the way a browser's HTML parser does; records tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def parse(markup: str) -> Collector:
    collector = Collector()
    collector.feed(markup)
    collector.close()
    return collector


SVG_TAGS = {"svg", "title", "g", "rect", "text", "line"}


class TestNiceTicks:
    @pytest.mark.parametrize(("top", "ticks"), [
        (0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (8, [0, 2, 4, 6, 8]),
        (100, [0, 50, 100]), (123, [0, 50, 100, 150]), (7869, [0, 2000, 4000, 6000, 8000]),
    ])
    def test_steps_of_one_two_or_five(self, top, ticks):
        assert charts.nice_ticks(top) == ticks

    @given(st.integers(min_value=0, max_value=10**7))
    def test_cover_the_top_with_few_ticks(self, top):
        ticks = charts.nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 7
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1 and str(steps.pop()).lstrip("0")[0] in "125"


class TestBarChart:
    def test_bars_scale_to_the_largest_value_and_carry_labels_and_values(self):
        svg = charts.bar_chart([charts.Bar("红色", 3, tone="red"), charts.Bar("绿色", 6, tone="green")], title="分布")
        widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
        assert widths[1] == pytest.approx(2 * widths[0])
        assert 'class="b-red"' in svg and 'class="b-green"' in svg and ">红色<" in svg and ">6<" in svg
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")
        assert 'role="img" aria-label="分布"' in svg

    def test_part_is_drawn_inside_the_bar(self):
        svg = charts.bar_chart([charts.Bar("西湖区", 4, part=3, note="4（解决 3）")], title="t",
                               legend=(("收集", "b-pri"), ("其中已解决", "b-pri-part")))
        full, part = re.findall(r'width="([\d.]+)" height="18" rx="2" class="b-pri(?:-part)?"', svg)
        assert float(part) == pytest.approx(float(full) * 3 / 4, abs=0.1)
        assert "4（解决 3）" in svg and ">其中已解决<" in svg

    def test_every_text_is_escaped(self):
        svg = charts.bar_chart([charts.Bar(EVIL, 1, part=1, note=EVIL)], title=EVIL, legend=((EVIL, "b-pri"),))
        parsed = parse(svg)
        assert set(parsed.tags) <= SVG_TAGS  # no <script>, no <b>: only the chart's own elements
        assert "<script>" not in svg and "<b>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg
        assert all(name != "style" and not name.startswith("on") for name, _ in parsed.attrs)
        assert any(EVIL in t for t in parsed.text)  # shown as the text it is (in the tooltip)

    def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip(self):
        name = "杭州市某某区某某某某街道办事处"
        svg = charts.bar_chart([charts.Bar(name, 2)], title="t")
        assert f"<title>{name}：2</title>" in svg and f">{charts.shorten(name)}<" in svg
        assert charts.shorten(name).endswith("…") and charts.em_width(charts.shorten(name)) <= charts.MAX_LABEL_EM

    def test_no_bars_says_so(self):
        assert "暂无数据" in charts.bar_chart([], title="t")

    def test_a_tone_must_be_a_plain_class_name(self):
        with pytest.raises(ValueError):
            charts.bar_chart([charts.Bar("x", 1, tone='red" onclick="alert(1)')], title="t")


class TestTrendChart:
    def test_one_column_per_week_with_total_and_part(self):
        weeks = [charts.Week("3/2", "2026-W10：收集 4，其中已解决 1", 4, 1), charts.Week("3/9", "2026-W11", 0, 0),
                 charts.Week("3/16", "2026-W12", 2, 2)]
        svg = charts.trend_chart(weeks, title="西湖区 每周收集与解决")
        assert svg.count('<g class="wk">') == 3 and "<title>2026-W10：收集 4，其中已解决 1</title>" in svg
        heights = re.findall(r'height="([\d.]+)" class="s-(collected|resolved)"', svg)
        collected = [float(h) for h, kind in heights if kind == "collected"]
        resolved = [float(h) for h, kind in heights if kind == "resolved"]
        assert len(collected) == 2 and collected[0] == pytest.approx(2 * collected[1])  # the empty week draws nothing
        assert resolved[0] == pytest.approx(collected[0] / 4) and resolved[1] == pytest.approx(collected[1])
        assert ">3/2<" in svg and ">3/16<" in svg

    def test_labels_are_thinned_on_long_periods_and_the_chart_stays_valid(self):
        weeks = [charts.Week(f"w{i}", f"t{i}", i % 7, i % 3) for i in range(520)]
        svg = charts.trend_chart(weeks, title="十年")
        labels = re.findall(r'class="tick" text-anchor="middle">(w\d+)<', svg)
        assert 5 < len(labels) < 40 and labels[0] == "w0"
        assert parse(svg).tags.count("g") == 521  # 520 weeks and the legend

    def test_escaped_and_empty(self):
        svg = charts.trend_chart([charts.Week(EVIL, EVIL, 1, 0)], title=EVIL)
        assert "<script>" not in svg and set(parse(svg).tags) <= SVG_TAGS
        assert "暂无数据" in charts.trend_chart([], title="t")


class TestMarkdown:
    BULLETIN = (
        "# 西湖区助企服务周报\n\n**2026年第47周（2026年11月16日至11月22日）**\n\n## 一、本周情况\n\n"
        "本周收集企业诉求3个，解决1个。\n第二行\n\n"
        "| 排名 | 单位 | 收集 | 解决率 |\n|---:|---|---:|---:|\n| 1 | 西溪街道 | 3 | 33.3% |\n| 2 | 北山街道 | 0 | — |\n\n"
        "## 三、工作提示\n\n- 本周新增红色诉求1个。\n- 请做好回访。\n"
    )

    def test_the_bulletin_constructs(self):
        html = markdown.to_html(self.BULLETIN, heading_offset=1)
        assert "<h2>西湖区助企服务周报</h2>" in html and "<h3>一、本周情况</h3>" in html
        assert "<p><strong>2026年第47周（2026年11月16日至11月22日）</strong></p>" in html
        assert "<p>本周收集企业诉求3个，解决1个。<br>第二行</p>" in html
        assert ('<thead><tr><th class="nr">排名</th><th>单位</th><th class="nr">收集</th>'
                '<th class="nr">解决率</th></tr></thead>') in html
        assert '<tr><td class="nr">2</td><td>北山街道</td><td class="nr">0</td><td class="nr">—</td></tr>' in html
        assert "<ul><li>本周新增红色诉求1个。</li><li>请做好回访。</li></ul>" in html
        assert "---" not in html

    def test_everything_else_stays_text(self):
        text = (f"# {EVIL}\n\n**{EVIL}**\n\n| 1 | {EVIL} |\n|---|---|\n| <img src=x onerror=alert(1)> | x |\n\n"
                f"- [link](javascript:alert(1)) <a href=x>\n\n<iframe src=//evil>\n")
        html = markdown.to_html(text)
        parsed = parse(html)
        assert set(parsed.tags) <= {"h2", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}
        assert parsed.attrs == [("class", "nr")] * parsed.attrs.count(("class", "nr"))
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
        assert "&lt;iframe src=//evil&gt;" in html and "javascript:alert(1)" in html  # as text, not a link

    def test_a_table_without_an_alignment_row_has_no_header(self):
        html = markdown.to_html("| a | b |\n| c | d |")
        assert html == "<table><tbody><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></tbody></table>"


class TestBoard:
    @pytest.mark.parametrize(("key", "value", "text"), [
        ("collected", 7869, "7869"), ("resolution_rate", 0.9178, "91.8%"), ("on_time_rate", None, "—"),
        ("satisfaction_rate", 1.0, "100.0%"), ("redo_rate", 0.0, "0.0%"), ("avg_working_days_to_resolve", 6.4, "6.4"),
    ])
    def test_figures_as_the_programme_writes_them(self, key, value, text):
        assert board.figure_text(key, value) == text

    def test_quick_ranges(self):
        ranges = {r.text: r for r in board.quick_ranges(date(2026, 11, 16), unit="330106", start=None, end=None)}
        assert ranges["本年"].href == "/dashboard?unit=330106" and ranges["本年"].current
        assert ranges["本季度"].href == "/dashboard?unit=330106&from=2026-10-01&to=2026-11-16"
        assert ranges["上月"].href == "/dashboard?unit=330106&from=2026-10-01&to=2026-10-31"
        assert ranges["近12周"].href.endswith("from=2026-08-31&to=2026-11-16")  # Monday 11 weeks back
        assert ranges["上年"].href.endswith("from=2025-01-01&to=2025-12-31") and not ranges["上年"].current
        january = {r.text: r for r in board.quick_ranges(date(2026, 1, 5), unit=None, start="2025-12-01",
                                                          end="2025-12-31")}
        assert january["上月"].current and january["上月"].href == "/dashboard?from=2025-12-01&to=2025-12-31"

    def test_links_encode_what_they_carry(self):
        assert board.href() == "/dashboard"
        assert board.href("330106", "2026-01-01T00:00:00+08:00", None) == \
            "/dashboard?unit=330106&from=2026-01-01T00%3A00%3A00%2B08%3A00"
